"""Every check the ACS makes, one response at a time.

Each case answers an outstanding request of this browser (sp.start_login),
with a Response built by the test IdP library, and posts it to the ACS. A
rejection must: have the right status, set no session cookie, leave the
protected page protected, show an HTML page with a reference and nothing of
the SAML message or of the reason, and log exactly one line with that
reference and a reason precise enough for an admin."""
import base64
import datetime as dt
import re

import pytest
import requests

import harness
from harness import entra_idp

ALICE = harness.ALICE["upn"]
HOK = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
S = "{%s}" % entra_idp.SAML


def now():
    return entra_idp.utcnow()


def secs(n):
    return dt.timedelta(seconds=n)


def resp(sp, req, **kw):
    kw.setdefault("name_id", ALICE)
    return sp.response_for(req, **kw)


from harness import session_cookie_set, log_lines_with  # noqa: E402


def assert_accepted(sp, browser, r, landing="/app/"):
    assert r.status_code == 303, (r.status_code, r.text[:400],
                                  open(sp.httpd.error_log).read()[-2000:])
    assert r.headers["Location"] == sp.base + landing
    assert session_cookie_set(r), r.headers
    page = browser.get(sp.base + "/app/", allow_redirects=False)
    assert page.status_code == 200 and "protected page" in page.text


def assert_still_protected(sp, browser):
    r = browser.get(sp.base + "/app/", allow_redirects=False)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert r.headers["Location"].startswith(sp.idp.tenant.login_url + "?SAMLRequest=")


def assert_rejected(sp, browser, r, status, keyword, show_reason=False):
    """The full contract of a rejection; returns the logged line."""
    assert r.status_code == status, (r.status_code, r.text[:400])
    assert not session_cookie_set(r), r.headers.get("Set-Cookie")
    assert r.headers["Content-Type"].startswith("text/html")
    body = r.text
    assert "<html" in body
    m = re.search(r'class="ref">([A-Za-z0-9_-]+)<', body)
    assert m, body
    ref = m.group(1)
    assert "<saml" not in body and "Assertion" not in body and "&lt;saml" not in body
    lines = log_lines_with(sp, "ref %s)" % ref)
    assert len(lines) == 1, lines
    line = lines[0]
    assert keyword.lower() in line.lower(), (keyword, line)
    reason = line.split("(ref %s): " % ref, 1)[1].strip()
    assert reason
    if not show_reason:
        assert reason not in body
        assert keyword not in body.replace("<!DOCTYPE html>", ""), (keyword, body)
    assert_still_protected(sp, browser)
    return line


def fresh_login(sp, browser, path="/app/"):
    req, relay, _ = sp.start_login(browser, path)
    return req, relay


# ----------------------------------------------------------------- positive controls

@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_signed_forms_accepted(sp, browser, sign):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, sign=sign), relay)
    assert_accepted(sp, browser, r)
    assert log_lines_with(sp, "signed: %s" % sign)


def test_metadata_config_accepted(make_sp, browser):
    sp = make_sp(style="metadata")
    req, relay = fresh_login(sp, browser)
    assert_accepted(sp, browser, sp.post_acs(browser, resp(sp, req), relay))


def test_destination_absent_accepted(sp, browser):
    req, relay = fresh_login(sp, browser)
    assert_accepted(sp, browser, sp.post_acs(browser, resp(sp, req, destination=False), relay))


def test_return_url_kept(sp, browser):
    req, relay = fresh_login(sp, browser, "/app/?x=1")
    r = sp.post_acs(browser, resp(sp, req), relay)
    assert r.status_code == 303 and r.headers["Location"] == sp.base + "/app/?x=1"


# ----------------------------------------------------------------- audience / conditions

def test_wrong_audience(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, audience="https://other.example/sp"), relay)
    assert_rejected(sp, browser, r, 400, "Audience")


def test_several_audiences_none_ours(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, audience=[
        "https://a.example/", "https://b.example/", sp.entity_id + "x"]), relay)
    assert_rejected(sp, browser, r, 400, "Audience")


def test_several_audiences_one_ours_accepted(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, audience=["https://a.example/", sp.entity_id]),
                    relay)
    assert_accepted(sp, browser, r)


