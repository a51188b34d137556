"""cpjax.optim (public names are re-exported here)."""
