#!/usr/bin/python3
"""est_rate.py: EST enrollments per second beside the bare signing rate.

Starts a private PostgreSQL and axlprovd with an EC P-384 CAPF CA (as `make
run` makes), adds N phones per key type (By Null String profiles ordering
RSA 2048 or EC P-256, Install/Upgrade pending) and a request per phone, then
enrolls them over keep-alive TLS connections (Python http.client; one
client, then C in parallel) and prints enrollments per second beside
tests/perf/sign_rate.c's in-process capf_issue() rate (one thread: check
the request, sign it with the CA, classify the result) on the same CA and a
request of the same kind, measured just before and after.

  python3 tests/perf/est_rate.py [--phones N] [--clients C] [--seconds S]

Run from the repository root after `make build`.
"""

import argparse
import base64
import http.client
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

from cryptography import x509                                   # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa   # noqa: E402
from cryptography.x509.oid import NameOID                       # noqa: E402

import conftest                                                 # noqa: E402

KINDS = {"rsa2048": ("RSA Only", lambda: rsa.generate_private_key(65537, 2048)),
         "ec256": ("EC Only", lambda: ec.generate_private_key(ec.SECP256R1()))}


def request_der(name, key):
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.DER)


def prepare(axl, kind, n, tag):
    order, _ = KINDS[kind]
    prof = "perf-%s-%s" % (kind, tag)
    conftest.add_profile(axl, prof, authenticationMode="By Null String", keyOrder=order,
                         ecKeySize="256" if order == "EC Only" else "", keySize="2048")
    key = KINDS[kind][1]()   # one key for all: key generation is the phone's cost, not ours
    bodies = []
    for _ in range(n):
        name = conftest.sep_name()
        conftest.add_phone(axl, name, securityProfileName=prof,
                           certificateOperation="Install/Upgrade")
        bodies.append(base64.encodebytes(request_der(name, key)))
    return bodies, request_der("SEPPERF", key)


def enroll_all(port, cafile, bodies, clients):
    ctx = ssl.create_default_context(cafile=cafile)
    errors = []

    def client(part):
        conn = http.client.HTTPSConnection("localhost", port, context=ctx)
        for body in part:
            conn.request("POST", "/.well-known/est/simpleenroll", body=body,
                         headers={"Content-Type": "application/pkcs10"})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                errors.append(r.status)
        conn.close()

    threads = [threading.Thread(target=client, args=(bodies[i::clients],)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    assert not errors, errors[:5]
    return len(bodies) / elapsed


def sign_rate(srv_dir, ca, der, order, seconds):
    exe = os.path.join(srv_dir, "sign_rate")
    if not os.path.exists(exe):
        src = [os.path.join(TOP, "src", f) for f in ("capf.c", "err.c", "text.c", "xbuf.c")]
        subprocess.run(["cc", "-O2", "-I" + os.path.join(TOP, "src"), "-o", exe,
                        os.path.join(TOP, "tests", "perf", "sign_rate.c"), *src, "-lcrypto"],
                       check=True)
    path = os.path.join(srv_dir, "perf.der")
    with open(path, "wb") as f:
        f.write(der)
    out = subprocess.run([exe, ca["cert"], ca["key"], path, order, str(seconds)], check=True,
                         capture_output=True, text=True).stdout
    return float(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=300)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=5)
    a = ap.parse_args()
    pg = conftest.Postgres()
    d = tempfile.mkdtemp(prefix="est-perf-")
    key, crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-384", "-out", key], check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-new", "-key", key, "-days", "3650", "-sha384",
                    "-subj", "/CN=perf CAPF", "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", crt],
                   check=True, capture_output=True)
    ca = {"cert": crt, "key": key}
    srv = conftest.start_server(pg, extra_args=["--capf-cert", crt, "--capf-key", key,
                                                "--capf-rate-limit", "0", "--log-level", "warn"])
    try:
        axl = conftest.Axl(srv)
        print("CAPF CA EC P-384; %d phones per kind; %d keep-alive TLS clients; %d CPUs"
              % (a.phones, a.clients, os.cpu_count()))
        print("%-8s %8s %14s %16s %6s" % ("request", "clients", "EST enroll/s",
                                            "capf_issue()/s", "ratio"))
        for kind, (order, _) in KINDS.items():
            for clients in (1, a.clients):
                bodies, der = prepare(axl, kind, a.phones, "%d%d" % (time.time(), clients))
                # The machine may be shared: the baseline is taken just
                # before and just after, and averaged.
                before = sign_rate(d, ca, der, order, a.seconds)
                est = enroll_all(srv.capf_port, srv.cert, bodies, clients)
                bare = (before + sign_rate(d, ca, der, order, a.seconds)) / 2
                print("%-8s %8d %14.1f %16.1f %6.2f" % (kind, clients, est, bare, est / bare))
    finally:
        conftest.finish_server(srv)
        pg.stop()


if __name__ == "__main__":
    main()
