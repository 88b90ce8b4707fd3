"""Report runner: build the panel once, execute every notebook with papermill, publish atomically.

Guarantees
    * **One panel, absolute paths.** The cleaned panel is published once into the run's
      staging directory; every notebook gets the same ``request`` and the absolute
      ``panel_dir`` and ``output_dir`` of that run, and its kernel starts in the staging
      directory without changing the runner's working directory (papermill's ``cwd`` does a
      process-wide ``chdir``, unsafe with the runner's threads, so it is never used).
    * **Never deletes what it did not write.** An existing ``--out`` that is not a report
      written by this package (no :data:`REPORT_MARKER`) is refused with exit 2, naming it.
    * **Market data is never silently replaced by synthetic data.** By default a synthetic run
      is published to ``reports/<as-of>-synthetic/``; an explicit ``--out`` holding a
      market-data report is refused for a synthetic run unless ``force=True``.
    * **One writer, atomic publication.** Runs on the same target are serialised by a lock
      (``.<name>.lock`` beside it): a second run waits up to ``wait`` seconds, then exits with
      :class:`~analysis.errors.ReportBusyError`. A finished run lives in
      ``.<name>.versions/<id>/`` and ``<name>`` is a symlink switched with one
      ``os.replace``, so at any instant ``<name>`` is the old or the new complete report. The
      previous version is kept; older ones, and staging directories of crashed runs, are
      removed at the next start.
    * **Stale data is said where a reader looks.** ``status.json`` and ``index.html`` list
      each ticker's last date, flag tickers ending before the as-of date, statistics computed
      on fewer observations than their window, failed tickers, skipped sections and every
      warning the notebooks raised; ``strict`` refuses stale data before any notebook runs.

Layout of a published report::

    reports/<as-of>/            -> .<as-of>.versions/<id>/ (symlink)
      index.html                summary: claims, headline numbers, coverage, figures, warnings
      metrics.json, status.json machine-readable results and run status
      NN-name.ipynb / .html     executed notebooks (HTML without code or stderr)
      figures/*.png, results/*.json, data/processed/ (the panel the notebooks read)
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import os
import queue
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from . import __version__, atomic
from .calendar import write_session_file
from .clean import CleanResult, write_outputs
from .config import NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR
from .coverage import Coverage
from .errors import ConfigError, ReportBusyError, ReportError
from .pipeline import SYNTHETIC_BANNER, StudyRequest, build_fundamentals, build_panel, publish_fundamentals
from .study import PROFILE_DIR, to_jsonable
from .universe import load_universe

__all__ = [
    "GOLDEN_DIR",
    "GOLDEN_PANEL_DIR",
    "GOLDEN_SEED",
    "NOTEBOOKS",
    "REPORT_MARKER",
    "NotebookRun",
    "ReportOptions",
    "build_golden_panel",
    "execute_notebooks",
    "golden_request",
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
    "06-dynamics-and-spillovers",
    "07-balance-sheets",
)
#: Typical seconds of each notebook in a report with fundamentals (``make bench``): the runner
#: starts the longest first, so the workers finish together instead of one idling at the end.
NOTEBOOK_COST: dict[str, float] = {
    "01-data-quality": 2.4,
    "02-correlations": 8.1,
    "03-miner-exposure": 6.4,
    "04-event-study": 3.6,
    "05-article-claims": 3.6,
    "06-dynamics-and-spillovers": 7.8,
    "07-balance-sheets": 8.4,
}
#: Notebook 07 without fundamentals (``fundamentals="none"``): only its header and notes.
NO_FUNDAMENTALS_COST = 2.0
GOLDEN_DIR = PROJECT_ROOT / "tests" / "golden"
#: The golden notebooks' panel, built by ``make golden`` and before nbval runs (not committed).
GOLDEN_PANEL_DIR = GOLDEN_DIR / "panel"
#: Seed and as-of date of the golden notebooks (synthetic source).
GOLDEN_SEED: int | None = None  # None: the synthetic generator's own default seed
GOLDEN_AS_OF = "2025-12-02"
KERNEL_NAME = "python3"
#: Seconds a single cell may run before the report fails.
CELL_TIMEOUT_S = 600
#: File that marks a directory as a report written by this package.
REPORT_MARKER = ".analysis-report.json"
#: File that marks a staging directory of this package (safe to remove after a crash).
STAGING_MARKER = ".analysis-staging"
#: Suffix of the default output directory of a synthetic run.
SYNTHETIC_SUFFIX = "-synthetic"
#: nbconvert templates of the package (the offline "report" HTML template).
TEMPLATES_DIR = Path(__file__).with_name("templates")
#: Kernel options: no per-kernel "running over TCP without encryption" log line.
KERNEL_ARGS = ("--IPKernelApp.log_level=CRITICAL",)
#: Environment variables that size the native thread pools (BLAS, OpenMP) of a kernel.
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


#: Native threads per notebook kernel. Kernels run ``jobs`` at a time; with a pool per CPU each,
#: two kernels oversubscribe a 2-core machine and spin-waiting BLAS threads burn CPU the other
#: kernel needs (about a sixth of a report's CPU time). One thread also makes the numbers
#: independent of the machine: a BLAS reduction's order depends on its thread count (the DCC
#: z-statistic of the golden panel is 49.60547 with one thread, 49.60553 with two).
KERNEL_THREADS = 1


def kernel_env(threads: int, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a notebook kernel: ``base`` (default ``os.environ``) with thread limits.

    A limit the user set in ``base`` is kept; only unset variables get ``threads``
    (:data:`KERNEL_THREADS` in a report).
    """
    env = dict(os.environ if base is None else base)
    for var in THREAD_ENV_VARS:
        env.setdefault(var, str(threads))
    return env


