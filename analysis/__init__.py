"""Research package: AI-pivot bitcoin miners, crypto and tech co-movement.

One module per stage, each with one job:

- Set-up: ``config`` paths and constants; ``atomic`` atomic file writes; ``errors`` exceptions
  and warnings; ``universe`` tickers; ``schema`` the raw-frame data contract; ``calendar`` XNYS
  sessions; ``_validation`` shared argument checks; ``_typing`` shared type aliases.
- Data: ``fetch`` (live yfinance prices), ``cache`` (raw download cache), ``snapshot`` (CSV
  directories), ``synthetic`` (seeded generator with ground truth), ``sources`` (provider
  selection incl. ``auto``), ``clean`` (cleaning + quality report), ``fundamentals`` and
  ``edgar`` (quarterly fundamentals: SEC, Yahoo, curated snapshot).
- The flow: ``pipeline`` (``StudyRequest`` parsed once, ``build_panel``, ``open_panel``),
  ``coverage`` (stale and failed tickers at the as-of date).
- Statistics: ``returns``, ``correlation``, ``stress``, ``leadlag``, ``exposure``, ``events``,
  ``crypto_index`` (CoinDesk 20 proxy), ``claims`` (the article-claims table), ``dynamics``
  (DCC-GARCH), ``spillover`` (Diebold-Yilmaz), ``ai_news`` (AI-news sessions).
- Presentation: ``plots`` (figures by family), ``study`` (what notebooks call), ``report``
  (papermill runner), ``cli``.

Submodules and the entry points below load on first use, so ``import analysis`` stays light;
``from analysis import *`` does not import yfinance (``fetch`` is imported only when live data
are requested).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Entry points re-exported at the top level: name -> module.
_ENTRY_POINTS = {
    "StudyRequest": "pipeline",
    "StudyPanel": "pipeline",
    "build_panel": "pipeline",
    "open_panel": "pipeline",
    "ReportOptions": "report",
    "run_report": "report",
}
_SUBMODULES = (
    "ai_news",
    "atomic",
    "cache",
    "calendar",
    "claims",
    "clean",
    "comovement",
    "config",
    "correlation",
    "coverage",
    "crypto_index",
    "dynamics",
    "edgar",
    "errors",
    "events",
    "exposure",
    "fundamentals",
    "leadlag",
    "pipeline",
    "plots",
    "report",
    "returns",
    "rolling",
    "schema",
    "snapshot",
    "sources",
    "spillover",
    "stress",
    "study",
    "synthetic",
    "universe",
)

__all__ = sorted([*_ENTRY_POINTS, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    """Load an entry point or a submodule on first access."""
    if name in _ENTRY_POINTS:
        return getattr(importlib.import_module(f".{_ENTRY_POINTS[name]}", __name__), name)
    if name in _SUBMODULES or name in ("fetch", "cli"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
