"""The hostile-input attack suite: what an attacker can send mod_sipsso.

Every case is a real request against a real apache2 with the module. A
response under attack answers an outstanding request of this browser
(sp.start_login: request ID + RelayState), is built and signed by the test
IdP, then mutated: re-signed with the IdP key where the case tests a
protocol rule (so only that rule can stop it), left as mutated where it
tests signature handling. Each rejection is checked three ways:

  1. the status (400 invalid response, 405/413/415 for the transport),
  2. no session cookie ("sipsso=<value>") in the answer,
  3. afterwards the protected page and the CGI still redirect to the IdP
     (no identity reaches the application),

and, for identity attacks, the evil identity never signs in (the module
logs "<NameID> signed in" for every session it creates).

The rules tested one by one with their log lines (audience, recipient,
times, InResponseTo, replay, status...) are in test_acs_rejects.py; the XSW
constructions are in xsw.py.
"""
import base64
import os
import re
import secrets
import socket
import subprocess
import threading
import time
import urllib.parse
from collections import namedtuple

import pytest
import requests
from lxml import etree

import harness
import xsw
from harness import entra_idp

ALICE = harness.ALICE["upn"]
EVIL = xsw.EVIL
MALLORY = "mallory@contoso.example"
P, S, D = xsw.P, xsw.S, xsw.D
SIGN_MODES = ["assertion", "response", "both"]


# ----------------------------------------------------------------- assertions

from harness import session_cookie_set, log_lines_with  # noqa: E402


def assert_still_protected(sp, browser):
    """Neither the protected page nor the CGI is served: both send the
    browser to the IdP, so no identity reaches the application."""
    for path in ("/app/", "/cgi-bin/env.cgi"):
        r = browser.get(sp.base + path, allow_redirects=False)
        assert r.status_code == 302, (path, r.status_code, r.text[:300])
        assert r.headers["Location"].startswith(sp.idp.tenant.login_url + "?SAMLRequest=")
        assert "REMOTE_USER" not in r.text


def assert_never_signed_in(sp, *upns):
    for upn in upns:
        assert not log_lines_with(sp, "sipsso: %s signed in" % upn), upn


def assert_rejected(sp, browser, r, status=400, keyword=None):
    """Status, no session cookie, an HTML page with a reference that is
    logged once with the reason, still protected. Returns the log line."""
    assert r.status_code == status, (r.status_code, r.text[:400], sp.httpd.logs()[-1500:])
    assert not session_cookie_set(r), r.headers.get("Set-Cookie")
    assert r.headers["Content-Type"].startswith("text/html")
    m = re.search(r'class="ref">([A-Za-z0-9_-]+)<', r.text)
    assert m, r.text
    lines = log_lines_with(sp, "(ref %s)" % m.group(1))
    assert len(lines) == 1, lines
    if keyword is not None:
        assert keyword.lower() in lines[0].lower(), (keyword, lines[0])
    assert_still_protected(sp, browser)
    return lines[0]


def env_of(s, sp):
    r = s.get(sp.base + "/cgi-bin/env.cgi", allow_redirects=False)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    return dict(l.split("=", 1) for l in r.text.splitlines() if "=" in l)


def assert_normal_signin_works(sp):
    """The server is still up and sane: a fresh browser signs in through the
    IdP and the CGI sees alice."""
    with requests.Session() as s:
        r = sp.sign_in(s, "/cgi-bin/env.cgi")
        assert r.status_code == 303, (r.status_code, r.text[:300])
        assert env_of(s, sp)["REMOTE_USER"] == ALICE


def fresh_login(sp, browser, path="/app/"):
    req, relay, _ = sp.start_login(browser, path)
    return req, relay


def idp_sign(sp, elem, sig_alg="rsa-sha256", digest_alg="sha256"):
    """(Re-)sign elem with the IdP's key, as the IdP would."""
    t = sp.idp.tenant
    return entra_idp.sign_element(elem, t.key_path, t.cert_path, sig_alg, digest_alg)


def post_form(sp, s, body, ctype="application/x-www-form-urlencoded"):
    return s.post(sp.acs, data=body, headers={"Content-Type": ctype}, allow_redirects=False)


# ----------------------------------------------------------------- raw HTTP

Raw = namedtuple("Raw", "status headers head body")


def raw_request(port, method, target, headers=(), body=b""):
    """One request with exactly these bytes (requests and http.client refuse
    or rewrite CR/LF, tabs and backslashes), and the answer's header block
    unparsed, so injected headers and stray CR/LF can be seen."""
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n" % (
        method, target, port)
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    if body or method == "POST":
        head += "Content-Length: %d\r\n" % len(body)
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(head.encode("latin-1") + b"\r\n" + body)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    raw = b"".join(chunks)
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    hdrs = []
    for l in lines[1:]:
        k, _, v = l.decode("latin-1").partition(":")
        hdrs.append((k.strip(), v.strip()))
    return Raw(int(lines[0].split()[1]), hdrs, head, rest)


def header(raw, name):
    vals = [v for k, v in raw.headers if k.lower() == name.lower()]
    assert len(vals) <= 1, (name, vals)
    return vals[0] if vals else None


def cookie_from(raw, name):
    for k, v in raw.headers:
        if k.lower() == "set-cookie" and v.startswith(name + "="):
            return v.split(";", 1)[0].split("=", 1)[1]
    return None


# ================================================================= XSW1-XSW8

def _xsw_params():
    out = []
    for name in sorted(xsw.XSW):
        for sign in SIGN_MODES:
            if sign not in xsw.APPLIES[name]:
                why = xsw.NOT_APPLICABLE[(name, sign)]
                out.append(pytest.param(name, sign, id="%s-%s-n/a" % (name, sign),
                                        marks=pytest.mark.skip(reason="not applicable: " + why)))
            else:
                out.append(pytest.param(name, sign, id="%s-%s" % (name, sign)))
    return out


