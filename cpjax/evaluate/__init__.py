"""cpjax.evaluate (public names are re-exported here)."""
