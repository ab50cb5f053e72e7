"""The flow around the ACS: who gets a redirect and who a 401, session
lifetime, the cookie, the module's own endpoints, and the IdP's refusals."""
import os
import re
import secrets
import time
import urllib.parse

import pytest
import requests
from lxml import etree

import harness
from harness import entra_idp

MD = "{%s}" % entra_idp.MD


def token43():
    return secrets.token_urlsafe(32)            # 43 base64url characters


def cookie_value(r, name="sipsso"):
    m = re.search(r"(?:^|[,\s])%s=([^;,]*)" % name, r.headers.get("Set-Cookie", ""))
    return m.group(1) if m else None


def get_app(sp, cookie=None, path="/app/"):
    """A request from a fresh client that sends only `cookie` (or nothing)."""
    h = {"Cookie": "sipsso=" + cookie} if cookie is not None else {}
    return requests.get(sp.base + path, headers=h, allow_redirects=False)


def assert_to_idp(sp, r):
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert r.headers["Location"].startswith(sp.idp.tenant.login_url + "?SAMLRequest=")


def through_idp(s, r, upn=harness.ALICE["upn"]):
    """Follow a 302 to the IdP as the browser would, up to the ACS answer."""
    assert r.status_code == 302, (r.status_code, r.text[:300])
    r = s.get(r.headers["Location"] + "&login_hint=" + urllib.parse.quote(upn),
              allow_redirects=False)
    action, method, fields = entra_idp.parse_form(r.text)
    return s.post(action, data=fields, allow_redirects=False)


def signed_in(sp, s, path="/app/"):
    r = sp.sign_in(s, path)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    v = cookie_value(r)
    assert v and len(v) == 43
    return v


# ----------------------------------------------------------------- 401 rule

@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_non_get_without_session_is_401(sp, method):
    r = requests.request(method, sp.base + "/app/", data="a=b", allow_redirects=False)
    assert r.status_code == 401, (method, r.status_code)
    assert "Location" not in r.headers
    assert r.headers["WWW-Authenticate"].startswith("SipSSO ")
    assert "/sipsso/login" in r.headers["WWW-Authenticate"]
    # httpd labels custom error texts ISO-8859-1; ours are UTF-8
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert r.text.startswith("<!DOCTYPE html>") and "Sign-in required" in r.text


def test_xhr_get_without_session_is_401(sp):
    r = requests.get(sp.base + "/app/", headers={"X-Requested-With": "XMLHttpRequest"},
                     allow_redirects=False)
    assert r.status_code == 401
    assert "WWW-Authenticate" in r.headers and "Location" not in r.headers


def test_xhr_header_any_case(sp):
    r = requests.get(sp.base + "/app/", headers={"X-Requested-With": "xmlhttprequest"},
                     allow_redirects=False)
    assert r.status_code == 401


def test_head_without_session_redirects(sp):
    r = requests.head(sp.base + "/app/", allow_redirects=False)
    assert_to_idp(sp, r)


def test_get_without_session_redirects(sp):
    assert_to_idp(sp, get_app(sp))


def test_post_with_session_passes(sp, browser):
    signed_in(sp, browser)
    r = browser.post(sp.base + "/cgi-bin/env.cgi", data="a=b", allow_redirects=False)
    assert r.status_code == 200 and "REMOTE_USER=" + harness.ALICE["upn"] in r.text


def test_public_page_untouched(sp):
    r = requests.get(sp.base + "/public/", allow_redirects=False)
    assert r.status_code == 200 and "public page" in r.text


# ----------------------------------------------------------------- lifetime

def test_session_max_age(make_sp, browser):
    sp = make_sp(extra="SipSSOSessionMaxAge 2")
    signed_in(sp, browser)
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
    time.sleep(3)
    assert_to_idp(sp, browser.get(sp.base + "/app/", allow_redirects=False))


def test_session_max_age_not_extended_by_activity(make_sp, browser):
    # Times are stored in whole seconds: keep a margin either side.
    sp = make_sp(extra="SipSSOSessionMaxAge 5")
    start = time.time()
    signed_in(sp, browser)
    for _ in range(2):
        assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
        time.sleep(1)
    time.sleep(max(0, start + 6.5 - time.time()))
    assert_to_idp(sp, browser.get(sp.base + "/app/", allow_redirects=False))


