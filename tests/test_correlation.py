"""Tests for analysis.correlation: planted correlations, Fisher-z intervals and tests."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.clean import CleanConfig, clean_panel
from analysis.correlation import (
    FIELLER_SPEARMAN_VARIANCE,
    correlation_changes,
    correlation_difference,
    correlation_long,
    correlation_matrix,
    ewma_correlation,
    factor_pairs,
    fisher_z_interval,
    fisher_z_test,
    pair_correlation,
    pair_correlations,
    rolling_correlation,
)
from analysis.errors import ConfigError, DataQualityWarning, ShortSampleWarning
from analysis.multiplicity import holm
from analysis.snapshot import SnapshotSource

pytestmark = pytest.mark.filterwarnings("error::analysis.errors.ShortSampleWarning")

Z95 = stats.norm.ppf(0.975)


def correlated(n: int, rho: float, seed: int, names: tuple[str, str] = ("BTC-USD", "^NDX")) -> pd.DataFrame:
    """Bivariate normal returns with correlation ``rho`` on ``n`` sessions."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    idx = pd.bdate_range("2015-01-01", periods=n, name="Date")
    return pd.DataFrame({names[0]: 0.03 * x, names[1]: 0.01 * y}, index=idx)


# --- correlation matrix ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "truth"),
    [
        ("pearson", 0.6),
        # Spearman's rho of a bivariate normal: (6/pi) asin(rho/2) = 0.5837 for rho = 0.6.
        ("spearman", 6 / math.pi * math.asin(0.3)),
    ],
)
def test_planted_correlation_recovered(method: str, truth: float) -> None:
    res = correlation_matrix(correlated(5000, 0.6, seed=1), method=method)  # type: ignore[arg-type]
    r = res.corr.loc["BTC-USD", "^NDX"]
    assert r == pytest.approx(truth, abs=0.05)  # sd of r is ~0.01 at n = 5000
    lo, hi = res.lower.loc["BTC-USD", "^NDX"], res.upper.loc["BTC-USD", "^NDX"]
    assert lo < truth < hi
    factor = FIELLER_SPEARMAN_VARIANCE if method == "spearman" else 1.0
    half = Z95 * math.sqrt(factor / (5000 - 3))
    assert math.atanh(hi) - math.atanh(lo) == pytest.approx(2 * half, rel=1e-10)
    assert res.corr.loc["^NDX", "^NDX"] == 1.0 and res.n.loc["^NDX", "BTC-USD"] == 5000


def test_interval_hand_computed() -> None:
    lower, upper = fisher_z_interval(0.5, 103)
    assert float(lower) == pytest.approx(math.tanh(math.atanh(0.5) - Z95 / 10), abs=1e-12)
    assert float(upper) == pytest.approx(math.tanh(math.atanh(0.5) + Z95 / 10), abs=1e-12)
    lo_s, hi_s = fisher_z_interval(0.5, 103, method="spearman", alpha=0.1)
    half = stats.norm.ppf(0.95) * math.sqrt(1.06 / 100)
    assert float(lo_s) == pytest.approx(math.tanh(math.atanh(0.5) - half), abs=1e-12)
    assert float(hi_s) == pytest.approx(math.tanh(math.atanh(0.5) + half), abs=1e-12)
    assert np.isnan(fisher_z_interval(0.5, 3)[0])
    with pytest.raises(TypeError, match="confidence"):  # one name: alpha
        fisher_z_interval(0.5, 103, confidence=0.9)  # type: ignore[call-arg]


