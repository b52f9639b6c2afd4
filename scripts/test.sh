#!/usr/bin/env bash
# Bulwark's one test command (README; `.ci/run` execs it).
#
#   scripts/test.sh [extra cargo-nextest args...]
#
# 1. Installs what the tests need, only when missing (apt-get: postgresql,
#    chromium, chromium-driver, python3-venv; PyPI: aiosmtpd in a cached venv).
# 2. Runs `cargo fmt --check` and `cargo clippy -D warnings`
#    (skip with BULWARK_SKIP_LINT=1).
# 3. Starts throw-away services on loopback, torn down at exit:
#      - a PostgreSQL cluster (temp dir, trust auth, 127.0.0.1 only),
#      - an SMTP sink (aiosmtpd, delivering into a temp Maildir),
#    and exports for the tests:
#      BULWARK_TEST_PG_URL          postgres://postgres@127.0.0.1:PORT/postgres
#      BULWARK_TEST_REQUIRE_PG      1
#      BULWARK_TEST_SMTP            127.0.0.1:PORT
#      BULWARK_TEST_MAILDIR         Maildir path (new/ cur/ tmp/)
#      BULWARK_TEST_REQUIRE_SMTP    1
#      BULWARK_TEST_CHROMEDRIVER    /usr/bin/chromedriver
#      BULWARK_TEST_CHROMIUM        /usr/bin/chromium
#      BULWARK_TEST_REQUIRE_BROWSER 1
# 4. Runs `cargo nextest run --workspace --no-fail-fast "$@"`; its summary is
#    the last thing printed and its exit code is the script's.
#
# Knobs (environment):
#   BULWARK_SKIP_LINT=1           skip fmt and clippy
#   BULWARK_TEST_SERVICES_ONLY=1  set up, self-check every service, tear down, exit
#   BULWARK_TEST_PG_PORT          PostgreSQL port (default 55432; if the default
#                                 is busy the next free one is used)
#   BULWARK_TEST_SMTP_PORT        SMTP sink port (default 2525; same rule)
#   BULWARK_TEST_PYTHON           interpreter for the venv (default python3)
#   XDG_CACHE_HOME                venv lives in ${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-test
set -euo pipefail

AIOSMTPD_VERSION=1.4.6
CHROMIUM_BIN=/usr/bin/chromium
CHROMEDRIVER_BIN=/usr/bin/chromedriver
CHROME_FLAGS=(--headless --no-sandbox --disable-gpu --disable-background-networking
  --disable-component-update --disable-sync --no-first-run --disable-quic)

export DEBIAN_FRONTEND=noninteractive

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

services_only="${BULWARK_TEST_SERVICES_ONLY:-0}"
[[ "$services_only" == 1 || "$services_only" == true ]] && services_only=1 || services_only=0

