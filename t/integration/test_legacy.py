"""Fronting legacy applications (issue 4), end to end: real apache2 with the
freshly built module, mod_proxy_http in front of a real backend that echoes
every header it receives (echo_backend.py), the test IdP, and CGI.

Identity headers, spoofed headers, the session cookie kept from the backend,
nothing unauthenticated reaching the backend, Require sipsso-claim /
sipsso-group (with RequireAll/RequireAny/Require not and the groups.link
overage), passive mode, and SipSSOUserAttribute."""
import http.client
import json
import socket

import pytest

import harness
from echo_backend import EchoBackend

ALICE = harness.ALICE
UPN = ALICE["upn"]
G1, G2 = ALICE["groups"]
NONMEMBER = "bbbbbbbb-0000-0000-0000-00000000000f"
DAVE = {"upn": "dave@contoso.example", "given": "Dave", "surname": "Jones",
        "display": "Dave Jones", "oid": "99999999-2222-3333-4444-555555555555",
        "groups": [], "assigned": True}
C_OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
C_GIVENNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
C_SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
C_GROUPS_LINK = "http://schemas.microsoft.com/claims/groups.link"

LOADS = ("LoadModule proxy_module {m}/mod_proxy.so\n"
         "LoadModule proxy_http_module {m}/mod_proxy_http.so\n"
         .format(m=harness.MODDIR))


def proxied(path, *lines):
    """A <Location> proxied to the echo backend under the same path."""
    return ("<Location %s>\n%s\n  ProxyPass http://127.0.0.1:@PORT@%s\n</Location>\n"
            % (path, "\n".join("  " + l for l in lines), path))


PROTECTED = ("AuthType SipSSO", "Require valid-user")

# The vhost most tests use.  @PORT@ is the echo backend, @TMP@ the SP's dir.
BASE = (
    proxied("/legacy", *PROTECTED, "SipSSORequestHeaders On")
    + proxied("/quiet", *PROTECTED, "SipSSORequestHeaders Off")
    + proxied("/open")                       # no SipSSO directive at all
    + proxied("/public", "SipSSOPassive On", "SipSSORequestHeaders On")
    + proxied("/remote", *PROTECTED, "SipSSORequestHeaders On",
              "SipSSOHeaderPrefix X-Remote-")
    + """
<Location /cgi-bin>
  AuthType SipSSO
  Require valid-user
</Location>
ScriptAlias /hcgi/ @TMP@/cgi-bin/
<Location /hcgi>
  AuthType SipSSO
  Require valid-user
  SipSSORequestHeaders On
</Location>
ScriptAlias /pcgi/ @TMP@/cgi-bin/
<Location /pcgi>
  SipSSOPassive On
</Location>
""")


@pytest.fixture
def backend():
    b = EchoBackend()
    yield b
    b.stop()


@pytest.fixture
def make_legacy(tmp_path, backend):
    """make(more=..., base=BASE, users=..., extra=...) -> a started Sp whose
    Location blocks proxy to `backend`; sp.backend is the echo backend."""
    made = []

    def make(more="", base=BASE, users=None, extra=""):
        d = tmp_path / ("sp%d" % len(made))
        d.mkdir()
        body = LOADS + (base + more).replace("@PORT@", str(backend.port)) \
                                    .replace("@TMP@", str(d))
        sp = harness.Sp(d, extra=extra, users=users, body_extra=body)
        sp.backend = backend
        made.append(sp)
        return sp
    yield make
    for sp in made:
        sp.stop()


# ------------------------------------------------------------------ helpers

def raw(port, method, path, headers=(), body=b""):
    """One request written byte for byte (header names exactly as given,
    duplicates kept); returns (status, [(name, value)], body bytes)."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1:%d" % port]
    lines += ["%s: %s" % (n, v) for n, v in headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: %d" % len(body))
    lines.append("Connection: close")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        resp = http.client.HTTPResponse(s, method=method)
        resp.begin()
        return resp.status, resp.getheaders(), resp.read()


def session_cookie(browser):
    v = browser.cookies.get("sipsso")
    assert v, "no session cookie after sign-in"
    return v


def sign_in(sp, browser, path="/legacy/", upn=UPN):
    r = sp.sign_in(browser, path=path, upn=upn)
    assert r.status_code == 303, (r.status_code, r.text[:500])
    assert r.headers["Location"] == sp.base + path.split("?")[0] \
        or "ReturnTo" in path, r.headers["Location"]
    return r


def fold(name):
    return name.lower().replace("_", "-")


def values(rec, name):
    """Values of every header the backend saw whose folded name is name's."""
    return [v for n, v in rec["headers"] if fold(n) == fold(name)]


def prefixed(rec, prefix="x-sso-"):
    return [(n, v) for n, v in rec["headers"] if fold(n).startswith(fold(prefix))]


def cgi_env(text):
    return dict(l.split("=", 1) for l in text.splitlines() if "=" in l)


