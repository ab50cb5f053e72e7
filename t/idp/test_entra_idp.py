"""Tests of the Entra-compatible test IdP (run: /usr/bin/python3 -m pytest t/idp -q).

They prove the IdP is a faithful stand-in before mod_sipsso's tests rely on it:
its signatures verify with xmlsec1 and python-xmlsec, its messages have the
exact element/attribute/namespace shape of real Entra messages (fixtures), and
the HTTP server walks through the whole browser flow."""

import base64
import datetime as dt
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import uuid

import pytest
from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import entra_idp as idp  # noqa: E402

TENANT_ID = "5b5c94c6-14cf-42da-85bc-4e08722b253b"
SP_ID = "https://sp.example.test/sipsso/metadata"
ACS = "https://sp.example.test/sipsso/acs"
XMLSEC1 = shutil.which("xmlsec1")

# The real Entra messages: the repo copy if the lead vendors them, else the shared one.
FIXTURE_DIRS = [os.environ.get("ENTRA_FIXTURES", ""),
                os.path.join(HERE, "..", "fixtures", "entra"),
                "/work/shared/fixtures/entra"]
FIXTURES = next((d for d in FIXTURE_DIRS if d and os.path.isdir(d)), None)


def fixture(name):
    if FIXTURES is None:
        pytest.skip("Entra fixtures not found (set ENTRA_FIXTURES)")
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def keydir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("idpkeys"))


@pytest.fixture(scope="module")
def tenant(keydir):
    key, cert = idp.make_keypair(keydir)
    return idp.Tenant(TENANT_ID, key, cert, "http://127.0.0.1:9")


def xmlsec1_verify(xml_bytes, cert, tmp_path, id_attrs, node_xpath=None):
    """Exit status of the xmlsec1 command line the fixtures README uses."""
    if XMLSEC1 is None:
        pytest.skip("xmlsec1 not installed (apt-get install -y xmlsec1)")
    path = tmp_path / ("m-%s.xml" % uuid.uuid4())
    path.write_bytes(xml_bytes)
    cmd = [XMLSEC1, "--verify"]
    for a in id_attrs:
        cmd += ["--id-attr:ID", a]
    if node_xpath:
        cmd += ["--node-xpath", node_xpath]
    cmd += ["--pubkey-cert-pem", cert, str(path)]
    return subprocess.run(cmd, capture_output=True).returncode


A_ID = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
R_ID = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
MD_ID = "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"
A_SIG = "//*[local-name()='Assertion']/*[local-name()='Signature']"
USER = {"upn": "ada.lovelace@contoso.example", "given": "Ada", "surname": "Lovelace",
        "display": "Ada Lovelace", "oid": str(uuid.uuid4()), "groups": [str(uuid.uuid4()), str(uuid.uuid4())]}


def response(tenant, **kw):
    kw.setdefault("sp_entity_id", SP_ID)
    kw.setdefault("acs_url", ACS)
    kw.setdefault("in_response_to", "id" + str(uuid.uuid4()))
    kw.setdefault("name_id", USER["upn"])
    kw.setdefault("user", USER)
    return idp.build_response(tenant, **kw)


# ---------------------------------------------------------------- keys

def test_keypair_is_reused_and_formats(keydir, tenant):
    assert idp.make_keypair(keydir) == (tenant.key_path, tenant.cert_path)
    b = idp.cert_b64(tenant.cert_path)
    assert "\n" not in b and "BEGIN" not in b
    pem = idp.cert_pem_entra_style(tenant.cert_path)
    assert pem.startswith("-----BEGIN CERTIFICATE-----\r\n")
    assert pem.endswith("\r\n-----END CERTIFICATE-----") and "\n" not in pem.replace("\r\n", "")
    out = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem.encode(),
                         capture_output=True, check=True).stdout.decode()
    assert "Microsoft Azure Federated SSO Certificate" in out


# ---------------------------------------------------------------- signatures

