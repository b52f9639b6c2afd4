#!/usr/bin/env bash
# The quantitative risk engine against pyfair, side by side in one run; and a large portfolio.
#
#   bench/fair-vs-pyfair.sh
#
# 1. A virtualenv under $CARGO_TARGET_DIR (or target/)/pyfair-venv with pyfair from PyPI
#    (pinned below, with its dependencies), created on the first run and reused.
# 2. cargo build --release -p bulwark-fair --example fair-bench (BENCH_SKIP_BUILD=1 skips it).
# 3. The same single-scenario model (crates/bulwark-fair/fixtures/bench-single.json) at TRIALS
#    (1,000,000) trials, RUNS (5) times each, alternating pyfair and Bulwark so both see the same
#    machine load. Only the simulation is timed: pyfair from creating the FairModel through
#    calculate_all() (time.perf_counter, bench/fair/pyfair_run.py), Bulwark the trial loop
#    (fair-bench single; summary statistics are timed separately and printed as well).
#    The ratio of the fastest runs and of the medians is printed, with both means.
#    How the PERT inputs agree: see bench/fair/pyfair_run.py and docs/risk-model.md.
# 4. A generated portfolio of SCENARIOS (1,000) × PORTFOLIO_TRIALS (100,000), run end to end
#    (every scenario's summary and tolerance check, the sum trial by trial), under
#    /usr/bin/time -v for its peak resident memory.
#
# Targets: Bulwark ≥ 50× faster than pyfair; portfolio < 5 s and < 1 GiB.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
TRIALS="${TRIALS:-1000000}"
RUNS="${RUNS:-5}"
SCENARIOS="${SCENARIOS:-1000}"
PORTFOLIO_TRIALS="${PORTFOLIO_TRIALS:-100000}"
PYFAIR_VERSION="0.1a13"
venv="$target_dir/pyfair-venv"
bench="$target_dir/release/examples/fair-bench"
work="$(mktemp -d "${TMPDIR:-/tmp}/fair-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

say() { printf '==> %s\n' "$*" >&2; }

say "machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import pyfair' 2>/dev/null; then
  say "creating $venv with pyfair $PYFAIR_VERSION from PyPI"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "pyfair==$PYFAIR_VERSION"
fi
echo "python: $("$venv/bin/python" --version 2>&1), pyfair $("$venv/bin/pip" show pyfair 2>/dev/null | sed -n 's/^Version: //p'), numpy $("$venv/bin/python" -c 'import numpy; print(numpy.__version__)')"

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  say "cargo build --release -p bulwark-fair --example fair-bench"
  (cd "$repo_root" && CARGO_TARGET_DIR="$target_dir" cargo build -q --release -p bulwark-fair --example fair-bench)
fi

# The model: Vose PERT everywhere except the secondary probability (a constant), skewed on purpose.
model="$repo_root/crates/bulwark-fair/fixtures/bench-single.json"

say "single scenario, $TRIALS trials, $RUNS runs each (alternating)"
py_times=() rs_times=() rs_full=() py_cpu=() rs_cpu=()
for ((i = 1; i <= RUNS; i++)); do
  py="$("$venv/bin/python" "$repo_root/bench/fair/pyfair_run.py" "$model" "$TRIALS")"
  rs="$("$bench" single "$model" "$TRIALS")"
  echo "pyfair:  $py"
  echo "bulwark: $rs"
  py_times+=("$(sed -n 's/^seconds=\([0-9.]*\).*/\1/p' <<<"$py")")
  rs_times+=("$(sed -n 's/.*simulation_s=\([0-9.]*\).*/\1/p' <<<"$rs")")
  rs_full+=("$(sed -n 's/.*with_summary_s=\([0-9.]*\).*/\1/p' <<<"$rs")")
  py_cpu+=("$(sed -n 's/.*cpu_seconds=\([0-9.]*\).*/\1/p' <<<"$py")")
  rs_cpu+=("$(sed -n 's/.*simulation_cpu_s=\([0-9.]*\).*/\1/p' <<<"$rs")")
done
python3 - "${py_times[*]}" "${rs_times[*]}" "${rs_full[*]}" "${py_cpu[*]}" "${rs_cpu[*]}" <<'PY'
import statistics, sys
py, rs, full, py_cpu, rs_cpu = ([float(x) for x in a.split()] for a in sys.argv[1:6])
fast, med = min(py) / min(rs), statistics.median(py) / statistics.median(rs)
print(f"pyfair simulation: min {min(py):.3f} s, median {statistics.median(py):.3f} s")
print(f"bulwark simulation: min {min(rs)*1000:.1f} ms, median {statistics.median(rs)*1000:.1f} ms "
      f"(with summary statistics: median {statistics.median(full)*1000:.1f} ms)")
print(f"ratio: {fast:.0f}x (fastest runs), {med:.0f}x (medians); target >= 50x: {'MET' if med >= 50 else 'MISSED'}")
cpu = statistics.median(py_cpu) / statistics.median(rs_cpu)
print(f"CPU time (diagnostic): pyfair median {statistics.median(py_cpu):.3f} s on 1 thread, bulwark median "
      f"{statistics.median(rs_cpu)*1000:.1f} ms over all threads: {cpu:.0f}x less work; "
      f"on 2 otherwise idle cores that is about {2*cpu:.0f}x in elapsed time")
PY

say "portfolio: $SCENARIOS scenarios x $PORTFOLIO_TRIALS trials"
out="$(/usr/bin/time -v "$bench" portfolio "$SCENARIOS" "$PORTFOLIO_TRIALS" 2>"$work/time.txt")"
echo "bulwark: $out"
run_s="$(sed -n 's/.*run_s=\([0-9.]*\).*/\1/p' <<<"$out")"
echo "portfolio run: $run_s s (target < 5 s: $(python3 -c "print('MET' if $run_s < 5 else 'MISSED')"))"
rss_kib="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")"
grep -E 'Elapsed|User time|System time' "$work/time.txt" | sed 's/^\t*//'
echo "peak RSS: $((rss_kib / 1024)) MiB (target < 1024 MiB: $([[ $rss_kib -lt 1048576 ]] && echo MET || echo MISSED))"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
