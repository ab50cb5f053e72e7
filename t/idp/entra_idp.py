#!/usr/bin/python3
"""A test Identity Provider that behaves like Microsoft Entra ID (SAML 2.0).

Used by mod_sipsso's integration tests. It is both a library (build Entra-shaped
Responses, metadata and error messages, sign and re-sign them, decode requests)
and a small HTTP server (`main()`) that plays Entra's login endpoint.

Everything is shaped after real Entra messages (see /work/shared/fixtures/entra):
one-line XML without declaration, `samlp:` prefix on the protocol elements and the
default namespace on Issuer/Assertion, `_<uuid>` IDs, millisecond timestamps,
NotBefore = now-5min, NotOnOrAfter = now+60min, SessionIndex = Assertion ID,
the enveloped Signature directly after the signed element's Issuer, exclusive
C14N, rsa-sha256/sha256 and a KeyInfo with one unwrapped X509Certificate.

Only Debian packages are used: python3-lxml, python3-xmlsec and the stdlib
(openssl is run as a subprocess to make key pairs).
"""

import argparse
import base64
import datetime as dt
import html
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import xmlsec
from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
FED = "http://docs.oasis-open.org/wsfed/federation/200706"
AUTH = "http://docs.oasis-open.org/wsfed/authorization/200706"
WSA = "http://www.w3.org/2005/08/addressing"

ST = "urn:oasis:names:tc:SAML:2.0:status:"
STATUS_SUCCESS = ST + "Success"
STATUS_REQUESTER = ST + "Requester"
STATUS_RESPONDER = ST + "Responder"
STATUS_REQUEST_UNSUPPORTED = ST + "RequestUnsupported"
STATUS_REQUEST_DENIED = ST + "RequestDenied"
STATUS_NO_PASSIVE = ST + "NoPassive"

NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
AC_PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

# Claim URIs exactly as Entra sends them.
C_TENANTID = "http://schemas.microsoft.com/identity/claims/tenantid"
C_OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
C_DISPLAYNAME = "http://schemas.microsoft.com/identity/claims/displayname"
C_GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
C_IDP = "http://schemas.microsoft.com/identity/claims/identityprovider"
C_AMR = "http://schemas.microsoft.com/claims/authnmethodsreferences"
C_GIVENNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
C_SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
C_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
C_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
AMR_PASSWORD = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"

SIG_ALGS = {"rsa-sha256": xmlsec.Transform.RSA_SHA256, "rsa-sha1": xmlsec.Transform.RSA_SHA1}
DIGEST_ALGS = {"sha256": xmlsec.Transform.SHA256, "sha1": xmlsec.Transform.SHA1}

# The 19 ClaimTypesOffered of Entra's federation metadata, in Entra's order.
CLAIM_TYPES_OFFERED = [
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "Name", "The mutable display name of the user."),
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier", "Subject", "An immutable, globally unique, non-reusable identifier of the user that is unique to the application for which a token is issued."),
    (C_GIVENNAME, "Given Name", "First name of the user."),
    (C_SURNAME, "Surname", "Last name of the user."),
    (C_DISPLAYNAME, "Display Name", "Display name of the user."),
    ("http://schemas.microsoft.com/identity/claims/nickname", "Nick Name", "Nick name of the user."),
    ("http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant", "Authentication Instant", "The time (UTC) when the user is authenticated to Windows Azure Active Directory."),
    ("http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod", "Authentication Method", "The method that Windows Azure Active Directory uses to authenticate users."),
    (C_OID, "ObjectIdentifier", "Primary identifier for the user in the directory. Immutable, globally unique, non-reusable."),
    (C_TENANTID, "TenantId", "Identifier for the user's tenant."),
    (C_IDP, "IdentityProvider", "Identity provider for the user."),
    (C_EMAIL, "Email", "Email address of the user."),
    (C_GROUPS, "Groups", "Groups of the user."),
    ("http://schemas.microsoft.com/identity/claims/accesstoken", "External Access Token", "Access token issued by external identity provider."),
    ("http://schemas.microsoft.com/ws/2008/06/identity/claims/expiration", "External Access Token Expiration", "UTC expiration time of access token issued by external identity provider."),
    ("http://schemas.microsoft.com/identity/claims/openid2_id", "External OpenID 2.0 Identifier", "OpenID 2.0 identifier issued by external identity provider."),
    ("http://schemas.microsoft.com/claims/groups.link", "GroupsOverageClaim", "Issued when number of user's group claims exceeds return limit."),
    ("http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "Role Claim", "Roles that the user or Service Principal is attached to"),
    ("http://schemas.microsoft.com/ws/2008/06/identity/claims/wids", "RoleTemplate Id Claim", "Role template id of the Built-in Directory Roles that the user is a member of"),
]


# ---------------------------------------------------------------- small helpers

def new_id():
    """Entra's ID format: '_' + a random UUID (an NCName must not start with a digit)."""
    return "_" + str(uuid.uuid4())


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def _utc(t):
    """Naive datetimes are taken as UTC; aware ones are converted."""
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t.astimezone(dt.timezone.utc)


def fmt_instant(t):
    """Entra's xs:dateTime: always UTC, always milliseconds: 2022-02-23T17:49:18.872Z.
    A str is passed through untouched so tests can send malformed values."""
    if isinstance(t, str):
        return t
    t = _utc(t)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def _el(parent, tag, text=None, attrs=(), nsmap=None):
    """SubElement with ordered attributes (Entra's attribute order is kept)."""
    e = etree.SubElement(parent, tag, nsmap=nsmap) if nsmap else etree.SubElement(parent, tag)
    for k, v in attrs:
        e.set(k, v)
    if text is not None:
        e.text = text
    return e