@functools.cache
def _kernel_manager_class(threads: int) -> type[Any]:
    """An nbclient kernel manager whose kernels start with :func:`kernel_env` (``threads``)."""
    from jupyter_client.manager import AsyncKernelManager

    class ThreadLimitedKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]  # nbclient passes no env
            kw["env"] = kernel_env(threads, kw.get("env"))
            await super().start_kernel(**kw)

    ThreadLimitedKernelManager.__name__ = f"ThreadLimitedKernelManager{threads}"
    return ThreadLimitedKernelManager


@dataclass(frozen=True)
class ReportOptions:
    """How the runner runs (the study itself is the :class:`~analysis.pipeline.StudyRequest`).

    Attributes
    ----------
    out
        Output directory (default ``reports/<as-of>/``, or ``reports/<as-of>-synthetic/`` for
        synthetic data).
    jobs
        Notebooks run in parallel.
    force
        Replace a market-data report at ``out`` with a synthetic one.
    wait
        Seconds to wait for another run on the same ``out`` (0: exit at once).
    notebooks
        Which notebooks to run.
    progress
        One line per notebook on stderr (default: when stderr is a terminal).
    """

    out: Path | None = None
    jobs: int = 2
    force: bool = False
    wait: float = 0.0
    notebooks: tuple[str, ...] = NOTEBOOKS
    progress: bool | None = None


#: Report file listing, per notebook, the third-party modules its kernel loaded
#: (:func:`analysis.study.loaded_modules`); ``make bench`` imports exactly these (the library floor).
MODULES_FILE = "modules.json"


@dataclass
class NotebookRun:
    """Outcome of executing one notebook."""

    name: str
    output: Path
    seconds: float
    error: str | None = None
    cell: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    title: str = ""
    #: Third-party modules the notebook's kernel had loaded (its profile; empty if it failed),
    #: as :func:`analysis.study.loaded_modules` lists them.
    modules: tuple[str, ...] = ()

    @property
    def libraries(self) -> list[str]:
        """The top-level packages of :attr:`modules`."""
        return sorted({m.partition(".")[0] for m in self.modules})


# --------------------------------------------------------------------------- notebook execution


