"""What one training step of one problem does: the supervised step (and its model forward pass).

A *kit* bundles pure functions of one problem (no batch-of-problems axis; the engine ``vmap``s
them):

* ``init(key, x0, hp) -> (params, batch_stats, opt_state, train_key)``
* ``step((params, batch_stats, opt_state, key), x, y, hp) -> (carry, loss)``: one minibatch
* ``forward(params, batch_stats, X, hp) -> (B, H)``: evaluation-mode prediction, scored on the
  validation rows with the training loss of :class:`TrainConfig`; or, instead,
* ``val_loss(params, batch_stats, X_val, Y_val, valid, hp) -> scalar``: the kit's own validation
  loss (``valid`` marks the real rows among the padded ones), for kits whose validation is not a
  row-wise loss of a forward pass (the Neural ODE's multi-step forecast, ``cpjax.node``).

The rows ``x``/``y`` (and the validation rows) are arrays or pytrees of arrays with a common
leading row axis: the engine pads, shuffles and slices every leaf along it, and a kit reads its
own layout (the supervised kits: windows ``(L, F)`` and targets ``(H,)``).

``hp`` is the problem's dict of dynamic hyperparameters (scalars, traced inside the compiled
program): ``l1``, ``l2``, ``huber_delta``, ``opt.<setting>`` (optimizer settings injected with
``optax.inject_hyperparams``) and ``model.<field>`` (module config fields such as dropout rates,
listed in the module class's ``dynamic_fields``).  Everything that shapes arrays (module
structure, optimizer structure, loss name, batch size) is static: it is the :class:`ProgramKey`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array

from ..nn import kernel_penalty
from ..optim import (
    OptimizerConfig,
    extra_update_args,
    make_injectable_optimizer,
    required_extra_args,
    set_injected_hyperparams,
    set_sophia_key,
)
from ._losses import loss_elements

__all__ = ["ExtraArgsContext", "Kit", "ProgramKey", "apply_train", "dynamic_fields",
           "init_optimizer", "init_variables", "module_at", "sown_losses", "supervised_kit"]


@dataclasses.dataclass(frozen=True)
class ExtraArgsContext:
    """What an optimizer that needs more than gradients (Sophia) may use at one step.

    ``loss_fn(params)`` is the minibatch loss (same batch statistics and dropout key as the
    gradient), ``output_fn(params)`` the network's ``(B, H)`` output, ``targets`` the batch targets,
    ``loss_name`` the training loss, ``key`` a fresh PRNG key for this step.
    """

    loss_fn: Callable[[Any], Array]
    output_fn: Callable[[Any], Array]
    targets: Array
    loss_name: str
    key: Array


@dataclasses.dataclass(frozen=True)
class ProgramKey:
    """Everything a compiled training program depends on besides array shapes and dtypes.

    Attributes:
        trainer: a registered kit: ``"supervised"``, ``"adversarial"`` (or ``"ode"``, registered
            by ``cpjax.node``).
        module: the Flax module with its dynamic fields set to a placeholder (0.0); for other
            kits any hashable description of the model (e.g. ``cpjax.node``'s ``OdeSpec``).
        dynamic: the module config fields passed as values (``model.<name>`` in ``hp``).
        optimizer: an :class:`~cpjax.optim.OptimizerConfig` *structure* (injectable settings
            replaced by placeholders, see :func:`cpjax.optim.optimizer_structure`), or an optax
            transformation given directly (legacy; then nothing is injected).
        injected: names of the optimizer settings passed as values (``opt.<name>`` in ``hp``).
        extra_args_fn: legacy hook building the optimizer's extra update keywords.
        loss: training loss name.
        batch_size: windows per step (static: it shapes the minibatch).
        penalty: whether any problem has an L1/L2 penalty (the term is left out otherwise).
    """

    trainer: str
    module: Any
    dynamic: tuple[str, ...]
    optimizer: Any
    injected: tuple[str, ...]
    extra_args_fn: Any
    loss: str
    batch_size: int
    penalty: bool

    def transformation(self) -> optax.GradientTransformationExtraArgs:
        if isinstance(self.optimizer, OptimizerConfig):
            return make_injectable_optimizer(self.optimizer, self.injected)
        return self.optimizer


class Kit(NamedTuple):
    """What the engine needs of one trainer (module docstring): ``forward`` or ``val_loss``."""

    init: Callable
    step: Callable
    forward: Callable | None
    val_loss: Callable | None = None


def dynamic_fields(module) -> tuple[str, ...]:
    """The config fields of ``module`` that may be traced (class attribute ``dynamic_fields``,
    kept only where the module's ``config`` has them)."""
    names = getattr(type(module), "dynamic_fields", ())
    cfg = getattr(module, "config", None)
    if not names or cfg is None or not dataclasses.is_dataclass(cfg):
        return ()
    have = {f.name for f in dataclasses.fields(cfg)}
    return tuple(n for n in names if n in have)


def module_at(module, names: tuple[str, ...], hp: dict[str, Array]):
    """``module`` with config fields ``names`` set to the problem's values ``hp["model.<name>"]``."""
    if not names:
        return module
    cfg = dataclasses.replace(module.config, **{n: hp[f"model.{n}"] for n in names})
    return module.clone(config=cfg)


def init_variables(module, key: Array, sample: Array) -> tuple[Any, Any]:
    """Initialise ``(params, batch_stats)``; ``batch_stats`` is ``{}`` for models without it."""
    k_params, k_drop = jax.random.split(key)
    variables = module.init({"params": k_params, "dropout": k_drop}, sample, train=False)
    return variables["params"], variables.get("batch_stats", {})


def evaluate(module, params, stats, x):
    """Evaluation-mode forward pass (running BatchNorm statistics, no dropout)."""
    variables = {"params": params}
    if stats:
        variables["batch_stats"] = stats
    return module.apply(variables, x, train=False)


def sown_losses(collection) -> Array:
    """Sum of every value a model sowed with ``self.sow("losses", name, value)`` (float32)."""
    total = jnp.zeros((), jnp.float32)
    for leaf in jax.tree_util.tree_leaves(collection):
        total = total + jnp.sum(leaf).astype(jnp.float32)
    return total


def apply_train(module, params, stats, x, key=None, **kwargs):
    """One training-mode forward pass: ``(output, new batch_stats, sum of sown losses)``.

    A model may add terms to its training objective with ``self.sow("losses", name, value)``
    (the VAE's KL term, the autoencoder's reconstruction error, the hybrid's L1/L2 penalty); they
    are collected here and added to the loss by the engine.  Evaluation (validation loss,
    prediction) runs without them.
    """
    variables = {"params": params}
    if stats:
        variables["batch_stats"] = stats
    rngs = {"dropout": key} if key is not None else None
    mutable = ["batch_stats", "losses"] if stats else ["losses"]
    out, updates = module.apply(variables, x, train=True, rngs=rngs, mutable=mutable, **kwargs)
    new_stats = updates["batch_stats"] if stats else stats
    return out, new_stats, sown_losses(updates.get("losses", {}))


def optimizer_values(key: ProgramKey, hp: dict[str, Array]) -> dict[str, Array]:
    return {n: hp[f"opt.{n}"] for n in key.injected}


def init_optimizer(key: ProgramKey, tx, params, hp, train_key):
    """``tx.init`` with the problem's injected settings (``hp["opt.<name>"]``) and its own Sophia
    probe key: what every kit's ``init`` does with its optimizer."""
    with jax.numpy_dtype_promotion("standard"):
        state = tx.init(params)
    if key.injected:
        state = set_injected_hyperparams(state, optimizer_values(key, hp))
    return set_sophia_key(state, jax.random.fold_in(train_key, 1))


def supervised_kit(key: ProgramKey) -> Kit:
    """The ordinary supervised step: ``loss(f(x), y)`` + sown losses + L1/L2, one optimizer."""
    tx = key.transformation()
    loss_el = loss_elements(key.loss)
    needs_extra = (isinstance(key.optimizer, OptimizerConfig)
                   and bool(required_extra_args(key.optimizer)))

    def init(rng, x0, hp):
        module = module_at(key.module, key.dynamic, hp)
        k_init, k_train = jax.random.split(rng)
        params, stats = init_variables(module, k_init, x0)
        return params, stats, init_optimizer(key, tx, params, hp, k_train), k_train

    def step(carry, x, y, hp):
        params, stats, opt_state, rng = carry
        rng, k_drop, k_extra = jax.random.split(rng, 3)
        module = module_at(key.module, key.dynamic, hp)

        def objective(p):
            out, new_stats, aux = apply_train(module, p, stats, x, k_drop)
            loss = jnp.mean(loss_el(out, y, hp["huber_delta"])) + aux
            if key.penalty:
                loss = loss + kernel_penalty(p, hp["l1"], hp["l2"])
            return loss, new_stats

        (loss, new_stats), grads = jax.value_and_grad(objective, has_aux=True)(params)
        extra: dict[str, Any] = {}
        if needs_extra:
            extra = extra_update_args(
                key.optimizer, loss_fn=lambda p: objective(p)[0],
                output_fn=lambda p: apply_train(module, p, stats, x, k_drop)[0],
                probe_key=k_extra)
        elif key.extra_args_fn is not None:
            extra = key.extra_args_fn(ExtraArgsContext(
                loss_fn=lambda p: objective(p)[0],
                output_fn=lambda p: apply_train(module, p, stats, x, k_drop)[0],
                targets=y, loss_name=key.loss, key=k_extra))
        # optax's bias corrections mix Python floats with an int32 step count, which strict
        # dtype promotion (our test setting) rejects; the promotion rule is relaxed only here.
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = tx.update(grads, opt_state, params, **extra)
            params = optax.apply_updates(params, updates)
        return (params, new_stats, opt_state, rng), loss

    def forward(params, stats, X, hp):
        return evaluate(module_at(key.module, key.dynamic, hp), params, stats, X)

    return Kit(init, step, forward)