def test_interval_coverage_of_planted_truth() -> None:
    covered = 0
    for seed in range(200):
        res = correlation_matrix(correlated(60, 0.6, seed=seed))
        covered += res.lower.iloc[0, 1] < 0.6 < res.upper.iloc[0, 1]
    assert covered / 200 == pytest.approx(0.95, abs=0.04)  # binomial sd ~0.015


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_pairwise_complete_matches_scipy(method: str) -> None:
    df = correlated(300, 0.3, seed=2)
    df["IREN"] = df["BTC-USD"] + np.random.default_rng(3).normal(0, 0.05, 300)
    df.iloc[:40, 2] = np.nan
    df.iloc[100:110, 0] = np.nan
    res = correlation_matrix(df, method=method)  # type: ignore[arg-type]
    both = df[["BTC-USD", "IREN"]].dropna()
    fn = stats.pearsonr if method == "pearson" else stats.spearmanr
    ref = fn(both["BTC-USD"], both["IREN"])
    assert res.n.loc["BTC-USD", "IREN"] == len(both) == 250
    assert res.corr.loc["BTC-USD", "IREN"] == pytest.approx(ref.statistic, abs=1e-10)
    assert res.pvalue.loc["BTC-USD", "IREN"] == pytest.approx(ref.pvalue, rel=1e-6)
    assert (res.corr.to_numpy() == res.corr.to_numpy().T).all()


def test_short_pair_warns_and_below_min_periods_is_nan() -> None:
    df = correlated(100, 0.5, seed=4)
    df["NEW"] = np.nan
    df.iloc[-10:, 2] = np.arange(10.0)
    with pytest.warns(ShortSampleWarning, match=r"BTC-USD/NEW \(n=10\)"):
        res = correlation_matrix(df)
    assert res.n.loc["NEW", "^NDX"] == 10
    assert not math.isnan(res.corr.loc["NEW", "^NDX"])
    strict = correlation_matrix(df, min_periods=20)
    assert math.isnan(strict.corr.loc["NEW", "^NDX"]) and math.isnan(strict.lower.loc["NEW", "^NDX"])


