"""Data coverage of a cleaned panel against the as-of date: what a reader must be told.

A ticker is *stale* when its last price is older than the last date it should have at the
as-of date (the last XNYS session on or before ``as_of`` for equities; ``as_of`` itself for
crypto, which trades every day). Failed tickers (no data from the source) are listed with
their reason. A statistic is *short* when it was computed on fewer observations than its
window asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .calendar import sessions as xnys_sessions
from .clean import CleanResult
from .universe import Universe

__all__ = ["Coverage", "ShortSample", "data_coverage", "short_samples"]

STATUS_OK = "ok"
STATUS_STALE = "stale"
STATUS_FAILED = "failed"
STATUS_EMPTY = "no data to as-of"
#: Columns of :attr:`Coverage.table`.
COLUMNS = ("ticker", "name", "first", "last", "expected_last", "sessions_behind", "status", "reason")


@dataclass(frozen=True)
class Coverage:
    """Per-ticker coverage at the as-of date.

    Attributes
    ----------
    as_of
        The study's as-of date.
    table
        One row per ticker: ``ticker, name, first, last, expected_last, sessions_behind, status,
        reason`` (dates as ``YYYY-MM-DD`` text; ``sessions_behind`` counts the sessions, or days
        for crypto, between ``last`` and ``expected_last``).
    """

    as_of: pd.Timestamp
    table: pd.DataFrame

    @property
    def stale(self) -> dict[str, str]:
        """Ticker -> last date, for tickers ending before the as-of date."""
        rows = self.table[self.table["status"] == STATUS_STALE]
        return dict(zip(rows["ticker"], rows["last"], strict=True))

    @property
    def failed(self) -> dict[str, str]:
        """Ticker -> reason, for tickers the source could not provide."""
        rows = self.table[self.table["status"].isin([STATUS_FAILED, STATUS_EMPTY])]
        return dict(zip(rows["ticker"], rows["reason"], strict=True))

    @property
    def complete(self) -> bool:
        """True when every ticker has data up to the as-of date."""
        return not self.stale and not self.failed

    def summary_frame(self) -> pd.DataFrame:
        """The coverage table (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (published with the panel, so notebooks do not recompute it)."""
        rows = self.table.astype(object).where(self.table.notna(), None).to_dict(orient="records")
        return {"as_of": str(self.as_of.date()), "table": rows}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Coverage:
        """Inverse of :meth:`to_dict`."""
        table = pd.DataFrame(list(data["table"]), columns=list(COLUMNS))
        table["sessions_behind"] = table["sessions_behind"].astype("Int64")
        return cls(as_of=pd.Timestamp(data["as_of"]), table=table)

    def sentence(self) -> str:
        """One sentence for a reader: complete, or which tickers are stale or failed."""
        if self.complete:
            return f"Every ticker has data up to the as-of date {self.as_of.date()}."
        parts = []
        if self.stale:
            parts.append(
                "stale (data end before the as-of date): "
                + ", ".join(f"{t} (last {d})" for t, d in self.stale.items())
            )
        if self.failed:
            parts.append("no data: " + ", ".join(self.failed))
        return f"Data are incomplete at the as-of date {self.as_of.date()}: " + "; ".join(parts) + "."


def _expected_last(as_of: pd.Timestamp, crypto: bool, first: pd.Timestamp) -> pd.Timestamp | None:
    if crypto:
        return as_of
    sess = xnys_sessions(first, as_of)
    return pd.Timestamp(sess[-1]) if len(sess) else None


def data_coverage(result: CleanResult, as_of: pd.Timestamp, universe: Universe) -> Coverage:
    """Coverage of every ticker of ``result`` (and every failed one) at ``as_of``.

    Parameters
    ----------
    result
        A cleaned panel.
    as_of
        The study's as-of date.
    universe
        Names and crypto/equity classification.

    Returns
    -------
    Coverage
    """
    rows: list[dict[str, Any]] = []
    for ticker in result.prices.columns:
        crypto = universe.is_crypto(ticker)
        series = (
            result.crypto_daily[ticker]
            if crypto and ticker in result.crypto_daily.columns
            else result.prices[ticker]
        )
        valid = series.loc[series.index <= as_of].dropna()
        row: dict[str, Any] = {"ticker": str(ticker), "name": universe.name(ticker)}
        if valid.empty:
            rows.append(
                row
                | {
                    "first": None,
                    "last": None,
                    "expected_last": str(as_of.date()),
                    "sessions_behind": None,
                    "status": STATUS_EMPTY,
                    "reason": f"no price on or before {as_of.date()} in the window",
                }
            )
            continue
        first, last = pd.Timestamp(valid.index[0]), pd.Timestamp(valid.index[-1])
        expected = _expected_last(as_of, crypto, first)
        behind = 0
        if expected is not None and last < expected:
            behind = (
                (expected - last).days
                if crypto
                else len(xnys_sessions(last + pd.Timedelta(days=1), expected))
            )
        rows.append(
            row
            | {
                "first": str(first.date()),
                "last": str(last.date()),
                "expected_last": None if expected is None else str(expected.date()),
                "sessions_behind": int(behind),
                "status": STATUS_STALE if behind > 0 else STATUS_OK,
                "reason": (
                    f"data end {last.date()}, {behind} {'days' if crypto else 'sessions'} before as-of"
                    if behind > 0
                    else ""
                ),
            }
        )
    for ticker, why in result.summary.get("failed_tickers", {}).items():
        rows.append(
            {
                "ticker": str(ticker),
                "name": universe.name(ticker),
                "first": None,
                "last": None,
                "expected_last": str(as_of.date()),
                "sessions_behind": None,
                "status": STATUS_FAILED,
                "reason": str(why),
            }
        )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["sessions_behind"] = table["sessions_behind"].astype("Int64")
    return Coverage(as_of=as_of, table=table)


@dataclass(frozen=True)
class ShortSample:
    """A statistic computed on fewer observations than its window asks for."""

    statistic: str
    n: int
    window: int

    def text(self) -> str:
        """Readable one-liner."""
        return f"{self.statistic}: {self.n} observations for a {self.window}-observation window"


def short_samples(
    records: Iterable[Mapping[str, Any]], *, label: str, n: str = "n", window: str = "window"
) -> list[ShortSample]:
    """Records whose observation count ``n`` is below their ``window``.

    Parameters
    ----------
    records
        Rows (e.g. ``summary_frame().to_dict("records")``) with an observation count and the
        window it was meant to fill; rows without a window are skipped.
    label
        Column (or format string over the row, e.g. ``"{a}/{b} {period}"``) naming the statistic.
    n, window
        Keys of the observation count and the nominal window.
    """
    out: list[ShortSample] = []
    for rec in records:
        w, k = rec.get(window), rec.get(n)
        if w is None or k is None or pd.isna(w) or pd.isna(k):
            continue
        if int(k) < int(w):
            name = label.format(**rec) if "{" in label else str(rec.get(label, label))
            out.append(ShortSample(statistic=name, n=int(k), window=int(w)))
    return out