def test_audience_missing(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, audience=False), relay)
    assert_rejected(sp, browser, r, 400, "AudienceRestriction")


def _remove(path):
    def mutate(root):
        a = root.find(S + "Assertion")
        el = a.find(path)
        el.getparent().remove(el)
    return mutate


def test_conditions_missing(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, mutate=_remove(S + "Conditions")), relay)
    assert_rejected(sp, browser, r, 400, "Conditions")


def test_unknown_condition(sp, browser):
    def mutate(root):
        cond = root.find(S + "Assertion").find(S + "Conditions")
        entra_idp._el(cond, S + "Condition")
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, mutate=mutate), relay)
    assert_rejected(sp, browser, r, 400, "condition")


# ----------------------------------------------------------------- subject confirmation

def test_wrong_recipient(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, recipient="https://other.example/acs"), relay)
    assert_rejected(sp, browser, r, 400, "Recipient")


def test_recipient_missing(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, recipient=False), relay)
    assert_rejected(sp, browser, r, 400, "Recipient")


def test_subject_confirmation_data_missing(sp, browser):
    req, relay = fresh_login(sp, browser)
    mut = _remove("%sSubject/%sSubjectConfirmation/%sSubjectConfirmationData" % (S, S, S))
    r = sp.post_acs(browser, resp(sp, req, mutate=mut), relay)
    assert_rejected(sp, browser, r, 400, "SubjectConfirmationData")


def test_holder_of_key_method(sp, browser):
    def mutate(root):
        sc = root.find("%sAssertion/%sSubject/%sSubjectConfirmation" % (S, S, S))
        sc.set("Method", HOK)
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, mutate=mutate), relay)
    line = assert_rejected(sp, browser, r, 400, "bearer")
    assert "holder-of-key" in line


def test_wrong_destination(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, destination="https://other.example/acs"), relay)
    assert_rejected(sp, browser, r, 400, "Destination")


def test_second_audience_restriction_not_ours(sp, browser):
    """Every AudienceRestriction must hold, not just one of them."""
    def mutate(root):
        cond = root.find(S + "Assertion").find(S + "Conditions")
        ar = entra_idp._el(cond, S + "AudienceRestriction")
        entra_idp._el(ar, S + "Audience", "https://other.example/")
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, mutate=mutate), relay)
    assert_rejected(sp, browser, r, 400, "Audience")


def test_in_response_to_differs_between_response_and_assertion(sp, browser):
    """The unsigned Response says one request, the signed assertion another."""
    req, relay = fresh_login(sp, browser)
    xml = resp(sp, req)
    xml = xml.replace(b'InResponseTo="%s"' % req["id"].encode(),
                      b'InResponseTo="_00000000-0000-0000-0000-000000000000"', 1)
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "InResponseTo")


def test_name_id_empty(sp, browser):
    def mutate(root):
        root.find("%sAssertion/%sSubject/%sNameID" % (S, S, S)).text = ""
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, mutate=mutate), relay)
    assert_rejected(sp, browser, r, 400, "NameID")


def test_assertion_without_issuer(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, mutate=_remove(S + "Issuer")), relay)
    assert_rejected(sp, browser, r, 400, "Issuer")


# ----------------------------------------------------------------- time window

def test_expired(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, not_before=now() - secs(7200),
                                  not_on_or_after=now() - secs(3600)), relay)
    assert_rejected(sp, browser, r, 400, "expired")


def test_conditions_expired_only(sp, browser):
    """SubjectConfirmationData still valid, the Conditions not."""
    past = entra_idp.fmt_instant(now() - secs(3600))

    def mutate(root):
        root.find(S + "Assertion").find(S + "Conditions").set("NotOnOrAfter", past)
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, not_before=now() - secs(7200), mutate=mutate),
                    relay)
    line = assert_rejected(sp, browser, r, 400, "expired")
    assert "assertion has expired" in line


def test_subject_confirmation_expired_only(sp, browser):
    past = entra_idp.fmt_instant(now() - secs(3600))

    def mutate(root):
        root.find("%sAssertion/%sSubject/%sSubjectConfirmation/%sSubjectConfirmationData"
                  % (S, S, S, S)).set("NotOnOrAfter", past)
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, mutate=mutate), relay)
    line = assert_rejected(sp, browser, r, 400, "expired")
    assert "SubjectConfirmation has expired" in line


