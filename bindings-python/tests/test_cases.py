"""The shared evidence cases (tests/cases/<name>/: evidence + expected.json), read at collection
time because rules and cases are added all the time:

- each case gives the error and warning findings its expected.json lists, root cause first, and
  none of its "absent" rules (the same judgement as core/tests/cases.rs);
- Report.to_json() is byte for byte what `kvcsi check <same path> --format json` prints, and
  the exit status is the CLI's.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

import kvcsi
from conftest import CASES, HELLO_RULE, REPO, case_dirs

CASE_DIRS = case_dirs()
ids = [p.name for p in CASE_DIRS]
Cli = Callable[..., Tuple[int, str]]


def evidence(case: Path) -> Dict[str, bytes]:
    """The case's evidence as the Rust runner feeds it: names relative to the case folder."""
    files = sorted(p for p in case.rglob("*") if p.is_file())
    return {
        p.relative_to(case).as_posix(): p.read_bytes()
        for p in files
        if p.name != "expected.json" and not any(part.startswith(".") for part in p.relative_to(case).parts)
    }


def problems(report: kvcsi.Report, expected: dict) -> List[str]:
    alarms = [(f.rule, f.severity) for f in report.findings if f.severity in ("error", "warning")]
    wanted = [(f["rule"], f.get("severity", "error")) for f in expected.get("findings", [])]
    out = [f"missing {r} ({s})" for r, s in wanted if (r, s) not in alarms]
    out += [f"extra {r} ({s})" for r, s in alarms if (r, s) not in wanted]
    if not out and wanted and alarms and wanted[0] != alarms[0]:
        out.append(f"root cause {wanted[0][0]} should come first, got {alarms[0][0]}")
    out += [f"{a} must be absent" for a in expected.get("absent", []) if any(r == a for r, _ in alarms)]
    out += [f"rule diagnostic [{d.code}] {d.rule}: {d.message}" for d in report.diagnostics if d.code.startswith("rule-")]
    return out


def test_there_are_cases() -> None:
    assert CASE_DIRS, f"no evidence case under {CASES}"


@pytest.mark.parametrize("case", CASE_DIRS, ids=ids)
def test_case_gives_the_expected_findings(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    report = kvcsi.check(evidence(case))
    assert problems(report, expected) == []


@pytest.mark.parametrize("case", CASE_DIRS, ids=ids)
def test_case_report_equals_the_cli(case: Path, cli: Cli) -> None:
    status, out = cli("check", str(case), "--format", "json")
    report = kvcsi.check(case)
    assert report.to_json() == out
    assert report.exit_status == status


def test_cli_parity_with_options(cli: Cli, tmp_path: Path) -> None:
    cases = [str(c) for c in CASE_DIRS[:3]]
    ignore = tmp_path / "team.ignore"
    first = kvcsi.check(cases).findings
    rule = first[0].rule if first else "driver-not-registered"
    ignore.write_text(f"{rule}  # reason: known\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "hello.rhai").write_text(HELLO_RULE)
    status, out = cli(
        "check", *cases, "--format", "json", "--lang", "ja", "--no-redact",
        "--suppress", str(ignore), "--rules", str(rules), cwd=tmp_path,
    )
    report = kvcsi.check(cases, lang="ja", redact=False, suppress=ignore, rules=rules)
    assert report.to_json() == out
    assert report.exit_status == status
    status, out = cli("check", *cases, "--format", "markdown", cwd=tmp_path)
    assert kvcsi.check(cases).to_markdown() == out


def test_cli_parity_for_a_bundle(cli: Cli, tmp_path: Path) -> None:
    bundle = tmp_path / "cluster.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        for case in CASE_DIRS[:4]:
            for name, data in evidence(case).items():
                info = tarfile.TarInfo(f"{case.name}/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    status, out = cli("check", str(bundle), "--format", "json", cwd=tmp_path)
    report = kvcsi.check(bundle)
    assert report.to_json() == out
    assert report.exit_status == status


def test_repo_relative_names_equal_the_cli(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    if (REPO / ".kvcsi-ignore").exists():
        pytest.skip("the CLI would read the repository's .kvcsi-ignore")
    monkeypatch.chdir(REPO)
    path = f"./tests/cases/{CASE_DIRS[0].name}"
    status, out = cli("check", path, "--format", "json", cwd=REPO)
    assert kvcsi.check(path).to_json() == out
