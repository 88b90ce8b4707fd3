"""Research package: AI-pivot bitcoin miners, crypto and tech co-movement.

Modules (one job each): ``config`` (paths, constants), ``errors``, ``universe``,
``schema`` (data contract), ``fetch`` (yfinance, the only module importing it),
``cache``, ``snapshot``, ``synthetic``, ``sources`` (source selection),
``clean`` (cleaning and quality report), statistics modules and ``report``.
"""

from __future__ import annotations

__all__: list[str] = []
__version__ = "0.1.0"
