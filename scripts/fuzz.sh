#!/usr/bin/env bash
# Fuzzes every target in fuzz/ for a share of a fixed time budget and prints the coverage each
# reached. Fails if any target crashes, hangs (libFuzzer -timeout), or runs out of memory.
#
#   bash scripts/fuzz.sh                 # all targets, FUZZ_SECONDS (default 300) in all
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh
#   bash scripts/fuzz.sh check rule      # only these targets
#
# Needs a nightly toolchain (cargo-fuzz builds with -Z flags); it uses the one installed and
# says so when there is none. cargo-fuzz is installed from crates.io when missing. Inputs:
# fuzz/seeds/<target> (committed, realistic) and fuzz/regressions/<target> (every input that
# once crashed, also replayed on stable by core/tests/bad_input.rs); new interesting inputs
# accumulate in fuzz/corpus/<target> (not committed; cache it in CI to go deeper each run).
# Crashes are written to fuzz/artifacts/<target>/.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never
# The fuzz crate is its own workspace, built with nightly and sanitizer flags into fuzz/target,
# where this script runs the targets from: a target dir shared with the main workspace would put
# them elsewhere.
unset CARGO_TARGET_DIR
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

TOTAL=${FUZZ_SECONDS:-300}
SANITIZER=${FUZZ_SANITIZER:-none} # `address` finds memory bugs in dependencies' unsafe code, at half the speed
RSS_MB=${FUZZ_RSS_MB:-2048}
MERGE_ABOVE=${FUZZ_MERGE_ABOVE:-3000} # a corpus with more inputs is minimised first (kept small for CI caches)
TIMEOUT=${FUZZ_TIMEOUT:-10}        # seconds one parser input may take before it counts as a hang

nightly=$(rustup toolchain list 2>/dev/null | grep -o '^nightly[^ ]*' | head -n1)
if [ -z "$nightly" ]; then
  echo "fuzz: SKIPPED: no nightly toolchain installed (rustup toolchain install nightly); cargo-fuzz needs one"
  exit 0
fi
echo "fuzz: toolchain $nightly ($(rustc "+$nightly" --version))"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet || { echo "fuzz: cargo install cargo-fuzz failed"; exit 1; }
fi
echo "fuzz: $(cargo fuzz --version)"

# The fuzz crate has its own lock, seeded from the workspace's so the fuzzed core is built with
# the dependency versions the shipped one uses.
if [ ! -f fuzz/Cargo.lock ] || [ Cargo.lock -nt fuzz/Cargo.lock ]; then
  cp Cargo.lock fuzz/Cargo.lock
fi

all_targets=$(cd fuzz/fuzz_targets && ls -1 *.rs | sed 's/\.rs$//')
targets=${*:-$all_targets}

# Shares of the budget: the whole check and the rule runtime do the most per input.
weight() {
  case "$1" in
    check) echo 4 ;;
    rule) echo 3 ;;
    classify | archive | json | yaml) echo 2 ;;
    *) echo 1 ;;
  esac
}
# The whole check runs every rule twice per input (whole and chunked) and renders the report;
# a rule input may run to its (scaled-down) wall clock at load and in check. Their hang limits
# leave room for a busy machine; a parser input gets TIMEOUT.
timeout_for() {
  case "$1" in
    check) echo $((TIMEOUT * 3)) ;;
    rule) echo $((TIMEOUT * 2)) ;;
    *) echo "$TIMEOUT" ;;
  esac
}
max_len() {
  case "$1" in
    check | archive) echo 65536 ;;
    *) echo 16384 ;;
  esac
}
total_weight=0
for t in $targets; do total_weight=$((total_weight + $(weight "$t"))); done

echo "fuzz: building the targets (sanitizer: $SANITIZER)"
build_start=$SECONDS
if ! cargo "+$nightly" fuzz build --fuzz-dir fuzz -s "$SANITIZER" 2>&1 | tail -n 3; then
  echo "fuzz: build failed"
  exit 1
fi
echo "fuzz: built in $((SECONDS - build_start))s; fuzzing for ${TOTAL}s in all"
# Run the built binaries directly: `cargo fuzz run` would rebuild first whenever a source file
# changed, and the binaries take libFuzzer's flags as they are.
bin_dir="fuzz/target/$(rustc "+$nightly" -vV | sed -n 's/^host: //p')/release"

logs=$(mktemp -d)
failed=()
total_runs=0
total_cov=0
printf '%-22s %6s %10s %8s %8s %8s  %s\n' target secs runs cov ft corpus result
for t in $targets; do
  secs=$(( TOTAL * $(weight "$t") / total_weight ))
  [ "$secs" -lt 5 ] && secs=5
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  if [ "$(ls -1 "fuzz/corpus/$t" | wc -l)" -gt "$MERGE_ABOVE" ]; then
    # Keep only the inputs that still add coverage (libFuzzer's merge), so the corpus does not
    # grow without bound from run to run.
    rm -rf "fuzz/corpus/$t.min" && mkdir "fuzz/corpus/$t.min"
    if "$bin_dir/$t" -merge=1 -timeout="$(timeout_for "$t")" -max_len="$(max_len "$t")" \
      "fuzz/corpus/$t.min" "fuzz/corpus/$t" >/dev/null 2>&1; then
      rm -rf "fuzz/corpus/$t" && mv "fuzz/corpus/$t.min" "fuzz/corpus/$t"
    else
      rm -rf "fuzz/corpus/$t.min"
    fi
  fi
  inputs=("fuzz/corpus/$t" "fuzz/seeds/$t")
  [ -d "fuzz/regressions/$t" ] && inputs+=("fuzz/regressions/$t")
  log="$logs/$t.log"
  "$bin_dir/$t" "${inputs[@]}" \
    -max_total_time="$secs" -timeout="$(timeout_for "$t")" -rss_limit_mb="$RSS_MB" \
    -max_len="$(max_len "$t")" -print_final_stats=1 -close_fd_mask=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
  status=$?
  stats=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(echo "$stats" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$stats" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$stats" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
  total_runs=$((total_runs + ${runs:-0}))
  total_cov=$((total_cov + ${cov:-0}))
  if [ "$status" -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $status)"
    failed+=("$t")
  fi
  printf '%-22s %6s %10s %8s %8s %8s  %s\n' "$t" "$secs" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
  if [ "$status" -ne 0 ]; then
    grep -E -A1 'panicked at|ERROR: libFuzzer|Test unit written|out-of-memory|timeout after' "$log" | grep -v '^--$' | head -n 12 | sed 's/^/    /'
    echo "    full log: $log"
    echo "    reproduce: $bin_dir/$t fuzz/artifacts/$t/<file>"
    echo "    then copy the input to fuzz/regressions/$t/ so core/tests/bad_input.rs replays it"
  fi
done

printf '%-22s %6s %10s %8s\n' "all (sum)" "$TOTAL" "$total_runs" "$total_cov"

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
rm -rf "$logs"
echo "fuzz: no crash, hang or out-of-memory in ${TOTAL}s"
