"""The article-claims chart."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..errors import ConfigError
from ._base import (
    ARTICLE_COLOR,
    CLAIM_PANEL_HEIGHT,
    CLAIM_WRAP_CHARS,
    DEFAULT_NOTE,
    FIGSIZE_WIDE,
    LARGE_VALUE,
    NOTE_WRAP_CHARS,
    PERCENT,
    REFERENCE_COLOR,
    UNKNOWN_VERDICT_COLOR,
    VERDICT_COLORS,
    AxesArg,
    check_note,
    finish,
    new_grid,
    require_columns,
)


def _verdict_color(verdict: object) -> str:
    text = " ".join(str(verdict).lower().split())
    return next((color for prefix, color in VERDICT_COLORS if text.startswith(prefix)), UNKNOWN_VERDICT_COLOR)


#: Units of the claims table shown in percent (values are fractions: 0.05 = 5%).
FRACTION_UNITS = frozenset({"fraction"})
#: Axis labels of the claims chart per unit.
UNIT_AXIS_LABELS = {"fraction": "return (%)", "USD": "price (USD)", "correlation": "correlation"}
#: Colour and opacity of the band of measured values the rule calls supported.
BAND_COLOR = "#0a7d27"
BAND_ALPHA = 0.15
#: Legend label and ``gid`` of the band, and the note under a chart that draws one.
BAND_LABEL = "rule's supported region"
BAND_GID = "supported-band"
BAND_NOTE = (
    "Green band: the values the rule calls supported (the measured value must fall in it; for a rule "
    "on a range of measured values, the article's figure must). No band where the verdict also depends "
    "on quantities not drawn."
)


def _format_value(value: float, pattern: str | None, unit: str = "") -> str:
    if pattern is not None:
        return pattern.format(value)
    if unit in FRACTION_UNITS:
        return f"{value:+.1f}%"
    if unit == "USD":
        return f"${value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= LARGE_VALUE else f"{value:.3g}"


def claims_chart(
    claims: pd.DataFrame,
    *,
    claim: str = "claim",
    article: str = "article_value",
    measured: str = "measured_value",
    verdict: str = "verdict",
    unit: str | None = "unit",
    article_text: str | None = "article_text",
    measured_text: str | None = "measured_text",
    band: tuple[str, str] | None = ("band_lo", "band_hi"),
    title: str = "Article claims vs measured values",
    value_format: str | None = None,
    ncols: int = 1,
    ax: AxesArg = None,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Article figure vs measured figure, one small panel per claim (own units and scale).

    Parameters
    ----------
    claims
        One row per claim with text ``claim``, numbers ``article_value`` and
        ``measured_value`` (NaN allowed: drawn as "n/a") and ``verdict``.
    claim, article, measured, verdict
        Column names.
    unit
        Optional column with each claim's unit (e.g. "%", "correlation"), used as
        the panel's x label; ignored when the column is absent.
    article_text, measured_text
        Optional columns with each figure as worded (e.g. "down 19.3%", "-21.4%"),
        shown under the claim; ignored when absent.
    band
        Optional columns with the lower and upper end of the measured values the rule calls
        supported (``-inf``/``inf`` one-sided, NaN none), drawn as a shaded band; ignored when
        absent.
    title, value_format
        Figure title; ``str.format`` pattern of the value labels (default:
        thousands separators from 1,000 up, else three significant digits).
    ncols, ax
        Grid columns; optional target axes (one per claim).
    note, synthetic
        Source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty table or missing columns.

    Notes
    -----
    Claims mix units (percent moves, correlations, prices), so each claim gets its
    own x axis instead of a shared one; values in the unit ``"fraction"`` are drawn in percent.
    The measured bar is coloured by verdict (green supported, amber partly, red not supported,
    grey not measurable or other).
    """
    check_note(note)
    if not isinstance(claims, pd.DataFrame) or claims.empty:
        raise ConfigError(
            "claims is empty: pass one row per claim with claim, article_value, measured_value, verdict"
        )
    require_columns(claims, [claim, article, measured, verdict], "claims")
    fig, axes = new_grid(
        ax, len(claims), ncols, (FIGSIZE_WIDE[0] / ncols, CLAIM_PANEL_HEIGHT), sharex=False, sharey=False
    )
    has_unit = unit is not None and unit in claims.columns
    text_cols = [c for c in (article_text, measured_text) if c is not None and c in claims.columns]
    has_band = band is not None and all(c in claims.columns for c in band)
    banded = False
    for (_, row), pax in zip(claims.iterrows(), axes, strict=True):
        raw_unit = row[unit] if unit is not None and has_unit else None
        unit_text = str(raw_unit).strip() if raw_unit is not None and pd.notna(raw_unit) else ""
        scale = PERCENT if unit_text in FRACTION_UNITS else 1.0
        vals = scale * np.array(
            [pd.to_numeric(row[article], errors="coerce"), pd.to_numeric(row[measured], errors="coerce")],
            dtype=np.float64,
        )
        lohi = (
            scale * np.array([pd.to_numeric(row[c], errors="coerce") for c in band], dtype=np.float64)
            if has_band and band is not None
            else np.array([np.nan, np.nan])
        )
        colors = [ARTICLE_COLOR, _verdict_color(row[verdict])]
        ypos = [0, 1]
        pax.barh(ypos, np.nan_to_num(vals, nan=0.0), color=colors, height=0.6)
        pax.axvline(0.0, color=REFERENCE_COLOR, lw=0.8)
        finite = np.concatenate([vals[np.isfinite(vals)], lohi[np.isfinite(lohi)]])
        span = max(float(np.abs(finite).max()) if finite.size else 1.0, 1e-12)
        lo_v, hi_v = float(finite.min(initial=0.0)), float(finite.max(initial=0.0))
        # Room for the value labels on the side the bars point to; a small margin on the other.
        xlim = (
            min(0.0, lo_v) - (0.35 if lo_v < 0 else 0.05) * span,
            max(0.0, hi_v) + (0.35 if hi_v > 0 else 0.05) * span,
        )
        pax.set_xlim(*xlim)
        if not np.isnan(lohi).all():
            lo = xlim[0] if not np.isfinite(lohi[0]) else lohi[0]
            hi = xlim[1] if not np.isfinite(lohi[1]) else lohi[1]
            pax.axvspan(
                lo, hi, color=BAND_COLOR, alpha=BAND_ALPHA, lw=0, zorder=0, label=BAND_LABEL, gid=BAND_GID
            )
            banded = True
        for yv, v in zip(ypos, vals, strict=True):
            text = "n/a" if not np.isfinite(v) else _format_value(v, value_format, unit_text)
            pax.annotate(
                text,
                (v if np.isfinite(v) else 0.0, yv),
                xytext=(4 if not np.isfinite(v) or v >= 0 else -4, 0),
                textcoords="offset points",
                ha="left" if not np.isfinite(v) or v >= 0 else "right",
                va="center",
                fontsize="small",
            )
        pax.set_yticks(ypos, ["article", "measured"])
        pax.set_ylim(1.6, -0.6)
        pax.grid(axis="y", visible=False)
        pax.set_xlabel(
            UNIT_AXIS_LABELS.get(unit_text, f"value ({unit_text})")
            if unit_text
            else "value (unit as stated in the claim)"
        )
        pax.set_ylabel("")  # the tick labels ("article", "measured") name the two bars
        lines = [textwrap.fill(str(row[claim]), width=int(CLAIM_WRAP_CHARS / ncols))]
        if len(text_cols) == 2:
            lines.append(
                textwrap.fill(
                    f"article: {row[text_cols[0]]}  |  measured: {row[text_cols[1]]}",
                    width=int(CLAIM_WRAP_CHARS / ncols),
                )
            )
        lines.append(f"verdict: {row[verdict]}")
        pax.set_title("\n".join(lines), loc="left", fontsize="medium", fontweight="normal")
    if banded:
        note = f"{note}\n{textwrap.fill(BAND_NOTE, NOTE_WRAP_CHARS)}"
    return finish(fig, note=note, synthetic=synthetic, title=title, suptitle=True)
