"""Registry, configs and bad input: clear CpjaxInputError (a ValueError) naming the argument."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import optax
import pytest

from cpjax._errors import CpjaxInputError
from cpjax._io import to_jsonable
from cpjax.optim import (
    OptimizerConfig,
    SophiaConfig,
    extra_update_args,
    make_optimizer,
    optimizer_config,
    optimizer_names,
    required_extra_args,
    sophia,
)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -1e-3}, "learning_rate"),
        ({"update_interval": 0}, "update_interval"),
        ({"update_interval": 2.5}, "update_interval"),
        ({"b1": 1.0}, "b1"),
        ({"b1": -0.1}, "b1"),
        ({"b2": 1.0}, "b2"),
        ({"gamma": 0.0}, "gamma"),
        ({"eps": 0.0}, "eps"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"num_probes": 0}, "num_probes"),
        ({"clip_threshold": 0.0}, "clip_threshold"),
        ({"estimator": "hutchinsn"}, "did you mean 'hutchinson'"),
        ({"probe": "normal"}, "probe"),
        ({"refresh": "later"}, "refresh"),
        ({"estimator": "gnb", "gnb_loss": "huber"}, "gnb_loss"),
        ({"bias_correction": 1}, "bias_correction"),
    ],
)
def test_bad_hyperparameters_raise_at_construction(kwargs, match):
    kwargs = {"learning_rate": 1e-3, **kwargs}
    with pytest.raises(CpjaxInputError, match=match):
        sophia(**kwargs)
    assert issubclass(CpjaxInputError, ValueError)


@pytest.mark.parametrize("estimator,needed", [("hutchinson", "loss_fn"), ("gnb", "output_fn")])
def test_missing_estimator_closure_is_a_clear_error_at_first_update(estimator, needed):
    tx = sophia(1e-3, estimator=estimator)
    p = jnp.ones(3, jnp.float32)
    with pytest.raises(CpjaxInputError, match=needed):
        tx.update(p, tx.init(p), p)
    with pytest.raises(CpjaxInputError, match="params"):
        tx.update(p, tx.init(p), None, loss_fn=jnp.sum, output_fn=lambda q: q)


def test_registry_names_and_unknown_name_suggests_close_match():
    assert {"adam", "adamw", "rmsprop", "sgd", "sophia"} <= set(optimizer_names())
    with pytest.raises(CpjaxInputError, match="did you mean 'sophia'"):
        make_optimizer("sophai", 1e-3)
    with pytest.raises(CpjaxInputError, match="update_intervall"):
        optimizer_config("sophia", 1e-3, update_intervall=5)
    with pytest.raises(CpjaxInputError, match="adamw"):
        make_optimizer("adam", 1e-3, weight_decay=0.01)


def test_extra_update_args_protocol():
    loss_fn, output_fn = (lambda p: jnp.sum(p)), (lambda p: p)
    adam = optimizer_config("adamw", 1e-3)
    soph_h = optimizer_config("sophia", 1e-3)
    soph_g = optimizer_config("sophia", 1e-3, estimator="gnb", gnb_loss="cross_entropy")
    assert required_extra_args(adam) == ()
    assert extra_update_args(adam, loss_fn=loss_fn) == {}
    assert extra_update_args(soph_h, loss_fn=loss_fn, output_fn=output_fn) == {"loss_fn": loss_fn}
    assert extra_update_args(soph_g, loss_fn=loss_fn, output_fn=output_fn) == {
        "output_fn": output_fn}
    with pytest.raises(CpjaxInputError, match="output_fn"):
        extra_update_args(soph_g, loss_fn=loss_fn)
    # unused closures are harmless for every registered optimizer (optax.chain ignores them)
    p = jnp.ones(2, jnp.float32)
    for name in optimizer_names():
        tx = make_optimizer(name, 1e-3)
        upd, _ = tx.update(p, tx.init(p), p, loss_fn=loss_fn, output_fn=output_fn)
        assert jax.tree.structure(upd) == jax.tree.structure(p)


def test_config_is_json_serialisable_and_round_trips():
    cfg = optimizer_config("sophia", 3e-4, estimator="gnb", weight_decay=0.01, warmup_steps=10,
                           clip_grad_norm=1.0)
    assert cfg.sophia == SophiaConfig(estimator="gnb")
    blob = json.loads(json.dumps(to_jsonable(cfg)))
    assert OptimizerConfig.from_dict(blob) == cfg
    tx = make_optimizer(cfg)
    assert isinstance(tx, optax.GradientTransformationExtraArgs)


def test_warmup_and_gradient_clipping_in_config():
    cfg = OptimizerConfig(name="sgd", learning_rate=1.0, warmup_steps=4, clip_grad_norm=0.5)
    tx = make_optimizer(cfg)
    p = jnp.zeros(2, jnp.float32)
    g = jnp.array([3.0, 4.0], jnp.float32)  # norm 5 -> clipped to 0.5
    s = tx.init(p)
    steps = []
    for _ in range(5):
        u, s = tx.update(g, s, p)
        steps.append(float(jnp.linalg.norm(u)))
    # linear warm-up 0, 0.25, 0.5, 0.75, 1.0 of lr 1.0 times the clipped norm 0.5
    assert steps == pytest.approx([0.0, 0.125, 0.25, 0.375, 0.5], abs=1e-6)
