"""Report runner: clean the data once, execute every notebook with papermill, publish.

A run writes into a staging directory next to the target and is renamed to
``reports/<as-of>/`` only when every notebook succeeded, so a partial report is
never presented as complete. A failed run is kept as ``reports/<as-of>.failed/``
with ``status.json`` naming the notebook and the cell that failed.

Layout of a finished run::

    reports/<as-of>/
      index.html            summary with headline numbers and links
      metrics.json          merged key numbers of every notebook + run metadata
      status.json           {"complete": true, ...}
      NN-name.ipynb / .html executed notebooks and their HTML
      figures/*.png         every figure
      results/*.json        per-notebook key numbers
      data/processed/       the cleaned panel the notebooks read (+ quality.md)
"""

from __future__ import annotations

import html
import json
import os
import shutil
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__, atomic
from .clean import CleanConfig, clean_panel, write_outputs
from .config import DEFAULT_START, NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR
from .errors import ConfigError, DataQualityWarning, ReportError
from .sources import load_raw, parse_date_range
from .study import DEFAULT_LOOKAHEAD_DAYS, SYNTHETIC_BANNER, to_jsonable
from .universe import load_universe

__all__ = [
    "GOLDEN_DIR",
    "GOLDEN_SEED",
    "NOTEBOOKS",
    "NotebookRun",
    "ReportOptions",
    "execute_notebooks",
    "regenerate_golden",
    "run_report",
]

#: The study notebooks, in pipeline order.
NOTEBOOKS: tuple[str, ...] = (
    "01-data-quality",
    "02-correlations",
    "03-miner-exposure",
    "04-event-study",
    "05-article-claims",
)
GOLDEN_DIR = PROJECT_ROOT / "tests" / "golden"
#: Seed of the synthetic source used for the golden notebooks.
GOLDEN_SEED = 9  # SyntheticConfig().seed: sample values close to the planted ones
KERNEL_NAME = "python3"
#: Seconds a single cell may run before the report fails.
CELL_TIMEOUT_S = 600


@dataclass(frozen=True)
class ReportOptions:
    """Options of one report run (mirrors the CLI)."""

    as_of: str
    start: str = DEFAULT_START
    end: str | None = None
    source: str = "auto"
    snapshot_dir: Path | None = None
    data_dir: Path | None = None
    tickers: list[str] | None = None
    strict: bool = False
    seed: int | None = None
    out: Path | None = None
    jobs: int = 2
    notebooks: tuple[str, ...] = NOTEBOOKS


@dataclass
class NotebookRun:
    """Outcome of executing one notebook."""

    name: str
    output: Path
    seconds: float
    error: str | None = None
    cell: int | None = None
    timings: dict[str, float] = field(default_factory=dict)


def _cell_timings(nb_path: Path) -> dict[str, float]:
    """Kernel-side seconds per cell from papermill's metadata (sum by kind)."""
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    total = 0.0
    first = 0.0
    for i, cell in enumerate(c for c in nb.get("cells", []) if c.get("cell_type") == "code"):
        d = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if d is not None:
            total += float(d)
            if i <= 1:
                first += float(d)
    return {"cells_s": round(total, 3), "imports_s": round(first, 3)}


def _execute_one(name: str, out_dir: Path, parameters: dict[str, Any]) -> NotebookRun:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    src = NOTEBOOKS_DIR / f"{name}.ipynb"
    if not src.is_file():
        raise ConfigError(f"notebook not found: {src}")
    dst = out_dir / f"{name}.ipynb"
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pm.execute_notebook(
                str(src),
                str(dst),
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                cwd=str(out_dir),
                progress_bar=False,
                log_output=False,
                execution_timeout=CELL_TIMEOUT_S,
            )
    except PapermillExecutionError as exc:
        return NotebookRun(
            name,
            dst,
            time.perf_counter() - t0,
            error=f"{exc.ename}: {exc.evalue}",
            cell=int(exc.exec_count or exc.cell_index),
        )
    except Exception as exc:
        return NotebookRun(name, dst, time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
    run = NotebookRun(name, dst, time.perf_counter() - t0)
    run.timings = _cell_timings(dst)
    return run


def execute_notebooks(
    names: tuple[str, ...], out_dir: Path, parameters: dict[str, Any], *, jobs: int = 2
) -> list[NotebookRun]:
    """Execute notebooks with papermill into ``out_dir`` (in parallel), returning each outcome.

    ``parameters`` may contain ``{name}`` placeholders (e.g. ``results/{name}.json``).
    """

    def params_for(name: str) -> dict[str, Any]:
        return {k: (v.format(name=name) if isinstance(v, str) else v) for k, v in parameters.items()}

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(_execute_one, n, out_dir, params_for(n)) for n in names]
        return [f.result() for f in futures]


