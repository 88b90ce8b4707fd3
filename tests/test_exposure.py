"""Tests of analysis.exposure on planted truth (seeded synthetic returns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import exposure as ex
from analysis.errors import ConfigError

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
        ({"ticker": "IREN", "start": "2022-01-01", "end": "2021-06-01"}, "start 2022-01-01 is after end"),
        ({"ticker": "SHORT"}, r"SHORT has 20 complete observations .* need >= 30 \(min_obs\)"),
        ({"ticker": "IREN", "maxlags": -1}, "maxlags must be >= 0"),
        ({"ticker": "IREN", "start": "not-a-date"}, "start 'not-a-date' is not a date"),
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
    bt = ex.break_test(returns, "WULF", returns.index[BREAK_AT])
    assert bt.chow_p < 0.01
    assert bt.wald_p < 0.01
    assert (bt.chow_df_num, bt.chow_df_denom, bt.wald_df) == (3, N - 6, 3)
    assert (bt.n_before, bt.n_after) == (BREAK_AT, N - BREAK_AT)
    assert not bt.rolled
    ba = bt.before_after
    assert list(ba.columns) == [
        "beta_before",
        "se_before",
        "beta_after",
        "se_after",
        "diff",
        "diff_se",
        "diff_t",
        "diff_p",
    ]
    for factor in ("BTC-USD", "^NDX"):
        assert abs(ba.loc[factor, "beta_before"] - BEFORE[factor]) < 0.1
        assert abs(ba.loc[factor, "beta_after"] - AFTER[factor]) < 0.1
        assert abs(ba.loc[factor, "diff"] - (AFTER[factor] - BEFORE[factor])) < 0.15
        assert ba.loc[factor, "diff_p"] < 0.01
        assert ba.loc[factor, "se_after"] > 0


def test_chow_matches_ssr_formula(returns: pd.DataFrame) -> None:
    bt = ex.break_test(returns, "WULF", returns.index[BREAK_AT])
    y = returns["WULF"].to_numpy()
    x = np.column_stack([np.ones(N), returns[["BTC-USD", "^NDX"]].to_numpy()])

    def ssr(sl: slice) -> float:
        beta, *_ = np.linalg.lstsq(x[sl], y[sl], rcond=None)
        return float(np.sum((y[sl] - x[sl] @ beta) ** 2))

    k = 3
    ssr_u = ssr(slice(0, BREAK_AT)) + ssr(slice(BREAK_AT, N))
    f = ((ssr(slice(0, N)) - ssr_u) / k) / (ssr_u / (N - 2 * k))
    assert bt.chow_f == pytest.approx(f, rel=1e-8)


def test_no_break_not_detected(returns: pd.DataFrame) -> None:
    bt = ex.break_test(returns, "IREN", returns.index[BREAK_AT])
    assert bt.chow_p > 0.05
    assert bt.wald_p > 0.05


def test_break_date_not_a_session_rolls_forward(returns: pd.DataFrame) -> None:
    saturday = pd.Timestamp("2022-06-04")
    assert saturday.day_of_week == 5
    bt = ex.break_test(returns, "WULF", saturday)
    assert bt.requested_date == saturday
    assert bt.break_date == pd.Timestamp("2022-06-06")
    assert bt.rolled
    assert bt.summary().loc[0, "break_date"] == pd.Timestamp("2022-06-06")


@pytest.mark.parametrize(
    ("when", "match"),
    [
        ("2020-01-01", r"break_date 2020-01-01 is outside the data \(2021-01-04 to "),
        ("2030-01-01", "break_date 2030-01-01 is outside the data"),
        ("2021-01-20", r"leaves 12 observations before and 988 after for WULF; need >= 30"),
        ("2024-10-04", r"leaves 979 observations before and 21 after"),
    ],
)
def test_break_date_errors(returns: pd.DataFrame, when: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ex.break_test(returns, "WULF", when)


def test_break_tests_table(returns: pd.DataFrame) -> None:
    table = ex.break_tests(returns, [("WULF", returns.index[BREAK_AT]), ("IREN", "2030-01-01")])
    assert len(table) == 2
    assert table.loc[0, "reason"] == "" and table.loc[0, "wald_p"] < 0.01
    assert "outside the data" in table.loc[1, "reason"]
    assert np.isnan(table.loc[1, "wald_p"])
    assert "beta_after[BTC-USD]" in table.columns


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