def test_assertion_signature_verifies(tenant, tmp_path):
    x = response(tenant)
    assert xmlsec1_verify(x, tenant.cert_path, tmp_path, [A_ID]) == 0
    assert idp.verify_xml(x, tenant.cert_path, "assertion")
    assert not idp.verify_xml(x, tenant.cert_path, "response")  # Entra default: Response unsigned


@pytest.mark.parametrize("sign", ["response", "both"])
def test_response_signature_verifies(tenant, tmp_path, sign):
    x = response(tenant, sign=sign)
    assert xmlsec1_verify(x, tenant.cert_path, tmp_path, [R_ID, A_ID]) == 0
    assert idp.verify_xml(x, tenant.cert_path, "response")
    assert idp.verify_xml(x, tenant.cert_path, "assertion") == (sign == "both")
    if sign == "both":
        assert xmlsec1_verify(x, tenant.cert_path, tmp_path, [A_ID], A_SIG) == 0
    root = etree.fromstring(x)
    assert etree.QName(root[1]).localname == "Signature"  # right after the Response's Issuer


def test_sha1_variant(tenant, tmp_path):
    x = response(tenant, sig_alg="rsa-sha1", digest_alg="sha1")
    assert b"http://www.w3.org/2000/09/xmldsig#rsa-sha1" in x
    assert b"http://www.w3.org/2000/09/xmldsig#sha1" in x
    assert xmlsec1_verify(x, tenant.cert_path, tmp_path, [A_ID]) == 0


def test_wrong_key_and_tampering_fail(tenant, keydir, tmp_path):
    other_key, other_cert = idp.make_keypair(keydir, name="other")
    x = response(tenant, signing_key=other_key, signing_cert=other_cert)
    assert not idp.verify_xml(x, tenant.cert_path)
    assert idp.verify_xml(x, other_cert)
    good = response(tenant)
    bad = good.replace(USER["upn"].encode(), b"eve@contoso.example", 1)
    assert bad != good and not idp.verify_xml(bad, tenant.cert_path)
    assert xmlsec1_verify(bad, tenant.cert_path, tmp_path, [A_ID]) != 0


def test_verify_xml_on_real_entra_responses():
    """verify_xml is not trivially true: real Entra messages pass, the wrong cert fails."""
    real = fixture("tercen-2022-response.xml")
    own = os.path.join(FIXTURES, "tercen-2022-signing.cer")
    other = os.path.join(FIXTURES, "phpsaml-2023-signing.cer")
    assert idp.verify_xml(real, own) and not idp.verify_xml(real, other)


def test_mutate_before_signing_and_resign(tenant):
    def mutate(root):
        root.find(".//{%s}Audience" % idp.SAML).text = "https://evil.example/"
    x = response(tenant, mutate=mutate)
    assert b"https://evil.example/" in x and idp.verify_xml(x, tenant.cert_path)
    # mutate a signed message, then re-sign: the old Signature is replaced
    bad = response(tenant).replace(b"Password<", b"Kerberos<")
    assert not idp.verify_xml(bad, tenant.cert_path)
    fixed = idp.sign_xml(bad, "assertion", tenant.key_path, tenant.cert_path)
    assert idp.verify_xml(fixed, tenant.cert_path) and fixed.count(b"<Signature ") == 1


# ---------------------------------------------------------------- shape

def shape(xml_bytes):
    """Per element: tag, ordered attribute names, namespaces it declares.
    Text is ignored: it is what differs between two sign-ins."""
    root = etree.fromstring(xml_bytes)
    out = []
    for e in root.iter():
        parent_ns = e.getparent().nsmap if e.getparent() is not None else {}
        declared = sorted((p or "", u) for p, u in e.nsmap.items() if parent_ns.get(p) != u)
        out.append((e.prefix, e.tag, list(e.attrib.keys()), declared))
    return out


