"""The request path's order and its one error writer (request.c, http.c):
the HTTP head is judged and the caller authenticated before any of the
body is read, and a refused request gets that one answer and nothing
else; a request without an HTTP head is never served; every HTTP error is
the same Cisco-style page, with Retry-After on each 503 and one text per
cause.
"""

import socket
import ssl

import pytest

from conftest import Axl, envelope, finish_server, start_server
from test_hostile import (PREDEFINED, add_body, assert_serving, connect, exchange, quick,
                          read_response, request_head)
from test_resilience import StoppablePostgres

GET_STD = "<name>%s</name>" % PREDEFINED


def error_page(r, status):
    assert r.status == status, r
    assert r.header("Content-Type") == "text/html;charset=utf-8", r.headers
    assert r.text.startswith("<!-- custom Cisco error page -->"), r.text
    assert "HTTP Status %d" % status in r.text, r.text


def test_bare_xml_without_an_http_head_is_not_served(server):
    # gSOAP's parser takes bare XML (no request line, no headers, so no
    # credentials) as a request too: it must get nothing, not a profile.
    body = envelope("getPhoneSecurityProfile", GET_STD).encode()
    r = exchange(server.port, [b"\r\n\r\n" + body], timeout=5)
    assert r.status is None and r.data == b"", r
    assert r.closed, r
    assert_serving(server)


def read_all(s, timeout=5):
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    except (socket.timeout, ConnectionResetError):
        return data


@pytest.mark.parametrize("path,content", [
    ("/metrics", b"axlprov_"),
    ("/axl/status/apply/none", b"{"),
    ("/axl/", b"AXL Web Service"),
    ("/other", b"AXL Web Service"),
])
def test_a_refused_get_gets_one_answer_and_nothing_else(server, path, content):
    # gSOAP calls its GET hook after the head whatever happened before: a
    # refusal must not be followed by the resource on the same connection.
    s = connect(server.port)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
        data = read_all(s)
    finally:
        s.close()
    assert data.count(b"HTTP/1.1 ") == 1, data
    assert data.startswith(b"HTTP/1.1 401 " if path != "/other" else b"HTTP/1.1 404 "), data
    assert content not in data, data


def tls_connect(srv):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.tls_port), timeout=10))


def test_401_comes_from_the_head_alone(server, unique):
    # Credentials are checked once the head is read, before the body: a
    # client that sends only the head still gets its 401 at once.  (Over
    # TLS: on the plain port the I/O thread holds a request until its body
    # is there, whatever it is.)
    wrong = type("S", (), {"user": server.user, "password": server.password + "x"})
    body = add_body(unique)
    s = tls_connect(server)
    try:
        s.sendall(request_head(wrong, len(body)))
        r = read_response(s, timeout=5)
    finally:
        s.close()
    assert r.status == 401, r
    assert r.elapsed < quick(2.0), r
    assert r.headers.get("www-authenticate") == 'Basic realm="Cisco AXL API"'
    assert r.headers.get("connection", "").lower() == "close"


def test_the_body_is_read_only_after_the_head_passed(server, unique):
    # Right credentials, head first: the request waits for its body and is
    # then served on the same connection.
    body = add_body(unique)
    s = tls_connect(server)
    try:
        s.sendall(request_head(server, len(body)))
        s.settimeout(0.5)
        with pytest.raises(socket.timeout):
            s.recv(1)
        s.settimeout(10)
        s.sendall(body)
        r = read_response(s, timeout=10)
    finally:
        s.close()
    assert r.status == 200, r


def test_413_names_the_limit(pg, unique):
    srv = start_server(pg, ["--max-body", "65536"])
    try:
        body = add_body(unique, description="x" * (100 * 1024))
        s = connect(srv.port)
        try:
            s.sendall(request_head(srv, len(body)))
            r = read_response(s, timeout=5)
        finally:
            s.close()
        assert r.status == 413, r
        assert "The request is too large to process: the limit is 65536 bytes." in r.text
    finally:
        finish_server(srv)


@pytest.fixture(scope="module")
def stoppable_pg():
    p = StoppablePostgres()
    yield p
    p.stop()


def test_503s_while_the_database_is_down(stoppable_pg):
    pg = stoppable_pg
    srv = start_server(pg, ["--workers", "1"])
    try:
        axl = Axl(srv)
        assert axl.raw("GET").status == 200          # the login is cached now
        pg.pause()
        try:
            # A cached login still reaches the apply status: its 503 is the
            # same page as every HTTP error, and the connection stays open.
            conn = axl.connect(timeout=20)
            r = axl.raw("GET", "/axl/status/apply/x", conn=conn)
            error_page(r, 503)
            assert "The database is not reachable; try again later." in r.text
            assert r.header("Retry-After") == "5"
            assert (r.header("Connection") or "").lower() != "close"
            assert axl.raw("GET", conn=conn).status == 200
            conn.close()
            # Credentials that are not cached cannot be checked.
            r = axl.raw("GET", headers={"Authorization": axl.auth_header(password="other")},
                        auth=False)
            error_page(r, 503)
            assert "The user database is not reachable; try again later." in r.text
            assert r.header("Retry-After") == "5"
            assert r.header("Connection").lower() == "close"
        finally:
            pg.resume()
        assert axl.raw("GET").status == 200
    finally:
        finish_server(srv)



def test_a_busy_keep_alive_client_gives_its_worker_up_to_a_waiting_one(pg):
    # One worker, and client A (wrk, one connection) sending its next
    # request as soon as each answer arrives: the worker finds A's request
    # there every time it lingers for it (server.c, next_request_soon).
    # Client B's request, queued meanwhile with no idle worker, must make it
    # give A up and be answered at once, not at A's next pause.
    import subprocess
    import time

    srv = start_server(pg, ["--workers", "1"])
    try:
        axl = Axl(srv)
        assert axl.raw("GET").status == 200          # the login is cached now
        a = subprocess.Popen(["wrk", "-t1", "-c1", "-d4s", "-H", "Authorization: " + axl.auth_header(),
                              "http://127.0.0.1:%d/axl/" % srv.port],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1.0)
            waits = []
            for _ in range(5):
                t0 = time.monotonic()
                assert axl.raw("GET").status == 200
                waits.append(time.monotonic() - t0)
                time.sleep(0.1)
            out, _ = a.communicate(timeout=30)
        finally:
            a.kill()
        assert a.returncode == 0, out
        assert "Non-2xx" not in out, out
        assert sorted(waits)[2] < 0.05, "B waited %s s for the worker A held" % waits
    finally:
        finish_server(srv)
