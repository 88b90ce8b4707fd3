"""Tests for analysis.stress: masks, Forbes-Rigobon adjustment and tail co-exceedance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ConfigError, ShortSampleWarning
from analysis.returns import log_returns
from analysis.stress import (
    StressSpec,
    drawdown_mask,
    forbes_rigobon,
    stress_correlation,
    stress_correlation_table,
    stress_delta,
    stress_mask,
    tail_coexceedance,
    tail_coexceedance_table,
    volatility_mask,
    window_mask,
)

pytestmark = pytest.mark.filterwarnings("error::analysis.errors.ShortSampleWarning")


def sessions(n: int, start: str = "2025-01-06") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n, name="Date")


def regime_returns(n: int = 6000, seed: int = 0, vol_ratio: float = 3.0, beta: float = 0.5) -> pd.DataFrame:
    """Source ``^NDX`` with a variance regime; ``IREN`` loads on it with a constant beta.

    Every third block of 100 sessions is a stress block with source volatility
    ``vol_ratio`` times the calm volatility; the idiosyncratic noise is unchanged.
    Calm correlation = beta / sqrt(beta^2 + 1); delta = vol_ratio^2 - 1.
    """
    rng = np.random.default_rng(seed)
    stress = (np.arange(n) // 100) % 3 == 0
    x = rng.standard_normal(n) * np.where(stress, vol_ratio, 1.0)
    y = beta * x + rng.standard_normal(n)
    z = rng.standard_normal(n)
    return pd.DataFrame(
        {"^NDX": 0.01 * x, "IREN": 0.02 * y, "BTC-USD": 0.03 * z, "stress": stress}, index=sessions(n)
    )


# --- Forbes-Rigobon ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rho", "delta", "expected"),
    [
        (0.5, 3.0, 0.5 / math.sqrt(3.25)),  # 0.27735...
        (0.5, 0.0, 0.5),
        (1.0, 5.0, 1.0),
        (-0.5, 3.0, -0.5 / math.sqrt(3.25)),
    ],
)
def test_forbes_rigobon_hand_worked(rho: float, delta: float, expected: float) -> None:
    assert forbes_rigobon(rho, delta) == pytest.approx(expected, abs=1e-12)
    assert forbes_rigobon(0.5, 3.0) == pytest.approx(0.2773500981, abs=1e-10)


def test_forbes_rigobon_vectorised_and_bad_delta() -> None:
    out = forbes_rigobon(np.array([0.5, 0.0]), 3.0)
    np.testing.assert_allclose(out, [0.5 / math.sqrt(3.25), 0.0])
    with pytest.raises(ConfigError, match=r"delta must be > -1 .*got -1.0"):
        forbes_rigobon(0.5, -1.0)
    with pytest.raises(ConfigError, match=r"rho must be a correlation in \[-1, 1\], got 1.2"):
        forbes_rigobon(1.2, 0.5)


def test_stress_correlation_on_planted_heteroskedasticity() -> None:
    df = regime_returns()
    mask = df["stress"].astype("boolean")
    calm_truth = 0.5 / math.sqrt(1.25)  # 0.447
    res = stress_correlation(df, "^NDX", "IREN", mask)
    assert (res.n_stress, res.n_calm) == (2000, 4000)
    assert res.delta == pytest.approx(8.0, rel=0.1)  # vol ratio 3 -> variance ratio 9
    assert res.rho_calm == pytest.approx(calm_truth, abs=0.03)
    assert res.rho_stress == pytest.approx(1.5 / math.sqrt(3.25), abs=0.03)  # 0.832: inflated
    assert res.rho_stress > res.rho_calm + 0.3 and res.p < 1e-10
    assert res.rho_stress_adjusted == pytest.approx(calm_truth, abs=0.05)  # FR undoes the inflation
    assert res.p_adjusted > 0.05
    assert stress_delta(df, mask) == pytest.approx(res.delta)


def test_stress_correlation_table_default_pairs() -> None:
    df = regime_returns().drop(columns="stress")
    mask = pd.Series((np.arange(len(df)) // 100) % 3 == 0, index=df.index)
    table = stress_correlation_table(df, mask)
    assert list(table["y"]) == ["IREN", "BTC-USD"] and (table["x"] == "^NDX").all()
    assert {"rho_stress", "rho_calm", "delta", "rho_stress_adjusted", "p", "p_adjusted"} <= set(table.columns)
    unrelated = table.set_index("y").loc["BTC-USD"]
    assert abs(unrelated["rho_stress"]) < 0.06 and abs(unrelated["rho_calm"]) < 0.06


def test_stress_correlation_too_few_stress_days() -> None:
    df = regime_returns(300).drop(columns="stress")
    mask = pd.Series(np.arange(300) < 3, index=df.index)
    with pytest.raises(ConfigError, match=r"stress period has 3 sessions with \^NDX, IREN and \^NDX"):
        stress_correlation(df, "^NDX", "IREN", mask)
    with pytest.warns(ShortSampleWarning, match="fewer than 30 sessions in a regime"):
        table = stress_correlation_table(df, mask)
    assert table["p"].isna().all()


# --- stress masks ------------------------------------------------------------------------


def test_drawdown_mask_hand_path() -> None:
    prices = pd.Series([100.0, 96.0, 94.0, np.nan, 99.0, 101.0], index=sessions(6))
    mask = drawdown_mask(prices, threshold=-0.05)
    assert str(mask.dtype) == "boolean" and mask.name == "stress"
    assert mask.tolist() == [False, False, True, pd.NA, False, False]


def test_stress_mask_drawdown_from_returns_equals_price_rule() -> None:
    rng = np.random.default_rng(1)
    prices = pd.DataFrame({"^NDX": 100 * np.exp(np.cumsum(rng.normal(0, 0.015, 400)))}, index=sessions(400))
    r = log_returns(prices)
    from_returns = stress_mask(r, {"kind": "drawdown", "threshold": -0.05})
    from_prices = drawdown_mask(prices["^NDX"], threshold=-0.05)
    assert from_returns.iloc[0] is pd.NA  # first return is missing
    assert from_returns.iloc[1:].tolist() == from_prices.iloc[1:].tolist()
    assert 0 < int(from_returns.sum()) < 399


def test_volatility_mask_finds_planted_block() -> None:
    df = regime_returns(600, seed=2)  # one third of sessions in 3x-volatility blocks
    mask = volatility_mask(df["^NDX"], window=10, quantile=0.65)
    assert int(mask.isna().sum()) == 9
    windows = np.lib.stride_tricks.sliding_window_view(df["stress"].to_numpy(), 10)
    all_stress = np.r_[np.zeros(9, dtype=bool), windows.all(axis=1)]
    all_calm = np.r_[np.zeros(9, dtype=bool), ~windows.any(axis=1)]
    flagged = mask.to_numpy(dtype=bool, na_value=False)
    assert flagged[all_stress].mean() > 0.95  # windows entirely inside a stress block
    assert flagged[all_calm].mean() < 0.05  # windows entirely inside a calm block
    rolling = df["^NDX"].rolling(10).std()
    assert mask.iloc[9:].tolist() == (rolling > rolling.quantile(0.65)).iloc[9:].tolist()


def test_expanding_volatility_mask_has_no_look_ahead() -> None:
    df = regime_returns(600, seed=3)
    full = volatility_mask(df["^NDX"], window=10, history="expanding")
    head = volatility_mask(df["^NDX"].iloc[:300], window=10, history="expanding")
    assert head.equals(full.iloc[:300])
    assert int(full.isna().sum()) == 9 + 9  # window to fill, then window volatilities


def test_window_mask_and_spec() -> None:
    idx = sessions(10)
    mask = window_mask(idx, "2025-01-08", "2025-01-10")
    assert mask.tolist() == [False, False, True, True, True] + [False] * 5
    spec = StressSpec.from_params({"kind": "window", "start": "2025-01-08", "end": "2025-01-10"})
    frame = pd.DataFrame({"^NDX": np.zeros(10)}, index=idx)
    assert stress_mask(frame, spec).equals(mask)
    assert spec.label == "2025-01-08 to 2025-01-10"
    assert StressSpec("drawdown").label == "^NDX drawdown <= -5%"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"kind": "crash"}, r"kind must be one of \['drawdown', 'volatility', 'window'\], got 'crash'"),
        ({"kind": "drawdown", "threshold": 0.05}, r"threshold must be a drawdown between -1 and 0"),
        ({"kind": "volatility", "window": 1}, r"window must be >= 2 sessions, got 1"),
        ({"kind": "volatility", "quantile": 80}, r"quantile must be strictly between 0 and 1"),
        ({"kind": "window", "start": "2025-01-08"}, r"needs start and end dates"),
        ({"kind": "drawdown", "thresh": -0.1}, r"unknown stress parameter\(s\) \['thresh'\]"),
        ({"threshold": -0.1}, r"stress parameters need 'kind'"),
        ({"kind": "drawdown", "source": "XYZ"}, r"ticker 'XYZ' not in returns; available: \^NDX"),
        ({"kind": "volatility", "window": 300}, r"window \(300\) is longer than the data \(120 sessions"),
        ({"kind": "window", "start": "2024-01-01", "end": "2024-01-31"}, r"empty period"),
    ],
)
def test_stress_mask_bad_parameters(params: dict[str, object], match: str) -> None:
    frame = pd.DataFrame({"^NDX": np.random.default_rng(0).normal(0, 0.01, 120)}, index=sessions(120))
    with pytest.raises(ConfigError, match=match):
        stress_mask(frame, params)


# --- tail co-exceedance ------------------------------------------------------------------


def test_tail_coexceedance_perfect_dependence() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal(2000)
    df = pd.DataFrame({"BTC-USD": x, "MARA": 2 * x, "anti": -x}, index=sessions(2000))
    res = tail_coexceedance(df, "BTC-USD", "MARA")
    assert res.n_both == res.n_x == res.n_y == 100
    assert res.share == pytest.approx(0.05) and res.conditional == 1.0
    assert res.expected_share == pytest.approx(0.05**2)
    assert res.ratio == pytest.approx(20.0) and res.pvalue < 1e-50
    opposite = tail_coexceedance(df, "BTC-USD", "anti")
    assert opposite.n_both == 0 and opposite.pvalue == 1.0


def test_tail_coexceedance_independence() -> None:
    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.standard_normal((20000, 2)), columns=["BTC-USD", "^NDX"], index=sessions(20000))
    res = tail_coexceedance(df, "BTC-USD", "^NDX")
    assert res.expected_count == pytest.approx(0.05**2 * 20000)  # q^2 n = 50
    assert res.share == pytest.approx(0.0025, abs=0.0011)  # ~3 binomial sd
    assert res.pvalue > 0.01
    upper = tail_coexceedance(df, "BTC-USD", "^NDX", q=0.1, tail="upper")
    assert upper.n_x == 2000 and upper.share == pytest.approx(0.01, abs=0.002)


def test_tail_coexceedance_table_and_errors() -> None:
    df = pd.DataFrame(
        np.random.default_rng(6).standard_normal((100, 3)), columns=list("ABC"), index=sessions(100)
    )
    table = tail_coexceedance_table(df, q=0.1)
    assert list(zip(table["x"], table["y"], strict=True)) == [("A", "B"), ("A", "C"), ("B", "C")]
    with pytest.raises(ConfigError, match=r"q \(0.005\) is too small for 100 paired sessions of A/B"):
        tail_coexceedance(df, "A", "B", q=0.005)
    with pytest.raises(ConfigError, match=r"q must be strictly between 0 and 0.5 \(e.g. 0.05\), got 0.6"):
        tail_coexceedance(df, "A", "B", q=0.6)
    with pytest.warns(ShortSampleWarning, match="only 20 paired sessions"):
        tail_coexceedance(df.iloc[:20], "A", "B", q=0.1)