@pytest.mark.parametrize("variant,sign", _xsw_params())
def test_xsw(sp, browser, variant, sign):
    """An IdP-signed response for alice, wrapped so that the part the SP
    would read says admin. Never a session, whatever the signed form."""
    req, relay = fresh_login(sp, browser)
    root = xsw.parse(sp.response_for(req, sign=sign))
    resp_id, assertion_id = root.get("ID"), xsw.assertion_of(root).get("ID")
    wrapped = xsw.tostring(xsw.XSW[variant](root))
    assert EVIL.encode() in wrapped and ALICE.encode() in wrapped

    # the construction is what it claims to be (see xsw.POTENT)
    target = resp_id if variant in ("XSW1", "XSW2") else assertion_id
    verified = xsw.naive_verify(wrapped, sp.idp.tenant.cert_path)
    assert (target in verified) == ((variant, sign) in xsw.POTENT), verified

    r = sp.post_acs(browser, wrapped, relay)
    assert_rejected(sp, browser, r, 400)
    assert_never_signed_in(sp, EVIL, ALICE)
    assert_normal_signin_works(sp)
    assert_never_signed_in(sp, EVIL)


# ================================================================= signature handling

def _strip_signatures(root):
    for sig in list(root.iter(D + "Signature")):
        sig.getparent().remove(sig)


def _empty_signature_values(root):
    for sv in root.iter(D + "SignatureValue"):
        sv.text = ""


def _remove_signed_info(root):
    for si in list(root.iter(D + "SignedInfo")):
        si.getparent().remove(si)


def _garbage_signature_values(root):
    for sv in root.iter(D + "SignatureValue"):
        sv.text = base64.b64encode(secrets.token_bytes(256)).decode()


def _nothing(root):
    pass


TAMPERING = {
    # every Signature removed: nothing is signed any more
    "signature-removed": _strip_signatures,
    # <SignatureValue/> empty: a verifier must not treat "nothing to check" as valid
    "signaturevalue-emptied": _empty_signature_values,
    # no SignedInfo: nothing says what was signed
    "signedinfo-removed": _remove_signed_info,
    # a SignatureValue of the right size but random
    "signaturevalue-random": _garbage_signature_values,
    # the signature kept as is, the content changed
    "content-changed": _nothing,
}


@pytest.mark.parametrize("sign", SIGN_MODES)
@pytest.mark.parametrize("how", list(TAMPERING))
def test_signature_tampering(sp, browser, how, sign):
    """The identity is changed to admin after signing and the signatures
    are damaged one way or another."""
    req, relay = fresh_login(sp, browser)
    root = xsw.parse(sp.response_for(req, sign=sign))
    xsw.make_evil(root)
    TAMPERING[how](root)
    r = sp.post_acs(browser, xsw.tostring(root), relay)
    assert_rejected(sp, browser, r, 400)
    assert_never_signed_in(sp, EVIL)


@pytest.mark.parametrize("keep", ["response-signature", "assertion-signature"])
def test_one_of_two_signatures_stripped(sp, browser, keep):
    """Signed on both; the attacker strips one signature and changes the
    identity. The one left must still cover what the SP reads."""
    req, relay = fresh_login(sp, browser)
    root = xsw.parse(sp.response_for(req, sign="both"))
    stripped = xsw.assertion_of(root) if keep == "response-signature" else root
    stripped.remove(xsw.own_signature(stripped))
    xsw.make_evil(root)
    r = sp.post_acs(browser, xsw.tostring(root), relay)
    assert_rejected(sp, browser, r, 400, "signature")
    assert_never_signed_in(sp, EVIL)


@pytest.mark.parametrize("sign", SIGN_MODES)
def test_attacker_key_with_its_certificate_in_keyinfo(sp, browser, tmp_path, sign):
    """A complete, well-formed response for admin, signed with a fresh key
    whose certificate is in KeyInfo: KeyInfo must never be trusted."""
    key, cert = entra_idp.make_keypair(str(tmp_path / "attacker"), cn="Microsoft Azure "
                                       "Federated SSO Certificate")
    req, relay = fresh_login(sp, browser)
    xml = sp.response_for(req, sign=sign, name_id=EVIL, signing_key=key, signing_cert=cert)
    assert entra_idp.verify_xml(xml, cert, "response" if sign == "response" else "assertion")
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "not configured")
    assert_never_signed_in(sp, EVIL)


def test_ca_certificate_does_not_trust_its_leaves(make_sp, browser, tmp_path):
    """An admin configures a CA certificate as the IdP certificate; a
    response signed by a leaf that CA issued (leaf in KeyInfo) is refused:
    only configured keys verify, no chain is built."""
    d = str(tmp_path / "ca")
    os.makedirs(d)
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=d)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        "-out", "ca.crt", "-days", "30", "-subj", "/CN=Contoso Root CA", "-sha256",
        "-addext", "basicConstraints=critical,CA:TRUE")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key",
        "-out", "leaf.csr", "-subj", "/CN=Microsoft Azure Federated SSO Certificate")
    run("openssl", "x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "leaf.crt", "-days", "30", "-sha256")
    sp = make_sp(extra="SipSSOIdPCertificate %s" % os.path.join(d, "ca.crt"))
    req, relay = fresh_login(sp, browser)
    xml = sp.response_for(req, name_id=EVIL, signing_key=os.path.join(d, "leaf.key"),
                          signing_cert=os.path.join(d, "leaf.crt"))
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "not configured")
    assert_never_signed_in(sp, EVIL)


def test_reference_to_whole_document(sp, browser):
    """Signed by the IdP's key, but the Reference is URI="" (the whole
    document) instead of "#<ID of the signed element>": the signature then
    says nothing about which element is the assertion (SAML core 5.4.2)."""
    req, relay = fresh_login(sp, browser)
    root = xsw.parse(sp.response_for(req, sign="none"))
    t = sp.idp.tenant
    xsw.sign_with_reference(root, t.key_path, t.cert_path, "")
    r = sp.post_acs(browser, xsw.tostring(root), relay)
    assert_rejected(sp, browser, r, 400, "reference")


