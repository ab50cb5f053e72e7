"""Entra's error responses are unsigned: their text is shown only when they
answer a sign-in this browser started."""
import requests

import harness


def test_error_text_shown_for_our_request(sp, browser):
    req, relay, _ = sp.start_login(browser)
    xml = harness.entra_idp.error_response(sp.idp.tenant, "AADSTS75011", acs_url=sp.acs,
                                           in_response_to=req["id"])
    r = sp.post_acs(browser, xml, relay)
    assert r.status_code == 403
    assert "AADSTS75011" in r.text and "Message from Entra" in r.text
    assert "Back to login" in r.text


def test_error_text_hidden_when_unsolicited(sp, browser):
    xml = harness.entra_idp.error_response(
        sp.idp.tenant, "AADSTS75011", acs_url=sp.acs, in_response_to="_forged",
        ).replace(b"AADSTS75011:", b"AADSTS75011: call +1-555-SCAM now.")
    with requests.Session() as other:
        r = sp.post_acs(other, xml, None)
    assert r.status_code == 403
    assert "SCAM" not in r.text and "Message from Entra" not in r.text
    assert "did not sign you in" in r.text
    assert "not shown" in sp.httpd.logs()
