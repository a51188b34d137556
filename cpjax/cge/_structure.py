"""The compiled model: goods, activities with nested CES/CET trees, agents and the closure.

A model is an abstract general-equilibrium economy in the style of MPSGE:

* **goods** have prices (factors, partners' currencies, domestic and composite commodities);
* **activities** (production ``Y.<sector>``, Armington ``A.<sector>``) turn inputs into outputs with
  constant returns; inputs form a nested CES tree, outputs a nested CET tree (stored with the
  transformation elasticity; the equations use ``sigma = -omega``);
* **agents** (households, enterprises, government, savings–investment, tax accounts) own
  endowments, receive taxes and transfers, pay fixed shares of income to other agents and spend the
  rest (or a fixed real amount) on a Cobb–Douglas bundle.

:class:`Structure` holds integer/float arrays that never change with parameters (tree shape,
calibrated shares, benchmark quantities); the parameters that scenarios change live in a dict of
arrays (see ``_params.py``).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

__all__ = ["Structure", "Model"]


@dataclasses.dataclass(frozen=True, eq=False)
class Structure:
    """Static arrays describing the model (numpy; closed over by the compiled functions)."""

    # --- names
    goods: tuple[str, ...]
    activities: tuple[str, ...]
    agents: tuple[str, ...]
    nodes: tuple[str, ...]          # "<activity>/<node>"
    # --- nodes
    node_act: np.ndarray            # activity of node
    node_is_input: np.ndarray       # bool: input (CES) tree or output (CET) tree
    node_parent_edge: np.ndarray    # edge whose child is this node; -1 for tops
    depth: int                      # longest path from a top node to a leaf
    # --- edges (children of nodes)
    edge_parent: np.ndarray
    edge_child_node: np.ndarray     # node index, or -1 for a leaf
    edge_good: np.ndarray           # good index for leaves, -1 for node children
    edge_theta: np.ndarray          # calibrated value share in the parent
    edge_xbar: np.ndarray           # benchmark quantity per unit of activity (leaves; value units)
    edge_tbar: np.ndarray           # benchmark ad valorem tax on the leaf
    edge_tax_agent: np.ndarray      # agent receiving the leaf tax, -1 none
    edge_is_input: np.ndarray
    # --- activities
    act_top_in: np.ndarray
    act_top_out: np.ndarray
    act_tbar: np.ndarray            # benchmark activity tax rate (on input cost)
    act_vin: np.ndarray             # benchmark input value (excl. activity tax) per unit of activity
    act_tax_agent: np.ndarray       # -1 none
    act_good: np.ndarray            # designated good (price paired with zero profit), -1 none
    # --- agents
    agent_mbar: np.ndarray          # benchmark income
    resid_cons: np.ndarray          # bool: consumption is the agent's residual spending
    resid_agent: np.ndarray         # (agents, agents) one-hot row: the residual destination
    fixed_real: np.ndarray          # bool: consumption fixed in real terms
    surcharge_agent: int            # agent receiving specific surcharges (carbon revenue), -1 none
    # --- closure
    numeraire: int                  # good index
    fixed_goods: np.ndarray         # goods with fixed prices, numeraire first
    free_goods: np.ndarray          # goods whose log price is unknown
    aux_goods: np.ndarray           # fixed goods (not the numeraire) whose market an endowment clears
    aux_agents: np.ndarray          # the agent whose endowment of aux_goods[k] adjusts
    good_scale: np.ndarray          # benchmark market size used to scale market residuals
    # --- residual ordering (unknown k is paired with equation pair[k], for the tatonnement map)
    pair: np.ndarray

    @functools.cached_property
    def levels(self) -> Any:
        """Tree levels and scatter-free sums (:class:`~cpjax.cge._layout.Levels`), built once."""
        from ._layout import build_levels

        return build_levels(self)

    @functools.cached_property
    def jacobian_plan(self) -> Any:
        """Index arrays of the structured Jacobian (:mod:`~cpjax.cge._jacobian`), built once."""
        from ._jacobian import build_plan

        return build_plan(self)

    @property
    def n_unknowns(self) -> int:
        return len(self.free_goods) + len(self.activities) + len(self.agents) + len(self.aux_goods)

    def unknown_names(self) -> list[str]:
        return ([f"price.{self.goods[g]}" for g in self.free_goods]
                + [f"activity.{a}" for a in self.activities]
                + [f"income.{h}" for h in self.agents]
                + [f"adjust.{self.goods[g]}.{self.agents[h]}"
                   for g, h in zip(self.aux_goods, self.aux_agents)])


@dataclasses.dataclass(frozen=True, eq=False)
class Model:
    """A calibrated CGE model: structure, benchmark parameters, names and metadata.

    Attributes:
        structure: static arrays (:class:`Structure`).
        params: benchmark parameters (dict of float64 numpy arrays) that reproduce the SAM.
        param_index: parameter name (``"tfp.STEEL"``) -> (key, index) into ``params``.
        sectors, factors, partners: account names by role.
        energy: emissions/energy bookkeeping (or ``None``), see ``_energy.py``.
        spec: the validated specification; sam: the benchmark SAM.
    """

    structure: Structure
    params: dict[str, np.ndarray]
    param_index: dict[str, tuple[str, tuple[int, ...]]]
    sectors: tuple[str, ...]
    factors: tuple[str, ...]
    partners: tuple[str, ...]
    roles: dict[str, str]
    energy: Any
    spec: dict[str, Any]
    sam: Any
    name: str = "cge"

    def __repr__(self) -> str:  # keep the repr short (the arrays are large)
        s = self.structure
        return (f"Model({self.name!r}: {len(self.sectors)} sectors, {len(s.goods)} goods, "
                f"{len(s.activities)} activities, {len(s.agents)} agents, "
                f"{s.n_unknowns} unknowns, numeraire {s.goods[s.numeraire]!r})")
