"""The SIP side at cluster scale, the parts a small test can show: a phone
registered from several contacts (RFC 3261 10.2.1) gets the NOTIFY of an
apply at every one of them, and counts as delivered when any answered 2xx;
a replayed digest nonce count is challenged again; REGISTERs accepted
together are written together (one statement, one commit) and each still
gets its own verdict; and with PostgreSQL
stopped (SIGSTOP) the SIP thread still answers OPTIONS at once while
REGISTERs get 503 with a jittered Retry-After, losing no binding; while
an apply is being delivered, registrations start at a bounded rate (the
others get 503), unless its phones do not answer.
The 40,000-phone figures are bench/cluster.py's (make bench-cluster).
"""

import os
import re
import secrets
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Axl, finish_server, poll, start_server
from test_observe import parse_metrics
from sipphone import SipMessage, SipPhone, digest_params, h
from test_apply_fan_out import many_phones
from test_sip import Lab, apply, settled, status, wait_status
from test_sip_facts import wait_remembered


@pytest.fixture
def lab(axl, unique):
    return Lab(axl, unique)


def two_contacts(server, lab):
    """One phone registered from two sockets (two contacts, two Call-IDs)."""
    profile = lab.profile()
    name, userid, password = lab.phone(profile)
    phones = [SipPhone(server.sip_port, userid, password, "udp") for _ in range(2)]
    for ph in phones:
        r = ph.register()
        assert r.status == 200, r.raw
    assert len(", ".join(r.all("Contact")).split(",")) == 2, r.raw
    return name, phones


@pytest.mark.parametrize("answers", [((200, "OK"), (200, "OK")),
                                     ((489, "Bad Event"), (200, "OK"))],
                         ids=["both-200", "one-489-one-200"])
def test_every_binding_gets_the_notify(server, axl, lab, answers):
    name, phones = two_contacts(server, lab)
    try:
        r = apply(axl, "applyPhone", name)
        request = r.header("X-Axlprov-Apply-Request")
        notifies = [ph.wait_request() for ph in phones]
        assert all(n is not None for n in notifies), server.log_text()[-2000:]
        for ph, n, answer in zip(phones, notifies, answers):
            assert n.uri == ph.contact and n.header("Call-ID") == ph.call_id
            ph.answer(n, *answer)
        st = wait_status(axl, request, settled)
        assert (st["targeted"], st["delivered"], st["failed"]) == (1, 1, 0), st
        assert st["phones"][0]["sipStatus"] == 200, st
    finally:
        for ph in phones:
            ph.close()


def test_all_bindings_refusing_fails_with_an_answer(server, axl, lab):
    name, phones = two_contacts(server, lab)
    try:
        r = apply(axl, "applyPhone", name)
        request = r.header("X-Axlprov-Apply-Request")
        for ph in phones:
            n = ph.wait_request()
            assert n is not None
            ph.answer(n, 489, "Bad Event")
        st = wait_status(axl, request, settled)
        assert (st["delivered"], st["failed"]) == (0, 1), st
        assert st["phones"][0]["sipStatus"] == 489, st
    finally:
        for ph in phones:
            ph.close()


# --------------------------------------------------------------------------
# digest nonce-count replay
# --------------------------------------------------------------------------

def authorization_nc(ph, challenge, nc, cnonce="0a4f113b"):
    """ph's answer to challenge with a chosen nc and cnonce (MD5, qop=auth)."""
    p = digest_params(challenge)
    host, port = ph.server
    uri = "sip:%s:%d" % (host, port)
    ha1 = h("MD5", "%s:%s:%s" % (ph.user, p["realm"], ph.password))
    ha2 = h("MD5", "REGISTER:%s" % uri)
    resp = h("MD5", ":".join([ha1, p["nonce"], nc, cnonce, "auth", ha2]))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=MD5, cnonce="%s", qop=auth, nc=%s'
            % (ph.user, p["realm"], p["nonce"], uri, resp, cnonce, nc))


def registration_metrics(axl):
    r = axl.raw("GET", "/metrics")
    assert r.status == 200, r.text
    m = parse_metrics(r.text)
    return (m.get(("axlprov_registrations_total", (("result", "ok"),)), 0.0),
            m.get(("axlprov_registration_writes_total", ()), 0.0))


