#!/usr/bin/env bash
# Read throughput and latency of GET /api/v1/users?limit=50 over 10,000 accounts, on SQLite and
# PostgreSQL, with wrk (64 connections, 2 threads, 30 s).
#
#   bench/load.sh
#
# Per backend:
# 1. one start of the release binary creates and migrates the database and the administrator
#    bench-admin@bench.example (from BULWARK_ADMIN_EMAIL / BULWARK_ADMIN_PASSWORD);
# 2. 10,000 accounts are inserted with sqlite3 / psql in one transaction, all reusing the
#    administrator's argon2 hash (hashing 10,000 passwords would take minutes). These rows
#    bypass the application, so they have no audit entries: fine for a read benchmark, and
#    `bulwark audit verify` still passes because nothing in the trail was touched;
# 3. `bulwark token create` makes an API token for the administrator (API tokens are not
#    subject to the browser-session MFA gate);
# 4. the server is started, warmed up with a 3 s wrk run (not reported), then measured:
#      wrk -t2 -c64 -d30s --latency -H "Authorization: Bearer …" URL
#    and its VmRSS is read after the run, with the load average before and after it (the
#    machine may be shared); then a 10 s single-connection run (a diagnostic, not a target)
#    shows the service time of one request without queueing.
#
# Targets: p99 < 20 ms, zero errors (socket errors or non-2xx/3xx answers).
# Knobs: USERS (10000), DURATION (30s), CONNECTIONS (64), THREADS (2), BENCH_NO_PG=1,
#        BENCH_SKIP_BUILD=1, BENCH_BIN=PATH, CARGO_TARGET_DIR (where the release binary is
#        built and looked for), BENCH_KEEP=1 (keep the temp dir with logs and raw wrk output).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USERS="${USERS:-10000}"
DURATION="${DURATION:-30s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
P99_TARGET_MS=20
ADMIN=bench-admin@bench.example
PATH_Q='/api/v1/users?limit=50'

need wrk wrk
need sqlite3 sqlite3
need python3 python3
need curl curl
build_release
unset BULWARK_CONFIG BULWARK_DATABASE_URL BULWARK_DATA_DIR BULWARK_LISTEN
export BULWARK_ADMIN_EMAIL="$ADMIN"
export BULWARK_ADMIN_PASSWORD=bench-password-2026

machine_facts
echo "wrk:     $(wrk --version 2>&1 | head -n 1 | awk '{print $1, $2}')"
echo "run:     wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Authorization: Bearer …' http://127.0.0.1:PORT$PATH_Q"

role_case() { # the role of generated account i: mostly staff, a few of each other role
  cat <<'EOF'
CASE WHEN i % 500 = 0 THEN 'administrator'
     WHEN i % 200 = 0 THEN 'security_officer'
     WHEN i % 100 = 0 THEN 'it_manager'
     WHEN i % 50 = 0 THEN 'auditor'
     WHEN i % 25 = 0 THEN 'leadership'
     ELSE 'staff' END
EOF
}

COLS='id, email, name, role, password_hash, status, must_change_password, totp_secret, totp_enabled, totp_last_step, created_at, updated_at, last_login_at'

seed_sqlite() {
  sqlite3 "$1/bulwark.db" <<EOF
.timeout 10000
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS),
  a AS (SELECT password_hash AS h, created_at AS t FROM users WHERE email = '$ADMIN')
INSERT INTO users ($COLS)
SELECT printf('00000000-0000-7000-8000-%012d', i), printf('user%05d@bench.example', i),
       printf('Bench User %05d', i), $(role_case), a.h, 'active', 0, NULL, 0, NULL, a.t, a.t, NULL
FROM n, a;
COMMIT;
EOF
  sqlite3 "$1/bulwark.db" 'SELECT count(*) FROM users'
}

seed_pg() {
  psql -q -At -v ON_ERROR_STOP=1 "$1" <<EOF
BEGIN;
INSERT INTO users ($COLS)
SELECT '00000000-0000-7000-8000-' || lpad(i::text, 12, '0'), 'user' || lpad(i::text, 5, '0') || '@bench.example',
       'Bench User ' || lpad(i::text, 5, '0'), $(role_case), a.h, 'active', false, NULL, false, NULL, a.t, a.t, NULL
FROM generate_series(1, $USERS) AS i,
     (SELECT password_hash AS h, created_at AS t FROM users WHERE email = '$ADMIN') AS a;
COMMIT;
ANALYZE users;
SELECT count(*) FROM users;
EOF
}

