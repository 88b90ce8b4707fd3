"""Paths, environment variables and domain constants, in one place.

The project root is derived from this file's location; ``data/raw``,
``data/processed`` and ``reports/`` hang off it. An external snapshot directory
(a folder of per-ticker CSV files) comes from the ``MARKET_DATA_DIR``
environment variable or an explicit argument.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CALENDAR_DAYS_PER_YEAR",
    "DATA_DIR",
    "DEFAULT_AS_OF",
    "DEFAULT_START",
    "EVENTS_CSV",
    "EXCHANGE_CALENDAR",
    "MARKET_DATA_ENV",
    "NOTEBOOKS_DIR",
    "PROJECT_ROOT",
    "REPORTS_DIR",
    "TRADING_DAYS_PER_YEAR",
    "processed_dir",
    "raw_dir",
    "snapshot_dir_from_env",
]

PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent
DATA_DIR: Path = PROJECT_ROOT / "data"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
EVENTS_CSV: Path = DATA_DIR / "events.csv"

#: Environment variable naming a directory of per-ticker CSV files (a snapshot).
MARKET_DATA_ENV = "MARKET_DATA_DIR"

#: US equity sessions per year, used for annualising daily statistics.
TRADING_DAYS_PER_YEAR = 252
#: Crypto trades every calendar day.
CALENDAR_DAYS_PER_YEAR = 365
#: The study calendar: New York Stock Exchange sessions (exchange-calendars code).
EXCHANGE_CALENDAR = "XNYS"

#: Default first date of the study window (2017: the IMF's 2017-19 vs 2020-21 comparison needs it).
DEFAULT_START = "2017-01-01"
#: Default as-of date of the study (the article's date).
DEFAULT_AS_OF = "2025-12-02"


def raw_dir(data_dir: Path | None = None) -> Path:
    """Directory of the raw download cache (``<data_dir>/raw``)."""
    return (data_dir or DATA_DIR) / "raw"


def processed_dir(data_dir: Path | None = None) -> Path:
    """Directory of cleaned outputs (``<data_dir>/processed``)."""
    return (data_dir or DATA_DIR) / "processed"


def snapshot_dir_from_env() -> Path | None:
    """The snapshot directory named by ``MARKET_DATA_DIR``, or ``None`` if unset/empty."""
    value = os.environ.get(MARKET_DATA_ENV, "").strip()
    return Path(value).expanduser() if value else None