# ================================================================= assertions

def _unsigned_evil_copy(assertion):
    evil = xsw.make_evil(xsw.without_signature(assertion))
    evil.set("ID", entra_idp.new_id())
    return evil


@pytest.mark.parametrize("sign", SIGN_MODES)
@pytest.mark.parametrize("where", ["before", "after"])
def test_second_unsigned_assertion(sp, browser, where, sign):
    """An unsigned admin assertion next to the signed alice one. Where the
    Response is signed, the IdP signs the Response *after* the evil one is
    added: every signature verifies, only the one-assertion rule is left."""
    req, relay = fresh_login(sp, browser)
    root = xsw.parse(sp.response_for(req, sign="none" if sign == "response" else "assertion"))
    signed = xsw.assertion_of(root)
    evil = _unsigned_evil_copy(signed)
    (signed.addprevious if where == "before" else signed.addnext)(evil)
    if sign in ("response", "both"):
        idp_sign(sp, root)
    r = sp.post_acs(browser, xsw.tostring(root), relay)
    assert_rejected(sp, browser, r, 400, "more than one Assertion")
    assert_never_signed_in(sp, EVIL, ALICE)


@pytest.mark.parametrize("response_signed", [False, True], ids=["response-unsigned",
                                                                 "response-signed"])
@pytest.mark.parametrize("order", ["alice-first", "admin-first"])
def test_two_assertions_each_signed_by_idp(sp, browser, order, response_signed):
    """lasso 2.8.1 accepts several validly signed assertions and uses the
    first in one place and the last in another. Two genuine IdP-signed
    assertions (alice, admin) for this very request, in one Response,
    optionally signed by the IdP too: refused."""
    req, relay = fresh_login(sp, browser)
    a = xsw.assertion_of(xsw.parse(sp.response_for(req, name_id=ALICE)))
    b = xsw.assertion_of(xsw.parse(sp.response_for(req, name_id=EVIL)))
    root = xsw.parse(sp.response_for(req, sign="none"))
    root.remove(xsw.assertion_of(root))
    for x in ((a, b) if order == "alice-first" else (b, a)):
        root.append(x)
    if response_signed:
        idp_sign(sp, root)
    assert entra_idp.verify_xml(xsw.tostring(root), sp.idp.tenant.cert_path, "assertion")
    r = sp.post_acs(browser, xsw.tostring(root), relay)
    assert_rejected(sp, browser, r, 400, "more than one Assertion")
    assert_never_signed_in(sp, EVIL, ALICE)


@pytest.mark.parametrize("sign", ["none", "response"])
def test_success_without_assertion(sp, browser, sign):
    """Status Success, no Assertion: nothing to sign in with, even with a
    valid Response signature."""
    def drop(root):
        root.remove(root.find(S + "Assertion"))
    req, relay = fresh_login(sp, browser)
    xml = sp.response_for(req, sign=sign, mutate=drop)
    assert b"Assertion" not in xml and b"status:Success" in xml
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "no assertion")


@pytest.mark.parametrize("sign", SIGN_MODES)
@pytest.mark.parametrize("where", ["nameid", "attribute"])
def test_comment_inside_signed_value(sp, browser, where, sign):
    """The IdP signs alice@contoso.example.evil.example; the attacker adds
    an empty comment after "alice@contoso.example". Exclusive C14N drops
    comments, so the signature still verifies, and a reader taking the
    first text node would see alice. The module refuses any comment
    (the identity may never be the truncated value)."""
    whole = "alice@contoso.example.evil.example"
    req, relay = fresh_login(sp, browser)
    if where == "nameid":
        xml = sp.response_for(req, sign=sign, name_id=whole)
        cut = b">%s</NameID>" % whole.encode()
        assert xml.count(cut) == 1
        xml = xml.replace(cut, b">alice@contoso.example<!---->.evil.example</NameID>")
    else:
        xml = sp.response_for(req, sign=sign)
        claim = (b'Name="%s"><AttributeValue>%s</AttributeValue>'
                 % (entra_idp.C_NAME.encode(), ALICE.encode()))
        assert xml.count(claim) == 1
        xml = xml.replace(claim, claim.replace(b"@", b"<!---->@"))
    for path in ("assertion", "response"):
        if sign in (path, "both"):
            assert entra_idp.verify_xml(xml, sp.idp.tenant.cert_path, path)
    r = sp.post_acs(browser, xml, relay)
    assert_rejected(sp, browser, r, 400, "comment")
    assert_never_signed_in(sp, ALICE, whole)


# ================================================================= SHA-1

def _sha1_everywhere(sign):
    def build(sp, req):
        return sp.response_for(req, sign=sign, sig_alg="rsa-sha1", digest_alg="sha1")
    return build


def _mixed(sig_alg, digest_alg, sign="assertion"):
    def build(sp, req):
        return sp.response_for(req, sign=sign, sig_alg=sig_alg, digest_alg=digest_alg)
    return build


def _sha1_response_over_sha256_assertion(sp, req):
    root = xsw.parse(sp.response_for(req, sign="assertion"))
    idp_sign(sp, root, "rsa-sha1", "sha1")
    return xsw.tostring(root)


SHA1_CASES = {
    "response-rsa-sha1+sha1": _sha1_everywhere("response"),
    "both-rsa-sha1+sha1": _sha1_everywhere("both"),
    "assertion-rsa-sha256+sha1-digest": _mixed("rsa-sha256", "sha1"),
    "assertion-rsa-sha1+sha256-digest": _mixed("rsa-sha1", "sha256"),
    "both-assertion-sha256-response-sha1": _sha1_response_over_sha256_assertion,
}


@pytest.mark.parametrize("case", list(SHA1_CASES))
def test_sha1_refused_by_default(sp, browser, case):
    """lasso accepts SHA-1; the module does not, wherever it appears."""
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, SHA1_CASES[case](sp, req), relay)
    assert_rejected(sp, browser, r, 400, "sha1")
    assert_never_signed_in(sp, ALICE)


