"""YTD -> monthly conversion, sharing over units, output models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cpjax._errors import CpjaxInputError
from cpjax.quota import (
    annual_table,
    compare_output_models,
    demo_generation,
    demo_units,
    forecast_heat,
    monthly_from_ytd,
    output_forecast,
    project_generation,
    read_generation,
    share_generation,
)


def _ytd(monthly: np.ndarray, start: str = "2012-01") -> pd.DataFrame:
    idx = pd.period_range(start, periods=len(monthly), freq="M")
    df = pd.DataFrame({"A": monthly}, index=idx)
    return df.groupby(idx.year).cumsum()


def test_ytd_roundtrip_and_jan_feb_split():
    true = np.arange(1, 37, dtype=float) + 10.0  # 2012-2014
    ytd = _ytd(true)
    m, log = monthly_from_ytd(ytd)
    np.testing.assert_allclose(m["A"].to_numpy(), true)
    assert log == {"jan_feb_split": 0, "gap_months_interpolated": 0}
    # 2013 and 2014: January not reported; February YTD holds both months
    ytd.loc[pd.Period("2013-01", "M"), "A"] = 0.0
    ytd.loc[pd.Period("2014-01", "M"), "A"] = np.nan
    m, log = monthly_from_ytd(ytd)
    assert log["jan_feb_split"] == 2
    share = 11.0 / (11.0 + 12.0)  # 2012 is the only year with January: Jan / (Jan+Feb YTD)
    jf13 = 23.0 + 24.0
    assert m.loc["2013-01", "A"].item() == pytest.approx(jf13 * share)
    assert m.loc["2013-02", "A"].item() == pytest.approx(jf13 * (1 - share))
    np.testing.assert_allclose(annual_table(m)["A"].to_numpy(), [true[i:i + 12].sum() for i in (0, 12, 24)])


def test_mid_year_gap_interpolated_without_negative_months():
    ytd = _ytd(np.full(12, 10.0))
    ytd.loc[pd.Period("2012-06", "M"), "A"] = 0.0  # missing report
    m, log = monthly_from_ytd(ytd)
    assert log["gap_months_interpolated"] == 1
    assert (m["A"] >= 0).all() and m["A"].sum() == pytest.approx(120.0)


def test_share_generation_conserves_province_totals_and_respects_overrides():
    units = demo_units(3, 60).assign(load_weight=1.0, generation_mwh=np.nan)
    units.loc[0, "generation_mwh"] = 1000.0
    totals = units.groupby("province")["capacity_mw"].sum() * 5000.0
    gen, notes = share_generation(units, totals)
    assert not notes and gen[0] == 1000.0
    got = pd.Series(gen).groupby(units["province"].to_numpy()).sum()
    np.testing.assert_allclose(got.to_numpy(), totals.reindex(got.index).to_numpy(), rtol=1e-12)
    # more output than the units can run at 95% load: capped, the rest reported
    gen2, notes2 = share_generation(units.assign(generation_mwh=np.nan), totals * 3)
    assert np.all(gen2 <= units["capacity_mw"].to_numpy() * 8760 * 0.95 + 1e-6)
    assert notes2 and "cannot absorb" in notes2[0]


def test_output_models_come_from_the_model_registry():
    units = demo_units(0, 80)
    monthly = demo_generation(units, 0)
    table, pred = compare_output_models(monthly, test_start="2020-01", train_start="2012-01",
                                        min_annual_mwh=0.0)
    assert list(table["model"]) == ["seasonal_naive", "arima", "svr"]
    assert (table["r2"] > 0.5).all() and (table["mean_error_pct"] < 15).all()
    assert set(pred.columns) == {"month", "province", "y", "yhat", "model"}
    # any registry estimator is an output model, with its defaults
    t2, _ = compare_output_models(monthly, test_start="2020-01", models=["autotheta"],
                                  min_annual_mwh=0.0)
    assert t2["model"].item() == "autotheta" and t2["r2"].item() > 0.0
    with pytest.raises(CpjaxInputError, match="unknown output model 'lstmm'"):
        compare_output_models(monthly, models=["lstmm"])


def _seed002_arima(y, horizon, season=12):
    """Seed 002's output ARIMA as the quota package computed it before the registry (independent
    reference): log, seasonal difference, demean, ARMA(1,1) by Hannan-Rissanen, integrate."""
    import warnings

    from statsmodels.tsa.arima.model import ARIMA

    x = np.log(y)
    d = x[season:] - x[:-season]
    mu = d.mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ARIMA(d - mu, order=(1, 0, 1), trend="n").fit(method="hannan_rissanen")
    dfc = np.asarray(res.forecast(horizon)) + mu
    path = list(x)
    for h in range(horizon):
        path.append(path[-season] + dfc[h])
    return np.exp(np.asarray(path[len(x):]))


def _seed002_svr(y, horizon, season=12):
    from sklearn.svm import SVR

    w = np.lib.stride_tricks.sliding_window_view(y[:-1], season)
    scale = w.mean(axis=1, keepdims=True)
    model = SVR(kernel="rbf", C=3.0, epsilon=0.01, gamma="scale").fit(w / scale, y[season:] / scale[:, 0])
    hist, out = list(y[-season:]), []
    for _ in range(horizon):
        win = np.asarray(hist[-season:])
        out.append(float(model.predict((win / win.mean())[None, :])[0]) * win.mean())
        hist.append(out[-1])
    return np.asarray(out)


def test_registry_output_models_reproduce_seed002_computations():
    t = np.arange(120, dtype=np.float64)
    rng = np.random.default_rng(4)
    y = 5e5 * np.exp(0.003 * t + 0.08 * np.sin(2 * np.pi * t / 12) + 0.02 * rng.normal(size=t.size))
    np.testing.assert_allclose(output_forecast("arima", y, 36), _seed002_arima(y, 36), rtol=1e-7)
    np.testing.assert_allclose(output_forecast("svr", y, 36), _seed002_svr(y, 36), rtol=1e-7)
    np.testing.assert_array_equal(output_forecast("seasonal_naive", y, 30),
                                  np.resize(y[-12:], 30))
    # too short for ARIMA: the last season repeated (seed 002's fallback)
    np.testing.assert_array_equal(output_forecast("arima", y[:20], 5), y[8:13])


def test_projection_past_history_and_heat_forecast():
    units = demo_units(0, 40)
    monthly = demo_generation(units, 0)
    proj = project_generation(monthly, [2021, 2023], model="seasonal_naive")
    np.testing.assert_allclose(proj.loc[2021].to_numpy(), annual_table(monthly).loc[2021].to_numpy())
    np.testing.assert_allclose(proj.loc[2023].to_numpy(), proj.loc[2021].to_numpy())  # naive repeats
    heat = pd.DataFrame({"u1": 100 + 50 * np.cos(np.arange(48) * 2 * np.pi / 12)},
                        index=pd.period_range("2018-01", periods=48, freq="M"))
    hf = forecast_heat(heat, [2023])
    assert hf.loc[2023, "u1"] == pytest.approx(1200.0, rel=0.05)


def test_read_generation_annual_and_errors(tmp_path):
    p = tmp_path / "g.csv"
    pd.DataFrame({"province": ["Anhui", "Hebei"], "year": [2023, 2023],
                  "generation_mwh": [1e8, 2e8]}).to_csv(p, index=False)
    table, kind = read_generation(p)
    assert kind == "annual" and table.loc[2023, "Hebei"] == 2e8
    bad = tmp_path / "b.csv"
    pd.DataFrame({"month": ["2020-01"], "provnce": ["Anhui"], "source": ["thermal"],
                  "generation_ytd": [1.0]}).to_csv(bad, index=False)
    with pytest.raises(CpjaxInputError, match="provnce"):
        read_generation(bad)
