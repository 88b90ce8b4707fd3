"""Shared argument checks of the statistics modules (cf. ``statsmodels.tools.validation``).

Every check raises :class:`~analysis.errors.ConfigError` (or ``DataQualityError`` for bad
prices) naming the parameter, so error messages read the same in every module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, TypeVar, cast, overload

import numpy as np
import pandas as pd

from ._typing import DateLike
from .errors import ConfigError, DataQualityError

__all__ = [
    "as_timestamp",
    "check_choice",
    "check_index",
    "check_int",
    "check_open_unit",
    "check_positive",
    "check_prices",
    "check_window_length",
    "require_columns",
    "slice_period",
]

F = TypeVar("F", pd.Series, pd.DataFrame)


def check_int(value: object, name: str, *, minimum: int, unit: str = "sessions") -> int:
    """Return ``value`` as ``int`` or raise ``ConfigError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ConfigError(f"{name} must be an integer number of {unit}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum} {unit}, got {value}")
    return int(value)


def check_positive(value: object, name: str) -> float:
    """Return ``value`` as a finite positive ``float`` or raise ``ConfigError``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{name} must be a positive number, got {value!r}")
    out = float(value)
    if not math.isfinite(out) or out <= 0:
        raise ConfigError(f"{name} must be a positive number, got {value!r}")
    return out


def check_open_unit(value: object, name: str, *, upper: float = 1.0, example: str = "0.95") -> float:
    """Return ``value`` if ``0 < value < upper``, else raise ``ConfigError``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{name} must be a number strictly between 0 and {upper:g}, got {value!r}")
    out = float(value)
    if not 0.0 < out < upper:
        raise ConfigError(f"{name} must be strictly between 0 and {upper:g} (e.g. {example}), got {value!r}")
    return out


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ``ConfigError``."""
    if value not in choices:
        raise ConfigError(f"{name} must be one of {list(choices)}, got {value!r}")
    return cast(str, value)


@overload
def as_timestamp(value: object, name: str, *, optional: Literal[False] = False) -> pd.Timestamp: ...
@overload
def as_timestamp(value: object, name: str, *, optional: bool) -> pd.Timestamp | None: ...
def as_timestamp(value: object, name: str, *, optional: bool = False) -> pd.Timestamp | None:
    """Parse a date-like parameter to a tz-naive :class:`pandas.Timestamp` (the package's one date parser).

    Parameters
    ----------
    value
        ``"YYYY-MM-DD"`` text, a date, a Timestamp or a ``datetime64``. A tz-aware value keeps its
        wall time and loses its zone. Not normalized: chain ``.normalize()`` for midnight.
    name
        Parameter named in the error message.
    optional
        ``True``: ``None`` is passed through as ``None`` (an unset bound).

    Raises
    ------
    ConfigError
        Naming ``name`` when ``value`` is not a date (or is ``NaT``, or ``None`` unless ``optional``).
    """
    if value is None and optional:
        return None
    try:
        ts = pd.Timestamp(cast(DateLike, value))
    except (ValueError, TypeError, OverflowError) as exc:
        raise ConfigError(f"{name} is not a date: {value!r} (use 'YYYY-MM-DD')") from exc
    if pd.isna(ts):
        raise ConfigError(f"{name} is not a date: {value!r} (use 'YYYY-MM-DD')")
    return ts.tz_localize(None) if ts.tz is not None else ts


def check_index(obj: pd.Series | pd.DataFrame, name: str) -> pd.DatetimeIndex:
    """Require a sorted, unique ``DatetimeIndex``; return it."""
    index = obj.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ConfigError(
            f"{name} must be indexed by a DatetimeIndex ('Date'), got {type(index).__name__}; "
            "set the dates as the index first"
        )
    if not index.is_monotonic_increasing:
        raise ConfigError(f"{name} index must be sorted ascending; call .sort_index() first")
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise ConfigError(f"{name} index has duplicate dates (first: {dup.date()}); drop duplicates first")
    return index


def require_columns(frame: pd.DataFrame, names: Sequence[str], frame_name: str = "returns") -> None:
    """Raise ``ConfigError`` for the first of ``names`` that is not a column of ``frame``."""
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"{frame_name} must be a DataFrame (columns = tickers), got {type(frame).__name__}")
    for name in names:
        if name not in frame.columns:
            available = ", ".join(map(str, frame.columns))
            raise ConfigError(f"ticker {name!r} not in {frame_name}; available: {available}")


def check_window_length(window: int, n: int, name: str = "window") -> None:
    """Raise if a window is longer than the data."""
    if window > n:
        raise ConfigError(f"{name} ({window}) is longer than the data ({n} sessions)")


def slice_period(
    obj: F, start: DateLike | None, end: DateLike | None, name: str = "prices"
) -> tuple[F, pd.Timestamp | None, pd.Timestamp | None]:
    """Rows of ``obj`` with ``start <= date <= end`` (either bound optional)."""
    check_index(obj, name)
    t0 = as_timestamp(start, "start", optional=True)
    t1 = as_timestamp(end, "end", optional=True)
    if t0 is not None and t1 is not None and t0 > t1:
        raise ConfigError(f"start ({t0.date()}) is after end ({t1.date()}); swap them")
    out = obj.loc[t0:t1]
    if out.empty:
        lo = "the start of the data" if t0 is None else str(t0.date())
        hi = "the end of the data" if t1 is None else str(t1.date())
        cover = f"{obj.index[0].date()} to {obj.index[-1].date()}" if len(obj) else "nothing"
        raise ConfigError(
            f"empty period: no observations between {lo} and {hi} in {name}; data cover {cover}"
        )
    return out, t0, t1


def check_prices(prices: pd.Series | pd.DataFrame) -> None:
    """Prices must be positive and finite where present."""
    if not isinstance(prices, pd.Series | pd.DataFrame):
        raise ConfigError(f"prices must be a pandas Series or DataFrame, got {type(prices).__name__}")
    values = prices.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isnan(values) & ~(np.isfinite(values) & (values > 0))
    if bad.any():
        frame = prices.to_frame() if isinstance(prices, pd.Series) else prices
        bad_frame = pd.DataFrame(bad.reshape(frame.shape), index=frame.index, columns=frame.columns)
        col = bad_frame.columns[bad_frame.any(axis=0).to_numpy()][0]
        date = bad_frame.index[bad_frame[col].to_numpy()][0]
        raise DataQualityError(
            f"{col}: non-positive or infinite price on {pd.Timestamp(date).date()}; "
            "clean the prices (analysis.clean) before computing returns"
        )