@pytest.mark.parametrize("case", ["response-rsa-sha1+sha1", "both-rsa-sha1+sha1",
                                  "both-assertion-sha256-response-sha1"])
def test_sha1_accepted_when_allowed(make_sp, browser, case):
    sp = make_sp(extra="SipSSOAllowSHA1 On")
    # httpd reads its configuration twice at startup: one warning per pass
    warn = [l for l in sp.httpd.logs().splitlines() if "SipSSOAllowSHA1 On" in l]
    assert warn and all(":warn]" in l and "SHA-1" in l for l in warn), warn
    req, relay = fresh_login(sp, browser, "/cgi-bin/env.cgi")
    r = sp.post_acs(browser, SHA1_CASES[case](sp, req), relay)
    assert r.status_code == 303 and session_cookie_set(r), (r.status_code, r.text[:300])
    assert env_of(browser, sp)["REMOTE_USER"] == ALICE


# ================================================================= lasso's traps

@pytest.fixture
def sp_lasso_no_verify(make_sp, monkeypatch):
    """An SP whose apache2 runs with LASSO_FLAG=no-verify-signature, the
    environment switch that turns lasso's signature checks off."""
    monkeypatch.setenv("LASSO_FLAG", "no-verify-signature")
    sp = make_sp()
    with open("/proc/%d/environ" % sp.httpd.proc.pid, "rb") as f:
        assert b"LASSO_FLAG=no-verify-signature" in f.read().split(b"\0")
    return sp


def _lasso_unsigned(sp, req, tmp):
    return sp.response_for(req, sign="none", name_id=EVIL)


def _lasso_tampered(sign):
    def build(sp, req, tmp):
        root = xsw.parse(sp.response_for(req, sign=sign))
        xsw.make_evil(root)
        return xsw.tostring(root)
    return build


def _lasso_attacker_key(sp, req, tmp):
    key, cert = entra_idp.make_keypair(str(tmp / "attacker"))
    return sp.response_for(req, name_id=EVIL, signing_key=key, signing_cert=cert)


LASSO_NO_VERIFY_CASES = {
    "unsigned": _lasso_unsigned,
    "assertion-signed-tampered": _lasso_tampered("assertion"),
    "response-signed-tampered": _lasso_tampered("response"),
    "attacker-key": _lasso_attacker_key,
}


@pytest.mark.parametrize("case", list(LASSO_NO_VERIFY_CASES))
def test_lasso_flag_no_verify_signature_has_no_effect(sp_lasso_no_verify, browser,
                                                      tmp_path, case):
    sp = sp_lasso_no_verify
    req, relay = fresh_login(sp, browser)
    r = sp.post_acs(browser, LASSO_NO_VERIFY_CASES[case](sp, req, tmp_path), relay)
    assert_rejected(sp, browser, r, 400)
    assert_never_signed_in(sp, EVIL)


def test_lasso_flag_no_verify_signature_genuine_signin_still_works(sp_lasso_no_verify):
    assert_normal_signin_works(sp_lasso_no_verify)


def _kd_encryption_only(idp):
    for kd in idp.iter("{%s}KeyDescriptor" % entra_idp.MD):
        kd.set("use", "encryption")


def _kd_removed(idp):
    for kd in list(idp.iter("{%s}KeyDescriptor" % entra_idp.MD)):
        kd.getparent().remove(kd)


def _kd_key_name_only(idp):
    """KeyInfo names a key (trusted through a CA / PKI, as lasso allows)
    but carries no certificate."""
    for ki in idp.iter(D + "KeyInfo"):
        for ch in list(ki):
            ki.remove(ch)
        etree.SubElement(ki, D + "KeyName").text = "Contoso signing key"


def _kd_issuer_serial_only(idp):
    """X509Data that only points at a certificate (issuer + serial) an
    external CA store would have to supply."""
    for xd in idp.iter(D + "X509Data"):
        for ch in list(xd):
            xd.remove(ch)
        ser = etree.SubElement(xd, D + "X509IssuerSerial")
        etree.SubElement(ser, D + "X509IssuerName").text = "CN=Contoso Root CA"
        etree.SubElement(ser, D + "X509SerialNumber").text = "4242"


@pytest.mark.parametrize("mutate", [_kd_removed, _kd_encryption_only, _kd_key_name_only,
                                    _kd_issuer_serial_only],
                         ids=["no-keydescriptor", "encryption-only", "keyname-only",
                              "x509issuerserial-only"])
def test_idp_metadata_without_signing_certificate_refused(tmp_path, mutate):
    """lasso verifies nothing for an IdP known only through a CA chain
    without a signing key: such metadata must stop apache2 at startup with
    a line naming SipSSOIdPMetadataFile."""
    keydir = str(tmp_path / "keys")
    key, cert = entra_idp.make_keypair(keydir)
    t = entra_idp.Tenant(harness.TENANT, key, cert, "https://login.example")
    root = etree.fromstring(t.metadata_xml(sign=False))
    for desc in root:                      # every role descriptor, not only IDPSSO
        mutate(desc)
    md = str(tmp_path / "federationmetadata.xml")
    with open(md, "wb") as f:
        f.write(etree.tostring(root))
    port = harness.free_port()
    body = ("SipSSOEntityID http://127.0.0.1:%d/sipsso/metadata\n"
            "SipSSOIdPMetadataFile %s\n%s" % (port, md, harness.PROTECT))
    with pytest.raises(RuntimeError) as e:
        h = harness.Httpd(str(tmp_path), port, body)
        h.stop()
    out = str(e.value)
    hits = [l for l in out.splitlines() if "SipSSOIdPMetadataFile" in l]
    assert hits and md in hits[0] and "no signing certificate" in hits[0], out
    assert "Segmentation" not in out and "AddressSanitizer" not in out


# ================================================================= XML bombs and size

