"""Startup: a wrong configuration stops apache2 with one line that names the
directive, the file and the virtual host; every form in which an admin may
hold Entra's certificate is accepted."""
import os
import re
import subprocess

import pytest
import requests
from lxml import etree

import harness
from harness import entra_idp

IDP_ENTITY = "https://sts.windows.net/%s/" % harness.TENANT
IDP_LOGIN = "https://login.microsoftonline.com/%s/saml2" % harness.TENANT


class Bad:
    """A config in an Include'd file, inside <VirtualHost> (or not), that
    must keep apache2 from starting."""

    def __init__(self, tmp, vhost=True):
        self.tmp = str(tmp)
        self.port = harness.free_port()
        self.keydir = os.path.join(self.tmp, "keys")
        self.key, self.cert = entra_idp.make_keypair(self.keydir)
        self.site = os.path.join(self.tmp, "site.conf")
        self.vhost = vhost

    def pem(self, text=None, name="entra.cer"):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as f:
            f.write(text if text is not None else entra_idp.cert_pem_entra_style(self.cert))
        return p

    def start(self, lines):
        """lines: the SipSSO directives. Returns (output, lines of site.conf)."""
        if self.vhost:
            text = ["<VirtualHost 127.0.0.1:%d>" % self.port,
                    "ServerName 127.0.0.1:%d" % self.port] + lines + ["</VirtualHost>"]
        else:
            text = list(lines)
        with open(self.site, "w") as f:
            f.write("\n".join(text) + "\n")
        with pytest.raises(RuntimeError) as e:
            h = harness.Httpd(self.tmp, self.port, "Include %s\n" % self.site)
            h.stop()
        out = str(e.value)
        assert "AddressSanitizer" not in out and "Segmentation" not in out, out
        return out, text

    def lineno(self, text, directive):
        return next(i for i, l in enumerate(text, 1) if l.startswith(directive))

    def expect(self, lines, directive, *words, at=None):
        """Fails to start; one output line names directive, file, vhost and
        says `words`."""
        out, text = self.start(lines)
        hits = [l for l in out.splitlines() if directive in l and self.site in l]
        assert len(hits) == 1, out
        line = hits[0]
        if at is not None:          # a directive handler: its own line
            assert "line %d of %s" % (self.lineno(text, at), self.site) in line, line
        if self.vhost:
            assert "defined at %s:1" % self.site in line, line
        else:
            assert "main server" in line, line
        for w in words:
            assert w.lower() in line.lower(), (w, line)
        return line

    def values(self, cert_path=None, login=IDP_LOGIN, entity=IDP_ENTITY):
        return ["SipSSOEntityID https://app.example/sipsso/metadata",
                "SipSSOIdPEntityID %s" % entity,
                "SipSSOIdPLoginURL %s" % login,
                "SipSSOIdPCertificate %s" % (cert_path or self.pem())]


@pytest.fixture(params=[True, False], ids=["vhost", "main"])
def bad(request, tmp_path):
    return Bad(tmp_path, vhost=request.param)


# ----------------------------------------------------------------- refused

def test_certificate_file_missing(bad):
    path = os.path.join(bad.tmp, "no-such.cer")
    bad.expect(bad.values(cert_path=path), "SipSSOIdPCertificate", path, "cannot be read",
               at="SipSSOIdPCertificate")


def test_certificate_file_is_directory(bad):
    bad.expect(bad.values(cert_path=bad.tmp), "SipSSOIdPCertificate",
               at="SipSSOIdPCertificate")


def test_certificate_file_unreadable(tmp_path):
    b = Bad(tmp_path)
    p = b.pem()
    os.chmod(p, 0)
    if os.access(p, os.R_OK):
        pytest.skip("running as root: permissions do not stop reading")
    b.expect(b.values(cert_path=p), "SipSSOIdPCertificate", "cannot be read")


def test_private_key_instead_of_certificate(bad):
    bad.expect(bad.values(cert_path=bad.key), "SipSSOIdPCertificate",
               "not a CERTIFICATE", at="SipSSOIdPCertificate")


def test_empty_certificate_file(bad):
    bad.expect(bad.values(cert_path=bad.pem("", "empty.cer")), "SipSSOIdPCertificate",
               "empty", at="SipSSOIdPCertificate")


def test_garbage_certificate_file(bad):
    bad.expect(bad.values(cert_path=bad.pem("this is not a certificate\n", "junk.cer")),
               "SipSSOIdPCertificate", at="SipSSOIdPCertificate")


def test_two_pem_blocks_in_one_file(bad):
    pem = open(bad.cert).read()
    bad.expect(bad.values(cert_path=bad.pem(pem + pem, "two.cer")),
               "SipSSOIdPCertificate", "more than one", at="SipSSOIdPCertificate")


