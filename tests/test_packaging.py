"""Set-up contract: dependencies agree, the front door is documented, CI calls make test."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    return req.strip().replace(" ", "").lower().replace("_", "-")


def test_environment_yml_matches_pyproject() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    text = (ROOT / "environment.yml").read_text()
    lines = text.split("dependencies:", 1)[1].splitlines()
    conda = [ln.strip()[2:] for ln in lines if re.match(r"^\s{2}- [a-z]", ln) and "pip" not in ln]
    conda = [c for c in conda if not c.startswith("python")]
    assert sorted(_spec(c) for c in conda) == sorted(_spec(d) for d in deps)
    assert "- -e ." in text
    assert any(ln.strip().startswith("- python>=3.11") for ln in lines)
    required = {
        "jupyterlab",
        "pandas",
        "matplotlib",
        "seaborn",
        "statsmodels",
        "yfinance",
        "papermill",
        "nbval",
        "pyarrow",
        "exchange-calendars",
    }
    assert required <= {_name(d) for d in deps}


def test_makefile_targets_documented() -> None:
    text = (ROOT / "Makefile").read_text()
    targets = re.findall(r"^([a-z][a-z-]*):", text, flags=re.M)
    for t in ("help", "report", "test", "golden", "bench", "lint"):
        assert t in targets
    for t in targets:
        assert re.search(rf"^{t}:.*## ", text, flags=re.M), f"target {t} has no ## comment"


def test_readme_two_commands_and_ci() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_star_import_does_not_import_yfinance() -> None:
    import subprocess
    import sys

    code = (
        "from analysis import *; import sys; print('yfinance' in sys.modules, len(__all__) if False else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split()[0] == "False", "from analysis import * must not import yfinance"


def test_all_lists_importable_public_names() -> None:
    import analysis

    for name in analysis.__all__:
        assert getattr(analysis, name) is not None, name
    assert "StudyRequest" in analysis.__all__ and "run_report" in analysis.__all__


#: Imported only by the functions that need them, never by importing an analysis module.
HEAVY_MODULES = ("arch", "statsmodels", "scipy", "yfinance", "matplotlib", "seaborn", "papermill")


def test_importing_analysis_modules_leaves_heavy_libraries_unloaded() -> None:
    """What a notebook's first cell imports, then every other module (but fetch, the Yahoo source)."""
    import subprocess
    import sys

    import analysis

    notebook_cell = (
        "comovement, exposure, events, study, plots, claims, dynamics, spillover, ai_news, fundamentals, "
        "crypto_index, clean"
    )
    others = sorted(set(analysis._SUBMODULES) | {"cli"})
    code = (
        "import importlib, sys\n"
        f"from analysis import {notebook_cell}\n"
        f"loaded = [m for m in {HEAVY_MODULES!r} if m in sys.modules]\n"
        f"for name in {others!r}:\n"
        "    importlib.import_module('analysis.' + name)\n"
        f"print(' '.join(loaded) or '-', ' '.join(m for m in {HEAVY_MODULES!r} if m in sys.modules) or '-')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    after_cell, after_all = out.stdout.split()
    assert after_cell == "-", f"`from analysis import {notebook_cell}` imported {after_cell}"
    assert after_all == "-", f"importing every analysis module (but fetch) imported {after_all}"


def test_lazy_plots_names_resolve() -> None:
    """``analysis.plots`` loads its figure modules lazily; every public name still resolves."""
    from analysis import plots

    assert sorted(plots._MODULE_OF) == sorted(plots.__all__)
    for name in plots.__all__:
        assert getattr(plots, name) is not None, name
    assert callable(plots._base.is_colorbar) and "set_style" in dir(plots)