def alice_headers(prefix="X-SSO-", user=UPN):
    """Exactly the headers the module sends for alice (Entra default claims)."""
    return {prefix + "User": user,
            prefix + "Tenantid": harness.TENANT,
            prefix + "Objectidentifier": ALICE["oid"],
            prefix + "Displayname": ALICE["display"],
            prefix + "Groups": ";".join(ALICE["groups"]),
            prefix + "Identityprovider": None,   # the IdP's entity ID
            prefix + "Authnmethodsreferences": None,
            prefix + "Givenname": ALICE["given"],
            prefix + "Surname": ALICE["surname"],
            prefix + "Emailaddress": UPN,
            prefix + "Name": UPN}


def assert_exactly_alice(rec, prefix="X-SSO-", user=UPN):
    got = prefixed(rec, prefix)
    want = alice_headers(prefix, user)
    assert sorted(n for n, _ in got) == sorted(want), got
    for n, v in got:
        if want[n] is not None:
            assert v == want[n], (n, v)


# Every spelling a client might use to name itself.  Backends fold '_' into
# '-' (CGI, WSGI, PHP all give HTTP_X_SSO_USER), so all are the same header.
SPOOFS = [("X-SSO-User", "mallory"), ("x-sso-user", "mallory"),
          ("X_SSO_User", "mallory"), ("X-Sso-Groups", "admins"),
          ("X-SSO-User", "mallory2"), ("x_sso_groups", "admins"),
          ("X-sso_Displayname", "Mallory"), ("X-SSO-Admin", "yes")]
CONTROL = [("X_Legacy_Probe", "kept"), ("x-lower-probe", "kept")]


def assert_no_spoof(rec):
    blob = json.dumps(rec["headers"])
    for word in ("mallory", "admins", "Mallory"):
        assert word not in blob, rec["headers"]
    assert not values(rec, "X-SSO-Admin"), rec["headers"]
    # the control headers prove that odd spellings do reach the backend
    assert ["X_Legacy_Probe", "kept"] in rec["headers"], rec["headers"]
    assert ["x-lower-probe", "kept"] in rec["headers"], rec["headers"]


# ------------------------------------------------------------------ 1. identity to the backend

def test_identity_headers_reach_the_backend(make_legacy, browser):
    sp = make_legacy()
    sign_in(sp, browser, "/legacy/")
    r = browser.get(sp.base + "/legacy/page?x=1", allow_redirects=False)
    assert r.status_code == 200 and r.headers.get("X-Echo-Backend") == "1"
    rec = r.json()
    assert rec["method"] == "GET" and rec["path"] == "/legacy/page?x=1"
    assert values(rec, "X-SSO-User") == [UPN]
    assert values(rec, "X-SSO-Groups") == [G1 + ";" + G2]
    assert values(rec, "X-SSO-Givenname") == ["Alice"]
    assert values(rec, "X-SSO-Surname") == ["Smith"]
    assert values(rec, "X-SSO-Objectidentifier") == [ALICE["oid"]]
    assert values(rec, "X-SSO-Tenantid") == [harness.TENANT]
    assert values(rec, "X-SSO-Identityprovider") == [sp.idp.tenant.entity_id]
    # exact names on the wire, one header per claim, nothing else
    assert_exactly_alice(rec)


def test_identity_headers_for_a_cgi(make_legacy, browser):
    sp = make_legacy()
    sign_in(sp, browser, "/hcgi/env.cgi")
    env = cgi_env(browser.get(sp.base + "/hcgi/env.cgi").text)
    assert env["REMOTE_USER"] == UPN
    assert env["HTTP_X_SSO_USER"] == UPN
    assert env["HTTP_X_SSO_GROUPS"] == G1 + ";" + G2
    assert env["HTTP_X_SSO_GIVENNAME"] == "Alice"
    # without SipSSORequestHeaders, variables only
    env = cgi_env(browser.get(sp.base + "/cgi-bin/env.cgi").text)
    assert env["REMOTE_USER"] == UPN and env["SIPSSO_GIVENNAME"] == "Alice"
    assert not [k for k in env if k.startswith("HTTP_X_SSO")], env


def test_header_prefix(make_legacy, browser):
    sp = make_legacy()
    sign_in(sp, browser, "/remote/")
    st, _, body = raw(sp.port, "GET", "/remote/",
                      [("Cookie", "sipsso=" + session_cookie(browser)),
                       ("X-Remote-User", "mallory"), ("x_remote_groups", "admins"),
                       ("X-SSO-User", "mallory"), ("x_sso_groups", "admins")])
    assert st == 200
    rec = json.loads(body)
    assert values(rec, "X-Remote-User") == [UPN]
    assert values(rec, "X-Remote-Givenname") == ["Alice"]
    assert_exactly_alice(rec, prefix="X-Remote-")
    # the default prefix is stripped too: a backend may still trust X-SSO-*
    assert not prefixed(rec, "X-SSO-"), rec["headers"]
    assert "mallory" not in body.decode() and "admins" not in body.decode()


def test_headers_off_sends_no_identity(make_legacy, browser):
    sp = make_legacy()
    sign_in(sp, browser, "/quiet/")
    rec = browser.get(sp.base + "/quiet/").json()
    assert not prefixed(rec), rec["headers"]