def test_response_shape_matches_tercen(tenant):
    real = fixture("tercen-2022-response.xml")
    user = {"upn": "test@alexandremaurelgmail.onmicrosoft.com", "display": "test",
            "oid": "814bd554-6a00-405c-91d5-4132d39ba4fb", "email": None}
    ours = response(tenant, name_id=user["upn"], user=user)
    assert shape(ours) == shape(real)
    assert not ours.startswith(b"<?xml") and b"\n" not in ours  # one line, no declaration


def test_claims_match_phpsaml_order(tenant):
    real = etree.fromstring(fixture("phpsaml-2023-response.xml"))
    user = {"upn": "chris.gralike@flevo-scouts.nl", "given": "Chris", "surname": "Gralike",
            "display": "Chris Gralike | Flevo-Scouts", "oid": str(uuid.uuid4()),
            "amr": [idp.AMR_PASSWORD,
                    "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/x509",
                    "http://schemas.microsoft.com/claims/multipleauthn"]}
    ours = etree.fromstring(response(tenant, name_id=user["upn"], user=user))
    assert shape(etree.tostring(ours)) == shape(etree.tostring(real))
    names = lambda r: [a.get("Name") for a in r.iter("{%s}Attribute" % idp.SAML)]  # noqa: E731
    assert names(ours) == names(real)


def test_groups_claim_multivalued(tenant):
    root = etree.fromstring(response(tenant))
    groups = root.find(".//{%s}Attribute[@Name='%s']" % (idp.SAML, idp.C_GROUPS))
    assert [v.text for v in groups] == USER["groups"]


def test_timestamps_match_entra(tenant):
    """Pinned to the tercen IssueInstant, the window is exactly tercen's."""
    now = dt.datetime(2022, 2, 23, 17, 49, 18, 872000, tzinfo=dt.timezone.utc)
    root = etree.fromstring(response(tenant, now=now))
    a = root.find("{%s}Assertion" % idp.SAML)
    cond = a.find("{%s}Conditions" % idp.SAML)
    scd = a.find(".//{%s}SubjectConfirmationData" % idp.SAML)
    assert root.get("IssueInstant") == a.get("IssueInstant") == "2022-02-23T17:49:18.872Z"
    assert cond.get("NotBefore") == "2022-02-23T17:44:18.779Z"
    assert cond.get("NotOnOrAfter") == scd.get("NotOnOrAfter") == "2022-02-23T18:49:18.779Z"
    assert re.fullmatch(r"_[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}", a.get("ID"))
    assert a.find(".//{%s}AuthnStatement" % idp.SAML).get("SessionIndex") == a.get("ID")


