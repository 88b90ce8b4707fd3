"""Tests of analysis.exposure on planted truth (seeded synthetic returns) and the real snapshot."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from analysis import exposure as ex
from analysis.errors import ConfigError, DataQualityWarning

N = 1000
BREAK_AT = 600  # position of the planted beta shift
BETA_BTC, BETA_NDX = 0.8, 1.5
BEFORE = {"BTC-USD": 0.5, "^NDX": 1.5}
AFTER = {"BTC-USD": 1.5, "^NDX": 0.5}
NOISE = 0.015


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    """Factors and three planted tickers on N business days.

    IREN: constant betas (0.8, 1.5). WULF: betas switch from BEFORE to AFTER at
    BREAK_AT. LAG: responds to BTC at t (0.6) and t-1 (0.4), Dimson sum 1.0.
    SHORT: only the last 20 sessions have data.
    """
    rng = np.random.default_rng(20251202)
    idx = pd.bdate_range("2021-01-04", periods=N, name="Date")
    btc = rng.normal(0.0, 0.03, N)
    ndx = rng.normal(0.0, 0.015, N)
    smh = 0.8 * ndx + rng.normal(0.0, 0.01, N)
    iren = 0.0005 + BETA_BTC * btc + BETA_NDX * ndx + rng.normal(0.0, NOISE, N)
    after = np.arange(N) >= BREAK_AT
    b_btc = np.where(after, AFTER["BTC-USD"], BEFORE["BTC-USD"])
    b_ndx = np.where(after, AFTER["^NDX"], BEFORE["^NDX"])
    wulf = b_btc * btc + b_ndx * ndx + rng.normal(0.0, NOISE, N)
    btc_lag = np.concatenate([[0.0], btc[:-1]])
    lag = 0.6 * btc + 0.4 * btc_lag + rng.normal(0.0, NOISE, N)
    lag[0] = np.nan
    short = np.full(N, np.nan)
    short[-20:] = btc[-20:] + rng.normal(0.0, NOISE, 20)
    return pd.DataFrame(
        {
            "BTC-USD": btc,
            "^NDX": ndx,
            "SMH": smh,
            "IREN": iren,
            "WULF": wulf,
            "LAG": lag,
            "SHORT": short,
        },
        index=idx,
    )


# ----------------------------------------------------------------------------- regression


@pytest.mark.parametrize(("n", "expected"), [(1, 1), (100, 4), (250, 4), (1000, 6), (5000, 9)])
def test_newey_west_maxlags_rule(n: int, expected: int) -> None:
    assert ex.newey_west_maxlags(n) == expected


def test_two_factor_betas_recovered_within_0_1(returns: pd.DataFrame) -> None:
    fit = ex.factor_regression(returns, "IREN")
    assert fit.n == N
    assert fit.maxlags == ex.newey_west_maxlags(N)
    assert list(fit.table.index) == [ex.CONST, "BTC-USD", "^NDX"]
    assert list(fit.table.columns) == ["coef", "se", "t", "p", "ci_low", "ci_high"]
    assert abs(fit.betas["BTC-USD"] - BETA_BTC) < 0.1
    assert abs(fit.betas["^NDX"] - BETA_NDX) < 0.1
    for factor, truth in (("BTC-USD", BETA_BTC), ("^NDX", BETA_NDX)):
        assert fit.table.loc[factor, "ci_low"] < truth < fit.table.loc[factor, "ci_high"]
        assert fit.table.loc[factor, "p"] < 1e-6
    assert fit.start == returns.index[0] and fit.end == returns.index[-1]
    assert 0.5 < fit.r2 < 1.0


def test_three_factor_regression_with_ai_factor(returns: pd.DataFrame) -> None:
    fit = ex.factor_regression(returns, "IREN", ("BTC-USD", "^NDX", "SMH"))
    assert list(fit.table.index) == [ex.CONST, "BTC-USD", "^NDX", "SMH"]
    # SMH carries no planted exposure: its coefficient is near 0 (within 0.2).
    assert abs(fit.betas["SMH"]) < 0.2
    assert abs(fit.betas["BTC-USD"] - BETA_BTC) < 0.1


def test_factor_regression_conf_int_and_summary_frame(returns: pd.DataFrame) -> None:
    fit = ex.factor_regression(returns, "IREN")
    ci95, ci80 = fit.conf_int(), fit.conf_int(0.2)
    assert list(ci95.columns) == ["coef", "ci_low", "ci_high"]
    pd.testing.assert_series_equal(ci95["ci_low"], fit.table["ci_low"])
    assert ((ci80["ci_high"] - ci80["ci_low"]) < (ci95["ci_high"] - ci95["ci_low"])).all()
    frame = fit.summary_frame()
    assert frame["ticker"].map(type).eq(str).all() and frame["n"].map(type).eq(int).all()
    with pytest.raises(ConfigError, match="alpha must be strictly between 0 and 1"):
        fit.conf_int(1.5)


def test_period_and_nan_rows_are_dropped(returns: pd.DataFrame) -> None:
    frame = returns.copy()
    frame.iloc[:200, frame.columns.get_loc("IREN")] = np.nan
    fit = ex.factor_regression(frame, "IREN", end=frame.index[899])
    assert fit.n == 700
    assert fit.start == frame.index[200]
    assert fit.end == frame.index[899]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ticker": "XYZ"}, r"ticker 'XYZ' not in returns; available: BTC-USD, \^NDX"),
        ({"ticker": "IREN", "factors": ("BTC-USD", "NOPE")}, "ticker 'NOPE' not in returns"),
        ({"ticker": "BTC-USD"}, "is also a factor"),
        ({"ticker": "IREN", "factors": ()}, "factors is empty"),
        ({"ticker": "IREN", "start": "2030-01-01"}, "empty period"),
        (
            {"ticker": "IREN", "start": "2022-01-01", "end": "2021-06-01"},
            r"start \(2022-01-01\) is after end \(2021-06-01\); swap them",
        ),
        ({"ticker": "SHORT"}, r"SHORT has 20 complete observations .* need >= 30 \(min_obs\)"),
        ({"ticker": "IREN", "maxlags": -1}, "maxlags must be >= 0"),
        ({"ticker": "IREN", "start": "not-a-date"}, "start is not a date: 'not-a-date'"),
    ],
)
def test_factor_regression_bad_parameters(
    returns: pd.DataFrame, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        ex.factor_regression(returns, **kwargs)  # type: ignore[arg-type]


def test_factor_regressions_table_reports_short_ticker(returns: pd.DataFrame) -> None:
    table = ex.factor_regressions(returns, ["IREN", "WULF", "SHORT"])
    assert list(table["ticker"].unique()) == ["IREN", "WULF", "SHORT"]
    assert len(table) == 9
    short = table[table["ticker"] == "SHORT"]
    assert short["coef"].isna().all()
    assert short["reason"].str.contains("need >= 30").all()
    assert (table.loc[table["ticker"] != "SHORT", "reason"] == "").all()
    with pytest.raises(ConfigError, match="SHORT has 20"):
        ex.factor_regressions(returns, ["IREN", "SHORT"], on_error="raise")
    with pytest.raises(ConfigError, match="ticker 'XYZ' not in returns"):
        ex.factor_regressions(returns, ["IREN", "XYZ"])


# ----------------------------------------------------------------------------- rolling


def test_rolling_betas_track_the_shift(returns: pd.DataFrame) -> None:
    window = 120
    rb = ex.rolling_betas(returns, "WULF", window=window)
    assert rb.index.equals(returns.index)
    assert list(rb.columns) == [ex.CONST, "BTC-USD", "^NDX", "r2", "nobs"]
    assert rb.iloc[: int(0.8 * window) - 1].isna().all().all()
    # Windows wholly before / after the break recover BEFORE / AFTER within 0.15.
    for pos, truth in ((BREAK_AT - 1, BEFORE), (N - 1, AFTER)):
        for factor, beta in truth.items():
            assert abs(rb[factor].iloc[pos] - beta) < 0.15
    assert rb["nobs"].iloc[-1] == window
    # Halfway through the transition the BTC beta lies between the two regimes.
    mid = rb["BTC-USD"].iloc[BREAK_AT + window // 2]
    assert BEFORE["BTC-USD"] + 0.2 < mid < AFTER["BTC-USD"] - 0.2


def test_rolling_betas_nan_before_listing(returns: pd.DataFrame) -> None:
    rb = ex.rolling_betas(returns, "SHORT", ("BTC-USD",), window=30, min_nobs=15)
    assert rb["BTC-USD"].iloc[: N - 6].isna().all()
    assert rb["BTC-USD"].iloc[N - 6 :].notna().all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": N + 1}, "window=1001 sessions is longer than the data"),
        ({"window": 3}, "window must be >= 4"),
        ({"window": 60, "min_nobs": 61}, "min_nobs must be between 4 and window=60"),
    ],
)
def test_rolling_betas_bad_parameters(returns: pd.DataFrame, kwargs: dict[str, int], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ex.rolling_betas(returns, "IREN", **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- break test


def test_break_detected_at_planted_shift(returns: pd.DataFrame) -> None:
    bt = ex.break_test(returns, "WULF", returns.index[BREAK_AT], btc_lags=0)
    assert bt.p_slopes < 0.01 and bt.p_joint < 0.01 and bt.chow_p < 0.01
    assert (bt.chow_df_num, bt.chow_df_denom, bt.df_slopes, bt.df_joint) == (3, N - 6, 2, 3)
    assert (bt.n_before, bt.n_after) == (BREAK_AT, N - BREAK_AT)
    assert bt.terms == ("BTC-USD", "^NDX") and not bt.rolled
    assert bt.p_intercept > 0.01  # no intercept shift was planted
    ba = bt.before_after
    columns = ["beta_before", "se_before", "beta_after", "se_after", "diff", "diff_se", "diff_t", "diff_p"]
    assert list(ba.columns) == columns
    for factor in ("BTC-USD", "^NDX"):
        assert abs(ba.loc[factor, "beta_before"] - BEFORE[factor]) < 0.1
        assert abs(ba.loc[factor, "beta_after"] - AFTER[factor]) < 0.1
        assert abs(bt.change(factor) - (AFTER[factor] - BEFORE[factor])) < 0.15
        assert ba.loc[factor, "diff_p"] < 0.01
        assert ba.loc[factor, "se_after"] > 0


def test_slopes_wald_matches_statsmodels_on_the_interaction_model(returns: pd.DataFrame) -> None:
    """The slopes-only statistic is the HAC Wald test of the slope interactions only."""
    bt = ex.break_test(returns, "WULF", returns.index[BREAK_AT], btc_lags=0, maxlags=4)
    after = (np.arange(N) >= BREAK_AT).astype(float)
    x = sm.add_constant(returns[["BTC-USD", "^NDX"]])
    z = pd.concat([x, x.mul(after, axis=0).add_prefix("after:")], axis=1)
    res = sm.OLS(returns["WULF"], z).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": False})
    wald = res.wald_test("after:BTC-USD = 0, after:^NDX = 0", use_f=False, scalar=True)
    assert bt.wald_slopes == pytest.approx(float(wald.statistic), rel=1e-10)
    assert bt.p_intercept == pytest.approx(float(res.pvalues["after:const"]), rel=1e-10)
    assert bt.intercept_shift == pytest.approx(float(res.params["after:const"]), rel=1e-10)


def test_chow_matches_ssr_formula(returns: pd.DataFrame) -> None:
    bt = ex.break_test(returns, "WULF", returns.index[BREAK_AT], btc_lags=0)
    y = returns["WULF"].to_numpy()
    x = np.column_stack([np.ones(N), returns[["BTC-USD", "^NDX"]].to_numpy()])

    def ssr(sl: slice) -> float:
        beta, *_ = np.linalg.lstsq(x[sl], y[sl], rcond=None)
        return float(np.sum((y[sl] - x[sl] @ beta) ** 2))

    k = 3
    ssr_u = ssr(slice(0, BREAK_AT)) + ssr(slice(BREAK_AT, N))
    f = ((ssr(slice(0, N)) - ssr_u) / k) / (ssr_u / (N - 2 * k))
    assert bt.chow_f == pytest.approx(f, rel=1e-8)


def test_btc_lag_terms_enter_the_betas(returns: pd.DataFrame) -> None:
    bt = ex.break_test(returns, "LAG", returns.index[BREAK_AT], ("BTC-USD", "^NDX"))
    assert bt.btc_lags == 1 and bt.terms == ("BTC-USD", "BTC-USD[t-1]", "^NDX") and bt.df_slopes == 3
    coefs = bt.coefs["coef"]
    total = bt.before_after.loc["BTC-USD", "beta_before"]
    assert total == pytest.approx(coefs["BTC-USD"] + coefs["BTC-USD[t-1]"], rel=1e-12)
    assert abs(total - 1.0) < 0.1  # Dimson sum 0.6 + 0.4
    plain = ex.break_test(returns, "LAG", returns.index[BREAK_AT], btc_lags=0)
    assert plain.before_after.loc["BTC-USD", "beta_before"] < 0.75  # misses the lagged 0.4
    with pytest.raises(ConfigError, match="btc_lags=1 needs the bitcoin factor 'BTC-USD'"):
        ex.break_test(returns, "LAG", returns.index[BREAK_AT], ("^NDX",))


def test_conf_int_long_table(returns: pd.DataFrame) -> None:
    bt = ex.break_test(returns, "WULF", returns.index[BREAK_AT])
    ci = bt.conf_int()
    assert list(ci.columns) == ["ticker", "break_date", "param", "period", "coef", "se", "ci_low", "ci_high"]
    assert len(ci) == 3 * 3 and set(ci["period"]) == {"before", "after", "shift"}
    row = ci[(ci["param"] == "^NDX") & (ci["period"] == "after")].iloc[0]
    assert row["coef"] == pytest.approx(bt.before_after.loc["^NDX", "beta_after"])
    assert row["ci_low"] == pytest.approx(row["coef"] - 1.959964 * row["se"], rel=1e-6)
    narrow = bt.conf_int(0.32)
    assert (narrow["ci_high"] - narrow["ci_low"] < ci["ci_high"] - ci["ci_low"]).all()
    assert ci["ticker"].map(type).eq(str).all()


def test_lag_sensitivity_table(returns: pd.DataFrame) -> None:
    bt = ex.break_test(returns, "WULF", returns.index[BREAK_AT])
    table = bt.lag_sensitivity
    assert list(table["maxlags"]) == [ex.newey_west_maxlags(N - 1), 0, 5, 10, 20]
    assert list(table["rule"]) == ["Newey-West", "fixed", "fixed", "fixed", "fixed"]
    zero = ex.break_test(returns, "WULF", returns.index[BREAK_AT], maxlags=0, sensitivity_maxlags=())
    assert table.loc[1, "p_slopes"] == pytest.approx(zero.p_slopes, rel=1e-10)
    assert zero.lag_sensitivity.empty
    assert (table["p_slopes"] < 0.01).all()


def test_no_break_not_detected(returns: pd.DataFrame) -> None:
    bt = ex.break_test(returns, "IREN", returns.index[BREAK_AT])
    assert bt.chow_p > 0.05
    assert bt.p_slopes > 0.05 and bt.p_joint > 0.05


def test_break_date_not_a_session_rolls_forward(returns: pd.DataFrame) -> None:
    saturday = pd.Timestamp("2022-06-04")
    assert saturday.day_of_week == 5
    bt = ex.break_test(returns, "WULF", saturday)
    assert bt.requested_date == saturday
    assert bt.break_date == pd.Timestamp("2022-06-06")
    assert bt.rolled
    assert bt.summary_frame().loc[0, "break_date"] == pd.Timestamp("2022-06-06")


@pytest.mark.parametrize(
    ("when", "match"),
    [
        ("2020-01-01", r"break_date 2020-01-01 is outside WULF's data \(2021-01-0"),
        ("2030-01-01", "break_date 2030-01-01 is outside WULF's data"),
        ("2021-01-20", r"leaves 11 observations before and 988 after for WULF; need >= 30"),
        ("2024-10-04", r"leaves 978 observations before and 21 after"),
    ],
)
def test_break_date_errors(returns: pd.DataFrame, when: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ex.break_test(returns, "WULF", when)


# ----------------------------------------------------------------------------- size and power

#: Monte Carlo replications and the band the slopes-only test's rejection rate at 5% must lie in.
MC_REPS = 200
#: HAC with ~150 post-break sessions, t5 errors and a variance jump over-rejects mildly (7.0% in
#: 600 replications of this design); the band is that +-3 Monte Carlo standard errors (1.8 points).
MC_SIZE_BAND = (0.015, 0.125)
MC_N, MC_BREAK = 600, 450


def _mc_frame(rng: np.random.Generator, *, intercept_shift: float, slope_shift: float) -> pd.DataFrame:
    """Fat-tailed factors and errors whose variance doubles at the break; optional shifts."""
    after = np.arange(MC_N) >= MC_BREAK
    scale = np.where(after, np.sqrt(2.0), 1.0)
    t5 = np.sqrt(3.0 / 5.0)
    btc = 0.03 * scale * rng.standard_t(5, MC_N + 1)[1:] * t5
    btc_full = np.concatenate([[0.0], btc])
    ndx = 0.013 * scale * rng.standard_t(5, MC_N) * t5
    e = 0.03 * scale * rng.standard_t(5, MC_N) * t5
    b_ndx = 1.2 + np.where(after, slope_shift, 0.0)
    y = 0.001 + np.where(after, intercept_shift, 0.0) + 0.8 * btc + 0.3 * btc_full[:-1] + b_ndx * ndx + e
    idx = pd.bdate_range("2022-01-03", periods=MC_N, name="Date")
    return pd.DataFrame({"Y": y, "BTC-USD": btc, "^NDX": ndx}, index=idx)


def _rejections(intercept_shift: float, slope_shift: float, reps: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    slopes = joint = 0
    for _ in range(reps):
        frame = _mc_frame(rng, intercept_shift=intercept_shift, slope_shift=slope_shift)
        bt = ex.break_test(frame, "Y", frame.index[MC_BREAK], sensitivity_maxlags=())
        slopes += bt.p_slopes < 0.05
        joint += bt.p_joint < 0.05
    return slopes / reps, joint / reps


def test_slopes_only_test_keeps_size_under_an_intercept_shift() -> None:
    """Planted: intercept +0.01/session after the break, slopes constant (heteroskedastic, t5)."""
    size, joint = _rejections(intercept_shift=0.01, slope_shift=0.0, reps=MC_REPS, seed=7)
    assert MC_SIZE_BAND[0] <= size <= MC_SIZE_BAND[1], size
    assert joint > 0.5  # the joint test would call the intercept shift a beta shift


def test_slopes_only_test_has_power_against_a_slope_shift() -> None:
    power, _ = _rejections(intercept_shift=0.0, slope_shift=1.0, reps=MC_REPS // 4, seed=11)
    assert power > 0.8, power


# ----------------------------------------------------------------------------- unknown date


def test_regime_wald_matches_statsmodels_hc0(returns: pd.DataFrame) -> None:
    """The prefix-sum statistic equals the HC0 Wald test of the slope interactions at each date."""
    x = sm.add_constant(returns[["BTC-USD", "^NDX"]]).to_numpy()
    y = returns["WULF"].to_numpy()
    taus = np.array([200, BREAK_AT, 800])
    fast = ex._RegimeWald(x, taus).stats(np.vstack([y, -2.0 * y]))
    for j, tau in enumerate(taus):
        after = (np.arange(N) >= tau).astype(float)
        z = np.column_stack([x, x * after[:, None]])
        res = sm.OLS(y, z).fit(cov_type="HC0")
        stat = float(np.ravel(res.wald_test(np.eye(6)[[4, 5]], use_f=False, scalar=True).statistic)[0])
        assert fast[0, j] == pytest.approx(stat, rel=1e-9)
        assert fast[1, j] == pytest.approx(stat, rel=1e-9)  # invariant to scaling y


def test_sup_wald_finds_the_planted_break(returns: pd.DataFrame) -> None:
    sw = ex.sup_wald_test(returns, "WULF", btc_lags=0, n_boot=99, seed=1)
    assert abs(returns.index.get_loc(sw.break_date) - BREAK_AT) <= 10  # stated tolerance: 10 sessions
    assert sw.p == pytest.approx(1 / 100)  # no bootstrap draw reaches the observed statistic
    assert sw.path.idxmax() == sw.break_date and sw.stat == pytest.approx(sw.path.max())
    assert sw.first_candidate == returns.index[150] and sw.last_candidate == returns.index[N - 150]
    assert "Hansen's (2000) fixed-regressor wild bootstrap" in sw.method and "B=99" in sw.method
    row = sw.summary_frame().iloc[0]
    assert row["sup_wald_date"] == sw.break_date and row["df"] == 2
    none = ex.sup_wald_test(returns, "IREN", n_boot=99, seed=1)
    assert none.p > 0.05 and none.terms == ("BTC-USD", "BTC-USD[t-1]", "^NDX")
    again = ex.sup_wald_test(returns, "IREN", n_boot=99, seed=1)
    assert again.p == none.p  # seeded


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"trim": 0.5}, "trim must be strictly between 0 and 0.5"),
        ({"n_boot": 5}, "n_boot must be >= 19"),
        ({"ticker": "SHORT"}, r"SHORT has 20 complete observations .* need >= 30"),
    ],
)
def test_sup_wald_bad_parameters(returns: pd.DataFrame, kwargs: dict[str, object], match: str) -> None:
    args = {"ticker": "WULF", **kwargs}
    with pytest.raises(ConfigError, match=match):
        ex.sup_wald_test(returns, **args)  # type: ignore[arg-type]


#: Size check of the sup-Wald bootstrap: replications, sessions and bootstrap draws per replication
#: (small samples keep it fast). With B = 99 the test rejects when at most 3 draws exceed the
#: statistic, a nominal level of 4%.
SW_REPS, SW_N, SW_BOOT = 200, 120, 99
#: Band of the rejection rate at 5%: about -2 to +4.5 Monte Carlo standard errors (1.4 points) around
#: the nominal 4%; 600 replications of this design reject at 4.0%.
SW_SIZE_BAND = (0.01, 0.11)


def _no_break_frame(rng: np.random.Generator) -> pd.DataFrame:
    """Constant betas (BTC, lagged BTC, tech); t5 errors; tech's volatility doubles half-way."""
    t5 = np.sqrt(3.0 / 5.0)
    btc = 0.03 * rng.standard_t(5, SW_N + 1) * t5
    ndx = 0.013 * rng.standard_t(5, SW_N) * t5
    ndx[SW_N // 2 :] *= 2.0  # a regressor regime change is not a slope break
    e = 0.03 * rng.standard_t(5, SW_N) * t5
    y = 0.001 + 0.8 * btc[1:] + 0.3 * btc[:-1] + 1.2 * ndx + e
    idx = pd.bdate_range("2022-01-03", periods=SW_N, name="Date")
    return pd.DataFrame({"Y": y, "BTC-USD": btc[1:], "^NDX": ndx}, index=idx)


def test_sup_wald_keeps_its_size_without_a_slope_break() -> None:
    rng = np.random.default_rng(2024)
    p = np.array(
        [ex.sup_wald_test(_no_break_frame(rng), "Y", n_boot=SW_BOOT, seed=rep).p for rep in range(SW_REPS)]
    )
    size = float(np.mean(p < 0.05))
    assert SW_SIZE_BAND[0] <= size <= SW_SIZE_BAND[1], size
    assert 0.35 < p.mean() < 0.65  # roughly uniform p-values under the null


# ----------------------------------------------------------------------------- family and verdicts


@pytest.mark.parametrize(
    ("p_adj", "d_btc", "d_tech", "reason", "verdict"),
    [
        (0.01, -0.5, 0.8, "", ex.VERDICT_TOWARD_TECH),
        (0.01, 0.5, 0.8, "", ex.VERDICT_OTHER_SHIFT),
        (0.01, -0.5, -0.1, "", ex.VERDICT_OTHER_SHIFT),
        (0.20, -0.5, 0.8, "", ex.VERDICT_NO_SHIFT),
        (0.05, -0.5, 0.8, "", ex.VERDICT_NO_SHIFT),  # p = alpha does not reject
        (np.nan, np.nan, np.nan, "12 sessions before", "not testable (12 sessions before)"),
    ],
)
def test_break_verdict_rule(p_adj: float, d_btc: float, d_tech: float, reason: str, verdict: str) -> None:
    assert ex.break_verdict(p_adj, d_btc, d_tech, reason=reason) == verdict


def test_break_tests_family_holm_metrics_and_verdicts(returns: pd.DataFrame) -> None:
    pairs = [("WULF", returns.index[BREAK_AT]), ("IREN", returns.index[BREAK_AT]), ("IREN", "2030-01-01")]
    pairs += [("SHORT", returns.index[-10])]
    fam = ex.break_tests(returns, pairs, n_boot=49)
    p = np.array([t.p_slopes for t in fam.tests[:2]])  # type: ignore[union-attr]
    np.testing.assert_allclose(fam.p_slopes_adj[:2], multipletests(p, method="holm")[1])
    assert np.isnan(fam.p_slopes_adj[2]) and np.isnan(fam.p_slopes_adj[3])
    # WULF: BTC beta 0.5 -> 1.5, tech 1.5 -> 0.5 - a shift, but away from tech.
    assert fam.verdicts[0] == ex.VERDICT_OTHER_SHIFT
    assert fam.verdicts[1] == ex.VERDICT_NO_SHIFT
    assert fam.verdicts[2].startswith("not testable (2030-01-01 outside the data")
    assert fam.verdicts[3].startswith("not testable (")
    metrics = fam.metrics()
    assert (
        tuple(metrics.columns)
        == ex.BREAK_METRIC_COLUMNS
        == (
            "ticker",
            "break_date",
            "p_slopes",
            "p_slopes_adj",
            "p_intercept",
            "sup_wald_date",
            "p_sup_wald",
            "verdict",
            "robust_to_lags",
        )
    )
    assert list(metrics["verdict"]) == list(fam.verdicts)
    assert metrics["robust_to_lags"].dtype == "boolean"
    # Robust: every HAC lag choice reaches the headline decision (WULF significant at all, IREN at none).
    assert metrics["robust_to_lags"].tolist() == [True, True, pd.NA, pd.NA]
    assert fam.robust_to_lags == (True, True, None, None)
    assert metrics.loc[2, "break_date"] == pd.Timestamp("2030-01-01")
    assert metrics.loc[0, "sup_wald_date"] == fam.sup_wald["WULF"].break_date
    assert "SHORT" in fam.sup_wald_reasons and np.isnan(metrics.loc[3, "p_sup_wald"])
    summary = fam.summary_frame()
    assert summary["n_before"].dtype == "Int64" and summary["ticker"].map(type).eq(str).all()
    assert summary.loc[0, "sup_wald_covers_date"] is True or bool(summary.loc[0, "sup_wald_covers_date"])
    assert not fam.sup_wald["IREN"].covers("2030-01-01")
    assert summary.loc[0, "beta_after[BTC-USD]"] == pytest.approx(
        fam.tests[0].before_after.loc["BTC-USD", "beta_after"]
    )  # type: ignore[union-attr]
    assert len(fam.conf_int()) == 2 * 9 and len(fam.lag_sensitivity()) == 2 * 5
    lines = fam.sentences()
    assert len(lines) == 4 and "**shift, not toward tech**" in lines[0] and "Holm-adjusted" in lines[0]
    assert "significant after Holm at every HAC lag choice" in lines[0]
    assert "not significant at any HAC lag choice" in lines[1]
    assert "HAC lag" not in lines[2] and "HAC lag" not in lines[3]  # not testable
    assert "significant at every HAC lag choice" in fam.headline()[0]["note"]
    with pytest.raises(ConfigError, match="outside WULF's data"):
        ex.break_tests(returns, [("WULF", "2030-01-01")], sup_wald=False, on_error="raise")
    with pytest.raises(ConfigError, match="ticker 'XYZ' not in returns"):
        ex.break_tests(returns, [("XYZ", "2022-01-03")])


#: Autocorrelated case: sample, AR(1) persistence of the factor and the error, and a seed whose
#: moderate slope shift is significant at short HAC lags but not at 20 (checked in the test).
LAG_N, LAG_PHI, LAG_SEED = 500, 0.9, 22


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """Stationary AR(1) with persistence ``phi`` and unconditional sd ``sd``."""
    shocks = rng.standard_normal(n) * sd * np.sqrt(1.0 - phi**2)
    out = np.empty(n)
    out[0] = shocks[0] / np.sqrt(1.0 - phi**2)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


def test_break_robust_to_lags_only_when_significant_at_every_lag() -> None:
    """Y: persistent factor and error, a moderate tech-beta shift (HAC lags matter); S: strong shift."""
    rng = np.random.default_rng(LAG_SEED)
    btc = 0.03 * rng.standard_normal(LAG_N)
    ndx = _ar1(rng, LAG_N, LAG_PHI, 0.013)
    e = _ar1(rng, LAG_N, LAG_PHI, 0.03)
    after = np.arange(LAG_N) >= LAG_N // 2
    y = 0.8 * btc + (1.2 + 0.35 * after) * ndx + e
    b_btc = np.where(after, AFTER["BTC-USD"], BEFORE["BTC-USD"])
    b_ndx = np.where(after, AFTER["^NDX"], BEFORE["^NDX"])
    strong = b_btc * btc + b_ndx * ndx + NOISE * rng.standard_normal(LAG_N)
    idx = pd.bdate_range("2022-01-03", periods=LAG_N, name="Date")
    frame = pd.DataFrame({"Y": y, "S": strong, "BTC-USD": btc, "^NDX": ndx}, index=idx)
    fam = ex.break_tests(frame, [("Y", idx[LAG_N // 2]), ("S", idx[LAG_N // 2])], sup_wald=False)
    table = fam.lag_sensitivity()
    choice = table.groupby("ticker").cumcount()  # row j of each pair: the same lag choice
    for _, at_lag in table.groupby(choice):  # Holm over the family at each lag choice
        holm = multipletests(at_lag["p_slopes"], method="holm")[1]
        np.testing.assert_allclose(at_lag["p_slopes_adj"], holm)
    y_adj = table.loc[table["ticker"] == "Y", "p_slopes_adj"]
    # The premise: significant at the headline lag and some lag choices, not at all of them.
    assert fam.p_slopes_adj[0] < 0.05 and (y_adj < 0.05).any() and (y_adj >= 0.05).any()
    assert fam.verdicts[0] != ex.VERDICT_NO_SHIFT
    assert fam.robust_to_lags == (False, True)
    assert fam.metrics()["robust_to_lags"].tolist() == [False, True]
    assert fam.summary_frame()["robust_to_lags"].tolist() == [False, True]
    lines = fam.sentences()
    assert "**not robust to the HAC lag choice**" in lines[0]
    failing = table[(table["ticker"] == "Y") & (table["p_slopes_adj"] >= 0.05)]["maxlags"]
    assert all(str(int(lag)) in lines[0].split("not robust")[1] for lag in failing)
    assert "significant after Holm at every HAC lag choice" in lines[1]
    assert "robust to the lag choice" in lines[1]
    notes = [h["note"] for h in fam.headline()]
    assert "not robust to the HAC lag choice" in notes[0] and "every HAC lag choice" in notes[1]


def test_break_tests_on_synthetic_intercept_only_shift() -> None:
    """Generator's intercept-only shift: no slope verdict; its slope shift: toward tech."""
    from analysis.synthetic import SyntheticConfig, generate

    for kind, expected in (("intercept", ex.VERDICT_NO_SHIFT), ("slopes", ex.VERDICT_TOWARD_TECH)):
        config = SyntheticConfig(shift_kind=kind, ai_miner_after=ex_after(kind), events=(), drifts=())  # type: ignore[arg-type]
        frames, truth = generate(["BTC-USD", "^NDX", "WULF"], "2023-06-01", "2025-12-31", config)
        close = pd.DataFrame({t: f["Close"] for t, f in frames.items() if t != "BTC-USD"})
        close["BTC-USD"] = frames["BTC-USD"]["Close"].reindex(close.index)
        rets = np.log(close).diff().iloc[1:]
        fam = ex.break_tests(rets, [("WULF", truth.shift_date)], sup_wald=False)
        assert fam.verdicts[0] == expected, (kind, fam.metrics())


def ex_after(kind: str) -> object:
    from analysis.synthetic import Loading

    if kind == "intercept":
        return Loading(btc=0.5, tech=1.6, idio_vol=0.035, intercept=0.01)
    return Loading(btc=0.5, tech=1.6, idio_vol=0.035)


# ----------------------------------------------------------------------------- real snapshot


def test_break_tests_on_the_real_snapshot(market_data_dir: Path) -> None:
    """Properties that must hold on real data (numbers are reported, not asserted)."""
    from analysis.clean import CleanConfig, clean_panel
    from analysis.sources import load_raw
    from analysis.universe import load_universe

    start, end = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-12-05")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        raw = load_raw("snapshot", list(load_universe().tickers), start, end, snapshot_dir=market_data_dir)
        rets = clean_panel(raw, config=CleanConfig(start=start, end=end)).returns.loc[:"2025-12-02"]
    miners = ["IREN", "WULF", "HUT", "ABTC"]
    fam = ex.break_tests(rets, [(m, "2025-06-02") for m in miners], n_boot=49)
    m = fam.metrics()
    tested = m["p_slopes"].notna()
    assert list(tested) == [True, True, True, False]  # ABTC listed 2025-09-03
    assert (m.loc[tested, "p_slopes_adj"] >= m.loc[tested, "p_slopes"]).all()
    assert m.loc[3, "verdict"].startswith("not testable")
    for i in np.flatnonzero(tested):
        bt = fam.tests[i]
        assert bt is not None and bt.btc_lags == 1
        rule = ex.break_verdict(m.loc[i, "p_slopes_adj"], bt.change("BTC-USD"), bt.change("^NDX"))
        assert m.loc[i, "verdict"] == rule


# ----------------------------------------------------------------------------- Dimson


def test_dimson_recovers_lagged_response(returns: pd.DataFrame) -> None:
    d = ex.dimson_beta(returns, "LAG", ("BTC-USD",), lags=1)
    row = d.table.loc["BTC-USD"]
    assert abs(row["dimson_beta"] - 1.0) < 0.1
    assert row["ci_low"] < 1.0 < row["ci_high"]
    # The plain (synchronous) beta misses the lagged 0.4.
    assert abs(row["plain_beta"] - 0.6) < 0.1
    assert row["dimson_beta"] - row["plain_beta"] > 0.3
    coefs = d.coefs.set_index("shift")["coef"]
    assert abs(coefs[-1] - 0.4) < 0.1
    assert abs(coefs[1]) < 0.1
    # SE of the sum equals the HAC SE of the linear restriction [1, 1, 1].
    cov = d.result.cov_params().to_numpy()[1:, 1:]
    assert row["se"] == pytest.approx(float(np.sqrt(cov.sum())), rel=1e-10)
    assert d.n == N - 2  # one lag and one lead lost at the ends (LAG[0] is NaN too)


def test_dimson_two_factors_and_bad_lags(returns: pd.DataFrame) -> None:
    d = ex.dimson_beta(returns, "IREN", lags=2, leads=1)
    assert list(d.table.index) == ["BTC-USD", "^NDX"]
    assert sorted(d.coefs["shift"].unique()) == [-2, -1, 0, 1]
    assert abs(d.table.loc["^NDX", "dimson_beta"] - BETA_NDX) < 0.25
    with pytest.raises(ConfigError, match="lags and leads must be >= 0"):
        ex.dimson_beta(returns, "IREN", lags=-1)


# ----------------------------------------------------------------------------- conf_int convention


def test_every_exposure_result_conf_int_is_a_frame_around_the_estimate(returns: pd.DataFrame) -> None:
    when = returns.index[BREAK_AT]
    results = {
        "factor_regression": ex.factor_regression(returns, "IREN"),
        "break_test": ex.break_test(returns, "WULF", when),
        "break_tests": ex.break_tests(returns, [("WULF", when), ("IREN", when)], sup_wald=False),
        "dimson_beta": ex.dimson_beta(returns, "LAG", ("BTC-USD",), lags=1),
    }
    for name, res in results.items():
        for alpha in (0.05, 0.5):
            ci = res.conf_int(alpha)
            assert isinstance(ci, pd.DataFrame) and len(ci) > 0, name
            assert {"coef", "ci_low", "ci_high"} <= set(ci.columns), name
            assert ((ci["ci_low"] < ci["coef"]) & (ci["coef"] < ci["ci_high"])).all(), name
        assert isinstance(res.summary_frame(), pd.DataFrame) and not hasattr(res, "tidy")


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_inverse_quadratic_form_matches_solve_also_when_ill_conditioned(k: int) -> None:
    rng = np.random.default_rng(k)
    a = rng.standard_normal((500, 40, k, k))
    cov = a @ a.transpose(0, 1, 3, 2) + 1e-3 * np.eye(k)
    scales = 10.0 ** rng.uniform(-6, 6, size=(500, 40, k))  # coefficients in very different units
    cov = cov * scales[..., :, None] * scales[..., None, :]
    if k > 1:  # nearly collinear regressors: the adjugate would lose digits, LU takes these rows
        cov[0, :, 1, 1] = cov[0, :, 0, 1] ** 2 / cov[0, :, 0, 0] * (1 + 1e-12)
        cov[0, :, 1, 0] = cov[0, :, 0, 1]
    delta = rng.standard_normal((500, 40, k)) * scales
    want = np.einsum("...i,...i->...", delta, np.linalg.solve(cov, delta[..., None])[..., 0])
    got = ex._inverse_quadratic_form(cov, delta)
    np.testing.assert_allclose(got, want, rtol=1e-9)
