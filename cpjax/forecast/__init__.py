"""cpjax.forecast (public names are re-exported here)."""