def encode_redirect(xml_bytes):
    """HTTP-Redirect binding encoding: raw DEFLATE (no zlib header), then base64."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(c.compress(xml_bytes) + c.flush()).decode("ascii")


def decode_redirect(value):
    """Inverse of encode_redirect (value already URL-decoded). Raises ValueError."""
    try:
        raw = base64.b64decode(value, validate=False)
        return zlib.decompress(raw, -15)
    except (ValueError, zlib.error) as e:
        raise ValueError("not a base64 raw-DEFLATE SAML message: %s" % e) from e


def _parse_xml(xml_bytes):
    # No network, no entities: a test IdP must not be the weak link either.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(xml_bytes, parser)


# ---------------------------------------------------------------- keys and certificates

def make_keypair(keydir, cn="Microsoft Azure Federated SSO Certificate", days=1095,
                 key_bits=2048, sha="sha256", name="idp-signing"):
    """Self-signed RSA certificate like Entra's SAML signing certificate.

    Files are <keydir>/<name>.key and <name>.crt; existing files are reused so a
    test run does not pay for key generation twice. `name` lets tests make
    several pairs (certificate rollover, wrong key) in one directory."""
    os.makedirs(keydir, exist_ok=True)
    key_path = os.path.join(keydir, name + ".key")
    cert_path = os.path.join(keydir, name + ".crt")
    if os.path.exists(key_path) and os.path.exists(cert_path):
        return key_path, cert_path
    # Generate into temp names and rename: parallel test processes may race here.
    tmpk = tempfile.NamedTemporaryFile(dir=keydir, suffix=".key.tmp", delete=False).name
    tmpc = tempfile.NamedTemporaryFile(dir=keydir, suffix=".crt.tmp", delete=False).name
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:%d" % key_bits, "-nodes",
                    "-keyout", tmpk, "-out", tmpc, "-days", str(days), "-subj", "/CN=" + cn,
                    "-" + sha], check=True, capture_output=True)
    os.chmod(tmpk, 0o600)
    os.replace(tmpk, key_path)
    os.replace(tmpc, cert_path)
    return key_path, cert_path


def cert_b64(cert_path):
    """Base64 body of a PEM certificate: no BEGIN/END lines, no line breaks
    (what Entra puts in X509Certificate)."""
    with open(cert_path, "r", encoding="ascii") as f:
        pem = f.read()
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S)
    body = m.group(1) if m else pem
    return "".join(body.split())


def cert_pem_entra_style(cert_path):
    """The certificate as Entra's 'Certificate (Base64)' download: PEM, 64-column
    lines, CRLF line endings, no trailing newline."""
    b = cert_b64(cert_path)
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "\r\n".join(["-----BEGIN CERTIFICATE-----"] + lines + ["-----END CERTIFICATE-----"])


_KEY_CACHE = {}


def _load_key(key_path):
    """xmlsec.Key objects are cached per path+mtime: loading is the slow part."""
    stamp = (key_path, os.path.getmtime(key_path))
    if stamp not in _KEY_CACHE:
        _KEY_CACHE[stamp] = xmlsec.Key.from_file(key_path, xmlsec.KeyFormat.PEM)
    return _KEY_CACHE[stamp]


# ---------------------------------------------------------------- XML signatures

def _strip_ws(elem):
    """xmlsec's template inserts '\\n' text nodes; Entra's Signature has none, and
    SignedInfo is canonicalized with its whitespace, so it must go before signing."""
    for e in elem.iter():
        if e.text is not None and not e.text.strip():
            e.text = None
        if e.tail is not None and not e.tail.strip():
            e.tail = None


def sign_element(elem, key_path, cert_path, sig_alg="rsa-sha256", digest_alg="sha256"):
    """Enveloped signature over `elem` (by its ID attribute), Entra style.

    An existing direct-child Signature is removed first, so a test can mutate a
    signed message and re-sign it. The Signature goes right after elem's Issuer
    (SAML schema order), or first if elem has no Issuer (metadata)."""
    for old in elem.findall("{%s}Signature" % DS):
        elem.remove(old)
    sig = xmlsec.template.create(elem, xmlsec.Transform.EXCL_C14N, SIG_ALGS[sig_alg])
    ref = xmlsec.template.add_reference(sig, DIGEST_ALGS[digest_alg], uri="#" + elem.get("ID"))
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    _strip_ws(sig)
    issuer = elem.find("{%s}Issuer" % SAML)
    if issuer is not None:
        issuer.addnext(sig)
    else:
        elem.insert(0, sig)
    ctx = xmlsec.SignatureContext()
    ctx.key = _load_key(key_path)
    # xmlsec resolves URI="#id" only through IDs registered in the document.
    ctx.register_id(elem, "ID")
    ctx.sign(sig)
    sv = sig.find("{%s}SignatureValue" % DS)
    sv.text = "".join(sv.text.split())  # Entra: one line; not covered by the signature
    _strip_ws(sig)
    # KeyInfo is outside SignedInfo: add it after signing, unwrapped like Entra.
    ki = etree.SubElement(sig, "{%s}KeyInfo" % DS)
    xd = etree.SubElement(ki, "{%s}X509Data" % DS)
    etree.SubElement(xd, "{%s}X509Certificate" % DS).text = cert_b64(cert_path)
    return sig


def _assertions(root):
    return root.findall("{%s}Assertion" % SAML)


def _apply_signing(root, which, key_path, cert_path, sig_alg, digest_alg):
    """Assertion first, Response last: the Response signature must cover the
    Assertion's finished Signature when both are signed."""
    if which not in ("assertion", "response", "both", "root", "none"):
        raise ValueError("sign must be assertion|response|both|root|none, not %r" % which)
    if which in ("assertion", "both"):
        for a in _assertions(root):
            sign_element(a, key_path, cert_path, sig_alg, digest_alg)
    if which in ("response", "both", "root"):
        sign_element(root, key_path, cert_path, sig_alg, digest_alg)


def sign_xml(xml_bytes, which, key, cert, sig_alg="rsa-sha256", digest_alg="sha256"):
    """Parse, (re-)sign and serialize. which: 'assertion' (each Assertion child of
    the root), 'response', 'both', or 'root' (any root with an ID, e.g. metadata)."""
    root = _parse_xml(xml_bytes)
    _apply_signing(root, which, key, cert, sig_alg, digest_alg)
    return etree.tostring(root)