def test_omissions(tenant):
    x = response(tenant, destination=False, in_response_to=None, audience=False,
                 session_not_on_or_after=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
    root = etree.fromstring(x)
    assert root.get("Destination") is None and root.get("InResponseTo") is None
    assert b"InResponseTo" not in x and b"AudienceRestriction" not in x
    assert b'SessionNotOnOrAfter="2030-01-01T00:00:00.000Z"' in x


def test_error_response(tenant):
    x = idp.error_response(tenant, "AADSTS75011", acs_url=ACS, sp_entity_id=SP_ID,
                           in_response_to="id42", app_name="Demo app")
    root = etree.fromstring(x)
    P = "{%s}" % idp.SAMLP
    code = root.find(P + "Status/" + P + "StatusCode")
    assert code.get("Value") == idp.STATUS_REQUESTER
    assert code[0].get("Value") == idp.STATUS_REQUEST_UNSUPPORTED
    msg = root.findtext(P + "Status/" + P + "StatusMessage")
    assert msg.startswith("AADSTS75011: Authentication method 'X509, MultiFactor'")
    assert re.search(r"\nTrace ID: [0-9a-f-]{36}\nCorrelation ID: [0-9a-f-]{36}\n"
                     r"Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", msg)
    assert root.find("{%s}Assertion" % idp.SAML) is None and b"Signature" not in x
    assert root.get("InResponseTo") == "id42"


def test_aadsts_texts():
    t = idp.aadsts_text(50105, app_name="Demo app", app_id="abc", upn="u@x")
    assert t.startswith("AADSTS50105: Your administrator has configured the application Demo app ('abc') "
                        "to block users unless they are specifically granted ('assigned') access")
    assert "AADSTS700016" in idp.aadsts_text("700016", identifier="x")
    assert "reply URL" in idp.aadsts_text("AADSTS50011", acs_url="a", identifier="b")


# ---------------------------------------------------------------- metadata

def test_metadata_verifies_and_lists_certs(tenant, keydir, tmp_path):
    _, extra = idp.make_keypair(keydir, name="rollover")
    md = tenant.metadata_xml(extra_cert_paths=[extra])
    assert md.startswith(b'<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ')
    assert xmlsec1_verify(md, tenant.cert_path, tmp_path, [MD_ID]) == 0
    assert xmlsec1_verify(md, extra, tmp_path, [MD_ID]) != 0
    assert idp.verify_xml(md, tenant.cert_path, "root")
    root = etree.fromstring(md.split(b"?>", 1)[1])
    assert root.get("entityID") == "https://sts.windows.net/%s/" % TENANT_ID
    xsi_types = [r.get("{%s}type" % idp.XSI) for r in root.findall("{%s}RoleDescriptor" % idp.MD)]
    assert xsi_types == ["fed:SecurityTokenServiceType", "fed:ApplicationServiceType"]
    sso = root.find("{%s}IDPSSODescriptor" % idp.MD)
    certs = [c.text for c in sso.iter("{%s}X509Certificate" % idp.DS)]
    assert certs == [idp.cert_b64(tenant.cert_path), idp.cert_b64(extra)]
    eps = [(etree.QName(e).localname, e.get("Binding"), e.get("Location")) for e in sso[2:]]
    assert eps == [("SingleLogoutService", idp.BINDING_REDIRECT, tenant.login_url),
                   ("SingleSignOnService", idp.BINDING_REDIRECT, tenant.login_url),
                   ("SingleSignOnService", idp.BINDING_POST, tenant.login_url)]


def test_metadata_shape_matches_aduneo(tenant):
    real = fixture("aduneo-app-metadata.xml").split(b"?>", 1)[1]
    ours = tenant.metadata_xml().split(b"?>", 1)[1]
    assert shape(ours) == shape(real)


# ---------------------------------------------------------------- request parsing

def authn_request(issuer=SP_ID, acs=ACS, rid=None, extra=""):
    rid = rid or "_" + uuid.uuid4().hex
    acs_attr = ' AssertionConsumerServiceURL="%s"' % acs if acs else ""
    xml = ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
           'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" '
           'IssueInstant="2024-01-01T00:00:00Z"%s ProtocolBinding="%s"%s>'
           '<saml:Issuer>%s</saml:Issuer>'
           '<samlp:NameIDPolicy Format="%s" AllowCreate="true"/></samlp:AuthnRequest>') % (
        rid, acs_attr, idp.BINDING_POST, extra, issuer, idp.NAMEID_EMAIL)
    return rid, xml.encode()


def test_parse_authn_and_logout_requests():
    rid, xml = authn_request(extra=' ForceAuthn="true"')
    r = idp.parse_authn_request(idp.encode_redirect(xml))
    assert (r["id"], r["issuer"], r["acs_url"], r["force_authn"], r["name_id_policy_format"]) == \
        (rid, SP_ID, ACS, True, idp.NAMEID_EMAIL)
    assert r["xml"] == xml
    assert idp.parse_authn_request(base64.b64encode(xml).decode(), binding="post")["id"] == rid
    lr = ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_l1" Version="2.0" '
          'IssueInstant="2024-01-01T00:00:00Z"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">%s</Issuer>'
          '<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion">u@x</NameID>'
          '<samlp:SessionIndex>_s1</samlp:SessionIndex></samlp:LogoutRequest>' % SP_ID).encode()
    p = idp.parse_logout_request(idp.encode_redirect(lr))
    assert (p["id"], p["issuer"], p["name_id"], p["session_index"]) == ("_l1", SP_ID, "u@x", "_s1")
    with pytest.raises(ValueError):
        idp.parse_authn_request(base64.b64encode(xml).decode())  # not deflated
    with pytest.raises(ValueError):
        idp.parse_authn_request(idp.encode_redirect(lr))  # wrong message


