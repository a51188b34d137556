"""cpjax.train (public names are re-exported here)."""
