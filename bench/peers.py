"""The peer SAML SPs the benchmarks compare mod_sipsso with: Debian's
mod_auth_mellon and the Shibboleth SP (mod_shib + shibd).

Each peer runs in the same throughput-tuned httpd as mod_sipsso
(common.Server), on 127.0.0.1, configured for the same Entra-shaped test
tenant from its federation metadata, as an administrator following the
peer's own documentation would.  No IdP server runs: the driver reads the
AuthnRequest from the peer's redirect and builds the signed Response
in-process, as Entra would for that request.

Install the peers first: sh bench/install-peers.sh"""
import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse

import requests

import common
from common import entra_idp, harness

DOMAIN = "contoso.example"


def _sp_keypair(tmp):
    """Each peer gets its own SP signing key, like a real deployment."""
    return entra_idp.make_keypair(os.path.join(tmp, "spkeys"), cn="sp.bench",
                                  name="sp")


def _write(path, text):
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(path, mode) as f:
        f.write(text)
    return path


def _cookie_header(jar):
    return "; ".join("%s=%s" % (c.name, c.value) for c in jar)


class _Peer:
    """What both peers share: reading the AuthnRequest out of the redirect,
    building the matching Response, and signing users in."""

    name = None
    acs_path = None
    ok_statuses = {302, 303}
    server = None

    def _setup_urls(self, port):
        self.port = port
        self.base = "http://127.0.0.1:%d" % port
        self.protected = self.base + "/app/small.html"
        self.acs_url = self.base + self.acs_path

    def start_login(self, http):
        """GET the protected page without a session and follow the peer's
        own redirects (mellon goes through /mellon/login) up to the one to
        the IdP: returns the parsed AuthnRequest, its RelayState and the
        cookies the peer set on the way."""
        http.cookies.clear()
        url = self.protected
        for _ in range(5):
            r = http.get(url, allow_redirects=False)
            if r.status_code not in (302, 303):
                raise RuntimeError("%s: GET %s gave %d, not a redirect to the IdP:\n%s"
                                   % (self.name, url, r.status_code, r.text[:500]))
            url = urllib.parse.urljoin(url, r.headers["Location"])
            if not url.startswith(self.base + "/"):
                break
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        req = entra_idp.parse_authn_request(q["SAMLRequest"][0])
        cookie = _cookie_header(http.cookies)
        http.cookies.clear()
        return req, q.get("RelayState", [None])[0], cookie

    def form_for(self, req, relay, upn):
        """The form Entra's auto-POST page would send for this request."""
        xml = entra_idp.build_response(
            self.tenant, sp_entity_id=self.entity_id,
            acs_url=req["acs_url"] or self.acs_url, in_response_to=req["id"],
            name_id=upn, user=entra_idp.user_from_upn(upn))
        fields = {"SAMLResponse": base64.b64encode(xml).decode("ascii")}
        if relay is not None:
            fields["RelayState"] = relay
        return urllib.parse.urlencode(fields)

    def prepare_signins(self, n, prefix="user"):
        out = []
        with requests.Session() as http:
            for i in range(n):
                req, relay, cookie = self.start_login(http)
                upn = "%s%d@%s" % (prefix, i, DOMAIN)
                out.append({"body": self.form_for(req, relay, upn), "cookie": cookie})
        return out

    def post(self, http, signin):
        """POST one prepared sign-in; returns the requests response."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signin["cookie"]:
            headers["Cookie"] = signin["cookie"]
        return http.post(self.base + self.acs_path, data=signin["body"],
                         headers=headers, allow_redirects=False)

    def session_cookie(self):
        signin = self.prepare_signins(1, prefix="session")[0]
        with requests.Session() as http:
            r = self.post(http, signin)
            if r.status_code not in self.ok_statuses:
                raise RuntimeError("%s: ACS gave %d:\n%s\n%s" % (
                    self.name, r.status_code, r.text[:500], self.logs()[-3000:]))
            cookie = self.session_cookie_of(r)
            if not cookie:
                raise RuntimeError("%s: ACS set no session cookie: %r"
                                   % (self.name, r.headers.get("Set-Cookie")))
            r = http.get(self.protected, headers={"Cookie": cookie},
                         allow_redirects=False)
            if r.status_code != 200:
                raise RuntimeError("%s: signed-in GET gave %d" % (self.name, r.status_code))
        return cookie

    def is_session_cookie(self, name, value):
        raise NotImplementedError

    def session_cookie_of(self, r):
        """The Cookie header value of the session an ACS response set, or ""
        (pre-login cookies the peer sets or expires are left out)."""
        return "; ".join("%s=%s" % (c.name, c.value) for c in r.cookies
                         if self.is_session_cookie(c.name, c.value))

    def logs(self):
        return self.server.logs() if self.server else ""


# ---------------------------------------------------------------- mod_auth_mellon

# Sessions mellon keeps (MellonCacheSize).  Each entry reserves
# MellonCacheEntrySize (192 KiB) of shared memory, ~1.9 GiB of address
# space for 10000, of which only the touched pages (~45 MiB here) are resident.
MELLON_CACHE_SIZE = 10000
MELLON_CREATE_METADATA = "/usr/sbin/mellon_create_metadata"

MELLON_CONF = """
# Global: one instance per httpd, so the lock file must be ours.
MellonCacheSize {cache_size}
MellonLockFile {tmp}/run/mellon.lock