def test_not_yet_valid(sp, browser):
    """Default skew is 180 s: 10 minutes ahead is refused."""
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, not_before=now() + secs(600)), relay)
    assert_rejected(sp, browser, r, 400, "not valid yet")


def test_default_skew_tolerates_two_minutes(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, not_before=now() + secs(120)), relay)
    assert_accepted(sp, browser, r)


@pytest.mark.parametrize("offset,ok", [(50, True), (70, False)])
def test_clock_skew_not_before(make_sp, browser, offset, ok):
    sp = make_sp(extra="SipSSOClockSkew 60")
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, not_before=now() + secs(offset)), relay)
    if ok:
        assert_accepted(sp, browser, r)
    else:
        assert_rejected(sp, browser, r, 400, "not valid yet")


@pytest.mark.parametrize("offset,ok", [(50, True), (70, False)])
def test_clock_skew_not_on_or_after(make_sp, browser, offset, ok):
    sp = make_sp(extra="SipSSOClockSkew 60")
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, not_before=now() - secs(600),
                                  not_on_or_after=now() - secs(offset)), relay)
    if ok:
        assert_accepted(sp, browser, r)
    else:
        assert_rejected(sp, browser, r, 400, "expired")


@pytest.mark.parametrize("value", ["yesterday", "2024-13-45T99:00:00Z", ""])
def test_unparseable_time(sp, browser, value):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, not_on_or_after=value), relay)
    assert_rejected(sp, browser, r, 400, "not a valid time")


def _zoned(t, hours):
    """The same instant written with a +hh:00 / -hh:00 offset."""
    z = dt.timezone(dt.timedelta(hours=hours))
    return t.astimezone(z).strftime("%Y-%m-%dT%H:%M:%S.000") + ("%+03d:00" % hours)


def test_time_zone_offset_expired(sp, browser):
    """10 minutes ago, written in +05:00 (reads like the future if the
    offset were ignored)."""
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, not_before=_zoned(now() - secs(3600), 5),
                                  not_on_or_after=_zoned(now() - secs(600), 5)), relay)
    assert_rejected(sp, browser, r, 400, "expired")


def test_time_zone_offset_valid(sp, browser):
    """A valid window written in -05:00 (reads like the past if ignored)."""
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, not_before=_zoned(now() - secs(300), -5),
                                  not_on_or_after=_zoned(now() + secs(3600), -5)), relay)
    assert_accepted(sp, browser, r)


def test_session_not_on_or_after_past(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, session_not_on_or_after=now() - secs(3600)),
                    relay)
    assert_rejected(sp, browser, r, 400, "SessionNotOnOrAfter")


# ----------------------------------------------------------------- solicited or not

def test_unknown_in_response_to(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, in_response_to="_" + "0" * 36), relay)
    assert_rejected(sp, browser, r, 400, "InResponseTo")


def test_relay_state_of_nobody(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req), "A" * 32)
    assert_rejected(sp, browser, r, 400, "no outstanding request")


def test_relay_state_too_long(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req), relay + "A" * 60)
    assert_rejected(sp, browser, r, 400, "RelayState")


def test_relay_state_missing(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req), None)
    assert_rejected(sp, browser, r, 400, "RelayState")


def test_reused_relay_state(sp, browser):
    req, relay = fresh_login(sp, browser)
    xml = resp(sp, req)
    assert_accepted(sp, browser, sp.post_acs(browser, xml, relay))
    browser.cookies.clear(domain="127.0.0.1", path="/", name="sipsso")
    assert_still_protected(sp, browser)
    # start_login above consumed nothing: the relay of the first request is gone
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "already used")


def test_response_bound_to_other_browser(sp, browser):
    req, relay = fresh_login(sp, browser)
    xml = resp(sp, req)
    with requests.Session() as other:
        fresh_login(sp, other)              # B has its own binding cookie
        r = sp.post_acs(other, xml, relay)
        assert_rejected(sp, other, r, 400, "another browser")
    # and the request is spent: A cannot use it either now
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "no outstanding request")


