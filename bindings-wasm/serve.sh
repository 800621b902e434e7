#!/usr/bin/env bash
# Builds the checker and serves it on http://127.0.0.1:8080/ (PORT=... to change).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$HERE/build.sh"
exec node "$HERE/web/serve.mjs" --port "${PORT:-8080}" --dir "$HERE/web/dist"