def verify_xml(xml_bytes, cert_path, which="assertion"):
    """Verify with python-xmlsec; True/False. For tests of this IdP only: it
    checks that the signature is sound, not the SAML rules an SP must apply."""
    root = _parse_xml(xml_bytes)
    if which == "assertion":
        targets = _assertions(root)
    else:
        targets = [root]
    if not targets:
        return False
    for t in targets:
        sig = t.find("{%s}Signature" % DS)
        if sig is None:
            return False
        ctx = xmlsec.SignatureContext()
        ctx.key = xmlsec.Key.from_file(cert_path, xmlsec.KeyFormat.CERT_PEM)
        try:
            ctx.register_id(t, "ID")  # raises on a duplicated ID (wrapping attacks)
            ctx.verify(sig)
        except xmlsec.Error:
            return False
    return True


# ---------------------------------------------------------------- the tenant

class Tenant:
    """One Entra tenant (or, as Entra does it, one application's view of it:
    entity ID and endpoints are per tenant, the signing certificate per app)."""

    def __init__(self, tenant_id, key_path, cert_path, base_url, tenant_name="Contoso"):
        self.tenant_id = tenant_id
        self.key_path = key_path
        self.cert_path = cert_path
        self.base_url = base_url.rstrip("/")
        self.tenant_name = tenant_name

    @property
    def entity_id(self):
        return "https://sts.windows.net/%s/" % self.tenant_id

    @property
    def login_url(self):
        return "%s/%s/saml2" % (self.base_url, self.tenant_id)

    @property
    def logout_url(self):
        return self.login_url  # Entra uses one endpoint for sign-in and sign-out

    @property
    def wsfed_url(self):
        return "%s/%s/wsfed" % (self.base_url, self.tenant_id)

    @property
    def metadata_url(self):
        return "%s/%s/federationmetadata/2007-06/federationmetadata.xml" % (self.base_url, self.tenant_id)

    def metadata_xml(self, extra_cert_paths=(), sign=True):
        """Entra-shaped federation metadata, signed on EntityDescriptor with the
        tenant key. Every descriptor lists the tenant certificate and then every
        extra certificate (rollover) as use="signing" KeyDescriptors."""
        certs = [cert_b64(self.cert_path)] + [cert_b64(p) for p in extra_cert_paths]
        root = etree.Element("{%s}EntityDescriptor" % MD, nsmap={None: MD})
        root.set("ID", new_id())
        root.set("entityID", self.entity_id)
        self._sts_role(root, certs)
        self._app_role(root, certs)
        self._idp_sso(root, certs)
        if sign:
            sign_element(root, self.key_path, self.cert_path)
        return b'<?xml version="1.0" encoding="utf-8"?>' + etree.tostring(root)

    @staticmethod
    def _key_descriptors(parent, certs):
        for c in certs:
            kd = _el(parent, "{%s}KeyDescriptor" % MD, attrs=[("use", "signing")])
            ki = _el(kd, "{%s}KeyInfo" % DS, nsmap={None: DS})
            _el(_el(ki, "{%s}X509Data" % DS), "{%s}X509Certificate" % DS, c)

    @staticmethod
    def _epr(parent, tag, address):
        wrap = _el(parent, tag)
        epr = _el(wrap, "{%s}EndpointReference" % WSA, nsmap={"wsa": WSA})
        _el(epr, "{%s}Address" % WSA, address)

    def _role(self, root, typ, certs):
        rd = _el(root, "{%s}RoleDescriptor" % MD, nsmap={"xsi": XSI, "fed": FED})
        rd.set("{%s}type" % XSI, typ)
        rd.set("protocolSupportEnumeration", FED)
        self._key_descriptors(rd, certs)
        return rd

    def _sts_role(self, root, certs):
        rd = self._role(root, "fed:SecurityTokenServiceType", certs)
        offered = _el(rd, "{%s}ClaimTypesOffered" % FED)
        for uri, name, desc in CLAIM_TYPES_OFFERED:
            ct = _el(offered, "{%s}ClaimType" % AUTH, attrs=[("Uri", uri)], nsmap={"auth": AUTH})
            _el(ct, "{%s}DisplayName" % AUTH, name)
            _el(ct, "{%s}Description" % AUTH, desc)
        self._epr(rd, "{%s}SecurityTokenServiceEndpoint" % FED, self.wsfed_url)
        self._epr(rd, "{%s}PassiveRequestorEndpoint" % FED, self.wsfed_url)

    def _app_role(self, root, certs):
        rd = self._role(root, "fed:ApplicationServiceType", certs)
        self._epr(rd, "{%s}TargetScopes" % FED, self.entity_id)
        self._epr(rd, "{%s}ApplicationServiceEndpoint" % FED, self.wsfed_url)
        self._epr(rd, "{%s}PassiveRequestorEndpoint" % FED, self.wsfed_url)

    def _idp_sso(self, root, certs):
        idp = _el(root, "{%s}IDPSSODescriptor" % MD,
                  attrs=[("protocolSupportEnumeration", SAMLP)])
        self._key_descriptors(idp, certs)
        for tag, binding in (("SingleLogoutService", BINDING_REDIRECT),
                             ("SingleSignOnService", BINDING_REDIRECT),
                             ("SingleSignOnService", BINDING_POST)):
            _el(idp, "{%s}%s" % (MD, tag), attrs=[("Binding", binding), ("Location", self.login_url)])


# ---------------------------------------------------------------- users and claims

def user_from_upn(upn):
    """A plausible user for a bare UPN (stable object id derived from it)."""
    local = upn.split("@")[0]
    parts = re.split(r"[._-]", local, maxsplit=1)
    given = parts[0].capitalize()
    surname = parts[1].capitalize() if len(parts) > 1 else ""
    return {"upn": upn, "given": given, "surname": surname,
            "display": (given + " " + surname).strip(),
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, "entra-test-user:" + upn.lower())),
            "groups": [], "assigned": True}


