"""Fundamentals: sources (snapshot, yahoo fakes, SEC fakes), cache, point in time, derived metrics,
coverage, market link and the CLI. Real-snapshot tests need FUNDAMENTALS_DATA_DIR."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis import edgar
from analysis import fundamentals as fm
from analysis.cli import EXIT_BAD_INPUT, main
from analysis.edgar import EdgarClient, RateLimiter, SecHttpError
from analysis.errors import CacheError, ConfigError, DataFetchError, DataQualityError
from analysis.fundamentals import LONG_COLUMNS, FundamentalsPanel

FIXTURES = Path(__file__).parent / "fixtures"
UA = "Test Runner test.runner@example.org"
NOW = pd.Timestamp("2025-12-03 12:00", tz="UTC")
M = 1_000_000


def _row(
    ticker: str,
    end: str,
    metric: str,
    value: float,
    fiscal_period: str,
    filed: str = "",
    source_id: str = "S1",
) -> dict[str, Any]:
    return {
        "ticker": ticker,
        "period_end": end,
        "filed": filed,
        "fiscal_period": fiscal_period,
        "metric": metric,
        "value": value,
        "unit": "USD",
        "source_id": source_id,
    }


def _long(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return fm.normalize_long(pd.DataFrame(rows), origin="test")


def _panel(
    rows: list[dict[str, Any]], source: str = "snapshot", failed: dict[str, str] | None = None
) -> FundamentalsPanel:
    return FundamentalsPanel(data=_long(rows), source=source, failed=failed or {})


# -- fiscal labels -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "months", "fye", "label"),
    [
        ("2024-09-30", 3, 6, "FY2025-Q1"),  # IREN: year ends in June
        ("2025-06-30", 12, 6, "FY2025"),
        ("2024-12-31", 6, 6, "FY2025-6M"),
        ("2023-03-31", 0, 9, "FY2023-Q2"),  # CLSK: year ends in September
        ("2023-09-30", 0, 9, "FY2023-Q4"),
        ("2025-09-30", 9, 12, "FY2025-9M"),
        ("2025-09-27", 3, 12, "FY2025-Q3"),  # 52/53-week year ending on a Saturday
        ("2025-10-02", 3, 9, "FY2025-Q4"),  # ... or a few days into the next month
    ],
)
def test_fiscal_label(end: str, months: int, fye: int, label: str) -> None:
    assert fm.fiscal_label(end, months, fye) == label


def test_fiscal_label_rejects_bad_input() -> None:
    with pytest.raises(ConfigError, match=r"fiscal_year_end_month must be 1\.\.12"):
        fm.fiscal_label("2025-03-31", 3, 13)
    with pytest.raises(ConfigError, match="months must be >= 0"):
        fm.fiscal_label("2025-03-31", -3, 12)


@pytest.mark.parametrize(
    ("label", "kind"), [("FY2025-Q3", "quarter"), ("FY2025-9M", "ytd"), ("FY2025", "annual")]
)
def test_period_kind(label: str, kind: str) -> None:
    assert fm.period_kind(label) == kind


def test_period_kind_rejects_other_labels() -> None:
    with pytest.raises(DataQualityError, match="does not follow"):
        fm.period_kind("2025Q3")


# -- the long contract ----------------------------------------------------------------------

GOOD = _row("AAA", "2025-03-31", "revenue_total", 10.0, "FY2025-Q1", "2025-05-01")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"period_end": "31/03/2025"}, "period_end '31/03/2025' on data row 1 is not a date"),
        ({"period_end": ""}, "period_end '' on data row 1 is not a date"),
        ({"filed": "soon"}, "filed 'soon' on data row 1 is not a date"),
        ({"value": ""}, "is not a finite number"),
        ({"value": "12k"}, "is not a finite number"),
        ({"metric": "ebitda"}, r"unknown metrics \['ebitda'\]"),
        ({"fiscal_period": "Q1-2025"}, "does not follow"),
        ({"ticker": "../x"}, "malformed ticker"),
        ({"unit": ""}, "empty unit on data row 1"),
    ],
)
def test_normalize_long_rejects(change: dict[str, Any], match: str) -> None:
    with pytest.raises(DataQualityError, match=match):
        fm.normalize_long(pd.DataFrame([{**GOOD, **change}]), origin="test")


def test_normalize_long_rejects_missing_column_and_duplicates() -> None:
    with pytest.raises(DataQualityError, match=r"missing columns \['unit'\]"):
        fm.normalize_long(pd.DataFrame([GOOD]).drop(columns="unit"), origin="t")
    with pytest.raises(DataQualityError, match="appears twice with the same filing date"):
        fm.normalize_long(pd.DataFrame([GOOD, GOOD]), origin="t")


def test_normalize_long_keeps_vintages_and_missing_filed() -> None:
    later = {**GOOD, "filed": "2025-08-01", "value": 11.0}
    unfiled = {**GOOD, "period_end": "2025-06-30", "fiscal_period": "FY2025-Q2", "filed": ""}
    out = fm.normalize_long(pd.DataFrame([later, GOOD, unfiled]), origin="t")
    assert list(out.columns) == list(LONG_COLUMNS)
    assert out["value"].tolist() == [10.0, 11.0, 10.0]
    assert out["filed"].isna().tolist() == [False, False, True]
    assert str(out["period_end"].dtype) == "datetime64[ns]" and out["value"].dtype == np.float64


# -- snapshot source -----------------------------------------------------------------------

SNAP_ROWS = [
    _row("AAA", "2025-03-31", "revenue_total", 100 * M, "FY2025-Q1", "2025-05-01", "SRC-A"),
    _row("AAA", "2025-03-31", "debt_total", 50 * M, "FY2025-Q1", "2025-05-01", "SRC-A"),
    _row("AAA", "2025-06-30", "revenue_total", 120 * M, "FY2025-Q2", "", "SRC-B"),
    _row("CCC", "2025-06-30", "cash", 7_654_321, "FY2025-Q2", "2025-08-07", "SRC-B"),
]


def _write_snapshot(directory: Path, rows: list[dict[str, Any]] = SNAP_ROWS, sources: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    frame["value"] = frame["value"].map(lambda v: f"{v:.0f}")
    frame.to_csv(directory / fm.SNAPSHOT_FILE, index=False)
    if sources:
        ids = sorted(set(frame["source_id"]))
        pd.DataFrame({"source_id": ids, "kind": "test", "notes": "hand-made"}).to_csv(
            directory / fm.SOURCES_FILE, index=False
        )
    return directory


def test_snapshot_reads_in_place(tmp_path: Path) -> None:
    snap = _write_snapshot(tmp_path / "snap")
    panel = fm.load_fundamentals("snapshot", ["AAA", "CCC", "BBB"], snapshot_dir=snap)
    csv = pd.read_csv(snap / fm.SNAPSHOT_FILE, dtype=str, keep_default_na=False)
    assert sorted(panel.data["value"].tolist()) == sorted(float(v) for v in csv["value"])
    assert panel.failed == {"BBB": f"no rows for BBB in {snap / fm.SNAPSHOT_FILE}"}
    assert panel.meta["AAA"]["rows"] == 3 and panel.meta["AAA"]["unfiled"] == 1
    assert panel.sources is not None and set(panel.sources["source_id"]) == {"SRC-A", "SRC-B"}
    assert list(tmp_path.iterdir()) == [snap]  # nothing written next to or into the snapshot
    assert sorted(p.name for p in snap.iterdir()) == [fm.SNAPSHOT_FILE, fm.SOURCES_FILE]


def test_snapshot_strict_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = _write_snapshot(tmp_path / "snap")
    with pytest.raises(DataFetchError, match="--strict: 1 ticker"):
        fm.load_fundamentals("snapshot", ["AAA", "BBB"], snapshot_dir=snap, strict=True)
    with pytest.raises(DataFetchError, match="no fundamentals for any requested ticker"):
        fm.load_fundamentals("snapshot", ["BBB"], snapshot_dir=snap)
    with pytest.raises(ConfigError, match="fundamentals snapshot directory not found"):
        fm.load_fundamentals("snapshot", ["AAA"], snapshot_dir=tmp_path / "nope")
    monkeypatch.delenv(fm.FUNDAMENTALS_DATA_ENV, raising=False)
    with pytest.raises(ConfigError, match="needs --snapshot-dir DIR or the FUNDAMENTALS_DATA_DIR"):
        fm.load_fundamentals("snapshot", ["AAA"])
    monkeypatch.setenv(fm.FUNDAMENTALS_DATA_ENV, str(snap))
    assert fm.load_fundamentals("snapshot", ["CCC"]).data["value"].tolist() == [7_654_321.0]
    with pytest.raises(ConfigError, match="source must be one of"):
        fm.load_fundamentals("bloomberg", ["AAA"], snapshot_dir=snap)


def test_snapshot_source_ids_must_be_described(tmp_path: Path) -> None:
    snap = _write_snapshot(tmp_path / "snap")
    pd.DataFrame({"source_id": ["SRC-A"]}).to_csv(snap / fm.SOURCES_FILE, index=False)
    with pytest.raises(DataQualityError, match=r"source_id\(s\) \['SRC-B'\] are not described"):
        fm.load_fundamentals("snapshot", ["AAA"], snapshot_dir=snap)


# -- raw payload cache ------------------------------------------------------------------------


def test_cache_roundtrip_refusal_and_tamper(tmp_path: Path) -> None:
    cache = fm.FundamentalsCache(tmp_path / "c")
    assert cache.read("x.json") is None
    assert cache.write("x.json", b'{"a": 1}', records=5, fetched_at=NOW, url="u")
    got = cache.read("x.json")
    assert got is not None and got.payload == b'{"a": 1}' and got.records == 5 and got.fetched_at == NOW
    assert not cache.write("x.json", b"{}", records=4, fetched_at=NOW, url="u")  # never less
    assert cache.read("x.json").payload == b'{"a": 1}'  # type: ignore[union-attr]
    (tmp_path / "c" / "x.json").write_bytes(b'{"a": 2}')
    with pytest.raises(CacheError, match="does not match the manifest"):
        cache.read("x.json")
    with pytest.raises(ConfigError, match="bad cache file name"):
        cache.read("../escape.json")


# -- SEC source (fake HTTP) ---------------------------------------------------------------------


class FakeFetcher:
    def __init__(self, answers: Mapping[str, bytes] | None = None, error: SecHttpError | None = None) -> None:
        self.answers = dict(answers or {})
        self.error = error
        self.calls: list[str] = []

    def __call__(self, url: str, headers: Mapping[str, str], timeout: float) -> bytes:
        self.calls.append(url)
        assert headers["User-Agent"] == UA
        if self.error is not None:
            raise self.error
        if url not in self.answers:
            raise SecHttpError(f"HTTP 404 from {url}", url=url, status=404)
        return self.answers[url]


def _sec_client(fetcher: FakeFetcher) -> EdgarClient:
    return EdgarClient(
        UA,
        fetcher=fetcher,
        limiter=RateLimiter(clock=lambda: 0.0, sleep=lambda s: None),
        sleep=lambda s: None,
    )


def _sec_answers() -> dict[str, bytes]:
    return {
        edgar.COMPANY_TICKERS_URL: (FIXTURES / "company_tickers_small.json").read_bytes(),
        edgar.companyfacts_url(1234567): (FIXTURES / "companyfacts_small.json").read_bytes(),
    }


def test_sec_source_fetches_parses_and_caches(tmp_path: Path) -> None:
    fetcher = FakeFetcher(_sec_answers())
    panel = fm.load_fundamentals(
        "sec", ["XMPL"], client=_sec_client(fetcher), data_dir=tmp_path, now=lambda: NOW
    )
    expected = edgar.parse_companyfacts((FIXTURES / "companyfacts_small.json").read_bytes(), ticker="XMPL")
    pd.testing.assert_frame_equal(panel.data, expected.loc[:, list(LONG_COLUMNS)])
    assert panel.source == "sec" and fm.SEC_SEGMENT_NOTE in panel.notes
    assert panel.meta["XMPL"]["cik"] == 1234567 and panel.meta["XMPL"]["cik_source"] == "company_tickers.json"
    assert len(fetcher.calls) == 2
    raw = tmp_path / "raw" / "fundamentals" / "sec"
    manifest = json.loads((raw / fm.CACHE_MANIFEST).read_text())
    assert set(manifest["entries"]) == {"CIK0001234567.json", "company_tickers.json"}
    # A warm cache makes no request at all, not even a client (no User-Agent needed).
    again = fm.load_fundamentals("sec", ["XMPL"], data_dir=tmp_path, now=lambda: NOW + pd.Timedelta(hours=1))
    pd.testing.assert_frame_equal(again.data, panel.data)
    assert again.meta["XMPL"]["from_cache"] is True


def test_sec_stale_cache_fallback_and_strict(tmp_path: Path) -> None:
    fm.load_fundamentals(
        "sec", ["XMPL"], client=_sec_client(FakeFetcher(_sec_answers())), data_dir=tmp_path, now=lambda: NOW
    )
    down = FakeFetcher(error=SecHttpError("cannot reach SEC", url="u", transient=True))
    client = EdgarClient(
        UA,
        fetcher=down,
        limiter=RateLimiter(clock=lambda: 0.0, sleep=lambda s: None),
        sleep=lambda s: None,
        max_retries=0,
    )
    later = NOW + pd.Timedelta(days=40)
    with pytest.warns(UserWarning, match="using the cached copy"):
        panel = fm.load_fundamentals("sec", ["XMPL"], client=client, data_dir=tmp_path, now=lambda: later)
    assert panel.meta["XMPL"]["stale"] is True and len(panel.data) > 0
    with pytest.raises(DataFetchError, match="cannot reach SEC"):
        fm.load_fundamentals(
            "sec", ["XMPL"], client=client, data_dir=tmp_path, now=lambda: later, strict=True
        )


def test_sec_offline_without_cache(tmp_path: Path) -> None:
    down = FakeFetcher(error=SecHttpError("cannot reach SEC", url="u", transient=True))
    client = EdgarClient(
        UA,
        fetcher=down,
        limiter=RateLimiter(clock=lambda: 0.0, sleep=lambda s: None),
        sleep=lambda s: None,
        max_retries=0,
    )
    with pytest.raises(DataFetchError, match="no fundamentals for any requested ticker") as info:
        fm.load_fundamentals("sec", ["RIOT", "XMPL"], client=client, data_dir=tmp_path, now=lambda: NOW)
    # RIOT falls back to the curated CIK (and then fails to fetch); XMPL has no CIK at all.
    assert "CIK0001167419" in info.value.failed["RIOT"]
    assert info.value.failed["XMPL"].startswith("no CIK known for XMPL")


def test_sec_needs_user_agent_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(edgar.SEC_USER_AGENT_ENV, raising=False)
    with pytest.raises(ConfigError, match="requires a User-Agent"):
        fm.load_fundamentals("sec", ["RIOT"], data_dir=tmp_path, now=lambda: NOW)


def test_sec_corrupt_cache_is_refetched(tmp_path: Path) -> None:
    fm.load_fundamentals(
        "sec", ["XMPL"], client=_sec_client(FakeFetcher(_sec_answers())), data_dir=tmp_path, now=lambda: NOW
    )
    cached = tmp_path / "raw" / "fundamentals" / "sec" / "CIK0001234567.json"
    cached.write_bytes(cached.read_bytes().replace(b"100000000", b"100000001"))
    fetcher = FakeFetcher(_sec_answers())
    panel = fm.load_fundamentals(
        "sec", ["XMPL"], client=_sec_client(fetcher), data_dir=tmp_path, now=lambda: NOW
    )
    assert "does not match the manifest" in panel.meta["XMPL"]["corrupt_cache"]
    assert edgar.companyfacts_url(1234567) in fetcher.calls
    assert 100_000_001.0 not in set(panel.data["value"])


# -- Yahoo source (fakes of yfinance's exact shapes) -----------------------------------------------

PERIODS = pd.DatetimeIndex(["2025-09-30", "2025-06-30", "2025-03-31"])  # yfinance: newest first


class FakeYahooTicker:
    """Stand-in for ``yf.Ticker``: line items as index, period Timestamps as columns, NaN holes."""

    def __init__(self, symbol: str) -> None:
        nan = np.nan
        self.quarterly_balance_sheet = pd.DataFrame(
            [
                [900.0, 600.0, 500.0],
                [100.0, 50.0, nan],
                [700.0, 500.0, 450.0],
                [300.0, nan, 200.0],
                [nan, 250.0, nan],
                [5000.0, 4000.0, 3000.0],
            ],
            index=[
                "Total Debt",
                "Current Debt",
                "Long Term Debt",
                "Cash And Cash Equivalents",
                "Cash Cash Equivalents And Short Term Investments",
                "Total Assets",
            ],
            columns=PERIODS,
        )
        self.quarterly_income_stmt = pd.DataFrame(
            [[210.0, 190.0, nan], [205.0, 185.0, 170.0], [12.0, -4.0, nan]],
            index=["Total Revenue", "Operating Revenue", "Net Income"],
            columns=pd.Index(list(PERIODS), dtype=object),  # some versions: an object Index of Timestamps
        )
        self.quarterly_cashflow = pd.DataFrame(
            [[-80.0, -60.0, -40.0]], index=["Capital Expenditure"], columns=PERIODS
        )


def test_parse_yahoo_statements_recipes_and_signs() -> None:
    fake = FakeYahooTicker("AAA")
    statements = {
        "balance_sheet": fake.quarterly_balance_sheet,
        "income_stmt": fake.quarterly_income_stmt,
        "cashflow": fake.quarterly_cashflow,
    }
    got = fm.parse_yahoo_statements("AAA", statements, fiscal_year_end_month=9)
    v = got.set_index([got["period_end"].dt.strftime("%Y-%m-%d"), "metric"])
    assert v.loc[("2025-09-30", "debt_total"), "value"] == 100.0 + 700.0  # current + long term
    assert v.loc[("2025-09-30", "debt_total"), "source_id"] == "yahoo:Current Debt+Long Term Debt"
    assert v.loc[("2025-03-31", "debt_total"), "value"] == 500.0  # hole in Current Debt: Total Debt
    assert v.loc[("2025-03-31", "debt_total"), "source_id"] == "yahoo:Total Debt"
    assert (
        v.loc[("2025-06-30", "cash"), "source_id"] == "yahoo:Cash Cash Equivalents And Short Term Investments"
    )
    assert v.loc[("2025-03-31", "revenue_total"), "source_id"] == "yahoo:Operating Revenue"
    assert v.loc[("2025-09-30", "capex"), "value"] == 80.0  # outflow sign flipped
    assert ("2025-03-31", "net_income") not in v.index  # NaN hole: no row, nothing filled
    assert got["filed"].isna().all()
    assert v.loc[("2025-09-30", "revenue_total"), "fiscal_period"] == "FY2025-Q4"
    assert v.loc[("2025-03-31", "total_assets"), "fiscal_period"] == "FY2025-Q2"


def test_yahoo_source_caches_and_is_never_joined(tmp_path: Path) -> None:
    calls: list[str] = []

    def factory(symbol: str) -> FakeYahooTicker:
        calls.append(symbol)
        return FakeYahooTicker(symbol)

    panel = fm.load_fundamentals("yahoo", ["AAA"], ticker_factory=factory, data_dir=tmp_path, now=lambda: NOW)
    assert calls == ["AAA"] and fm.YAHOO_FILED_NOTE in panel.notes
    assert fm.as_of_view(panel, "2030-01-01").empty  # no filing date: never joined to prices
    assert fm.point_in_time(panel, ["2026-01-02"]).empty

    def offline(symbol: str) -> FakeYahooTicker:
        raise OSError("network disabled")

    again = fm.load_fundamentals("yahoo", ["AAA"], ticker_factory=offline, data_dir=tmp_path, now=lambda: NOW)
    pd.testing.assert_frame_equal(again.data, panel.data)


def test_yahoo_failures_are_named(tmp_path: Path) -> None:
    class Empty:
        quarterly_balance_sheet = pd.DataFrame()
        quarterly_income_stmt = pd.DataFrame()
        quarterly_cashflow = pd.DataFrame()

    def factory(symbol: str) -> Any:
        if symbol == "EEE":
            return Empty()
        raise OSError("Too Many Requests")

    with pytest.raises(DataFetchError) as info:
        fm.load_fundamentals(
            "yahoo", ["EEE", "FFF"], ticker_factory=factory, data_dir=tmp_path, now=lambda: NOW
        )
    assert "no quarterly statements for EEE" in info.value.failed["EEE"]
    assert "OSError: Too Many Requests" in info.value.failed["FFF"]


# -- processed output ---------------------------------------------------------------------------


def test_write_and_read_fundamentals(tmp_path: Path) -> None:
    panel = _panel(SNAP_ROWS)
    path = fm.write_fundamentals(panel, tmp_path)
    assert path == tmp_path / "processed" / fm.PROCESSED_NAME
    pd.testing.assert_frame_equal(fm.read_fundamentals(tmp_path), panel.data)
    side = json.loads((tmp_path / "processed" / fm.PROCESSED_META).read_text())
    assert side["source"] == "snapshot" and side["rows"] == len(SNAP_ROWS) and side["unfiled_rows"] == 1
    pd.DataFrame({"x": [1]}).to_parquet(path)
    with pytest.raises(CacheError, match="does not match the sha256"):
        fm.read_fundamentals(tmp_path)
    with pytest.raises(ConfigError, match="run `python -m analysis fundamentals"):
        fm.read_fundamentals(tmp_path / "elsewhere")


# -- point in time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filed", "known"),
    [
        ("2025-11-04", "2025-11-05"),  # Tuesday -> Wednesday (never on the filing day)
        ("2025-05-09", "2025-05-12"),  # Friday -> Monday
        ("2025-05-10", "2025-05-12"),  # Saturday -> Monday
        ("2025-07-03", "2025-07-07"),  # eve of Independence Day (Fri 4 Jul closed) -> Monday
        ("2025-12-24", "2025-12-26"),  # Christmas
    ],
)
def test_known_from_next_session(filed: str, known: str) -> None:
    out = fm.known_from(pd.Series(pd.to_datetime([filed, None])))
    assert out.iloc[0] == pd.Timestamp(known) and pd.isna(out.iloc[1])


def test_known_from_beyond_calendar() -> None:
    with pytest.raises(ConfigError, match="beyond the exchange calendar"):
        fm.known_from(pd.Series(pd.to_datetime(["2200-01-02"])))


VINTAGES = [
    _row("AAA", "2025-03-31", "revenue_total", 100.0, "FY2025-Q1", "2025-05-01", "first"),
    _row("AAA", "2025-03-31", "revenue_total", 95.0, "FY2025-Q1", "2025-08-01", "restated"),
    _row("AAA", "2025-06-30", "revenue_total", 120.0, "FY2025-Q2", "2025-08-01", "q2"),
    _row("AAA", "2024-12-31", "revenue_total", 90.0, "FY2024-Q4", "2025-09-15", "late comparative"),
    _row("AAA", "2025-09-30", "revenue_total", 130.0, "FY2025-Q3", "", "unfiled"),
]


def test_as_of_view_takes_what_was_known() -> None:
    data = _long(VINTAGES)
    before = fm.as_of_view(data, "2025-05-01")  # filed that day: not yet known
    assert before.empty
    may = fm.as_of_view(data, "2025-05-02")
    assert may["value"].tolist() == [100.0] and may["known_from"].tolist() == [pd.Timestamp("2025-05-02")]
    aug = fm.as_of_view(data, "2025-08-04").set_index("fiscal_period")
    assert aug.loc["FY2025-Q1", "value"] == 95.0 and aug.loc["FY2025-Q1", "source_id"] == "restated"
    assert "unfiled" not in set(fm.as_of_view(data, "2030-01-02")["source_id"])


def test_point_in_time_latest_period_known_at_each_date() -> None:
    data = _long(VINTAGES)
    dates = pd.DatetimeIndex(
        ["2025-04-30", "2025-05-02", "2025-08-01", "2025-08-04", "2025-09-17", "2026-01-05"]
    )
    out = fm.point_in_time(data, dates).set_index("date")
    assert list(out.index) == list(dates[1:])  # nothing known on 2025-04-30
    assert out["value"].tolist() == [100.0, 100.0, 120.0, 120.0, 120.0]
    # The late comparative of an older quarter (known 2025-09-16) never replaces the newer quarter;
    # the unfiled Q3 row never appears.
    assert set(out["source_id"]) == {"first", "q2"}
    ytd = [*VINTAGES, _row("AAA", "2025-09-30", "revenue_total", 345.0, "FY2025-9M", "2025-11-03", "ytd")]
    assert "ytd" not in set(fm.point_in_time(_long(ytd), ["2026-01-05"])["source_id"])
    assert "ytd" in set(fm.point_in_time(_long(ytd), ["2026-01-05"], kinds=("ytd",))["source_id"])


# -- derived metrics -----------------------------------------------------------------------------


def test_derive_quarters_q4_from_fy_minus_9m() -> None:
    rows = [
        _row("AAA", "2024-03-31", "revenue_total", 10.0, "FY2024-Q1", "2024-05-01", "q1"),
        _row("AAA", "2024-06-30", "revenue_total", 25.0, "FY2024-6M", "2024-08-01", "h1"),
        _row("AAA", "2024-09-30", "revenue_total", 45.0, "FY2024-9M", "2024-11-01", "9m"),
        _row("AAA", "2024-12-31", "revenue_total", 70.0, "FY2024", "2025-02-27", "fy"),
        _row("AAA", "2024-12-31", "cash", 5.0, "FY2024-Q4", "2025-02-27", "bs"),
    ]
    out = fm.derive_quarters(_long(rows))
    derived = out.loc[out["source_id"].str.startswith("derived:")].set_index("fiscal_period")
    assert derived["value"].to_dict() == {"FY2024-Q2": 15.0, "FY2024-Q3": 20.0, "FY2024-Q4": 25.0}
    assert derived.loc["FY2024-Q4", "filed"] == pd.Timestamp("2025-02-27")
    assert derived.loc["FY2024-Q4", "period_end"] == pd.Timestamp("2024-12-31")
    assert "FY2024 - FY2024-9M" in derived.loc["FY2024-Q4", "source_id"]
    # A reported quarter is never overwritten, and balance sheets are never derived.
    reported = [*rows, _row("AAA", "2024-12-31", "revenue_total", 26.0, "FY2024-Q4", "2025-02-27", "q4")]
    again = fm.derive_quarters(_long(reported))
    assert again.loc[again["fiscal_period"] == "FY2024-Q4", "value"].tolist() == [5.0, 26.0]


def test_derive_quarters_unknown_input_date_propagates() -> None:
    rows = [
        _row("AAA", "2024-09-30", "revenue_total", 45.0, "FY2024-9M", "", "9m"),
        _row("AAA", "2024-12-31", "revenue_total", 70.0, "FY2024", "2025-02-27", "fy"),
    ]
    out = fm.derive_quarters(_long(rows))
    q4 = out.loc[out["fiscal_period"] == "FY2024-Q4"]
    assert q4["value"].tolist() == [25.0] and q4["filed"].isna().all()


def _quarters(
    ticker: str, revenue: list[float], debt: list[float], hpc: list[float] | None = None
) -> list[dict[str, Any]]:
    ends = ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
    filed = ["2025-05-01", "2025-08-01", "2025-11-03", "2026-02-26"]
    rows = []
    for i, (end, f) in enumerate(zip(ends, filed, strict=True)):
        label = f"FY2025-Q{i + 1}"
        rows.append(_row(ticker, end, "revenue_total", revenue[i], label, f, f"{ticker}-{i}"))
        rows.append(_row(ticker, end, "debt_total", debt[i], label, f, f"{ticker}-{i}"))
        if hpc is not None:
            rows.append(_row(ticker, end, "revenue_hpc", hpc[i], label, f, f"{ticker}-{i}"))
            rows.append(
                _row(ticker, end, "revenue_mining", revenue[i] - hpc[i] - 1.0, label, f, f"{ticker}-{i}")
            )
    return rows


def test_revenue_bars_are_a_quarter_wide_not_invisible() -> None:
    """The revenue-split bars span about BAR_DAYS on the date axis (a bare width was 62 ns)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.patches import Rectangle

    from analysis import plots
    from analysis.plots.fundamentals import BAR_DAYS

    quarters = fm.derived_metrics(_long(_quarters("AAA", [100.0] * 4, [300.0] * 4, [20.0] * 4)))
    fig = plots.revenue_split_panels(quarters, note="test note")
    bars = [p for ax in fig.axes for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0]
    assert bars, "no revenue bars drawn"
    widths = {round(p.get_width(), 6) for p in bars}  # matplotlib date units are days
    assert widths == {float(BAR_DAYS)}, widths


