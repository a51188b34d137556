"""Synthetic SAMs: random balanced SAMs (property tests) and sector splitting (scaling benchmarks).

Both are deterministic given a seed.  ``random_sam`` draws positive flows for a small open
economy and closes each account with a residual entry (balanced by construction); ``split_sectors`` turns each sector of a
SAM into ``k`` perturbed copies (rows and columns split by the same weights, cells perturbed,
then RAS-balanced), which is how the 40- and 140-sector benchmark models are made.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ._sam import Sam, balance_ras

__all__ = ["random_sam", "split_sectors", "sector_counts", "generated_model"]


def random_sam(n_sectors: int, seed: int, two_partners: bool = True) -> tuple[Sam, dict[str, Any]]:
    """A random balanced SAM with ``n_sectors`` sectors and a matching specification dict.

    Accounts: sectors S1..Sn, LAB, CAP, HOH, GOV, SAV, PTX (production tax), TRF (tariff),
    ROW (+ ROC).  Elasticities are drawn too (CES/CET between 0.2 and 3, some Cobb–Douglas and
    Leontief nests).
    """
    rng = np.random.default_rng(seed)
    sectors = [f"S{i + 1}" for i in range(n_sectors)]
    partners = ["ROW", "ROC"] if two_partners else ["ROW"]
    acc = sectors + ["LAB", "CAP", "HOH", "GOV", "SAV", "PTX", "TRF"] + partners
    ix = {a: k for k, a in enumerate(acc)}
    a = np.zeros((len(acc), len(acc)))
    S = [ix[s] for s in sectors]
    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    for j in S:  # sector columns: inputs, factors, production tax, imports, tariff
        for i in S:
            if rng.uniform() < 0.8:
                a[i, j] = u(1, 10)
        a[ix["LAB"], j], a[ix["CAP"], j] = u(5, 30), u(5, 30)
        a[ix["PTX"], j] = u(0.0, 0.1) * a[:, j].sum()
        for p in partners:
            a[ix[p], j] = u(0.02, 0.3) * a[:, j].sum()
        a[ix["TRF"], j] = u(0.0, 0.15) * a[ix["ROW"], j]
    for i in S:  # sector rows: exports, then final demand closes the row
        col = a[:, i].sum()
        for p in partners:
            a[i, ix[p]] = u(0.0, 0.15) * col
        final = col - a[i, :].sum()
        if final < 0.2 * col:  # not enough supply: more imports from the last partner
            extra = (0.2 * col - final) / 0.8
            a[ix[partners[-1]], i] += extra
            final = a[:, i].sum() - a[i, :].sum()
        shares = rng.dirichlet([4.0, 1.0, 2.0])
        a[i, ix["HOH"]], a[i, ix["GOV"]], a[i, ix["SAV"]] = final * shares
    a[ix["HOH"], ix["LAB"]] = a[ix["LAB"], :].sum()
    a[ix["HOH"], ix["CAP"]] = a[ix["CAP"], :].sum()
    a[ix["GOV"], ix["PTX"]] = a[ix["PTX"], :].sum()
    a[ix["GOV"], ix["TRF"]] = a[ix["TRF"], :].sum()
    a[ix["HOH"], ix["GOV"]] = u(0.02, 0.1) * a[ix["GOV"], :].sum()
    for p in partners:
        a[ix["HOH"], ix[p]] = u(0.0, 0.05) * a[ix["HOH"], :].sum()
    hh_in = a[ix["HOH"], :].sum()
    a[ix["GOV"], ix["HOH"]] = u(0.02, 0.15) * hh_in
    sav = hh_in - a[:, ix["HOH"]].sum()
    if sav < 0.05 * hh_in:  # keep household saving positive with a transfer from a partner
        a[ix["HOH"], ix[partners[0]]] += 0.05 * hh_in - sav + 0.05 * (0.05 * hh_in - sav)
        hh_in = a[ix["HOH"], :].sum()
        sav = hh_in - a[:, ix["HOH"]].sum()
    a[ix["SAV"], ix["HOH"]] = sav
    gov_in = a[ix["GOV"], :].sum()
    gsav = gov_in - a[:, ix["GOV"]].sum()
    if gsav < 0.05 * gov_in:
        a[ix["GOV"], ix[partners[-1]]] += 0.1 * gov_in - gsav
        gsav = a[ix["GOV"], :].sum() - a[:, ix["GOV"]].sum()
    a[ix["SAV"], ix["GOV"]] = gsav
    for p in partners:  # capital flows close the partners' accounts
        gap = a[ix[p], :].sum() - a[:, ix[p]].sum()
        if gap > 0:
            a[ix["SAV"], ix[p]] = gap
        else:
            a[ix[p], ix["SAV"]] = -gap
    sam = Sam(tuple(acc), a, source=f"random_sam(n={n_sectors}, seed={seed})")
    sigma = lambda: float(rng.choice([0.0, 1.0, rng.uniform(0.2, 3.0)]))  # noqa: E731
    spec = {
        "model": {"name": f"random-{n_sectors}-{seed}"},
        "accounts": {"sectors": sectors, "factors": ["LAB", "CAP"], "households": ["HOH"],
                     "enterprises": [], "government": ["GOV"], "savings": ["SAV"],
                     "taxes": {"PTX": "production", "TRF": "tariff"}, "partners": partners},
        "production": {"nests": {"top": {"sigma": sigma(), "children": ["VA", "ND"]},
                                 "VA": {"sigma": sigma(), "children": ["LAB", "CAP"]},
                                 "ND": {"sigma": sigma(), "children": ["*"]}}},
        "trade": {"armington": float(rng.uniform(0.5, 3)), "imports": float(rng.uniform(0.5, 3)),
                  "cet": float(rng.uniform(0.5, 3)), "exports": float(rng.uniform(0.5, 3)),
                  "tariff_partner": "ROW"},
        "closure": {"numeraire": str(rng.choice(["LAB", "ROW", sectors[0]])), "fixed_prices": {},
                    "fixed_real": [], "residual": {"GOV": "SAV"}},
    }
    return sam, spec


def sector_counts(sectors: list[str], n_sectors: int) -> dict[str, int]:
    """Copies per sector so that ``len(sectors)`` sectors become ``n_sectors`` (as even as possible)."""
    base, extra = divmod(int(n_sectors), len(sectors))
    if base < 1:
        raise ValueError(f"cannot make {n_sectors} sectors from {len(sectors)}")
    return {s: base + (i < extra) for i, s in enumerate(sectors)}


def split_sectors(sam: Sam, spec: dict[str, Any], k: int | dict[str, int], seed: int = 0,
                  noise: float = 0.2) -> tuple[Sam, dict[str, Any]]:
    """Split every sector into ``k`` perturbed copies ``<name>_1..k`` (energy table dropped);
    ``k`` may be a number of copies per sector (see :func:`sector_counts`)."""
    rng = np.random.default_rng(seed)
    sectors = list(spec["accounts"]["sectors"])
    counts = k if isinstance(k, dict) else {s: int(k) for s in sectors}
    names: list[str] = []
    weight: list[float] = []
    origin: list[int] = []
    for a_idx, a in enumerate(sam.accounts):
        if a in sectors:
            w = rng.dirichlet(np.full(counts[a], 5.0))
            for c in range(counts[a]):
                names.append(f"{a}_{c + 1}")
                weight.append(w[c])
                origin.append(a_idx)
        else:
            names.append(a)
            weight.append(1.0)
            origin.append(a_idx)
    o = np.array(origin)
    w = np.array(weight)
    v = sam.values[np.ix_(o, o)] * w[:, None] * w[None, :]
    v = v * np.exp(noise * rng.standard_normal(v.shape))
    out, _ = balance_ras(Sam(tuple(names), v, source=f"{sam.source} split x{k}"))
    sp = copy.deepcopy({key: val for key, val in spec.items() if key != "energy"})
    expand = {s: [f"{s}_{c + 1}" for c in range(counts[s])] for s in sectors}
    sp["accounts"]["sectors"] = [x for s in sectors for x in expand[s]]
    for nd in sp.get("production", {}).get("nests", {}).values():
        nd["children"] = [x for c in nd["children"] for x in expand.get(c, [c])]
    for key in ("production", "trade"):
        sub = sp.get(key, {}).get("sectors", {})
        sp.setdefault(key, {})["sectors"] = {x: copy.deepcopy(val) for s, val in sub.items()
                                             for x in expand.get(s, [s])}
    clo = sp["closure"]
    if clo["numeraire"] in expand:
        clo["numeraire"] = expand[clo["numeraire"]][0]
    label = f"x{k}" if not isinstance(k, dict) else f"{len(sp['accounts']['sectors'])}"
    sp["model"] = {**sp.get("model", {}), "name": f"{sp.get('model', {}).get('name', 'cge')}-{label}"}
    return out, sp


def generated_model(n_sectors: int, seed: int = 0) -> Any:
    """The shipped provincial model with its 15 sectors split into ``n_sectors`` perturbed,
    RAS-balanced copies (the 45-, 135- and 400-sector benchmark models)."""
    from ._build import build_model
    from ._load import demo_paths
    from ._sam import load_sam
    from ._spec import load_spec

    sam_path, spec_path = demo_paths()
    sam, spec = load_sam(sam_path), load_spec(spec_path)
    counts = sector_counts(list(spec["accounts"]["sectors"]), n_sectors)
    return build_model(*split_sectors(sam, spec, counts, seed=seed))
