"""cpjax.quota (public names are re-exported here)."""