def test_long_table() -> None:
    df = correlated(200, 0.5, seed=5)
    df["IREN"] = df["^NDX"]
    res = correlation_matrix(df)
    assert res.alpha == 0.05 and correlation_matrix(df, alpha=0.1).alpha == 0.1
    long = correlation_long(res)
    assert list(long.columns) == ["a", "b", "corr", "lower", "upper", "n", "pvalue", "method"]
    assert len(long) == 3 and set(zip(long["a"], long["b"], strict=True)) == {
        ("BTC-USD", "^NDX"),
        ("BTC-USD", "IREN"),
        ("^NDX", "IREN"),
    }
    assert long.loc[(long["a"] == "^NDX") & (long["b"] == "IREN"), "corr"].item() == pytest.approx(1.0)
    assert len(res.summary_frame(unique_pairs=False)) == 6
    assert res.summary_frame().equals(long)
    wide = res.conf_int(alpha=0.01)
    assert list(wide.columns) == ["a", "b", "corr", "ci_low", "ci_high", "interval"]
    assert (wide["ci_low"] <= long["lower"]).all() and (wide["ci_high"] >= long["upper"]).all()
    assert (wide["interval"] == "fisher").all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "kendall"}, r"method must be one of \['pearson', 'spearman'\], got 'kendall'"),
        ({"alpha": 5}, r"alpha must be strictly between 0 and 1 \(e.g. 0.05\), got 5"),
        ({"min_periods": 2}, r"min_periods must be >= 4 observations, got 2"),
    ],
)
def test_matrix_bad_parameters(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        correlation_matrix(correlated(50, 0.5, seed=0), **kwargs)  # type: ignore[arg-type]


def test_matrix_rejects_confidence_keyword() -> None:
    with pytest.raises(TypeError, match="confidence"):  # one name: alpha
        correlation_matrix(correlated(50, 0.5, seed=0), confidence=0.95)  # type: ignore[call-arg]


# --- rolling and EWMA --------------------------------------------------------------------


def test_rolling_correlation_tracks_planted_regime() -> None:
    df = pd.concat([correlated(1000, 0.2, seed=6), correlated(1000, 0.8, seed=7)])
    df.index = pd.bdate_range("2015-01-01", periods=2000, name="Date")
    out = rolling_correlation(df, "BTC-USD", "^NDX", 250)
    assert out.index.equals(df.index) and out.name == "BTC-USD/^NDX"
    assert out.iloc[:249].isna().all()
    assert out.iloc[999] == pytest.approx(0.2, abs=0.15)  # sd of r ~0.06 at n = 250
    assert out.iloc[-1] == pytest.approx(0.8, abs=0.1)
    tail = df.iloc[-250:]
    assert out.iloc[-1] == pytest.approx(np.corrcoef(tail.T.to_numpy())[0, 1], abs=1e-10)


def test_rolling_correlation_uses_pairwise_complete_windows() -> None:
    df = correlated(50, 0.5, seed=8)
    df.iloc[45, 1] = np.nan
    out = rolling_correlation(df, "BTC-USD", "^NDX", 10, min_periods=5)
    window = df.iloc[40:50].dropna()
    assert out.iloc[-1] == pytest.approx(np.corrcoef(window.T.to_numpy())[0, 1], abs=1e-10)


def test_ewma_correlation_matches_moments_and_truth() -> None:
    df = correlated(3000, 0.6, seed=9)
    out = ewma_correlation(df, "BTC-USD", "^NDX", halflife=60)
    x, y = df["BTC-USD"], df["^NDX"]
    ref = x.ewm(halflife=60).corr(y)
    np.testing.assert_allclose(out.iloc[100:].to_numpy(), ref.iloc[100:].to_numpy(), atol=1e-10)
    assert out.iloc[-1] == pytest.approx(0.6, abs=0.15)  # effective n ~ 170
    assert out.iloc[:59].isna().all()  # default min_periods = ceil(halflife)


@pytest.mark.parametrize(
    ("fn", "arg", "match"),
    [
        ("rolling", 2, r"window must be >= 3 sessions, got 2"),
        ("rolling", 300, r"window \(300\) is longer than the data \(120 sessions\)"),
        ("ewma", 0, r"halflife must be a positive number, got 0"),
    ],
)
def test_rolling_bad_parameters(fn: str, arg: int, match: str) -> None:
    df = correlated(120, 0.5, seed=0)
    with pytest.raises(ConfigError, match=match):
        if fn == "rolling":
            rolling_correlation(df, "BTC-USD", "^NDX", arg)
        else:
            ewma_correlation(df, "BTC-USD", "^NDX", arg)


def test_unknown_ticker_names_available_columns() -> None:
    with pytest.raises(ConfigError, match=r"ticker 'XYZ' not in returns; available: BTC-USD, \^NDX"):
        rolling_correlation(correlated(50, 0.5, seed=0), "XYZ", "^NDX", 20)


# --- difference between periods ----------------------------------------------------------


def test_fisher_z_test_hand_computed() -> None:
    res = fisher_z_test(0.5, 103, 0.3, 103)
    z = (math.atanh(0.5) - math.atanh(0.3)) / math.sqrt(2 / 100)
    assert res.z == pytest.approx(z, abs=1e-12) and res.z == pytest.approx(1.69555, abs=1e-5)
    assert res.p == pytest.approx(2 * stats.norm.sf(z), abs=1e-12)
    assert fisher_z_test(0.5, 103, 0.3, 103, alternative="greater").p == pytest.approx(res.p / 2)
    assert fisher_z_test(0.5, 103, 0.3, 103, alternative="less").p == pytest.approx(1 - res.p / 2)
    spear = fisher_z_test(0.5, 103, 0.3, 103, method="spearman")
    assert spear.z == pytest.approx(z / math.sqrt(1.06), abs=1e-12)


def test_correlation_difference_detects_planted_change() -> None:
    df = pd.concat([correlated(500, 0.8, seed=10), correlated(500, 0.2, seed=11)])
    df.index = pd.bdate_range("2020-01-01", periods=1000, name="Date")
    cut = df.index[499]
    res = correlation_difference(
        df, "BTC-USD", "^NDX", (df.index[0], cut), (df.index[500], df.index[-1]), alternative="greater"
    )
    assert (res.n1, res.n2) == (500, 500)
    assert res.rho1 == pytest.approx(0.8, abs=0.05) and res.rho2 == pytest.approx(0.2, abs=0.1)
    assert res.p < 1e-10 and res.diff > 0


def test_correlation_difference_no_change_with_masks() -> None:
    df = correlated(1000, 0.5, seed=12)
    first = pd.Series(np.arange(1000) < 500, index=df.index)
    res = correlation_difference(df, "BTC-USD", "^NDX", first, ~first, method="spearman")
    assert res.p > 0.05  # same planted correlation in both halves (seeded)
    rho, n = pair_correlation(df, "BTC-USD", "^NDX", method="spearman", mask=first)
    assert (rho, n) == (pytest.approx(res.rho1), 500)


@pytest.mark.parametrize(
    ("period1", "period2", "match"),
    [
        (("2020-01-01", "2020-03-31"), ("2020-03-01", "2020-06-30"), r"overlap on \d+ sessions"),
        (("2019-01-01", "2019-02-01"), ("2020-03-01", "2020-06-30"), r"empty period: no observations"),
        (("2020-01-01", "2020-01-03"), ("2020-03-01", "2020-06-30"), r"period1 has 3 paired observations"),
    ],
)
def test_correlation_difference_bad_periods(
    period1: tuple[str, str], period2: tuple[str, str], match: str
) -> None:
    df = correlated(200, 0.5, seed=13)
    df.index = pd.bdate_range("2020-01-01", periods=200, name="Date")
    with pytest.raises(ConfigError, match=match):
        correlation_difference(df, "BTC-USD", "^NDX", period1, period2)


def test_fisher_z_test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match=r"n1 must be >= 4 paired observations, got 3"):
        fisher_z_test(0.5, 3, 0.3, 100)
    with pytest.raises(ConfigError, match=r"rho2 must be a correlation in \[-1, 1\], got 1.5"):
        fisher_z_test(0.5, 30, 1.5, 100)
    with pytest.raises(ConfigError, match=r"alternative must be one of"):
        fisher_z_test(0.5, 30, 0.3, 100, alternative="bigger")  # type: ignore[arg-type]


