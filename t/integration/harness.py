"""Real servers for integration tests: Debian's apache2 with the freshly
built mod_sipsso on 127.0.0.1, and the Entra-compatible test IdP.  Every
server a test starts, it stops."""
import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "t", "idp"))
import entra_idp  # noqa: E402

APACHE = "/usr/sbin/apache2"
MODDIR = "/usr/lib/apache2/modules"
TENANT = "5b5c94c6-14cf-42da-85bc-4e08722b253b"
ALICE = {"upn": "alice@contoso.example", "given": "Alice", "surname": "Smith",
         "display": "Alice Smith", "oid": "11111111-2222-3333-4444-555555555555",
         "groups": ["aaaaaaaa-0000-0000-0000-000000000001",
                    "aaaaaaaa-0000-0000-0000-000000000002"], "assigned": True}
BOB = {"upn": "bob@contoso.example", "assigned": False}
CAROL = {"upn": "carol@contoso.example", "error": "AADSTS75011"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def children_of(pid):
    """Live (not yet exited) child processes of pid."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = f.read().split()
    except OSError:
        return []
    live = []
    for k in kids:
        try:
            with open("/proc/%s/stat" % k) as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                    live.append(k)
        except OSError:
            pass
    return live


class Idp:
    def __init__(self, tmp, sp_entity_id, acs_url, users=(ALICE, BOB, CAROL),
                 sign="assertion", extra=None):
        self.tmp = tmp
        self.keydir = os.path.join(tmp, "idpkeys")
        os.makedirs(self.keydir, exist_ok=True)
        self.key, self.cert = entra_idp.make_keypair(self.keydir)
        cfg = {"tenant_id": TENANT, "auto_login": True,
               "apps": [{"identifier": sp_entity_id, "reply_urls": [acs_url],
                         "name": "Test app", "sign": sign,
                         "logout_url": acs_url.rsplit("/", 1)[0] + "/sls"}],
               "users": list(users)}
        cfg.update(extra or {})
        self.cfg_path = os.path.join(tmp, "idp.json")
        with open(self.cfg_path, "w") as f:
            import json
            json.dump(cfg, f)
        self.log = open(os.path.join(tmp, "idp.log"), "w")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(ROOT, "t/idp/entra_idp.py"),
             "--config", self.cfg_path, "--port", "0", "--host", "127.0.0.1",
             "--keydir", self.keydir],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://[\d.]+:(\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError("IdP did not start: %r" % line)
        self.port = int(m.group(1))
        self.base = "http://127.0.0.1:%d" % self.port
        self.tenant = entra_idp.Tenant(TENANT, self.key, self.cert, self.base)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


BASE_MODULES = ["mpm_event", "authz_core", "authn_core", "socache_shmcb",
                "authz_user", "mime", "alias", "dir", "cgi", "env", "headers"]


def httpd_logs(tmp):
    """The error log and stderr of the httpd whose ServerRoot is tmp."""
    out = ""
    for n in ("error.log", "stderr.log"):
        p = os.path.join(tmp, n)
        if os.path.exists(p):
            out += open(p, errors="replace").read()
    return out


def stop_httpd(proc):
    """Graceful stop (SIGWINCH): an immediate stop (SIGTERM) makes httpd's
    children destroy their pools from a signal handler while worker threads
    may still run, which now and then crashes httpd itself.  Once its
    children are gone the parent can be stopped at once."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGWINCH)
        end = time.time() + 10
        while time.time() < end and proc.poll() is None and children_of(proc.pid):
            time.sleep(0.02)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Httpd:
    """apache2 -DFOREGROUND with a generated config; stop() checks that no
    sanitizer report reached the error log."""

    def __init__(self, tmp, port, body, modules=(), listen="127.0.0.1"):
        self.tmp, self.port = tmp, port
        self.base = "http://127.0.0.1:%d" % port
        self.conf = os.path.join(tmp, "httpd.conf")
        self.error_log = os.path.join(tmp, "error.log")
        for d in ("htdocs/app", "htdocs/public", "cgi-bin", "run"):
            os.makedirs(os.path.join(tmp, d), exist_ok=True)
        self._content()
        loads = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m)
                          for m in list(BASE_MODULES) + list(modules))
        with open(self.conf, "w") as f:
            f.write(HTTPD_CONF.format(tmp=tmp, port=port, loads=loads, root=ROOT,
                                      listen=listen, body=body))
        env = dict(os.environ)
        if os.environ.get("SIPSSO_ASAN"):
            lib = subprocess.check_output(["gcc", "-print-file-name=libasan.so"],
                                          text=True).strip()
            env["LD_PRELOAD"] = lib
            env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
            env["UBSAN_OPTIONS"] = "print_stacktrace=1"
        self.proc = subprocess.Popen([APACHE, "-f", self.conf, "-DFOREGROUND"],
                                     env=env, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(tmp, "stderr.log"), "w"))
        if not wait_port(port, self.proc):
            out = self.logs()
            self.stop(check=False)
            raise RuntimeError("httpd did not start:\n" + out)

    def _content(self):
        w = lambda p, s: open(os.path.join(self.tmp, p), "w").write(s)
        w("htdocs/index.html", "<h1>home</h1>\n")
        w("htdocs/app/index.html", "<h1>protected page</h1>\n")
        w("htdocs/public/index.html", "<h1>public page</h1>\n")
        env = os.path.join(self.tmp, "cgi-bin", "env.cgi")
        w("cgi-bin/env.cgi", "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\n"
          "env | sort\n")
        os.chmod(env, 0o755)

    def logs(self):
        return httpd_logs(self.tmp)

    def stop(self, check=True):
        stop_httpd(self.proc)
        if check:
            log = self.logs()
            assert "AddressSanitizer" not in log, log
            assert "runtime error:" not in log, log
            assert "Segmentation fault" not in log and "exit signal" not in log, log


