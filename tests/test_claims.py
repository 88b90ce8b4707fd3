"""Tests of analysis.claims on small synthetic frames with planted values."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import claims as cl
from analysis.clean import CleanConfig, clean_panel
from analysis.crypto_index import cd20_proxy, cd20_weightings
from analysis.errors import ConfigError, DataQualityWarning
from analysis.snapshot import SnapshotSource

AS_OF = "2025-12-02"
THANKSGIVING = "2025-11-27"

# Planted values
BTC_START, BTC_END = 108_750.0, 87_000.0  # 2025-11-02 -> 2025-12-02: exactly -20%
NDX_ANCHORS = {  # window start 10-31 (last session on/before 11-02), peak, trough, end
    "2025-10-31": 20_000.0,
    "2025-11-10": 21_000.0,
    "2025-11-20": 19_320.0,  # 21,000 x 0.92: an 8% drawdown
    "2025-12-02": 19_700.0,  # 20,000 x 0.985: -1.5% over the window
    "2025-12-03": 19_800.0,
    "2025-12-05": 19_850.0,
}
BTC_BETA = 2.0  # BTC's session log return = drift + BTC_BETA x NDX's: a planted positive correlation


def _sessions() -> pd.DatetimeIndex:
    days = pd.bdate_range("2025-09-01", "2025-12-05", name="Date")
    return days.drop(pd.DatetimeIndex([THANKSGIVING, "2025-09-01"]))  # Labor Day, Thanksgiving


def _ndx(sessions: pd.DatetimeIndex) -> pd.Series:
    s = pd.Series(np.nan, index=sessions)
    for d, v in NDX_ANCHORS.items():
        s[pd.Timestamp(d)] = v
    s.loc[: pd.Timestamp("2025-10-31")] = 20_000.0
    return s.interpolate(method="time")


def _btc(ndx: pd.Series, beta: float) -> pd.Series:
    """Calendar-daily BTC: on sessions the log return is drift + beta x NDX's, else drift.

    The drift is chosen so that BTC falls exactly from BTC_START on 11-02 to BTC_END on 12-02.
    """
    days = pd.date_range("2025-09-01", "2025-12-06", freq="D", name="Date")
    x = np.log(ndx).diff().reindex(days).fillna(0.0)
    window = (days > pd.Timestamp("2025-11-02")) & (days <= pd.Timestamp("2025-12-02"))
    drift = (math.log(BTC_END / BTC_START) - beta * x[window].sum()) / window.sum()
    logret = drift + beta * x
    level = np.exp(logret.cumsum())
    return pd.Series(level / level[pd.Timestamp("2025-11-02")] * BTC_START, index=days)


def make_data(
    *,
    beta: float = BTC_BETA,
    abtc_low: float = 5.0,
    hut_close: float = 44.0,
    iren_deal_close: float = 57.5,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """prices (sessions), crypto_daily (calendar days), lows (sessions; ABTC only)."""
    sessions = _sessions()
    ndx = _ndx(sessions)
    btc = _btc(ndx, beta)
    crypto = pd.DataFrame({"BTC-USD": btc})
    abtc = pd.Series(10.0, index=sessions)
    abtc[pd.Timestamp("2025-12-02") :] = 6.5  # close-to-close -35%
    hut = pd.Series(50.0, index=sessions)
    hut[pd.Timestamp("2025-12-02") :] = hut_close  # -12% by default
    iren = pd.Series(50.0, index=sessions)
    iren[pd.Timestamp("2025-11-03") :] = iren_deal_close  # +15% on the deal session by default
    iren[pd.Timestamp("2025-11-07") :] = 60.0  # +20% over 5 sessions (11-03 .. 11-07)
    prices = pd.DataFrame(
        {"BTC-USD": btc.reindex(sessions), "^NDX": ndx, "ABTC": abtc, "HUT": hut, "IREN": iren},
        index=sessions,
    )
    lows = pd.DataFrame({"ABTC": np.nan}, index=sessions)
    lows.loc[pd.Timestamp("2025-12-02"), "ABTC"] = abtc_low  # 50% under the 12-01 close of 10
    return prices, crypto, lows


def cd20_level(end_value: float = 800.0) -> pd.Series:
    days = pd.date_range("2025-10-01", "2025-12-06", freq="D", name="Date")
    s = pd.Series(np.nan, index=days)
    s[pd.Timestamp("2025-11-02")] = 1000.0
    s[pd.Timestamp("2025-12-02")] = end_value
    s.iloc[0], s.iloc[-1] = 1000.0, end_value
    return s.interpolate(method="time")


def row(table: pd.DataFrame, claim_id: str) -> pd.Series:
    return table.set_index("claim_id").loc[claim_id]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return make_data()


@pytest.fixture(scope="module")
def table(data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    prices, crypto, lows = data
    return cl.claims_table(prices, crypto, as_of=AS_OF, lows=lows, cd20_proxy_level=cd20_level())


# ----------------------------------------------------------------------------- shape


def test_table_has_one_row_per_claim_and_the_documented_columns(table: pd.DataFrame) -> None:
    assert list(table.columns) == list(cl.CLAIM_COLUMNS)
    assert tuple(table["claim_id"]) == cl.CLAIM_IDS
    assert set(table["verdict"]) <= set(cl.VERDICTS)
    assert table["measured_value"].dtype == np.float64
    assert row(table, "btc_30d")["article_value"] == cl.ARTICLE_BTC_30D
    assert row(table, "btc_level")["article_value"] == cl.ARTICLE_BTC_LEVEL
    units = table.set_index("claim_id")["unit"]
    assert units["btc_level"] == cl.UNIT_USD and units["crypto_tech_together"] == cl.UNIT_CORRELATION
    assert (units.drop(["btc_level", "crypto_tech_together"]) == cl.UNIT_FRACTION).all()


def test_all_planted_claims_are_supported(table: pd.DataFrame) -> None:
    assert (table["verdict"] == cl.SUPPORTED).all(), table[["claim_id", "verdict", "note"]]


# ----------------------------------------------------------------------------- planted values


def test_btc_30d_and_level(table: pd.DataFrame) -> None:
    r = row(table, "btc_30d")
    assert r["measured_value"] == pytest.approx(-0.20, abs=1e-12)
    assert r["window"] == "2025-11-02 .. 2025-12-02 (30 calendar days)"
    assert "-20.0%" in r["measured_text"]
    assert r["rule"] == "supported if the 30-day return < -17%"
    lvl = row(table, "btc_level")
    assert lvl["measured_value"] == pytest.approx(BTC_END, rel=1e-12)
    assert "$87,000" in lvl["measured_text"]


def test_cd20_proxy_claim(table: pd.DataFrame) -> None:
    r = row(table, "cd20_30d")
    assert r["measured_value"] == pytest.approx(-0.20, abs=1e-12)
    assert "PROXY" in r["note"]
    assert r["measured_text"].startswith("proxy -20.0% (one weighting, -20.0%; the article's -19.3% is 0.7pp")


def test_ndx_return_and_drawdown_with_dates(table: pd.DataFrame) -> None:
    r = row(table, "ndx_30d")
    assert r["measured_value"] == pytest.approx(-0.015, abs=1e-12)
    assert r["window"].startswith("2025-10-31 .. 2025-12-02 (last sessions on/before 2025-11-02")
    dd = row(table, "ndx_max_drawdown")
    assert dd["measured_value"] == pytest.approx(-0.08, abs=1e-12)
    assert "peak 2025-11-10" in dd["measured_text"] and "trough 2025-11-20" in dd["measured_text"]


def test_event_day_claims(table: pd.DataFrame) -> None:
    abtc = row(table, "abtc_drop")
    assert abtc["measured_value"] == pytest.approx(-0.50, abs=1e-12)
    assert "close-to-close -35.0%" in abtc["measured_text"]
    hut = row(table, "hut_drop")
    assert hut["measured_value"] == pytest.approx(-0.12, abs=1e-12)
    assert hut["window"] == "2025-12-01 .. 2025-12-02 (close to close)"
    iren = row(table, "iren_soaring")
    assert iren["measured_value"] == pytest.approx(0.15, abs=1e-12)
    assert "+20.0% over 5 sessions to 2025-11-07" in iren["measured_text"]
    assert iren["window"].startswith("2025-10-31 .. 2025-11-03")


def test_crypto_tech_together_correlation(
    data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], table: pd.DataFrame
) -> None:
    prices, _, _ = data
    window = prices.loc["2025-10-31":"2025-12-02", ["BTC-USD", "^NDX"]]
    rets = np.log(window).diff().dropna()
    expected = float(np.corrcoef(rets["BTC-USD"], rets["^NDX"])[0, 1])
    assert expected > 0.5  # the planted co-movement is clearly positive
    r = row(table, "crypto_tech_together")
    assert r["measured_value"] == pytest.approx(expected, abs=1e-12)
    assert f"(n={len(rets)})" in r["measured_text"]


def test_bands_are_honest_and_drawn_in_percent(table: pd.DataFrame) -> None:
    """A band only where the measured value alone decides; drawn in percent for fractions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis import plots

    together = row(table, "crypto_tech_together")  # the rule also needs both returns negative
    assert math.isnan(together["band_lo"]) and math.isnan(together["band_hi"])
    ndx = row(table, "ndx_30d")
    assert (ndx["band_lo"], ndx["band_hi"]) == (pytest.approx(-0.025), pytest.approx(-0.005))
    fig = plots.claims_chart(table, note="Source: test")
    try:
        panels = dict(zip(table["claim_id"], fig.axes, strict=False))
        bands = {
            cid: [p for p in ax.patches if p.get_gid() == plots.claims.BAND_GID] for cid, ax in panels.items()
        }
        assert not bands["crypto_tech_together"]
        (band,) = bands["ndx_30d"]
        lo, hi = band.get_x(), band.get_x() + band.get_width()
        assert (lo, hi) == (pytest.approx(-2.5), pytest.approx(-0.5))
        assert all(ax.get_ylabel() != "figure" for ax in fig.axes)
        assert any("Green band" in t for t in plots.figure_texts(fig)), "the chart says what the band is"
    finally:
        plt.close(fig)


