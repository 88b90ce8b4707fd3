"""The study's one straight data flow: parse the request once, build the panel, open it.

::

    request = StudyRequest.parse(as_of="2025-12-02", source="snapshot")  # every check, once
    result = build_panel(request)            # load the raw data (source) and clean it
    write_outputs(result, directory)         # publish the panel as one unit (analysis.clean)
    panel = open_panel(request, directory)   # what every notebook calls

The CLI (``python -m analysis ...``), the report runner and the notebooks all go through
:meth:`StudyRequest.parse`; nothing downstream re-parses a date or re-derives a default.
A panel records the request it was built from (``summary["request"]``), and
:func:`open_panel` refuses a panel built for another request, so a notebook can never
silently read someone else's data.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._validation import as_timestamp
from .calendar import SESSION_FILE, calendar_bounds, exchange_calendar, load_session_file
from .calendar import sessions as xnys_sessions
from .clean import CleanConfig, CleanResult, clean_panel, read_processed
from .config import DEFAULT_AS_OF, DEFAULT_START
from .errors import ConfigError, DataQualityError, DataQualityWarning
from .sources import SOURCES, load_raw
from .universe import Universe, load_universe, validate_tickers

if TYPE_CHECKING:
    from .coverage import Coverage

__all__ = [
    "DEFAULT_LOOKAHEAD_SESSIONS",
    "SYNTHETIC_BANNER",
    "StudyPanel",
    "StudyRequest",
    "build_panel",
    "open_panel",
    "parse_date",
    "parse_tickers",
    "ticker_list",
]

#: Sessions loaded after the as-of date (the claims' sensitivity table looks this far ahead).
DEFAULT_LOOKAHEAD_SESSIONS = 3
#: An as-of date may lie this many calendar days after the last data row (a long weekend).
MAX_AS_OF_GAP_DAYS = 4
SYNTHETIC_BANNER = "SYNTHETIC DEMO DATA - not market data"
#: File recording why a published panel has no fundamentals.
FUNDAMENTALS_MISSING = "fundamentals-missing.json"
#: Providers of quarterly fundamentals (``none``: the balance-sheet notebook says so and skips).
FUNDAMENTALS_PROVIDERS: tuple[str, ...] = ("snapshot", "sec", "yahoo", "none")
#: Environment variable naming the curated fundamentals directory (as ``MARKET_DATA_DIR``).
FUNDAMENTALS_ENV = "FUNDAMENTALS_DATA_DIR"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TICKER_SEPARATORS = re.compile(r"[\s,]+")


def parse_date(value: object, name: str) -> pd.Timestamp:
    """Parse one date parameter (``YYYY-MM-DD`` text, a date or a Timestamp).

    Raises
    ------
    ConfigError
        Naming ``name`` when the value is not a real calendar date or lies outside the study
        calendar (XNYS, from 1900 to about a year ahead).
    """
    if isinstance(value, str):
        text = value.strip()
        if not ISO_DATE.fullmatch(text):
            raise ConfigError(f"{name} {value!r} is not a date (use YYYY-MM-DD)")
        try:
            ts = pd.Timestamp(dt.date.fromisoformat(text))
        except ValueError as exc:
            raise ConfigError(f"{name} {value!r} is not a date: {exc}") from exc
    elif isinstance(value, dt.date | pd.Timestamp | np.datetime64):
        ts = as_timestamp(value, name)
    else:
        raise ConfigError(f"{name} must be a date string YYYY-MM-DD, got {type(value).__name__} {value!r}")
    ts = ts.normalize()
    lo, hi = calendar_bounds()
    if not lo <= ts <= hi:
        raise ConfigError(
            f"{name} {ts.date()} is outside the study calendar ({lo.date()} .. {hi.date()}); "
            "pick a date inside it"
        )
    return ts


def parse_tickers(value: object, universe: Universe) -> tuple[str, ...]:
    """Parse a ticker selection: ``None`` (the universe), one string, or a list of strings.

    A string is split on commas and whitespace (``"BTC-USD ^NDX"``, ``"HUT"``); list items may
    themselves be such strings (``["BTC-USD", "IREN HUT"]``, as an unquoted shell list gives).

    Raises
    ------
    ConfigError
        Wrong type, empty selection or a malformed ticker (named).
    """
    if value is None:
        return tuple(universe.tickers)
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, Sequence):
        items = list(value)
    else:
        raise ConfigError(
            f"tickers must be None, a string such as 'BTC-USD ^NDX' or a list of strings, "
            f"got {type(value).__name__} {value!r}"
        )
    parts: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(f"tickers must be strings, got {type(item).__name__} {item!r}")
        parts += [p for p in TICKER_SEPARATORS.split(item) if p]
    if not parts:
        raise ConfigError("tickers is empty: pass at least one ticker or None for the whole universe")
    return tuple(validate_tickers(parts))


def ticker_list(value: object, name: str = "tickers") -> list[str]:
    """A notebook's ticker parameter as a list: one string is split on spaces and commas.

    Raises
    ------
    ConfigError
        Naming ``name`` when the value is neither a string nor a list of strings.
    """
    if isinstance(value, str):
        return [p for p in TICKER_SEPARATORS.split(value) if p]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return [p for v in value for p in TICKER_SEPARATORS.split(v) if p]
    raise ConfigError(
        f"{name} must be a string such as 'BTC-USD ^NDX' or a list of ticker strings, "
        f"got {type(value).__name__} {value!r}"
    )


def _lookahead_end(as_of: pd.Timestamp, sessions: int) -> pd.Timestamp:
    """The ``sessions``-th XNYS session after ``as_of`` (capped at the calendar's end)."""
    cal = exchange_calendar()
    ahead = xnys_sessions(as_of + pd.Timedelta(days=1), cal.last_session.tz_localize(None))
    if len(ahead) == 0:
        return as_of
    return pd.Timestamp(ahead[min(sessions, len(ahead)) - 1])


@dataclass(frozen=True)
class StudyRequest:
    """Every parameter of one study run, validated once.

    Attributes
    ----------
    as_of
        Statistics use data up to and including this date.
    start, end
        First and last data date loaded; ``end`` defaults to :data:`DEFAULT_LOOKAHEAD_SESSIONS`
        sessions after ``as_of`` (the claims' sensitivity table looks ahead).
    source
        Data provider: ``auto``, ``yahoo``, ``snapshot`` or ``synthetic``.
    tickers
        Validated tickers (default: the whole universe).
    snapshot_dir, data_dir
        Snapshot CSV directory (default ``$MARKET_DATA_DIR``) and data directory (default the
        repository's ``data/``), absolute.
    strict
        Never fall back to cached, snapshot or synthetic data; refuse stale data.
    seed
        Seed of the synthetic provider.
    fundamentals
        Provider of the miners' quarterly fundamentals: ``snapshot``, ``sec``, ``yahoo`` or
        ``none``.
    fundamentals_dir
        The curated fundamentals directory (``snapshot``; default ``$FUNDAMENTALS_DATA_DIR``).
    """

    as_of: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    source: str = "auto"
    tickers: tuple[str, ...] = field(default_factory=tuple)
    snapshot_dir: Path | None = None
    data_dir: Path | None = None
    strict: bool = False
    seed: int | None = None
    fundamentals: str = "snapshot"
    fundamentals_dir: Path | None = None

    @classmethod
    def parse(
        cls,
        as_of: object = DEFAULT_AS_OF,
        *,
        start: object = DEFAULT_START,
        end: object = None,
        source: object = "auto",
        tickers: object = None,
        snapshot_dir: object = None,
        data_dir: object = None,
        strict: object = False,
        seed: object = None,
        fundamentals: object = "snapshot",
        fundamentals_dir: object = None,
        universe: Universe | None = None,
    ) -> StudyRequest:
        """Validate every parameter and derive the defaults (the only place that does).

        Raises
        ------
        ConfigError
            Naming the parameter: a malformed or impossible date, ``as_of`` before ``start``,
            ``end`` before ``as_of``, an unknown source, bad tickers, a missing snapshot
            directory, a non-integer seed.
        """
        as_of_ts = parse_date(as_of, "as_of")
        start_ts = parse_date(start, "start")
        if as_of_ts < start_ts:
            raise ConfigError(f"as_of {as_of_ts.date()} is before the start date {start_ts.date()}")
        end_ts = (
            _lookahead_end(as_of_ts, DEFAULT_LOOKAHEAD_SESSIONS) if end is None else parse_date(end, "end")
        )
        if end_ts < as_of_ts:
            raise ConfigError(f"end {end_ts.date()} is before the as-of date {as_of_ts.date()}")
        if not isinstance(source, str) or source not in SOURCES:
            raise ConfigError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
        if not isinstance(strict, bool):
            raise ConfigError(f"strict must be True or False, got {strict!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ConfigError(f"seed must be a non-negative integer or None, got {seed!r}")
        snap = _directory(snapshot_dir, "snapshot_dir", must_exist=True)
        data = _directory(data_dir, "data_dir", must_exist=False)
        if not isinstance(fundamentals, str) or fundamentals not in FUNDAMENTALS_PROVIDERS:
            raise ConfigError(
                f"unknown fundamentals provider {fundamentals!r}; "
                f"choose one of {', '.join(FUNDAMENTALS_PROVIDERS)}"
            )
        # The curated directory matters only to the snapshot provider (else the request, and the
        # golden notebooks' parameters, would depend on the environment).
        fund_dir = (
            _directory(
                fundamentals_dir
                if fundamentals_dir is not None
                else os.environ.get(FUNDAMENTALS_ENV) or None,
                "fundamentals_dir",
                must_exist=fundamentals_dir is not None,
            )
            if fundamentals == "snapshot"
            else None
        )
        uni = universe or load_universe()
        return cls(
            as_of=as_of_ts,
            start=start_ts,
            end=end_ts,
            source=source,
            tickers=parse_tickers(tickers, uni),
            snapshot_dir=snap,
            data_dir=data,
            strict=strict,
            seed=seed,
            fundamentals=fundamentals,
            fundamentals_dir=fund_dir,
        )

    @classmethod
    def from_dict(cls, params: Mapping[str, Any], *, universe: Universe | None = None) -> StudyRequest:
        """Parse a request from a mapping (a notebook's ``request`` parameter, ``request.json``).

        Raises
        ------
        ConfigError
            On an unknown key (named) or any invalid value.
        """
        if not isinstance(params, Mapping):
            raise ConfigError(
                f"request must be a mapping of StudyRequest fields, got {type(params).__name__}"
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ConfigError(f"unknown request field(s) {unknown}; known: {sorted(known)}")
        kwargs = dict(params)
        as_of = kwargs.pop("as_of", DEFAULT_AS_OF)
        return cls.parse(as_of, universe=universe, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form that :meth:`from_dict` parses back to an equal request."""
        return {
            "as_of": str(self.as_of.date()),
            "start": str(self.start.date()),
            "end": str(self.end.date()),
            "source": self.source,
            "tickers": list(self.tickers),
            "snapshot_dir": None if self.snapshot_dir is None else str(self.snapshot_dir),
            "data_dir": None if self.data_dir is None else str(self.data_dir),
            "strict": self.strict,
            "seed": self.seed,
            "fundamentals": self.fundamentals,
            "fundamentals_dir": None if self.fundamentals_dir is None else str(self.fundamentals_dir),
        }

    def with_tickers(self, tickers: Sequence[str]) -> StudyRequest:
        """A copy for another ticker selection (validated)."""
        return replace(self, tickers=tuple(validate_tickers(tickers)))


def _directory(value: object, name: str, *, must_exist: bool) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ConfigError(f"{name} must be a directory path or None, got {value!r}")
    path = Path(value).expanduser().resolve()
    if must_exist and not path.is_dir():
        raise ConfigError(f"{name}: snapshot directory not found: {value}")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{name} {value} exists and is not a directory")
    return path


def build_panel(
    request: StudyRequest,
    *,
    universe: Universe | None = None,
    quiet: bool = True,
    check_as_of: bool = True,
    progress: bool | None = None,
) -> CleanResult:
    """Load the raw data of ``request`` from its source and clean it (one panel).

    The panel's ``summary["request"]`` records the request, so :func:`open_panel` can check
    that a notebook reads the panel it asked for. ``quiet`` silences data-quality warnings
    (they are in the quality report); ``check_as_of=False`` skips the as-of check (``clean``
    cleans whatever the source has up to ``end``); ``progress`` as in ``load_raw``.

    Raises
    ------
    ConfigError
        If ``as_of`` lies outside the data (before the first session or more than
        :data:`MAX_AS_OF_GAP_DAYS` days after the last row).
    DataQualityError
        ``strict`` and a ticker is stale or missing at the as-of date; or from the cleaner.
    DataFetchError
        From the source (see :func:`analysis.sources.load_raw`).
    """
    uni = universe or load_universe()
    # Warnings are held back until the request is known to be answerable: an as-of date
    # outside the data is one error, not a page of stale-data warnings followed by it.
    with warnings.catch_warnings(record=True) as caught:
        if quiet:
            warnings.simplefilter("ignore", DataQualityWarning)
        raw = load_raw(
            request.source,
            list(request.tickers),
            request.start,
            request.end,
            snapshot_dir=request.snapshot_dir,
            data_dir=request.data_dir,
            strict=request.strict,
            seed=request.seed,
            required_through=request.as_of,
            progress=progress,
        )
        result = clean_panel(raw, config=CleanConfig(start=request.start, end=request.end), universe=uni)
    if check_as_of:
        check_as_of_in_data(result, request.as_of)
    from .coverage import data_coverage

    coverage = data_coverage(result, request.as_of, uni)
    if request.strict and not coverage.complete:
        raise DataQualityError(f"--strict: {coverage.sentence()} Refusing to use stale or missing data.")
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    result.summary["request"] = request.to_dict()
    # Computed once here and published with the panel: every notebook reads it (no calendar build).
    result.summary["coverage"] = coverage.to_dict()
    return result


def check_as_of_in_data(result: CleanResult, as_of: pd.Timestamp) -> None:
    """Raise :class:`ConfigError` if ``as_of`` lies outside the cleaned panel's dates."""
    valid = result.prices.dropna(how="all")
    if valid.empty:
        raise ConfigError(f"as_of {as_of.date()} is outside the data: the panel has no prices")
    first, last = valid.index[0], valid.index[-1]
    if as_of < first or as_of > last + pd.Timedelta(days=MAX_AS_OF_GAP_DAYS):
        raise ConfigError(
            f"as_of {as_of.date()} is outside the data ({first.date()} .. {last.date()}); "
            f"choose an as-of date inside it"
        )


@dataclass
class StudyPanel:
    """The cleaned data of one study run as a notebook sees it.

    Statistics use :meth:`returns_to` / :meth:`prices_to` (cut at ``as_of``); the full panel
    (to ``request.end``) is kept for the claims' look-ahead.
    """

    request: StudyRequest
    clean: CleanResult
    universe: Universe

    @property
    def as_of(self) -> pd.Timestamp:
        """The study's as-of date."""
        return self.request.as_of

    @property
    def prices(self) -> pd.DataFrame:
        """Session closes (XNYS), whole panel."""
        return self.clean.prices

    @property
    def returns(self) -> pd.DataFrame:
        """Session log returns, whole panel."""
        return self.clean.returns

    @property
    def crypto_daily(self) -> pd.DataFrame:
        """Raw 7-day crypto closes."""
        return self.clean.crypto_daily

    @property
    def lows(self) -> pd.DataFrame:
        """Intraday lows on the repaired price basis."""
        return self.clean.lows

    @property
    def highs(self) -> pd.DataFrame:
        """Intraday highs on the repaired price basis (tickers without a High column absent)."""
        return self.clean.highs

    @property
    def synthetic(self) -> bool:
        """True when the panel is synthetic demo data."""
        return self.clean.synthetic

    @property
    def coverage(self) -> Coverage:
        """Coverage at ``as_of``: as published with the panel, else computed here."""
        from .coverage import Coverage, data_coverage

        stored = self.clean.summary.get("coverage")
        if isinstance(stored, Mapping) and stored.get("as_of") == str(self.as_of.date()):
            return Coverage.from_dict(stored)
        return data_coverage(self.clean, self.as_of, self.universe)

    @property
    def provider(self) -> str:
        """The data provider actually used (``yahoo``, ``cache``, ``snapshot``, ``synthetic``)."""
        return str(self.clean.summary["source"])

    @property
    def last_data_date(self) -> pd.Timestamp:
        """Last date up to ``as_of`` with any price (what the statistics actually use)."""
        used = self.prices_to().dropna(how="all")
        return pd.Timestamp(used.index[-1]) if len(used) else self.as_of

    @property
    def provenance(self) -> str:
        """Short provenance text for tables and notes."""
        return f"{SYNTHETIC_BANNER} ({self.provider})" if self.synthetic else self.provider

    @property
    def figure_note(self) -> str:
        """Source note for figures: provenance, calendar and as-of date."""
        return (
            f"Source: {self.provenance}; daily closes on XNYS sessions (crypto compounded over "
            f"weekends); as of {self.as_of.date()}"
        )

    def returns_to(self, as_of: object = None) -> pd.DataFrame:
        """Session log returns up to and including ``as_of`` (default the request's)."""
        cut = self.as_of if as_of is None else parse_date(as_of, "as_of")
        return self.returns.loc[self.returns.index <= cut]

    def prices_to(self, as_of: object = None) -> pd.DataFrame:
        """Session prices up to and including ``as_of`` (default the request's)."""
        cut = self.as_of if as_of is None else parse_date(as_of, "as_of")
        return self.prices.loc[self.prices.index <= cut]

    def available(self, tickers: str | Sequence[str]) -> list[str]:
        """The subset of ``tickers`` with at least one return up to ``as_of``, in order.

        ``tickers`` is a list, or one string of tickers separated by spaces or commas
        (``"HUT"``, ``"BTC-USD ^NDX"``), as a notebook parameter may give it.
        """
        rets = self.returns_to()
        return [t for t in ticker_list(tickers) if t in rets.columns and bool(rets[t].notna().any())]

    def missing(self, tickers: str | Sequence[str]) -> list[str]:
        """The subset of ``tickers`` without data up to ``as_of`` (a string as in :meth:`available`)."""
        wanted = ticker_list(tickers)
        have = set(self.available(wanted))
        return [t for t in wanted if t not in have]

    def group(self, name: str) -> list[str]:
        """The tickers of a universe group that have data."""
        return self.available(self.universe.group(name))

    def factor(self, role: str) -> str:
        """Ticker of a factor role (``btc``, ``tech``, ...)."""
        return self.universe.factor(role)


def open_panel(request: StudyRequest | Mapping[str, Any], panel_dir: str | Path | None = None) -> StudyPanel:
    """The study panel a notebook works on.

    Parameters
    ----------
    request
        The study request (a :class:`StudyRequest` or its dict form, e.g. a notebook parameter).
    panel_dir
        Directory of a published panel (``<panel_dir>/processed``), as written by the report
        runner; ``None`` builds the panel here (JupyterLab use). The panel must have been built
        for exactly this request.

    Raises
    ------
    ConfigError
        On an invalid request, or a panel built for another request (both are named).
    DataQualityError
        If the panel at ``panel_dir`` is missing or incomplete.
    """
    uni = load_universe()
    req = request if isinstance(request, StudyRequest) else StudyRequest.from_dict(request, universe=uni)
    if panel_dir is None:
        result = build_panel(req, universe=uni)
    else:
        result = read_processed(Path(panel_dir))
        load_session_file(Path(panel_dir) / SESSION_FILE)  # the runner's calendar, if it left one
        built_for = result.summary.get("request")
        if built_for != req.to_dict():
            raise ConfigError(
                f"the panel in {panel_dir} was built for request {built_for}, not for {req.to_dict()}; "
                "rebuild it (python -m analysis report) or pass the request it was built for"
            )
    return StudyPanel(request=req, clean=result, universe=uni)


@dataclass(frozen=True)
class FundamentalsData:
    """The run's quarterly fundamentals, or why there are none (a notebook says so and skips)."""

    panel: Any | None
    error: str | None = None


def build_fundamentals(request: StudyRequest) -> FundamentalsData:
    """Load the fundamentals of ``request`` (never raises for a missing source: the reason is kept).

    Raises
    ------
    AnalysisError
        Only under ``strict``: a source that fails is then an error.
    """
    from .errors import AnalysisError
    from .fundamentals import load_fundamentals

    if request.fundamentals == "none":
        return FundamentalsData(None, "no fundamentals provider requested (fundamentals='none')")
    if request.fundamentals == "snapshot" and request.fundamentals_dir is None:
        return FundamentalsData(
            None, f"no fundamentals snapshot: set {FUNDAMENTALS_ENV} or pass fundamentals_dir"
        )
    try:
        panel = load_fundamentals(
            request.fundamentals,
            snapshot_dir=request.fundamentals_dir,
            data_dir=request.data_dir,
            strict=request.strict,
        )
    except AnalysisError as exc:
        if request.strict:
            raise
        return FundamentalsData(None, f"{request.fundamentals}: {exc}")
    return FundamentalsData(panel)


def publish_fundamentals(data: FundamentalsData, panel_dir: Path) -> None:
    """Write the fundamentals (or the reason they are missing) beside the published panel."""
    from . import atomic
    from .fundamentals import write_fundamentals

    target = Path(panel_dir)
    if data.panel is not None:
        write_fundamentals(data.panel, target)
    else:
        atomic.write_json(target / "processed" / FUNDAMENTALS_MISSING, {"error": data.error})


def open_fundamentals(request: StudyRequest, panel_dir: str | Path | None = None) -> FundamentalsData:
    """The fundamentals a notebook works on: published with the panel, or loaded here."""
    import json

    from .fundamentals import PROCESSED_META, FundamentalsPanel, read_fundamentals

    if panel_dir is None:
        return build_fundamentals(request)
    processed = Path(panel_dir) / "processed"
    missing = processed / FUNDAMENTALS_MISSING
    if missing.is_file():
        return FundamentalsData(None, str(json.loads(missing.read_text(encoding="utf-8")).get("error")))
    data = read_fundamentals(Path(panel_dir))
    side = json.loads((processed / PROCESSED_META).read_text(encoding="utf-8"))
    panel = FundamentalsPanel(
        data=data,
        source=str(side.get("source")),
        meta=dict(side.get("meta") or {}),
        failed=dict(side.get("failed") or {}),
        notes=tuple(side.get("notes") or ()),
    )
    return FundamentalsData(panel)
