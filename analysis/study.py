"""Notebook-facing helpers: load the study panel, record results, label synthetic runs.

Notebooks call :func:`load_study_panel` with their parameters and
:func:`record_results` in their final cell; everything else they show comes from
the statistics modules.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import atomic
from .clean import CleanConfig, CleanResult, clean_panel, read_processed
from .config import DEFAULT_START
from .errors import ConfigError, DataQualityWarning
from .sources import load_raw, parse_date_range
from .universe import Universe, load_universe

__all__ = [
    "SYNTHETIC_BANNER",
    "StudyPanel",
    "load_study_panel",
    "record_results",
    "require_tickers",
    "to_jsonable",
]

SYNTHETIC_BANNER = "SYNTHETIC DEMO DATA - not market data"
#: Extra calendar days loaded after the as-of date (the claims' sensitivity table looks ahead).
DEFAULT_LOOKAHEAD_DAYS = 5


@dataclass
class StudyPanel:
    """Cleaned data of one study run, cut at nothing (notebooks cut at ``as_of``)."""

    prices: pd.DataFrame
    returns: pd.DataFrame
    crypto_daily: pd.DataFrame
    clean: CleanResult
    universe: Universe
    as_of: pd.Timestamp
    synthetic: bool
    source: str

    @property
    def source_label(self) -> str:
        """Short provenance text for figure notes and tables."""
        return f"{SYNTHETIC_BANNER} ({self.source})" if self.synthetic else self.source

    @property
    def figure_note(self) -> str:
        """Source note for figures: provenance, calendar and as-of date."""
        return (
            f"Source: {self.source_label}; daily closes on XNYS sessions (crypto compounded over "
            f"weekends); as of {self.as_of.date()}"
        )

    def header_markdown(self) -> str:
        """Markdown header for a notebook: data provenance and a synthetic banner if needed."""
        s = self.clean.summary
        text = (
            f"**Data:** source `{s['source']}`, panel {s['start']} .. {s['end']} "
            f"({s['sessions']} sessions, {len(s['tickers'])} tickers); as of **{self.as_of.date()}**."
        )
        if s.get("failed_tickers"):
            text += " Failed tickers: " + ", ".join(f"`{t}`" for t in s["failed_tickers"]) + "."
        if self.synthetic:
            text = (
                f"<div style='background:#b00020;color:white;padding:10px;font-weight:bold'>"
                f"{SYNTHETIC_BANNER}: every number and figure below illustrates the method only.</div>\n\n"
                + text
            )
        return text

    def returns_to(self, as_of: pd.Timestamp | str | None = None) -> pd.DataFrame:
        """Session log returns up to and including ``as_of`` (default the panel's as-of)."""
        cut = pd.Timestamp(as_of) if as_of is not None else self.as_of
        return self.returns.loc[self.returns.index <= cut]

    def prices_to(self, as_of: pd.Timestamp | str | None = None) -> pd.DataFrame:
        """Session prices up to and including ``as_of``."""
        cut = pd.Timestamp(as_of) if as_of is not None else self.as_of
        return self.prices.loc[self.prices.index <= cut]


def load_study_panel(
    *,
    as_of: str,
    start: str = DEFAULT_START,
    end: str | None = None,
    source: str = "synthetic",
    snapshot_dir: str | None = None,
    data_dir: str | None = None,
    panel_dir: str | None = None,
    tickers: list[str] | None = None,
    strict: bool = False,
    seed: int | None = None,
    quiet: bool = True,
) -> StudyPanel:
    """Load the study panel for a notebook.

    ``panel_dir`` (set by the report runner) points at an already cleaned panel
    (``<panel_dir>/processed``); otherwise the raw data are loaded from ``source``
    and cleaned in-process, which is what a researcher gets in JupyterLab.

    Raises
    ------
    ConfigError
        On a bad date or an ``as_of`` outside the data.
    """
    as_of_ts, _ = parse_date_range(as_of, as_of)
    end_ts = pd.Timestamp(end) if end else as_of_ts + pd.Timedelta(days=DEFAULT_LOOKAHEAD_DAYS)
    start_ts, end_ts = parse_date_range(start, end_ts)
    if as_of_ts < start_ts:
        raise ConfigError(f"as_of {as_of_ts.date()} is before the start date {start_ts.date()}")
    uni = load_universe()
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", DataQualityWarning)
        if panel_dir:
            res = read_processed(Path(panel_dir))
        else:
            raw = load_raw(
                source,
                uni.select(tickers),
                start_ts,
                end_ts,
                snapshot_dir=Path(snapshot_dir) if snapshot_dir else None,
                data_dir=Path(data_dir) if data_dir else None,
                strict=strict,
                seed=seed,
            )
            res = clean_panel(raw, config=CleanConfig(start=start_ts, end=end_ts), universe=uni)
    if (
        res.prices.empty
        or as_of_ts < res.prices.index[0]
        or as_of_ts > res.prices.index[-1] + pd.Timedelta(days=4)
    ):
        span = "empty" if res.prices.empty else f"{res.prices.index[0].date()}..{res.prices.index[-1].date()}"
        raise ConfigError(f"as_of {as_of_ts.date()} is outside the data ({span})")
    return StudyPanel(
        prices=res.prices,
        returns=res.returns,
        crypto_daily=res.crypto_daily,
        clean=res,
        universe=uni,
        as_of=as_of_ts,
        synthetic=res.synthetic,
        source=str(res.summary["source"]),
    )


def require_tickers(panel: StudyPanel, tickers: list[str]) -> list[str]:
    """The subset of ``tickers`` present with data; raises if none is."""
    have = [t for t in tickers if t in panel.returns.columns and panel.returns[t].notna().any()]
    if not have:
        raise ConfigError(
            f"none of {tickers} has data in the panel; available: {list(panel.returns.columns)}"
        )
    return have


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and containers to JSON-ready values (NaN -> None)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray, pd.Index)):
        return [to_jsonable(v) for v in obj]
    if obj is None or obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, (pd.Timestamp,)):
        return str(obj.date()) if obj == obj.normalize() else obj.isoformat()
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(obj, pd.Series):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, pd.DataFrame):
        return to_jsonable(obj.to_dict(orient="records"))
    if isinstance(obj, (pd.Timedelta,)):
        return str(obj)
    if isinstance(obj, (str, int)):
        return obj
    return str(obj)


def record_results(results: dict[str, Any], path: str | None) -> dict[str, Any]:
    """Write a notebook's key numbers as JSON (atomically) and return them.

    ``path=None`` (exploration, nbval) returns the cleaned dict without writing.
    """
    clean: dict[str, Any] = to_jsonable(results)
    if path:
        atomic.write_json(Path(path), clean)
    return clean
