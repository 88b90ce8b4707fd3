"""Research package: AI-pivot bitcoin miners, crypto and tech co-movement.

One module per stage, each with one job:

- ``config`` paths and constants; ``atomic`` atomic file writes; ``errors`` exceptions and
  warnings; ``universe`` tickers; ``schema`` the raw-frame data contract; ``calendar`` XNYS
  sessions; ``_validation`` shared argument checks; ``_typing`` shared type aliases.
- Data: ``fetch`` (live yfinance, the only module importing it), ``cache`` (raw download
  cache), ``snapshot`` (CSV directories), ``synthetic`` (seeded generator with ground truth),
  ``sources`` (source selection incl. ``auto``), ``clean`` (cleaning + quality report).
- Statistics: ``returns``, ``correlation``, ``stress``, ``leadlag``, ``exposure``, ``events``,
  ``crypto_index`` (CoinDesk 20 proxy), ``claims`` (the article-claims table).
- Presentation: ``plots``, ``study`` (notebook helpers), ``report`` (papermill runner), ``cli``.

Submodules are imported on demand (``from analysis import exposure``) so that
``import analysis`` stays light and does not import yfinance.
"""

from __future__ import annotations

__all__ = [
    "atomic",
    "cache",
    "calendar",
    "claims",
    "clean",
    "cli",
    "config",
    "correlation",
    "crypto_index",
    "errors",
    "events",
    "exposure",
    "fetch",
    "leadlag",
    "plots",
    "report",
    "returns",
    "schema",
    "snapshot",
    "sources",
    "stress",
    "study",
    "synthetic",
    "universe",
]
__version__ = "0.1.0"
