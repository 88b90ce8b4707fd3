"""Tests of analysis.fetch.YahooSource against a fake ``yf.download`` (no network).

The fake builds its result exactly like yfinance 1.x ``multi._download_impl``:
per-ticker frames (tz-aware exchange time, stripped by ``ignore_tz=True``),
failed tickers as ``yfinance.utils.empty_df()`` (which brings an all-NaN
``Adj Close`` column), ``reindex_dfs`` to the union index, ``concat`` with
``keys``/``names=['Ticker', 'Price']``, ``swaplevel`` and ``sort_index(level=0,
axis=1)``; failures are logged through the ``"yfinance"`` logger in the same
two lines yfinance writes ("N Failed downloads:" and "['T', ...]: repr(exc)").
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yfinance
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError
from yfinance import utils as yf_utils
from yfinance.exceptions import YFException, YFPricesMissingError, YFRateLimitError, YFTzMissingError
from yfinance.multi import reindex_dfs

from analysis import fetch
from analysis.cache import RawCache
from analysis.errors import DataFetchError, HistoryRevisedWarning
from analysis.fetch import YahooSource, classify_reason, is_transient_reason, last_complete_date

#: The real signature, captured before any test replaces ``yf.download``.
REAL_DOWNLOAD_PARAMS = set(inspect.signature(yfinance.download).parameters)
YF_LOGGER = logging.getLogger("yfinance")
NY = "America/New_York"
#: Monday 2024-07-01, 18:00 New York: after the close.
NOW = pd.Timestamp("2024-07-01 22:00", tz="UTC")
START = pd.Timestamp("2024-01-02")
END = pd.Timestamp("2024-06-28")

Outcome = pd.DataFrame | BaseException
Failures = dict[str, BaseException] | BaseException


def bars(
    start: str = "2023-12-01",
    end: str = "2024-07-31",
    *,
    base: float = 100.0,
    crypto: bool = False,
) -> pd.DataFrame:
    """Daily bars as ``Ticker.history(auto_adjust=True, actions=False)`` returns them."""
    days = pd.date_range(start, end, freq="D" if crypto else "B")
    idx = pd.DatetimeIndex(days).tz_localize("UTC" if crypto else NY)
    idx.name = "Date"
    close = base + np.arange(len(days), dtype=float)
    return pd.DataFrame(
        {
            "Open": close - 0.5,
            "High": close + 1.0,
            "Low": close - 1.0,
            "Close": close,
            "Volume": np.full(len(days), 1_000, dtype=np.int64),
        },
        index=idx,
    )


def yf_download_result(outcomes: dict[str, Outcome]) -> pd.DataFrame:
    """Assemble and log a result the way ``yfinance.multi._download_impl`` does."""
    dfs: dict[str, pd.DataFrame] = {}
    errors: dict[str, str] = {}
    for ticker, out in outcomes.items():
        if isinstance(out, BaseException):
            dfs[ticker] = yf_utils.empty_df()
            errors[ticker] = repr(out)
        else:
            dfs[ticker] = out.copy()
    if errors:
        plural = "s" if len(errors) > 1 else ""
        YF_LOGGER.error(f"\n{len(errors)} Failed download{plural}:")
        grouped: dict[str, list[str]] = {}
        for ticker, err in errors.items():
            grouped.setdefault(err.replace(f"${ticker}: ", ""), []).append(ticker)
        for err, syms in grouped.items():
            YF_LOGGER.error(f"{syms}: " + err)
    for df in dfs.values():
        if df.shape[0] > 0:
            df.index = df.index.tz_localize(None)
    dfs = reindex_dfs(dfs, True)
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)


class FakeYahoo:
    """Stands in for ``yf.download``: serves slices of ``market``, or scripted failures.

    ``failures[i]`` applies to call ``i``: an exception is raised by the call, a
    dict makes those tickers fail (logged like yfinance does).
    """

    def __init__(self, market: dict[str, pd.DataFrame], failures: Iterable[Failures] = ()) -> None:
        self.market = market
        self.failures = list(failures)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        assert not args, "every option must be passed by keyword"
        self.calls.append(kwargs)
        failure: Failures = self.failures.pop(0) if self.failures else {}
        if isinstance(failure, BaseException):
            raise failure
        lo, hi = pd.Timestamp(kwargs["start"]), pd.Timestamp(kwargs["end"])
        outcomes: dict[str, Outcome] = {}
        for ticker in kwargs["tickers"]:
            full = self.market.get(ticker)
            if ticker in failure:
                outcomes[ticker] = failure[ticker]
            elif full is None:
                outcomes[ticker] = YFTzMissingError(ticker)
            else:
                naive = full.index.tz_localize(None)
                part = full.loc[(naive >= lo) & (naive < hi)]  # yfinance's end is exclusive
                debug = f"(1d {kwargs['start']} -> {kwargs['end']})"
                outcomes[ticker] = part if len(part) else YFPricesMissingError(ticker, debug)
        return yf_download_result(outcomes)

    def ranges(self) -> list[tuple[list[str], str, str]]:
        return [(c["tickers"], c["start"], c["end"]) for c in self.calls]


class NoDownload:
    """``yf.download`` that must not be called."""

    def __call__(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        pytest.fail(f"unexpected yf.download call: {kwargs.get('tickers')}")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any test that forgets to install a fake fails instead of reaching Yahoo."""
    monkeypatch.setattr(fetch.yf, "download", NoDownload())