def test_registers_accepted_together_are_written_together(server, axl, lab):
    """40 phones answer their challenges at once: fewer statements than
    REGISTERs write them, and in the same burst a phone whose password
    changed after its challenge is refused and one repeating its CSeq gets
    400, neither costing the others their 200."""
    profile = lab.profile(digest=True)
    phones = [SipPhone(server.sip_port, u, pw) for _, u, pw in
              (lab.phone(profile) for _ in range(40))]
    try:
        challenges = [ph.transact(ph.register_request()).header("WWW-Authenticate")
                      for ph in phones]
        # phones[1] registered before: its next REGISTER repeats that CSeq
        r = phones[1].transact(phones[1].register_request(
            authorization=phones[1].authorization(challenges[1])))
        assert r.status == 200, r.raw
        phones[1].cseq -= 1
        r = axl.call("updateUser", "<userid>%s</userid><digestCredentials>changed-1"
                     "</digestCredentials>" % phones[0].user)
        assert r.status == 200, r.text
        ok0, writes0 = registration_metrics(axl)
        requests = [ph.register_request(authorization=ph.authorization(ch))
                    for ph, ch in zip(phones, challenges)]
        with ThreadPoolExecutor(len(phones)) as pool:
            answers = list(pool.map(lambda a: a[0].transact(a[1]), zip(phones, requests)))
        ok1, writes1 = registration_metrics(axl)
    finally:
        for ph in phones:
            ph.close()
    assert answers[0].status == 403 and "bad credentials" in answers[0].reason, answers[0].raw
    assert answers[1].status == 400 and "CSeq" in answers[1].reason, answers[1].raw
    assert [a.status for a in answers[2:]] == [200] * 38, [a.raw for a in answers if a.status != 200]
    for ph, a in zip(phones[2:], answers[2:]):
        assert a.all("Contact") and ph.contact in a.all("Contact")[0], a.raw
    assert server.pg.sql(
        "SELECT count(*) FROM phone_registration_state s JOIN phone p ON p.pkid = s.phone_id "
        "JOIN end_user u ON u.pkid = p.digest_user_id WHERE s.outcome = 'registered' "
        "AND u.userid = ANY(string_to_array(:'v1', ','))",
        ",".join(ph.user for ph in phones[2:])) == [["38"]]
    assert ok1 - ok0 == 38
    assert 1 <= writes1 - writes0 < 38, (ok0, ok1, writes0, writes1)


def test_replayed_authorization_is_challenged_again(server, lab):
    profile = lab.profile(digest=True)
    _, userid, password = lab.phone(profile)
    ph = SipPhone(server.sip_port, userid, password, "udp")
    try:
        r = ph.transact(ph.register_request())
        assert r.status == 401, r.raw
        challenge = r.header("WWW-Authenticate")
        auth = authorization_nc(ph, challenge, "00000001")
        assert ph.transact(ph.register_request(authorization=auth)).status == 200
        # the very same header again (new transaction, CSeq one up): refused
        # with a fresh nonce, stale=true, and no binding change
        r = ph.transact(ph.register_request(authorization=auth))
        assert r.status == 401, r.raw
        again = r.header("WWW-Authenticate")
        assert "stale=true" in again and digest_params(again)["nonce"]
        # a count going on from the same nonce is fine, going back is not
        ok = authorization_nc(ph, challenge, "00000003")
        assert ph.transact(ph.register_request(authorization=ok)).status == 200
        back = authorization_nc(ph, challenge, "00000002")
        assert ph.transact(ph.register_request(authorization=back)).status == 401
        # the phone recovers by answering the new challenge
        assert ph.register().status == 200
    finally:
        ph.close()


# --------------------------------------------------------------------------
# PostgreSQL stopped: the SIP thread goes on, REGISTERs get 503
# --------------------------------------------------------------------------

def postgres_pids(pg):
    """The postmaster of the session's cluster and all its children."""
    for c in pg.clusters():
        try:
            with open(os.path.join(c, "postmaster.pid")) as f:
                master = int(f.readline())
            break
        except OSError:
            continue
    pids = [master]
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    s = f.read()
            except OSError:
                continue
            if int(s[s.rindex(")") + 2:].split()[1]) == master:
                pids.append(int(d))
    return pids


