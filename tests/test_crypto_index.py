"""Tests of analysis.crypto_index: weight capping, index levels, supply validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.crypto_index import (
    SUPPLY_CSV,
    cap_weights,
    cd20_proxy,
    cd20_weightings,
    equal_weight_index,
    load_supply,
    rebalance_dates,
)
from analysis.errors import ConfigError

TICKERS = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"]


# ----------------------------------------------------------------------------- capping


def test_caps_bind_and_redistribute_in_two_passes() -> None:
    # 50/20/10/10/5/5: pass 1 caps A at 30% and shares 70% pro rata -> B = 28% > 20%;
    # pass 2 caps B at 20% and shares 50% over 10/10/5/5 -> 1/6, 1/6, 1/12, 1/12.
    cw = cap_weights(pd.Series([50.0, 20, 10, 10, 5, 5], index=list("ABCDEF")))
    expected = [0.30, 0.20, 1 / 6, 1 / 6, 1 / 12, 1 / 12]
    np.testing.assert_allclose(cw.weights.to_numpy(), expected, rtol=0, atol=1e-12)
    assert cw.capped == ("A", "B")
    assert cw.feasible
    assert cw.iterations == 2
    assert cw.weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_caps_not_binding_leave_market_cap_weights() -> None:
    cw = cap_weights({"A": 25.0, "B": 20.0, "C": 20.0, "D": 20.0, "E": 15.0})
    np.testing.assert_allclose(cw.weights.to_numpy(), [0.25, 0.2, 0.2, 0.2, 0.15], atol=1e-12)
    assert cw.capped == ()
    assert cw.iterations == 0


@pytest.mark.parametrize(
    ("mcaps", "largest"),
    [
        ([60.0, 25.0, 10.0, 5.0], "A"),
        ([10.0, 60.0, 20.0, 10.0], "B"),  # the largest asset is not listed first
    ],
)
def test_infeasible_caps_rescale_to_one(mcaps: list[float], largest: str) -> None:
    # 4 assets hold at most 30% + 3 x 20% = 90%: all capped, then scaled by 1 / 0.9.
    cw = cap_weights(pd.Series(mcaps, index=list("ABCD")))
    assert not cw.feasible
    assert set(cw.capped) == set("ABCD")
    assert cw.weights[largest] == pytest.approx(0.30 / 0.90, abs=1e-12)
    assert cw.weights.drop(largest).to_numpy() == pytest.approx([0.20 / 0.90] * 3, abs=1e-12)
    assert cw.weights.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("mcaps", "kwargs", "match"),
    [
        ({}, {}, "empty"),
        ({"A": 1.0, "B": -2.0}, {}, "market cap of B"),
        ({"A": 1.0, "B": np.nan}, {}, "market cap of B"),
        ({"A": 1.0}, {"largest_cap": 1.5}, "largest_cap"),
        ({"A": 1.0}, {"other_cap": 0.0}, "other_cap"),
    ],
)
def test_cap_weights_rejects_bad_input(mcaps: dict[str, float], kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        cap_weights(pd.Series(mcaps, dtype=float), **kwargs)


# ----------------------------------------------------------------------------- schedule


def test_rebalance_dates_use_first_available_day_on_or_after() -> None:
    days = pd.date_range("2025-01-15", "2025-12-31", freq="D")
    days = days.drop(pd.DatetimeIndex(["2025-06-01", "2025-09-01", "2025-09-02"]))
    out = rebalance_dates(days)
    assert list(out.strftime("%Y-%m-%d")) == ["2025-03-01", "2025-06-02", "2025-09-03", "2025-12-01"]


def test_rebalance_dates_exclude_inception_and_validate() -> None:
    days = pd.date_range("2025-03-01", "2025-06-30", freq="D")
    assert list(rebalance_dates(days).strftime("%Y-%m-%d")) == ["2025-06-01"]
    with pytest.raises(ConfigError, match="months"):
        rebalance_dates(days, months=(0, 13))


# ----------------------------------------------------------------------------- index levels


def _hand_frame() -> pd.DataFrame:
    """Five calendar days around the 2025-03-01 rebalance."""
    idx = pd.date_range("2025-02-27", "2025-03-03", freq="D", name="Date")
    return pd.DataFrame(
        {
            "BTC-USD": [100.0, 110.0, 120.0, 120.0, 132.0],
            "ETH-USD": [50.0, 50.0, 40.0, 40.0, 40.0],
            "SOL-USD": [10.0, 10.0, 10.0, 10.0, 10.0],
            "XRP-USD": [1.0, 2.0, 2.0, 2.0, 1.0],
        },
        index=idx,
    )


SUPPLY = {"BTC-USD": 1000.0, "ETH-USD": 100.0, "SOL-USD": 100.0, "XRP-USD": 100.0}


def test_cd20_proxy_level_across_a_rebalance_matches_hand_computation() -> None:
    # BTC is the largest market cap on both dates; 4 assets -> infeasible caps ->
    # weights 1/3 (BTC) and 2/9 (others) at inception (02-27) and at the 03-01 rebalance.
    idx = cd20_proxy(_hand_frame(), SUPPLY)
    w1, w2 = 1 / 3, 2 / 9
    l_0228 = 1000 * (w1 * 1.10 + w2 * (1.0 + 1.0 + 2.0))
    l_0301 = 1000 * (w1 * 1.20 + w2 * (0.8 + 1.0 + 2.0))
    l_0303 = l_0301 * (w1 * 132 / 120 + w2 * (1.0 + 1.0 + 0.5))  # new units bought at the 03-01 close
    expected = [1000.0, l_0228, l_0301, l_0301, l_0303]
    np.testing.assert_allclose(idx.level.to_numpy(), expected, rtol=1e-12)
    assert l_0303 == pytest.approx(1147.654, abs=1e-3)
    # Without the rebalance the last level would differ (buy and hold from 02-27):
    assert l_0303 != pytest.approx(1000 * (w1 * 1.32 + w2 * (0.8 + 1.0 + 1.0)))
    assert list(idx.rebalance_dates.strftime("%Y-%m-%d")) == ["2025-02-27", "2025-03-01"]
    np.testing.assert_allclose(idx.weights.loc["2025-03-01"].to_numpy(), [w1, w2, w2, w2], atol=1e-12)
    assert idx.constituents == tuple(TICKERS)
    notes = " ".join(idx.notes)
    assert "PROXY" in notes and "4 constituents" in notes
    assert "infeasible" in notes and "rescaled" in notes and "2 of 2" in notes
    assert "constant" in notes


def test_equal_weight_level_across_a_rebalance_matches_hand_computation() -> None:
    frame = _hand_frame()[["BTC-USD", "ETH-USD"]]
    idx = equal_weight_index(frame)
    # 02-27: 5 BTC + 10 ETH; 03-01: level 1000 -> 500/120 BTC + 500/40 ETH.
    expected = [1000.0, 5 * 110 + 10 * 50, 5 * 120 + 10 * 40, 1000.0, 500 / 120 * 132 + 500 / 40 * 40]
    np.testing.assert_allclose(idx.level.to_numpy(), expected, rtol=1e-12)
    assert idx.weights.to_numpy() == pytest.approx(np.full((2, 2), 0.5))


def test_uncapped_market_cap_index_is_buy_and_hold_of_market_caps() -> None:
    rng = np.random.default_rng(7)
    idx = pd.date_range("2024-11-01", "2025-07-31", freq="D", name="Date")
    px = pd.DataFrame(
        np.exp(rng.normal(0, 0.03, (len(idx), 4)).cumsum(axis=0)) * [90_000, 3_000, 150, 2],
        index=idx,
        columns=TICKERS,
    )
    supply = pd.Series([19.95e6, 120.7e6, 555e6, 60.3e9], index=TICKERS)
    out = cd20_proxy(px, supply, largest_cap=1.0, other_cap=1.0)
    total = (px * supply).sum(axis=1)
    np.testing.assert_allclose(out.level.to_numpy(), (1000 * total / total.iloc[0]).to_numpy(), rtol=1e-10)
    assert len(out.rebalance_dates) == 1 + 3  # inception + Dec, Mar, Jun
    assert not any("infeasible" in n for n in out.notes)


def test_interior_gap_is_carried_forward_and_noted() -> None:
    frame = _hand_frame()
    frame.loc["2025-02-28", "SOL-USD"] = np.nan
    idx = cd20_proxy(frame, SUPPLY)
    assert idx.level.notna().all()
    assert any("carried forward" in n for n in idx.notes)


# ----------------------------------------------------------------------------- validation


def test_repository_supply_table_is_valid_and_marked_approximate() -> None:
    table = load_supply()
    assert SUPPLY_CSV.name == "crypto_supply.csv"
    assert set(TICKERS) <= set(table.index)
    assert (table["circulating_supply"] > 0).all()
    assert table["note"].str.contains("approximate").all()
    assert table["source"].str.len().gt(0).all()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "supply.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("ticker,circulating_supply,as_of,source\nBTC-USD,1,2025-12-01,x\n", "lacks column"),
        (
            "ticker,circulating_supply,as_of,source,note\nBTC-USD,0,2025-12-01,x,y\n",
            "BTC-USD must be a positive",
        ),
        (
            "ticker,circulating_supply,as_of,source,note\nETH-USD,-5,2025-12-01,x,y\n",
            "ETH-USD must be a positive",
        ),
        ("ticker,circulating_supply,as_of,source,note\nSOL-USD,abc,2025-12-01,x,y\n", "SOL-USD"),
        (
            "ticker,circulating_supply,as_of,source,note\nBTC-USD,1,2025-12-01,x,y\nBTC-USD,2,2025-12-01,x,y\n",
            "listed twice",
        ),
        ("ticker,circulating_supply,as_of,source,note\n../x,1,2025-12-01,x,y\n", "malformed ticker"),
    ],
)
def test_load_supply_rejects_bad_tables(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_supply(_write(tmp_path, text))


def test_load_supply_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_supply(tmp_path / "nope.csv")


def test_ticker_without_supply_is_named() -> None:
    with pytest.raises(ConfigError, match="no circulating supply for XRP-USD"):
        cd20_proxy(_hand_frame(), {k: v for k, v in SUPPLY.items() if k != "XRP-USD"})


def test_non_positive_supply_mapping_is_named() -> None:
    with pytest.raises(ConfigError, match="supply of ETH-USD"):
        cd20_proxy(_hand_frame(), {**SUPPLY, "ETH-USD": 0.0})


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (pd.DataFrame(index=pd.DatetimeIndex([], name="Date")), {}, "crypto_daily is empty"),
        (_hand_frame(), {"tickers": ["BTC-USD", "DOGE-USD"]}, "DOGE-USD"),
        (_hand_frame(), {"base": 0}, "base"),
    ],
)
def test_index_rejects_bad_input(frame: pd.DataFrame, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        cd20_proxy(frame, SUPPLY, **kwargs)  # type: ignore[arg-type]


def test_cd20_weightings_capped_uncapped_equal() -> None:
    days = pd.date_range("2025-01-01", "2025-07-31", freq="D", name="Date")
    rng = np.random.default_rng(12)
    crypto = pd.DataFrame(
        {t: 100.0 * np.exp(np.cumsum(rng.normal(0, 0.03, len(days)))) for t in TICKERS}, index=days
    )
    supply = {"BTC-USD": 20e6, "ETH-USD": 1e6, "SOL-USD": 2e5, "XRP-USD": 1e5}
    out = cd20_weightings(crypto, supply)
    assert list(out) == ["capped", "uncapped", "equal"]
    pd.testing.assert_series_equal(out["capped"].level, cd20_proxy(crypto, supply).level)
    pd.testing.assert_series_equal(out["equal"].level, equal_weight_index(crypto).level)
    # Uncapped: plain market-cap weights at each rebalance (BTC ~94% at inception).
    first = out["uncapped"].weights.iloc[0]
    mcap = crypto.iloc[0] * pd.Series(supply)
    np.testing.assert_allclose(first.to_numpy(), (mcap / mcap.sum()).to_numpy(), atol=1e-12)
    assert out["uncapped"].label != out["capped"].label
    assert out["uncapped"].notes[0].startswith("Uncapped market-cap weights")