@pytest.fixture
def cache(tmp_path: Path) -> RawCache:
    return RawCache(tmp_path / "raw")


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_source(
    cache: RawCache, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., YahooSource]:
    def make(fake: Callable[..., pd.DataFrame], *, now: pd.Timestamp = NOW, **kwargs: Any) -> YahooSource:
        monkeypatch.setattr(fetch.yf, "download", fake)
        opts: dict[str, Any] = {"sleep": sleeps.append, "progress": False, "now": lambda: now}
        opts.update(kwargs)
        return YahooSource(cache, **opts)

    return make


# -- options -----------------------------------------------------------------------


def test_every_option_passed_explicitly(make_source: Callable[..., YahooSource]) -> None:
    fake = FakeYahoo({"HUT": bars()})
    make_source(fake, timeout=12.5).load(["HUT"], START, END)
    (kwargs,) = fake.calls
    assert set(kwargs) == REAL_DOWNLOAD_PARAMS
    assert kwargs == {
        "tickers": ["HUT"],
        "start": "2024-01-02",
        "end": "2024-06-29",  # inclusive END + 1 day: yfinance's end is exclusive
        "period": None,
        "interval": "1d",
        "group_by": "column",
        "auto_adjust": True,
        "back_adjust": False,
        "actions": False,
        "repair": False,
        "keepna": False,
        "prepost": False,
        "rounding": False,
        "threads": False,  # one ticker: no thread pool
        "ignore_tz": True,
        "progress": False,
        "timeout": 12.5,
        "session": None,
        "multi_level_index": True,
    }


def test_result_follows_raw_frame_contract(make_source: Callable[..., YahooSource]) -> None:
    panel = make_source(FakeYahoo({"HUT": bars(), "CIFR": bars(base=5.0)})).load(["HUT", "CIFR"], START, END)
    assert panel.source == "yahoo" and not panel.synthetic and panel.failed == {}
    assert panel.tickers == ["HUT", "CIFR"]
    for ticker, frame in panel.frames.items():
        assert frame.index.name == "Date" and frame.index.tz is None
        assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
        assert (frame.dtypes == np.float64).all()
        assert (frame.index.min(), frame.index.max()) == (START, END)
        meta = panel.meta[ticker]
        assert meta["from_cache"] is False and meta["fetched_at"] == NOW.isoformat()
        assert meta["cache_written"] is True


def test_uncached_tickers_share_one_batched_call_after_a_probe(
    make_source: Callable[..., YahooSource],
) -> None:
    """The first ticker alone, without threads (it fails in milliseconds offline), then one batch."""
    fake = FakeYahoo({t: bars() for t in ("HUT", "CIFR", "IREN", "WULF")})
    make_source(fake).load(["HUT", "CIFR", "IREN", "WULF"], START, END)
    assert fake.ranges() == [
        (["HUT"], "2024-01-02", "2024-06-29"),
        (["CIFR", "IREN", "WULF"], "2024-01-02", "2024-06-29"),
    ]
    assert [c["threads"] for c in fake.calls] == [False, True]


# -- failures ----------------------------------------------------------------------


def test_all_failed_raises_naming_every_ticker(
    make_source: Callable[..., YahooSource], sleeps: list[float]
) -> None:
    fake = FakeYahoo({})  # unknown tickers: YFTzMissingError, an empty frame
    with pytest.raises(DataFetchError, match=r"no data for any of 2 tickers") as info:
        make_source(fake).load(["NOPE", "GONE"], START, END)
    assert set(info.value.failed) == {"NOPE", "GONE"}
    assert "NOPE, GONE: " in str(info.value)  # one cause, said once
    assert "no timezone found" in info.value.failed["NOPE"]
    assert len(fake.calls) == 2 and sleeps == []  # the probe and the rest; permanent: not retried


