"""mod_sipsso as a benchmark subject, with the same interface as the peers
in peers.py: prepare_signins() for the ACS benchmark, session_cookie() for
authenticated throughput."""
import base64
import os
import urllib.parse
from concurrent.futures import ProcessPoolExecutor

import requests

import common
from common import entra_idp, harness

STORES = {
    "shmcb": ("", lambda port: ""),
    "memcache": ("socache_memcache", lambda port: "SipSSOSessionCache memcache:127.0.0.1:%d\n" % port),
    "redis": ("socache_redis", lambda port: "SipSSOSessionCache redis:127.0.0.1:%d\n" % port),
}


class SipSSO:
    name = "mod_sipsso"
    acs_path = "/sipsso/acs"
    ok_statuses = {303}

    def __init__(self, tmp, tenant, store="shmcb", store_port=None, extra="",
                 access_log=False):
        self.tmp, self.tenant = tmp, tenant
        os.makedirs(tmp, exist_ok=True)
        pem = os.path.join(tmp, "entra.cer")
        with open(pem, "w") as f:
            f.write(entra_idp.cert_pem_entra_style(tenant.cert_path))
        module, line = STORES[store]
        self.port = harness.free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.entity_id = self.base + "/sipsso/metadata"
        self.acs = self.base + self.acs_path
        body = ("SipSSOEntityID %s\nSipSSOIdPEntityID %s\nSipSSOIdPLoginURL %s\n"
                "SipSSOIdPCertificate %s\n%s%s\n<Location /app>\n  AuthType SipSSO\n"
                "  Require valid-user\n</Location>\n"
                % (self.entity_id, tenant.entity_id, tenant.login_url, pem,
                   line(store_port), extra))
        self.server = common.Server(
            tmp, body, modules=[module] if module else [], port=self.port,
            loads="LoadModule sipsso_module %s\n" % common.module_so(),
            access_log=access_log)
        self.protected = self.base + "/app/small.html"

    def stop(self):
        self.server.stop()

    def _start(self, upn):
        """GET the protected page: the AuthnRequest, RelayState, cookies."""
        with requests.Session() as s:
            r = s.get(self.protected, allow_redirects=False)
            assert r.status_code == 302, (r.status_code, r.text[:300])
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
            req = entra_idp.parse_authn_request(q["SAMLRequest"][0])
            cookie = "; ".join("%s=%s" % (k, v) for k, v in s.cookies.items())
        return {"upn": upn, "id": req["id"], "relay": q["RelayState"][0], "cookie": cookie}

    def prepare_signins(self, n, prefix="user"):
        starts = [self._start("%s%d@contoso.example" % (prefix, i)) for i in range(n)]
        args = [(self.tenant, self.entity_id, self.acs, st) for st in starts]
        with ProcessPoolExecutor(max_workers=os.cpu_count()) as ex:
            return list(ex.map(_signed_post, args, chunksize=32))

    def session_cookie(self):
        p = self.prepare_signins(1, prefix="wrk")[0]
        r = requests.post(self.acs, data=p["body"], allow_redirects=False, headers={
            "Cookie": p["cookie"], "Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code in self.ok_statuses, (r.status_code, r.text[:300])
        return "sipsso=" + r.cookies["sipsso"]


def _signed_post(arg):
    tenant, entity_id, acs, st = arg
    xml = entra_idp.build_response(tenant, sp_entity_id=entity_id, acs_url=acs,
                                   in_response_to=st["id"], name_id=st["upn"])
    body = urllib.parse.urlencode({"SAMLResponse": base64.b64encode(xml).decode(),
                                   "RelayState": st["relay"]})
    return {"body": body, "cookie": st["cookie"]}