class Listener:
    """A TCP port that records connections: the SP must never fetch an
    external DTD or entity."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.stop_flag = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop_flag:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            c.close()

    def close(self):
        self.stop_flag = True
        self.t.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    l = Listener()
    yield l
    l.close()


def _with_doctype(xml, subset, name_id_text=None):
    """Put `<!DOCTYPE ... [subset]>` in front of a signed response and
    optionally replace alice's NameID text with entity references."""
    if name_id_text is not None:
        cut = b">%s</NameID>" % ALICE.encode()
        assert xml.count(cut) == 1
        xml = xml.replace(cut, b">%s</NameID>" % name_id_text)
    return b'<?xml version="1.0"?><!DOCTYPE samlp:Response [%s]>' % subset + xml


def _bomb_internal_entity(xml, port):
    # expands to exactly the signed value: only the DOCTYPE rule stops it
    return _with_doctype(xml, b'<!ENTITY u "alice@contoso.example">', b"&u;")


def _bomb_external_file(xml, port):
    return _with_doctype(xml, b'<!ENTITY x SYSTEM "file:///etc/passwd">', b"&x;")


def _bomb_external_http(xml, port):
    return _with_doctype(xml, b'<!ENTITY x SYSTEM "http://127.0.0.1:%d/e">' % port, b"&x;")


def _bomb_parameter_entity(xml, port):
    return _with_doctype(xml, b'<!ENTITY %% p SYSTEM "http://127.0.0.1:%d/p"> %%p;' % port)


def _bomb_external_dtd(xml, port):
    return b'<!DOCTYPE samlp:Response SYSTEM "http://127.0.0.1:%d/x.dtd">' % port + xml