def test_derived_metrics_planted_leverage_and_hpc_share() -> None:
    rng = np.random.default_rng(11)
    revenue = rng.uniform(50, 150, 4).round(3).tolist()
    debt = rng.uniform(100, 900, 4).round(3).tolist()
    hpc = [r * s for r, s in zip(revenue, rng.uniform(0.05, 0.5, 4), strict=True)]
    out = fm.derived_metrics(_long(_quarters("AAA", revenue, debt, hpc)))
    wide = out.pivot(index="period_end", columns="metric", values="value")
    np.testing.assert_allclose(
        wide["leverage"], np.array(debt) / (fm.QUARTERS_PER_YEAR * np.array(revenue)), rtol=1e-12
    )
    np.testing.assert_allclose(wide["hpc_share"], np.array(hpc) / np.array(revenue), rtol=1e-12)
    np.testing.assert_allclose(wide["revenue_other"], 1.0, rtol=1e-9)
    units = out.drop_duplicates("metric").set_index("metric")["unit"]
    assert units["leverage"] == "ratio" and units["hpc_share"] == "fraction" and units["debt_total"] == "USD"
    ttm = fm.derived_metrics(_long(_quarters("AAA", revenue, debt, hpc)), annualisation="ttm")
    lev = ttm.loc[ttm["metric"] == "leverage"]
    assert lev["period_end"].tolist() == [pd.Timestamp("2025-12-31")]  # four quarters needed
    assert lev["value"].iloc[0] == pytest.approx(debt[3] / sum(revenue))
    assert lev["filed"].iloc[0] == pd.Timestamp("2026-02-26")
    with pytest.raises(ConfigError, match="annualisation must be one of"):
        fm.derived_metrics(_long(_quarters("AAA", revenue, debt)), annualisation="x4")


