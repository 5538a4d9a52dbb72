"""Online LSC enrollment over EST (RFC 7030) on the capf_listen listener.

The EST client is Debian's `curl` and `openssl`, as a phone's would be:
`openssl req` makes the key and request, `openssl base64` encodes it, `curl
--data-binary` posts it, `openssl base64 -d | openssl pkcs7 -print_certs`
reads the answer, `openssl verify` checks it against the CAPF CA.

Covers: cacerts and csrattrs; every authenticationMode accepted and
refused (401 with WWW-Authenticate for missing or wrong credentials, 400
or 403 with the reason for what the rules refuse); wrong CN, key type and
size, a bad signature, no pending operation, a past upgradeFinishTime, a
replay after success, re-enrollment with the current and with a revoked
LSC; each refusal leaving the operation pending where it was, the status
the matching failure and nothing else changed (getPhone and phone_lsc);
bodies over 64 KB; the rate limit; the walk-through of
docs/certificates.md driven through zeep.
"""

import base64
import json
import os
import subprocess
import time

import pytest

from conftest import (add_phone, add_profile, axlprovd_cli, fields_of, finish_server, phone_of,
                      sep_name, start_server, update_phone)

EST = "/.well-known/est/"


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


# --------------------------------------------------------------------------
# fixtures: a CAPF CA, a MIC root, and a server with EST on
# --------------------------------------------------------------------------

def make_ca(d, name, cn):
    key, crt = str(d / (name + ".key")), str(d / (name + ".crt"))
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", key)
    run("openssl", "req", "-x509", "-new", "-key", key, "-days", "3650", "-sha384", "-subj",
        "/CN=" + cn, "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", crt)
    return {"cert": crt, "key": key}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("est-pki")
    return {"dir": d, "ca": make_ca(d, "capf", "axlprov CAPF EST test"),
            "mic": make_ca(d, "microot", "Test MIC root")}


def est_args(pki, *more):
    return ["--capf-cert", pki["ca"]["cert"], "--capf-key", pki["ca"]["key"],
            "--mic-roots", pki["mic"]["cert"], "--login-backoff-after", "0", *more]


@pytest.fixture(scope="module")
def est(pg, pki):
    srv = start_server(pg, extra_args=est_args(pki, "--capf-rate-limit", "0"))
    yield srv
    finish_server(srv)


# --------------------------------------------------------------------------
# the EST client: openssl and curl
# --------------------------------------------------------------------------

def make_csr(d, cn, key="ec:P-256", keyfile=None):
    """A base64 DER request for a new key (or keyfile's); returns (b64 path, key path)."""
    tag = "%s-%s-%d" % (cn.replace("/", "_")[:40], key.replace(":", "_"), time.monotonic_ns())
    path = str(d / (tag + ".b64"))
    if keyfile is not None:
        kpath, keyargs = keyfile, ["-key", keyfile]
    else:
        kind, _, size = key.partition(":")
        kpath = str(d / (tag + ".key"))
        keyargs = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:" + size] if kind == "ec"
                   else ["-newkey", "rsa:" + size]) + ["-nodes", "-keyout", kpath]
    der = subprocess.run(["openssl", "req", "-new", *keyargs, "-subj", "/CN=" + cn,
                          "-outform", "DER"], check=True, capture_output=True).stdout
    b64 = subprocess.run(["openssl", "base64"], input=der, check=True, capture_output=True).stdout
    with open(path, "wb") as f:
        f.write(b64)
    return path, kpath


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        for line in self.headers.splitlines():
            k, _, v = line.partition(":")
            if k.strip().lower() == name.lower():
                return v.strip()
        return None