def _bomb_billion_laughs(xml, port):
    ents = b'<!ENTITY l0 "lol">' + b"".join(
        b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
    return _with_doctype(xml, ents, b"&l9;")


def _bomb_quadratic(xml, port):
    return _with_doctype(xml, b'<!ENTITY a "%s">' % (b"A" * 20000), b"&a;" * 15000)


BOMBS = {
    "internal-entity": _bomb_internal_entity,
    "external-entity-file": _bomb_external_file,
    "external-entity-http": _bomb_external_http,
    "parameter-entity-http": _bomb_parameter_entity,
    "external-dtd-http": _bomb_external_dtd,
    "billion-laughs": _bomb_billion_laughs,
    "quadratic-blowup": _bomb_quadratic,
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_xml_bomb(sp, browser, listener, bomb):
    req, relay = fresh_login(sp, browser)
    xml = BOMBS[bomb](sp.response_for(req), listener.port)
    assert len(base64.b64encode(xml)) < 256 * 1024
    t0 = time.monotonic()
    r = sp.post_acs(browser, xml, relay)
    assert time.monotonic() - t0 < 5
    assert_rejected(sp, browser, r, 400, "DOCTYPE")
    assert "root:x:0:0" not in r.text and "root:x:0:0" not in sp.httpd.logs()
    time.sleep(0.3)
    assert listener.hits == 0
    assert_normal_signin_works(sp)


def _pad_after_signing(xml, decoded_size):
    """Insert a samlp:Extensions full of 'A' right after the Response's
    Issuer so that the document is exactly decoded_size bytes."""
    cut = xml.index(b"</Issuer>") + len(b"</Issuer>")
    ext0 = b'<samlp:Extensions><x xmlns="urn:x">'
    ext1 = b"</x></samlp:Extensions>"
    n = decoded_size - len(xml) - len(ext0) - len(ext1)
    assert n > 0
    out = xml[:cut] + ext0 + b"A" * n + ext1 + xml[cut:]
    assert len(out) == decoded_size
    return out


def test_body_over_256k(sp, browser):
    """A real signed response padded to a form body just over 256 KiB."""
    req, relay = fresh_login(sp, browser)
    xml = _pad_after_signing(sp.response_for(req), 197 * 1024)
    body = "SAMLResponse=%s&RelayState=%s" % (
        urllib.parse.quote(base64.b64encode(xml).decode(), safe=""), relay)
    assert 256 * 1024 < len(body) < 270 * 1024
    r = post_form(sp, browser, body)
    assert_rejected(sp, browser, r, 413, "256 KiB")
    assert_normal_signin_works(sp)


def test_decoded_just_over_192k(sp, browser):
    """A decoded response of 192 KiB + 1 byte. Its base64 alone is 262148
    characters, over the 256 KiB body limit, so it is refused while the
    body is read (413), before the module's 192 KiB check on the decoded
    XML could apply: that check cannot be reached through the ACS (any
    base64 of more than 192 KiB is more than 256 KiB)."""
    req, relay = fresh_login(sp, browser)
    xml = _pad_after_signing(sp.response_for(req), 192 * 1024 + 1)
    b64 = base64.b64encode(xml).decode()
    assert len(b64) > 256 * 1024
    r = post_form(sp, browser, "SAMLResponse=%s&RelayState=%s" % (
        urllib.parse.quote(b64, safe=""), relay))
    assert_rejected(sp, browser, r, 413)
    assert_normal_signin_works(sp)


@pytest.mark.parametrize("sign,accepted", [("response", False), ("assertion", True)],
                         ids=["response-signed-padding-unsigned-400",
                              "assertion-signed-padding-in-envelope-control"])
def test_decoded_191k_within_body_limit(sp, browser, sign, accepted):
    """191 KiB of XML whose base64 still fits the 256 KiB body: the module
    parses and checks it. Padding added to a signed Response breaks its
    signature (400); added to the unsigned envelope of a signed assertion
    it is ignored (303, the control that the size itself is acceptable)."""
    req, relay = fresh_login(sp, browser, "/cgi-bin/env.cgi")
    xml = _pad_after_signing(sp.response_for(req, sign=sign), 191 * 1024)
    b64 = base64.b64encode(xml).decode()
    body = "SAMLResponse=%s&RelayState=%s" % (urllib.parse.quote(b64, safe=""), relay)
    assert len(body) <= 256 * 1024, len(body)
    r = post_form(sp, browser, body)
    if accepted:
        assert r.status_code == 303 and session_cookie_set(r), (r.status_code, r.text[:300])
        assert env_of(browser, sp)["REMOTE_USER"] == ALICE
    else:
        assert_rejected(sp, browser, r, 400, "Response signature")
        assert_normal_signin_works(sp)


def _nest(depth):
    def mutate(root):
        v = root.find("%sAssertion/%sAttributeStatement/%sAttribute/%sAttributeValue"
                      % (S, S, S, S))
        v.text = None
        for _ in range(depth):
            v = etree.SubElement(v, "{urn:x}n")
    return mutate


def _wide(count):
    def mutate(root):
        v = root.find("%sAssertion/%sAttributeStatement/%sAttribute/%sAttributeValue"
                      % (S, S, S, S))
        v.text = None
        for _ in range(count):
            etree.SubElement(v, "{urn:x}n")
    return mutate


def _many_attributes(count):
    def mutate(root):
        st = root.find("%sAssertion/%sAttributeStatement" % (S, S))
        for i in range(count):
            a = etree.SubElement(st, S + "Attribute", Name="urn:x:attr:%d" % i)
            etree.SubElement(a, S + "AttributeValue").text = "v"
    return mutate


def _many_values(count):
    def mutate(root):
        st = root.find("%sAssertion/%sAttributeStatement" % (S, S))
        a = etree.SubElement(st, S + "Attribute", Name="urn:x:many")
        for i in range(count):
            etree.SubElement(a, S + "AttributeValue").text = str(i)
    return mutate


STRUCTURE_BOMBS = {
    # beyond libxml2's own nesting limit (256): refused while parsing
    "nesting-5000-in-attributevalue": (_nest(5000), "well-formed"),
    # beyond the module's depth limit, well within libxml2's
    "nesting-40-in-attributevalue": (_nest(40), "nested too deeply"),
    "5000-sibling-elements": (_wide(5000), "too many XML elements"),
    "300-attributes": (_many_attributes(300), "too many attributes"),
    "1500-attribute-values": (_many_values(1500), "too many attribute values"),
}


@pytest.mark.parametrize("case", list(STRUCTURE_BOMBS))
def test_structure_limits(sp, browser, case):
    """Shapes that exhaust lasso's memory (CVE-2025-46784 is not fixed in
    Debian's lasso 2.8.1) must be stopped by the module's own limits before
    lasso sees them. The IdP signs the oversized assertion, so only the
    limits can stop it."""
    mutate, keyword = STRUCTURE_BOMBS[case]
    req, relay = fresh_login(sp, browser)
    xml = sp.response_for(req, mutate=mutate)
    assert len(base64.b64encode(xml)) < 256 * 1024
    t0 = time.monotonic()
    r = sp.post_acs(browser, xml, relay)
    assert time.monotonic() - t0 < 5
    assert_rejected(sp, browser, r, 400, keyword)
    assert_normal_signin_works(sp)


# ================================================================= the form itself

def _b64_of(sp, req):
    return base64.b64encode(sp.response_for(req)).decode()


B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _non_canonical(xml):
    """Same bytes for a lenient decoder, but the last character before "=="
    has stray low bits set: two strings for one message."""
    xml = xml + b" " * ((1 - len(xml)) % 3)      # len % 3 == 1: "==" padding
    b = base64.b64encode(xml).decode()
    assert b.endswith("==")
    bad = b[:-3] + B64_ALPHABET[B64_ALPHABET.index(b[-3]) | 1] + "=="
    assert base64.b64decode(bad) == xml
    return bad


def _mid(b, insert):
    return b[:len(b) // 2] + insert + b[len(b) // 2:]


NOT_BASE64 = {
    "punctuation": lambda x: "!!!" + base64.b64encode(x).decode()[3:],
    "space-in-middle": lambda x: _mid(base64.b64encode(x).decode(), " "),
    "tab-in-middle": lambda x: _mid(base64.b64encode(x).decode(), "\t"),
    "base64url-alphabet": lambda x: base64.urlsafe_b64encode(x).decode(),
    "padding-in-middle": lambda x: _mid(base64.b64encode(x).decode(), "===="),
    "length-not-multiple-of-4": lambda x: base64.b64encode(x).decode() + "A",
    "non-canonical-padding-bits": _non_canonical,
    "xml-not-encoded": lambda x: x.decode(),
}


@pytest.mark.parametrize("how", list(NOT_BASE64))
def test_not_base64(sp, browser, how):
    req, relay = fresh_login(sp, browser)
    xml = sp.response_for(req)
    bad = NOT_BASE64[how](xml)
    assert bad != base64.b64encode(xml).decode()
    body = "SAMLResponse=%s&RelayState=%s" % (urllib.parse.quote(bad, safe=""), relay)
    r = post_form(sp, browser, body)
    assert_rejected(sp, browser, r, 400)
    assert_never_signed_in(sp, ALICE)


def test_plus_not_form_encoded(sp, browser):
    """'+' sent raw in the form means a space: not the IdP's bytes."""
    req, relay = fresh_login(sp, browser)
    b64 = _b64_of(sp, req)
    assert "+" in b64
    r = post_form(sp, browser, "SAMLResponse=%s&RelayState=%s" % (b64, relay))
    assert_rejected(sp, browser, r, 400)


def test_nul_in_form(sp, browser):
    req, relay = fresh_login(sp, browser)
    b64 = urllib.parse.quote(_b64_of(sp, req), safe="")
    r = post_form(sp, browser, "SAMLResponse=%s%%00&RelayState=%s" % (b64, relay))
    assert_rejected(sp, browser, r, 400)


@pytest.mark.parametrize("ctype", ["text/xml", "application/xml", "application/json",
                                   "text/plain", "application/x-www-form-urlencodedX",
                                   None])
def test_wrong_content_type(sp, browser, ctype):
    req, relay = fresh_login(sp, browser)
    body = "SAMLResponse=%s&RelayState=%s" % (urllib.parse.quote(_b64_of(sp, req), safe=""),
                                              relay)
    headers = {"Content-Type": ctype} if ctype else {}
    r = browser.post(sp.acs, data=body.encode(), headers=headers, allow_redirects=False)
    if ctype is None:
        assert "Content-Type" not in r.request.headers
    assert_rejected(sp, browser, r, 415)
    assert_never_signed_in(sp, ALICE)


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_acs_method(sp, browser, method):
    req, relay = fresh_login(sp, browser)
    r = browser.request(method, sp.acs, params={"SAMLResponse": _b64_of(sp, req),
                                                "RelayState": relay},
                        allow_redirects=False)
    assert r.status_code == 405
    assert r.headers.get("Allow") == "POST"
    assert not session_cookie_set(r)
    if method != "HEAD":
        assert_rejected(sp, browser, r, 405, "only POST")
    assert_still_protected(sp, browser)
    assert_never_signed_in(sp, ALICE)


@pytest.mark.parametrize("second", ["same", "evil", "lowercase-name"])
def test_duplicated_saml_response(sp, browser, second):
    """Two SAMLResponse fields: the module must not pick one (a front
    proxy or WAF may have looked at the other)."""
    req, relay = fresh_login(sp, browser)
    good = _b64_of(sp, req)
    other = {"same": good, "lowercase-name": good,
             "evil": base64.b64encode(sp.response_for(req, name_id=EVIL)).decode()}[second]
    name = "samlresponse" if second == "lowercase-name" else "SAMLResponse"
    body = "SAMLResponse=%s&RelayState=%s&%s=%s" % (
        urllib.parse.quote(good, safe=""), relay, name, urllib.parse.quote(other, safe=""))
    r = post_form(sp, browser, body)
    assert_rejected(sp, browser, r, 400, "twice")
    assert_never_signed_in(sp, ALICE, EVIL)


# ================================================================= open redirects

# As the attacker writes them into a URL. "once": the module sees them
# %-decoded once (a normal link); "literal": the attacker's string is what
# the module sees (it was %-encoded once more).
REDIRECT_VALUES = [
    "https://evil.example", "//evil.example", "///evil.example", "/\\evil.example",
    "%5C%5Cevil.example", "/%5Cevil.example", "http:evil.example", "javascript:alert(1)",
    "/x%0d%0aSet-Cookie:%20a=b", "\t//evil", "/%2F/evil.example", "https:/\\evil.example",
    "/\t/evil.example", " //evil.example",
]
REQUEST_TARGET_SAFE = "/:?#[]@!$&'()*+,;=%-._~"   # everything else is %-encoded


def _seen(value, mode):
    return urllib.parse.unquote(value) if mode == "once" else value


def _on_the_wire(value, mode):
    """The query value as sent: encoding the module's view once more."""
    if mode == "once":
        return urllib.parse.quote(value, safe=REQUEST_TARGET_SAFE.replace("&", "")
                                  .replace("#", "").replace("+", ""))
    return urllib.parse.quote(value, safe="")


def browser_target(location):
    """Where a browser goes with this Location (WHATWG URL parsing of a
    special scheme: tabs and newlines removed, '\\' read as '/')."""
    loc = re.sub(r"[\t\r\n]", "", location).strip("".join(map(chr, range(33))))
    loc = loc.replace("\\", "/")
    return urllib.parse.urlsplit(loc)


def assert_safe_redirect(sp, raw, seen):
    """The answer's Location stays on this site and carries no CR/LF; no
    header was injected."""
    assert raw.head.count(b"\n") == raw.head.count(b"\r\n"), raw.head
    assert b"\r" not in raw.head.replace(b"\r\n", b""), raw.head
    loc = header(raw, "Location")
    assert loc is not None, raw.head
    assert loc.startswith(sp.base + "/"), loc
    assert not re.match(r"[/\\]", loc[len(sp.base) + 1:]), loc
    u = browser_target(loc)
    assert (u.scheme, u.netloc) == ("http", "127.0.0.1:%d" % sp.port), loc
    # the default landing page, or the very path asked for when it is a
    # plain local path
    assert loc == sp.base + "/" or (loc == sp.base + seen and
                                    re.fullmatch(r"/[^/\\][\x21-\x7e]*", seen)), (seen, loc)
    for k, v in raw.headers:
        assert k.lower() not in ("a", "x-evil"), raw.head
        if k.lower() == "set-cookie":
            assert not v.startswith("a="), raw.head


def _redirect_params():
    """Values without a %-escape look the same either way: sent once."""
    return [pytest.param(v, m, id="%s-%r" % (m, v)) for v in REDIRECT_VALUES
            for m in ("once", "literal") if m == "once" or "%" in v]


@pytest.mark.parametrize("value,mode", _redirect_params())
def test_open_redirect_login(sp, value, mode):
    """/sipsso/login?ReturnTo=...: the IdP redirect first, then, after a
    valid sign-in, where the ACS sends the browser."""
    r = raw_request(sp.port, "GET", "/sipsso/login?ReturnTo=" + _on_the_wire(value, mode))
    assert r.status == 302, r.head
    loc = header(r, "Location")
    assert loc.startswith(sp.idp.tenant.login_url + "?SAMLRequest="), loc
    assert r.head.count(b"\n") == r.head.count(b"\r\n")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    req = entra_idp.parse_authn_request(q["SAMLRequest"][0])
    bind = cookie_from(r, "sipsso_binding")
    body = urllib.parse.urlencode({
        "SAMLResponse": base64.b64encode(sp.response_for(req)).decode(),
        "RelayState": q["RelayState"][0]}).encode()
    r = raw_request(sp.port, "POST", "/sipsso/acs", body=body, headers=[
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Cookie", "sipsso_binding=" + bind)])
    assert r.status == 303, r.head
    assert_safe_redirect(sp, r, _seen(value, mode))


@pytest.mark.parametrize("value,mode", _redirect_params())
def test_open_redirect_logout(sp, value, mode):
    r = raw_request(sp.port, "GET", "/sipsso/logout?ReturnTo=" + _on_the_wire(value, mode))
    assert r.status in (302, 303), r.head
    assert_safe_redirect(sp, r, _seen(value, mode))


@pytest.mark.parametrize("value,mode", _redirect_params())
def test_open_redirect_acs_relay_state(make_sp, value, mode):
    """IdP-initiated sign-on (no InResponseTo): the RelayState is the only
    hint where to go, and it is the attacker's."""
    sp = make_sp(extra="SipSSOAllowIdPInitiated On")
    xml = sp.response_for({"id": None}, in_response_to=None)
    body = urllib.parse.urlencode({"SAMLResponse": base64.b64encode(xml).decode(),
                                   "RelayState": _seen(value, mode)}).encode()
    r = raw_request(sp.port, "POST", "/sipsso/acs", body=body,
                    headers=[("Content-Type", "application/x-www-form-urlencoded")])
    assert r.status == 303, (r.head, r.body[:300])
    assert_safe_redirect(sp, r, _seen(value, mode))


# ================================================================= cookies

def _signed_in_cookie(sp):
    with requests.Session() as s:
        r = sp.sign_in(s)
        assert r.status_code == 303
        return s.cookies.get("sipsso")


def _assert_cookie_is_no_session(sp, cookie_header):
    for path in ("/app/", "/cgi-bin/env.cgi"):
        r = raw_request(sp.port, "GET", path, headers=[("Cookie", cookie_header)])
        assert r.status in (302, 400), r.head        # 400: httpd refused the header itself
        assert b"REMOTE_USER" not in r.body and b"protected page" not in r.body
        if r.status == 302:
            assert header(r, "Location").startswith(sp.idp.tenant.login_url)


COOKIE_FORGERIES = {
    "forged-43": lambda v: secrets.token_urlsafe(32),
    "truncated-42": lambda v: v[:-1],
    "truncated-20": lambda v: v[:20],
    "overlong-44": lambda v: v + "A",
    "overlong-8000": lambda v: v + "A" * 8000,
    "plus-slash": lambda v: v[:-2] + "+/",
    "percent-encoded": lambda v: v[:-1] + "%41",
    "space-inside": lambda v: v[:20] + " " + v[21:],
    "quote-wrapped": lambda v: '"%s"' % v,
    "latin1-byte": lambda v: v[:-1] + "\xe9",
    "semicolon-split": lambda v: v[:21] + ";" + v[22:],
    "twice-forged-first": lambda v: "%s; sipsso=%s" % (secrets.token_urlsafe(32), v[::-1]),
}


@pytest.mark.parametrize("how", list(COOKIE_FORGERIES))
def test_tampered_session_cookie(sp, how):
    """Derived from a real session's cookie, or not: none of these is a
    session (and the real one still is)."""
    v = _signed_in_cookie(sp)
    bad = COOKIE_FORGERIES[how](v)
    assert bad != v
    _assert_cookie_is_no_session(sp, "sipsso=" + bad)
    r = raw_request(sp.port, "GET", "/app/", headers=[("Cookie", "sipsso=" + v)])
    assert r.status == 200


def test_cookie_of_another_vhost(make_sp):
    """Each SP (vhost) has its own session namespace: a valid session of
    one is no session at the other."""
    sp1, sp2 = make_sp(), make_sp()
    v = _signed_in_cookie(sp1)
    assert raw_request(sp1.port, "GET", "/app/", headers=[("Cookie", "sipsso=" + v)]).status == 200
    _assert_cookie_is_no_session(sp2, "sipsso=" + v)


def test_fixation_planted_unknown_cookie(sp, browser):
    """A cookie value planted before sign-in is never the session ID."""
    planted = secrets.token_urlsafe(32)
    browser.cookies.set("sipsso", planted, domain="127.0.0.1", path="/")
    r = sp.sign_in(browser, "/cgi-bin/env.cgi")
    assert r.status_code == 303
    m = re.search(r"(?:^|[,\s])sipsso=([A-Za-z0-9_-]{43});", r.headers["Set-Cookie"])
    assert m and m.group(1) != planted
    _assert_cookie_is_no_session(sp, "sipsso=" + planted)
    assert env_of(browser, sp)["REMOTE_USER"] == ALICE


def test_fixation_planted_valid_session_is_not_upgraded(sp):
    """The attacker plants their own valid session cookie in the victim's
    browser; the victim then signs in. The victim gets a new session ID and
    the attacker's cookie still means the attacker, never the victim."""
    with requests.Session() as attacker:
        req, relay = fresh_login(sp, attacker)
        r = sp.post_acs(attacker, sp.response_for(req, name_id=MALLORY), relay)
        assert r.status_code == 303
        planted = attacker.cookies.get("sipsso")
    with requests.Session() as victim:
        victim.cookies.set("sipsso", planted, domain="127.0.0.1", path="/")
        r = victim.get(sp.base + "/sipsso/login?ReturnTo=%2Fcgi-bin%2Fenv.cgi",
                       allow_redirects=False)
        req = entra_idp.parse_authn_request(urllib.parse.parse_qs(
            urllib.parse.urlsplit(r.headers["Location"]).query)["SAMLRequest"][0])
        relay = urllib.parse.parse_qs(urllib.parse.urlsplit(
            r.headers["Location"]).query)["RelayState"][0]
        r = sp.post_acs(victim, sp.response_for(req), relay)
        assert r.status_code == 303
        m = re.search(r"(?:^|[,\s])sipsso=([A-Za-z0-9_-]{43});", r.headers["Set-Cookie"])
        assert m and m.group(1) != planted
        assert env_of(victim, sp)["REMOTE_USER"] == ALICE
    r = raw_request(sp.port, "GET", "/cgi-bin/env.cgi", headers=[("Cookie", "sipsso=" + planted)])
    assert r.status == 200 and b"REMOTE_USER=%s\n" % MALLORY.encode() in r.body