def test_derived_metrics_point_in_time_and_unknown_dates() -> None:
    rows = _quarters("AAA", [100.0, 100.0, 100.0, 100.0], [400.0, 400.0, 800.0, 800.0])
    rows[-1] = {**rows[-1], "filed": ""}  # Q4 debt without a filing date
    out = fm.derived_metrics(_long(rows))
    q4 = out.loc[(out["metric"] == "leverage") & (out["period_end"] == "2025-12-31")]
    assert q4["filed"].isna().all()  # derived from an unfiled input: never joined
    at = fm.derived_metrics(_long(rows), as_of="2025-11-03")  # Q3 filed that day: not yet known
    assert at.loc[at["metric"] == "leverage", "period_end"].max() == pd.Timestamp("2025-06-30")
    nothing = [
        _row("AAA", "2025-03-31", "revenue_total", 0.0, "FY2025-Q1", "2025-05-01"),
        _row("AAA", "2025-03-31", "debt_total", 5.0, "FY2025-Q1", "2025-05-01"),
    ]
    assert "leverage" not in set(fm.derived_metrics(_long(nothing))["metric"])  # revenue must be > 0


def test_hpc_share_is_never_inferred_from_mining() -> None:
    rows = [
        _row("AAA", "2025-03-31", "revenue_total", 100.0, "FY2025-Q1", "2025-05-01"),
        _row("AAA", "2025-03-31", "revenue_mining", 90.0, "FY2025-Q1", "2025-05-01"),
    ]
    out = fm.derived_metrics(_long(rows))
    assert not out["metric"].isin(["hpc_share", "revenue_other"]).any()


