"""Session lifecycle and single logout with Entra ID (issue 5)."""
import base64
import os
import re
import subprocess
import urllib.parse

import pytest
import requests

import harness
from harness import entra_idp

DAVE = {"upn": "dave@contoso.example", "given": "Dave", "assigned": True}
SIG_ALG = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def signed_in(sp, s, upn=harness.ALICE["upn"]):
    r = sp.sign_in(s, upn=upn)
    assert r.status_code == 303, r.text[:300]
    assert s.get(sp.base + "/app/", allow_redirects=False).status_code == 200


def raw_get(sp, path_and_query):
    """GET without any client-side re-encoding of the query (requests
    upper-cases percent-escapes, which would change what was signed)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", sp.port, timeout=10)
    try:
        c.request("GET", path_and_query)
        r = c.getresponse()
        r.text = r.read().decode("utf-8", "replace")
        r.status_code = r.status
        r.headers = {k: v for k, v in r.getheaders()}
        return r
    finally:
        c.close()


def has_session(sp, s):
    return s.get(sp.base + "/app/", allow_redirects=False).status_code == 200


def logout_request_xml(sp, name_id, session_index=None, issuer=None, dest=True):
    return ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            'xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" '
            'IssueInstant="%s"%s><Issuer>%s</Issuer><NameID Format="urn:oasis:names:'
            'tc:SAML:1.1:nameid-format:emailAddress">%s</NameID>%s</samlp:LogoutRequest>'
            % (entra_idp.new_id(), entra_idp.fmt_instant(entra_idp.utcnow()),
               ' Destination="%s/sipsso/sls"' % sp.base if dest else "",
               issuer or sp.idp.tenant.entity_id, name_id,
               "<samlp:SessionIndex>%s</samlp:SessionIndex>" % session_index
               if session_index else "")).encode()


def signed_query(key, xml, relay="r1", lower=False):
    """HTTP-Redirect binding: the signature covers the query string as sent.
    Entra percent-encodes in lower case; lower=True does the same."""
    q = "SAMLRequest=%s&RelayState=%s&SigAlg=%s" % (
        urllib.parse.quote(entra_idp.encode_redirect(xml), safe=""), relay,
        urllib.parse.quote(SIG_ALG, safe=""))
    if lower:
        q = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), q)
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                         input=q.encode(), capture_output=True, check=True).stdout
    s = urllib.parse.quote(base64.b64encode(sig).decode(), safe="")
    return q + "&Signature=" + (s.lower() if False else s)


def test_sp_logout_through_entra(make_sp, browser):
    """Metadata names Entra's logout URL: the local session ends at once, a
    LogoutRequest goes to Entra with NameID and SessionIndex, and Entra's
    LogoutResponse at /sls lands on ReturnTo."""
    sp = make_sp(style="metadata")
    signed_in(sp, browser)
    cgi = sp.base + "/cgi-bin/env.cgi"
    env = browser.get(cgi).text
    sidx = re.search(r"SIPSSO_SESSION_INDEX=(\S+)", env).group(1)
    r = browser.get(sp.base + "/sipsso/logout?ReturnTo=%2Fpublic%2F", allow_redirects=False)
    assert r.status_code == 302
    assert "sipsso=;" in r.headers["Set-Cookie"]
    loc = r.headers["Location"]
    assert loc.startswith(sp.idp.tenant.login_url + "?SAMLRequest=")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    lr = entra_idp.parse_logout_request(q["SAMLRequest"][0])
    assert lr["name_id"] == harness.ALICE["upn"]
    assert lr["session_index"] == sidx
    assert lr["issuer"] == sp.entity_id
    assert not has_session(sp, browser)          # ended before Entra answers
    r = browser.get(loc, allow_redirects=False)   # the test IdP answers
    assert r.status_code == 302 and "/sipsso/sls?SAMLResponse=" in r.headers["Location"]
    r = browser.get(r.headers["Location"], allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"] == sp.base + "/public/"


def test_sp_logout_without_idp_logout_url(sp, browser):
    signed_in(sp, browser)
    r = browser.get(sp.base + "/sipsso/logout?ReturnTo=%2Fpublic%2F", allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == sp.base + "/public/"
    assert "sipsso=;" in r.headers["Set-Cookie"] and "Max-Age=0" in r.headers["Set-Cookie"]
    assert not has_session(sp, browser)
    assert "signed out (locally" in sp.httpd.logs()


def test_sp_logout_with_logout_url_directive(make_sp, browser):
    sp = make_sp(extra="SipSSOIdPLogoutURL %s\n" % ("http://127.0.0.1:1/x/saml2"))
    # The IdP login URL is the test IdP; the logout URL we name differs.
    signed_in(sp, browser)
    r = browser.get(sp.base + "/sipsso/logout", allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("http://127.0.0.1:1/x/saml2?SAMLRequest=")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_logout_return_to_is_local(sp, browser, target):
    r = browser.get(sp.base + "/sipsso/logout?ReturnTo=" + urllib.parse.quote(target, safe=""),
                    allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == sp.base + "/"


def test_idp_logout_ends_all_sessions_of_the_user(make_sp):
    sp = make_sp(style="metadata", users=[harness.ALICE, DAVE])
    a1, a2, d = requests.Session(), requests.Session(), requests.Session()
    signed_in(sp, a1)
    signed_in(sp, a2)
    signed_in(sp, d, upn=DAVE["upn"])
    q = signed_query(sp.idp.key, logout_request_xml(sp, harness.ALICE["upn"]))
    r = raw_get(sp, "/sipsso/sls?" + q)            # arrives from any browser
    assert r.status_code == 302, r.text
    loc = r.headers["Location"]
    assert loc.startswith(sp.idp.tenant.login_url + "?SAMLResponse=")
    resp = entra_idp.decode_redirect(urllib.parse.parse_qs(
        urllib.parse.urlsplit(loc).query)["SAMLResponse"][0])
    assert b"urn:oasis:names:tc:SAML:2.0:status:Success" in resp
    assert not has_session(sp, a1) and not has_session(sp, a2)
    assert has_session(sp, d)
    assert "2 session(s) ended" in sp.httpd.logs()


def test_idp_logout_by_session_index(make_sp):
    sp = make_sp(style="metadata")
    a1, a2 = requests.Session(), requests.Session()
    signed_in(sp, a1)
    signed_in(sp, a2)
    sidx = re.search(r"SIPSSO_SESSION_INDEX=(\S+)",
                     a1.get(sp.base + "/cgi-bin/env.cgi").text).group(1)
    q = signed_query(sp.idp.key, logout_request_xml(sp, harness.ALICE["upn"], sidx),
                     lower=True)
    assert "%2b" in q or "%2f" in q or "%3d" in q   # lower-case, as Entra sends
    r = raw_get(sp, "/sipsso/sls?" + q)
    assert r.status_code == 302
    assert not has_session(sp, a1) and has_session(sp, a2)


def _refused(sp, query, survivors):
    r = raw_get(sp, "/sipsso/sls?" + query)
    assert r.status_code == 400
    assert "Sign-out request refused" in r.text
    for s in survivors:
        assert has_session(sp, s)
    assert "refused sign-out message" in sp.httpd.logs()


def test_idp_logout_unsigned_refused(sp, browser):
    signed_in(sp, browser)
    xml = logout_request_xml(sp, harness.ALICE["upn"])
    _refused(sp, "SAMLRequest=" + urllib.parse.quote(entra_idp.encode_redirect(xml), safe=""),
             [browser])


def test_idp_logout_wrong_key_refused(sp, browser, tmp_path):
    signed_in(sp, browser)
    key, _ = entra_idp.make_keypair(str(tmp_path / "evil"))
    _refused(sp, signed_query(key, logout_request_xml(sp, harness.ALICE["upn"])), [browser])


def test_idp_logout_tampered_refused(sp, browser):
    signed_in(sp, browser)
    q = signed_query(sp.idp.key, logout_request_xml(sp, harness.ALICE["upn"]), relay="abc")
    _refused(sp, q.replace("RelayState=abc", "RelayState=abd"), [browser])


def test_idp_logout_foreign_issuer_refused(sp, browser):
    signed_in(sp, browser)
    xml = logout_request_xml(sp, harness.ALICE["upn"],
                             issuer="https://sts.windows.net/00000000-0000-0000-0000-000000000000/")
    _refused(sp, signed_query(sp.idp.key, xml), [browser])


def test_force_authn_in_request(make_sp, browser):
    body = harness.PROTECT + "<Location /app/strict>\n  SipSSOForceAuthn On\n</Location>\n"
    sp = make_sp(body_extra=body)
    req, _, _ = sp.start_login(browser, "/app/strict/")
    assert req["force_authn"] in (True, "true")
    req, _, _ = sp.start_login(browser, "/app/")
    assert req["force_authn"] in (False, "false", None)


def test_session_not_on_or_after_caps_session(sp, browser):
    """SessionNotOnOrAfter from the assertion ends the session early."""
    import datetime
    req, relay, _ = sp.start_login(browser)
    soon = entra_idp.utcnow() + datetime.timedelta(seconds=2)
    r = sp.post_acs(browser, sp.response_for(req, session_not_on_or_after=soon), relay)
    assert r.status_code == 303
    assert has_session(sp, browser)
    import time
    time.sleep(2.5)
    assert not has_session(sp, browser)