def _cell_timings(nb: dict[str, Any], figures_s: float | None = None) -> dict[str, float]:
    """Kernel-side seconds per kind of work, from papermill's cell metadata.

    ``imports_s`` is the first code cell. ``figures_s`` is what the notebook measured building and
    rendering its figures (:attr:`analysis.study.Notebook.figure_seconds`); without that
    measurement (a notebook that stopped early), the cells that showed an image. ``compute_s``
    is the rest of the cells' time.
    """
    imports = shown = 0.0
    cells = 0.0
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for i, cell in enumerate(code):
        d = float(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
        cells += d
        if i == 0:
            imports += d
        elif any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            shown += d
    figures = min(figures_s, cells - imports) if figures_s is not None else shown
    return {
        "cells_s": round(cells, 3),
        "imports_s": round(imports, 3),
        "figures_s": round(max(figures, 0.0), 3),
        "compute_s": round(max(cells - imports - figures, 0.0), 3),
    }


def _take_profile(out_dir: Path, name: str) -> tuple[float | None, tuple[str, ...]]:
    """The notebook's own profile (figure seconds, modules), removed once read; (None, ()) if none."""
    path = out_dir / PROFILE_DIR / f"{name}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        path.unlink()
    except (OSError, ValueError):
        return None, ()
    figures = doc.get("figures_s") if isinstance(doc, dict) else None
    modules = doc.get("modules") if isinstance(doc, dict) else None
    return (
        float(figures) if isinstance(figures, int | float) else None,
        tuple(str(x) for x in modules) if isinstance(modules, list) else (),
    )


def _execute_one(name: str, src_dir: Path, out_dir: Path, parameters: dict[str, Any]) -> NotebookRun:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    src = src_dir / f"{name}.ipynb"
    if not src.is_file():
        raise ConfigError(f"notebook not found: {src}")
    dst = out_dir / f"{name}.ipynb"
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            str(src),
            str(dst),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            log_output=False,
            # One write at the end (and one on a failing cell) instead of two per cell: every
            # write re-serialises the whole notebook, figures included.
            request_save_on_cell_execute=False,
            execution_timeout=CELL_TIMEOUT_S,
            # The kernel starts in out_dir without a process-wide chdir (papermill's cwd= does one).
            resources={"metadata": {"path": str(out_dir)}},
            extra_arguments=list(KERNEL_ARGS),
            kernel_manager_class=_kernel_manager_class(KERNEL_THREADS),
        )
    except PapermillExecutionError as exc:
        return NotebookRun(
            name,
            dst,
            time.perf_counter() - t0,
            error=f"{exc.ename}: {exc.evalue}",
            cell=int(exc.exec_count or exc.cell_index),
        )
    except Exception as exc:  # a kernel that died or failed to start: name it, keep the others
        return NotebookRun(name, dst, time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
    run = NotebookRun(name, dst, time.perf_counter() - t0)
    figures_s, run.modules = _take_profile(out_dir, name)
    run.timings = _cell_timings(json.loads(dst.read_text(encoding="utf-8")), figures_s)
    return run


def _compile_package() -> None:
    """Byte-compile this package once, so kernels do not each compile it from source.

    Python writes no bytecode when ``PYTHONDONTWRITEBYTECODE`` is set (as on many CI images),
    and then every kernel compiled the modules it imports (0.2-0.4 s each). Up-to-date files are
    skipped; a read-only install is left as it is.
    """
    import compileall

    with contextlib.suppress(OSError):
        compileall.compile_dir(str(Path(__file__).parent), quiet=2)


def execute_notebooks(
    names: tuple[str, ...],
    out_dir: Path,
    parameters: dict[str, Any],
    *,
    jobs: int = 2,
    src_dir: Path | None = None,
    progress: bool = False,
    after: Callable[[NotebookRun], None] | None = None,
    costs: Mapping[str, float] | None = None,
) -> list[NotebookRun]:
    """Execute notebooks with papermill into ``out_dir`` (``jobs`` at a time), returning each outcome.

    Every notebook gets the same ``parameters``; its kernel starts in ``out_dir``. The
    longest notebooks start first (``costs``, default :data:`NOTEBOOK_COST`), so no long one
    runs alone at the end. ``after`` runs in the worker on each successful run (e.g. its HTML
    export) while the other kernels keep going. Each kernel's native thread pools get
    :data:`KERNEL_THREADS` threads unless the environment already sets them.
    """
    source = src_dir or NOTEBOOKS_DIR
    _compile_package()

    def one(name: str) -> NotebookRun:
        run = _execute_one(name, source, out_dir, parameters)
        if after is not None and run.error is None:
            after(run)
        return run

    runs: dict[str, NotebookRun] = {}
    cost = NOTEBOOK_COST if costs is None else costs
    order = sorted(names, key=lambda n: -cost.get(n, 0.0))  # stable: ties keep their order
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(one, n): n for n in order}
        for done, future in enumerate(as_completed(futures), start=1):
            run = future.result()
            runs[run.name] = run
            if progress:
                state = "ok" if run.error is None else f"FAILED ({run.error})"
                print(f"[{done}/{len(names)}] {run.name}: {state} in {run.seconds:.1f} s", file=sys.stderr)
    return [runs[n] for n in names]


# --------------------------------------------------------------------------- HTML


