"""TLS: protocol versions, keep-alive, HSTS, and clients that misbehave at
the TLS layer.

axlprovd's HTTPS listener must speak TLS 1.2 and 1.3 and nothing older, keep
one TLS connection open for a run of requests, send HSTS only over TLS, and
not let a client that sends plain HTTP to the TLS port, or one that never
finishes (or never starts) its handshake, hold up anyone else.
"""

import base64
import contextlib
import http.client
import socket
import ssl
import subprocess
import time

import pytest

from conftest import SANITIZED, envelope, finish_server, free_port, start_server, wait_for_port

PREDEFINED = "Cisco 8845 - Standard SIP Non-Secure Profile"
# Sanitizer builds run several times slower: time limits stretch with them.
SLOW = 3 if SANITIZED else 1
GET_BODY = envelope("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED).encode()


def client_context(srv, version=None):
    """A verifying client context (the test cert names 127.0.0.1), pinned to
    one protocol version if given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(srv.cert)
    if version is not None:
        ctx.minimum_version = version
        ctx.maximum_version = version
    return ctx


def headers(srv):
    auth = base64.b64encode(("%s:%s" % (srv.user, srv.password)).encode()).decode()
    return {"Content-Type": "text/xml; charset=utf-8", "Authorization": "Basic " + auth,
            "SOAPAction": '"CUCM:DB ver=14.0 getPhoneSecurityProfile"'}


def tls_get(srv, ctx=None, conn=None, timeout=10):
    """One getPhoneSecurityProfile over HTTPS; returns (response, body, conn)."""
    c = conn or http.client.HTTPSConnection("127.0.0.1", srv.tls_port, timeout=timeout,
                                            context=ctx or client_context(srv))
    c.request("POST", "/axl/", body=GET_BODY, headers=headers(srv))
    r = c.getresponse()
    return r, r.read(), c


def assert_tls_serving(srv, within=2.0):
    t0 = time.time()
    r, body, c = tls_get(srv)
    c.close()
    assert r.status == 200, body
    assert PREDEFINED.encode() in body
    assert time.time() - t0 < within * SLOW, "served after %.1fs" % (time.time() - t0)


# --------------------------------------------------------------------------
# Protocol versions
# --------------------------------------------------------------------------

@pytest.mark.parametrize("version,name", [
    (ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
    (ssl.TLSVersion.TLSv1_3, "TLSv1.3"),
])
def test_supported_versions(server, version, name):
    r, body, c = tls_get(server, client_context(server, version))
    try:
        assert c.sock.version() == name
        assert r.status == 200, body
        assert PREDEFINED.encode() in body
    finally:
        c.close()


def openssl_client(port, flag, timeout=10):
    """openssl s_client with one old protocol forced (and the security level
    lowered, since OpenSSL 3 otherwise refuses TLS < 1.2 by itself)."""
    return subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, flag,
         "-cipher", "DEFAULT:@SECLEVEL=0"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def legacy_tls_server(flag, cert):
    """A local openssl s_server that speaks only the old protocol: the
    control showing that this machine's client side can offer it at all."""
    port = free_port()
    proc = subprocess.Popen(
        ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", cert, "-key", cert,
         flag, "-cipher", "DEFAULT:@SECLEVEL=0", "-quiet"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, timeout=10)
        yield port
    finally:
        proc.kill()
        proc.wait()


OLD = [("-tls1_1", ssl.TLSVersion.TLSv1_1, "TLSv1.1"), ("-tls1", ssl.TLSVersion.TLSv1, "TLSv1")]


@pytest.mark.parametrize("flag,version,name", OLD, ids=[o[2] for o in OLD])
def test_old_versions_refused(server, flag, version, name):
    with legacy_tls_server(flag, server.cert) as port:
        control = openssl_client(port, flag)
    if control.returncode != 0:
        pytest.skip("the local OpenSSL cannot offer %s even to itself" % name)
    res = openssl_client(server.tls_port, flag)
    assert res.returncode != 0, "axlprovd accepted %s:\n%s" % (name, res.stdout[-2000:])
    # s_client prints the offered protocol even on failure; the cipher
    # line tells whether a session was made.
    assert "Cipher is (NONE)" in res.stdout, res.stdout[-2000:]
    assert_tls_serving(server)


def old_version_context(version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = version
    ctx.maximum_version = version
    return ctx


def handshake(port, ctx):
    """The negotiated version, or raises on a failed handshake."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as s:
            return s.version()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
@pytest.mark.parametrize("flag,version,name", OLD, ids=[o[2] for o in OLD])
def test_old_versions_refused_python(server, flag, version, name):
    # The same through Python's ssl, with the same control first.
    try:
        ctx = old_version_context(version)
        with legacy_tls_server(flag, server.cert) as port:
            assert handshake(port, ctx) == name
    except (ValueError, ssl.SSLError, OSError, AssertionError) as e:
        pytest.skip("Python's ssl cannot offer %s here: %s" % (name, e))
    with pytest.raises((ssl.SSLError, ConnectionResetError, ConnectionAbortedError)):
        got = handshake(server.tls_port, ctx)
        pytest.fail("handshake succeeded with %s" % got)
    assert_tls_serving(server)


# --------------------------------------------------------------------------
# Keep-alive and headers
# --------------------------------------------------------------------------

def test_keep_alive_reuses_one_connection(server):
    c = http.client.HTTPSConnection("127.0.0.1", server.tls_port, timeout=10,
                                    context=client_context(server))
    try:
        seen = set()
        for _ in range(5):
            r, body, _ = tls_get(server, conn=c)
            assert r.status == 200, body
            assert (r.getheader("Connection") or "").lower() != "close"
            # Same TCP connection (local port) and the same TLS session object.
            seen.add((c.sock.getsockname()[1], id(c.sock)))
        assert len(seen) == 1, seen
    finally:
        c.close()


def test_keep_alive_after_pause(server):
    # A short pause (well under idle_timeout) does not lose the connection.
    c = http.client.HTTPSConnection("127.0.0.1", server.tls_port, timeout=10,
                                    context=client_context(server))
    try:
        tls_get(server, conn=c)
        port = c.sock.getsockname()[1]
        time.sleep(1.5)
        r, body, _ = tls_get(server, conn=c)
        assert r.status == 200, body
        assert c.sock.getsockname()[1] == port
    finally:
        c.close()


def test_hsts_over_tls_only(server, axl, axl_tls):
    for resp in (axl_tls.raw(body=GET_BODY, headers={"SOAPAction": headers(server)["SOAPAction"]}),
                 axl_tls.raw("GET")):
        hsts = resp.header("Strict-Transport-Security")
        assert hsts is not None and "max-age=" in hsts, resp.headers
        assert int(hsts.split("max-age=")[1].split(";")[0]) > 0
    for resp in (axl.raw(body=GET_BODY), axl.raw("GET")):
        assert resp.header("Strict-Transport-Security") is None, resp.headers


def test_hsts_on_error_pages(server, axl_tls):
    # Error pages over TLS carry it too (a browser sees those first).
    r = axl_tls.raw(body=GET_BODY, auth=False)
    assert r.status == 401
    assert r.header("Strict-Transport-Security") is not None, r.headers


# --------------------------------------------------------------------------
# Clients that misbehave at the TLS layer
# --------------------------------------------------------------------------

def read_until_closed(s, limit):
    """(bytes received, whether the server closed) within limit seconds."""
    data = b""
    deadline = time.time() + limit
    try:
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            chunk = s.recv(4096)
            if not chunk:
                return data, True
            data += chunk
    except (ConnectionResetError, ConnectionAbortedError):
        return data, True
    except socket.timeout:
        pass
    return data, False


def test_plain_http_to_tls_port(server):
    # An HTTP request where a ClientHello should be: the server gives up on
    # it promptly and keeps serving.
    s = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
    try:
        s.sendall(b"POST /axl/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n"
                  % len(GET_BODY) + GET_BODY)
        # While that connection is open, others are served.
        assert_tls_serving(server)
        data, closed = read_until_closed(s, 5 * SLOW)
        assert closed, "the plain-HTTP client was kept open"
        assert b"<soapenv:Envelope" not in data   # certainly not served in the clear
    finally:
        s.close()
    assert_tls_serving(server)


def test_garbage_handshake(server):
    s = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
    try:
        s.sendall(b"\x16\x03\x01\xff\xff" + b"\x00" * 200)
        _, closed = read_until_closed(s, 5 * SLOW)
        assert closed, "a garbage handshake was kept open"
    finally:
        s.close()
    assert_tls_serving(server)


def test_silent_clients_do_not_block(server):
    # More silent TCP connections than workers (8): none of them has begun a
    # handshake, and a real client is still served at once.
    socks = [socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
             for _ in range(30)]
    try:
        time.sleep(0.3)
        assert_tls_serving(server, within=2.0)
    finally:
        for s in socks:
            s.close()


def client_hello_start():
    """The first bytes of a real ClientHello (made by Python's ssl)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    assert hello[:1] == b"\x16"
    return hello[:len(hello) // 2]


def test_stalled_handshake_does_not_block(server):
    # One client sends half a ClientHello and stops: others are served at once.
    s = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
    try:
        s.sendall(client_hello_start())
        time.sleep(0.3)
        assert_tls_serving(server, within=2.0)
    finally:
        s.close()


def test_many_stalled_handshakes_bounded(pg):
    # Twice as many half-handshakes as workers, against a server with 2 s
    # timeouts: they are dropped within the timeouts, and a real client
    # waits no longer than that.
    srv = start_server(pg, ["--request-timeout", "2", "--idle-timeout", "2"])
    socks = []
    try:
        assert_tls_serving(srv, within=10)   # warm the login cache first
        hello = client_hello_start()
        for _ in range(16):
            s = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=10)
            s.sendall(hello)
            socks.append(s)
        time.sleep(0.2)
        assert_tls_serving(srv, within=6.0)
        # The stalled ones were closed by the server.
        deadline = time.time() + 6 * SLOW
        for s in socks:
            _, closed = read_until_closed(s, max(0.1, deadline - time.time()))
            assert closed, "a stalled handshake was still open after the timeouts"
        assert_tls_serving(srv)
    finally:
        for s in socks:
            s.close()
        finish_server(srv)
