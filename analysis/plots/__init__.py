"""Figures of the study, by family (cf. ``statsmodels.graphics``); no statistics inside.

Every helper takes its data first and an optional ``ax``, labels the axes with units, sets a
title, draws a source note at the bottom-left of the figure and returns the
:class:`matplotlib.figure.Figure`. ``synthetic=True`` stamps a diagonal
:data:`WATERMARK_TEXT` across every axes, prefixes the title with
:data:`SYNTHETIC_TITLE_PREFIX` and replaces the default source note with
:data:`SYNTHETIC_SOURCE`.

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

from ._base import (
    BETA_LABEL,
    CAR_LABEL,
    CAR_SIMPLE_LABEL,
    CORRELATION_LABEL,
    DATE_LABEL,
    DEFAULT_SOURCE,
    DRAWDOWN_LABEL,
    FIG_DPI,
    INDEX_LABEL,
    LOG_RETURN_LABEL,
    NO_ESTIMATE_TEXT,
    PERCENT,
    RELATIVE_DAY_LABEL,
    SOURCE_NOTE_GID,
    SYNTHETIC_SOURCE,
    SYNTHETIC_TITLE_PREFIX,
    UNKNOWN_VERDICT_COLOR,
    WATERMARK_GID,
    WATERMARK_TEXT,
    figure_png,
    figure_texts,
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

__all__ = [
    "BETA_LABEL",
    "CAR_LABEL",
    "CAR_SIMPLE_LABEL",
    "CORRELATION_LABEL",
    "DATE_LABEL",
    "DEFAULT_SOURCE",
    "DRAWDOWN_LABEL",
    "FIG_DPI",
    "INDEX_LABEL",
    "LOG_RETURN_LABEL",
    "NO_ESTIMATE_TEXT",
    "PERCENT",
    "RELATIVE_DAY_LABEL",
    "SOURCE_NOTE_GID",
    "SYNTHETIC_SOURCE",
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
