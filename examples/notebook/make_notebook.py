"""Writes triage.ipynb from triage.py (cells split at `# %%` markers), so the two never drift.

    python examples/notebook/make_notebook.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def cells(script: str) -> list:
    out = []
    for chunk in script.split("# %%")[1:]:
        kind, _, body = chunk.partition("\n")
        body = body.strip("\n")
        if kind.strip() == "[markdown]":
            text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines())
            out.append({"cell_type": "markdown", "metadata": {}, "source": text.splitlines(keepends=True)})
        else:
            out.append({
                "cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                "source": body.splitlines(keepends=True),
            })
    return out


def notebook() -> str:
    nb = {
        "cells": cells((HERE / "triage.py").read_text(encoding="utf-8")),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    (HERE / "triage.ipynb").write_text(notebook(), encoding="utf-8")