def _stderr_outputs(nb: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stderr stream output of an executed notebook, with its cell number."""
    found = []
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for i, cell in enumerate(code, start=1):
        for out in cell.get("outputs", []):
            if _is_stderr(out):
                text = "".join(out.get("text", ""))
                if text.strip():
                    found.append({"cell": i, "text": text.strip()})
    return found


def _is_stderr(output: dict[str, Any]) -> bool:
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


#: Idle HTML exporters, reused across notebooks and runs (building one compiles its templates).
_EXPORTERS: queue.SimpleQueue[Any] = queue.SimpleQueue()
#: Default alt text of an image that has none (nbconvert's wording).
NO_ALT = "No description has been provided for this image"
_FOCUSABLE_DIV = re.compile(
    r'(<div class="(?:[^"]*\s)?(?:jp-OutputArea-output|jp-Cell-inputWrapper)[\s"][^>]*?)(?<!tabindex="0")>'
)
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")


def _accessible(page: str) -> str:
    """Cell inputs and outputs focusable (``tabindex``), images described (``alt``): as nbconvert does.

    nbconvert's ``HTMLExporter`` does this by re-parsing the whole page with BeautifulSoup,
    base64 figures included (about 0.15 s a notebook, beside the kernels); the template's
    output markup is known, so two anchored substitutions do the same.
    """
    page = _FOCUSABLE_DIV.sub(r'\1 tabindex="0">', page)
    return _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT}"', page)


def _html_exporter() -> Any:
    """nbconvert's HTML exporter with the report template, minus its closing BeautifulSoup pass."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReaderHTMLExporter(HTMLExporter):
        def from_notebook_node(  # type: ignore[override]
            self, nb: Any, resources: Any = None, **kw: Any
        ) -> tuple[str, Any]:
            # HTMLExporter.from_notebook_node up to its BeautifulSoup pass (nbconvert 7)
            lang = nb.metadata.get("language_info", {})
            lexer = lang.get("pygments_lexer", lang.get("name", None))
            highlight = self.filters.get("highlight_code") or Highlight2HTML(  # type: ignore[no-untyped-call]
                pygments_lexer=lexer, parent=self
            )
            self.register_filter("highlight_code", highlight)  # type: ignore[no-untyped-call]
            resources = self._init_resources(resources)  # type: ignore[no-untyped-call]
            data_type = WidgetsDataTypeFilter(  # type: ignore[no-untyped-call]
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("filter_data_type", data_type)  # type: ignore[no-untyped-call]
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _accessible(page), resources

    return ReaderHTMLExporter(  # type: ignore[no-untyped-call]
        template_name="report",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def _to_html(nb_path: Path, title: str) -> Path:
    """HTML of an executed notebook for readers: no code, no prompts, no stderr."""
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4)  # type: ignore[no-untyped-call]
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", []) if not _is_stderr(o)]
    nb.metadata["title"] = title
    try:
        exporter = _EXPORTERS.get_nowait()
    except queue.Empty:
        exporter = _html_exporter()
    try:
        body, _ = exporter.from_notebook_node(nb)
    finally:
        _EXPORTERS.put(exporter)
    body = body.replace("<head>", f"<head>\n{NO_FAVICON}", 1)
    out = nb_path.with_suffix(".html")
    atomic.write_text(out, body)
    return out


def _notebook_title(nb_path: Path, default: str) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def _esc(v: Any) -> str:
    return html.escape("" if v is None else str(v))


#: An empty icon: a page that asks for /favicon.ico logs a 404 (an error) in the browser.
NO_FAVICON = '<link rel="icon" href="data:,">'
INDEX_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.banner { background: #b00020; color: white; padding: 12px; font-weight: bold; font-size: 1.2em; }
.warn { background: #fff4e5; border-left: 4px solid #d4a017; padding: 8px 12px; }
.v-supported, .ok { color: #0a7d27; } .v-not, .stale, .failed { color: #b00020; font-weight: bold; }
.thumbs { display: flex; flex-wrap: wrap; gap: 12px; } .thumbs figure { margin: 0; width: 260px; }
.thumbs img { width: 260px; border: 1px solid #ddd; } .thumbs figcaption { font-size: 0.8em; color: #555; }
"""


def _claims_rows(claims: list[dict[str, Any]], stability: dict[str, Any]) -> str:
    rows = []
    for c in claims:
        verdict = str(c.get("verdict", ""))
        st = stability.get(str(c.get("claim_id")), {})
        holds = st.get("text") or ("yes" if st.get("stable") else "no" if st else "–")
        rows.append(
            f"<tr><td>{_esc(c.get('claim'))}</td><td>{_esc(c.get('article_text'))}</td>"
            f"<td>{_esc(c.get('measured_text'))}</td><td>{_esc(c.get('window'))}</td>"
            f"<td class='v-{_esc(verdict.split()[0] if verdict else '')}'>{_esc(verdict)}</td>"
            f"<td>{_esc(holds)}</td></tr>"
        )
    return "".join(rows)


def _headline_rows(results: dict[str, Any]) -> str:
    rows = []
    for nb, res in results.items():
        for h in res.get("headline") or []:
            if isinstance(h, dict):
                rows.append(
                    f"<tr><td>{_esc(nb)}</td><td>{_esc(h.get('name'))}</td>"
                    f"<td class='num'>{_esc(h.get('text'))}</td><td>{_esc(h.get('note', ''))}</td></tr>"
                )
    return "".join(rows)


def _coverage_rows(coverage: Coverage) -> str:
    rows = []
    for r in coverage.table.to_dict("records"):
        status = str(r["status"])
        css = "ok" if status == "ok" else "stale" if status == "stale" else "failed"
        rows.append(
            f"<tr><td>{_esc(r['ticker'])}</td><td>{_esc(r['name'])}</td><td>{_esc(r['first'])}</td>"
            f"<td>{_esc(r['last'])}</td><td class='{css}'>{_esc(status)}</td>"
            f"<td>{_esc(r['reason'])}</td></tr>"
        )
    return "".join(rows)


def _index_html(
    meta: dict[str, Any], results: dict[str, Any], runs: list[NotebookRun], coverage: Coverage
) -> str:
    banner = (
        f'<div class="banner">{SYNTHETIC_BANNER}: this run used the synthetic source; numbers illustrate '
        "the method only.</div>"
        if meta["synthetic"]
        else ""
    )
    notebook_rows = "".join(
        f'<tr><td><a href="{_esc(r.name)}.html">{_esc(meta["titles"].get(r.name, r.name))}</a></td>'
        f'<td><a href="{_esc(r.name)}.ipynb">{_esc(r.name)}.ipynb</a></td>'
        f'<td class="num">{r.seconds:.1f} s</td></tr>'
        for r in runs
    )
    claims_nb = results.get("05-article-claims", {})
    claims = claims_nb.get("claims", []) or []
    stability = {str(k): v for k, v in (claims_nb.get("claims_stability") or {}).items()}
    # Captions: each figure's title as recorded by its notebook (file name when none was recorded).
    captions = {
        f"{name}.png": str(text)
        for res in results.values()
        for name, text in (res.get("figure_titles") or {}).items()
        if text
    }
    thumbs = "".join(
        f'<figure><a href="figures/{_esc(f)}"><img src="figures/{_esc(f)}" alt="{_esc(cap)}"></a>'
        f'<figcaption title="{_esc(f)}">{_esc(cap)}</figcaption></figure>'
        for f in meta["figures"]
        for cap in [captions.get(f, f)]
    )
    notes = []
    for nb, res in results.items():
        for w in res.get("warnings") or []:
            notes.append(f"<li><b>{_esc(nb)}</b> ({_esc(w.get('category'))}): {_esc(w.get('message'))}</li>")
        for s in res.get("short_samples") or []:
            notes.append(f"<li><b>{_esc(nb)}</b> (short sample): {_esc(s)}</li>")
        for s in res.get("skipped") or []:
            kind = "tickers left out" if s.get("partial") else "section skipped"
            notes.append(
                f"<li><b>{_esc(nb)}</b> ({kind}): {_esc(s.get('section'))}, no data for "
                f"{_esc(', '.join(s.get('missing') or []))}</li>"
            )
    for w in meta["stderr"]:
        notes.append(
            f"<li><b>{_esc(w['notebook'])}</b> cell {w['cell']} (stderr): <pre>{_esc(w['text'])}</pre></li>"
        )
    coverage_note = (
        f'<p class="warn">{_esc(coverage.sentence())}</p>'
        if not coverage.complete
        else f"<p>{_esc(coverage.sentence())}</p>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">{NO_FAVICON}
<title>Study report as of {_esc(meta["as_of"])}</title>
<style>{INDEX_CSS}</style></head><body>
{banner}
<h1>Crypto, tech and the AI-pivot miners &mdash; report as of {_esc(meta["as_of"])}</h1>
<p>Data provider: <b>{_esc(meta["provider"])}</b>; last data date used <b>{_esc(meta["last_data_date"])}</b>;
panel {_esc(meta["panel_start"])} .. {_esc(meta["panel_end"])} ({_esc(meta["sessions"])} sessions,
{_esc(meta["n_tickers"])} tickers). Generated {_esc(meta["generated_at"])} by analysis
{_esc(meta["package_version"])}.
Every number is computed from the data of this run (<a href="metrics.json">metrics.json</a>,
<a href="status.json">status.json</a>, <a href="{_esc(meta["quality_report"])}">data-quality report</a>).</p>
<h2>Article claims</h2>
<table><tr><th>claim</th><th>article</th><th>measured</th><th>window</th><th>verdict</th>
<th>verdict across the sensitivity dates</th></tr>{_claims_rows(claims, stability)}</table>
<h2>Headline numbers</h2>
<table><tr><th>notebook</th><th>measure</th><th>value</th><th>note</th></tr>{_headline_rows(results)}</table>
<h2>Data coverage</h2>
{coverage_note}
<table><tr><th>ticker</th><th>name</th><th>first</th><th>last</th><th>status</th><th>reason</th></tr>
{_coverage_rows(coverage)}</table>
<h2>Notebooks</h2>
<table><tr><th>notebook (HTML)</th><th>executed notebook</th><th>run time</th></tr>{notebook_rows}</table>
<h2>Figures</h2><div class="thumbs">{thumbs}</div>
<h2>Warnings and notes</h2>
{"<ul>" + "".join(notes) + "</ul>" if notes else "<p>None.</p>"}
</body></html>
"""


# --------------------------------------------------------------------------- output directory


def _read_marker(directory: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((directory / REPORT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("package") == "analysis" else None


def _versions_dir(target: Path) -> Path:
    return target.parent / f".{target.name}.versions"


def _is_ours(target: Path) -> bool:
    """True if ``target`` is a report (or a link to one) written by this package."""
    if target.is_symlink():
        real = target.resolve()
        return real.parent == _versions_dir(target).resolve() and _read_marker(real) is not None
    return target.is_dir() and _read_marker(target) is not None


def _check_target(target: Path) -> None:
    """Refuse an output path this package did not write (exit 2), naming it."""
    if target.is_symlink() or target.exists():
        if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
            return  # an empty directory: nothing to lose
        if not _is_ours(target):
            raise ConfigError(
                f"--out {target} exists and is not a report written by this package (no {REPORT_MARKER}); "
                "refusing to replace it. Choose another directory or remove it yourself."
            )


def _default_target(request: StudyRequest, synthetic: bool) -> Path:
    name = str(request.as_of.date()) + (SYNTHETIC_SUFFIX if synthetic else "")
    return REPORTS_DIR / name


def _absolute(path: Path) -> Path:
    """Absolute path without resolving its last component (it may be our symlink)."""
    p = Path(os.path.abspath(path.expanduser()))
    return p.parent.resolve() / p.name


def _check_synthetic_rule(target: Path, synthetic: bool, force: bool) -> None:
    if not synthetic or force or not (target.is_symlink() or target.exists()):
        return
    marker = _read_marker(target.resolve()) if _is_ours(target) else None
    if marker is not None and not marker.get("synthetic", True):
        raise ConfigError(
            f"{target} holds a report made from market data ({marker.get('provider')}, as of "
            f"{marker.get('as_of')}); this run used SYNTHETIC demo data and will not replace it. "
            "Pass --force to replace it, or --out for another directory."
        )


def _recover(target: Path) -> None:
    """Remove staging directories of crashed runs and old versions (call under the lock)."""
    for stale in target.parent.glob(f".{target.name}.staging-*"):
        if (stale / STAGING_MARKER).is_file():
            shutil.rmtree(stale, ignore_errors=True)
    for link in target.parent.glob(f".{target.name}.link-*"):
        if link.is_symlink():
            link.unlink(missing_ok=True)


def _prune_versions(target: Path, keep: set[Path]) -> None:
    versions = _versions_dir(target)
    if not versions.is_dir():
        return
    for entry in versions.iterdir():
        if entry.resolve() not in keep and (
            _read_marker(entry) is not None or (entry / STAGING_MARKER).is_file()
        ):
            shutil.rmtree(entry, ignore_errors=True)


def _swap_link(link: Path, directory: Path) -> None:
    """Point ``link`` at ``directory`` with one ``os.replace`` (relative link)."""
    tmp = link.parent / f".{link.name}.link-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(directory, link.parent), tmp)
    os.replace(tmp, link)
    atomic.fsync_directory(link.parent)


def _publish(staging: Path, target: Path) -> Path:
    """Move ``staging`` into the versions directory and switch ``target`` to it atomically."""
    versions = _versions_dir(target)
    versions.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    final = versions / f"{stamp}-{secrets.token_hex(3)}"
    os.replace(staging, final)
    keep = {final.resolve()}
    if target.is_symlink():
        keep.add(target.resolve())
    elif target.is_dir():
        if any(target.iterdir()):  # a report of this package in the old (plain directory) layout
            legacy = versions / f"legacy-{stamp}"
            os.replace(target, legacy)
            keep.add(legacy.resolve())
        else:
            target.rmdir()
    _swap_link(target, final)
    _prune_versions(target, keep)
    return target


def _publish_failed(staging: Path, target: Path) -> Path:
    """Keep a failed run beside the target as ``<name>.failed`` (a link into the versions directory)."""
    failed = target.parent / f"{target.name}.failed"
    versions = _versions_dir(target)
    versions.mkdir(exist_ok=True)
    dead = versions / f"failed-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"
    os.replace(staging, dead)
    old = failed.resolve() if failed.is_symlink() else None
    if failed.is_symlink() or not failed.exists():
        _swap_link(failed, dead)
        if old is not None and old.parent == versions.resolve():
            shutil.rmtree(old, ignore_errors=True)
        return failed
    return dead  # a user's own <name>.failed is left alone


def _drop_failed(target: Path) -> None:
    failed = target.parent / f"{target.name}.failed"
    if failed.is_symlink() and failed.resolve().parent == _versions_dir(target).resolve():
        shutil.rmtree(failed.resolve(), ignore_errors=True)
        failed.unlink()


# --------------------------------------------------------------------------- the run


def _lock(target: Path, wait: float) -> Any:
    from filelock import FileLock, Timeout

    lock = FileLock(str(target.parent / f".{target.name}.lock"))
    try:
        lock.acquire(timeout=wait)
    except Timeout as exc:
        raise ReportBusyError(
            f"another report run is writing {target} (lock {lock.lock_file}); "
            f"waited {wait:g} s. Try again later or pass --wait SECONDS."
        ) from exc
    return lock


def run_report(request: StudyRequest, options: ReportOptions | None = None) -> Path:
    """Run the full report for ``request`` and return the published directory.

    Raises
    ------
    ConfigError
        Bad output directory (not a report of this package), a market-data report that a
        synthetic run would replace, an as-of date outside the data (before any notebook runs).
    ReportBusyError
        Another run holds the lock on the same output directory.
    DataQualityError
        ``strict`` and a ticker is stale or missing at the as-of date.
    ReportError
        A notebook failed (names the notebook, the cell and the error); the run is kept as
        ``<out>.failed`` and any previous complete report is kept.
    """
    opts = options or ReportOptions()
    if opts.jobs < 1:
        raise ConfigError(f"jobs must be >= 1, got {opts.jobs}")
    explicit = _absolute(opts.out) if opts.out is not None else None
    if explicit is not None:
        _check_target(explicit)  # fail fast, before loading any data
    t0 = time.perf_counter()
    uni = load_universe()
    panel = build_panel(request, universe=uni)
    coverage = Coverage.from_dict(panel.summary["coverage"])  # computed once by build_panel
    target = explicit or _default_target(request, panel.synthetic)
    target.parent.mkdir(parents=True, exist_ok=True)
    t_data = time.perf_counter() - t0

    lock = _lock(target, opts.wait)
    try:
        _check_target(target)
        _check_synthetic_rule(target, panel.synthetic, opts.force)
        _recover(target)
        staging = target.parent / f".{target.name}.staging-{os.getpid()}-{secrets.token_hex(4)}"
        staging.mkdir()
        (staging / STAGING_MARKER).write_text(f"pid {os.getpid()}\n", encoding="utf-8")
        try:
            out = _run_in(staging, target, request, panel, coverage, opts, t0, t_data)
        except BaseException:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        lock.release()
    return out


def _run_in(
    staging: Path,
    target: Path,
    request: StudyRequest,
    panel: CleanResult,
    coverage: Coverage,
    opts: ReportOptions,
    t0: float,
    t_data: float,
) -> Path:
    """Publish the data, run the notebooks, collect, write the summary files, publish the report."""
    quality_report = _publish_inputs(staging, request, panel)
    runs = _run_notebooks(staging, request, opts)
    shutil.rmtree(staging / PROFILE_DIR, ignore_errors=True)  # gathered into status.json and modules.json
    atomic.write_json(staging / MODULES_FILE, {"notebooks": {r.name: list(r.modules) for r in runs}})
    status = _base_status(request, panel, coverage, runs, t_data, quality_report)
    failed = [r for r in runs if r.error]
    if failed:
        _fail(staging, target, request, status, failed)
    results, stderr, titles = _collect(staging, runs)
    meta = _run_meta(staging, request, panel, results, stderr, titles, quality_report)
    status.update(_status_notes(results, stderr), last_data_date=meta["last_data_date"])
    atomic.write_json(staging / "metrics.json", to_jsonable({"run": meta, "notebooks": results}))
    atomic.write_text(staging / "index.html", _index_html(meta, results, runs, coverage))
    status["seconds"] = round(time.perf_counter() - t0, 2)
    atomic.write_json(staging / "status.json", to_jsonable(status))
    _mark_complete(staging, meta, panel.synthetic)
    out = _publish(staging, target)
    _drop_failed(target)
    return out


def _publish_inputs(staging: Path, request: StudyRequest, panel: CleanResult) -> str:
    """Publish the panel and the fundamentals the notebooks read; the quality report's relative path."""
    paths = write_outputs(panel, staging / "data")
    publish_fundamentals(build_fundamentals(request), staging / "data")
    write_session_file(staging / "data")  # the kernels' calendar, without importing exchange_calendars
    return paths["quality_md"].relative_to(staging).as_posix()


def _run_notebooks(staging: Path, request: StudyRequest, opts: ReportOptions) -> list[NotebookRun]:
    """Execute the notebooks with the run's request and absolute paths (kernels start in ``staging``)."""
    params: dict[str, Any] = {
        "request": request.to_dict(),
        "panel_dir": str(staging / "data"),
        "output_dir": str(staging),
    }
    progress = opts.progress if opts.progress is not None else sys.stderr.isatty()
    costs = dict(NOTEBOOK_COST)
    if request.fundamentals == "none":
        costs["07-balance-sheets"] = NO_FUNDAMENTALS_COST
    return execute_notebooks(
        opts.notebooks, staging, params, jobs=opts.jobs, progress=progress, after=_export_html, costs=costs
    )


def _export_html(run: NotebookRun) -> None:
    """The reader HTML of one executed notebook (run in its worker, beside the other kernels)."""
    run.title = _notebook_title(run.output, run.name)
    _to_html(run.output, run.title)


def _base_status(
    request: StudyRequest,
    panel: CleanResult,
    coverage: Coverage,
    runs: list[NotebookRun],
    t_data: float,
    quality_report: str,
) -> dict[str, Any]:
    """``status.json`` before the notebooks' results are read: data coverage and notebook timings."""
    return {
        "complete": not any(r.error for r in runs),
        "as_of": str(request.as_of.date()),
        "provider": panel.summary["source"],
        "synthetic": panel.synthetic,
        "request": request.to_dict(),
        "data_complete": coverage.complete,
        "stale_tickers": coverage.stale,
        "failed_tickers": coverage.failed,
        "coverage": to_jsonable(coverage.summary_frame()),
        "notebooks": {
            r.name: {
                "seconds": round(r.seconds, 2),
                "error": r.error,
                "cell": r.cell,
                **r.timings,
                "libraries": r.libraries,
            }
            for r in runs
        },
        "data_seconds": round(t_data, 2),
        "quality_report": quality_report,
    }


def _fail(
    staging: Path, target: Path, request: StudyRequest, status: dict[str, Any], failed: list[NotebookRun]
) -> NoReturn:
    """Keep a failed run as ``<out>.failed`` (never published as complete) and raise naming each cell."""
    atomic.write_json(staging / "status.json", to_jsonable(status))
    dead = _publish_failed(staging, target)
    detail = "; ".join(
        f"{r.name}.ipynb cell {r.cell if r.cell is not None else '?'}: {r.error}" for r in failed
    )
    raise ReportError(
        f"report as of {request.as_of.date()} failed ({detail}); partial output in {dead}, "
        "not published as complete"
    )


def _collect(
    staging: Path, runs: list[NotebookRun]
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    """Each notebook's results, any stderr it printed and its title."""
    results: dict[str, Any] = {}
    stderr: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for r in runs:
        p = staging / "results" / f"{r.name}.json"
        if not p.is_file():
            raise ReportError(f"{r.name}.ipynb did not record its results ({p.name} missing)")
        results[r.name] = json.loads(p.read_text(encoding="utf-8"))
        nb = json.loads(r.output.read_text(encoding="utf-8"))
        stderr += [{"notebook": r.name, **s} for s in _stderr_outputs(nb)]
        titles[r.name] = r.title or _notebook_title(r.output, r.name)
    return results, stderr, titles


def _run_meta(
    staging: Path,
    request: StudyRequest,
    panel: CleanResult,
    results: dict[str, Any],
    stderr: list[dict[str, Any]],
    titles: dict[str, str],
    quality_report: str,
) -> dict[str, Any]:
    """The ``run`` record of ``metrics.json`` (what the index page's header says)."""
    figures_dir = staging / "figures"
    figures = sorted(p.name for p in figures_dir.glob("*.png")) if figures_dir.is_dir() else []
    last_dates = [res.get("last_data_date") for res in results.values() if res.get("last_data_date")]
    return {
        "as_of": str(request.as_of.date()),
        "provider": panel.summary["source"],
        "synthetic": panel.synthetic,
        "last_data_date": max(last_dates) if last_dates else None,
        "panel_start": panel.summary["start"],
        "panel_end": panel.summary["end"],
        "sessions": panel.summary["sessions"],
        "n_tickers": len(panel.summary["tickers"]),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        "figures": figures,
        "titles": titles,
        "stderr": stderr,
        "request": request.to_dict(),
        "quality_report": quality_report,
    }


def _status_notes(results: dict[str, Any], stderr: list[dict[str, Any]]) -> dict[str, Any]:
    """Warnings, short samples and skipped sections of every notebook, for ``status.json``."""
    warnings_list = [
        {"notebook": nb, **w} for nb, res in results.items() for w in (res.get("warnings") or [])
    ] + [{"notebook": s["notebook"], "category": "stderr", "message": s["text"]} for s in stderr]
    return {
        "warnings": warnings_list,
        "short_samples": {nb: res.get("short_samples") or [] for nb, res in results.items()},
        "skipped_sections": {nb: res.get("skipped") or [] for nb, res in results.items()},
    }


def _mark_complete(staging: Path, meta: dict[str, Any], synthetic: bool) -> None:
    """Write the marker that makes ``staging`` a complete report of this package."""
    atomic.write_json(
        staging / REPORT_MARKER,
        {
            "package": "analysis",
            "version": __version__,
            "as_of": meta["as_of"],
            "provider": meta["provider"],
            "synthetic": synthetic,
            "generated_at": meta["generated_at"],
        },
    )
    (staging / STAGING_MARKER).unlink()


# --------------------------------------------------------------------------- golden notebooks


def golden_request() -> StudyRequest:
    """The request of the golden notebooks: synthetic data, fixed seed and as-of date.

    No fundamentals provider: the golden notebooks depend on nothing outside the repository
    (notebook 07 then shows its "no fundamentals" path; the real-snapshot report test runs it
    on the curated fundamentals).
    """
    return StudyRequest.parse(GOLDEN_AS_OF, source="synthetic", seed=GOLDEN_SEED, fundamentals="none")


def build_golden_panel(directory: Path = GOLDEN_PANEL_DIR) -> Path:
    """Build and publish the golden notebooks' panel (the same path as a report run)."""
    import warnings

    from .errors import SyntheticDataWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)
        request = golden_request()
        write_outputs(build_panel(request), directory)
        publish_fundamentals(build_fundamentals(request), directory)
        write_session_file(directory)
    return directory


def regenerate_golden(out: Path | None = None) -> Path:
    """Re-execute every notebook into ``tests/golden/`` for nbval, the way a report runs them.

    The golden notebooks read the panel :func:`build_golden_panel` publishes into
    ``tests/golden/panel`` (injected as the relative ``panel_dir="panel"``: nbval runs each kernel
    in the notebook's directory) and save no files (``output_dir=None``).
    """
    target = out or GOLDEN_DIR
    target.mkdir(parents=True, exist_ok=True)
    build_golden_panel(target / "panel")
    params: dict[str, Any] = {"request": golden_request().to_dict(), "panel_dir": "panel", "output_dir": None}
    runs = execute_notebooks(NOTEBOOKS, target, params, jobs=2)
    bad = [r for r in runs if r.error]
    if bad:
        raise ReportError("; ".join(f"{r.name}.ipynb cell {r.cell}: {r.error}" for r in bad))
    for r in runs:
        _strip_images(r.output)
    return target


#: Output data that nbval does not compare (``--nbval`` without nbdime skips images).
UNCOMPARED_DATA = ("image/png", "image/jpeg")


def _strip_images(nb_path: Path) -> None:
    """Drop image bytes from a golden notebook (nbval never compares them; the text repr stays)."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data")
            if isinstance(data, dict):
                for key in UNCOMPARED_DATA:
                    data.pop(key, None)
    atomic.write_text(nb_path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
