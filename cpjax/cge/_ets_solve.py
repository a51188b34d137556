"""One static equilibrium with the emissions-trading block (a single year of the path)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._cache import compiled
from ._dynamics import as_float64
from ._ets import EtsBlock, EtsConfig, YearPolicy
from ._solve import SolverConfig, make_core
from ._structure import Model
from ._x64 import with_x64

__all__ = ["EtsSolution", "solve_ets", "year_policy"]


class EtsSolution(NamedTuple):
    """A static ETS equilibrium: unknowns (CGE part ``z``, block part ``u``), outputs, effective
    CGE parameters (carbon surcharges, subsidies and lump sums applied), solver status."""

    z: np.ndarray
    u: np.ndarray
    report: dict[str, np.ndarray]
    params: dict[str, np.ndarray]
    iterations: int
    residual: float
    status: int


def year_policy(model: Model, *, exo: Any = (), trade: Any = (), own: Any = (),
                reduction: float = 0.0, output_based: float = 0.0, indirect: float = 0.0,
                exo_price: float = 0.0, penalty: float = 1e4, floor: float = 0.0,
                ref_direct: Any = None, ref_indirect: Any = None, ref_output: Any = None) -> YearPolicy:
    """A :class:`YearPolicy` from sector names (reference arrays default to zero / one)."""
    s = list(model.sectors)

    def mask(names: Any) -> np.ndarray:
        m = np.zeros(len(s))
        for n in names:
            m[s.index(n)] = 1.0
        return m

    z, o = np.zeros(len(s)), np.ones(len(s))
    f = np.float64
    return YearPolicy(mask(exo), mask(trade), mask(own), f(reduction), f(output_based), f(indirect),
                      f(exo_price), f(penalty), f(floor),
                      z if ref_direct is None else np.asarray(ref_direct, f),
                      z if ref_indirect is None else np.asarray(ref_indirect, f),
                      o if ref_output is None else np.asarray(ref_output, f))


def _compiled(model: Model, cfg: SolverConfig, ets: EtsConfig):
    def build() -> tuple:
        block = EtsBlock.build(model, ets)
        core = make_core(model, cfg, blocks=[block])
        n = model.structure.n_unknowns

        def run(prm: dict, yp: YearPolicy, zx0: jax.Array) -> tuple:
            sol = core((prm, yp), zx0)
            u = sol.z[n:]
            ev = _evaluate(model, block, sol.z, prm, yp)
            return sol, block.report(ev, prm, u, yp), block.apply(prm, u, yp)

        return jax.jit(run), block

    return compiled(model, ("solve_ets", cfg, ets), build)


def _evaluate(model: Model, block: EtsBlock, zx: jax.Array, prm: dict, yp: YearPolicy) -> dict:
    from ._equations import backend, evaluate

    n = model.structure.n_unknowns
    return evaluate(model.structure, zx[:n], block.apply(prm, zx[n:], yp), backend("jax"))


@with_x64
def solve_ets(model: Model, yp: YearPolicy, params: Mapping[str, Any] | None = None,
              config: SolverConfig | None = None, ets: EtsConfig | None = None,
              zx0: Any = None) -> EtsSolution:
    """Solve one equilibrium with the trading block (never raises; check ``status``).

    Example:
        >>> yp = year_policy(model, trade=["TPOW", "STEEL"], reduction=0.05, ref_direct=em)  # doctest: +SKIP
        >>> sol = solve_ets(model, yp); sol.report["carbon_price"]  # doctest: +SKIP
    """
    cfg = config or SolverConfig(method="newton", tol=1e-10, max_steps=60)
    fn, block = _compiled(model, cfg, ets or EtsConfig())
    n = model.structure.n_unknowns
    if zx0 is None:
        from ._solve import benchmark_guess

        zx0 = np.concatenate([benchmark_guess(model), block.start()])
    prm = as_float64(dict(params if params is not None else model.params))
    sol, rep, prm_e = fn(prm, as_float64(yp), jnp.asarray(zx0, jnp.float64))
    zx = np.asarray(sol.z)
    return EtsSolution(zx[:n], zx[n:], {k: np.asarray(v) for k, v in rep.items()},
                       {k: np.asarray(v) for k, v in prm_e.items()}, int(sol.iterations),
                       float(sol.residual), int(sol.status))