def curl(srv, d, resource, data=None, user=None, cert=None, method=None):
    """One EST request with curl; data: a file to POST."""
    out, hdr = str(d / "curl.out"), str(d / "curl.hdr")
    args = ["curl", "-sS", "--cacert", srv.cert, "-o", out, "-D", hdr, "-w", "%{http_code}",
            "https://localhost:%d%s%s" % (srv.capf_port, EST, resource)]
    if data is not None:
        args += ["-H", "Content-Type: application/pkcs10", "--data-binary", "@" + data]
    if user is not None:
        args += ["-u", "%s:%s" % user]
    if cert is not None:
        args += ["--cert", cert[0], "--key", cert[1]]
    if method is not None:
        args += ["-X", method]
    code = run(*args).stdout
    with open(out, "rb") as f:
        body = f.read()
    with open(hdr) as f:
        headers = f.read()
    return Answer(int(code), headers, body)


def certs_of(d, answer, name="lsc.pem"):
    """The PEM certificates of a base64 certs-only PKCS#7 answer (the
    client's pipeline: openssl base64 -d | openssl pkcs7 -print_certs)."""
    der = subprocess.run(["openssl", "base64", "-d"], input=answer.body, check=True,
                         capture_output=True).stdout
    pem = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs"], input=der,
                         check=True, capture_output=True).stdout.decode()
    path = str(d / name)
    with open(path, "w") as f:
        f.write(pem)
    return path, pem


def enroll(srv, d, name, key="ec:P-256", user=None, cert=None, cn=None, resource="simpleenroll"):
    csr, kpath = make_csr(d, cn or name, key)
    return curl(srv, d, resource, data=csr, user=user, cert=cert), kpath


# --------------------------------------------------------------------------
# phones and what must not change
# --------------------------------------------------------------------------

def secure_phone(axl, unique, mode, keyOrder="EC Only", ecKeySize="256", keySize="2048",
                 product="Cisco 8845", security=None, **phone):
    prof = "%s-%s" % (unique, sep_name()[-6:])
    add_profile(axl, prof, phoneType=product, deviceSecurityMode=security,
                authenticationMode=mode, keyOrder=keyOrder, ecKeySize=ecKeySize, keySize=keySize)
    name = sep_name()
    phone.setdefault("certificateOperation", "Install/Upgrade")
    add_phone(axl, name, product=product, securityProfileName=prof, **phone)
    return name


def state(axl, pg, name):
    """Everything a refusal must leave alone: getPhone's fields and the LSC row."""
    fields = fields_of(phone_of(axl, name))
    lsc = pg.sql("SELECT l.serial, l.fingerprint FROM phone_lsc l JOIN phone p"
                 " ON p.pkid = l.phone_uuid WHERE p.name = :'v1'", name)
    return fields, lsc


def expect_refused(axl, pg, name, before, answer, http, status, text=None):
    """The refusal: its HTTP status and reason; certificateStatus `status`
    (None: unchanged); nothing else changed."""
    assert answer.status == http, (answer.status, answer.body)
    if http == 401:
        assert answer.header("WWW-Authenticate", ) is not None
    if text is not None:
        assert text in answer.body.decode(), answer.body
    fields, lsc = state(axl, pg, name)
    want = dict(before[0])
    if status is not None:
        want["certificateStatus"] = status
    assert fields == want
    assert lsc == before[1]


def verify(pki, pem_path):
    out = run("openssl", "verify", "-CAfile", pki["ca"]["cert"], pem_path).stdout
    assert out.strip().endswith(": OK"), out


def subject_cn(pem_path):
    return run("openssl", "x509", "-in", pem_path, "-noout", "-subject", "-nameopt",
               "RFC2253").stdout.strip().split("CN=", 1)[1]


def serial_of(pem_path):
    return run("openssl", "x509", "-in", pem_path, "-noout", "-serial").stdout.strip().split("=")[1]


def lsc_serial(pg, name):
    rows = pg.sql("SELECT l.serial FROM phone_lsc l JOIN phone p ON p.pkid = l.phone_uuid"
                  " WHERE p.name = :'v1'", name)
    return rows[0][0] if rows else None