def options_request(ph):
    host, port = ph.server
    return "\r\n".join([
        "OPTIONS sip:%s:%d SIP/2.0" % (host, port),
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport" % (ph.port, secrets.token_hex(6)),
        "Max-Forwards: 70", "From: <sip:%s@%s>;tag=%s" % (ph.user, host, ph.tag),
        "To: <sip:%s@%s>" % (ph.user, host), "Call-ID: opt-%s" % secrets.token_hex(6),
        "CSeq: 1 OPTIONS", "Content-Length: 0", "", ""])


def answers(phones, until):
    """{phone index: final status} of what arrives before until."""
    got = {}
    while time.time() < until and len(got) < len(phones):
        for i, ph in enumerate(phones):
            if i not in got:
                m = ph.recv(0.05)
                if m is not None and m.status is not None and m.status >= 200:
                    got[i] = m
    return got


@pytest.fixture(scope="module")
def small_pool(pg):
    """One database thread, two REGISTERs may wait for it, for 1 s."""
    srv = start_server(pg, ["--sip-db-threads", "1", "--sip-register-queue", "2",
                            "--sip-register-wait", "1000"])
    yield srv
    finish_server(srv)


def test_postgres_stopped_options_flow_registers_get_503(pg, small_pool, axl, unique):
    lab = Lab(axl, unique)
    profile = lab.profile()
    phones = []
    for _ in range(6):
        _, userid, password = lab.phone(profile)
        phones.append(SipPhone(small_pool.sip_port, userid, password, "udp"))
    assert phones[0].register().status == 200          # bound before the outage
    pids = postgres_pids(pg)
    try:
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        t0 = time.time()
        for ph in phones[1:]:
            ph.send(ph.register_request())
        # OPTIONS needs no database: answered at once (well within T1)
        t = time.time()
        phones[0].send(options_request(phones[0]))
        m = phones[0].recv(0.5)
        assert m is not None and m.status == 200, m
        assert time.time() - t < 0.5
        # one REGISTER holds the thread, two wait (503 after 1 s), two are shed at once
        got = answers(phones[1:], t0 + 4.0)
        shed = [m for m in got.values() if m.status == 503]
        assert len(shed) == 4, {i: m.status for i, m in got.items()}
        for m in shed:
            assert 5 <= int(m.header("Retry-After")) <= 14, m.raw
        time.sleep(max(0.0, t0 + 5.0 - time.time()))
    finally:
        for p in pids:
            os.kill(p, signal.SIGCONT)
    # the held REGISTER completes after PostgreSQL is back
    held = [i for i in range(1, 6) if i - 1 not in got]
    assert len(held) == 1
    m = answers([phones[held[0]]], time.time() + 10)
    assert m and m[0].status == 200, m
    # nothing acknowledged is lost; the shed phones register on their retry
    for ph in phones[1:]:
        if ph is not phones[held[0]]:
            assert ph.register().status == 200
    bound = pg.sql("SELECT count(*) FROM sip_registration s JOIN phone p ON p.pkid = s.phone_id "
                   "JOIN phone_security_profile sp ON sp.pkid = p.security_profile_id "
                   "WHERE sp.name = :'v1' AND s.expires_at > now()", profile)
    assert int(bound[0][0]) == 6
    metrics = Axl(small_pool).raw("GET", "/metrics").body.decode()
    assert re.search(r'axlprov_registrations_total\{result="shed"\} 4\b', metrics), metrics
    for ph in phones:
        ph.close()


@pytest.fixture(scope="module")
def three_threads(pg):
    """Three database threads; REGISTERs may wait for 1 s."""
    srv = start_server(pg, ["--sip-db-threads", "3", "--sip-register-wait", "1000"])
    yield srv
    finish_server(srv)


