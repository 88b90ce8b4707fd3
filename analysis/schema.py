"""The data contract shared by every source, the cleaner and the statistics.

Raw frame (one per ticker, produced by every source)
    ``pd.DataFrame`` indexed by a tz-naive, midnight-normalised ``DatetimeIndex``
    named ``"Date"`` and sorted ascending (duplicates are allowed here; the
    cleaner removes them). Columns are a subset of :data:`OHLCV_COLUMNS`, always
    including ``"Close"``; every column is ``float64``. ``"Close"`` is the
    adjusted close when the source provides adjusted prices; ``"Adj Close"``
    may be present as well (the cleaner prefers it). Values are raw: NaN,
    non-positive and non-finite (``inf``) prices can occur and are excluded by
    :mod:`analysis.clean`, which names the ticker and the dates.

Raw panel
    :class:`RawPanel`: ``frames`` (ticker -> raw frame), the source name, whether
    the data are synthetic, per-ticker metadata (e.g. ``fetched_at``) and, for the
    synthetic source, the planted ground truth.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .errors import DataQualityError

__all__ = [
    "INDEX_NAME",
    "OHLCV_COLUMNS",
    "PriceSource",
    "RawPanel",
    "normalize_raw_frame",
    "summarise_reasons",
]

OHLCV_COLUMNS: tuple[str, ...] = ("Open", "High", "Low", "Close", "Adj Close", "Volume")
INDEX_NAME = "Date"


@dataclass
class RawPanel:
    """Raw per-ticker frames from one source, with provenance.

    Attributes
    ----------
    frames
        Ticker -> raw frame (the contract above).
    source
        The data provider (``yahoo``, ``snapshot``, ``synthetic``, ``cache``).
    synthetic
        True for synthetic demo data.
    meta
        Ticker -> provenance and integrity notes. Every source fills what it knows;
        :func:`analysis.sources.load_raw` adds ``last_date`` (last date with a close),
        ``expected_through`` (the last date the request could have) and ``stale``
        (``None`` or a sentence naming the ticker and its last date).
    ground_truth
        The planted truth of the synthetic source.
    failed
        Ticker -> reason, for requested tickers without data.
    """

    frames: dict[str, pd.DataFrame]
    source: str
    synthetic: bool = False
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    ground_truth: Any | None = None
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def tickers(self) -> list[str]:
        """Tickers with data."""
        return list(self.frames)


class PriceSource(Protocol):
    """Anything that returns raw frames for tickers over a date range."""

    name: str

    def load(
        self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp
    ) -> RawPanel:  # pragma: no cover - protocol
        """Return raw frames for ``tickers`` between ``start`` and ``end`` (inclusive)."""
        ...


def normalize_raw_frame(df: pd.DataFrame, *, ticker: str, origin: str) -> pd.DataFrame:
    """Coerce a frame to the raw-frame contract.

    Parameters
    ----------
    df
        Frame with a date-like index and OHLCV-like columns (any case).
    ticker, origin
        Used in error messages (e.g. the file the frame came from).

    Returns
    -------
    pd.DataFrame
        Contract-conforming copy: float columns among :data:`OHLCV_COLUMNS`,
        tz-naive midnight ``DatetimeIndex`` named ``"Date"``, sorted (stable).

    Raises
    ------
    DataQualityError
        If there is no close column or the index cannot be parsed as dates.
    """
    canon = {c.lower().replace("_", " "): c for c in OHLCV_COLUMNS}
    rename: dict[Any, str] = {}
    for col in df.columns:
        key = str(col).strip().lower().replace("_", " ")
        if key == "adjclose":
            key = "adj close"
        if key in canon:
            rename[col] = canon[key]
    out = df.rename(columns=rename)
    out = out.loc[:, [c for c in OHLCV_COLUMNS if c in out.columns]]
    if "Close" not in out.columns:
        if "Adj Close" in out.columns:
            out["Close"] = out["Adj Close"]
        else:
            raise DataQualityError(
                f"{ticker}: no Close column in {origin}; columns found: {[str(c) for c in df.columns]}"
            )
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(out.index, utc=False, format="mixed"))
    except (ValueError, TypeError) as exc:
        raise DataQualityError(f"{ticker}: unparseable dates in {origin}: {exc}") from exc
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    if idx.hasnans:
        bad = int(np.asarray(idx.isna()).sum())
        raise DataQualityError(f"{ticker}: {bad} rows with a missing date in {origin}")
    out.index = idx.normalize()
    out.index.name = INDEX_NAME
    out = out.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    out.columns.name = None
    result: pd.DataFrame = out.sort_index(kind="stable")
    return result


#: A ticker's own symbol quoted in a reason (``'HUT'``, ``"HUT"``, ``$HUT``), as yfinance writes it.
_QUOTED_SYMBOL = r"""(?<=['"$]){}(?=['"]|:|\s|$)"""


def summarise_reasons(reasons: Mapping[str, str]) -> str:
    """Tickers grouped by reason, untruncated: ``"HUT, IREN: <reason>; BTC-USD: <other>"``.

    A ticker's own symbol quoted inside its reason (``'HUT'``, ``$HUT``) is written
    ``<ticker>`` so that the same cause for several tickers is said once; unquoted
    text (e.g. a list of the tickers of one call) is kept as it is.
    """
    groups: dict[str, list[str]] = {}
    for ticker, why in reasons.items():
        text = " ".join(str(why).split())
        text = re.sub(_QUOTED_SYMBOL.format(re.escape(ticker)), "<ticker>", text)
        groups.setdefault(text, []).append(ticker)
    return "; ".join(f"{', '.join(ts)}: {why}" for why, ts in groups.items())