def test_response_from_browser_without_binding_cookie(sp, browser):
    req, relay = fresh_login(sp, browser)
    with requests.Session() as other:
        r = sp.post_acs(other, resp(sp, req), relay)
        assert_rejected(sp, other, r, 400, "binding cookie")


def test_unsolicited_refused_by_default(sp, browser):
    r = sp.post_acs(browser, resp(sp, {"id": None}, in_response_to=None), None)
    assert_rejected(sp, browser, r, 400, "SipSSOAllowIdPInitiated")


def test_unsolicited_with_our_relay_refused_by_default(sp, browser):
    """A pending RelayState does not make an unsolicited response solicited."""
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, in_response_to=None), relay)
    assert_rejected(sp, browser, r, 400, "unsolicited")


def test_unsolicited_accepted_when_allowed(make_sp, browser):
    sp = make_sp(extra="SipSSOAllowIdPInitiated On")
    r = sp.post_acs(browser, resp(sp, {"id": None}, in_response_to=None), None)
    assert_accepted(sp, browser, r, landing="/")


def test_unsolicited_lands_on_default_url(make_sp, browser):
    sp = make_sp(extra="SipSSOAllowIdPInitiated On\nSipSSODefaultURL /app/")
    r = sp.post_acs(browser, resp(sp, {"id": None}, in_response_to=None), None)
    assert_accepted(sp, browser, r, landing="/app/")


def test_unsolicited_relay_state_not_offsite(make_sp, browser):
    sp = make_sp(extra="SipSSOAllowIdPInitiated On")
    r = sp.post_acs(browser, resp(sp, {"id": None}, in_response_to=None),
                    "https://evil.example/")
    assert_accepted(sp, browser, r, landing="/")


def test_replayed_assertion(make_sp, browser):
    sp = make_sp(extra="SipSSOAllowIdPInitiated On")
    xml = resp(sp, {"id": None}, in_response_to=None)
    assert_accepted(sp, browser, sp.post_acs(browser, xml, None), landing="/")
    browser.cookies.clear(domain="127.0.0.1", path="/", name="sipsso")
    r = sp.post_acs(browser, xml, None)
    assert_rejected(sp, browser, r, 400, "replay")
    with requests.Session() as other:
        r = sp.post_acs(other, xml, None)
        assert_rejected(sp, other, r, 400, "replay")


def test_replayed_assertion_in_new_response(make_sp, browser):
    """Same Assertion ID wrapped in a fresh Response: still a replay."""
    sp = make_sp(extra="SipSSOAllowIdPInitiated On")
    aid = entra_idp.new_id()
    x1 = resp(sp, {"id": None}, in_response_to=None, assertion_id=aid)
    x2 = resp(sp, {"id": None}, in_response_to=None, assertion_id=aid)
    assert x1 != x2
    assert_accepted(sp, browser, sp.post_acs(browser, x1, None), landing="/")
    with requests.Session() as other:
        assert_rejected(sp, other, sp.post_acs(other, x2, None), 400, "replay")


# ----------------------------------------------------------------- issuer and signature

def test_other_tenant_issuer(sp, browser):
    t = sp.idp.tenant
    other = entra_idp.Tenant("0d7a1c5e-9f3b-4e2a-8c61-2f4b5a6c7d8e", t.key_path,
                             t.cert_path, t.base_url)
    req, relay = fresh_login(sp, browser)
    xml = entra_idp.build_response(other, sp_entity_id=sp.entity_id, acs_url=sp.acs,
                                   in_response_to=req["id"], name_id=ALICE)
    r = sp.post_acs(browser, xml, relay)
    line = assert_rejected(sp, browser, r, 400, "issuer")
    assert other.entity_id in line


def test_unsigned(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, sign="none"), relay)
    assert_rejected(sp, browser, r, 400, "nor the Assertion is signed")


def test_tampered_after_signing(sp, browser):
    req, relay = fresh_login(sp, browser)
    xml = resp(sp, req)
    old = b">%s</NameID>" % ALICE.encode()
    assert xml.count(old) == 1
    xml = xml.replace(old, b">mallory@contoso.example</NameID>")
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "altered after signing")


def test_tampered_response_when_response_signed(sp, browser):
    req, relay = fresh_login(sp, browser)
    xml = resp(sp, req, sign="response")
    old = b">%s</NameID>" % ALICE.encode()
    xml = xml.replace(old, b">mallory@contoso.example</NameID>")
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "Response signature")


