"""``cpjax scenarios`` as a library function: drivers, S1–S5 along the path, tables and figures."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import CpjaxInputError
from .._io import atomic_output_dir, write_config, write_csv_rows, write_json
from ._drivers_io import drivers_from_trajectories, drivers_table
from ._dynamics import Drivers, PathConfig, trend_drivers
from ._load import model_from_options
from ._scenarios import Scenario, demo_scenarios, load_scenario, run_scenarios
from ._x64 import x64

__all__ = ["ScenariosRun", "run_scenarios_to_dir", "scenario_rows", "peak_years", "plot_scenarios",
           "compare_runs", "parse_years"]

FIGURES = {"energy": ("energy_mtce", "Energy use (Mtce)"),
           "volume": ("trading_volume_mt", "Trading volume (Mt CO2)"),
           "price": ("carbon_price", "Carbon price (CNY/t)"),
           "emissions": ("emissions_mt", "CO2 emissions (Mt)")}


@dataclasses.dataclass(frozen=True)
class ScenariosRun:
    """Settings of one ``cpjax scenarios`` run.

    Attributes:
        demo: the shipped stylized provincial SAM (synthetic) and specification.
        sam, spec: user SAM and specification (with an ``[energy]`` table) when not ``demo``.
        first_year, last_year: the path (the SAM is the first year).
        drivers: ``"trend"`` (constant growth, :func:`~cpjax.cge.trend_drivers`) or ``"node"``.
        scenarios: names of shipped scenarios (default S1–S5); scenario_files: user TOML files.
        node_trajectories: ``trajectories.csv`` of ``cpjax node generate`` (``--drivers node``).
        panel: which panel (province) of the trajectories.
        allow_implausible_drivers: run ``--drivers node`` on paths whose plausibility status is
            not ``"plausible"`` (refused by default, see :func:`~cpjax.cge.check_trajectories`).
        seed: accepted for uniformity (nothing here is random).
    """

    demo: bool = False
    sam: str | None = None
    spec: str | None = None
    first_year: int = 2022
    last_year: int = 2030
    drivers: str = "trend"
    scenarios: tuple[str, ...] | None = None
    scenario_files: tuple[str, ...] = ()
    node_trajectories: str | None = None
    panel: str | None = None
    allow_implausible_drivers: bool = False
    seed: int = 0
    progress: bool = False


def parse_years(text: str) -> tuple[int, int]:
    """``"2022-2030"`` -> (2022, 2030)."""
    try:
        a, b = (int(x) for x in text.split("-"))
    except ValueError:
        raise CpjaxInputError(f"--years {text!r}: expected FIRST-LAST, e.g. 2022-2030") from None
    if b <= a:
        raise CpjaxInputError(f"--years {text!r}: the last year must be after the first")
    return a, b


def scenario_rows(model: Any, results: Mapping[str, Mapping[str, np.ndarray]],
                  years: Sequence[int], drivers_label: str = "") -> list[dict[str, Any]]:
    """One row per scenario and year (scenarios.csv). ``welfare_ev`` is the household's real
    consumption minus that of S1 (or of the no-ETS path when S1 is not run), same year, in SAM
    value units at benchmark prices."""
    base = results.get("S1", results["no_ets"])
    rows = []
    for name, o in results.items():
        if name == "no_ets":
            continue
        for i, y in enumerate(years):
            rows.append({
                "scenario": name, "year": int(y), "drivers": drivers_label,
                "energy_mtce": float(o["energy_mtce"][i]), "emissions_mt": float(o["emissions_mt"][i]),
                "covered_emissions_mt": float(o["covered_emissions_mt"][i]),
                "cap_mt": float(o["cap_mt"][i]),
                "trading_volume_mt": float(o["trading_volume_mt"][i]),
                "carbon_price_cny": float(o["carbon_price"][i]), "gdp": float(o["gdp"][i]),
                "welfare_ev": float(o["real_consumption"][i] - base["real_consumption"][i]),
                "carbon_revenue": float(o["carbon_revenue"][i]),
                "government_income": float(o["government_income"][i]),
                "capital": float(o["capital"][i]),
                "status": int(o["status"][i]), "iterations": int(o["iterations"][i]),
                "residual": float(o["residual"][i])})
    return rows


def sector_rows(model: Any, results: Mapping[str, Mapping[str, np.ndarray]],
                years: Sequence[int]) -> list[dict[str, Any]]:
    """One row per scenario, year and sector (sectors.csv)."""
    rows = []
    for name, o in results.items():
        if name == "no_ets":
            continue
        for i, y in enumerate(years):
            for k, s in enumerate(model.sectors):
                rows.append({"scenario": name, "year": int(y), "sector": s,
                             "emissions_mt": float(o["sector_emissions_mt"][i, k]),
                             "indirect_mt": float(o["sector_indirect_mt"][i, k]),
                             "allocation_mt": float(o["allocation_mt"][i, k]),
                             "carbon_price_cny": float(o["sector_price"][i, k]),
                             "output": float(o["sector_output"][i, k])})
    return rows


def peak_years(results: Mapping[str, Mapping[str, np.ndarray]], years: Sequence[int],
               keys: Sequence[str] = ("energy_mtce", "emissions_mt")) -> list[dict[str, Any]]:
    """Year of the maximum of each series per scenario; ``peaked`` is False when the maximum is
    the last year (no peak inside the horizon)."""
    rows = []
    for name, o in results.items():
        if name == "no_ets":
            continue
        row: dict[str, Any] = {"scenario": name}
        for k in keys:
            x = np.asarray(o[k])
            i = int(np.argmax(x))
            row[f"{k}_peak_year"] = int(years[i])
            row[f"{k}_peak"] = float(x[i])
            row[f"{k}_peaked"] = bool(i < len(x) - 1)
        rows.append(row)
    return rows


def compare_runs(a: Mapping[str, Mapping[str, np.ndarray]], b: Mapping[str, Mapping[str, np.ndarray]],
                 labels: tuple[str, str] = ("trend", "node"),
                 keys: Sequence[str] = ("energy_mtce", "emissions_mt", "carbon_price",
                                        "trading_volume_mt")) -> list[dict[str, Any]]:
    """Per scenario and variable: last-year values, mean relative gap, and year-on-year
    volatility (std of log changes) of two runs (e.g. trend- vs Neural-ODE-driven)."""
    rows = []
    for name in a:
        if name == "no_ets" or name not in b:
            continue
        for k in keys:
            x, y = np.asarray(a[name][k]), np.asarray(b[name][k])
            ok = (x > 1e-9) & (y > 1e-9)
            gap = float(np.mean(np.abs(y[ok] / x[ok] - 1))) if ok.any() else float("nan")

            def vol(v: np.ndarray) -> float:
                v = v[v > 1e-9]
                return float(np.std(np.diff(np.log(v)))) if len(v) > 2 else float("nan")

            rows.append({"scenario": name, "variable": k, f"last_{labels[0]}": float(x[-1]),
                         f"last_{labels[1]}": float(y[-1]), "mean_abs_rel_gap": gap,
                         f"yoy_vol_{labels[0]}": vol(x), f"yoy_vol_{labels[1]}": vol(y)})
    return rows


def plot_scenarios(results: Mapping[str, Mapping[str, np.ndarray]], years: Sequence[int],
                   out: Path, title_suffix: str = "") -> list[Path]:
    """The four figures of seed 001 (Fig. 3–6): energy, volume, price, emissions by year."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for fname, (key, label) in FIGURES.items():
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        styles = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1)), "v")]
        shown = [n for n in results if n != "no_ets"]
        for k, name in enumerate(shown):  # distinct styles: S1–S3 and S4/S5 nearly coincide
            ls, mk = styles[k % len(styles)]
            ax.plot(list(years), np.asarray(results[name][key]), linestyle=ls, marker=mk, ms=4,
                    label=name, alpha=0.85)
        ax.set_xlabel("year")
        ax.set_ylabel(label)
        ax.set_title(label + title_suffix)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        p = out / f"{fname}.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        paths.append(p)
    return paths


