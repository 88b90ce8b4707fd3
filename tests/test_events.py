"""Tests of analysis.events: catalogue validation and the MacKinlay event study."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import config
from analysis import events as ev
from analysis.errors import ConfigError, ShortSampleWarning

N = 300
EVENT_POS = 250
JUMP = 0.15
SIGMA = 0.01
BETA = 1.2


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


def test_planted_jump_recovered(returns: pd.DataFrame) -> None:
    when = returns.index[EVENT_POS]
    res = ev.event_study(returns, _events(("jump", when, "MINER")))
    row = res.car.iloc[0]
    assert row["estimable"] and row["reason"] == "" and row["warnings"] == ""
    assert row["session"] == when and not row["rolled"]
    assert row["n_est"] == 110 and row["n_days"] == 7
    assert row["est_start"] == returns.index[EVENT_POS - 120]
    assert row["est_end"] == returns.index[EVENT_POS - 11]
    assert abs(row["beta[^NDX]"] - BETA) < 0.3
    ar = res.ar.set_index("rel_day")
    assert list(ar.index) == list(range(-1, 6))
    assert abs(ar.loc[0, "ar"] - JUMP) < 3 * SIGMA
    assert ar.loc[0, "t"] > 5
    assert (ar.drop(index=0)["ar"].abs() < 4 * SIGMA).all()
    assert row["t"] > 3 and row["p"] < 0.01
    assert abs(row["car"] - JUMP) < 3 * SIGMA * np.sqrt(7)
    day0 = res.car_windows.set_index("window").loc["(+0,+0)"]
    assert day0["car"] == pytest.approx(ar.loc[0, "ar"])
    assert ar["car"].iloc[-1] == pytest.approx(row["car"])
    assert res.ar_wide.loc[0, ("jump", "MINER")] == pytest.approx(ar.loc[0, "ar"])


def test_two_factor_model(returns: pd.DataFrame) -> None:
    res = ev.event_study(
        returns, _events(("jump", returns.index[EVENT_POS], "MINER")), factors=("^NDX", "BTC-USD")
    )
    row = res.car.iloc[0]
    assert row["model"].startswith("2-factor")
    assert abs(row["beta[BTC-USD]"]) < 0.2  # no planted bitcoin exposure
    assert row["df"] == 110 - 3
    assert row["t"] > 3


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
        estimation_window=(-10, -2),
        event_window=(-1, 2),
        sub_windows=[(0, 0)],
        min_estimation=5,
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
    assert row["car"] == pytest.approx(ar.sum(), rel=1e-10)
    assert row["se"] == pytest.approx(se_car, rel=1e-10)
    assert row["t"] == pytest.approx(ar.sum() / se_car, rel=1e-10)
    assert row["sigma"] == pytest.approx(np.sqrt(s2), rel=1e-10)
    assert row["alpha"] == pytest.approx(theta[0], rel=1e-10)
    assert row["p"] == pytest.approx(2 * stats.t.sf(abs(ar.sum() / se_car), 7), rel=1e-8)


# ----------------------------------------------------------------------------- short samples


def test_short_estimation_window_warns_and_reports(returns: pd.DataFrame) -> None:
    when = returns.index[EVENT_POS]
    with pytest.warns(ShortSampleWarning, match=r"LATE, event e1: estimation window has 40 of 110"):
        res = ev.event_study(returns, _events(("e1", when, "LATE")))
    row = res.car.iloc[0]
    assert row["estimable"]
    assert row["n_est"] == 40
    assert row["est_start"] == returns.index[EVENT_POS - 50]
    assert row["est_end"] == returns.index[EVENT_POS - 11]
    assert "40 of 110" in row["warnings"]


def test_below_minimum_is_a_not_estimable_row(returns: pd.DataFrame) -> None:
    when = returns.index[EVENT_POS]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a not-estimable row is reported, not warned
        res = ev.event_study(returns, _events(("e1", when, "NEW MINER")))
    assert list(res.car["ticker"]) == ["NEW", "MINER"]
    new = res.car.iloc[0]
    assert not new["estimable"]
    assert new["n_est"] == 10
    assert "10 estimation observations" in new["reason"] and "need >= 30" in new["reason"]
    assert np.isnan(new["car"])
    assert set(res.ar["ticker"]) == {"MINER"}
    assert set(res.car_windows["ticker"]) == {"MINER"}


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
    res = ev.event_study(frame, catalogue, tickers=["MINER"])
    car = res.car.set_index("event_id")
    assert list(car.index) == ["main", "early", "next"]
    assert car.loc["main", "n_excluded"] == 7
    assert car.loc["main", "n_est"] == 110 - 7
    assert car.loc["main", "overlaps"] == "next"
    assert car.loc["next", "overlaps"] == "main"
    assert car.loc["early", "overlaps"] == ""
    # Excluding the +0.5 outlier keeps sigma near the planted 0.01.
    assert car.loc["main", "sigma"] < 1.5 * SIGMA
    kept = ev.event_study(frame, catalogue, tickers=["MINER"], exclude_overlaps=False)
    main_kept = kept.car.set_index("event_id").loc["main"]
    assert main_kept["n_excluded"] == 0 and main_kept["n_est"] == 110
    assert main_kept["sigma"] > 3 * SIGMA
    assert main_kept["overlaps"] == "next"  # flagged either way


# ----------------------------------------------------------------------------- dates


def test_non_session_date_rolls_forward(returns: pd.DataFrame) -> None:
    saturday = pd.Timestamp("2024-12-07")
    assert saturday.day_of_week == 5 and saturday not in returns.index
    res = ev.event_study(returns, _events(("sat", saturday, "MINER")))
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
    )
    car = res.car.set_index("event_id")
    assert not car.loc["late", "estimable"]
    assert "outside the data" in car.loc["late", "reason"]
    assert "outside the data" in car.loc["early", "reason"]
    assert car.loc["edge", "estimable"] and car.loc["edge", "n_days"] == 2
    assert "truncated" in car.loc["edge", "warnings"]


# ----------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"estimation_window": (-120, 0)}, r"estimation_window \(-120, 0\) overlaps event_window \(-1, 5\)"),
        ({"estimation_window": (-400, -11)}, "spans 390 sessions but returns has only 300"),
        ({"estimation_window": (-11, -120)}, "is reversed"),
        ({"factors": ("SMH",)}, r"ticker 'SMH' not in returns; available: \^NDX, BTC-USD"),
        ({"factors": ()}, "factors is empty"),
        ({"sub_windows": [(0, 10)]}, r"sub-window \(0, 10\) is outside event_window"),
        ({"min_estimation": 2}, "min_estimation must be >= 3"),
        ({"min_estimation": 200}, "exceeds the estimation window length 110"),
        ({"variance": "robust"}, "variance must be 'prediction' or 'simple'"),
        ({"tickers": ["LATE"]}, "matches no event"),
    ],
)
def test_event_study_bad_parameters(returns: pd.DataFrame, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ev.event_study(returns, _events(("e", returns.index[EVENT_POS], "MINER")), **kwargs)  # type: ignore[arg-type]


def test_unknown_event_ticker(returns: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match=r"ticker 'XYZ' not in returns; available: "):
        ev.event_study(returns, _events(("e", returns.index[EVENT_POS], "MINER XYZ")))
    with pytest.raises(ConfigError, match="is also a market-model factor"):
        ev.event_study(returns, _events(("e", returns.index[EVENT_POS], "^NDX")))


# ----------------------------------------------------------------------------- catalogue

HEADER = "event_id,date,tickers,label,source,notes\n"


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
        ("empty_source", HEADER + "a,2025-01-02,IREN,x,,\n", "column 'source': is empty"),
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
    assert list(out.columns) == list(ev.EVENT_COLUMNS)
    assert out.loc[0, "tickers"] == ("IREN", "WULF")
    assert out.loc[0, "label"] == "x, y"
    assert out.loc[0, "notes"] == ""
    assert out.loc[0, "date"] == pd.Timestamp("2025-01-02")


def test_shipped_catalogue_loads_and_runs() -> None:
    cat = ev.load_events()
    assert config.EVENTS_CSV.is_file()
    ids = list(cat["event_id"])
    assert len(ids) == 7 and len(set(ids)) == 7
    by_id = cat.set_index("event_id")
    assert by_id.loc["abtc-lockup-2025-12", "tickers"] == ("ABTC", "HUT")
    assert "AMZN" in by_id.loc["aws-trainium3-2025-12", "tickers"]
    assert "confound" in by_id.loc["aws-trainium3-2025-12", "notes"].lower()
    assert by_id.loc["iren-msft-2025-11", "date"] == pd.Timestamp("2025-11-03")
    assert (cat["source"].str.len() > 0).all()

    # Synthetic returns on business days: the halving (a Saturday) rolls to 2024-04-22,
    # ABTC's first session is not estimable, the 2025-12-02 events overlap for ABTC/HUT.
    idx = pd.bdate_range("2023-06-01", "2025-12-31", name="Date")
    rng = np.random.default_rng(7)
    tickers = sorted({t for ts in cat["tickers"] for t in ts})
    frame = pd.DataFrame(rng.normal(0.0, 0.03, (len(idx), len(tickers) + 1)), index=idx)
    frame.columns = ["^NDX", *tickers]
    frame.loc[: pd.Timestamp("2025-09-03"), "ABTC"] = np.nan
    with pytest.warns(ShortSampleWarning, match="ABTC"):
        res = ev.event_study(frame, cat)
    car = res.car.set_index(["event_id", "ticker"])
    halving = car.loc[("btc-halving-2024-04", "IREN")]
    assert halving["session"] == pd.Timestamp("2024-04-22") and halving["rolled"]
    assert not car.loc[("abtc-listing-2025-09", "ABTC"), "estimable"]
    assert car.loc[("abtc-lockup-2025-12", "ABTC"), "overlaps"] == "aws-trainium3-2025-12"
    assert car.loc[("aws-trainium3-2025-12", "HUT"), "overlaps"] == "abtc-lockup-2025-12"
    assert car.loc[("aws-trainium3-2025-12", "AMZN"), "overlaps"] == ""
    assert car.loc[("abtc-lockup-2025-12", "ABTC"), "estimable"]
