"""Property tests on randomly generated balanced SAMs: replication and homogeneity always hold."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from cpjax import cge
from cpjax.cge._generate import random_sam
from cpjax.cge._spec import validate_spec


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 8), two=st.booleans())
def test_random_sams_replicate(seed, n, two):
    sam, spec = random_sam(n, seed, two_partners=two)
    assert cge.check_balance(sam).balanced
    m = cge.build_model(sam, validate_spec(spec))
    assert cge.replication_residual(m) < 1e-10


# one structure (compiled once), many parameter draws: homogeneity of degree 0 in fixed prices
_SAM, _SPEC = random_sam(4, 12345)
_MODEL = cge.build_model(_SAM, validate_spec(_SPEC))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.floats(0.2, 5.0), tfp=st.floats(0.9, 1.1), labour=st.floats(0.9, 1.1))
def test_random_sam_homogeneity(k, tfp, labour):
    p = cge.set_params(_MODEL, values={"tfp.S1": tfp, "supply.LAB": labour})
    base = cge.solve(_MODEL, p)
    assert int(base.status) == 0
    assert cge.homogeneity_error(_MODEL, p, base=base, factor=k) < 1e-9
    assert cge.walras_residual(_MODEL, base, p) < 1e-10
    assert max(cge.identity_gaps(_MODEL, base, p).values()) < 1e-9
    assert np.isfinite(float(base.residual))
