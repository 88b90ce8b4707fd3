"""Tests for analysis.returns: hand-checked paths and planted volatility."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.config import TRADING_DAYS_PER_YEAR
from analysis.errors import ConfigError, DataQualityError, ShortSampleWarning
from analysis.returns import (
    annualized_return,
    annualized_volatility,
    cumulative_return,
    cumulative_returns,
    drawdown,
    k_session_log_returns,
    log_returns,
    max_drawdown,
    max_drawdowns,
    n_day_returns,
    resample_log_returns,
    rolling_volatility,
    simple_returns,
)

pytestmark = pytest.mark.filterwarnings("error::analysis.errors.ShortSampleWarning")


def sessions(n: int, start: str = "2025-01-06") -> pd.DatetimeIndex:
    """``n`` business days from a Monday, named like the data contract."""
    return pd.bdate_range(start, periods=n, name="Date")


def price_path(values: list[float], name: str = "IREN") -> pd.Series:
    return pd.Series(values, index=sessions(len(values)), name=name, dtype=float)


# --- daily and n-day returns -------------------------------------------------------------

RETURN_CASES = {
    "flat": ([10.0, 10.0, 10.0], [np.nan, 0.0, 0.0]),
    "up_down": ([100.0, 110.0, 99.0], [np.nan, 0.1, -0.1]),
    "with_nan": ([100.0, np.nan, 121.0, 133.1], [np.nan, np.nan, np.nan, 0.1]),
    "one_obs": ([50.0], [np.nan]),
}


@pytest.mark.parametrize("name", list(RETURN_CASES))
def test_simple_and_log_returns_hand_checked(name: str) -> None:
    prices, expected_simple = RETURN_CASES[name]
    p = price_path(prices)
    simple = simple_returns(p)
    np.testing.assert_allclose(simple.to_numpy(), expected_simple, atol=1e-12)
    np.testing.assert_allclose(log_returns(p).to_numpy(), np.log1p(expected_simple), atol=1e-12)
    assert simple.index.equals(p.index)


def test_returns_across_gaps_span_the_gap() -> None:
    p = price_path([100.0, np.nan, 121.0])
    out = simple_returns(p, across_gaps=True)
    assert math.isnan(out.iloc[1])
    assert out.iloc[2] == pytest.approx(0.21, abs=1e-12)


def test_returns_keep_frame_shape() -> None:
    frame = pd.DataFrame({"A": [1.0, 2.0, 4.0], "B": [1.0, np.nan, 3.0]}, index=sessions(3))
    out = log_returns(frame)
    assert out.shape == frame.shape and list(out.columns) == ["A", "B"]
    assert out.loc[out.index[2], "A"] == pytest.approx(math.log(2.0))


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf])
def test_non_positive_price_raises(bad: float) -> None:
    with pytest.raises(DataQualityError, match=r"IREN: non-positive or infinite price on 2025-01-07"):
        log_returns(price_path([1.0, bad, 2.0]))


def test_n_day_returns_hand_checked() -> None:
    p = price_path([100.0, 110.0, 121.0, 133.1])
    out = n_day_returns(p, 2, kind="simple")
    np.testing.assert_allclose(out.to_numpy(), [np.nan, np.nan, 0.21, 0.21], atol=1e-12)
    np.testing.assert_allclose(n_day_returns(p, 3).iloc[-1], math.log(1.331), atol=1e-12)


@pytest.mark.parametrize(
    ("n", "kind", "match"),
    [
        (0, "log", r"n must be >= 1 sessions, got 0"),
        (4, "log", r"n \(4\) is longer than the data \(4 sessions\)"),
        (1, "pct", r"kind must be one of \['log', 'simple'\], got 'pct'"),
    ],
)
def test_n_day_returns_bad_parameters(n: int, kind: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        n_day_returns(price_path([1.0, 2.0, 3.0, 4.0]), n, kind=kind)  # type: ignore[arg-type]


# --- cumulative return -------------------------------------------------------------------


def test_cumulative_return_uses_first_and_last_valid_price() -> None:
    # Mon 6 .. Fri 10 Jan 2025; the window starts on a NaN price and ends after the data.
    p = price_path([np.nan, 80.0, 90.0, np.nan, 100.0])
    res = cumulative_return(p, "2025-01-01", "2025-01-31")
    assert res.start_date == pd.Timestamp("2025-01-07")
    assert res.end_date == pd.Timestamp("2025-01-10")
    assert (res.start_price, res.end_price) == (80.0, 100.0)
    assert res.simple_return == pytest.approx(0.25, abs=1e-12)
    assert res.log_return == pytest.approx(math.log(1.25), abs=1e-12)
    assert res.n_sessions == 4
    assert res.ticker == "IREN"


def test_cumulative_returns_frame_marks_missing_ticker() -> None:
    frame = pd.DataFrame({"A": [10.0, 11.0, 12.0], "NEW": [np.nan, np.nan, np.nan]}, index=sessions(3))
    with pytest.warns(ShortSampleWarning, match=r"no valid price .* for: NEW"):
        out = cumulative_returns(frame, "2025-01-06", "2025-01-08")
    assert out.loc["A", "simple_return"] == pytest.approx(0.2)
    assert math.isnan(out.loc["NEW", "simple_return"])
    assert out.index.name == "ticker"


def test_cumulative_return_single_price_warns() -> None:
    p = price_path([10.0, np.nan, np.nan])
    with pytest.warns(ShortSampleWarning, match="one valid price"):
        res = cumulative_return(p, "2025-01-06", "2025-01-08")
    assert res.simple_return == 0.0


@pytest.mark.parametrize(
    ("start", "end", "match"),
    [
        ("2025-01-01", "2025-01-03", r"empty period: no observations between 2025-01-01 and 2025-01-03"),
        ("2025-01-08", "2025-01-06", r"start \(2025-01-08\) is after end \(2025-01-06\)"),
        ("not-a-date", "2025-01-06", r"start is not a date: 'not-a-date'"),
    ],
)
def test_cumulative_return_bad_window(start: str, end: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        cumulative_return(price_path([1.0, 2.0, 3.0]), start, end)


def test_cumulative_return_no_valid_price_raises() -> None:
    with pytest.raises(ConfigError, match=r"empty period: no valid IREN between"):
        cumulative_return(price_path([np.nan, np.nan, 3.0]), "2025-01-06", "2025-01-07")


# --- drawdowns ---------------------------------------------------------------------------

#: Mon 6 Jan .. : peak 130 on Fri 10 Jan, trough 65 on Mon 13 Jan, recovery 140 on Thu 16 Jan.
PATH = [100.0, 120.0, 90.0, 110.0, 130.0, 65.0, 70.0, 130.0, 140.0]


def test_drawdown_hand_checked() -> None:
    dd = drawdown(price_path(PATH))
    expected = [0.0, 0.0, -0.25, 110 / 120 - 1, 0.0, -0.5, 70 / 130 - 1, 0.0, 0.0]
    np.testing.assert_allclose(dd.to_numpy(), expected, atol=1e-12)


def test_drawdown_nan_does_not_reset_peak() -> None:
    dd = drawdown(price_path([100.0, np.nan, 80.0]))
    assert math.isnan(dd.iloc[1]) and dd.iloc[2] == pytest.approx(-0.2)


def test_max_drawdown_full_path() -> None:
    res = max_drawdown(price_path(PATH))
    assert res.peak_date == pd.Timestamp("2025-01-10")
    assert res.trough_date == pd.Timestamp("2025-01-13")
    assert (res.peak_price, res.trough_price) == (130.0, 65.0)
    assert res.drawdown == pytest.approx(-0.5, abs=1e-12)
    assert res.recovery_date == pd.Timestamp("2025-01-15")  # back at 130 (>= peak)
    assert res.recovered


def test_max_drawdown_inside_window_without_recovery() -> None:
    res = max_drawdown(price_path(PATH), "2025-01-06", "2025-01-09")
    assert (res.peak_date, res.trough_date) == (pd.Timestamp("2025-01-07"), pd.Timestamp("2025-01-08"))
    assert res.drawdown == pytest.approx(-0.25, abs=1e-12)
    assert res.recovery_date is None and not res.recovered


MDD_CASES = {
    # name: (prices, peak position, trough position, drawdown)
    "tie_peak_uses_last": ([100.0, 90.0, 100.0, 80.0], 2, 3, -0.2),
    "monotone_up": ([1.0, 2.0, 3.0], 0, 0, 0.0),
    "with_nan": ([100.0, np.nan, 50.0, 60.0], 0, 2, -0.5),
}


@pytest.mark.parametrize("name", list(MDD_CASES))
def test_max_drawdown_cases(name: str) -> None:
    prices, peak, trough, dd = MDD_CASES[name]
    p = price_path(prices)
    res = max_drawdown(p)
    assert res.peak_date == p.index[peak] and res.trough_date == p.index[trough]
    assert res.drawdown == pytest.approx(dd, abs=1e-12)


def test_max_drawdowns_frame() -> None:
    frame = pd.DataFrame({"A": PATH, "B": [np.nan] * len(PATH)}, index=sessions(len(PATH)))
    out = max_drawdowns(frame)
    assert list(out.index) == ["A"]
    assert out.loc["A", "drawdown"] == pytest.approx(-0.5)
    assert out.loc["A", "trough_date"] == pd.Timestamp("2025-01-13")


def test_max_drawdown_empty_window_raises() -> None:
    with pytest.raises(ConfigError, match=r"empty period: no observations between 2024-01-01 and 2024-01-31"):
        max_drawdown(price_path(PATH), "2024-01-01", "2024-01-31")


# --- resampling --------------------------------------------------------------------------


def test_weekly_sums_hand_checked() -> None:
    # Two weeks: Mon 6 - Fri 10 Jan and Mon 13 - Fri 17 Jan; Thu 16 Jan has no session.
    idx = sessions(10).delete(8)
    r = pd.DataFrame({"A": np.arange(1.0, 10.0), "B": 1.0}, index=idx)
    r.loc[pd.Timestamp("2025-01-07"), "B"] = np.nan
    out = resample_log_returns(r)
    assert list(out.index) == [pd.Timestamp("2025-01-10"), pd.Timestamp("2025-01-17")]
    assert out.index.name == "Date"
    np.testing.assert_allclose(out["A"].to_numpy(), [1 + 2 + 3 + 4 + 5, 6 + 7 + 8 + 9])
    assert math.isnan(out["B"].iloc[0])  # incomplete week
    assert out["B"].iloc[1] == 4.0
    lenient = resample_log_returns(r, require_complete=False)
    assert lenient["B"].iloc[0] == 4.0


def test_weekly_sums_series_and_first_nan_row() -> None:
    r = pd.Series([np.nan, 0.01, 0.02, -0.01, 0.03], index=sessions(5), name="BTC-USD")
    out = resample_log_returns(r)
    assert isinstance(out, pd.Series) and out.name == "BTC-USD"
    assert out.iloc[0] == pytest.approx(0.05)


def test_bad_rule_raises() -> None:
    with pytest.raises(
        ConfigError, match=r"rule must be a pandas offset alias such as 'W-FRI', got 'weekly'"
    ):
        resample_log_returns(pd.Series([0.1], index=sessions(1)), "weekly")


def test_k_session_sums_hand_checked() -> None:
    r = pd.DataFrame({"A": np.arange(1.0, 8.0)}, index=sessions(7))
    out = k_session_log_returns(r, 2)
    np.testing.assert_allclose(out["A"].to_numpy(), [3.0, 7.0, 11.0])  # trailing 7th day dropped
    assert list(out.index) == list(r.index[[1, 3, 5]])
    shifted = k_session_log_returns(r, 2, offset=1)
    np.testing.assert_allclose(shifted["A"].to_numpy(), [5.0, 9.0, 13.0])


def test_k_session_incomplete_block() -> None:
    r = pd.Series([1.0, np.nan, 3.0, 4.0], index=sessions(4))
    np.testing.assert_allclose(k_session_log_returns(r, 2).to_numpy(), [np.nan, 7.0])
    np.testing.assert_allclose(k_session_log_returns(r, 2, require_complete=False).to_numpy(), [1.0, 7.0])


@pytest.mark.parametrize(
    ("k", "offset", "match"),
    [
        (0, 0, r"k must be >= 1 sessions, got 0"),
        (2, 2, r"offset must be < k \(2\), got 2"),
        (5, 0, r"k \(5\) is longer than the data \(4 sessions\)"),
        (2.5, 0, r"k must be an integer number of sessions, got 2.5"),
    ],
)
def test_k_session_bad_parameters(k: int, offset: int, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        k_session_log_returns(pd.Series([1.0, 2.0, 3.0, 4.0], index=sessions(4)), k, offset=offset)


# --- annualisation -----------------------------------------------------------------------


def test_annualized_volatility_recovers_planted_vol() -> None:
    rng = np.random.default_rng(7)
    daily = 0.02
    r = pd.DataFrame({"A": rng.normal(0.0, daily, 5000), "B": rng.normal(0.0, 2 * daily, 5000)})
    vol = annualized_volatility(r)
    target = np.array([daily, 2 * daily]) * math.sqrt(TRADING_DAYS_PER_YEAR)
    np.testing.assert_allclose(vol.to_numpy(), target, rtol=0.03)  # sd of s/sigma ~ 1%
    assert annualized_volatility(r["A"], periods_per_year=52) == pytest.approx(
        float(r["A"].std()) * math.sqrt(52)
    )


def test_annualized_return_hand_checked() -> None:
    r = pd.Series([0.001, 0.003, np.nan])
    assert annualized_return(r) == pytest.approx(0.002 * TRADING_DAYS_PER_YEAR)
    assert annualized_return(r, kind="simple") == pytest.approx(math.expm1(0.504))


def test_rolling_volatility_hand_checked() -> None:
    r = pd.Series([0.01, -0.01, 0.03, 0.0], index=sessions(4))
    out = rolling_volatility(r, 3, annualize=False)
    assert out.index.equals(r.index) and out.iloc[:2].isna().all()
    assert out.iloc[2] == pytest.approx(np.std([0.01, -0.01, 0.03], ddof=1))


@pytest.mark.parametrize(
    ("window", "min_periods", "match"),
    [
        (1, None, r"window must be >= 2 sessions, got 1"),
        (300, None, r"window \(300\) is longer than the data \(120 sessions\)"),
        (10, 20, r"min_periods \(20\) must be <= window \(10\)"),
    ],
)
def test_rolling_volatility_bad_window(window: int, min_periods: int | None, match: str) -> None:
    r = pd.Series(np.zeros(120), index=sessions(120))
    with pytest.raises(ConfigError, match=match):
        rolling_volatility(r, window, min_periods=min_periods)


def test_periods_per_year_must_be_positive() -> None:
    with pytest.raises(ConfigError, match=r"periods_per_year must be a positive number, got 0"):
        annualized_volatility(pd.Series([0.1, 0.2]), periods_per_year=0)


def test_unsorted_index_raises() -> None:
    r = pd.Series([0.1, 0.2], index=sessions(2)[::-1])
    with pytest.raises(ConfigError, match=r"log_returns index must be sorted ascending"):
        resample_log_returns(r)
