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
from analysis.errors import (
    ConfigError,
    DataFetchError,
    DataQualityError,
    StaleDataWarning,
    SyntheticDataWarning,
)

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
    with pytest.warns(
        UserWarning, match=r"live Yahoo data unavailable \(HUT: ConnectionError\); using cached data for HUT"
    ):
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


def test_failure_summary_groups_tickers_by_reason_untruncated() -> None:
    long = "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. " * 4
    exc = DataFetchError(
        "x",
        {
            "HUT": f"Failed to get ticker 'HUT' reason: {long}",
            "IREN": f"Failed to get ticker 'IREN' reason: {long}",
            "BTC-USD": "possibly delisted; no price data found",
        },
    )
    text = sources.summarise_failures(exc)
    assert text == (
        f"HUT, IREN: Failed to get ticker '<ticker>' reason: {long.strip()}; "
        "BTC-USD: possibly delisted; no price data found"
    )


OFFLINE = "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com."


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """The real YahooSource with yfinance offline: DNS errors logged, nothing returned, no sleep allowed."""
    import logging

    from analysis import fetch

    calls: list[dict[str, object]] = []
    log = logging.getLogger("yfinance")

    def download(**kwargs: object) -> pd.DataFrame:
        calls.append(kwargs)
        for t in kwargs["tickers"]:  # type: ignore[attr-defined]
            log.error(f"Failed to get ticker '{t}' reason: {OFFLINE}")
        return pd.DataFrame()

    def no_sleep(seconds: float) -> None:
        pytest.fail(f"slept {seconds} s while offline")

    monkeypatch.setattr(fetch.yf, "download", download)
    monkeypatch.setattr(fetch.time, "sleep", no_sleep)
    monkeypatch.delenv("MARKET_DATA_DIR", raising=False)
    return calls


def test_offline_auto_falls_back_at_once_with_one_untruncated_reason(
    offline: list[dict[str, object]], tmp_path: Path
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = sources.load_raw("auto", ["HUT", "IREN", "BTC-USD"], START, END, data_dir=tmp_path)
    assert panel.synthetic and len(offline) == 1
    fallback = [str(w.message) for w in caught if "live Yahoo data unavailable" in str(w.message)]
    assert len(fallback) == 1
    assert f"(HUT, IREN, BTC-USD: no network, nothing downloaded: {OFFLINE})" in fallback[0]


def test_any_yfinance_exception_lets_the_auto_chain_continue(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from analysis import fetch

    def broken(**kwargs: object) -> None:
        raise KeyError("chart")

    monkeypatch.setattr(fetch.yf, "download", broken)
    monkeypatch.delenv("MARKET_DATA_DIR", raising=False)
    with pytest.warns(SyntheticDataWarning, match=r"HUT: yf\.download\(HUT, .*\) raised KeyError: 'chart'"):
        panel = sources.load_raw("auto", ["HUT"], START, END, data_dir=tmp_path)
    assert panel.synthetic


def _cache_hut(tmp_path: Path, last: str) -> None:
    idx = pd.bdate_range(START, last, name="Date")
    df = pd.DataFrame({"Close": np.linspace(10, 12, len(idx))}, index=idx)
    RawCache(raw_dir(tmp_path)).write(
        "HUT",
        df,
        source="yahoo",
        requested_start=START,
        requested_end=pd.Timestamp(last),
        fetched_at=pd.Timestamp("2024-04-01", tz="UTC"),
    )


NOW = pd.Timestamp("2024-04-02 22:00", tz="UTC")  # after the close of 2024-04-02


def test_stale_cache_is_said_with_ticker_and_last_date(
    offline: list[dict[str, object]], tmp_path: Path
) -> None:
    _cache_hut(tmp_path, "2024-03-15")
    with (
        pytest.warns(StaleDataWarning, match=r"HUT: data end 2024-03-15, 9 sessions before 2024-03-28"),
        pytest.warns(UserWarning, match=r"live Yahoo download failed for 1 ticker.*HUT: could not download"),
    ):
        panel = sources.load_raw("auto", ["HUT"], START, END, data_dir=tmp_path, now=NOW)
    assert panel.tickers == ["HUT"]
    meta = panel.meta["HUT"]
    assert (meta["last_date"], meta["expected_through"]) == ("2024-03-15", "2024-03-28")
    assert "data end 2024-03-15" in meta["stale"]
    assert "Could not resolve host" in meta["download_error"]


@pytest.mark.parametrize("source", ["auto", "yahoo"])
def test_strict_never_returns_stale_data(
    offline: list[dict[str, object]], tmp_path: Path, source: str
) -> None:
    _cache_hut(tmp_path, "2024-03-15")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(
            DataQualityError, match=r"--strict: 1 ticker\(s\) do not cover .*HUT: data end 2024-03-15"
        ):
            sources.load_raw(source, ["HUT"], START, END, data_dir=tmp_path, strict=True, now=NOW)


def test_strict_refuses_a_stale_snapshot(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    (snap / "HUT.csv").write_text("Date,Close\n2024-01-02,10\n2024-01-03,11\n")
    days = pd.date_range("2024-01-01", "2024-03-28", freq="D")
    (snap / "BTC-USD.csv").write_text(
        "Date,Close\n" + "".join(f"{d.date()},{40000 + i}\n" for i, d in enumerate(days))
    )
    with pytest.raises(DataQualityError, match=r"HUT: data end 2024-01-03") as info:
        sources.load_raw("snapshot", ["HUT", "BTC-USD"], START, END, snapshot_dir=snap, strict=True, now=NOW)
    assert "BTC-USD" not in str(info.value)
    with pytest.warns(StaleDataWarning, match=r"stale data for 1 ticker"):
        panel = sources.load_raw("snapshot", ["HUT", "BTC-USD"], START, END, snapshot_dir=snap, now=NOW)
    assert (
        panel.meta["BTC-USD"]["stale"] is None and panel.meta["BTC-USD"]["expected_through"] == "2024-03-28"
    )


def test_future_end_expects_only_completed_dates(tmp_path: Path) -> None:
    """A request running past `now` expects data only up to the last complete date."""
    _cache_hut(tmp_path, "2024-03-28")
    panel = sources.load_raw(
        "auto",
        ["HUT"],
        START,
        pd.Timestamp("2024-06-30"),
        data_dir=tmp_path,
        now=pd.Timestamp("2024-03-29 12:00", tz="UTC"),
    )  # Good Friday: no session
    assert panel.meta["HUT"]["stale"] is None and panel.meta["HUT"]["expected_through"] == "2024-03-28"
