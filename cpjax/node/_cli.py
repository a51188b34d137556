"""``cpjax node train`` and ``cpjax node generate``: what the commands do once parsed (parsers:
:mod:`cpjax.cli._node`)."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from .._errors import CpjaxInputError
from .._progress import status

__all__ = ["generate", "train"]


def _names(text: str | None) -> list[str] | None:
    if text is None or text.strip().lower() in ("", "all"):
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _initial(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    out = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise CpjaxInputError(f"--initial {text!r}: expected SERIES=VALUE pairs separated by "
                                  "commas in original units, e.g. thermal=40.5,hydro=1.2") from None
    return out


def train(args: argparse.Namespace) -> int:
    from ._api import BASELINES, train_to_dir
    from ._config import NodeConfig, PreprocessConfig

    baselines = tuple(_names(args.baselines) or ())
    bad = [b for b in baselines if b not in BASELINES]
    if bad:
        raise CpjaxInputError(f"unknown baseline(s) {bad}; fix: choose from {', '.join(BASELINES)}")
    cfg = dataclasses.replace(NodeConfig(), width=args.width, depth=args.depth,
                              activation=args.activation, solver=args.solver,
                              learning_rate=args.lr, optimizer=args.optimizer,
                              seed=args.seed, window=args.window,
                              state=args.state, epochs=args.epochs, patience=args.patience,
                              preprocess=PreprocessConfig())
    status(f"cpjax node train: {'demo data' if args.demo else args.data}, up to {args.epochs} "
           f"epochs")
    progress = True if args.progress else (False if args.quiet else None)
    res = train_to_dir(args.out, data=args.data, demo=args.demo, series=_names(args.series),
                       provinces=_names(args.province), start=args.start, config=cfg,
                       baselines=baselines, progress=progress)
    args.stages.update({"compile_s": res.fit.compile_seconds, "train_s": res.fit.train_seconds})
    if not args.quiet:
        m = res.metrics
        overall = m[m["panel"] == "ALL"] if "panel" in m.columns else m
        print(f"best epoch {res.fit.best_epoch} of {res.fit.epochs_run}, stopped early: "
              f"{res.fit.stopped_early}; test errors (rmse_z: RMSE in training standard "
              "deviations, mape in %):")
        cols = [c for c in ("method", "rmse_z", "mape") if c in overall.columns]
        print(overall[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0


def generate(args: argparse.Namespace) -> int:
    from ._api import generate_to_dir
    from ._model import load_model

    load_model(args.model)  # a clear message for a folder without a model, before any work
    args.record_inputs["--model"] = args.model
    traj = generate_to_dir(args.model, args.out, initial=_initial(args.initial), until=args.until,
                           start=args.start, panels=_names(args.province), grid=args.grid)
    if traj.status != "plausible":
        bad = traj.plausibility["violations"]
        print(f"warning: {len(bad)} plausibility violation(s), e.g. {bad[0]['message']}; see "
              f"{args.out}/plausibility.json (cpjax scenarios --drivers node refuses these "
              "paths unless --allow-implausible-drivers)", file=sys.stderr)
    if not args.quiet:
        print(f"{len(traj.panels)} path(s) ({', '.join(map(str, traj.panels))}), "
              f"{len(traj.dates)} {args.grid} points {traj.dates[0]} .. {traj.dates[-1]}, "
              f"series {', '.join(traj.series)} in {traj.units}; plausibility: {traj.status}")
    return 0
