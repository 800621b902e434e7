"""Hardening on the Python surface (issue 9), with the fixtures the core and the CLI use.

- Canaries (tests/canaries/): no credential planted in the evidence appears in any output of a
  report (JSON, Markdown, HTML, text, str, repr, the Jupyter view, dicts, typed findings, the
  pandas frame, the Japanese report) or in an exception; the recorded findings still fire;
  ``redact=False`` shows them.
- Hostile rules (core/tests/hostile/): each is contained in two seconds with the diagnostic its
  ``// expect:`` line names (or, for a rule that does not load, a ``RuleError`` naming it); the
  built-in findings still come; the interpreter keeps working.
- Hostile evidence: empty, binary, a gzip bomb, deep JSON, a long line, an escaping tar: a
  report every time, the event beside them still found.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import kvcsi

REPO = Path(__file__).resolve().parents[2]
CANARIES = REPO / "tests" / "canaries"
HOSTILE = REPO / "core" / "tests" / "hostile"
EVENT = (
    "Events:\n  Type     Reason       Age   From     Message\n  ----     ------       ----  ----     -------\n"
    '  Warning  FailedMount  3s    kubelet  MountVolume.SetUp failed for volume "kv" : kubernetes.io/csi: '
    "mounter.SetUpAt failed to get CSI client: driver name secrets-store.csi.k8s.io not found in the list "
    "of registered CSI drivers\n"
)
RULE = "driver-not-registered"


def fixtures() -> List[Tuple[Path, Dict[str, Any]]]:
    if not CANARIES.is_dir():
        return []
    return [
        (d, json.loads((d / ".canary.json").read_text()))
        for d in sorted(p for p in CANARIES.iterdir() if p.is_dir())
    ]


def leaked(text: str, markers: List[str]) -> List[str]:
    return [m for m in markers if m in text]


def every_output(report: kvcsi.Report) -> Dict[str, str]:
    out = {
        "to_json": report.to_json(),
        "to_markdown": report.to_markdown(),
        "to_html": report.to_html(),
        "to_html fragment": report.to_html(full=False),
        "_repr_html_": report._repr_html_(),
        "to_text": report.to_text(),
        "to_text colour": report.to_text(colour=True),
        "str": str(report),
        "repr": repr(report),
        "to_dict": repr(report.to_dict()),
        "findings": repr(report.findings),
        "diagnostics": repr(report.diagnostics),
        "ja": report.localized("ja").to_json(),
    }
    try:
        frame = report.to_pandas()
    except ImportError:
        pass
    else:
        out["pandas"] = frame.to_string() + repr(frame) + frame.to_json()
    return out


def alarms(report: kvcsi.Report) -> List[List[str]]:
    return sorted([f.rule, f.severity] for f in report.findings)


@pytest.mark.parametrize("fixture", fixtures(), ids=lambda f: f[0].name)
def test_canaries_never_leave_the_report(fixture: Tuple[Path, Dict[str, Any]]) -> None:
    directory, meta = fixture
    markers = meta["markers"]
    for report in (
        kvcsi.check(directory),
        kvcsi.check({p.name: p.read_bytes() for p in sorted(directory.iterdir()) if not p.name.startswith(".")}),
    ):
        for what, text in every_output(report).items():
            assert leaked(text, markers) == [], f"{directory.name}: {what}"
        assert alarms(report) == meta["findings"], "the findings that depend on the planted lines"
        assert report.exit_status == meta["exit_status"]
        assert report.to_dict()["redacted"] is True
    # A session fed in chunks redacts the same way.
    engine = kvcsi.Engine()
    with engine.session() as session:
        for path in sorted(directory.iterdir()):
            if path.name.startswith("."):
                continue
            data = path.read_bytes()
            for i in range(0, len(data), 4093):
                session.feed(path.name, data[i : i + 4093])
        streamed = session.finish()
    assert leaked(streamed.to_json() + repr(streamed), markers) == []
    # The opt-out shows them: the canaries really were in what the report cites.
    opened = kvcsi.check(directory, redact=False)
    assert leaked(opened.to_json(), markers) != []
    assert opened.to_dict()["redacted"] is False


def test_exceptions_quote_no_evidence() -> None:
    marker = "Zq99K999Xv"
    # Nothing usable (strict): the error summarises diagnostics, which quote the evidence name.
    with pytest.raises(kvcsi.InputError) as error:
        kvcsi.check({f"blob.bin?sv=1&sig={marker}": b"\0" * 8192}, strict=True)
    assert marker not in str(error.value) + repr(error.value)
    # A rule that throws the evidence (strict): the error carries the rule's message.
    thrower = {
        "thrower.rhai": 'fn meta() { #{ api_version: 1, id: "thrower", severity: "error", needs: [], '
        'text: #{ en: #{ title: "t", message: "m" } } } }\n'
        "fn check(facts, matches) { let all = \"\"; for k in facts.keys() { for f in facts[k] "
        "{ all += f.text; } } throw all; }\n"
    }
    evidence = {"describe.txt": EVENT + f"  Warning  FailedMount  3s  kubelet  password={marker}\n"}
    with pytest.raises(kvcsi.KvcsiError) as error:
        kvcsi.check(evidence, rules=thrower, strict=True)
    assert marker not in str(error.value) + repr(error.value)
    report = kvcsi.check(evidence, rules=thrower)
    assert marker not in report.to_json() + repr(report.diagnostics)
    assert marker in kvcsi.check(evidence, rules=thrower, redact=False).to_json()


def hostile_rules() -> List[Tuple[str, str, str]]:
    out = []
    for path in sorted(HOSTILE.glob("*.rhai")):
        source = path.read_text()
        expect = re.search(r"^// expect: (\S+)", source, re.MULTILINE)
        assert expect, f"{path.name} has an // expect: line"
        out.append((path.name, source, expect.group(1)))
    return out


@pytest.mark.parametrize("rule", hostile_rules(), ids=lambda r: r[0])
def test_hostile_rules_are_contained(rule: Tuple[str, str, str]) -> None:
    file, source, code = rule
    name = f"hostile/{file}"
    evidence = {"describe.txt": EVENT}
    baseline = kvcsi.check(evidence)
    started = time.monotonic()
    try:
        engine = kvcsi.Engine(rules={name: source})
    except kvcsi.RuleError as error:
        # A rule that does not load: an exception the caller can act on, naming the file.
        assert file in str(error), str(error)
        assert time.monotonic() - started < 2
        return
    report = engine.check(evidence)
    took = time.monotonic() - started
    assert took < 2, f"{file}: contained in {took:.2f} s"
    codes = [d.code for d in report.diagnostics]
    assert code in codes, f"{file}: expected {code}, got {codes}"
    assert any(d.code == code and file in (d.source or "") for d in report.diagnostics)
    assert any(f.rule == RULE for f in report.findings), "built-in findings still reported"
    assert report.exit_status == baseline.exit_status
    # The interpreter and the cached engine keep working.
    assert kvcsi.check(evidence) == baseline


def _tar(entries: List[Tuple[str, bytes, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            if kind == b"link":
                info.type = tarfile.SYMTYPE
                info.linkname = data.decode()
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def test_hostile_evidence_gives_a_report_every_time() -> None:
    escaping = _tar(
        [
            ("../../etc/kvcsi", b"file", b"escaped"),
            ("/abs/kvcsi", b"file", b"escaped"),
            ("link", b"link", b"/etc/passwd"),
            ("bundle/describe.txt", b"file", EVENT.encode()),
        ]
    )
    cases = {
        "empty.txt": (b"", "empty-input"),
        "random.bin": (bytes((i * 7919 + 13) % 251 for i in range(64 * 1024)), "binary-input"),
        "deep.json": (b"[" * 200_000 + b"]" * 200_000, "json-invalid"),
        "one-line.log": (b"StatusCode=403 keyvault x " * 320_000, "line-truncated"),
        "bomb.gz": (gzip.compress(b"\0" * (64 << 20), compresslevel=9), "archive-bomb"),
        "bundle.tgz": (escaping, "archive-unsafe-path"),
    }
    for name, (data, code) in cases.items():
        started = time.monotonic()
        report = kvcsi.check({name: data, "describe-pod.txt": EVENT})
        assert time.monotonic() - started < 20, name
        codes = [d.code for d in report.diagnostics]
        assert code in codes, f"{name}: {codes}"
        assert any(f.rule == RULE for f in report.findings), f"{name}: the event beside it"
        assert "escaped" not in report.to_json()
    assert kvcsi.check({"empty.txt": b""}).exit_status == 2
    with pytest.raises(kvcsi.InputError):
        kvcsi.check({"random.bin": cases["random.bin"][0]}, strict=True)