def test_metric_series_wide() -> None:
    data = _long(
        _quarters("AAA", [1.0, 2.0, 3.0, 4.0], [5.0] * 4) + _quarters("BBB", [6.0, 7.0, 8.0, 9.0], [1.0] * 4)
    )
    wide = fm.metric_series(data, "revenue_total")
    assert list(wide.columns) == ["AAA", "BBB"] and wide["BBB"].tolist() == [6.0, 7.0, 8.0, 9.0]
    with pytest.raises(ConfigError, match="metric 'hpc_share' not in the data"):
        fm.metric_series(data, "hpc_share")


# -- coverage -----------------------------------------------------------------------------------------


def test_coverage_statuses_and_reasons() -> None:
    rows = [
        _row("AAA", "2025-03-31", "revenue_total", 10.0, "FY2025-Q1", "2025-05-01"),
        _row("AAA", "2025-06-30", "revenue_total", 25.0, "FY2025-6M", "2025-08-01"),  # -> derived Q2
        _row("AAA", "2025-09-30", "revenue_total", 40.0, "FY2025-9M", "2025-11-03"),  # -> derived Q3
        _row("AAA", "2025-12-31", "revenue_total", 66.0, "FY2025", ""),  # -> derived Q4, unfiled
        _row("AAA", "2025-03-31", "cash", 3.0, "FY2025-Q1", ""),
        _row("AAA", "2025-12-31", "cash", 4.0, "FY2025-Q4", "2026-02-26"),
        _row("RIOT", "2025-03-31", "revenue_total", 9.0, "FY2025-Q1", "2025-05-01"),
    ]
    panel = _panel(rows, failed={"BITF": "nothing found"})
    cov = fm.coverage(panel, metrics=("revenue_total", "cash", "revenue_hpc"))
    t = cov.table.set_index(
        ["ticker", "metric", cov.table["period_end"].dt.strftime("%Y-%m-%d")]
    ).sort_index()
    assert t.loc[("AAA", "revenue_total", "2025-03-31"), "status"] == "reported"
    assert t.loc[("AAA", "revenue_total", "2025-06-30"), "status"] == "derived"
    assert t.loc[("AAA", "revenue_total", "2025-06-30"), "value"] == 15.0
    assert t.loc[("AAA", "revenue_total", "2025-12-31"), "joinable"] == False  # noqa: E712
    assert t.loc[("AAA", "cash", "2025-06-30"), "status"] == "missing"
    assert fm.UNFILED_NOTE in t.loc[("AAA", "cash", "2025-03-31"), "reason"]
    assert t.loc[("RIOT", "revenue_hpc", "2025-03-31"), "status"] == "not_reported"
    assert "bitcoin-miner hosting" in t.loc[("RIOT", "revenue_hpc", "2025-03-31"), "reason"]
    assert (t.loc["BITF", "status"] == "not_reported").all() and (
        t.loc["BITF", "reason"] == "nothing found"
    ).all()
    # Every ticker x metric x quarter appears once.
    assert len(cov.table) == 3 * 3 * 4 and not cov.table.duplicated(["ticker", "metric", "period_end"]).any()
    summary = cov.summary_frame().set_index(["ticker", "metric"])
    assert (
        summary.loc[("AAA", "revenue_total"), "derived"] == 3
        and summary.loc[("AAA", "cash"), "joinable"] == 1
    )
    assert cov.matrix("reported").loc["AAA", "cash"] == 2
    underived = fm.coverage(panel, metrics=("revenue_total",), derive=False).table
    assert set(underived.loc[underived["ticker"] == "AAA", "status"]) == {"reported", "ytd_only"}


