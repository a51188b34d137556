"""Shared helpers of the benchmark scripts: machine description and result writing."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    """What this run actually ran on: JAX backend and device kind, CPU model, core count, GPU
    name, library versions and the device the PyTorch reference uses (:func:`torch_device`)."""
    import jax

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    devices = jax.devices()
    out = {"cpu": cpu, "cores": os.cpu_count(), "jax_backend": jax.default_backend(),
           "device_kind": devices[0].device_kind, "device_count": len(devices),
           "jax_devices": [str(d) for d in devices], "jax": jax.__version__,
           "python": platform.python_version(), "date": time.strftime("%Y-%m-%d"),
           "matmul_precision": _precision()}
    try:
        import torch

        out["torch"] = torch.__version__
        out["torch_device"] = torch_device()
        if out["torch_device"] == "cuda":
            out["torch_device_name"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return out


def _precision() -> str:
    from cpjax import matmul_precision_policy

    return matmul_precision_policy()


def describe(m: dict) -> str:
    """One line naming the device of a :func:`machine` record, for Markdown headers."""
    if m["jax_backend"] == "cpu":
        dev = f"CPU {m['cpu']}, {m['cores']} cores"
    else:
        dev = f"{m['jax_backend'].upper()} {m['device_kind']} x{m['device_count']} (host CPU {m['cpu']}, {m['cores']} cores)"
    ref = f"; PyTorch {m['torch']} on {m['torch_device']}" if "torch" in m else ""
    return (f"{dev}; jax {m['jax']}, matmul precision {m['matmul_precision']}{ref}; "
            f"Python {m['python']}; {m['date']}")


def torch_device() -> str:
    """``"cuda"`` when JAX runs on a GPU and PyTorch sees one, else ``"cpu"``: the PyTorch
    reference runs on the same kind of device as JAX, so ratios compare like with like."""
    import jax
    import torch

    if jax.default_backend() == "gpu" and torch.cuda.is_available():
        return "cuda"
    return "cpu"


def torch_sync(device: str) -> None:
    """Wait for queued CUDA work before reading a clock (no-op on the CPU)."""
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


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


def torch_epochs(net, opt, X, Y, epochs: int, generator, batch_size: int = 32,
                 device: str = "cpu"):
    """PyTorch eager reference loop: shuffled minibatches (last partial batch dropped, as in
    cpjax.train), MSE; returns (seconds per epoch, mean training loss of the last epoch).
    ``net`` and the data are moved to ``device``; CUDA work is synchronised before each clock
    reading."""
    import time

    import numpy as np
    import torch

    net.to(device)
    Xt, Yt = torch.from_numpy(X).to(device), torch.from_numpy(Y).to(device)
    n = len(Xt)
    times, last = [], float("nan")
    for _ in range(epochs):
        torch_sync(device)
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=generator)[: (n // batch_size) * batch_size]
        losses = []
        for idx in perm.view(-1, batch_size).to(device):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(Xt[idx]), Yt[idx])
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        last = float(torch.stack(losses).mean())
        torch_sync(device)
        times.append(time.perf_counter() - t0)
    return np.array(times), last
