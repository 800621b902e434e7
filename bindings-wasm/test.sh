#!/usr/bin/env bash
# Builds kvcsi-wasm and the checker (build.sh), then runs the wasm API tests in Node and the
# end-to-end tests in headless Chromium (Debian's chromium driven by playwright-core). Installs
# Chromium with apt when /usr/bin/chromium is missing. Exits non-zero on any failure.
# Screenshots go to bindings-wasm/test-results/.
#   KVCSI_E2E=0   skip the browser tests        KVCSI_LARGE_MB=200   size of the large-file test
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"
export CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
T0=$SECONDS
say() { echo "=== [wasm tests $((SECONDS - T0))s] $*"; }

# Chromium, and a Japanese font so the screenshots of the Japanese page are legible.
if [ "${KVCSI_E2E:-1}" != 0 ]; then
  PKGS=()
  [ -x /usr/bin/chromium ] || PKGS+=(chromium)
  if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ja 2>/dev/null)" ]; then PKGS+=(fonts-ipafont-gothic); fi
  if [ ${#PKGS[@]} -gt 0 ]; then
    say "apt-get install ${PKGS[*]}"
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${PKGS[@]}" >/dev/null
  fi
fi

say "build (bindings-wasm/build.sh)"
bash "$HERE/build.sh"

# The shared-cases tests compare every report with the CLI's, built from the same tree.
say "cargo build -p kvcsi-cli (the CLI the reports are compared with)"
LOCKED=--locked
[ "${KVCSI_UNLOCKED:-0}" = 1 ] && LOCKED=
cargo build $LOCKED -p kvcsi-cli
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
export KVCSI_CLI="$TARGET_DIR/debug/kvcsi"

mkdir -p "$HERE/test-results"
# Every tests/*.test.mjs (api: the wasm API in Node; e2e: the page in Chromium; and any other
# suite added there); KVCSI_E2E=0 leaves the browser suite out.
TESTS=()
for t in "$HERE"/tests/*.test.mjs; do
  [ "${KVCSI_E2E:-1}" = 0 ] && [ "${t##*/}" = e2e.test.mjs ] && continue
  TESTS+=("$t")
done
say "node --test ${TESTS[*]##*/}"
status=0
node --test --test-reporter=spec --test-concurrency=1 "${TESTS[@]}" || status=$?

say "sizes of the shipped module"
node -e '
  const { readFileSync } = require("fs"); const { gzipSync } = require("zlib");
  for (const f of process.argv.slice(1)) {
    const b = readFileSync(f);
    console.log(`${f.replace(/.*bindings-wasm\//, "")}: ${b.length} B raw, ${gzipSync(b, { level: 9 }).length} B gzip -9`);
  }' "$HERE/pkg-web/kvcsi_wasm_bg.wasm" "$HERE/web/dist/kvcsi-checker.html"
ls "$HERE"/test-results/*.png 2>/dev/null | sed 's/^/screenshot: /' || true
if [ "$status" != 0 ]; then
  say "FAILED (node --test exit $status)"
  exit "$status"
fi
say "passed"