def expect_issued(axl, pg, pki, d, name, answer):
    assert answer.status == 200, answer.body
    assert answer.header("Content-Type").startswith("application/pkcs7-mime")
    path, pem = certs_of(d, answer, "lsc-%d.pem" % time.monotonic_ns())
    assert pem.count("BEGIN CERTIFICATE") == 1
    verify(pki, path)
    assert subject_cn(path) == name
    f = fields_of(phone_of(axl, name))
    assert (f["certificateOperation"], f["certificateStatus"]) == \
        ("No Pending Operation", "Upgrade Success")
    assert lsc_serial(pg, name) == serial_of(path)
    return path


def mic_for(pki, d, name, prefix="CP-8845-"):
    """A MIC for the phone from the test MIC root: (cert, key)."""
    key, csr, crt = (str(d / ("mic-%s.%s" % (name, e))) for e in ("key", "csr", "crt"))
    run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj",
        "/CN=" + prefix + name, "-out", csr)
    run("openssl", "x509", "-req", "-in", csr, "-CA", pki["mic"]["cert"], "-CAkey",
        pki["mic"]["key"], "-CAcreateserial", "-days", "30", "-out", crt)
    return crt, key


def self_signed(d, cn):
    key, crt = str(d / ("ss-%s.key" % cn)), str(d / ("ss-%s.crt" % cn))
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", key, "-subj", "/CN=" + cn, "-days", "2", "-out", crt)
    return crt, key


def audit_actors(pg, name):
    return [r[0] for r in pg.sql("SELECT userid FROM audit WHERE target_name = :'v1' ORDER BY id",
                                 name)]


# --------------------------------------------------------------------------
# cacerts, csrattrs, framing
# --------------------------------------------------------------------------

def test_cacerts_is_the_capf_ca(est, pki, tmp_path):
    a = curl(est, tmp_path, "cacerts")
    assert a.status == 200
    assert a.header("Content-Type").startswith("application/pkcs7-mime")
    assert a.header("Content-Transfer-Encoding") == "base64"
    path, pem = certs_of(tmp_path, a, "ca.pem")
    with open(pki["ca"]["cert"]) as f:
        assert pem.split("-----BEGIN")[1].strip() == f.read().split("-----BEGIN")[1].strip()


def csrattrs_oids(d, answer):
    der = subprocess.run(["openssl", "base64", "-d"], input=answer.body, check=True,
                         capture_output=True).stdout
    parsed = subprocess.run(["openssl", "asn1parse", "-inform", "DER"], input=der, check=True,
                            capture_output=True).stdout.decode()
    return [line.rsplit(":", 1)[1] for line in parsed.splitlines() if "OBJECT" in line]


def test_csrattrs(est, axl, pg, unique, tmp_path):
    a = curl(est, tmp_path, "csrattrs")
    assert a.status == 200 and a.header("Content-Type") == "application/csrattrs"
    assert csrattrs_oids(tmp_path, a) == ["commonName", "sha256WithRSAEncryption"]
    name = secure_phone(axl, unique, "By Authentication String", ecKeySize="384",
                        authenticationString="97531")
    a = curl(est, tmp_path, "csrattrs", user=(name, "97531"))
    assert a.status == 200
    assert csrattrs_oids(tmp_path, a) == ["commonName", "id-ecPublicKey", "secp384r1",
                                          "ecdsa-with-SHA256"]
    a = curl(est, tmp_path, "csrattrs", user=(name, "wrong"))
    assert a.status == 401 and a.header("WWW-Authenticate").startswith("Basic")
    rsa = secure_phone(axl, unique, "By Authentication String", keyOrder="RSA Only",
                       ecKeySize="", authenticationString="1234")
    a = curl(est, tmp_path, "csrattrs", user=(rsa, "1234"))
    assert csrattrs_oids(tmp_path, a) == ["commonName", "rsaEncryption", "sha256WithRSAEncryption"]


def test_not_found_and_method(est, tmp_path):
    assert curl(est, tmp_path, "nothing").status == 404
    assert curl(est, tmp_path, "simpleenroll").status == 405
    a = curl(est, tmp_path, "cacerts", method="POST")
    assert a.status == 405 and b"GET" in a.body


