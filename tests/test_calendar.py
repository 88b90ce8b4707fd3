"""The study calendar: the session grid agrees with exchange_calendars; the runner's session file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import calendar


@pytest.fixture
def fresh_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calendar, "_loaded", {})


def test_grid_queries_agree_with_exchange_calendars(fresh_grid: None) -> None:
    cal = calendar.exchange_calendar()
    dates = pd.date_range("2016-12-20", "2026-01-10", freq="D")  # weekends, holidays, early closes
    expected_next = [pd.Timestamp(cal.date_to_session(d, direction="next")).tz_localize(None) for d in dates]
    assert [calendar.next_session(d) for d in dates] == expected_next
    assert [calendar.is_session(d) for d in dates] == [bool(cal.is_session(d)) for d in dates]
    expected = pd.DatetimeIndex(cal.sessions_in_range("2017-01-01", "2025-12-31")).tz_localize(None)
    assert calendar.sessions("2017-01-01", "2025-12-31").equals(expected)
    assert calendar.sessions("1850-01-01", "1900-01-05")[0] == cal.first_session.tz_localize(None)
    with pytest.raises(Exception, match="2025"):
        calendar.sessions("2025-12-05", "2025-12-01")


def test_session_file_round_trip_needs_no_calendar(
    tmp_path: Path, fresh_grid: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = calendar.write_session_file(tmp_path)
    built = calendar.session_grid()
    monkeypatch.setattr(calendar, "_loaded", {})

    def no_calendar(code: str = "XNYS") -> None:
        raise AssertionError("the calendar was built although the session file was loaded")

    monkeypatch.setattr(calendar, "exchange_calendar", no_calendar)
    assert calendar.load_session_file(path)
    assert calendar.session_grid().equals(built)
    assert calendar.next_session("2025-11-27") == pd.Timestamp("2025-11-28")  # Thanksgiving
    assert not calendar.is_session("2025-12-25")
    assert len(calendar.sessions("2025-12-01", "2025-12-05")) == 5


@pytest.mark.parametrize(
    "change",
    [
        {"last": "2099-01-01"},  # written on another day (other bounds)
        {"calendar": "XLON"},
        {"exchange_calendars": "0.0.1"},
        {"sessions_days_since_epoch": [3, 2, 1]},
        {"sessions_days_since_epoch": "garbage"},
    ],
)
def test_a_session_file_for_another_calendar_is_ignored(
    tmp_path: Path, fresh_grid: None, change: dict[str, object]
) -> None:
    path = calendar.write_session_file(tmp_path)
    payload = json.loads(path.read_text())
    path.write_text(json.dumps({**payload, **change}))
    calendar._loaded.clear()
    assert not calendar.load_session_file(path)
    assert "XNYS" not in calendar._loaded
    assert not calendar.load_session_file(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{not json")
    assert not calendar.load_session_file(tmp_path / "broken.json")
    # the grid is then built from the calendar itself
    assert calendar.session_grid().equals(
        pd.DatetimeIndex(calendar.exchange_calendar().sessions).tz_localize(None)
    )
    assert np.all(np.diff(calendar.session_grid().asi8) > 0)
