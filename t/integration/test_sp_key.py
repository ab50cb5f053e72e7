"""An SP key pair: AuthnRequests are signed (HTTP-Redirect binding:
SigAlg + Signature over the query) and the metadata carries the certificate."""
import base64
import os
import subprocess
import urllib.parse

from lxml import etree


def make_sp_keys(d):
    key, crt = os.path.join(d, "sp.key"), os.path.join(d, "sp.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "30", "-subj", "/CN=sp"],
                   check=True, capture_output=True)
    return key, crt


def test_signed_authn_request_and_metadata(make_sp, browser, tmp_path):
    key, crt = make_sp_keys(str(tmp_path))
    sp = make_sp(extra="SipSSOSPPrivateKeyFile %s\nSipSSOSPCertificateFile %s\n" % (key, crt))
    r = browser.get(sp.base + "/app/", allow_redirects=False)
    assert r.status_code == 302
    loc = r.headers["Location"]
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    assert q["SigAlg"][0] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    # Verify the redirect signature with the SP certificate, as Entra would.
    raw = urllib.parse.urlsplit(loc).query
    signed = raw[:raw.index("&Signature=")]
    sig = base64.b64decode(q["Signature"][0])
    pub = subprocess.run(["openssl", "x509", "-in", crt, "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    (tmp_path / "pub.pem").write_bytes(pub)
    (tmp_path / "sig.bin").write_bytes(sig)
    (tmp_path / "data.txt").write_bytes(signed.encode())
    v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"),
                        "-signature", str(tmp_path / "sig.bin"), str(tmp_path / "data.txt")],
                       capture_output=True, text=True)
    assert "Verified OK" in v.stdout, v.stdout + v.stderr
    # The sign-in still completes.
    assert sp.sign_in(browser).status_code == 303
    md = browser.get(sp.base + "/sipsso/metadata")
    root = etree.fromstring(md.content)
    ns = {"md": "urn:oasis:names:tc:SAML:2.0:metadata",
          "ds": "http://www.w3.org/2000/09/xmldsig#"}
    certs = root.xpath("//ds:X509Certificate/text()", namespaces=ns)
    der = subprocess.run(["openssl", "x509", "-in", crt, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    assert base64.b64encode(der).decode() in certs
    assert root.xpath("//md:SPSSODescriptor/@AuthnRequestsSigned", namespaces=ns) == ["true"]


def test_unsigned_without_key(sp, browser):
    r = browser.get(sp.base + "/app/", allow_redirects=False)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
    assert "Signature" not in q and "SigAlg" not in q