def test_body_over_64k_refused(est, axl, pg, unique, tmp_path):
    name = secure_phone(axl, unique, "By Null String")
    before = state(axl, pg, name)
    big = tmp_path / "big.b64"
    big.write_bytes(b"A" * (64 * 1024 + 4))
    a = curl(est, tmp_path, "simpleenroll", data=str(big))
    assert a.status == 413, a.body
    assert state(axl, pg, name) == before


def test_garbage_body_refused(est, axl, pg, unique, tmp_path):
    bad = tmp_path / "bad.b64"
    bad.write_bytes(base64.b64encode(b"not a certificate request"))
    a = curl(est, tmp_path, "simpleenroll", data=str(bad))
    assert a.status == 400 and b"PKCS#10" in a.body


# --------------------------------------------------------------------------
# By Null String
# --------------------------------------------------------------------------

def test_null_string_enrolls(est, axl, pg, pki, unique, tmp_path):
    name = secure_phone(axl, unique, "By Null String", security="Authenticated")
    a, key = enroll(est, tmp_path, name)
    lsc = expect_issued(axl, pg, pki, tmp_path, name, a)
    assert "capf:" + name in audit_actors(pg, name)
    register_tls(est, pg, name, lsc, key)


@pytest.mark.parametrize("order,ec,rsa,key", [
    ("RSA Only", "", "2048", "rsa:2048"), ("EC Only", "384", "2048", "ec:P-384"),
    ("EC Preferred, RSA Backup", "256", "2048", "rsa:2048"),
])
def test_key_types_accepted(est, axl, pg, pki, unique, tmp_path, order, ec, rsa, key):
    name = secure_phone(axl, unique, "By Null String", keyOrder=order, ecKeySize=ec, keySize=rsa)
    a, _ = enroll(est, tmp_path, name, key=key)
    expect_issued(axl, pg, pki, tmp_path, name, a)


@pytest.mark.parametrize("order,ec,rsa,key,why", [
    ("EC Only", "256", "2048", "rsa:2048", "EC"),
    ("EC Only", "256", "2048", "ec:P-384", "256"),
    ("RSA Only", "", "3072", "rsa:2048", "3072"),
], ids=["rsa-for-ec", "p384-for-p256", "rsa2048-for-3072"])
def test_wrong_key_refused(est, axl, pg, unique, tmp_path, order, ec, rsa, key, why):
    name = secure_phone(axl, unique, "By Null String", keyOrder=order, ecKeySize=ec, keySize=rsa)
    before = state(axl, pg, name)
    a, _ = enroll(est, tmp_path, name, key=key)
    expect_refused(axl, pg, name, before, a, 400, "Upgrade Failed", why)
    assert fields_of(phone_of(axl, name))["certificateOperation"] == "Install/Upgrade"


def test_wrong_cn_refused(est, axl, pg, unique, tmp_path):
    name = secure_phone(axl, unique, "By Null String")
    other = sep_name()
    a, _ = enroll(est, tmp_path, name, cn=other)
    assert a.status == 403 and b"No phone" in a.body
    # A CN naming a phone, in a request that is not that phone's: the
    # authentication string of the CN's phone is what is asked.
    victim = secure_phone(axl, unique, "By Authentication String", authenticationString="4242")
    before = state(axl, pg, victim)
    a, _ = enroll(est, tmp_path, name, cn=victim, user=(name, "4242"))
    expect_refused(axl, pg, victim, before, a, 401, "Upgrade Failed: Invalid Credentials")


def test_bad_signature_refused(est, axl, pg, unique, tmp_path):
    name = secure_phone(axl, unique, "By Null String")
    before = state(axl, pg, name)
    csr, _ = make_csr(tmp_path, name)
    der = bytearray(base64.b64decode(open(csr, "rb").read()))
    der[-5] ^= 0x55                       # inside the signature
    bad = tmp_path / "badsig.b64"
    bad.write_bytes(base64.encodebytes(bytes(der)))
    a = curl(est, tmp_path, "simpleenroll", data=str(bad))
    expect_refused(axl, pg, name, before, a, 400, "Upgrade Failed", "signature")


