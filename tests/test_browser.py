"""What a reader sees, in a real browser (headless Chromium from Debian, driven by Selenium).

The full report is built once per module (on the real snapshot in CI) and checked both for its
numbers (``test_full_report_on_real_snapshot``) and in the browser.

* The published report: ``index.html`` and every notebook's HTML load, every image loads, the
  page logs no errors, and no code, stderr or stray reprs are shown.
* JupyterLab: ``jupyter lab`` on 127.0.0.1 with a token opens a study notebook; "run all cells"
  finishes without an error output.

Skipped where Chromium is not installed, except in CI (``.ci/run`` installs it), where a missing
browser is a failure.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from analysis import report
from analysis.claims import CLAIM_IDS, VERDICTS
from analysis.config import NOTEBOOKS_DIR
from analysis.pipeline import StudyRequest

pytestmark = [pytest.mark.notebooks, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: The flags this machine's closed network needs (no background connections, no sandbox as root).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
PAGE_TIMEOUT_S = 60
#: JavaScript: ``w`` = the open notebook panel (``shell.currentWidget`` is unset without focus).
FIND_NOTEBOOK = """
  const app = window.jupyterapp;
  const w = app && app.shell ? Array.from(app.shell.widgets('main')).find(x => x.content && x.sessionContext)
                             : undefined;
"""
LAB_TIMEOUT_S = 120


def _need_browser() -> None:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium and chromedriver must be installed in CI (apt-get install chromium chromium-driver)"
            )
        pytest.skip("Chromium not installed: browser tests skipped")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(PAGE_TIMEOUT_S)
    try:
        yield drv
    finally:
        drv.quit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def published_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full report as a scheduled run publishes it: on the real snapshot when ``MARKET_DATA_DIR``
    is set (CI), else on synthetic data."""
    out = tmp_path_factory.mktemp("browser") / "report"
    snap = os.environ.get("MARKET_DATA_DIR", "")
    if snap and Path(snap).is_dir():
        request = StudyRequest.parse("2025-12-02", source="snapshot", snapshot_dir=snap)
        return report.run_report(request, report.ReportOptions(out=out))
    if os.environ.get("CI"):
        pytest.fail("MARKET_DATA_DIR must point at the shared market-data snapshot in CI")
    with pytest.warns(UserWarning, match="SYNTHETIC"):
        return report.run_report(
            StudyRequest.parse("2025-12-02", source="synthetic"), report.ReportOptions(out=out)
        )


@pytest.mark.slow
def test_full_report_on_real_snapshot(market_data_dir: Path, published_report: Path) -> None:
    out = published_report  # built from market_data_dir (the fixture above)
    status = json.loads((out / "status.json").read_text())
    assert status["complete"] and not status["synthetic"]
    for name in report.NOTEBOOKS:
        assert (out / f"{name}.ipynb").is_file() and (out / f"{name}.html").is_file()
        assert status["notebooks"][name]["error"] is None
    metrics = json.loads((out / "metrics.json").read_text())
    claims = metrics["notebooks"]["05-article-claims"]["claims"]
    assert [c["claim_id"] for c in claims] == list(CLAIM_IDS)
    for c in claims:
        assert c["verdict"] in VERDICTS
        assert c["window"] and c["data_used"] and c["rule"]
    measured = {c["claim_id"]: c for c in claims}
    # Numbers computed from the snapshot in this run (not hard-coded): BTC fell > 17% into 2025-12-02.
    assert measured["btc_30d"]["measured_value"] < -0.17
    assert measured["abtc_drop"]["measured_value"] < -0.45
    index = (out / "index.html").read_text()
    assert "SYNTHETIC" not in index and "05-article-claims.html" in index
    assert len(list((out / "figures").glob("*.png"))) >= 10
    assert (out / status["quality_report"]).is_file()
    if os.environ.get("FUNDAMENTALS_DATA_DIR"):  # CI: notebook 07 runs on the curated fundamentals
        fund = metrics["notebooks"]["07-balance-sheets"]
        assert fund["fundamentals_source"] == "snapshot" and fund["fundamentals_missing"] is None
        assert len(fund["figures"]) >= 4 and fund["latest"] and fund["market_link"]


@pytest.fixture(scope="module")
def served(published_report: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(published_report))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def _severe_logs(drv: object) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e.get("level") == "SEVERE"]  # type: ignore[attr-defined]


def _check_page(drv: object, url: str) -> dict[str, object]:
    drv.get(url)  # type: ignore[attr-defined]
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    script = "return Array.from(document.images).every(i => i.complete);"
    while not drv.execute_script(script) and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.2)
    info = drv.execute_script(  # type: ignore[attr-defined]
        """return {
          images: document.images.length,
          broken: Array.from(document.images)
            .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt || i.src.slice(0, 60)),
          text: document.body.innerText,
          code: document.querySelectorAll(
            '.jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor').length,
          stderr: document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length,
        };"""
    )
    info["severe"] = _severe_logs(drv)
    return dict(info)


