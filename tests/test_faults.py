"""Data faults: processes killed mid-write, concurrent writers, unwritable caches (no network).

The kills are real: writer processes are forked from the test process (so they start in
milliseconds, without re-importing pandas) and killed with SIGKILL at random instants or at
chosen points of a write. Every loop is bounded (seeded delays, a fixed number of rounds).
"""

from __future__ import annotations

import errno
import json
import multiprocessing as mp
import os
import signal
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis import atomic, fetch
from analysis.cache import MANIFEST_NAME, RawCache
from analysis.calendar import sessions
from analysis.clean import CleanResult, clean_panel, read_processed, write_outputs
from analysis.errors import CacheWriteWarning, DataQualityWarning
from analysis.fetch import YahooSource
from analysis.schema import RawPanel
from analysis.universe import Universe

FORK = mp.get_context("fork")
START, END = pd.Timestamp("2024-01-02"), pd.Timestamp("2024-03-28")
FETCHED_AT = pd.Timestamp("2024-04-01 22:00", tz="UTC")
NOW = pd.Timestamp("2024-04-01 22:00", tz="UTC")
#: Rounds of the random-kill loops and the longest delay before a kill (seconds).
KILL_ROUNDS = 12
MAX_KILL_DELAY = 0.25

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")


def frame(seed: int, start: pd.Timestamp = START, end: pd.Timestamp = END) -> pd.DataFrame:
    idx = pd.DatetimeIndex(sessions(start, end), name="Date")
    idx.freq = None
    close = 100.0 * np.exp(np.random.default_rng(seed).normal(0, 0.01, len(idx)).cumsum())
    return pd.DataFrame({"Open": close, "High": close * 1.01, "Low": close * 0.99, "Close": close}, index=idx)


#: Candidate cache contents; all the same length, so no write is refused as "shorter".
VERSIONS = [frame(seed) for seed in range(4)]


def version_of(df: pd.DataFrame | None) -> int:
    """Which of :data:`VERSIONS` ``df`` is (fails if it is none of them, i.e. a mixture)."""
    assert df is not None, "the entry vanished"
    for i, v in enumerate(VERSIONS):
        if len(df) == len(v) and np.array_equal(df["Close"].to_numpy(), v["Close"].to_numpy()):
            return i
    raise AssertionError("the cache holds a frame that is none of the versions written")


def write_version(cache: RawCache, ticker: str, i: int) -> None:
    cache.write(
        ticker,
        VERSIONS[i],
        source="yahoo",
        requested_start=START,
        requested_end=END,
        fetched_at=FETCHED_AT,
    )


def start_process(target: Callable[..., None], *args: Any) -> Any:
    proc = FORK.Process(target=target, args=args, daemon=True)
    proc.start()
    return proc


def kill(proc: Any) -> None:
    if proc.is_alive():
        os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=10)


# --------------------------------------------------------------------------- raw cache


def _cache_writer_forever(directory: Path, first: int) -> None:
    cache = RawCache(directory)
    i = first
    while True:
        write_version(cache, "HUT", i % len(VERSIONS))
        write_version(cache, "CIFR", (i + 1) % len(VERSIONS))
        i += 1


