"""The vector field and the solver against independent references (matrix exponential, scipy)."""

from __future__ import annotations

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

from cpjax.node import NodeConfig, make_field, solve, solve_with_stats, time_features


class Linear(eqx.Module):
    a: jax.Array

    def __call__(self, t, z, args):
        return self.a @ z


A = np.array([[-0.5, 1.0], [-1.0, -0.2]])
TS_IRREGULAR = np.array([0.0, 0.07, 0.3, 0.31, 0.9, 1.6, 2.0])


@pytest.mark.parametrize("solver", ["tsit5", "dopri5", "rk4"])
def test_linear_ode_matches_matrix_exponential(solver):
    cfg = NodeConfig(solver=solver, rtol=1e-6, atol=1e-8, dt0_years=0.01)
    z0 = np.array([1.0, -0.5])
    ys = solve(Linear(jnp.asarray(A, jnp.float32)), jnp.asarray(z0, jnp.float32),
               jnp.asarray(TS_IRREGULAR, jnp.float32), cfg)
    ref = np.stack([scipy.linalg.expm(A * t) @ z0 for t in TS_IRREGULAR])
    np.testing.assert_allclose(np.asarray(ys), ref, atol=2e-5)


@pytest.mark.parametrize("activation", ["relu", pytest.param("softplus", marks=pytest.mark.slow),
                                        pytest.param("tanh", marks=pytest.mark.slow)])
def test_mlp_field_matches_scipy_solve_ivp(activation):
    # relu's kinks make the adaptive solver's global error depend on the step sequence, which
    # differs between XLA releases (seen: 9e-6 on jax 0.10, 2.4e-5 on jax 0.12 at rtol=1e-6); at
    # rtol=1e-8 both stay near 1e-6, well inside the 1e-5 asserted below.
    cfg = NodeConfig(width=16, depth=2, activation=activation, time_features="annual",
                     rtol=1e-8, atol=1e-10)
    f = make_field(3, cfg, seed=1)
    z0 = np.array([0.3, -0.2, 0.5])
    with jax.enable_x64(True):
        f64 = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64) if eqx.is_array(x) else x, f)
        ys = np.asarray(solve(f64, jnp.asarray(z0), jnp.asarray(TS_IRREGULAR), cfg))
        rhs = jax.jit(lambda t, z: f64(t, z, None))
        ref = scipy.integrate.solve_ivp(lambda t, z: np.asarray(rhs(jnp.asarray(t), jnp.asarray(z))),
                                        (0.0, 2.0), z0, t_eval=TS_IRREGULAR, method="DOP853",
                                        rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ys, ref.y.T, atol=1e-5)


def test_time_features():
    np.testing.assert_allclose(time_features(jnp.float32(0.25), "seasonal"), [1.0, 0.0], atol=1e-6)
    assert time_features(jnp.float32(0.25), "annual").shape == (3,)
    assert time_features(jnp.float32(0.25), "none").shape == (0,)


def test_failed_solve_reports_instead_of_raising():
    cfg = NodeConfig(max_steps=2, solver="rk4")
    f = make_field(2, NodeConfig(width=8, depth=1))
    sol = solve_with_stats(f, jnp.ones(2), jnp.linspace(0.0, 5.0, 6), cfg)
    assert not bool(sol.result == diffrax.RESULTS.successful)
