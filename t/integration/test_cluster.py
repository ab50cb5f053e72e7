"""Two httpd instances sharing one store (memcached, redis): a session
made on A works on B, a replay on B of what A accepted is refused, and a
store that goes away means 503, never access, until it comes back.
(First steps of issue 6.)"""
import os
import shutil
import signal
import subprocess
import time

import pytest
import requests

import harness

SERVERS = {
    "memcache": ("/usr/bin/memcached", lambda port: ["/usr/bin/memcached", "-l", "127.0.0.1",
                                                     "-p", str(port), "-U", "0", "-u", "root"]),
    "redis": ("/usr/bin/redis-server", lambda port: ["/usr/bin/redis-server", "--bind", "127.0.0.1",
                                                    "--port", str(port), "--save", "",
                                                    "--appendonly", "no"]),
}


class Store:
    def __init__(self, kind):
        self.kind = kind
        self.port = harness.free_port()
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(SERVERS[self.kind][1](self.port),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert harness.wait_port(self.port, self.proc), "store did not start"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)


@pytest.fixture(params=sorted(SERVERS))
def store(request):
    if not os.path.exists(SERVERS[request.param][0]):
        pytest.skip("%s not installed (tools/install-deps.sh installs it)" % request.param)
    s = Store(request.param)
    yield s
    s.stop()


def store_lines(store):
    return ("LoadModule socache_%s_module %s/mod_socache_%s.so\n"
            "SipSSOSessionCache %s:127.0.0.1:%d\n" % (store.kind, harness.MODDIR,
                                                     store.kind, store.kind, store.port))


@pytest.fixture
def node_b(tmp_path):
    made = []

    def make(a, store):
        """A second node of SP a: same entity ID and external URL (as behind a
        load balancer), its own httpd and port, the same shared store."""
        d = tmp_path / "nodeb"
        d.mkdir()
        port = harness.free_port()
        body = harness.sp_directives(a.idp, a.entity_id, extra=store_lines(store)
                                     + "SipSSOBaseURL %s\n" % a.base) + harness.PROTECT
        h = harness.Httpd(str(d), port, body)
        made.append(h)
        return "http://127.0.0.1:%d" % port
    yield make
    for h in made:
        h.stop()


def test_two_nodes_share_sign_in_session_and_replay_cache(make_sp, node_b, store, browser):
    a = make_sp(extra=store_lines(store))
    b = node_b(a, store)
    # A sign-in started on A completes when the IdP's POST lands on B.
    req, relay, _ = a.start_login(browser)
    xml = a.response_for(req)
    import base64
    form = {"SAMLResponse": base64.b64encode(xml).decode(), "RelayState": relay}
    r = browser.post(b + "/sipsso/acs", data=form, allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    # The session made on B is valid on A and on B.
    assert browser.get(a.base + "/app/", allow_redirects=False).status_code == 200
    assert browser.get(b + "/app/", allow_redirects=False).status_code == 200
    # What B accepted is refused on A (RelayState used, assertion replayed).
    with requests.Session() as other:
        r = other.post(a.acs, data=form, allow_redirects=False)
    assert r.status_code == 400 and "sipsso=" not in r.headers.get("Set-Cookie", "")
    # A logout on A ends the session on B (the old cookie finds nothing).
    sid = browser.cookies.get("sipsso")
    assert sid and len(sid) == 43
    browser.get(a.base + "/sipsso/logout", allow_redirects=False)
    r = requests.get(b + "/app/", cookies={"sipsso": sid}, allow_redirects=False)
    assert r.status_code == 302


def test_store_down_means_503_then_recovers(make_sp, store, browser):
    sp = make_sp(extra=store_lines(store))
    assert sp.sign_in(browser).status_code == 303
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
    store.stop()
    r = browser.get(sp.base + "/app/", allow_redirects=False)
    assert r.status_code == 503, r.status_code
    assert "temporarily unavailable" in r.text
    assert "protected page" not in r.text
    with requests.Session() as fresh:              # no login loop either
        assert fresh.get(sp.base + "/app/", allow_redirects=False).status_code == 503
    assert "session store %s:127.0.0.1:%d unavailable" % (store.kind, store.port) in sp.httpd.logs()
    store.start()
    deadline = time.time() + 10
    status = None
    while time.time() < deadline:
        status = browser.get(sp.base + "/app/", allow_redirects=False).status_code
        if status != 503:
            break
        time.sleep(0.5)
    # The session died with the store (memory only): a new sign-in works.
    assert status in (200, 302)
    assert sp.sign_in(browser).status_code == 303
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