def _metadata(bad, mutate=None):
    t = entra_idp.Tenant(harness.TENANT, bad.key, bad.cert, "https://login.example")
    xml = t.metadata_xml(sign=False)
    if mutate:
        root = etree.fromstring(xml)
        mutate(root)
        xml = etree.tostring(root)
    p = os.path.join(bad.tmp, "federationmetadata.xml")
    open(p, "wb").write(xml)
    return p


def test_metadata_without_signing_key(bad):
    def strip(root):
        for kd in root.iter("{%s}KeyDescriptor" % entra_idp.MD):
            kd.getparent().remove(kd)
    p = _metadata(bad, strip)
    bad.expect(["SipSSOEntityID https://app.example/sipsso/metadata",
                "SipSSOIdPMetadataFile %s" % p], "SipSSOIdPMetadataFile",
               "no signing certificate", at="SipSSOIdPMetadataFile")


def test_sp_metadata_as_idp_metadata(bad):
    p = os.path.join(bad.tmp, "sp-metadata.xml")
    open(p, "w").write(
        '<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="%s" '
        'entityID="https://app.example/sipsso/metadata"><md:SPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:AssertionConsumerService Binding="%s" Location="https://app.example/sipsso/acs" '
        'index="0"/></md:SPSSODescriptor></md:EntityDescriptor>\n'
        % (entra_idp.MD, entra_idp.BINDING_POST))
    bad.expect(["SipSSOEntityID https://app.example/sipsso/metadata",
                "SipSSOIdPMetadataFile %s" % p], "SipSSOIdPMetadataFile",
               "IDPSSODescriptor", at="SipSSOIdPMetadataFile")


def test_module_own_metadata_as_idp_metadata(tmp_path, make_sp):
    """The most likely version of that mistake: the file from /sipsso/metadata."""
    sp = make_sp()
    b = Bad(tmp_path / "bad")
    os.makedirs(b.tmp, exist_ok=True)
    p = os.path.join(b.tmp, "sp-metadata.xml")
    open(p, "wb").write(requests.get(sp.base + "/sipsso/metadata").content)
    b.expect(["SipSSOEntityID https://app.example/sipsso/metadata",
              "SipSSOIdPMetadataFile %s" % p], "SipSSOIdPMetadataFile", "SP's metadata",
             at="SipSSOIdPMetadataFile")


def test_metadata_file_missing(bad):
    p = os.path.join(bad.tmp, "nope.xml")
    bad.expect(["SipSSOEntityID https://app.example/sipsso/metadata",
                "SipSSOIdPMetadataFile %s" % p], "SipSSOIdPMetadataFile", "cannot be read",
               at="SipSSOIdPMetadataFile")


def test_metadata_not_xml(bad):
    p = os.path.join(bad.tmp, "federationmetadata.xml")
    open(p, "w").write("<html><body>Sign in</body>")
    bad.expect(["SipSSOEntityID https://app.example/sipsso/metadata",
                "SipSSOIdPMetadataFile %s" % p], "SipSSOIdPMetadataFile",
               at="SipSSOIdPMetadataFile")


def test_entity_id_missing(bad, request):
    """Found after the whole config is read (post_config): still one line
    with the directive, the file and the virtual host."""
    line = bad.expect(bad.values()[1:], "SipSSOEntityID", "missing")
    if bad.vhost:
        assert "127.0.0.1:%d" % bad.port in line, line


def test_idp_login_url_missing(bad):
    lines = [l for l in bad.values() if not l.startswith("SipSSOIdPLoginURL")]
    bad.expect(lines, "SipSSOIdPLoginURL", "missing")


def test_idp_certificate_missing(bad):
    lines = [l for l in bad.values() if not l.startswith("SipSSOIdPCertificate")]
    bad.expect(lines, "SipSSOIdPCertificate", "missing")


def test_idp_configured_twice(bad):
    p = _metadata(bad)
    bad.expect(["SipSSOEntityID https://app.example/sipsso/metadata",
                "SipSSOIdPMetadataFile %s" % p,
                "SipSSOIdPLoginURL %s" % IDP_LOGIN], "SipSSOIdPLoginURL",
               "twice", "SipSSOIdPMetadataFile", at="SipSSOIdPLoginURL")


def test_idp_configured_twice_other_order(bad):
    p = _metadata(bad)
    bad.expect(bad.values() + ["SipSSOIdPMetadataFile %s" % p], "SipSSOIdPMetadataFile",
               "twice", at="SipSSOIdPMetadataFile")


@pytest.mark.parametrize("url", ["/5b5c94c6/saml2", "login.microsoftonline.com/x/saml2",
                                 "ftp://login.example/saml2", "https:///saml2"])
def test_login_url_not_absolute(bad, url):
    bad.expect(bad.values(login=url), "SipSSOIdPLoginURL", "absolute",
               at="SipSSOIdPLoginURL")


