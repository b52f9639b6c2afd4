#!/usr/bin/env python3
"""Starts a command, measures the time from exec until a URL answers 200, optionally reads the
process's resident memory some seconds later, then stops it with SIGTERM.

    ready.py --url http://127.0.0.1:PORT/readyz [--rss-after 5] [--log FILE] -- CMD ARGS...

Prints one JSON object: {"ready_ms": float, "rss_kib": int|null, "exit": int}.
The clock starts just before the exec (Python's own start-up is not counted); /readyz is polled
every 5 ms, so the figure is at most ~5 ms late plus one request.
"""

import argparse
import http.client
import json
import signal
import subprocess
import sys
import time
import urllib.parse

POLL_S = 0.005


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def ready(host, port, path):
    c = http.client.HTTPConnection(host, port, timeout=2)
    try:
        c.request("GET", path)
        return c.getresponse().status == 200
    except OSError:
        return False
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--rss-after", type=float, default=None)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    u = urllib.parse.urlsplit(a.url)
    log = open(a.log, "ab")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    ready_ms = None
    try:
        while time.monotonic() - t0 < a.timeout:
            if p.poll() is not None:
                sys.exit(f"server exited with {p.returncode} before it was ready (log: {a.log})")
            if ready(u.hostname, u.port, u.path or "/"):
                ready_ms = (time.monotonic() - t0) * 1000
                break
            time.sleep(POLL_S)
        if ready_ms is None:
            sys.exit(f"not ready after {a.timeout} s (log: {a.log})")
        rss = None
        if a.rss_after is not None:
            time.sleep(a.rss_after)
            rss = rss_kib(p.pid)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    print(json.dumps({"ready_ms": round(ready_ms, 1), "rss_kib": rss, "exit": p.returncode}))


if __name__ == "__main__":
    main()
