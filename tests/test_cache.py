"""Tests of analysis.cache: checksummed, atomic, never-shrinking raw cache."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cache import MANIFEST_NAME, RawCache
from analysis.errors import CacheError, ConfigError

FETCHED_AT = pd.Timestamp("2024-07-01 22:00", tz="UTC")
START = pd.Timestamp("2024-01-02")
END = pd.Timestamp("2024-01-31")


def raw_frame(start: str = "2024-01-02", periods: int = 20, *, seed: int = 0) -> pd.DataFrame:
    """A raw frame of business days with OHLCV columns."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, periods=periods, name="Date")
    close = 10.0 + rng.standard_normal(periods).cumsum()
    return pd.DataFrame(
        {
            "Open": close,
            "High": close + 1.0,
            "Low": close - 1.0,
            "Close": close,
            "Volume": rng.integers(1_000, 2_000, periods).astype(float),
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
    path = tmp_path / "HUT.parquet"
    assert entry["file"] == "HUT.parquet"
    assert entry["source"] == "yahoo"
    assert entry["yfinance_version"] == "1.7.0"
    assert entry["fetched_at"] == "2024-07-01T22:00:00+00:00"
    assert (entry["requested_start"], entry["requested_end"]) == ("2024-01-02", "2024-01-31")
    assert entry["rows"] == len(df)
    assert (entry["first_date"], entry["last_date"]) == ("2024-01-02", "2024-01-29")
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["extra"] == {"interval": "1d"}
    assert cache.tickers() == ["HUT"]


def test_absent_ticker(tmp_path: Path) -> None:
    cache = RawCache(tmp_path / "not-yet")
    assert cache.read("HUT") is None
    assert cache.entry("HUT") is None
    assert not cache.covers("HUT", START, END)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-01-02", "2024-01-31", True),
        ("2024-01-10", "2024-01-20", True),
        ("2024-01-01", "2024-01-31", False),
        ("2024-01-02", "2024-02-01", False),
    ],
)
def test_covers_uses_requested_range(tmp_path: Path, start: str, end: str, expected: bool) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    assert cache.covers("HUT", pd.Timestamp(start), pd.Timestamp(end)) is expected


def test_index_ticker_file_name(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "^NDX", raw_frame())
    assert (tmp_path / "_NDX.parquet").exists()
    assert cache.read("^NDX") is not None


def test_malformed_ticker_never_becomes_a_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="malformed ticker"):
        write(RawCache(tmp_path), "../x", raw_frame())


def test_flipped_bytes_detected(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    path = tmp_path / "HUT.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CacheError, match=r"HUT: checksum mismatch .*HUT\.parquet"):
        cache.read("HUT")


def test_tampered_checksum_detected(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    doc = json.loads(cache.manifest_path.read_text(encoding="utf-8"))
    doc["entries"]["HUT"]["sha256"] = "0" * 64
    cache.manifest_path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CacheError, match=r"HUT: checksum mismatch .*HUT\.parquet"):
        cache.read("HUT")


def test_unreadable_parquet_with_matching_checksum(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    path = tmp_path / "HUT.parquet"
    garbage = b"not a parquet file"
    path.write_bytes(garbage)
    doc = json.loads(cache.manifest_path.read_text(encoding="utf-8"))
    doc["entries"]["HUT"]["sha256"] = hashlib.sha256(garbage).hexdigest()
    cache.manifest_path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CacheError, match=r"HUT: unreadable Parquet cache file .*HUT\.parquet"):
        cache.read("HUT")


def test_manifest_entry_without_file(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    (tmp_path / "HUT.parquet").unlink()
    with pytest.raises(CacheError, match=r"HUT: manifest .* lists .*HUT\.parquet but the file is missing"):
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
    before = (tmp_path / "HUT.parquet").read_bytes(), cache.manifest_path.read_bytes()
    empty = raw_frame().iloc[:0]
    result = write(cache, "HUT", empty)
    assert not result.written and "empty frame" in result.reason
    all_nan = raw_frame().assign(Close=np.nan)
    assert not write(cache, "HUT", all_nan).written
    assert ((tmp_path / "HUT.parquet").read_bytes(), cache.manifest_path.read_bytes()) == before


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
    before = (tmp_path / "HUT.parquet").read_bytes()
    result = write(cache, "HUT", shrink(raw_frame()), requested_start=START, requested_end=END)
    assert not result.written
    assert "refusing to replace" in result.reason and "HUT.parquet" in result.reason
    assert (tmp_path / "HUT.parquet").read_bytes() == before
    assert result.entry is not None and result.entry.rows == len(raw_frame())


def test_longer_frame_replaces_cache(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    longer = raw_frame(periods=30)
    assert write(cache, "HUT", longer, requested_end=pd.Timestamp("2024-02-12")).written
    got = cache.read("HUT")
    assert got is not None and len(got) == len(longer)
    assert cache.covers("HUT", START, pd.Timestamp("2024-02-12"))


def test_corrupt_file_may_be_replaced(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    (tmp_path / "HUT.parquet").write_bytes(b"junk")
    assert write(cache, "HUT", raw_frame().iloc[:5]).written
    got = cache.read("HUT")
    assert got is not None and len(got) == 5


def test_rows_outside_requested_range_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"HUT: 1 rows lie outside the requested range"):
        write(RawCache(tmp_path), "HUT", raw_frame(periods=23))
    with pytest.raises(ConfigError, match=r"requested_start .* is after requested_end"):
        write(RawCache(tmp_path), "HUT", raw_frame(), requested_start=END, requested_end=START)


def test_atomic_writes_leave_no_temp_files(tmp_path: Path) -> None:
    cache = RawCache(tmp_path)
    for seed in range(3):
        write(cache, "HUT", raw_frame(seed=seed))
        write(cache, "CIFR", raw_frame(seed=seed))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CIFR.parquet", "HUT.parquet", MANIFEST_NAME]


def test_failed_replace_keeps_old_file_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = RawCache(tmp_path)
    write(cache, "HUT", raw_frame())
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir())

    def boom(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write(cache, "HUT", raw_frame(periods=20, seed=1))
    monkeypatch.undo()
    assert sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir()) == before
    assert cache.read("HUT") is not None
