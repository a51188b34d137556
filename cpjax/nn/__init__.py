"""cpjax.nn (public names are re-exported here)."""