def test_coverage_sec_segment_reason() -> None:
    panel = _panel(
        [_row("AAA", "2025-03-31", "revenue_total", 10.0, "FY2025-Q1", "2025-05-01")], source="sec"
    )
    t = fm.coverage(panel, metrics=("revenue_hpc",)).table
    assert (t["reason"] == fm.SEC_SEGMENT_NOTE).all()


# -- market link ------------------------------------------------------------------------------------


def _link_panel(shares: dict[str, float]) -> pd.DataFrame:
    rows = []
    for t, share in shares.items():
        rows += [
            _row(t, "2025-09-30", "revenue_total", 100.0, "FY2025-Q3", "2025-11-03"),
            _row(t, "2025-09-30", "revenue_hpc", 100.0 * share, "FY2025-Q3", "2025-11-03"),
            _row(t, "2025-09-30", "debt_total", 400.0 * (1 + share), "FY2025-Q3", "2025-11-03"),
        ]
    return _long(rows)


def test_market_link_planted_rank_correlation() -> None:
    rng = np.random.default_rng(7)
    tickers = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]
    shares = dict(zip(tickers, rng.uniform(0.0, 0.6, len(tickers)), strict=True))
    measures = pd.DataFrame(
        {"beta_shift": [2.0 * s + 0.1 for s in shares.values()], "drawdown": [-s for s in shares.values()]},
        index=tickers,
    )
    link = fm.market_link(measures, _link_panel(shares), as_of="2025-12-02")
    c = link.summary_frame().set_index(["fundamental", "measure"])
    assert c.loc[("hpc_share", "beta_shift"), "rho"] == pytest.approx(1.0)
    assert c.loc[("hpc_share", "drawdown"), "rho"] == pytest.approx(-1.0)
    assert c.loc[("leverage", "beta_shift"), "rho"] == pytest.approx(
        1.0
    )  # leverage rises with the share here
    assert (c["n"] == len(tickers)).all() and c.loc[
        ("hpc_share", "beta_shift"), "rho_drop_one_min"
    ] == pytest.approx(1.0)
    assert link.table.loc["AAA", "hpc_share"] == pytest.approx(shares["AAA"])
    assert link.table.loc["AAA", "hpc_share_period_end"] == pd.Timestamp("2025-09-30")
    assert f"at most {len(tickers)} firms" in link.caveat and "Descriptive only" in link.caveat


