"""What a notebook calls: open the study, show tables and figures, record results.

Every notebook starts with one call::

    nb = study.start("02-correlations", request, panel_dir=panel_dir, output_dir=output_dir)

and then uses ``nb.panel`` (the :class:`~analysis.pipeline.StudyPanel`), ``nb.table(...)``,
``nb.figure(...)``, ``nb.md(...)`` and finally ``nb.record({...})``. Warnings raised while the
notebook computes are collected (not printed), so the published HTML carries no stderr; they
are recorded in the notebook's results and shown in the report's index page.
"""

from __future__ import annotations

import math
import re
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from . import atomic
from .coverage import Coverage, ShortSample
from .errors import ConfigError
from .pipeline import SYNTHETIC_BANNER, StudyPanel, StudyRequest, open_panel, ticker_list

__all__ = [
    "COLUMN_LABELS",
    "PROFILE_DIR",
    "SYNTHETIC_BANNER",
    "Notebook",
    "column_label",
    "format_table",
    "loaded_modules",
    "start",
    "to_jsonable",
]

#: Folder of ``output_dir`` where :meth:`Notebook.record` leaves the notebook's profile
#: (``<name>.json``: seconds spent on figures, third-party modules loaded). The report runner
#: gathers these into ``status.json`` and ``modules.json``, apart from the results: timings differ
#: run to run, results must not.
PROFILE_DIR = "profile"

#: Decimals of floats in displayed tables.
TABLE_DECIMALS = 3
#: Text shown for a missing value in a displayed table.
MISSING_TEXT = "–"
#: Readable headers of the library's table columns (others: underscores become spaces).
COLUMN_LABELS: dict[str, str] = {
    "event_id": "event",
    "param": "term",
    "coef": "coefficient",
    "ci_low": "95% low",
    "ci_high": "95% high",
    "p_adj": "p (Holm)",
    "car_simple": "CAR (simple)",
    "car_log": "CAR (log)",
    "n_est": "estimation sessions",
    "rho": "ρ",
    "se_ratio": "bootstrap / Fisher SE",
    "ci_fisher_lo": "Fisher low",
    "ci_fisher_hi": "Fisher high",
    "ci_bootstrap_lo": "bootstrap low",
    "ci_bootstrap_hi": "bootstrap high",
    "p_fisher": "p (Fisher)",
    "p_bootstrap": "p (bootstrap)",
    "p_bootstrap_adj": "p (bootstrap, Holm)",
    "diff": "difference",
    "rho_stress": "ρ stress",
    "rho_calm": "ρ calm",
    "rho_star": "ρ* (Forbes–Rigobon)",
    "ci_star_lo": "ρ* low",
    "ci_star_hi": "ρ* high",
    "n_stress": "stress sessions",
    "n_calm": "calm sessions",
    "p_slopes": "p (slopes)",
    "p_slopes_adj": "p (slopes, Holm)",
    "p_intercept": "p (intercept)",
    "sup_wald_date": "sup-Wald date",
    "p_sup_wald": "p (sup-Wald)",
    "robust_to_lags": "same decision at every HAC lag",
    "p_wald": "p (robust Wald)",
    "p_wald_adj": "p (robust Wald, Holm)",
    "t_bmp": "t (BMP)",
    "p_bmp": "p (BMP)",
    "t_kp": "t (Kolari–Pynnönen)",
    "p_kp": "p (Kolari–Pynnönen)",
    "mean_scar": "mean SCAR",
    "rbar": "mean residual correlation",
}


def column_label(name: object) -> str:
    """The readable header of a table column (:data:`COLUMN_LABELS`, else underscores as spaces)."""
    text = str(name)
    return COLUMN_LABELS.get(text, text.replace("_", " "))


#: A displayed cell that reads as a number (right-aligned); other columns are left-aligned text.
NUMERIC_TEXT = re.compile(r"[+−-]?[\d,]*\.?\d+(e[+-]?\d+)?%?|–|∞|−∞|[+−-]?\d+(\.\d+)? ?(pts|%)")

#: Columns whose cells are all this short never wrap (dates, tickers, numbers).
NOWRAP_CHARS = 22

