"""Memory per stored session and how many sessions a shmcb segment holds.

Bytes per session come from redis (STRLEN of every key one sign-in leaves:
session, NameID index, replay entry), for Entra's default claims and for a
user in 150 groups.  Capacity is measured, not computed: a small shmcb is
filled with more sign-ins than fit, then every session cookie is tried; the
live ones are what the segment holds (shmcb drops the oldest when full)."""
import os
import subprocess
import uuid

import requests

import common
from common import entra_idp
import sipsso_sp

REDIS_CLI = "/usr/bin/redis-cli"


def _redis(port, *cmd):
    return subprocess.run([REDIS_CLI, "-p", str(port)] + list(cmd), capture_output=True,
                          text=True, check=True).stdout.split()


def _claims_with_groups(tenant, upn, n):
    claims = entra_idp.default_claims(tenant, entra_idp.user_from_upn(upn))
    claims["http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"] = [
        str(uuid.uuid5(uuid.NAMESPACE_URL, "group%d" % i)) for i in range(n)]
    return claims


def _sign_in(sp, claims=None, upn="mem@contoso.example"):
    st = sp._start(upn)
    xml = entra_idp.build_response(sp.tenant, sp_entity_id=sp.entity_id, acs_url=sp.acs,
                                   in_response_to=st["id"], name_id=upn, claims=claims)
    import base64
    r = requests.post(sp.acs, allow_redirects=False, headers={"Cookie": st["cookie"]},
                      data={"SAMLResponse": base64.b64encode(xml).decode(),
                            "RelayState": st["relay"]})
    assert r.status_code == 303, r.text[:300]
    return r.cookies["sipsso"]


def bytes_per_session(tmp, tenant, redis):
    out = {}
    for label, groups in (("default claims", 0), ("150 groups", 150)):
        _redis(redis.port, "FLUSHALL")
        sp = sipsso_sp.SipSSO(os.path.join(tmp, "mem-%d" % groups), tenant, store="redis",
                              store_port=redis.port)
        try:
            upn = "mem%d@contoso.example" % groups
            _sign_in(sp, _claims_with_groups(tenant, upn, groups) if groups else None, upn)
            keys = _redis(redis.port, "--scan")
            sizes = sorted((int(_redis(redis.port, "STRLEN", k)[0]) for k in keys), reverse=True)
            key_len = len(keys[0]) if keys else 0
        finally:
            sp.stop()
        out[label] = {"records": sizes, "key_bytes": key_len,
                      "session_record": sizes[0] if sizes else 0,
                      "total_data": sum(sizes)}
    return out


def shmcb_capacity(tmp, tenant, size=2 * 1024 * 1024, signins=2800):
    seg = os.path.join(tmp, "cap-shm")
    sp = sipsso_sp.SipSSO(os.path.join(tmp, "cap"), tenant,
                          extra="SipSSOSessionCache shmcb:%s(%d)\n" % (seg, size))
    try:
        cookies = []
        with requests.Session() as http:
            # in batches: outstanding requests live in the same segment, and
            # would scroll out if all were made before the first sign-in
            for batch in range(0, signins, 200):
                for it in sp.prepare_signins(200, prefix="cap%d-" % batch):
                    r = http.post(sp.acs, data=it["body"], allow_redirects=False, headers={
                        "Cookie": it["cookie"],
                        "Content-Type": "application/x-www-form-urlencoded"})
                    assert r.status_code == 303, r.text[:300]
                    cookies.append(r.cookies["sipsso"])
                    http.cookies.clear()
            live = sum(http.get(sp.protected, allow_redirects=False,
                                cookies={"sipsso": c}).status_code == 200 for c in cookies)
    finally:
        sp.stop()
    return {"segment_bytes": size, "signins": signins, "live_sessions": live,
            "bytes_per_session": size / live if live else None}


def run(tmp, tenant, redis):
    res = {"shmcb": shmcb_capacity(tmp, tenant)}
    if redis:
        res["redis"] = bytes_per_session(tmp, tenant, redis)
    cap = res["shmcb"]
    if cap["live_sessions"]:
        per = cap["bytes_per_session"]
        res["shmcb"]["default_32MiB"] = int(32 * 2**20 / per)
        res["shmcb"]["for_100k_MiB"] = round(100000 * per / 2**20)
        res["shmcb"]["in_256MiB"] = int(256 * 2**20 / per)
    return res


if __name__ == "__main__":
    import json
    import tempfile
    import stores
    t = tempfile.mkdtemp()
    ten = sipsso_sp_tenant = None
    key, cert = entra_idp.make_keypair(os.path.join(t, "idp"))
    ten = entra_idp.Tenant(common.harness.TENANT, key, cert, "http://127.0.0.1:9")
    st = stores.start_all()
    try:
        print(json.dumps(run(t, ten, st.get("redis")), indent=1))
    finally:
        for s in st.values():
            s.stop()
