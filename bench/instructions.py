#!/usr/bin/python3
"""Instructions per request in httpd's own process, under callgrind: the
same static file with and without authentication, in one single-process
httpd (apache2 -X).  Unlike req/s on a shared machine this does not drift
between runs, so it shows what the module's code costs and where
(callgrind_annotate on the dump files).  User-space instructions only: the
kernel's share of a request (most of it) is not counted.

    /usr/bin/python3 bench/instructions.py [requests]
"""
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import run  # noqa: E402
import sipsso_sp  # noqa: E402


def measure(n=1000):
    tmp = tempfile.mkdtemp(prefix="sipsso-instr-")
    tenant = run.make_tenant(tmp)
    sp = sipsso_sp.SipSSO(os.path.join(tmp, "sp"), tenant)   # writes the config
    sp.stop()
    out = os.path.join(tmp, "callgrind.out")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                             common.APACHE, "-X", "-f", sp.server.conf],
                            stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "valgrind.log"), "w"))
    result = {}
    try:
        if not common.harness.wait_port(sp.port, proc, timeout=120):
            raise RuntimeError("httpd under valgrind did not start")
        cookie = sp.session_cookie()
        with requests.Session() as s:
            for name, url, hdr in (("open", sp.base + "/open/small.html", {}),
                                   ("auth", sp.protected, {"Cookie": cookie})):
                for phase in ("warm", "count"):
                    if phase == "count":
                        subprocess.run(["callgrind_control", "-z", str(proc.pid)],
                                       capture_output=True, check=True)
                    for _ in range(n):
                        r = s.get(url, headers=hdr)
                        assert r.status_code == 200, (url, r.status_code)
                subprocess.run(["callgrind_control", "-d", name, str(proc.pid)],
                               capture_output=True, check=True)
                time.sleep(0.5)
        for f in glob.glob(out + "*"):
            text = open(f).read()
            trig = re.search(r"^desc: Trigger: dump (\w+)", text, re.M)
            total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
            if trig and total:
                result[trig.group(1)] = int(total.group(1)) / n
                result[trig.group(1) + "_file"] = f
    finally:
        proc.terminate()
        proc.wait(30)
    return result


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    r = measure(n)
    print("instructions per request (httpd user space, %d requests each):" % n)
    print("  without authentication  %8.0f" % r["open"])
    print("  authenticated (shmcb)   %8.0f   (+%.0f, x%.2f)"
          % (r["auth"], r["auth"] - r["open"], r["auth"] / r["open"]))
    print("  profiles: callgrind_annotate --inclusive=yes %s" % r["auth_file"])


if __name__ == "__main__":
    main()
