"""Welfare outputs against an independent expenditure minimisation, and reports that are complete,
consistent in their names and loud about non-finite values."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from cpjax import CpjaxInputError, cge

TARIFF_CUT = {"tariff.BRD": 0.0, "tariff.MLK": 0.0}


def expenditure(prices, beta, utility):
    """min p.x s.t. prod x^beta = U (two goods): the constraint gives x2 from x1, and a bounded
    scalar minimisation over log x1 does the rest (numerically, not the closed form)."""
    def cost(l1):
        l2 = (np.log(utility) - beta[0] * l1) / beta[1]
        return prices[0] * np.exp(l1) + prices[1] * np.exp(l2)

    res = scipy.optimize.minimize_scalar(cost, bounds=(-10.0, 10.0), method="bounded",
                                         options={"xatol": 1e-12})
    assert res.success
    return float(res.fun)


def test_ev_cv_and_utility_match_expenditure_minimisation(stdcge):
    goods = ["BRD", "MLK"]
    beta = np.array([cge.get_param(stdcge, stdcge.params, f"beta.HOH.{g}") for g in goods])
    v0 = cge.solution_dict(stdcge, cge.solve(stdcge))
    p = cge.set_params(stdcge, values=TARIFF_CUT)
    v1 = cge.solution_dict(stdcge, cge.solve(stdcge, p), p)
    x0 = np.array([v0[f"consumption.HOH.{g}"] for g in goods])
    x1 = np.array([v1[f"consumption.HOH.{g}"] for g in goods])
    u0, u1 = np.prod(x0 ** beta), np.prod(x1 ** beta)
    assert v1["utility.HOH"] == pytest.approx(u1, rel=1e-12)
    assert v1["utility.HOH"] == pytest.approx(26.092634381288686, rel=1e-9)  # GAMS stdcge
    p0 = np.array([v0[f"price.{g}"] for g in goods])
    p1 = np.array([v1[f"price.{g}"] for g in goods])
    ev = expenditure(p0, beta, u1) - expenditure(p0, beta, u0)
    cv = expenditure(p1, beta, u1) - expenditure(p1, beta, u0)
    assert v1["welfare_ev.HOH"] == pytest.approx(ev, rel=1e-6)
    assert v1["welfare_cv.HOH"] == pytest.approx(cv, rel=1e-6)
    assert v0["welfare_ev.HOH"] == pytest.approx(0.0, abs=1e-9)


def test_welfare_gradients_equal_finite_differences(stdcge):
    p = cge.set_params(stdcge, values={"tariff.BRD": 0.05})
    names = ["tariff.BRD", "armington.MLK", "supply.LAB"]
    for out in ("welfare_cv.HOH", "utility.HOH"):
        _, g = cge.implicit_gradient(stdcge, out, names, p)
        fd = cge.finite_difference_gradient(stdcge, out, names, p)
        for n in names:
            assert g[n] == pytest.approx(fd[n], rel=1e-5, abs=1e-9), (out, n)


def test_solution_dict_keys_do_not_depend_on_values(stdcge):
    base = cge.solution_dict(stdcge, cge.solve(stdcge))
    p = cge.set_params(stdcge, values=TARIFF_CUT)
    cut = cge.solution_dict(stdcge, cge.solve(stdcge, p), p)
    assert set(base) == set(cut)
    assert cut["tax_revenue.TRF"] == 0.0 and base["tax_revenue.TRF"] > 0.0
    assert set(cge.output_names(stdcge)) <= set(cut)


def test_supply_names_work_everywhere(stdcge):
    assert "supply.LAB" in cge.param_names(stdcge)
    p = cge.set_params(stdcge, values={"supply.LAB": 1.1})
    assert cge.get_param(stdcge, p, "supply.LAB") == pytest.approx(1.1, rel=1e-15)
    assert cge.get_param(stdcge, p, "endow.HOH.LAB") == pytest.approx(
        1.1 * cge.get_param(stdcge, stdcge.params, "endow.HOH.LAB"), rel=1e-15)
    with pytest.raises(CpjaxInputError, match="did you mean 'supply.LAB'"):
        cge.get_param(stdcge, p, "suply.LAB")


def test_homogeneity_check_does_not_drop_a_nan_income(stdcge):
    sol = cge.solve(stdcge)
    st = stdcge.structure
    z = np.array(sol.z)
    z[len(st.free_goods) + len(st.activities)] = np.nan  # the first income
    with pytest.raises(CpjaxInputError, match="non-finite incomes"):
        cge.homogeneity_error(stdcge, base=sol._replace(z=z))
