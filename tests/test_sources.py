"""Source selection: the auto fallback chain and strict mode (yahoo is replaced, no network)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import sources
from analysis.cache import RawCache
from analysis.config import raw_dir
from analysis.errors import ConfigError, DataFetchError, SyntheticDataWarning

START, END = pd.Timestamp("2024-01-02"), pd.Timestamp("2024-03-28")


@pytest.fixture
def yahoo_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise DataFetchError("all tickers failed: HUT: ConnectionError", {"HUT": "ConnectionError"})

    monkeypatch.setattr(sources, "_yahoo", fail)
    monkeypatch.delenv("MARKET_DATA_DIR", raising=False)


def test_unknown_source() -> None:
    with pytest.raises(ConfigError, match="unknown source 'bogus'"):
        sources.load_raw("bogus", ["HUT"], START, END)


def test_auto_falls_back_to_synthetic_loudly(yahoo_down: None, tmp_path: Path) -> None:
    with pytest.warns(SyntheticDataWarning, match="FALLING BACK TO SYNTHETIC"):
        panel = sources.load_raw("auto", ["HUT", "BTC-USD"], START, END, data_dir=tmp_path)
    assert panel.synthetic and panel.source == "synthetic"


def test_auto_strict_never_falls_back(yahoo_down: None, tmp_path: Path) -> None:
    with pytest.raises(DataFetchError, match="HUT"):
        sources.load_raw("auto", ["HUT"], START, END, data_dir=tmp_path, strict=True)


def test_auto_uses_cache_when_live_fails(yahoo_down: None, tmp_path: Path) -> None:
    idx = pd.bdate_range(START, END, name="Date")
    df = pd.DataFrame({"Close": np.linspace(10, 12, len(idx))}, index=idx)
    RawCache(raw_dir(tmp_path)).write(
        "HUT",
        df,
        source="yahoo",
        requested_start=START,
        requested_end=END,
        fetched_at=pd.Timestamp("2024-04-01", tz="UTC"),
    )
    with pytest.warns(UserWarning, match="using cached data for HUT"):
        panel = sources.load_raw("auto", ["HUT"], START, END, data_dir=tmp_path)
    assert panel.source == "cache" and not panel.synthetic
    assert panel.frames["HUT"]["Close"].iloc[-1] == pytest.approx(12.0)


def test_auto_uses_snapshot_dir_when_configured(yahoo_down: None, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    (snap / "HUT.csv").write_text("Date,Close\n2024-01-02,10\n2024-01-03,11\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        panel = sources.load_raw("auto", ["HUT"], START, END, data_dir=tmp_path, snapshot_dir=snap)
    assert panel.source == "snapshot" and list(panel.frames) == ["HUT"]


def test_snapshot_needs_a_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKET_DATA_DIR", raising=False)
    with pytest.raises(ConfigError, match="--snapshot-dir"):
        sources.load_raw("snapshot", ["HUT"], START, END)


@pytest.mark.parametrize(
    ("start", "end", "match"),
    [
        ("2025-02-01", "2025-01-01", "start 2025-02-01 is after end 2025-01-01"),
        ("yesterday-ish", "2025-01-01", "start date 'yesterday-ish' is not a date"),
    ],
)
def test_parse_date_range_errors(start: str, end: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        sources.parse_date_range(start, end)


def test_failure_summary_groups_tickers_by_reason() -> None:
    exc = DataFetchError(
        "x", {"HUT": "Failed to get ticker 'HUT': DNS", "IREN": "Failed to get ticker 'IREN': DNS"}
    )
    assert sources.summarise_failures(exc) == "HUT, IREN: Failed to get ticker '<ticker>': DNS"
