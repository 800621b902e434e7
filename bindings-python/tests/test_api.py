"""Every public function and class of kvcsi. API mechanics use the `hello` engine (one custom
rule, deterministic); the built-in rules are exercised on a shared evidence case (`sample`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Tuple

import pytest

import kvcsi
from conftest import REPO, case_dirs

Sample = Tuple[Dict[str, bytes], str, str]


def test_public_names_are_exported() -> None:
    for name in kvcsi.__all__:
        assert hasattr(kvcsi, name), name
    assert kvcsi.__version__.count(".") == 2


def test_check_finds_the_root_cause_of_a_shared_case(sample: Sample) -> None:
    evidence, rule, severity = sample
    report = kvcsi.check(evidence)
    assert report.findings, report.to_text()
    finding = report.findings[0]
    assert (finding.rule, finding.severity) == (rule, severity)
    assert isinstance(finding, kvcsi.Finding)
    assert finding.cause is None or 1 <= finding.cause <= 9
    assert finding.confidence in ("high", "medium", "low")
    assert finding.title and finding.message
    assert finding.evidence and all(isinstance(e, kvcsi.Evidence) for e in finding.evidence)
    assert {e.source for e in finding.evidence} <= set(evidence)
    assert all(isinstance(e.lines, tuple) and 1 <= e.lines[0] <= e.lines[1] for e in finding.evidence)
    assert all(isinstance(s, kvcsi.Step) for s in finding.remediation)
    assert all(isinstance(r, kvcsi.Request) for r in finding.requests)
    assert isinstance(finding.subject, dict)
    assert report.exit_status == {"error": 3, "warning": 4}.get(severity, report.exit_status)


def test_typed_finding_fields(hello: kvcsi.Engine) -> None:
    finding = hello.check_text("hello\n").findings[0]
    assert finding == kvcsi.Finding(
        rule="hello-world",
        severity="warning",
        title="Hello",
        message="Someone said hello 1 times.",
        cause=None,
        confidence=finding.confidence,
        subject={"namespace": "default", "pod": "app-1"},
        evidence=(kvcsi.Evidence("paste", (1, 1), "hello"),),
        remediation=(),
        requests=(),
        references=(),
        data=finding.data,
    )


def test_check_text_accepts_str_and_bytes_and_a_name(hello_rule: str) -> None:
    rules = {"hello.rhai": hello_rule}
    by_str = kvcsi.check_text("hello", name="events.txt", rules=rules, builtin=False)
    by_bytes = kvcsi.check_text(b"hello", name="events.txt", rules=rules, builtin=False)
    assert by_str.to_json() == by_bytes.to_json()
    assert by_str.findings[0].evidence[0].source == "events.txt"


def test_check_mapping_of_text_and_bytes(hello: kvcsi.Engine) -> None:
    report = hello.check({"a.txt": "hello\n", "b.log": b"I1128 10:00:00.000000 1 main.go:1] hello\n"})
    assert report.to_dict()["stats"]["sources"] == 2
    assert {e.source for e in report.findings[0].evidence} == {"a.txt", "b.log"}
    same = hello.check({"a.txt": bytearray(b"hello\n"), "b.log": memoryview(b"I1128 10:00:00.000000 1 main.go:1] hello\n")})
    assert same.to_json() == report.to_json()


def test_check_a_file_a_folder_a_pathlike_and_a_list(tmp_path: Path, hello: kvcsi.Engine) -> None:
    (tmp_path / "events.txt").write_text("hello\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.log").write_text("nothing to see\n")
    by_str = hello.check(str(tmp_path / "events.txt"))
    by_path = hello.check(tmp_path / "events.txt")
    assert by_str.to_json() == by_path.to_json()
    folder = hello.check(tmp_path)
    assert folder.to_dict()["stats"]["sources"] == 2
    listed = hello.check([tmp_path / "events.txt", str(tmp_path / "sub" / "other.log")])
    assert listed.to_json() == folder.to_json()
    assert listed.findings[0].evidence[0].source == str(tmp_path / "events.txt")
    assert hello.check(iter([tmp_path / "events.txt"])).to_json() == by_str.to_json()


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


def test_report_renderings(hello: kvcsi.Engine) -> None:
    report = hello.check_text("hello\n")
    data = json.loads(report.to_json())
    assert data == report.to_dict()
    assert data["findings"][0]["rule"] == "hello-world"
    assert report.to_json().endswith("}\n")
    assert report.to_markdown().startswith("# kvcsi report")
    assert "hello-world" in report.to_markdown()
    assert report.to_html().startswith("<!DOCTYPE html>")
    fragment = report._repr_html_()
    assert fragment.startswith("<div") and "hello-world" in fragment
    assert report.to_html(full=False) == fragment
    assert "hello-world" in report.to_text()
    assert "\x1b[" in report.to_text(colour=True)
    assert str(report) == report.to_text()
    assert repr(report) == "<kvcsi.Report exit_status=4 findings=[hello-world (warning)]>"
    assert report.lang == "en"
    # to_dict hands out copies: changing one does not change the report.
    report.to_dict()["findings"].clear()
    assert report.findings


def test_report_localized(sample: Sample) -> None:
    evidence, rule, _ = sample
    report = kvcsi.check(evidence)
    ja = report.localized("ja")
    assert ja.lang == "ja"
    assert ja.to_json() == kvcsi.check(evidence, lang="ja").to_json()
    assert ja.findings[0].rule == rule and ja.findings[0].title != report.findings[0].title
    assert ja.localized("en").to_json() == report.to_json()
    with pytest.raises(ValueError, match="unknown language"):
        report.localized("fr")
    with pytest.raises(ValueError, match="unknown language"):
        kvcsi.check(evidence, lang="fr")


def test_report_equality(hello: kvcsi.Engine) -> None:
    assert hello.check_text("hello") == hello.check_text("hello")
    assert hello.check_text("hello") != hello.check_text("other")
    assert hello.check_text("hello") != "hello"
    with pytest.raises(TypeError):
        hash(hello.check_text("x"))


def test_redaction_is_on_by_default(hello: kvcsi.Engine) -> None:
    secret = "Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2lnbmF0dXJl"
    text = "hello " + secret + "\n"
    redacted = hello.check_text(text)
    assert redacted.to_dict()["redacted"] is True
    assert "c2lnbmF0dXJl" not in redacted.to_json()
    shown = hello.check_text(text, redact=False)
    assert shown.to_dict()["redacted"] is False
    assert "c2lnbmF0dXJl" in shown.to_json()


def test_to_pandas(hello: kvcsi.Engine) -> None:
    pandas = pytest.importorskip("pandas")
    report = hello.check_text("hello\n")
    frame = report.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["rule", "severity", "cause", "confidence", "title", "message", "namespace", "pod"]
    row = frame.iloc[0]
    assert (row["rule"], row["severity"], row["pod"], row["namespace"]) == ("hello-world", "warning", "app-1", "default")
    assert len(frame) == len(report.findings) == 1
    empty = hello.check_text("nothing").to_pandas()
    assert len(empty) == 0
    assert list(empty.columns) == ["rule", "severity", "cause", "confidence", "title", "message"]


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


def test_rules_catalogue(hello: kvcsi.Engine) -> None:
    catalogue = kvcsi.rules()
    assert catalogue, "the built-in rules are listed"
    assert [r.id for r in catalogue] == sorted(r.id for r in catalogue)
    assert all(isinstance(r, kvcsi.RuleInfo) and r.origin == "builtin" for r in catalogue)
    assert all(r.severity in ("error", "warning", "info") for r in catalogue)
    assert all(r.source == f"rules/{r.id}/rule.rhai" for r in catalogue)
    assert all(r.cause is None or 1 <= r.cause <= 9 for r in catalogue)
    built_in = {p.name for p in (REPO / "rules").iterdir() if (p / "rule.rhai").is_file()}
    assert {r.id for r in catalogue} <= built_in
    assert kvcsi.rules(builtin=False) == []
    assert kvcsi.Engine().rules() == catalogue
    assert [(r.id, r.origin, r.source, r.needs) for r in hello.rules()] == [("hello-world", "user", "hello.rhai", ())]


def test_diagnostics_are_typed() -> None:
    report = kvcsi.check({"empty.txt": b""})
    assert report.diagnostics and all(isinstance(d, kvcsi.Diagnostic) for d in report.diagnostics)
    assert report.diagnostics[0].source == "empty.txt"
    assert report.exit_status == 2


@pytest.mark.skipif(not case_dirs(), reason="no evidence cases")
def test_engine_is_reusable() -> None:
    engine = kvcsi.Engine()
    first = case_dirs()[0]
    assert engine.check(first).to_json() == engine.check(first).to_json() == kvcsi.check(first).to_json()


def test_check_text_on_engine(driver_event: str) -> None:
    engine = kvcsi.Engine()
    assert engine.check_text(driver_event).to_json() == kvcsi.check_text(driver_event).to_json()


def test_relative_paths_are_named_as_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hello: kvcsi.Engine) -> None:
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "describe.txt").write_text("hello\n")
    monkeypatch.chdir(tmp_path)
    names = {e.source for f in hello.check("./bundle").findings for e in f.evidence}
    assert names == {"bundle/describe.txt"}
