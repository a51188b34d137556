"""Build the stylized 2022 SAM of a coal-heavy province shipped with cpjax (``--demo`` data).

ILLUSTRATIVE, NOT OFFICIAL DATA.  The table is built by this script from round numbers chosen to
resemble the public aggregates of a coal province such as Shanxi in 2022 (GDP about 2.56 trillion
CNY; energy use 2.19e8 tce, seed 001; raw coal shipped mostly to other provinces; coking, thermal
power, steel and chemicals as the large energy users).  Every assumption is a constant below:
gross outputs, value-added ratios, labour shares, input weights, trade ratios, final-demand splits,
institutional shares and energy totals.  Unit: 100 million CNY (yi yuan); energy in Mtce.

Run ``python scripts/cge_make_provincial_sam.py`` to rewrite ``cpjax/cge/data/provincial_2022_sam.csv``
and ``provincial_2022_energy.csv`` (deterministic; no randomness).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "cpjax" / "cge" / "data"

SECTORS = ["AGR", "COAL", "OILGAS", "REFIN", "TPOW", "OPOW", "STEEL", "NFM", "BMAT", "CHEM",
           "PAPER", "AVIA", "OIND", "CONS", "SERV"]
# gross output (100 million CNY)
OUTPUT = dict(AGR=2000, COAL=9000, OILGAS=600, REFIN=3500, TPOW=2600, OPOW=700, STEEL=5000,
              NFM=1500, BMAT=1800, CHEM=2500, PAPER=200, AVIA=150, OIND=9000, CONS=7000, SERV=18000)
# value added (incl. production taxes) / gross output
VA_RATIO = dict(AGR=.58, COAL=.50, OILGAS=.45, REFIN=.18, TPOW=.28, OPOW=.50, STEEL=.20, NFM=.20,
                BMAT=.28, CHEM=.22, PAPER=.25, AVIA=.30, OIND=.28, CONS=.25, SERV=.55)
PTAX_SHARE = {s: (.18 if s in ("COAL", "OILGAS") else .12) for s in SECTORS}  # of value added
LABOUR_SHARE = dict(AGR=.85, COAL=.40, OILGAS=.30, REFIN=.35, TPOW=.25, OPOW=.20, STEEL=.35,
                    NFM=.35, BMAT=.40, CHEM=.35, PAPER=.45, AVIA=.40, OIND=.45, CONS=.60, SERV=.55)
BASE_W = dict(AGR=.03, COAL=.02, OILGAS=.005, REFIN=.02, TPOW=.03, OPOW=.008, STEEL=.03, NFM=.01,
              BMAT=.01, CHEM=.05, PAPER=.005, AVIA=.002, OIND=.25, CONS=.01, SERV=.25)
USER_W = {
    "AGR": dict(AGR=.2, CHEM=.15, REFIN=.05),
    "COAL": dict(TPOW=.08, OIND=.3, SERV=.3, STEEL=.05, COAL=.08),
    "OILGAS": dict(SERV=.35, OIND=.3, TPOW=.05),
    "REFIN": dict(COAL=.45, OILGAS=.15, REFIN=.05, TPOW=.05),
    "TPOW": dict(COAL=.55, TPOW=.03, OIND=.15, SERV=.15),
    "OPOW": dict(OIND=.35, SERV=.35, BMAT=.05, STEEL=.05),
    "STEEL": dict(COAL=.12, REFIN=.20, TPOW=.10, NFM=.03, OIND=.15, STEEL=.15, SERV=.12),
    "NFM": dict(TPOW=.25, NFM=.2, COAL=.05, REFIN=.05, OIND=.15, SERV=.12),
    "BMAT": dict(COAL=.18, TPOW=.12, BMAT=.1, OIND=.15, SERV=.15, REFIN=.03),
    "CHEM": dict(COAL=.20, OILGAS=.05, REFIN=.10, TPOW=.10, CHEM=.2, OIND=.1, SERV=.12),
    "PAPER": dict(AGR=.1, CHEM=.12, TPOW=.08, COAL=.05, PAPER=.15, OIND=.2, SERV=.15),
    "AVIA": dict(REFIN=.35, SERV=.35, OIND=.2),
    "OIND": dict(STEEL=.1, NFM=.05, CHEM=.08, OIND=.35, SERV=.2, TPOW=.04),
    "CONS": dict(BMAT=.25, STEEL=.15, OIND=.25, SERV=.2, REFIN=.02),
    "SERV": dict(SERV=.4, OIND=.15, REFIN=.03, TPOW=.03, AGR=.05),
}
# exports to the rest of the world / outflow to the rest of the country, share of gross output
EXPORT_ROW = dict(COAL=.005, STEEL=.02, OIND=.06, CHEM=.03, NFM=.04, AGR=.01, SERV=.01, BMAT=.01)
OUTFLOW_ROC = dict(AGR=.15, COAL=.55, OILGAS=.30, REFIN=.40, TPOW=.25, OPOW=.20, STEEL=.35,
                   NFM=.35, BMAT=.15, CHEM=.35, PAPER=.20, AVIA=.10, OIND=.35, CONS=0.0, SERV=.10)
# imports from the rest of the world / inflow from the rest of the country, share of gross output
IMPORT_ROW = dict(AGR=.02, OILGAS=.05, REFIN=.02, STEEL=.02, NFM=.08, BMAT=.01, CHEM=.05,
                  PAPER=.05, AVIA=.05, OIND=.08, SERV=.01)
INFLOW_ROC = dict(AGR=.25, COAL=.02, OILGAS=.40, REFIN=.10, TPOW=.02, OPOW=.05, STEEL=.10,
                  NFM=.15, BMAT=.08, CHEM=.30, PAPER=.80, AVIA=.50, OIND=.45, CONS=0.0, SERV=.15)
TARIFF = 0.03                   # on imports from the rest of the world
FINAL_FLOOR = 0.03              # final demand at least this share of domestic supply (inflow raised)
# split of final demand (households, government, investment)
SPLIT_DEFAULT = (.55, .05, .40)
SPLIT = dict(CONS=(0., .02, .98), SERV=(.55, .40, .05), AGR=(.9, 0., .1), COAL=(.9, 0., .1),
             OILGAS=(.9, 0., .1), REFIN=(.9, 0., .1), TPOW=(.9, 0., .1), OPOW=(.9, 0., .1),
             STEEL=(.2, 0., .8), NFM=(.2, 0., .8), BMAT=(.2, 0., .8), CHEM=(.2, 0., .8),
             OIND=(.35, 0., .65), AVIA=(.8, .2, 0.), PAPER=(.6, .2, .2))
CAPITAL_TO_HH = 0.20            # rest of capital income to enterprises
ENT_TAX, ENT_TO_HH = 0.20, 0.10  # shares of enterprise income
HH_TAX = 0.03                   # direct tax, share of household income
GOV_TO_HH = 0.15                # share of government income
ROW_TO_HH, ROC_TO_HH, ROC_TO_GOV = 50.0, 200.0, 2000.0  # transfers (central transfers to GOV)
# physical energy use: fossil fuel totals (Mtce) distributed over users by purchase value, in
# these proportions, then scaled so that energy counted once is ENERGY_TOTAL_MTCE (seed 001):
# refining and coking (TRANSFORMER) turns part of its coal and oil/gas into the products that its
# users burn, so that part is counted at the users only (the spec's [energy] feedstock shares)
FUEL_MTCE = {"COAL": 170.0, "REFIN": 28.0, "OILGAS": 21.0}
ENERGY_TOTAL_MTCE = 219.0
TRANSFORMER, FEEDSTOCKS = "REFIN", ["COAL", "OILGAS"]


def build() -> tuple[pd.DataFrame, pd.DataFrame]:
    accounts = SECTORS + ["LAB", "CAP", "HOH", "ENT", "GOV", "PTX", "TRF", "DTX", "SAV", "ROW", "ROC"]
    sam = pd.DataFrame(0.0, index=accounts, columns=accounts)
    X = pd.Series(OUTPUT, dtype=float)
    for j in SECTORS:
        w = dict(BASE_W) | USER_W.get(j, {})
        tot = sum(w.values())
        inter = X[j] * (1 - VA_RATIO[j])
        for i in SECTORS:
            sam.loc[i, j] = inter * w[i] / tot
        va = X[j] * VA_RATIO[j]
        sam.loc["PTX", j] = va * PTAX_SHARE[j]
        sam.loc["LAB", j] = (va - sam.loc["PTX", j]) * LABOUR_SHARE[j]
        sam.loc["CAP", j] = va - sam.loc["PTX", j] - sam.loc["LAB", j]
    for s in SECTORS:
        sam.loc[s, "ROW"] = X[s] * EXPORT_ROW.get(s, 0.0)
        sam.loc[s, "ROC"] = X[s] * OUTFLOW_ROC[s]
        sam.loc["ROW", s] = X[s] * IMPORT_ROW.get(s, 0.0)
        sam.loc["TRF", s] = TARIFF * sam.loc["ROW", s]
        sam.loc["ROC", s] = X[s] * INFLOW_ROC[s]
        supply = X[s] - sam.loc[s, ["ROW", "ROC"]].sum() + sam.loc[["ROW", "TRF", "ROC"], s].sum()
        final = supply - sam.loc[s, SECTORS].sum()
        if final < FINAL_FLOOR * supply:  # not enough supply for intermediate use: more inflow
            extra = FINAL_FLOOR * supply - final
            extra = extra / (1 - FINAL_FLOOR)
            sam.loc["ROC", s] += extra
            supply += extra
            final = supply - sam.loc[s, SECTORS].sum()
        h, g, inv = SPLIT.get(s, SPLIT_DEFAULT)
        sam.loc[s, "HOH"], sam.loc[s, "GOV"], sam.loc[s, "SAV"] = final * h, final * g, final * inv
    # factors to institutions
    sam.loc["HOH", "LAB"] = sam.loc["LAB"].sum()
    cap = sam.loc["CAP"].sum()
    sam.loc["HOH", "CAP"], sam.loc["ENT", "CAP"] = cap * CAPITAL_TO_HH, cap * (1 - CAPITAL_TO_HH)
    # enterprises
    ent = sam.loc["ENT"].sum()
    sam.loc["DTX", "ENT"], sam.loc["HOH", "ENT"] = ent * ENT_TAX, ent * ENT_TO_HH
    sam.loc["SAV", "ENT"] = ent - sam.loc[["DTX", "HOH"], "ENT"].sum()
    # transfers from outside to households and government
    sam.loc["HOH", "ROW"], sam.loc["HOH", "ROC"], sam.loc["GOV", "ROC"] = ROW_TO_HH, ROC_TO_HH, ROC_TO_GOV
    # government: taxes in, transfers to households, saving the rest (computed after HH tax)
    sam.loc["GOV", ["PTX", "TRF"]] = [sam.loc["PTX"].sum(), sam.loc["TRF"].sum()]
    hh_in_wo_gov = sam.loc["HOH"].sum()
    # household income depends on government transfers, which depend on DTX from households
    # (fixed point of two linear equations; solved exactly)
    gov_other = sam.loc["GOV", ["PTX", "TRF", "ROC"]].sum() + sam.loc["DTX", "ENT"]
    # gov = gov_other + HH_TAX * hh ; hh = hh_in_wo_gov + GOV_TO_HH * gov
    hh = (hh_in_wo_gov + GOV_TO_HH * gov_other) / (1 - GOV_TO_HH * HH_TAX)
    gov = gov_other + HH_TAX * hh
    sam.loc["HOH", "GOV"] = GOV_TO_HH * gov
    sam.loc["DTX", "HOH"] = HH_TAX * hh
    sam.loc["GOV", "DTX"] = sam.loc["DTX"].sum()
    sam.loc["SAV", "HOH"] = hh - sam.loc[:, "HOH"].sum()
    sam.loc["SAV", "GOV"] = gov - sam.loc[:, "GOV"].sum()
    assert sam.loc["SAV", "HOH"] > 0 and sam.loc["SAV", "GOV"] > 0, "negative saving"
    # balance of payments: the savings account pays (or receives) the capital flows
    for p in ("ROW", "ROC"):
        gap = sam.loc[p].sum() - sam.loc[:, p].sum()  # receipts of p minus its payments
        if gap > 0:
            sam.loc["SAV", p] = gap  # p lends to the province (foreign / inter-provincial saving)
        else:
            sam.loc[p, "SAV"] = -gap  # the province lends to p
    # energy in physical units: fossil totals spread over users by purchase value
    users = SECTORS + ["HOH"]
    energy = pd.DataFrame(0.0, index=users, columns=list(FUEL_MTCE))
    for f, total in FUEL_MTCE.items():
        vals = sam.loc[f, users]
        energy[f] = total * vals / vals.sum()
    counted = energy.to_numpy().sum() - energy[TRANSFORMER].sum()  # products counted at users only
    return sam, energy * (ENERGY_TOTAL_MTCE / counted)


def feedstock_share(energy: pd.DataFrame) -> float:
    """Share of the transformer's coal and oil/gas turned into its products (by energy content):
    its products used in the province over its use of those fuels."""
    return float(energy[TRANSFORMER].sum() / energy.loc[TRANSFORMER, FEEDSTOCKS].sum())


def main() -> None:
    sam, energy = build()
    r, c = sam.sum(axis=1), sam.sum(axis=0)
    assert np.allclose(r, c, rtol=1e-12, atol=1e-9), (r - c).abs().max()
    header = ("# Stylized 2022 SAM of a coal-heavy province (ILLUSTRATIVE, built by "
              "scripts/cge_make_provincial_sam.py); unit 100 million CNY; rows receive, columns pay\n")
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "provincial_2022_sam.csv", "w") as fh:
        fh.write(header)
        sam.to_csv(fh, float_format="%.10f")
    with open(OUT / "provincial_2022_energy.csv", "w") as fh:
        fh.write("# Fossil energy use by user (Mtce), stylized; rows users, columns fuel sectors\n")
        energy.to_csv(fh, float_format="%.10f")
    print(f"GDP (value added incl. production taxes): {sam.loc[['LAB', 'CAP', 'PTX'], SECTORS].sum().sum():.0f}")
    share = feedstock_share(energy)
    once = energy.to_numpy().sum() - share * energy.loc[TRANSFORMER, FEEDSTOCKS].sum()
    print(f"energy use {energy.to_numpy().sum():.1f} Mtce, counted once {once:.4f} Mtce; spec "
          f"[energy] feedstock = {{ {TRANSFORMER} = {{ {', '.join(f'{f} = {share:.12f}' for f in FEEDSTOCKS)} }} }}")


if __name__ == "__main__":
    main()
