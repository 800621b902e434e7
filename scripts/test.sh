#!/usr/bin/env bash
# The whole test suite, runnable on a fresh machine: it installs what it needs (idempotently),
# then checks formatting and lints (native and wasm32), runs the Rust tests, every rule's own
# fixtures, the evidence cases, the 1 GiB streaming test, the WASM build with its Node and
# headless-Chromium tests, the Python wheel with its stub check and pytest suite, the short
# benchmark and the fuzz targets.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
T0=$SECONDS
step() { echo; echo "=== [$((SECONDS - T0))s] $*"; }

step "toolchain: rustfmt, clippy, wasm32 target"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown >/dev/null

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (wasm32-unknown-unknown)"
wasm_crates=(-p kvcsi-core)
if grep -q '"bindings-wasm"' Cargo.toml; then wasm_crates+=(-p kvcsi-wasm); fi
cargo clippy "${wasm_crates[@]}" --target wasm32-unknown-unknown --locked -- -D warnings

step "rust tests"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  cargo test --workspace --doc --locked
else
  cargo test --workspace --locked --no-fail-fast
fi

step "rule fixtures (kvcsi rules test)"
cargo run -q --locked -p kvcsi-cli -- rules test

step "bundled example: private-endpoint-vnet first, exit 3"
set +e
out=$(cargo run -q --locked -p kvcsi-cli -- check examples/private-endpoint --format json)
status=$?
set -e
[ "$status" -eq 3 ] || { echo "expected exit 3, got $status"; exit 1; }
first=$(printf '%s' "$out" | python3 -c 'import json,sys; f=json.load(sys.stdin)["findings"]; print(f[0]["rule"] if f else "")')
[ "$first" = "private-endpoint-vnet" ] || { echo "expected private-endpoint-vnet first, got '$first'"; exit 1; }
piped=$(cat examples/private-endpoint/* | cargo run -q --locked -p kvcsi-cli -- check - --format json || true)
first_piped=$(printf '%s' "$piped" | python3 -c 'import json,sys; f=json.load(sys.stdin)["findings"]; print(f[0]["rule"] if f else "")')
[ "$first_piped" = "private-endpoint-vnet" ] || { echo "stdin: expected private-endpoint-vnet first, got '$first_piped'"; exit 1; }
echo "ok: private-endpoint-vnet first from files and from stdin"

step "1 GiB through one session: memory stays flat (release)"
cargo test --release --locked -p kvcsi-core --test streaming -- --ignored --nocapture

step "wasm: build, Node API tests, headless Chromium"
bash bindings-wasm/test.sh

step "python: wheel, stubtest, pytest, notebook script"
bash bindings-python/test.sh

step "supply chain: cargo deny (licences, bans, sources; advisories when a database is present)"
bash scripts/deny.sh

# The benchmark's short run (256 MiB): it fails when a must-be row is missed by more than 10 %.
# Rows 1 and 3 are defined on the 1 GiB corpus, where they are met; at 256 MiB the fixed costs
# (start-up, the rules' one pass over the facts) weigh four times as much, so they are reported
# here, not gated (docs/performance.md, "CI run").
step "benchmark, short run (256 MiB): gates every must-be row but 1 and 3"
bash bench/run.sh --ci --ungated 1,3

step "fuzzing (about five minutes in all, nightly toolchain)"
bash scripts/fuzz.sh

step "done: all tests passed"