def test_one_ticker_all_nan_keeps_the_others(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    dead = bars().assign(Close=np.nan, Open=np.nan, High=np.nan, Low=np.nan)
    fake = FakeYahoo({"HUT": bars(), "DEAD": dead})
    panel = make_source(fake).load(["HUT", "DEAD"], START, END)
    assert panel.tickers == ["HUT"]
    assert "no Close prices" in panel.failed["DEAD"]
    assert cache.entry("DEAD") is None and cache.entry("HUT") is not None
    assert len(fake.calls) == 2


def test_logged_permanent_failure_reported_with_reason(make_source: Callable[..., YahooSource]) -> None:
    fake = FakeYahoo({"HUT": bars(), "CIFR": bars()}, [{}, {"CIFR": YFPricesMissingError("CIFR", "(1d)")}])
    panel = make_source(fake).load(["HUT", "CIFR"], START, END)
    assert panel.tickers == ["HUT"]
    assert "possibly delisted; no price data found" in panel.failed["CIFR"]
    assert len(fake.calls) == 2


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(ConnectionError("Connection reset by peer"), id="connection"),
        pytest.param(TimeoutError("read timed out"), id="timeout"),
        pytest.param(CurlConnectionError("curl: (28) Operation timed out after 30001 ms"), id="curl"),
        pytest.param(YFRateLimitError(), id="rate_limit"),
    ],
)
def test_exception_from_download_retried_then_success(
    make_source: Callable[..., YahooSource], sleeps: list[float], exc: BaseException
) -> None:
    fake = FakeYahoo({"HUT": bars(), "CIFR": bars()}, [{}, exc])
    panel = make_source(fake).load(["HUT", "CIFR"], START, END)
    assert panel.tickers == ["HUT", "CIFR"] and panel.failed == {}
    assert [c["tickers"] for c in fake.calls] == [["HUT"], ["CIFR"], ["CIFR"]]
    assert sleeps == [1.0]


OFFLINE_CURL = (
    "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
    "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
)


def offline_download(calls: list[dict[str, Any]]) -> Callable[..., pd.DataFrame]:
    """What yfinance 1.7 does without DNS (recorded on this machine): log, then blame "delisted"."""

    def download(**kwargs: Any) -> pd.DataFrame:
        calls.append(kwargs)
        YF_LOGGER.warning("Cookie/crumb fetch failed (DNSError), continuing without crumb")
        for ticker in kwargs["tickers"]:
            YF_LOGGER.error(f"Failed to get ticker '{ticker}' reason: {OFFLINE_CURL}")
        return yf_download_result({t: YFTzMissingError(t) for t in kwargs["tickers"]})

    return download


def test_offline_fails_fast_without_retries_or_sleeps(
    make_source: Callable[..., YahooSource], sleeps: list[float], cache: RawCache
) -> None:
    """No DNS is not transient: one call, no pause, and the other groups are not attempted."""
    market = {t: bars() for t in ("HUT", "IREN")}
    make_source(FakeYahoo(market)).load(["HUT"], START, pd.Timestamp("2024-03-28"))  # HUT cached
    calls: list[dict[str, Any]] = []
    with pytest.warns(UserWarning, match=r"live Yahoo download failed for 1 ticker.*HUT: could not download"):
        panel = make_source(offline_download(calls)).load(["HUT", "IREN"], START, END)
    assert len(calls) == 1 and sleeps == []  # two ranges (HUT's tail, IREN's all): one attempt
    assert panel.tickers == ["HUT"]  # the cached rows, reported as such
    assert (
        "Could not resolve host" in panel.meta["HUT"]["download_error"]
        or "not attempted" in (panel.meta["HUT"]["download_error"])
    )
    assert "resolve host" in panel.failed["IREN"] or "no network" in panel.failed["IREN"]


