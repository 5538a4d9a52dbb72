"""Resilience: the server under failures around it.

PostgreSQL stopped and started again under write load (a private cluster of
this module's own, so other tests keep theirs), SIGTERM with requests in
flight, kill -9 under write load and a restart, 500 idle or slow
connections, AXL's "Query request too large" fault on a phone list, two
instances on one database (directly and behind examples/haproxy), and the
failover form of database_url.
Every socket has a timeout and every wait a bound, so a server that hangs
fails the test instead of hanging the run; no test asserts a speed.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

import reaper

from conftest import (TOP, Axl, Postgres, add_phone, envelope, expect_axl_fault, finish_server,
                      free_port, poll, profile_xml, sep_name, start_server, wait_for_port)
from test_hostile import (PREDEFINED, add_body, assert_serving, connect, post_bytes, quick,
                          read_response, stored, wait_closed)
from test_sip import Lab, apply, registered_phone

REQUEST_TIMEOUT = 10
DB_DOWN = "Database unavailable"


class StoppablePostgres(Postgres):
    """A private cluster that a test may stop (fast shutdown) and start."""

    def pause(self):
        subprocess.run([os.path.join(TOP, "db", "pg.sh"), "stop", self.dir, str(self.port)],
                       check=True)

    def resume(self):
        subprocess.run([os.path.join(TOP, "db", "pg.sh"), "start", self.dir, str(self.port)],
                       check=True, capture_output=True)


@pytest.fixture(scope="module")
def own_pg():
    p = StoppablePostgres()
    yield p
    p.stop()


# --------------------------------------------------------------------------
# Write load: client threads adding uniquely named things
# --------------------------------------------------------------------------

class Outcome:
    def __init__(self, op, name, t0, t1, status=None, axlcode=None, message=None, error=None):
        self.op, self.name, self.t0, self.t1 = op, name, t0, t1
        self.status, self.axlcode, self.message, self.error = status, axlcode, message, error


class Loader(threading.Thread):
    """Adds uniquely named things over one keep-alive connection, as fast as
    answers come, recording every outcome; reconnects only when the server
    closed the connection.  kind "profile": profiles prefix-N.  kind
    "phone": a profile with settings of its own, then a phone on it whose
    CAPF change makes the add create a copy of that profile in the same
    transaction as the phone (the write to check for all or nothing)."""

    def __init__(self, srv, prefix, stop, kind="profile"):
        super().__init__(daemon=True)
        self.axl = Axl(srv)
        self.prefix, self.stop, self.kind = prefix, stop, kind
        self.outcomes = []
        self.source = None     # the phone kind's profile, once added

    def request(self, i):
        if self.kind == "profile" or self.source is None:
            name = "%s-%d" % (self.prefix, i)
            extra = {} if self.kind == "profile" else {"nonceValidityTime": str(100 + i)}
            return "addPhoneSecurityProfile", name, profile_xml(
                phoneType="Cisco 8845", protocol="SIP", name=name, **extra)
        name = sep_name()
        return "addPhone", name, "<phone><name>%s</name><product>Cisco 8845</product>" \
            "<protocol>SIP</protocol><securityProfileName>%s</securityProfileName>" \
            "<certificateOperation>Install/Upgrade</certificateOperation>" \
            "<keySize>4096</keySize></phone>" % (name, self.source)

    def run(self):
        conn = None
        i = 0
        while not self.stop.is_set():
            op, name, inner = self.request(i)
            i += 1
            t0 = time.monotonic()
            try:
                if conn is None:
                    conn = self.axl.connect(timeout=REQUEST_TIMEOUT * 3)
                r = self.axl.call(op, inner, validate=False, conn=conn)
                o = Outcome(op, name, t0, time.monotonic(), r.status)
                if r.status == 500:
                    o.axlcode, o.message = r.fault()[2:4]
                if (r.header("Connection") or "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                o = Outcome(op, name, t0, time.monotonic(), error=repr(e))
                conn.close()
                conn = None
            self.outcomes.append(o)
            if self.kind == "phone":
                # A source profile is used by one phone add, whatever its outcome.
                self.source = name if (op == "addPhoneSecurityProfile" and o.status == 200) \
                    else None
        if conn is not None:
            conn.close()


def run_load(loaders):
    for t in loaders:
        t.start()


def end_load(loaders, stop):
    stop.set()
    for t in loaders:
        t.join(REQUEST_TIMEOUT * 3)
    assert not any(t.is_alive() for t in loaders), "a client is stuck"
    return [o for t in loaders for o in t.outcomes]


def existing(pg, table, names):
    """Which of names are stored in table."""
    return {row[0] for row in pg.sql(
        "SELECT name FROM %s WHERE name = ANY (string_to_array(:'v1', ','))" % table,
        ",".join(sorted(names)))}


def summary(loaders):
    """Per client: (status, axlcode, message or error) -> count, for failure reports."""
    out = []
    for t in loaders:
        counts = {}
        for o in t.outcomes:
            key = (o.status, o.axlcode, (o.message or o.error or "")[:80])
            counts[key] = counts.get(key, 0) + 1
        out.append(counts)
    return out


def wait_until(cond, timeout, step=0.1):
    return poll(cond, bool, timeout, step)


# --------------------------------------------------------------------------
# PostgreSQL stopped under load
# --------------------------------------------------------------------------

def test_postgres_restart_under_load_loses_nothing(own_pg, unique, capsys):
    pg = own_pg
    srv = start_server(pg, ["--request-timeout", str(REQUEST_TIMEOUT), "--workers", "4"])
    stop = threading.Event()
    ph = None
    try:
        axl = Axl(srv)
        assert_serving(srv)
        lab = Lab(axl, unique)
        # A phone registered before the outage must still get an apply after it.
        ph, phone_name, _ = registered_phone(srv, lab, "tcp")

        loaders = [Loader(srv, "%s-l%d" % (unique, k), stop) for k in range(4)]
        phones = Loader(srv, "%s-ph" % unique, stop, kind="phone")
        loaders.append(phones)
        run_load(loaders)
        time.sleep(1.0)
        pg.pause()
        t_down = time.monotonic()
        time.sleep(3.0)
        t_start = time.monotonic()
        pg.resume()
        t_up = time.monotonic()

        def recovered():
            return all(sum(1 for o in t.outcomes if o.t0 > t_up and o.status == 200) >= 3
                       for t in loaders)
        assert wait_until(recovered, 30), \
            "writes did not succeed again after PostgreSQL returned: %s" % summary(loaders)
        outcomes = end_load(loaders, stop)

        # Every request was answered: no reset, no hang past request_timeout.
        errors = [(o.name, o.error) for o in outcomes if o.error is not None]
        assert errors == [], errors
        slowest = max(o.t1 - o.t0 for o in outcomes)
        assert slowest < REQUEST_TIMEOUT, slowest
        # While PostgreSQL was down, every request got AXL's fault.
        outage = [o for o in outcomes if o.t0 >= t_down and o.t1 <= t_start]
        assert len(outage) > 0
        wrong = [(o.status, o.axlcode, o.message) for o in outage
                 if not (o.status == 503 or (o.status == 500 and o.axlcode == -1 and
                                             o.message.startswith(DB_DOWN)))]
        assert wrong == [], wrong[:5]
        # Any fault at all is the database's (requests cut by the stop or
        # answered while it was starting).
        others = [(o.status, o.axlcode, o.message) for o in outcomes
                  if o.status != 200 and not (o.status == 500 and o.axlcode == -1 and
                                              o.message.startswith(DB_DOWN))]
        assert others == [], others[:5]

        # Every acknowledged write is there.
        acked_profiles = {o.name for o in outcomes
                          if o.op == "addPhoneSecurityProfile" and o.status == 200}
        acked_phones = {o.name for o in outcomes if o.op == "addPhone" and o.status == 200}
        lost = (acked_profiles - existing(pg, "phone_security_profile", acked_profiles)) | \
            (acked_phones - existing(pg, "phone", acked_phones))
        assert lost == set(), sorted(lost)[:10]
        # All or nothing: every CAPF profile a phone add created is used by
        # a phone (a profile without its phone would be half an add), and
        # every phone sits on its own CAPF profile.
        orphans = pg.sql("SELECT s.name FROM phone_security_profile s WHERE s.name LIKE '% CAPF %' "
                         "AND NOT EXISTS (SELECT 1 FROM phone p WHERE p.security_profile_id = s.pkid)")
        assert orphans == []
        capf = pg.sql("SELECT count(DISTINCT s.pkid), count(*) FROM phone p "
                      "JOIN phone_security_profile s ON s.pkid = p.security_profile_id "
                      "WHERE p.name = ANY (string_to_array(:'v1', ','))",
                      ",".join(sorted(acked_phones)))
        assert capf == [[str(len(acked_phones))] * 2], capf
        misplaced = pg.sql("SELECT p.name FROM phone p JOIN phone_security_profile s "
                           "ON s.pkid = p.security_profile_id "
                           "WHERE p.name = ANY (string_to_array(:'v1', ',')) "
                           "AND s.name NOT LIKE '% CAPF %'", ",".join(sorted(acked_phones)))
        assert misplaced == []

        # The SIP side is back too: LISTEN again, and the apply reaches the
        # phone registered before the outage.
        n = None
        deadline = time.monotonic() + 15
        while n is None and time.monotonic() < deadline:
            apply(axl, "applyPhone", phone_name)
            n = ph.wait_request(timeout=2)
        assert n is not None, srv.log_text()[-3000:]
        ph.answer(n)

        during = [o.t1 - o.t0 for o in outage]
        with capsys.disabled():
            print("\n[resilience] PostgreSQL down %.1fs under load: %d requests, %d acknowledged "
                  "(%d phones), %d faults during the outage (max answer %.0f ms), %d after "
                  "restart until recovery, lost 0"
                  % (t_up - t_down, len(outcomes), len(acked_profiles) + len(acked_phones),
                     len(acked_phones), len(outage), 1000 * max(during),
                     sum(1 for o in outcomes if o.t0 > t_up and o.status != 200)))
    finally:
        stop.set()
        if ph is not None:
            ph.close()
        finish_server(srv)


def test_idle_connections_reconnect_after_postgres_restart(own_pg, unique):
    """Workers whose connections PostgreSQL closed while they were idle
    reconnect on their next request instead of failing it."""
    pg = own_pg
    srv = start_server(pg, ["--workers", "2"])
    try:
        axl = Axl(srv)
        assert_serving(srv)
        for k in range(4):   # both workers hold a connection
            assert axl.call("addPhoneSecurityProfile", profile_xml(
                phoneType="Cisco 8845", protocol="SIP", name="%s-a%d" % (unique, k))).status == 200
        pg.pause()
        pg.resume()
        # No request in between: the very first ones after the restart work.
        for k in range(4):
            r = axl.call("addPhoneSecurityProfile", profile_xml(
                phoneType="Cisco 8845", protocol="SIP", name="%s-b%d" % (unique, k)))
            assert r.status == 200, r.text
        assert len(stored(pg, unique)) == 8
    finally:
        finish_server(srv)


# --------------------------------------------------------------------------
# SIGTERM, kill -9
# --------------------------------------------------------------------------

def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def test_sigterm_drains_requests_in_flight(pg, unique):
    """SIGTERM while a request is still arriving: the listeners close at
    once, idle keep-alive connections are closed, the request in flight is
    read to its end, executed and answered, then the process exits 0."""
    srv = start_server(pg, ["--request-timeout", str(REQUEST_TIMEOUT)])
    slow = idle = None
    try:
        assert_serving(srv)
        get = post_bytes(srv, envelope("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED)
                         .encode(), op="getPhoneSecurityProfile")
        idle = connect(srv.port)
        idle.sendall(get)
        assert read_response(idle).status == 200
        req = post_bytes(srv, add_body(unique))
        cut = len(req) // 2
        slow = connect(srv.port, timeout=30)
        slow.sendall(req[:cut])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        assert wait_until(lambda: refused(srv.port), quick(5)), "still accepting after SIGTERM"
        assert refused(srv.tls_port)
        assert wait_closed(idle, quick(5)), "an idle keep-alive connection was kept open"
        # The rest of the slow request, over a second and a half.
        rest = req[cut:]
        for k in range(3):
            slow.sendall(rest[k * len(rest) // 3:(k + 1) * len(rest) // 3])
            time.sleep(0.5)
        r = read_response(slow, timeout=quick(10))
        assert r.status == 200, r
        assert srv.proc.wait(timeout=quick(10)) == 0
        assert stored(pg, unique) == [unique]
    finally:
        for s in (slow, idle):
            if s is not None:
                s.close()
        finish_server(srv)


def test_sigterm_as_soon_as_a_port_answers_stops_cleanly(pg):
    """A SIGTERM sent the moment the first port (SIP over TCP, opened
    before the HTTP listeners) accepts a connection stops the server
    through its shutdown, exit 0, not by the default action (exit -15):
    service managers and tests stop a server as soon as it answers."""
    srv = start_server(pg)
    assert srv.stop() == 0
    for _ in range(3):
        srv.log = open(srv.log_path, "ab")
        srv.proc = reaper.spawn(srv.args, env=srv.env, stdout=srv.log, stderr=srv.log)
        deadline = time.time() + quick(30)
        while time.time() < deadline and srv.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", srv.sip_port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.002)
        assert srv.stop() == 0, srv.log_text()[-2000:]
    assert srv.sanitizer_reports() == []
    srv.cleanup()


def test_sigterm_ends_a_stalled_request_after_request_timeout(pg, unique):
    """A client that stops sending does not hold the shutdown for longer
    than a request may take; nothing of its request is stored."""
    srv = start_server(pg, ["--request-timeout", "2", "--idle-timeout", "30"])
    s = None
    try:
        assert_serving(srv)
        req = post_bytes(srv, add_body(unique))
        s = connect(srv.port, timeout=30)
        s.sendall(req[:len(req) // 2])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=quick(10)) == 0
        assert stored(pg, unique) == []
    finally:
        if s is not None:
            s.close()
        finish_server(srv)


def test_kill_9_under_write_load_then_restart_loses_nothing(pg, unique):
    srv = start_server(pg, ["--workers", "4"])
    stop = threading.Event()
    try:
        assert_serving(srv)
        loaders = [Loader(srv, "%s-k%d" % (unique, k), stop) for k in range(4)]
        run_load(loaders)
        time.sleep(1.5)
        srv.proc.kill()
        srv.proc.wait()
        srv.proc = None
        srv.log.close()
        outcomes = end_load(loaders, stop)
        acked = {o.name for o in outcomes if o.status == 200}
        assert len(acked) > 0
        srv.start()
        assert_serving(srv)
        assert acked - set(stored(pg, unique)) == set()
        # Names whose add was cut by the kill can be added now, or exist.
        for o in outcomes:
            if o.status != 200:
                r = Axl(srv).call("addPhoneSecurityProfile", profile_xml(
                    phoneType="Cisco 8845", protocol="SIP", name=o.name))
                assert r.status == 200 or (r.status == 500 and r.fault()[2] == -239), r.text
    finally:
        stop.set()
        finish_server(srv)


# --------------------------------------------------------------------------
# AXL's response limit on phone lists
# --------------------------------------------------------------------------

def test_phone_list_too_large_is_axl_fault(pg, unique):
    """With the smallest response limit allowed (64 KB), a listPhone of 150
    phones with every tag does not fit: AXL's -1 fault gives the rows
    matched and the rows that would fit, and a list of fewer than that
    works.  (The profile list has its test in test_profile_ops.py; a get
    returns one row, a few KB at most, so it cannot reach even 64 KB.)"""
    srv = start_server(pg, ["--max-response", "65536"])
    try:
        a = Axl(srv)
        for i in range(150):
            add_phone(a, "%s-%03d" % (unique, i), product="Third-party SIP Device (Advanced)",
                      description="d" * 50)
        crit = "<searchCriteria><name>%s-%%</name></searchCriteria>" % unique
        r = a.call("listPhone", crit)
        msg = expect_axl_fault(r, -1, "soapenv:Server", "listPhone")
        m = re.match(r"Query request too large\. Total rows matched: (\d+) rows\. "
                     r"Suggestive Row Fetch: less than (\d+) rows$", msg)
        assert m, msg
        total, fit = int(m.group(1)), int(m.group(2))
        assert total == 150 and 10 < fit < 150, msg
        r = a.call("listPhone", crit + "<skip>0</skip><first>%d</first>" % (fit - 1))
        assert r.status == 200 and len(r.ret()) == fit - 1, r.text[:500]
        assert len(r.body) <= 65536
        # Fewer tags per row: more rows fit, and all of them here.
        r = a.call("listPhone", crit + "<returnedTags><name/></returnedTags>")
        assert r.status == 200 and len(r.ret()) == 150
        # The largest get there is stays far below the smallest limit.
        r = a.call("getPhone", "<name>%s-000</name>" % unique)
        assert r.status == 200 and len(r.body) < 65536 // 8
    finally:
        finish_server(srv)


# --------------------------------------------------------------------------
# 500 idle or slow connections
# --------------------------------------------------------------------------

_tls_context = None


def tls_context():
    global _tls_context
    if _tls_context is None:
        _tls_context = ssl.create_default_context()
        _tls_context.check_hostname = False
        _tls_context.verify_mode = ssl.CERT_NONE
    return _tls_context


def client_hello():
    """The first flight of a TLS handshake, as a client would send it."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls_context().wrap_bio(incoming, outgoing)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def test_500_idle_and_slow_connections_do_not_stop_service(pg, unique):
    """500 connections that hold on without asking anything (plain and TLS,
    silent, between keep-alive requests, handshaken but silent, stuck
    half-way through a TLS handshake, or sending a request a byte at a
    time) against 8 workers and timeouts longer than the test: new clients
    are still answered, over plain HTTP and TLS, the held connections still
    work, and a slow request is answered once it is whole."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
    srv = start_server(pg, ["--idle-timeout", "120", "--request-timeout", "120"])
    held = []
    stop = threading.Event()
    try:
        assert_serving(srv)   # the login cache is warm before anything is held
        get = post_bytes(srv, envelope("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED)
                         .encode(), op="getPhoneSecurityProfile")
        for _ in range(363):                       # connected, never a byte
            held.append(connect(srv.port))
        keepalive = []
        for _ in range(50):                        # one request, then idle
            s = connect(srv.port)
            s.sendall(get)
            assert read_response(s).status == 200
            keepalive.append(s)
        tls_idle = []
        for k in range(60):                        # TLS handshake done, then silent
            s = tls_context().wrap_socket(connect(srv.tls_port), server_hostname="localhost")
            if k % 2:                              # or one request, then silent
                s.sendall(get)
                assert read_response(s).status == 200
            tls_idle.append(s)
        hello = client_hello()
        for _ in range(3):                         # stuck in the TLS handshake
            s = connect(srv.tls_port)
            s.sendall(hello[:len(hello) // 2])
            held.append(s)
        req = post_bytes(srv, add_body(unique))
        # More requests arriving a byte at a time than there are workers:
        # they wait in the I/O thread until whole.
        drippers = [connect(srv.port) for _ in range(24)]
        for s in drippers:
            s.sendall(req[:len(req) // 2])

        drip_sent = [0]

        def drip():
            pos = len(req) // 2
            while not stop.is_set() and pos < len(req) - 1:
                for s in drippers:
                    s.sendall(req[pos:pos + 1])
                pos += 1
                drip_sent[0] += 1
                stop.wait(0.5)
        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        held += keepalive + tls_idle + drippers
        assert len(held) >= 500
        time.sleep(0.5)
        # The server holds them all.
        assert len(os.listdir("/proc/%d/fd" % srv.proc.pid)) > 500
        # New clients are served, one after another, over both listeners.
        for k in range(20):
            r = Axl(srv, tls=bool(k % 2)).call("getPhoneSecurityProfile",
                                              "<name>%s</name>" % PREDEFINED)
            assert r.status == 200, r.text
        for s in (keepalive[0], keepalive[-1], tls_idle[0], tls_idle[-1]):
            s.sendall(get)
            assert read_response(s, timeout=quick(5)).status == 200
        stop.set()
        dripper.join(5)
        drippers[0].sendall(req[len(req) // 2 + drip_sent[0]:])
        r = read_response(drippers[0], timeout=quick(5))
        assert r.status == 200, r
        assert stored(pg, unique) == [unique]
    finally:
        stop.set()
        for s in held:
            s.close()
        finish_server(srv)


# --------------------------------------------------------------------------
# Two instances on one database
# --------------------------------------------------------------------------

def test_two_instances_share_everything(pg, server, unique):
    """Two axlprovd on one PostgreSQL: what one writes the other reads at
    once, phones register with either, and one apply sent to one instance
    reaches the phones registered at both.  (A phone registered only at the
    other instance: test_sip.py's
    test_apply_sent_to_one_instance_reaches_a_phone_registered_at_another.)"""
    b = start_server(pg, ["--sip-node", "second-%s" % unique])
    phones = []
    try:
        a_axl, b_axl = Axl(server), Axl(b)
        lab = Lab(a_axl, unique)
        profile = lab.profile()                                  # added on A
        r = b_axl.call("getPhoneSecurityProfile", "<name>%s</name>" % profile)
        assert r.status == 200 and r.ret()[0].findtext("name") == profile   # read on B
        r = b_axl.call("updatePhoneSecurityProfile",
                       "<name>%s</name><nonceValidityTime>777</nonceValidityTime>" % profile)
        assert r.status == 200, r.text                           # updated on B
        r = a_axl.call("getPhoneSecurityProfile", "<name>%s</name>" % profile)
        assert r.ret()[0].findtext("nonceValidityTime") == "777"  # seen on A
        for srv in (server, b):
            ph, name, _ = registered_phone(srv, lab, "udp", profile=profile)
            phones.append((ph, name, srv))
        nodes = dict(pg.sql("SELECT p.name, r.node FROM sip_registration r "
                            "JOIN phone p ON p.pkid = r.phone_id "
                            "WHERE p.name = ANY (string_to_array(:'v1', ','))",
                            ",".join(n for _, n, _ in phones)))
        assert nodes == {phones[0][1]: "test-%d" % server.sip_port,
                         phones[1][1]: "second-%s" % unique}, nodes
        apply(a_axl, "applyPhoneSecurityProfile", profile)      # one apply, through A
        for ph, name, srv in phones:
            n = ph.wait_request(timeout=10)
            assert n is not None, (name, srv.log_text()[-2000:])
            ph.answer(n)
    finally:
        for ph, _, _ in phones:
            ph.close()
        finish_server(b)


HAPROXY = shutil.which("haproxy") or (os.path.exists("/usr/sbin/haproxy") and "/usr/sbin/haproxy")


@pytest.mark.skipif(not HAPROXY, reason="haproxy not installed")
def test_two_instances_behind_haproxy(pg, server, unique, tmp_path):
    """examples/haproxy/haproxy.cfg, pointed at two instances: requests
    through it reach both, and keep being answered when one is stopped."""
    b = start_server(pg, ["--sip-node", "lb-%s" % unique])
    port = free_port()
    with open(os.path.join(TOP, "examples", "haproxy", "haproxy.cfg")) as f:
        cfg = f.read()
    cfg = cfg.replace("bind :8443", "bind 127.0.0.1:%d" % port)
    cfg = re.sub(r"(?m)^\tserver .*\n", "", cfg)
    cfg = cfg.replace("\tretries 3", "\tserver a 127.0.0.1:%d\n\tserver b 127.0.0.1:%d\n\tretries 3"
                      % (server.tls_port, b.tls_port))
    (tmp_path / "haproxy.cfg").write_text(cfg)
    log = open(tmp_path / "haproxy.log", "wb")
    proxy = subprocess.Popen([HAPROXY, "-db", "-f", str(tmp_path / "haproxy.cfg")],
                             stdout=log, stderr=log)
    try:
        try:
            wait_for_port(port, proxy)
        except RuntimeError:
            raise AssertionError((tmp_path / "haproxy.log").read_text() + cfg)
        lb = Axl(server, tls=True)
        lb.srv = type("Front", (), {"tls_port": port, "user": server.user,
                                    "password": server.password})()
        before = [s.log_text().count("op=getPhoneSecurityProfile") for s in (server, b)]
        for _ in range(20):                 # one connection each: leastconn spreads them
            r = lb.call("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED)
            assert r.status == 200, r.text
        after = [s.log_text().count("op=getPhoneSecurityProfile") for s in (server, b)]
        assert all(a > b_ for a, b_ in zip(after, before)), (before, after)
        assert finish_server(b) is None
        b = None
        for _ in range(20):
            r = lb.call("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED)
            assert r.status == 200, r.text
    finally:
        proxy.terminate()
        proxy.wait(10)
        log.close()
        if b is not None:
            finish_server(b)


def test_database_url_with_two_hosts_uses_the_writable_one(pg, unique):
    """The failover form of database_url the README gives: the first host is
    gone (a failed primary), the second serves; workers, the SIP thread and
    the admin command line all get there."""
    m = re.match(r"host=(\S+) port=(\d+) (.*)$", pg.url)
    assert m, pg.url
    url = "host=/nonexistent-axlprov,%s port=%s,%s %s target_session_attrs=read-write" % (
        m.group(1), m.group(2), m.group(2), m.group(3))
    srv = start_server(type("FailoverPg", (), {"url": url})())
    try:
        axl = Axl(srv)
        lab = Lab(axl, unique)
        profile = lab.profile()
        assert stored(pg, profile) == [profile]
        ph, name, _ = registered_phone(srv, lab, "udp", profile=profile)
        try:
            apply(axl, "applyPhone", name)
            n = ph.wait_request(timeout=10)
            assert n is not None, srv.log_text()[-2000:]
            ph.answer(n)
        finally:
            ph.close()
    finally:
        finish_server(srv)
