"""SEC EDGAR XBRL companyfacts: a polite HTTP client and a parser to long records.

The client (:class:`EdgarClient`)
    * sends a User-Agent that names a person or firm and a contact e-mail, as SEC requires
      (``user_agent=`` or ``$SEC_USER_AGENT``); without one it refuses to call;
    * keeps under SEC's fair-access limit of 10 requests per second (:class:`RateLimiter`,
      with an injectable clock and sleep for tests);
    * retries transient failures (HTTP 429/5xx, timeouts, connection errors) a bounded number
      of times with exponential backoff, and raises :class:`SecHttpError` naming the URL;
    * does its HTTP through an injectable ``fetcher(url, headers, timeout) -> bytes``
      (default :func:`urllib_fetch`), so tests use fakes and never touch the network.

The parser (:func:`parse_companyfacts`)
    maps each metric through :data:`CONCEPT_MAP`, an ordered list of concept recipes (a
    recipe's concepts are summed within one filing); the recipe used for each period is
    recorded in ``source_id`` (e.g. ``us-gaap:LongTermDebt`` or
    ``us-gaap:LongTermDebtCurrent+us-gaap:LongTermDebtNoncurrent``). Only USD facts of
    periodic reports (:data:`PERIODIC_FORMS`) are used. Instants (balance sheet) and durations
    (flows) are told apart by the fact's ``start``; a duration's length gives the label
    (3 months: a quarter, 6/9 months: year to date, 12 months: the fiscal year). The facts'
    own ``fy``/``fp`` describe the *filing*, not the fact (comparatives carry the later
    filing's ``fy``), so labels come from the period end and the fiscal-year-end month.

Segment revenue (mining vs HPC/AI) is reported with XBRL dimensions, which companyfacts does
not carry: ``revenue_mining`` and ``revenue_hpc`` never come from here (no guessing).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, DataFetchError, DataQualityError
from .fundamentals import (
    ISSUERS,
    LONG_COLUMNS,
    MONTHS_PER_YEAR,
    STOCK_METRICS,
    _reporting_month,
    fiscal_label,
    normalize_long,
)

__all__ = [
    "COMPANYFACTS_URL",
    "COMPANY_TICKERS_MAX_AGE",
    "COMPANY_TICKERS_URL",
    "CONCEPT_MAP",
    "MAX_REQUESTS_PER_SECOND",
    "PERIODIC_FORMS",
    "SEC_USER_AGENT_ENV",
    "EdgarClient",
    "Fetcher",
    "RateLimiter",
    "SecHttpError",
    "companyfacts_url",
    "count_facts",
    "parse_company_tickers",
    "parse_companyfacts",
    "resolve_user_agent",
    "urllib_fetch",
]

#: Environment variable holding the SEC User-Agent ("Name contact@example.org").
SEC_USER_AGENT_ENV = "SEC_USER_AGENT"
#: SEC's fair-access limit.
MAX_REQUESTS_PER_SECOND = 10.0
COMPANYFACTS_URL = "https://data.sec.gov/api/xbrl/companyfacts/CIK{cik:010d}.json"
COMPANY_TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
#: The ticker map changes rarely; a cached copy younger than this is used as is.
COMPANY_TICKERS_MAX_AGE = pd.Timedelta(days=30)
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF_SECONDS = 1.0
BACKOFF_FACTOR = 2.0
#: HTTP statuses worth retrying (rate limited, server trouble).
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Forms whose facts are financial statements of a period (amendments included).
PERIODIC_FORMS = frozenset(
    {"10-Q", "10-Q/A", "10-K", "10-K/A", "10-KT", "10-KT/A", "20-F", "20-F/A", "40-F", "40-F/A"}
)
USD = "USD"
#: Mean days per month, to turn a duration into whole months.
DAYS_PER_MONTH = 365.25 / MONTHS_PER_YEAR
#: A duration counts as whole months if within this many months (~a week) of a whole number.
MONTH_TOLERANCE = 0.25
#: Flow lengths kept: a quarter, the 6- and 9-month year to date, the fiscal year.
FLOW_MONTHS = (3, 6, 9, 12)
_CONTACT = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

#: Ordered recipes per metric; a recipe is a tuple of concepts summed within one filing.
#: The first recipe with a value for a period wins; the recipe is recorded in ``source_id``.
CONCEPT_MAP: dict[str, tuple[tuple[str, ...], ...]] = {
    "debt_total": (
        ("us-gaap:LongTermDebt",),
        ("us-gaap:LongTermDebtCurrent", "us-gaap:LongTermDebtNoncurrent"),
        ("us-gaap:DebtCurrent", "us-gaap:LongTermDebtNoncurrent"),
        ("us-gaap:LoansPayableCurrent", "us-gaap:LongTermLoansPayable"),
        ("us-gaap:ConvertibleNotesPayableCurrent", "us-gaap:ConvertibleLongTermNotesPayable"),
        ("us-gaap:ConvertibleNotesPayable",),
        ("us-gaap:LongTermDebtNoncurrent",),
        ("us-gaap:ConvertibleLongTermNotesPayable",),
        ("ifrs-full:Borrowings",),
        (
            "ifrs-full:CurrentBorrowingsAndCurrentPortionOfNoncurrentBorrowings",
            "ifrs-full:NoncurrentPortionOfNoncurrentBorrowings",
        ),
    ),
    "cash": (
        ("us-gaap:CashAndCashEquivalentsAtCarryingValue",),
        ("us-gaap:Cash",),
        ("us-gaap:CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalents",),
        ("ifrs-full:CashAndCashEquivalents",),
    ),
    "total_assets": (("us-gaap:Assets",), ("ifrs-full:Assets",)),
    "revenue_total": (
        ("us-gaap:Revenues",),
        ("us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax",),
        ("us-gaap:RevenueFromContractWithCustomerIncludingAssessedTax",),
        ("ifrs-full:Revenue",),
        ("ifrs-full:RevenueFromContractsWithCustomers",),
    ),
    "net_income": (
        ("us-gaap:NetIncomeLoss",),
        ("us-gaap:ProfitLoss",),
        ("ifrs-full:ProfitLossAttributableToOwnersOfParent",),
        ("ifrs-full:ProfitLoss",),
    ),
    "capex": (
        ("us-gaap:PaymentsToAcquirePropertyPlantAndEquipment",),
        ("us-gaap:PaymentsToAcquireProductiveAssets",),
        ("ifrs-full:PurchaseOfPropertyPlantAndEquipmentClassifiedAsInvestingActivities",),
    ),
}

#: ``fetcher(url, headers, timeout_seconds) -> body``; raises :class:`SecHttpError`.
Fetcher = Callable[[str, Mapping[str, str], float], bytes]


class SecHttpError(DataFetchError):
    """An SEC request failed.

    Attributes
    ----------
    url, status
        The URL and the HTTP status (``None`` for network errors).
    transient
        Whether retrying may help (429, 5xx, timeouts, connection errors).
    """

    def __init__(self, message: str, *, url: str, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.transient = transient


def resolve_user_agent(user_agent: str | None = None) -> str:
    """The User-Agent to send: ``user_agent`` or ``$SEC_USER_AGENT``.

    Raises
    ------
    ConfigError
        If neither is set or it has no contact e-mail address (SEC blocks anonymous clients).
    """
    value = (user_agent if user_agent is not None else os.environ.get(SEC_USER_AGENT_ENV, "")).strip()
    if not value:
        raise ConfigError(
            "SEC EDGAR requires a User-Agent naming you and a contact e-mail; set "
            f"{SEC_USER_AGENT_ENV}='Jane Doe jane.doe@example.org' or pass --user-agent"
        )
    if not _CONTACT.search(value):
        raise ConfigError(
            f"SEC User-Agent {value!r} has no contact e-mail; use e.g. 'Jane Doe jane.doe@example.org' "
            f"(via {SEC_USER_AGENT_ENV} or --user-agent)"
        )
    return value


class RateLimiter:
    """Spaces calls at least ``1 / max_per_second`` seconds apart.

    Parameters
    ----------
    max_per_second
        Highest request rate (default SEC's 10 per second).
    clock, sleep
        Monotonic clock in seconds and a sleep function (injectable for tests).
    """

    def __init__(
        self,
        max_per_second: float = MAX_REQUESTS_PER_SECOND,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(max_per_second, bool) or not max_per_second > 0:
            raise ConfigError(f"max_per_second must be a positive number, got {max_per_second!r}")
        self.interval = 1.0 / float(max_per_second)
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Block until the next call is allowed, then reserve the following slot."""
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def urllib_fetch(url: str, headers: Mapping[str, str], timeout: float) -> bytes:
    """GET ``url`` with ``urllib`` (gzip accepted); raise :class:`SecHttpError` on failure."""
    request = urllib.request.Request(url, headers={**headers, "Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            if response.headers.get("Content-Encoding", "") == "gzip":
                body = gzip.decompress(body)
            return bytes(body)
    except urllib.error.HTTPError as exc:
        raise SecHttpError(
            f"HTTP {exc.code} from {url}", url=url, status=exc.code, transient=exc.code in TRANSIENT_STATUSES
        ) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise SecHttpError(f"cannot reach {url}: {exc}", url=url, transient=True) from exc


class EdgarClient:
    """A fair-access SEC EDGAR client.

    Parameters
    ----------
    user_agent
        "Name contact@example.org" (default ``$SEC_USER_AGENT``); required.
    fetcher
        HTTP GET (default :func:`urllib_fetch`).
    limiter
        Rate limiter (default 10 requests per second with the real clock).
    sleep
        Used for retry backoff.
    max_retries, backoff
        Retries of a transient failure and the first pause (doubling each time).
    timeout
        Seconds per request.

    Raises
    ------
    ConfigError
        Without a User-Agent that has a contact e-mail (no request is made).
    """

    def __init__(
        self,
        user_agent: str | None = None,
        *,
        fetcher: Fetcher | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff: float = DEFAULT_BACKOFF_SECONDS,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.user_agent = resolve_user_agent(user_agent)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if backoff < 0 or timeout <= 0:
            raise ConfigError(f"backoff must be >= 0 and timeout > 0 seconds, got {backoff}, {timeout}")
        self._fetch = fetcher or urllib_fetch
        self._limiter = limiter or RateLimiter()
        self._sleep = sleep
        self.max_retries = max_retries
        self.backoff = float(backoff)
        self.timeout = float(timeout)
        self.requests = 0

    def get(self, url: str) -> bytes:
        """GET ``url`` politely: rate limited, with the User-Agent, retrying transient errors.

        Raises
        ------
        SecHttpError
            After the last retry, or at once for a permanent failure (e.g. HTTP 404).
        """
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        attempt = 0
        while True:
            self._limiter.wait()
            self.requests += 1
            try:
                return self._fetch(url, headers, self.timeout)
            except SecHttpError as exc:
                if not exc.transient or attempt >= self.max_retries:
                    raise
                self._sleep(self.backoff * BACKOFF_FACTOR**attempt)
                attempt += 1

    def companyfacts(self, cik: int) -> bytes:
        """Raw companyfacts JSON of ``cik``."""
        return self.get(companyfacts_url(cik))

    def company_tickers(self) -> bytes:
        """Raw ``company_tickers.json`` (ticker -> CIK for every filer)."""
        return self.get(COMPANY_TICKERS_URL)


def companyfacts_url(cik: int) -> str:
    """The companyfacts URL of ``cik`` (10-digit zero-padded)."""
    if isinstance(cik, bool) or not isinstance(cik, int | np.integer) or cik <= 0:
        raise ConfigError(f"CIK must be a positive integer, got {cik!r}")
    return COMPANYFACTS_URL.format(cik=int(cik))


def _load_json(doc: Mapping[str, Any] | bytes | str, what: str) -> Any:
    if isinstance(doc, Mapping):
        return doc
    try:
        return json.loads(doc)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataQualityError(f"{what} is not valid JSON: {exc}") from exc


def parse_company_tickers(doc: Mapping[str, Any] | bytes | str) -> dict[str, int]:
    """Ticker -> CIK from SEC's ``company_tickers.json`` shape (``{"0": {"cik_str", "ticker", "title"}}``).

    Raises
    ------
    DataQualityError
        If the document does not have that shape.
    """
    raw = _load_json(doc, "company_tickers.json")
    if not isinstance(raw, Mapping):
        raise DataQualityError("company_tickers.json is not an object of records")
    out: dict[str, int] = {}
    for record in raw.values():
        try:
            out[str(record["ticker"]).upper()] = int(record["cik_str"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataQualityError(f"company_tickers.json record {record!r} lacks ticker/cik_str") from exc
    return out


def count_facts(doc: Mapping[str, Any] | bytes | str) -> int:
    """Number of fact records in a companyfacts document (to refuse caching a smaller one).

    Raises
    ------
    DataQualityError
        If the document is not companyfacts-shaped.
    """
    raw = _load_json(doc, "companyfacts")
    facts = raw.get("facts") if isinstance(raw, Mapping) else None
    if not isinstance(facts, Mapping):
        raise DataQualityError("companyfacts document has no 'facts' object")
    return sum(
        len(records)
        for concepts in facts.values()
        for concept in concepts.values()
        for records in (concept.get("units") or {}).values()
    )


_FACT_COLUMNS = ("start", "end", "value", "filed", "form", "accn")


def _concept_facts(
    facts: Mapping[str, Any], concept: str, *, instant: bool, forms: frozenset[str]
) -> pd.DataFrame:
    """USD facts of one ``taxonomy:Concept`` from periodic reports, instants or durations only."""
    taxonomy, _, name = concept.partition(":")
    records = (((facts.get(taxonomy) or {}).get(name) or {}).get("units") or {}).get(USD) or []
    rows = [
        {
            "start": r.get("start"),
            "end": r.get("end"),
            "value": r.get("val"),
            "filed": r.get("filed"),
            "form": r.get("form"),
            "accn": r.get("accn"),
        }
        for r in records
        if r.get("form") in forms
        and r.get("end")
        and r.get("filed")
        and r.get("val") is not None
        and (r.get("start") is None) == instant
    ]
    frame = pd.DataFrame(rows, columns=list(_FACT_COLUMNS))
    if frame.empty:
        return frame
    frame["end"] = pd.to_datetime(frame["end"], format="%Y-%m-%d")
    frame["start"] = pd.to_datetime(frame["start"], format="%Y-%m-%d")
    frame["filed"] = pd.to_datetime(frame["filed"], format="%Y-%m-%d")
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(np.float64)
    finite: pd.DataFrame = frame.loc[np.isfinite(frame["value"].to_numpy())]
    return finite.drop_duplicates(["accn", "start", "end", "value"])


def _recipe_facts(
    facts: Mapping[str, Any], recipe: tuple[str, ...], *, instant: bool, forms: frozenset[str]
) -> pd.DataFrame:
    """Facts of a recipe: one concept as is, several summed within the same filing and period."""
    parts = [_concept_facts(facts, c, instant=instant, forms=forms) for c in recipe]
    if any(p.empty for p in parts):
        return pd.DataFrame(columns=list(_FACT_COLUMNS))
    key = ["accn", "end"] if instant else ["accn", "start", "end"]
    merged = parts[0].drop_duplicates(key)
    for part in parts[1:]:
        merged = merged.merge(part.drop_duplicates(key)[[*key, "value"]], on=key, suffixes=("", "_b"))
        merged["value"] = merged["value"] + merged.pop("value_b")
    return merged


def _infer_fye_month(facts: Mapping[str, Any]) -> int:
    """Most common end month of ~12-month revenue/net-income facts in annual reports (else 12)."""
    months: list[int] = []
    for concept in (
        "us-gaap:Revenues",
        "us-gaap:NetIncomeLoss",
        "us-gaap:ProfitLoss",
        "ifrs-full:ProfitLoss",
    ):
        frame = _concept_facts(facts, concept, instant=False, forms=PERIODIC_FORMS)
        if frame.empty:
            continue
        length = ((frame["end"] - frame["start"]).dt.days + 1) / DAYS_PER_MONTH
        annual = frame.loc[np.round(length) == MONTHS_PER_YEAR, "end"]
        months.extend(_reporting_month(d).month for d in annual)
    if not months:
        return MONTHS_PER_YEAR
    values, counts = np.unique(months, return_counts=True)
    return int(values[np.argmax(counts)])


def parse_companyfacts(
    facts_json: Mapping[str, Any] | bytes | str,
    *,
    ticker: str | None = None,
    fiscal_year_end_month: int | None = None,
    concept_map: Mapping[str, tuple[tuple[str, ...], ...]] = CONCEPT_MAP,
    forms: frozenset[str] = PERIODIC_FORMS,
) -> pd.DataFrame:
    """Long records (:data:`analysis.fundamentals.LONG_COLUMNS`) from a companyfacts document.

    Parameters
    ----------
    facts_json
        The companyfacts JSON (parsed, bytes or text).
    ticker
        Ticker to label the rows (default: the curated ticker of the CIK, else ``CIK<n>``).
    fiscal_year_end_month
        Month the fiscal year ends (default: the curated map, else inferred from the
        annual facts, else December).
    concept_map
        Metric -> ordered recipes (default :data:`CONCEPT_MAP`).
    forms
        Forms whose facts are used (default :data:`PERIODIC_FORMS`).

    Returns
    -------
    pd.DataFrame
        One row per metric, period and *vintage*: a value is kept from the first filing that
        reported it; a later filing with a different value for the same period (a
        restatement) is a further row with its own ``filed``; identical re-reports in later
        comparatives are dropped. ``filed`` is the EDGAR filing date.

    Raises
    ------
    DataQualityError
        If the document is not companyfacts-shaped.

    Notes
    -----
    Per period the first recipe with a value wins, so one series may mix recipes (recorded in
    ``source_id``). Only durations of 3, 6, 9 or 12 months (within a week) are kept; stub
    periods (e.g. one month after a merger) are dropped.
    No quarter is derived here (see :func:`analysis.fundamentals.derive_quarters`).
    """
    raw = _load_json(facts_json, "companyfacts")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("facts"), Mapping):
        raise DataQualityError("companyfacts document has no 'facts' object")
    facts: Mapping[str, Any] = raw["facts"]
    cik = raw.get("cik")
    if ticker is None:
        by_cik = {i.cik: i.ticker for i in ISSUERS.values()}
        ticker = by_cik.get(int(cik)) if cik is not None else None
        ticker = ticker or f"CIK{int(cik or 0)}"
    if fiscal_year_end_month is None:
        issuer = ISSUERS.get(ticker)
        fiscal_year_end_month = issuer.fiscal_year_end_month if issuer else _infer_fye_month(facts)
    frames: list[pd.DataFrame] = []
    for metric, recipes in concept_map.items():
        instant = metric in STOCK_METRICS
        key = ["end"] if instant else ["start", "end"]
        candidates = []
        for rank, recipe in enumerate(recipes):
            got = _recipe_facts(facts, recipe, instant=instant, forms=forms)
            if got.empty:
                continue
            candidates.append(got.assign(rank=rank, source_id="+".join(recipe)))
        if not candidates:
            continue
        allfacts = pd.concat(candidates, ignore_index=True)
        if instant:
            allfacts["start"] = pd.NaT
        best = allfacts.groupby(key, dropna=False)["rank"].transform("min")
        chosen = allfacts.loc[allfacts["rank"] == best].copy()
        if instant:
            chosen["months"] = 0
        else:
            length = ((chosen["end"] - chosen["start"]).dt.days + 1) / DAYS_PER_MONTH
            chosen["months"] = np.round(length).astype(int)
            whole = (np.abs(length - chosen["months"]) <= MONTH_TOLERANCE) & (chosen["months"] >= 1)
            chosen = chosen.loc[whole & chosen["months"].isin(FLOW_MONTHS)]
        chosen = chosen.sort_values([*key, "filed", "accn"], kind="stable")
        previous = chosen.groupby(key, dropna=False)["value"].shift()
        chosen = chosen.loc[previous.isna() | (chosen["value"] != previous)]
        chosen = chosen.drop_duplicates([*key, "filed", "value"])
        if chosen.empty:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "ticker": ticker,
                    "period_end": chosen["end"],
                    "filed": chosen["filed"],
                    "fiscal_period": [
                        fiscal_label(e, int(m), fiscal_year_end_month)
                        for e, m in zip(chosen["end"], chosen["months"], strict=True)
                    ],
                    "metric": metric,
                    "value": chosen["value"],
                    "unit": USD,
                    "source_id": chosen["source_id"],
                    "form": chosen["form"],
                    "accn": chosen["accn"],
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=[*LONG_COLUMNS, "form", "accn"])
    out = pd.concat(frames, ignore_index=True)
    # Two vintages filed the same day (e.g. a 10-Q and its amendment): keep the later accession.
    key = ["ticker", "period_end", "metric", "fiscal_period", "filed"]
    out = out.sort_values([*key, "accn"], kind="stable").drop_duplicates(key, keep="last")
    out = out.reset_index(drop=True)
    normal = normalize_long(out.loc[:, list(LONG_COLUMNS)], origin=f"companyfacts CIK {cik}")
    normal["form"] = out["form"].astype(str).to_numpy()
    normal["accn"] = out["accn"].astype(str).to_numpy()
    return normal