# --- block bootstrap under GARCH errors ---------------------------------------------------


def garch_pairs(n_sim: int, n: int, rho: float, seed: int) -> pd.DataFrame:
    """``n_sim`` pairs with correlation ``rho``, a common GARCH(1,1) variance and t(12) shocks.

    ``h_t = (1 - a - b) + a u_{t-1}^2 + b h_{t-1}`` (a = 0.2, b = 0.75, unit variance),
    ``x_t = sqrt(h_t) e1_t``, ``y_t = sqrt(h_t) (rho e1_t + sqrt(1 - rho^2) e2_t)`` with
    ``(e1, e2)`` a standardised bivariate t(12) (one chi-square scale): volatility
    clustering and fat tails, correlation exactly ``rho`` at every date.
    """
    a, b, nu, burn = 0.2, 0.75, 12, 300
    rng = np.random.default_rng(seed)
    t = n + burn
    scale = np.sqrt((nu - 2) / rng.chisquare(nu, (n_sim, t)))
    e1 = rng.standard_normal((n_sim, t)) * scale
    e2 = rng.standard_normal((n_sim, t)) * scale
    h, u = np.ones(n_sim), np.zeros(n_sim)
    sd = np.empty((n_sim, t))
    for i in range(t):  # vectorised over simulations
        h = (1 - a - b) + a * u**2 + b * h
        sd[:, i] = np.sqrt(h)
        u = sd[:, i] * e1[:, i]
    x = (sd * e1)[:, burn:]
    y = (sd * (rho * e1 + math.sqrt(1 - rho**2) * e2))[:, burn:]
    cols = {f"x{i}": x[i] for i in range(n_sim)} | {f"y{i}": y[i] for i in range(n_sim)}
    return pd.DataFrame(cols, index=pd.bdate_range("2015-01-01", periods=n, name="Date"))


def test_bootstrap_interval_covers_under_garch_and_fisher_does_not() -> None:
    # 200 simulated samples x 199 replications. Binomial sd of a coverage near 0.94 is 0.017.
    n_sim, truth = 200, 0.5
    frame = garch_pairs(n_sim, 600, truth, seed=11)
    res = pair_correlations(frame, [(f"x{i}", f"y{i}") for i in range(n_sim)], reps=199, seed=3)
    table = res.summary_frame()
    boot = ((table["ci_bootstrap_lo"] < truth) & (truth < table["ci_bootstrap_hi"])).mean()
    fisher = ((table["ci_fisher_lo"] < truth) & (truth < table["ci_fisher_hi"])).mean()
    assert boot >= 0.90  # nominal 0.95
    # Fisher's 1/(n-3) ignores fat tails and volatility clustering: its interval is too narrow.
    assert fisher <= 0.88 and boot - fisher >= 0.05
    assert table["se_ratio"].median() > 1.15