def test_session_idle_timeout(make_sp, browser):
    sp = make_sp(extra="SipSSOSessionIdleTimeout 2")
    signed_in(sp, browser)
    # activity keeps it alive past the idle time counted from sign-in
    for _ in range(3):
        time.sleep(1)
        assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
    time.sleep(3)
    assert_to_idp(sp, browser.get(sp.base + "/app/", allow_redirects=False))


def test_session_not_on_or_after_limits_session(sp, browser):
    """Entra's SessionNotOnOrAfter ends the session before SipSSOSessionMaxAge."""
    req, relay, _ = sp.start_login(browser)
    xml = sp.response_for(req, name_id=harness.ALICE["upn"],
                          session_not_on_or_after=entra_idp.utcnow()
                          + entra_idp.dt.timedelta(seconds=2))
    r = sp.post_acs(browser, xml, relay)
    assert r.status_code == 303
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
    time.sleep(3)
    assert_to_idp(sp, browser.get(sp.base + "/app/", allow_redirects=False))


# ----------------------------------------------------------------- the cookie

def test_cookie_attributes(sp, browser):
    r = sp.sign_in(browser)
    c = r.headers["Set-Cookie"]
    assert re.search(r"sipsso=[A-Za-z0-9_-]{43}; Path=/;", c), c
    assert "HttpOnly" in c and "SameSite=Lax" in c
    assert "Secure" not in c                    # plain http in this test


def test_real_cookie_works_from_another_client(sp, browser):
    v = signed_in(sp, browser)
    assert get_app(sp, v).status_code == 200


@pytest.mark.parametrize("how", ["forged", "truncated", "overlong", "flipped",
                                 "padded", "quoted", "empty"])
def test_tampered_cookie(sp, browser, how):
    v = signed_in(sp, browser)
    bad = {"forged": token43(), "truncated": v[:-1], "overlong": v + "A",
           "flipped": v[:-1] + ("A" if v[-1] != "A" else "B"),
           "padded": v + "=", "quoted": '"%s"' % v, "empty": ""}[how]
    assert bad != v
    assert_to_idp(sp, get_app(sp, bad))


def test_session_fixation(sp, browser):
    planted = token43()
    browser.cookies.set("sipsso", planted, domain="127.0.0.1", path="/")
    assert_to_idp(sp, browser.get(sp.base + "/app/", allow_redirects=False))
    v = signed_in(sp, browser)
    assert v != planted
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
    assert_to_idp(sp, get_app(sp, planted))
    assert get_app(sp, v).status_code == 200


def test_cookie_of_another_sp(make_sp, browser):
    sp1, sp2 = make_sp(), make_sp()
    v = signed_in(sp1, browser)
    assert get_app(sp1, v).status_code == 200
    assert_to_idp(sp2, get_app(sp2, v))


def _two_vhosts(tmp):
    """One apache2 with two SipSSO virtual hosts (different ports, same
    host name as far as cookies go) and one IdP that knows both apps."""
    tmp = str(tmp)
    ports = [harness.free_port(), harness.free_port()]
    views = []
    for p in ports:
        base = "http://127.0.0.1:%d" % p
        v = harness.Sp.__new__(harness.Sp)      # an Sp view without its own servers
        v.tmp, v.port, v.base = tmp, p, base
        v.entity_id, v.acs = base + "/sipsso/metadata", base + "/sipsso/acs"
        views.append(v)
    apps = [{"identifier": v.entity_id, "reply_urls": [v.acs], "name": "App %d" % i}
            for i, v in enumerate(views)]
    idp = harness.Idp(tmp, views[0].entity_id, views[0].acs, extra={"apps": apps})
    body = "Listen 127.0.0.1:%d\n" % ports[1]
    for p, v in zip(ports, views):
        v.idp = idp
        body += ("<VirtualHost 127.0.0.1:%d>\nServerName 127.0.0.1:%d\n%s</VirtualHost>\n"
                 % (p, p, harness.sp_directives(idp, v.entity_id)))
    try:
        httpd = harness.Httpd(tmp, ports[0], body + harness.PROTECT)
    except Exception:
        idp.stop()
        raise
    for v in views:
        v.httpd = httpd
    return idp, httpd, views


