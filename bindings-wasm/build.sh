#!/usr/bin/env bash
# Builds kvcsi-wasm and the in-browser checker. Installs what it needs when missing
# (wasm32 target, wasm-bindgen CLI at the version Cargo.lock pins, npm devDependencies).
#
#   pkg-web/    ES module package for browsers/bundlers (wasm-bindgen --target web)
#   pkg-node/   CommonJS package for Node (wasm-bindgen --target nodejs)
#   web/dist/   index.html + assets (served), kvcsi-checker.html (single self-contained file)
#
# Idempotent and incremental: wasm-opt (the slow step) is skipped when the module is unchanged.
# KVCSI_WASM_OPT=0 skips wasm-opt altogether (faster local iteration, bigger files).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"
export CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
T0=$SECONDS
say() { echo "--- [wasm $((SECONDS - T0))s] $*"; }

WB_VERSION=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;q}' Cargo.lock)
[ -n "$WB_VERSION" ] || { echo "wasm-bindgen not found in Cargo.lock" >&2; exit 1; }

if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]; then
  say "cargo install wasm-bindgen-cli $WB_VERSION (about 2.5 min, once)"
  # No --locked: the CLI's packaged lockfile wants crates this registry mirror may lack.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --no-default-features --bin wasm-bindgen --quiet --force
fi

# npm binaryen provides wasm-opt (never Debian's binaryen: its output breaks wasm-bindgen's
# externref table); playwright-core drives the system Chromium in the tests.
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.package-lock.json.installed" 2>/dev/null; then
  say "npm ci"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$HERE/package-lock.json" "$HERE/node_modules/.package-lock.json.installed"
fi

say "cargo build --profile wasm-release --target wasm32-unknown-unknown -p kvcsi-wasm"
LOCKED=--locked
[ "${KVCSI_UNLOCKED:-0}" = 1 ] && LOCKED=
cargo build $LOCKED --profile wasm-release --target wasm32-unknown-unknown -p kvcsi-wasm
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
RAW="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/kvcsi_wasm.wasm"

BUILD="$HERE/build"
mkdir -p "$BUILD"
say "wasm-bindgen $WB_VERSION (web, nodejs, no-modules)"
rm -rf "$BUILD/web" "$BUILD/nodejs" "$BUILD/no-modules"
for t in web nodejs no-modules; do
  wasm-bindgen --target "$t" --out-dir "$BUILD/$t" "$RAW"
done
# The module is the same for every target (checked here); optimise it once.
for t in nodejs no-modules; do
  cmp -s "$BUILD/web/kvcsi_wasm_bg.wasm" "$BUILD/$t/kvcsi_wasm_bg.wasm" || {
    echo "wasm-bindgen wrote different modules for web and $t" >&2; exit 1; }
done
BG="$BUILD/web/kvcsi_wasm_bg.wasm"
OPT="$BUILD/kvcsi_wasm_bg.opt.wasm"
HASH=$(sha256sum "$BG" | cut -d' ' -f1)
if [ "${KVCSI_WASM_OPT:-1}" = 0 ]; then
  say "wasm-opt skipped (KVCSI_WASM_OPT=0)"
  cp "$BG" "$OPT"; echo "unoptimised" > "$OPT.stamp"
elif [ "$(cat "$OPT.stamp" 2>/dev/null)" != "$HASH" ] || [ ! -f "$OPT" ]; then
  say "wasm-opt -O3 (npm binaryen; about 30-90 s)"
  "$HERE/node_modules/.bin/wasm-opt" -O3 "$BG" -o "$OPT.tmp"
  mv "$OPT.tmp" "$OPT"; echo "$HASH" > "$OPT.stamp"
else
  say "wasm-opt: module unchanged, reusing the optimised one"
fi

rm -rf "$HERE/pkg-web" "$HERE/pkg-node"
cp -r "$BUILD/web" "$HERE/pkg-web"
cp -r "$BUILD/nodejs" "$HERE/pkg-node"
cp "$OPT" "$HERE/pkg-web/kvcsi_wasm_bg.wasm"
cp "$OPT" "$HERE/pkg-node/kvcsi_wasm_bg.wasm"
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
for p in web node; do
  node -e '
    const [dir, version, kind] = process.argv.slice(1);
    const files = ["kvcsi_wasm.js", "kvcsi_wasm.d.ts", "kvcsi_wasm_bg.wasm", "kvcsi_wasm_bg.wasm.d.ts"];
    const pkg = { name: "kvcsi-wasm", version, description: "kvcsi: diagnose Azure Key Vault Secrets Store CSI mount failures, in WebAssembly",
      license: "MIT", main: "kvcsi_wasm.js", types: "kvcsi_wasm.d.ts", files, sideEffects: kind === "web" ? ["./snippets/*"] : undefined };
    if (kind === "web") pkg.type = "module";
    require("fs").writeFileSync(dir + "/package.json", JSON.stringify(pkg, null, 2) + "\n");
  ' "$HERE/pkg-$p" "$VERSION" "$p"
done

say "web/dist (index.html + assets, kvcsi-checker.html)"
node "$HERE/web/build-web.mjs" --glue "$BUILD/no-modules/kvcsi_wasm.js" --wasm "$OPT" --out "$HERE/web/dist"

say "sizes"
node "$HERE/web/sizes.mjs" "$RAW" "$BG" "$OPT" "$HERE/web/dist"
say "done"
