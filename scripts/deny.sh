#!/usr/bin/env bash
# Supply chain: cargo-deny over every crate of the workspace (deny.toml): licences, bans and
# sources always; advisories when a RustSec advisory database is already on the machine (this
# CI reaches only the package registries, so nothing is fetched), with a line saying when they
# were skipped. Installs cargo-deny from crates.io when missing. Idempotent.
#
#   bash scripts/deny.sh
#   KVCSI_ADVISORY_DB=/path/to/advisory-db bash scripts/deny.sh   # a clone of rustsec/advisory-db
#
# Databases looked for, in order: $KVCSI_ADVISORY_DB, ~/.cargo/advisory-db (where cargo-audit
# keeps its clone), and cargo-deny's own $CARGO_HOME/advisory-dbs/advisory-db-*.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never
CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
export PATH="$CARGO_HOME/bin:$PATH"

if ! cargo deny --version >/dev/null 2>&1; then
  echo "deny: installing cargo-deny (a few minutes, once)"
  cargo install cargo-deny --locked --quiet
fi
echo "deny: $(cargo deny --version)"

cargo deny --all-features --locked check --hide-inclusion-graph licenses bans sources

clone=""
for candidate in "${KVCSI_ADVISORY_DB:-}" "$HOME/.cargo/advisory-db" "$CARGO_HOME"/advisory-dbs/advisory-db-*; do
  if [ -n "$candidate" ] && [ -d "$candidate/crates" ]; then
    clone=$(cd "$candidate" && pwd)
    break
  fi
done
if [ -z "$clone" ]; then
  echo "deny: advisories SKIPPED: no RustSec advisory database on this machine (looked in \$KVCSI_ADVISORY_DB, ~/.cargo/advisory-db and \$CARGO_HOME/advisory-dbs; fetch one with 'cargo deny fetch' or 'git clone https://github.com/rustsec/advisory-db' where github.com is reachable)"
  exit 0
fi
# cargo-deny opens <db-path>/advisory-db-<hash of the default URL>: link the clone there and
# point a copy of deny.toml at it, offline so nothing is fetched.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/dbs"
ln -s "$clone" "$work/dbs/advisory-db-3157b0e258782691"
sed "s|^db-path = .*|db-path = \"$work/dbs\"|" deny.toml > "$work/deny.toml"
echo "deny: advisories from $clone (as of $(git -C "$clone" log -1 --format=%cs 2>/dev/null || echo 'an unknown date'), offline)"
cargo deny --all-features --locked --offline --config "$work/deny.toml" check --hide-inclusion-graph advisories
