"""SAM loading, balance checks (worst accounts named), RAS balancing, specification errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cpjax import CpjaxInputError, cge
from cpjax.cge._generate import random_sam


def test_csv_and_excel_round_trip(tmp_path, mpsge_paths):
    sam = cge.load_sam(mpsge_paths[0])
    assert sam.accounts == ("X", "Y", "L", "K", "RA")
    assert sam.get("L", "X") == 50.0 and sam.get("X", "RA") == 100.0
    xlsx = tmp_path / "sam.xlsx"
    df = sam.to_frame().iloc[::-1]  # rows in another order: reordered on load
    df.to_excel(xlsx)
    back = cge.load_sam(xlsx)
    assert back.accounts == sam.accounts
    np.testing.assert_array_equal(back.values, sam.values)


def test_balance_check_names_worst_accounts(mpsge_paths):
    sam = cge.load_sam(mpsge_paths[0])
    v = sam.values.copy()
    v[sam.index("L"), sam.index("X")] += 5.0  # L row and X column now off by 5
    rep = cge.check_balance(cge.Sam(sam.accounts, v))
    assert not rep.balanced
    assert {a for a, *_ in rep.worst[:2]} == {"L", "X"}
    assert "L (row" in rep.message() and "X (row" in rep.message()
    assert cge.check_balance(sam).balanced


def test_unbalanced_sam_is_refused_with_names(tmp_path, mpsge_paths):
    bad = tmp_path / "bad.csv"
    text = mpsge_paths[0].read_text().replace("L,50,20", "L,51,20")
    bad.write_text(text)
    with pytest.raises(CpjaxInputError, match=r"not balanced.*worst accounts: (L|X) .*RAS"):
        cge.load_model(bad, mpsge_paths[1])
    m = cge.load_model(bad, mpsge_paths[1], balance="ras")  # balanced on request
    assert cge.replication_residual(m) < 1e-10
    assert m.spec["_balance_report"]["method"].startswith("RAS")


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 6))
def test_ras_balances_perturbed_sams(seed, n):
    sam, _ = random_sam(n, seed)
    rng = np.random.default_rng(seed)
    noisy = cge.Sam(sam.accounts, sam.values * np.exp(0.1 * rng.standard_normal(sam.values.shape)))
    out, rep = cge.balance_ras(noisy)
    assert cge.check_balance(out).balanced
    assert np.all((out.values > 0) == (noisy.values > 0))  # zero pattern kept
    assert rep["iterations"] >= 1


@pytest.mark.parametrize(("edit", "match"), [
    (lambda s: s.replace("sigma = 1.0", "sigma = -1.0"), "must be >= 0"),
    (lambda s: s.replace('numeraire = "X"', 'numeraire = "XX"'), "unknown good 'XX'.*did you mean 'X'"),
    (lambda s: s.replace('households = ["RA"]', 'households = ["RAA"]'), "unknown account 'RAA'.*'RA'"),
    (lambda s: s.replace("[closure]", "[closure]\nnumeraier = 1"), "unknown field 'numeraier'.*numeraire"),
    (lambda s: s.replace('numeraire = "X"', 'numeraire = "X"\nfixed_prices = { L = "NOBODY" }'),
     "unknown agent 'NOBODY'"),
    (lambda s: s.replace('children = ["*"]', 'children = ["*", "STEEL"]'), "unknown account 'STEEL'"),
])
def test_bad_specifications(tmp_path, mpsge_paths, edit, match):
    spec = tmp_path / "spec.toml"
    spec.write_text(edit(mpsge_paths[1].read_text()))
    with pytest.raises(CpjaxInputError, match=match):
        cge.load_model(mpsge_paths[0], spec)


def test_unknown_parameter_has_close_matches(stdcge):
    with pytest.raises(CpjaxInputError, match=r"unknown parameter 'tarif.BRD'.*'tariff.BRD'"):
        cge.set_params(stdcge, values={"tarif.BRD": 0.0})
    with pytest.raises(CpjaxInputError, match=">= 0"):
        cge.set_params(stdcge, values={"armington.BRD": -1.0})
