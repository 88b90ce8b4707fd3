"""Tests of analysis._validation.as_timestamp, the package's one date parser (besides the request's)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis._validation import as_timestamp
from analysis.errors import ConfigError


@pytest.mark.parametrize(
    "value",
    ["2025-11-03", dt.date(2025, 11, 3), pd.Timestamp("2025-11-03"), np.datetime64("2025-11-03")],
)
def test_date_likes_parse_to_one_timestamp(value: object) -> None:
    assert as_timestamp(value, "start") == pd.Timestamp("2025-11-03")


def test_zone_is_dropped_wall_time_kept_and_not_normalized() -> None:
    ts = as_timestamp(pd.Timestamp("2025-11-03 15:30", tz="America/New_York"), "start")
    assert ts.tz is None and ts == pd.Timestamp("2025-11-03 15:30")


@pytest.mark.parametrize("value", ["yesterday-ish", "2025-13-01", pd.NaT, None, object()])
def test_bad_dates_name_the_parameter(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^shade end is not a date: .*YYYY-MM-DD"):
        as_timestamp(value, "shade end")


def test_optional_passes_none_through() -> None:
    assert as_timestamp(None, "end", optional=True) is None
    assert as_timestamp("2025-11-03", "end", optional=True) == pd.Timestamp("2025-11-03")
    with pytest.raises(ConfigError, match="end is not a date"):
        as_timestamp(pd.NaT, "end", optional=True)
