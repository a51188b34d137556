"""Training speed of seed 000's combined ASPP -> EMA -> LSTM -> Dense network: cpjax vs the same
architecture written here in PyTorch eager, plus the wall time of the whole ablation.

Data: seed 000's sizes, as in benchmarks/lstm_training.py (cpjax demo_market cut to 530 trading
days, synthetic; 9 PCC-selected inputs; min-max scaled on the 70% training part; lookback 10,
horizon 1). Model (both frameworks): ASPP1D (CondConv 1x1 branch with 4 experts, atrous k=3
dilations 1/2/3, global pooling branch; concat -> CondConv 1x1 -> BatchNorm -> ReLU), 32
channels; EMA1D with 4 groups; 2-layer LSTM of 64; Dense head; no dropout. AdamW 1e-3 (weight
decay 1e-4), MSE, batch 32, shuffled, last partial batch dropped. Sophia is not used here because
PyTorch has no reference implementation of it; the step cost it adds is measured in
benchmarks/sophia_overhead.py. Timing: per-epoch wall time from each loop; epoch 1 (cpjax: jit
compilation) is reported separately and excluded from the medians.

    python benchmarks/combined_training.py            # 30 epochs, 3 repeats, + ablation wall time
    python benchmarks/combined_training.py --quick    # CI-sized
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _common import (
    cold_and_warm,
    describe,
    framework_rows,
    machine,
    torch_device,
    torch_epochs,
    write,
)

import cpjax  # noqa: F401  (sets the XLA CPU flags before JAX starts)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lstm_training import windows  # noqa: E402


def run_cpjax(X, Y, epochs, channels=32, hidden=64, unroll=True, seed=0):
    from cpjax.nn import CombinedConfig, CombinedForecaster
    from cpjax.optim import optimizer_config
    from cpjax.train import TrainConfig, fit_network

    cfg = CombinedConfig(channels=channels, groups=4, num_experts=4, aspp_dropout=0.0,
                         hidden_size=hidden, num_layers=2, dropout=0.0, unroll=unroll)
    module = CombinedForecaster(cfg, 1)

    def fit(s):
        res = fit_network(module, optimizer_config("adamw", 1e-3, weight_decay=1e-4), X, Y,
                          None, None, TrainConfig(epochs=epochs, batch_size=32, patience=0,
                                                  seed=1000 * seed + s))
        return float(res.history["train_loss"][-1, 0])

    return cold_and_warm(fit)


def torch_model(n_features, channels=32, hidden=64, experts=4, groups=4, rates=(1, 2, 3),
                num_layers=2):
    """The same network in PyTorch, channels-first as in seed 000."""
    import torch
    from torch import nn

    class CondConv(nn.Module):
        def __init__(self, cin, cout, k=1, dilation=1):
            super().__init__()
            self.k, self.d, self.cout = k, dilation, cout
            self.weight = nn.Parameter(torch.randn(experts, cout, cin, k) * (cin * k) ** -0.5)
            self.bias = nn.Parameter(torch.zeros(experts, cout))
            self.route = nn.Linear(cin, experts)

        def forward(self, x):  # (B, C, L)
            r = torch.sigmoid(self.route(x.mean(dim=2)))  # (B, E)
            w = self.weight.reshape(-1, *self.weight.shape[2:])  # (E*cout, cin, k)
            y = nn.functional.conv1d(x, w, padding=self.d * (self.k - 1) // 2, dilation=self.d)
            y = y.view(x.shape[0], experts, self.cout, -1)
            return torch.einsum("becl,be->bcl", y, r) + (r @ self.bias)[:, :, None]

    class ASPP(nn.Module):
        def __init__(self, cin):
            super().__init__()
            self.cc = CondConv(cin, channels)
            self.atrous = nn.ModuleList(nn.Conv1d(cin, channels, 3, padding=r, dilation=r)
                                        for r in rates)
            self.pool = nn.Linear(cin, channels)
            self.fuse = CondConv(channels * (len(rates) + 2), channels)
            self.bn = nn.BatchNorm1d(channels, eps=1e-5, momentum=0.1)

        def forward(self, x):
            L = x.shape[2]
            branches = [self.cc(x)] + [a(x) for a in self.atrous]
            branches.append(self.pool(x.mean(dim=2))[:, :, None].expand(-1, -1, L))
            return torch.relu(self.bn(self.fuse(torch.cat(branches, dim=1))))

    class EMA(nn.Module):
        def __init__(self, c):
            super().__init__()
            cg = c // groups
            self.conv1 = nn.Conv1d(cg, cg, 1)
            self.conv3 = nn.Conv1d(cg, cg, 3, padding=1)
            self.gn = nn.GroupNorm(cg, cg, eps=1e-5)

        def forward(self, x):  # (B, C, T)
            B, C, T = x.shape
            gx = x.reshape(B * groups, -1, T)
            hw = self.conv1(torch.cat([gx, gx.mean(dim=2, keepdim=True)], dim=2))
            x1 = self.gn(gx * torch.sigmoid(hw[..., :T]) * torch.sigmoid(hw[..., T:]))
            x2 = self.conv3(gx)
            x11 = torch.softmax(x1.mean(dim=2), dim=-1)[:, None, :]
            x21 = torch.softmax(x2.mean(dim=2), dim=-1)[:, None, :]
            w = x11 @ x2 + x21 @ x1  # (BG, 1, T)
            return (gx * torch.sigmoid(w)).reshape(B, C, T)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.aspp, self.ema = ASPP(n_features), EMA(channels)
            self.lstm = nn.LSTM(channels, hidden, num_layers=num_layers, batch_first=True)
            self.head = nn.Linear(hidden, 1)

        def forward(self, x):  # (B, L, F)
            h = self.ema(self.aspp(x.transpose(1, 2))).transpose(1, 2)
            return self.head(self.lstm(h)[0][:, -1, :])

    return Net()


def run_torch(X, Y, epochs, seed=0):
    import torch

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = torch_model(X.shape[2])
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    net.train()
    return torch_epochs(net, opt, X, Y, epochs, g, device=torch_device())


def ablation_wall_time(quick: bool) -> dict:
    """The whole ``cpjax ablation --demo`` (six rows + persistence + ARIMA), one process."""
    from cpjax.data import demo_market
    from cpjax.forecast import DataSpec, ForecasterConfig, run_ablation

    epochs, seeds = (3, 2) if quick else (30, 4)
    cfg = ForecasterConfig().with_settings(dict(epochs=epochs, seeds=seeds, patience=0,
                                                residual=True))
    t0 = time.perf_counter()
    run = run_ablation(DataSpec(demo_market(), select="pcc"), None, config=cfg)
    return {"wall_s": time.perf_counter() - t0, "epochs": epochs, "seeds": seeds,
            "per_row_s": run.timings}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-ablation", action="store_true", help="skip the ablation wall time")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="PyTorch intra-op threads (1: on this shared 2-core machine, 2 threads "
                         "spin-waited and ran 20-100x slower)")
    args = ap.parse_args()
    epochs, repeats = (4, 1) if args.quick else (30, 3)
    X, Y, cols = windows()
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    result = {"machine": machine(), "data": {"source": "cpjax demo_market(n_days=530), synthetic",
                                             "inputs": cols, "train_windows": len(X),
                                             "lookback": 10}, "epochs": epochs}
    try:
        import torch

        torch.set_num_threads(args.torch_threads)
        have_torch = True
        result["torch"] = torch.__version__
        result["torch_threads"] = args.torch_threads
    except ImportError:
        have_torch = False
    rows = framework_rows(run_cpjax, run_torch if have_torch else None, X, Y, epochs, repeats)
    result["framework"] = rows
    if not args.no_ablation:
        result["ablation"] = ablation_wall_time(args.quick)
        print(result["ablation"], flush=True)
    m = result["machine"]
    md = ["# Combined ASPP-EMA-LSTM training: cpjax vs PyTorch eager", "",
          f"Device: {describe(m)}.", "",
          f"Data: {result['data']['source']}, {len(X)} training windows, {len(cols)} inputs, "
          f"lookback 10; ASPP(32, CondConv 4 experts, rates 1/2/3) -> EMA(4 groups) -> 2x64 LSTM "
          f"-> Dense; AdamW 1e-3, batch 32, {epochs} epochs. cpjax: cold = first fit (compiles), "
          f"warm = second fit (per epoch = warm / epochs); PyTorch: median over epochs 2..N with "
          f"{args.torch_threads} intra-op thread(s); load average at the start "
          f"{os.getloadavg()[0]:.1f}.", ""]
    if have_torch:
        med = lambda k: statistics.median(r[k] for r in rows)  # noqa: E731
        md += ["| measure | cpjax | PyTorch eager | ratio (torch / cpjax) |", "|---|---:|---:|---:|",
               f"| time per epoch, s (median of {repeats} runs) | {med('cpjax_epoch_s'):.4f} | "
               f"{med('torch_epoch_s'):.4f} | {med('ratio_torch_over_cpjax'):.2f} |",
               f"| cold fit, s (cpjax: {med('cpjax_compiles'):.0f} compilations) | "
               f"{med('cpjax_cold_fit_s'):.3f} | | |",
               f"| total {epochs} epochs incl. compile, ratio | | | {med('ratio_incl_compile'):.2f} |",
               f"| final training MSE (scaled) | {med('cpjax_final_loss'):.5f} | "
               f"{med('torch_final_loss'):.5f} | |", ""]
    if "ablation" in result:
        a = result["ablation"]
        md += [f"Whole ablation (`run_ablation` on the demo market, PCC inputs, residual networks, "
               f"{a['epochs']} epochs, {a['seeds']} seeds, 6 rows + persistence + ARIMA): "
               f"{a['wall_s']:.1f} s wall on this machine.", "",
               "| row | fit + predict, s |", "|---|---:|"]
        md += [f"| {k} | {v:.1f} |" for k, v in a["per_row_s"].items()]
    write("combined_training" + ("_quick" if args.quick else ""), result, "\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