def test_session_cookie_never_reaches_the_backend(make_legacy, browser):
    sp = make_legacy()
    browser.cookies.set("theme", "dark", domain="127.0.0.1", path="/")
    sign_in(sp, browser, "/legacy/")
    sid = session_cookie(browser)
    for path in ("/legacy/", "/quiet/", "/open/", "/public/"):
        r = browser.get(sp.base + path, allow_redirects=False)
        assert r.status_code == 200, (path, r.status_code)
        rec = r.json()
        cookies = values(rec, "Cookie")
        assert cookies, (path, rec["headers"])
        assert not any("sipsso=" in c for c in cookies), (path, cookies)
        assert not any("sipsso_binding=" in c for c in cookies), (path, cookies)
        assert any("theme=dark" in c for c in cookies), (path, cookies)
        assert sid not in json.dumps(rec), path      # nowhere, under no name


def test_session_cookie_removed_from_raw_cookie_headers(make_legacy, browser):
    """Our cookie first, last, alone, twice, or in a second Cookie header."""
    sp = make_legacy()
    sign_in(sp, browser, "/legacy/")
    sid = session_cookie(browser)
    cases = [
        ([("Cookie", "sipsso=%s; theme=dark" % sid)], "theme=dark"),
        ([("Cookie", "theme=dark; sipsso=%s" % sid)], "theme=dark"),
        ([("Cookie", "a=1; sipsso=%s; b=2" % sid)], "a=1; b=2"),
        ([("Cookie", "sipsso=%s" % sid)], None),
        ([("Cookie", "sipsso=%s; sipsso=%s" % (sid, sid))], None),
        ([("Cookie", "theme=dark"), ("Cookie", "sipsso=%s" % sid)], "theme=dark"),
    ]
    for headers, want in cases:
        st, _, body = raw(sp.port, "GET", "/legacy/", headers)
        assert st == 200, (headers, st)
        rec = json.loads(body)
        assert values(rec, "X-SSO-User") == [UPN], headers
        assert values(rec, "Cookie") == ([want] if want else []), (headers, rec["headers"])
        assert sid not in body.decode(), headers


def test_other_cookies_pass_untouched(make_legacy, browser):
    sp = make_legacy()
    sign_in(sp, browser, "/legacy/")
    sid = session_cookie(browser)
    for cookie, want in (("theme=dark; sipsso=%s; list=a,b" % sid, "theme=dark; list=a,b"),
                         ("list=a,b", "list=a,b"),
                         ('q="x,y"; theme=dark', 'q="x,y"; theme=dark')):
        st, _, body = raw(sp.port, "GET", "/open/", [("Cookie", cookie)])
        assert st == 200
        assert values(json.loads(body), "Cookie") == [want], cookie


def test_custom_cookie_name_is_the_one_removed(make_legacy, browser):
    sp = make_legacy(extra="SipSSOCookieName appsess")
    sign_in(sp, browser, "/legacy/")
    sid = browser.cookies.get("appsess")
    assert sid and browser.cookies.get("sipsso") is None
    st, _, body = raw(sp.port, "GET", "/legacy/",
                      [("Cookie", "sipsso=unrelated; appsess=%s; theme=dark" % sid)])
    assert st == 200
    rec = json.loads(body)
    assert values(rec, "X-SSO-User") == [UPN]
    assert values(rec, "Cookie") == ["sipsso=unrelated; theme=dark"]


def test_server_level_proxypass(make_legacy, browser):
    """ProxyPass outside the <Location> (the other common layout)."""
    sp = make_legacy(more="ProxyPass /srv http://127.0.0.1:@PORT@/srv\n"
                          "<Location /srv>\n  AuthType SipSSO\n  Require valid-user\n"
                          "  SipSSORequestHeaders On\n</Location>\n")
    assert raw(sp.port, "GET", "/srv/", SPOOFS)[0] == 302
    assert raw(sp.port, "POST", "/srv/", SPOOFS, body=b"x")[0] == 401
    assert sp.backend.requests == []
    sign_in(sp, browser, "/srv/")
    st, _, body = raw(sp.port, "GET", "/srv/x",
                      [("Cookie", "sipsso=" + session_cookie(browser))] + SPOOFS + CONTROL)
    assert st == 200
    rec = json.loads(body)
    assert rec["path"] == "/srv/x"
    assert_no_spoof(rec)
    assert_exactly_alice(rec)


def test_claim_alias_renames_the_header(make_legacy, browser):
    sp = make_legacy(more=proxied(
        "/aliased", *PROTECTED, "SipSSORequestHeaders On",
        "SipSSOClaimAlias %s oid" % C_OID,
        "SipSSOClaimAlias %s first_name" % C_GIVENNAME))
    sign_in(sp, browser, "/aliased/")
    rec = browser.get(sp.base + "/aliased/").json()
    assert values(rec, "X-SSO-Oid") == [ALICE["oid"]]
    assert values(rec, "X-SSO-First-Name") == ["Alice"]
    names = [n for n, _ in prefixed(rec)]
    assert "X-SSO-Oid" in names and "X-SSO-First-Name" in names, names
    assert "X-SSO-Objectidentifier" not in names and "X-SSO-Givenname" not in names
    # the alias is per location: elsewhere the built-in short names stay
    rec = browser.get(sp.base + "/legacy/").json()
    assert values(rec, "X-SSO-Objectidentifier") == [ALICE["oid"]]
    assert not values(rec, "X-SSO-Oid")


