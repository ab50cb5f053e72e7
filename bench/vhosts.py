#!/usr/bin/python3
"""Startup time and memory with many virtual hosts, each its own SP with its
own Entra tenant (generated configs), against a baseline of the same vhosts
without mod_sipsso.

For each vhost count N (default 1, 100, 1000) and each variant:

  baseline        the N vhosts, mod_sipsso not loaded, no SipSSO directives
  sipsso          every vhost an SP (own entity ID, own tenant: IdP entity ID,
                  login URL, certificate); SipSSOSessionCache left at its default
  sipsso-shared   the same, plus `SipSSOSessionCache shmcb` once at server level
                  (what an admin would write to be sure there is one store)

it measures

  start_s     exec of `apache2 -f conf -DFOREGROUND` until the port accepts a
              TCP connection (median of --runs).  httpd binds its listener
              before post_config, so this alone says little: hence
  ready_s     exec until the first HTTP response (to one vhost's /app/) has
              arrived: configuration read twice, post_config twice, children
              started (median of --runs)
  check_s     `apache2 -t` (median of --runs); no post_config there
  memory      VmRSS, RssAnon, RssShmem of the parent and of each child after
              startup, and PSS from /proc/<pid>/smaps_rollup (children share
              most pages with the parent, so the PSS sum is the real total)
  redirect    GET /app/ on the first, middle and last vhost: a 302 to that
              vhost's own tenant login URL proves the configuration is live

Prints a markdown table, writes bench/out/vhosts.json.  Certificates (one
RSA-2048 key, one self-signed certificate per tenant) are cached in
bench/out/vhosts-certs.
"""
import argparse
import datetime as dt
import http.client
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402

CERT_DIR = os.path.join(common.OUT, "vhosts-certs")


VARIANTS = ("baseline", "sipsso", "sipsso-shared")