# ----------------------------------------------------------------------------- flipped values


@pytest.mark.parametrize(
    ("kwargs", "claim_id", "expected"),
    [
        ({"abtc_low": 8.0}, "abtc_drop", -0.20),
        ({"hut_close": 49.0}, "hut_drop", -0.02),
        ({"iren_deal_close": 52.0}, "iren_soaring", 0.04),
    ],
)
def test_flipped_event_values_are_not_supported(
    kwargs: dict[str, float], claim_id: str, expected: float
) -> None:
    prices, crypto, lows = make_data(**kwargs)
    r = row(cl.claims_table(prices, crypto, as_of=AS_OF, lows=lows), claim_id)
    assert r["measured_value"] == pytest.approx(expected, abs=1e-12)
    assert r["verdict"] == cl.NOT_SUPPORTED


def test_negative_comovement_is_not_supported() -> None:
    prices, crypto, lows = make_data(beta=-BTC_BETA)
    r = row(cl.claims_table(prices, crypto, as_of=AS_OF, lows=lows), "crypto_tech_together")
    assert r["measured_value"] < 0
    assert r["verdict"] == cl.NOT_SUPPORTED


def test_tighter_tolerances_and_proxy_far_from_article(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    params = cl.ClaimParams(btc_level_rel_tol=0.0005, ndx_tol=1e-6)
    t = cl.claims_table(
        prices, crypto, as_of=AS_OF, lows=lows, cd20_proxy_level=cd20_level(900.0), params=params
    )
    # $87,000 is 0.067% under $87,058: inside the default 3%, outside 0.05%.
    assert row(t, "btc_level")["verdict"] == cl.NOT_SUPPORTED
    assert row(t, "ndx_30d")["verdict"] == cl.SUPPORTED  # exactly -1.5%
    cd20 = row(t, "cd20_30d")
    assert cd20["measured_value"] == pytest.approx(-0.10, abs=1e-12)
    assert cd20["verdict"] == cl.NOT_SUPPORTED
    assert cd20["rule"] == (
        "supported if -19.3% lies within the range of the proxy's 30-day returns under the weightings "
        "passed, widened by 1.0pp"
    )


@pytest.mark.parametrize(
    ("ends", "verdict"),
    [
        ({"capped": 900.0, "uncapped": 900.0, "equal": 900.0}, cl.NOT_SUPPORTED),  # -10% everywhere
        ({"capped": 850.0, "uncapped": 750.0, "equal": 800.0}, cl.SUPPORTED),  # -15% .. -25%
        ({"capped": 790.0, "uncapped": 760.0, "equal": 770.0}, cl.NOT_SUPPORTED),  # -21% .. -24%: 1.7pp out
        (
            {"capped": 797.0, "uncapped": 760.0, "equal": 770.0},
            cl.SUPPORTED,
        ),  # -20.3%: 1.0pp out, at the limit
    ],
)
def test_cd20_range_rule_can_fail(
    data: tuple[pd.DataFrame, ...], ends: dict[str, float], verdict: str
) -> None:
    prices, crypto, lows = data
    levels = {name: cd20_level(end) for name, end in ends.items()}
    r = row(cl.claims_table(prices, crypto, as_of=AS_OF, lows=lows, cd20_proxy_level=levels), "cd20_30d")
    returns = [end / 1000.0 - 1.0 for end in ends.values()]
    assert r["measured_value"] == pytest.approx(returns[0], abs=1e-12)  # the first weighting
    assert r["verdict"] == verdict
    assert f"range {min(returns):+.1%} .. {max(returns):+.1%}" in r["measured_text"]
    assert r["measured_text"].startswith(f"capped {returns[0]:+.1%}, uncapped {returns[1]:+.1%}")


def test_cd20_widening_is_at_most_one_point() -> None:
    assert cl.ClaimParams().cd20_tol == cl.CD20_MAX_WIDENING == 0.01
    with pytest.raises(ConfigError, match=r"cd20_tol widens the CD20 proxy's range by at most 0.01"):
        cl.ClaimParams(cd20_tol=0.03)
    with pytest.raises(ConfigError, match="empty mapping"):
        cl.claims_table(*make_data()[:2], as_of=AS_OF, cd20_proxy_level={})


def test_smaller_btc_fall_and_other_level_not_supported(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    crypto = crypto.copy()
    crypto.loc["2025-11-03":, "BTC-USD"] *= 1.10  # 12-02: 95,700, i.e. -12% over 30 days
    r = row(cl.claims_table(prices, crypto, as_of=AS_OF, lows=lows), "btc_30d")
    assert r["measured_value"] == pytest.approx(-0.12, abs=1e-12)
    assert r["verdict"] == cl.NOT_SUPPORTED
    lvl = row(cl.claims_table(prices, crypto, as_of=AS_OF, lows=lows), "btc_level")
    assert lvl["measured_value"] == pytest.approx(95_700.0, rel=1e-12)
    assert lvl["verdict"] == cl.NOT_SUPPORTED


# ----------------------------------------------------------------------------- not measurable


def test_missing_ticker_is_not_measurable_not_an_error(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    t = cl.claims_table(prices.drop(columns=["HUT", "^NDX"]), crypto, as_of=AS_OF, lows=lows)
    for cid in ("hut_drop", "ndx_30d", "ndx_max_drawdown", "crypto_tech_together"):
        r = row(t, cid)
        assert r["verdict"] == cl.NOT_MEASURABLE, cid
        assert math.isnan(r["measured_value"])
    assert "HUT not in prices" in row(t, "hut_drop")["note"]
    assert row(t, "btc_30d")["verdict"] == cl.SUPPORTED


def test_no_cd20_level_is_not_measurable(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    r = row(cl.claims_table(prices, crypto, as_of=AS_OF, lows=lows), "cd20_30d")
    assert r["verdict"] == cl.NOT_MEASURABLE
    assert "cd20_proxy" in r["note"]


def test_abtc_without_lows_reports_close_to_close(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, _ = data
    r = row(cl.claims_table(prices, crypto, as_of=AS_OF), "abtc_drop")
    assert r["verdict"] == cl.NOT_MEASURABLE
    assert r["measured_value"] == pytest.approx(-0.35, abs=1e-12)
    assert "close-to-close" in r["measured_text"]
    assert "at least 35.0%" in r["note"]


def test_window_outside_data_is_not_measurable(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    late = crypto.loc["2025-11-15":]
    t = cl.claims_table(prices, late, as_of=AS_OF, lows=lows)
    assert row(t, "btc_30d")["verdict"] == cl.NOT_MEASURABLE
    assert "outside the data range" in row(t, "btc_30d")["note"]
    assert row(t, "btc_level")["verdict"] == cl.SUPPORTED


def test_stale_window_end_is_not_measurable(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    gappy = crypto.copy()
    gappy.loc["2025-10-25":"2025-11-02", "BTC-USD"] = np.nan
    r = row(cl.claims_table(prices, gappy, as_of=AS_OF, lows=lows), "btc_30d")
    assert r["verdict"] == cl.NOT_MEASURABLE
    assert "more than 5 days earlier" in r["note"]


def test_event_after_as_of_is_not_measurable(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    t = cl.claims_table(prices, crypto, as_of="2025-12-01", lows=lows)
    assert row(t, "abtc_drop")["verdict"] == cl.NOT_MEASURABLE
    assert "after as_of" in row(t, "abtc_drop")["note"]


@pytest.mark.parametrize("as_of", ["2025-08-01", "2026-01-15"])
def test_as_of_outside_data_raises(data: tuple[pd.DataFrame, ...], as_of: str) -> None:
    prices, crypto, lows = data
    with pytest.raises(ConfigError, match="outside the data range"):
        cl.claims_table(prices, crypto, as_of=as_of, lows=lows)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"window_days": 0}, "window_days"), ({"hut_tol": -0.01}, "hut_tol"), ({"min_corr_obs": 1}, "min_corr")],
)
def test_bad_params_raise(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        cl.ClaimParams(**kwargs)  # type: ignore[arg-type]


def test_accepts_a_crypto_index() -> None:
    prices, crypto, _ = make_data()
    crypto = crypto.assign(**{"ETH-USD": crypto["BTC-USD"] / 30, "SOL-USD": 150.0, "XRP-USD": 2.0})
    supply = {"BTC-USD": 19.95e6, "ETH-USD": 120.7e6, "SOL-USD": 555e6, "XRP-USD": 60.3e9}
    index = cd20_proxy(crypto, supply)
    r = row(cl.claims_table(prices, crypto, as_of=AS_OF, cd20_proxy_level=index), "cd20_30d")
    lvl = index.level
    assert r["measured_value"] == pytest.approx(lvl["2025-12-02"] / lvl["2025-11-02"] - 1, abs=1e-12)
    assert "4 constituents" in r["note"]
    variants = cd20_weightings(crypto, supply)
    v = row(cl.claims_table(prices, crypto, as_of=AS_OF, cd20_proxy_level=variants), "cd20_30d")
    assert v["measured_value"] == r["measured_value"]  # "capped" comes first
    assert (
        "capped" in v["measured_text"] and "uncapped" in v["measured_text"] and "equal" in v["measured_text"]
    )


# ----------------------------------------------------------------------------- sensitivity


def test_sensitivity_shape_and_values(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    dates = (*cl.DEFAULT_SENSITIVITY_DATES, "2025-12-20")
    s = cl.claims_sensitivity(prices, crypto, as_of_dates=dates, lows=lows, cd20_proxy_level=cd20_level())
    derived = cl.claims_sensitivity(prices, crypto, as_of=AS_OF, lows=lows, cd20_proxy_level=cd20_level())
    assert derived.equals(s.iloc[:, :5])  # as_of 12-02: one session before, three after
    assert s.shape == (len(cl.CLAIM_IDS), 6)
    assert list(s.index) == list(cl.CLAIM_IDS)
    assert s.columns.name == "as_of"
    assert s[pd.Timestamp("2025-12-20")].isna().all()  # outside the data
    btc = crypto["BTC-USD"]
    for d in cl.DEFAULT_SENSITIVITY_DATES:
        t = pd.Timestamp(d)
        assert s.loc["btc_30d", t] == pytest.approx(btc[t] / btc[t - pd.Timedelta(days=30)] - 1, abs=1e-12)
        assert s.loc["btc_level", t] == pytest.approx(btc[t], rel=1e-12)
    ndx = prices["^NDX"]
    assert s.loc["ndx_30d", pd.Timestamp("2025-12-01")] == pytest.approx(
        ndx["2025-12-01"] / ndx["2025-10-31"] - 1, abs=1e-12
    )
    assert s.loc["ndx_30d", pd.Timestamp("2025-12-04")] == pytest.approx(
        ndx["2025-12-04"] / ndx["2025-11-04"] - 1, abs=1e-12
    )
    assert math.isnan(s.loc["hut_drop", pd.Timestamp("2025-12-01")])  # event after as_of
    assert s.loc["hut_drop", pd.Timestamp("2025-12-05")] == pytest.approx(-0.12, abs=1e-12)
    # The as_of 2025-12-02 column equals the table.
    table = cl.claims_table(prices, crypto, as_of=AS_OF, lows=lows, cd20_proxy_level=cd20_level())
    np.testing.assert_allclose(
        s[pd.Timestamp(AS_OF)].to_numpy(), table["measured_value"].to_numpy(), rtol=0, atol=0
    )


def test_sensitivity_verdicts(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    v = cl.claims_sensitivity(
        prices, crypto, as_of_dates=["2025-12-01", "2025-12-02"], lows=lows, value="verdict"
    )
    assert v.loc["abtc_drop", pd.Timestamp("2025-12-01")] == cl.NOT_MEASURABLE
    assert v.loc["abtc_drop", pd.Timestamp("2025-12-02")] == cl.SUPPORTED
    with pytest.raises(ConfigError, match="value"):
        cl.claims_sensitivity(prices, crypto, as_of=AS_OF, value="nope")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="pass as_of"):
        cl.claims_sensitivity(prices, crypto)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2025-12-02", ["2025-12-01", "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05"]),
        ("2025-11-14", ["2025-11-13", "2025-11-14", "2025-11-17", "2025-11-18", "2025-11-19"]),
        ("2025-11-29", ["2025-11-26", "2025-11-28", "2025-12-01", "2025-12-02", "2025-12-03"]),  # a Saturday
        ("2025-12-04", ["2025-12-03", "2025-12-04", "2025-12-05"]),  # the data end on 12-05
    ],
)
def test_sensitivity_dates_follow_as_of(
    data: tuple[pd.DataFrame, ...], as_of: str, expected: list[str]
) -> None:
    prices, crypto, lows = data
    dates = cl.sensitivity_dates(prices, as_of)
    assert [str(d.date()) for d in dates] == expected
    s = cl.claims_sensitivity(prices, crypto, as_of=as_of, lows=lows)
    assert list(s.columns) == [pd.Timestamp(d) for d in expected]
    assert s.loc["btc_30d"].notna().all() and s.loc["ndx_30d"].notna().all()  # real numbers, not all-NaN


def test_verdict_stability(data: tuple[pd.DataFrame, ...]) -> None:
    prices, crypto, lows = data
    v = cl.claims_sensitivity(prices, crypto, as_of=AS_OF, lows=lows, value="verdict")
    stability = cl.verdict_stability(v)
    assert list(stability.index) == list(cl.CLAIM_IDS)
    assert list(stability.columns) == ["stable", "verdict", "verdicts", "dates", "n_dates"]
    abtc = stability.loc["abtc_drop"]  # not measurable on 12-01 (event after as_of), supported after
    assert not abtc["stable"] and abtc["verdict"] == "varies"
    assert abtc["verdicts"] == [cl.NOT_MEASURABLE] + [cl.SUPPORTED] * 4
    assert abtc["dates"][0] == "2025-12-01" and abtc["n_dates"] == 5
    iren = stability.loc["iren_soaring"]
    assert iren["stable"] and iren["verdict"] == cl.SUPPORTED
    assert stability["stable"].dtype == bool
    with_gap = v.copy()
    with_gap[pd.Timestamp("2026-01-02")] = np.nan  # a date outside the data is left out
    assert cl.verdict_stability(with_gap).loc["iren_soaring", "n_dates"] == 5


# ----------------------------------------------------------------------------- the real snapshot


@pytest.mark.snapshot
def test_real_snapshot_sensitivity_follows_as_of_and_cd20_range(market_data_dir: Path) -> None:
    tickers = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "^NDX", "ABTC", "HUT", "IREN"]
    start, end = pd.Timestamp("2025-06-01"), pd.Timestamp("2025-12-05")
    raw = SnapshotSource(market_data_dir).load(tickers, start, end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        panel = clean_panel(raw, config=CleanConfig(start=start, end=end))
    levels = cd20_weightings(panel.crypto_daily, tickers=tickers[:4])
    v = cl.claims_sensitivity(
        panel.prices, panel.crypto_daily, as_of="2025-11-14", lows=panel.lows, cd20_proxy_level=levels
    )
    assert [str(d.date()) for d in v.columns] == [
        "2025-11-13", "2025-11-14", "2025-11-17", "2025-11-18", "2025-11-19",
    ]  # fmt: skip
    assert v.loc[["btc_30d", "btc_level", "cd20_30d", "ndx_30d", "crypto_tech_together"]].notna().all().all()
    t = cl.claims_table(
        panel.prices, panel.crypto_daily, as_of="2025-12-02", lows=panel.lows, cd20_proxy_level=levels
    )
    cd20 = row(t, "cd20_30d")
    assert cd20["measured_text"].startswith("capped ") and "range " in cd20["measured_text"]
    stability = cl.verdict_stability(
        cl.claims_sensitivity(
            panel.prices, panel.crypto_daily, as_of="2025-12-02", lows=panel.lows, value="verdict"
        )
    )
    assert stability["n_dates"].eq(5).all() and stability["stable"].dtype == bool
