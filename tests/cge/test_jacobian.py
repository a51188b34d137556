"""The structured Jacobian equals automatic differentiation of the residual on every model kind."""

from __future__ import annotations

import jax
import numpy as np

from cpjax import cge
from cpjax.cge._equations import backend, residual
from cpjax.cge._generate import random_sam
from cpjax.cge._jacobian import structured_jacobian
from cpjax.cge._solve import as_jax_params


def _models(stdcge, demo):
    sam, sp = random_sam(5, 1, two_partners=True)
    # fixed exchange rate (an endowment adjusts) and fixed real government spending
    sp["closure"].update(numeraire="LAB", fixed_prices={"ROW": "SAV"}, fixed_real=["GOV"])
    return [("demo", demo), ("stdcge", stdcge), ("random", cge.build_model(sam, sp))]


def test_structured_jacobian_equals_jacfwd(stdcge, demo):
    rng = np.random.default_rng(0)
    for name, m in _models(stdcge, demo):
        st = m.structure
        p = {k: np.array(v) for k, v in m.params.items()}
        leaf = st.edge_child_node < 0
        # taxes and surcharges on inputs and outputs, elasticities moved (one exactly Cobb-Douglas)
        p["surcharge"] = p["surcharge"] + rng.uniform(0, 0.05, p["surcharge"].shape) * leaf
        p["tax"] = p["tax"] + rng.uniform(0, 0.05, p["tax"].shape)
        p["sigma"] = p["sigma"] * rng.uniform(0.5, 1.5, p["sigma"].shape)
        p["sigma"][0] = 1.0
        p["act_tax"] = p["act_tax"] + 0.01
        z = cge.benchmark_guess(m) + rng.normal(0, 0.05, st.n_unknowns)

        def both(x, prm, st=st):
            auto = jax.jacfwd(lambda y: residual(st, y, prm, backend("jax")))(x)
            return auto, structured_jacobian(st, x, prm)

        with cge.x64():
            auto, mine = jax.jit(both)(z, as_jax_params(p))
        scale = np.abs(np.asarray(auto)).max()
        np.testing.assert_allclose(np.asarray(mine), np.asarray(auto), atol=1e-12 * scale, err_msg=name)


def test_segment_sums_equal_bincount():
    from cpjax.cge._layout import Segments

    rng = np.random.default_rng(1)
    for n, length in ((1, 5), (7, 40), (30, 500)):
        ids = rng.integers(-1, n, length)  # -1: not summed
        ids[rng.uniform(size=length) < 0.3] = 0  # one large segment among small ones
        x = rng.normal(size=(3, length))
        want = np.stack([np.bincount(ids[ids >= 0], weights=r[ids >= 0], minlength=n) for r in x])
        np.testing.assert_allclose(Segments.build(ids, n)(np, x), want, rtol=1e-13, atol=1e-13)
