"""A throw-away test CA and a server certificate for localhost/127.0.0.1,
made with the openssl command line, for tests that speak HTTPS."""
import base64
import hashlib
import os
import subprocess


def _openssl(*args, cwd=None):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=cwd)


def make_ca_and_server_cert(d, names=("DNS:localhost", "IP:127.0.0.1")):
    """Write ca.key/ca.crt and server.key/server.crt (signed by the CA, with
    subjectAltName `names`) into directory d; returns a dict of their paths."""
    os.makedirs(d, exist_ok=True)
    p = {n: os.path.join(d, n) for n in
         ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt", "server.ext")}
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
             "-keyout", p["ca.key"], "-out", p["ca.crt"], "-days", "2",
             "-subj", "/O=mod_sipsso tests/CN=mod_sipsso test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256",
             "-keyout", p["server.key"], "-out", p["server.csr"],
             "-subj", "/O=mod_sipsso tests/CN=localhost")
    with open(p["server.ext"], "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=%s\n" % ",".join(names))
    _openssl("x509", "-req", "-in", p["server.csr"], "-CA", p["ca.crt"],
             "-CAkey", p["ca.key"], "-CAcreateserial", "-days", "2", "-sha256",
             "-extfile", p["server.ext"], "-out", p["server.crt"], cwd=d)
    return {"ca_key": p["ca.key"], "ca_cert": p["ca.crt"],
            "key": p["server.key"], "cert": p["server.crt"]}


def spki_sha256_b64(cert_path):
    """base64(sha256(DER SubjectPublicKeyInfo)): the form Chromium's
    --ignore-certificate-errors-spki-list and HPKP pins use."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         check=True, capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")