def test_cache_survives_sigkill_at_random_instants(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    cache = RawCache(tmp_path)
    write_version(cache, "HUT", 0)
    write_version(cache, "CIFR", 0)
    seen: set[tuple[int, int]] = set()
    for round_ in range(KILL_ROUNDS):
        proc = start_process(_cache_writer_forever, tmp_path, round_)
        time.sleep(float(rng.uniform(0.0, MAX_KILL_DELAY)))
        kill(proc)
        assert proc.exitcode == -signal.SIGKILL
        # Either the old or a new entry, never an unreadable ticker or a mixture.
        seen.add((version_of(cache.read("HUT")), version_of(cache.read("CIFR"))))
        json.loads(cache.manifest_path.read_text())
    assert len(seen) >= 2, "the writer never got to switch an entry: the kills tested nothing"
    cache.collect_garbage()
    names = {p.name for p in tmp_path.iterdir()}
    referenced = {cache.path_for("HUT").name, cache.path_for("CIFR").name}  # type: ignore[union-attr]
    assert names == referenced | {MANIFEST_NAME, atomic.LOCK_NAME}


def _write_then_die_at(directory: Path, point: str, nth: int) -> None:
    """Write version 1 of HUT, SIGKILL-ing this process at the ``nth`` call of ``point``."""
    calls = {"n": 0}

    def die_if_due(when: str) -> None:
        if when == point.split(":")[1] and calls["n"] == nth:
            os.kill(os.getpid(), signal.SIGKILL)

    real_replace, real_unlink = os.replace, Path.unlink
    name = point.split(":")[0]

    def replace(src: Any, dst: Any) -> None:
        if name == "replace":
            calls["n"] += 1
            die_if_due("before")
        real_replace(src, dst)
        if name == "replace":
            die_if_due("after")

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if name == "unlink":
            calls["n"] += 1
            die_if_due("before")
        real_unlink(self, missing_ok=missing_ok)

    os.replace = replace  # type: ignore[assignment]
    Path.unlink = unlink  # type: ignore[method-assign]
    write_version(RawCache(directory), "HUT", 1)


@pytest.mark.parametrize(
    ("point", "nth", "expected"),
    [
        pytest.param("replace:before", 1, 0, id="before_the_data_file"),
        pytest.param("replace:after", 1, 0, id="between_data_file_and_manifest"),
        pytest.param("replace:before", 2, 0, id="before_the_manifest_switch"),
        pytest.param("replace:after", 2, 1, id="after_the_switch_before_cleanup"),
        pytest.param("unlink:before", 1, 1, id="during_cleanup"),
    ],
)
def test_cache_kill_at_each_step_of_a_write(tmp_path: Path, point: str, nth: int, expected: int) -> None:
    cache = RawCache(tmp_path)
    write_version(cache, "HUT", 0)
    proc = start_process(_write_then_die_at, tmp_path, point, nth)
    proc.join(timeout=30)
    assert proc.exitcode == -signal.SIGKILL, "the kill point was never reached"
    assert version_of(cache.read("HUT")) == expected
    write_version(cache, "CIFR", 2)  # the next writer cleans up after the dead one
    names = {p.name for p in tmp_path.iterdir()}
    referenced = {cache.path_for("HUT").name, cache.path_for("CIFR").name}  # type: ignore[union-attr]
    assert names == referenced | {MANIFEST_NAME, atomic.LOCK_NAME}


def _write_tickers(directory: Path, tickers: list[str], go: Any) -> None:
    go.wait(10)
    cache = RawCache(directory)
    for round_ in range(2):
        for t in tickers:
            write_version(cache, t, round_ % len(VERSIONS))


def test_concurrent_writers_lose_no_manifest_entries(tmp_path: Path) -> None:
    groups = [[f"T{p}{k}" for k in range(6)] for p in range(3)]
    go = FORK.Event()
    procs = [start_process(_write_tickers, tmp_path, g, go) for g in groups]
    go.set()
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    cache = RawCache(tmp_path)
    assert cache.tickers() == sorted(t for g in groups for t in g)
    for t in cache.tickers():
        assert version_of(cache.read(t)) == 1


def yf_result(market: dict[str, pd.DataFrame], **kwargs: Any) -> pd.DataFrame:
    """A ``yf.download`` result (columns ``(Price, Ticker)``) served from ``market``."""
    lo, hi = pd.Timestamp(kwargs["start"]), pd.Timestamp(kwargs["end"])
    cols: dict[tuple[str, str], pd.Series] = {}
    for t in kwargs["tickers"]:
        part = market[t].loc[(market[t].index >= lo) & (market[t].index < hi)]
        cols.update({(c, t): part[c] for c in part.columns})
    out = pd.DataFrame(cols)
    out.columns = pd.MultiIndex.from_tuples(list(cols), names=["Price", "Ticker"])
    return out


def _fetch_in_process(directory: Path, tickers: list[str], go: Any) -> None:
    market = {t: frame(i) for i, t in enumerate(tickers)}
    fetch.yf.download = lambda **kw: yf_result(market, **kw)  # type: ignore[assignment]
    go.wait(10)
    YahooSource(RawCache(directory), progress=False, now=lambda: NOW, sleep=lambda s: None).load(
        tickers, START, END
    )


def test_concurrent_fetches_of_different_tickers_all_cached(tmp_path: Path) -> None:
    groups = [["HUT", "IREN", "WULF"], ["CIFR", "CORZ", "RIOT"], ["MARA", "CLSK", "BITF"]]
    go = FORK.Event()
    procs = [start_process(_fetch_in_process, tmp_path, g, go) for g in groups]
    go.set()
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    cache = RawCache(tmp_path)
    assert cache.tickers() == sorted(t for g in groups for t in g)
    assert all(cache.covers(t, START, END) for t in cache.tickers())


# --------------------------------------------------------------------------- unwritable cache


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, pd.DataFrame]:
    market = {"HUT": frame(1), "IREN": frame(2), "WULF": frame(3)}
    monkeypatch.setattr(fetch.yf, "download", lambda **kw: yf_result(market, **kw))
    return market


