"""The emissions-trading block against independent reasoning (spec cge.md §3; issue 8 checks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpjax import cge

FOUR = ["STEEL", "NFM", "BMAT", "CHEM"]
SIX = FOUR + ["PAPER", "AVIA"]


@pytest.fixture(scope="module")
def runs(demo):
    with cge.x64():
        drivers = cge.trend_drivers()
    return drivers, cge.run_scenarios(demo, drivers, cge.demo_scenarios())


def _path(demo, drivers, scenario, ref, **changes):
    pol = cge.scenario_policy(demo, scenario, 9, ref)._replace(**changes)
    return cge.solve_path(demo, drivers, pol)


def _idx(demo, names):
    return [demo.sectors.index(s) for s in names]


def test_allocation_without_trading_keeps_price_and_volume(demo, runs):
    _, res = runs
    s1, p = res["S1"], demo.sectors.index("TPOW")
    for name, sectors in (("S2", FOUR), ("S3", SIX)):
        o = res[name]
        assert (o["status"] == 0).all()
        # the market (power with the national price) is the same: the price is identical and the
        # volume moves only as much as power's own emissions move through general equilibrium
        np.testing.assert_array_equal(o["carbon_price"], s1["carbon_price"])
        dv = np.abs(o["trading_volume_mt"] - s1["trading_volume_mt"])
        dem = np.abs(o["sector_emissions_mt"][:, p] - s1["sector_emissions_mt"][:, p])
        assert np.all(dv <= dem + 1e-9)
        assert np.all(dem <= 0.01 * s1["sector_emissions_mt"][:, p])
        # each allocated sector either keeps within its own allocation (shadow price below the
        # penalty) or pays the penalty (3 x the market price) on its excess; the shadow prices
        # differ across sectors: nothing equalises them
        k = _idx(demo, sectors)
        em, alloc = o["sector_emissions_mt"][:, k], o["allocation_mt"][:, k]
        shadow = o["sector_price"][:, k]
        penalty = 3.0 * o["carbon_price"][:, None]
        complies = em <= alloc * (1 + 1e-6)
        pays = (em > alloc) & (np.abs(shadow - penalty) < 0.1)
        assert np.all(complies | pays)
        assert np.all(shadow > 1.0) and np.all(shadow < penalty + 1e-9)
        assert complies[:, :4].all()
        assert np.ptp(shadow[-1]) > 10.0


def test_trading_binds_cap_equalises_prices_and_trades(demo, runs):
    drivers, res = runs
    o = res["S4"]
    k = _idx(demo, ["TPOW", *FOUR])
    np.testing.assert_allclose(o["covered_emissions_mt"], o["cap_mt"], rtol=1e-6)
    assert np.all(o["carbon_price"] > 1.0)
    np.testing.assert_allclose(o["sector_price"][:, k], np.repeat(o["carbon_price"][:, None], 5, 1),
                               rtol=1e-12)
    # the same sectors and allocations without trading: each must meet its own allocation
    sc = cge.demo_scenarios(["S4"])[0]
    pol = cge.scenario_policy(demo, sc, 9, res["no_ets"])
    own = cge.solve_path(demo, drivers, pol._replace(own=pol.trade, trade=pol.trade * 0,
                                                     penalty_multiple=np.float64(100.0)))
    assert (own["status"] == 0).all()
    np.testing.assert_allclose(own["covered_emissions_mt"], o["covered_emissions_mt"], rtol=1e-5)
    # trading: positive volume (none without it), one price inside the range of the shadow
    # prices; sectors whose own abatement was cheaper than the market price sell (emit below
    # their allocation), the others buy
    assert np.all(o["trading_volume_mt"] > 0.1) and np.all(own["trading_volume_mt"] < 1e-9)
    sh = own["sector_price"][:, k]
    assert np.all((o["carbon_price"] > sh.min(1)) & (o["carbon_price"] < sh.max(1)))
    sells = o["sector_emissions_mt"][:, k] < o["allocation_mt"][:, k]
    cheap = sh < o["carbon_price"][:, None]
    np.testing.assert_array_equal(sells, cheap)
    # a tighter cap raises the price and the volume every year
    tight = cge.solve_path(demo, drivers, pol._replace(reduction=pol.reduction * 1.5))
    assert np.all(tight["carbon_price"] > o["carbon_price"])
    assert np.all(tight["covered_emissions_mt"] < o["covered_emissions_mt"])


def test_slack_cap_gives_zero_price(demo, runs):
    drivers, res = runs
    sc = cge.demo_scenarios(["S5"])[0]
    o = _path(demo, drivers, sc, res["no_ets"], reduction=np.full(9, -0.05))
    assert (o["status"] == 0).all()
    assert np.all(o["carbon_price"] < 1e-6)
    assert np.all(o["covered_emissions_mt"] < 0.99 * o["cap_mt"])


def test_zero_reduction_reproduces_reference_path(demo, runs):
    drivers, res = runs
    ref = res["no_ets"]
    for name in ("S2", "S5"):
        sc = cge.demo_scenarios([name])[0]
        if name == "S2":  # no exogenous price for power either: the reference is reproduced
            sc = cge.Scenario(name="S2x", regime="none", without_trading=tuple(FOUR))
        o = _path(demo, drivers, sc, ref, reduction=np.zeros(9))
        for key in ("energy_mtce", "emissions_mt", "gdp", "real_consumption", "capital"):
            # tolerance: the smoothing (width 0.1 CNY/t) leaves a price of ~0.07 CNY/t at the kink
            np.testing.assert_allclose(o[key], ref[key], rtol=1e-4, err_msg=f"{name} {key}")
        assert np.all(o["sector_price"] < 0.5)  # a few smoothing widths (0.1 CNY/t)


def test_output_based_allocation_is_an_output_subsidy(demo, runs):
    drivers, res = runs
    sc = cge.demo_scenarios(["S5"])[0]
    gf = res["S5"]
    ob = _path(demo, drivers, sc, res["no_ets"], output_based=np.float64(1.0))
    k = _idx(demo, ["TPOW", *SIX])
    assert (ob["status"] == 0).all()
    np.testing.assert_allclose(ob["covered_emissions_mt"], ob["cap_mt"], rtol=1e-6)
    # allocation = benchmark intensity x output, intensity = (1 - r) x reference emissions/output
    r = cge.reduction_path(sc, 9)
    bench = (1 - r)[:, None] * res["no_ets"]["sector_emissions_mt"][:, k] / res["no_ets"]["sector_output"][:, k]
    np.testing.assert_allclose(ob["allocation_mt"][:, k], bench * ob["sector_output"][:, k], rtol=1e-10)
    # the subsidy at the margin keeps covered output higher than under grandfathering
    assert np.all(ob["sector_output"][1:, k].sum(1) > gf["sector_output"][1:, k].sum(1))


def _all_regimes(demo, **kw):
    sol0 = cge.solve_ets(demo, cge.year_policy(demo))
    em = sol0.report["sector_emissions_mt"]
    ind = sol0.report["sector_indirect_mt"]
    out = sol0.report["sector_output"]
    return cge.year_policy(demo, exo=["COAL"], trade=["TPOW", "STEEL", "BMAT"], own=["CHEM", "NFM"],
                           reduction=0.08, output_based=0.5, indirect=1.0, exo_price=60.0,
                           penalty=180.0, ref_direct=em, ref_indirect=ind, ref_output=out, **kw)


def test_walras_identities_and_homogeneity_with_ets(demo):
    yp = _all_regimes(demo)
    sol = cge.solve_ets(demo, yp)
    assert sol.status == 0 and sol.report["carbon_price"] > 1.0
    assert cge.walras_residual(demo, sol, sol.params) < 1e-9
    gaps = cge.identity_gaps(demo, sol, sol.params)
    assert max(gaps.values()) < 1e-9, gaps
    # scale the numeraire (and with it every nominal price: the exogenous/penalty prices are in
    # numeraire units): prices and incomes double, real quantities and CNY/t prices do not move
    prm2 = dict(demo.params)
    prm2["fixed_price"] = demo.params["fixed_price"] * 2.0
    st = demo.structure
    n_f, n_a, n_h = len(st.free_goods), len(st.activities), len(st.agents)
    z0 = sol.z.copy()
    z0[:n_f] += np.log(2.0)            # start from the scaled point (a nominal change only)
    z0[n_f + n_a:n_f + n_a + n_h] *= 2.0
    sol2 = cge.solve_ets(demo, yp, prm2, zx0=np.concatenate([z0, sol.u]))
    assert sol2.status == 0
    a = cge.evaluate_solution(demo, sol.z, sol.params)
    b = cge.evaluate_solution(demo, sol2.z, sol2.params)
    np.testing.assert_allclose(b["p"], 2 * a["p"], rtol=1e-9)
    np.testing.assert_allclose(b["m"], 2 * a["m"], rtol=1e-9)
    np.testing.assert_allclose(b["y"], a["y"], rtol=1e-9)
    np.testing.assert_allclose(sol2.report["sector_price"], sol.report["sector_price"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sol2.report["carbon_revenue"], 2 * sol.report["carbon_revenue"], rtol=1e-9)


def test_indirect_emissions_match_power_sales_in_the_sam(demo, demo_direct):
    """Σ indirect emissions at the benchmark = power emissions x (other sectors' purchases of
    power / power's gross output), both read from the SAM file directly."""
    sam_path, _ = cge.demo_paths()
    sam = pd.read_csv(sam_path, index_col=0, comment="#")
    sectors = list(demo.sectors)
    gross = sam.loc[sectors + ["LAB", "CAP", "PTX"], "TPOW"].sum()
    bought = sam.loc["TPOW", [s for s in sectors if s != "TPOW"]].sum()
    sol = cge.solve_ets(demo, cge.year_policy(demo))
    rep = sol.report
    p = sectors.index("TPOW")
    np.testing.assert_allclose(rep["sector_indirect_mt"].sum(),
                               rep["sector_emissions_mt"][p] * bought / gross, rtol=1e-10)
    assert rep["sector_indirect_mt"][p] == 0.0
    # direct emissions per sector from the energy table x emission factors
    # (refining/coking's feedstock is burned, and counted, at the users of its products)
    direct = demo_direct
    np.testing.assert_allclose(rep["sector_emissions_mt"], direct[sectors].to_numpy(), rtol=1e-10)


def test_trading_volume_is_what_changes_hands(demo):
    """Slack cap: every sector keeps a surplus, nothing is traded (the old max(purchases, sales)
    counted the unsold surplus, 13-17 Mt/yr); binding cap: purchases = sales = volume; the volume
    is continuous where the cap starts to bind (r = 0 here) and grows as the cap tightens."""
    ref = cge.solve_ets(demo, cge.year_policy(demo)).report
    market = ["TPOW", *SIX]
    k = _idx(demo, market)
    vols = {}
    for r in (-0.05, -0.001, 0.001, 0.02, 0.05, 0.1):
        yp = cge.year_policy(demo, trade=market, reduction=r, ref_direct=ref["sector_emissions_mt"],
                             ref_output=ref["sector_output"])
        sol = cge.solve_ets(demo, yp)
        assert sol.status == 0
        d = sol.report["sector_emissions_mt"][k] - sol.report["allocation_mt"][k]
        buy, sell = np.maximum(d, 0).sum(), np.maximum(-d, 0).sum()
        vols[r] = float(sol.report["trading_volume_mt"])
        assert vols[r] == pytest.approx(min(buy, sell), rel=1e-12, abs=1e-12)
        if r < 0:  # price at the floor, up to the smoothing width (0.1 CNY/t) next to the kink
            assert sol.report["carbon_price"] < (1e-6 if r < -0.01 else 0.1) and vols[r] == 0.0
            assert sell > 0.0 and buy == 0.0  # the surplus is there, but nobody buys it
        else:  # the cap binds: the market clears (up to the smoothing at very low prices)
            assert buy == pytest.approx(sell, rel=1e-6 if r > 0.01 else 1e-3)
    assert vols[0.001] < 0.1 * vols[0.02]  # continuous at the kink: about linear in r from 0
    assert vols[0.001] < vols[0.02] < vols[0.05] < vols[0.1]


def test_method_reaches_the_trading_block(demo):
    """The trading block is solved through make_core, so the method is the one asked for: the old
    path ran the chord fixed point whatever the method (0 iterations at the benchmark for every
    method); optimistix's Newton checks convergence after its first step (1 iteration)."""
    yp = cge.year_policy(demo)
    nt = cge.solve_ets(demo, yp)  # default: Newton, 0 iterations at the benchmark
    ox = cge.solve_ets(demo, yp, config=cge.SolverConfig(method="optimistix", tol=1e-10))
    assert nt.status == 0 and ox.status == 0
    assert nt.iterations == 0 and ox.iterations == 1
    np.testing.assert_allclose(ox.z, nt.z, atol=1e-10)