@pytest.mark.parametrize("directive", [
    "SipSSOClockSkew soon", "SipSSOSessionMaxAge -5", "SipSSOSessionIdleTimeout 1h",
    "SipSSOEndpointPath sipsso", "SipSSOEndpointPath /sipsso/",
    "SipSSOCookieSameSite Sometimes", "SipSSOBaseURL https://app.example/sub",
    "SipSSOBaseURL app.example"])
def test_bad_value(bad, directive):
    name = directive.split()[0]
    bad.expect(bad.values() + [directive], name, at=directive)


@pytest.mark.parametrize("kind", ["memcache", "redis"])
def test_store_module_not_loaded(bad, kind):
    """The message names the exact LoadModule line to add."""
    bad.expect(bad.values() + ["SipSSOSessionCache %s:127.0.0.1:1" % kind],
               "SipSSOSessionCache", "socache provider '%s' is not loaded" % kind,
               "LoadModule socache_%s_module modules/mod_socache_%s.so" % (kind, kind))


@pytest.mark.parametrize("servers", ["127.0.0.1:1,", ",127.0.0.1:1", "127.0.0.1:1,,127.0.0.1:2",
                                     "127.0.0.1:1, ,127.0.0.1:2", ""])
def test_empty_server_in_store_list_refused(tmp_path, servers):
    """An empty entry would be a client that answers "not found" for every
    key without ever failing: refused at startup."""
    b = Bad(tmp_path, vhost=False)
    b.expect(["LoadModule socache_memcache_module %s/mod_socache_memcache.so" % harness.MODDIR]
             + b.values() + ['SipSSOSessionCache "memcache:%s"' % servers],
             "SipSSOSessionCache", "an empty server in the list")


def test_seventeen_servers_refused(tmp_path):
    b = Bad(tmp_path, vhost=False)
    b.expect(["LoadModule socache_memcache_module %s/mod_socache_memcache.so" % harness.MODDIR]
             + b.values() + ["SipSSOSessionCache memcache:" + ",".join(
                 "127.0.0.1:%d" % (11000 + i) for i in range(17))],
             "SipSSOSessionCache", "at most 16 servers")


@pytest.mark.parametrize("arg", ["shmcb:/tmp/x(1000)", "shmcb:/tmp/x(lots)", "shmcb:/tmp/x(4096"])
def test_shmcb_size_refused(bad, arg):
    bad.expect(bad.values() + ["SipSSOSessionCache %s" % arg], "SipSSOSessionCache",
               "shmcb size must be a number of bytes, at least 1048576")


# ----------------------------------------------------------------- accepted forms

class CertSp(harness.Sp):
    """An SP whose IdP lines are written by `idp_lines(idp)`."""

    def __init__(self, tmp, idp_lines):
        self.tmp = str(tmp)
        os.makedirs(self.tmp, exist_ok=True)
        self.port = harness.free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.entity_id = self.base + "/sipsso/metadata"
        self.acs = self.base + "/sipsso/acs"
        self.idp = harness.Idp(self.tmp, self.entity_id, self.acs)
        try:
            self.httpd = harness.Httpd(self.tmp, self.port, "SipSSOEntityID %s\n%s\n%s" % (
                self.entity_id, idp_lines(self.idp), harness.PROTECT))
        except Exception:
            self.idp.stop()
            raise


def _values(idp, *cert_paths):
    return "\n".join(["SipSSOIdPEntityID %s" % idp.tenant.entity_id,
                      "SipSSOIdPLoginURL %s" % idp.tenant.login_url]
                     + ["SipSSOIdPCertificate %s" % p for p in cert_paths])


def _write(idp, name, data):
    p = os.path.join(idp.tmp, name)
    if isinstance(data, str):
        data = data.encode("ascii")
    with open(p, "wb") as f:
        f.write(data)
    return p


def _der(idp):
    return subprocess.run(["openssl", "x509", "-in", idp.cert, "-outform", "DER"],
                          check=True, capture_output=True).stdout


def _b64_lines(idp, width, nl):
    b = entra_idp.cert_b64(idp.cert)
    return nl.join(b[i:i + width] for i in range(0, len(b), width))


def _other_cert(idp):
    return entra_idp.make_keypair(os.path.join(idp.tmp, "otherkeys"), name="old")[1]