def test_no_pending_operation_changes_nothing(est, axl, pg, unique, tmp_path):
    name = secure_phone(axl, unique, "By Null String", certificateOperation="No Pending Operation")
    before = state(axl, pg, name)
    a, _ = enroll(est, tmp_path, name)
    expect_refused(axl, pg, name, before, a, 403, None, "no Install/Upgrade")
    # Not even a stranger's wrong key touches its status.
    a, _ = enroll(est, tmp_path, name, key="rsa:2048")
    expect_refused(axl, pg, name, before, a, 403, None)


def test_replay_after_success_refused(est, axl, pg, pki, unique, tmp_path):
    name = secure_phone(axl, unique, "By Null String")
    csr, _ = make_csr(tmp_path, name)
    expect_issued(axl, pg, pki, tmp_path, name, curl(est, tmp_path, "simpleenroll", data=csr))
    before = state(axl, pg, name)
    a = curl(est, tmp_path, "simpleenroll", data=csr)
    expect_refused(axl, pg, name, before, a, 403, None, "no Install/Upgrade")


def test_past_deadline_ends_operation(est, axl, pg, unique, tmp_path):
    name = secure_phone(axl, unique, "By Null String", upgradeFinishTime="2020:01:01:12:00")
    before = state(axl, pg, name)
    a, _ = enroll(est, tmp_path, name)
    assert a.status == 403 and b"deadline" in a.body
    fields, lsc = state(axl, pg, name)
    want = dict(before[0], certificateStatus="Upgrade Failed",
                certificateOperation="No Pending Operation")
    assert fields == want and lsc == before[1]


def test_future_deadline_enrolls(est, axl, pg, pki, unique, tmp_path):
    name = secure_phone(axl, unique, "By Null String", upgradeFinishTime="2099:12:31:23:59")
    a, _ = enroll(est, tmp_path, name)
    expect_issued(axl, pg, pki, tmp_path, name, a)


# --------------------------------------------------------------------------
# By Authentication String
# --------------------------------------------------------------------------

def test_authentication_string(est, axl, pg, pki, unique, tmp_path):
    name = secure_phone(axl, unique, "By Authentication String", authenticationString="246810")
    before = state(axl, pg, name)
    a, _ = enroll(est, tmp_path, name)
    expect_refused(axl, pg, name, before, a, 401, None)
    assert a.header("WWW-Authenticate") == 'Basic realm="axlprov EST"'
    a, _ = enroll(est, tmp_path, name, user=(name, "246811"))
    expect_refused(axl, pg, name, before, a, 401, "Upgrade Failed: Invalid Authentication String",
                   "wrong authentication string")
    assert "246810" not in est.log_text()
    a, _ = enroll(est, tmp_path, name, user=(name, "246810"))
    expect_issued(axl, pg, pki, tmp_path, name, a)


def test_authentication_string_failures_back_off(pg, pki, axl, unique, tmp_path):
    srv = start_server(pg, extra_args=est_args(pki, "--capf-rate-limit", "0") +
                       ["--login-backoff-after", "2"])
    try:
        name = secure_phone(axl, unique, "By Authentication String", authenticationString="1357")
        for _ in range(2):
            assert enroll(srv, tmp_path, name, user=(name, "0000"))[0].status == 401
        a, _ = enroll(srv, tmp_path, name, user=(name, "1357"))
        assert a.status == 401 and b"Too many failed" in a.body
        assert fields_of(phone_of(axl, name))["certificateOperation"] == "Install/Upgrade"
    finally:
        finish_server(srv)


