"""Fuzzing what users hand to cpjax: tables through ``read_table`` -> ``prepare`` and the strict
configuration files (scenarios, calibration targets, quota rules, fill rules, Neural ODE
settings).  Whatever the input, the outcome is a result or a :class:`CpjaxInputError`: never
another exception and never a warning (pytest turns warnings into errors here).

Bounded for the default suite: a fixed number of derandomized examples per test (about 10-20 s
in all on a loaded 2-core machine); ``CPJAX_FUZZ_EXAMPLES=5000 CPJAX_FUZZ_RANDOM=1`` runs a
campaign.  The three crash classes found by the first fuzzing campaign
(names colliding after stripping spaces, a UTC offset among plain dates, a date beyond 2262)
are explicit examples.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from cpjax import CpjaxInputError
from cpjax.cge import load_scenario, load_targets
from cpjax.cge._calib_run import TARGETS_DIR
from cpjax.cge._scenarios import SCENARIO_DIR
from cpjax.data import read_table
from cpjax.forecast._prepare import (
    load_frame,
    prepare,
    resolve_features,
    resolve_target,
    train_end_row,
)
from cpjax.node import NodeConfig
from cpjax.quota import load_fill_rules, load_rules
from cpjax.quota._fill import DEFAULT_FILL_RULES
from cpjax.quota._rules import RULES_DIR

# CPJAX_FUZZ_EXAMPLES=5000 (and CPJAX_FUZZ_RANDOM=1 for new examples) runs a longer campaign
FUZZ = settings(max_examples=int(os.environ.get("CPJAX_FUZZ_EXAMPLES", "60")), deadline=None,
                derandomize=not os.environ.get("CPJAX_FUZZ_RANDOM"), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
_DIR = Path(tempfile.mkdtemp(prefix="cpjax-fuzz-"))

# ------------------------------------------------------------------------------ tables
_DATE_FORMS = [
    lambda d: d.strftime("%Y-%m-%d"), lambda d: d.strftime("%d/%m/%Y"),
    lambda d: d.strftime("%m/%d/%Y"), lambda d: d.strftime("%Y/%m/%d %H:%M"),
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S+08:00"), lambda d: d.strftime("%Y%m%d"),
    lambda d: d.strftime("%d.%m.%y"), lambda d: d.strftime("%Y年%m月%d日"),
]
_ODD_DATES = ["9999-12-31", "0001-01-01", "2021-02-30", "yesterday", "", "2021-06-01Z",
              "2021-06-01T00:00:00-05:00", "31/12/2021", "12/31/2021", "NaT", "1e9"]
_ODD_VALUES = ["", "nan", "inf", "-inf", "1e300", "-1e308", "n/a", "1,5", "0", "-0",
               "1e-320", "  7 ", "true", "１２"]
_NAMES = st.sampled_from(["close", " close", "close ", "open", "y", "收盘价", "vol", "", "ds",
                          "date", "Date", "unique_id", "a;b", "x.1", "close.1"])


@st.composite
def tables(draw):
    """CSV text: mostly a plausible table (so that ``prepare`` runs on most examples), with a
    few of the things real files hold: other date forms, odd cells, odd names, other
    delimiters, duplicate or out-of-range dates, gaps."""
    n = draw(st.one_of(st.integers(0, 6), st.integers(12, 40), st.integers(12, 40)))
    start = pd.Timestamp("2020-01-01") + pd.Timedelta(draw(st.integers(0, 4000)), unit="D")
    step = draw(st.sampled_from([1, 1, 7, 31]))
    days = [start + pd.Timedelta(step * i, unit="D") for i in range(n)]
    form = draw(st.sampled_from(range(len(_DATE_FORMS))))
    other = draw(st.sampled_from(range(len(_DATE_FORMS))))
    mixed = draw(st.integers(0, 9)) == 0
    dates = [_DATE_FORMS[other if mixed and draw(st.booleans()) else form](d) for d in days]
    if n and draw(st.integers(0, 3)) == 0:
        for i in draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2)):
            dates[i] = draw(st.sampled_from(_ODD_DATES + [dates[max(i - 1, 0)]]))
    if draw(st.integers(0, 4)) == 0:
        extra = draw(st.lists(_NAMES, min_size=1, max_size=3))
    else:
        extra = draw(st.lists(st.sampled_from(["close", "open", "vol", "收盘价", "y"]),
                              min_size=1, max_size=3, unique=True))
    header = [draw(st.sampled_from(["date", "ds", "trade_date", "day"]))] + extra
    odd = draw(st.sampled_from([0, 0, 0, 20, 60]))  # one odd cell in `odd` on average
    rows = []
    level = draw(st.floats(1, 100))
    for i in range(n):
        row = [dates[i]]
        for _ in extra:
            if odd and draw(st.integers(0, odd - 1)) == 0:
                row.append(draw(st.sampled_from(_ODD_VALUES)))
            else:
                row.append(repr(level + i * draw(st.floats(-1, 1)) + draw(st.floats(-3, 3))))
        rows.append(row)
    sep = draw(st.sampled_from([","] * 9 + [";", "\t"]))
    return "\n".join(sep.join(r) for r in [header, *rows]) + "\n"


def _table_to_prepared(text: str) -> None:
    path = _DIR / "t.csv"
    path.write_text(text, encoding="utf-8")
    try:
        df, source = load_frame(path)
        target = resolve_target(df, None, source)
        cols = resolve_features(df, target, None)
        n_train = train_end_row(pd.DatetimeIndex(df["ds"]), 0.7, None)
        prepare(df, target, cols, lookback=3, horizon=1, n_train=n_train, scaling={},
                max_linear_gap=3, outliers=None, min_test=2, source=source)
    except CpjaxInputError as err:
        msg = str(err)
        assert msg and "Traceback" not in msg


# the three crash classes of the first campaign, kept as explicit cases
COLLIDING = "date,close, close\n2021-06-01,1,2\n2021-06-02,2,3\n"
MIXED_ZONES = "date,close\n2021-06-01,1\n2021-06-02T00:00:00+08:00,2\n2021-06-03,3\n"
OUT_OF_RANGE = "date,close\n2021-06-01,1\n2021-06-02,2\n9999-12-31,3\n"


@FUZZ
@given(tables())
@example(COLLIDING)
@example(MIXED_ZONES)
@example(OUT_OF_RANGE)
def test_read_table_then_prepare_never_crashes(text):
    _table_to_prepared(text)


@pytest.mark.parametrize("text, match", [
    (COLLIDING, "two columns named 'close'"),
    (MIXED_ZONES, "with and without a time zone"),
    (OUT_OF_RANGE, "outside the supported range"),
])
def test_crash_classes_are_one_line_user_errors(text, match):
    path = _DIR / "crash.csv"
    path.write_text(text)
    with pytest.raises(CpjaxInputError, match=match) as err:
        read_table(path)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------- configuration
def _tomlish(path: Path) -> dict:
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8"))


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                    st.lists(st.integers(-5, 5), max_size=3), st.just([]), st.just({}),
                    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw, base: dict):
    """``base`` with a few random edits: a value replaced, a key renamed, deleted or added."""
    doc = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        where = draw(st.sampled_from(paths))
        parent = doc
        for k in where[:-1]:
            parent = parent[k]
        key = where[-1]
        action = draw(st.sampled_from(["value", "value", "rename", "delete", "add"]))
        if action == "value":
            parent[key] = draw(_VALUES)
        elif action == "rename" and isinstance(parent, dict):
            parent[key + draw(st.sampled_from(["s", "_", "x"]))] = parent.pop(key)
        elif action == "delete" and isinstance(parent, dict):
            parent.pop(key)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=5))] = draw(_VALUES)
    return doc


def _write_json(doc: dict, name: str) -> Path:
    path = _DIR / name
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    return path


def _only_input_errors(load, path) -> None:
    try:
        load(path)
    except CpjaxInputError as err:
        assert str(err)


_SCENARIO = _tomlish(SCENARIO_DIR / "S3.toml")
_TARGETS = _tomlish(TARGETS_DIR / "baseline_energy.toml")
_RULES = _tomlish(RULES_DIR / "2023.toml")
_FILL = _tomlish(DEFAULT_FILL_RULES)


@FUZZ
@given(mutated(_SCENARIO))
@example({**_SCENARIO, "reduction": {"start": 0.02, "edn": 0.30}})
@example({**_SCENARIO, "reduction": {"start": 1.5, "end": 0.1}})
def test_scenario_loader(doc):
    _only_input_errors(load_scenario, _write_json(doc, "scenario.json"))


def test_scenario_key_typo_and_range_are_errors():
    bad = _write_json({**_SCENARIO, "reduction": {"start": 0.02, "edn": 0.30}}, "typo.json")
    with pytest.raises(CpjaxInputError, match=r"typo.json: unknown key reduction.edn; did you "
                                              r"mean 'end'\? Allowed keys there: start, end, path"):
        load_scenario(bad)
    bad = _write_json({**_SCENARIO, "reduction": {"start": 1.5}}, "range.json")
    with pytest.raises(CpjaxInputError, match=r"reduction.start = 1.5 must be a number in \[0, 1\)"):
        load_scenario(bad)


@FUZZ
@given(mutated(_TARGETS))
def test_targets_loader(doc):
    _only_input_errors(load_targets, _write_json(doc, "targets.json"))


@FUZZ
@given(mutated(_RULES))
def test_rules_loader(doc):
    _only_input_errors(load_rules, _write_json(doc, "rules.json"))


@FUZZ
@given(mutated(_FILL))
def test_fill_rules_loader(doc):
    _only_input_errors(load_fill_rules, _write_json(doc, "fill.json"))


@FUZZ
@given(st.text(max_size=80))
def test_any_text_as_toml(text):
    for load, name in ((load_scenario, "s.toml"), (load_targets, "t.toml"),
                       (load_rules, "r.toml"), (load_fill_rules, "f.toml")):
        path = _DIR / name
        path.write_text(text, encoding="utf-8")
        _only_input_errors(load, path)


_NODE = json.loads(json.dumps(NodeConfig(), default=lambda o: o.__dict__))


@FUZZ
@given(mutated({k: v for k, v in _NODE.items() if k != "series_weights"}))
@example({**_NODE, "preprocess": {**_NODE["preprocess"], "outlier_methd": "iqr"}})
def test_node_settings(doc):
    try:
        NodeConfig.from_dict(doc)
    except CpjaxInputError as err:
        assert str(err)


def test_node_settings_unknown_nested_key():
    doc = {**_NODE, "preprocess": {**_NODE["preprocess"], "outlier_methd": "iqr"}}
    with pytest.raises(CpjaxInputError, match="preprocess.outlier_methd"):
        NodeConfig.from_dict(doc)
