"""Figures of the study, by family (cf. ``statsmodels.graphics``); no statistics inside.

Every helper takes its data first and an optional ``ax``, labels the axes with units, sets a
title, draws a source note at the bottom-left of the figure and returns the
:class:`matplotlib.figure.Figure`. ``synthetic=True`` stamps a diagonal
:data:`WATERMARK_TEXT` across every axes, prefixes the title with
:data:`SYNTHETIC_TITLE_PREFIX` and replaces the default source note with
:data:`SYNTHETIC_NOTE`.

Modules: ``_base`` (style, constants, shared helpers, watermark, notes, saving),
``correlation`` (heatmaps, stress scatter), ``timeseries`` (rolling lines and betas, cumulative
returns, drawdowns, coverage), ``events`` (coefficient bars, CAR paths and bars), ``claims``
(the article-claims chart). Callers use ``plots.<name>(...)``.

Inputs follow the package conventions: wide frames indexed by a ``DatetimeIndex`` of sessions,
columns = tickers, returns and drawdowns as *fractions*; helpers whose axis is in percent
multiply by :data:`PERCENT` themselves. Everything works under the Agg backend; nothing here
calls ``plt.show()``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import (
        BETA_LABEL,
        CAR_LABEL,
        CAR_SIMPLE_LABEL,
        CORRELATION_LABEL,
        DATE_LABEL,
        DEFAULT_NOTE,
        DRAWDOWN_LABEL,
        FIG_DPI,
        INDEX_LABEL,
        LOG_RETURN_LABEL,
        NO_ESTIMATE_TEXT,
        NOTE_GID,
        PERCENT,
        RELATIVE_DAY_LABEL,
        SYNTHETIC_NOTE,
        SYNTHETIC_TITLE_PREFIX,
        UNKNOWN_VERDICT_COLOR,
        WATERMARK_GID,
        WATERMARK_TEXT,
        figure_png,
        figure_texts,
        figure_title,
        save_figure,
        set_style,
        ticker_color,
    )
    from .claims import claims_chart
    from .correlation import correlation_heatmap, scatter_stress
    from .dynamics import (
        dcc_correlation,
        news_comparison_chart,
        news_responses_heatmap,
        rolling_spillover_chart,
        spillover_heatmap,
    )
    from .events import coefficient_bars, event_bars, event_car, event_car_panels
    from .fundamentals import (
        balance_sheet_panels,
        coverage_grid,
        leverage_hpc_chart,
        market_link_chart,
        revenue_split_panels,
    )
    from .timeseries import coverage_chart, cumulative_returns, drawdown_chart, rolling_betas, rolling_lines

#: Public names by submodule (space-separated). A submodule, and with it matplotlib, loads on first
#: access to one of its names, so ``from analysis import plots`` stays light (seaborn loads only
#: when a heatmap is drawn).
_NAMES_BY_MODULE = {
    "_base": (
        "BETA_LABEL CAR_LABEL CAR_SIMPLE_LABEL CORRELATION_LABEL DATE_LABEL DEFAULT_NOTE DRAWDOWN_LABEL "
        "FIG_DPI INDEX_LABEL LOG_RETURN_LABEL NO_ESTIMATE_TEXT NOTE_GID PERCENT RELATIVE_DAY_LABEL "
        "SYNTHETIC_NOTE SYNTHETIC_TITLE_PREFIX UNKNOWN_VERDICT_COLOR WATERMARK_GID WATERMARK_TEXT "
        "figure_png figure_texts figure_title save_figure set_style ticker_color"
    ),
    "claims": "claims_chart",
    "correlation": "correlation_heatmap scatter_stress",
    "dynamics": (
        "dcc_correlation news_comparison_chart news_responses_heatmap rolling_spillover_chart "
        "spillover_heatmap"
    ),
    "events": "coefficient_bars event_bars event_car event_car_panels",
    "fundamentals": (
        "balance_sheet_panels coverage_grid leverage_hpc_chart market_link_chart revenue_split_panels"
    ),
    "timeseries": "coverage_chart cumulative_returns drawdown_chart rolling_betas rolling_lines",
}
_MODULE_OF = {name: module for module, names in _NAMES_BY_MODULE.items() for name in names.split()}

__all__ = [
    "BETA_LABEL",
    "CAR_LABEL",
    "CAR_SIMPLE_LABEL",
    "CORRELATION_LABEL",
    "DATE_LABEL",
    "DEFAULT_NOTE",
    "DRAWDOWN_LABEL",
    "FIG_DPI",
    "INDEX_LABEL",
    "LOG_RETURN_LABEL",
    "NOTE_GID",
    "NO_ESTIMATE_TEXT",
    "PERCENT",
    "RELATIVE_DAY_LABEL",
    "SYNTHETIC_NOTE",
    "SYNTHETIC_TITLE_PREFIX",
    "UNKNOWN_VERDICT_COLOR",
    "WATERMARK_GID",
    "WATERMARK_TEXT",
    "balance_sheet_panels",
    "claims_chart",
    "coefficient_bars",
    "correlation_heatmap",
    "coverage_chart",
    "coverage_grid",
    "cumulative_returns",
    "dcc_correlation",
    "drawdown_chart",
    "event_bars",
    "event_car",
    "event_car_panels",
    "figure_png",
    "figure_texts",
    "figure_title",
    "leverage_hpc_chart",
    "market_link_chart",
    "news_comparison_chart",
    "news_responses_heatmap",
    "revenue_split_panels",
    "rolling_betas",
    "rolling_lines",
    "rolling_spillover_chart",
    "save_figure",
    "scatter_stress",
    "set_style",
    "spillover_heatmap",
    "ticker_color",
]


def __getattr__(name: str) -> Any:
    """Load the figure module that defines ``name`` (or a submodule itself) on first access."""
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _NAMES_BY_MODULE:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