# The usual layout (mellon's README, mellon_create_metadata.sh): SP/IdP
# settings at the root, where the endpoint (/mellon/...) lives,
# authentication switched on per location.  They are not allowed at server
# level, and mellon 0.18 cannot reuse its LassoServer across requests when
# they come from a section (httpd merges sections per request, and mellon
# builds a new server for a merged config that sets them): every
# unauthenticated request and every ACS POST loads the SP key, the IdP
# metadata and the system CA bundle again.  That is mellon as shipped.
<Location />
    MellonEndpointPath /mellon
    MellonSPMetadataFile {sp_metadata}
    MellonSPPrivateKeyFile {sp_key}
    MellonSPCertFile {sp_cert}
    MellonIdPMetadataFile {idp_metadata}
</Location>
<Location /app>
    AuthType Mellon
    MellonEnable auth
    Require valid-user
</Location>
"""


class Mellon(_Peer):
    """Debian's mod_auth_mellon 0.18 as its README sets it up: shared-memory
    session cache, MellonUser NAME_ID, a signed Assertion required (lasso),
    a cookie test before sign-in.

    One change from the defaults: MellonCacheSize.  Mellon's default of 100
    sessions is meant to be raised for a real user base (mellon logs "It
    may be a good idea to increase MellonCacheSize" when it drops a live
    session).  The sign-in benchmark makes thousands of sessions, which
    mod_sipsso's default 32 MiB cache holds; with 100, mellon would drop
    live sessions and, as it remembers used assertion IDs in the same
    entries, accept a replay of an evicted session's Response.  So the
    default here is MELLON_CACHE_SIZE; cache_size=100 gives mellon's own."""

    name = "mellon"
    acs_path = "/mellon/postResponse"
    ok_statuses = {303, 302}
    COOKIE = "mellon-cookie"

    def __init__(self, tmp, tenant, cache_size=None):
        self.tmp = tmp
        self.tenant = tenant
        self.cache_size = cache_size or MELLON_CACHE_SIZE
        self._setup_urls(harness.free_port())
        self.entity_id = self.base + "/mellon/metadata"
        sp_key, sp_cert, sp_md = self._create_metadata(tmp)
        md = _write(os.path.join(tmp, "federationmetadata.xml"), tenant.metadata_xml())
        os.makedirs(os.path.join(tmp, "run"), exist_ok=True)
        body = MELLON_CONF.format(tmp=tmp, cache_size=self.cache_size,
                                  sp_metadata=sp_md, sp_key=sp_key, sp_cert=sp_cert,
                                  idp_metadata=md)
        self.server = common.Server(tmp, body, modules=("auth_mellon",), port=self.port,
                                    access_log=True)

    def _create_metadata(self, tmp):
        """SP key, certificate (RSA 3072) and metadata made by the packaged
        mellon_create_metadata, as mellon's README has admins do.  Without
        MellonSPMetadataFile mellon generates its metadata per LassoServer
        into a buffer shared between threads, and concurrent ACS POSTs then
        now and then fail (HTTP 500, "Failed to load metadata from
        preloaded buffer")."""
        d = os.path.join(tmp, "spkeys")
        os.makedirs(d, exist_ok=True)
        subprocess.run([MELLON_CREATE_METADATA, self.entity_id, self.base + "/mellon"],
                       cwd=d, check=True, capture_output=True)
        stem = os.path.join(d, re.sub(r"_+", "_", re.sub(r"[^0-9A-Za-z.]", "_",
                                                          self.entity_id)))
        return stem + ".key", stem + ".cert", stem + ".xml"

    def is_session_cookie(self, name, value):
        # Before sign-in mellon sets mellon-cookie=cookietest to see that
        # cookies work; the session id replaces it at the ACS.
        return name == self.COOKIE and value not in ("", "cookietest")

    def stop(self):
        if self.server:
            self.server.stop()
            self.server = None