#: Longest warning message recorded (a traceback-sized message is cut here, with a marker).
MAX_WARNING_CHARS = 2000


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and containers to JSON-ready values (NaN -> None)."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return to_jsonable(obj.to_dict(orient="records"))
    if isinstance(obj, pd.Series):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, list | tuple | np.ndarray | pd.Index):
        return [to_jsonable(v) for v in obj]
    if obj is None or obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, pd.Timestamp):
        return str(obj.date()) if obj == obj.normalize() else obj.isoformat()
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(obj, pd.Timedelta):
        return str(obj)
    if isinstance(obj, str | int):
        return obj
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    return str(obj)


def _cell_text(value: Any, decimals: int) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return MISSING_TEXT
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        if v != 0 and abs(v) < 10 ** (-decimals):
            return f"{v:.1e}"
        return f"{v:,.{decimals}f}" if abs(v) >= 1e4 else f"{v:.{decimals}f}"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else value.isoformat()
    return value


def format_table(
    frame: pd.DataFrame,
    *,
    decimals: int = TABLE_DECIMALS,
    percent: Sequence[str] = (),
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A display copy of ``frame``: integers as integers, floats rounded, NaN as a dash.

    Parameters
    ----------
    frame
        Any table (a ``summary_frame()``).
    decimals
        Decimals of floats (tiny non-zero values use scientific notation).
    percent
        Columns holding fractions to show in percent (``-0.174`` -> ``-17.4%``; a ``+`` sign only
        in columns with negative values, so shares read ``2.4%``).
    rename
        Readable column names.

    Notes
    -----
    A float column whose values are all whole numbers (e.g. counts after a merge with NaN) is
    shown as integers; tuples and lists are joined (``(WULF,)`` -> ``WULF``).
    """
    out = frame.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" ".join(str(c) for c in col if str(c)) for col in out.columns]
    for col in out.columns:
        s = out[col]
        if col in percent:
            # A sign only where the column has negative values (a return, not a share).
            sign = "+" if (pd.to_numeric(s, errors="coerce") < 0).any() else ""
            out[col] = [
                MISSING_TEXT if pd.isna(v) else f"{float(v) * 100:{sign}.{max(decimals - 2, 1)}f}%" for v in s
            ]
            continue
        if pd.api.types.is_float_dtype(s) and s.notna().any():
            finite = s.dropna()
            if np.isfinite(finite).all() and (finite == finite.round()).all() and finite.abs().max() < 1e15:
                out[col] = [MISSING_TEXT if pd.isna(v) else f"{int(v):d}" for v in s]
                continue
        out[col] = [_cell_text(v, decimals) for v in s]
    if rename:
        out = out.rename(columns=dict(rename))
    if not isinstance(out.index, pd.RangeIndex):
        out.index = [str(_cell_text(v, decimals)) for v in out.index]
    return out


@dataclass
class Notebook:
    """One notebook's session: the panel, where outputs go, what was collected."""

    name: str
    panel: StudyPanel
    output_dir: Path | None
    coverage: Coverage
    warnings: list[dict[str, str]] = field(default_factory=list)
    short: list[ShortSample] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    tables: int = 0
    figure_titles: dict[str, str] = field(default_factory=dict)
    kept: dict[str, Any] = field(default_factory=dict)
    #: Seconds spent building, rendering, saving and showing figures (profile only).
    figure_seconds: float = 0.0

    # -- display -------------------------------------------------------------------

    def md(self, text: str) -> None:
        """Show Markdown text."""
        from IPython.display import Markdown, display

        display(Markdown(text))  # type: ignore[no-untyped-call]

    def header(self) -> None:
        """Show the provenance header: as-of date, last data date used, coverage, banner."""
        s = self.panel.clean.summary
        text = (
            f"**As of {self.panel.as_of.date()}** (last data date used: "
            f"**{self.panel.last_data_date.date()}**). Data: provider `{self.panel.provider}`, panel "
            f"{s['start']} .. {s['end']} ({s['sessions']} sessions, {len(s['tickers'])} tickers). "
            + self.coverage.sentence()
        )
        if self.panel.synthetic:
            text = (
                "<div style='background:#b00020;color:white;padding:10px;font-weight:bold'>"
                f"{SYNTHETIC_BANNER}: every number and figure below illustrates the method only.</div>\n\n"
                + text
            )
        self.md(text)

    def table(
        self,
        frame: pd.DataFrame | None,
        *,
        decimals: int = TABLE_DECIMALS,
        percent: Sequence[str] = (),
        rename: Mapping[str, str] | None = None,
        caption: str | None = None,
    ) -> None:
        """Show a table formatted for reading (see :func:`format_table`); ``None`` shows nothing."""
        from IPython.display import display

        if frame is None:
            return
        if caption:
            self.md(caption)
        if frame.empty:
            self.md("*No rows.*")
            return
        shown = format_table(frame, decimals=decimals, percent=percent)
        labels = {c: column_label(c) for c in shown.columns}
        shown = shown.rename(columns={**labels, **dict(rename or {})})
        index = not isinstance(shown.index, pd.RangeIndex)  # a 0..n index says nothing: not shown
        self.tables += 1
        table_id = f"table-{self.name}-{self.tables}"  # a CSS id must not start with a digit
        first = 2 if index else 1  # nth-child of the first data column
        text_cols = [
            first + i
            for i, c in enumerate(shown.columns)
            if not all(NUMERIC_TEXT.fullmatch(str(v)) for v in shown[c])
        ]
        short_cols = [
            first + i
            for i, c in enumerate(shown.columns)
            if all(len(str(v)) <= NOWRAP_CHARS for v in shown[c])
        ]
        css = " ".join(
            [
                f"#{table_id} td:nth-child({k}), #{table_id} th:nth-child({k}) {{text-align: left;}}"
                for k in text_cols
            ]
            + [f"#{table_id} td:nth-child({k}) {{white-space: nowrap;}}" for k in short_cols]
        )
        with pd.option_context("display.max_colwidth", None, "display.max_rows", 500):
            table = shown.to_html(index=index, escape=True, border=0, classes="dataframe", table_id=table_id)
            bundle = {
                "text/html": (f"<style>{css}</style>" if css else "") + table,
                "text/plain": shown.to_string(index=index),
            }
        display(bundle, raw=True)  # type: ignore[no-untyped-call]

    def figure(self, fig: Any, name: str) -> None:
        """Render ``fig`` once: save it as ``figures/<name>.png`` (if outputs are kept) and show it."""
        import matplotlib.pyplot as plt
        from IPython.display import Image, display

        from .plots import figure_png, figure_title, save_figure

        t0 = time.perf_counter()
        png = figure_png(fig)
        if self.output_dir is not None:
            save_figure(fig, self.output_dir / "figures", name, png=png)
        self.figures.append(name)
        if title := figure_title(fig):
            self.figure_titles[name] = title
        plt.close(fig)
        # the title doubles as the image's alt text in the report's HTML
        display(Image(data=png, metadata={"alt": title} if title else None))  # type: ignore[no-untyped-call]
        self.figure_seconds += time.perf_counter() - t0

    def plot(self, name: str, func: Any, *args: Any, **kwargs: Any) -> None:
        """Draw ``func(*args, **kwargs)`` with this run's source note and synthetic flag, then show it.

        ``nb.plot("03-rolling-betas", plots.rolling_betas, roll, title=...)`` is
        ``nb.figure(plots.rolling_betas(roll, title=..., note=..., synthetic=...), "03-rolling-betas")``.
        """
        kwargs.setdefault("note", self.panel.figure_note)
        kwargs.setdefault("synthetic", self.panel.synthetic)
        t0 = time.perf_counter()
        fig = func(*args, **kwargs)
        self.figure_seconds += time.perf_counter() - t0
        self.figure(fig, name)

    # -- sections --------------------------------------------------------------------

    def require(self, section: str, tickers: str | Sequence[str], *, at_least: int = 1) -> list[str]:
        """Tickers of ``tickers`` with data; records and shows a note for those without.

        Fewer than ``at_least`` with data: the section is skipped (a note says why) and the
        result is empty. Otherwise the available tickers are returned, and a note names any
        left out. ``tickers`` may be one string of tickers (``"HUT"``, ``"BTC-USD ^NDX"``).
        """
        wanted = ticker_list(tickers, f"the tickers of {section}")
        have = self.panel.available(wanted)
        missing = self.panel.missing(wanted)
        if len(have) < at_least:
            self.skipped.append({"section": section, "missing": missing})
            self.md(
                f"*Section skipped: {section} needs {', '.join(wanted)}; "
                f"no data for {', '.join(missing) or 'enough of them'} in this run.*"
            )
            return []
        if missing:
            self.skipped.append({"section": section, "missing": missing, "partial": True})
            name = section[:1].upper() + section[1:]
            self.md(f"*{name}: no data for {', '.join(missing)} in this run; left out.*")
        return have

    def note_short(self, samples: Sequence[ShortSample]) -> None:
        """Record statistics computed on fewer observations than their window."""
        self.short.extend(samples)

    # -- results ---------------------------------------------------------------------

    def keep(self, headline: Sequence[Mapping[str, Any]] = (), **results: Any) -> None:
        """Keep a section's results for :meth:`record` (a skipped section keeps nothing).

        ``headline`` records are appended to the notebook's headline list; other keys are
        stored as given (a later key replaces an earlier one).
        """
        self.kept.setdefault("headline", []).extend(dict(h) for h in headline)
        self.kept.update(results)

    def record(self, results: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Write this notebook's key numbers (``results/<name>.json``) and return them.

        The record carries what :meth:`keep` collected, then ``results`` (a ``headline`` list
        there is appended to the kept one), and the request, the last data date, coverage,
        collected warnings, short samples and skipped sections.
        """
        given = dict(results or {})
        merged = {**self.kept, **given}
        merged["headline"] = [*self.kept.get("headline", []), *given.get("headline", [])]
        doc: dict[str, Any] = {
            "notebook": self.name,
            "request": self.panel.request.to_dict(),
            "as_of": str(self.panel.as_of.date()),
            "last_data_date": str(self.panel.last_data_date.date()),
            "synthetic": self.panel.synthetic,
            "provider": self.panel.provider,
            "coverage": self.coverage.summary_frame(),
            "warnings": list(self.warnings),
            "short_samples": [s.text() for s in self.short],
            "skipped": list(self.skipped),
            "figures": list(self.figures),
            "figure_titles": dict(self.figure_titles),
            **merged,
        }
        clean: dict[str, Any] = to_jsonable(doc)
        if self.output_dir is not None:
            atomic.write_json(self.output_dir / "results" / f"{self.name}.json", clean)
            profile = {"figures_s": round(self.figure_seconds, 3), "modules": loaded_modules()}
            atomic.write_json(self.output_dir / PROFILE_DIR / f"{self.name}.json", profile)
        return clean

    # -- warnings --------------------------------------------------------------------

    def _showwarning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        text = str(message)
        if len(text) > MAX_WARNING_CHARS:
            text = text[:MAX_WARNING_CHARS] + " [...]"
        entry = {"category": category.__name__, "message": text}
        if entry not in self.warnings:
            self.warnings.append(entry)


def loaded_modules() -> list[str]:
    """Third-party modules loaded in this process: not the standard library's, not this package's.

    Only public modules (no ``_private`` part) that no other listed module implies: importing
    ``a.b.c`` imports ``a.b`` and ``a``, so those are left out. A kernel that imports just these
    is the "library floor" of its notebook (``make bench``): what its imports cost before any of
    the study's own work.
    """
    names = {
        m
        for m in list(sys.modules)
        if m.partition(".")[0] not in sys.stdlib_module_names
        and m.partition(".")[0] != __package__
        and all(part.isidentifier() and not part.startswith("_") for part in m.split("."))
    }
    parents = {m.rpartition(".")[0] for m in names}
    return sorted(names - parents)


def start(
    name: str,
    request: StudyRequest | Mapping[str, Any],
    *,
    panel_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
) -> Notebook:
    """Open the study for notebook ``name`` and start collecting its warnings.

    Parameters
    ----------
    name
        The notebook's name (``"02-correlations"``): names its results file.
    request
        The study request (dict form from the parameters cell, or a :class:`StudyRequest`).
    panel_dir
        A published panel (set by the report runner); ``None`` builds it here.
    output_dir
        Absolute directory for ``figures/`` and ``results/``; ``None`` saves nothing.

    Raises
    ------
    ConfigError
        On a bad request, a panel built for another request, or a relative ``output_dir``.
    """
    out = None
    if output_dir is not None:
        out = Path(output_dir)
        if not out.is_absolute():
            raise ConfigError(f"output_dir must be an absolute path, got {output_dir!r}")
    nb = Notebook(name=name, panel=None, output_dir=out, coverage=None)  # type: ignore[arg-type]
    warnings.showwarning = nb._showwarning
    warnings.simplefilter("default")
    panel = open_panel(request, panel_dir)
    nb.panel = panel
    nb.coverage = panel.coverage
    from .plots import set_style

    set_style()
    return nb
