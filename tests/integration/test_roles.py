"""Roles, the API user CLI and the failed-login back-off.

A read-only AXL user may get and list but every write answers HTTP 401 (as
CUCM does) and changes nothing; `axlprovd user add|list|passwd|remove`
manage users; failed logins slow down only the address they come from."""

import http.client
import os
import subprocess
import time

import pytest

from conftest import (BINARY, Axl, add_phone, add_profile, add_user, axlprovd_cli,
                      finish_server, sep_name, start_server, user_xml)

RO_PASSWORD = "Read-0nly-Pass"


class UserAxl(Axl):
    """An AXL client with its own credentials and, optionally, source address."""

    def __init__(self, srv, user, password, source=None):
        super().__init__(srv)
        self.user, self.password, self.source = user, password, source

    def auth_header(self, user=None, password=None):
        return super().auth_header(self.user if user is None else user,
                                   self.password if password is None else password)

    def connect(self, timeout=30):
        if self.source is None:
            return super().connect(timeout)
        return http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=timeout,
                                          source_address=(self.source, 0))


def cli(pg, monkeypatch, *args, password=None):
    if password is None:
        monkeypatch.delenv("AXLPROV_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("AXLPROV_PASSWORD", password)
    return axlprovd_cli(pg, *args)


@pytest.fixture
def readonly(server, pg, monkeypatch, unique):
    name = "ro" + unique
    cp = cli(pg, monkeypatch, "user", "add", name, "--role", "read-only", password=RO_PASSWORD)
    assert cp.returncode == 0, cp.stderr
    return UserAxl(server, name, RO_PASSWORD)


def state(pg):
    """Everything a write could change, as one comparable value."""
    return pg.sql(
        "SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY pkid)) FROM phone_security_profile t),"
        " (SELECT md5(string_agg(t::text, ',' ORDER BY pkid)) FROM phone t),"
        " (SELECT md5(string_agg(t::text, ',' ORDER BY pkid)) FROM end_user t),"
        " (SELECT count(*) FROM apply_request), (SELECT count(*) FROM audit)")


# Every write operation, with a body that a full user's call would carry out
# on the objects the test made (p: profile, ph: phone, u: end user).
WRITES = {
    "addPhoneSecurityProfile": lambda n: "<phoneSecurityProfile><phoneType>Cisco 8845</phoneType>"
        "<protocol>SIP</protocol><name>%s-new</name></phoneSecurityProfile>" % n["p"],
    "updatePhoneSecurityProfile": lambda n: "<name>%s</name><description>x</description>" % n["p"],
    "removePhoneSecurityProfile": lambda n: "<name>%s</name>" % n["p2"],
    "applyPhoneSecurityProfile": lambda n: "<name>%s</name>" % n["p"],
    "resetPhoneSecurityProfile": lambda n: "<name>%s</name>" % n["p"],
    "addPhone": lambda n: "<phone><name>%s</name><product>Cisco 8845</product>"
        "<protocol>SIP</protocol></phone>" % sep_name(),
    "updatePhone": lambda n: "<name>%s</name><description>x</description>" % n["ph"],
    "removePhone": lambda n: "<name>%s</name>" % n["ph"],
    "applyPhone": lambda n: "<name>%s</name>" % n["ph"],
    "resetPhone": lambda n: "<name>%s</name>" % n["ph"],
    "restartPhone": lambda n: "<name>%s</name>" % n["ph"],
    "addUser": lambda n: user_xml(userid=n["u"] + "-new", lastName="X"),
    "updateUser": lambda n: "<userid>%s</userid><lastName>Y</lastName>" % n["u"],
    "removeUser": lambda n: "<userid>%s</userid>" % n["u"],
    "doDeviceReset": lambda n: "<deviceName>%s</deviceName><isHardReset>true</isHardReset>"
        % n["ph"],
}


def objects(axl, unique):
    n = {"p": unique + "-p", "p2": unique + "-p2", "ph": sep_name(), "u": unique + "-u"}
    add_profile(axl, n["p"])
    add_profile(axl, n["p2"])
    add_phone(axl, n["ph"], securityProfileName=n["p"])
    add_user(axl, n["u"])
    return n


@pytest.mark.parametrize("op", sorted(WRITES))
def test_read_only_user_write_is_401_and_changes_nothing(server, axl, pg, readonly, unique, op):
    n = objects(axl, unique)
    before = state(pg)
    r = readonly.call(op, WRITES[op](n))
    assert r.status == 401, r.text
    assert r.header("WWW-Authenticate") == 'Basic realm="Cisco AXL API"'
    assert "read-only" in r.text
    assert state(pg) == before
    # The same request from a full user goes through.
    r = axl.call(op, WRITES[op](n))
    assert r.status == 200, r.text


def test_read_only_user_reads(server, axl, readonly, unique):
    n = objects(axl, unique)
    for op, inner in [("getPhoneSecurityProfile", "<name>%s</name>" % n["p"]),
                      ("listPhoneSecurityProfile",
                       "<searchCriteria><name>%s%%</name></searchCriteria>"
                       "<returnedTags><name/></returnedTags>" % unique),
                      ("getPhone", "<name>%s</name>" % n["ph"]),
                      ("listPhone", "<searchCriteria><name>%s</name></searchCriteria>"
                       "<returnedTags><name/></returnedTags>" % n["ph"]),
                      ("getUser", "<userid>%s</userid>" % n["u"]),
                      ("getCCMVersion", ""),
                      ("listRegistrationDynamic",
                       "<searchCriteria><device>%s</device></searchCriteria>" % n["ph"])]:
        r = readonly.call(op, inner)
        assert r.status == 200, (op, r.text)
    r = readonly.raw("GET", "/axl/status/apply/" + n["p"])
    assert r.status in (200, 404), r.text   # a read: never 401


def test_read_only_user_unknown_operation_is_answered_as_before(server, readonly):
    r = readonly.call("doSomethingOdd", "<name>x</name>")
    assert r.status == 500, r.text
    assert "Operation not found" in r.text


def test_user_cli_round_trip(server, pg, monkeypatch, unique):
    name = "cli" + unique
    cp = cli(pg, monkeypatch, "user", "add", name, "--role", "read-only", password="First-Pass-1")
    assert cp.returncode == 0, cp.stderr
    assert "user %s saved (role read-only)" % name in cp.stdout
    cp = cli(pg, monkeypatch, "user", "add", name, password="Other-Pass-2")
    assert cp.returncode != 0 and "already exists" in cp.stderr

    cp = cli(pg, monkeypatch, "user", "list")
    assert cp.returncode == 0, cp.stderr
    rows = [line.split() for line in cp.stdout.splitlines()]
    mine = [r for r in rows if r[0] == name]
    assert len(mine) == 1 and mine[0][1] == "read-only", cp.stdout
    assert len(mine[0]) == 4 and mine[0][2].endswith("Z") and mine[0][3].endswith("Z")
    assert "pbkdf2" not in cp.stdout and "$" not in cp.stdout

    # passwd before any login (a verified login is cached for auth_cache_ttl).
    cp = axlprovd_cli_stdin(pg, monkeypatch, "New-Pass-3\n", "user", "passwd", name)
    assert cp.returncode == 0, cp.stderr
    assert UserAxl(server, name, "First-Pass-1").raw("GET").status == 401
    assert UserAxl(server, name, "New-Pass-3").raw("GET").status == 200
    stored = pg.sql("SELECT password_hash FROM api_user WHERE userid = :'v1'", name)[0][0]
    assert stored.startswith("pbkdf2-sha256$") and "New-Pass-3" not in stored

    cp = cli(pg, monkeypatch, "user", "remove", name)
    assert cp.returncode == 0 and "removed" in cp.stdout, cp.stderr
    assert pg.sql("SELECT count(*) FROM api_user WHERE userid = :'v1'", name) == [["0"]]
    assert name not in cli(pg, monkeypatch, "user", "list").stdout
    for args in (("user", "remove", name), ("user", "passwd", name)):
        cp = cli(pg, monkeypatch, *args, password="Whatever-4")
        assert cp.returncode == 1 and "no AXL user %s" % name in cp.stderr, cp.stderr


def axlprovd_cli_stdin(pg, monkeypatch, stdin, *args):
    """The CLI with the password on standard input (AXLPROV_PASSWORD unset)."""
    env = dict(os.environ, AXLPROV_DATABASE_URL=pg.url)
    env.pop("AXLPROV_PASSWORD", None)
    env.pop("AXLPROV_CONFIG", None)
    return subprocess.run([BINARY, *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_user_cli_refuses_bad_input(server, pg, monkeypatch, unique):
    cp = cli(pg, monkeypatch, "user", "add", "x" + unique, "--role", "admin", password="P-1")
    assert cp.returncode == 2 and "usage" in cp.stderr
    cp = cli(pg, monkeypatch, "user", "add", "x" + unique, password="")
    assert cp.returncode == 2 and "must not be empty" in cp.stderr
    cp = cli(pg, monkeypatch, "user", "frobnicate", "x")
    assert cp.returncode == 2 and "unknown command" in cp.stderr
    assert pg.sql("SELECT count(*) FROM api_user WHERE userid = :'v1'", "x" + unique) == [["0"]]


def test_failed_logins_back_off_per_source_address(pg):
    srv = start_server(pg, extra_args=("--login-backoff-after", "3", "--login-backoff-max", "30"))
    try:
        here = UserAxl(srv, srv.user, "wrong password", source="127.0.0.1")
        there = UserAxl(srv, srv.user, srv.password, source="127.0.0.2")
        for _ in range(3):
            r = here.raw("GET")
            assert r.status == 401 and "Authentication failed" in r.text
        # From that address even the right password is now refused unchecked...
        r = here.raw("GET", auth=False, headers={"Authorization": here.auth_header(
            password=srv.password)})
        assert r.status == 401 and "Too many failed logins" in r.text, r.text
        assert r.header("WWW-Authenticate") == 'Basic realm="Cisco AXL API"'
        # ...while the real user, elsewhere, is not locked out.
        assert there.raw("GET").status == 200
        assert there.call("getPhoneSecurityProfile",
                          "<name>Cisco 8845 - Standard SIP Non-Secure Profile</name>").status == 200
        log = srv.log_text()
        assert "refused: too many failed logins" in log
        # The refusal lasts 1 s (the first step); then a success clears it.
        time.sleep(1.2)
        ok = UserAxl(srv, srv.user, srv.password, source="127.0.0.1")
        assert ok.raw("GET").status == 200
        r = here.raw("GET")
        assert r.status == 401 and "Authentication failed" in r.text   # counting restarted
        assert ok.raw("GET").status == 200
    finally:
        finish_server(srv)