def test_rate_limit(pg, pki, tmp_path):
    srv = start_server(pg, extra_args=est_args(pki, "--capf-rate-limit", "3"))
    try:
        codes = [curl(srv, tmp_path, "cacerts").status for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        a = curl(srv, tmp_path, "cacerts")
        assert a.header("Retry-After") == "60"
    finally:
        finish_server(srv)


# --------------------------------------------------------------------------
# By Existing Certificate
# --------------------------------------------------------------------------

def test_mic_precedence_to_mic(est, axl, pg, pki, unique, tmp_path):
    name = secure_phone(axl, unique, "By Existing Certificate (precedence to MIC)")
    before = state(axl, pg, name)
    a, _ = enroll(est, tmp_path, name)
    expect_refused(axl, pg, name, before, a, 401, None, "client certificate is required")
    stranger = self_signed(tmp_path, "CP-8845-" + name)
    a, _ = enroll(est, tmp_path, name, cert=stranger)
    expect_refused(axl, pg, name, before, a, 401, "Upgrade Failed: Invalid MIC")
    other = mic_for(pki, tmp_path, sep_name())
    a, _ = enroll(est, tmp_path, name, cert=other)
    expect_refused(axl, pg, name, before, a, 401, "Upgrade Failed: Invalid MIC")
    a, _ = enroll(est, tmp_path, name, cert=mic_for(pki, tmp_path, name))
    expect_issued(axl, pg, pki, tmp_path, name, a)


def test_lsc_precedence(est, axl, pg, pki, unique, tmp_path):
    """Precedence to LSC: a phone without an LSC uses its MIC; once it holds
    an LSC, that LSC is required (its MIC refused), and a replaced LSC is
    refused from then on."""
    name = secure_phone(axl, unique, "By Existing Certificate (precedence to LSC)")
    mic = mic_for(pki, tmp_path, name)
    csr, key = make_csr(tmp_path, name)
    lsc = expect_issued(axl, pg, pki, tmp_path, name,
                        curl(est, tmp_path, "simpleenroll", data=csr, cert=mic))
    update_phone(axl, ("name", name), certificateOperation="Install/Upgrade")
    before = state(axl, pg, name)
    a, _ = enroll(est, tmp_path, name, cert=mic)
    expect_refused(axl, pg, name, before, a, 401, "Upgrade Failed: Invalid LSC")
    a, _ = enroll(est, tmp_path, name, cert=(lsc, key))
    new = expect_issued(axl, pg, pki, tmp_path, name, a)
    assert serial_of(new) != serial_of(lsc)
    update_phone(axl, ("name", name), certificateOperation="Install/Upgrade")
    before = state(axl, pg, name)
    a, _ = enroll(est, tmp_path, name, cert=(lsc, key))
    expect_refused(axl, pg, name, before, a, 401, "Upgrade Failed: Invalid LSC")


def test_lsc_from_capf_issue_authenticates(est, axl, pg, pki, unique, tmp_path):
    """An LSC issued offline by `capf issue` is the credential of the next
    online operation (precedence to MIC, but the phone holds only an LSC
    when its model ships no MIC: here its MIC is simply not presented)."""
    name = secure_phone(axl, unique, "By Null String")
    csr, key = make_csr(tmp_path, name)
    pem_csr = str(tmp_path / "first.csr")
    run("openssl", "req", "-new", "-key", key, "-subj", "/CN=" + name, "-out", pem_csr)
    lsc = str(tmp_path / "offline-lsc.pem")
    cp = axlprovd_cli(pg, "capf", "issue", name, "--csr", pem_csr, "--out", lsc,
                      "--capf-cert", pki["ca"]["cert"], "--capf-key", pki["ca"]["key"])
    assert cp.returncode == 0, cp.stderr
    a, _ = enroll(est, tmp_path, name, cert=(lsc, key), resource="simplereenroll")
    new = expect_issued(axl, pg, pki, tmp_path, name, a)
    assert serial_of(new) != serial_of(lsc)


# --------------------------------------------------------------------------
# simplereenroll
# --------------------------------------------------------------------------

def test_reenroll_with_current_lsc_then_revoked(est, axl, pg, pki, unique, tmp_path):
    name = secure_phone(axl, unique, "By Null String", security="Encrypted")
    csr, key = make_csr(tmp_path, name)
    lsc = expect_issued(axl, pg, pki, tmp_path, name, curl(est, tmp_path, "simpleenroll", data=csr))
    # Renewal needs no pending operation; the new LSC replaces the old.
    a, key2 = enroll(est, tmp_path, name, cert=(lsc, key), resource="simplereenroll")
    new = expect_issued(axl, pg, pki, tmp_path, name, a)
    assert serial_of(new) != serial_of(lsc)
    register_tls(est, pg, name, new, key2)
    before = state(axl, pg, name)
    a, _ = enroll(est, tmp_path, name, cert=(lsc, key), resource="simplereenroll")
    expect_refused(axl, pg, name, before, a, 401, None, "not a valid LSC")
    # Revoked (Delete completed): refused, and with an operation pending
    # again the status says the LSC is invalid.
    update_phone(axl, ("name", name), certificateOperation="Delete")
    cp = axlprovd_cli(pg, "capf", "complete", name)
    assert cp.returncode == 0, cp.stderr
    assert lsc_serial(pg, name) is None
    update_phone(axl, ("name", name), certificateOperation="Install/Upgrade")
    before = state(axl, pg, name)
    a, _ = enroll(est, tmp_path, name, cert=(new, key2), resource="simplereenroll")
    expect_refused(axl, pg, name, before, a, 401, "Upgrade Failed: Invalid LSC")
    assert before[0]["certificateOperation"] == "Install/Upgrade"


def test_metrics_count_enrollments(est, tmp_path):
    import http.client
    bad = tmp_path / "bad.b64"
    bad.write_bytes(base64.b64encode(b"not a request"))
    assert curl(est, tmp_path, "simpleenroll", data=str(bad)).status == 400
    conn = http.client.HTTPConnection("127.0.0.1", est.port)
    conn.request("GET", "/metrics", headers={"Authorization": "Basic " + base64.b64encode(
        ("%s:%s" % (est.user, est.password)).encode()).decode()})
    text = conn.getresponse().read().decode()
    counts = {line.split('"')[1]: int(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line.startswith("axlprov_est_enrollments_total{")}
    assert set(counts) == {"issued", "renewed", "challenged", "denied", "refused", "expired",
                           "rate_limited", "error"}
    assert counts["refused"] >= 1
    assert 'axlprov_requests_total{operation="EST simpleenroll",outcome="http_4xx"}' in text


def test_make_run_serves_est(pg, unique, tmp_path):
    """`make run` (db/run.sh) turns EST on at AXLPROV_CAPF_LISTEN with its CAPF CA."""
    from conftest import free_port, wait_for_port
    from test_capf_issue import run_sh, stop_run_sh
    port = free_port()
    proc, _ = run_sh(pg, tmp_path, unique, capf_port=port)
    try:
        wait_for_port(port, proc)
        cp = subprocess.run(["curl", "-sSk", "https://127.0.0.1:%d%scacerts" % (port, EST)],
                            check=True, capture_output=True)
        der = subprocess.run(["openssl", "base64", "-d"], input=cp.stdout, check=True,
                             capture_output=True).stdout
        pem = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs"], input=der,
                             check=True, capture_output=True).stdout.decode()
        with open(tmp_path / "capf" / "ca.crt") as f:
            assert f.read().split("-----BEGIN")[1].strip() == pem.split("-----BEGIN")[1].strip()
    finally:
        log = stop_run_sh(proc)
    assert "/.well-known/est/ (EST)" in log


def test_est_off_without_the_ca_key(pg, pki, tmp_path):
    """EST signs with the CAPF CA's key: a server given the CA certificate
    alone (it checks LSCs, as the registrar does) runs, and says that EST
    is off and why; check-config says the same and passes."""
    from conftest import BINARY
    env = dict(os.environ, AXLPROV_DATABASE_URL=pg.url)
    env.pop("AXLPROV_CONFIG", None)
    cp = subprocess.run([BINARY, "--capf-cert", pki["ca"]["cert"], "check-config"], env=env,
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0 and "EST (capf_listen" in cp.stderr and "capf_key" in cp.stderr, \
        cp.stderr
    srv = start_server(pg, extra_args=["--capf-cert", pki["ca"]["cert"]])
    try:
        assert "is off" in srv.log_text()
        with pytest.raises(subprocess.CalledProcessError) as e:
            curl(srv, tmp_path, "cacerts")
        assert e.value.returncode == 7          # curl: could not connect
    finally:
        finish_server(srv)


# --------------------------------------------------------------------------
# the walk-through of docs/certificates.md, "Enrolling online (EST)"
# --------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_walkthrough_zeep_then_curl(est, server, pg, pki, unique, tmp_path):
    """An admin script (zeep) makes an Encrypted profile with By
    Authentication String, a phone on it, and starts its install with an
    authentication string; the phone (curl + openssl) enrolls over EST."""
    from test_zeep_compat import ZeepAxl, https_url
    from test_zeep_phones import xphone
    svc = ZeepAxl("14.0", server.user, server.password).service(https_url(server))
    prof = unique + "-est-walk"
    svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": prof,
        "deviceSecurityMode": "Encrypted", "authenticationMode": "By Authentication String",
        "keyOrder": "EC Only", "ecKeySize": "256"})
    name = sep_name()
    svc.addPhone(phone=xphone(name, securityProfileName=prof))
    svc.updatePhone(name=name, certificateOperation="Install/Upgrade", authenticationString="8642")
    tags = {"certificateOperation": "", "certificateStatus": "", "securityProfileName": ""}
    p = svc.getPhone(name=name, returnedTags=tags)["return"]["phone"]
    assert (p.certificateOperation, p.certificateStatus, p.securityProfileName["_value_1"]) == \
        ("Install/Upgrade", "Operation Pending", prof)

    # The phone: its key and request, then simpleenroll with its name and string.
    key = str(tmp_path / (name + ".key"))
    req = str(tmp_path / (name + ".b64"))
    run("sh", "-c", "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-keyout %s -subj /CN=%s -outform DER | openssl base64 > %s" % (key, name, req))
    a = curl(est, tmp_path, "simpleenroll", data=req, user=(name, "8642"))
    assert a.status == 200, a.body
    lsc, _ = certs_of(tmp_path, a, name + ".crt")
    verify(pki, lsc)
    assert subject_cn(lsc) == name

    p = svc.getPhone(name=name, returnedTags=tags)["return"]["phone"]
    assert (p.certificateOperation, p.certificateStatus) == ("No Pending Operation", "Upgrade Success")
    assert lsc_serial(pg, name) == serial_of(lsc)
    assert audit_actors(pg, name)[-1] == "capf:" + name

    # At once, the phone registers over TLS with the key and the new LSC.
    register_tls(est, pg, name, lsc, key)


