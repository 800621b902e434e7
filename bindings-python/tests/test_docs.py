"""The examples in docstrings (kvcsi and kvcsi._kvcsi) and in bindings-python/README.md run."""

from __future__ import annotations

import doctest
import re

import pytest

import kvcsi
from conftest import REPO

README = REPO / "bindings-python" / "README.md"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _tests():  # type: ignore[no-untyped-def]
    finder = doctest.DocTestFinder()
    found = []
    for module in (kvcsi, kvcsi._kvcsi):
        found += [t for t in finder.find(module, module.__name__) if t.examples]
    return found


DOCTESTS = _tests()


def test_public_api_is_documented() -> None:
    for name in kvcsi.__all__:
        obj = getattr(kvcsi, name)
        if callable(obj) or isinstance(obj, type):
            assert obj.__doc__ and obj.__doc__.strip(), f"kvcsi.{name} has no docstring"
    for cls in (kvcsi.Report, kvcsi.Engine, kvcsi.Session):
        for attr, value in vars(cls).items():
            if not attr.startswith("_"):
                assert getattr(value, "__doc__", None), f"{cls.__name__}.{attr} has no docstring"


def test_there_are_doc_examples() -> None:
    assert len(DOCTESTS) >= 10


@pytest.mark.parametrize("test", DOCTESTS, ids=[t.name for t in DOCTESTS])
def test_docstring_examples(test: doctest.DocTest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "pandas" in test.name:
        pytest.importorskip("pandas")  # an optional extra
    monkeypatch.chdir(REPO)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    assert runner.failures == 0, f"{test.name}: {runner.failures} failing example(s); run pytest -s to see them"


def readme_blocks() -> list:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = readme_blocks()
    assert blocks, "README.md has python examples"
    monkeypatch.chdir(REPO)
    namespace: dict = {}
    for block in blocks:
        if "# not run" in block:
            continue
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
