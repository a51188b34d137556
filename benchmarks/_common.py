"""Shared helpers of the benchmark scripts: machine description and result writing.

Benchmarks measure compilation themselves, so they run without JAX's persistent compilation
cache unless ``CPJAX_COMPILATION_CACHE`` is set explicitly."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
os.environ.setdefault("CPJAX_COMPILATION_CACHE", "0")


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
    """Side-by-side runs, one row per repeat.

    ``run_cpjax(X, Y, epochs, seed=r)`` returns a dict with ``cold_s`` (first fit in the
    process: tracing and XLA compilation included), ``warm_s`` (a second fit of the same shapes,
    another seed: the compiled program is reused), ``compiles`` (XLA compilations of the first
    fit) and ``final_loss``; cpjax runs every epoch on the device, so its time per epoch is
    ``warm_s / epochs``.  ``run_torch(X, Y, epochs, seed=r)`` returns (seconds per epoch, final
    loss); its per-epoch time is the median over epochs 2..N."""
    import numpy as np

    rows = []
    for r in range(repeats):
        c = run_cpjax(X, Y, epochs, seed=r)
        row = {"repeat": r, "cpjax_cold_fit_s": c["cold_s"], "cpjax_warm_fit_s": c["warm_s"],
               "cpjax_epoch_s": c["warm_s"] / epochs, "cpjax_compiles": c["compiles"],
               "cpjax_compile_s": max(0.0, c["cold_s"] - c["warm_s"]),
               "cpjax_final_loss": c["final_loss"]}
        if run_torch is not None:
            tt, tl = run_torch(X, Y, epochs, seed=r)
            row.update({"torch_first_epoch_s": float(tt[0]),
                        "torch_epoch_s": float(np.median(tt[1:])), "torch_final_loss": tl,
                        "ratio_torch_over_cpjax": float(np.median(tt[1:]) / row["cpjax_epoch_s"]),
                        "ratio_incl_compile": float(tt.sum() / c["cold_s"])})
        rows.append(row)
        print(row, flush=True)
    return rows


def cold_and_warm(fit) -> dict:
    """Time ``fit(seed)`` twice in this process: cold (compiles) and warm (reuses the program).
    ``fit`` returns the final training loss."""
    from cpjax import CompileCount

    t0 = time.perf_counter()
    with CompileCount() as cc:
        fit(0)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    with CompileCount() as cw:
        loss = fit(1)
    warm = time.perf_counter() - t0
    return {"cold_s": cold, "warm_s": warm, "compiles": cc.compiles, "warm_compiles": cw.compiles,
            "final_loss": loss}


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
