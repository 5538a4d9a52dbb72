"""Integration test harness: a real PostgreSQL and the real axlprovd.

Session fixtures start one private PostgreSQL cluster (db/pg.sh) with the
migrations applied, and one axlprovd (the binary named by
AXLPROV_TEST_BINARY, default build/axlprovd) listening on plain HTTP and on
HTTPS.  Tests talk to it over real sockets through the `axl` fixture, which
validates every successful AXL response against Cisco's schema for the
version requested.  Tests share the database, so each one makes its own
names with the `unique` fixture.

Cisco's schema (AXLAPI.wsdl, AXLSoap.xsd, AXLEnums.xsd, unmodified, for
11.0 to 15.0) comes from the npm package cisco-axl, pinned in
tests/package-lock.json and installed by `make test-deps` into tests/node_modules.

Every process the harness starts runs in a session of its own and is
registered, with every PostgreSQL cluster, with a reaper process
(reaper.py) that stops them all when pytest ends, however it ends.

When AXLPROV_TEST_SANITIZED is set, the server's stderr is checked for
AddressSanitizer / UndefinedBehaviorSanitizer / LeakSanitizer reports at the
end of the session, and any report fails the run.
"""

import base64
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid as uuidlib

import pytest
from lxml import etree

import reaper

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Cisco's schema per AXL version, as the cisco-axl package ships it:
# SCHEMA_DIR/<version>/{AXLAPI.wsdl,AXLSoap.xsd,AXLEnums.xsd}.
SCHEMA_DIR = os.path.join(TOP, "tests", "node_modules", "cisco-axl", "schema")
SCHEMA_VERSIONS = ("11.0", "11.5", "12.0", "12.5", "14.0", "15.0")
BINARY = os.environ.get("AXLPROV_TEST_BINARY", os.path.join(TOP, "build", "axlprovd"))
SANITIZED = bool(os.environ.get("AXLPROV_TEST_SANITIZED"))

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
AXL_NS = "http://www.cisco.com/AXL/API/%s"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "Adm1n-Test-Pass"
SANITIZER_PATTERNS = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer")

# Before any child starts: every child inherits the session's token.
reaper.start()


def schema_file(version, name):
    """A file of Cisco's schema for one version; a clear failure when
    `make test-deps` has not installed it."""
    path = os.path.join(SCHEMA_DIR, version, name)
    if not os.path.isfile(path):
        raise AssertionError("%s is missing: run `make test-deps` (npm ci --prefix tests)" % path)
    return path


@pytest.fixture(scope="session", autouse=True)
def cisco_schema():
    """Fails every test at once, with the reason, when the schema is absent."""
    for v in SCHEMA_VERSIONS:
        for name in ("AXLAPI.wsdl", "AXLSoap.xsd", "AXLEnums.xsd"):
            schema_file(v, name)


def free_port():
    return free_ports(1)[0]


def free_ports(n):
    """n distinct ports free for TCP and UDP on 127.0.0.1.  The sockets stay
    bound until all n are chosen, so that the kernel cannot hand out one
    number twice (a server takes five; SIP's is bound for both)."""
    held, ports = [], []
    try:
        while len(ports) < n:
            t = socket.socket()
            held.append(t)
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            held.append(u)
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                continue
            ports.append(port)
        return ports
    finally:
        for sock in held:
            sock.close()