def _sign_in_with_claims(sp, browser, path, claims):
    req, relay, _ = sp.start_login(browser, path)
    r = sp.post_acs(browser, sp.response_for(req, claims=claims), relay)
    assert r.status_code == 303, (r.status_code, r.text[:500])


def _alice_claims(sp, **changes):
    c = harness.entra_idp.default_claims(sp.idp.tenant, ALICE)
    c.update(changes)
    return c


def test_control_characters_never_reach_the_backend(make_legacy, browser):
    """A claim value with CR/LF or TAB is not sent at all (documented: reject),
    so it can neither split nor forge a header."""
    sp = make_legacy()
    _sign_in_with_claims(sp, browser, "/legacy/", _alice_claims(
        sp, **{C_GIVENNAME: "Alice\r\nX-Injected: yes", C_SURNAME: "Sm\tith"}))
    r = browser.get(sp.base + "/legacy/", allow_redirects=False)
    assert r.status_code == 200
    rec = r.json()
    assert not values(rec, "X-Injected"), rec["headers"]
    assert not values(rec, "X-SSO-Givenname") and not values(rec, "X-SSO-Surname")
    assert values(rec, "X-SSO-User") == [UPN]
    for n, v in rec["headers"]:
        assert not any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in n + v), (n, v)
    assert "control characters" in sp.httpd.logs()


def test_non_ascii_values_arrive_as_utf8(make_legacy, browser):
    sp = make_legacy()
    _sign_in_with_claims(sp, browser, "/legacy/",
                         _alice_claims(sp, **{C_SURNAME: "M\u00fcller-\u00c5str\u00f6m"}))
    st, _, body = raw(sp.port, "GET", "/legacy/",
                      [("Cookie", "sipsso=" + session_cookie(browser))])
    rec = json.loads(body)
    (v,) = values(rec, "X-SSO-Surname")      # the backend decoded bytes as latin-1
    assert v.encode("latin-1").decode("utf-8") == "M\u00fcller-\u00c5str\u00f6m"


def test_a_claim_named_user_or_nameid_replaces_nothing(make_legacy, browser):
    """X-SSO-User is REMOTE_USER and SIPSSO_NAMEID the NameID, whatever
    claims Entra is configured to send (a custom claim .../user or .../nameid
    once replaced them)."""
    sp = make_legacy()
    _sign_in_with_claims(sp, browser, "/legacy/", _alice_claims(
        sp, **{"http://schemas.contoso.example/claims/user": "mallory",
               "http://schemas.contoso.example/claims/nameid": "mallory",
               "http://schemas.contoso.example/claims/idp": "mallory"}))
    rec = browser.get(sp.base + "/legacy/").json()
    assert values(rec, "X-SSO-User") == [UPN], rec["headers"]
    env = cgi_env(browser.get(sp.base + "/hcgi/env.cgi").text)
    assert env["REMOTE_USER"] == UPN and env["HTTP_X_SSO_USER"] == UPN
    assert env["SIPSSO_NAMEID"] == UPN
    assert env["SIPSSO_IDP"] == sp.idp.tenant.entity_id


# ------------------------------------------------------------------ 2. spoofing

def test_raw_client_sends_what_we_think(backend):
    """Control: straight to the backend, every spoof spelling and the
    duplicate arrive as written (so the tests below prove the module)."""
    st, _, body = raw(backend.port, "GET", "/direct", SPOOFS + CONTROL)
    assert st == 200
    got = [tuple(h) for h in json.loads(body)["headers"]]
    for h in SPOOFS + CONTROL:
        assert h in got, (h, got)
    assert got.count(("X-SSO-User", "mallory")) == 1 and ("X-SSO-User", "mallory2") in got


@pytest.mark.parametrize("path,with_session,identity", [
    ("/legacy/", True, True),
    ("/quiet/", True, False),        # SipSSORequestHeaders Off: still stripped
    ("/open/", True, False),         # no SipSSO here, but an SP vhost
    ("/open/", False, False),
    ("/public/", True, True),        # passive with a session
    ("/public/", False, False),      # passive, anonymous
])
def test_spoofed_identity_headers_are_removed(make_legacy, browser, path,
                                              with_session, identity):
    sp = make_legacy()
    headers = SPOOFS + CONTROL
    if with_session:
        sign_in(sp, browser, "/legacy/")
        headers = [("Cookie", "sipsso=" + session_cookie(browser))] + headers
    st, _, body = raw(sp.port, "GET", path, headers)
    assert st == 200, (st, body[:300])
    rec = json.loads(body)
    assert_no_spoof(rec)
    if identity:
        assert_exactly_alice(rec)
    else:
        assert prefixed(rec) == [], rec["headers"]
    assert "removed request header" in sp.httpd.logs()