def test_market_link_point_in_time_and_small_n() -> None:
    shares = {"AAA": 0.1, "BBB": 0.2, "CCC": 0.3}
    measures = pd.DataFrame({"beta_shift": [1.0, 2.0, 3.0]}, index=list(shares))
    link = fm.market_link(measures, _link_panel(shares), as_of="2025-12-02")
    assert link.correlations["rho"].isna().all() and (link.correlations["n"] == 3).all()  # < 4 firms
    early = fm.market_link(measures, _link_panel(shares), as_of="2025-11-03")  # filed that day: unknown
    assert early.table["hpc_share"].isna().all()
    stale = fm.market_link(measures, _link_panel(shares), as_of="2026-12-01", max_age_days=180)
    assert stale.table["hpc_share"].isna().all()
    with pytest.raises(ConfigError, match="measures must be a non-empty DataFrame"):
        fm.market_link(pd.DataFrame(), _link_panel(shares), as_of="2025-12-02")


def test_market_link_sentence_counts_only_firms_with_market_measures() -> None:
    shares = {"AAA": 0.1, "BBB": 0.2, "CCC": 0.3, "DDD": 0.4}
    idx = pd.Index(list(shares), name="ticker")
    prices = pd.DataFrame(
        {t: [10.0, 9.0] for t in shares}, index=pd.to_datetime(["2025-12-01", "2025-12-02"])
    )
    returns = pd.DataFrame(index=prices.index)  # no returns: no beta shift for anyone
    measures = fm.market_measures(returns, prices.iloc[:1], list(idx), drawdown_date="2025-12-02")
    assert measures.measures.isna().all().all()  # no close on the drawdown date either
    link = fm.market_link(measures.measures, _link_panel(shares), as_of="2025-12-02")
    text = fm.market_link_sentence(link, measures)
    assert "known for 0 firm(s) with market measures (none)" in text
    # The drawdown session defaults to the last session of the prices (the as-of session).
    assert fm.market_measures(returns, prices, list(idx)).drawdown_date == pd.Timestamp("2025-12-02")


