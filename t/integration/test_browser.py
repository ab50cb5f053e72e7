"""The whole sign-in in a real browser: Debian's headless Chromium, driven by
chromedriver, over HTTPS, with the IdP on another *site* than the SP.

  SP   https://localhost:SP    apache2 + mod_ssl + mod_sipsso
  IdP  https://127.0.0.1:IDP   the same apache2, a second TLS vhost that
                               reverse-proxies to the test IdP (plain http)

localhost and 127.0.0.1 are different sites, so the IdP's auto-POST of the
SAMLResponse to the ACS is a cross-site POST navigation.  Chromium's default
SameSite rules then send only SameSite=None; Secure cookies with it: the
module's binding cookie must be such a cookie or the ACS refuses the
response ("binding cookie missing").  No SameSite feature is switched off.
The second test is the control: with the binding cookie re-stored as
SameSite=Lax the same flow must fail, which shows the first one is really
cross-site and really under Chromium's SameSite enforcement.

Chromium trusts the test CA through an NSS database in a private $HOME
(certutil, Debian package libnss3-tools), so the server certificate is
verified for real: chain, validity, subjectAltName.  Without certutil the
test falls back to pinning the server key with
--ignore-certificate-errors-spki-list (only that key is accepted).
"""
import os
import shutil
import subprocess
import time
import urllib.parse

import pytest

import harness
import tls
from harness import entra_idp

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CERTUTIL = "/usr/bin/certutil"
SCREENSHOT_COPY = "/tmp/sipsso-browser.png"

_MISSING = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
pytestmark = pytest.mark.skipif(
    bool(_MISSING), reason="headless browser test needs %s (Debian packages "
    "chromium and chromium-driver)" % " and ".join(_MISSING))

TLS_CONF = """
ServerRoot {tmp}
PidFile {tmp}/run/httpd.pid
DefaultRuntimeDir {tmp}/run
Mutex file:{tmp}/run
Listen 127.0.0.1:{sp_port} https
Listen 127.0.0.1:{idp_port} https
ServerName localhost
{loads}
LoadModule sipsso_module {root}/mod_sipsso.so
ErrorLog {tmp}/error.log
LogLevel warn sipsso:info
LogFormat "%v %h %r %>s" common
CustomLog {tmp}/access.log common
StartServers 1
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
DocumentRoot {tmp}/htdocs
TypesConfig /etc/mime.types
DirectoryIndex index.html
ScriptAlias /cgi-bin/ {tmp}/cgi-bin/
<Directory {tmp}/htdocs>
  Require all granted
</Directory>
<Directory {tmp}/cgi-bin>
  Require all granted
</Directory>
SSLSessionCache shmcb:{tmp}/run/ssl_scache(512000)
SSLProtocol -all +TLSv1.2 +TLSv1.3

# The SP: its own site, https://localhost:{sp_port}
<VirtualHost 127.0.0.1:{sp_port}>
  ServerName https://localhost:{sp_port}
  SSLEngine on
  SSLCertificateFile {cert}
  SSLCertificateKeyFile {key}
{sp_body}
</VirtualHost>

# The IdP: another site, https://127.0.0.1:{idp_port}, in front of the
# test IdP's plain-http port.  No SipSSO directive here.
<VirtualHost 127.0.0.1:{idp_port}>
  ServerName https://127.0.0.1:{idp_port}
  SSLEngine on
  SSLCertificateFile {cert}
  SSLCertificateKeyFile {key}
  ProxyRequests Off
  ProxyPass        / http://127.0.0.1:{idp_backend}/
  ProxyPassReverse / http://127.0.0.1:{idp_backend}/
</VirtualHost>
"""


class TlsHttpd(harness.Httpd):
    """harness.Httpd with two TLS listeners: the SP vhost and a reverse
    proxy for the IdP.  logs() and stop() (sanitizer checks) are inherited."""

    def __init__(self, tmp, sp_port, idp_port, idp_backend, cert, key, sp_body):
        self.tmp, self.port, self.idp_port = tmp, sp_port, idp_port
        self.base = "https://localhost:%d" % sp_port
        self.conf = os.path.join(tmp, "httpd.conf")
        self.error_log = os.path.join(tmp, "error.log")
        for d in ("htdocs/app", "htdocs/public", "cgi-bin", "run"):
            os.makedirs(os.path.join(tmp, d), exist_ok=True)
        self._content()
        mods = list(harness.BASE_MODULES) + ["ssl", "proxy", "proxy_http"]
        loads = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, harness.MODDIR, m)
                          for m in mods)
        with open(self.conf, "w") as f:
            f.write(TLS_CONF.format(tmp=tmp, sp_port=sp_port, idp_port=idp_port,
                                    idp_backend=idp_backend, loads=loads,
                                    root=harness.ROOT, cert=cert, key=key,
                                    sp_body=sp_body))
        env = dict(os.environ)
        if os.environ.get("SIPSSO_ASAN"):
            lib = subprocess.check_output(["gcc", "-print-file-name=libasan.so"],
                                          text=True).strip()
            env["LD_PRELOAD"] = lib
            env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
            env["UBSAN_OPTIONS"] = "print_stacktrace=1"
        self.proc = subprocess.Popen(
            [harness.APACHE, "-f", self.conf, "-DFOREGROUND"], env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(tmp, "stderr.log"), "w"))
        if not (harness.wait_port(sp_port, self.proc) and
                harness.wait_port(idp_port, self.proc)):
            out = self.logs()
            self.stop(check=False)
            raise RuntimeError("httpd did not start:\n" + out)

    def access_log(self):
        p = os.path.join(self.tmp, "access.log")
        return open(p, errors="replace").read() if os.path.exists(p) else ""


