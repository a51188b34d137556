"""Global (panel) forecasting: per-series scaling, heads, one program, CLI, future covariates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpjax._cache import CompileCount
from cpjax._errors import CpjaxInputError
from cpjax.cli import main
from cpjax.data import demo_panel
from cpjax.forecast import GlobalForecaster
from cpjax.train import program_cache_info

SMALL = dict(lookback=12, horizon=4, epochs=2, hidden_size=16, num_layers=1, batch_size=64)


@pytest.fixture(scope="module")
def panel():
    return demo_panel(3, n_days=220)


def _params(gf):
    import jax

    return [np.asarray(a) for a in jax.tree_util.tree_leaves(gf.params_)]


def test_scaling_uses_training_rows_only(panel):
    gf = GlobalForecaster(**SMALL, calendar=False).fit(panel, split=0.7)
    changed = panel.copy()
    for uid, cut in gf.cutoffs_.items():
        late = (changed["unique_id"] == uid) & (changed["ds"] > cut)
        changed.loc[late, "y"] *= 3.0
        changed.loc[late, "csi300"] += 500.0
    gf2 = GlobalForecaster(**SMALL, calendar=False).fit(changed, split=0.7)
    for uid in gf.series_:
        assert gf.series_[uid].data.scaler.to_dict() == gf2.series_[uid].data.scaler.to_dict()
    for a, b in zip(_params(gf), _params(gf2), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("head", ["quantile", "student_t"])
def test_quantiles_do_not_cross(panel, head):
    gf = GlobalForecaster(**SMALL, head=head, calendar=False).fit(panel, split=0.7)
    levels = (0.1, 0.25, 0.5, 0.75, 0.9)
    fc = gf.predict(quantiles=levels, levels=(80,))
    q = fc[[f"global_mlp-q{int(100 * v)}" for v in levels]].to_numpy()
    assert np.all(np.diff(q, axis=1) >= 0)
    assert {"global_mlp-lo-80", "global_mlp-hi-80"} <= set(fc.columns)
    assert set(fc["h"]) == {1, 2, 3, 4} and fc["unique_id"].nunique() == 3
    if head == "quantile":
        with pytest.raises(CpjaxInputError, match="outside the trained levels"):
            gf.predict(quantiles=(0.01,))


def test_global_fit_compiles_one_program(panel):
    before = program_cache_info()["programs"]
    GlobalForecaster(**SMALL, calendar=False, embed_dim=3, seed=5).fit(panel, split=0.7)
    assert program_cache_info()["programs"] == before + 1
    other = panel.assign(y=panel["y"] * 1.1)  # other data, same shapes: no new compilation
    with CompileCount() as c:
        GlobalForecaster(**SMALL, calendar=False, embed_dim=3, seed=6).fit(other, split=0.7)
    assert program_cache_info()["programs"] == before + 1
    assert c.compiles == 0


def test_local_mode_one_problem_per_series(panel):
    gf = GlobalForecaster(**SMALL, mode="local", calendar=False).fit(panel, split=0.7)
    assert set(gf.params_) == set(gf.series_)
    assert gf.predict()["unique_id"].nunique() == 3


def test_future_covariates_static_and_calendar(panel):
    df = panel.assign(promo=(panel["ds"].dt.day % 5 == 0).astype(float))
    static = pd.DataFrame({"unique_id": ["market_0", "market_1", "market_2"],
                           "market": ["guangdong", "hubei", "eua"],
                           "currency": ["CNY", "CNY", "EUR"]})
    gf = GlobalForecaster(**SMALL).fit(df, static, hist_exog=["csi300"], futr_exog=["promo"],
                                       split=0.8)
    assert gf.layout_.calendar and "currency=EUR" in gf.layout_.static_names
    futr = gf.forecast  # the next H dates need promo
    with pytest.raises(CpjaxInputError, match="futr_df lacks column.*promo"):
        futr(pd.DataFrame({"unique_id": ["market_0"], "ds": [pd.Timestamp("2030-01-01")]}))
    with pytest.raises(CpjaxInputError, match="futr_df"):
        futr(None)
    dates = {u: pd.bdate_range(g["ds"].max() + pd.Timedelta(1, unit="D"), periods=4)
             for u, g in df.groupby("unique_id")}
    fut = pd.concat([pd.DataFrame({"unique_id": u, "ds": d, "promo": 1.0})
                     for u, d in dates.items()])
    out = gf.forecast(fut, quantiles=(0.1, 0.9))
    assert len(out) == 12 and (out["global_mlp-q10"] <= out["global_mlp-q90"]).all()


def test_cli_round_trip_with_quantiles(panel, tmp_path):
    csv = tmp_path / "long.csv"
    panel.to_csv(csv, index=False)
    out = tmp_path / "run"
    code = main(["forecast", "--data", str(csv), "--quantiles", "0.1,0.5,0.9", "--lookback",
                 "12", "--horizon", "4", "--epochs", "2", "--batch-size", "64", "--level", "80",
                 "--references", "persistence", "--quiet", "--out", str(out)])
    assert code == 0
    fc = pd.read_csv(out / "forecasts.csv")
    cols = ["global_mlp", "global_mlp-q10", "global_mlp-q50", "global_mlp-q90"]
    assert set(cols) <= set(fc.columns) and "persistence-q10" in fc.columns
    assert (fc["global_mlp-q10"] <= fc["global_mlp-q50"]).all()
    assert (fc["global_mlp-q50"] <= fc["global_mlp-q90"]).all()
    m = pd.read_csv(out / "metrics.csv")
    assert {"crps", "pinball", "coverage_80", "winkler_80", "mase", "rmse"} <= set(m.columns)
    assert {"1", "4", "all"} <= set(m["h"].astype(str))
    again = GlobalForecaster.load(out / "model", csv).predict(quantiles=(0.1, 0.5, 0.9))
    np.testing.assert_allclose(again["global_mlp-q90"].to_numpy(),
                               fc["global_mlp-q90"].to_numpy(), rtol=1e-5)


def test_cli_bad_input_one_line(panel, tmp_path, capsys):
    csv = tmp_path / "long.csv"
    panel.to_csv(csv, index=False)
    code = main(["forecast", "--data", str(csv), "--model", "lstm", "--out",
                 str(tmp_path / "bad")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not (tmp_path / "bad").exists()
    assert "--unique-id" in err[-1]
    code = main(["forecast", "--demo", "--quantiles", "0.1,0.9", "--out", str(tmp_path / "b2")])
    assert code == 2 and not (tmp_path / "b2").exists()


@pytest.mark.slow
def test_global_on_real_pilots(shared_data):
    from cpjax.data import load_pilot_closes

    wide = load_pilot_closes()
    long = wide.melt(id_vars="ds", var_name="unique_id", value_name="y").dropna()
    gf = GlobalForecaster(lookback=20, horizon=5, epochs=2).fit(long, test_start="2022-07-01")
    fc = gf.predict(quantiles=(0.1, 0.5, 0.9))
    assert fc["unique_id"].nunique() == 8 and np.isfinite(fc["global_mlp-q50"]).all()
