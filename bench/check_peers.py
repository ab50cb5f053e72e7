#!/usr/bin/python3
"""Self-check of bench/peers.py: for each peer, concurrent sign-ins all
succeed, a replayed Response is refused, a session cookie opens the
protected page and a request without one is sent to the IdP, a short wrk
run works, and nothing it started is left running.

    /usr/bin/python3 bench/check_peers.py [mellon|shibboleth ...]
    CHECK_PEERS_SIGNINS=300 ... (more sign-ins; default 20)"""
import concurrent.futures
import os
import shutil
import signal
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
import peers  # noqa: E402
from common import entra_idp, harness  # noqa: E402


def processes_in(tmp):
    """PIDs whose command line mentions tmp (our httpd and shibd do)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if tmp.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def check_signins(peer, n=20, threads=8):
    signins = peer.prepare_signins(n)
    assert len(signins) == n

    def post(s):
        with requests.Session() as http:
            return peer.post(http, s)

    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(post, signins))
    rate = n / (time.time() - start)
    for r in results:
        assert r.status_code in peer.ok_statuses, (r.status_code, r.text[:300])
        assert peer.session_cookie_of(r), r.headers.get("Set-Cookie")
    # The same Response again: the peer must refuse it.
    with requests.Session() as http:
        r = peer.post(http, signins[0])
    assert r.status_code not in peer.ok_statuses and not peer.session_cookie_of(r), \
        ("replay accepted", r.status_code, r.headers.get("Set-Cookie"))
    print("  %d sign-ins, %d threads: %s, %.0f/s; replay refused with %d"
          % (n, threads, sorted({r.status_code for r in results}), rate, r.status_code))


def check_session(peer, tenant):
    cookie = peer.session_cookie()
    r = requests.get(peer.protected, headers={"Cookie": cookie}, allow_redirects=False)
    assert r.status_code == 200, r.status_code
    assert "It works" in r.text
    # No cookie: the peer sends the browser (maybe via its own login URL) to the IdP.
    with requests.Session() as http:
        req, relay, _ = peer.start_login(http)
    assert req["issuer"] == peer.entity_id, req
    print("  session cookie -> 200; no cookie -> AuthnRequest to the IdP (%s)"
          % (req["acs_url"] or "ACS from metadata"))
    return cookie


def check_wrk(peer, cookie):
    res = common.wrk(peer.protected, conns=32, seconds=5, threads=2,
                     headers=["Cookie: " + cookie])
    print("  wrk -t2 -c32 -d5s: %.0f req/s, mean latency %.2f ms, non-2xx %d, errors %d"
          % (res["rps"], res["latency_ms"], res["non2xx"], res["errors"]))
    assert res["rps"] > 0 and res["non2xx"] == 0, res["raw"]
    return res


def check_peer(cls, tenant, root, n):
    tmp = tempfile.mkdtemp(prefix=cls.name + "-", dir=root)
    print("%s:" % cls.name)
    peer = cls(tmp, tenant)
    try:
        check_signins(peer, n)
        cookie = check_session(peer, tenant)
        check_wrk(peer, cookie)
    except BaseException:
        print(peer.logs()[-4000:])
        raise
    finally:
        peer.stop()
    left = processes_in(tmp)
    assert not left, "%s left processes running: %s" % (cls.name, left)
    print("  stopped, nothing left running")


def main(argv):
    # A SIGTERM must still run the finally blocks that stop the peers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    wanted = argv or [c.name for c in peers.PEERS]
    root = tempfile.mkdtemp(prefix="check-peers-")
    key, cert = entra_idp.make_keypair(os.path.join(root, "idpkeys"))
    # The login URL is never contacted: the driver answers for the IdP.
    tenant = entra_idp.Tenant(harness.TENANT, key, cert, "http://127.0.0.1:9")
    n = int(os.environ.get("CHECK_PEERS_SIGNINS", "20"))
    for cls in peers.PEERS:
        if cls.name in wanted:
            check_peer(cls, tenant, root, n)
    shutil.rmtree(root)  # kept on failure, for the logs
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1:])
