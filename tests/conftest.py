"""Shared fixtures. No test touches the network."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from analysis.universe import Instrument, Universe


def pytest_configure(config: pytest.Config) -> None:
    """Before nbval re-runs the golden notebooks, publish their panel (as ``make golden`` did).

    Built once, by the controller (or the only process) and before any xdist worker starts, with
    the same code path a report run uses; the golden notebooks read it as ``panel_dir="panel"``.
    The kernels nbval starts get the report's native thread limits, as the golden run's kernels
    did (a BLAS reduction's last digits depend on its thread count).
    """
    from analysis.report import KERNEL_THREADS, kernel_env

    os.environ.update(kernel_env(KERNEL_THREADS))
    if getattr(config.option, "nbval", False) and not hasattr(config, "workerinput"):
        from analysis.report import build_golden_panel

        build_golden_panel()


def _weight(item: pytest.Item) -> int:
    """Scheduling rank: files with full reports first, then golden notebooks, then kernels, then the rest."""
    if item.get_closest_marker("slow") or item.get_closest_marker("browser"):
        return 0
    if item.nodeid.endswith(".ipynb") or ".ipynb::" in item.nodeid:
        return 1
    return 2 if item.get_closest_marker("notebooks") else 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Heaviest files first (with ``--no-loadscope-reorder``), so two xdist workers finish together.

    A file's rank is that of its heaviest test; the sort is stable, so each file keeps its order.
    """
    rank: dict[str, int] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        rank[path] = min(rank.get(path, 3), _weight(item))
    items.sort(key=lambda item: rank[item.nodeid.split("::", 1)[0]])


@pytest.fixture(scope="session")
def market_data_dir() -> Path:
    """The real market-data snapshot (``MARKET_DATA_DIR``); required in CI, skipped elsewhere."""
    value = os.environ.get("MARKET_DATA_DIR", "")
    if not value or not Path(value).is_dir():
        if os.environ.get("CI"):
            pytest.fail("MARKET_DATA_DIR must point at the shared market-data snapshot in CI")
        pytest.skip("MARKET_DATA_DIR not set: real-snapshot tests skipped")
    return Path(value)


class _NetworkDisabled:
    """Stand-in for ``yf.download``: tests never reach Yahoo."""

    calls = 0

    def __call__(self, *args: object, **kwargs: object) -> None:
        type(self).calls += 1
        raise RuntimeError("network disabled in tests: install a fake yf.download")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Block live yfinance downloads in every test (test_fetch installs its own fakes)."""
    from analysis import fetch

    monkeypatch.setattr(fetch.yf, "download", _NetworkDisabled())


@pytest.fixture
def tiny_universe() -> Universe:
    """A small universe: one crypto, three equities, one with a first date."""
    inst = {
        "BTC-USD": Instrument("BTC-USD", "Bitcoin", "crypto", "crypto"),
        "AAA": Instrument("AAA", "Alpha", "eq", "equity"),
        "BBB": Instrument("BBB", "Beta", "eq", "equity"),
        "CCC": Instrument("CCC", "Gamma", "eq", "equity"),
        "NEW": Instrument(
            "NEW",
            "Newco",
            "eq",
            "equity",
            first_date=pd.Timestamp("2024-01-10"),
            note="earlier history is Oldco",
        ),
    }
    return Universe(
        instruments=inst,
        groups={"crypto": ["BTC-USD"], "eq": ["AAA", "BBB", "CCC", "NEW"]},
        group_labels={"crypto": "Crypto", "eq": "Equities"},
        factors={"btc": "BTC-USD", "tech": "AAA"},
    )