HTTPD_CONF = """
ServerRoot {tmp}
PidFile {tmp}/run/httpd.pid
DefaultRuntimeDir {tmp}/run
Mutex file:{tmp}/run
Listen {listen}:{port}
ServerName 127.0.0.1:{port}
{loads}
LoadModule sipsso_module {root}/mod_sipsso.so
ErrorLog {tmp}/error.log
LogLevel warn sipsso:info
LogFormat "%h %r %>s" common
CustomLog {tmp}/access.log common
StartServers 1
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
GracefulShutdownTimeout 3
KeepAlive Off
MinSpareThreads 8
MaxSpareThreads 16
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
{body}
"""


def sp_directives(idp, entity_id, style="values", extra=""):
    """The SipSSO block for a vhost, by the three Entra values or metadata."""
    if style == "values":
        pem = os.path.join(idp.tmp, "entra.cer")
        open(pem, "w").write(entra_idp.cert_pem_entra_style(idp.cert))
        idp_lines = ("SipSSOIdPEntityID %s\nSipSSOIdPLoginURL %s\n"
                     "SipSSOIdPCertificate %s\n" % (idp.tenant.entity_id,
                                                    idp.tenant.login_url, pem))
    else:
        md = os.path.join(idp.tmp, "federationmetadata.xml")
        open(md, "wb").write(idp.tenant.metadata_xml())
        idp_lines = "SipSSOIdPMetadataFile %s\n" % md
    return "SipSSOEntityID %s\n%s%s\n" % (entity_id, idp_lines, extra)


PROTECT = """
<Location /app>
  AuthType SipSSO
  Require valid-user
</Location>
<Location /cgi-bin>
  AuthType SipSSO
  Require valid-user
</Location>
"""


class Sp:
    """One SP (httpd + module) wired to one test IdP."""

    def __init__(self, tmp, style="values", extra="", sign="assertion",
                 idp_extra=None, users=None, body_extra=PROTECT):
        self.tmp = str(tmp)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.entity_id = self.base + "/sipsso/metadata"
        self.acs = self.base + "/sipsso/acs"
        self.idp = Idp(self.tmp, self.entity_id, self.acs, sign=sign,
                       extra=idp_extra, **({"users": users} if users else {}))
        try:
            self.httpd = Httpd(self.tmp, self.port,
                               sp_directives(self.idp, self.entity_id, style, extra)
                               + body_extra)
        except Exception:
            self.idp.stop()
            raise

    def stop(self):
        try:
            self.httpd.stop()
        finally:
            self.idp.stop()

    # --- the browser's side ------------------------------------------
    def start_login(self, s, path="/app/"):
        """GET a protected URL; returns (request dict, RelayState)."""
        r = s.get(self.base + path, allow_redirects=False)
        assert r.status_code == 302, (r.status_code, r.text)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
        req = entra_idp.parse_authn_request(q["SAMLRequest"][0])
        return req, q.get("RelayState", [None])[0], r

    def post_acs(self, s, xml, relay, raw=None):
        data = {"SAMLResponse": raw if raw is not None else
                base64.b64encode(xml).decode()}
        if relay is not None:
            data["RelayState"] = relay
        return s.post(self.acs, data=data, allow_redirects=False)

    def response_for(self, req, **kw):
        args = dict(sp_entity_id=self.entity_id, acs_url=self.acs,
                    in_response_to=req["id"], user=ALICE,
                    name_id=ALICE["upn"])
        args.update(kw)
        return entra_idp.build_response(self.idp.tenant, **args)

    def sign_in(self, s, path="/app/", upn=ALICE["upn"]):
        """The whole flow through the IdP server, as a browser would."""
        r = s.get(self.base + path, allow_redirects=False)
        assert r.status_code == 302, (r.status_code, r.text[:500])
        r = s.get(r.headers["Location"] + "&login_hint=" + urllib.parse.quote(upn),
                  allow_redirects=False)
        action, method, fields = entra_idp.parse_form(r.text)
        r = s.post(action, data=fields, allow_redirects=False)
        return r


# The shared stores a cluster uses, started on a free port on 127.0.0.1.
SERVERS = {
    "memcache": ("/usr/bin/memcached", lambda port: ["/usr/bin/memcached", "-l", "127.0.0.1",
                                                     "-p", str(port), "-U", "0", "-u", "root"]),
    "redis": ("/usr/bin/redis-server", lambda port: ["/usr/bin/redis-server", "--bind", "127.0.0.1",
                                                    "--port", str(port), "--save", "",
                                                    "--appendonly", "no"]),
}


class Store:
    def __init__(self, kind):
        self.kind = kind
        self.port = free_port()
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(SERVERS[self.kind][1](self.port),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_port(self.port, self.proc), "store did not start"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)


def session_cookie_set(r):
    """Did this response set a (non-empty) session cookie?"""
    return any(c.strip().startswith("sipsso=") and not c.strip().startswith("sipsso=;")
               for c in r.headers.get("Set-Cookie", "").split(","))


def log_lines_with(sp, text):
    with open(sp.httpd.error_log, errors="replace") as f:
        return [l for l in f if text in l]