def default_claims(tenant, user):
    """Entra's default claim set for `user`, in Entra's order (fixtures README).
    givenname/surname/emailaddress are left out when empty, as Entra omits
    claims without a value (the tercen fixture has none of the three).
    The groups claim (only when the user has groups; set up by the admin in
    Entra) is placed after displayname."""
    c = {C_TENANTID: tenant.tenant_id,
         C_OID: user.get("oid") or user_from_upn(user["upn"])["oid"],
         C_DISPLAYNAME: user.get("display") or user["upn"]}
    if user.get("groups"):
        c[C_GROUPS] = list(user["groups"])
    c[C_IDP] = tenant.entity_id
    c[C_AMR] = user.get("amr") or [AMR_PASSWORD]
    for uri, key in ((C_GIVENNAME, "given"), (C_SURNAME, "surname")):
        if user.get(key):
            c[uri] = user[key]
    email = user.get("email", user["upn"])
    if email:
        c[C_EMAIL] = email
    c[C_NAME] = user["upn"]
    return c


# ---------------------------------------------------------------- responses

def _status(parent, status, sub_status, message):
    st = _el(parent, "{%s}Status" % SAMLP)
    code = _el(st, "{%s}StatusCode" % SAMLP, attrs=[("Value", status)])
    if sub_status:
        _el(code, "{%s}StatusCode" % SAMLP, attrs=[("Value", sub_status)])
    if message is not None:
        _el(st, "{%s}StatusMessage" % SAMLP, message)


def _subject(a, name_id, name_id_format, in_response_to, recipient, not_on_or_after):
    subj = _el(a, "{%s}Subject" % SAML)
    attrs = [("Format", name_id_format)] if name_id_format else []
    _el(subj, "{%s}NameID" % SAML, name_id, attrs)
    sc = _el(subj, "{%s}SubjectConfirmation" % SAML, attrs=[("Method", BEARER)])
    scd = []
    if in_response_to:
        scd.append(("InResponseTo", in_response_to))
    if not_on_or_after is not False:
        scd.append(("NotOnOrAfter", fmt_instant(not_on_or_after)))
    if recipient is not False:
        scd.append(("Recipient", recipient))
    _el(sc, "{%s}SubjectConfirmationData" % SAML, attrs=scd)


def _conditions(a, not_before, not_on_or_after, audience):
    attrs = []
    if not_before is not False:
        attrs.append(("NotBefore", fmt_instant(not_before)))
    if not_on_or_after is not False:
        attrs.append(("NotOnOrAfter", fmt_instant(not_on_or_after)))
    cond = _el(a, "{%s}Conditions" % SAML, attrs=attrs)
    if audience is not False:
        ar = _el(cond, "{%s}AudienceRestriction" % SAML)
        for aud in ([audience] if isinstance(audience, str) else audience):
            _el(ar, "{%s}Audience" % SAML, aud)


def _attribute_statement(a, claims):
    if not claims:
        return  # Entra never sends an empty AttributeStatement
    stmt = _el(a, "{%s}AttributeStatement" % SAML)
    for uri, values in claims.items():
        attr = _el(stmt, "{%s}Attribute" % SAML, attrs=[("Name", uri)])
        for v in ([values] if isinstance(values, str) else values):
            _el(attr, "{%s}AttributeValue" % SAML, v)


def _authn_statement(a, aid, authn_instant, session_not_on_or_after, authn_context):
    attrs = [("AuthnInstant", fmt_instant(authn_instant)), ("SessionIndex", aid)]
    if session_not_on_or_after is not None:
        attrs.append(("SessionNotOnOrAfter", fmt_instant(session_not_on_or_after)))
    st = _el(a, "{%s}AuthnStatement" % SAML, attrs=attrs)
    _el(_el(st, "{%s}AuthnContext" % SAML), "{%s}AuthnContextClassRef" % SAML, authn_context)


def build_response(tenant, *, sp_entity_id, acs_url, in_response_to=None, name_id=None,
                   name_id_format=NAMEID_EMAIL, claims=None, sign="assertion", now=None,
                   status=None, status_message=None, sub_status=None, include_assertion=None,
                   destination=None, audience=None, recipient=None, not_before=None,
                   not_on_or_after=None, session_not_on_or_after=None,
                   sig_alg="rsa-sha256", digest_alg="sha256", signing_key=None,
                   signing_cert=None, mutate=None, user=None, authn_instant=None,
                   authn_context=AC_PASSWORD, response_id=None, assertion_id=None):
    """An Entra-shaped samlp:Response, serialized as Entra does (one line, no
    XML declaration).

    Defaults follow Entra: Destination = Recipient = acs_url, Audience =
    sp_entity_id, NotBefore = now-5min, NotOnOrAfter = now+60min (from an
    instant ~0.1 s before IssueInstant, as Entra's are), AuthnInstant = now-30s.
    Pass False for destination/recipient/audience/not_before/not_on_or_after to
    omit them; a str for a time is used verbatim. audience may be a list.
    claims=None -> default_claims(tenant, user or a user made from name_id).
    status given -> error Response: StatusCode status (+ sub_status) and
    StatusMessage, and no Assertion unless include_assertion=True.
    sign: 'assertion' (Entra's default), 'response', 'both', 'none'.
    mutate(root) runs on the lxml tree before signing; it may return a
    replacement root."""
    now = _utc(now) if now is not None else utcnow()
    base = now - dt.timedelta(milliseconds=93)  # Entra's conditions instant precedes IssueInstant
    if include_assertion is None:
        include_assertion = status is None
    resp_attrs = [("ID", response_id or new_id()), ("Version", "2.0"), ("IssueInstant", fmt_instant(now))]
    if destination is not False:
        resp_attrs.append(("Destination", destination or acs_url))
    if in_response_to:
        resp_attrs.append(("InResponseTo", in_response_to))
    root = etree.Element("{%s}Response" % SAMLP, nsmap={"samlp": SAMLP})
    for k, v in resp_attrs:
        root.set(k, v)
    _el(root, "{%s}Issuer" % SAML, tenant.entity_id, nsmap={None: SAML})
    _status(root, status or STATUS_SUCCESS, sub_status, status_message)
    if include_assertion:
        if name_id is None:
            raise ValueError("build_response: name_id is required when an Assertion is included")
        if claims is None:
            claims = default_claims(tenant, user or user_from_upn(name_id))
        nb = base - dt.timedelta(minutes=5) if not_before is None else not_before
        noa = base + dt.timedelta(minutes=60) if not_on_or_after is None else not_on_or_after
        aid = assertion_id or new_id()
        a = _el(root, "{%s}Assertion" % SAML, nsmap={None: SAML},
                attrs=[("ID", aid), ("IssueInstant", fmt_instant(now)), ("Version", "2.0")])
        _el(a, "{%s}Issuer" % SAML, tenant.entity_id)
        _subject(a, name_id, name_id_format, in_response_to,
                 acs_url if recipient is None else recipient, noa)
        _conditions(a, nb, noa, sp_entity_id if audience is None else audience)
        _attribute_statement(a, claims)
        _authn_statement(a, aid, authn_instant or now - dt.timedelta(seconds=30),
                         session_not_on_or_after, authn_context)
    if mutate is not None:
        root = mutate(root) or root
    if sign == "assertion" and not _assertions(root):
        sign = "none"  # nothing to sign: Entra's error Responses carry no signature
    _apply_signing(root, sign, signing_key or tenant.key_path,
                   signing_cert or tenant.cert_path, sig_alg, digest_alg)
    return etree.tostring(root)


