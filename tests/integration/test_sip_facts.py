"""The registrar's memory of phone facts (src/sip_facts.h, src/sip_warm.c).

A registrar reads every phone's facts ahead when it starts, so a phone's
challenge and the REGISTER answering it are decided without a lookup
(axlprov_sip_phone_lookups_total stays put); a change of facts over AXL
makes it forget them all and read them ahead again once changes settle;
and while it cannot hear such changes (its LISTEN connection lost) it
remembers nothing, so every REGISTER is decided on facts read for it.
"""

import re
import time

import pytest

from conftest import Axl, finish_server, poll, start_server
from sipphone import SipPhone
from test_sip import Lab, challenged_and_registered

READ_AHEAD = re.compile(r"sip: facts of (\d+) phones read ahead")


@pytest.fixture
def lab(axl, unique):
    return Lab(axl, unique)


@pytest.fixture
def own(pg):
    srv = start_server(pg)
    yield srv
    finish_server(srv)


def metric(srv, name):
    r = Axl(srv).raw("GET", "/metrics")
    assert r.status == 200, r.text
    m = re.search(r"^%s (\S+)$" % name, r.text, re.M)
    assert m, r.text
    return float(m.group(1))


def lookups(srv):
    return metric(srv, "axlprov_sip_phone_lookups_total")


def wait_log(srv, pattern, count, timeout=20.0):
    """Until the log shows pattern count times; the last match."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = list(re.finditer(pattern, srv.log_text()))
        if len(found) >= count:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError("no %r x%d in the log:\n%s" % (pattern, count, srv.log_text()[-3000:]))


def wait_remembered(srv, userid, timeout=30.0):
    """Until a REGISTER of userid without credentials is challenged without
    a lookup: the registrar remembers the phone (each miss is a lookup that
    remembers it, unless the memory is off or was reset meanwhile)."""
    ph = SipPhone(srv.sip_port, userid)

    def challenged_from_memory():
        before = lookups(srv)
        assert ph.transact(ph.register_request()).status == 401
        return lookups(srv) == before

    try:
        if not poll(challenged_from_memory, bool, timeout, 0.2):
            raise AssertionError("%s is not remembered:\n%s" % (userid, srv.log_text()[-3000:]))
    finally:
        ph.close()


def register(srv, userid, password):
    ph = SipPhone(srv.sip_port, userid, password)
    try:
        challenged_and_registered(ph)
    finally:
        ph.close()


def test_facts_are_read_ahead_at_start_and_after_a_change(pg, lab):
    profile = lab.profile(digest=True)
    _, userid, password = lab.phone(profile)
    own = start_server(pg)                         # reads it at its start
    try:
        m = wait_log(own, READ_AHEAD, 1)
        assert int(m.group(1)) >= 1
        assert metric(own, "axlprov_sip_phones_remembered") >= 2  # its name, its userid
        before = lookups(own)
        register(own, userid, password)
        assert lookups(own) == before, "the challenge or its answer read the phone's facts"
        # a phone added now: the memory is reset, then read ahead again
        _, userid2, password2 = lab.phone(profile)
        wait_log(own, READ_AHEAD, 2)
        before = lookups(own)
        register(own, userid2, password2)
        register(own, userid, password)
        assert lookups(own) == before
    finally:
        finish_server(own)


def test_a_deaf_registrar_remembers_nothing(pg, own, lab):
    _, userid, password = lab.phone(lab.profile(digest=True))
    wait_remembered(own, userid)
    killed = pg.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN axlprov_outbox%'")
    assert int(killed[0][0]) >= 1
    wait_log(own, r"LISTEN connection lost", 1)
    before = lookups(own)
    register(own, userid, password)
    assert lookups(own) == before + 2   # the challenge and its answer, each read afresh
    # heard again (the connection is retried every 10 s): remembered again
    wait_remembered(own, userid)
    before = lookups(own)
    register(own, userid, password)
    assert lookups(own) == before
