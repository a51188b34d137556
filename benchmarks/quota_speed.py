"""Time the allowance accounts of all units under all rule sets (cpjax.quota).

Full mode uses the real inventory (GEM coal + gas trackers, ~3,650 operating units) and the five
shipped rule sets, with 2021 NBS provincial thermal output shared over the units; ``--quick``
uses the synthetic demo inventory (no shared data needed).  Timed side by side in one run,
median of ``--repeats``, warm-up and JAX compile excluded (compile reported separately):

* ``numpy``        - cpjax's default backend: one broadcast over (rule sets x units);
* ``numpy_loop``   - the same function called once per rule set;
* ``jax``          - ``jit(vmap(...))`` over rule sets on device arrays (``block_until_ready``);
* ``jax_wrapper``  - the public ``account(..., backend="jax")`` incl. host<->device copies;
* ``python_loop``  - a scalar per-unit, per-rule-set Python loop (the obvious hand-written code).

Also a sweep over S = 5, 64, 1024 perturbed rule sets (numpy vs jax).  Writes
``benchmarks/results/quota_speed[_quick].json`` and ``.md``.

    python benchmarks/quota_speed.py [--quick] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

from cpjax._paths import shared_data_dir
from cpjax.quota import (
    AccountingConfig,
    account,
    available_rules,
    build_inventory,
    demo_generation,
    demo_units,
    load_rules,
    prepare_inventory,
    rule_arrays,
    share_generation,
    unit_arrays,
)
from cpjax.quota._generation import annual_table, read_generation


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def python_loop(units, gen, rule_sets) -> np.ndarray:
    """Scalar reference: one unit and one rule set at a time (plain floats)."""
    rows = list(zip(units["category"], units["fuel"], units["capacity_mw"], units["aux_rate"],
                    units["net_coal_rate_gce_per_kwh"], units["gas_heat_rate_gj_per_mwh"],
                    units["cooling"], units["heat_ratio"], gen))
    out = np.zeros((len(rule_sets), len(rows)))
    for i, rs in enumerate(rule_sets):
        for j, (cat, fuel, cap, aux, ncr, hr, cool, h, g) in enumerate(rows):
            if cat == "excluded":
                continue
            coal = fuel == "coal"
            supply = g * (1 - aux)
            fp = supply * ncr / 1000 * 29.307 if coal else supply * hr
            fh_fuel = fp * h / (1 - h)
            heat = fh_fuel * 0.86
            emis = (fp + fh_fuel) * (0.0275 if coal else 0.01532) * 0.99 * 44 / 12
            load = g / (cap * 8760)
            pct = 100 * load
            fl = 1.0
            if cat in ("coal_large", "coal_small") and rs.load_correction:
                if pct >= 85:
                    fl = 1.0
                elif pct >= 80:
                    fl = 1 + 0.0014 * (85 - pct)
                elif pct >= 75:
                    fl = 1.007 + 0.0016 * (80 - pct)
                else:
                    fl = 1.015 ** (16 - 20 * load)
            fc = rs.cooling_air if coal and cool == "air" else 1.0
            fheat = 1 - (rs.heat_coeff_coal if coal else rs.heat_coeff_gas) * h
            allow = supply * rs.benchmarks[cat] * fc * fheat * fl + heat * rs.benchmarks[
                "heat_coal" if coal else "heat_gas"]
            oblig = min(emis, allow * (1 + rs.obligation_cap)) if coal and rs.obligation_cap > 0 else emis
            if not coal and rs.gas_never_buy:
                oblig = min(emis, allow)
            out[i, j] = allow - oblig
    return out


def _inputs(quick: bool):
    root = shared_data_dir()
    if not quick and root is not None:
        t0 = time.perf_counter()
        plants = root / "plants"
        inv = build_inventory([plants / "gcpt_jul2023_china_units.csv", plants / "gogpt_feb2024_china_units.csv"])
        monthly, _ = read_generation(root / "power" / "provincial_generation_monthly_ytd.csv")
        prov = annual_table(monthly).loc[2021]
        load_s = time.perf_counter() - t0
        data = "GEM GCPT Jul 2023 + GOGPT Feb 2024 operating units; NBS thermal generation 2021"
    else:
        t0 = time.perf_counter()
        inv = prepare_inventory([demo_units(0, 3500)], ("synthetic demo",))
        prov = annual_table(demo_generation(inv.units, 0)).loc[2021]
        load_s = time.perf_counter() - t0
        data = "synthetic demo inventory (3,500 units), synthetic generation 2021"
    gen, _ = share_generation(inv.units, prov)
    return inv, gen, load_s, data


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=str(Path(__file__).with_name("results")))
    args = ap.parse_args(argv)
    import jax

    from cpjax.quota._jax_backend import account_jax_arrays, to_device

    inv, gen, load_s, data = _inputs(args.quick)
    t0 = time.perf_counter()
    rule_sets = [load_rules(n) for n in available_rules()]
    rules_s = time.perf_counter() - t0
    u, r = unit_arrays(inv.units), rule_arrays(rule_sets)
    S, U = len(rule_sets), len(inv.units)
    repeats = 3 if args.quick else args.repeats
    times = {}
    times["numpy"] = _median_time(lambda: account(u, gen, r), repeats)
    times["numpy_loop"] = _median_time(
        lambda: [account(u, gen, rule_arrays([rs])) for rs in rule_sets], repeats)
    cfg = AccountingConfig(backend="jax")
    ud, rd = to_device(u, r)
    gd = jax.numpy.broadcast_to(jax.numpy.asarray(gen, dtype=jax.numpy.result_type(float)), (S, U))
    t0 = time.perf_counter()
    jax.block_until_ready(account_jax_arrays(ud, gd, rd, cfg))
    compile_s = time.perf_counter() - t0
    times["jax"] = _median_time(lambda: jax.block_until_ready(account_jax_arrays(ud, gd, rd, cfg)), repeats)
    times["jax_wrapper"] = _median_time(lambda: account(u, gen, r, cfg), repeats)
    times["python_loop"] = _median_time(lambda: python_loop(inv.units, gen, rule_sets), max(1, repeats // 3))
    # agreement
    ref = python_loop(inv.units, gen, rule_sets)
    agree = float(np.max(np.abs(account(u, gen, r)["surplus_t"] - ref)))
    # sweep over many rule sets
    rng = np.random.default_rng(0)
    sweep = {}
    for s in ((5, 64) if args.quick else (5, 64, 1024)):
        base = [rule_sets[i % S] for i in range(s)]
        ra = rule_arrays(base)
        ra = ra._replace(bench_power=ra.bench_power * rng.uniform(0.95, 1.05, ra.bench_power.shape))
        gs = np.broadcast_to(gen, (s, U))
        tn = _median_time(lambda ra=ra, gs=gs: account(u, gs, ra), repeats)
        ud2, rd2 = to_device(u, ra)
        gd2 = jax.numpy.broadcast_to(jax.numpy.asarray(gen, dtype=jax.numpy.result_type(float)), (s, U))
        t0 = time.perf_counter()
        jax.block_until_ready(account_jax_arrays(ud2, gd2, rd2, cfg))
        comp = time.perf_counter() - t0
        tj = _median_time(lambda ud2=ud2, gd2=gd2, rd2=rd2: jax.block_until_ready(
            account_jax_arrays(ud2, gd2, rd2, cfg)), repeats)
        sweep[s] = {"numpy_s": tn, "jax_s": tj, "jax_compile_s": comp, "jax_over_numpy": tj / tn}
    result = {
        "benchmark": "quota_speed", "quick": args.quick, "data": data, "units": U, "rule_sets": S,
        "rule_set_names": [rs.name for rs in rule_sets], "repeats": repeats,
        "device": f"{platform.processor() or platform.machine()} CPU ({jax.default_backend()}: "
                  f"{', '.join(str(d) for d in jax.devices())})",
        "load_inventory_and_generation_s": load_s, "load_rules_s": rules_s, "jax_compile_s": compile_s,
        "median_s": times, "speedup_vs_python_loop": {k: times["python_loop"] / v for k, v in times.items()},
        "max_abs_diff_vs_python_loop_t": agree, "sweep": sweep,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "quota_speed_quick" if args.quick else "quota_speed"
    (out / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [f"# quota_speed ({'quick' if args.quick else 'full'})", "",
             f"Data: {data}. {U} units x {S} rule sets ({', '.join(result['rule_set_names'])}). "
             f"Device: {result['device']}. Median of {repeats} runs after a warm-up; "
             f"JAX compile {compile_s * 1e3:.0f} ms (excluded). Loading inventory + generation "
             f"{load_s:.2f} s, rule files {rules_s * 1e3:.1f} ms (excluded).", "",
             "| method | median time (ms) | speed-up vs Python loop |", "|---|---|---|"]
    for k, v in times.items():
        lines.append(f"| {k} | {v * 1e3:.3f} | {times['python_loop'] / v:.0f}x |")
    lines += ["", f"Max |numpy - python loop| surplus: {agree:.2e} t.", "",
              "| rule sets S | numpy (ms) | jax jit+vmap (ms) | jax compile (ms) | jax/numpy |",
              "|---|---|---|---|---|"]
    for s, v in sweep.items():
        lines.append(f"| {s} | {v['numpy_s'] * 1e3:.2f} | {v['jax_s'] * 1e3:.2f} | "
                     f"{v['jax_compile_s'] * 1e3:.0f} | {v['jax_over_numpy']:.2f} |")
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return result


if __name__ == "__main__":
    main()