def test_cookie_of_another_vhost_same_server(tmp_path, browser):
    idp, httpd, (a, b) = _two_vhosts(tmp_path)
    try:
        harness.wait_port(int(b.base.rsplit(":", 1)[1]), httpd.proc)
        v = signed_in(a, browser)
        assert browser.get(a.base + "/app/", allow_redirects=False).status_code == 200
        # the browser sends the same cookie to the other port (cookies ignore ports)
        assert_to_idp(b, browser.get(b.base + "/app/", allow_redirects=False))
        assert_to_idp(b, get_app(b, v))
        # and b's own sign-in works in the same server
        with requests.Session() as other:
            signed_in(b, other)
            assert other.get(b.base + "/app/", allow_redirects=False).status_code == 200
    finally:
        httpd.stop()
        idp.stop()


# ----------------------------------------------------------------- endpoints

@pytest.mark.parametrize("path", ["/sipsso", "/sipsso/"])
def test_setup_page(sp, path):
    r = requests.get(sp.base + path, allow_redirects=False)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    for v in (sp.entity_id, sp.acs, sp.idp.tenant.entity_id, sp.idp.tenant.login_url):
        assert v in r.text, v
    assert "PRIVATE KEY" not in r.text


def test_metadata(sp):
    r = requests.get(sp.base + "/sipsso/metadata", allow_redirects=False)
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == "application/samlmetadata+xml"
    root = etree.fromstring(r.content)
    assert root.tag == MD + "EntityDescriptor"
    assert root.get("entityID") == sp.entity_id
    spsso = root.find(MD + "SPSSODescriptor")
    assert "urn:oasis:names:tc:SAML:2.0:protocol" in spsso.get("protocolSupportEnumeration")
    acs = spsso.findall(MD + "AssertionConsumerService")
    assert [(a.get("Binding"), a.get("Location")) for a in acs] == [
        (entra_idp.BINDING_POST, sp.acs)]
    sls = spsso.findall(MD + "SingleLogoutService")
    assert sls and sls[0].get("Location") == sp.base + "/sipsso/sls"


def _logout_request(sp):
    xml = ('<samlp:LogoutRequest xmlns:samlp="%s" ID="%s" Version="2.0" IssueInstant="%s" '
           'Destination="%s"><Issuer xmlns="%s">%s</Issuer><NameID xmlns="%s">%s</NameID>'
           '</samlp:LogoutRequest>' % (
               entra_idp.SAMLP, entra_idp.new_id(),
               entra_idp.fmt_instant(entra_idp.utcnow()), sp.base + "/sipsso/sls",
               entra_idp.SAML, sp.idp.tenant.entity_id, entra_idp.SAML,
               harness.ALICE["upn"])).encode()
    return entra_idp.redirect_url(sp.base + "/sipsso/sls", "SAMLRequest", xml)


def test_sls_refuses_unsigned_logout_request(sp, browser):
    """The endpoint exists; an unsigned LogoutRequest is refused (400) and
    the session survives (test_logout.py covers signed ones)."""
    signed_in(sp, browser)
    r = browser.get(_logout_request(sp), allow_redirects=False)
    assert r.status_code == 400
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200


def test_metadata_is_public(sp):
    """No session needed, even though the IdP and admins fetch it."""
    r = requests.get(sp.base + "/sipsso/metadata",
                     headers={"X-Requested-With": "XMLHttpRequest"}, allow_redirects=False)
    assert r.status_code == 200


def test_login_endpoint_return_to(sp, browser):
    r = browser.get(sp.base + "/sipsso/login?ReturnTo=%2Fapp%2Fx", allow_redirects=False)
    assert_to_idp(sp, r)
    r = through_idp(browser, r)
    assert r.status_code == 303 and r.headers["Location"] == sp.base + "/app/x"


def test_login_endpoint_return_to_with_query(sp, browser):
    rt = urllib.parse.quote("/app/?a=1&b=2", safe="")
    r = through_idp(browser, browser.get(sp.base + "/sipsso/login?ReturnTo=" + rt,
                                         allow_redirects=False))
    assert r.status_code == 303 and r.headers["Location"] == sp.base + "/app/?a=1&b=2"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example/", "/%2Fevil.example",
                                    "javascript:alert(1)", "http:evil.example",
                                    "/app/\r\nX-Evil: 1", "/\tevil.example", "app/x"])