# ---------------------------------------------------------------- AADSTS errors

AADSTS_TEXT = {
    "50011": "AADSTS50011: The reply URL '{acs_url}' specified in the request does not match the reply URLs configured for the application '{identifier}'. Make sure the reply URL sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/urlMismatchError to learn more about how to fix this.",
    "50034": "AADSTS50034: The user account {upn} does not exist in the {tenant_name} directory. To sign into this application, the account must be added to the directory.",
    "50058": "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
    "50105": "AADSTS50105: Your administrator has configured the application {app_name} ('{app_id}') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '{upn}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application.",
    "75011": "AADSTS75011: Authentication method 'X509, MultiFactor' by which the user authenticated with the service doesn't match requested authentication method 'Password, ProtectedTransport'. Contact the {app_name} application owner.",
    "90002": "AADSTS90002: Tenant '{tenant_id}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
    "700016": "AADSTS700016: Application with identifier '{identifier}' was not found in the directory '{tenant_name}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    "750054": "AADSTS750054: SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect binding.",
}

# SAML status per code. Entra's documented SAML error form (learn.microsoft.com,
# "Single sign-on SAML protocol", failed sign-in) is Requester + RequestUnsupported.
AADSTS_STATUS = {
    "50105": (STATUS_REQUESTER, STATUS_REQUEST_DENIED),
    "50058": (STATUS_RESPONDER, STATUS_NO_PASSIVE),
}
DEFAULT_ERROR_STATUS = (STATUS_REQUESTER, STATUS_REQUEST_UNSUPPORTED)


def _code(code):
    return str(code).upper().replace("AADSTS", "")


def aadsts_text(code, **ctx):
    """The AADSTS sentence alone. Unknown placeholders become '' (lenient)."""
    class _D(dict):
        def __missing__(self, k):
            return ""
    tmpl = AADSTS_TEXT.get(_code(code), "AADSTS%s: Sign-in failed." % _code(code))
    return tmpl.format_map(_D(ctx))


def aadsts_message(code, now=None, trace_id=None, correlation_id=None, newline="\n", **ctx):
    """AADSTS text + the trace lines Entra appends:
    'Trace ID: <uuid>', 'Correlation ID: <uuid>', 'Timestamp: 2024-01-02 03:04:05Z'."""
    now = _utc(now) if now is not None else utcnow()
    return newline.join([aadsts_text(code, **ctx),
                         "Trace ID: " + (trace_id or str(uuid.uuid4())),
                         "Correlation ID: " + (correlation_id or str(uuid.uuid4())),
                         "Timestamp: " + now.strftime("%Y-%m-%d %H:%M:%SZ")])


def error_response(tenant, code, *, acs_url, sp_entity_id=None, in_response_to=None,
                   now=None, status=None, sub_status=None, sign="none", destination=None,
                   **ctx):
    """An Entra SAML error Response for AADSTS `code` (e.g. 75011 or 'AADSTS75011'):
    no Assertion, StatusMessage with the AADSTS text and trace lines. ctx fills
    the text: app_name, app_id, identifier, acs_url, upn, tenant_name."""
    st, sub = AADSTS_STATUS.get(_code(code), DEFAULT_ERROR_STATUS)
    ctx.setdefault("tenant_name", tenant.tenant_name)
    ctx.setdefault("tenant_id", tenant.tenant_id)
    ctx.setdefault("identifier", sp_entity_id or "")
    msg = aadsts_message(code, now=now, acs_url=acs_url, **ctx)
    return build_response(tenant, sp_entity_id=sp_entity_id or "", acs_url=acs_url,
                          in_response_to=in_response_to, now=now, status=status or st,
                          sub_status=sub if sub_status is None else sub_status,
                          status_message=msg, sign=sign, destination=destination)


# ---------------------------------------------------------------- logout

