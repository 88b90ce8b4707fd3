"""SEC client (User-Agent, rate limit, retries) and companyfacts parsing: fixture and real file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest

from analysis import edgar
from analysis.edgar import EdgarClient, RateLimiter, SecHttpError
from analysis.errors import ConfigError, DataQualityError
from analysis.fundamentals import LONG_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"
FACTS = FIXTURES / "companyfacts_small.json"
TICKERS = FIXTURES / "company_tickers_small.json"
REAL_FACTS = Path("/work/shared/fundamentals/raw/CIK0001839341.json")
UA = "Test Runner test.runner@example.org"
M = 1_000_000


class FakeClock:
    """Virtual monotonic clock; ``sleep`` advances it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeFetcher:
    """Answers from a URL -> bytes map (or a queue of exceptions); records every call."""

    def __init__(self, answers: Mapping[str, bytes], failures: list[SecHttpError] | None = None) -> None:
        self.answers = dict(answers)
        self.failures = list(failures or [])
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __call__(self, url: str, headers: Mapping[str, str], timeout: float) -> bytes:
        self.calls.append((url, dict(headers)))
        if self.failures:
            raise self.failures.pop(0)
        if url not in self.answers:
            raise SecHttpError(f"HTTP 404 from {url}", url=url, status=404)
        return self.answers[url]


