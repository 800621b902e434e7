"""Custom rules (files, folders, mappings, overriding built-ins) and suppressions."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import pytest

import kvcsi
from conftest import HELLO_RULE

Sample = Tuple[Dict[str, bytes], str, str]


def test_custom_rule_from_mapping_file_and_folder(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    (folder / "hello-world").mkdir(parents=True)
    (folder / "hello-world" / "rule.rhai").write_text(HELLO_RULE)
    (folder / "hello-world" / "fixtures").mkdir()
    (folder / "hello-world" / "fixtures" / "ignored.rhai").write_text("not a rule")
    by_folder = kvcsi.Engine(rules=folder, builtin=False)
    by_file = kvcsi.Engine(rules=folder / "hello-world" / "rule.rhai", builtin=False)
    by_list = kvcsi.Engine(rules=[str(folder)], builtin=False)
    by_text = kvcsi.Engine(rules={"hello.rhai": HELLO_RULE}, builtin=False)
    for engine in (by_folder, by_file, by_list, by_text):
        report = engine.check_text("well hello there")
        assert [(f.rule, f.severity) for f in report.findings] == [("hello-world", "warning")]
        assert report.findings[0].message == "Someone said hello 1 times."
        assert report.exit_status == 4
    assert [r.source for r in by_folder.rules()] == [str(folder / "hello-world" / "rule.rhai")]
    assert by_text.rules()[0].origin == "user"
    assert kvcsi.check_text("hello", rules=folder, builtin=False).findings[0].rule == "hello-world"


def test_custom_rules_run_with_the_built_in_ones(sample: Sample) -> None:
    evidence, rule, _ = sample
    report = kvcsi.check({**evidence, "chat.txt": "hello\n"}, rules={"hello.rhai": HELLO_RULE})
    assert {rule, "hello-world"} <= {f.rule for f in report.findings}
    catalogue = kvcsi.rules(rules={"hello.rhai": HELLO_RULE})
    assert "hello-world" in [r.id for r in catalogue]
    assert len(catalogue) == len(kvcsi.rules()) + 1


def test_user_rule_overrides_built_in(sample: Sample) -> None:
    evidence, rule, _ = sample
    silent = HELLO_RULE.replace('id: "hello-world"', f'id: "{rule}"')
    report = kvcsi.check(evidence, rules={"mine.rhai": silent})
    assert rule not in [f.rule for f in report.findings]
    assert report.to_dict()["overrides"] == [{"rule": rule, "source": "mine.rhai"}]
    assert [r.origin for r in kvcsi.rules(rules={"mine.rhai": silent}) if r.id == rule] == ["user"]


def test_suppression_from_text_and_file(tmp_path: Path, hello: kvcsi.Engine) -> None:
    entry = "hello-world  # reason: greetings are expected here\n"
    by_text = hello.check_text("hello", suppress={"notebook": entry})
    assert by_text.findings == ()
    suppressed = by_text.to_dict()["suppressed"]
    assert [(s["rule"], s["reason"], s["entry"]) for s in suppressed] == [
        ("hello-world", "greetings are expected here", "notebook:1")
    ]
    assert by_text.exit_status == 0
    path = tmp_path / "team.kvcsi-ignore"
    path.write_text(entry)
    by_file = hello.check_text("hello", suppress=path)
    assert by_file.to_dict()["suppressed"][0]["entry"] == f"{path}:1"
    assert hello.check_text("hello", suppress=[path]).to_json() == by_file.to_json()
    assert hello.check_text("hello", suppress=str(path)).to_json() == by_file.to_json()
    session = hello.session(suppress={"notebook": entry})
    session.feed("paste", "hello")
    assert session.finish().to_json() == by_text.to_json()
    assert kvcsi.check_text("hello", rules={"h.rhai": HELLO_RULE}, suppress={"notebook": entry}).findings == ()


def test_scoped_suppression_only_silences_its_scope(hello: kvcsi.Engine) -> None:
    assert hello.check_text("hello", suppress={"s": "hello-world namespace=elsewhere  # reason: not ours"}).findings
    assert not hello.check_text("hello", suppress={"s": "hello-world namespace=default  # reason: ours"}).findings
    assert not hello.check_text("hello", suppress={"s": "* pod=app-*  # reason: all of app"}).findings


def test_kvcsi_ignore_is_never_read_implicitly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hello: kvcsi.Engine) -> None:
    (tmp_path / ".kvcsi-ignore").write_text("hello-world  # reason: x\n")
    monkeypatch.chdir(tmp_path)
    assert hello.check_text("hello").findings
    assert kvcsi.check_text("hello", rules={"h.rhai": HELLO_RULE}).findings
