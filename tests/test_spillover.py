"""Tests of analysis.spillover: GFEVD against a hand-worked VAR, invariants, rolling, Parkinson, IMF."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ConfigError
from analysis.spillover import (
    IMF_RETURN_INCREASE,
    IMF_VOLATILITY_INCREASE,
    generalized_fevd,
    imf_comparison,
    parkinson_volatility,
    rolling_spillover,
    spillover_table,
)

# Hand-worked VAR(1): y_t = A y_{t-1} + u_t, Var(u) = SIGMA.
A = np.array([[0.5, 0.0], [0.4, 0.2]])
SIGMA = np.array([[1.0, 0.5], [0.5, 2.0]])
# H = 1 (impact only): theta_ij = sigma_ij^2 / (sigma_ii sigma_jj) = 0.125 off the diagonal,
# 1 on it; rows normalised by 1.125.
HAND_H1 = np.array([[8 / 9, 1 / 9], [1 / 9, 8 / 9]])
# H = 2: Phi_0 = I, Phi_1 = A; A SIGMA = [[0.5, 0.25], [0.5, 0.6]].
# numerators sum_h (Phi_h SIGMA)_ij^2 / sigma_jj: row 1 [1 + 0.25, (0.25 + 0.0625) / 2] = [1.25, 0.15625],
# row 2 [0.25 + 0.25, (4 + 0.36) / 2] = [0.5, 2.18]; MSE: [1 + 0.25, 2 + 0.32] = [1.25, 2.32].
# theta row 1 = [1, 0.125] -> / 1.125; row 2 = [0.5, 2.18] / 2.32 -> normalised by 2.68 / 2.32.
HAND_H2 = np.array([[1 / 1.125, 0.125 / 1.125], [0.5 / 2.68, 2.18 / 2.68]])


def _dates(n: int) -> pd.DatetimeIndex:
    return pd.bdate_range("2000-01-03", periods=n, name="Date")


def simulate_var(coefs: np.ndarray, sigma: np.ndarray, n: int, seed: int, names: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = sigma.shape[0]
    shocks = rng.standard_normal((n, k)) @ np.linalg.cholesky(sigma).T
    y = np.zeros((n, k))
    for t in range(1, n):
        y[t] = coefs @ y[t - 1] + shocks[t]
    return pd.DataFrame(y, index=_dates(n), columns=names)


@pytest.mark.parametrize(("horizon", "expected"), [(1, HAND_H1), (2, HAND_H2)])
def test_gfevd_hand_worked(horizon: int, expected: np.ndarray) -> None:
    got = generalized_fevd(A[None], SIGMA, horizon)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_gfevd_equals_cholesky_fevd_when_shocks_are_uncorrelated() -> None:
    """With diagonal Sigma the generalized and orthogonal decompositions coincide (no normalisation)."""
    sigma = np.diag([1.0, 3.0])
    phi1 = A
    # Orthogonal FEVD by hand: P = chol(Sigma); share_ij = sum_h (Phi_h P)_ij^2 / MSE_ii.
    p = np.linalg.cholesky(sigma)
    contrib = (p**2) + (phi1 @ p) ** 2
    expected = contrib / contrib.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(generalized_fevd(A[None], sigma, 2), expected, rtol=1e-12)


def test_spillover_table_recovers_population_table() -> None:
    data = simulate_var(A, SIGMA, 20_000, seed=0, names=["X", "Y"])
    res = spillover_table(data, lags=1, horizon=2)
    # Sampling error at T = 20,000 is about 0.3 percentage points.
    np.testing.assert_allclose(res.table.to_numpy(), 100 * HAND_H2, atol=1.5)
    assert res.directional("X", "Y") == pytest.approx(100 * HAND_H2[1, 0], abs=1.5)
    assert res.total == pytest.approx(50 * (HAND_H2[0, 1] + HAND_H2[1, 0]), abs=1.5)
    assert res.nobs == 20_000 and res.lags == 1 and res.horizon == 2


@pytest.mark.parametrize(("k", "seed"), [(2, 1), (3, 2), (4, 3)])
def test_invariants(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    coefs = 0.3 * rng.uniform(-1, 1, (k, k))
    mix = rng.standard_normal((k, k))
    data = simulate_var(coefs, mix @ mix.T + np.eye(k), 600, seed, [f"V{i}" for i in range(k)])
    res = spillover_table(data, lags=2, horizon=10)
    table = res.table.to_numpy()
    np.testing.assert_allclose(table.sum(axis=1), 100.0)
    assert (table >= 0).all()
    assert 0.0 <= res.total <= 100.0
    assert res.to_others.sum() == pytest.approx(res.from_others.sum())
    assert res.net.sum() == pytest.approx(0.0, abs=1e-9)
    assert res.total == pytest.approx(res.from_others.mean())
    a, b = res.tickers[:2]
    assert res.pairwise_net(a, b) == pytest.approx(-res.pairwise_net(b, a))
    sf = res.summary_frame()
    assert list(sf["ticker"]) == list(res.tickers)
    assert sf["nobs"].dtype.kind == "i" and (sf["own"] + sf["from_others"]).round(9).eq(100).all()
    dy = res.dy_table()
    assert dy.loc["To others", "From others"] == pytest.approx(res.total)


def test_rescaling_a_variable_does_not_change_the_table() -> None:
    data = simulate_var(A, SIGMA, 800, seed=4, names=["X", "Y"])
    scaled = data.assign(X=100.0 * data["X"])
    np.testing.assert_allclose(
        spillover_table(scaled, 2, 10).table.to_numpy(), spillover_table(data, 2, 10).table.to_numpy()
    )


def test_nan_rows_are_dropped() -> None:
    data = simulate_var(A, SIGMA, 400, seed=5, names=["X", "Y"])
    holed = data.copy()
    holed.iloc[50:60, 0] = np.nan
    holed.iloc[70, 1] = np.inf
    res = spillover_table(holed, 1, 5)
    assert res.nobs == 389
    complete = holed.replace(np.inf, np.nan).dropna()
    np.testing.assert_allclose(res.table.to_numpy(), spillover_table(complete, 1, 5).table.to_numpy())


@pytest.mark.parametrize("step", [1, 7])
def test_rolling_equals_static_fits(step: int) -> None:
    rng = np.random.default_rng(6)
    k = 3
    mix = rng.standard_normal((k, k))
    data = simulate_var(0.2 * rng.uniform(-1, 1, (k, k)), mix @ mix.T + np.eye(k), 400, 6, ["P", "Q", "R"])
    window = 150
    roll = rolling_spillover(data, window, lags=3, horizon=8, step=step)
    n_windows = (len(data) - window) // step + 1
    assert roll.tables.shape == (n_windows, k, k)
    for w in (0, n_windows // 2, n_windows - 1):
        start = w * step
        static = spillover_table(data.iloc[start : start + window], 3, 8)
        np.testing.assert_allclose(roll.tables[w], static.table.to_numpy(), atol=1e-9)
        assert roll.index[w] == data.index[start + window - 1]
        assert roll.total.iloc[w] == pytest.approx(static.total)
        assert roll.net.iloc[w].to_numpy() == pytest.approx(static.net.to_numpy())
        assert roll.pairwise_net("P", "Q").iloc[w] == pytest.approx(static.pairwise_net("P", "Q"))
    long = roll.summary_frame()
    assert len(long) == n_windows * k
    assert set(long.columns) == {"date", "ticker", "to_others", "from_others", "net", "total"}
    np.testing.assert_allclose(roll.to_others.sum(axis=1), roll.from_others.sum(axis=1))


def test_rolling_detects_a_planted_rise_in_spillover() -> None:
    """X drives Y only in the second half: the rolling X -> Y spillover must rise."""
    rng = np.random.default_rng(7)
    n = 1000
    e = rng.standard_normal((n, 2))
    x = e[:, 0]
    y = e[:, 1].copy()
    y[n // 2 :] += 0.9 * x[n // 2 :]
    roll = rolling_spillover(pd.DataFrame({"X": x, "Y": y}, index=_dates(n)), 200, 1, 5)
    path = roll.directional("X", "Y")
    assert path.iloc[:250].mean() < 5.0
    assert path.iloc[-250:].mean() > 25.0


def test_parkinson_hand_value_and_nan_rules() -> None:
    idx = _dates(5)
    high = pd.DataFrame({"A": [110.0, 100.0, 90.0, np.nan, 0.0]}, index=idx)
    low = pd.DataFrame({"A": [100.0, 100.0, 95.0, 80.0, 1.0]}, index=idx)
    vol = parkinson_volatility(high, low)
    expected = math.log(1.1) / math.sqrt(4 * math.log(2))
    assert vol.iloc[0, 0] == pytest.approx(expected)
    assert vol.iloc[1, 0] == 0.0
    assert vol.iloc[2:, 0].isna().all()  # high < low, missing, non-positive
    with pytest.raises(ConfigError, match="same index and columns"):
        parkinson_volatility(high, low.rename(columns={"A": "B"}))
    with pytest.raises(ConfigError, match="wide DataFrame"):
        parkinson_volatility(high["A"], low)  # type: ignore[arg-type]


def test_parkinson_is_unbiased_for_brownian_motion() -> None:
    """E[sigma_P^2] = sigma^2 for a driftless Brownian log price (fine grid: 2,000 steps a day)."""
    rng = np.random.default_rng(8)
    days, steps, sigma = 2000, 2000, 0.02
    paths = np.cumsum(rng.standard_normal((days, steps)) * sigma / np.sqrt(steps), axis=1)
    paths = np.hstack([np.zeros((days, 1)), paths])
    high = pd.DataFrame({"A": np.exp(paths.max(axis=1))}, index=_dates(days))
    low = pd.DataFrame({"A": np.exp(paths.min(axis=1))}, index=_dates(days))
    var = (parkinson_volatility(high, low)["A"] ** 2).mean()
    # Discrete sampling shortens the range by ~2% at this grid; sampling error ~1.5%.
    assert var == pytest.approx(sigma**2, rel=0.06)


def _imf_like(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """BTC and ^GSPC sessions 2017-2021: independent before 2020, correlated (0.5) after."""
    idx = pd.bdate_range("2017-01-02", "2021-12-31", name="Date")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((len(idx), 2))
    post = idx >= pd.Timestamp("2020-01-01")
    spx = 0.01 * z[:, 1]
    btc = 0.04 * np.where(post, 0.5 * z[:, 1] + math.sqrt(0.75) * z[:, 0], z[:, 0])
    returns = pd.DataFrame({"BTC-USD": btc, "^GSPC": spx}, index=idx)
    vol = pd.DataFrame(np.exp(rng.normal(-4.0, 0.3, (len(idx), 2))), index=idx, columns=returns.columns)
    return returns, vol


def test_imf_comparison_detects_planted_rise() -> None:
    returns, vol = _imf_like(9)
    out = imf_comparison(returns, vol)
    assert list(out["measure"]) == ["returns", "returns", "volatility", "volatility"]
    assert list(out["direction"]) == ["BTC-USD->^GSPC", "^GSPC->BTC-USD"] * 2
    ret = out.iloc[0]
    # Correlation 0.5: GFEVD share of the other variable is 0.25 / 1.25 = 20% at impact.
    assert ret["pre"] < 2.0
    assert ret["post"] == pytest.approx(20.0, abs=5.0)
    assert ret["change"] == pytest.approx(ret["post"] - ret["pre"])
    assert (ret["imf_change_low"], ret["imf_change_high"]) == IMF_RETURN_INCREASE
    assert out.iloc[2]["imf_change_low"] == IMF_VOLATILITY_INCREASE[0]
    assert bool(ret["change_in_imf_range"]) == (
        IMF_RETURN_INCREASE[0] <= ret["change"] <= IMF_RETURN_INCREASE[1]
    )
    assert pd.isna(out.iloc[1]["imf_change_low"]) and pd.isna(out.iloc[1]["change_in_imf_range"])
    assert out.iloc[2]["post"] < 5.0  # independent volatilities: no spillover planted
    assert int(ret["n_pre"]) == len(returns.loc[:"2019"]) and int(ret["n_post"]) == len(returns.loc["2020":])
    assert out["method_difference"].str.contains("not checked offline").all()
    only_returns = imf_comparison(returns)
    assert list(only_returns["measure"]) == ["returns", "returns"]
    level = imf_comparison(returns, vol, volatility_transform="level")
    assert level["volatility_transform"].iloc[2] == "level"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda d: spillover_table(d, 0, 10), "lags must be >= 1"),
        (lambda d: spillover_table(d, 1, 0), "horizon must be >= 1"),
        (lambda d: spillover_table(d.iloc[:20], 4, 10), "needs at least"),
        (lambda d: spillover_table(d[["X"]], 1, 10), "at least two distinct variables"),
        (lambda d: spillover_table(d, 1, 10, columns=["X", "Z"]), "ticker 'Z' not in data"),
        (lambda d: rolling_spillover(d, 500, 1, 10), "longer than the data"),
        (lambda d: rolling_spillover(d, 15, 4, 10), "window \\(15 rows\\) has 15 complete rows"),
        (lambda d: rolling_spillover(d, 100, 1, 10, step=0), "step must be >= 1"),
        (lambda d: imf_comparison(d.rename(columns={"X": "BTC-USD", "Y": "^GSPC"})), "empty period"),
        (lambda d: generalized_fevd(np.zeros((2, 2)), np.eye(2), 1), "shape \\(lags, K, K\\)"),
        (lambda d: generalized_fevd(np.zeros((1, 2, 2)), np.eye(3), 1), "sigma must have shape"),
    ],
)
def test_errors(call: object, match: str) -> None:
    data = simulate_var(A, SIGMA, 300, seed=10, names=["X", "Y"])
    with pytest.raises(ConfigError, match=match):
        call(data)  # type: ignore[operator]


@pytest.mark.snapshot
def test_real_snapshot_imf_comparison(market_data_dir: Path) -> None:
    from analysis.clean import CleanConfig, clean_panel
    from analysis.errors import DataQualityWarning
    from analysis.sources import load_raw

    start, end = pd.Timestamp("2016-12-01"), pd.Timestamp("2021-12-31")
    tickers = ["BTC-USD", "^GSPC"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        raw = load_raw("snapshot", tickers, start, end, snapshot_dir=market_data_dir)
        panel = clean_panel(raw, config=CleanConfig(start=start, end=end))
    r = panel.returns
    high = pd.DataFrame(
        {t: raw.frames[t]["High"][~raw.frames[t].index.duplicated(keep="last")] for t in tickers}
    ).reindex(r.index)
    vol = parkinson_volatility(high, panel.lows[tickers].reindex(r.index))
    out = imf_comparison(r, vol)
    assert (out["pre"].between(0, 100) & out["post"].between(0, 100)).all()
    # 2017-19 BTC and S&P 500 returns were nearly unrelated (correlation ~0.02): spillover ~1%.
    assert out.iloc[0]["pre"] < 5.0
    roll = rolling_spillover(r, 250, 4, 10)
    np.testing.assert_allclose(roll.tables.sum(axis=2), 100.0)
