"""Type aliases shared by the package (cf. ``arch/_typing.py``)."""

from __future__ import annotations

import datetime as dt
from typing import TypeAlias

import numpy as np
import pandas as pd

__all__ = ["DateLike", "Pair"]

#: Anything :class:`pandas.Timestamp` accepts as a date.
DateLike: TypeAlias = str | dt.date | pd.Timestamp | np.datetime64
#: Two tickers, ``(a, b)``.
Pair: TypeAlias = tuple[str, str]
