"""Cleaning on tiny named frames: weekend crypto, duplicates, splits, spikes, pre-listing."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.calendar import sessions
from analysis.clean import CURRENT_NAME, PANEL_FILES, CleanConfig, clean_panel, read_processed, write_outputs
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
    res = _run(_panel(BTC_USD=_crypto(31), AAA=_ohlc(_equity(32)), BBB=_equity(33)), tiny_universe)
    paths = write_outputs(res, tmp_path)
    processed = tmp_path / "processed"
    current = json.loads((processed / CURRENT_NAME).read_text())
    panel_dir = processed / current["dir"]
    assert {p.name for p in processed.iterdir()} == {CURRENT_NAME, ".lock", current["dir"]}
    assert {p.name for p in panel_dir.iterdir()} == set(PANEL_FILES.values())
    assert all(path.parent == panel_dir for path in paths.values()) and set(paths) == set(PANEL_FILES)
    back = read_processed(tmp_path)
    for name in ("prices", "returns", "lows", "highs", "crypto_daily"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(res, name), check_freq=False)
    assert back.summary == res.summary and back.quality.keys() == res.quality.keys()
    q = json.loads(paths["quality_json"].read_text())
    assert set(q["tickers"]) == {"BTC-USD", "AAA", "BBB"}
    assert "# Data quality report" in paths["quality_md"].read_text()
    with pytest.raises(
        DataQualityError, match=r"no published panel in .*nowhere.*run `python -m analysis clean`"
    ):
        read_processed(tmp_path / "nowhere")


def _ohlc(frame: pd.DataFrame, spread: float = 0.02) -> pd.DataFrame:
    out = frame.copy()
    out["High"] = out["Close"] * (1 + spread)
    out["Low"] = out["Close"] * (1 - spread)
    return out


def test_highs_follow_the_repaired_basis_like_lows(tiny_universe: Universe) -> None:
    a = _ohlc(_equity(40))
    split_day = a.index[30]
    raw = a.copy()
    raw.loc[raw.index >= split_day, ["Close", "High", "Low"]] /= 4  # an unadjusted 4:1 split
    res = _run(_panel(AAA=raw, BBB=_equity(41), CCC=_equity(42)), tiny_universe)
    assert list(res.highs.columns) == ["AAA"] == list(res.lows.columns)  # no High column: absent
    pd.testing.assert_index_equal(res.highs.index, res.prices.index)
    np.testing.assert_allclose(res.highs["AAA"], res.prices["AAA"] * 1.02, rtol=1e-12)
    np.testing.assert_allclose(res.lows["AAA"], res.prices["AAA"] * 0.98, rtol=1e-12)


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_nonfinite_prices_excluded_and_named(tiny_universe: Universe, bad: float) -> None:
    a = _ohlc(_equity(43))
    day = a.index[12]
    a.loc[day, "Close"] = bad
    a.loc[a.index[14], "High"] = np.inf
    with pytest.warns(
        DataQualityWarning, match=rf"AAA: rejected 1 non-finite prices \(inf/-inf\): {day.date()}"
    ):
        res = clean_panel(
            _panel(AAA=a, BBB=_equity(44), CCC=_equity(45)),
            config=CleanConfig(start=START, end=END),
            universe=tiny_universe,
        )
    assert res.quality["AAA"].nonfinite_rejected == [str(day.date())]
    assert np.isnan(res.prices.loc[day, "AAA"]) and np.isfinite(res.returns["AAA"].dropna()).all()
    assert np.isnan(res.highs.loc[a.index[14], "AAA"])
    assert any("non-finite" in line for line in res.quality["AAA"].issues())


def test_reader_never_mixes_two_panels(tmp_path: Path, tiny_universe: Universe) -> None:
    first = _run(_panel(AAA=_equity(50), BBB=_equity(51)), tiny_universe)
    second = _run(_panel(AAA=_equity(52), BBB=_equity(53)), tiny_universe)
    old_paths = write_outputs(first, tmp_path)
    new_paths = write_outputs(second, tmp_path)
    assert old_paths["prices"].exists()  # the previous panel is kept for readers still on it
    pd.testing.assert_frame_equal(read_processed(tmp_path).prices, second.prices, check_freq=False)
    write_outputs(first, tmp_path)
    assert not old_paths["prices"].exists() and new_paths["prices"].exists()  # older ones are removed


@pytest.mark.parametrize("damage", ["modified", "missing", "pointer"])
def test_damaged_panel_is_refused_naming_the_directory(
    tmp_path: Path, tiny_universe: Universe, damage: str
) -> None:
    paths = write_outputs(_run(_panel(AAA=_equity(54), BBB=_equity(55)), tiny_universe), tmp_path)
    if damage == "modified":
        paths["prices"].write_bytes(paths["prices"].read_bytes()[:-10])
        match = r"cleaned panel .*panel-.* is incomplete or was modified: prices\.parquet"
    elif damage == "missing":
        paths["returns"].unlink()
        match = r"cleaned panel .*panel-.* is incomplete \(.*returns\.parquet is missing\)"
    else:
        (tmp_path / "processed" / CURRENT_NAME).write_text("{half")
        match = r"CURRENT\.json is not valid JSON"
    with pytest.raises(DataQualityError, match=match):
        read_processed(tmp_path)


def test_label_mismatch_is_refused(tmp_path: Path, tiny_universe: Universe) -> None:
    """The pointer says Yahoo, the panel says synthetic: never read as market data."""
    write_outputs(_run(_panel(AAA=_equity(56), BBB=_equity(57)), tiny_universe), tmp_path)
    pointer_path = tmp_path / "processed" / CURRENT_NAME
    pointer = json.loads(pointer_path.read_text())
    pointer["source"] = "yahoo"
    pointer_path.write_text(json.dumps(pointer))
    with pytest.raises(DataQualityError, match=r"labelled 'test' .* says 'yahoo'"):
        read_processed(tmp_path)


def test_legacy_loose_files_are_not_read_and_are_replaced(tmp_path: Path, tiny_universe: Universe) -> None:
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "prices.parquet").write_bytes(b"old")
    (processed / "notes.txt").write_text("mine")
    with pytest.raises(DataQualityError, match=r"written by an older version .*prices\.parquet"):
        read_processed(tmp_path)
    write_outputs(_run(_panel(AAA=_equity(58), BBB=_equity(59)), tiny_universe), tmp_path)
    assert not (processed / "prices.parquet").exists() and (processed / "notes.txt").exists()


def test_publication_spares_files_beside_the_panel(tmp_path: Path, tiny_universe: Universe) -> None:
    """Fundamentals are written beside the panel by another module: never touched."""
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "fundamentals.parquet").write_bytes(b"theirs")
    (processed / ".tmp-fundamentals.parquet.q1w2e3r4").write_bytes(b"their write in progress")
    (processed / ".tmp-CURRENT.json.a1b2c3d4").write_bytes(b"a killed publication")
    write_outputs(_run(_panel(AAA=_equity(68), BBB=_equity(69)), tiny_universe), tmp_path)
    names = {p.name for p in processed.iterdir()}
    assert {"fundamentals.parquet", ".tmp-fundamentals.parquet.q1w2e3r4"} <= names
    assert ".tmp-CURRENT.json.a1b2c3d4" not in names


def test_failed_publication_keeps_the_previous_panel(
    tmp_path: Path, tiny_universe: Universe, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _run(_panel(AAA=_equity(60), BBB=_equity(61)), tiny_universe)
    write_outputs(first, tmp_path)
    from analysis import atomic

    real = atomic.write_bytes
    calls = {"n": 0}

    def disk_full_on_third(path: Path, payload: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real(path, payload)

    monkeypatch.setattr(atomic, "write_bytes", disk_full_on_third)
    with pytest.raises(OSError, match=r"cannot publish the cleaned panel in .*processed: No space left"):
        write_outputs(_run(_panel(AAA=_equity(62), BBB=_equity(63)), tiny_universe), tmp_path)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(read_processed(tmp_path).prices, first.prices, check_freq=False)
    assert len([p for p in (tmp_path / "processed").iterdir() if p.is_dir()]) == 1  # partial one removed


def test_published_files_follow_the_umask(tmp_path: Path, tiny_universe: Universe) -> None:
    import os

    old = os.umask(0o002)
    try:
        paths = write_outputs(_run(_panel(AAA=_equity(64), BBB=_equity(65)), tiny_universe), tmp_path)
    finally:
        os.umask(old)
    assert {p.stat().st_mode & 0o777 for p in paths.values()} == {0o664}
    assert (tmp_path / "processed" / CURRENT_NAME).stat().st_mode & 0o777 == 0o664


def test_source_findings_reach_the_quality_report(tiny_universe: Universe) -> None:
    panel = _panel(AAA=_equity(66), BBB=_equity(67))
    panel.meta["AAA"] = {
        "stale": "AAA: data end 2024-03-15, 9 sessions before 2024-03-28",
        "history_revised": {"first_date": "2024-03-22", "action": "the whole history was downloaded again"},
        "cache_error": "OSError: [Errno 28] No space left on device",
    }
    res = _run(panel, tiny_universe)
    issues = "\n".join(res.quality["AAA"].issues())
    assert "stale: AAA: data end 2024-03-15" in issues
    assert "re-adjusted its history (first differing close 2024-03-22)" in issues
    assert "not cached: OSError: [Errno 28]" in issues
    assert res.quality["BBB"].issues() == []