def _client(fetcher: FakeFetcher, clock: FakeClock | None = None, **kw: object) -> EdgarClient:
    clock = clock or FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    return EdgarClient(UA, fetcher=fetcher, limiter=limiter, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


def _parsed() -> pd.DataFrame:
    return edgar.parse_companyfacts(FACTS.read_bytes(), ticker="XMPL")


# -- User-Agent ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "match"),
    [(None, "requires a User-Agent"), ("", "requires a User-Agent"), ("just a name", "no contact e-mail")],
)
def test_user_agent_refused_without_contact(
    value: str | None, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(edgar.SEC_USER_AGENT_ENV, raising=False)
    fetcher = FakeFetcher({})
    with pytest.raises(ConfigError, match=match):
        EdgarClient(value, fetcher=fetcher)
    assert fetcher.calls == []


def test_user_agent_from_env_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(edgar.SEC_USER_AGENT_ENV, UA)
    url = edgar.companyfacts_url(1234567)
    fetcher = FakeFetcher({url: FACTS.read_bytes()})
    clock = FakeClock()
    client = EdgarClient(fetcher=fetcher, limiter=RateLimiter(clock=clock, sleep=clock.sleep))
    client.companyfacts(1234567)
    assert fetcher.calls[0][0] == "https://data.sec.gov/api/xbrl/companyfacts/CIK0001234567.json"
    assert fetcher.calls[0][1]["User-Agent"] == UA


# -- rate limit and retries --------------------------------------------------------------


def test_rate_limiter_keeps_under_ten_per_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(edgar.MAX_REQUESTS_PER_SECOND, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(35):
        limiter.wait()
        stamps.append(clock.now)
    times = pd.Series(stamps)
    # Calls are at least 1/10 s apart, so no one-second window holds more than 10 (1e-9: float sums).
    assert times.diff().dropna().min() >= 1 / edgar.MAX_REQUESTS_PER_SECOND - 1e-9
    per_window = [int(((times >= t) & (times < t + 1.0 - 1e-9)).sum()) for t in times]
    assert max(per_window) <= edgar.MAX_REQUESTS_PER_SECOND
    # ... and the limiter is not slower than needed.
    assert times.iloc[-1] - times.iloc[0] == pytest.approx(34 / edgar.MAX_REQUESTS_PER_SECOND)


def test_rate_limiter_does_not_sleep_when_calls_are_spaced() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.wait()
        clock.now += 1.0
    assert clock.sleeps == []


def test_transient_errors_are_retried_with_backoff() -> None:
    url = edgar.COMPANY_TICKERS_URL
    failures = [SecHttpError("HTTP 429", url=url, status=429, transient=True)] * 2
    fetcher = FakeFetcher({url: TICKERS.read_bytes()}, failures=failures)
    clock = FakeClock()
    client = _client(fetcher, clock, backoff=0.5)
    assert client.company_tickers() == TICKERS.read_bytes()
    assert len(fetcher.calls) == 3
    assert [s for s in clock.sleeps if s >= 0.5] == [0.5, 1.0]


def test_permanent_error_is_not_retried() -> None:
    fetcher = FakeFetcher({})
    client = _client(fetcher)
    with pytest.raises(SecHttpError, match="HTTP 404") as info:
        client.companyfacts(42)
    assert info.value.status == 404 and len(fetcher.calls) == 1


def test_retries_are_bounded() -> None:
    url = edgar.COMPANY_TICKERS_URL
    failures = [SecHttpError("timeout", url=url, transient=True)] * 10
    fetcher = FakeFetcher({url: b"{}"}, failures=failures)
    client = _client(fetcher, max_retries=2, backoff=0.0)
    with pytest.raises(SecHttpError, match="timeout"):
        client.company_tickers()
    assert len(fetcher.calls) == 3


@pytest.mark.parametrize("cik", [0, -5, "1234", True])
def test_bad_cik(cik: object) -> None:
    with pytest.raises(ConfigError, match="CIK must be a positive integer"):
        edgar.companyfacts_url(cik)  # type: ignore[arg-type]


# -- parsing: the fixture -----------------------------------------------------------------


def test_parse_company_tickers() -> None:
    got = edgar.parse_company_tickers(TICKERS.read_bytes())
    raw = json.loads(TICKERS.read_text())
    assert got == {r["ticker"]: r["cik_str"] for r in raw.values()}
    with pytest.raises(DataQualityError, match="lacks ticker/cik_str"):
        edgar.parse_company_tickers(b'{"0": {"title": "x"}}')


def test_count_facts_counts_every_record() -> None:
    raw = json.loads(FACTS.read_text())
    expected = sum(
        len(recs) for tax in raw["facts"].values() for c in tax.values() for recs in c["units"].values()
    )
    assert edgar.count_facts(FACTS.read_bytes()) == expected
    with pytest.raises(DataQualityError, match="no 'facts'"):
        edgar.count_facts(b"{}")


def test_parse_fixture_columns_and_labels() -> None:
    got = _parsed()
    assert list(got.columns[: len(LONG_COLUMNS)]) == list(LONG_COLUMNS)
    assert set(got["unit"]) == {"USD"}
    assert set(got["form"]) <= edgar.PERIODIC_FORMS
    # Fiscal year ends in June (inferred from the 10-K's 12-month facts): Sep quarter is Q1.
    labels = dict(
        zip(got["period_end"].dt.strftime("%Y-%m-%d") + got["metric"], got["fiscal_period"], strict=False)
    )
    assert labels["2024-09-30cash"] == "FY2025-Q1"
    assert labels["2025-06-30total_assets"] == "FY2025-Q4"
    assert labels["2025-09-30revenue_total"] == "FY2026-Q1"
    rev = got.loc[got["metric"] == "revenue_total"].set_index("fiscal_period")
    assert rev.loc["FY2025-6M", "value"] == 220 * M and rev.loc["FY2025-9M", "value"] == 370 * M
    assert rev.loc["FY2025", "value"] == 530 * M


def test_parse_fixture_excludes_other_forms_units_and_stubs() -> None:
    got = _parsed()
    assert 999 * M not in set(got["value"])  # the 8-K fact
    assert 90 * M not in set(got["value"])  # the EUR fact
    assert 7 * M not in set(got["value"])  # the one-month stub
    assert not got["fiscal_period"].str.endswith("1M").any()


def test_parse_fixture_concept_fallbacks_recorded() -> None:
    got = _parsed()
    debt = got.loc[got["metric"] == "debt_total"]
    debt = debt.set_index(debt["period_end"].dt.strftime("%Y-%m-%d"))
    assert debt.loc["2024-09-30", "value"] == 100 * M
    assert debt.loc["2024-09-30", "source_id"] == "us-gaap:LongTermDebtCurrent+us-gaap:LongTermDebtNoncurrent"
    # LongTermDebt ranks before the current + noncurrent sum and before noncurrent alone.
    assert debt.loc["2024-12-31", "source_id"] == "us-gaap:LongTermDebt"
    assert debt.loc["2024-12-31", "value"] == 150 * M
    assert debt.loc["2025-03-31", "source_id"] == "us-gaap:LongTermDebtNoncurrent"
    assert debt.loc["2025-06-30", "source_id"] == "us-gaap:ConvertibleNotesPayable"
    rev = got.loc[got["metric"] == "revenue_total"]
    older = rev.loc[rev["period_end"] == "2024-03-31"]
    assert older["source_id"].tolist() == ["us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax"]
    assert 101 * M not in set(rev["value"])  # the lower-ranked concept loses where Revenues exists
    income = got.loc[got["metric"] == "net_income"]
    assert income["source_id"].tolist() == ["us-gaap:NetIncomeLoss"] and income["value"].tolist() == [-5 * M]


def test_parse_fixture_vintages() -> None:
    got = _parsed()
    q1 = got.loc[(got["metric"] == "revenue_total") & (got["fiscal_period"] == "FY2025-Q1")]
    # First reported 100M on 2024-11-12; restated to 95M in the 2025-11-10 10-Q: two vintages.
    assert q1.sort_values("filed")[["value", "filed"]].values.tolist() == [
        [100 * M, pd.Timestamp("2024-11-12")],
        [95 * M, pd.Timestamp("2025-11-10")],
    ]
    # An identical later re-report (Q2 in the 2025-11-10 filing, comparatives in the 10-K) adds nothing.
    q2 = got.loc[(got["metric"] == "revenue_total") & (got["fiscal_period"] == "FY2025-Q2")]
    assert q2["filed"].tolist() == [pd.Timestamp("2025-02-13")]
    assets = got.loc[(got["metric"] == "total_assets") & (got["period_end"] == "2024-06-30")]
    assert assets["filed"].tolist() == [pd.Timestamp("2024-11-12")]


def test_parse_explicit_fiscal_year_end_overrides_inference() -> None:
    got = edgar.parse_companyfacts(FACTS.read_bytes(), ticker="XMPL", fiscal_year_end_month=12)
    cash = got.loc[got["metric"] == "cash"].set_index("period_end")
    assert cash.loc[pd.Timestamp("2024-09-30"), "fiscal_period"] == "FY2024-Q3"


def test_parse_rejects_non_companyfacts() -> None:
    with pytest.raises(DataQualityError, match="not valid JSON"):
        edgar.parse_companyfacts(b"<html>")
    with pytest.raises(DataQualityError, match="no 'facts' object"):
        edgar.parse_companyfacts({"cik": 1})


def test_no_segment_revenue_from_companyfacts() -> None:
    assert "revenue_mining" not in edgar.CONCEPT_MAP and "revenue_hpc" not in edgar.CONCEPT_MAP
    assert not _parsed()["metric"].isin(["revenue_mining", "revenue_hpc"]).any()


# -- parsing: the real companyfacts file (read in place) ------------------------------------


@pytest.fixture
def real_facts() -> dict[str, object]:
    if not REAL_FACTS.is_file():
        pytest.skip(f"{REAL_FACTS} not present: real companyfacts test skipped")
    doc: dict[str, object] = json.loads(REAL_FACTS.read_text())
    return doc


def test_parse_real_companyfacts(real_facts: dict[str, object]) -> None:
    got = edgar.parse_companyfacts(real_facts)
    facts = real_facts["facts"]["us-gaap"]  # type: ignore[index]
    assert set(got["ticker"]) == {"CORZ"}  # CIK 1839341 in the curated map
    for metric, concept in (
        ("total_assets", "Assets"),
        ("cash", "CashAndCashEquivalentsAtCarryingValue"),
        ("net_income", "NetIncomeLoss"),
    ):
        raw = facts[concept]["units"]["USD"]
        part = got.loc[got["metric"] == metric].sort_values("period_end")
        assert part["value"].tolist() == [float(r["val"]) for r in sorted(raw, key=lambda r: r["end"])]
        assert set(part["source_id"]) == {f"us-gaap:{concept}"}
        assert part["filed"].tolist() == [
            pd.Timestamp(r["filed"]) for r in sorted(raw, key=lambda r: r["end"])
        ]
    # The SPAC had no revenue and no debt balance (a face amount of a note is not a balance).
    assert not got["metric"].isin(["revenue_total", "debt_total"]).any()
    # Labels from the period end (December fiscal year): a comparative instant is the prior Q4.
    labels = dict(zip(got["period_end"].dt.strftime("%Y-%m-%d"), got["fiscal_period"], strict=False))
    assert labels == {"2020-12-31": "FY2020-Q4", "2021-03-31": "FY2021-Q1"}
