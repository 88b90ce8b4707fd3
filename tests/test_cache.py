"""Tests of analysis.cache: content-addressed, checksummed, locked, never-shrinking raw cache."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock

from analysis import atomic
from analysis.cache import DIGEST_IN_NAME, MANIFEST_NAME, RawCache
from analysis.calendar import sessions
from analysis.errors import CacheError, ConfigError

FETCHED_AT = pd.Timestamp("2024-07-01 22:00", tz="UTC")
START = pd.Timestamp("2024-01-02")
END = pd.Timestamp("2024-01-31")


def raw_frame(start: str = "2024-01-02", end: str = "2024-01-31", *, seed: int = 0) -> pd.DataFrame:
    """A raw frame on the XNYS sessions of ``start..end`` with OHLCV columns."""
    rng = np.random.default_rng(seed)
    idx = pd.DatetimeIndex(sessions(start, end), name="Date")
    idx.freq = None
    close = 10.0 + rng.standard_normal(len(idx)).cumsum()
    return pd.DataFrame(
        {
            "Open": close,
            "High": close + 1.0,
            "Low": close - 1.0,
            "Close": close,
            "Volume": rng.integers(1_000, 2_000, len(idx)).astype(float),
        },
        index=idx,
    )


def write(cache: RawCache, ticker: str, df: pd.DataFrame, **kwargs: object):  # type: ignore[no-untyped-def]
    opts: dict[str, object] = {
        "source": "yahoo",
        "requested_start": START,
        "requested_end": END,
        "fetched_at": FETCHED_AT,
        "yfinance_version": "1.7.0",
    }
    opts.update(kwargs)
    return cache.write(ticker, df, **opts)  # type: ignore[arg-type]


def manifest(cache: RawCache) -> dict[str, dict[str, object]]:
    return json.loads(cache.manifest_path.read_text(encoding="utf-8"))["entries"]


def current_file(cache: RawCache, ticker: str) -> Path:
    path = cache.path_for(ticker)
    assert path is not None
    return path


def data_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.parquet"))


def test_roundtrip_and_manifest_fields(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    df = raw_frame()
    result = write(cache, "hut", df, extra={"interval": "1d"})
    assert result.written and result.ticker == "HUT"

    got = cache.read("HUT")
    assert got is not None
    pd.testing.assert_frame_equal(got, df, check_freq=False)
    assert got.index.name == "Date" and (got.dtypes == np.float64).all()

    entry = manifest(cache)["HUT"]
    path = current_file(cache, "HUT")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["file"] == f"HUT.{digest[:DIGEST_IN_NAME]}.parquet" == path.name
    assert entry["sha256"] == digest
    assert entry["source"] == "yahoo"
    assert entry["yfinance_version"] == "1.7.0"
    assert entry["fetched_at"] == "2024-07-01T22:00:00+00:00"
    assert (entry["requested_start"], entry["requested_end"]) == ("2024-01-02", "2024-01-31")
    assert entry["rows"] == len(df)
    assert (entry["first_date"], entry["last_date"]) == ("2024-01-02", "2024-01-31")
    assert entry["missing"] == [] and entry["confirmed_missing"] == []
    assert entry["extra"] == {"interval": "1d"}
    assert cache.tickers() == ["HUT"]


def test_absent_ticker(tmp_path: Path) -> None:
    cache = RawCache(tmp_path / "not-yet")
    assert cache.read("HUT") is None
    assert cache.entry("HUT") is None and cache.path_for("HUT") is None
    assert not cache.covers("HUT", START, END)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param("2024-01-02", "2024-01-31", True, id="exact"),
        pytest.param("2024-01-10", "2024-01-20", True, id="inside"),
        pytest.param("2023-12-29", "2024-01-31", False, id="earlier_start_never_requested"),
        pytest.param("2024-01-02", "2024-02-01", False, id="later_end"),
        pytest.param("2024-01-02", "2024-02-04", False, id="later_end_weekend"),
    ],
)
def test_covers_needs_every_expected_session(tmp_path: Path, start: str, end: str, expected: bool) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    assert cache.covers("HUT", pd.Timestamp(start), pd.Timestamp(end)) is expected


def test_covers_records_received_dates_not_the_request(tmp_path: Path) -> None:
    """A download with a hole, or that stops early, is not 'covered' (it is refetched later)."""
    cache = RawCache(tmp_path)
    df = raw_frame()
    hole = pd.Timestamp("2024-01-17")
    write(cache, "HUT", df.drop(hole).iloc[:-3])  # received up to 2024-01-26 of 01-02..01-31
    entry = cache.entry("HUT")
    assert entry is not None
    assert entry.missing == (hole,) and entry.last_date == pd.Timestamp("2024-01-26")
    assert cache.covers("HUT", START, pd.Timestamp("2024-01-16"))  # before the hole: fine
    assert not cache.covers("HUT", START, pd.Timestamp("2024-01-19"))  # the hole
    assert not cache.covers("HUT", pd.Timestamp("2024-01-22"), END)  # the short end
    assert list(entry.unreceived(START, END)) == [
        hole,
        *pd.to_datetime(["2024-01-29", "2024-01-30", "2024-01-31"]),
    ]


def test_gap_missing_in_a_second_download_is_confirmed(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    hole = pd.Timestamp("2024-01-17")
    write(cache, "HUT", raw_frame().drop(hole))
    assert not cache.covers("HUT", START, END)
    # The gap was downloaded again (2024-01-10..01-24) and is still missing: a real gap (a halt).
    again = write(
        cache,
        "HUT",
        raw_frame().drop(hole),
        downloaded=(pd.Timestamp("2024-01-10"), pd.Timestamp("2024-01-24")),
    )
    assert again.written and again.entry is not None and again.entry.confirmed_missing == (hole,)
    assert cache.covers("HUT", START, END)


def test_crypto_expects_every_calendar_day(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    days = pd.date_range("2024-01-01", "2024-01-14", freq="D", name="Date")
    df = pd.DataFrame({"Close": np.linspace(40_000, 42_000, len(days))}, index=days)
    write(
        cache, "BTC-USD", df.drop(pd.Timestamp("2024-01-06")), requested_start=days[0], requested_end=days[-1]
    )
    entry = cache.entry("BTC-USD")
    assert entry is not None and entry.missing == (pd.Timestamp("2024-01-06"),)  # a Saturday


def test_prelisting_dates_inside_the_request_are_covered(tmp_path: Path) -> None:
    """Dates requested before the first row are known empty (the ticker did not trade yet)."""
    cache = RawCache(tmp_path)
    write(cache, "ABTC", raw_frame("2024-01-16"), requested_start=START)
    assert cache.covers("ABTC", START, END)
    assert not cache.covers("ABTC", pd.Timestamp("2023-12-01"), END)


def test_version_1_manifest_is_read_then_upgraded(tmp_path: Path) -> None:
    df = raw_frame()
    payload = atomic.parquet_bytes(df)
    (tmp_path / "HUT.parquet").write_bytes(payload)
    v1 = {
        "version": 1,
        "entries": {
            "HUT": {
                "file": "HUT.parquet",
                "source": "yahoo",
                "fetched_at": "2024-07-01T22:00:00+00:00",
                "requested_start": "2024-01-02",
                "requested_end": "2024-01-31",
                "rows": len(df),
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        },
    }
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(v1))
    cache = RawCache(tmp_path)
    got = cache.read("HUT")
    assert got is not None and len(got) == len(df)
    assert not cache.covers("HUT", START, END)  # received dates unknown: refetch once
    assert write(cache, "HUT", df).written
    assert data_files(tmp_path) == [current_file(cache, "HUT").name] != ["HUT.parquet"]
    assert cache.covers("HUT", START, END) and json.loads(cache.manifest_path.read_text())["version"] == 2


def test_index_ticker_file_name(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "^NDX", raw_frame())
    assert current_file(cache, "^NDX").name.startswith("_NDX.")
    assert cache.read("^NDX") is not None


def test_malformed_ticker_never_becomes_a_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="malformed ticker"):
        write(RawCache(tmp_path), "../x", raw_frame())


def test_flipped_bytes_detected(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    path = current_file(cache, "HUT")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CacheError, match=r"HUT: checksum mismatch .*HUT\.[0-9a-f]{16}\.parquet"):
        cache.read("HUT")


def test_tampered_manifest_detected(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    doc = json.loads(cache.manifest_path.read_text(encoding="utf-8"))
    doc["entries"]["HUT"]["sha256"] = "0" * 64
    cache.manifest_path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CacheError, match=r"HUT: manifest .* names file 'HUT\.[0-9a-f]{16}\.parquet'"):
        cache.read("HUT")
    doc["entries"]["HUT"]["file"] = "../../etc/passwd"
    cache.manifest_path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CacheError, match=r"names file '\.\./\.\./etc/passwd'"):
        cache.read("HUT")


def test_unreadable_parquet_with_matching_checksum(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    garbage = b"not a parquet file"
    digest = hashlib.sha256(garbage).hexdigest()
    (tmp_path / cache.file_name("HUT", digest)).write_bytes(garbage)
    doc = json.loads(cache.manifest_path.read_text(encoding="utf-8"))
    doc["entries"]["HUT"].update(sha256=digest, file=cache.file_name("HUT", digest))
    cache.manifest_path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CacheError, match=r"HUT: unreadable Parquet cache file .*HUT\.[0-9a-f]{16}\.parquet"):
        cache.read("HUT")


def test_manifest_entry_without_file(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    current_file(cache, "HUT").unlink()
    with pytest.raises(
        CacheError, match=r"HUT: manifest .* lists .*HUT\..*\.parquet but the file is missing"
    ):
        cache.read("HUT")


def test_corrupt_manifest_named(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    cache.manifest_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CacheError, match=r"manifest .*manifest\.json is not valid JSON"):
        cache.read("HUT")
    # A write rebuilds the manifest rather than failing forever.
    assert write(cache, "CIFR", raw_frame()).written
    assert cache.tickers() == ["CIFR"]


def test_empty_frame_never_replaces_cache(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    before = current_file(cache, "HUT").read_bytes(), cache.manifest_path.read_bytes()
    empty = raw_frame().iloc[:0]
    result = write(cache, "HUT", empty)
    assert not result.written and "empty frame" in result.reason
    all_nan = raw_frame().assign(Close=np.nan)
    assert not write(cache, "HUT", all_nan).written
    assert not write(cache, "HUT", all_nan, rebase=True).written
    assert (current_file(cache, "HUT").read_bytes(), cache.manifest_path.read_bytes()) == before


@pytest.mark.parametrize(
    "shrink",
    [
        pytest.param(lambda df: df.iloc[:-3], id="fewer_rows"),
        pytest.param(lambda df: df.assign(Close=df["Close"].where(df.index.day != 10)), id="nan_close"),
        pytest.param(lambda df: df.iloc[5:], id="narrower_range"),
    ],
)
def test_shorter_frame_never_replaces_cache(tmp_path: Path, shrink) -> None:  # type: ignore[no-untyped-def]
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    before = current_file(cache, "HUT").read_bytes()
    result = write(cache, "HUT", shrink(raw_frame(seed=1)))
    assert not result.written
    assert "refusing to replace" in result.reason and "HUT." in result.reason
    assert current_file(cache, "HUT").read_bytes() == before
    assert result.entry is not None and result.entry.rows == len(raw_frame())
    # A re-download on a new price basis (Yahoo re-adjusted history) may replace it.
    rebased = write(cache, "HUT", shrink(raw_frame(seed=1)), rebase=True)
    assert rebased.written and cache.read("HUT") is not None


def test_longer_frame_replaces_cache_and_old_version_is_collected(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    old_name = current_file(cache, "HUT").name
    longer = raw_frame(end="2024-02-12")
    assert write(cache, "HUT", longer, requested_end=pd.Timestamp("2024-02-12")).written
    got = cache.read("HUT")
    assert got is not None and len(got) == len(longer)
    assert cache.covers("HUT", START, pd.Timestamp("2024-02-12"))
    assert data_files(tmp_path) == [current_file(cache, "HUT").name] and old_name not in data_files(tmp_path)


def test_corrupt_file_may_be_replaced(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    current_file(cache, "HUT").write_bytes(b"junk")
    assert write(cache, "HUT", raw_frame().iloc[:5]).written
    got = cache.read("HUT")
    assert got is not None and len(got) == 5


def test_rows_outside_requested_range_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"HUT: 1 rows lie outside the requested range"):
        write(RawCache(tmp_path), "HUT", raw_frame(end="2024-02-01"))
    with pytest.raises(ConfigError, match=r"requested_start .* is after requested_end"):
        write(RawCache(tmp_path), "HUT", raw_frame(), requested_start=END, requested_end=START)


def test_writes_leave_only_current_files(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    for seed in range(3):
        write(cache, "HUT", raw_frame(seed=seed))
        write(cache, "CIFR", raw_frame(seed=seed))
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = sorted(
        [current_file(cache, "HUT").name, current_file(cache, "CIFR").name, MANIFEST_NAME, ".lock"]
    )
    assert names == expected


def test_garbage_collection_spares_foreign_files(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "my data.parquet").write_bytes(b"x")  # not a name this cache writes
    (tmp_path / "CIFR.0123456789abcdef.parquet").write_bytes(b"orphan")
    (tmp_path / f"{atomic.TEMP_PREFIX}HUT.parquet.abc").write_bytes(b"leftover")
    (tmp_path / f"{atomic.TEMP_PREFIX}notes.txt.k2j4").write_bytes(b"someone else's write in progress")
    removed = {p.name for p in cache.collect_garbage()}
    assert removed == {"CIFR.0123456789abcdef.parquet", f"{atomic.TEMP_PREFIX}HUT.parquet.abc"}
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "my data.parquet").exists()
    assert (tmp_path / f"{atomic.TEMP_PREFIX}notes.txt.k2j4").exists()


def test_failed_replace_keeps_old_entry_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir())

    def boom(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="No space left"):
        write(cache, "HUT", raw_frame(seed=1))
    monkeypatch.undo()
    assert sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir()) == before
    pd.testing.assert_frame_equal(cache.read("HUT"), raw_frame(), check_freq=False)


def test_crash_between_data_file_and_manifest_keeps_old_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two-file problem: the data file is in place, the manifest switch never happens."""
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    real_replace = os.replace

    def crash_on_manifest(src: str, dst: str) -> None:
        if Path(dst).name == MANIFEST_NAME:
            raise KeyboardInterrupt("killed between the data file and the manifest")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_manifest)
    with pytest.raises(KeyboardInterrupt):
        write(cache, "HUT", raw_frame(seed=1))
    monkeypatch.undo()
    assert len(data_files(tmp_path)) == 2  # the orphan new version is there ...
    pd.testing.assert_frame_equal(cache.read("HUT"), raw_frame(), check_freq=False)  # ... but unused
    assert write(cache, "CIFR", raw_frame()).written  # the next writer collects it
    assert len(data_files(tmp_path)) == 2 and cache.read("HUT") is not None


