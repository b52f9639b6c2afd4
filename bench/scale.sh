#!/usr/bin/env bash
# Identity and inventory at scale (issue 3), on SQLite, through the `bulwark` command line and
# the HTTP API. Each part starts from its own data directory loaded with `serve --demo`.
#
#   bench/scale.sh [sbom] [accounts] [findings] [assets]     (all four when none is named)
#
# 1. sbom: CycloneDX 1.5 files of 100, 5,000, 50,000 and 400,000 components (bench/gen_scale.py;
#    the last is 115 MB) are imported into four new assets with `/usr/bin/time -v bulwark import
#    sbom`; then the 50,000 file is imported again over itself (nothing changes), then a 50,000
#    file with every tenth version bumped (5,000 changed). Elapsed time and peak RSS of each.
# 2. accounts: 20,000 people are imported (`bulwark import people`, timed), then account files of
#    2,000 and 20,000 rows (linked by email) into two new systems, `/usr/bin/time -v bulwark
#    import accounts`; then the 20,000 file again over itself. Every account import also
#    re-evaluates all identity findings in its transaction, which is included.
# 3. findings: 10,000 people, 20 systems, 20 account files of 10,000 rows (95 % linked by email,
#    orphans, leavers, dormant, privileged without MFA, shared names planted; see gen_scale.py),
#    each import timed; then hyperfine (1 warm-up, RUNS runs) of
#      bulwark identity findings --refresh --format json > /dev/null
#    and the same without --refresh (load and print only), and one `/usr/bin/time -v` run for
#    peak RSS.
# 4. assets: the server is started, ASSETS (50,000) assets are created with POST /api/v1/assets
#    over 4 keep-alive connections (so each has its audit entry), then per list URL a 3 s
#    warm-up and
#      wrk -t2 -c64 -d$DURATION --latency -H "Authorization: Bearer …" URL
#    plus the same with 16 connections and a single-connection run (diagnostics). Targets: p99 < 50 ms, zero errors.
#
# API tokens come from `bulwark token create --user admin@northwind.example` (the demo
# administrator; the MFA gate applies to browser sessions only).
# Knobs: RUNS (5), ASSETS (50000), SCALE (1; divides all sizes, to try the script out), DURATION (15s), BENCH_SKIP_BUILD=1, BENCH_BIN=PATH,
#        CARGO_TARGET_DIR, BENCH_KEEP=1 (keep data directories, inputs and raw output).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS="${RUNS:-5}"
ASSETS="${ASSETS:-50000}"
SCALE="${SCALE:-1}" # divides every size (SCALE=100 for a quick check of the script)
sz() { echo $(($1 / SCALE)); }
DURATION="${DURATION:-15s}"
ADMIN=admin@northwind.example
GEN=("python3" "$repo_root/bench/gen_scale.py")
PARTS=("$@")
[[ ${#PARTS[@]} -gt 0 ]] || PARTS=(sbom accounts findings assets)

need wrk wrk
need hyperfine hyperfine
need python3 python3
need curl curl
need sqlite3 sqlite3
build_release
unset BULWARK_CONFIG BULWARK_DATABASE_URL BULWARK_DATA_DIR BULWARK_LISTEN
machine_facts
echo "binary:  $BIN"

# timed LABEL CMD... : runs CMD under /usr/bin/time -v (its output to $BENCH_TMP/LABEL.out) and
# prints elapsed, CPU and peak RSS.
timed() {
  local label="$1"
  shift
  /usr/bin/time -v -o "$BENCH_TMP/$label.time" "$@" >"$BENCH_TMP/$label.out" 2>&1 ||
    die "$label failed: $(tail -n 5 "$BENCH_TMP/$label.out")"
  python3 - "$label" "$BENCH_TMP/$label.time" "$(cut -d' ' -f1 /proc/loadavg)" <<'EOF'
import re, sys
label, t, load = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
e = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", t)
el = int(e.group(1) or 0) * 3600 + int(e.group(2)) * 60 + float(e.group(3))
u = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1))
s = float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
print(f"{label:<28} elapsed {el:6.2f} s  user {u:6.2f} s  sys {s:5.2f} s  peak RSS {rss:7.1f} MiB  (load {load})")
EOF
  sed -n '1,3p' "$BENCH_TMP/$label.out" | cut -c1-200 | sed 's/^/    /'
}

# demo_dir NAME: a data directory with the demo organisation; prints its path.
demo_dir() {
  local d="$BENCH_TMP/$1" port
  port="$(free_port)"
  python3 "$repo_root/bench/ready.py" --url "http://127.0.0.1:$port/readyz" --log "$d.log" -- \
    "$BIN" serve --demo --data-dir "$d" --listen "127.0.0.1:$port" >/dev/null ||
    die "$1: demo start failed: $(tail -n 20 "$d.log")"
  printf '%s\n' "$d"
}

# serve DIR: starts the server in the background; sets PORT, SERVER_PID and TOKEN.
serve() {
  local d="$1"
  TOKEN="$("$BIN" token create --data-dir "$d" --user "$ADMIN" --name bench 2>>"$d.log" | tail -n 1)"
  [[ "$TOKEN" == *_* ]] || die "token create failed: $(tail -n 5 "$d.log")"
  PORT="$(free_port)"
  "$BIN" serve --data-dir "$d" --listen "127.0.0.1:$PORT" >>"$d.log" 2>&1 &
  SERVER_PID=$!
  bench_pids+=("$SERVER_PID")
  for _ in $(seq 1 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz" && return
    sleep 0.05
  done
  die "server did not become ready: $(tail -n 5 "$d.log")"
}

stop_server() {
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
}

# make_assets DIR KIND NAME... : creates assets through the API.
make_assets() {
  local d="$1" kind="$2" n
  shift 2
  serve "$d"
  for n in "$@"; do
    curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"name\":\"$n\",\"kind\":\"$kind\"}" "http://127.0.0.1:$PORT/api/v1/assets" ||
      die "creating asset $n failed"
  done
  stop_server
}

part_sbom() {
  say "1. SBOM import"
  local d f
  d="$(demo_dir sbom)"
  make_assets "$d" server bench-sbom-100 bench-sbom-5k bench-sbom-50k bench-sbom-400k
  for n in 100 5000 50000 400000; do "${GEN[@]}" sbom "$(sz $n)" "$BENCH_TMP/sbom-$n.cdx.json"; done
  "${GEN[@]}" sbom "$(sz 50000)" "$BENCH_TMP/sbom-50000-bumped.json" 10
  for f in "$BENCH_TMP"/sbom-*.cdx.json; do
    printf '    %s: %s bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
  done
  timed sbom-100 "$BIN" import sbom --data-dir "$d" --asset bench-sbom-100 "$BENCH_TMP/sbom-100.cdx.json"
  timed sbom-5k "$BIN" import sbom --data-dir "$d" --asset bench-sbom-5k "$BENCH_TMP/sbom-5000.cdx.json"
  timed sbom-50k "$BIN" import sbom --data-dir "$d" --asset bench-sbom-50k "$BENCH_TMP/sbom-50000.cdx.json"
  timed sbom-50k-again "$BIN" import sbom --data-dir "$d" --asset bench-sbom-50k "$BENCH_TMP/sbom-50000.cdx.json"
  timed sbom-50k-changed "$BIN" import sbom --data-dir "$d" --asset bench-sbom-50k --format cyclonedx "$BENCH_TMP/sbom-50000-bumped.json"
  timed sbom-400k "$BIN" import sbom --data-dir "$d" --asset bench-sbom-400k "$BENCH_TMP/sbom-400000.cdx.json"
}

part_accounts() {
  say "2. account import"
  local d
  d="$(demo_dir accounts)"
  make_assets "$d" saas_application bench-acc-2k bench-acc-20k
  "${GEN[@]}" people "$(sz 20000)" "$BENCH_TMP/people-20k.csv"
  "${GEN[@]}" accounts "$(sz 2000)" "$(sz 20000)" 1 "$BENCH_TMP/accounts-2k.csv"
  "${GEN[@]}" accounts "$(sz 20000)" "$(sz 20000)" 0 "$BENCH_TMP/accounts-20k.csv"
  wc -lc "$BENCH_TMP"/people-20k.csv "$BENCH_TMP"/accounts-*.csv | sed 's/^/    /'
  timed people-20k "$BIN" import people --data-dir "$d" "$BENCH_TMP/people-20k.csv"
  timed accounts-2k "$BIN" import accounts --data-dir "$d" --system bench-acc-2k "$BENCH_TMP/accounts-2k.csv"
  timed accounts-20k "$BIN" import accounts --data-dir "$d" --system bench-acc-20k "$BENCH_TMP/accounts-20k.csv"
  timed accounts-20k-again "$BIN" import accounts --data-dir "$d" --system bench-acc-20k "$BENCH_TMP/accounts-20k.csv"
}

part_findings() {
  say "3. identity findings, 10,000 people x 20 systems"
  local d s systems=()
  d="$(demo_dir findings)"
  for s in $(seq -w 1 20); do systems+=("bench-sys-$s"); done
  make_assets "$d" saas_application "${systems[@]}"
  "${GEN[@]}" people "$(sz 10000)" "$BENCH_TMP/people-10k.csv"
  timed people-10k "$BIN" import people --data-dir "$d" "$BENCH_TMP/people-10k.csv"
  for s in $(seq 0 19); do
    "${GEN[@]}" accounts "$(sz 10000)" "$(sz 10000)" "$s" "$BENCH_TMP/sys-$s.csv"
    timed "accounts-10k-sys$((s + 1))" "$BIN" import accounts --data-dir "$d" \
      --system "${systems[$s]}" "$BENCH_TMP/sys-$s.csv"
  done
  sqlite3 "$d/bulwark.db" "SELECT 'people ' || count(*) FROM people; SELECT 'accounts ' || count(*) FROM accounts;
    SELECT 'open findings ' || count(*) FROM identity_findings WHERE status = 'open';
    SELECT '  ' || kind || ' ' || count(*) FROM identity_findings WHERE status = 'open' GROUP BY kind;" |
    sed 's/^/    /'
  printf '    database: %s MiB\n' "$(du -sm "$d" | cut -f1)"
  hyperfine --warmup 1 --runs "$RUNS" --export-json "$BENCH_TMP/findings.json" \
    -n 'findings --refresh --format json' \
    "$BIN identity findings --data-dir $d --refresh --format json > /dev/null" \
    -n 'findings --format json (no refresh)' \
    "$BIN identity findings --data-dir $d --format json > /dev/null" \
    -n 'findings --refresh --format table' \
    "$BIN identity findings --data-dir $d --refresh > /dev/null"
  timed findings-refresh "$BIN" identity findings --data-dir "$d" --refresh --format json
  # The raw reads refresh() starts with, for comparison (sqlite3 shell, same file).
  say "raw reads of people and accounts with the sqlite3 shell"
  ( time sqlite3 "$d/bulwark.db" "SELECT id, name, email, status, leave_date, manager_email FROM people;
      SELECT id, system_id, username, person_id, kind, enabled, privileged, mfa, last_login, first_seen, groups FROM accounts;
      SELECT id, key, status, days, explanation, expired_exemption_id FROM identity_findings;" >/dev/null ) 2>&1 |
    sed 's/^/    /'
}

part_assets() {
  say "4. asset list, $ASSETS assets"
  local d base
  d="$(demo_dir assets)"
  serve "$d"
  base="http://127.0.0.1:$PORT"
  "${GEN[@]}" assets "$ASSETS" "$base" "$TOKEN" | sed 's/^/    /'
  printf '    assets in the database: %s\n' "$(sqlite3 "$d/bulwark.db" 'SELECT count(*) FROM assets')"
  local cursor="" next page
  page="$base/api/v1/assets?kind=server&limit=50"
  for _ in $(seq 1 40); do # up to 40 pages in: a deep cursor
    next="$(curl -fsS -H "Authorization: Bearer $TOKEN" "$page" |
      python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin).get("next_cursor") or ""))')"
    [[ -n "$next" ]] || break
    cursor="$next"
    page="$base/api/v1/assets?kind=server&limit=50&cursor=$cursor"
  done
  local urls=(
    "/api/v1/assets?kind=server&limit=50"
    "/api/v1/assets?q=vm-1&limit=50"
    "/api/v1/assets?q=site-3&limit=50"
    "/api/v1/assets?q=rack&limit=50"
    "/api/v1/assets?kind=server&limit=50&cursor=$cursor"
    "/api/v1/assets?limit=50"
    "/api/v1/assets?q=no-such-asset&limit=50"
  )
  local u
  for u in "${urls[@]}"; do
    curl -fsS -H "Authorization: Bearer $TOKEN" "$base$u" |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print("    %d items, next_cursor %s" % (len(d["items"]), "yes" if d.get("next_cursor") else "no"))'
    wrk -t2 -c64 -d3s -H "Authorization: Bearer $TOKEN" "$base$u" >/dev/null
    local lb la
    lb="$(cut -d' ' -f1 /proc/loadavg)"
    wrk -t2 -c64 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$base$u" >"$BENCH_TMP/wrk.txt"
    la="$(cut -d' ' -f1 /proc/loadavg)"
    wrk -t2 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$base$u" >"$BENCH_TMP/wrk16.txt"
    wrk -t1 -c1 -d5s --latency -H "Authorization: Bearer $TOKEN" "$base$u" >"$BENCH_TMP/wrk1.txt"
    python3 - "$u" "$BENCH_TMP/wrk.txt" "$BENCH_TMP/wrk16.txt" "$BENCH_TMP/wrk1.txt" "$lb" "$la" <<'EOF'
import re, sys
u, lb, la = sys.argv[1], sys.argv[5], sys.argv[6]
t, t16, t1 = (open(f).read() for f in sys.argv[2:5])
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)", v)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]
def stats(t):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", t)) else 0
    sock = sum(map(int, m.groups())) if (m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)) else 0
    return rps, p50, p99, non2xx + sock
rps, p50, p99, err = stats(t)
r16, s50, s99, err16 = stats(t16)
r1, q50, q99, _ = stats(t1)
short = u if len(u) < 70 else u[:60] + "…"
print(f"{short}\n    64 conn: {rps:.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, errors {err}: "
      f"{'MET' if p99 < 50 and err == 0 else 'MISSED'} (p99 < 50 ms); load {lb} before, {la} after\n"
      f"    16 conn: {r16:.0f} req/s, p50 {s50:.2f} ms, p99 {s99:.2f} ms, errors {err16}\n"
      f"    1 conn:  {r1:.0f} req/s, p50 {q50:.2f} ms, p99 {q99:.2f} ms")
EOF
  done
  printf '    server RSS after the runs: %s MiB\n' "$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$SERVER_PID/status")"
  stop_server
}

for p in "${PARTS[@]}"; do
  case "$p" in
    sbom | accounts | findings | assets) "part_$p" ;;
    *) die "unknown part $p (sbom, accounts, findings, assets)" ;;
  esac
done