def tenant(i):
    """A stable tenant GUID per vhost index (so the cert cache stays valid)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "sipsso-bench-tenant-%d" % i))


# ---------------------------------------------------------------- certificates

def _entra_style(der_b64):
    lines = [der_b64[i:i + 64] for i in range(0, len(der_b64), 64)]
    return "\r\n".join(["-----BEGIN CERTIFICATE-----"] + lines +
                       ["-----END CERTIFICATE-----"])


def ensure_certs(n):
    """CERT_DIR/tenant-<i>.cer for i < n, all signed by one RSA-2048 key, each
    with its own subject and serial: Entra style (CRLF, no final newline)."""
    os.makedirs(CERT_DIR, exist_ok=True)
    paths = [os.path.join(CERT_DIR, "tenant-%d.cer" % i) for i in range(n)]
    missing = [i for i, p in enumerate(paths) if not os.path.exists(p)]
    if not missing:
        return paths
    key_path = os.path.join(CERT_DIR, "key.pem")
    try:
        _certs_cryptography(key_path, paths, missing)
    except ImportError:
        _certs_openssl(key_path, paths, missing)
    return paths


def _certs_cryptography(key_path, paths, missing):
    import base64
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    if os.path.exists(key_path):
        key = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    now = dt.datetime.utcnow().replace(microsecond=0)
    for i in missing:
        name = x509.Name([x509.NameAttribute(
            NameOID.COMMON_NAME, "Microsoft Azure Federated SSO Certificate %s" % tenant(i))])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=3 * 365))
                .sign(key, hashes.SHA256()))
        der = cert.public_bytes(serialization.Encoding.DER)
        with open(paths[i], "w", newline="") as f:
            f.write(_entra_style(base64.b64encode(der).decode()))


def _certs_openssl(key_path, paths, missing):
    import base64
    if not os.path.exists(key_path):
        subprocess.run(["openssl", "genrsa", "-out", key_path, "2048"], check=True,
                       capture_output=True)
    for i in missing:
        der = subprocess.run(
            ["openssl", "req", "-new", "-x509", "-key", key_path, "-days", "1095",
             "-set_serial", str(1000 + i), "-outform", "DER",
             "-subj", "/CN=Microsoft Azure Federated SSO Certificate %s" % tenant(i)],
            check=True, capture_output=True).stdout
        with open(paths[i], "w", newline="") as f:
            f.write(_entra_style(base64.b64encode(der).decode()))


# ---------------------------------------------------------------- configs

def vhost_body(n, port, variant, certs):
    out = []
    if variant == "sipsso-shared":
        out.append("SipSSOSessionCache shmcb\n")
    for i in range(n):
        lines = ["<VirtualHost 127.0.0.1:%d>" % port,
                 "  ServerName app%d.example" % i]
        if variant == "baseline":
            lines += ["  <Location /app>", "    Require all granted", "  </Location>"]
        else:
            t = tenant(i)
            lines += ["  SipSSOEntityID https://app%d.example/sipsso/metadata" % i,
                      "  SipSSOIdPEntityID https://sts.windows.net/%s/" % t,
                      "  SipSSOIdPLoginURL https://login.microsoftonline.com/%s/saml2" % t,
                      "  SipSSOIdPCertificate %s" % certs[i],
                      "  <Location /app>", "    AuthType SipSSO",
                      "    Require valid-user", "  </Location>"]
        lines.append("</VirtualHost>")
        out.append("\n".join(lines))
    return "\n".join(out) + "\n"


def loads_for(variant):
    if variant == "baseline":
        return ""
    return "LoadModule sipsso_module %s\n" % common.module_so()


# ---------------------------------------------------------------- measuring

def get(port, host, path, timeout=120):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("Location")
    finally:
        c.close()


def cpu_s(pid):
    """utime + stime of a process so far, in seconds: unlike wall time, not
    inflated when other work shares the cores."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_children(srv, want=2, timeout=30):
    """Until `want` children exist and their RSS has stopped growing."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        kids = common.harness.children_of(srv.proc.pid)
        if len(kids) >= want:
            now = sorted(common.rss_kib(int(k)) for k in kids)
            if now == last:
                return
            last = now
        time.sleep(0.25)


def one_start(n, variant, certs, tmpbase, measure_memory):
    """Start, time, probe, (measure), stop.  Returns a dict."""
    tmp = tempfile.mkdtemp(prefix="vh-%s-%d-" % (variant, n), dir=tmpbase)
    port = common.harness.free_port()
    body = vhost_body(n, port, variant, certs)
    res = {}
    t0 = time.monotonic()
    srv = common.Server(tmp, body, loads=loads_for(variant), port=port,
                        start_timeout=600)
    try:
        res["start_s"] = time.monotonic() - t0
        mid = n // 2
        status, loc = get(port, "app%d.example" % mid, "/app/")
        res["ready_s"] = time.monotonic() - t0
        res["cpu_s"] = cpu_s(srv.proc.pid)
        probes = []
        for i in sorted({0, mid, n - 1}):
            st, lo = (status, loc) if i == mid else get(port, "app%d.example" % i, "/app/")
            want = "https://login.microsoftonline.com/%s/saml2" % tenant(i)
            ok = (st == 302 and lo is not None and lo.startswith(want + "?")) \
                if variant != "baseline" else st < 500
            probes.append({"vhost": i, "status": st,
                           "location": (lo or "")[:80], "ok": ok})
        res["probes"] = probes
        if measure_memory:
            wait_children(srv)
            parent = srv.proc.pid
            kids = [int(k) for k in common.harness.children_of(parent)]
            res["parent"] = common.proc_mem(parent)
            res["children"] = [common.proc_mem(k) for k in kids]
            res["pss_total_kib"] = res["parent"].get("Pss", 0) + \
                sum(c.get("Pss", 0) for c in res["children"])
            res["error_log_lines"] = sum(1 for _ in open(os.path.join(tmp, "error.log"),
                                                        errors="replace"))
            res["shm_segments"] = _sysv_shm(parent)
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def _sysv_shm(pid):
    """Shared-memory mappings of the parent (shmcb lives in one)."""
    out = []
    try:
        with open("/proc/%d/maps" % pid) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and ("SYSV" in parts[5] or parts[5].startswith("/dev/zero")
                                         or "sipsso" in parts[5]):
                    a, b = (int(x, 16) for x in parts[0].split("-"))
                    out.append({"map": parts[5], "kib": (b - a) // 1024})
    except OSError:
        pass
    return out


def config_check(n, variant, certs, tmpbase):
    """Seconds for `apache2 -t` on the same config."""
    tmp = tempfile.mkdtemp(prefix="vhc-%s-%d-" % (variant, n), dir=tmpbase)
    try:
        port = common.harness.free_port()
        # Write the config exactly as Server would, without starting it.
        conf = os.path.join(tmp, "httpd.conf")
        mods = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, common.MODDIR, m)
                         for m in common.BASE_MODULES)
        for d in ("htdocs", "run"):
            os.makedirs(os.path.join(tmp, d), exist_ok=True)
        with open(conf, "w") as f:
            f.write(common.BENCH_CONF.format(
                tmp=tmp, port=port, loads=mods + "\n" + loads_for(variant),
                body=vhost_body(n, port, variant, certs), access="", loglevel="warn"))
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        p = subprocess.run([common.APACHE, "-f", conf, "-t"], capture_output=True,
                           text=True, timeout=600)
        el = time.monotonic() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            raise RuntimeError("apache2 -t failed: " + p.stderr[-2000:])
        return el, (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(n, variant, certs, runs, tmpbase):
    starts = []
    for r in range(runs):
        starts.append(one_start(n, variant, certs, tmpbase,
                                measure_memory=(r == runs - 1)))
    checks = [config_check(n, variant, certs, tmpbase) for _ in range(runs)]
    last = starts[-1]
    return {
        "vhosts": n, "variant": variant, "runs": runs,
        "start_s": statistics.median(s["start_s"] for s in starts),
        "ready_s": statistics.median(s["ready_s"] for s in starts),
        "check_s": statistics.median(c[0] for c in checks),
        "check_cpu_s": statistics.median(c[1] for c in checks),
        "cpu_s": statistics.median(s["cpu_s"] for s in starts),
        "ready_s_min": min(s["ready_s"] for s in starts),
        "cpu_s_all": [round(s["cpu_s"], 3) for s in starts],
        "loadavg_1min": os.getloadavg()[0],
        "start_s_all": [round(s["start_s"], 4) for s in starts],
        "ready_s_all": [round(s["ready_s"], 4) for s in starts],
        "check_s_all": [round(c[0], 4) for c in checks],
        "parent": last["parent"], "children": last["children"],
        "pss_total_kib": last["pss_total_kib"],
        "shm": last["shm_segments"],
        "error_log_lines": last["error_log_lines"],
        "probes": last["probes"],
        "live": all(p["ok"] for s in starts for p in s["probes"]),
    }


def run(n_list=(1, 100, 1000), runs=3, variants=VARIANTS):
    """Run every variant at every vhost count; return a JSON-able dict."""
    t_all = time.monotonic()
    certs = ensure_certs(max(n_list))
    t_certs = time.monotonic() - t_all
    tmpbase = tempfile.mkdtemp(prefix="sipsso-vhosts-")
    rows = []
    try:
        for n in n_list:
            for v in variants:
                rows.append(measure(n, v, certs, runs, tmpbase))
                r = rows[-1]
                print("  %5d %-14s ready %.3fs  cpu %.2fs  check %.3fs  parent RSS %d KiB  "
                      "live %s  load %.1f"
                      % (n, v, r["ready_s"], r["cpu_s"], r["check_s"],
                         r["parent"].get("VmRSS", 0), r["live"], r["loadavg_1min"]),
                      file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmpbase, ignore_errors=True)
    return {"benchmark": "vhosts", "n_list": list(n_list), "runs": runs,
            "cert_setup_s": round(t_certs, 2),
            "elapsed_s": round(time.monotonic() - t_all, 1), "rows": rows}


def mib(kib):
    return "%.1f" % (kib / 1024.0)


def table(result):
    head = ("| vhosts | variant | port open s | ready (1st response) s, median (min) | "
            "parent CPU to ready s | `-t` s (CPU s) | parent RSS MiB | "
            "child RSS MiB (each) | child anon MiB (each) | PSS total MiB | live |")
    lines = [head, "|" + " --- |" * 11]
    for r in result["rows"]:
        kids = r["children"]
        lines.append("| %d | %s | %.3f | %.3f (%.3f) | %.2f | %.3f (%.2f) | %s | %s | %s | %s | %s |" % (
            r["vhosts"], r["variant"], r["start_s"], r["ready_s"], r["ready_s_min"],
            r["cpu_s"], r["check_s"], r["check_cpu_s"],
            mib(r["parent"].get("VmRSS", 0)),
            " / ".join(mib(c.get("VmRSS", 0)) for c in kids),
            " / ".join(mib(c.get("RssAnon", 0)) for c in kids),
            mib(r["pss_total_kib"]), "yes" if r["live"] else "NO"))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vhosts", type=int, default=1000,
                    help="the largest vhost count (default 1000)")
    ap.add_argument("--points", default="1,100",
                    help="smaller vhost counts for scaling, comma-separated "
                         "(default 1,100; '' for none)")
    ap.add_argument("--runs", type=int, default=3, help="starts per point (median)")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--json", default=os.path.join(common.OUT, "vhosts.json"))
    a = ap.parse_args()
    common.module_so()
    pts = sorted({int(x) for x in a.points.split(",") if x.strip()} | {a.vhosts})
    res = run(pts, runs=a.runs, variants=tuple(a.variants.split(",")))
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(res, f, indent=1)
    print(table(res))
    print("\n%d runs per point; whole run %.1f s; JSON in %s"
          % (a.runs, res["elapsed_s"], a.json))


if __name__ == "__main__":
    main()
