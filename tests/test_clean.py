"""Cleaning on tiny named frames: weekend crypto, duplicates, splits, spikes, pre-listing."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.calendar import sessions
from analysis.clean import CleanConfig, clean_panel, read_processed, write_outputs
from analysis.errors import (
    ConfigError,
    DataQualityError,
    DataQualityWarning,
    ExcludedRangeWarning,
    PreListingWarning,
    SplitRepairedWarning,
)
from analysis.schema import RawPanel
from analysis.universe import Universe

START, END = pd.Timestamp("2024-01-02"), pd.Timestamp("2024-03-28")


def _equity(
    seed: int, start: pd.Timestamp = START, end: pd.Timestamp = END, vol: float = 0.01, level: float = 100.0
) -> pd.DataFrame:
    idx = sessions(start, end)
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0, vol, len(idx))))
    return pd.DataFrame({"Close": close}, index=idx)


def _crypto(seed: int) -> pd.DataFrame:
    idx = pd.date_range(START - pd.Timedelta(days=1), END, freq="D", name="Date")
    rng = np.random.default_rng(seed)
    close = 40000 * np.exp(np.cumsum(rng.normal(0, 0.02, len(idx))))
    return pd.DataFrame({"Close": close}, index=idx)


def _panel(**frames: pd.DataFrame) -> RawPanel:
    return RawPanel(frames={k.replace("_", "-"): v for k, v in frames.items()}, source="test")


def _run(panel: RawPanel, uni: Universe, **kw: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return clean_panel(panel, config=CleanConfig(start=START, end=END, **kw), universe=uni)  # type: ignore[arg-type]


def test_weekend_crypto_compounds_into_next_session(tiny_universe: Universe) -> None:
    btc = _crypto(1)
    res = _run(_panel(BTC_USD=btc, AAA=_equity(2), BBB=_equity(3), CCC=_equity(4)), tiny_universe)
    assert not (res.prices.index.day_of_week >= 5).any(), "weekend dates in the aligned panel"
    mon = pd.Timestamp("2024-01-08")  # Monday; previous session Friday 2024-01-05
    expected = np.log(btc.loc[mon, "Close"] / btc.loc[pd.Timestamp("2024-01-05"), "Close"])
    daily = np.log(btc["Close"]).diff().loc["2024-01-06":"2024-01-08"].sum()
    assert res.returns.loc[mon, "BTC-USD"] == pytest.approx(expected)
    assert res.returns.loc[mon, "BTC-USD"] == pytest.approx(daily)
    # Holiday (MLK day 2024-01-15): Tuesday's return covers Sat..Tue.
    tue = pd.Timestamp("2024-01-16")
    assert res.returns.loc[tue, "BTC-USD"] == pytest.approx(
        np.log(btc["Close"]).diff().loc["2024-01-13":"2024-01-16"].sum()
    )
    assert res.returns["BTC-USD"].notna().all()
    # The raw 7-day series is kept.
    assert pd.Timestamp("2024-01-06") in res.crypto_daily.index
    assert res.crypto_daily.loc["2024-01-06", "BTC-USD"] == btc.loc["2024-01-06", "Close"]


def test_duplicate_dates_keep_last_and_are_reported(tiny_universe: Universe) -> None:
    a = _equity(5)
    dup = a.iloc[[10]].copy()
    dup["Close"] = 123.0
    raw = pd.concat([a.iloc[:11], dup, a.iloc[11:]])
    with pytest.warns(DataQualityWarning, match="duplicated dates"):
        res = clean_panel(
            _panel(AAA=raw, BBB=_equity(6), CCC=_equity(7)),
            config=CleanConfig(start=START, end=END),
            universe=tiny_universe,
        )
    d = a.index[10]
    assert res.prices.loc[d, "AAA"] == 123.0
    assert res.quality["AAA"].duplicates == [str(d.date())]


def test_unadjusted_split_is_repaired(tiny_universe: Universe) -> None:
    a = _equity(8)
    split_day = a.index[30]
    raw = a.copy()
    raw.loc[raw.index >= split_day, "Close"] /= 4  # 4:1 forward split, not adjusted
    with pytest.warns(SplitRepairedWarning, match="split-like jump"):
        res = clean_panel(
            _panel(AAA=raw, BBB=_equity(9), CCC=_equity(10)),
            config=CleanConfig(start=START, end=END),
            universe=tiny_universe,
        )
    q = res.quality["AAA"]
    assert q.splits_repaired and q.splits_repaired[0]["date"] == str(split_day.date())
    assert q.splits_repaired[0]["factor"] == pytest.approx(0.25)
    true_r = np.log(a["Close"]).diff()
    pd.testing.assert_series_equal(
        res.returns["AAA"].dropna(), true_r.reindex(res.returns.index).dropna(), check_names=False, atol=1e-12
    )


def test_basis_mixup_rows_are_rescaled(tiny_universe: Universe) -> None:
    a = _equity(11, level=0.7)
    raw = a.copy()
    mixed = a.index[40:42]
    raw.loc[mixed, "Close"] *= 15  # two rows on a 1:15 reverse-split basis
    with pytest.warns(SplitRepairedWarning, match="another price basis"):
        res = clean_panel(
            _panel(AAA=raw, BBB=_equity(12), CCC=_equity(13)),
            config=CleanConfig(start=START, end=END),
            universe=tiny_universe,
        )
    q = res.quality["AAA"]
    assert q.basis_repaired == [
        {
            "start": str(mixed[0].date()),
            "end": str(mixed[-1].date()),
            "factor": 15.0,
            "observed_ratio": pytest.approx(raw["Close"].iloc[40] / raw["Close"].iloc[39]),
        }
    ]
    np.testing.assert_allclose(res.prices["AAA"].to_numpy(), a["Close"].reindex(res.prices.index).to_numpy())


def test_spike_is_excluded_not_kept(tiny_universe: Universe) -> None:
    a = _equity(14)
    raw = a.copy()
    day = a.index[25]
    raw.loc[day, "Close"] *= 4.4  # one-day bad print that reverts
    with pytest.warns(ExcludedRangeWarning, match="spike"):
        res = clean_panel(
            _panel(AAA=raw, BBB=_equity(15), CCC=_equity(16)),
            config=CleanConfig(start=START, end=END),
            universe=tiny_universe,
        )
    assert np.isnan(res.prices.loc[day, "AAA"])
    assert res.quality["AAA"].ranges_excluded[0]["start"] == str(day.date())
    assert res.returns["AAA"].abs().max() < 0.1


def test_real_crash_is_kept_and_reported(tiny_universe: Universe) -> None:
    a = _equity(17)
    raw = a.copy()
    day = a.index[50]
    raw.loc[raw.index >= day, "Close"] *= 0.61  # a -39% crash that does not revert
    res = _run(_panel(AAA=raw, BBB=_equity(18), CCC=_equity(19)), tiny_universe)
    q = res.quality["AAA"]
    assert not q.splits_repaired and not q.ranges_excluded
    assert q.large_moves_kept[0]["date"] == str(day.date())
    assert res.returns.loc[day, "AAA"] < np.log(0.62)


def test_market_wide_halving_is_not_a_split(tiny_universe: Universe) -> None:
    frames = {t: _equity(s) for t, s in (("AAA", 20), ("BBB", 21), ("CCC", 22), ("DDD", 23))}
    day = frames["AAA"].index[30]
    for f in frames.values():
        f.loc[f.index >= day, "Close"] *= 0.5
    res = _run(_panel(**frames), tiny_universe)
    assert all(not res.quality[t].splits_repaired for t in frames)


def test_prelisting_rows_dropped_with_warning(tiny_universe: Universe) -> None:
    raw = _equity(23)
    with pytest.warns(PreListingWarning, match="NEW: dropped 6 pre-listing rows .*Oldco"):
        res = clean_panel(
            _panel(NEW=raw, AAA=_equity(24)), config=CleanConfig(start=START, end=END), universe=tiny_universe
        )
    assert res.prices["NEW"].first_valid_index() == pd.Timestamp("2024-01-10")
    assert res.quality["NEW"].prelisting_dropped == 6


def test_nonpositive_and_offcalendar_rows_rejected(tiny_universe: Universe) -> None:
    a = _equity(25)
    a.iloc[5, 0] = -1.0
    a.iloc[6, 0] = 0.0
    sat = pd.DataFrame({"Close": [100.0]}, index=pd.DatetimeIndex(["2024-01-06"], name="Date"))
    raw = pd.concat([a, sat]).sort_index()
    with pytest.warns(DataQualityWarning, match="non-positive"):
        res = clean_panel(
            _panel(AAA=raw, BBB=_equity(26)), config=CleanConfig(start=START, end=END), universe=tiny_universe
        )
    q = res.quality["AAA"]
    assert len(q.nonpositive_rejected) == 2
    assert q.off_calendar_dropped == ["2024-01-06"]
    assert q.missing_sessions == 2


def test_partial_last_row_dropped(tiny_universe: Universe) -> None:
    a = _equity(27)
    panel = _panel(AAA=a, BBB=_equity(28))
    panel.meta["AAA"] = {"captured_at": f"{END.date()}T15:00:00+00:00"}  # 10:00 New York, before the close
    with pytest.warns(DataQualityWarning, match="partial-day"):
        res = clean_panel(panel, config=CleanConfig(start=START, end=END), universe=tiny_universe)
    assert res.quality["AAA"].partial_rows_dropped == [str(END.date())]
    assert np.isnan(res.prices.loc[END, "AAA"])


def test_adj_close_preferred(tiny_universe: Universe) -> None:
    a = _equity(29)
    a["Adj Close"] = a["Close"] * 0.9
    res = _run(_panel(AAA=a, BBB=_equity(30)), tiny_universe)
    assert res.quality["AAA"].column_used == "Adj Close"
    assert res.prices["AAA"].iloc[0] == pytest.approx(a["Adj Close"].iloc[0])


@pytest.mark.parametrize("case", ["start_after_end", "nothing_left"])
def test_bad_input_errors(tiny_universe: Universe, case: str) -> None:
    if case == "start_after_end":
        with pytest.raises(ConfigError, match="start 2024-03-01 is after end 2024-02-01"):
            clean_panel(
                _panel(AAA=_equity(1)),
                config=CleanConfig(start=pd.Timestamp("2024-03-01"), end=pd.Timestamp("2024-02-01")),
                universe=tiny_universe,
            )
    else:
        idx = sessions(START, START + pd.Timedelta(days=2))
        empty = pd.DataFrame({"Close": np.full(len(idx), np.nan)}, index=idx)
        with pytest.raises(DataQualityError, match="no ticker has valid prices"):
            _run(_panel(AAA=empty), tiny_universe)


def test_outputs_roundtrip(tmp_path: Path, tiny_universe: Universe) -> None:
    res = _run(_panel(BTC_USD=_crypto(31), AAA=_equity(32), BBB=_equity(33)), tiny_universe)
    paths = write_outputs(res, tmp_path)
    assert {p.name for p in (tmp_path / "processed").iterdir()} == {
        "prices.parquet",
        "returns.parquet",
        "crypto_daily.parquet",
        "lows.parquet",
        "quality.json",
        "quality.md",
    }
    back = read_processed(tmp_path)
    pd.testing.assert_frame_equal(back.prices, res.prices, check_freq=False)
    pd.testing.assert_frame_equal(back.returns, res.returns, check_freq=False)
    q = json.loads(paths["quality_json"].read_text())
    assert set(q["tickers"]) == {"BTC-USD", "AAA", "BBB"}
    assert "# Data quality report" in paths["quality_md"].read_text()
    with pytest.raises(DataQualityError, match="run `python -m analysis clean`"):
        read_processed(tmp_path / "nowhere")