def poll(fetch, done, timeout, step=0.1):
    """Calls fetch() until done(value) holds or timeout seconds have passed
    (once more after that); returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fetch()
        if done(v) or time.monotonic() > deadline:
            return v
        time.sleep(step)


def wait_for_port(port, proc, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            log = getattr(proc, "log_path", None)
            tail = open(log, errors="replace").read()[-2000:] if log and os.path.exists(log) else ""
            raise RuntimeError("axlprovd exited early with %s\n%s" % (proc.returncode, tail))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d did not open" % port)


# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------

class Postgres:
    def __init__(self):
        # /tmp is reachable by the unprivileged user PostgreSQL runs as when
        # the tests run as root; pytest's own tmp folders are 0700.
        self.dir = tempfile.mkdtemp(prefix="axlprov-it-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        for c in self.clusters():
            reaper.watch_cluster(c)
        env = dict(os.environ, AXLPROV_PG_FAST="1")
        subprocess.run([os.path.join(TOP, "db", "pg.sh"), "start", self.dir, str(self.port)],
                       check=True, env=env)
        self.url = subprocess.run([os.path.join(TOP, "db", "pg.sh"), "url", self.dir, str(self.port)],
                                  check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run([os.path.join(TOP, "db", "migrate.sh"), self.url], check=True,
                       capture_output=True)

    def sql(self, query, *args):
        """Runs one statement through psql and returns rows of text columns.

        Arguments are passed as psql variables and quoted by psql (:'v1')."""
        cmd = ["psql", self.url, "-AtX", "-F", "\t", "-v", "ON_ERROR_STOP=1"]
        for i, a in enumerate(args, 1):
            cmd += ["-v", "v%d=%s" % (i, a)]
        out = subprocess.run(cmd, input=query, check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def clusters(self):
        """Where db/pg.sh may put the cluster: in the data folder, or (when
        PostgreSQL's user cannot reach it) in /var/tmp under a hash of it."""
        key = hashlib.sha1(self.dir.encode()).hexdigest()[:12]
        return [os.path.join(self.dir, "pg", "cluster"),
                os.path.join("/var/tmp", "axlprov-pg-" + key, "cluster")]

    def stop(self):
        subprocess.run([os.path.join(TOP, "db", "pg.sh"), "stop", self.dir, str(self.port)])
        for c in self.clusters():
            reaper.forget_cluster(c)
        shutil.rmtree(self.dir, ignore_errors=True)


def queue_pending_notifies(pg, tag, count, node):
    """Queues `count` pending NOTIFYs (phones tag1..tagN, for `node`) under
    one apply request, straight in SQL: an outbox backlog without phones."""
    pg.sql("WITH r AS (INSERT INTO apply_request (operation, action, target_kind, target_uuid, "
           "                 target_name, requested_by) "
           "  VALUES ('applyPhone', 'apply-config', 'phone', gen_random_uuid(), :'v1', 'test') "
           "  RETURNING id) "
           "INSERT INTO notify_outbox (request_id, phone_name, node, event, action, "
           "                           config_version, state) "
           "SELECT r.id, :'v1' || g, :'v2', 'service-control', 'apply-config', 1, 'pending' "
           "  FROM r, generate_series(1, :v3) g", tag, node, count)


@pytest.fixture(scope="session")
def pg():
    p = Postgres()
    yield p
    p.stop()


# --------------------------------------------------------------------------
# axlprovd
# --------------------------------------------------------------------------

class Server:
    """One running axlprovd with a plain and a TLS listener."""

    def __init__(self, pg, extra_args=(), env=None, wrapper=(), bare_plain_port=False):
        self.pg = pg
        self.dir = tempfile.mkdtemp(prefix="axlprov-srv-")
        # The EST listener (on only when a test gives --capf-cert) gets a
        # free port too, never the default 3804 that servers would share.
        (self.port, self.tls_port, self.sip_port, self.sip_tls_port,
         self.capf_port) = free_ports(5)
        self.cert = os.path.join(self.dir, "server.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", self.cert, "-out", self.cert],
                       check=True, capture_output=True)
        self.user, self.password = ADMIN_USER, ADMIN_PASSWORD
        self.env = dict(os.environ, AXLPROV_DATABASE_URL=pg.url, **(env or {}))
        self.env.pop("AXLPROV_CONFIG", None)
        self.env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
        self.env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        subprocess.run([BINARY, "user", "set", self.user],
                       input=self.password + "\n", text=True, check=True,
                       env=self.env, capture_output=True)
        self.log_path = os.path.join(self.dir, "axlprovd.log")
        self.args = [*wrapper, BINARY, "--listen", "127.0.0.1:%d" % self.tls_port,
                     "--plain-listen",
                     str(self.port) if bare_plain_port else "127.0.0.1:%d" % self.port,
                     "--tls-cert", self.cert, "--workers", "8", "--log-level", "debug",
                     # Each server its own SIP port and node: several share a database.
                     "--sip-listen", "127.0.0.1:%d" % self.sip_port,
                     "--sip-node", "test-%d" % self.sip_port,
                     "--sip-tls-listen", "127.0.0.1:%d" % self.sip_tls_port,
                     "--capf-listen", "127.0.0.1:%d" % self.capf_port,
                     # Every test connects from 127.0.0.1: no login back-off
                     # unless a test asks for it (test_roles.py).
                     "--login-backoff-after", "0",
                     *extra_args]
        self.proc = None
        self.start()

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = reaper.spawn(self.args, env=self.env, stdout=self.log, stderr=self.log)
        self.proc.log_path = self.log_path   # for wait_for_port's message
        wait_for_port(self.port, self.proc)
        wait_for_port(self.tls_port, self.proc)
        # The EST listener opens after the AXL ones (its own TLS context
        # first): a test that enrolls at once must not find it closed.
        if "--capf-cert" in self.args and "--capf-key" in self.args:
            wait_for_port(self.capf_port, self.proc)

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError("axlprovd did not stop within %ss of SIGTERM" % timeout)
        finally:
            self.proc = None
            self.log.close()
        return rc

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def sanitizer_reports(self):
        return [line for line in self.log_text().splitlines() if SANITIZER_PATTERNS.search(line)]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def start_server(pg, extra_args=(), env=None, wrapper=(), bare_plain_port=False):
    """Starts an extra server (for tests that need other settings); wrapper
    is a command to run it under (e.g. prlimit); bare_plain_port gives the
    plain listener a port without an address."""
    return Server(pg, extra_args, env, wrapper, bare_plain_port)