# ---------------------------------------------------------------- the server

USERS = [
    {"upn": "alice@contoso.example", "given": "Alice", "surname": "Smith", "display": "Alice Smith",
     "oid": str(uuid.uuid4()), "groups": [str(uuid.uuid4())]},
    {"upn": "bob@contoso.example", "display": "Bob", "oid": str(uuid.uuid4()), "assigned": False},
    {"upn": "carol@contoso.example", "display": "Carol", "oid": str(uuid.uuid4()), "error": "AADSTS75011"},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory, keydir):
    d = tmp_path_factory.mktemp("idpsrv")
    cfg = {"tenant_id": TENANT_ID, "auto_login": True, "users": USERS,
           "apps": [{"identifier": SP_ID, "reply_urls": [ACS], "name": "Demo app", "sign": "assertion",
                     "logout_url": "https://sp.example.test/sipsso/sls"},
                    {"identifier": "https://other.example/", "reply_urls": ["https://other.example/acs"],
                     "name": "Other", "sign": "both"}]}
    (d / "idp.json").write_text(json.dumps(cfg))
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "entra_idp.py"), "--config",
                             str(d / "idp.json"), "--port", "0", "--keydir", keydir],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.fullmatch(r"IdP listening on http://127\.0\.0\.1:(\d+)\n", line)
        assert m, line + proc.stderr.read()
        yield {"port": int(m.group(1)), "cert": os.path.join(keydir, "idp-signing.crt")}
    finally:
        proc.terminate()  # SIGTERM: must stop cleanly
        rc = proc.wait(timeout=10)
        err = proc.stderr.read()
    assert rc == 0 and "idp: stopped" in err, err