def test_postgres_stopped_refreshes_decided_without_it_still_get_503(pg, three_threads, axl,
                                                                     unique):
    """Refreshes of digest phones are decided on remembered facts, without
    the database; with PostgreSQL stopped they wait to be written and get
    503 after sip_register_wait like any REGISTER waiting for it, not the
    200 of a write after the outage (which only the REGISTERs already being
    written get)."""
    lab = Lab(axl, unique)
    profile = lab.profile(digest=True)
    phones, challenges = [], []
    for _ in range(12):
        _, userid, password = lab.phone(profile)
        ph = SipPhone(three_threads.sip_port, userid, password, "udp")
        challenges.append(ph.transact(ph.register_request()).header("WWW-Authenticate"))
        r = ph.transact(ph.register_request(authorization=ph.authorization(challenges[-1])))
        assert r.status == 200, r.raw
        phones.append(ph)
    pids = postgres_pids(pg)
    try:
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        resume = time.time() + 5.0
        for ph, ch in zip(phones, challenges):
            ph.send(ph.register_request(authorization=ph.authorization(ch)))
        early = answers(phones, resume - 0.5)
        time.sleep(max(0.0, resume - time.time()))
    finally:
        for p in pids:
            os.kill(p, signal.SIGCONT)
    assert all(m.status == 503 and 5 <= int(m.header("Retry-After")) <= 14
               for m in early.values()), {i: m.raw for i, m in early.items()}
    # only the REGISTERs already being written wait for PostgreSQL
    assert len(early) >= 6, sorted(early)
    late = answers([ph for i, ph in enumerate(phones) if i not in early], time.time() + 10)
    assert [m.status for m in late.values()] == [200] * (12 - len(early)), late
    for ph in phones:
        ph.close()


def test_postgres_stopped_a_remembered_phone_is_still_challenged(pg, three_threads, axl,
                                                                 unique):
    """The SIP thread itself decides a REGISTER its remembered facts decide
    (a challenge needs no database): with PostgreSQL stopped and every
    database thread held by a REGISTER that needs it, a phone it knows is
    still challenged at once, not shed after sip_register_wait."""
    lab = Lab(axl, unique)
    _, userid, password = lab.phone(lab.profile(digest=True))
    ph = SipPhone(three_threads.sip_port, userid, password, "udp")
    assert ph.register().status == 200
    wait_remembered(three_threads, userid)  # the phone's addition heard, its facts read
    strangers = [SipPhone(three_threads.sip_port, "%snobody%d" % (unique, i), None, "udp")
                 for i in range(3)]
    pids = postgres_pids(pg)
    try:
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        for st in strangers:                # each holds a thread: its lookup waits
            st.send(st.register_request())
        time.sleep(0.2)
        t = time.time()
        ph.send(ph.register_request())
        got = answers([ph], t + 0.9)        # sip_register_wait is 1 s
        assert got and got[0].status == 401, got
        assert time.time() - t < 0.5
    finally:
        for p in pids:
            os.kill(p, signal.SIGCONT)
    late = answers(strangers, time.time() + 10)
    assert [m.status for m in late.values()] == [404] * 3, late
    for p in [ph] + strangers:
        p.close()



MANY = 140  # more phones than the outbox window (128 NOTIFYs) holds


@pytest.fixture(scope="module")
def apply_first(pg):
    """Registrations start at most 2 a second while an apply is being
    delivered; a NOTIFY is tried once."""
    srv = start_server(pg, ["--sip-node", "apply-first", "--notify-attempts", "1",
                            "--sip-apply-register-rate", "2"])
    yield srv
    finish_server(srv)


def bound_phones(pg, profile, prefix, port):
    """MANY phones of the profile, each bound (straight in SQL) at the
    apply_first server to one UDP port on this host."""
    many_phones(pg, profile, prefix, MANY)
    pg.sql("INSERT INTO sip_registration (phone_id, aor, contact_uri, call_id, cseq, expires_at, "
           "    transport, source_ip, source_port, node) "
           "SELECT p.pkid, 'sip:' || p.name || '@127.0.0.1', "
           "       'sip:' || p.name || '@127.0.0.1:' || :'v2' || ';transport=udp', "
           "       p.name || '@many', 1, now() + interval '1 hour', 'udp', '127.0.0.1', "
           "       :'v2'::integer, 'apply-first' "
           "  FROM phone p WHERE p.name LIKE :'v1' || '%'", prefix, str(port))


