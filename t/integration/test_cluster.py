"""Two httpd instances sharing one store (memcached, redis): a sign-in
started on A completes on B, a session made on one works on the other,
logouts (local or from the IdP) on one end it on both, a replay on B of what
A accepted is refused, restarts keep sessions, and a store that goes away
means 503, never access, until it comes back."""
import os
import signal
import time

import pytest
import requests

import harness

SERVERS, Store = harness.SERVERS, harness.Store


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


def sign_in_on(node, a, s):
    """The whole sign-in on node (a URL): GET there, the IdP's POST there."""
    r = s.get(node + "/app/", allow_redirects=False)
    assert r.status_code == 302
    import urllib.parse
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
    req = harness.entra_idp.parse_authn_request(q["SAMLRequest"][0])
    import base64
    r = s.post(node + "/sipsso/acs", allow_redirects=False, data={
        "SAMLResponse": base64.b64encode(a.response_for(req)).decode(),
        "RelayState": q["RelayState"][0]})
    assert r.status_code == 303, r.text[:300]


def test_idp_logout_on_one_node_ends_sessions_made_on_the_other(make_sp, node_b, store):
    """Entra's LogoutRequest lands on A; the user's sessions were made on B."""
    import types
    from test_logout import logout_request_xml, raw_get, signed_query
    a = make_sp(extra=store_lines(store))
    b = node_b(a, store)
    s1, s2 = requests.Session(), requests.Session()
    sign_in_on(b, a, s1)
    sign_in_on(b, a, s2)
    for s in (s1, s2):
        assert s.get(a.base + "/app/", allow_redirects=False).status_code == 200
    q = signed_query(a.idp.key, logout_request_xml(a, harness.ALICE["upn"]))
    r = raw_get(a, "/sipsso/sls?" + q)
    assert r.status_code == 200 and "Signed out" in r.text   # no IdP logout URL set
    for s in (s1, s2):
        for node in (a.base, b):
            assert s.get(node + "/app/", allow_redirects=False).status_code == 302
    assert "2 session(s) ended" in a.httpd.logs()
    # and the other way round: a logout request reaching B ends A's session
    sign_in_on(a.base, a, s1)
    r = raw_get(types.SimpleNamespace(port=int(b.rsplit(":", 1)[1])),
                "/sipsso/sls?" + signed_query(a.idp.key, logout_request_xml(
                    a, harness.ALICE["upn"])))
    assert r.status_code == 200 and "Signed out" in r.text
    assert s1.get(a.base + "/app/", allow_redirects=False).status_code == 302


def test_store_down_means_503_then_recovers(make_sp, store, browser):
    sp = make_sp(extra=store_lines(store))
    assert sp.sign_in(browser).status_code == 303
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
    store.stop()
    r = browser.get(sp.base + "/app/", allow_redirects=False)
    assert r.status_code == 503, r.status_code
    assert "temporarily unavailable" in r.text
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
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


@pytest.fixture(params=sorted(SERVERS))
def two_stores(request):
    if not os.path.exists(SERVERS[request.param][0]):
        pytest.skip("%s not installed (tools/install-deps.sh installs it)" % request.param)
    made = [Store(request.param), Store(request.param)]
    yield made
    for s in made:
        s.stop()


def statuses(sp, users):
    return [u.get(sp.base + "/app/", allow_redirects=False).status_code for u in users]


def test_several_servers_one_down_means_503_for_its_users_never_a_move(make_sp, two_stores):
    """Given the whole list, apr_memcache and apr_redis send a dead server's
    keys to the next one: its users would be asked to sign in again, a
    logout made meanwhile would miss the record on the dead server, and that
    record would come back with the server.  Each server is its own shard:
    its users get 503 until it returns, everyone else carries on."""
    one, two = two_stores
    kind = one.kind
    sp = make_sp(extra="LoadModule socache_%s_module %s/mod_socache_%s.so\n"
                       "SipSSOSessionCache %s:127.0.0.1:%d,127.0.0.1:%d\n"
                 % (kind, harness.MODDIR, kind, kind, one.port, two.port))
    users = [requests.Session() for _ in range(16)]
    for u in users:
        assert sp.sign_in(u).status_code == 303
    assert statuses(sp, users) == [200] * len(users)
    one.stop()
    first = statuses(sp, users)
    # the client has set the server aside by now: a move would show here
    for _ in range(2):
        assert statuses(sp, users) == first
    assert set(first) == {200, 503}, first      # 16 sessions, both servers
    # "not found" from a server set aside is not taken for an answer
    assert "Host is down" in sp.httpd.logs()
    one.start()
    # the client retries a server it set aside every 5 s, and may first use up
    # stale pooled connections to it, one per retry (slower still under ASan)
    started, deadline = time.time(), time.time() + 60
    while time.time() < deadline and 503 in statuses(sp, users):
        time.sleep(0.5)
    waited = time.time() - started
    after = statuses(sp, users)
    # the sessions kept by the restarted server died with it; the others live
    assert after == [200 if f == 200 else 302 for f in first], (first, after, waited)
    for u in users:
        u.close()


