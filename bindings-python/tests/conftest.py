"""Shared fixtures. The suite runs against the installed wheel: bindings-python/python is never
put on sys.path (test_packaging.py checks that the imported kvcsi is the installed one)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Tuple

import pytest

if TYPE_CHECKING:
    import kvcsi

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "cases"


def case_dirs() -> List[Path]:
    """Every evidence case (read when the tests are collected: cases are added all the time)."""
    if not CASES.is_dir():
        return []
    return sorted(p for p in CASES.iterdir() if (p / "expected.json").is_file())


def _cli_path() -> Path | None:
    given = os.environ.get("KVCSI_CLI")
    if given:
        return Path(given)
    for profile in ("debug", "release"):
        candidate = REPO / "target" / profile / "kvcsi"
        if candidate.is_file():
            return candidate
    found = shutil.which("kvcsi")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def cli() -> Callable[..., Tuple[int, str]]:
    """Runs the CLI binary built by cargo: returns (exit status, stdout)."""
    path = _cli_path()
    if path is None or not path.is_file():
        if os.environ.get("CI"):
            pytest.fail("the kvcsi CLI binary is missing: run `cargo build -p kvcsi-cli` or set KVCSI_CLI")
        pytest.skip("the kvcsi CLI binary is not built (cargo build -p kvcsi-cli)")

    def run(*args: str, cwd: Path = REPO) -> Tuple[int, str]:
        done = subprocess.run(
            [str(path), *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", check=False
        )
        if done.returncode in (1,) or (done.returncode == 2 and not done.stdout):
            raise AssertionError(f"kvcsi {' '.join(args)} failed ({done.returncode}): {done.stderr}")
        return done.returncode, done.stdout

    return run


@pytest.fixture()
def driver_event() -> str:
    return (
        'Warning  FailedMount  3s  kubelet, akswin000000  MountVolume.SetUp failed for volume "kv" : '
        "kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name "
        "secrets-store.csi.k8s.io not found in the list of registered CSI drivers\n"
    )


HELLO_RULE = """
fn meta() {
    #{
        api_version: 1,
        id: "hello-world",
        severity: "warning",
        needs: [],
        patterns: #{ hello: #{ literals: ["hello"] } },
        text: #{ en: #{ title: "Hello", message: "Someone said hello {count} times." } }
    }
}
fn check(facts, matches) {
    if matches.hello.count == 0 { return []; }
    [finding(#{
        evidence: matches.hello.first,
        params: #{ count: matches.hello.count },
        subject: #{ namespace: "default", pod: "app-1" }
    })]
}
"""


@pytest.fixture()
def hello_rule() -> str:
    return HELLO_RULE


@pytest.fixture()
def hello() -> "kvcsi.Engine":
    """An engine with only the hello-world rule: deterministic findings for API tests (the
    built-in rules change all the time; their behaviour is tested through tests/cases)."""
    import kvcsi

    return kvcsi.Engine(rules={"hello.rhai": HELLO_RULE}, builtin=False)


@pytest.fixture()
def sample() -> Tuple[Dict[str, bytes], str, str]:
    """A shared evidence case for the built-in rules: (evidence by relative name, expected root
    cause rule, its severity), taken from its expected.json."""
    preferred = CASES / "article-cause-5-driver-not-registered-windows"
    cases = ([preferred] if (preferred / "expected.json").is_file() else []) + case_dirs()
    for case in cases:
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        if expected.get("findings"):
            first = expected["findings"][0]
            files = {
                p.relative_to(case).as_posix(): p.read_bytes()
                for p in sorted(case.rglob("*"))
                if p.is_file() and p.name != "expected.json" and not p.name.startswith(".")
            }
            return files, first["rule"], first.get("severity", "error")
    pytest.skip("no evidence case with findings")