def _to_html(nb_path: Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(nb_path), as_version=4)  # type: ignore[no-untyped-call]
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)  # type: ignore[no-untyped-call]
    out = nb_path.with_suffix(".html")
    out.write_text(body, encoding="utf-8")
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


def _index_html(meta: dict[str, Any], metrics: dict[str, Any], runs: list[NotebookRun]) -> str:
    banner = (
        (
            f'<div class="banner">{SYNTHETIC_BANNER}: this run used the synthetic source; numbers illustrate '
            "the method only.</div>"
        )
        if meta["synthetic"]
        else ""
    )
    rows = "".join(
        f'<tr><td><a href="{r.name}.html">{r.name}</a></td><td><a href="{r.name}.ipynb">ipynb</a></td>'
        f"<td>{r.seconds:.1f} s</td></tr>"
        for r in runs
    )
    heads = []
    for nb, res in metrics.get("notebooks", {}).items():
        for k, v in (res.get("headline") or {}).items():
            heads.append(f"<tr><td>{html.escape(nb)}</td><td>{html.escape(k)}</td><td>{_fmt(v)}</td></tr>")
    claims = metrics.get("notebooks", {}).get("05-article-claims", {}).get("claims", [])
    claim_rows = "".join(
        f"<tr><td>{html.escape(str(c.get('claim')))}</td><td>{html.escape(str(c.get('article_text')))}</td>"
        f"<td>{html.escape(str(c.get('measured_text')))}</td><td>{html.escape(str(c.get('window')))}</td>"
        f"<td class='v-{str(c.get('verdict', '')).split()[0]}'>{html.escape(str(c.get('verdict')))}</td></tr>"
        for c in claims
    )
    figs = "".join(f'<li><a href="figures/{p}">{p}</a></li>' for p in meta.get("figures", []))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Study report as of {meta["as_of"]}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; }}