# ---------------------------------------------------------------- Shibboleth SP

# Debian's /etc/shibboleth/shibboleth2.xml cut down to one application and
# one IdP, with every file under our own directory.  Kept from the default:
# in-memory storage/session/replay caches in shibd, clockSkew 180,
# checkAddress false, lifetime/timeout, the Errors templates, the
# attribute filter.  Changed, because the bench is plain HTTP on
# 127.0.0.1: handlerSSL false and cookieProps http (the defaults would
# only work behind TLS).
SHIB2_XML = """<SPConfig xmlns="urn:mace:shibboleth:3.0:native:sp:config"
    xmlns:conf="urn:mace:shibboleth:3.0:native:sp:config"
    clockSkew="180">
    <OutOfProcess logger="{cfg}/shibd.logger"
        tranLogFormat="%u|%s|%IDP|%i|%ac|%t|%attr|%n|%b|%E|%S|%SS|%L|%UA|%a" />
    <InProcess logger="{cfg}/native.logger" />
    <UnixListener address="{run}/shibd.sock"/>
    <ApplicationDefaults entityID="{entity_id}"
        REMOTE_USER="upn"
        cipherSuites="DEFAULT:!EXP:!LOW:!aNULL:!eNULL:!DES:!IDEA:!SEED:!RC4:!3DES:!kRSA:!SSLv2:!SSLv3:!TLSv1:!TLSv1.1">
        <Sessions lifetime="28800" timeout="3600" relayState="ss:mem"
                  checkAddress="false" handlerSSL="false" cookieProps="http"
                  redirectLimit="exact">
            <SSO entityID="{idp_entity_id}">SAML2</SSO>
            <Logout>SAML2 Local</Logout>
            <Handler type="Status" Location="/Status" acl="127.0.0.1 ::1"/>
            <Handler type="Session" Location="/Session" showAttributeValues="false"/>
        </Sessions>
        <Errors supportContact="root@localhost"
            helpLocation="/about.html"
            styleSheet="/shibboleth-sp/main.css"
            session="{cfg}/sessionError.html"
            metadata="{cfg}/metadataError.html"
            access="{cfg}/accessError.html"
            ssl="{cfg}/sslError.html"
            localLogout="{cfg}/localLogout.html"
            partialLogout="{cfg}/partialLogout.html"/>
        <MetadataProvider type="XML" path="{idp_metadata}"/>
        <AttributeExtractor type="XML" validate="true" reloadChanges="false"
            path="{cfg}/attribute-map.xml"/>
        <AttributeFilter type="XML" validate="true" path="{cfg}/attribute-policy.xml"/>
        <CredentialResolver type="File" use="signing" key="{sp_key}" certificate="{sp_cert}"/>
        <CredentialResolver type="File" use="encryption" key="{sp_key}" certificate="{sp_cert}"/>
    </ApplicationDefaults>
    <SecurityPolicyProvider type="XML" validate="true" path="{cfg}/security-policy.xml"/>
    <ProtocolProvider type="XML" validate="true" reloadChanges="false" path="{cfg}/protocols.xml"/>
</SPConfig>
"""

# Entra's default claims under short names; REMOTE_USER is the UPN (the name claim).
SHIB_ATTRIBUTE_MAP = """<Attributes xmlns="urn:mace:shibboleth:2.0:attribute-map"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <Attribute name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" id="upn"/>
    <Attribute name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" id="mail"/>
    <Attribute name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname" id="givenName"/>
    <Attribute name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname" id="sn"/>
    <Attribute name="http://schemas.microsoft.com/identity/claims/displayname" id="displayName"/>
    <Attribute name="http://schemas.microsoft.com/identity/claims/objectidentifier" id="oid"/>
    <Attribute name="http://schemas.microsoft.com/identity/claims/tenantid" id="tenantId"/>
    <Attribute name="http://schemas.microsoft.com/ws/2008/06/identity/claims/groups" id="groups"/>
</Attributes>
"""

LOGGER = """log4j.rootCategory={level}, file_log
log4j.appender.file_log=org.apache.log4j.FileAppender
log4j.appender.file_log.fileName={path}
log4j.appender.file_log.layout=org.apache.log4j.PatternLayout
log4j.appender.file_log.layout.ConversionPattern=%d{{%Y-%m-%d %H:%M:%S}} %p %c %x: %m%n
"""

SHIB_APACHE_CONF = """
ShibConfig {cfg}/shibboleth2.xml
# As Debian's conf-available/shib.conf.
ShibCompatValidUser Off
<Location /Shibboleth.sso>
    AuthType None
    Require all granted
</Location>
<Location /app>
    AuthType shibboleth
    ShibRequestSetting requireSession 1
    Require shib-session
</Location>
"""

