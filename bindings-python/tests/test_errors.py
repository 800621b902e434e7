"""Every exception kvcsi raises: the KvcsiError tree and the OSError subclasses for files."""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import pytest

import kvcsi
from conftest import HELLO_RULE


def test_hierarchy() -> None:
    assert issubclass(kvcsi.KvcsiError, Exception)
    for cls in (kvcsi.RuleError, kvcsi.InputError, kvcsi.LimitExceeded):
        assert issubclass(cls, kvcsi.KvcsiError)
    assert issubclass(kvcsi.SuppressionError, kvcsi.InputError)
    assert not issubclass(kvcsi.KvcsiError, RuntimeError)
    assert kvcsi.InputError.__module__ == "kvcsi"
    assert kvcsi.RuleError is kvcsi._kvcsi.RuleError


def test_missing_path_raises_file_not_found() -> None:
    with pytest.raises(FileNotFoundError) as caught:
        kvcsi.check("no/such/evidence.log")
    assert caught.value.filename == "no/such/evidence.log"
    assert caught.value.errno == 2
    with pytest.raises(FileNotFoundError):
        kvcsi.check(["no/such/evidence.log"])
    with pytest.raises(FileNotFoundError):
        kvcsi.Engine(rules="no/such/rules")
    with pytest.raises(FileNotFoundError):
        kvcsi.check_text("x", suppress="no/such/.kvcsi-ignore")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_raises_permission_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.log"
    path.write_text("x")
    path.chmod(0)
    with pytest.raises(PermissionError):
        kvcsi.check(path)


def test_folder_given_as_suppression_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        kvcsi.check_text("x", suppress=tmp_path)


def test_broken_rule_raises_rule_error() -> None:
    with pytest.raises(kvcsi.RuleError) as caught:
        kvcsi.Engine(rules={"broken.rhai": "fn meta( {"})
    error = caught.value
    assert error.code == "rule-syntax"
    assert error.file == "broken.rhai"
    assert error.line == 1 and isinstance(error.column, int)
    assert error.hint
    assert "broken.rhai:1" in str(error)
    with pytest.raises(kvcsi.RuleError):
        kvcsi.check_text("x", rules={"broken.rhai": "fn meta() { #{} }\nfn check(facts, matches) { [] }"})


def test_duplicate_rule_ids_raise_rule_error() -> None:
    with pytest.raises(kvcsi.RuleError) as caught:
        kvcsi.Engine(rules={"a.rhai": HELLO_RULE, "b.rhai": HELLO_RULE})
    assert caught.value.code == "rule-duplicate-id"


def test_rule_that_throws_is_a_diagnostic_or_with_strict_a_rule_error() -> None:
    throwing = HELLO_RULE.replace("if matches.hello.count == 0", 'throw "boom"; if matches.hello.count == 0')
    engine = kvcsi.Engine(rules={"throwing.rhai": throwing}, builtin=False)
    report = engine.check_text("hello")
    assert [d.code for d in report.diagnostics if d.rule] == ["rule-error"]
    with pytest.raises(kvcsi.RuleError, match="boom") as caught:
        engine.check_text("hello", strict=True)
    assert caught.value.code == "rule-error"
    assert caught.value.file == "throwing.rhai"


def test_rule_over_budget_is_a_diagnostic_or_with_strict_limit_exceeded() -> None:
    looping = HELLO_RULE.replace("if matches.hello.count == 0", "let x = 0; loop { x += 1; } if matches.hello.count == 0")
    engine = kvcsi.Engine(rules={"loop.rhai": looping}, builtin=False)
    report = engine.check_text("hello")
    assert [d.limit for d in report.diagnostics if d.rule] == ["max_operations"]
    with pytest.raises(kvcsi.LimitExceeded) as caught:
        engine.check_text("hello", strict=True)
    assert caught.value.limit == "max_operations"
    with pytest.raises(kvcsi.LimitExceeded):
        session = engine.session(strict=True)
        session.feed("a", "hello")
        session.finish()


def test_nothing_usable_with_strict_raises_input_error() -> None:
    assert kvcsi.check({}).exit_status == 2
    with pytest.raises(kvcsi.InputError) as caught:
        kvcsi.check({}, strict=True)
    assert "no evidence was given" in str(caught.value)
    with pytest.raises(kvcsi.InputError) as caught:
        kvcsi.check_text(b"", name="blank.txt", strict=True)
    assert caught.value.source == "blank.txt"


def test_malformed_suppression_raises_suppression_error() -> None:
    with pytest.raises(kvcsi.SuppressionError) as caught:
        kvcsi.check_text("x", suppress={"team.ignore": "# ok\nthrottled-429 color=red  # reason: x"})
    assert caught.value.path == "team.ignore"
    assert caught.value.line == 2
    with pytest.raises(kvcsi.InputError, match="no reason"):
        kvcsi.check_text("x", suppress={"team.ignore": "throttled-429"})


def test_bad_argument_types_and_values() -> None:
    with pytest.raises(TypeError):
        kvcsi.Engine(rules={"a.rhai": b"bytes"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        kvcsi.check_text("x", suppress={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        kvcsi.check_text("x", lang="xx")


def test_exceptions_pickle() -> None:
    error = kvcsi.InputError("invalid input x: y")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is kvcsi.InputError and str(again) == str(error)


def test_errors_are_never_bare_runtime_errors(tmp_path: Path) -> None:
    attempts = [
        lambda: kvcsi.check(tmp_path / "missing"),
        lambda: kvcsi.Engine(rules={"x.rhai": "garbage"}),
        lambda: kvcsi.check({}, strict=True),
        lambda: kvcsi.check_text("x", suppress={"s": "r bad"}),
    ]
    for attempt in attempts:
        with pytest.raises(Exception) as caught:
            attempt()
        assert type(caught.value) is not RuntimeError
        assert isinstance(caught.value, (kvcsi.KvcsiError, OSError))