def test_locked_directory_times_out_with_a_named_error(tmp_path: Path) -> None:
    cache = RawCache(tmp_path, lock_timeout=0.2)
    write(cache, "HUT", raw_frame())
    with FileLock(cache.lock_path):  # another writer (a separate lock object = another open file)
        with pytest.raises(CacheError, match=r"locked by another writer .*\.lock.*CIFR was not cached"):
            write(cache, "CIFR", raw_frame())
        assert cache.read("HUT") is not None  # readers take no lock


def test_reader_retries_when_a_writer_collects_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    other = RawCache(tmp_path)
    real_entry = RawCache.entry
    calls = {"n": 0}

    def entry_then_writer_runs(self: RawCache, ticker: str):  # type: ignore[no-untyped-def]
        got = real_entry(self, ticker)
        calls["n"] += 1
        if calls["n"] == 1:  # between the reader's manifest read and its file read
            write(other, "HUT", raw_frame(end="2024-02-05"), requested_end=pd.Timestamp("2024-02-05"))
        return got

    monkeypatch.setattr(RawCache, "entry", entry_then_writer_runs)
    got = cache.read("HUT")
    assert got is not None and got.index.max() == pd.Timestamp("2024-02-05")


def test_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        cache = RawCache(tmp_path / "c")
        write(cache, "HUT", raw_frame())
    finally:
        os.umask(old)
    assert current_file(cache, "HUT").stat().st_mode & 0o777 == 0o640
    assert cache.manifest_path.stat().st_mode & 0o777 == 0o640
    shutil.rmtree(tmp_path / "c")
