"""Hostile input: what a careless or malicious client can send.

Each test sends something a well-behaved AXL client never would (entity
bombs, XXE, oversized or endless bodies, absurd nesting, stalled or idle
connections, bytes that are not XML or not UTF-8) over a raw socket, checks
that the answer is a clean refusal that arrives quickly, that nothing was
stored, and then that the same server still answers a normal request.
Every socket has a timeout, so a server that hangs fails the test instead
of hanging the run.
"""

import base64
import re
import socket
import threading
import time

import pytest
from lxml import etree

from conftest import (SANITIZED, Axl, add_profile, envelope, finish_server, profile_xml,
                      start_server)

PREDEFINED = "Cisco 8845 - Standard SIP Non-Secure Profile"
SOAPACTION = '"CUCM:DB ver=14.0 %s"'


def quick(seconds):
    """A time limit for the server's own work; sanitizer builds run several
    times slower, so they get more."""
    return seconds * (3 if SANITIZED else 1)


# --------------------------------------------------------------------------
# Raw HTTP helpers
# --------------------------------------------------------------------------

class RawResponse:
    """What came back on a raw socket: maybe a response, maybe nothing."""

    def __init__(self, data, elapsed, closed):
        self.data = data
        self.elapsed = elapsed
        self.closed = closed          # the server closed (or reset) the connection
        self.status = None
        self.headers = {}
        self.body = b""
        head, sep, body = data.partition(b"\r\n\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
        if sep and m:
            self.status = int(m.group(1))
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                self.headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
            self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "RawResponse(status=%r, closed=%r, elapsed=%.2f, data=%r)" % (
            self.status, self.closed, self.elapsed, self.data[:300])


def request_head(srv, length=None, extra=(), op="addPhoneSecurityProfile"):
    auth = base64.b64encode(("%s:%s" % (srv.user, srv.password)).encode())
    lines = [b"POST /axl/ HTTP/1.1", b"Host: 127.0.0.1",
             b"Content-Type: text/xml; charset=utf-8",
             b"SOAPAction: " + (SOAPACTION % op).encode(),
             b"Authorization: Basic " + auth]
    if length is not None:
        lines.append(b"Content-Length: %d" % length)
    lines.extend(extra)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def post_bytes(srv, body, op="addPhoneSecurityProfile"):
    """A complete POST /axl/ request with body as given (bytes)."""
    return request_head(srv, len(body), op=op) + body


def connect(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one send, one segment
    return s


def read_response(s, timeout=10.0, start=None):
    """Reads one HTTP response (by Content-Length) or until close/timeout."""
    start = time.time() if start is None else start
    deadline = start + timeout
    data = b""
    closed = False
    while time.time() < deadline:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if m and len(body) >= int(m.group(1)):
                break
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, ConnectionAbortedError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    return RawResponse(data, time.time() - start, closed)


def wait_closed(s, timeout):
    """True if the server closes (or resets) s within timeout seconds; any
    bytes still arriving are read and dropped."""
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            if not s.recv(65536):
                return True
    except (ConnectionResetError, ConnectionAbortedError):
        return True
    except socket.timeout:
        pass
    return False


def exchange(port, pieces, delay=0.0, timeout=10.0):
    """Sends pieces (with a pause after each) and reads the answer.  A server
    that answers early and closes may reset the rest of the send: that is
    fine, the answer is still read."""
    s = connect(port, timeout)
    start = time.time()
    try:
        for p in pieces:
            s.sendall(p)
            if delay:
                time.sleep(delay)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        return read_response(s, timeout, start)
    finally:
        s.close()


def assert_599(r, fragment=None):
    assert r.status == 599, r
    assert r.headers.get("content-type", "").startswith("text/html"), r
    assert "HTTP Status 599" in r.text, r
    if fragment is not None:
        assert fragment in r.text, r


def assert_well_formed(r):
    """A fault is only useful if the client can parse it: echoing the bad
    bytes back verbatim would make the fault itself malformed XML."""
    try:
        etree.fromstring(r.body)
    except etree.XMLSyntaxError as e:
        raise AssertionError("the fault is not well-formed XML (%s): %r" % (e, r.body[-300:]))


def assert_serving(srv):
    """The server still answers a normal request, on a new connection."""
    r = Axl(srv).call("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED)
    assert r.status == 200, r.text


def stored(pg, prefix):
    """Names stored in the database that start with prefix."""
    return [row[0] for row in pg.sql(
        "SELECT name FROM phone_security_profile WHERE starts_with(name, :'v1') ORDER BY name",
        prefix)]


def add_body(name, description=None, **extra):
    return envelope("addPhoneSecurityProfile",
                    profile_xml(phoneType="Cisco 8845", protocol="SIP", name=name,
                                description=description, **extra)).encode()


@pytest.fixture
def srv_small(pg):
    """A server with a 64 KB body limit."""
    srv = start_server(pg, ["--max-body", "65536"])
    yield srv
    finish_server(srv)


@pytest.fixture
def srv_fast_timeouts(pg):
    """A server that gives up on slow or idle clients after 2 seconds."""
    srv = start_server(pg, ["--request-timeout", "2", "--idle-timeout", "2"])
    assert_serving(srv)   # the first login (a slow password hash) is not what is timed
    yield srv
    finish_server(srv)


# --------------------------------------------------------------------------
# No (valid) credentials
# --------------------------------------------------------------------------

AUTH_VARIANTS = {
    "none": None,
    "wrong-password": ("admin", "not-the-password"),
    "unknown-user": ("nobody-%d" % 42, "x"),
    "empty": ("", ""),
}


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("auth", list(AUTH_VARIANTS))
@pytest.mark.parametrize("op", ["add", "update", "remove"])
def test_unauthenticated_request_changes_nothing(server, pg, unique, op, auth, tls):
    # The 401 must not be a mere message: the operation must not run.
    victim = unique + "-victim"
    add_profile(Axl(server), victim, description="original")
    inner = {
        "add": profile_xml(phoneType="Cisco 8845", protocol="SIP", name=unique + "-new"),
        "update": "<name>%s</name><description>changed</description>" % victim,
        "remove": "<name>%s</name>" % victim,
    }[op]
    opname = op + "PhoneSecurityProfile"
    headers = {"SOAPAction": SOAPACTION % opname}
    cred = AUTH_VARIANTS[auth]
    if cred is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % cred).encode()).decode()
    client = Axl(server, tls=tls)
    r = client.raw(body=envelope(opname, inner), headers=headers, auth=False)
    assert r.status == 401, r.text
    time.sleep(0.3)   # anything the server might still do after answering
    rows = pg.sql("SELECT name, description FROM phone_security_profile "
                  "WHERE starts_with(name, :'v1') ORDER BY name", unique)
    assert rows == [[victim, "original"]], "a request answered 401 changed the database"
    assert_serving(server)


@pytest.mark.parametrize("op,inner", [
    ("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED),
    ("listPhoneSecurityProfile", "<searchCriteria><name>Cisco 88%</name></searchCriteria>"
                                 "<returnedTags><name/></returnedTags>"),
], ids=["get", "list"])
def test_unauthenticated_read_gets_only_401(server, op, inner):
    # Everything the server writes on the connection, read until it closes:
    # the 401 page and nothing after it (no answer to the request itself).
    head = [b"POST /axl/ HTTP/1.1", b"Host: 127.0.0.1", b"Content-Type: text/xml; charset=utf-8",
            b"SOAPAction: " + (SOAPACTION % op).encode()]
    body = envelope(op, inner).encode()
    req = b"\r\n".join(head + [b"Content-Length: %d" % len(body)]) + b"\r\n\r\n" + body
    s = connect(server.port, timeout=5)
    data = b""
    try:
        s.sendall(req)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 401 "), data[:200]
    assert data.count(b"HTTP/1.1 ") == 1, "more than the 401 was sent:\n%r" % data[:3000]
    assert b"soapenv:Envelope" not in data and PREDEFINED.encode() not in data


# --------------------------------------------------------------------------
# DOCTYPE, entities, XXE
# --------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE lolz [\n'
    ' <!ENTITY lol "lol">\n'
    ' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    + "".join(' <!ENTITY lol%d "%s">\n' % (i, ("&lol%d;" % (i - 1)) * 10) for i in range(2, 10))
    + ']>\n')


def test_billion_laughs(server, pg, unique):
    name = unique + "&lol9;"
    body = (BILLION_LAUGHS + add_body(name).decode()).encode()
    r = exchange(server.port, [post_bytes(server, body)], timeout=10)
    assert_599(r)
    assert r.elapsed < quick(2.0), r
    assert "lollol" not in r.text        # nothing was expanded
    assert len(r.data) < 10000, r        # and certainly not echoed back
    assert stored(pg, unique) == []
    assert_serving(server)


XXE = ('<?xml version="1.0"?>\n'
       '<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n')


@pytest.mark.parametrize("op,inner", [
    ("addPhoneSecurityProfile", None),   # the entity lands in a stored value
    ("getPhoneSecurityProfile", "<name>&xxe;</name>"),
    ("listPhoneSecurityProfile", "<searchCriteria><name>&xxe;</name></searchCriteria>"
                                 "<returnedTags><name/></returnedTags>"),
], ids=["add", "get", "list"])
def test_xxe_refused(server, pg, unique, op, inner):
    if inner is None:
        body = XXE + add_body(unique, description="&xxe;").decode()
    else:
        body = XXE + envelope(op, inner)
    r = exchange(server.port, [post_bytes(server, body.encode(), op=op)])
    assert_599(r)
    assert r.elapsed < quick(2.0), r
    assert b"root:" not in r.data and b"/bin/" not in r.data, r
    assert stored(pg, unique) == []
    assert_serving(server)


def test_external_dtd_refused(server):
    # No internal subset, just a reference to an outside DTD.
    body = ('<?xml version="1.0"?>\n<!DOCTYPE soapenv:Envelope SYSTEM "http://127.0.0.1:9/x.dtd">\n'
            + envelope("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED)).encode()
    r = exchange(server.port, [post_bytes(server, body, op="getPhoneSecurityProfile")])
    assert_599(r)
    assert_serving(server)


def pieces_of(data, marker, size):
    """data cut so that `marker` (and what follows it for a while) arrives in
    pieces of `size` bytes; the rest goes in two large pieces."""
    i = data.index(marker)
    j = min(len(data), i + 80)
    return [data[:i]] + [data[k:k + size] for k in range(i, j, size)] + [data[j:]]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_doctype_split_across_segments(server, pg, unique, size):
    # One byte (or a few) per TCP segment, with a pause so the server reads
    # each on its own: a scanner that only looks inside one read (or at a
    # short seam between reads) misses the declaration.
    body = (XXE + add_body(unique, description="&xxe;").decode()).encode()
    req = post_bytes(server, body)
    r = exchange(server.port, pieces_of(req, b"<!DOCTYPE", size), delay=0.02, timeout=15)
    assert r.status is not None and r.status != 200, r
    assert_599(r)
    assert b"root:" not in r.data, r
    assert stored(pg, unique) == []
    assert_serving(server)


@pytest.mark.parametrize("decl", ["<!DOCTYPE", "<!doctype"])
def test_declaration_split_at_every_point(server, pg, unique, decl):
    # The declaration keyword cut in two at each position, sent as two
    # segments with a pause in between.
    for cut in range(1, len(decl)):
        name = "%s-%d" % (unique, cut)
        xml = '<?xml version="1.0"?>\n' + decl + ' x [ <!ENTITY e "v"> ]>\n'
        body = (xml + add_body(name, description="&e;").decode()).encode()
        req = post_bytes(server, body)
        at = req.index(decl.encode()) + cut
        r = exchange(server.port, [req[:at], req[at:]], delay=0.1)
        assert_599(r)
    assert stored(pg, unique) == []
    assert_serving(server)


@pytest.mark.parametrize("decl", ["<!DocType", "<!DOCTYPE\t", "<!DOCTYPE\n"])
def test_doctype_variants_not_accepted(server, pg, unique, decl):
    # Spellings a case-sensitive scanner could miss.  Whether the server
    # calls them a DOCTYPE (599) or malformed XML (599) or bad values (5003),
    # none may succeed, read a file, or store a row.
    xml = ('<?xml version="1.0"?>\n' + decl + ' foo [ <!Entity xxe SYSTEM "file:///etc/passwd">'
           ' <!ENTITY xxe2 SYSTEM "file:///etc/passwd"> ]>\n')
    body = (xml + add_body(unique, description="&xxe;&xxe2;").decode()).encode()
    r = exchange(server.port, [post_bytes(server, body)])
    assert r.status in (500, 599), r
    assert b"root:" not in r.data, r
    assert stored(pg, unique) == []
    assert_serving(server)


# --------------------------------------------------------------------------
# Size limits
# --------------------------------------------------------------------------

def test_content_length_over_limit(srv_small, pg, unique):
    body = add_body(unique, description="x" * (100 * 1024))
    assert len(body) > 65536
    # Only the head is sent: the 413 must come without waiting for a body.
    s = connect(srv_small.port)
    try:
        s.sendall(request_head(srv_small, len(body)))
        r = read_response(s, timeout=5)
    finally:
        s.close()
    assert r.status == 413, r
    assert r.elapsed < quick(2.0), r
    assert "HTTP Status 413" in r.text
    assert r.headers.get("connection", "").lower() == "close"
    assert_serving(srv_small)


def test_content_length_over_limit_with_body(srv_small, pg, unique):
    # The whole 100 KB is sent too; the answer is still the 413 page (or, if
    # the unread rest made the kernel reset the connection, at least no
    # success), and nothing is stored.
    body = add_body(unique, description="x" * (100 * 1024))
    r = exchange(srv_small.port, [post_bytes(srv_small, body)])
    assert r.status in (413, None), r
    assert stored(pg, unique) == []
    assert_serving(srv_small)


def test_body_just_under_limit_is_read(srv_small, unique):
    # The limit is on size, not on anything else: a 60 KB request (an
    # oversized description) is read and gets an AXL fault, not a 413.
    body = add_body(unique, description="x" * (60 * 1024))
    assert len(body) < 65536
    r = exchange(srv_small.port, [post_bytes(srv_small, body)])
    assert r.status == 500 and b"<axlcode>5003</axlcode>" in r.body, r


def chunked(data, size):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


def test_chunked_body_over_limit(srv_small, pg, unique):
    # No Content-Length to check up front: the limit has to hold while
    # reading.  A refusal page or a closed connection are both fine.
    body = add_body(unique, description="y" * (100 * 1024))
    req = request_head(srv_small, None, extra=[b"Transfer-Encoding: chunked"]) + chunked(body, 4096)
    r = exchange(srv_small.port, [req], timeout=10)
    assert r.status in (413, 599) or (r.status is None and r.closed), r
    assert r.elapsed < quick(5.0), r
    assert stored(pg, unique) == []
    assert_serving(srv_small)


def test_chunked_endless_body(srv_small, pg, unique):
    # Chunks keep coming, far past the limit; the server must stop reading
    # (and not buffer it all) and close.
    s = connect(srv_small.port)
    start = time.time()
    sent = 0
    try:
        s.sendall(request_head(srv_small, None, extra=[b"Transfer-Encoding: chunked"]))
        s.sendall(chunked(add_body(unique)[:200], 200)[:-5])   # the start, no end chunk
        part = b"z" * 8192
        while time.time() - start < 8 and sent < 4 * 1024 * 1024:
            s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            sent += len(part)
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = read_response(s, timeout=5)
    s.close()
    assert sent < 4 * 1024 * 1024, "server kept reading %d bytes past a 64 KB limit" % sent
    assert r.status in (413, 599, None), r
    assert stored(pg, unique) == []
    assert_serving(srv_small)


def test_huge_description_is_5003(server, pg, unique):
    # 1 MB is under the 8 MB body limit: the value reaches validation.
    body = add_body(unique, description="d" * (1024 * 1024))
    r = exchange(server.port, [post_bytes(server, body)], timeout=20)
    assert r.status == 500, r
    assert b"<axlcode>5003</axlcode>" in r.body, r
    assert b"Invalid value for description" in r.body, r
    assert len(r.body) < 64 * 1024, "the fault echoes the 1 MB value"
    assert stored(pg, unique) == []
    assert_serving(server)


def test_huge_name_is_5003(server, pg, unique):
    body = add_body(unique + "n" * (1024 * 1024))
    r = exchange(server.port, [post_bytes(server, body)], timeout=20)
    assert r.status == 500 and b"<axlcode>5003</axlcode>" in r.body, r
    assert len(r.body) < 64 * 1024, "the fault echoes the 1 MB value"
    assert stored(pg, unique) == []
    assert_serving(server)


# --------------------------------------------------------------------------
# Nesting and repetition
# --------------------------------------------------------------------------

def nested(tag, depth, leaf=""):
    return "<%s>" % tag * depth + leaf + "</%s>" % tag * depth


@pytest.mark.parametrize("op,inner", [
    # 10000 unknown elements inside the request (unknown ones are skipped,
    # which must not mean "skipped without counting").
    ("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED + nested("junk", 10000)),
    # 200 levels of an element the parser knows at that position.
    ("addPhoneSecurityProfile", nested("phoneSecurityProfile", 200,
                                       "<phoneType>Cisco 8845</phoneType>")),
    ("listPhoneSecurityProfile", "<searchCriteria>%s</searchCriteria>"
                                 % nested("name", 200, "x") + "<returnedTags><name/></returnedTags>"),
], ids=["unknown-10000", "profile-200", "criteria-200"])
def test_deep_nesting_is_599(server, pg, unique, op, inner):
    body = envelope(op, inner).encode()
    r = exchange(server.port, [post_bytes(server, body, op=op)])
    assert_599(r, "nested deeper")
    assert r.elapsed < quick(2.0), r
    assert_serving(server)


def test_moderate_nesting_is_fine(server):
    # Well under max_depth (64): unknown elements are ignored as usual.
    inner = "<name>%s</name>" % PREDEFINED + nested("junk", 20, "deep")
    r = Axl(server).call("getPhoneSecurityProfile", inner)
    assert r.status == 200, r.text


@pytest.mark.parametrize("op,inner,ok", [
    # Unknown siblings are ignored: the request works.
    ("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED + "<junk/>" * 100000, True),
    # The same returnedTags child 100000 times.
    ("getPhoneSecurityProfile", "<name>%s</name><returnedTags>%s</returnedTags>"
                                % (PREDEFINED, "<name/>" * 100000), True),
    # The key element 100000 times: any answer but a hang or a crash.
    ("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED * 100000, None),
    ("listPhoneSecurityProfile", "<searchCriteria><name>Cisco 8845%%</name></searchCriteria>"
                                 "<returnedTags>%s</returnedTags>" % ("<name/>" * 100000), True),
], ids=["unknown-siblings", "returned-tags", "repeated-key", "list-tags"])
def test_repeated_elements(server, op, inner, ok):
    body = envelope(op, inner).encode()
    r = exchange(server.port, [post_bytes(server, body, op=op)], timeout=15)
    assert r.status is not None, r
    assert r.elapsed < quick(5.0), r
    if ok:
        assert r.status == 200, r
        assert PREDEFINED.encode() in r.body
    else:
        assert r.status in (200, 500, 599), r
    assert_serving(server)


# --------------------------------------------------------------------------
# Not XML, not UTF-8
# --------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"\x00\x01\x02\x03garbage\xff\xfe\xfd" * 50,
    b"hello, this is not XML",
    b'{"getPhoneSecurityProfile": {"name": "x"}}',
    b"<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>",
    b"<<<<>>>>&&&&",
    b"\xef\xbb\xbf\xef\xbb\xbf\xef\xbb\xbf",
], ids=["binary", "text", "json", "truncated", "brackets", "boms"])
def test_garbage_body_is_599(server, body):
    r = exchange(server.port, [post_bytes(server, body, op="getPhoneSecurityProfile")])
    assert_599(r)
    assert r.elapsed < quick(2.0), r
    assert_serving(server)


@pytest.mark.parametrize("raw", [
    b"\xff\xfe",                 # not UTF-8 at all
    b"\xc3",                     # a sequence cut short
    b"\xc0\xaf",                 # overlong encoding of '/'
    b"\xed\xa0\x80",             # a UTF-16 surrogate
    b"\xf8\x88\x80\x80\x80",     # 5-byte form
    b"\x01",                     # a control character, raw
    b"&#1;",                     # the same as a character reference
    b"\x1b[31m",                 # an ANSI escape
    b"\x7f",
    b"&#x7f;",
], ids=["ff-fe", "truncated", "overlong", "surrogate", "5-byte", "ctl-01", "ref-01",
        "ansi", "del", "ref-7f"])
def test_bad_bytes_in_name_refused(server, pg, unique, raw):
    # In the name on add: a clean 5003 fault or a 599 page, never a row.
    body = add_body(unique + "@@").replace(b"@@", b"-" + raw + b"-")
    r = exchange(server.port, [post_bytes(server, body)])
    assert r.status in (500, 599), r
    if r.status == 500:
        assert b"<axlcode>5003</axlcode>" in r.body, r
        assert_well_formed(r)
    assert stored(pg, unique) == []
    assert_serving(server)


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"\x01", b"&#1;"], ids=["ff-fe", "ctl-01", "ref-01"])
def test_bad_bytes_in_lookup_not_200(server, raw):
    # The same bytes in a get: not found or refused, but no 200.
    body = envelope("getPhoneSecurityProfile", "<name>@@</name>").encode().replace(b"@@", raw)
    r = exchange(server.port, [post_bytes(server, body, op="getPhoneSecurityProfile")])
    assert r.status in (500, 599), r
    if r.status == 500:
        assert_well_formed(r)
    assert_serving(server)


@pytest.mark.parametrize("length", ["0", None], ids=["content-length-0", "no-content-length"])
def test_empty_post(server, length):
    # An empty body is an error, answered at once; with no Content-Length
    # at all a POST has an empty body too (RFC 9112 6.3), not "read until
    # the client closes".
    extra = [] if length is None else [("Content-Length: %s" % length).encode()]
    s = connect(server.port)
    try:
        s.sendall(request_head(server, None, extra=extra, op="getPhoneSecurityProfile"))
        r = read_response(s, timeout=5)
    finally:
        s.close()
    assert r.status is not None, r
    assert r.status >= 400, r
    assert r.elapsed < quick(3.0), r
    assert_serving(server)


# --------------------------------------------------------------------------
# Slow and idle clients
# --------------------------------------------------------------------------

def half_request(srv, unique):
    req = post_bytes(srv, add_body(unique))
    return req[:len(req) // 2]


def test_slowloris_dropped(srv_fast_timeouts, pg, unique):
    srv = srv_fast_timeouts
    s = connect(srv.port, timeout=15)
    start = time.time()
    try:
        s.sendall(half_request(srv, unique))
        # While it stalls, others are served at once.
        t0 = time.time()
        assert_serving(srv)
        assert time.time() - t0 < quick(1.0)
        r = read_response(s, timeout=10, start=start)
        # An answer (a 408 or 599 with Connection: close) may come first.
        closed = r.closed or wait_closed(s, quick(5.0) - (time.time() - start))
        elapsed = time.time() - start
    finally:
        s.close()
    assert closed, "the stalled connection is still open after %.1fs: %r" % (elapsed, r)
    assert elapsed < quick(5.0), r
    assert r.status in (None, 408, 599), r
    assert stored(pg, unique) == []
    assert_serving(srv)


def test_slow_drip_dropped(srv_fast_timeouts, pg, unique):
    # Never silent for long enough to hit the idle timeout, one byte every
    # 0.5 s: only a limit on the whole request (request_timeout) stops it.
    srv = srv_fast_timeouts
    req = post_bytes(srv, add_body(unique))
    s = connect(srv.port, timeout=15)
    start = time.time()
    dropped = False
    try:
        for b in req:
            if time.time() - start > 10:
                break
            s.sendall(bytes([b]))
            time.sleep(0.5)
    except (BrokenPipeError, ConnectionResetError):
        dropped = True
    elapsed = time.time() - start
    if not dropped:
        dropped = wait_closed(s, 0.5)
    s.close()
    assert dropped, "a client dripping one byte per 0.5 s was kept for %.1fs" % elapsed
    assert elapsed < quick(8.0), elapsed
    assert stored(pg, unique) == []
    assert_serving(srv)


def test_many_slowloris_clients_bounded(srv_fast_timeouts, unique):
    # Twice as many stalled clients as workers (8): a normal client may
    # have to wait, but no longer than the timeouts allow.
    srv = srv_fast_timeouts
    stalled = []
    try:
        for _ in range(16):
            s = connect(srv.port, timeout=15)
            s.sendall(half_request(srv, unique))
            stalled.append(s)
        t0 = time.time()
        assert_serving(srv)
        assert time.time() - t0 < quick(6.0)
    finally:
        for s in stalled:
            s.close()
    assert_serving(srv)


def hold_connections(port, n, first_request=None):
    """Opens n connections; optionally sends one request on each and reads
    its answer, so that they become idle keep-alive connections."""
    socks = []
    for _ in range(n):
        s = connect(port, timeout=10)
        if first_request is not None:
            s.sendall(first_request)
            r = read_response(s, timeout=10)
            assert r.status == 200, r
        socks.append(s)
    return socks


@pytest.mark.parametrize("kind", ["silent", "keep-alive"])
def test_idle_connections_do_not_block(pg, unique, kind):
    # 100 connections that say nothing (or finished one request and keep
    # the connection open) against 8 workers and a 15 s idle timeout: a
    # new client must still be served at once.
    srv = start_server(pg)
    socks = []
    try:
        assert_serving(srv)   # warm the login cache before anything is timed
        get = post_bytes(srv, envelope("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED)
                         .encode(), op="getPhoneSecurityProfile")
        socks = hold_connections(srv.port, 100, get if kind == "keep-alive" else None)
        time.sleep(0.3)
        t0 = time.time()
        r = exchange(srv.port, [get], timeout=10)
        elapsed = time.time() - t0
        assert r.status == 200, r
        assert elapsed < quick(2.0), "a new client waited %.1fs behind %d idle connections" % (
            elapsed, len(socks))
        # The held connections still work too (nobody was dropped early).
        socks[0].sendall(get)
        assert read_response(socks[0], timeout=5).status == 200
    finally:
        for s in socks:
            s.close()
        finish_server(srv)


def test_concurrent_hostile_and_normal(server, unique):
    # Bombs and garbage from several threads while normal clients work:
    # every normal request succeeds.
    errors = []
    bomb = post_bytes(server, (BILLION_LAUGHS + add_body(unique + "&lol9;").decode()).encode())
    junk = post_bytes(server, b"\x00garbage" * 100, op="getPhoneSecurityProfile")

    def hostile():
        for i in range(20):
            r = exchange(server.port, [bomb if i % 2 else junk], timeout=10)
            if r.status != 599:
                errors.append(r)

    def normal():
        for _ in range(20):
            r = Axl(server).call("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED)
            if r.status != 200:
                errors.append(r.text)

    threads = [threading.Thread(target=f) for f in (hostile, hostile, normal, normal)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "requests hung"
    assert errors == []
    assert_serving(server)
