"""Every public function and class of kvcsi, on small in-memory and on-disk evidence."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import kvcsi
from conftest import CASES, REPO, case_dirs


def test_public_names_are_exported() -> None:
    for name in kvcsi.__all__:
        assert hasattr(kvcsi, name), name
    assert kvcsi.__version__.count(".") == 2


def test_check_text_finds_the_driver_event(driver_event: str) -> None:
    report = kvcsi.check_text(driver_event)
    assert [(f.rule, f.severity) for f in report.findings] == [("driver-not-registered", "error")]
    finding = report.findings[0]
    assert isinstance(finding, kvcsi.Finding)
    assert finding.cause == 5
    assert finding.confidence in ("high", "medium", "low")
    assert finding.title and finding.message
    assert all(isinstance(e, kvcsi.Evidence) for e in finding.evidence)
    assert finding.evidence[0].source == "paste"
    assert finding.evidence[0].lines == (1, 1)
    assert all(isinstance(s, kvcsi.Step) for s in finding.remediation)
    assert isinstance(finding.subject, dict)
    assert report.exit_status == 3


def test_check_text_accepts_bytes_and_a_name(driver_event: str) -> None:
    report = kvcsi.check_text(driver_event.encode(), name="events.txt")
    assert report.findings[0].evidence[0].source == "events.txt"


def test_check_mapping_of_text_and_bytes(driver_event: str) -> None:
    report = kvcsi.check({"a.txt": driver_event, "b.log": b"I1128 10:00:00.000000 1 main.go:1] ok\n"})
    assert report.to_dict()["stats"]["sources"] == 2
    assert report.findings[0].rule == "driver-not-registered"


def test_check_a_file_a_folder_a_pathlike_and_a_list(tmp_path: Path, driver_event: str) -> None:
    (tmp_path / "events.txt").write_text(driver_event)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.log").write_text("nothing to see\n")
    by_str = kvcsi.check(str(tmp_path / "events.txt"))
    by_path = kvcsi.check(tmp_path / "events.txt")
    assert by_str.to_json() == by_path.to_json()
    folder = kvcsi.check(tmp_path)
    assert folder.to_dict()["stats"]["sources"] == 2
    listed = kvcsi.check([tmp_path / "events.txt", str(tmp_path / "sub" / "other.log")])
    assert listed.to_json() == folder.to_json()
    assert listed.findings[0].evidence[0].source == str(tmp_path / "events.txt")


def test_a_string_is_never_taken_as_text(driver_event: str) -> None:
    with pytest.raises(FileNotFoundError):
        kvcsi.check(driver_event)


def test_empty_inputs_give_exit_status_2() -> None:
    assert kvcsi.check({}).exit_status == 2
    assert kvcsi.check([]).exit_status == 2
    assert [d.code for d in kvcsi.check({}).diagnostics] == ["no-input"]


def test_wrong_input_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="check_text"):
        kvcsi.check(b"bytes are not a path")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kvcsi.check(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kvcsi.check([42])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="str or bytes"):
        kvcsi.check({"a": 42})  # type: ignore[dict-item]


def test_report_renderings(driver_event: str) -> None:
    report = kvcsi.check_text(driver_event)
    data = json.loads(report.to_json())
    assert data == report.to_dict()
    assert report.to_json().endswith("}\n")
    assert report.to_markdown().startswith("# kvcsi report")
    assert "driver-not-registered" in report.to_markdown()
    assert report.to_html().startswith("<!DOCTYPE html>")
    fragment = report._repr_html_()
    assert fragment.startswith("<div") and "driver-not-registered" in fragment
    assert report.to_html(full=False) == fragment
    assert "driver-not-registered" in report.to_text()
    assert "\x1b[" in report.to_text(colour=True)
    assert str(report) == report.to_text()
    assert "driver-not-registered (error)" in repr(report)
    assert report.lang == "en"
    # to_dict hands out copies: changing one does not change the report.
    report.to_dict()["findings"].clear()
    assert report.findings


def test_report_localized(driver_event: str) -> None:
    report = kvcsi.check_text(driver_event)
    ja = report.localized("ja")
    assert ja.lang == "ja" and ja.findings[0].title != report.findings[0].title
    assert ja.to_json() == kvcsi.check_text(driver_event, lang="ja").to_json()
    with pytest.raises(ValueError, match="unknown language"):
        report.localized("fr")
    with pytest.raises(ValueError, match="unknown language"):
        kvcsi.check_text(driver_event, lang="fr")


def test_report_equality(driver_event: str) -> None:
    assert kvcsi.check_text(driver_event) == kvcsi.check_text(driver_event)
    assert kvcsi.check_text(driver_event) != kvcsi.check_text("other")
    with pytest.raises(TypeError):
        hash(kvcsi.check_text("x"))


def test_redaction_is_on_by_default() -> None:
    secret = "Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2lnbmF0dXJl"
    text = "hello " + secret + "\n"
    rule = kvcsi.Engine(rules={"hello.rhai": __import__("conftest").HELLO_RULE}, builtin=False)
    redacted = rule.check_text(text)
    assert redacted.to_dict()["redacted"] is True
    assert "c2lnbmF0dXJl" not in redacted.to_json()
    shown = rule.check_text(text, redact=False)
    assert shown.to_dict()["redacted"] is False
    assert "c2lnbmF0dXJl" in shown.to_json()


def test_to_pandas(driver_event: str) -> None:
    pandas = pytest.importorskip("pandas")
    frame = kvcsi.check_text(driver_event).to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns[:6]) == ["rule", "severity", "cause", "confidence", "title", "message"]
    assert frame.loc[0, "rule"] == "driver-not-registered"
    assert "node" in frame.columns
    empty = kvcsi.check_text("nothing").to_pandas()
    assert len(empty) == 0 and list(empty.columns)[:2] == ["rule", "severity"]


def test_to_pandas_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pandas(name: str, *args: object, **kwargs: object) -> object:
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"kvcsi\[pandas\]"):
        kvcsi.check_text("x").to_pandas()


def test_rules_catalogue() -> None:
    catalogue = kvcsi.rules()
    assert catalogue, "the built-in rules are listed"
    assert [r.id for r in catalogue] == sorted(r.id for r in catalogue)
    assert all(isinstance(r, kvcsi.RuleInfo) and r.origin == "builtin" for r in catalogue)
    assert all(r.severity in ("error", "warning", "info") for r in catalogue)
    assert all(r.source.startswith("rules/") for r in catalogue)
    on_disk = {p.name for p in (REPO / "rules").iterdir() if (p / "rule.rhai").is_file()}
    assert {r.id for r in catalogue} >= on_disk
    assert kvcsi.rules(builtin=False) == []
    assert kvcsi.Engine().rules() == catalogue


def test_diagnostics_are_typed() -> None:
    report = kvcsi.check({"empty.txt": b""})
    assert all(isinstance(d, kvcsi.Diagnostic) for d in report.diagnostics)
    assert report.exit_status == 2


@pytest.mark.skipif(not case_dirs(), reason="no evidence cases")
def test_engine_is_reusable() -> None:
    engine = kvcsi.Engine()
    first = case_dirs()[0]
    assert engine.check(first).to_json() == engine.check(first).to_json() == kvcsi.check(first).to_json()


def test_check_text_on_engine(driver_event: str) -> None:
    engine = kvcsi.Engine()
    assert engine.check_text(driver_event).to_json() == kvcsi.check_text(driver_event).to_json()


def test_relative_paths_are_named_as_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, driver_event: str) -> None:
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "describe.txt").write_text(driver_event)
    monkeypatch.chdir(tmp_path)
    names = {e.source for f in kvcsi.check("./bundle").findings for e in f.evidence}
    assert names == {"bundle/describe.txt"}
    assert os.path.basename(CASES) == "cases"