def test_pair_correlations_table_periods_and_records() -> None:
    df = correlated(800, 0.6, seed=20)
    df["IREN"] = np.nan
    df.iloc[-25:, 2] = df.iloc[-25:, 0].to_numpy() + np.random.default_rng(21).normal(0, 0.05, 25)
    res = pair_correlations(
        df,
        factor_pairs(["BTC-USD"], ["^NDX", "IREN"]),
        periods={"full": None, "last 100": 100, "early": (df.index[0], df.index[399]), "none": 5},
        min_obs=10,
        reps=199,
    )
    table = res.summary_frame()
    assert list(table.columns) == [
        "a", "b", "period", "start", "end", "n", "rho", "ci_fisher_lo", "ci_fisher_hi",
        "ci_bootstrap_lo", "ci_bootstrap_hi", "se_ratio", "block", "reason",
    ]  # fmt: skip
    assert table["n"].dtype == np.int64 and len(table) == 8
    full = table.iloc[0]
    assert (full["a"], full["b"], full["period"], full["n"]) == ("BTC-USD", "^NDX", "full", 800)
    assert full["rho"] == pytest.approx(0.6, abs=0.05)
    assert full["ci_fisher_lo"] < 0.6 < full["ci_fisher_hi"] and full["ci_bootstrap_lo"] < 0.6
    assert full["se_ratio"] == pytest.approx(1.0, abs=0.15)  # i.i.d. normal data: both agree
    assert (table.loc[1, "n"], table.loc[1, "start"]) == (100, str(df.index[-100].date()))
    assert table.loc[2, "end"] == str(df.index[399].date())
    short = table.set_index(["b", "period"]).loc[("IREN", "none")]
    assert short["n"] == 5 and math.isnan(short["rho"]) and "only 5 paired sessions" in short["reason"]
    assert table.set_index(["b", "period"]).loc[("IREN", "full"), "n"] == 25
    records = res.metrics_records()
    assert set(records[0]) == {"a", "b", "period", "rho", "n", "ci_fisher", "ci_bootstrap"}
    assert records[0]["ci_bootstrap"] == [full["ci_bootstrap_lo"], full["ci_bootstrap_hi"]]
    assert records[3]["rho"] is None and records[3]["ci_fisher"] == [None, None]
    narrow = res.conf_int(0.5)
    assert (narrow["ci_high"] - narrow["ci_low"]).iloc[0] < full["ci_bootstrap_hi"] - full["ci_bootstrap_lo"]
    again = pair_correlations(df, [("BTC-USD", "^NDX")], reps=199)
    assert again.estimates["se_bootstrap"].iloc[0] == res.estimates["se_bootstrap"].iloc[0]  # seeded


def test_pair_correlations_spearman_and_fixed_block() -> None:
    df = correlated(600, 0.6, seed=41)
    res = pair_correlations(df, [("BTC-USD", "^NDX")], method="spearman", reps=199, block=10.0)
    row = res.summary_frame().iloc[0]
    assert row["rho"] == pytest.approx(stats.spearmanr(df["BTC-USD"], df["^NDX"]).statistic, abs=1e-12)
    assert row["block"] == 10.0 and row["se_ratio"] == pytest.approx(1.0, abs=0.2)
    with pytest.raises(ConfigError, match=r"block must be a mean block length >= 1 session, got 0.5"):
        pair_correlations(df, block=0.5)


def test_holm_matches_statsmodels() -> None:
    p = np.r_[np.random.default_rng(40).uniform(0, 0.2, 12), 0.03, 0.03, np.nan]
    expected = multipletests(p[:-1], method="holm")[1]
    got = holm(pd.Series(p))
    np.testing.assert_allclose(got[:-1], expected, rtol=0, atol=1e-15)
    assert math.isnan(got[-1]) and np.isnan(holm(pd.Series([np.nan]))).all()


