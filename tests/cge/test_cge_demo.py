"""The shipped provincial model: replication, homogeneity, Walras, identities, energy, closures."""

from __future__ import annotations

import numpy as np
import pytest

from cpjax import cge

SHOCK = {"tfp.STEEL": 1.1, "tariff.CHEM": 0.0, "supply.LAB": 1.02}


def test_benchmark_replication_without_solving(demo):
    assert cge.replication_residual(demo) < 1e-10


def test_zero_iterations_at_benchmark(demo):
    sol = cge.solve(demo, demo.params)
    assert int(sol.iterations) == 0
    assert float(sol.residual) < 1e-10


def test_benchmark_values_are_the_sam(demo, demo_burned, demo_direct):
    sol = cge.solve(demo)
    v = cge.solution_dict(demo, sol)
    sam = demo.sam
    for s in ("COAL", "STEEL", "SERV"):
        assert v[f"input.Y.{s}.LAB"] == pytest.approx(sam.get("LAB", s), rel=1e-10)
        assert v[f"consumption.HOH.{s}"] == pytest.approx(sam.get(s, "HOH"), rel=1e-10)
        assert v[f"output.Y.{s}.ROC"] == pytest.approx(sam.get(s, "ROC"), rel=1e-10)
    assert v["income.GOV"] == pytest.approx(sam.values[sam.index("GOV")].sum(), rel=1e-10)
    assert v["energy_mtce.total"] == pytest.approx(219.0, rel=1e-9)
    # emissions counted once: the energy table without refining/coking's feedstock x factors
    assert v["energy_mtce.total"] == pytest.approx(demo_burned.to_numpy().sum(), rel=1e-12)
    want = demo_direct
    assert v["emissions_mt.total"] == pytest.approx(want.sum(), rel=1e-12)
    for u in ("REFIN", "STEEL", "HOH"):
        assert v[f"emissions_mt.{u}"] == pytest.approx(want[u], rel=1e-12)


@pytest.fixture(scope="module")
def shocked(demo):
    p = cge.set_params(demo, values=SHOCK)
    return p, cge.solve(demo, p)


def test_newton_and_fixed_point_agree(demo, shocked):
    p, sol = shocked
    fp = cge.solve(demo, p, cge.SolverConfig(method="fixed_point"))
    assert int(fp.status) == 0 and int(sol.status) == 0
    np.testing.assert_allclose(np.asarray(fp.z), np.asarray(sol.z), atol=1e-9)


def test_homogeneity(demo, shocked):
    p, sol = shocked
    assert cge.homogeneity_error(demo, p, base=sol, factor=2.0) < 1e-9


def test_walras_and_identities(demo, shocked):
    p, sol = shocked
    assert cge.walras_residual(demo, sol, p) < 1e-10
    gaps = cge.identity_gaps(demo, sol, p)
    assert set(gaps) >= {"gdp_expenditure_vs_income", "savings_vs_investment", "government_balance",
                         "external_balance.ROW", "external_balance.ROC", "supply_vs_demand_max"}
    assert max(gaps.values()) < 1e-10


def test_shock_moves_the_economy_sensibly(demo, shocked):
    p, sol = shocked
    v = cge.solution_dict(demo, sol, p)
    b = cge.solution_dict(demo, cge.solve(demo), demo.params)
    assert v["activity.Y.STEEL"] > b["activity.Y.STEEL"]       # TFP up -> more steel
    assert v["price.STEEL@dom"] < b["price.STEEL@dom"]         # and cheaper steel
    assert v["input.A.CHEM.ROW"] > b["input.A.CHEM.ROW"]       # tariff cut -> more imports
    assert v["welfare_ev.HOH"] > 0


def test_alternative_closures(demo):
    """Fixed exchange rate (foreign saving adjusts) and fixed real government consumption
    (government saving adjusts), together in one specification."""
    spec = cge.load_spec(cge.demo_paths()[1])
    spec["closure"]["fixed_prices"] = {"ROW": "SAV"}
    spec["closure"]["fixed_real"] = ["GOV"]
    m = cge.load_model(cge.demo_paths()[0], spec)
    assert cge.replication_residual(m) < 1e-10
    p = cge.set_params(m, values={"pwm.ROW.OIND": 1.2, "tax.COAL": 0.05})
    sol = cge.solve(m, p)
    v = cge.solution_dict(m, sol, p)
    assert v["price.ROW"] == 1.0                                # exchange rate fixed
    assert v["adjust.ROW.SAV"] != pytest.approx(0.0, abs=1e-6)  # foreign saving adjusts
    gov = m.structure.agents.index("GOV")
    assert v["real_consumption.GOV"] == pytest.approx(m.params["cons_real"][gov], rel=1e-10)
    assert max(cge.identity_gaps(m, sol, p).values()) < 1e-10
    assert cge.homogeneity_error(m, p, base=sol) < 1e-9
