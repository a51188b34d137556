"""cpjax.data (public names are re-exported here)."""
