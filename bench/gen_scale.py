#!/usr/bin/env python3
"""Synthetic input for bench/scale.sh (issue 3), deterministic (no randomness), and a bulk
asset creator that goes through the API.

    gen_scale.py sbom N OUT [BUMP]               CycloneDX 1.5 JSON with N library components
                                                 (BUMP: every BUMP-th component one patch version up)
    gen_scale.py people N OUT                    HR CSV with N people (2 % leavers)
    gen_scale.py accounts N PEOPLE SYSTEM OUT    accounts CSV for system number SYSTEM (0-based)
    gen_scale.py assets N BASE_URL TOKEN         POST N assets over 4 keep-alive connections

People are p00001@corp.example … ; person i is E{i:05}, "Given{i} Family{i}", in department
D{i % 40}, managed by the first person of their block of 20, a leaver (leave date 2026-06-30)
when i % 50 == 0.

Accounts of system s: every person i with (i + s) % 20 != 0 (95 %) has account u{i:05} with
their email, so it links by email; the rest of the N rows are accounts of outsiders
(x{s:02}-{k:05}@partner.example, on no HR file: orphaned). Planted problems besides: leavers'
accounts stay enabled (leaver_enabled), i % 37 == s % 37 last signed in 2025-01-15 (dormant),
i % 100 == s % 100 is privileged and, when also i % 3 == 0, without MFA; 5 accounts a system are
named like shared ones (helpdesk-NN, scanner-NN); 3 % are disabled. Groups: "staff;dept-D…",
plus "approvers" on systems 0/2/4… and "payments" on 1/3/5… for every 10th person.
"""

import concurrent.futures
import http.client
import json
import sys
import time
import urllib.parse

DOMAIN = "corp.example"


def sbom(n, out, bump=0):
    with open(out, "w") as f:
        f.write('{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,'
                '"serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",'
                '"metadata":{"timestamp":"2026-11-01T08:00:00Z",'
                '"component":{"type":"application","name":"bench-app","version":"1.0.0"}},'
                '"components":[\n')
        eco = ["npm", "pypi", "maven", "golang", "cargo"]
        for i in range(n):
            e = eco[i % len(eco)]
            name = f"pkg-{i:06d}"
            ver = f"{i % 7}.{i % 13}.{i % 29 + (1 if bump and i % bump == 0 else 0)}"
            if e == "maven":
                purl = f"pkg:maven/org.bench/{name}@{ver}"
                group = ',"group":"org.bench"'
            else:
                purl = f"pkg:{e}/{name}@{ver}"
                group = ""
            c = (f'{{"type":"library","bom-ref":"{purl}"{group},"name":"{name}","version":"{ver}",'
                 f'"purl":"{purl}","licenses":[{{"license":{{"id":"MIT"}}}}],'
                 f'"hashes":[{{"alg":"SHA-256","content":"{i:064x}"}}]}}')
            f.write(c + (",\n" if i + 1 < n else "\n"))
        f.write("]}\n")


def people(n, out):
    with open(out, "w") as f:
        f.write("employee_id,name,email,department,manager_email,status,start_date,leave_date\n")
        for i in range(1, n + 1):
            boss = (i - 1) // 20 * 20 + 1
            mgr = "" if boss == i else f"p{boss:05d}@{DOMAIN}"
            leaver = i % 50 == 0
            f.write(f"E{i:05d},Given{i} Family{i},p{i:05d}@{DOMAIN},D{i % 40},{mgr},"
                    f"{'leaver' if leaver else 'active'},2020-01-01,{'2026-06-30' if leaver else ''}\n")


def accounts(n, npeople, s, out):
    rows = 0
    with open(out, "w") as f:
        f.write("username,email,display_name,privileged,mfa,last_login,groups,status\n")

        def row(user, email, name, priv, mfa, last, groups, status):
            nonlocal rows
            rows += 1
            f.write(f"{user},{email},{name},{str(priv).lower()},{str(mfa).lower()},{last},"
                    f"{groups},{status}\n")

        for i in range(1, npeople + 1):
            if rows >= n - 5:
                break
            if (i + s) % 20 == 0:
                continue
            priv = i % 100 == s % 100
            mfa = not (priv and i % 3 == 0)
            last = "2025-01-15T08:00:00Z" if i % 37 == s % 37 else "2026-11-20T08:00:00Z"
            groups = f"staff;dept-{i % 40}"
            if i % 10 == 0:
                groups += ";approvers" if s % 2 == 0 else ";payments"
            status = "disabled" if i % 33 == 1 else "enabled"
            row(f"u{i:05d}", f"p{i:05d}@{DOMAIN}", f"Given{i} Family{i}", priv, mfa, last, groups,
                status)
        for k in range(5):
            row(f"{'helpdesk' if k % 2 else 'scanner'}-{s:02d}{k}", "", "Shared", False, False,
                "2026-11-20T08:00:00Z", "staff", "enabled")
        k = 0
        while rows < n:
            k += 1
            row(f"x{s:02d}-{k:05d}", f"x{s:02d}-{k:05d}@partner.example", f"Partner {k}", False,
                True, "2026-11-20T08:00:00Z", "staff", "enabled")


KINDS = ["server", "workstation", "laptop", "mobile_device", "network_device", "iot_device",
         "cloud_service", "saas_application", "data_store", "business_service"]


def assets(n, base, token, conns=4):
    """Creates n assets in the kinds above, round robin, through
    POST /api/v1/assets on `conns` keep-alive connections (threads); prints the count and rate.
    Servers are named vm-NNNNN, so q=vm-1 matches a tenth of them."""
    u = urllib.parse.urlsplit(base)
    hdr = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def work(start):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        for i in range(start, n, conns):
            kind = KINDS[i % len(KINDS)]
            name = f"vm-{i:05d}" if kind == "server" else f"{kind.replace('_', '-')}-{i:05d}"
            body = json.dumps({"name": name, "kind": kind,
                               "description": f"bench asset {i} in rack {i % 97}",
                               "location": f"site-{i % 12}"})
            conn.request("POST", "/api/v1/assets", body, hdr)
            r = conn.getresponse()
            data = r.read()
            if r.status not in (200, 201):
                raise SystemExit(f"asset {i}: HTTP {r.status}: {data[:300]!r}")

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(conns) as ex:
        for f in [ex.submit(work, k) for k in range(conns)]:
            f.result()
    dt = time.perf_counter() - t0
    print(f"{n} assets in {dt:.1f} s ({n / dt:.0f}/s, {conns} keep-alive connections)")


def main():
    a = sys.argv[1:]
    if a[:1] == ["sbom"]:
        sbom(int(a[1]), a[2], int(a[3]) if len(a) > 3 else 0)
    elif a[:1] == ["people"]:
        people(int(a[1]), a[2])
    elif a[:1] == ["accounts"]:
        accounts(int(a[1]), int(a[2]), int(a[3]), a[4])
    elif a[:1] == ["assets"]:
        assets(int(a[1]), a[2], a[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
