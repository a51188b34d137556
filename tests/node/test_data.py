"""YTD -> monthly conversion, the power loader and the demo generator."""

from __future__ import annotations

import numpy as np
import pytest

from cpjax import CpjaxInputError
from cpjax.node import demo_data, load_power_generation, ytd_to_monthly


def test_ytd_differences_within_year():
    ytd = np.array([10.0, 25, 45, 60, 80, 95, 110, 130, 150, 165, 180, 200])
    m = ytd_to_monthly(ytd, np.arange(1, 13), 28)
    np.testing.assert_allclose(m, [10, 15, 20, 15, 20, 15, 15, 20, 20, 15, 15, 20])
    assert m.sum() == pytest.approx(ytd[-1])


def test_january_february_reported_together_split_by_days():
    ytd = np.array([0.0, 59.0, 90, 120, 150, 180, 210, 240, 270, 300, 330, 360])
    m = ytd_to_monthly(ytd, np.arange(1, 13), 28)
    assert m[0] == pytest.approx(59 * 31 / 59) and m[1] == pytest.approx(59 * 28 / 59)
    m = ytd_to_monthly(ytd, np.arange(1, 13), 29)
    assert m[0] == pytest.approx(59 * 31 / 60) and m[1] == pytest.approx(59 * 29 / 60)
    assert np.nansum(m) == pytest.approx(360)


def test_revisions_and_zero_reports_become_missing():
    ytd = np.array([10.0, 20, 18, 30, 0, 50, 60, 70, 80, 90, 100, 110])
    m = ytd_to_monthly(ytd, np.arange(1, 13), 28)
    assert np.isnan(m[2])  # 18 < 20: downward revision
    assert np.isnan(m[4]) and np.isnan(m[5])  # a zero YTD is "not reported"
    assert m[3] == pytest.approx(12.0)


def _write_ytd(path, rows):
    path.write_text("month,province,source,generation_ytd_1e4kwh\n"
                    + "\n".join(",".join(map(str, r)) for r in rows) + "\n")


def test_loader_on_small_file(tmp_path):
    rows = []
    for y in (2019, 2020):
        for m in range(1, 13):
            jan_zero = 0.0 if (y == 2020 and m == 1) else None
            for prov, base in (("Shandong", 1e5), ("Shanxi", 2e5)):
                v = base * m if jan_zero is None else jan_zero
                rows.append((f"{y}-{m:02d}", prov, "thermal", v))
                rows.append((f"{y}-{m:02d}", prov, "hydro", base / 10 * m))
    f = tmp_path / "ytd.csv"
    _write_ytd(f, rows)
    d = load_power_generation(f)
    assert d.panels == ("Shandong", "Shanxi") and d.series == ("hydro", "thermal")
    assert d.values.shape == (2, 24, 2) and d.units == "TWh/month"
    # 1e5 (10^4 kWh) per month = 1 TWh per month
    np.testing.assert_allclose(d.values[0, :12, 1], 1.0)
    # 2020: Jan reported as 0 -> Feb YTD (2e5) split 31:29 (leap year)
    assert d.values[0, 12, 1] == pytest.approx(2.0 * 31 / 60)
    assert d.values[0, 13, 1] == pytest.approx(2.0 * 29 / 60)
    sel = d.select(["shanxi"], ["thermal"])
    assert sel.panels == ("Shanxi",) and sel.values.shape == (1, 24, 1)


def test_loader_errors(tmp_path):
    with pytest.raises(CpjaxInputError, match="not found"):
        load_power_generation(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("month,province,value\n2020-01,A,1\n")
    with pytest.raises(CpjaxInputError, match="lacks column"):
        load_power_generation(bad)
    f = tmp_path / "ok.csv"
    _write_ytd(f, [("2020-01", "Shandong", "thermal", 1.0)])
    with pytest.raises(CpjaxInputError, match="did you mean 'Shandong'"):
        load_power_generation(f, provinces=["Shandon"])


def test_demo_is_deterministic_and_positive():
    a, b = demo_data(seed=3), demo_data(seed=3)
    np.testing.assert_array_equal(a.values, b.values)
    assert a.values.shape == (3, 168, 3) and np.all(a.values > 0)
    assert "synthetic" in a.source


@pytest.mark.realdata
def test_real_file_loads(shared_data):
    d = load_power_generation(shared_data / "power" / "provincial_generation_monthly_ytd.csv",
                              provinces=["Shandong"], sources=["thermal"])
    assert str(d.dates[0]) == "1997-01" and str(d.dates[-1]) == "2021-12"
    x = d.values[0, :, 0]
    assert np.mean(np.isnan(x)) < 0.05
    # Shandong thermal generation in 2021: about 520 TWh (NBS: 52,173,000 x 10^4 kWh YTD Dec)
    assert np.nansum(x[-12:]) == pytest.approx(521.73, rel=1e-6)
