"""cpjax.cge (public names are re-exported here)."""
