"""Parameters by name: what ``--set NAME=VALUE`` and :func:`set_params` accept.

Parameter arrays (all float64):

==============  =================  ===============================================================
key             shape              meaning
==============  =================  ===============================================================
sigma           (nodes,)           elasticity of substitution (inputs) or transformation (outputs)
eff             (nodes,)           efficiency of a nest: TFP at a production top, AEEI at ``E``
tax             (edges,)           ad valorem tax on an input (tariffs)
pw              (edges,)           world-price index on a partner leaf (1 at benchmark)
surcharge       (edges,)           specific cost per unit of an input (carbon price x factor)
act_tax         (activities,)      production tax rate on the input cost of an activity
endow           (agents, goods)    endowments (factor supplies, transfers and savings from partners)
share           (agents, agents)   share of income paid to another agent (taxes, transfers, saving)
cons_share      (agents,)          share of income consumed (when consumption is not the residual)
cons_real       (agents,)          real consumption (when fixed in real terms)
beta            (agents, goods)    Cobb–Douglas consumption shares
fixed_price     (fixed goods,)     price of the numeraire and of other fixed-price goods
==============  =================  ===============================================================

Names: ``sigma.<activity>.<nest>`` (e.g. ``sigma.Y.STEEL.VAE``), ``eff.<activity>.<nest>``,
``tax.<activity>.<good>``, ``pw.<activity>.<good>``, ``surcharge.<activity>.<good>``,
``act_tax.<activity>``, ``endow.<agent>.<good>``, ``share.<agent>.<agent>``,
``cons_share.<agent>``, ``cons_real.<agent>``, ``beta.<agent>.<good>``, ``price.<good>``; and the
aliases ``tfp.<sector>``, ``aeei.<sector>``, ``tax.<sector>`` (production tax),
``tariff.<sector>``, ``armington.<sector>``, ``cet.<sector>``, ``pwm.<partner>.<sector>``,
``pwe.<partner>.<sector>``, ``supply.<factor>`` (total endowment, scaled over owners).

Every function that takes parameter names (``set_params``, ``get_param``, ``implicit_gradient``,
``finite_difference_gradient``, the calibration and sweep paths) resolves them through
:func:`param_ref`, so a name is accepted everywhere or nowhere.  ``supply.<factor>`` is a derived
parameter: the multiple of the benchmark total endowment of the factor (every owner's endowment
scaled alike); its gradient is the chain rule over the endowments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .._errors import CpjaxInputError, close_matches

if TYPE_CHECKING:
    from ._structure import Model

__all__ = ["build_param_index", "set_params", "get_param", "param_names", "ParamRef", "param_ref",
           "get_value", "set_value", "grad_value"]


def build_param_index(model: Model) -> dict[str, tuple[str, tuple[int, ...]]]:
    st = model.structure
    idx: dict[str, tuple[str, tuple[int, ...]]] = {}
    for n, name in enumerate(st.nodes):
        act, node = name.split("/")
        side = "" if st.node_is_input[n] else "out."
        idx[f"sigma.{side}{act}.{node}"] = ("sigma", (n,))
        if st.node_is_input[n]:
            idx[f"eff.{act}.{node}"] = ("eff", (n,))
            if act.startswith("Y.") and node == "top":
                idx[f"tfp.{act[2:]}"] = ("eff", (n,))
            if act.startswith("Y.") and node == "E":
                idx[f"aeei.{act[2:]}"] = ("eff", (n,))
            if act.startswith("A.") and node == "top":
                idx[f"armington.{act[2:]}"] = ("sigma", (n,))
        elif act.startswith("Y.") and node == "top":
            idx[f"cet.{act[2:]}"] = ("sigma", (n,))
    for e in range(len(st.edge_parent)):
        g = st.edge_good[e]
        if g < 0:
            continue
        act = st.activities[st.node_act[st.edge_parent[e]]]
        gname = st.goods[g]
        if st.edge_is_input[e]:
            idx[f"tax.{act}.{gname}"] = ("tax", (e,))
            idx[f"surcharge.{act}.{gname}"] = ("surcharge", (e,))
            if st.edge_tbar[e] > 0 and act.startswith("A."):
                idx[f"tariff.{act[2:]}"] = ("tax", (e,))
        idx[f"pw.{act}.{gname}"] = ("pw", (e,))
        if gname in model.partners:
            kind = "pwm" if st.edge_is_input[e] else "pwe"
            idx[f"{kind}.{gname}.{act[2:]}"] = ("pw", (e,))
    for a, act in enumerate(st.activities):
        idx[f"act_tax.{act}"] = ("act_tax", (a,))
        if act.startswith("Y."):
            idx[f"tax.{act[2:]}"] = ("act_tax", (a,))
    for h, hn in enumerate(st.agents):
        idx[f"cons_share.{hn}"] = ("cons_share", (h,))
        idx[f"cons_real.{hn}"] = ("cons_real", (h,))
        for g, gn in enumerate(st.goods):
            if model.params["endow"][h, g] != 0 or gn in model.factors or gn in model.partners:
                idx[f"endow.{hn}.{gn}"] = ("endow", (h, g))
            if model.params["beta"][h, g] != 0:
                idx[f"beta.{hn}.{gn}"] = ("beta", (h, g))
        for k, kn in enumerate(st.agents):
            if k != h:
                idx[f"share.{hn}.{kn}"] = ("share", (h, k))
    for k, g in enumerate(st.fixed_goods):
        idx[f"price.{st.goods[g]}"] = ("fixed_price", (k,))
    return idx


class ParamRef(NamedTuple):
    """Where a named parameter lives: ``params[key][index]``, or (``column`` set) the scale of
    column ``column`` of ``params["endow"]`` relative to the benchmark (``supply.<factor>``)."""

    name: str
    key: str
    index: tuple[int, ...]
    column: int = -1


def param_names(model: Model) -> list[str]:
    """All parameter names, as every function that takes names accepts them."""
    return sorted(model.param_index) + [f"supply.{f}" for f in model.factors]


def param_ref(model: Model, name: str) -> ParamRef:
    """Resolve a parameter name (raises :class:`~cpjax.CpjaxInputError` with close matches)."""
    if name in model.param_index:
        key, ix = model.param_index[name]
        return ParamRef(name, key, ix)
    if name.startswith("supply.") and name[7:] in model.factors:
        return ParamRef(name, "endow", (), model.structure.goods.index(name[7:]))
    near = close_matches(name, param_names(model), n=3)
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    prefixes = sorted({n.split(".")[0] for n in param_names(model)})
    raise CpjaxInputError(f"unknown parameter {name!r}{hint} Parameter names start with one of "
                          f"{', '.join(prefixes)} (see docs/cge.md, 'Parameters').")


def _bench_column(model: Model, col: int) -> np.ndarray:
    return np.asarray(model.params["endow"], dtype=np.float64)[:, col]


def get_value(model: Model, params: Mapping[str, Any], ref: ParamRef) -> Any:
    """The value of ``ref`` in ``params`` (NumPy or JAX arrays)."""
    if ref.column >= 0:
        return params["endow"][:, ref.column].sum() / _bench_column(model, ref.column).sum()
    return params[ref.key][ref.index]


def set_value(model: Model, params: Mapping[str, Any], ref: ParamRef, value: Any) -> dict[str, Any]:
    """A new dict with ``ref`` set to ``value`` (JAX: functional update, differentiable)."""
    out = dict(params)
    if ref.column >= 0:
        col = value * _bench_column(model, ref.column)
        arr = out["endow"]
        out["endow"] = (arr.at[:, ref.column].set(col) if hasattr(arr, "at")
                        else _np_set(arr, (slice(None), ref.column), col))
        return out
    arr = out[ref.key]
    out[ref.key] = arr.at[ref.index].set(value) if hasattr(arr, "at") else _np_set(arr, ref.index, value)
    return out


def _np_set(arr: Any, ix: Any, value: Any) -> np.ndarray:
    new = np.array(arr, dtype=np.float64, copy=True)
    new[ix] = value
    return new


def grad_value(model: Model, grads: Mapping[str, Any], ref: ParamRef) -> Any:
    """d output / d ``ref`` from the gradient with respect to the whole parameter dict."""
    if ref.column >= 0:
        return grads["endow"][:, ref.column] @ _bench_column(model, ref.column)
    return grads[ref.key][ref.index]


def get_param(model: Model, params: Mapping[str, Any], name: str) -> float:
    """Value of one named parameter (``supply.<factor>``: multiple of the benchmark supply)."""
    return float(get_value(model, {k: np.asarray(v) for k, v in params.items()}, param_ref(model, name)))


def set_params(model: Model, params: Mapping[str, Any] | None = None,
               values: Mapping[str, float] | None = None) -> dict[str, np.ndarray]:
    """Return a copy of ``params`` (default: the benchmark) with named entries replaced.

    Arguments:
        model: the model (gives the names).
        params: parameters to start from (default ``model.params``).
        values: ``{"tfp.STEEL": 1.05, "tariff.CHEM": 0.0, "supply.LAB": 1.1}``.  ``supply.<f>``
            multiplies every owner's endowment of factor ``f`` so that the total is the given
            multiple of the benchmark.

    Returns:
        A new dict of numpy float64 arrays.

    Example:
        >>> p = set_params(model, values={"tfp.STEEL": 1.05})  # doctest: +SKIP
    """
    out = {k: np.array(v, dtype=np.float64, copy=True) for k, v in (params or model.params).items()}
    for name, value in (values or {}).items():
        try:
            v = float(value)
        except (TypeError, ValueError) as err:
            raise CpjaxInputError(f"parameter {name}: value {value!r} is not a number") from err
        if not np.isfinite(v):
            raise CpjaxInputError(f"parameter {name}: value {v} is not finite")
        ref = param_ref(model, name)
        if ref.column >= 0:
            if v <= 0:
                raise CpjaxInputError(f"parameter {name} = {v}: must be > 0 (a multiple of the "
                                      "benchmark supply)")
            out["endow"][:, ref.column] = model.params["endow"][:, ref.column] * v
            continue
        key, ix = ref.key, ref.index
        if key == "sigma" and v < 0:
            raise CpjaxInputError(f"parameter {name} = {v}: elasticities must be >= 0")
        if key in ("eff", "fixed_price", "pw") and v <= 0:
            raise CpjaxInputError(f"parameter {name} = {v}: must be > 0")
        out[key][ix] = v
    return out