def answering(sock, per_second, stop):
    """Answers the NOTIFYs arriving on sock 200 OK, per_second new ones a
    second (a retransmission at once), until stop is set."""
    sock.settimeout(0.2)
    answered = set()
    while not stop.is_set():
        try:
            data, addr = sock.recvfrom(65535)
        except socket.timeout:
            continue
        req = SipMessage(data.decode("utf-8", "replace"))
        lines = ["SIP/2.0 200 OK"] + ["%s: %s" % (k, v) for k in ("Via", "From", "To", "Call-ID",
                                                                    "CSeq") for v in req.all(k)]
        sock.sendto(("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode(), addr)
        key = (req.header("Call-ID"), req.header("CSeq"))
        if key not in answered:
            answered.add(key)
            time.sleep(1.0 / per_second)


def starts(ph, n):
    """n REGISTERs without credentials, one after the other: their answers."""
    return [ph.transact(ph.register_request()) for _ in range(n)]


def shed_count(srv):
    text = Axl(srv).raw("GET", "/metrics").body.decode()
    return int(re.search(r'axlprov_registrations_total\{result="shed"\} (\d+)', text).group(1))


def many_bound(pg, lab, unique, tag):
    """A profile of MANY phones bound to one UDP socket; (profile, socket)."""
    profile = lab.profile()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    bound_phones(pg, profile, "SEP" + tag + unique[-8:].upper().replace("-", "0"),
                 sock.getsockname()[1])
    return profile, sock


def test_an_apply_goes_before_registrations_it_did_not_start(pg, apply_first, axl, unique):
    """While an apply is being delivered (more NOTIFYs due than the window
    holds, phones answering them), new registrations start at
    sip_apply_register_rate a second and the others are told 503 with a
    Retry-After; a REGISTER with credentials (an exchange under way) goes
    on; once the window holds all that is due, every start is served."""
    lab = Lab(axl, unique)
    profile, sock = many_bound(pg, lab, unique, "A1")
    _, userid, password = lab.phone(lab.profile(digest=True))
    ph = SipPhone(apply_first.sip_port, userid, password, "udp")
    stop = threading.Event()
    answerer = threading.Thread(target=answering, args=(sock, 20, stop))
    shed_before = shed_count(apply_first)
    try:
        assert [r.status for r in starts(ph, 6)] == [401] * 6   # no apply: no limit
        answerer.start()
        request = apply(axl, "applyPhoneSecurityProfile", profile).header(
            "X-Axlprov-Apply-Request")
        seen = poll(lambda: starts(ph, 4), lambda rs: 503 in [r.status for r in rs], 5.0)
        seen += starts(ph, 4)
        shed = [r for r in seen if r.status == 503]
        assert len(shed) >= 3, [r.status for r in seen]
        for r in shed:
            assert r.reason == "Service Unavailable: an apply is being delivered first", r.raw
            assert 5 <= int(r.header("Retry-After")) <= 14, r.raw
        # 2 a second: a start gets its challenge within a second, and the
        # REGISTER answering it is not a start
        challenge = poll(lambda: ph.transact(ph.register_request()), lambda r: r.status == 401,
                         1.5, step=0.2)
        assert challenge.status == 401, challenge.raw
        auth = ph.authorization(challenge.header("WWW-Authenticate"))
        assert ph.transact(ph.register_request(authorization=auth)).status == 200
        # half the window answered, the rest fits it: every start is served again
        served = poll(lambda: starts(ph, 3), lambda rs: [r.status for r in rs] == [401] * 3, 15.0)
        assert [r.status for r in served] == [401] * 3
        st = wait_status(axl, request, settled, timeout=30)
        assert (st["targeted"], st["delivered"]) == (MANY, MANY), st
    finally:
        stop.set()
        if answerer.is_alive():
            answerer.join()
        ph.close()
        sock.close()
    assert shed_count(apply_first) - shed_before >= len(shed)


def test_phones_not_answering_an_apply_hold_no_registration_back(pg, apply_first, axl,
                                                                  unique):
    """A window full of NOTIFYs nobody answers (phones gone with their
    bindings) is not an apply being delivered: starts are not limited."""
    lab = Lab(axl, unique)
    profile, sock = many_bound(pg, lab, unique, "A2")
    _, userid, password = lab.phone(lab.profile(digest=True))
    ph = SipPhone(apply_first.sip_port, userid, password, "udp")
    try:
        request = apply(axl, "applyPhoneSecurityProfile", profile).header(
            "X-Axlprov-Apply-Request")
        sock.settimeout(5.0)
        assert sock.recv(65535).startswith(b"NOTIFY ")   # the window is out
        time.sleep(1.2)    # and no phone has answered one for over a second
        assert [r.status for r in starts(ph, 8)] == [401] * 8
        st = status(axl, request)
        assert st["pending"] > 0, st       # still being tried
    finally:
        ph.close()
        sock.close()