def test_signed_by_other_key(sp, browser, tmp_path):
    key, cert = entra_idp.make_keypair(str(tmp_path / "otherkeys"))
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, signing_key=key, signing_cert=cert), relay)
    assert_rejected(sp, browser, r, 400, "not configured")


def test_other_key_with_our_cert_in_keyinfo(sp, browser, tmp_path):
    """KeyInfo claims the configured certificate; the key is another one."""
    key, _ = entra_idp.make_keypair(str(tmp_path / "otherkeys"))
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, signing_key=key,
                                  signing_cert=sp.idp.tenant.cert_path), relay)
    assert_rejected(sp, browser, r, 400, "signature")


def test_sha1_refused_by_default(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, sig_alg="rsa-sha1", digest_alg="sha1"), relay)
    assert_rejected(sp, browser, r, 400, "rsa-sha1")


def test_sha1_accepted_when_allowed(make_sp, browser):
    sp = make_sp(extra="SipSSOAllowSHA1 On")
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, resp(sp, req, sig_alg="rsa-sha1", digest_alg="sha1"), relay)
    assert_accepted(sp, browser, r)
    assert "SipSSOAllowSHA1 On (line %d of %s)" % (
        open(sp.httpd.conf).read().splitlines().index("SipSSOAllowSHA1 On") + 1,
        sp.httpd.conf) in sp.httpd.logs()


def test_signature_wrapping_second_assertion(sp, browser):
    """A signed assertion next to an unsigned forged one."""
    req, relay = fresh_login(sp, browser)
    xml = resp(sp, req)
    root = entra_idp._parse_xml(xml)
    import copy
    forged = copy.deepcopy(root.find(S + "Assertion"))
    forged.set("ID", entra_idp.new_id())
    forged.remove(forged.find("{%s}Signature" % entra_idp.DS))
    forged.find("%sSubject/%sNameID" % (S, S)).text = "mallory@contoso.example"
    root.insert(2, forged)
    r = sp.post_acs(browser, entra_idp.etree.tostring(root), relay)
    assert_rejected(sp, browser, r, 400, "more than one Assertion")


# ----------------------------------------------------------------- IdP said no

def _error_page_checks(sp, browser, r, code):
    assert r.status_code == 403, (r.status_code, r.text[:300])
    assert not session_cookie_set(r)
    assert r.headers["Content-Type"].startswith("text/html")
    assert code in r.text
    assert "Back to login" in r.text
    assert re.search(r'href="/sipsso/login\?ReturnTo=%2F"', r.text)
    assert "<saml" not in r.text and "Assertion" not in r.text
    ref = re.search(r'class="ref">([A-Za-z0-9_-]+)<', r.text).group(1)
    lines = log_lines_with(sp, "ref %s)" % ref)
    assert len(lines) == 1 and code in lines[0], lines
    assert_still_protected(sp, browser)


def test_idp_error_75011(sp, browser):
    req, relay = fresh_login(sp, browser)
    xml = entra_idp.error_response(sp.idp.tenant, "AADSTS75011", acs_url=sp.acs,
                                   sp_entity_id=sp.entity_id, in_response_to=req["id"],
                                   app_name="Test app")
    r = sp.post_acs(browser, xml, relay)
    _error_page_checks(sp, browser, r, "AADSTS75011")
    assert "Authentication method" in r.text      # Entra's own first line


def test_idp_error_50105(sp, browser):
    req, relay = fresh_login(sp, browser)
    xml = entra_idp.error_response(sp.idp.tenant, "AADSTS50105", acs_url=sp.acs,
                                   sp_entity_id=sp.entity_id, in_response_to=req["id"],
                                   app_name="Test app", upn="bob@contoso.example")
    r = sp.post_acs(browser, xml, relay)
    _error_page_checks(sp, browser, r, "AADSTS50105")
    assert "assign" in r.text


def test_idp_error_markup_escaped(sp, browser):
    req, relay = fresh_login(sp, browser)
    xml = entra_idp.build_response(
        sp.idp.tenant, sp_entity_id=sp.entity_id, acs_url=sp.acs,
        in_response_to=req["id"], status=entra_idp.STATUS_REQUESTER,
        status_message="AADSTS50105: <script>alert(1)</script>", sign="none")
    r = sp.post_acs(browser, xml, relay)
    assert r.status_code == 403
    assert "<script>" not in r.text and "&lt;script&gt;" in r.text


