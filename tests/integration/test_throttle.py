"""Write throttling (throttle.c, observe.c): like CUCM, writes get HTTP 503
with Retry-After when the writes-per-second budget is spent or the NOTIFY
outbox backlog passes its limit; reads and GET pages go on, a refused write
changes nothing, and its connection stays usable.
"""

import re
import subprocess
import time

from conftest import (Axl, add_profile, finish_server, profile_xml, queue_pending_notifies,
                      start_server)

NOBODY = "throttle-test-nobody"   # a node no server sends for: rows stay pending


def retry_after(r):
    v = r.header("Retry-After")
    assert v is not None and v.isdigit() and 1 <= int(v) <= 5, r.headers
    return int(v)


def profile_exists(pg, name):
    return pg.sql("SELECT count(*) FROM phone_security_profile WHERE name = :'v1'", name) == [["1"]]


def test_write_budget_refuses_a_burst_but_not_reads(pg, unique):
    srv = start_server(pg, extra_args=["--throttle-writes-per-second", "2",
                                       "--throttle-outbox-backlog", "0"])
    try:
        axl = Axl(srv)
        refused, accepted, ports = [], [], set()
        conn = axl.connect()
        for i in range(12):
            name = "%s-%d" % (unique, i)
            r = axl.call("addPhoneSecurityProfile",
                         profile_xml(phoneType="Cisco 8845", protocol="SIP", name=name), conn=conn)
            if r.status == 503:
                retry_after(r)
                assert r.header("Connection") != "close", r.headers
                refused.append(name)
            else:
                assert r.status == 200, r.text
                accepted.append(name)
            # Reads are never throttled, even on the refused write's connection.
            g = axl.call("getPhoneSecurityProfile",
                         "<name>Cisco 8845 - Standard SIP Non-Secure Profile</name>", conn=conn)
            assert g.status == 200, g.text
            ports.add(conn.sock.getsockname()[1])
        conn.close()
        # 503s kept the connection open: one TCP connection throughout.
        assert len(ports) == 1, ports
        assert accepted and refused, (accepted, refused)
        # A burst of 2 plus 2 a second: 12 quick adds cannot all pass.
        assert len(accepted) < 12
        for name in refused:
            assert not profile_exists(pg, name), name
        for name in accepted:
            assert profile_exists(pg, name), name
        # GET pages are not throttled either.
        assert axl.raw("GET").status == 200
        # The budget refills: after the advertised wait a write passes.
        time.sleep(1.1)
        add_profile(axl, unique + "-later")
        log = srv.log_text()
        assert log.count("outcome=throttled") == len(refused), log[-3000:]
    finally:
        finish_server(srv)


def backlog_rows(pg):
    return int(pg.sql("SELECT count(*) FROM notify_outbox WHERE state IN ('pending', 'sending')")[0][0])


def test_outbox_backlog_refuses_writes_until_it_drains(pg, unique):
    # Other tests may leave rows pending: the limit is set above them.
    limit = backlog_rows(pg) + 20
    srv = start_server(pg, extra_args=["--throttle-outbox-backlog", str(limit)])
    try:
        axl = Axl(srv)
        add_profile(axl, unique + "-before")
        queue_pending_notifies(pg, unique, 30, NOBODY)
        # The backlog is sampled at most once a second.
        deadline = time.time() + 5
        while True:
            r = axl.call("addPhoneSecurityProfile",
                         profile_xml(phoneType="Cisco 8845", protocol="SIP", name=unique + "-x"))
            if r.status == 503:
                break
            assert r.status == 200, r.text
            pg.sql("DELETE FROM phone_security_profile WHERE name = :'v1'", unique + "-x")
            assert time.time() < deadline, "writes were not throttled"
            time.sleep(0.2)
        assert retry_after(r) == 5
        assert "notification queue" in r.text
        assert not profile_exists(pg, unique + "-x")
        # Other writes too (update, apply), but reads and GET go on.
        r = axl.call("updatePhoneSecurityProfile", "<name>%s-before</name><description>d</description>"
                     % unique)
        assert r.status == 503
        assert pg.sql("SELECT description = '' FROM phone_security_profile WHERE name = :'v1'",
                      unique + "-before") == [["t"]]
        assert axl.call("getPhoneSecurityProfile", "<name>%s-before</name>" % unique).status == 200
        assert axl.call("listPhoneSecurityProfile",
                        "<searchCriteria><name>%s%%</name></searchCriteria>"
                        "<returnedTags><name/></returnedTags>" % unique).status == 200
        assert axl.raw("GET").status == 200
        # Drained: writes pass again within about a second.
        pg.sql("UPDATE notify_outbox SET state = 'delivered', done_at = now() "
               "WHERE phone_name LIKE :'v1' || '%'", unique)
        deadline = time.time() + 5
        while True:
            r = axl.call("addPhoneSecurityProfile",
                         profile_xml(phoneType="Cisco 8845", protocol="SIP", name=unique + "-y"))
            if r.status == 200:
                break
            assert r.status == 503, r.text
            assert time.time() < deadline, "writes stayed throttled after the backlog drained"
            time.sleep(0.2)
    finally:
        pg.sql("DELETE FROM apply_request WHERE target_name = :'v1'", unique)
        finish_server(srv)


def test_phones_not_queued_yet_count_in_the_backlog(pg, unique):
    """An apply answers before its phones are queued: until they are, they
    count as pending in the backlog (throttling and /metrics), so applies
    in a row cannot queue past the limit unchecked.  Another transaction
    holds the outbox against inserts, so no instance can queue the
    request's phones while the test looks."""
    limit = backlog_rows(pg) + 20
    srv = start_server(pg, extra_args=["--throttle-outbox-backlog", str(limit)])
    holder = subprocess.Popen(["psql", pg.url, "-qAtX", "-v", "ON_ERROR_STOP=1"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        axl = Axl(srv)
        holder.stdin.write("BEGIN;\nLOCK TABLE notify_outbox IN SHARE ROW EXCLUSIVE MODE;\n"
                           "SELECT 'locked';\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "locked"
        pg.sql("INSERT INTO apply_request (operation, action, target_kind, target_uuid, "
               "  target_name, requested_by, targeted) VALUES ('applyPhoneSecurityProfile', "
               "  'apply-config', 'phoneSecurityProfile', gen_random_uuid(), :'v1', 'test', 40000)",
               unique)
        deadline = time.time() + 5
        while True:
            r = axl.call("addPhoneSecurityProfile",
                         profile_xml(phoneType="Cisco 8845", protocol="SIP", name=unique + "-x"))
            if r.status == 503:
                break
            assert r.status == 200, r.text
            pg.sql("DELETE FROM phone_security_profile WHERE name = :'v1'", unique + "-x")
            assert time.time() < deadline, "40,000 phones not queued yet did not throttle writes"
            time.sleep(0.2)
        assert "notification queue" in r.text
        metrics = axl.raw("GET", "/metrics").text
        depth = re.search(r'axlprov_outbox_depth\{state="pending"\} (\d+)', metrics)
        assert depth and int(depth.group(1)) >= 40000, metrics[:2000]
    finally:
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        holder.wait(timeout=10)
        pg.sql("DELETE FROM apply_request WHERE target_name = :'v1'", unique)
        finish_server(srv)
