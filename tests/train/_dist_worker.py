"""Run by tests/train/test_distributed.py in a subprocess: train a small batch of problems with
the problem axis sharded over every device of the job (several host devices, or several
processes joined by jax.distributed on the loopback interface); process 0 writes the result."""

from __future__ import annotations

import json
import sys

import numpy as np


def main(process_id: int, n_processes: int, port: int, out: str) -> None:
    import jax

    if n_processes > 1:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}",
                                   num_processes=n_processes, process_id=process_id)
    from cpjax.nn import LSTMConfig, LSTMForecaster
    from cpjax.optim import optimizer_config
    from cpjax.train import Problem, TrainConfig, fit_problems

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6, 2)).astype(np.float32)
    Y = (X[:, -1, :1] + 0.1 * rng.normal(size=(120, 1))).astype(np.float32)
    probs = [Problem(X[: 100 - 5 * i], Y[: 100 - 5 * i], X[100:], Y[100:], seed=i,
                     hyper={"learning_rate": 1e-3 * (i + 1)}) for i in range(3)]
    module = LSTMForecaster(LSTMConfig(hidden_size=4, num_layers=1, dropout=0.0), 1)
    res = fit_problems(module, optimizer_config("adam", 1e-3), probs,
                       TrainConfig(epochs=5, batch_size=16, seed_strategy="vmap"))
    if process_id == 0:
        with open(out, "w") as fh:
            json.dump({"devices": jax.device_count(), "processes": jax.process_count(),
                       "val_loss": np.asarray(res.history["val_loss"]).tolist(),
                       "params": [np.asarray(p).tolist()
                                  for p in jax.tree_util.tree_leaves(res.params)]}, fh)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