def test_report_pages_render_in_browser(driver: object, served: str, published_report: Path) -> None:
    index = _check_page(driver, f"{served}/index.html")
    assert not index["broken"], f"index.html: images that did not load: {index['broken']}"
    assert not index["severe"], f"index.html logged errors: {index['severe']}"
    figures = list((published_report / "figures").glob("*.png"))
    assert index["images"] == len(figures) > 0, "index.html shows a thumbnail of every figure"
    text = str(index["text"])
    synthetic = json.loads((published_report / "status.json").read_text())["synthetic"]
    for needle in ("Article claims", "Headline numbers", "Data coverage", "Warnings and notes"):
        assert needle in text, needle
    assert ("SYNTHETIC" in text) == synthetic, "the synthetic banner shows exactly on synthetic data"
    recorded = json.loads((published_report / "metrics.json").read_text())["notebooks"]
    for name in report.NOTEBOOKS:
        page = _check_page(driver, f"{served}/{name}.html")
        # Every figure the notebook drew is on its page (07 draws none without a fundamentals source).
        assert page["images"] == len(recorded[name]["figures"]), f"{name}.html: figures shown != drawn"
        assert not page["broken"], f"{name}.html: images that did not load: {page['broken']}"
        assert not page["severe"], f"{name}.html logged errors: {page['severe']}"
        assert page["code"] == 0, f"{name}.html shows code cells"
        assert page["stderr"] == 0, f"{name}.html shows stderr output"
        body = str(page["text"])
        for stray in ("PosixPath(", "Traceback", "<Figure size", "Warning:", "<pandas."):
            assert stray not in body, f"{name}.html shows {stray!r}"


# --------------------------------------------------------------------------- JupyterLab


def _synthetic_copy(root: Path, name: str) -> Path:
    """A copy of a study notebook whose request uses the synthetic provider (no network, fast)."""
    nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source += '\nrequest = {"as_of": "2025-12-02", "source": "synthetic", "seed": 9}'
    path = root / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    _need_browser()
    root = tmp_path / "lab"
    root.mkdir()
    nb_path = _synthetic_copy(root, "01-data-quality")
    port, token = _free_port(), "test-token-1234"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
    }
    log_path = tmp_path / "lab.log"
    log = log_path.open("wb")  # a file, not a pipe: an undrained pipe blocks the server once full
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.open_browser=False",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.close()
        pytest.fail(f"jupyter lab did not start: {log_path.read_text(errors='replace')[-2000:]}")
    try:
        yield f"http://127.0.0.1:{port}", token, nb_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_jupyterlab_runs_a_study_notebook(driver: object, lab: tuple[str, str, Path]) -> None:
    base, token, nb_path = lab
    driver.get(f"{base}/lab/tree/{nb_path.name}?token={token}")  # type: ignore[attr-defined]
    state = (
        FIND_NOTEBOOK
        + """
      if (!w) return 'no notebook widget';
      return w.sessionContext ? w.sessionContext.kernelDisplayStatus : 'no session';
    """
    )
    deadline = time.monotonic() + LAB_TIMEOUT_S
    while driver.execute_script(state) != "idle" and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.5)
    status = driver.execute_script(state)  # type: ignore[attr-defined]
    assert status == "idle", (
        f"the notebook did not open with an idle kernel: {status}; {_severe_logs(driver)}"
    )
    driver.execute_script(  # type: ignore[attr-defined]
        FIND_NOTEBOOK + "window.jupyterapp.shell.activateById(w.id);"
        "return window.jupyterapp.commands.execute('notebook:run-all-cells');"
    )
    done = (
        FIND_NOTEBOOK
        + """
      const cells = w.content.widgets.filter(c => c.model.type === 'code');
      const k = w.sessionContext.session.kernel;
      return k.status === 'idle' && cells.every(c => c.model.executionCount !== null);
    """
    )
    time.sleep(1.0)
    deadline = time.monotonic() + LAB_TIMEOUT_S
    while not driver.execute_script(done) and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.5)
    assert driver.execute_script(done), "run-all did not finish"  # type: ignore[attr-defined]
    outputs = driver.execute_script(  # type: ignore[attr-defined]
        FIND_NOTEBOOK
        + """return w.content.widgets.filter(c => c.model.type === 'code')
             .flatMap(c => { const o = c.model.outputs; const out = [];
               for (let i = 0; i < o.length; i++) out.push(o.get(i).toJSON()); return out; });"""
    )
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, f"error outputs in JupyterLab: {json.dumps(errors)[:2000]}"
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook showed no figure"