# ----------------------------------------------------------------- hostile XML and forms

def test_doctype_entity(sp, browser):
    req, relay = fresh_login(sp, browser)
    xml = resp(sp, req)
    xml = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "%s">]>' % ALICE.encode()
           + xml.replace(b">%s</NameID>" % ALICE.encode(), b">&e;</NameID>"))
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "DOCTYPE")


def test_doctype_external(sp, browser):
    req, relay = fresh_login(sp, browser)
    xml = b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd">' + resp(sp, req)
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "DOCTYPE")


def test_comment_in_name_id(sp, browser):
    """The comment trick: signed for alice@contoso.example.evil.example, the
    comment makes a naive reader see alice@contoso.example."""
    req, relay = fresh_login(sp, browser)
    evil = "alice@contoso.example.evil.example"
    xml = resp(sp, req, name_id=evil, user=harness.ALICE)
    xml = xml.replace(b">%s</NameID>" % evil.encode(),
                      b">alice@contoso.example<!---->.evil.example</NameID>")
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "comment")


def test_not_base64(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, None, relay, raw="!!! not base64 ***")
    assert_rejected(sp, browser, r, 400, "base64")


def test_not_xml(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, b"<samlp:Response", relay)
    assert_rejected(sp, browser, r, 400, "well-formed")


def test_get_on_acs(sp, browser):
    fresh_login(sp, browser)
    r = browser.get(sp.acs, allow_redirects=False)
    assert r.headers.get("Allow") == "POST"
    assert_rejected(sp, browser, r, 405, "only POST")


def test_text_plain(sp, browser):
    req, relay = fresh_login(sp, browser)
    body = "SAMLResponse=%s&RelayState=%s" % (
        base64.b64encode(resp(sp, req)).decode(), relay)
    r = browser.post(sp.acs, data=body, headers={"Content-Type": "text/plain"},
                     allow_redirects=False)
    assert_rejected(sp, browser, r, 415, "text/plain")


def test_multipart(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = browser.post(sp.acs, files={"SAMLResponse": (None, base64.b64encode(resp(sp, req))),
                                    "RelayState": (None, relay)}, allow_redirects=False)
    assert_rejected(sp, browser, r, 415, "multipart")


def test_body_too_large(sp, browser):
    req, relay = fresh_login(sp, browser)
    body = "RelayState=%s&SAMLResponse=%s" % (relay, "A" * (256 * 1024))
    r = browser.post(sp.acs, data=body, allow_redirects=False,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_rejected(sp, browser, r, 413, "256 KiB")


def test_body_too_large_chunked(sp, browser):
    """No Content-Length: the limit holds while reading."""
    req, relay = fresh_login(sp, browser)

    def gen():
        yield ("RelayState=%s&SAMLResponse=" % relay).encode()
        for _ in range(40):
            yield b"A" * 8192
    r = browser.post(sp.acs, data=gen(), allow_redirects=False,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_rejected(sp, browser, r, 413, "256 KiB")


def test_two_saml_responses(sp, browser):
    req, relay = fresh_login(sp, browser)
    b64 = base64.b64encode(resp(sp, req)).decode()
    r = browser.post(sp.acs, data=[("SAMLResponse", b64), ("SAMLResponse", b64),
                                   ("RelayState", relay)], allow_redirects=False)
    assert_rejected(sp, browser, r, 400, "twice")


def test_two_relay_states(sp, browser):
    req, relay = fresh_login(sp, browser)
    b64 = base64.b64encode(resp(sp, req)).decode()
    r = browser.post(sp.acs, data=[("SAMLResponse", b64), ("RelayState", relay),
                                   ("RelayState", relay)], allow_redirects=False)
    assert_rejected(sp, browser, r, 400, "twice")


def test_no_saml_response(sp, browser):
    req, relay = fresh_login(sp, browser)
    r = browser.post(sp.acs, data={"RelayState": relay}, allow_redirects=False)
    assert_rejected(sp, browser, r, 400, "no SAMLResponse")