def build_logout_response(tenant, *, in_response_to, destination=None, now=None,
                          status=STATUS_SUCCESS):
    """Entra's LogoutResponse (unsigned; sent with the HTTP-Redirect binding)."""
    now = _utc(now) if now is not None else utcnow()
    root = etree.Element("{%s}LogoutResponse" % SAMLP, nsmap={"samlp": SAMLP})
    for k, v in (("ID", new_id()), ("Version", "2.0"), ("IssueInstant", fmt_instant(now))):
        root.set(k, v)
    if destination:
        root.set("Destination", destination)
    if in_response_to:
        root.set("InResponseTo", in_response_to)
    _el(root, "{%s}Issuer" % SAML, tenant.entity_id, nsmap={None: SAML})
    _status(root, status, None, None)
    return etree.tostring(root)


def redirect_url(location, param, xml_bytes, relay_state=None):
    """URL for the HTTP-Redirect binding: location?SAMLRequest|SAMLResponse=...&RelayState=..."""
    q = [(param, encode_redirect(xml_bytes))]
    if relay_state:
        q.append(("RelayState", relay_state))
    sep = "&" if "?" in location else "?"
    return location + sep + urllib.parse.urlencode(q)


# ---------------------------------------------------------------- request parsing

def _decode_request(value, binding):
    if binding == "post":
        try:
            return base64.b64decode(value, validate=False)
        except ValueError as e:
            raise ValueError("SAMLRequest is not base64: %s" % e) from e
    return decode_redirect(value)


def _issuer(root):
    return (root.findtext("{%s}Issuer" % SAML) or "").strip() or None


def _bool(v):
    return (v or "").strip().lower() in ("true", "1")


def parse_authn_request(saml_request, binding="redirect"):
    """Decode an AuthnRequest. saml_request is the (URL-decoded) SAMLRequest
    value: base64 of raw DEFLATE for binding='redirect', plain base64 for
    'post'. Raises ValueError when it is not a decodable AuthnRequest."""
    xml = _decode_request(saml_request, binding)
    try:
        root = _parse_xml(xml)
    except etree.XMLSyntaxError as e:
        raise ValueError("SAMLRequest is not XML: %s" % e) from e
    if root.tag != "{%s}AuthnRequest" % SAMLP:
        raise ValueError("not an AuthnRequest: %s" % root.tag)
    nip = root.find("{%s}NameIDPolicy" % SAMLP)
    rac = root.find("{%s}RequestedAuthnContext" % SAMLP)
    return {
        "id": root.get("ID"), "issuer": _issuer(root),
        "acs_url": root.get("AssertionConsumerServiceURL"),
        "force_authn": _bool(root.get("ForceAuthn")), "is_passive": _bool(root.get("IsPassive")),
        "destination": root.get("Destination"), "protocol_binding": root.get("ProtocolBinding"),
        "issue_instant": root.get("IssueInstant"),
        "name_id_policy_format": nip.get("Format") if nip is not None else None,
        "requested_authn_context": [] if rac is None else
            [e.text for e in rac.findall("{%s}AuthnContextClassRef" % SAML)],
        "xml": xml,
    }


def parse_logout_request(saml_request, binding="redirect"):
    """Decode a LogoutRequest (same encoding rules as parse_authn_request)."""
    xml = _decode_request(saml_request, binding)
    try:
        root = _parse_xml(xml)
    except etree.XMLSyntaxError as e:
        raise ValueError("SAMLRequest is not XML: %s" % e) from e
    if root.tag != "{%s}LogoutRequest" % SAMLP:
        raise ValueError("not a LogoutRequest: %s" % root.tag)
    nid = root.find("{%s}NameID" % SAML)
    return {
        "id": root.get("ID"), "issuer": _issuer(root), "destination": root.get("Destination"),
        "name_id": nid.text if nid is not None else None,
        "name_id_format": nid.get("Format") if nid is not None else None,
        "session_index": root.findtext("{%s}SessionIndex" % SAMLP), "xml": xml,
    }


def saml_message_kind(saml_request, binding="redirect"):
    """Local name of the decoded message's root ('AuthnRequest', 'LogoutRequest',
    ...), or None when it does not decode."""
    try:
        return etree.QName(_parse_xml(_decode_request(saml_request, binding))).localname
    except (ValueError, etree.XMLSyntaxError):
        return None


# ---------------------------------------------------------------- HTML pages

def _e(s):
    return html.escape(s or "", quote=True)


def auto_post_page(acs_url, saml_response_xml, relay_state=None):
    """Entra's HTTP-POST page: a hidden form, auto-submitted by script, with a
    noscript button. SAMLResponse is base64 without line breaks."""
    fields = [("SAMLResponse", base64.b64encode(saml_response_xml).decode("ascii"))]
    if relay_state:
        fields.append(("RelayState", relay_state))
    inputs = "".join('<input type="hidden" name="%s" value="%s" />' % (_e(k), _e(v)) for k, v in fields)
    return ('<html><head><title>Working...</title></head><body>'
            '<form method="post" name="hiddenform" action="%s">%s'
            '<noscript><p>Script is disabled. Click Submit to continue.</p>'
            '<input type="submit" value="Submit" /></noscript></form>'
            '<script language="javascript">window.setTimeout(\'document.forms[0].submit()\', 0);</script>'
            '</body></html>') % (_e(acs_url), inputs)


def error_page(code, message):
    """Entra's 'Sorry, but we're having trouble signing you in.' page."""
    head, _, details = message.partition("\n")
    rows = "".join("<p>%s</p>" % _e(line) for line in details.split("\n") if line)
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in to your account</title>'
            '</head><body><div id="error"><h1>Sign in</h1>'
            '<p>Sorry, but we\u2019re having trouble signing you in.</p>'
            '<p id="error-message">%s</p><h2>Troubleshooting details</h2>'
            '<p>If you contact your administrator, send this info to them.</p>%s'
            '<p>Message: %s</p></div></body></html>') % (_e(head), rows, _e(head))