def test_offline_with_nothing_cached_raises_naming_the_cause(
    make_source: Callable[..., YahooSource], sleeps: list[float]
) -> None:
    calls: list[dict[str, Any]] = []
    with pytest.raises(
        DataFetchError, match=r"HUT, BTC-USD: no network, nothing downloaded: .*resolve host"
    ) as info:
        make_source(offline_download(calls)).load(["HUT", "BTC-USD"], START, END)
    assert len(calls) == 1 and sleeps == [] and set(info.value.failed) == {"HUT", "BTC-USD"}


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(ConnectionRefusedError(111, "Connection refused"), id="refused"),
        pytest.param(CurlConnectionError(f"{OFFLINE_CURL}"), id="curl_dns"),
        pytest.param(OSError(101, "Network is unreachable"), id="unreachable"),
    ],
)
def test_no_network_exceptions_are_not_retried(
    make_source: Callable[..., YahooSource], sleeps: list[float], exc: BaseException
) -> None:
    fake = FakeYahoo({"HUT": bars(), "CIFR": bars()}, [exc, exc])
    with pytest.raises(
        DataFetchError, match=rf"HUT, CIFR: no network, nothing downloaded: .*{type(exc).__name__}"
    ):
        make_source(fake).load(["HUT", "CIFR"], START, END)
    assert len(fake.calls) == 1 and sleeps == []  # the probe failed: the batch is not attempted


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(KeyError("chart"), id="key_error"),
        pytest.param(TypeError("'NoneType' object is not subscriptable"), id="type_error"),
        pytest.param(RuntimeError("boom"), id="runtime_error"),
        pytest.param(ValueError("No objects to concatenate"), id="value_error"),
    ],
)
def test_any_exception_inside_yfinance_is_named_at_the_boundary(
    make_source: Callable[..., YahooSource], exc: BaseException
) -> None:
    fake = FakeYahoo({"HUT": bars(), "CIFR": bars(), "IREN": bars()}, [{}, exc])
    panel = make_source(fake).load(["HUT", "CIFR", "IREN"], START, END)
    assert panel.tickers == ["HUT"]
    for ticker in ("CIFR", "IREN"):
        why = panel.failed[ticker]
        assert "yf.download(CIFR, IREN, 2024-01-02..2024-06-28)" in why
        assert f"raised {type(exc).__name__}: " in why and str(exc).strip("'") in why


def test_unexpected_result_layout_is_a_named_failure(make_source: Callable[..., YahooSource]) -> None:
    def weird(**kwargs: Any) -> pd.DataFrame:
        return pd.DataFrame({"Close": [1.0]}, index=pd.to_datetime(["2024-01-02"]))

    with pytest.raises(DataFetchError, match=r"HUT: yf\.download\(HUT.*returned an unusable result"):
        make_source(weird).load(["HUT"], START, END)


