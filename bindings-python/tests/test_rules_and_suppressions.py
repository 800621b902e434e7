"""Custom rules (files, folders, mappings, overriding built-ins) and suppressions."""

from __future__ import annotations

from pathlib import Path

import pytest

import kvcsi
from conftest import HELLO_RULE


def test_custom_rule_from_mapping_file_and_folder(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    (folder / "hello-world").mkdir(parents=True)
    (folder / "hello-world" / "rule.rhai").write_text(HELLO_RULE)
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


def test_custom_rules_run_with_the_built_in_ones(driver_event: str) -> None:
    report = kvcsi.check_text(driver_event + "hello\n", rules={"hello.rhai": HELLO_RULE})
    assert {f.rule for f in report.findings} == {"driver-not-registered", "hello-world"}
    catalogue = kvcsi.rules(rules={"hello.rhai": HELLO_RULE})
    assert "hello-world" in [r.id for r in catalogue]
    assert len(catalogue) == len(kvcsi.rules()) + 1


def test_user_rule_overrides_built_in(driver_event: str) -> None:
    silent = HELLO_RULE.replace('id: "hello-world"', 'id: "driver-not-registered"')
    report = kvcsi.check_text(driver_event, rules={"mine.rhai": silent})
    assert report.findings == ()
    assert report.to_dict()["overrides"] == [{"rule": "driver-not-registered", "source": "mine.rhai"}]


def test_suppression_from_text_and_file(tmp_path: Path, driver_event: str) -> None:
    entry = "driver-not-registered  # reason: Windows pool is being retired\n"
    by_text = kvcsi.check_text(driver_event, suppress={"notebook": entry})
    assert by_text.findings == ()
    suppressed = by_text.to_dict()["suppressed"]
    assert [(s["rule"], s["reason"], s["entry"]) for s in suppressed] == [
        ("driver-not-registered", "Windows pool is being retired", "notebook:1")
    ]
    assert by_text.exit_status == 0
    path = tmp_path / "team.kvcsi-ignore"
    path.write_text(entry)
    by_file = kvcsi.check_text(driver_event, suppress=path)
    assert by_file.to_dict()["suppressed"][0]["entry"] == f"{path}:1"
    by_list = kvcsi.check_text(driver_event, suppress=[path])
    assert by_list.to_json() == by_file.to_json()


def test_scoped_suppression_only_silences_its_scope(driver_event: str) -> None:
    other_node = "driver-not-registered namespace=elsewhere  # reason: not ours\n"
    assert kvcsi.check_text(driver_event, suppress={"s": other_node}).findings


def test_kvcsi_ignore_is_never_read_implicitly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, driver_event: str) -> None:
    (tmp_path / ".kvcsi-ignore").write_text("driver-not-registered  # reason: x\n")
    monkeypatch.chdir(tmp_path)
    assert kvcsi.check_text(driver_event).findings