def test_factor_pairs() -> None:
    assert factor_pairs(["BTC-USD", "^NDX"], ["IREN", "^NDX", "BTC-USD"]) == [
        ("BTC-USD", "IREN"),
        ("BTC-USD", "^NDX"),
        ("^NDX", "IREN"),
    ]


# --- correlation changes -----------------------------------------------------------------


def test_correlation_changes_detects_planted_change_with_holm() -> None:
    prior = correlated(250, 0.2, seed=30, names=("BTC-USD", "^NDX"))
    recent = correlated(90, 0.8, seed=31, names=("BTC-USD", "^NDX"))
    df = pd.concat([prior, recent])
    df.index = pd.bdate_range("2024-01-01", periods=340, name="Date")
    rng = np.random.default_rng(32)
    df["IREN"] = 0.5 * df["BTC-USD"] + rng.normal(0, 0.03, 340)  # same correlation throughout
    df["ABTC"] = np.nan
    df.iloc[-20:, 3] = rng.normal(0, 0.05, 20)  # listed 20 sessions ago
    res = correlation_changes(df, [("BTC-USD", "^NDX"), ("BTC-USD", "IREN"), ("BTC-USD", "ABTC")], reps=199)
    table = res.summary_frame().set_index("b")
    changed, steady, skipped = table.loc["^NDX"], table.loc["IREN"], table.loc["ABTC"]
    assert (changed["n_recent"], changed["n_prior"]) == (90, 250)
    assert (changed["recent_start"], changed["prior_end"]) == (
        str(df.index[250].date()),
        str(df.index[249].date()),
    )
    assert changed["diff"] == pytest.approx(0.6, abs=0.15)
    assert changed["p_bootstrap_adj"] < 1e-6 and changed["p_fisher_adj"] < 1e-6
    assert changed["ci_bootstrap_lo"] < changed["diff"] < changed["ci_bootstrap_hi"]
    assert changed["ci_fisher_lo"] > 0 and changed["ci_bootstrap_lo"] > 0
    assert steady["p_bootstrap"] > 0.05 and steady["ci_bootstrap_lo"] < 0 < steady["ci_bootstrap_hi"]
    assert skipped["n_recent"] == 20 and skipped["n_prior"] == 0 and math.isnan(skipped["p_fisher"])
    assert skipped["reason"] == "too few paired sessions: 20 recent, 0 prior (need 30 in each)"
    tested = table[table["reason"] == ""]
    for col in ("p_fisher", "p_bootstrap"):
        expected = multipletests(tested[col].to_numpy(), method="holm")[1]
        np.testing.assert_allclose(tested[f"{col}_adj"].to_numpy(), expected)
    assert math.isnan(skipped["p_bootstrap_adj"])


def test_correlation_changes_bad_parameters() -> None:
    df = correlated(100, 0.5, seed=33)
    with pytest.raises(
        ConfigError, match=r"recent \+ prior \(340\) is longer than the data \(100 sessions\)"
    ):
        correlation_changes(df)
    with pytest.raises(ConfigError, match=r"recent must be >= 2 sessions, got 1"):
        correlation_changes(df, recent=1, prior=50)
    with pytest.raises(ConfigError, match=r"a pair needs two different tickers"):
        correlation_changes(df, [("^NDX", "^NDX")], recent=30, prior=50)