def test_retries_stop_at_the_overall_deadline(make_source: Callable[..., YahooSource]) -> None:
    clock = {"t": 0.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["t"] += seconds

    fake = FakeYahoo({"HUT": bars()}, [{"HUT": YFRateLimitError()} for _ in range(50)])
    source = make_source(
        fake,
        max_retries=20,
        backoff_base=1.0,
        max_backoff=60.0,
        deadline=20.0,
        sleep=sleep,
        clock=lambda: clock["t"],
    )
    with pytest.raises(DataFetchError, match=r"20 s retry deadline was reached"):
        source.load(["HUT"], START, END)
    assert slept == [1.0, 2.0, 4.0, 8.0]  # the next pause (16 s) would end after 20 s
    assert sum(slept) <= 20.0 and len(fake.calls) == 5


def test_non_transient_exception_not_retried(
    make_source: Callable[..., YahooSource], sleeps: list[float]
) -> None:
    fake = FakeYahoo(
        {"HUT": bars()}, [YFException("Caching sessions (e.g. requests_cache) are not supported")]
    )
    with pytest.raises(DataFetchError, match=r"HUT: yf\.download\(HUT, .*\) raised YFException: Caching"):
        make_source(fake).load(["HUT"], START, END)
    assert len(fake.calls) == 1 and sleeps == []


def test_rate_limited_ticker_retried_alone_with_growing_bounded_delays(
    make_source: Callable[..., YahooSource], sleeps: list[float]
) -> None:
    limited = [{}] + [{"CIFR": YFRateLimitError()} for _ in range(4)]  # call 0 is the probe (HUT)
    fake = FakeYahoo({"HUT": bars(), "CIFR": bars()}, limited)
    panel = make_source(fake, max_retries=4, backoff_base=1.0, max_backoff=3.0).load(
        ["HUT", "CIFR"], START, END
    )
    assert panel.tickers == ["HUT", "CIFR"] and panel.failed == {}
    assert [c["tickers"] for c in fake.calls] == [["HUT"], ["CIFR"], ["CIFR"], ["CIFR"], ["CIFR"], ["CIFR"]]
    assert sleeps == [1.0, 2.0, 3.0, 3.0]


def test_persistent_rate_limit_raises_after_max_retries(
    make_source: Callable[..., YahooSource], sleeps: list[float]
) -> None:
    fake = FakeYahoo({"HUT": bars()}, [{"HUT": YFRateLimitError()} for _ in range(10)])
    with pytest.raises(DataFetchError, match=r"HUT: .*Too Many Requests.*after 2 retries") as info:
        make_source(fake, max_retries=2, backoff_base=0.5).load(["HUT"], START, END)
    assert list(info.value.failed) == ["HUT"]
    assert len(fake.calls) == 3 and sleeps == [0.5, 1.0]


def test_persistent_rate_limit_on_one_ticker_is_a_partial_failure(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    fake = FakeYahoo({"HUT": bars(), "CIFR": bars()}, [{"CIFR": YFRateLimitError()} for _ in range(10)])
    panel = make_source(fake, max_retries=1).load(["HUT", "CIFR"], START, END)
    assert panel.tickers == ["HUT"] and "Too Many Requests" in panel.failed["CIFR"]
    assert cache.entry("CIFR") is None


@pytest.mark.parametrize(
    ("reason", "transient"),
    [
        ("YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')", True),
        ("ConnectionError('Failed to perform, curl: (28) Operation timed out')", True),
        ("YFDataException('*** YAHOO! FINANCE IS CURRENTLY DOWN! ***')", True),
        (
            "YFPricesMissingError('possibly delisted; no price data found (1d 2024-01-02 -> 2024-06-29)')",
            False,
        ),
        ("YFTzMissingError('possibly delisted; no timezone found')", False),
        ("something unexpected", False),
    ],
)
def test_reason_classification(reason: str, transient: bool) -> None:
    assert is_transient_reason(reason) is transient


# -- cache -------------------------------------------------------------------------


def test_warm_cache_makes_no_download_call(make_source: Callable[..., YahooSource]) -> None:
    first = make_source(FakeYahoo({"HUT": bars(), "CIFR": bars()})).load(["HUT", "CIFR"], START, END)
    second = make_source(NoDownload()).load(["CIFR", "HUT"], pd.Timestamp("2024-02-01"), END)
    assert second.tickers == ["CIFR", "HUT"]
    for ticker in ("HUT", "CIFR"):
        expected = first.frames[ticker].loc["2024-02-01":]
        pd.testing.assert_frame_equal(second.frames[ticker], expected)
        assert second.meta[ticker]["from_cache"] is True
        assert second.meta[ticker]["fetched_at"] == NOW.isoformat()


def test_later_end_fetches_only_missing_dates_with_an_overlap(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    make_source(FakeYahoo({"HUT": bars()})).load(["HUT"], START, pd.Timestamp("2024-03-28"))
    fake = FakeYahoo({"HUT": bars()})
    panel = make_source(fake).load(["HUT"], START, END)
    # From OVERLAP_ROWS cached rows back (they check the price basis) to END + 1 day (exclusive).
    assert fake.ranges() == [(["HUT"], "2024-03-22", "2024-06-29")]
    frame = panel.frames["HUT"]
    expected = bars().loc["2024-01-02":"2024-06-28", "Close"].to_numpy()
    np.testing.assert_array_equal(frame["Close"].to_numpy(), expected)
    assert not frame.index.duplicated().any() and panel.meta["HUT"]["history_revised"] is None
    entry = cache.entry("HUT")
    assert entry is not None
    assert (entry.requested_start, entry.requested_end) == (START, END)
    assert entry.rows == len(frame)


def revised_history(ex_date: str = "2024-04-15", factor: float = 0.98) -> pd.DataFrame:
    """Yahoo after a dividend: every price before the ex-date re-adjusted by ``factor``."""
    out = bars()
    before = out.index.tz_localize(None) < pd.Timestamp(ex_date)
    out.loc[before, ["Open", "High", "Low", "Close"]] *= factor
    return out


def test_revised_history_is_refetched_whole_never_spliced(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    make_source(FakeYahoo({"HUT": bars()})).load(["HUT"], START, pd.Timestamp("2024-03-28"))
    revised = revised_history()
    fake = FakeYahoo({"HUT": revised})
    with pytest.warns(HistoryRevisedWarning, match=r"HUT: Yahoo re-adjusted its history .* 4 of 4 closes"):
        panel = make_source(fake).load(["HUT"], START, END)
    assert fake.ranges() == [(["HUT"], "2024-03-22", "2024-06-29"), (["HUT"], "2024-01-02", "2024-06-29")]
    frame = panel.frames["HUT"]
    np.testing.assert_allclose(frame["Close"].to_numpy(), revised.loc["2024-01-02":"2024-06-28", "Close"])
    info = panel.meta["HUT"]["history_revised"]
    assert info["compared"] == 4 and info["disagreeing"] == 4
    assert info["max_rel_diff"] == pytest.approx(0.02, rel=1e-9)  # |new / cached - 1|
    assert "replaces the cache" in info["action"]
    pd.testing.assert_frame_equal(cache.read("HUT"), frame, check_freq=False)


def test_revised_history_with_a_failed_full_refetch_keeps_one_basis(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    make_source(FakeYahoo({"HUT": bars()})).load(["HUT"], START, pd.Timestamp("2024-03-28"))
    before = cache.read("HUT")
    fake = FakeYahoo({"HUT": revised_history()}, [{}, {"HUT": YFRateLimitError()}])
    with (
        pytest.warns(HistoryRevisedWarning, match="the full refetch failed; only the cached rows are used"),
        pytest.warns(UserWarning, match="live Yahoo download failed"),
    ):
        panel = make_source(fake, max_retries=0).load(["HUT"], START, END)
    pd.testing.assert_frame_equal(panel.frames["HUT"], before, check_freq=False)  # nothing spliced
    pd.testing.assert_frame_equal(cache.read("HUT"), before, check_freq=False)
    assert "Too Many Requests" in panel.meta["HUT"]["download_error"]


def test_only_the_last_bar_revised_is_not_a_new_basis(make_source: Callable[..., YahooSource]) -> None:
    make_source(FakeYahoo({"HUT": bars()})).load(["HUT"], START, pd.Timestamp("2024-03-28"))
    revised = bars()
    revised.loc[revised.index.tz_localize(None) == pd.Timestamp("2024-03-28"), "Close"] += 0.25
    fake = FakeYahoo({"HUT": revised})
    panel = make_source(fake).load(["HUT"], START, END)
    assert len(fake.calls) == 1 and panel.meta["HUT"]["history_revised"] is None
    bar = revised.loc[revised.index.tz_localize(None) == pd.Timestamp("2024-03-28"), "Close"].iloc[0]
    assert (
        panel.frames["HUT"].loc["2024-03-28", "Close"] == bar
    )  # the revised last bar replaces the cached one


def test_gap_in_a_download_is_refetched_then_confirmed(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    hole = pd.Timestamp("2024-02-14")
    holey = bars().loc[bars().index.tz_localize(None) != hole]
    make_source(FakeYahoo({"HUT": holey})).load(["HUT"], START, END)
    entry = cache.entry("HUT")
    assert entry is not None and entry.missing == (hole,) and not cache.covers("HUT", START, END)

    fake = FakeYahoo({"HUT": holey})  # Yahoo still lacks the date: a real gap
    make_source(fake).load(["HUT"], START, END)
    assert fake.ranges() == [(["HUT"], "2024-02-07", "2024-02-22")]  # the gap, 5 rows each side
    entry = cache.entry("HUT")
    assert entry is not None and entry.confirmed_missing == (hole,) and cache.covers("HUT", START, END)
    make_source(NoDownload()).load(["HUT"], START, END)  # confirmed: no more refetching


def test_gap_filled_by_a_later_download(make_source: Callable[..., YahooSource], cache: RawCache) -> None:
    hole = pd.Timestamp("2024-02-14")
    make_source(FakeYahoo({"HUT": bars().loc[bars().index.tz_localize(None) != hole]})).load(
        ["HUT"], START, END
    )
    panel = make_source(FakeYahoo({"HUT": bars()})).load(["HUT"], START, END)
    assert hole in panel.frames["HUT"].index and cache.covers("HUT", START, END)


def test_earlier_start_fetches_only_missing_dates(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    make_source(FakeYahoo({"HUT": bars()})).load(["HUT"], pd.Timestamp("2024-03-01"), END)
    fake = FakeYahoo({"HUT": bars()})
    panel = make_source(fake).load(["HUT"], START, END)
    assert fake.ranges() == [(["HUT"], "2024-01-02", "2024-03-08")]  # up to 5 cached rows: 03-07
    pd.testing.assert_frame_equal(panel.frames["HUT"], cache.read("HUT"), check_freq=False)
    assert cache.covers("HUT", START, END)


def test_tickers_with_different_missing_ranges_are_grouped(make_source: Callable[..., YahooSource]) -> None:
    market = {t: bars() for t in ("HUT", "CIFR", "IREN")}
    make_source(FakeYahoo(market)).load(["HUT", "CIFR"], START, pd.Timestamp("2024-03-28"))
    fake = FakeYahoo(market)
    make_source(fake).load(["HUT", "CIFR", "IREN"], START, END)
    assert sorted(fake.ranges()) == [
        (["CIFR"], "2024-03-22", "2024-06-29"),
        (["HUT"], "2024-03-22", "2024-06-29"),  # the probe
        (["IREN"], "2024-01-02", "2024-06-29"),
    ]


def test_cached_rows_survive_a_refetch_with_fewer_rows(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    make_source(FakeYahoo({"HUT": bars()})).load(
        ["HUT"], pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-28")
    )
    rows_before = cache.entry("HUT").rows  # type: ignore[union-attr]
    thinned = bars().drop(bars().loc["2024-02-05":"2024-02-20"].index)  # Yahoo "lost" rows
    fake = FakeYahoo({"HUT": thinned})
    panel = make_source(fake).load(["HUT"], START, END)  # both sides missing: one full call
    assert fake.ranges() == [(["HUT"], "2024-01-02", "2024-06-29")]
    assert panel.frames["HUT"].loc["2024-02-01":"2024-03-28"].shape[0] == rows_before
    assert cache.entry("HUT").rows >= rows_before  # type: ignore[union-attr]


def test_empty_download_never_overwrites_good_cache(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    make_source(FakeYahoo({"HUT": bars()})).load(["HUT"], START, pd.Timestamp("2024-03-28"))
    path = cache.path_for("HUT")
    assert path is not None
    before = path.read_bytes(), cache.manifest_path.read_bytes()
    fake = FakeYahoo({})  # everything fails: yfinance's empty frame
    with pytest.warns(UserWarning, match="live Yahoo download failed for 1 ticker"):
        panel = make_source(fake).load(["HUT"], START, END)
    assert len(fake.calls) == 1
    assert (path.read_bytes(), cache.manifest_path.read_bytes()) == before
    assert panel.tickers == ["HUT"] and panel.frames["HUT"].index.max() == pd.Timestamp("2024-03-28")
    assert panel.meta["HUT"]["from_cache"] is True
    assert "could not download 2024-03-22..2024-06-28" in panel.meta["HUT"]["download_error"]


def test_corrupt_cache_detected_named_and_refetched(
    make_source: Callable[..., YahooSource], cache: RawCache, caplog: pytest.LogCaptureFixture
) -> None:
    make_source(FakeYahoo({"HUT": bars()})).load(["HUT"], START, pd.Timestamp("2024-03-28"))
    path = cache.path_for("HUT")
    assert path is not None
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    fake = FakeYahoo({"HUT": bars()})
    with caplog.at_level(logging.WARNING, logger="analysis.fetch"):
        panel = make_source(fake).load(["HUT"], START, END)
    assert any(path.name in r.getMessage() and "checksum mismatch" in r.getMessage() for r in caplog.records)
    assert fake.ranges() == [(["HUT"], "2024-01-02", "2024-06-29")]  # the full range, not the tail
    assert "checksum mismatch" in panel.meta["HUT"]["corrupt_cache"]
    pd.testing.assert_frame_equal(cache.read("HUT"), panel.frames["HUT"], check_freq=False)


def test_corrupt_cache_and_failed_refetch_names_the_file(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    make_source(FakeYahoo({"HUT": bars()})).load(["HUT"], START, END)
    doc = cache.manifest_path.read_text(encoding="utf-8")
    sha = cache.entry("HUT").sha256  # type: ignore[union-attr]
    cache.manifest_path.write_text(
        doc.replace(f'"sha256": "{sha}"', f'"sha256": "{"f" * 64}"'), encoding="utf-8"
    )
    with pytest.raises(
        DataFetchError, match=r"HUT: .*the cache file was corrupt .*names file 'HUT\."
    ) as info:
        make_source(FakeYahoo({})).load(["HUT"], START, END)
    assert "manifest.json" in info.value.failed["HUT"]


def test_no_temp_or_stale_files_left(make_source: Callable[..., YahooSource], cache: RawCache) -> None:
    market = {t: bars() for t in ("HUT", "CIFR", "^NDX")}
    make_source(FakeYahoo(market)).load(["HUT", "CIFR", "^NDX"], START, pd.Timestamp("2024-03-28"))
    make_source(FakeYahoo(market)).load(["HUT", "CIFR", "^NDX"], START, END)
    names = sorted(p.name for p in cache.directory.iterdir())
    current = [cache.path_for(t).name for t in ("HUT", "CIFR", "^NDX")]  # type: ignore[union-attr]
    assert names == sorted([*current, "manifest.json", ".lock"])


# -- partial sessions --------------------------------------------------------------


def test_partial_equity_row_dropped_then_fetched_after_close(
    make_source: Callable[..., YahooSource], cache: RawCache
) -> None:
    midday = pd.Timestamp("2024-06-28 18:00", tz="UTC")  # 14:00 New York, session still open
    panel = make_source(FakeYahoo({"HUT": bars()}), now=midday).load(["HUT"], START, END)
    assert panel.frames["HUT"].index.max() == pd.Timestamp("2024-06-27")
    assert panel.meta["HUT"]["partial_rows_dropped"] == ["2024-06-28"]
    assert cache.entry("HUT").requested_end == pd.Timestamp("2024-06-27")  # type: ignore[union-attr]

    # Same day, still open: nothing new can be complete, so no call.
    again = make_source(NoDownload(), now=midday).load(["HUT"], START, END)
    assert again.frames["HUT"].index.max() == pd.Timestamp("2024-06-27")

    after_close = pd.Timestamp("2024-06-28 20:30", tz="UTC")
    fake = FakeYahoo({"HUT": bars()})
    later = make_source(fake, now=after_close).load(["HUT"], START, END)
    assert fake.ranges() == [(["HUT"], "2024-06-21", "2024-06-29")]
    assert later.frames["HUT"].index.max() == END and later.meta["HUT"]["partial_rows_dropped"] == []


def test_partial_crypto_row_dropped_until_utc_midnight(make_source: Callable[..., YahooSource]) -> None:
    market = {"BTC-USD": bars(crypto=True)}
    morning = pd.Timestamp("2024-06-28 10:00", tz="UTC")
    panel = make_source(FakeYahoo(market), now=morning).load(["BTC-USD"], START, END)
    frame = panel.frames["BTC-USD"]
    assert frame.index.max() == pd.Timestamp("2024-06-27")
    assert pd.Timestamp("2024-06-23") in frame.index  # a Sunday: crypto trades every day
    assert panel.meta["BTC-USD"]["partial_rows_dropped"] == ["2024-06-28"]


@pytest.mark.parametrize(
    ("ticker", "now", "expected"),
    [
        pytest.param("HUT", "2024-07-03 16:59", "2024-07-02", id="early_close_not_yet"),
        pytest.param("HUT", "2024-07-03 17:00", "2024-07-03", id="early_close_13h_ny"),
        pytest.param("HUT", "2024-07-06 12:00", "2024-07-05", id="saturday"),
        pytest.param("BTC-USD", "2024-07-03 23:59", "2024-07-02", id="crypto_before_midnight"),
        pytest.param("BTC-USD", "2024-07-04 00:00", "2024-07-03", id="crypto_midnight"),
    ],
)
def test_last_complete_date(ticker: str, now: str, expected: str) -> None:
    assert last_complete_date(ticker, pd.Timestamp(now, tz="UTC")) == pd.Timestamp(expected)


# -- progress ----------------------------------------------------------------------


def test_progress_bar_for_many_tickers(
    make_source: Callable[..., YahooSource], capsys: pytest.CaptureFixture[str]
) -> None:
    tickers = ["HUT", "CIFR", "IREN", "WULF", "CORZ"]
    fake = FakeYahoo({t: bars() for t in tickers})
    panel = make_source(fake, progress=True).load(tickers, START, END)
    assert panel.tickers == tickers and fake.calls[0]["progress"] is True
    assert "5/5" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        (f"DNSError('{OFFLINE_CURL}')", "offline"),
        (
            "Failed to perform, curl: (7) Failed to connect to query2.finance.yahoo.com: Connection refused",
            "offline",
        ),
        ("[Errno -3] Temporary failure in name resolution", "offline"),
        ("OSError: [Errno 101] Network is unreachable", "offline"),
        ("Cookie/crumb fetch failed (DNSError), continuing without crumb", "offline"),
        ("ConnectionError('Connection reset by peer')", "transient"),
        ("curl: (28) Operation timed out after 30000 milliseconds", "transient"),
        ("YFRateLimitError('Too Many Requests. Rate limited.')", "transient"),
        ("HTTP Error 429", "transient"),
        ("YFTzMissingError('possibly delisted; no timezone found')", "permanent"),
        ("something unexpected", "permanent"),
    ],
)
def test_failure_kinds(reason: str, kind: str) -> None:
    assert classify_reason(reason) == kind
    assert is_transient_reason(reason) is (kind == "transient")
