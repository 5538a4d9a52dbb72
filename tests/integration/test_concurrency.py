"""Concurrency: many clients on one name or one row at the same moment.

50 simultaneous adds of one name (profile, phone) give exactly one success
and 49 of AXL's duplicate faults; threads each hammering a different field
of one profile with partial updates lose none of them and get no fault.
Each client has its own connection; a barrier releases them together.
"""

import threading

from conftest import (Axl, expect_axl_fault, fields_of, get_profile, phone_of, phone_xml,
                      profile_xml, sep_name, add_profile)

DUPLICATE = "Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:)."
CLIENTS = 50


def all_at_once(server, n, call):
    """Runs call(axl, i) in n threads released together; returns the
    results (an exception counts as a result: a dropped connection fails)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        axl = Axl(server)
        barrier.wait()
        try:
            results[i] = call(axl, i)
        except Exception as e:  # kept for the report
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a client is stuck"
    assert [repr(r) for r in results if isinstance(r, Exception)] == []
    return results


def one_winner(results, op):
    assert sorted(r.status for r in results) == [200] + [500] * (len(results) - 1), \
        [(r.status, r.text[:200]) for r in results if r.status not in (200, 500)]
    for r in results:
        if r.status != 200:
            expect_axl_fault(r, -239, "soapenv:Client", op, DUPLICATE)
    return [r for r in results if r.status == 200][0].ret().text


def test_50_simultaneous_adds_of_one_profile_name(server, axl, pg, unique):
    results = all_at_once(server, CLIENTS, lambda a, i: a.call(
        "addPhoneSecurityProfile", profile_xml(phoneType="Cisco 8845", protocol="SIP",
                                               name=unique, description="client %d" % i)))
    winner = one_winner(results, "addPhoneSecurityProfile")
    r = get_profile(axl, unique)
    assert r.status == 200 and r.ret()[0].get("uuid") == winner
    assert pg.sql("SELECT count(*) FROM phone_security_profile WHERE name = :'v1'",
                  unique) == [["1"]]


def test_50_simultaneous_adds_of_one_phone_name(server, axl, pg):
    name = sep_name()
    results = all_at_once(server, CLIENTS, lambda a, i: a.call(
        "addPhone", phone_xml(name=name, product="Cisco 8845", protocol="SIP",
                              description="client %d" % i)))
    winner = one_winner(results, "addPhone")
    assert phone_of(axl, name).get("uuid") == winner
    assert pg.sql("SELECT count(*) FROM phone WHERE name = :'v1'", name) == [["1"]]


# Each field's values, written in turn by one thread; none depends on another.
SERIES = {
    "description": lambda j: "update %d" % j,
    "nonceValidityTime": lambda j: str(100 + j),
    "sipPhonePort": lambda j: str(5100 + j),
    "tftpEncryptedConfig": lambda j: "true" if j % 2 else "false",
    "EnableOAuthAuthentication": lambda j: "true" if j % 2 else "false",
    "keySize": lambda j: "4096" if j % 2 else "1024",
}
ROUNDS = 25


def test_concurrent_partial_updates_of_one_profile_lose_nothing(server, axl, unique):
    """Six clients, each updating only its own field of one profile 25
    times as fast as it is answered: every update succeeds, and in the end
    every field holds the last value its client wrote."""
    add_profile(axl, unique)
    fields = list(SERIES)

    def hammer(a, i):
        field = fields[i]
        conn = a.connect()
        statuses = []
        try:
            for j in range(ROUNDS):
                r = a.call("updatePhoneSecurityProfile", "<name>%s</name><%s>%s</%s>"
                           % (unique, field, SERIES[field](j), field), conn=conn)
                statuses.append(r.status if r.status == 200 else r.text)
        finally:
            conn.close()
        return statuses

    results = all_at_once(server, len(fields), hammer)
    assert results == [[200] * ROUNDS] * len(fields), \
        [s for r in results for s in r if s != 200][:3]
    got = fields_of(get_profile(axl, unique).ret()[0])
    assert {f: got[f] for f in fields} == {f: SERIES[f](ROUNDS - 1) for f in fields}
