"""``cpjax quota``: what the command does once parsed (parser: :mod:`cpjax.cli._quota`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._errors import CpjaxInputError
from .._progress import status

__all__ = ["quota"]


def quota(args: argparse.Namespace) -> int:
    from ._rules import _resolve, load_rules
    from ._run import QuotaConfig, run_quota

    if args.gas_units and args.demo:
        raise CpjaxInputError("--gas-units needs --units, not --demo; fix: drop one of them")
    for spec in [args.rules, *args.compare_rules]:  # strict check of every rule file first
        load_rules(spec)
        path = _resolve(spec)
        args.record_inputs[f"--rules {spec}"] = str(path)
    if args.fill_rules:
        from ._fill import load_fill_rules

        load_fill_rules(args.fill_rules)
    cfg = QuotaConfig(demo=args.demo, units=args.units, gas_units=args.gas_units,
                      generation=args.generation, heat=args.heat,
                      generation_share=args.generation_share, fill_rules=args.fill_rules,
                      rules=args.rules, compare_rules=tuple(args.compare_rules), year=args.year,
                      output_model=args.output_model, carbon=args.carbon,
                      default_carbon_share=args.default_carbon_share, backend=args.backend,
                      seed=args.seed)
    status(f"cpjax quota: {'demo units' if args.demo else Path(args.units).name}, rules "
           f"{', '.join([args.rules, *args.compare_rules])}")
    res = run_quota(cfg, args.out)
    if not args.quiet:
        for line in res.inventory.summary_lines()[:6]:
            print(line)
        nat = res.by_category[res.by_category["category"] == "national"]
        for r in nat.itertuples():
            print(f"rules {r.rules} (year {res.year}): {r.units} units, emissions "
                  f"{r.emissions_mt:.1f} Mt CO2, allowances {r.allowances_mt:.1f} Mt, surplus "
                  f"{r.surplus_mt:+.1f} Mt")
    return 0