# run NAME SEED_FN SEED_ARG ARGS... : the whole benchmark for one backend.
run() {
  local name="$1" seed="$2" seed_arg="$3"
  shift 3
  local log="$BENCH_TMP/$name-server.log" port pid token n
  port="$(free_port)"
  python3 "$repo_root/bench/ready.py" --url "http://127.0.0.1:$port/readyz" --log "$log" -- \
    "$BIN" serve --listen "127.0.0.1:$port" "$@" >/dev/null ||
    die "$name: first start failed: $(tail -n 20 "$log")"
  n="$("$seed" "$seed_arg")"
  say "$name: $n accounts"
  token="$("$BIN" token create "$@" --user "$ADMIN" --name bench 2>>"$log" | tail -n 1)"
  [[ "$token" == *_* ]] || die "$name: token create failed: $(tail -n 5 "$log")"

  "$BIN" serve --listen "127.0.0.1:$port" "$@" >>"$log" 2>&1 &
  pid=$!
  bench_pids+=("$pid")
  for _ in $(seq 1 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
    sleep 0.05
  done
  local body
  body="$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port$PATH_Q")" ||
    die "$name: the API did not answer: $(tail -n 5 "$log")"
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["items"]) == 50, d' \
    <<<"$body" || die "$name: unexpected answer"

  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port$PATH_Q" >/dev/null
  # The machine is shared: the load average before and after the run says how busy it was.
  local load_before load_after
  load_before="$(cut -d' ' -f1 /proc/loadavg)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -H "Authorization: Bearer $token" "http://127.0.0.1:$port$PATH_Q" | tee "$BENCH_TMP/$name-wrk.txt" >&2
  load_after="$(cut -d' ' -f1 /proc/loadavg)"
  local rss
  rss="$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")"
  # Diagnostic, not a target: the latency of one request at a time (service time without
  # queueing), to read the 64-connection numbers against.
  wrk -t1 -c1 -d10s --latency -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port$PATH_Q" >"$BENCH_TMP/$name-wrk-c1.txt"
  kill "$pid"
  wait "$pid" || true
  python3 - "$name" "$BENCH_TMP/$name-wrk.txt" "$P99_TARGET_MS" "$rss" \
    "$BENCH_TMP/$name-wrk-c1.txt" "$load_before" "$load_after" <<'EOF'
import re, sys
name, f, target, rss = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
load_before, load_after = sys.argv[6], sys.argv[7]
t = open(f).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)", v)
    x, u = float(m.group(1)), m.group(2)
    return x * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
total = int(re.search(r"(\d+) requests in", t).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", t)) else 0
sock = sum(map(int, m.groups())) if (m := re.search(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)) else 0
errors = non2xx + sock
ok = p99 < target and errors == 0
c1 = open(sys.argv[5]).read()
c1_rps = float(re.search(r"Requests/sec:\s+([\d.]+)", c1).group(1))
c1_p50 = ms(re.search(r"^\s+50%\s+(\S+)", c1, re.M).group(1))
c1_p99 = ms(re.search(r"^\s+99%\s+(\S+)", c1, re.M).group(1))
print(f"{name}: {rps:.0f} requests/s ({total} requests), p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
      f"errors {errors} (non-2xx/3xx {non2xx}, socket {sock}), RSS after run {rss} MiB: "
      f"{'MET' if ok else 'MISSED'} (target p99 < {target:.0f} ms, zero errors); "
      f"load average {load_before} before, {load_after} after")
print(f"{name}:   diagnostic, 1 connection for 10 s: {c1_rps:.0f} requests/s, p50 {c1_p50:.2f} ms, "
      f"p99 {c1_p99:.2f} ms")
EOF
}

say "SQLite"
run sqlite seed_sqlite "$BENCH_TMP/sqlite-data" --data-dir "$BENCH_TMP/sqlite-data"

if [[ "${BENCH_NO_PG:-0}" == 1 ]]; then
  say "PostgreSQL skipped (BENCH_NO_PG=1)"
elif pg_start; then
  say "PostgreSQL"
  url="$(pg_create_db bulwark_load)"
  run postgres seed_pg "$url" --data-dir "$BENCH_TMP/pg-app-data" --database-url "$url"
else
  say "PostgreSQL skipped: could not start a throw-away cluster"
fi