def _load(directory: Path, tickers: list[str]) -> Any:
    source = YahooSource(RawCache(directory), progress=False, now=lambda: NOW, sleep=lambda s: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = source.load(tickers, START, END)
    return panel, [w for w in caught if issubclass(w.category, CacheWriteWarning)]


def test_cache_in_a_non_directory_still_returns_the_download(
    tmp_path: Path, served: dict[str, pd.DataFrame]
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the cache directory should be")
    panel, caught = _load(blocker / "raw", ["HUT", "IREN", "WULF"])
    assert panel.tickers == ["HUT", "IREN", "WULF"] and panel.failed == {}
    np.testing.assert_allclose(panel.frames["HUT"]["Close"], served["HUT"]["Close"])
    assert len(caught) == 1  # said once per run, naming the directory, not a traceback
    message = str(caught[0].message)
    assert f"cannot write the raw cache {blocker / 'raw'}" in message and "HUT, IREN, WULF" in message
    assert all(str(blocker) in panel.meta[t]["cache_error"] for t in panel.tickers)


def test_full_disk_still_returns_the_download(
    tmp_path: Path, served: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(path: Path, payload: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(atomic, "write_bytes", disk_full)
    panel, caught = _load(tmp_path / "raw", ["HUT", "IREN"])
    assert panel.tickers == ["HUT", "IREN"]
    assert len(caught) == 1 and "No space left on device" in str(caught[0].message)
    assert str(tmp_path / "raw") in str(caught[0].message)
    assert panel.meta["HUT"]["cache_written"] is False and "No space left" in panel.meta["HUT"]["cache_error"]
    monkeypatch.undo()
    assert RawCache(tmp_path / "raw").tickers() == []  # nothing half-written


# --------------------------------------------------------------------------- cleaned panel


def labelled_result(label: str, level: float, uni: Universe) -> CleanResult:
    """A cleaned panel whose every price is ``level`` and whose label is ``label``."""
    idx = pd.DatetimeIndex(sessions(START, END), name="Date")
    frames = {t: pd.DataFrame({"Close": np.full(len(idx), level)}, index=idx) for t in ("AAA", "BBB", "CCC")}
    raw = RawPanel(frames=frames, source=label, synthetic=label == "synthetic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return clean_panel(raw, universe=uni)


LEVEL = {"synthetic": 1.0, "yahoo": 2.0}


def assert_consistent(result: CleanResult) -> str:
    """The label and the prices come from the same run; returns the label."""
    label = str(result.summary["source"])
    assert result.synthetic == (label == "synthetic")
    assert (result.prices.to_numpy() == LEVEL[label]).all(), f"prices of another run labelled {label!r}"
    return label


def _publish_forever(data_dir: Path, results: list[CleanResult]) -> None:
    i = 0
    while True:
        write_outputs(results[i % len(results)], data_dir)
        i += 1


def test_panel_survives_sigkill_during_publication(tmp_path: Path, tiny_universe: Universe) -> None:
    rng = np.random.default_rng(8)
    results = [labelled_result(label, level, tiny_universe) for label, level in LEVEL.items()]
    write_outputs(results[0], tmp_path)
    seen = set()
    for _ in range(KILL_ROUNDS):
        proc = start_process(_publish_forever, tmp_path, results[::-1])
        time.sleep(float(rng.uniform(0.0, MAX_KILL_DELAY)))
        kill(proc)
        seen.add(assert_consistent(read_processed(tmp_path)))
    assert seen == set(LEVEL), "no publication completed between kills: the test tested nothing"
    write_outputs(results[0], tmp_path)  # the next writer removes the dead ones' partial panels
    panels = [p for p in (tmp_path / "processed").iterdir() if p.is_dir()]
    assert len(panels) <= 2


def test_concurrent_writers_and_readers_never_mix_runs(tmp_path: Path, tiny_universe: Universe) -> None:
    synthetic, yahoo = (labelled_result(label, level, tiny_universe) for label, level in LEVEL.items())
    write_outputs(synthetic, tmp_path)
    writers = [start_process(_publish_forever, tmp_path, [r]) for r in (synthetic, yahoo)]
    labels: list[str] = []
    deadline = time.monotonic() + 1.2
    try:
        while time.monotonic() < deadline:
            labels.append(assert_consistent(read_processed(tmp_path)))
    finally:
        for proc in writers:
            kill(proc)
    assert len(labels) >= 10 and set(labels) == set(LEVEL)
    assert_consistent(read_processed(tmp_path))
