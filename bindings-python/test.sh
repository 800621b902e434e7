#!/usr/bin/env bash
# Builds the kvcsi wheel, installs it into .ci/venv and tests the installed package:
# stub check (mypy.stubtest), pytest (API, shared evidence cases vs the CLI, doc examples,
# threads) and the examples/notebook script. Run from anywhere; exits non-zero on failure.
#
#   bash bindings-python/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
T0=$SECONDS
step() { echo; echo "=== [python $((SECONDS - T0))s] $*"; }

VENV=.ci/venv
PY=$VENV/bin/python

step "venv $VENV (maturin, pytest, mypy, pandas)"
[ -x "$PY" ] || python3 -m venv "$VENV"
"$PY" -m pip install -q --disable-pip-version-check \
  "maturin==1.16.0" "pytest>=8,<10" "mypy>=1.10" "pandas>=1.3"

step "kvcsi CLI (for the JSON parity tests)"
cargo build --locked -p kvcsi-cli
export KVCSI_CLI="$PWD/target/debug/kvcsi"

step "wheel: maturin build --release"
rm -rf dist/kvcsi-*.whl
"$VENV/bin/maturin" build --release --locked -m bindings-python/Cargo.toml --out dist
WHEEL=$(ls dist/kvcsi-*-cp39-abi3-*.whl)
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"

# Everything below imports the installed wheel, never bindings-python/python: run from a
# folder outside the repository's Python sources.
step "stubs: mypy.stubtest kvcsi"
"$PY" -m mypy.stubtest kvcsi kvcsi._kvcsi --allowlist bindings-python/stubtest-allowlist.txt

step "types: mypy on the examples and tests"
"$PY" -m mypy --no-incremental --ignore-missing-imports --python-version 3.9 \
  examples/notebook/triage.py bindings-python/tests/test_api.py

step "pytest bindings-python/tests"
"$PY" -m pytest -q -p no:cacheprovider bindings-python/tests

step "example: examples/notebook/triage.py"
"$PY" examples/notebook/triage.py examples/notebook/bundles > /tmp/kvcsi-triage.out
tail -n 20 /tmp/kvcsi-triage.out

step "done"