def resolve_drivers(run: ScenariosRun) -> Drivers:
    """The drivers a run asks for (trend, or from Neural ODE trajectories)."""
    if run.drivers == "trend":
        with x64():
            return trend_drivers(run.first_year, run.last_year)
    if run.drivers != "node":
        raise CpjaxInputError(f"--drivers {run.drivers!r}: choose 'trend' or 'node'")
    if run.node_trajectories:
        return drivers_from_trajectories(run.node_trajectories, run.first_year, run.last_year,
                                         run.panel,
                                         allow_implausible=run.allow_implausible_drivers)
    raise CpjaxInputError(
        "--drivers node needs --node-trajectories PATH (trajectories.csv of `cpjax node "
        "generate`); fix: e.g. `cpjax node train --demo --out runs/node`, then `cpjax node "
        "generate --model runs/node --start 2021-01 --until 2030-12 --out runs/traj`, then "
        "--node-trajectories runs/traj/trajectories.csv")


def run_scenarios_to_dir(run: ScenariosRun, out: str | os.PathLike,
                         config: PathConfig | None = None) -> dict[str, Any]:
    """Run the scenarios and write scenarios.csv, sectors.csv, peaks.csv, drivers.csv, the four
    figures (energy.png, volume.png, price.png, emissions.png), timing.json and config.json.

    Raises :class:`~cpjax.CpjaxInputError` on bad input or when some year does not converge
    (nothing is written then). Returns a summary dict.
    """
    config = config or PathConfig()
    model, sam_path, spec_path = model_from_options(run.demo, run.sam, run.spec)
    scens: list[Scenario] = [load_scenario(p) for p in run.scenario_files]
    if run.scenarios is not None or not scens:
        names = list(run.scenarios) if run.scenarios is not None else None
        shipped = demo_scenarios(names)
        have = {s.name for s in scens}
        scens = [s for s in shipped if s.name not in have] + scens
    # references of the chosen scenarios that were not chosen are added (e.g. S1)
    by_name = {s.name: s for s in demo_scenarios()}
    names_now = {s.name for s in scens}
    for s in list(scens):
        if s.reference not in ("no_ets", *names_now) and s.reference in by_name:
            scens.insert(0, by_name[s.reference])
            names_now.add(s.reference)
    drivers = resolve_drivers(run)
    years = list(range(run.first_year, run.last_year + 1))
    if len(np.asarray(drivers.years)) != len(years):
        raise CpjaxInputError(f"drivers cover {len(np.asarray(drivers.years))} years, --years asks "
                              f"for {len(years)}")
    t0 = time.perf_counter()
    results = run_scenarios(model, drivers, scens, config=config)
    seconds = time.perf_counter() - t0
    bad = [(n, int(years[i])) for n, o in results.items() for i in np.nonzero(o["status"])[0]]
    if bad:
        raise CpjaxInputError(f"the equilibrium was not reached in {bad[:5]} (scenario, year); "
                              "fix: check the drivers (growth rates of several %/yr per year are "
                              "far from the benchmark) or the scenario's reduction rates")
    rows = scenario_rows(model, results, years, run.drivers)
    with atomic_output_dir(out) as tmp:
        write_csv_rows(tmp / "scenarios.csv", rows)
        write_csv_rows(tmp / "sectors.csv", sector_rows(model, results, years))
        write_csv_rows(tmp / "peaks.csv", peak_years(results, years))
        write_csv_rows(tmp / "drivers.csv", drivers_table(drivers, run.drivers))
        plot_scenarios(results, years, tmp, f" ({run.drivers} drivers)")
        write_json(tmp / "timing.json", {"seconds_including_compile": seconds})
        write_config(tmp, run, sam_file=str(sam_path), spec_file=str(spec_path),
                     scenarios=[dataclasses.asdict(s) for s in scens], path_config=config)
    return {"scenarios": [s.name for s in scens], "seconds": seconds, "rows": len(rows)}