def finish_server(srv):
    """Stops a server started by start_server() and checks it was clean."""
    rc = srv.stop()
    reports = srv.sanitizer_reports()
    srv.cleanup()
    assert reports == [], "sanitizer reports:\n" + "\n".join(reports)
    assert rc == 0, "axlprovd exited with %s" % rc


@pytest.fixture(scope="session")
def server(pg):
    srv = Server(pg)
    yield srv
    finish_server(srv)


# --------------------------------------------------------------------------
# The AXL client
# --------------------------------------------------------------------------

_schemas = {}


def schema_for(version):
    """Cisco's schema for a version; a version Cisco publishes none for
    (a test's made-up one) is checked against 14.0's."""
    key = version if version in SCHEMA_VERSIONS else "14.0"
    if key not in _schemas:
        _schemas[key] = etree.XMLSchema(etree.parse(schema_file(key, "AXLSoap.xsd")))
    return key, _schemas[key]


def validate_body(xml_bytes, version):
    """Validates the element inside soapenv:Body against Cisco's XSD."""
    root = etree.fromstring(xml_bytes)
    body = root.find("{%s}Body" % SOAPENV)
    assert body is not None and len(body) == 1, "no single element in the SOAP Body"
    payload = body[0]
    key, schema = schema_for(version)
    text = etree.tostring(payload)
    if key != version:
        text = text.replace((AXL_NS % version).encode(), (AXL_NS % key).encode())
    doc = etree.fromstring(text)
    if not schema.validate(doc):
        raise AssertionError("response does not validate against AXLSoap.xsd %s: %s\n%s"
                             % (key, schema.error_log, text.decode()))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")
        self._xml = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def xml(self):
        if self._xml is None:
            self._xml = etree.fromstring(self.body)
        return self._xml

    def payload(self):
        """The element inside soapenv:Body."""
        return self.xml.find("{%s}Body" % SOAPENV)[0]

    def ret(self):
        """The <return> element of a success response."""
        return self.payload().find("return")

    def fault(self):
        """(faultcode, faultstring, axlcode or None, axlmessage, request)."""
        f = self.xml.find("{%s}Body/{%s}Fault" % (SOAPENV, SOAPENV))
        assert f is not None, "not a SOAP fault: " + self.text
        err = f.find("detail/axlError")
        if err is None:
            return (f.findtext("faultcode"), f.findtext("faultstring"), None, None, None)
        return (f.findtext("faultcode"), f.findtext("faultstring"), int(err.findtext("axlcode")),
                err.findtext("axlmessage"), err.findtext("request"))


def envelope(op, inner, version="14.0", sequence=None, ns_prefix="ns"):
    seq = ' sequence="%s"' % sequence if sequence is not None else ""
    return ('<soapenv:Envelope xmlns:soapenv="%s" xmlns:%s="%s">'
            '<soapenv:Header/><soapenv:Body><%s:%s%s>%s</%s:%s></soapenv:Body></soapenv:Envelope>'
            % (SOAPENV, ns_prefix, AXL_NS % version, ns_prefix, op, seq, inner, ns_prefix, op))


