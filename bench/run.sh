#!/usr/bin/env bash
# The kvcsi benchmark (issue 8). `bash bench/run.sh` is the 1 GiB reference run;
# `bash bench/run.sh --ci` is the short CI run (256 MiB, fails when a must-be row misses by >10 %).
# Corpora are generated on demand under bench/out/ (git-ignored) and reused while unchanged.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LC_ALL=C.UTF-8
exec python3 bench/run.py "$@"