def test_correlation_difference_reports_bootstrap_and_zou_interval() -> None:
    df = pd.concat([correlated(500, 0.8, seed=10), correlated(500, 0.2, seed=11)])
    df.index = pd.bdate_range("2020-01-01", periods=1000, name="Date")
    res = correlation_difference(
        df, "BTC-USD", "^NDX", (df.index[0], df.index[499]), (df.index[500], df.index[-1])
    )
    assert res.p_bootstrap < 1e-10 and res.z_bootstrap == pytest.approx(res.z, rel=0.25)
    lo1, hi1 = fisher_z_interval(res.rho1, res.n1)
    lo2, hi2 = fisher_z_interval(res.rho2, res.n2)
    zou = (
        res.diff - math.sqrt((res.rho1 - lo1) ** 2 + (hi2 - res.rho2) ** 2),
        res.diff + math.sqrt((hi1 - res.rho1) ** 2 + (res.rho2 - lo2) ** 2),
    )
    fisher = res.conf_int(interval="fisher").iloc[0]
    assert (fisher["ci_low"], fisher["ci_high"]) == pytest.approx(zou, abs=1e-12)
    assert fisher["interval"] == "fisher"
    b_lo, b_hi = res.conf_int()[["ci_low", "ci_high"]].iloc[0]
    assert b_lo < 0.6 < b_hi
    assert list(res.summary_frame()["ci_bootstrap_lo"]) == [b_lo]


# --- conf_int convention -----------------------------------------------------------------


def assert_interval_frame(ci: pd.DataFrame, estimate: str) -> None:
    """``ci`` is a non-empty DataFrame whose ``estimate`` lies within ``[ci_low, ci_high]``."""
    assert isinstance(ci, pd.DataFrame) and len(ci) > 0
    assert {estimate, "ci_low", "ci_high", "interval"} <= set(ci.columns)
    assert ci[[estimate, "ci_low", "ci_high"]].notna().all().all()
    assert (ci["ci_low"] <= ci[estimate]).all() and (ci[estimate] <= ci["ci_high"]).all()
    assert (ci["ci_low"] < ci["ci_high"]).all()


def test_every_correlation_result_conf_int_is_a_frame_around_the_estimate() -> None:
    df = correlated(240, 0.5, seed=40)
    df["IREN"] = df["^NDX"] + 0.01 * np.random.default_rng(41).standard_normal(240)
    pairs = [("BTC-USD", "^NDX"), ("BTC-USD", "IREN")]
    halves = (df.index[0], df.index[119]), (df.index[120], df.index[-1])
    results: dict[str, tuple[Any, str]] = {
        "matrix": (correlation_matrix(df), "corr"),
        "difference": (correlation_difference(df, "BTC-USD", "^NDX", *halves, reps=99), "diff"),
        "pairs": (pair_correlations(df, pairs, periods={"full": None, "last 60": 60}, reps=99), "rho"),
        "changes": (correlation_changes(df, pairs, recent=60, prior=120, reps=99), "diff"),
    }
    for name, (res, estimate) in results.items():
        for alpha in (0.05, 0.5):
            ci = res.conf_int(alpha)
            assert_interval_frame(ci, estimate)
            assert "lower" not in ci.columns, name
        if name != "matrix":
            fisher = res.conf_int(interval="fisher")
            assert_interval_frame(fisher, estimate)
            assert (fisher["interval"] == "fisher").all()
            assert (res.conf_int()["interval"] == "bootstrap").all()
        assert isinstance(res.summary_frame(), pd.DataFrame)
        assert not hasattr(res, "to_long") and not hasattr(res, "tidy")


# --- the real snapshot -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_returns(market_data_dir: Path) -> pd.DataFrame:
    start, end = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-12-05")
    raw = SnapshotSource(market_data_dir).load(["BTC-USD", "^NDX", "IREN"], start, end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        cleaned = clean_panel(raw, config=CleanConfig(start=start, end=end))
    return cleaned.returns.loc[:"2025-12-02"]


@pytest.mark.snapshot
def test_real_btc_ndx_bootstrap_is_wider_than_fisher(real_returns: pd.DataFrame) -> None:
    res = pair_correlations(
        real_returns, [("BTC-USD", "^NDX")], periods={"full": None, "last 90": 90}, reps=499
    )
    full, recent = res.summary_frame().itertuples(index=False)
    assert full.n > 1200 and 0.2 < full.rho < 0.6 and recent.n == 90
    # Volatility clustering: the bootstrap standard error of atanh(rho) exceeds Fisher's 1/sqrt(n-3).
    assert full.se_ratio > 1.05
    assert full.ci_bootstrap_lo < full.ci_fisher_lo < full.rho < full.ci_fisher_hi < full.ci_bootstrap_hi