# -- CLI ---------------------------------------------------------------------------------------------


def test_cli_writes_parquet_equal_to_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _write_snapshot(tmp_path / "snap")
    code = main(
        [
            "fundamentals",
            "--snapshot-dir",
            str(snap),
            "--tickers",
            "AAA,CCC",
            "--data-dir",
            str(tmp_path / "d"),
        ]
    )
    assert code == 0
    written = pd.read_parquet(tmp_path / "d" / "processed" / fm.PROCESSED_NAME)
    assert list(written.columns) == list(LONG_COLUMNS)
    csv = pd.read_csv(snap / fm.SNAPSHOT_FILE, dtype=str, keep_default_na=False)
    key = ["ticker", "period_end", "metric"]
    got = written.assign(period_end=written["period_end"].dt.strftime("%Y-%m-%d")).sort_values(key)
    want = csv.sort_values(key)
    assert got["value"].tolist() == [float(v) for v in want["value"]]
    assert got["filed"].dt.strftime("%Y-%m-%d").fillna("").tolist() == want["filed"].tolist()
    assert got[["ticker", "fiscal_period", "metric", "unit", "source_id"]].values.tolist() == (
        want[["ticker", "fiscal_period", "metric", "unit", "source_id"]].values.tolist()
    )
    assert "written" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--source", "bloomberg"], "source must be one of"),
        (["--snapshot-dir", "/no/such/dir"], "fundamentals snapshot directory not found"),
        (["--tickers", "../x"], "malformed ticker"),
    ],
)
def test_cli_bad_input_one_line(
    argv: list[str], match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fundamentals", *argv, "--data-dir", str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and match in err[0]


# -- the real curated snapshot (read in place) ----------------------------------------------------------


@pytest.fixture(scope="module")
def real_dir() -> Path:
    value = os.environ.get(fm.FUNDAMENTALS_DATA_ENV, "")
    if not value or not (Path(value) / fm.SNAPSHOT_FILE).is_file():
        pytest.skip(f"{fm.FUNDAMENTALS_DATA_ENV} not set: real fundamentals tests skipped")
    return Path(value)


@pytest.fixture(scope="module")
def real_panel(real_dir: Path) -> FundamentalsPanel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fm.load_fundamentals("snapshot", snapshot_dir=real_dir)


def test_real_snapshot_values_equal_the_csv(
    real_dir: Path, real_panel: FundamentalsPanel, tmp_path: Path
) -> None:
    csv = pd.read_csv(real_dir / fm.SNAPSHOT_FILE, dtype=str, keep_default_na=False)
    assert len(real_panel.data) == len(csv)
    assert real_panel.data["value"].sum() == sum(float(v) for v in csv["value"])
    assert int(real_panel.data["filed"].isna().sum()) == int((csv["filed"] == "").sum())
    assert set(real_panel.tickers) | set(real_panel.failed) == set(fm.default_tickers())
    path = fm.write_fundamentals(real_panel, tmp_path)
    back = pd.read_parquet(path)
    key = ["ticker", "period_end", "fiscal_period", "metric", "filed"]
    merged = back.assign(
        period_end=back["period_end"].dt.strftime("%Y-%m-%d"),
        filed=back["filed"].dt.strftime("%Y-%m-%d").fillna(""),
    )
    joined = merged.merge(csv, on=key, suffixes=("", "_csv"), validate="one_to_one")
    assert len(joined) == len(csv)
    assert (joined["value"] == joined["value_csv"].astype(float)).all()


def test_real_snapshot_fiscal_labels_reproduce(real_panel: FundamentalsPanel) -> None:
    d = real_panel.data
    stock = d["metric"].isin(fm.STOCK_METRICS)
    months = [0 if s else fm._period_months(p) for s, p in zip(stock, d["fiscal_period"], strict=True)]
    relabelled = [
        fm.fiscal_label(e, m, fm.ISSUERS[t].fiscal_year_end_month)
        for e, m, t in zip(d["period_end"], months, d["ticker"], strict=True)
    ]
    assert relabelled == d["fiscal_period"].tolist()


def test_real_snapshot_derived_and_point_in_time(real_panel: FundamentalsPanel) -> None:
    derived = fm.derived_metrics(real_panel)
    share = derived.loc[derived["metric"] == "hpc_share", "value"]
    assert ((share >= 0) & (share <= 1)).all() and len(share) > 0
    wide = derived.pivot_table(index=["ticker", "period_end"], columns="metric", values="value")
    both = wide[["leverage", "debt_total", "revenue_total"]].dropna()
    np.testing.assert_allclose(both["leverage"], both["debt_total"] / (4 * both["revenue_total"]), rtol=1e-12)
    as_of = pd.Timestamp("2025-12-02")
    latest = fm.latest_known(derived, as_of, metrics=["leverage", "hpc_share"])
    assert (latest["known_from"] <= as_of).all() and latest["filed"].notna().all()
    assert not latest.duplicated(["ticker", "metric"]).any()


def test_real_snapshot_coverage_counts(real_panel: FundamentalsPanel) -> None:
    cov = fm.coverage(real_panel, derive=False)
    t = cov.table
    assert not t.duplicated(["ticker", "metric", "period_end"]).any()
    data = real_panel.data
    quarter = data.loc[data["fiscal_period"].map(fm.period_kind) == "quarter"]
    for (ticker, metric), n in quarter.groupby(["ticker", "metric"]).size().items():
        if metric in set(t["metric"]):
            got = ((t["ticker"] == ticker) & (t["metric"] == metric) & (t["status"] == "reported")).sum()
            assert got == n, (ticker, metric)
    assert (t.loc[t["ticker"] == "BITF", "status"] == "not_reported").all()