def fetch(server, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    c.request(method, path, body=urllib.parse.urlencode(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    out = (r.status, dict(r.getheaders()), r.read().decode("utf-8"))
    c.close()
    return out


def sso_path(xml, relay="rs-1", **extra):
    q = {"SAMLRequest": idp.encode_redirect(xml), "RelayState": relay, **extra}
    return "/%s/saml2?%s" % (TENANT_ID, urllib.parse.urlencode(q))


def saml_response_of(page):
    action, method, fields = idp.parse_form(page)
    return action, method, fields, base64.b64decode(fields["SAMLResponse"])


def test_server_round_trip(server):
    rid, xml = authn_request()
    status, _, page = fetch(server, "GET", sso_path(xml))
    assert status == 200 and "<title>Sign in to your account</title>" in page
    action, method, fields = idp.parse_form(page)
    assert (action, method) == ("/%s/login" % TENANT_ID, "post")
    assert fields["request_id"] == rid and fields["relay_state"] == "rs-1"
    fields["username"] = "Alice@contoso.example"  # UPNs are case-insensitive
    status, _, post = fetch(server, "POST", action, fields)
    assert status == 200 and "document.forms[0].submit()" in post and "<noscript>" in post
    action, method, fields, resp = saml_response_of(post)
    assert (action, method, fields["RelayState"]) == (ACS, "post", "rs-1")
    assert "\n" not in fields["SAMLResponse"]
    assert idp.verify_xml(resp, server["cert"], "assertion")
    root = etree.fromstring(resp)
    assert root.get("InResponseTo") == rid and root.get("Destination") == ACS
    assert root.findtext(".//{%s}NameID" % idp.SAML) == "alice@contoso.example"
    assert root.findtext(".//{%s}Audience" % idp.SAML) == SP_ID


def test_server_auto_login_and_app_sign_option(server):
    _, xml = authn_request(issuer="https://other.example/", acs="https://other.example/acs")
    status, _, page = fetch(server, "GET", sso_path(xml, login_hint="alice@contoso.example"))
    action, _, _, resp = saml_response_of(page)
    assert status == 200 and action == "https://other.example/acs"
    assert idp.verify_xml(resp, server["cert"], "response") and idp.verify_xml(resp, server["cert"])


def test_server_post_binding_request(server):
    rid, xml = authn_request()
    got, _, page = fetch(server, "POST", "/%s/saml2" % TENANT_ID,
                         {"SAMLRequest": base64.b64encode(xml).decode(), "RelayState": "r"})
    assert got == 200 and idp.parse_form(page)[2]["request_id"] == rid


def test_server_is_passive_without_session(server):
    rid, xml = authn_request(extra=' IsPassive="true"')
    _, _, page = fetch(server, "GET", sso_path(xml))
    root = etree.fromstring(saml_response_of(page)[3])
    assert root.find(".//{%s}StatusCode/{%s}StatusCode" % (idp.SAMLP, idp.SAMLP)).get("Value") == idp.STATUS_NO_PASSIVE
    assert "AADSTS50058" in root.findtext(".//{%s}StatusMessage" % idp.SAMLP)


def test_server_idp_initiated(server):
    q = urllib.parse.urlencode({"app": SP_ID, "login_hint": "alice@contoso.example", "RelayState": "/home"})
    _, _, page = fetch(server, "GET", "/%s/myapps/signin?%s" % (TENANT_ID, q))
    action, _, fields, resp = saml_response_of(page)
    root = etree.fromstring(resp)
    assert action == ACS and fields["RelayState"] == "/home" and root.get("InResponseTo") is None
    assert b"InResponseTo" not in resp and idp.verify_xml(resp, server["cert"])


def test_config_clock_offset(keydir):
    cfg = idp.IdPConfig({"tenant_id": TENANT_ID, "clock_offset_seconds": -600}, "http://x", keydir)
    assert abs((idp.utcnow() - cfg.now()).total_seconds() - 600) < 5


def test_server_no_acs_uses_default_reply_url(server):
    _, xml = authn_request(acs=None)
    _, _, page = fetch(server, "GET", sso_path(xml, login_hint="alice@contoso.example"))
    assert idp.parse_form(page)[0] == ACS


@pytest.mark.parametrize("case,code,status", [
    ("unknown-issuer", "AADSTS700016", 400),
    ("bad-acs", "AADSTS50011", 400),
    ("no-request", "AADSTS750054", 400),
    ("not-deflated", "AADSTS750054", 400),
    ("wrong-tenant", "AADSTS90002", 400),
])
def test_server_error_pages(server, case, code, status):
    if case == "unknown-issuer":
        path = sso_path(authn_request(issuer="https://nobody.example/")[1])
    elif case == "bad-acs":
        path = sso_path(authn_request(acs="https://sp.example.test/elsewhere")[1])
    elif case == "no-request":
        path = "/%s/saml2?RelayState=x" % TENANT_ID
    elif case == "not-deflated":
        path = "/%s/saml2?%s" % (TENANT_ID, urllib.parse.urlencode(
            {"SAMLRequest": base64.b64encode(authn_request()[1]).decode()}))
    else:
        path = "/%s/saml2" % uuid.uuid4()
    got, _, page = fetch(server, "GET", path)
    assert got == status and code in page and "Troubleshooting details" in page


def test_server_unassigned_user_gets_entra_page(server):
    _, xml = authn_request()
    got, _, page = fetch(server, "GET", sso_path(xml, login_hint="bob@contoso.example"))
    assert got == 403 and "AADSTS50105" in page and "Demo app" in page and "SAMLResponse" not in page


def test_server_75011_user_gets_saml_error(server):
    rid, xml = authn_request()
    _, _, page = fetch(server, "GET", sso_path(xml, login_hint="carol@contoso.example"))
    _, _, _, resp = saml_response_of(page)
    root = etree.fromstring(resp)
    assert root.get("InResponseTo") == rid and root.find("{%s}Assertion" % idp.SAML) is None
    assert "AADSTS75011" in root.findtext(".//{%s}StatusMessage" % idp.SAMLP)


def test_server_unknown_user_reshows_form(server):
    _, xml = authn_request()
    _, _, page = fetch(server, "GET", sso_path(xml))
    action, _, fields = idp.parse_form(page)
    fields["username"] = "mallory@contoso.example"
    got, _, again = fetch(server, "POST", action, fields)
    assert got == 200 and "This username may be incorrect" in again
    assert idp.parse_form(again)[2]["request_id"] == fields["request_id"]


def test_server_metadata(server):
    got, hdrs, body = fetch(server, "GET", "/%s/federationmetadata/2007-06/federationmetadata.xml" % TENANT_ID)
    assert got == 200 and hdrs["Content-Type"].startswith("application/xml")
    assert idp.verify_xml(body.encode(), server["cert"], "root")
    assert "http://127.0.0.1:%d/%s/saml2" % (server["port"], TENANT_ID) in body


def test_server_logout(server):
    lr = ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_lo1" Version="2.0" '
          'IssueInstant="2024-01-01T00:00:00Z"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">%s</Issuer>'
          '<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion">alice@contoso.example</NameID>'
          '</samlp:LogoutRequest>')
    got, hdrs, _ = fetch(server, "GET", sso_path((lr % SP_ID).encode(), relay="back"))
    assert got == 302
    loc = urllib.parse.urlsplit(hdrs["Location"])
    q = dict(urllib.parse.parse_qsl(loc.query))
    assert loc.path == "/sipsso/sls" and q["RelayState"] == "back"
    resp = etree.fromstring(idp.decode_redirect(q["SAMLResponse"]))
    assert etree.QName(resp).localname == "LogoutResponse" and resp.get("InResponseTo") == "_lo1"
    assert resp.find(".//{%s}StatusCode" % idp.SAMLP).get("Value") == idp.STATUS_SUCCESS
    got, _, page = fetch(server, "GET", sso_path((lr % "https://other.example/").encode()))
    assert got == 200 and "You signed out" in page


# ---------------------------------------------------------------- lasso (what mod_sipsso uses)

def test_lasso_accepts_and_rejects(tenant, keydir, tmp_path):
    """The SP's own library takes our metadata and Responses like Entra's, and
    refuses unsigned, tampered and wrongly signed ones."""
    lasso = pytest.importorskip("lasso")
    (tmp_path / "idp.xml").write_bytes(tenant.metadata_xml())
    (tmp_path / "sp.xml").write_text(
        '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s">'
        '<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<AssertionConsumerService index="0" Binding="%s" Location="%s"/>'
        '</SPSSODescriptor></EntityDescriptor>' % (SP_ID, idp.BINDING_POST, ACS))
    srv = lasso.Server(str(tmp_path / "sp.xml"), None, None, None)
    srv.addProvider(lasso.PROVIDER_ROLE_IDP, str(tmp_path / "idp.xml"), None, None)

    def accepts(xml):
        login = lasso.Login(srv)
        try:
            login.processAuthnResponseMsg(base64.b64encode(xml).decode())
            login.acceptSso()
            return login.nameIdentifier.content
        except lasso.Error:
            return None

    for sign in ("assertion", "response", "both"):
        assert accepts(response(tenant, in_response_to=None, sign=sign)) == USER["upn"]
    assert accepts(response(tenant, in_response_to=None, sign="none")) is None
    tampered = response(tenant, in_response_to=None).replace(USER["upn"].encode(), b"eve@contoso.example")
    assert accepts(tampered) is None
    k2, c2 = idp.make_keypair(keydir, name="other")
    assert accepts(response(tenant, in_response_to=None, signing_key=k2, signing_cert=c2)) is None
    assert accepts(idp.error_response(tenant, 75011, acs_url=ACS, sp_entity_id=SP_ID)) is None
