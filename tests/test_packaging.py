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