def signin_page(tenant, fields, users=(), error=None, login_hint=None):
    """A plain sign-in form. `fields` (request id, ACS, issuer, RelayState) ride
    along as hidden inputs; the login handler re-validates them."""
    hidden = "".join('<input type="hidden" name="%s" value="%s">' % (_e(k), _e(v))
                     for k, v in fields.items() if v is not None)
    options = "".join('<option value="%s">' % _e(u) for u in users)
    err = '<div id="usernameError" role="alert">%s</div>' % _e(error) if error else ""
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in to your account</title>'
            '</head><body><h1>Sign in</h1>%s'
            '<form method="post" action="/%s/login">%s'
            '<input type="text" name="username" list="known-users" value="%s" placeholder="Email, phone, or Skype">'
            '<datalist id="known-users">%s</datalist>'
            '<input type="password" name="password" placeholder="Password">'
            '<input type="submit" value="Sign in"></form></body></html>') % (
        err, _e(tenant.tenant_id), hidden, _e(login_hint), options)


def signed_out_page():
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign out</title></head>'
            '<body><h1>You signed out of your account</h1>'
            '<p>It\u2019s a good idea to close all browser windows.</p></body></html>')


def parse_form(page):
    """(action, method, {name: value}) of the first <form> in an HTML page, with
    its input values unescaped. For tests that 'follow' the IdP's pages."""
    form = re.search(r"<form\b([^>]*)>(.*?)</form>", page, re.S | re.I)
    if not form:
        raise ValueError("no form in page")
    def attr(tag, name):
        m = re.search(r'\b%s\s*=\s*"([^"]*)"' % name, tag, re.I)
        return html.unescape(m.group(1)) if m else None
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", form.group(2), re.I):
        name = attr(tag, "name")
        if name:
            fields[name] = attr(tag, "value") or ""
    return attr(form.group(1), "action"), (attr(form.group(1), "method") or "get").lower(), fields


# ---------------------------------------------------------------- the server

class IdPConfig:
    """The server's configuration (JSON file, described in t/idp/README.md)."""

    def __init__(self, data, base_url, keydir):
        self.data = data
        if data.get("key_file") and data.get("cert_file"):
            key, cert = data["key_file"], data["cert_file"]
        else:
            key, cert = make_keypair(keydir)
        self.tenant = Tenant(data["tenant_id"], key, cert, data.get("base_url") or base_url,
                             data.get("tenant_name", "Contoso"))
        self.extra_certs = data.get("extra_certs", [])
        self.auto_login = bool(data.get("auto_login", False))
        self.clock_offset = dt.timedelta(seconds=float(data.get("clock_offset_seconds", 0)))
        self.apps = {a["identifier"]: a for a in data.get("apps", [])}
        self.users = {u["upn"].lower(): u for u in data.get("users", [])}

    def now(self):
        # A skewed IdP clock lets tests exercise SipSSOClockSkew without touching the SP's.
        return utcnow() + self.clock_offset

    def app_id(self, app):
        return app.get("app_id") or str(uuid.uuid5(uuid.NAMESPACE_URL, "entra-test-app:" + app["identifier"]))


