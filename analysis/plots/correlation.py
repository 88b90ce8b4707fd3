"""Correlation figures: heatmaps and stress scatter plots."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import ConfigError
from ._base import (
    CALM_COLOR,
    CORR_CMAP,
    CORR_LIMITS,
    DEFAULT_NOTE,
    FIGSIZE_SQUARE,
    LOG_RETURN_LABEL,
    MIN_FIT_POINTS,
    PERCENT,
    REFERENCE_COLOR,
    STRESS_COLOR,
    add_legend,
    check_note,
    finish,
    new_figure,
)

# ----------------------------------------------------------------------------- correlations


def correlation_heatmap(
    corr: pd.DataFrame,
    *,
    title: str = "Correlation of daily log returns",
    annot: bool = True,
    mask_upper: bool = True,
    n: pd.DataFrame | None = None,
    cbar_label: str = "correlation (Pearson, daily log returns)",
    xlabel: str = "ticker",
    ylabel: str = "ticker",
    ax: Axes | None = None,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Heatmap of a correlation matrix, diverging colours centred at 0 on [-1, 1].

    Parameters
    ----------
    corr
        Correlation matrix (e.g. ``CorrelationMatrix.corr``); NaN cells are blank.
    title, xlabel, ylabel, cbar_label
        Texts; ``cbar_label`` should name the method and sample.
    annot
        Write the value (two decimals) in each cell.
    mask_upper
        Hide the upper triangle (needs a square matrix with identical row and
        column labels).
    n
        Optional pair counts aligned with ``corr`` (e.g. ``CorrelationMatrix.n``),
        written under each value.
    ax, note, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty ``corr``, ``mask_upper`` on a non-square matrix, ``n`` not aligned.
    """
    check_note(note)
    if not isinstance(corr, pd.DataFrame) or corr.empty:
        raise ConfigError("corr is empty: pass a non-empty correlation matrix (tickers x tickers)")
    values = corr.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    square = values.shape[0] == values.shape[1] and list(values.index) == list(values.columns)
    if mask_upper and not square:
        raise ConfigError(
            "mask_upper=True needs a square matrix with identical row/column labels; pass mask_upper=False"
        )
    counts: np.ndarray | None = None
    if n is not None:
        if (
            not isinstance(n, pd.DataFrame)
            or set(n.index) != set(corr.index)
            or set(n.columns) != set(corr.columns)
        ):
            raise ConfigError("n must be a DataFrame with the same index and columns as corr")
        counts = n.reindex(index=corr.index, columns=corr.columns).to_numpy(dtype=np.float64)
    k_rows, k_cols = values.shape
    fig, ax = new_figure(
        ax, (max(FIGSIZE_SQUARE[0], 0.8 * k_cols + 2.5), max(FIGSIZE_SQUARE[1] - 1.0, 0.65 * k_rows + 1.5))
    )
    mask = np.triu(np.ones(values.shape, dtype=bool), k=1) if mask_upper else None
    annot_arg: bool | np.ndarray = False
    if annot:
        v = values.to_numpy()
        texts = np.full(v.shape, "", dtype=object)
        for i, j in np.ndindex(v.shape):
            if np.isfinite(v[i, j]):
                texts[i, j] = f"{v[i, j]:.2f}"
                if counts is not None:
                    texts[i, j] += f"\nn={int(counts[i, j])}" if np.isfinite(counts[i, j]) else "\nn=–"
        annot_arg = texts
    with warnings.catch_warnings():
        # seaborn 0.13.2 calls Colormap.set_bad, pending deprecation in matplotlib 3.11: not ours to fix.
        warnings.filterwarnings("ignore", message="The set_bad function", category=PendingDeprecationWarning)
        import seaborn as sns  # lazy: its import (with scipy.stats) costs about a second

        sns.heatmap(
            values,
            mask=mask,
            cmap=CORR_CMAP,
            center=0.0,
            vmin=CORR_LIMITS[0],
            vmax=CORR_LIMITS[1],
            annot=annot_arg,
            fmt="",
            annot_kws={
                "fontsize": max(6.0, min(10.0, 90.0 / max(k_rows, k_cols))),
                "in_layout": False,
            },  # inside the cells
            square=True,
            linewidths=0.5,
            linecolor="white",
            cbar_kws={"label": cbar_label, "shrink": 0.8},
            ax=ax,
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="y", labelrotation=0)
    for tick in ax.get_xticklabels():
        tick.set(rotation=45, ha="right", rotation_mode="anchor")
    ax.grid(False)
    return finish(fig, note=note, synthetic=synthetic, title=title, ax=ax)


