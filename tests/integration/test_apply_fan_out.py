"""An apply answers before its phones are queued, then every phone is queued
once: the fan-out in batches by the instances' outbox threads.

The SOAP call records the request with its count of phones and commits;
the phones' outbox rows and config version bumps follow in batches of
2,000 (repo_apply.c), resumed after the last phone queued when an instance
stopped half way, and shared by every instance on the database without a
phone queued twice.
"""

import subprocess
import time

from conftest import finish_server, start_server
from test_sip import apply, lab, queued, settled, status, wait_status  # noqa: F401 (lab: a fixture)

PHONES = 4500   # three batches, the last one short


def many_phones(pg, profile, prefix, n):
    """n phones of the Cisco 8845 on `profile`, straight in SQL (no binding:
    each is unreachable once queued)."""
    pg.sql("INSERT INTO phone (name, description, model, protocol, security_profile_id) "
           "SELECT :'v2' || lpad(g::text, 6, '0'), 'fan-out test', 'Cisco 8845', 'SIP', s.pkid "
           "  FROM phone_security_profile s, generate_series(1, :v3) g WHERE s.name = :'v1'",
           profile, prefix, n)


def outbox(pg, request):
    return pg.sql("SELECT count(*), count(DISTINCT o.phone_name), "
                  "       count(*) FILTER (WHERE o.state = 'unreachable') "
                  "  FROM notify_outbox o JOIN apply_request r ON r.id = o.request_id "
                  " WHERE r.uuid = :'v1'::uuid", request.strip("{}").lower())[0]


def test_apply_to_thousands_queues_each_phone_once(pg, server, axl, lab, unique):
    """4,500 phones on three other instances beside the session's server:
    every phone gets exactly one outbox row and one config version bump."""
    profile = lab.profile()
    prefix = "SEPF0" + unique[-6:].upper().replace("-", "0")
    many_phones(pg, profile, prefix, PHONES)
    others = [start_server(pg) for _ in range(3)]
    try:
        before = pg.sql("SELECT sum(config_version) FROM phone WHERE name LIKE :'v1' || '%'",
                        prefix)[0][0]
        r = apply(axl, "applyPhoneSecurityProfile", profile)
        request = r.header("X-Axlprov-Apply-Request")
        st = wait_status(axl, request, lambda s: queued(s) and settled(s), timeout=60)
        assert (st["targeted"], st["notQueuedYet"], st["unreachable"]) == (PHONES, 0, PHONES), st
        assert outbox(pg, request) == [str(PHONES)] * 3
        after = pg.sql("SELECT sum(config_version) FROM phone WHERE name LIKE :'v1' || '%'",
                       prefix)[0][0]
        assert int(after) - int(before) == PHONES
        assert pg.sql("SELECT fanned_out, fan_out_after FROM apply_request WHERE uuid = :'v1'",
                      request.strip("{}").lower()) == [["t", "%s%06d" % (prefix, PHONES)]]
    finally:
        for srv in others:
            finish_server(srv)


def test_half_queued_request_is_finished_after_the_last_phone(pg, server, axl, lab, unique):
    """A request an instance left half queued (it stopped between two
    batches) is finished from the phone after the last one queued: the
    phones before it are not queued twice."""
    profile = lab.profile()
    prefix = "SEPF1" + unique[-6:].upper().replace("-", "0")
    many_phones(pg, profile, prefix, 5)
    request = pg.sql(
        "INSERT INTO apply_request (operation, action, target_kind, target_uuid, target_name, "
        "    requested_by, targeted, fan_out_after) "
        "SELECT 'applyPhoneSecurityProfile', 'apply-config', 'phoneSecurityProfile', pkid, name, "
        "       'test', 5, :'v2' FROM phone_security_profile WHERE name = :'v1' "
        "RETURNING uuid", profile, prefix + "000003")[0][0]
    pg.sql("NOTIFY axlprov_outbox, ''")
    st = wait_status(axl, request, queued)
    assert st["notQueuedYet"] == 0, st
    rows = pg.sql("SELECT o.phone_name FROM notify_outbox o JOIN apply_request r "
                  "  ON r.id = o.request_id WHERE r.uuid = :'v1' ORDER BY 1", request)
    assert rows == [[prefix + "000004"], [prefix + "000005"]]
    # The count becomes the phones actually queued by this request.
    assert status(axl, request)["targeted"] == 2


def test_call_answers_while_the_outbox_is_locked(pg, server, axl, lab):
    """The call itself writes no outbox row: it answers while another
    transaction holds the outbox against inserts, and the phone is queued
    once the lock goes (before, the call waited for the lock)."""
    profile = lab.profile()
    lab.phone(profile)
    holder = subprocess.Popen(["psql", pg.url, "-qAtX", "-v", "ON_ERROR_STOP=1"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        holder.stdin.write("BEGIN;\nLOCK TABLE notify_outbox IN SHARE ROW EXCLUSIVE MODE;\n"
                           "SELECT 'locked';\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "locked"
        t = time.time()
        r = apply(axl, "applyPhoneSecurityProfile", profile)
        answered = time.time() - t
        request = r.header("X-Axlprov-Apply-Request")
        st = status(axl, request)
        assert (st["targeted"], st["notQueuedYet"], st["pending"]) == (1, 1, 1), st
    finally:
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        holder.wait(timeout=10)
    st = wait_status(axl, request, lambda s: queued(s) and settled(s))
    assert (st["notQueuedYet"], st["unreachable"]) == (0, 1), (st, answered)
