"""Shared fixtures. The suite runs against the installed wheel: bindings-python/python is never
put on sys.path (test_packaging.py checks that the imported kvcsi is the installed one)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable, List, Tuple

import pytest

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
    [finding(#{ evidence: matches.hello.first, params: #{ count: matches.hello.count } })]
}
"""


@pytest.fixture()
def hello_rule() -> str:
    return HELLO_RULE
