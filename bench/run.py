#!/usr/bin/python3
"""The benchmarks of docs/performance.md, in one command:

    /usr/bin/python3 bench/run.py            (make bench does the same)

Every figure is compared with its baseline in the same run: authenticated
throughput with the same file served without authentication by the same
httpd; sign-ins with mod_auth_mellon and the Shibboleth SP configured for
the same IdP.  Results: bench/out/results.json, results.md and
perf-throughput.png (docs/performance.md shows a copy)."""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import entra_idp, harness  # noqa: E402
import plot  # noqa: E402
import sipsso_sp  # noqa: E402
import stores  # noqa: E402

try:
    import peers
except ImportError:          # the peers are optional: their packages may be missing
    peers = None


def make_tenant(tmp):
    key, cert = entra_idp.make_keypair(os.path.join(tmp, "idp"))
    return entra_idp.Tenant(harness.TENANT, key, cert, "http://127.0.0.1:9")


def subjects(tmp, tenant, store_ports, with_peers, signin=False):
    """(label, factory) for every server whose authenticated throughput we
    measure; factories start the server when called."""
    out = []
    for kind in ("shmcb", "memcache", "redis"):
        if kind == "shmcb" or store_ports.get(kind):
            out.append(("mod_sipsso " + kind, lambda k=kind: sipsso_sp.SipSSO(
                os.path.join(tmp, "sp-" + k), tenant, store=k,
                store_port=store_ports.get(k), access_log=True)))
    if not signin:
        # the same with an admin's `Mutex posixsem sipsso-cache` (see
        # docs/performance.md: faster, but not released if a child dies)
        out.append(("mod_sipsso shmcb (posixsem)", lambda: sipsso_sp.SipSSO(
            os.path.join(tmp, "sp-posixsem"), tenant, extra="Mutex posixsem sipsso-cache\n",
            access_log=True)))
        # httpd maps and unmaps every static file it sends (EnableMMAP On, the
        # default); in a threaded child each munmap may interrupt the other
        # core, which a VM makes expensive (docs/performance.md).  The same
        # comparison without it, for both sides:
        out.append(("mod_sipsso shmcb (EnableMMAP Off)", lambda: sipsso_sp.SipSSO(
            os.path.join(tmp, "sp-nommap"), tenant, extra="EnableMMAP Off\n",
            access_log=True)))
    if with_peers and peers:
        out.append(("mod_auth_mellon", lambda: peers.Mellon(os.path.join(tmp, "mellon"), tenant)))
        out.append(("Shibboleth SP", lambda: peers.Shib(os.path.join(tmp, "shib"), tenant)))
    return out


def server_pids(subject):
    """The processes that serve a request: httpd, and shibd for Shibboleth
    (memcached and redis are not counted)."""
    pids = subject.server.pids()
    shibd = getattr(subject, "shibd", None)
    return pids + ([shibd.pid] if shibd is not None else [])


def throughput(subject, seconds, conns, rounds=5):
    """Authenticated GET of the small file against the same file without
    authentication on the same server.  On a shared 2-core machine two
    5-second windows in a row can differ by 5 %, so the two are
    interleaved, in alternating order (open-auth, auth-open, ...), which
    cancels a steady drift; the ratio is of the sums.  The servers' CPU time
    per request is measured alongside: unlike req/s it does not depend on
    how the cores were shared with wrk."""
    cookie = subject.session_cookie()
    got = {"open": [], "auth": []}
    cpu = {"open": [0.0, 0], "auth": [0.0, 0]}
    bad = {"non2xx": 0, "errors": 0}
    common.wrk(subject.base + "/open/small.html", conns=conns, seconds=2)   # warm-up
    runs = {"open": lambda: common.wrk(subject.base + "/open/small.html",
                                       conns=conns, seconds=seconds),
            "auth": lambda: common.wrk(subject.protected, conns=conns, seconds=seconds,
                                       headers=["Cookie: " + cookie])}
    for i in range(rounds):
        for kind in (("open", "auth") if i % 2 == 0 else ("auth", "open")):
            pids = server_pids(subject)
            before = common.cpu_seconds(pids)
            r = runs[kind]()
            cpu[kind][0] += common.cpu_seconds(pids) - before
            cpu[kind][1] += r.get("requests", 0)
            for k in bad:                # reported, not fatal: a peer may time out
                bad[k] += r[k]
            got[kind].append(r["rps"])
    open_, auth = got["open"], got["auth"]
    us = {k: 1e6 * v[0] / v[1] if v[1] else 0.0 for k, v in cpu.items()}
    return dict(bad, open_rps=sum(open_) / rounds, auth_rps=sum(auth) / rounds,
                ratio=sum(auth) / sum(open_), rounds=[a / o for a, o in zip(auth, open_)],
                cpu_us_open=us["open"], cpu_us_auth=us["auth"], cookie=cookie)


