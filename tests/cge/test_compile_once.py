"""Compile once per model structure: new parameter values, outputs or parameter lists reuse the
compiled programs (counted with ``cpjax._cache.CompileCount``: XLA compilations and persistent-cache
hits from ``jax.monitoring`` events, not timed)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from cpjax import cge
from cpjax._cache import CompileCount


def test_second_gradient_with_other_output_and_parameters_does_not_compile(stdcge):
    p = cge.set_params(stdcge, values={"tariff.BRD": 0.05})
    v1, g1 = cge.implicit_gradient(stdcge, "welfare_ev.HOH", ["tariff.BRD", "supply.LAB"], p)
    with CompileCount() as fresh:  # a new program: the counter sees it
        jax.jit(lambda x: x * 3.25 + 1.0)(np.arange(7.0))
    assert fresh.compiles + fresh.cache_hits == 1
    p2 = cge.set_params(stdcge, values={"tfp.MLK": 1.1})
    with CompileCount() as c:
        v2, g2 = cge.implicit_gradient(stdcge, "utility.HOH", ["tfp.MLK", "sigma.A.BRD.top", "supply.CAP"], p2)
        v3, g3 = cge.implicit_gradient(stdcge, "price.LAB", ["tariff.MLK"], p2)
    assert c.compiles == 0 and c.cache_hits == 0, "a new output / parameter list / value recompiled"
    # and the gradients are right (central finite differences, the reference)
    fd = cge.finite_difference_gradient(stdcge, "utility.HOH", list(g2), p2)
    for k in g2:
        assert g2[k] == pytest.approx(fd[k], rel=1e-5, abs=1e-9), k
    fd = cge.finite_difference_gradient(stdcge, "welfare_ev.HOH", list(g1), p)
    for k in g1:
        assert g1[k] == pytest.approx(fd[k], rel=1e-5, abs=1e-9), k


def test_new_parameter_values_do_not_recompile_a_solve(stdcge):
    cge.solve(stdcge, cge.set_params(stdcge, values={"tariff.BRD": 0.0}))
    with CompileCount() as c:
        for t in np.linspace(0.0, 0.2, 4):
            cge.solve(stdcge, cge.set_params(stdcge, values={"tariff.BRD": float(t), "supply.LAB": 1.1}))
    assert c.compiles == 0 and c.cache_hits == 0