class CrossSiteSetup:
    """CA + certificates, the test IdP behind https://127.0.0.1:IDP and the
    SP on https://localhost:SP.  stop() stops what was started."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self.pki = tls.make_ca_and_server_cert(os.path.join(self.tmp, "pki"))
        self.sp_port, self.idp_port = harness.free_port(), harness.free_port()
        while self.idp_port == self.sp_port:
            self.idp_port = harness.free_port()
        self.base = "https://localhost:%d" % self.sp_port
        self.idp_base = "https://127.0.0.1:%d" % self.idp_port
        self.entity_id = self.base + "/sipsso/metadata"
        self.acs = self.base + "/sipsso/acs"
        self.httpd = None
        # The IdP's own URLs (login URL, form action, metadata) are the https
        # ones the browser sees; its http port is only the proxy's backend.
        self.idp = harness.Idp(self.tmp, self.entity_id, self.acs,
                               extra={"base_url": self.idp_base, "auto_login": False})
        try:
            self.idp.tenant = entra_idp.Tenant(harness.TENANT, self.idp.key,
                                               self.idp.cert, self.idp_base)
            self.httpd = TlsHttpd(self.tmp, self.sp_port, self.idp_port, self.idp.port,
                                  self.pki["cert"], self.pki["key"],
                                  harness.sp_directives(self.idp, self.entity_id)
                                  + harness.PROTECT)
        except Exception:
            self.idp.stop()
            raise

    def stop(self):
        try:
            if self.httpd:
                self.httpd.stop()
        finally:
            self.idp.stop()


def nss_home(tmp, ca_cert):
    """A private $HOME whose ~/.pki/nssdb trusts the test CA for TLS servers
    (Chromium on Linux reads user-added trust anchors from there)."""
    home = os.path.join(tmp, "home")
    db = os.path.join(home, ".pki", "nssdb")
    os.makedirs(db)
    subprocess.run([CERTUTIL, "-N", "-d", "sql:" + db, "--empty-password"],
                   check=True, capture_output=True)
    subprocess.run([CERTUTIL, "-A", "-d", "sql:" + db, "-n", "mod_sipsso test CA",
                    "-t", "C,,", "-i", ca_cert], check=True, capture_output=True)
    return home


@pytest.fixture
def cross_site(tmp_path):
    s = CrossSiteSetup(tmp_path)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def chrome(tmp_path, cross_site):
    # Not importorskip: with Chromium present, a missing python3-selenium is
    # a broken test environment, not a reason to skip.
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--password-store=basic",
              "--window-size=1024,768",
              "--user-data-dir=" + str(tmp_path / "chrome-profile")):
        opts.add_argument(a)
    env = dict(os.environ)
    if os.access(CERTUTIL, os.X_OK):
        env["HOME"] = nss_home(str(tmp_path), cross_site.pki["ca_cert"])
        trust = "nss"
    else:
        opts.add_argument("--ignore-certificate-errors-spki-list=" +
                          tls.spki_sha256_b64(cross_site.pki["cert"]))
        env["HOME"] = str(tmp_path / "home")
        os.makedirs(env["HOME"], exist_ok=True)
        trust = "spki"
    service = Service(executable_path=CHROMEDRIVER, env=env,
                      log_path=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=opts)
    driver.trust_mode = trust
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


def _wait(driver, cond, what, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(cond)
    except Exception:
        raise AssertionError("timed out waiting for %s; now at %s:\n%s" % (
            what, driver.current_url, driver.page_source[:2000])) from None


def _shot(driver, path, keep=None):
    assert driver.save_screenshot(str(path)), "screenshot failed"
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    if keep:
        shutil.copyfile(str(path), keep)


def _to_idp_signin(s, d, tmp_path):
    """Open the protected page; end on the IdP's sign-in form (other site)."""
    from selenium.webdriver.common.by import By
    d.get(s.base + "/app/")
    _wait(d, lambda d: d.find_elements(By.NAME, "username"), "the IdP sign-in form")
    at = urllib.parse.urlsplit(d.current_url)
    assert (at.scheme, at.hostname, at.port) == ("https", "127.0.0.1", s.idp_port), d.current_url
    assert at.path == "/%s/saml2" % harness.TENANT
    assert "SAMLRequest=" in at.query and "RelayState=" in at.query
    assert d.title == "Sign in to your account", d.page_source
    _shot(d, tmp_path / "1-idp-signin.png")


def _binding_cookies(d):
    jar = d.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
    return [c for c in jar if c["name"] == "sipsso_binding"]


