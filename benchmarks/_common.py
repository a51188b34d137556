"""Shared helpers of the benchmark scripts: machine description and result writing."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    import jax

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "jax_backend": jax.default_backend(),
            "jax_devices": [str(d) for d in jax.devices()], "jax": jax.__version__}


def write(name: str, payload: dict, markdown: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)


def framework_rows(run_cpjax, run_torch, X, Y, epochs: int, repeats: int) -> list[dict]:
    """Side-by-side runs: ``run_cpjax(X, Y, epochs)`` and (when ``run_torch`` is given)
    ``run_torch(X, Y, epochs, seed=r)`` each return (per-epoch seconds, final loss); one row per
    repeat with the medians over epochs 2..N and the torch / cpjax ratios."""
    import numpy as np

    rows = []
    for r in range(repeats):
        jt, jl = run_cpjax(X, Y, epochs)
        row = {"repeat": r, "cpjax_first_epoch_s": float(jt[0]),
               "cpjax_epoch_s": float(np.median(jt[1:])), "cpjax_final_loss": jl}
        if run_torch is not None:
            tt, tl = run_torch(X, Y, epochs, seed=r)
            row.update({"torch_first_epoch_s": float(tt[0]),
                        "torch_epoch_s": float(np.median(tt[1:])), "torch_final_loss": tl,
                        "ratio_torch_over_cpjax": float(np.median(tt[1:]) / np.median(jt[1:])),
                        "ratio_incl_compile": float(tt.sum() / jt.sum())})
        rows.append(row)
        print(row, flush=True)
    return rows


def torch_epochs(net, opt, X, Y, epochs: int, generator, batch_size: int = 32):
    """PyTorch eager reference loop: shuffled minibatches (last partial batch dropped, as in
    cpjax.train), MSE; returns (seconds per epoch, mean training loss of the last epoch)."""
    import time

    import numpy as np
    import torch

    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    n = len(Xt)
    times, last = [], float("nan")
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=generator)[: (n // batch_size) * batch_size]
        losses = []
        for idx in perm.view(-1, batch_size):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(Xt[idx]), Yt[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        last = float(np.mean(losses))
        times.append(time.perf_counter() - t0)
    return np.array(times), last
