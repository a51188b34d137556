"""cpjax.node (public names are re-exported here)."""
