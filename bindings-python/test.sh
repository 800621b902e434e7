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
export KVCSI_CLI="${CARGO_TARGET_DIR:-$PWD/target}/debug/kvcsi"

step "wheel: maturin build --release"
rm -rf dist/kvcsi-*.whl
"$VENV/bin/maturin" build --release --locked -m bindings-python/Cargo.toml --out dist
WHEEL=$(ls dist/kvcsi-*-cp39-abi3-*.whl)
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"

# Everything below imports the installed wheel, never bindings-python/python: run from a
# folder outside the repository's Python sources.
ROOT=$PWD
OUTSIDE=$(mktemp -d)
trap 'rm -rf "$OUTSIDE"' EXIT

step "stubs: mypy.stubtest kvcsi (kvcsi and kvcsi._kvcsi against _kvcsi.pyi)"
(cd "$OUTSIDE" && "$ROOT/$PY" -m mypy.stubtest kvcsi --allowlist "$ROOT/bindings-python/stubtest-allowlist.txt")

step "types: mypy on the examples and tests"
"$PY" -m mypy --no-incremental --ignore-missing-imports \
  examples/notebook/triage.py bindings-python/tests/test_api.py

step "pytest bindings-python/tests"
"$PY" -m pytest -q -p no:cacheprovider bindings-python/tests

step "fresh venv: pip install the wheel alone, on the oldest Python 3.9+ here (abi3)"
OLDEST=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9*/bin/python3 2>/dev/null | head -n 1 || true)
OLDEST=${OLDEST:-$(command -v python3.9 || command -v python3)}
"$OLDEST" -m venv "$OUTSIDE/fresh"
"$OUTSIDE/fresh/bin/python" -m pip install -q --disable-pip-version-check "$WHEEL" "pytest>=7"
"$OUTSIDE/fresh/bin/python" -c "import sys, kvcsi; print(sys.version.split()[0], 'kvcsi', kvcsi.__version__); print(kvcsi.check('examples/notebook/bundles/aks-win-japaneast.tar.gz').to_markdown()[:400])"
# The suite without pandas (an optional extra): to_pandas tests skip, the rest must pass.
"$OUTSIDE/fresh/bin/python" -m pytest -q -p no:cacheprovider bindings-python/tests \
  -k "not test_case_ and not cli_parity and not repo_relative"

step "example: examples/notebook/triage.py"
"$PY" examples/notebook/triage.py examples/notebook/bundles > "$OUTSIDE/triage.out"
head -n 16 "$OUTSIDE/triage.out"

step "done"