@pytest.mark.parametrize("path", ["/legacy/", "/quiet/"])
def test_spoofed_headers_without_session_never_reach_backend(make_legacy, path):
    sp = make_legacy()
    st, hdrs, _ = raw(sp.port, "GET", path, SPOOFS + CONTROL)
    assert st == 302
    assert sp.backend.requests == []


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_spoofed_headers_with_a_body(make_legacy, browser, method):
    sp = make_legacy()
    sign_in(sp, browser, "/legacy/")
    st, _, body = raw(sp.port, method, "/legacy/form",
                      [("Cookie", "sipsso=" + session_cookie(browser)),
                       ("Content-Type", "application/x-www-form-urlencoded")]
                      + SPOOFS + CONTROL, body=b"a=1")
    assert st == 200
    rec = json.loads(body)
    assert rec["method"] == method and rec["body"] == "a=1"
    assert_no_spoof(rec)
    assert_exactly_alice(rec)


def test_spoofed_trailers_do_not_reach_the_backend(make_legacy, browser):
    """A chunked body's trailer section is a second place to put headers."""
    sp = make_legacy()
    sign_in(sp, browser, "/legacy/")
    req = ("POST /legacy/chunked HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "Cookie: sipsso=%s\r\nTransfer-Encoding: chunked\r\n"
           "Trailer: X-SSO-User\r\nConnection: close\r\n\r\n"
           "3\r\na=1\r\n0\r\nX-SSO-User: mallory\r\nX_SSO_Groups: admins\r\n\r\n"
           % (sp.port, session_cookie(browser))).encode()
    with socket.create_connection(("127.0.0.1", sp.port), timeout=10) as s:
        s.sendall(req)
        resp = http.client.HTTPResponse(s, method="POST")
        resp.begin()
        body = resp.read()
    assert resp.status == 200, body[:300]
    rec = json.loads(body)
    assert rec["body"] == "a=1"
    assert "mallory" not in body.decode() and "admins" not in body.decode()
    assert values(rec, "X-SSO-User") == [UPN]


@pytest.mark.parametrize("path", ["/cgi-bin/env.cgi", "/hcgi/env.cgi"])
def test_spoofed_headers_never_reach_a_cgi(make_legacy, browser, path):
    sp = make_legacy()
    sign_in(sp, browser, path)
    st, _, body = raw(sp.port, "GET", path,
                      [("Cookie", "sipsso=" + session_cookie(browser))] + SPOOFS)
    assert st == 200
    text = body.decode()
    env = cgi_env(text)
    assert env["REMOTE_USER"] == UPN
    assert env.get("HTTP_X_SSO_USER") in (None, UPN), env
    assert env.get("HTTP_X_SSO_GROUPS") in (None, G1 + ";" + G2), env
    assert "HTTP_X_SSO_ADMIN" not in env
    assert "mallory" not in text.lower() and "admins" not in text


def test_spoofed_headers_never_reach_a_passive_cgi(make_legacy):
    sp = make_legacy()
    st, _, body = raw(sp.port, "GET", "/pcgi/env.cgi", SPOOFS)
    assert st == 200
    env = cgi_env(body.decode())
    assert "REMOTE_USER" not in env
    assert not [k for k in env if k.startswith("HTTP_X_SSO")], env
    assert "mallory" not in body.decode().lower()


# ------------------------------------------------------------------ 3. nothing unauthenticated reaches the backend

PAOS = [("PAOS", 'ver="urn:liberty:paos:2003-08";'
                 '"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp"'),
        ("Accept", "text/html; application/vnd.paos+xml")]


def test_no_method_reaches_the_backend_without_a_session(make_legacy):
    sp = make_legacy()
    for path in ("/legacy/", "/legacy", "/quiet/x"):
        for method in ("GET", "HEAD"):
            st, hdrs, _ = raw(sp.port, method, path)
            assert st == 302, (method, path, st)
            assert dict(hdrs)["Location"].startswith(sp.idp.tenant.login_url)
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "FOO",
                       "PROPFIND", "TRACE"):
            st, hdrs, _ = raw(sp.port, method, path, body=b"a=1")
            assert st == 401, (method, path, st)
            assert "SipSSO" in dict(hdrs).get("WWW-Authenticate", ""), method
        st, _, _ = raw(sp.port, "GET", path, [("X-Requested-With", "XMLHttpRequest")])
        assert st == 401, path
    assert sp.backend.requests == []


def test_paos_requests_never_reach_the_backend(make_legacy):
    sp = make_legacy()
    for method, want in (("GET", 302), ("HEAD", 302), ("POST", 401), ("PUT", 401)):
        st, hdrs, body = raw(sp.port, method, "/legacy/", PAOS)
        assert st == want, (method, st)
        # no ECP: never an AuthnRequest in a SOAP envelope for the client
        assert "vnd.paos" not in dict(hdrs).get("Content-Type", "")
        assert b"Envelope" not in body
    assert sp.backend.requests == []