th {{ background: #f3f3f3; }} .banner {{ background: #b00020; color: white; padding: 12px; font-weight: bold;
font-size: 1.2em; }} .v-supported {{ color: #0a7d27; }} .v-not {{ color: #b00020; }}
</style></head><body>
{banner}
<h1>Crypto, tech and the AI-pivot miners &mdash; report as of {meta["as_of"]}</h1>
<p>Source: <b>{html.escape(meta["source"])}</b>; panel {meta["panel_start"]} .. {meta["panel_end"]}
({meta["sessions"]} sessions, {meta["n_tickers"]} tickers); generated {meta["generated_at"]} by analysis
{meta["package_version"]}. Data quality: <a href="data/processed/quality.md">quality.md</a>.
All numbers are computed from the data of this run; see <a href="metrics.json">metrics.json</a>.</p>
<h2>Article claims</h2>
<table><tr><th>claim</th><th>article</th><th>measured</th><th>window</th><th>verdict</th></tr>{claim_rows}</table>
<h2>Headline numbers</h2>
<table><tr><th>notebook</th><th>metric</th><th>value</th></tr>{"".join(heads)}</table>
<h2>Notebooks</h2>
<table><tr><th>notebook (HTML)</th><th>executed</th><th>run time</th></tr>{rows}</table>
<h2>Figures</h2><ul>{figs}</ul>
</body></html>
"""


def _write_json(path: Path, obj: Any) -> None:
    atomic.write_json(path, to_jsonable(obj))


def run_report(opts: ReportOptions) -> Path:
    """Run the full report and return its directory.

    Raises
    ------
    ReportError
        If any notebook fails (names the notebook, the cell and the error); the
        run is left in ``<out>.failed/`` and any previous complete report is kept.
    """
    as_of, _ = parse_date_range(opts.as_of, opts.as_of)
    start, _ = parse_date_range(opts.start, opts.start)
    if as_of < start:
        raise ConfigError(f"as-of {as_of.date()} is before the start date {start.date()}")
    end_value = opts.end if opts.end else as_of + pd.Timedelta(days=DEFAULT_LOOKAHEAD_DAYS)
    start, end = parse_date_range(opts.start, end_value)
    if end < as_of:
        raise ConfigError(f"end {end.date()} is before the as-of date {as_of.date()}")
    out = (opts.out or REPORTS_DIR / str(as_of.date())).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    t0 = time.perf_counter()

    uni = load_universe()
    tickers = uni.select(opts.tickers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        raw = load_raw(
            opts.source,
            tickers,
            start,
            end,
            snapshot_dir=opts.snapshot_dir,
            data_dir=opts.data_dir,
            strict=opts.strict,
            seed=opts.seed,
            progress=sys.stderr.isatty(),
        )
        cleaned = clean_panel(raw, config=CleanConfig(start=start, end=end), universe=uni)
    write_outputs(cleaned, staging / "data")
    t_data = time.perf_counter() - t0

    params: dict[str, Any] = {
        "as_of": str(as_of.date()),
        "start": str(start.date()),
        "end": str(end.date()),
        "source": cleaned.summary["source"],
        "panel_dir": "data",
        "results_path": "results/{name}.json",
        "figures_dir": "figures",
        "tickers": tickers,
    }
    runs = execute_notebooks(opts.notebooks, staging, params, jobs=opts.jobs)
    failed = [r for r in runs if r.error]
    status: dict[str, Any] = {
        "complete": not failed,
        "as_of": str(as_of.date()),
        "source": cleaned.summary["source"],
        "synthetic": cleaned.synthetic,
        "notebooks": {
            r.name: {"seconds": round(r.seconds, 2), "error": r.error, "cell": r.cell, **r.timings}
            for r in runs
        },
        "data_seconds": round(t_data, 2),
    }
    if failed:
        _write_json(staging / "status.json", status)
        dead = out.parent / f"{out.name}.failed"
        shutil.rmtree(dead, ignore_errors=True)
        os.replace(staging, dead)
        detail = "; ".join(
            f"{r.name}.ipynb cell {r.cell if r.cell is not None else '?'}: {r.error}" for r in failed
        )
        raise ReportError(
            f"report as of {as_of.date()} failed ({detail}); partial output in {dead}, "
            f"not published as complete"
        )

    for r in runs:
        _to_html(r.output)
    results = {}
    for r in runs:
        p = staging / "results" / f"{r.name}.json"
        if not p.is_file():
            raise ReportError(f"{r.name}.ipynb did not record its results ({p.name} missing)")
        results[r.name] = json.loads(p.read_text(encoding="utf-8"))
    figures = (
        sorted(p.name for p in (staging / "figures").glob("*.png")) if (staging / "figures").is_dir() else []
    )
    meta = {
        "as_of": str(as_of.date()),
        "source": cleaned.summary["source"],
        "synthetic": cleaned.synthetic,
        "panel_start": cleaned.summary["start"],
        "panel_end": cleaned.summary["end"],
        "sessions": cleaned.summary["sessions"],
        "n_tickers": len(cleaned.summary["tickers"]),
        "failed_tickers": cleaned.summary["failed_tickers"],
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        "figures": figures,
        "parameters": params,
    }
    metrics = {"run": meta, "notebooks": results}
    _write_json(staging / "metrics.json", metrics)
    (staging / "index.html").write_text(_index_html(meta, metrics, runs), encoding="utf-8")
    status["seconds"] = round(time.perf_counter() - t0, 2)
    _write_json(staging / "status.json", status)

    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, out)
    shutil.rmtree(out.parent / f"{out.name}.failed", ignore_errors=True)
    return out


def regenerate_golden(out: Path | None = None) -> Path:
    """Re-execute every notebook on the synthetic source into ``tests/golden/`` (for nbval).

    The golden copies load their own synthetic data (no panel_dir) and write no files, so
    nbval can re-run them in place.
    """
    target = out or GOLDEN_DIR
    target.mkdir(parents=True, exist_ok=True)
    params: dict[str, Any] = {
        "source": "synthetic",
        "seed": GOLDEN_SEED,
        "panel_dir": None,
        "results_path": None,
        "figures_dir": None,
    }
    runs = execute_notebooks(NOTEBOOKS, target, params, jobs=2)
    bad = [r for r in runs if r.error]
    if bad:
        raise ReportError("; ".join(f"{r.name}.ipynb cell {r.cell}: {r.error}" for r in bad))
    return target
