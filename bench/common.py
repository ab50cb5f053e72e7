"""Shared pieces of the benchmarks: an httpd tuned for throughput (unlike
the test harness's small one), wrk runs parsed into numbers, and process
memory readings.  Every server a benchmark starts, it stops."""
import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "t", "integration"))
sys.path.insert(0, os.path.join(ROOT, "t", "idp"))
import harness  # noqa: E402,F401  (free_port, wait_port, children_of, Idp)
import entra_idp  # noqa: E402,F401

APACHE = harness.APACHE
MODDIR = harness.MODDIR
WRK = "/usr/bin/wrk"
OUT = os.environ.get("SIPSSO_BENCH_OUT", os.path.join(HERE, "out"))

# The same MPM settings for every server in a run, so that ratios compare
# modules, not tuning.  Two wrk threads and the server share the cores.
BENCH_CONF = """
ServerRoot {tmp}
PidFile {tmp}/run/httpd.pid
DefaultRuntimeDir {tmp}/run
Mutex file:{tmp}/run
Listen 127.0.0.1:{port}
ServerName 127.0.0.1:{port}
{loads}
ErrorLog {tmp}/error.log
LogLevel {loglevel}
{access}
StartServers 2
ServerLimit 4
ThreadsPerChild 64
ThreadLimit 64
MaxRequestWorkers 256
MinSpareThreads 128
MaxSpareThreads 256
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
DocumentRoot {tmp}/htdocs
TypesConfig /etc/mime.types
DirectoryIndex index.html
<Directory {tmp}/htdocs>
  Require all granted
</Directory>
{body}
"""

BASE_MODULES = ["mpm_event", "authz_core", "authn_core", "authz_user",
                "socache_shmcb", "mime", "dir", "alias", "env", "headers",
]

SMALL_FILE = "<html><body><h1>It works</h1><p>%s</p></body></html>\n" % ("x" * 300)


class Server:
    """An apache2 -DFOREGROUND with the bench config.  `modules` are extra
    LoadModule names from Debian's module directory; `loads` is raw text
    for anything else (mod_sipsso.so from the tree, a peer's module)."""

    def __init__(self, tmp, body, modules=(), loads="", access_log=False,
                 loglevel="warn", port=None, env=None, start_timeout=15):
        self.tmp = tmp
        self.port = port or harness.free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        for d in ("htdocs/app", "htdocs/open", "run"):
            os.makedirs(os.path.join(tmp, d), exist_ok=True)
        for d in ("htdocs/app", "htdocs/open"):
            with open(os.path.join(tmp, d, "small.html"), "w") as f:
                f.write(SMALL_FILE)
        with open(os.path.join(tmp, "htdocs", "index.html"), "w") as f:
            f.write("<h1>home</h1>\n")
        mods = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m)
                         for m in BASE_MODULES + list(modules))
        access = ""
        if access_log:
            access = ('LogFormat "%{usec}t %D %>s \\"%r\\"" timed\n'
                      "CustomLog " + tmp + "/access.log timed")
        self.conf = os.path.join(tmp, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write(BENCH_CONF.format(tmp=tmp, port=self.port, loads=mods + "\n" + loads,
                                      body=body, access=access, loglevel=loglevel))
        self.env = dict(os.environ, **(env or {}))
        self.proc = subprocess.Popen([APACHE, "-f", self.conf, "-DFOREGROUND"],
                                     stdout=subprocess.DEVNULL, env=self.env,
                                     stderr=open(os.path.join(tmp, "stderr.log"), "w"))
        if not harness.wait_port(self.port, self.proc, timeout=start_timeout):
            log = self.logs()
            self.stop()
            raise RuntimeError("httpd did not start:\n" + log)

    def logs(self):
        return harness.httpd_logs(self.tmp)

    def pids(self):
        return [self.proc.pid] + [int(k) for k in harness.children_of(self.proc.pid)]

    def rss_kib(self):
        """Resident memory of the parent and of each child, in KiB."""
        return {pid: rss_kib(pid) for pid in self.pids()}

    def graceful(self):
        """apachectl graceful: children finish, config is re-read."""
        os.kill(self.proc.pid, signal.SIGUSR1)

    def stop(self):
        harness.stop_httpd(self.proc)


def proc_mem(pid):
    """KiB of a process, under /proc's own names: VmRSS, VmSize, RssAnon,
    RssFile, RssShmem (status) and Pss, Private_Dirty, Shared_Dirty
    (smaps_rollup; children share most pages with the parent, so PSS is the
    fair total).  Empty when the process is gone."""
    m = {}
    for name, keys in (("status", ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmSize")),
                       ("smaps_rollup", ("Pss", "Private_Dirty", "Shared_Dirty"))):
        try:
            with open("/proc/%d/%s" % (pid, name)) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in keys:
                        m[k] = int(v.split()[0])
        except OSError:
            pass
    return m


def cpu_seconds(pids):
    """User + system CPU time used so far by these processes (gone ones count
    as 0: a child that exits during a run makes the figure low, not wrong)."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    return proc_mem(pid).get("VmRSS", 0)


def _to_number(text, unit):
    factors = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9,
               "us": 1e-3, "ms": 1.0, "s": 1e3}
    return float(text) * factors.get(unit, 1)


def wrk(url, conns=32, seconds=10, threads=2, headers=(), script=None, args=()):
    """Run wrk; return a dict with rps, latency_ms (mean), non2xx, errors,
    requests and the raw output (for scripts that print their own lines)."""
    cmd = [WRK, "-t%d" % min(threads, conns), "-c%d" % conns, "-d%ds" % seconds,
           "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    if args:
        cmd += ["--"] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120).stdout
    res = {"raw": out, "non2xx": 0, "errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if m:
        res["requests"] = int(m.group(1))
        res["elapsed_s"] = _to_number(m.group(2), m.group(3)) / 1e3
    m = re.search(r"Latency\s+([\d.]+)(\w+)", out)
    res["latency_ms"] = _to_number(m.group(1), m.group(2)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    return res


def module_so():
    so = os.path.join(ROOT, "mod_sipsso.so")
    if not os.path.exists(so):
        raise SystemExit("build the module first: make")
    return so


def access_stats(tmp, path):
    """From the access log (Server(access_log=True)): requests to path, by
    status; the wall-clock window from the first one's start to the last
    one's end (wrk always runs for its full duration, so its own rate would
    count idle time); and the mean time httpd spent on each."""
    starts, ends, took, statuses = [], [], [], {}
    with open(os.path.join(tmp, "access.log")) as f:
        for line in f:
            parts = line.split()        # usec, D, status, "METHOD, path, proto"
            if len(parts) < 5 or parts[4].split("?")[0] != path:
                continue
            t0, d, status = int(parts[0]), int(parts[1]), int(parts[2])
            starts.append(t0)
            ends.append(t0 + d)
            took.append(d)
            statuses[status] = statuses.get(status, 0) + 1
    if not took:
        return {"count": 0, "statuses": {}, "window_s": 0.0, "mean_ms": 0.0}
    return {"count": len(took), "statuses": statuses,
            "window_s": (max(ends) - min(starts)) / 1e6,
            "mean_ms": sum(took) / len(took) / 1e3}