FORMS = {
    "pem-crlf-no-final-newline": lambda idp: _values(idp, _write(
        idp, "a.cer", entra_idp.cert_pem_entra_style(idp.cert))),
    "pem-lf-openssl": lambda idp: _values(idp, idp.cert),
    "pem-leading-blank-lines": lambda idp: _values(idp, _write(
        idp, "a.cer", "\n\n" + open(idp.cert).read() + "\n\n")),
    "base64-one-line": lambda idp: _values(idp, _write(
        idp, "a.cer", entra_idp.cert_b64(idp.cert))),
    "base64-64-columns-crlf": lambda idp: _values(idp, _write(
        idp, "a.cer", _b64_lines(idp, 64, "\r\n") + "\r\n")),
    "der": lambda idp: _values(idp, _write(idp, "a.der", _der(idp))),
    "rollover-unrelated-first": lambda idp: _values(idp, _other_cert(idp), idp.cert),
    "rollover-unrelated-second": lambda idp: _values(idp, idp.cert, _other_cert(idp)),
    "metadata": lambda idp: "SipSSOIdPMetadataFile %s" % _write(
        idp, "md.xml", idp.tenant.metadata_xml()),
    "metadata-utf8-bom": lambda idp: "SipSSOIdPMetadataFile %s" % _write(
        idp, "md.xml", b"\xef\xbb\xbf" + idp.tenant.metadata_xml()),
    "pem-utf8-bom": lambda idp: _values(idp, _write(
        idp, "a.cer", b"\xef\xbb\xbf" + entra_idp.cert_pem_entra_style(idp.cert).encode())),
    "base64-utf8-bom": lambda idp: _values(idp, _write(
        idp, "a.cer", b"\xef\xbb\xbf" + entra_idp.cert_b64(idp.cert).encode())),
    "metadata-rollover": lambda idp: "SipSSOIdPMetadataFile %s" % _write(
        idp, "md.xml", idp.tenant.metadata_xml(extra_cert_paths=[_other_cert(idp)])),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_certificate_forms_accepted(tmp_path, browser, form):
    sp = CertSp(tmp_path / "sp", FORMS[form])
    try:
        r = sp.sign_in(browser)
        assert r.status_code == 303, (r.status_code, open(sp.httpd.error_log).read()[-1500:])
        assert browser.get(sp.base + "/app/", allow_redirects=False).status_code == 200
        n = 2 if "rollover" in form else 1
        assert "(%d signing certificate(s))" % n in sp.httpd.logs()
    finally:
        sp.stop()


def test_rollover_response_signed_by_second_cert(tmp_path, browser):
    """After Entra rolls its certificate, responses signed by the new key
    verify against the second configured certificate."""
    holder = {}

    def lines(idp):
        holder["new"] = entra_idp.make_keypair(os.path.join(idp.tmp, "newkeys"), name="new")
        return _values(idp, idp.cert, holder["new"][1])
    sp = CertSp(tmp_path / "sp", lines)
    try:
        req, relay, _ = sp.start_login(browser)
        key, cert = holder["new"]
        xml = sp.response_for(req, name_id=harness.ALICE["upn"], signing_key=key,
                              signing_cert=cert)
        r = sp.post_acs(browser, xml, relay)
        assert r.status_code == 303, open(sp.httpd.error_log).read()[-1500:]
    finally:
        sp.stop()


def test_setup_page_lists_certificates(tmp_path):
    sp = CertSp(tmp_path / "sp", lambda idp: _values(idp, idp.cert, _other_cert(idp)))
    try:
        text = requests.get(sp.base + "/sipsso/").text
        assert len(re.findall(r"Signing certificate", text)) == 2
        assert "thumbprint" in text
    finally:
        sp.stop()


def test_many_virtual_hosts_start_fast(tmp_path):
    """Each SP used to cost ~15 ms of OpenSSL reading the system CA bundle
    (lasso's key manager), twice per start: 1,000 vhosts took 30 s.  200 of
    them must now be up within a few seconds, even under a sanitizer."""
    import time
    b = Bad(tmp_path)
    pem = b.pem()
    vhosts = "".join(
        "<VirtualHost 127.0.0.1:%d>\nServerName app%d.example\n"
        "SipSSOEntityID https://app%d.example/sipsso/metadata\n"
        "SipSSOIdPEntityID https://sts.windows.net/%s/\n"
        "SipSSOIdPLoginURL https://login.microsoftonline.com/%s/saml2\n"
        "SipSSOIdPCertificate %s\n<Location /app>\nAuthType SipSSO\nRequire valid-user\n"
        "</Location>\n</VirtualHost>\n" % (b.port, i, i, harness.TENANT, harness.TENANT, pem)
        for i in range(200))
    t0 = time.time()
    h = harness.Httpd(b.tmp, b.port, vhosts)
    try:
        r = requests.get("http://127.0.0.1:%d/app/" % b.port, headers={"Host": "app199.example"},
                         allow_redirects=False, timeout=60)
        took = time.time() - t0
        assert r.status_code == 302 and "login.microsoftonline.com" in r.headers["Location"]
        assert took < 4, "200 SPs took %.1f s to start" % took
    finally:
        h.stop()