# Packaged defaults we copy unchanged into our own config directory.
SHIB_COPIED = ("attribute-policy.xml", "security-policy.xml", "protocols.xml",
               "sessionError.html", "metadataError.html", "sslError.html",
               "localLogout.html", "partialLogout.html")
SHIB_PACKAGED = "/etc/shibboleth"


class Shib(_Peer):
    """Shibboleth SP 3.4 (Debian): mod_shib in httpd, shibd beside it with
    its default in-memory session, replay and relay-state storage."""

    name = "shibboleth"
    acs_path = "/Shibboleth.sso/SAML2/POST"
    ok_statuses = {302, 303}
    SHIBD = "/usr/sbin/shibd"

    def __init__(self, tmp, tenant):
        self.tmp = tmp
        self.tenant = tenant
        self.shibd = None
        self._setup_urls(harness.free_port())
        self.entity_id = self.base + "/shibboleth"
        self.cfg = os.path.join(tmp, "shib")
        self.run = os.path.join(tmp, "shib", "run")
        os.makedirs(self.run, exist_ok=True)
        self._write_config()
        try:
            self._start_shibd()
            # mod_shib's module record is named mod_shib, not shib_module.
            self.server = common.Server(
                tmp, SHIB_APACHE_CONF.format(cfg=self.cfg), port=self.port,
                loads="LoadModule mod_shib %s/mod_shib.so" % common.MODDIR,
                access_log=True)
        except Exception:
            self.stop()
            raise

    def _write_config(self):
        cfg = self.cfg
        sp_key, sp_cert = _sp_keypair(self.tmp)
        md = _write(os.path.join(cfg, "federationmetadata.xml"), self.tenant.metadata_xml())
        for name in SHIB_COPIED:
            shutil.copy(os.path.join(SHIB_PACKAGED, name), os.path.join(cfg, name))
        # accessError.html is not shipped by Debian; sessionError.html serves.
        shutil.copy(os.path.join(SHIB_PACKAGED, "sessionError.html"),
                    os.path.join(cfg, "accessError.html"))
        _write(os.path.join(cfg, "shibboleth2.xml"), SHIB2_XML.format(
            cfg=cfg, run=self.run, entity_id=self.entity_id, sp_key=sp_key,
            sp_cert=sp_cert, idp_entity_id=self.tenant.entity_id, idp_metadata=md))
        _write(os.path.join(cfg, "attribute-map.xml"), SHIB_ATTRIBUTE_MAP)
        # Debian logs shibd at INFO and mod_shib at WARN; same here, to files of ours.
        _write(os.path.join(cfg, "shibd.logger"),
               LOGGER.format(level="INFO", path=os.path.join(cfg, "shibd.log")))
        _write(os.path.join(cfg, "native.logger"),
               LOGGER.format(level="WARN", path=os.path.join(cfg, "native.log")))

    def _start_shibd(self):
        sock = os.path.join(self.run, "shibd.sock")
        self.shibd_log = open(os.path.join(self.cfg, "shibd.stderr"), "w")
        self.shibd = subprocess.Popen(
            [self.SHIBD, "-F", "-f", "-c", os.path.join(self.cfg, "shibboleth2.xml"),
             "-p", os.path.join(self.run, "shibd.pid")],
            stdin=subprocess.DEVNULL, stdout=self.shibd_log, stderr=subprocess.STDOUT)
        # shibd listens only once its config (metadata, keys) has loaded.
        end = time.time() + 30
        while time.time() < end:
            if self.shibd.poll() is not None:
                break
            if os.path.exists(sock):
                try:
                    with socket.socket(socket.AF_UNIX) as s:
                        s.connect(sock)
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("shibd did not start:\n" + self.logs())

    def is_session_cookie(self, name, value):
        return name.startswith("_shibsession_") and value != ""

    def logs(self):
        out = super().logs()
        for n in ("shibd.stderr", "shibd.log", "native.log"):
            p = os.path.join(self.cfg, n)
            if os.path.exists(p):
                out += open(p, errors="replace").read()
        return out

    def stop(self):
        try:
            if self.server:
                self.server.stop()
                self.server = None
        finally:
            if self.shibd and self.shibd.poll() is None:
                self.shibd.send_signal(signal.SIGTERM)
                try:
                    self.shibd.wait(15)
                except subprocess.TimeoutExpired:
                    self.shibd.kill()
                    self.shibd.wait()
            if self.shibd:
                self.shibd_log.close()
                self.shibd = None


PEERS = (Mellon, Shib)