# paths that differ from the endpoint only in encoding, case or dot segments
LOOKALIKES = ["/SIPSSO/acs", "/sipsso/ACS", "/sipsso/%61cs", "/%73ipsso/acs",
              "/sipsso//acs", "//sipsso/acs", "/sipsso/acs/", "/sipsso/./acs",
              "/sipsso/%2e/acs", "/sipsso/x/../acs", "/sipsso/acs%20",
              "/sipsso/acs;x", "/sipsso/acs%2f", "/sipsso/metadata/",
              "/sipsso/login/", "/sipsso%2facs", "/sipsso/%6cogin?ReturnTo=/"]

WHOLE_SITE = ("<Location />\n  AuthType SipSSO\n  Require valid-user\n"
              "  SipSSORequestHeaders On\n"
              "  ProxyPass http://127.0.0.1:@PORT@/\n</Location>\n")


def test_endpoint_lookalikes_are_never_proxied_unauthenticated(make_legacy, browser):
    sp = make_legacy(base=WHOLE_SITE)
    for path in LOOKALIKES + ["/sipsso/acs"]:
        for method in ("GET", "HEAD", "POST", "OPTIONS"):
            st, _, body = raw(sp.port, method, path, PAOS if method == "GET" else ())
            assert st != 200, (method, path, st)
            assert sp.backend.requests == [], (method, path, sp.backend.requests)
    # the real endpoints still work, from the module
    st, hdrs, body = raw(sp.port, "GET", "/sipsso/metadata")
    assert st == 200 and b"EntityDescriptor" in body
    assert sp.backend.requests == []
    # and the site really is proxied once signed in
    sign_in(sp, browser, "/somewhere/")
    rec = browser.get(sp.base + "/somewhere/").json()
    assert rec["path"] == "/somewhere/" and values(rec, "X-SSO-User") == [UPN]


# ------------------------------------------------------------------ 4. authorization

def authz(path, *require):
    return proxied(path, "AuthType SipSSO", *require)


AUTHZ = (
    authz("/z/short", "Require sipsso-claim givenname Alice")
    + authz("/z/shortcase", "Require sipsso-claim GivenName Alice")
    + authz("/z/uri", "Require sipsso-claim %s Alice" % C_GIVENNAME)
    + authz("/z/alias", "SipSSOClaimAlias %s oid" % C_OID,
            "Require sipsso-claim oid %s" % ALICE["oid"])
    + authz("/z/multi", "Require sipsso-claim givenname Bob Alice Carol")
    + authz("/z/multiclaim", "Require sipsso-claim groups %s" % G2)
    + authz("/z/group", "Require sipsso-group %s" % G1)
    + authz("/z/groups", "Require sipsso-group %s %s" % (NONMEMBER, G2))
    + authz("/z/groupalias", "SipSSOClaimAlias "
            "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups memberof",
            "Require sipsso-group %s" % G1)
    + authz("/z/claimdeny", "Require sipsso-claim givenname Bob Carol")
    + authz("/z/valuecase", "Require sipsso-claim givenname alice")
    + authz("/z/unknownclaim", "Require sipsso-claim department Sales")
    + authz("/z/groupdeny", "Require sipsso-group %s" % NONMEMBER)
    + authz("/z/groupcase", "Require sipsso-group %s" % G1.upper())
    + authz("/z/all", "<RequireAll>", "  Require valid-user",
            "  Require sipsso-group %s" % G1, "</RequireAll>")
    + authz("/z/alldeny", "<RequireAll>", "  Require sipsso-group %s" % G1,
            "  Require sipsso-claim givenname Bob", "</RequireAll>")
    + authz("/z/any", "<RequireAny>", "  Require sipsso-group %s" % NONMEMBER,
            "  Require sipsso-claim givenname Alice", "</RequireAny>")
    + authz("/z/anydeny", "<RequireAny>", "  Require sipsso-group %s" % NONMEMBER,
            "  Require sipsso-claim givenname Bob", "</RequireAny>")
    + authz("/z/nested", "<RequireAll>", "  Require valid-user", "  <RequireAny>",
            "    Require sipsso-group %s" % NONMEMBER,
            "    Require sipsso-claim %s %s" % (C_OID, ALICE["oid"]),
            "  </RequireAny>", "</RequireAll>")
    + authz("/z/not", "<RequireAll>", "  Require valid-user",
            "  Require not sipsso-group %s" % G1, "</RequireAll>")
    + authz("/z/notother", "<RequireAll>", "  Require valid-user",
            "  Require not sipsso-group %s" % NONMEMBER, "</RequireAll>")
    + authz("/z/notclaim", "<RequireAll>", "  Require sipsso-group %s" % G2,
            "  Require not sipsso-claim givenname Alice", "</RequireAll>")
)

GRANTED = ["/z/short", "/z/shortcase", "/z/uri", "/z/alias", "/z/multi",
           "/z/multiclaim", "/z/group", "/z/groups", "/z/groupalias", "/z/all", "/z/any",
           "/z/nested", "/z/notother"]
DENIED = ["/z/claimdeny", "/z/valuecase", "/z/unknownclaim", "/z/groupdeny",
          "/z/alldeny", "/z/anydeny", "/z/not", "/z/notclaim"]


