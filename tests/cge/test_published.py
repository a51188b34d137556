"""Published small cases: MPSGE.jl's 2x2 model and the textbook standard CGE (stdcge).

MPSGE.jl reference values: julia-mpsge/MPSGE.jl, test/test_twobytwo_*.jl (values generated with
GAMS/MPSGE from test/gams/TwoByTwo_Scalar_Algeb-MPSGE.gms, stored in test/MPSGEresults.xlsx):
after a 10% rise in the labour endowment, with PX = 1: X = 1.0488088, Y = 1.0388601,
U = 1.0454821, PY = 1.0095766, PL = 0.9534626, PK = 1.0488088, income 157.3213272;
with PL = 1: PX = 1.0488088, PY = 1.0588529, PK = 1.1, income 165, same quantities.

stdcge reference values: the GAMS model library's stdcge (Hosoe, Gasawa and Hashimoto,
https://www.gams.com/latest/gamslib_ml/libhtml/gamslib_stdcge.html) as ported to GAMSPy, whose
script asserts utility prod_i Xp_i^alpha_i = 25.508490012515818
at the benchmark and 26.092634381288686 after abolishing both import tariffs (CONOPT).
"""

from __future__ import annotations

import numpy as np
import pytest

from cpjax import cge

_MODELS: dict = {}


def _mpsge(paths, numeraire):
    if numeraire not in _MODELS:  # one model object per numeraire: compiled solvers are reused
        spec = cge.load_spec(paths[1])
        spec["closure"]["numeraire"] = numeraire
        _MODELS[numeraire] = cge.load_model(paths[0], spec)
    return _MODELS[numeraire]


@pytest.mark.parametrize("method", ["newton", "optimistix", "fixed_point"])
def test_mpsge_2x2_px_numeraire(mpsge_paths, method):
    m = _mpsge(mpsge_paths, "X")
    p = cge.set_params(m, values={"endow.RA.L": 77.0})
    sol = cge.solve(m, p, cge.SolverConfig(method=method))
    v = cge.solution_dict(m, sol, p)
    assert v["activity.Y.X"] == pytest.approx(1.0488088, abs=5e-7)
    assert v["activity.Y.Y"] == pytest.approx(1.0388601, abs=5e-7)
    assert v["real_consumption.RA"] / 150 == pytest.approx(1.0454821, abs=5e-7)
    assert v["price.X"] == 1.0
    assert v["price.Y"] == pytest.approx(1.0095766, abs=5e-7)
    assert v["price.L"] == pytest.approx(0.9534626, abs=5e-7)
    assert v["price.K"] == pytest.approx(1.0488088, abs=5e-7)
    assert v["income.RA"] == pytest.approx(157.3213272, abs=5e-6)
    # compensated demands per unit of activity (MPSGE x.L, x.K, y.L, y.K)
    assert v["input.Y.X.L"] / v["activity.Y.X"] == pytest.approx(52.4404424, abs=5e-6)
    assert v["input.Y.X.K"] / v["activity.Y.X"] == pytest.approx(47.6731295, abs=5e-6)
    assert v["input.Y.Y.L"] / v["activity.Y.Y"] == pytest.approx(21.1770571, abs=5e-6)
    assert v["input.Y.Y.K"] / v["activity.Y.Y"] == pytest.approx(28.8778051, abs=5e-6)


def test_mpsge_2x2_pl_numeraire(mpsge_paths):
    m = _mpsge(mpsge_paths, "L")
    p = cge.set_params(m, values={"supply.L": 1.1})
    v = cge.solution_dict(m, cge.solve(m, p), p)
    assert v["activity.Y.X"] == pytest.approx(1.0488088, abs=5e-7)
    assert v["activity.Y.Y"] == pytest.approx(1.0388601, abs=5e-7)
    assert v["real_consumption.RA"] / 150 == pytest.approx(1.0454821, abs=5e-7)
    assert v["price.L"] == 1.0
    assert v["price.X"] == pytest.approx(1.0488088, abs=5e-7)
    assert v["price.Y"] == pytest.approx(1.0588529, abs=5e-7)
    assert v["price.K"] == pytest.approx(1.1, abs=5e-7)
    assert v["income.RA"] == pytest.approx(165.0, abs=5e-6)


def _utility(model, params):
    v = cge.solution_dict(model, cge.solve(model, params), params)
    return v["consumption.HOH.BRD"] ** 0.4 * v["consumption.HOH.MLK"] ** 0.6


def test_stdcge_from_sam_and_spec_alone(stdcge):
    assert cge.replication_residual(stdcge) < 1e-12
    assert _utility(stdcge, stdcge.params) == pytest.approx(25.508490012515818, rel=1e-12)
    p = cge.set_params(stdcge, values={"tariff.BRD": 0.0, "tariff.MLK": 0.0})
    # GAMS/CONOPT's own tolerance limits the agreement to about 1e-11
    assert _utility(stdcge, p) == pytest.approx(26.092634381288686, rel=1e-9)


def test_stdcge_identities_after_tariff_cut(stdcge):
    p = cge.set_params(stdcge, values={"tariff.BRD": 0.0, "tariff.MLK": 0.0})
    sol = cge.solve(stdcge, p)
    gaps = cge.identity_gaps(stdcge, sol, p)
    assert max(gaps.values()) < 1e-10
    assert cge.walras_residual(stdcge, sol, p) < 1e-10
    assert np.isfinite(float(sol.residual))
