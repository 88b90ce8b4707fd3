"""Tests of analysis.events: catalogue validation, the multi-model event study, BMP/KP and Holm."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis import config
from analysis import events as ev
from analysis.errors import ConfigError, DataQualityWarning, ShortSampleWarning
from analysis.multiplicity import holm

N = 300
EVENT_POS = 250
JUMP = 0.15
SIGMA = 0.01
BETA = 1.2
MARKET = ev.EventModel("market", ("^NDX",))
SHORT_WINDOW = (-120, -11)  # the old default, 110 sessions


def _sessions(n: int = N, start: str = "2024-01-01") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n, name="Date")


def _events(*rows: tuple[str, object, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": [r[0] for r in rows],
            "date": [pd.Timestamp(r[1]) for r in rows],  # type: ignore[arg-type]
            "tickers": [r[2] for r in rows],
        }
    )


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    """``^NDX`` factor and ``MINER = 0.0005 + 1.2 NDX + N(0, 0.01)`` with +0.15 at EVENT_POS.

    ``LATE`` has data only for the 40 sessions before day -10 (short sample) and
    ``NEW`` only from 10 sessions before day -10 (below the minimum).
    """
    rng = np.random.default_rng(1997)
    ndx = rng.normal(0.0, 0.012, N)
    btc = rng.normal(0.0, 0.03, N)
    miner = 0.0005 + BETA * ndx + rng.normal(0.0, SIGMA, N)
    miner[EVENT_POS] += JUMP
    late = 0.8 * ndx + rng.normal(0.0, SIGMA, N)
    late[: EVENT_POS - 50] = np.nan
    new = 0.8 * ndx + rng.normal(0.0, SIGMA, N)
    new[: EVENT_POS - 20] = np.nan
    return pd.DataFrame(
        {"^NDX": ndx, "BTC-USD": btc, "MINER": miner, "LATE": late, "NEW": new}, index=_sessions()
    )


# ----------------------------------------------------------------------------- planted jump


def test_planted_jump_recovered_by_every_model(returns: pd.DataFrame) -> None:
    when = returns.index[EVENT_POS]
    res = ev.event_study(returns, _events(("jump", when, "MINER")))
    assert [m.name for m in res.models] == ["market", "zero_alpha", "two_factor"]
    assert list(res.car["model"]) == ["market", "zero_alpha", "two_factor"]
    for row in res.car.to_dict("records"):
        # Every model uses the same sample; the first session has no lagged BTC, so 239 of 240.
        assert row["estimable"] and row["reason"] == ""
        assert row["warnings"].startswith("estimation window has 239 of 240 requested sessions")
        assert row["session"] == when and not row["rolled"] and not row["short_window"]
        assert row["n_est"] == 239 and row["n_days"] == 7
        assert row["est_start"] == returns.index[EVENT_POS - 249]
        assert row["est_end"] == returns.index[EVENT_POS - 11]
        assert abs(row["beta[^NDX]"] - BETA) < 0.3
        assert row["t"] > 3 and row["p"] < 0.01 and row["p_adj"] == pytest.approx(row["p"])  # one pair
        assert abs(row["car_log"] - JUMP) < 3 * SIGMA * np.sqrt(7)
        assert row["car_simple"] == pytest.approx(np.expm1(row["car_log"]), rel=1e-12)
    market = res.car.iloc[0]
    assert res.car.iloc[1]["intercept"] == market["intercept"]  # zero alpha: same fit, intercept unused
    assert res.car.iloc[2]["df"] == 239 - 4  # const, ^NDX, BTC-USD, BTC-USD[t-1]
    assert abs(res.car.iloc[2]["beta[BTC-USD]"]) < 0.2  # no planted bitcoin exposure
    ar = res.ar[res.ar["model"] == "market"].set_index("rel_day")
    assert list(ar.index) == list(range(-1, 6))
    assert abs(ar.loc[0, "ar"] - JUMP) < 3 * SIGMA
    assert ar.loc[0, "t"] > 5
    assert (ar.drop(index=0)["ar"].abs() < 4 * SIGMA).all()
    windows = res.car_windows[res.car_windows["model"] == "market"].set_index("window")
    assert windows.loc["(+0,+0)", "car_log"] == pytest.approx(ar.loc[0, "ar"])
    assert ar["car_log"].iloc[-1] == pytest.approx(market["car_log"])
    assert res.car_wide.loc[0, ("jump", "MINER")] == pytest.approx(ar.loc[0, "car_log"])
    assert res.paths("zero_alpha", kind="ar").shape == (7, 1)
    ci = res.conf_int()
    assert isinstance(ci, pd.DataFrame) and len(ci) == len(res.car_windows)
    assert ((ci["ci_low"] < ci["car_log"]) & (ci["car_log"] < ci["ci_high"])).all()
    assert ((ci["ci_low_simple"] < ci["car_simple"]) & (ci["car_simple"] < ci["ci_high_simple"])).all()


def test_zero_alpha_model_by_hand(returns: pd.DataFrame) -> None:
    """Zero alpha: E[R] = b F with b from the regression with intercept; slope-block prediction variance."""
    when = returns.index[EVENT_POS]
    res = ev.event_study(returns, _events(("jump", when, "MINER")), models=["zero_alpha"], sub_windows=())
    est = slice(EVENT_POS - 250, EVENT_POS - 10)
    assert res.car.iloc[0]["n_est"] == 240  # no lagged term: the first session is usable
    x = np.column_stack([np.ones(N), returns["^NDX"].to_numpy()])
    y = returns["MINER"].to_numpy()
    theta, *_ = np.linalg.lstsq(x[est], y[est], rcond=None)
    resid = y[est] - x[est] @ theta
    s2 = resid @ resid / (240 - 2)
    xs = x[EVENT_POS - 1 : EVENT_POS + 6]
    ar = y[EVENT_POS - 1 : EVENT_POS + 6] - theta[1] * xs[:, 1]
    var_b = s2 * np.linalg.inv(x[est].T @ x[est])[1, 1]
    v = s2 * np.eye(7) + var_b * np.outer(xs[:, 1], xs[:, 1])
    row = res.car.iloc[0]
    assert row["car_log"] == pytest.approx(ar.sum(), rel=1e-10)
    assert row["se"] == pytest.approx(np.sqrt(v.sum()), rel=1e-10)
    assert row["intercept"] == pytest.approx(theta[0], rel=1e-10)
    np.testing.assert_allclose(res.ar["expected"], theta[1] * xs[:, 1], rtol=1e-10)


# ----------------------------------------------------------------------------- hand-worked


@pytest.mark.parametrize("variance", ["prediction", "simple"])
def test_hand_worked_tiny_example(variance: str) -> None:
    """1-factor model on 9 estimation points, 4 event days, computed by hand."""
    idx = _sessions(14)
    m = np.array([0.01, -0.02, 0.015, 0.0, 0.03, -0.01, 0.005, -0.025, 0.02, 0.01, -0.005, 0.012, 0.0, 0.02])
    e = np.array([0.002, -0.003, 0.001, 0.004, -0.002, 0.0, 0.003, -0.001, -0.004, 0.001, 0.002, -0.003, 0.0])
    r = 0.001 + 1.5 * m + np.append(e, 0.001)
    r[11] += 0.05
    frame = pd.DataFrame({"^NDX": m, "X": r}, index=idx)
    res = ev.event_study(
        frame,
        _events(("tiny", idx[11], "X")),
        models=[MARKET],
        estimation_window=(-10, -2),
        event_window=(-1, 2),
        sub_windows=[(0, 0)],
        min_estimation=5,
        short_estimation=5,
        variance=variance,  # type: ignore[arg-type]
    )
    # By hand: estimation rows 1..9, event rows 10..13.
    x = np.column_stack([np.ones(14), m])
    xe, ye = x[1:10], r[1:10]
    theta = np.linalg.solve(xe.T @ xe, xe.T @ ye)
    resid = ye - xe @ theta
    s2 = resid @ resid / (9 - 2)
    xs = x[10:14]
    ar = r[10:14] - xs @ theta
    v = s2 * (np.eye(4) + xs @ np.linalg.inv(xe.T @ xe) @ xs.T)
    if variance == "prediction":
        se_ar = np.sqrt(np.diag(v))
        se_car = np.sqrt(v.sum())
    else:
        se_ar = np.full(4, np.sqrt(s2))
        se_car = np.sqrt(4 * s2)
    got = res.ar
    np.testing.assert_allclose(got["ar"], ar, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got["se"], se_ar, rtol=1e-10)
    np.testing.assert_allclose(got["t"], ar / se_ar, rtol=1e-10)
    np.testing.assert_allclose(got["expected"], xs @ theta, rtol=1e-10)
    row = res.car.iloc[0]
    assert row["n_est"] == 9 and row["df"] == 7
    assert row["car_log"] == pytest.approx(ar.sum(), rel=1e-10)
    assert row["se"] == pytest.approx(se_car, rel=1e-10)
    assert row["t"] == pytest.approx(ar.sum() / se_car, rel=1e-10)
    assert row["sigma"] == pytest.approx(np.sqrt(s2), rel=1e-10)
    assert row["intercept"] == pytest.approx(theta[0], rel=1e-10)
    assert row["p"] == pytest.approx(2 * stats.t.sf(abs(ar.sum() / se_car), 7), rel=1e-8)
    ci = res.conf_int(0.1).iloc[0]
    q = stats.t.ppf(0.95, 7)
    assert ci["ci_low"] == pytest.approx(ar.sum() - q * se_car, rel=1e-10)
    assert ci["ci_high_simple"] == pytest.approx(np.expm1(ar.sum() + q * se_car), rel=1e-10)


# ----------------------------------------------------------------------------- pre-event drift


def test_pre_event_drift_does_not_bias_zero_alpha_or_long_window() -> None:
    """A run-up of +0.4%/session over the 40 sessions before day -10, then none; jump 0.10 at day 0.

    With negligible idiosyncratic noise each CAR equals its expectation given the factor,
    so the bias is measured exactly. Stated tolerance: 0.006 (about a fifth of one
    day's idiosyncratic sd of a miner). The old (-120, -11) market model subtracts
    7 x 0.004 x 40 / 110 = 0.010.
    """
    n, pos, drift, jump, tol = 420, 400, 0.004, 0.10, 0.006
    rng = np.random.default_rng(5)
    ndx = rng.normal(0.0, 0.012, n)
    y = 1.5 * ndx + rng.normal(0.0, 1e-6, n)
    y[pos - 50 : pos - 10] += drift
    y[pos] += jump
    frame = pd.DataFrame({"^NDX": ndx, "BTC-USD": rng.normal(0.0, 0.03, n), "IREN": y}, index=_sessions(n))
    catalogue = _events(("deal", frame.index[pos], "IREN"))
    long = ev.event_study(frame, catalogue).car.set_index("model")["car_log"]
    short = ev.event_study(frame, catalogue, models=["market"], estimation_window=SHORT_WINDOW).car
    assert abs(long["zero_alpha"] - jump) < 1e-3
    assert abs(long["market"] - jump) < tol
    assert abs(long["two_factor"] - jump) < tol
    assert jump - short["car_log"].iloc[0] > 0.008  # the bias the longer window and zero alpha remove


# ----------------------------------------------------------------------------- cross-sectional tests

#: Monte Carlo replications and the band a 5% test's rejection rate must lie in (+-3 MC se).
MC_REPS = 300
MC_BAND = (0.015, 0.09)
MC_FIRMS, MC_EST = 25, 120


def _cross_section_rejections(*, event_var: float, common: float, seed: int) -> dict[str, float]:
    """Day-0 tests over MC_FIRMS firms sharing an event date, no true effect.

    ``event_var``: variance multiplier of day-0 abnormal returns (event-induced variance).
    ``common``: loading on a common shock missing from the model (cross-correlated ARs).
    """
    rng = np.random.default_rng(seed)
    counts = {"bmp": 0, "kp": 0, "patell": 0, "firm": 0}
    n_obs = MC_EST + 1
    for _ in range(MC_REPS):
        market = rng.normal(0.0, 0.012, n_obs)
        shock = rng.normal(0.0, 0.01, n_obs)
        x = np.column_stack([np.ones(n_obs), market])
        e = rng.normal(0.0, 0.02, (MC_FIRMS, n_obs))
        e[:, -1] *= np.sqrt(event_var)
        scars, resid = np.empty(MC_FIRMS), np.empty((MC_EST, MC_FIRMS))
        for i in range(MC_FIRMS):
            y = 1.1 * market + common * shock + e[i]
            fit = ev.fit_normal_returns(y[:-1], x[:-1])
            _, ar, cov = ev.abnormal_returns(fit, y[-1:], x[-1:])
            scars[i] = ar[0] / np.sqrt(cov[0, 0])
            resid[:, i] = fit.residuals
        counts["firm"] += int(np.sum(2 * stats.t.sf(np.abs(scars), MC_EST - 2) < 0.05))
        test = ev.bmp_test(scars, rbar=ev.mean_residual_correlation(pd.DataFrame(resid)))
        counts["bmp"] += test.p_bmp < 0.05
        counts["kp"] += test.p_kp < 0.05
        counts["patell"] += 2 * stats.norm.sf(abs(scars.sum() / np.sqrt(MC_FIRMS))) < 0.05
    counts["firm"] /= MC_FIRMS
    return {k: v / MC_REPS for k, v in counts.items()}


def test_bmp_keeps_size_under_event_induced_variance() -> None:
    """Day-0 variance x3, no mean effect: per-firm and Patell tests over-reject, BMP does not."""
    rate = _cross_section_rejections(event_var=3.0, common=0.0, seed=3)
    assert MC_BAND[0] <= rate["bmp"] <= MC_BAND[1], rate
    assert MC_BAND[0] <= rate["kp"] <= MC_BAND[1], rate  # rbar ~ 0: KP ~ BMP
    assert rate["patell"] > 0.15 and rate["firm"] > 0.15, rate


def test_kolari_pynnonen_fixes_same_day_clustering() -> None:
    """A common shock the model omits (residual correlation ~0.2) inflates BMP; KP restores the size."""
    rate = _cross_section_rejections(event_var=1.0, common=1.0, seed=4)
    assert rate["bmp"] > 0.3, rate
    assert MC_BAND[0] <= rate["kp"] <= MC_BAND[1], rate


def test_bmp_formula_and_edge_cases() -> None:
    z = np.array([1.0, 2.0, 0.5, 1.5])
    t = ev.bmp_test(z, rbar=0.1)
    assert t.t_bmp == pytest.approx(z.mean() / (z.std(ddof=1) / 2.0))
    assert t.t_kp == pytest.approx(t.t_bmp * np.sqrt(0.9 / 1.3))
    assert t.p_bmp == pytest.approx(2 * stats.t.sf(t.t_bmp, 3))
    assert np.isnan(ev.bmp_test([1.0]).t_bmp) and np.isnan(ev.bmp_test([1.0, 1.0]).t_bmp)
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 2.0, 3.0, 5.0], "c": [4.0, 3.0, 2.0, 1.0]})
    corr = frame.corr().to_numpy()
    assert ev.mean_residual_correlation(frame) == pytest.approx(corr[~np.eye(3, dtype=bool)].mean())
    same = np.array([[True, True, False], [True, True, False], [False, False, True]])
    assert ev.mean_residual_correlation(frame, same_date=same) == pytest.approx(2 * corr[0, 1] / 6)


def test_holm_matches_statsmodels_and_skips_nan() -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.5, 0.002])
    got = holm(p)
    fin = np.isfinite(p)
    np.testing.assert_allclose(got[fin], multipletests(p[fin], method="holm")[1])
    assert np.isnan(got[1])


def test_holm_and_bmp_in_the_study(returns: pd.DataFrame) -> None:
    idx = returns.index
    catalogue = _events(("a", idx[EVENT_POS], "MINER LATE"), ("b", idx[EVENT_POS - 100], "MINER"))
    with pytest.warns(ShortSampleWarning):
        res = ev.event_study(returns, catalogue)
    w = res.car_windows
    for (_, _), sub in w.groupby(["model", "window"]):
        np.testing.assert_allclose(sub["p_adj"], ev.holm(sub["p"]))  # Holm within (model, window)
    main = w[(w["model"] == "market") & (w["window"] == res.window)]
    np.testing.assert_allclose(main["p_adj"], multipletests(main["p"], method="holm")[1])
    bmp = res.bmp
    assert set(bmp["event_id"]) == {"a"} and (bmp["n"] == 2).all()  # event b has one ticker
    assert len(bmp) == 3 * 4  # models x windows
    row = bmp[(bmp["model"] == "market") & (bmp["window"] == "(-1,+5)")].iloc[0]
    sub = w[(w["model"] == "market") & (w["window"] == "(-1,+5)") & (w["event_id"] == "a")]
    assert row["t_bmp"] == pytest.approx(ev.bmp_test(sub["car_log"] / sub["se"], rbar=row["rbar"]).t_bmp)
    assert -1.0 <= row["rbar"] <= 1.0


# ----------------------------------------------------------------------------- reading the results


def test_metrics_summary_and_agreement(returns: pd.DataFrame) -> None:
    frame = returns.copy()
    drift_pos = slice(EVENT_POS - 60, EVENT_POS - 10)
    frame.iloc[drift_pos, frame.columns.get_loc("LATE")] = 0.8 * frame["^NDX"].iloc[drift_pos] + 0.02
    idx = frame.index
    catalogue = _events(("jump", idx[EVENT_POS], "MINER"), ("drift", idx[EVENT_POS], "LATE"))
    with pytest.warns(ShortSampleWarning, match="LATE, event drift: short estimation window, 50 sessions"):
        res = ev.event_study(frame, catalogue, min_estimation=30)
    metrics = res.metrics()
    assert (
        tuple(metrics.columns)
        == ev.CAR_METRIC_COLUMNS
        == (
            "event_id",
            "ticker",
            "model",
            "window",
            "car_log",
            "car_simple",
            "t",
            "p",
            "p_adj",
        )
    )
    assert len(metrics) == 2 * 3 * 4
    summary = res.summary_frame()
    assert summary["n_est"].dtype == "Int64" and summary["ticker"].map(type).eq(str).all()
    agree = res.agreement().set_index("ticker")
    assert agree.loc["MINER", "sign_agrees"] and agree.loc["MINER", "significance_agrees"]
    assert "all 3 models agree: positive and significant" in agree.loc["MINER", "sentence"]
    # LATE's estimation window is all drift: the market model subtracts it, zero alpha does not.
    assert agree.loc["LATE", "car_simple[market]"] < -0.1 < agree.loc["LATE", "car_simple[zero_alpha]"]
    assert not agree.loc["LATE", "sign_agrees"]
    assert "disagree" in agree.loc["LATE", "sentence"]
    day0 = res.agreement(window="(+0,+0)")
    assert set(day0["window"]) == {"(+0,+0)"}
    with pytest.raises(ConfigError, match="window must be one of"):
        res.agreement(window="(0,9)")


# ----------------------------------------------------------------------------- short samples


def test_short_estimation_window_warns_and_flags(returns: pd.DataFrame) -> None:
    when = returns.index[EVENT_POS]
    with pytest.warns(ShortSampleWarning, match=r"LATE, event e1: short estimation window, 40 sessions"):
        res = ev.event_study(returns, _events(("e1", when, "LATE")), min_estimation=30)
    row = res.car.iloc[0]
    assert row["estimable"] and row["short_window"]
    assert row["n_est"] == 40
    assert row["est_start"] == returns.index[EVENT_POS - 50]
    assert row["est_end"] == returns.index[EVENT_POS - 11]
    assert "40 of 240" in row["warnings"]
    flagged = ev.confounds(res)
    assert list(flagged["kind"]) == ["short_window"] and "fewer than 60" in flagged.loc[0, "detail"]
    # Below the default minimum (40 sessions) it is not estimable.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        strict = ev.event_study(returns, _events(("e1", when, "LATE")), min_estimation=41)
    assert not strict.car["estimable"].any()


def test_below_minimum_is_a_not_estimable_row(returns: pd.DataFrame) -> None:
    when = returns.index[EVENT_POS]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a not-estimable row is reported, not warned
        res = ev.event_study(returns, _events(("e1", when, "NEW MINER")))
    assert list(res.car["ticker"]) == ["NEW"] * 3 + ["MINER"] * 3
    new = res.car.iloc[0]
    assert not new["estimable"]
    assert new["n_est"] == 10
    assert "10 estimation observations" in new["reason"] and "need >= 40" in new["reason"]
    assert np.isnan(new["car_log"])
    assert set(res.ar["ticker"]) == {"MINER"}
    assert set(res.car_windows["ticker"]) == {"MINER"}
    metrics = res.metrics()
    assert metrics[metrics["ticker"] == "NEW"]["car_log"].isna().all() and len(metrics) == 3 + 3 * 4


# ----------------------------------------------------------------------------- overlaps


def test_overlapping_events_flagged_and_excluded(returns: pd.DataFrame) -> None:
    frame = returns.copy()
    early = EVENT_POS - 50  # its event window (-1..+5) lies inside the main estimation window
    frame.iloc[early, frame.columns.get_loc("MINER")] += 0.5
    idx = frame.index
    catalogue = _events(
        ("main", idx[EVENT_POS], "MINER"),
        ("early", idx[early], "MINER"),
        ("next", idx[EVENT_POS + 2], "MINER LATE"),
        ("other", idx[early], "LATE"),
    )
    opts = {"tickers": ["MINER"], "models": [MARKET], "estimation_window": SHORT_WINDOW}
    res = ev.event_study(frame, catalogue, **opts)  # type: ignore[arg-type]
    car = res.car.set_index("event_id")
    assert list(car.index) == ["main", "early", "next"]
    assert car.loc["main", "n_excluded"] == 7
    assert car.loc["main", "n_est"] == 110 - 7
    assert car.loc["main", "overlaps"] == "next"
    assert car.loc["next", "overlaps"] == "main"
    assert car.loc["early", "overlaps"] == ""
    # Excluding the +0.5 outlier keeps sigma near the planted 0.01.
    assert car.loc["main", "sigma"] < 1.5 * SIGMA
    kept = ev.event_study(frame, catalogue, exclude_overlaps=False, **opts)  # type: ignore[arg-type]
    main_kept = kept.car.set_index("event_id").loc["main"]
    assert main_kept["n_excluded"] == 0 and main_kept["n_est"] == 110
    assert main_kept["sigma"] > 3 * SIGMA
    assert main_kept["overlaps"] == "next"  # flagged either way
    kinds = ev.confounds(res).set_index("event_id")["kind"]
    assert kinds["main"] == "overlap" and kinds["next"] == "overlap"


# ----------------------------------------------------------------------------- dates


def test_non_session_date_rolls_forward(returns: pd.DataFrame) -> None:
    saturday = pd.Timestamp("2024-12-07")
    assert saturday.day_of_week == 5 and saturday not in returns.index
    res = ev.event_study(returns, _events(("sat", saturday, "MINER")), models=[MARKET])
    row = res.car.iloc[0]
    assert row["event_date"] == saturday
    assert row["session"] == pd.Timestamp("2024-12-09")
    assert row["rolled"]
    assert res.ar.set_index("rel_day").loc[0, "date"] == pd.Timestamp("2024-12-09")


def test_event_outside_data_and_truncated_window(returns: pd.DataFrame) -> None:
    last = returns.index[-1]
    res = ev.event_study(
        returns,
        _events(("late", "2030-01-02", "MINER"), ("early", "2020-01-02", "MINER"), ("edge", last, "MINER")),
        models=[MARKET],
    )
    car = res.car.set_index("event_id")
    assert not car.loc["late", "estimable"]
    assert "outside the data" in car.loc["late", "reason"]
    assert "outside the data" in car.loc["early", "reason"]
    assert car.loc["edge", "estimable"] and car.loc["edge", "n_days"] == 2
    assert "truncated" in car.loc["edge", "warnings"]
    kinds = ev.confounds(res)
    assert list(kinds["kind"]) == ["not_estimable", "not_estimable", "data"]


# ----------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"estimation_window": (-120, 0)}, r"estimation_window \(-120, 0\) overlaps event_window \(-1, 5\)"),
        ({"estimation_window": (-400, -11)}, "spans 390 sessions but returns has only 300"),
        ({"estimation_window": (-11, -120)}, "is reversed"),
        (
            {"models": [ev.EventModel("ai", ("SMH",))]},
            r"ticker 'SMH' not in returns; available: \^NDX, BTC-USD",
        ),
        ({"models": []}, "models is empty"),
        ({"models": ["capm"]}, "unknown event model 'capm'"),
        ({"models": [MARKET, MARKET]}, "duplicate names"),
        ({"sub_windows": [(0, 10)]}, r"sub-window \(0, 10\) is outside event_window"),
        ({"min_estimation": 2}, "min_estimation must be >= 5"),
        ({"min_estimation": 300}, "exceeds the estimation window length 240"),
        ({"short_estimation": 10}, "short_estimation must be >= 40"),
        ({"variance": "robust"}, r"variance must be one of \['prediction', 'simple'\]"),
        ({"alpha": 0.0}, "alpha must be strictly between 0 and 1"),
        ({"tickers": ["LATE"]}, "matches no event"),
    ],
)
def test_event_study_bad_parameters(returns: pd.DataFrame, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ev.event_study(returns, _events(("e", returns.index[EVENT_POS], "MINER")), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ev.EventModel("my model", ("^NDX",)), "without spaces"),
        (lambda: ev.EventModel("m", ()), "factors is empty"),
        (lambda: ev.EventModel("m", ("^NDX",), btc_lags=1), "needs 'BTC-USD' among factors"),
    ],
)
def test_event_model_validation(make: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make()  # type: ignore[operator]


def test_unknown_event_ticker(returns: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match=r"ticker 'XYZ' not in returns; available: "):
        ev.event_study(returns, _events(("e", returns.index[EVENT_POS], "MINER XYZ")))
    with pytest.raises(ConfigError, match="is also a factor of the event models"):
        ev.event_study(returns, _events(("e", returns.index[EVENT_POS], "^NDX")))


# ----------------------------------------------------------------------------- catalogue

HEADER = "event_id,date,tickers,label,reference,notes\n"


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("missing_column", "event_id,date,tickers,label,notes\na,2025-01-02,IREN,x,\n", "missing column"),
        ("bad_date", HEADER + "a,2025-01-02,IREN,x,s,\nb,2025-13-45,IREN,x,s,\n", r"line 3 .*'date'"),
        (
            "bad_ticker",
            HEADER + "a,2025-01-02,IREN ../x,x,s,\n",
            r"line 2 \(event_id 'a'\), column 'tickers'",
        ),
        ("empty_tickers", HEADER + "a,2025-01-02,,x,s,\n", "column 'tickers': is empty"),
        ("empty_reference", HEADER + "a,2025-01-02,IREN,x,,\n", "column 'reference': is empty"),
        ("duplicate_id", HEADER + "a,2025-01-02,IREN,x,s,\na,2025-01-03,IREN,x,s,\n", "duplicates line 2"),
        ("spaced_id", HEADER + "a b,2025-01-02,IREN,x,s,\n", "contains whitespace"),
        ("header_only", HEADER, "no events"),
        ("empty_file", "", "is empty"),
    ],
)
def test_load_events_rejects_bad_csv(tmp_path: Path, name: str, text: str, match: str) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as info:
        ev.load_events(path)
    assert str(path) in str(info.value)


def test_load_events_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="events file not found"):
        ev.load_events(tmp_path / "nope.csv")


def test_load_events_normalises(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text(HEADER + 'a,2025-01-02,iren  wulf iren,"x, y",s,\n', encoding="utf-8")
    out = ev.load_events(path)
    assert list(out.columns) == [*ev.EVENT_COLUMNS, ev.KIND_COLUMN]
    assert out.loc[0, "tickers"] == ("IREN", "WULF")
    assert out.loc[0, "label"] == "x, y"
    assert out.loc[0, "notes"] == ""
    assert out.loc[0, "date"] == pd.Timestamp("2025-01-02")


def test_shipped_catalogue_loads_and_runs() -> None:
    cat = ev.load_events()
    assert config.EVENTS_CSV.is_file()
    ids = list(cat["event_id"])
    rows = [ln for ln in config.EVENTS_CSV.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
    assert len(ids) == len(rows) and len(set(ids)) == len(ids)  # every row of the file, ids unique
    by_id = cat.set_index("event_id")
    assert by_id.loc["abtc-lockup-2025-12", "tickers"] == ("ABTC", "HUT")
    assert "AMZN" in by_id.loc["aws-trainium3-2025-12", "tickers"]
    assert "confound" in by_id.loc["aws-trainium3-2025-12", "notes"].lower()
    assert by_id.loc["iren-msft-2025-11", "date"] == pd.Timestamp("2025-11-03")
    assert (cat["reference"].str.len() > 0).all()

    # Synthetic returns on business days: the halving (a Saturday) rolls to 2024-04-22,
    # ABTC's first session is not estimable, the 2025-12-02 events share a session for ABTC/HUT.
    idx = pd.bdate_range("2023-01-02", "2025-12-31", name="Date")
    rng = np.random.default_rng(7)
    tickers = sorted({t for ts in cat["tickers"] for t in ts})
    frame = pd.DataFrame(rng.normal(0.0, 0.03, (len(idx), len(tickers) + 2)), index=idx)
    frame.columns = ["^NDX", "BTC-USD", *tickers]
    frame.loc[: pd.Timestamp("2025-09-03"), "ABTC"] = np.nan
    with pytest.warns(ShortSampleWarning, match="ABTC"):
        res = ev.event_study(frame, cat)
    car = res.car[res.car["model"] == "market"].set_index(["event_id", "ticker"])
    halving = car.loc[("btc-halving-2024-04", "IREN")]
    assert halving["session"] == pd.Timestamp("2024-04-22") and halving["rolled"]
    assert not car.loc[("abtc-listing-2025-09", "ABTC"), "estimable"]
    assert car.loc[("abtc-lockup-2025-12", "ABTC"), "overlaps"] == "aws-trainium3-2025-12"
    assert car.loc[("aws-trainium3-2025-12", "HUT"), "overlaps"] == "abtc-lockup-2025-12"
    assert car.loc[("aws-trainium3-2025-12", "AMZN"), "overlaps"] == ""
    lockup = car.loc[("abtc-lockup-2025-12", "ABTC")]
    assert lockup["estimable"] and lockup["short_window"]
    flagged = ev.confounds(res)
    same = flagged[flagged["kind"] == "same_session"]
    assert set(zip(same["event_id"], same["ticker"], strict=True)) == {
        ("abtc-lockup-2025-12", "ABTC"),
        ("abtc-lockup-2025-12", "HUT"),
        ("aws-trainium3-2025-12", "HUT"),
        ("aws-trainium3-2025-12", "ABTC"),
    }
    kinds = flagged.groupby(["event_id", "ticker"])["kind"].apply(set)
    assert kinds[("abtc-listing-2025-09", "ABTC")] == {"not_estimable"}
    assert "short_window" in kinds[("abtc-lockup-2025-12", "ABTC")]


def test_event_study_on_the_real_snapshot(market_data_dir: Path) -> None:
    """Properties that must hold on real data (numbers are reported, not asserted)."""
    from analysis.clean import CleanConfig, clean_panel
    from analysis.sources import load_raw
    from analysis.universe import load_universe

    start, end = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-12-05")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        raw = load_raw("snapshot", list(load_universe().tickers), start, end, snapshot_dir=market_data_dir)
        rets = clean_panel(raw, config=CleanConfig(start=start, end=end)).returns.loc[:"2025-12-02"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ShortSampleWarning)
        res = ev.event_study(rets, ev.load_events())
    assert any("ABTC, event abtc-lockup-2025-12" in str(w.message) for w in caught)
    m = res.metrics()
    np.testing.assert_allclose(m["car_simple"], np.expm1(m["car_log"]))
    lockup = m[
        (m["event_id"] == "abtc-lockup-2025-12") & (m["ticker"] == "ABTC") & (m["window"] == res.window)
    ]
    assert len(lockup) == 3 and (lockup["car_simple"] < -0.3).all() and (lockup["p_adj"] < 0.05).all()
    agree = res.agreement().set_index(["event_id", "ticker"])
    assert agree.loc[("abtc-lockup-2025-12", "ABTC"), "sign_agrees"]
    assert set(ev.confounds(res)["kind"]) >= {"same_session", "not_estimable", "short_window"}


# ----------------------------------------------------------------------------- readable labels

LONG_LABELS = [
    "Fourth bitcoin halving (block 840,000; block subsidy 6.25 -> 3.125 BTC)",
    "TeraWulf signs AI/HPC hosting leases with Fluidstack, with a Google backstop of Fluidstack's "
    "lease obligations",
    "American Bitcoin (ABTC) first session on Nasdaq after the Gryphon Digital Mining merger",
    "AWS makes Trainium 3 generally available (re:Invent 2025)",
    "American Bitcoin lock-up expiry: ABTC down as much as ~50% intraday; Hut 8 down ~12%",
    "A very long announcement (with a parenthetical remark that itself runs on and on past the limit) today",
    "Supercalifragilisticexpialidociousannouncementwithoutanyspacesatallinthelabelwhatsoever",
]


def _whole_words(label: str, source: str) -> bool:
    """``label`` (without a final ellipsis) is made of whole words of ``source``, brackets balanced."""
    body = label.removesuffix(ev.ELLIPSIS)
    words = {w.rstrip(",;:") for w in source.replace("(", " ( ").replace(")", " ) ").split()}
    spaced = body.replace("(", " ( ").replace(")", " ) ").split()
    return body.count("(") == body.count(")") and all(w in words for w in spaced)


@pytest.mark.parametrize("max_chars", [30, ev.SHORT_LABEL_CHARS, ev.HEADLINE_LABEL_CHARS])
def test_short_labels_end_on_a_word_boundary(max_chars: int) -> None:
    shipped = ev.load_events()
    extra = pd.DataFrame({"event_id": [f"x{i}" for i in range(len(LONG_LABELS))], "label": LONG_LABELS})
    names: dict[str, str] = {}
    for catalogue in (shipped, extra):
        names |= ev.short_labels(catalogue, max_chars=max_chars)
        for eid, label in zip(catalogue["event_id"], catalogue["label"], strict=True):
            short = names[str(eid)]
            assert _whole_words(short, label), f"{short!r} cuts a word or parenthesis of {label!r}"
            if " " in short:
                assert len(short) <= max_chars, short
    assert names["btc-halving-2024-04"] == "Fourth bitcoin halving"
    if max_chars >= ev.SHORT_LABEL_CHARS:
        assert names["aws-trainium3-2025-12"] == "AWS makes Trainium 3 generally available (re:Invent 2025)"
    assert not names["x2"].endswith(("the" + ev.ELLIPSIS, "after" + ev.ELLIPSIS)), names["x2"]


def test_short_labels_stay_unique() -> None:
    cat = pd.DataFrame(
        {
            "event_id": ["a", "b"],
            "date": pd.to_datetime(["2025-01-02", "2025-02-03"]),
            "label": ["Deal signed, first part", "Deal signed, second part"],
        }
    )
    assert ev.short_labels(cat) == {"a": "Deal signed (2025-01-02)", "b": "Deal signed (2025-02-03)"}


def test_headline_names_end_on_a_word_boundary_and_name_the_model(returns: pd.DataFrame) -> None:
    when = returns.index[EVENT_POS]
    cat = _events(*((f"e{i}", when, "MINER") for i in range(len(LONG_LABELS)))).assign(
        label=LONG_LABELS, kind="deal"
    )
    res = ev.event_study(returns, cat, models=["two_factor"])
    heads = res.headline("two_factor")
    assert len(heads) == len(LONG_LABELS)
    for head, label in zip(heads, LONG_LABELS, strict=True):
        name = head["name"]
        assert name.startswith("MINER: ") and name.endswith(f" ({when.date()})")
        text = name.removeprefix("MINER: ").removesuffix(f" ({when.date()})")
        assert _whole_words(text, label), f"{name!r} cuts a word or parenthesis"
        assert "two-factor (Nasdaq-100 + BTC) model" in head["note"] and "two_factor" not in head["note"]


def test_model_labels() -> None:
    assert set(ev.MODEL_LABELS) == set(ev.MODELS)
    assert ev.model_label("two_factor") == "two-factor (Nasdaq-100 + BTC)"
    assert ev.model_label(ev.MODELS["market"]) == ev.MODEL_LABELS["market"]
    assert all("_" not in ev.model_label(m) for m in ev.MODELS)
    assert ev.model_label(ev.EventModel("semis_only", ("SMH",))) == "semis only (SMH)"
    assert ev.model_label("custom_model") == "custom model"