def assert_forbidden_page(sp, browser, path):
    before = len(sp.backend.requests)
    r = browser.get(sp.base + path, allow_redirects=False)
    assert r.status_code == 403, (path, r.status_code, r.text[:300])
    assert "Location" not in r.headers and "WWW-Authenticate" not in r.headers, path
    assert "Set-Cookie" not in r.headers, path              # the session stays
    assert r.headers["Content-Type"] == "text/html; charset=utf-8", path
    assert "Access denied" in r.text and "not allowed" in r.text, path
    assert len(sp.backend.requests) == before, path
    # no loop: the same request again is the same answer, the session still works
    assert browser.get(sp.base + path, allow_redirects=False).status_code == 403


def test_authorization_grants(make_legacy, browser):
    sp = make_legacy(more=AUTHZ)
    sign_in(sp, browser, "/legacy/")
    for path in GRANTED:
        r = browser.get(sp.base + path + "/", allow_redirects=False)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        assert r.json()["path"] == path + "/"


def test_authorization_denials_are_403_pages(make_legacy, browser):
    sp = make_legacy(more=AUTHZ)
    sign_in(sp, browser, "/legacy/")
    for path in DENIED:
        assert_forbidden_page(sp, browser, path + "/")
    assert browser.get(sp.base + "/legacy/", allow_redirects=False).status_code == 200


def test_authorization_without_session_signs_in_first(make_legacy, browser):
    """Not signed in: a redirect to sign in (never a 403 or the backend),
    and after sign-in the original URL is granted."""
    sp = make_legacy(more=AUTHZ)
    for path in ("/z/group/", "/z/not/", "/z/any/"):
        st, hdrs, _ = raw(sp.port, "GET", path)
        assert st == 302 and dict(hdrs)["Location"].startswith(sp.idp.tenant.login_url)
        st, _, _ = raw(sp.port, "POST", path, body=b"x")
        assert st == 401
    assert sp.backend.requests == []
    sign_in(sp, browser, "/z/group/")
    assert browser.get(sp.base + "/z/group/").status_code == 200


def test_user_without_groups_is_denied_by_sipsso_group(make_legacy, browser):
    sp = make_legacy(more=AUTHZ, users=[ALICE, DAVE])
    sign_in(sp, browser, "/legacy/", upn=DAVE["upn"])
    rec = browser.get(sp.base + "/legacy/").json()
    assert values(rec, "X-SSO-User") == [DAVE["upn"]]
    assert not values(rec, "X-SSO-Groups")
    for path in ("/z/group/", "/z/groups/", "/z/all/"):
        assert_forbidden_page(sp, browser, path)
    # Require not sipsso-group with no groups at all: granted
    assert browser.get(sp.base + "/z/not/").status_code == 200
    assert "none of the required groups" in sp.httpd.logs()


def test_groups_overage_denies_and_says_how_to_fix(make_legacy, browser):
    sp = make_legacy(more=AUTHZ)
    claims = _alice_claims(sp)
    del claims["http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"]
    claims[C_GROUPS_LINK] = ("https://graph.windows.net/%s/users/%s/getMemberObjects"
                             % (harness.TENANT, ALICE["oid"]))
    _sign_in_with_claims(sp, browser, "/z/group/", claims)
    assert_forbidden_page(sp, browser, "/z/group/")
    lines = [l for l in sp.httpd.logs().splitlines() if "groups.link" in l]
    assert lines, sp.httpd.logs()
    line = lines[0]
    assert UPN in line and "150" in line
    assert "Groups assigned to the application" in line and "filter" in line
    # other authorization and the identity still work
    assert browser.get(sp.base + "/z/short/").status_code == 200


@pytest.mark.parametrize("require,message", [
    ("Require sipsso-claim", "needs a claim name"),
    ("Require sipsso-claim givenname", "needs a claim name and at least one value"),
    ("Require sipsso-group", "needs at least one group"),
])
def test_require_without_values_refuses_to_start(make_legacy, require, message):
    with pytest.raises(RuntimeError) as e:
        make_legacy(more=authz("/bad", require))
    assert message in str(e.value)


# ------------------------------------------------------------------ 5. passive mode

def test_passive_anonymous_reaches_the_backend_without_identity(make_legacy):
    sp = make_legacy()
    for method in ("GET", "HEAD", "POST"):
        st, hdrs, body = raw(sp.port, method, "/public/", [("X-SSO-User", "mallory")])
        assert st == 200, (method, st)
        assert dict(hdrs).get("X-Echo-Backend") == "1"
        assert "Location" not in dict(hdrs)
        if method != "HEAD":
            assert prefixed(json.loads(body)) == []
    # a stale or forged session cookie: still anonymous, still no redirect
    st, hdrs, body = raw(sp.port, "GET", "/public/",
                         [("Cookie", "sipsso=" + "A" * 43 + "; theme=dark")])
    assert st == 200 and prefixed(json.loads(body)) == []
    assert values(json.loads(body), "Cookie") == ["theme=dark"]
    assert len(sp.backend.requests) == 4


def test_passive_with_session_sets_identity(make_legacy, browser):
    sp = make_legacy()
    assert prefixed(browser.get(sp.base + "/public/").json()) == []
    sign_in(sp, browser, "/legacy/")
    rec = browser.get(sp.base + "/public/", allow_redirects=False).json()
    assert_exactly_alice(rec)
    assert not any("sipsso=" in c for c in values(rec, "Cookie"))