# ----------------------------------------------------------------------------- stress and claims


def scatter_stress(
    x: pd.Series,
    y: pd.Series,
    stress_mask: pd.Series,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    stress_label: str = "stress days",
    calm_label: str = "calm days",
    fit: bool = True,
    ax: Axes | None = None,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Scatter of two daily log-return series, stress vs calm days, with OLS lines.

    Parameters
    ----------
    x, y
        Daily log returns (fractions, drawn in percent) indexed by date.
    stress_mask
        Boolean (or nullable ``"boolean"``) Series on the same dates, True on
        stress days (e.g. :func:`analysis.stress.stress_mask`); NA days are left out.
    title, xlabel, ylabel
        Texts; defaults name the series, e.g. "BTC-USD daily log return (%)".
    stress_label, calm_label
        Legend names of the two regimes.
    fit
        Draw a least-squares line per regime (legend shows ``n`` and the slope),
        when it has at least :data:`MIN_FIT_POINTS` points and varying ``x``.
    ax, note, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty inputs or no common date with values in ``x``, ``y`` and the mask.
    """
    check_note(note)
    for name, s in (("x", x), ("y", y), ("stress_mask", stress_mask)):
        if not isinstance(s, pd.Series) or s.empty:
            raise ConfigError(f"{name} is empty: pass a non-empty pandas Series indexed by date")
    x_name, y_name = str(x.name or "x"), str(y.name or "y")
    both = pd.concat([x.rename("x"), y.rename("y")], axis=1, join="inner").astype(np.float64).dropna()
    mask = stress_mask.reindex(both.index)
    keep = mask.notna().to_numpy()
    both, flags = both[keep], mask[keep].astype(bool).to_numpy()
    if both.empty:
        raise ConfigError("x, y and stress_mask have no common date with values in all three")
    fig, ax = new_figure(ax, (7.5, 6.0))
    ax.axhline(0.0, color=REFERENCE_COLOR, lw=0.6, zorder=0)
    ax.axvline(0.0, color=REFERENCE_COLOR, lw=0.6, zorder=0)
    for sel, label, color, size, alpha in (
        (~flags, calm_label, CALM_COLOR, 10, 0.35),
        (flags, stress_label, STRESS_COLOR, 16, 0.75),
    ):
        xs = both["x"].to_numpy()[sel] * PERCENT
        ys = both["y"].to_numpy()[sel] * PERCENT
        text = f"{label} (n={sel.sum()})"
        if fit and len(xs) >= MIN_FIT_POINTS and np.ptp(xs) > 0:
            slope, intercept = np.polyfit(xs, ys, 1)
            grid = np.linspace(xs.min(), xs.max(), 2)
            ax.plot(
                grid, intercept + slope * grid, color=color, lw=2.0, label=f"{label}: OLS slope {slope:.2f}"
            )
        ax.scatter(xs, ys, s=size, color=color, alpha=alpha, lw=0, label=text)
    ax.set_xlabel(xlabel or f"{x_name} {LOG_RETURN_LABEL}")
    ax.set_ylabel(ylabel or f"{y_name} {LOG_RETURN_LABEL}")
    add_legend(ax)
    return finish(
        fig,
        note=note,
        synthetic=synthetic,
        title=title or f"{y_name} vs {x_name}: stress vs calm days",
        ax=ax,
    )