say() { printf '==> %s\n' "$*"; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

if [[ $EUID -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi

# Run a command as the PostgreSQL server's owner (postgres refuses to run as root).
as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ---------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------
pg_bin_dir() {
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/psql" ]] && printf '%s\n' "$d"
}

python_has_venv() {
  # The venv module alone is not enough: Debian splits ensurepip into python3-venv.
  "$1" -c 'import venv, ensurepip' >/dev/null 2>&1
}

apt_updated=0
apt_install() {
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/bulwark-apt.XXXXXX")"
  if [[ $apt_updated -eq 0 ]]; then
    "${SUDO[@]}" apt-get -qq -o DPkg::Lock::Timeout=300 update >"$log" 2>&1 </dev/null ||
      { cat "$log" >&2; rm -f "$log"; die "apt-get update failed"; }
    apt_updated=1
  fi
  "${SUDO[@]}" apt-get -y -qq -o DPkg::Lock::Timeout=300 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install "$@" >"$log" 2>&1 </dev/null ||
    { cat "$log" >&2; rm -f "$log"; die "apt-get install $* failed"; }
  rm -f "$log"
}

ensure_packages() {
  if pg_bin_dir >/dev/null; then
    say "postgresql already installed ($(pg_bin_dir))"
  else
    say "installing postgresql"
    apt_install postgresql
    pg_bin_dir >/dev/null || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"
  fi

  local want=()
  [[ -x "$CHROMIUM_BIN" ]] || want+=(chromium)
  [[ -x "$CHROMEDRIVER_BIN" ]] || want+=(chromium-driver)
  if [[ ${#want[@]} -eq 0 ]]; then
    say "chromium and chromium-driver already installed"
  else
    say "installing ${want[*]}"
    apt_install "${want[@]}"
    [[ -x "$CHROMIUM_BIN" && -x "$CHROMEDRIVER_BIN" ]] || die "chromium/chromedriver missing after install"
  fi

  PYTHON="${BULWARK_TEST_PYTHON:-python3}"
  if ! command -v "$PYTHON" >/dev/null 2>&1 || ! python_has_venv "$PYTHON"; then
    if [[ -x /usr/bin/python3 ]] && ! python_has_venv /usr/bin/python3; then
      say "installing python3-venv"
      apt_install python3-venv
    elif [[ ! -x /usr/bin/python3 ]]; then
      say "installing python3 python3-venv"
      apt_install python3 python3-venv
    fi
    PYTHON=/usr/bin/python3
    python_has_venv "$PYTHON" || die "no Python with a working venv module"
  fi

  if ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest (cargo install; this takes a few minutes)"
    cargo install --locked cargo-nextest
  fi
}

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
# pick_port PREFERRED EXPLICIT: print PREFERRED if it can be bound on 127.0.0.1;
# otherwise, unless EXPLICIT=1, the next bindable port after it.
pick_port() {
  "$PYTHON" - "$1" "$2" <<'PY'
import socket, sys
start, explicit = int(sys.argv[1]), sys.argv[2] == "1"
def free(p):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
candidates = [start] if explicit else list(range(start, min(start + 200, 65536)))
for p in candidates:
    if free(p):
        print(p)
        sys.exit(0)
sys.exit(1)
PY
}

# wait_port PORT PID SECONDS: wait until 127.0.0.1:PORT accepts a connection.
wait_port() {
  local port=$1 pid=$2 deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------
tmp_root=""
pg_data=""
pg_started=0
smtp_pid=""
driver_pid=""

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$?
  set +e
  if [[ -n "$driver_pid" ]]; then
    kill "$driver_pid" 2>/dev/null
    wait "$driver_pid" 2>/dev/null
  fi
  if [[ -n "$smtp_pid" ]]; then
    kill "$smtp_pid" 2>/dev/null
    wait "$smtp_pid" 2>/dev/null
  fi
  if [[ -n "${slapd_pid:-}" ]]; then # LDAP block
    kill "$slapd_pid" 2>/dev/null
    wait "$slapd_pid" 2>/dev/null
  fi
  if [[ $pg_started -eq 1 ]]; then
    (cd / && as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -s -m fast -w -t 30 stop) >/dev/null 2>&1 ||
      (cd / && as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -s -m immediate -w -t 30 stop) >/dev/null 2>&1
  fi
  if [[ -n "$tmp_root" && -d "$tmp_root" ]]; then
    rm -rf "$tmp_root"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

make_tmp_root() {
  tmp_root="$(mktemp -d "${TMPDIR:-/tmp}/bulwark-test.XXXXXX")"
  chmod 755 "$tmp_root" # the postgres user must be able to reach its data dir
}

start_postgres() {
  PG_BIN="$(pg_bin_dir)"
  local explicit=0 port
  [[ -n "${BULWARK_TEST_PG_PORT:-}" ]] && explicit=1
  port="$(pick_port "${BULWARK_TEST_PG_PORT:-55432}" "$explicit")" ||
    die "PostgreSQL port ${BULWARK_TEST_PG_PORT:-55432} is busy (set BULWARK_TEST_PG_PORT)"
  say "starting postgresql ($("$PG_BIN/postgres" -V | awk '{print $3}')) on 127.0.0.1:$port"

  local pg_root="$tmp_root/pg"
  pg_data="$pg_root/data"
  mkdir -p "$pg_root/socket"
  if [[ $EUID -eq 0 ]]; then chown -R postgres: "$pg_root"; fi
  chmod 700 "$pg_root"

  (cd "$pg_root" && as_pg "$PG_BIN/initdb" -D "$pg_data" -U postgres --auth=trust \
    -E UTF8 --no-locale --no-sync) >"$tmp_root/initdb.log" 2>&1 ||
    { cat "$tmp_root/initdb.log" >&2; die "initdb failed"; }

  as_pg tee "$pg_data/pg_hba.conf" >/dev/null <<EOF
# Throw-away test cluster: trust on the Unix socket and 127.0.0.1 only.
local all         all                trust
host  all         all  127.0.0.1/32  trust
local replication all                trust
host  replication all  127.0.0.1/32  trust
EOF
  as_pg tee -a "$pg_data/postgresql.conf" >/dev/null <<EOF

# --- bulwark scripts/test.sh ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pg_root/socket'
fsync = on
max_connections = 300
shared_buffers = 128MB
logging_collector = off
log_min_messages = warning
EOF

  (cd "$pg_root" && as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -l "$pg_root/postgres.log" \
    -s -w -t 60 start) >/dev/null 2>&1 ||
    { cat "$pg_root/postgres.log" >&2 || true; die "pg_ctl start failed"; }
  pg_started=1
  wait_port "$port" "" 30 || die "postgresql does not accept connections on $port"

  export BULWARK_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export BULWARK_TEST_REQUIRE_PG=1
}

ensure_venv() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-test"
  VENV="$cache/venv"
  mkdir -p "$cache"
  # Serialise concurrent runs creating the same venv.
  exec 9>"$cache/.lock"
  flock 9
  if "$VENV/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" \
    >/dev/null 2>&1; then
    say "SMTP sink venv ready ($VENV)"
  else
    say "creating SMTP sink venv ($VENV, aiosmtpd $AIOSMTPD_VERSION)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input \
      "aiosmtpd==$AIOSMTPD_VERSION"
  fi
  flock -u 9
  exec 9>&-
}

start_smtp() {
  ensure_venv
  local explicit=0 port
  [[ -n "${BULWARK_TEST_SMTP_PORT:-}" ]] && explicit=1
  port="$(pick_port "${BULWARK_TEST_SMTP_PORT:-2525}" "$explicit")" ||
    die "SMTP port ${BULWARK_TEST_SMTP_PORT:-2525} is busy (set BULWARK_TEST_SMTP_PORT)"
  local maildir="$tmp_root/maildir"
  # Mailbox only creates new/cur/tmp when the directory itself is missing; make them all.
  mkdir -p "$maildir/new" "$maildir/cur" "$maildir/tmp"
  say "starting SMTP sink (aiosmtpd) on 127.0.0.1:$port, Maildir $maildir"
  # -n: do not setuid to nobody (we may be root).
  "$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$port" \
    -c aiosmtpd.handlers.Mailbox "$maildir" \
    </dev/null >"$tmp_root/smtp.log" 2>&1 &
  smtp_pid=$!
  wait_port "$port" "$smtp_pid" 30 ||
    { cat "$tmp_root/smtp.log" >&2; die "SMTP sink did not start"; }

  export BULWARK_TEST_SMTP="127.0.0.1:$port"
  export BULWARK_TEST_MAILDIR="$maildir"
  export BULWARK_TEST_REQUIRE_SMTP=1
}

export_browser() {
  export BULWARK_TEST_CHROMEDRIVER="$CHROMEDRIVER_BIN"
  export BULWARK_TEST_CHROMIUM="$CHROMIUM_BIN"
  export BULWARK_TEST_REQUIRE_BROWSER=1
}

# ---------------------------------------------------------------------------
# BEGIN LDAP block: a throw-away OpenLDAP slapd for tests/ldap.rs
# ---------------------------------------------------------------------------
# Built from crates/bulwark-app/tests/fixtures/ldap/: config.ldif (cn=config, loaded with
# `slapadd -n0`; overlays dynlist for memberOf, ppolicy, lastbind) and directory.ldif (the
# fixture company, loaded with `slapadd -n1`). Listens on 127.0.0.1 only: ldap:// and ldaps://
# (a server certificate for IP 127.0.0.1 signed by a throw-away CA made with openssl).
# Exports:
#   BULWARK_TEST_LDAP_URL            ldap://127.0.0.1:PORT
#   BULWARK_TEST_LDAPS_URL           ldaps://127.0.0.1:PORT
#   BULWARK_TEST_LDAP_BASE_DN        dc=northwind,dc=test
#   BULWARK_TEST_LDAP_BIND_DN        the read-only reader's DN
#   BULWARK_TEST_LDAP_PASSWORD_FILE  its password (no trailing newline)
#   BULWARK_TEST_LDAP_CA             the CA certificate (PEM) that signed the server's
#   BULWARK_TEST_REQUIRE_LDAP        1
# Knob: BULWARK_TEST_LDAP_PORT (default 38900; ldaps uses the next free port after it).
LDAP_FIXTURES="$repo_root/crates/bulwark-app/tests/fixtures/ldap"
LDAP_BASE_DN="dc=northwind,dc=test"
LDAP_BIND_DN="cn=bulwark-reader,ou=services,$LDAP_BASE_DN"
LDAP_BIND_PASSWORD="reader-test-secret-7Qx" # test-only; directory.ldif holds its hash
SLAPD_BIN=/usr/sbin/slapd
slapd_pid=""

ensure_slapd() {
  if [[ -x "$SLAPD_BIN" && -x /usr/sbin/slapadd ]] && command -v ldapwhoami >/dev/null 2>&1; then
    say "slapd and ldap-utils already installed"
    return
  fi
  say "installing slapd ldap-utils"
  # No system slapd: debconf's no_configuration leaves /etc/ldap/slapd.d empty, and a
  # policy-rc.d that denies every start (unless the host already has one) keeps the
  # maintainer scripts from starting the service.
  echo 'slapd slapd/no_configuration boolean true' | "${SUDO[@]}" debconf-set-selections
  local own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  local rc=0
  (apt_install slapd ldap-utils) || rc=$?
  [[ $own_policy -eq 1 ]] && "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
  [[ $rc -eq 0 ]] || exit "$rc"
  # Should a system slapd have started anyway, stop it; ours runs on its own ports.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet slapd 2>/dev/null; then
    "${SUDO[@]}" systemctl disable --now slapd >/dev/null 2>&1 || true
  fi
  [[ -x "$SLAPD_BIN" && -x /usr/sbin/slapadd ]] || die "slapd installed but $SLAPD_BIN or slapadd missing"
}

start_ldap() {
  local explicit=0 port tls_port dir="$tmp_root/ldap"
  [[ -n "${BULWARK_TEST_LDAP_PORT:-}" ]] && explicit=1
  port="$(pick_port "${BULWARK_TEST_LDAP_PORT:-38900}" "$explicit")" ||
    die "LDAP port ${BULWARK_TEST_LDAP_PORT:-38900} is busy (set BULWARK_TEST_LDAP_PORT)"
  tls_port="$(pick_port $((port + 1)) 0)" || die "no free port for ldaps after $port"
  say "starting slapd ($("$SLAPD_BIN" -VV 2>&1 | grep -o 'slapd [0-9.]*' | head -n 1)) on" \
    "127.0.0.1:$port (ldap) and :$tls_port (ldaps)"
  mkdir -p "$dir/slapd.d" "$dir/data"

  # A throw-away CA and a server certificate for IP 127.0.0.1 only (so ldaps://localhost is a
  # name mismatch), valid for two days.
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  {
    openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=Bulwark test LDAP CA" \
      -keyout "$dir/ca.key" -out "$dir/ca.crt" &&
      openssl req -new "${ec[@]}" -subj "/CN=127.0.0.1" \
        -keyout "$dir/server.key" -out "$dir/server.csr" &&
      openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 2 -out "$dir/server.crt" -extfile <(printf '%s\n' \
          'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
          'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1')
  } >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; die "openssl could not make the LDAP certificates"; }

  sed "s|@DIR@|$dir|g" "$LDAP_FIXTURES/config.ldif" >"$dir/config.ldif"
  if ! { slapadd -q -n0 -F "$dir/slapd.d" -l "$dir/config.ldif" &&
    slapadd -q -n1 -F "$dir/slapd.d" -l "$LDAP_FIXTURES/directory.ldif"; } >"$dir/slapadd.log" 2>&1; then
    cat "$dir/slapadd.log" >&2
    die "slapadd of the LDAP fixtures failed"
  fi

  # -d 0: stay in the foreground (so the pid is ours to stop) without debug output.
  "$SLAPD_BIN" -d 0 -F "$dir/slapd.d" -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$tls_port/" \
    </dev/null >"$dir/slapd.log" 2>&1 &
  slapd_pid=$!
  if ! { wait_port "$port" "$slapd_pid" 30 && wait_port "$tls_port" "$slapd_pid" 30; }; then
    cat "$dir/slapd.log" >&2
    die "slapd did not start"
  fi

  printf '%s' "$LDAP_BIND_PASSWORD" >"$dir/reader.password"
  chmod 600 "$dir/reader.password"
  export BULWARK_TEST_LDAP_URL="ldap://127.0.0.1:$port"
  export BULWARK_TEST_LDAPS_URL="ldaps://127.0.0.1:$tls_port"
  export BULWARK_TEST_LDAP_BASE_DN="$LDAP_BASE_DN"
  export BULWARK_TEST_LDAP_BIND_DN="$LDAP_BIND_DN"
  export BULWARK_TEST_LDAP_PASSWORD_FILE="$dir/reader.password"
  export BULWARK_TEST_LDAP_CA="$dir/ca.crt"
  export BULWARK_TEST_REQUIRE_LDAP=1
}

check_ldap() {
  say "check: ldapwhoami over ldap:// and ldaps://, ldapsearch counts the fixture's people"
  local url out
  for url in "$BULWARK_TEST_LDAP_URL" "$BULWARK_TEST_LDAPS_URL"; do
    out="$(LDAPTLS_CACERT="$BULWARK_TEST_LDAP_CA" LDAPTLS_REQCERT=demand ldapwhoami -x -H "$url" \
      -D "$BULWARK_TEST_LDAP_BIND_DN" -y "$BULWARK_TEST_LDAP_PASSWORD_FILE" 2>&1)" ||
      die "ldapwhoami on $url failed: $out"
    [[ "$out" == "dn:$BULWARK_TEST_LDAP_BIND_DN" ]] || die "ldapwhoami on $url said: $out"
  done
  out="$(ldapsearch -x -LLL -H "$BULWARK_TEST_LDAP_URL" -D "$BULWARK_TEST_LDAP_BIND_DN" \
    -y "$BULWARK_TEST_LDAP_PASSWORD_FILE" -b "ou=people,$BULWARK_TEST_LDAP_BASE_DN" \
    '(uid=*)' memberOf | grep -c '^dn:')" || die "ldapsearch failed"
  [[ "$out" == 36 ]] || die "ldapsearch found $out people, expected 36"
}
# ---------------------------------------------------------------------------
# END LDAP block
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# Services-only self-check
# ---------------------------------------------------------------------------
check_services() {
  say "exported for the tests:"
  env | grep '^BULWARK_TEST_' | grep -v '^BULWARK_TEST_SERVICES_ONLY=' | sort | sed 's/^/    /'

  say "check: psql select 1 and create/drop database"
  local out db="bulwark_probe_$$"
  out="$("$PG_BIN/psql" "$BULWARK_TEST_PG_URL" -X -q -v ON_ERROR_STOP=1 -Atc 'select 1')" ||
    die "psql select 1 failed"
  [[ "$out" == 1 ]] || die "psql select 1 returned '$out'"
  "$PG_BIN/psql" "$BULWARK_TEST_PG_URL" -X -q -v ON_ERROR_STOP=1 \
    -c "create database $db" -c "drop database $db" >/dev/null ||
    die "create/drop database failed"
  out="$("$PG_BIN/psql" "$BULWARK_TEST_PG_URL" -X -Atc 'show fsync')"
  [[ "$out" == on ]] || die "fsync is '$out'"

  say "check: smtplib mail lands in \$BULWARK_TEST_MAILDIR/new"
  "$PYTHON" - <<'PY' || die "SMTP check failed"
import os, smtplib, time
from email.message import EmailMessage
host, port = os.environ["BULWARK_TEST_SMTP"].rsplit(":", 1)
msg = EmailMessage()
msg["From"] = "probe@bulwark.test"
msg["To"] = "officer@bulwark.test"
msg["Subject"] = "bulwark smtp probe"
msg.set_content("hello from scripts/test.sh\n")
with smtplib.SMTP(host, int(port), timeout=10) as s:
    s.send_message(msg)
new = os.path.join(os.environ["BULWARK_TEST_MAILDIR"], "new")
deadline = time.time() + 10
while time.time() < deadline:
    for name in os.listdir(new):
        with open(os.path.join(new, name), "rb") as f:
            if b"Subject: bulwark smtp probe" in f.read():
                raise SystemExit(0)
    time.sleep(0.1)
raise SystemExit("no message in " + new)
PY

  say "check: chromium --headless --dump-dom of a data: URL"
  out="$(timeout 90 "$CHROMIUM_BIN" "${CHROME_FLAGS[@]}" \
    --user-data-dir="$tmp_root/chrome-profile" \
    --dump-dom 'data:text/html,<title>probe</title><p id="p">bulwark-dom-ok</p>' \
    2>"$tmp_root/chromium.log")" ||
    { tail -n 30 "$tmp_root/chromium.log" >&2; die "chromium --dump-dom failed"; }
  [[ "$out" == *bulwark-dom-ok* ]] ||
    { tail -n 30 "$tmp_root/chromium.log" >&2; die "chromium --dump-dom printed: $out"; }

  say "check: chromedriver answers /status and drives headless chromium"
  local dport
  dport="$(pick_port 9515 0)" || die "no free port for chromedriver"
  "$CHROMEDRIVER_BIN" --port="$dport" </dev/null >"$tmp_root/chromedriver.log" 2>&1 &
  driver_pid=$!
  wait_port "$dport" "$driver_pid" 30 ||
    { cat "$tmp_root/chromedriver.log" >&2; die "chromedriver did not start"; }
  DRIVER_URL="http://127.0.0.1:$dport" PROFILE="$tmp_root/chrome-profile-wd" \
    "$PYTHON" - "${CHROME_FLAGS[@]}" <<'PY' || die "chromedriver check failed"
import json, os, sys, urllib.request
base = os.environ["DRIVER_URL"]
def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)
status = call("GET", "/status")["value"]
assert status.get("ready") is True, status
caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
    "binary": os.environ["BULWARK_TEST_CHROMIUM"],
    "args": sys.argv[1:] + ["--user-data-dir=" + os.environ["PROFILE"]]}}}}
sid = call("POST", "/session", caps)["value"]["sessionId"]
try:
    call("POST", f"/session/{sid}/url", {"url": "data:text/html,<title>bulwark-wd-ok</title>"})
    title = call("GET", f"/session/{sid}/title")["value"]
    assert title == "bulwark-wd-ok", title
finally:
    call("DELETE", f"/session/{sid}")
PY
  kill "$driver_pid" 2>/dev/null || true
  wait "$driver_pid" 2>/dev/null || true
  driver_pid=""
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
ensure_packages
ensure_slapd # LDAP block

if [[ $services_only -eq 0 ]]; then
  if [[ "${BULWARK_SKIP_LINT:-0}" == 1 ]]; then
    say "skipping cargo fmt and clippy (BULWARK_SKIP_LINT=1)"
  else
    say "cargo fmt --all -- --check"
    cargo fmt --all -- --check
    say "cargo clippy --workspace --all-targets -- -D warnings"
    cargo clippy --workspace --all-targets -- -D warnings
  fi
fi

make_tmp_root
start_postgres
start_smtp
export_browser
start_ldap # LDAP block

if [[ $services_only -eq 1 ]]; then
  check_services
  check_ldap # LDAP block
  say "services-only: all checks passed in ${SECONDS}s; tearing down"
  exit 0
fi

say "cargo nextest run --workspace --no-fail-fast $*"
# Nothing is printed after this, so nextest's summary is the closing line.
status=0
cargo nextest run --workspace --no-fail-fast "$@" || status=$?
exit "$status"
