"""The whole sign-in, end to end, against real httpd + the test IdP."""
import harness


def test_protected_page_redirects_to_idp(sp, browser):
    req, relay, r = sp.start_login(browser)
    assert r.headers["Location"].startswith(sp.idp.tenant.login_url + "?SAMLRequest=")
    assert req["issuer"] == sp.entity_id
    assert req["acs_url"] == sp.acs
    assert relay and len(relay) <= 80
    assert "transient" not in (req["name_id_policy_format"] or "")


def test_full_signin_shows_protected_page(sp, browser):
    r = sp.sign_in(browser)
    assert r.status_code == 303, r.text
    assert r.headers["Location"] == sp.base + "/app/"
    cookie = r.headers["Set-Cookie"]
    assert "sipsso=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    r = browser.get(sp.base + "/app/", allow_redirects=False)
    assert r.status_code == 200
    assert "protected page" in r.text


def test_identity_variables(sp, browser):
    assert sp.sign_in(browser, path="/cgi-bin/env.cgi").status_code == 303
    env = dict(l.split("=", 1) for l in
               browser.get(sp.base + "/cgi-bin/env.cgi").text.splitlines() if "=" in l)
    assert env["REMOTE_USER"] == harness.ALICE["upn"]
    assert env["AUTH_TYPE"] == "SipSSO"
    assert env["SIPSSO_NAMEID"] == harness.ALICE["upn"]
    assert env["SIPSSO_IDP"] == sp.idp.tenant.entity_id
    assert env["SIPSSO_OBJECTIDENTIFIER"] == harness.ALICE["oid"]
    assert env["SIPSSO_GIVENNAME"] == "Alice"
    assert env["SIPSSO_TENANTID"] == harness.TENANT
    groups = harness.ALICE["groups"]
    assert env["SIPSSO_GROUPS"] == ";".join(groups)
    assert env["SIPSSO_GROUPS_N"] == "2"
    assert env["SIPSSO_GROUPS_0"] == groups[0] and env["SIPSSO_GROUPS_1"] == groups[1]
    assert env["SIPSSO_SESSION_INDEX"].startswith("_")


def test_two_tabs_signing_in_at_once(sp, browser):
    """Sign-ins started from two pages before either finishes both work:
    the browser-binding cookie is shared, not replaced."""
    req1, relay1, _ = sp.start_login(browser, "/app/")
    req2, relay2, _ = sp.start_login(browser, "/cgi-bin/env.cgi")
    r = sp.post_acs(browser, sp.response_for(req1), relay1)
    assert r.status_code == 303 and r.headers["Location"].endswith("/app/")
    r = sp.post_acs(browser, sp.response_for(req2), relay2)
    assert r.status_code == 303 and r.headers["Location"].endswith("/cgi-bin/env.cgi")