def sweep(subject, cookie, levels, seconds, path=None, repeat=3):
    """req/s at each concurrency: the median of `repeat` short runs, since a
    single run on two shared cores can be off by a fifth."""
    pts = []
    for c in levels:
        runs = sorted(common.wrk(path or subject.protected, conns=c,
                                 seconds=max(2, seconds * 2 // 3),
                                 headers=["Cookie: " + cookie] if cookie else [])["rps"]
                      for _ in range(repeat))
        pts.append((c, runs[len(runs) // 2]))
    return pts


def signins(subject, n, conns, tmp):
    """n prepared sign-ins POSTed by wrk; rate and time per sign-in from the
    server's own access log."""
    items = subject.prepare_signins(n)
    path = os.path.join(tmp, "signins-%s.txt" % subject.name)
    with open(path, "w") as f:
        for it in items:
            f.write(it["cookie"] + "\t" + it["body"] + "\n")
    threads = min(2, conns)
    # wrk always runs its full duration; stop it once every sign-in has been
    # answered (or nothing moved for 10 s), judged from the access log
    wrk = subprocess.Popen([common.WRK, "-t%d" % threads, "-c%d" % conns, "-d300s",
                            "-s", os.path.join(common.HERE, "signin.lua"), subject.base + "/",
                            "--", path, subject.acs_path, str(threads)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last, idle_since = -1, time.time()
    try:
        while wrk.poll() is None and time.time() - idle_since < 10:
            time.sleep(0.2)
            done = common.access_stats(subject.server.tmp, subject.acs_path)["count"]
            if done >= n - threads:
                break
            if done != last:
                last, idle_since = done, time.time()
    finally:
        wrk.terminate()
        wrk.wait()
    st = common.access_stats(subject.server.tmp, subject.acs_path)
    ok = sum(v for k, v in st["statuses"].items() if k in subject.ok_statuses)
    return {"prepared": n, "posted": st["count"], "ok": ok, "statuses": st["statuses"],
            "per_s": ok / st["window_s"] if st["window_s"] else 0.0, "mean_ms": st["mean_ms"],
            "conns": conns}


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    apache = subprocess.run(["/usr/sbin/apache2", "-v"], capture_output=True,
                            text=True).stdout.splitlines()[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(int(mem) / 2**20, 1),
            "kernel": platform.release(), "apache": apache,
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=5, help="per wrk run")
    ap.add_argument("--conns", type=int, default=64, help="connections for the ratio runs")
    ap.add_argument("--signins", type=int, default=3000, help="prepared sign-ins per subject")
    ap.add_argument("--levels", default="1,4,16,64,256", help="concurrency levels for the plot")
    ap.add_argument("--no-peers", action="store_true", help="skip mellon and shibboleth")
    ap.add_argument("--only", default="", help="comma list: throughput,signin,memory,vhosts,load")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    want = lambda part: not only or part in only
    levels = [int(x) for x in args.levels.split(",")]
    os.makedirs(common.OUT, exist_ok=True)
    results = {"machine": machine(), "args": vars(args)}
    tmp = tempfile.mkdtemp(prefix="sipsso-bench-")
    tenant = make_tenant(tmp)
    servers = stores.start_all()
    try:
        ports = {k: s.port for k, s in servers.items()}
        if want("throughput"):
            results["throughput"], results["sweep"] = run_throughput(
                tmp, tenant, ports, not args.no_peers, args, levels)
        if want("signin"):
            results["signin"] = run_signins(tmp, tenant, ports, not args.no_peers, args)
        if want("memory"):
            import memory
            results["memory"] = memory.run(tmp, tenant, servers.get("redis"))
    finally:
        for s in servers.values():
            s.stop()
    if want("vhosts"):
        import vhosts
        results["vhosts"] = vhosts.run([1, 100, 1000])
    if want("load"):
        import load
        results["load"] = {k: load.run(store=k, seconds=60) for k in ("shmcb", "memcache")}
    with open(os.path.join(common.OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    import report
    text = report.markdown(results)
    with open(os.path.join(common.OUT, "results.md"), "w") as f:
        f.write(text)
    print(text)


def run_throughput(tmp, tenant, ports, with_peers, args, levels):
    table, series = [], []
    base = common.Server(os.path.join(tmp, "plain"), "")   # no auth module at all
    try:
        series.append(("no authentication", sweep(None, None, levels, args.seconds,
                                                  path=base.base + "/open/small.html")))
    finally:
        base.stop()
    for label, make in subjects(tmp, tenant, ports, with_peers):
        try:
            subject = make()
        except Exception as e:           # a peer that cannot start is reported, not fatal
            table.append({"subject": label, "error": str(e)[:300]})
            continue
        try:
            r = throughput(subject, args.seconds, args.conns)
            cookie = r.pop("cookie")
            # the plot's baseline serves with httpd's defaults: a variant with
            # other settings is compared in the table only
            if "EnableMMAP" not in label:
                series.append((label, sweep(subject, cookie, levels, args.seconds)))
            r["subject"] = label
            table.append(r)
            print("throughput", label, r, flush=True)
        except Exception as e:
            table.append({"subject": label, "error": str(e)[:300]})
        finally:
            subject.stop()
    # into bench/out; copy it to docs/ together with the figures it shows
    plot.png(series, "Authenticated GET of a small static file (wrk, median of 3 runs "
             "of %d s per point)" % max(2, args.seconds * 2 // 3),
             os.path.join(common.OUT, "perf-throughput.png"))
    return table, series


# mellon 0.18 builds a LassoServer on every unauthenticated request (its
# settings live in <Location>), about 20 sign-ins/s here: fewer of them
# give the same figure without a quarter of an hour of preparation.
SIGNIN_SHARE = {"mod_auth_mellon": 0.1}


def run_signins(tmp, tenant, ports, with_peers, args):
    out = []
    for conns in (1, 8):
        base = os.path.join(tmp, "signin-c%d" % conns)
        for label, make in subjects(base, tenant, ports, with_peers, signin=True):
            n = int(args.signins * SIGNIN_SHARE.get(label, 1) / (4 if conns == 1 else 1))
            try:
                subject = make()
            except Exception as e:
                out.append({"subject": label, "conns": conns, "error": str(e)[:300]})
                continue
            try:
                r = signins(subject, max(n, 50), conns, tmp)
                r["subject"] = label
                out.append(r)
                print("signin", label, r, flush=True)
            finally:
                subject.stop()
    return out


if __name__ == "__main__":
    main()