def register_tls(srv, pg, name, cert_path, key_path):
    """A REGISTER over SIP TLS presenting the certificate: 200, and the
    binding records transport tls and the LSC's serial."""
    from tlsphone import TlsPhone

    class Presented:
        pass
    presented = Presented()
    presented.cert_path, presented.key_path = cert_path, key_path
    ph = TlsPhone(srv.sip_tls_port, name, cert=presented)
    try:
        r = ph.register()
        assert r.status == 200, r.raw
    finally:
        ph.close()
    rows = pg.sql("SELECT r.transport, r.cert_kind, r.cert_serial FROM sip_registration r"
                  " JOIN phone p ON p.pkid = r.phone_id WHERE p.name = :'v1'"
                  " AND r.expires_at > now()", name)
    assert rows == [["tls", "LSC", serial_of(cert_path)]], rows


def test_slow_request_holds_no_worker_past_request_timeout(pg, pki):
    """A client that sends half a request and stalls is cut off after
    request_timeout, not idle_timeout."""
    import socket
    import ssl
    srv = start_server(pg, extra_args=est_args(pki, "--request-timeout", "2",
                                               "--idle-timeout", "30"))
    try:
        ctx = ssl.create_default_context(cafile=srv.cert)
        with socket.create_connection(("127.0.0.1", srv.capf_port), timeout=20) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: 1000\r\n\r\nMIIB")
                start = time.monotonic()
                try:
                    while s.recv(4096):
                        pass
                except (ssl.SSLError, ConnectionError):
                    pass
                assert time.monotonic() - start < 10
    finally:
        finish_server(srv)