def _sign_in_as(d, upn):
    """Like a person: type the user name (any password: the test IdP does
    not check it) and press the button."""
    from selenium.webdriver.common.by import By
    user = d.find_element(By.NAME, "username")
    user.clear()
    user.send_keys(upn)
    d.find_element(By.NAME, "password").send_keys("correct horse battery staple")
    d.find_element(By.CSS_SELECTOR, "input[type=submit]").click()


def _back_on_sp(d):
    """The IdP's page auto-POSTs to https://localhost:SP/sipsso/acs; wait until
    the browser is on the SP's site with the page loaded."""
    _wait(d, lambda d: urllib.parse.urlsplit(d.current_url).hostname == "localhost"
          and d.execute_script("return document.readyState") == "complete",
          "the auto-POST back to the SP")


def test_chromium_signs_in_cross_site_over_https(cross_site, chrome, tmp_path):
    from selenium.webdriver.common.by import By

    s, d = cross_site, chrome
    t0 = time.time()

    # 1. A protected page, no session: the module sends the browser to the IdP.
    _to_idp_signin(s, d, tmp_path)

    # The binding cookie the SP set on that redirect, as Chromium stored it:
    # SameSite=None; Secure is the only kind Chromium attaches to the IdP's
    # cross-site POST.
    binding = _binding_cookies(d)
    assert len(binding) == 1, binding
    assert binding[0]["domain"] == "localhost"
    assert binding[0]["secure"] is True and binding[0]["httpOnly"] is True
    assert binding[0]["sameSite"] == "None", binding[0]

    # 2. Sign in; 3. the auto-POST reaches the ACS, which answers 303 to /app/.
    _sign_in_as(d, harness.ALICE["upn"])
    _wait(d, lambda d: d.current_url == s.base + "/app/", "the protected page")
    _back_on_sp(d)
    _shot(d, tmp_path / "2-signed-in.png", keep=SCREENSHOT_COPY)
    body = d.find_element(By.TAG_NAME, "body").text
    assert d.current_url == s.base + "/app/", (d.current_url, body)
    assert d.find_element(By.TAG_NAME, "h1").text == "protected page", d.page_source
    assert "Sign in" not in body and "error" not in body.lower(), body

    # 4. The session cookie, as Chromium keeps it.
    cookies = {c["name"]: c for c in d.get_cookies()}
    assert "sipsso" in cookies, cookies
    sess = cookies["sipsso"]
    assert sess["secure"] is True, sess
    assert sess["httpOnly"] is True, sess
    assert sess["sameSite"] == "Lax", sess
    assert sess["domain"] == "localhost" and sess["path"] == "/", sess
    assert len(sess["value"]) >= 43, sess  # 256 random bits, base64url

    # 5. The server saw exactly one POST to the ACS, from this browser, accepted.
    log = s.httpd.access_log()
    acs_posts = [l for l in log.splitlines() if "POST /sipsso/acs " in l]
    assert len(acs_posts) == 1 and acs_posts[0].endswith(" 303"), log
    assert "%s signed in" % harness.ALICE["upn"] in s.httpd.logs()

    # 6. The session really is the key: a reload is served straight away.
    d.refresh()
    assert d.current_url == s.base + "/app/"
    assert d.find_element(By.TAG_NAME, "h1").text == "protected page"
    print("browser sign-in took %.1fs (CA trust via %s)" % (time.time() - t0, d.trust_mode))


def test_control_lax_binding_cookie_is_withheld_cross_site(cross_site, chrome, tmp_path):
    """The control for the test above: it only proves something if this
    Chromium really treats the IdP's POST as cross-site and enforces
    SameSite.  Re-store the binding cookie as SameSite=Lax (what a module
    without the SameSite=None fix would set) and the same flow must fail at
    the ACS, because Chromium no longer sends the cookie with the POST."""
    from selenium.webdriver.common.by import By

    s, d = cross_site, chrome
    _to_idp_signin(s, d, tmp_path)
    [b] = _binding_cookies(d)
    assert d.execute_cdp_cmd("Network.setCookie", {
        "name": b["name"], "value": b["value"], "domain": b["domain"],
        "path": b["path"], "secure": True, "httpOnly": True, "sameSite": "Lax",
        "expires": b["expires"]}).get("success", True)
    [b] = _binding_cookies(d)
    assert b["sameSite"] == "Lax", b

    _sign_in_as(d, harness.ALICE["upn"])
    _wait(d, lambda d: urllib.parse.urlsplit(d.current_url).hostname == "localhost",
          "the auto-POST back to the SP")
    _back_on_sp(d)
    _shot(d, tmp_path / "2-rejected.png")
    assert d.current_url == s.acs, d.current_url
    assert not d.find_elements(By.XPATH, "//h1[text()='protected page']")
    assert "sipsso" not in {c["name"] for c in d.get_cookies()}
    log = s.httpd.access_log()
    assert [l for l in log.splitlines() if "POST /sipsso/acs " in l][-1].endswith(" 400"), log
    assert "binding cookie missing" in s.httpd.logs(), s.httpd.logs()
