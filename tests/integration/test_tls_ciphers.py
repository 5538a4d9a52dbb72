"""TLS cipher groups (tls_ciphers) and reloading the TLS material on SIGHUP.

Each group of CUCM's "TLS Ciphers" parameter must accept exactly the TLS 1.2
suites the admin guide lists for it, pick them in the guide's order whatever
order the client offers them in, and keep TLS 1.3 to AES-GCM (AES-256 only
for the strongest groups).  openssl s_client is the client: it can offer
exactly one suite, or any list in any order.

SIGHUP reads the certificate, key and group again: new handshakes get the new
ones, connections already open keep working, and a reload that fails keeps
what was served before.
"""

import base64
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import (BINARY, SANITIZED, SANITIZER_PATTERNS, envelope, finish_server, free_port,
                      start_server, wait_for_port)

SLOW = 3 if SANITIZED else 1
PREDEFINED = "Cisco 8845 - Standard SIP Non-Secure Profile"
GET_BODY = envelope("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED).encode()

# The guide's suites per group, in its order (OpenSSL names).
R256, E256 = "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"
R128, E128 = "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"
CBC = "AES128-SHA"
GROUPS = {
    "strongest-rsa": [R256],
    "strongest-ecdsa": [E256, R256],
    "medium-rsa": [R256, E256, R128, E128],
    "medium-ecdsa": [E256, R256, E128, R128],
    "all-rsa": [R256, E256, R128, E128, CBC],
    "all-ecdsa": [E256, R256, E128, R128],
}
T13_256, T13_128, T13_CHACHA = "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", \
    "TLS_CHACHA20_POLY1305_SHA256"
TLS13 = {g: ([T13_256] if g.startswith("strongest") else [T13_256, T13_128]) for g in GROUPS}
# Suites no group has, each for a reason: no forward secrecy, CBC, SHA-2 CBC,
# ChaCha20, finite-field DH, or simply not in the guide.
NEVER = ["AES256-SHA256", "AES256-GCM-SHA384", "AES128-GCM-SHA256", "AES256-SHA",
         "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305",
         "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
         "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256"]
EVERY = [R256, E256, R128, E128, CBC]


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def make_cert(path, kind="rsa", cn="localhost"):
    """A self-signed certificate and its key in one PEM file."""
    key = ["-newkey", "rsa:2048"] if kind == "rsa" else \
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    subprocess.run(["openssl", "req", "-x509", *key, "-nodes", "-days", "2", "-subj", "/CN=%s" % cn,
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", path, "-out", path], check=True, capture_output=True)
    return path


def cert_der(path):
    with open(path) as f:
        pem = f.read()
    return ssl.PEM_cert_to_DER_cert(pem[pem.index("-----BEGIN CERTIFICATE-----"):])


def s_client(port, *args):
    """One handshake with openssl s_client; (negotiated suite or None,
    protocol or None, stderr)."""
    res = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-brief",
                          *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=20)
    suite = re.search(r"^Ciphersuite: (\S+)", res.stderr, re.M)
    proto = re.search(r"^Protocol version: (\S+)", res.stderr, re.M)
    if res.returncode != 0 or suite is None:
        return None, None, res.stderr
    return suite.group(1), proto.group(1), res.stderr


def tls12(port, ciphers):
    """The TLS 1.2 suite the server picks from the client's list, or None."""
    return s_client(port, "-tls1_2", "-cipher", ":".join(ciphers))[0]


def tls13(port, suites):
    return s_client(port, "-tls1_3", "-ciphersuites", ":".join(suites))[0]


def no_verify():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def https(srv):
    return http.client.HTTPSConnection("127.0.0.1", srv.tls_port, timeout=20 * SLOW,
                                       context=no_verify())


def get(srv, conn):
    auth = base64.b64encode(("%s:%s" % (srv.user, srv.password)).encode()).decode()
    conn.request("POST", "/axl/", body=GET_BODY, headers={
        "Content-Type": "text/xml; charset=utf-8", "Authorization": "Basic " + auth,
        "SOAPAction": '"CUCM:DB ver=14.0 getPhoneSecurityProfile"'})
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200, body
    assert PREDEFINED.encode() in body
    return conn.sock.getpeercert(binary_form=True)


def served_cert(srv):
    """The DER certificate a new connection is given."""
    with socket.create_connection(("127.0.0.1", srv.tls_port), timeout=10) as raw:
        with no_verify().wrap_socket(raw) as s:
            return s.getpeercert(binary_form=True)


def reload_and_wait(srv, what):
    """SIGHUP, then wait for the log line of its outcome: `what` is
    "TLS reloaded" or "TLS reload failed"; returns that line."""
    pattern = re.compile(r"^.*TLS reload(ed|\s+failed).*$", re.M)
    before = len(pattern.findall(srv.log_text()))
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10 * SLOW
    while time.time() < deadline:
        lines = [m.group(0) for m in pattern.finditer(srv.log_text())]
        if len(lines) > before:
            assert what in lines[before], lines[before]
            return lines[before]
        time.sleep(0.02)
    raise AssertionError("no reload outcome logged after SIGHUP")


def replace_file(path, content_from):
    """Swaps a file's content the way deployment tools do (write + rename)."""
    tmp = path + ".new"
    with open(content_from, "rb") as src, open(tmp, "wb") as dst:
        dst.write(src.read())
    os.replace(tmp, path)


@pytest.fixture(scope="module")
def ec_cert():
    d = tempfile.mkdtemp(prefix="axlprov-ec-")
    yield make_cert(os.path.join(d, "ec.pem"), "ec", "ecdsa.localhost")
    shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# The six groups, each server with both an RSA and an ECDSA certificate so
# that every suite of the group can be served.
# --------------------------------------------------------------------------

@pytest.fixture(scope="module", params=list(GROUPS))
def group_server(request, pg, ec_cert):
    srv = start_server(pg, ["--tls-ciphers", request.param, "--tls-cert-ecdsa", ec_cert])
    yield request.param, srv
    finish_server(srv)


def test_group_accepts_each_of_its_suites(group_server):
    group, srv = group_server
    for suite in GROUPS[group]:
        assert tls12(srv.tls_port, [suite]) == suite, "%s refused %s" % (group, suite)


def test_group_refuses_every_other_suite(group_server):
    group, srv = group_server
    for suite in [s for s in EVERY if s not in GROUPS[group]] + NEVER:
        got, _, err = s_client(srv.tls_port, "-tls1_2", "-cipher", suite)
        assert got is None, "%s accepted %s" % (group, suite)
        assert "handshake failure" in err or "no cipher" in err or "alert" in err, err


def test_group_server_order_wins(group_server):
    # The client offers the suites in the reverse of the guide's order (and
    # every other suite there is, first): the server still picks by its own
    # order, and the next one when the client lacks its favourite.
    group, srv = group_server
    order = GROUPS[group]
    for i in range(len(order)):
        offered = NEVER + [s for s in EVERY if s not in order] + list(reversed(order[i:]))
        assert tls12(srv.tls_port, offered) == order[i], (group, offered)


def test_group_tls13_suites(group_server):
    group, srv = group_server
    for suite in (T13_256, T13_128, T13_CHACHA):
        got = tls13(srv.tls_port, [suite])
        assert got == (suite if suite in TLS13[group] else None), (group, suite, got)
    # Server order in TLS 1.3 too: AES-256 first.
    assert tls13(srv.tls_port, [T13_CHACHA, T13_128, T13_256]) == T13_256


def test_group_serves_axl_over_both_versions(group_server):
    # A real client (Python's ssl, its default suites) gets AXL answers.
    group, srv = group_server
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = no_verify()
        ctx.minimum_version = ctx.maximum_version = version
        c = http.client.HTTPSConnection("127.0.0.1", srv.tls_port, timeout=20, context=ctx)
        try:
            get(srv, c)
            assert c.sock.version() == version.name.replace("v1_", "v1.")
        finally:
            c.close()


def test_ecdsa_suites_get_the_ecdsa_certificate(group_server, ec_cert):
    group, srv = group_server
    for suite in GROUPS[group]:
        _, _, err = s_client(srv.tls_port, "-tls1_2", "-cipher", suite)
        peer = re.search(r"^Peer certificate: (.*)$", err, re.M).group(1)
        want = "ecdsa.localhost" if "ECDSA" in suite else "CN = localhost"
        assert want in peer, (suite, peer)


def test_old_protocols_refused(group_server):
    group, srv = group_server
    for flag in ("-tls1", "-tls1_1"):
        got, _, _ = s_client(srv.tls_port, flag, "-cipher", "DEFAULT:@SECLEVEL=0")
        assert got is None, "%s accepted %s" % (group, flag)


# --------------------------------------------------------------------------
# Which certificates a group can be served with
# --------------------------------------------------------------------------

def test_default_group_is_all_rsa(server):
    # The default keeps every client that worked before: the guide's
    # All Ciphers RSA Preferred.
    assert "tls_ciphers=all-rsa" in server.log_text()
    assert tls12(server.tls_port, EVERY + NEVER) == R256
    assert tls12(server.tls_port, [CBC]) == CBC
    assert tls12(server.tls_port, [E256]) is None   # no ECDSA certificate


def test_ecdsa_group_with_only_an_rsa_certificate(pg):
    # Allowed (every group has RSA suites): the RSA suites are served, the
    # ECDSA ones cannot be, and the log says so.
    srv = start_server(pg, ["--tls-ciphers", "strongest-ecdsa"])
    try:
        assert re.search(r"tls_ciphers=strongest-ecdsa \(1 of 2 TLS 1.2 suites servable",
                         srv.log_text())
        assert tls12(srv.tls_port, [E256, R256]) == R256
        assert tls12(srv.tls_port, [E256]) is None
        assert tls12(srv.tls_port, [R128]) is None
    finally:
        finish_server(srv)


def run_refused(pg, *args):
    """axlprovd serve with these settings must refuse to start: (exit code,
    stderr)."""
    env = dict(os.environ, AXLPROV_DATABASE_URL=pg.url)
    env.pop("AXLPROV_CONFIG", None)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
    res = subprocess.run([BINARY, "--listen", "127.0.0.1:%d" % free_port(), "--sip-listen", "",
                          *args], env=env, capture_output=True, text=True, timeout=30 * SLOW)
    return res.returncode, res.stderr


def test_rsa_group_with_only_an_ecdsa_certificate_refused(pg, ec_cert):
    rc, err = run_refused(pg, "--tls-cert", ec_cert, "--tls-ciphers", "strongest-rsa")
    assert rc == 1, err
    assert "tls_ciphers strongest-rsa has no TLS 1.2 suite for the ECDSA certificate" in err
    assert "Sanitizer" not in err, err


def test_ecdsa_only_certificate_serves_ecdsa_suites(pg, ec_cert):
    srv = start_server(pg, ["--tls-cert", ec_cert, "--tls-ciphers", "medium-ecdsa"])
    try:
        assert tls12(srv.tls_port, EVERY) == E256
        assert tls12(srv.tls_port, [R256, R128]) is None
        assert served_cert(srv) == cert_der(ec_cert)
    finally:
        finish_server(srv)


def test_unknown_group_refused(pg):
    rc, err = run_refused(pg, "--tls-ciphers", "strongest")
    assert rc == 2, err
    assert "tls_ciphers must be one of strongest-rsa,strongest-ecdsa,medium-rsa,medium-ecdsa," \
           "all-rsa,all-ecdsa; not strongest" in err


def test_bad_certificate_settings_refused(pg, ec_cert, tmp_path):
    rsa = make_cert(str(tmp_path / "rsa.pem"))
    other = make_cert(str(tmp_path / "other.pem"))
    ed = str(tmp_path / "ed25519.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "2",
                    "-subj", "/CN=ed", "-keyout", ed, "-out", ed], check=True, capture_output=True)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    cases = [
        (["--tls-cert", str(garbage)], "cannot load the TLS certificate %s (tls_cert)" % garbage),
        (["--tls-cert", str(tmp_path / "missing.pem")], "cannot load the TLS certificate"),
        (["--tls-cert", rsa, "--tls-key", other], "cannot load the private key %s" % other),
        (["--tls-cert", rsa, "--tls-cert-ecdsa", other], "is not an ECDSA certificate"),
        (["--tls-cert", ec_cert, "--tls-cert-ecdsa", ec_cert], "already an ECDSA certificate"),
        (["--tls-cert", ""], "listen is set but tls_cert is not"),
        (["--tls-cert", ed], "has neither an RSA nor an EC key"),
    ]
    for args, want in cases:
        rc, err = run_refused(pg, *args)
        assert rc == 1, (args, err)
        assert want in err, (args, err)
        assert "Sanitizer" not in err, err


# --------------------------------------------------------------------------
# SIGHUP
# --------------------------------------------------------------------------

@pytest.fixture
def reload_server(pg, tmp_path):
    """A server whose certificate file and config file the test may rewrite."""
    os.chmod(tmp_path, 0o755)
    cert = make_cert(str(tmp_path / "live.pem"), cn="before.localhost")
    conf = tmp_path / "axlprovd.conf"
    conf.write_text("tls_ciphers = all-rsa\n")
    srv = start_server(pg, ["--tls-cert", cert, "--config", str(conf), "--idle-timeout", "60"])
    srv.live_cert, srv.conf = cert, conf
    yield srv
    finish_server(srv)


def test_sighup_new_certificate_for_new_connections_only(reload_server, tmp_path):
    srv = reload_server
    old = cert_der(srv.live_cert)
    keep = https(srv)
    try:
        assert get(srv, keep) == old
        local = keep.sock.getsockname()
        new = make_cert(str(tmp_path / "next.pem"), cn="after.localhost")
        replace_file(srv.live_cert, new)
        line = reload_and_wait(srv, "TLS reloaded")
        assert "tls_ciphers=all-rsa" in line
        # New handshakes get the new certificate ...
        assert served_cert(srv) == cert_der(new) != old
        # ... while the open keep-alive connection goes on, on the same
        # socket and TLS session, with the certificate it started with.
        for _ in range(3):
            assert get(srv, keep) == old
        assert keep.sock.getsockname() == local
    finally:
        keep.close()


def test_sighup_bad_certificate_keeps_the_old_one(reload_server, tmp_path):
    srv = reload_server
    old = cert_der(srv.live_cert)
    keep = https(srv)
    try:
        get(srv, keep)
        bad = tmp_path / "bad.pem"
        bad.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        replace_file(srv.live_cert, str(bad))
        line = reload_and_wait(srv, "TLS reload failed")
        assert "still serving the previous certificate" in line
        assert "cannot load the TLS certificate %s" % srv.live_cert in line
        assert served_cert(srv) == old
        assert get(srv, keep) == old
        assert get(srv, https(srv)) == old
        # A key that does not match the certificate fails the same way.
        other = make_cert(str(tmp_path / "other.pem"), cn="other.localhost")
        with open(srv.live_cert, "wb") as f, open(other, "rb") as o:
            pem = o.read().decode()
            f.write(pem[pem.index("-----BEGIN CERTIFICATE-----"):].encode())
            with open(make_cert(str(tmp_path / "k.pem")), "rb") as k:
                key = k.read().decode()
                f.write(key[:key.index("-----BEGIN CERTIFICATE-----")].encode())
        reload_and_wait(srv, "TLS reload failed")
        assert served_cert(srv) == old
        # Fixing the file and reloading again takes the new one.
        replace_file(srv.live_cert, other)
        reload_and_wait(srv, "TLS reloaded")
        assert served_cert(srv) == cert_der(other)
    finally:
        keep.close()


def test_sighup_rereads_the_cipher_group(reload_server):
    srv = reload_server
    assert tls12(srv.tls_port, [CBC]) == CBC
    srv.conf.write_text("tls_ciphers = strongest-rsa\n")
    assert "tls_ciphers=strongest-rsa" in reload_and_wait(srv, "TLS reloaded")
    assert tls12(srv.tls_port, [CBC]) is None
    assert tls12(srv.tls_port, [R128]) is None
    assert tls12(srv.tls_port, [R256]) == R256
    assert tls13(srv.tls_port, [T13_128]) is None
    # A config file that no longer loads: nothing changes.
    srv.conf.write_text("tls_ciphers = weakest\n")
    line = reload_and_wait(srv, "TLS reload failed")
    assert "tls_ciphers must be one of" in line
    assert tls12(srv.tls_port, [R256]) == R256
    assert tls12(srv.tls_port, [CBC]) is None
    srv.conf.write_text("tls_ciphers = all-rsa\n")
    reload_and_wait(srv, "TLS reloaded")
    assert tls12(srv.tls_port, [CBC]) == CBC


def test_sighup_under_load_drops_nothing(reload_server, tmp_path):
    # Clients keep calling, over kept-alive and over new connections, while
    # the server reloads again and again: every request is answered.
    srv = reload_server
    certs = [make_cert(str(tmp_path / ("c%d.pem" % i)), cn="c%d.localhost" % i) for i in range(2)]
    stop = threading.Event()
    errors, counts = [], [0, 0]

    def client(i, keepalive):
        conn = https(srv)
        try:
            while not stop.is_set():
                try:
                    get(srv, conn)
                    counts[i] += 1
                except Exception as e:   # noqa: BLE001 - any failure counts
                    errors.append(repr(e))
                    return
                if not keepalive:
                    conn.close()
                    conn = https(srv)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(0, True)),
               threading.Thread(target=client, args=(1, False))]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            replace_file(srv.live_cert, certs[i % 2])
            reload_and_wait(srv, "TLS reloaded")
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert errors == []
    assert counts[0] > 0 and counts[1] > 0, counts
    assert served_cert(srv) == cert_der(certs[1])


def test_sighup_without_tls_listener(pg, tmp_path):
    # Plain HTTP only: SIGHUP says there is nothing to reload, and the
    # server goes on.
    port = free_port()
    env = dict(os.environ, AXLPROV_DATABASE_URL=pg.url)
    env.pop("AXLPROV_CONFIG", None)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
    log = tmp_path / "axlprovd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([BINARY, "--listen", "", "--plain-listen", "127.0.0.1:%d" % port,
                                 "--sip-listen", "", "--workers", "2"],
                                env=env, stdout=out, stderr=out)
    try:
        wait_for_port(port, proc)
        proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10 * SLOW
        while "nothing to reload" not in log.read_text() and time.time() < deadline:
            time.sleep(0.02)
        assert "SIGHUP: no TLS listener, nothing to reload" in log.read_text()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("GET", "/axl/")
        assert c.getresponse().status == 401    # alive, and asking who we are
        c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(30)
    text = log.read_text()
    assert rc == 0, text
    assert not SANITIZER_PATTERNS.search(text), text