def test_passive_cgi(make_legacy, browser):
    sp = make_legacy()
    r = browser.get(sp.base + "/pcgi/env.cgi", allow_redirects=False)
    assert r.status_code == 200
    env = cgi_env(r.text)
    assert "REMOTE_USER" not in env and "SIPSSO_NAMEID" not in env
    sign_in(sp, browser, "/cgi-bin/env.cgi")
    env = cgi_env(browser.get(sp.base + "/pcgi/env.cgi").text)
    assert env["REMOTE_USER"] == UPN
    assert env["AUTH_TYPE"] == "SipSSO"
    assert env["SIPSSO_GIVENNAME"] == "Alice"
    assert not [k for k in env if k.startswith("HTTP_X_SSO")]   # headers Off there


def test_login_link_from_a_passive_page(make_legacy, browser):
    sp = make_legacy()
    r = browser.get(sp.base + "/sipsso/login?ReturnTo=/public/", allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"].startswith(sp.idp.tenant.login_url)
    r = sp.sign_in(browser, path="/sipsso/login?ReturnTo=/public/")
    assert r.status_code == 303 and r.headers["Location"] == sp.base + "/public/"
    rec = browser.get(r.headers["Location"], allow_redirects=False).json()
    assert values(rec, "X-SSO-User") == [UPN]
    assert sp.backend.requests[-1]["path"] == "/public/"


# ------------------------------------------------------------------ 6. who the user is

def test_user_attribute_objectidentifier(make_legacy, browser):
    sp = make_legacy(more=proxied("/byoid", *PROTECTED, "SipSSORequestHeaders On",
                                  "SipSSOUserAttribute objectidentifier"))
    sign_in(sp, browser, "/byoid/")
    rec = browser.get(sp.base + "/byoid/").json()
    assert values(rec, "X-SSO-User") == [ALICE["oid"]]
    assert values(rec, "X-SSO-Name") == [UPN]
    assert_exactly_alice(rec, user=ALICE["oid"])
    # per location: the default (NameID) elsewhere, same session
    assert values(browser.get(sp.base + "/legacy/").json(), "X-SSO-User") == [UPN]


# ------------------------------------------------------------------ internal redirects

ERRORDOCS = """
<Location /gone-passive>
  ErrorDocument 404 /pcgi/env.cgi
</Location>
<Location /gone-protected>
  ErrorDocument 404 /hcgi/env.cgi
</Location>
<Location /app>
  AuthType SipSSO
  Require valid-user
  ErrorDocument 404 /hcgi/env.cgi
</Location>
"""


def test_error_document_from_a_protected_location_keeps_identity(make_legacy, browser):
    """A 404 in a protected location whose ErrorDocument is a SipSSO page:
    the internal redirect inherits the session (the cookie is already gone)."""
    sp = make_legacy(more=ERRORDOCS)
    sign_in(sp, browser, "/app/")
    r = browser.get(sp.base + "/app/missing", allow_redirects=False)
    assert r.status_code == 404
    env = cgi_env(r.text)
    assert env["REMOTE_USER"] == UPN and env["HTTP_X_SSO_USER"] == UPN


@pytest.mark.parametrize("path", ["/gone-passive/x", "/gone-protected/x"])
def test_error_document_in_a_public_location_keeps_identity(make_legacy, browser, path):
    sp = make_legacy(more=ERRORDOCS)
    sign_in(sp, browser, "/legacy/")
    r = browser.get(sp.base + path, allow_redirects=False)
    assert r.status_code == 404
    env = cgi_env(r.text)
    assert env.get("REMOTE_USER") == UPN, r.text[:400]


def test_user_attribute_missing_is_a_403_page_not_a_loop(make_legacy, browser):
    """SipSSOUserAttribute names a claim alice does not have: a protected
    location says so (403, nothing at the backend); a passive one stays
    anonymous."""
    sp = make_legacy(more=proxied("/bydept", *PROTECTED, "SipSSORequestHeaders On",
                                  "SipSSOUserAttribute department")
                     + proxied("/pubdept", "SipSSOPassive On", "SipSSORequestHeaders On",
                               "SipSSOUserAttribute department"))
    sign_in(sp, browser, "/legacy/")
    sp.backend.clear()
    r = browser.get(sp.base + "/bydept/", allow_redirects=False)
    assert r.status_code == 403 and "Location" not in r.headers
    assert "Access denied" in r.text
    assert sp.backend.requests == []
    assert "SipSSOUserAttribute department" in sp.httpd.logs()
    rec = browser.get(sp.base + "/pubdept/", allow_redirects=False).json()
    assert prefixed(rec) == []
    assert not any("sipsso=" in c for c in values(rec, "Cookie"))


def test_group_ids_compare_without_case(make_legacy, browser):
    """GUIDs: Entra sends them lower-case, an admin may paste them upper-case."""
    sp = make_legacy(more=AUTHZ)
    sign_in(sp, browser, "/legacy/")
    assert browser.get(sp.base + "/z/groupcase/").status_code == 200
