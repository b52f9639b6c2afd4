#!/usr/bin/env bash
# Start-to-ready time and idle memory of the release binary, on SQLite and PostgreSQL.
#
#   bench/startup-memory.sh
#
# 1. cargo build --release -p bulwark (once; BENCH_SKIP_BUILD=1 reuses target/release/bulwark).
# 2. Per backend: one start to create and migrate the database and the first administrator
#    (not measured), then RUNS (10) starts on the existing database, each timed from exec
#    until GET /readyz answers 200 (polled every 5 ms), stopped with SIGTERM; report the median.
#    Then RSS_RUNS (3) starts, each reading VmRSS from /proc/PID/status 5 s after ready.
# 3. PostgreSQL: a throw-away cluster under /tmp (initdb as postgres, trust auth, 127.0.0.1,
#    a free port), installed with apt-get when missing, stopped and deleted at exit.
#    BENCH_NO_PG=1 skips it.
#
# Targets: ready < 1000 ms, idle RSS < 30 MiB.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS="${RUNS:-10}"
RSS_RUNS="${RSS_RUNS:-3}"
READY_TARGET_MS=1000
RSS_TARGET_MIB=30

need python3 python3
build_release
unset BULWARK_CONFIG BULWARK_DATABASE_URL BULWARK_DATA_DIR BULWARK_LISTEN
export BULWARK_ADMIN_EMAIL=bench-admin@bench.example
export BULWARK_ADMIN_PASSWORD=bench-password-2026

machine_facts
echo "binary:  $(stat -c %s "$BIN" | awk '{printf "%.1f MiB", $1/1048576}')"

# measure NAME ARGS... : prints the results for one backend.
measure() {
  local name="$1"
  shift
  local log="$BENCH_TMP/$name-server.log" port i
  port="$(free_port)"
  python3 "$repo_root/bench/ready.py" --url "http://127.0.0.1:$port/readyz" --log "$log" -- \
    "$BIN" serve --listen "127.0.0.1:$port" "$@" >/dev/null ||
    die "$name: first start failed; log: $(tail -n 20 "$log")"
  : >"$BENCH_TMP/$name-ready.jsonl"
  for ((i = 1; i <= RUNS; i++)); do
    port="$(free_port)"
    python3 "$repo_root/bench/ready.py" --url "http://127.0.0.1:$port/readyz" --log "$log" -- \
      "$BIN" serve --listen "127.0.0.1:$port" "$@" >>"$BENCH_TMP/$name-ready.jsonl" ||
      die "$name: start $i failed"
  done
  : >"$BENCH_TMP/$name-rss.jsonl"
  for ((i = 1; i <= RSS_RUNS; i++)); do
    port="$(free_port)"
    python3 "$repo_root/bench/ready.py" --url "http://127.0.0.1:$port/readyz" --rss-after 5 \
      --log "$log" -- "$BIN" serve --listen "127.0.0.1:$port" "$@" \
      >>"$BENCH_TMP/$name-rss.jsonl" || die "$name: RSS start $i failed"
  done
  python3 - "$name" "$BENCH_TMP/$name-ready.jsonl" "$BENCH_TMP/$name-rss.jsonl" \
    "$READY_TARGET_MS" "$RSS_TARGET_MIB" <<'EOF'
import json, statistics, sys
name, rf, mf, rt, mt = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
ready = [json.loads(l)["ready_ms"] for l in open(rf)]
rss = [json.loads(l)["rss_kib"] / 1024 for l in open(mf)]
med, mrss = statistics.median(ready), statistics.median(rss)
print(f"{name}: start-to-ready median {med:.1f} ms (min {min(ready):.1f}, max {max(ready):.1f}, "
      f"n={len(ready)}): {'MET' if med < rt else 'MISSED'} (target < {rt:.0f} ms)")
print(f"{name}:   all runs (ms): {', '.join(f'{x:.1f}' for x in ready)}")
print(f"{name}: idle RSS 5 s after ready median {mrss:.1f} MiB (min {min(rss):.1f}, "
      f"max {max(rss):.1f}, n={len(rss)}): {'MET' if mrss < mt else 'MISSED'} (target < {mt:.0f} MiB)")
EOF
}

say "SQLite"
measure sqlite --data-dir "$BENCH_TMP/sqlite-data"

if [[ "${BENCH_NO_PG:-0}" == 1 ]]; then
  say "PostgreSQL skipped (BENCH_NO_PG=1)"
elif pg_start; then
  say "PostgreSQL"
  url="$(pg_create_db bulwark_startup)"
  measure postgres --data-dir "$BENCH_TMP/pg-app-data" --database-url "$url"
else
  say "PostgreSQL skipped: could not start a throw-away cluster"
fi
