"""Tests of analysis.dynamics: two-step DCC-GARCH on planted correlation paths."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.dynamics import DCCResult, dcc_garch, pair_name
from analysis.errors import ConfigError

T = 2000
ALPHA, BETA = 0.05, 0.90
QBAR = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.2], [0.3, 0.2, 1.0]])
# Univariate GARCH(1,1) of the simulated margins, in percent units (omega, a, b).
GARCH = (0.05, 0.08, 0.90)
TICKERS = ["A", "B", "C"]


def _dates(n: int) -> pd.DatetimeIndex:
    return pd.bdate_range("2015-01-01", periods=n, name="Date")


def simulate_dcc(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """DCC(1,1) correlations with GARCH(1,1) margins; returns (decimal returns, true R_t)."""
    rng = np.random.default_rng(seed)
    k = QBAR.shape[0]
    q = QBAR.copy()
    eps = np.empty((n, k))
    corr = np.empty((n, k, k))
    for t in range(n):
        if t:
            q = (1 - ALPHA - BETA) * QBAR + ALPHA * np.outer(eps[t - 1], eps[t - 1]) + BETA * q
        d = np.sqrt(np.diag(q))
        corr[t] = q / np.outer(d, d)
        eps[t] = np.linalg.cholesky(corr[t]) @ rng.standard_normal(k)
    omega, a, b = GARCH
    r = np.empty_like(eps)
    s2 = np.full(k, omega / (1 - a - b))
    for t in range(n):
        if t:
            s2 = omega + a * r[t - 1] ** 2 + b * s2
        r[t] = np.sqrt(s2) * eps[t]
    return pd.DataFrame(r / 100.0, index=_dates(n), columns=TICKERS), corr


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, np.ndarray, DCCResult]:
    returns, corr = simulate_dcc(T, seed=11)
    return returns, corr, dcc_garch(returns)


def test_parameters_recovered(planted: tuple[pd.DataFrame, np.ndarray, DCCResult]) -> None:
    _, _, res = planted
    # Tolerances: about 3 standard errors at T = 2000 (se ~0.007 for alpha, ~0.02 for beta).
    assert abs(res.alpha - ALPHA) < 0.025
    assert abs(res.beta - BETA) < 0.06
    assert res.alpha + res.beta < 1.0
    assert res.converged
    ci = res.conf_int(alpha=0.01).loc[["alpha", "beta"]]
    assert (ci["ci_low"].to_numpy() < [ALPHA, BETA]).all()
    assert (ci["ci_high"].to_numpy() > [ALPHA, BETA]).all()


def test_correlation_path_tracks_planted_dcc(planted: tuple[pd.DataFrame, np.ndarray, DCCResult]) -> None:
    _, corr, res = planted
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        fitted = res.correlations[pair_name(TICKERS[i], TICKERS[j])].to_numpy()
        assert np.corrcoef(fitted, corr[:, i, j])[0, 1] > 0.95
        assert np.abs(fitted - corr[:, i, j]).mean() < 0.05


def test_tracks_planted_sinusoidal_correlation() -> None:
    """Not DCC-generated: rho_t = 0.4 + 0.4 sin(2 pi t / 500) with constant volatility."""
    rng = np.random.default_rng(3)
    rho = 0.4 + 0.4 * np.sin(2 * np.pi * np.arange(T) / 500)
    z = rng.standard_normal((T, 2))
    y = rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1]
    res = dcc_garch(pd.DataFrame({"X": 0.01 * z[:, 0], "Y": 0.02 * y}, index=_dates(T)))
    fitted = res.correlation("X", "Y").to_numpy()
    assert np.corrcoef(fitted, rho)[0, 1] > 0.8
    assert np.abs(fitted - rho).mean() < 0.15


def test_constant_correlation_gives_flat_path() -> None:
    rng = np.random.default_rng(5)
    z = rng.standard_normal((T, 2))
    y = 0.5 * z[:, 0] + np.sqrt(0.75) * z[:, 1]
    res = dcc_garch(pd.DataFrame({"X": z[:, 0], "Y": y}, index=_dates(T)))
    path = res.correlation("X", "Y")
    assert abs(path.mean() - 0.5) < 0.05
    assert path.std() < 0.05
    assert res.alpha < 0.05


def test_loglik_is_the_gaussian_likelihood_in_input_units(
    planted: tuple[pd.DataFrame, np.ndarray, DCCResult],
) -> None:
    returns, _, res = planted
    assert res.loglik == pytest.approx(res.garch["loglik"].sum() + res.loglik_correlation)
    # Independent computation: sum_t log N(r_t; mu, D_t R_t D_t) from the reported paths.
    u = returns.to_numpy() - res.garch["mu"].to_numpy()
    sig = res.volatility.to_numpy()
    k = len(TICKERS)
    r_t = np.repeat(np.eye(k)[None], T, axis=0)
    for name in res.correlations.columns:
        a, b = name.split("|")
        i, j = TICKERS.index(a), TICKERS.index(b)
        r_t[:, i, j] = r_t[:, j, i] = res.correlations[name].to_numpy()
    cov = r_t * sig[:, :, None] * sig[:, None, :]
    _, logdet = np.linalg.slogdet(cov)
    quad = np.einsum("ti,ti->t", u, np.linalg.solve(cov, u[:, :, None])[:, :, 0])
    direct = -0.5 * np.sum(k * np.log(2 * np.pi) + logdet + quad)
    assert res.loglik == pytest.approx(direct, rel=1e-8)


def test_units_do_not_matter(planted: tuple[pd.DataFrame, np.ndarray, DCCResult]) -> None:
    returns, _, res = planted
    pct = dcc_garch(returns * 100.0)
    assert pct.alpha == pytest.approx(res.alpha, abs=1e-3)
    assert pct.beta == pytest.approx(res.beta, abs=1e-3)
    np.testing.assert_allclose(pct.volatility.to_numpy(), 100.0 * res.volatility.to_numpy(), rtol=1e-3)
    np.testing.assert_allclose(pct.correlations.to_numpy(), res.correlations.to_numpy(), atol=1e-3)
    # The log-likelihood of 100 r differs by the Jacobian T K log(100).
    assert pct.loglik == pytest.approx(res.loglik - T * 3 * np.log(100.0), abs=1.0)


def test_summary_frame_and_conf_int(planted: tuple[pd.DataFrame, np.ndarray, DCCResult]) -> None:
    _, _, res = planted
    sf = res.summary_frame()
    assert list(sf["parameter"]) == ["alpha", "beta", "alpha+beta"]
    assert list(sf.columns) == ["parameter", "estimate", "std_err", "z", "p_value", "lower", "upper", "nobs"]
    assert sf["nobs"].dtype.kind == "i" and int(sf["nobs"].iloc[0]) == T
    assert (sf["std_err"] > 0).all()
    assert sf["estimate"].iloc[2] == pytest.approx(res.persistence)
    wide, narrow = res.conf_int(0.01), res.conf_int(0.10)
    assert list(wide.columns) == ["estimate", "ci_low", "ci_high"] and wide.index.name == "parameter"
    assert ((wide["ci_low"] < wide["estimate"]) & (wide["estimate"] < wide["ci_high"])).all()
    assert ((wide["ci_high"] - wide["ci_low"]) > (narrow["ci_high"] - narrow["ci_low"])).all()
    np.testing.assert_array_equal(sf["lower"], res.conf_int()["ci_low"])
    assert list(res.garch["ticker"]) == TICKERS
    assert res.unconditional.shape == (3, 3)
    assert res.correlations.columns.tolist() == ["A|B", "A|C", "B|C"]
    assert res.correlation("B", "A").name == "B|A"
    with pytest.raises(ConfigError, match="pair 'A'/'Z' not in the DCC fit"):
        res.correlation("A", "Z")
    with pytest.raises(ConfigError, match="alpha must be strictly between 0 and 1"):
        res.conf_int(alpha=1.5)


def test_nan_rule_uses_complete_rows() -> None:
    returns, _ = simulate_dcc(600, seed=2)
    holed = returns.copy()
    holed.iloc[10:20, 1] = np.nan
    holed.iloc[300, 2] = np.nan
    res = dcc_garch(holed)
    assert res.nobs == 600 - 11
    assert res.correlations.index.equals(holed.dropna().index)
    sub = dcc_garch(holed, tickers=["A", "C"])
    assert sub.nobs == 599 and sub.correlations.columns.tolist() == ["A|C"]


def test_boundary_gives_nan_standard_errors() -> None:
    """Independent series with constant volatility: the optimum is often on a bound (alpha or beta 0)."""
    bounds = 0
    for seed in range(5):
        z = np.random.default_rng(seed).standard_normal((400, 2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = dcc_garch(pd.DataFrame(z, index=_dates(400), columns=["X", "Y"]))
        at_bound = min(res.alpha, res.beta) < 1e-4
        bounds += at_bound
        se = res.summary_frame()["std_err"]
        assert bool(se.isna().all()) if at_bound else bool((se > 0).all())
    assert bounds >= 1


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        ("one", {}, "at least two tickers"),
        ("short", {}, "only 50 sessions have all of A, B"),
        ("ok", {"tickers": ["A", "Z"]}, "ticker 'Z' not in returns"),
        ("ok", {"tickers": ["A", "A"]}, "tickers must be distinct"),
        ("flat", {}, "series B is constant"),
        ("unsorted", {}, "sorted ascending"),
    ],
)
def test_errors(frame: str, kwargs: dict[str, object], match: str) -> None:
    rng = np.random.default_rng(1)
    ok = pd.DataFrame(rng.standard_normal((300, 2)), index=_dates(300), columns=["A", "B"])
    frames = {
        "one": ok[["A"]],
        "short": ok.iloc[:50],
        "ok": ok,
        "flat": ok.assign(B=1.0),
        "unsorted": ok.iloc[::-1],
    }
    with pytest.raises(ConfigError, match=match):
        dcc_garch(frames[frame], **kwargs)  # type: ignore[arg-type]


@pytest.mark.snapshot
def test_real_snapshot_btc_ndx(market_data_dir: Path) -> None:
    from analysis.clean import CleanConfig, clean_panel
    from analysis.errors import DataQualityWarning
    from analysis.sources import load_raw

    start, end = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-12-02")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        raw = load_raw("snapshot", ["BTC-USD", "^NDX"], start, end, snapshot_dir=market_data_dir)
        panel = clean_panel(raw, config=CleanConfig(start=start, end=end))
    res = dcc_garch(panel.returns)
    assert res.converged and res.alpha + res.beta < 1.0
    path = res.correlation("BTC-USD", "^NDX")
    assert path.between(-1.0, 1.0).all()
    assert res.nobs == len(panel.returns.dropna())
    # BTC is far more volatile than the Nasdaq-100 (daily, decimal units).
    assert res.volatility["BTC-USD"].median() > 1.5 * res.volatility["^NDX"].median()