class Handler(BaseHTTPRequestHandler):
    server_version = "EntraTestIdP/1.0"
    protocol_version = "HTTP/1.1"

    # -- plumbing

    @property
    def cfg(self):
        return self.server.cfg

    def log_message(self, fmt, *args):
        line = fmt % args
        sys.stderr.write("idp: %s %s\n" % (self.address_string(), line[:200]))

    def note(self, msg):
        sys.stderr.write("idp: %s\n" % msg)

    def send(self, code, body, ctype="text/html; charset=utf-8", headers=()):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store, no-cache")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def aadsts_page(self, http_code, code, **ctx):
        ctx.setdefault("tenant_name", self.cfg.tenant.tenant_name)
        ctx.setdefault("tenant_id", self.cfg.tenant.tenant_id)
        msg = aadsts_message(code, now=self.cfg.now(), **ctx)
        self.note(msg.split("\n")[0])
        self.send(http_code, error_page(code, msg))

    def form_data(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        return {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}

    # -- routing

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        parts = url.path.strip("/").split("/", 1)
        if len(parts) != 2:
            return self.send(404, "not found\n", "text/plain")
        tenant, rest = parts
        if tenant != self.cfg.tenant.tenant_id:
            return self.aadsts_page(400, 90002, tenant_id=tenant)
        if rest == "saml2" and method == "GET":
            return self.saml2(q, "redirect")
        if rest == "saml2" and method == "POST":
            return self.saml2(self.form_data(), "post")
        if rest == "login" and method == "POST":
            return self.login(self.form_data())
        if rest == "myapps/signin" and method == "GET":
            return self.idp_initiated(q)
        if rest == "federationmetadata/2007-06/federationmetadata.xml" and method == "GET":
            body = self.cfg.tenant.metadata_xml(self.cfg.extra_certs)
            return self.send(200, body, "application/xml; charset=utf-8")
        return self.send(404, "not found\n", "text/plain")

    def safe_route(self, method):
        try:
            self.route(method)
        except Exception:  # a bug here must show up as a 500, not a hung client
            import traceback
            traceback.print_exc()
            try:
                self.send(500, "internal error in test IdP\n", "text/plain")
            except OSError:
                pass

    def do_GET(self):
        self.safe_route("GET")

    def do_HEAD(self):
        self.safe_route("GET")

    def do_POST(self):
        self.safe_route("POST")

    # -- SAML endpoint

    def saml2(self, q, binding):
        req = q.get("SAMLRequest")
        if not req:
            if q.get("SAMLResponse"):  # the SP answering a logout: nothing to do
                return self.send(200, signed_out_page())
            return self.aadsts_page(400, 750054)
        kind = saml_message_kind(req, binding)
        if kind == "LogoutRequest":
            return self.logout(parse_logout_request(req, binding), q.get("RelayState"))
        if kind != "AuthnRequest":
            return self.aadsts_page(400, 750054)
        ar = parse_authn_request(req, binding)
        app, acs = self.check_app(ar["issuer"], ar["acs_url"])
        if app is None:
            return
        fields = {"request_id": ar["id"], "acs_url": acs, "issuer": ar["issuer"],
                  "relay_state": q.get("RelayState")}
        hint = q.get("login_hint")
        if self.cfg.auto_login and hint:
            return self.finish_login(app, fields, hint)
        if ar["is_passive"]:
            # No interactive session exists in this IdP: Entra answers AADSTS50058.
            return self.post_error(app, fields, 50058)
        users = sorted(u["upn"] for u in self.cfg.users.values())
        self.send(200, signin_page(self.cfg.tenant, fields, users, login_hint=hint))

    def idp_initiated(self, q):
        """Stand-in for a My Apps tile (Entra serves it from another host):
        an unsolicited Response, no InResponseTo, to the app's default reply
        URL. ?app=<identifier>[&login_hint=<upn>][&RelayState=...]"""
        app = self.cfg.apps.get(q.get("app") or "")
        if app is None or not app.get("reply_urls"):
            return self.aadsts_page(400, 700016, identifier=q.get("app") or "")
        fields = {"request_id": None, "acs_url": app["reply_urls"][0], "issuer": app["identifier"],
                  "relay_state": q.get("RelayState") or app.get("relay_state")}
        if q.get("login_hint"):
            return self.finish_login(app, fields, q["login_hint"])
        users = sorted(u["upn"] for u in self.cfg.users.values())
        self.send(200, signin_page(self.cfg.tenant, fields, users))

    def check_app(self, issuer, acs_url):
        """Entra's two configuration checks, in Entra's order: the Identifier
        (700016), then the Reply URL (50011). Returns (app, acs) or (None, None)
        after sending the error page."""
        app = self.cfg.apps.get(issuer or "")
        if app is None:
            self.aadsts_page(400, 700016, identifier=issuer or "")
            return None, None
        replies = app.get("reply_urls", [])
        if acs_url is None and replies:
            return app, replies[0]  # no ACS URL in the request: Entra uses the default reply URL
        if acs_url not in replies:
            self.aadsts_page(400, 50011, acs_url=acs_url or "", identifier=app["identifier"])
            return None, None
        return app, acs_url

    def login(self, form):
        app, acs = self.check_app(form.get("issuer"), form.get("acs_url"))
        if app is None:
            return
        fields = {k: form.get(k) for k in ("request_id", "acs_url", "issuer", "relay_state")}
        upn = (form.get("username") or "").strip()
        if upn.lower() not in self.cfg.users:
            users = sorted(u["upn"] for u in self.cfg.users.values())
            err = "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin."
            return self.send(200, signin_page(self.cfg.tenant, fields, users, error=err, login_hint=upn))
        self.finish_login(app, fields, upn)

    def finish_login(self, app, fields, upn):
        user = self.cfg.users.get(upn.lower())
        if user is None:
            return self.aadsts_page(400, 50034, upn=upn)
        error = _code(user["error"]) if user.get("error") else None
        if user.get("assigned", True) is False or error == "50105":
            # Entra stops at its own page: the SP never hears of it.
            return self.aadsts_page(403, 50105, app_name=app.get("name", app["identifier"]),
                                    app_id=self.cfg.app_id(app), upn=user["upn"])
        if error:
            return self.post_error(app, fields, error, upn=user["upn"])
        t = self.cfg.tenant
        xml = build_response(t, sp_entity_id=app["identifier"], acs_url=fields["acs_url"],
                             in_response_to=fields.get("request_id"), name_id=user["upn"],
                             claims=default_claims(t, user), now=self.cfg.now(),
                             sign=app.get("sign", "assertion"),
                             sig_alg=app.get("sig_alg", "rsa-sha256"),
                             digest_alg=app.get("digest_alg", "sha256"))
        self.note("signed in %s for %s -> %s" % (user["upn"], app["identifier"], fields["acs_url"]))
        self.send(200, auto_post_page(fields["acs_url"], xml, fields.get("relay_state")))

    def post_error(self, app, fields, code, **ctx):
        xml = error_response(self.cfg.tenant, code, acs_url=fields["acs_url"],
                             sp_entity_id=app["identifier"], in_response_to=fields.get("request_id"),
                             now=self.cfg.now(), app_name=app.get("name", app["identifier"]),
                             app_id=self.cfg.app_id(app), **ctx)
        self.note("AADSTS%s error Response -> %s" % (_code(code), fields["acs_url"]))
        self.send(200, auto_post_page(fields["acs_url"], xml, fields.get("relay_state")))

    def logout(self, lr, relay_state):
        app = self.cfg.apps.get(lr["issuer"] or "")
        if app is None:
            return self.aadsts_page(400, 700016, identifier=lr["issuer"] or "")
        if not app.get("logout_url"):
            return self.send(200, signed_out_page())
        xml = build_logout_response(self.cfg.tenant, in_response_to=lr["id"],
                                    destination=app["logout_url"], now=self.cfg.now())
        loc = redirect_url(app["logout_url"], "SAMLResponse", xml, relay_state)
        self.send(302, "", headers=[("Location", loc)])


class IdPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, cfg_data, keydir):
        super().__init__(addr, Handler)
        host, port = self.server_address[:2]
        self.cfg = IdPConfig(cfg_data, "http://%s:%d" % (host, port), keydir)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt  # unwinds serve_forever in the main thread


def main(argv=None):
    p = argparse.ArgumentParser(description="Entra ID-compatible SAML test IdP")
    p.add_argument("--config", required=True, help="JSON config file")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--keydir", help="where the signing key pair lives/is made "
                   "(default: idp-keys next to the config file)")
    args = p.parse_args(argv)
    with open(args.config, encoding="utf-8") as f:
        data = json.load(f)
    keydir = args.keydir or os.path.join(os.path.dirname(os.path.abspath(args.config)), "idp-keys")
    srv = IdPServer((args.host, args.port), data, keydir)
    signal.signal(signal.SIGTERM, _on_sigterm)
    print("IdP listening on http://%s:%d" % (args.host, srv.server_address[1]), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
        sys.stderr.write("idp: stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
