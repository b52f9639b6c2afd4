# Shared helpers for the bench/ scripts (sourced, not run).
#
# Provides: say, die, build_release, free_port, pg_start (a throw-away PostgreSQL cluster
# under /tmp, trust auth, 127.0.0.1 only, removed at exit), bench_cleanup.
# shellcheck shell=bash

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BENCH_BIN:-${CARGO_TARGET_DIR:-$repo_root/target}/release/bulwark}"
export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*" >&2; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

if [[ $EUID -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi

# Where a run writes its data directories and logs.
BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/bulwark-bench.XXXXXX")"
chmod 755 "$BENCH_TMP"

# Processes and clusters to stop at exit.
bench_pids=()
pg_data=""
PG_BIN=""

as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bench_cleanup() {
  local p
  for p in "${bench_pids[@]}"; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  if [[ -n "$pg_data" && -d "$pg_data" ]]; then
    (cd / && as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -s -m fast -w -t 30 stop) >/dev/null 2>&1 ||
      (cd / && as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -s -m immediate -w -t 30 stop) >/dev/null 2>&1 ||
      true
  fi
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
    say "kept $BENCH_TMP (BENCH_KEEP=1)"
  else
    rm -rf "$BENCH_TMP"
  fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

apt_install() {
  "${SUDO[@]}" apt-get -qq -o DPkg::Lock::Timeout=300 update >/dev/null 2>&1 </dev/null || true
  "${SUDO[@]}" apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$@" \
    >/dev/null 2>&1 </dev/null || die "apt-get install $* failed"
}

need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || { say "installing $2"; apt_install "$2"; }
  command -v "$1" >/dev/null 2>&1 || die "$1 is missing after installing $2"
}

# One release build into $CARGO_TARGET_DIR (default target/), where BIN is then found; skipped
# with BENCH_SKIP_BUILD=1 when that binary is current, or BENCH_BIN=PATH to measure another
# binary (e.g. a debug build while editing these scripts).
build_release() {
  if [[ -n "${BENCH_BIN:-}" || "${BENCH_SKIP_BUILD:-0}" == 1 ]]; then
    [[ -x "$BIN" ]] || die "no binary at $BIN"
    say "using existing $BIN (BENCH_BIN / BENCH_SKIP_BUILD), built $(date -u -r "$BIN" +%Y-%m-%dT%H:%M:%SZ)"
    return
  fi
  say "cargo build --release -p bulwark (target dir: ${CARGO_TARGET_DIR:-target})"
  (cd "$repo_root" && cargo build --release -p bulwark) || die "release build failed"
}

# A TCP port no socket uses (listening or connected), from $1 (default 21000) up. The default
# range is below the kernel's ephemeral ports (ip_local_port_range, usually 32768-60999), so
# outgoing connections do not take it between this check and the server's bind.
free_port() {
  local p
  for ((p = ${1:-21000}; p < 32000; p++)); do
    if [[ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]] &&
      ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      printf '%s\n' "$p"
      return
    fi
  done
  die "no free port"
}

pg_bin_dir() {
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]] && printf '%s\n' "$d"
}

# Starts a throw-away cluster; sets PG_PORT and PG_BASE (postgres://postgres@127.0.0.1:PORT).
# Returns non-zero (with a message) when PostgreSQL cannot be installed or started.
pg_start() {
  if ! PG_BIN="$(pg_bin_dir)"; then
    say "installing postgresql"
    apt_install postgresql || return 1
    PG_BIN="$(pg_bin_dir)" || { say "no initdb after installing postgresql"; return 1; }
  fi
  need psql postgresql-client
  local root="$BENCH_TMP/pg"
  mkdir -p "$root"
  pg_data="$root/data"
  [[ $EUID -eq 0 ]] && chown postgres: "$root"
  PG_PORT="$(free_port 25500)"
  (cd "$root" && as_pg "$PG_BIN/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 \
    --no-locale --no-sync) >"$BENCH_TMP/initdb.log" 2>&1 ||
    { cat "$BENCH_TMP/initdb.log" >&2; pg_data=""; return 1; }
  (cd "$root" && as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -l "$root/postgres.log" -s -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $root -c max_connections=100" start) \
    >/dev/null 2>&1 || { cat "$root/postgres.log" >&2; return 1; }
  PG_BASE="postgres://postgres@127.0.0.1:$PG_PORT"
  say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

# Creates an empty database in the cluster and prints its URL.
pg_create_db() {
  psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE $1" >/dev/null ||
    die "CREATE DATABASE $1 failed"
  printf '%s/%s\n' "$PG_BASE" "$1"
}

# Machine facts for the report.
machine_facts() {
  printf 'date:    %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'commit:  %s\n' "$(cd "$repo_root" && git rev-parse --short HEAD)$(cd "$repo_root" &&
    git diff --quiet HEAD -- crates Cargo.toml Cargo.lock || echo ' (+ uncommitted changes)')"
  printf 'cpu:     %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'nproc:   %s\n' "$(nproc)"
  printf 'memory:  %s MiB\n' "$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)"
  printf 'kernel:  %s\n' "$(uname -r)"
  printf 'load:    %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
}