class Axl:
    """Sends AXL requests to a server; validates success bodies."""

    def __init__(self, srv, tls=False):
        self.srv = srv
        self.tls = tls

    def connect(self, timeout=30):
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.srv.tls_port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=timeout)

    def auth_header(self, user=None, password=None):
        user = self.srv.user if user is None else user
        password = self.srv.password if password is None else password
        return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    def raw(self, method="POST", path="/axl/", body=b"", headers=None, auth=True, conn=None):
        """One HTTP exchange; returns Response.  `conn` reuses a connection."""
        own = conn is None
        c = conn or self.connect()
        h = {"Content-Type": "text/xml; charset=utf-8"}
        if auth:
            h["Authorization"] = self.auth_header()
        h.update(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        c.request(method, path, body=body if method != "GET" else None, headers=h)
        r = c.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        if own:
            c.close()
        return resp

    def call(self, op, inner, version="14.0", sequence=None, soapaction="default",
             validate=True, **kw):
        """Sends <ns:op>inner</ns:op>; validates a 200 against the schema."""
        headers = dict(kw.pop("headers", {}) or {})
        if soapaction == "default":
            headers["SOAPAction"] = '"CUCM:DB ver=%s %s"' % (version, op)
        elif soapaction is not None:
            headers["SOAPAction"] = soapaction
        resp = self.raw(body=envelope(op, inner, version, sequence), headers=headers, **kw)
        if resp.status == 200 and validate:
            validate_body(resp.body, version)
        return resp


@pytest.fixture
def axl(server):
    return Axl(server)


@pytest.fixture
def axl_tls(server):
    return Axl(server, tls=True)


@pytest.fixture
def unique():
    """A short unique prefix for names made by one test."""
    return "T%s" % uuidlib.uuid4().hex[:10]


# --------------------------------------------------------------------------
# Profile helpers
# --------------------------------------------------------------------------

# What a profile holds for every element an add leaves out; also every
# predefined (Non Secure) profile's settings.
PROFILE_DEFAULTS = {
    "description": "", "deviceSecurityMode": "Non Secure", "authenticationMode": "By Null String",
    "keySize": "2048", "keyOrder": "RSA Only", "ecKeySize": "", "tftpEncryptedConfig": "false",
    "EnableOAuthAuthentication": "false", "nonceValidityTime": "600", "transportType": "TCP+UDP",
    "sipPhonePort": "5060", "enableDigestAuthentication": "false", "excludeDigestCredentials": "false",
}


def profile_xml(**fields):
    """<phoneSecurityProfile> children from keyword arguments, in the order given."""
    parts = []
    for k, v in fields.items():
        if v is None:
            continue
        parts.append("<%s>%s</%s>" % (k, xml_escape(str(v)), k))
    return "<phoneSecurityProfile>%s</phoneSecurityProfile>" % "".join(parts)


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def add_profile(axl, name, phoneType="Cisco 8845", protocol="SIP", **fields):
    r = axl.call("addPhoneSecurityProfile",
                 profile_xml(phoneType=phoneType, protocol=protocol, name=name, **fields))
    assert r.status == 200, r.text
    return r.ret().text


def get_profile(axl, name=None, uuid=None, tags=None, version="14.0"):
    key = "<name>%s</name>" % xml_escape(name) if name is not None else "<uuid>%s</uuid>" % uuid
    rt = ""
    if tags is not None:
        rt = "<returnedTags>%s</returnedTags>" % "".join("<%s/>" % t for t in tags)
    return axl.call("getPhoneSecurityProfile", key + rt, version=version)


def fields_of(elem):
    """{child tag: text or ''} of a profile element."""
    return {c.tag: (c.text or "") for c in elem}


UUID_RE = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")


# --------------------------------------------------------------------------
# Phone and user helpers
# --------------------------------------------------------------------------

class Ref:
    """A reference element's value with a uuid attribute: <x uuid="...">text</x>."""

    def __init__(self, text="", uuid=None):
        self.text, self.uuid = text, uuid


def children_xml(fields):
    """Child elements from a dict, in the order given; None values are left out,
    Ref values carry a uuid attribute."""
    parts = []
    for k, v in fields.items():
        if v is None:
            continue
        if isinstance(v, Ref):
            attr = ' uuid="%s"' % xml_escape(v.uuid) if v.uuid is not None else ""
            parts.append("<%s%s>%s</%s>" % (k, attr, xml_escape(v.text), k))
        else:
            parts.append("<%s>%s</%s>" % (k, xml_escape(str(v)), k))
    return "".join(parts)


def phone_xml(**fields):
    """<phone> children from keyword arguments ("class_" for class)."""
    fields = {("class" if k == "class_" else k): v for k, v in fields.items()}
    return "<phone>%s</phone>" % children_xml(fields)


def sep_name():
    """A fresh hardware phone name: SEP + 12 upper-case hex digits."""
    return "SEP" + uuidlib.uuid4().hex[:12].upper()


def add_phone(axl, name, product="Cisco 8845", protocol="SIP", version="14.0", **fields):
    """addPhone that must succeed; returns the new phone's uuid."""
    r = axl.call("addPhone", phone_xml(name=name, product=product, protocol=protocol, **fields),
                 version=version)
    assert r.status == 200, r.text
    return r.ret().text


def key_xml(key):
    """<name>..</name> or <uuid>..</uuid> from ('name'|'uuid'|'userid', value)."""
    return "<%s>%s</%s>" % (key[0], xml_escape(key[1]), key[0])


def get_phone(axl, name=None, uuid=None, tags=None, version="14.0"):
    key = ("name", name) if name is not None else ("uuid", uuid)
    rt = ""
    if tags is not None:
        rt = "<returnedTags>%s</returnedTags>" % "".join("<%s/>" % t for t in tags)
    return axl.call("getPhone", key_xml(key) + rt, version=version)


def phone_of(axl, name=None, uuid=None, version="14.0"):
    """The <phone> element of a getPhone that must succeed."""
    r = get_phone(axl, name=name, uuid=uuid, version=version)
    assert r.status == 200, r.text
    p = r.ret().find("phone")
    assert p is not None, r.text
    return p


def update_phone(axl, key, **fields):
    """updatePhone; key is ('name'|'uuid', value); Ref values give uuid attributes."""
    return axl.call("updatePhone", key_xml(key) + children_xml(fields))


def user_xml(**fields):
    return "<user>%s</user>" % children_xml(fields)


def add_user(axl, userid, lastName="Tester", **fields):
    """addUser that must succeed; returns the new user's uuid."""
    r = axl.call("addUser", user_xml(userid=userid, lastName=lastName, **fields))
    assert r.status == 200, r.text
    return r.ret().text


def expect_axl_fault(r, axlcode, faultcode, op, message=None, prefix=None):
    """Asserts an AXL fault (HTTP 500 with axlError) and returns its message."""
    assert r.status == 500, "expected a fault, got %s: %s" % (r.status, r.text)
    fc, fs, code, msg, req = r.fault()
    assert (code, fc, req) == (axlcode, faultcode, op), r.text
    assert fs == msg, "faultstring and axlmessage differ"
    if message is not None:
        assert msg == message
    if prefix is not None:
        assert msg.startswith(prefix), msg
    return msg


def expect_invalid_value(r, op, element, value):
    """A 5003 "Invalid value for <element>: <value>[ (<reason>)]" fault."""
    msg = expect_axl_fault(r, 5003, "soapenv:Server", op, prefix="Invalid value for %s: " % element)
    head = "Invalid value for %s: %s" % (element, value)
    assert msg == head or msg.startswith(head + " ("), msg
    return msg


def axlprovd_cli(pg, *args, db_option=False):
    """Runs the admin command line (e.g. "capf", "complete", NAME) against the
    test database, named by AXLPROV_DATABASE_URL or, with db_option, by
    --database-url; returns the CompletedProcess."""
    env = dict(os.environ)
    env.pop("AXLPROV_CONFIG", None)
    env.pop("AXLPROV_DATABASE_URL", None)
    if db_option:
        args = args + ("--database-url", pg.url)
    else:
        env["AXLPROV_DATABASE_URL"] = pg.url
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    cp = subprocess.run([BINARY, *args], env=env, capture_output=True, text=True, timeout=60)
    if SANITIZED:
        reports = [line for line in (cp.stdout + cp.stderr).splitlines()
                   if SANITIZER_PATTERNS.search(line)]
        assert reports == [], "sanitizer reports from %s:\n%s" % (args, "\n".join(reports))
    return cp