def test_nodes_share_the_store_whatever_else_they_configure(make_sp, node_b, store, tmp_path):
    """Node B has another SP, on shmcb, before the shared one: the keys in the
    shared store must not depend on how many stores a node opened first."""
    a = make_sp(extra=store_lines(store))
    d = tmp_path / "nodeb2"
    d.mkdir()
    port = harness.free_port()
    body = (harness.sp_directives(a.idp, "https://other.example/sipsso/metadata")
            + "<VirtualHost 127.0.0.1:%d>\nServerName 127.0.0.1\n" % port
            + harness.sp_directives(a.idp, a.entity_id, extra=store_lines(store)
                                    + "SipSSOBaseURL %s\n" % a.base)
            + harness.PROTECT + "</VirtualHost>\n")
    b = harness.Httpd(str(d), port, body)
    try:
        with requests.Session() as s:
            assert a.sign_in(s).status_code == 303
            r = s.get("http://127.0.0.1:%d/app/" % port, allow_redirects=False)
            assert r.status_code == 200, r.status_code
    finally:
        b.stop()


def restart(httpd, sig):
    """Signal httpd (SIGUSR1 graceful, SIGHUP restart) and wait until a new
    generation of children serves requests."""
    old = set(harness.children_of(httpd.proc.pid))
    httpd.proc.send_signal(sig)
    deadline = time.time() + 20
    while time.time() < deadline:
        kids = set(harness.children_of(httpd.proc.pid))
        if kids and not kids & old and harness.wait_port(httpd.port, httpd.proc, 1):
            return
        time.sleep(0.1)
    raise AssertionError("httpd did not restart:\n" + httpd.logs())


@pytest.mark.parametrize("kind,sig", [("shmcb", signal.SIGUSR1), ("shmcb", signal.SIGHUP),
                                      ("memcache", signal.SIGUSR1), ("redis", signal.SIGUSR1)])
def test_sessions_survive_restart(make_sp, browser, kind, sig):
    """A graceful restart (and for shmcb even a hard one: the parent keeps
    the segment) keeps everyone signed in, and what was used stays used."""
    st = None
    if kind != "shmcb":
        if not os.path.exists(SERVERS[kind][0]):
            pytest.skip("%s not installed" % kind)
        st = Store(kind)
    try:
        sp = make_sp(extra=store_lines(st) if st else "")
        req, relay, _ = sp.start_login(browser)
        form_xml = sp.response_for(req)
        assert sp.post_acs(browser, form_xml, relay).status_code == 303
        assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
        restart(sp.httpd, sig)
        assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
        with requests.Session() as other:           # the replay cache survived too
            r = sp.post_acs(other, form_xml, relay)
        assert r.status_code == 400 and not harness.session_cookie_set(r)
        with requests.Session() as fresh:           # and new sign-ins work
            assert sp.sign_in(fresh).status_code == 303
    finally:
        if st:
            st.stop()


def test_changed_shmcb_size_starts_empty(make_sp, browser, tmp_path):
    """A new segment size is a new store: sessions of the old one are gone,
    the server keeps working."""
    sp = make_sp()
    assert sp.sign_in(browser).status_code == 303
    with open(sp.httpd.conf, "a") as f:
        f.write("SipSSOSessionCache shmcb:%s/run/other(2097152)\n" % sp.tmp)
    restart(sp.httpd, signal.SIGUSR1)
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 302
    assert sp.sign_in(browser).status_code == 303
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