def test_login_endpoint_refuses_offsite_return(sp, browser, target):
    r = browser.get(sp.base + "/sipsso/login?ReturnTo=" + urllib.parse.quote(target, safe=""),
                    allow_redirects=False)
    r = through_idp(browser, r)
    assert r.status_code == 303
    assert r.headers["Location"] == sp.base + "/", r.headers["Location"]


def test_login_endpoint_without_return_to(sp, browser):
    r = through_idp(browser, browser.get(sp.base + "/sipsso/login", allow_redirects=False))
    assert r.status_code == 303 and r.headers["Location"] == sp.base + "/"


def test_logout(sp, browser):
    v = signed_in(sp, browser)
    assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
    r = browser.get(sp.base + "/sipsso/logout", allow_redirects=False)
    assert r.status_code in (302, 303)
    assert r.headers["Location"] == sp.base + "/"
    c = r.headers["Set-Cookie"]
    assert re.search(r"sipsso=;", c) and "Max-Age=0" in c, c
    assert "sipsso" not in [k.name for k in browser.cookies if k.value]
    assert_to_idp(sp, browser.get(sp.base + "/app/", allow_redirects=False))
    # the session is gone on the server, not only from the browser
    assert_to_idp(sp, get_app(sp, v))


def test_logout_return_to(sp, browser):
    signed_in(sp, browser)
    r = browser.get(sp.base + "/sipsso/logout?ReturnTo=%2Fpublic%2F", allow_redirects=False)
    assert r.headers["Location"] == sp.base + "/public/"
    r = browser.get(sp.base + "/sipsso/logout?ReturnTo=https%3A%2F%2Fevil.example%2F",
                    allow_redirects=False)
    assert r.headers["Location"] == sp.base + "/"


# ----------------------------------------------------------------- identity

OID_BLOCK = harness.PROTECT + """
<Location /cgi-bin>
  SipSSOUserAttribute %s
</Location>
"""


def env_of(s, sp):
    r = s.get(sp.base + "/cgi-bin/env.cgi", allow_redirects=False)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    return dict(l.split("=", 1) for l in r.text.splitlines() if "=" in l)


@pytest.mark.parametrize("attr", ["objectidentifier", entra_idp.C_OID])
def test_user_attribute_objectidentifier(make_sp, browser, attr):
    sp = make_sp(body_extra=OID_BLOCK % attr)
    assert sp.sign_in(browser, path="/cgi-bin/env.cgi").status_code == 303
    env = env_of(browser, sp)
    assert env["REMOTE_USER"] == harness.ALICE["oid"]
    assert env["SIPSSO_NAMEID"] == harness.ALICE["upn"]


def test_user_attribute_missing_claim_is_403(make_sp, browser):
    sp = make_sp(body_extra=OID_BLOCK % "nosuchclaim")
    assert sp.sign_in(browser, path="/cgi-bin/env.cgi").status_code == 303
    r = browser.get(sp.base + "/cgi-bin/env.cgi", allow_redirects=False)
    assert r.status_code == 403
    assert "nosuchclaim" in open(sp.httpd.error_log).read()


# ----------------------------------------------------------------- IdP refusals

def test_unassigned_user_stops_at_idp(sp, browser):
    r = browser.get(sp.base + "/app/", allow_redirects=False)
    r = browser.get(r.headers["Location"] + "&login_hint=bob%40contoso.example",
                    allow_redirects=False)
    assert r.status_code == 403
    assert "AADSTS50105" in r.text
    assert "<form" not in r.text                  # nothing is posted to the SP
    assert "POST /sipsso/acs" not in open(os.path.join(sp.tmp, "access.log")).read()
    assert_to_idp(sp, browser.get(sp.base + "/app/", allow_redirects=False))


def test_idp_error_response_through_idp(sp, browser):
    r = sp.sign_in(browser, upn=harness.CAROL["upn"])
    assert r.status_code == 403
    assert r.headers["Content-Type"].startswith("text/html")
    assert "AADSTS75011" in r.text
    assert "Back to login" in r.text
    assert cookie_value(r) is None
    ref = re.search(r'class="ref">([A-Za-z0-9_-]+)<', r.text).group(1)
    log = open(sp.httpd.error_log).read()
    assert re.search(r"ref %s\).*AADSTS75011" % re.escape(ref), log)
    assert_to_idp(sp, browser.get(sp.base + "/app/", allow_redirects=False))
