"""examples/notebook: the notebook holds the script's code, and the script runs (test.sh also
runs it on its own, as a user would)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import REPO

NOTEBOOK = REPO / "examples" / "notebook"


def test_notebook_is_the_script() -> None:
    spec = importlib.util.spec_from_file_location("make_notebook", NOTEBOOK / "make_notebook.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (NOTEBOOK / "triage.ipynb").read_text(encoding="utf-8") == module.notebook(), (
        "triage.ipynb is out of date: python examples/notebook/make_notebook.py"
    )
    cells = json.loads((NOTEBOOK / "triage.ipynb").read_text(encoding="utf-8"))["cells"]
    assert any(c["cell_type"] == "code" and "to_pandas" in "".join(c["source"]) for c in cells)


def test_bundles_exist() -> None:
    assert sorted(p.name for p in (NOTEBOOK / "bundles").glob("*.tar.gz"))


def test_the_notebook_code_runs_in_its_folder() -> None:
    pytest.importorskip("pandas")
    cells = json.loads((NOTEBOOK / "triage.ipynb").read_text(encoding="utf-8"))["cells"]
    code = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    done = subprocess.run(
        [sys.executable, "-c", code, "-f", "kernel.json"],
        cwd=NOTEBOOK, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "bundles in" in done.stdout and "# kvcsi report" in done.stdout
