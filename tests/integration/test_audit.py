"""The audit trail: every write records who, from where, which operation,
the target and the changed fields, in the same transaction as the write;
faults record nothing; secrets are recorded by name only; `axlprovd audit`
prints it."""

import getpass
import json

import pytest

from conftest import add_phone, add_profile, add_user, axlprovd_cli, expect_axl_fault, sep_name

SECRET = "Sup3r-Secret-Digest"


def last_audit(pg, target=None):
    rows = pg.sql("SELECT userid, source, node, operation, target_kind, coalesce(target_name, ''),"
                  " coalesce(target_uuid::text, ''), changes::text FROM audit"
                  " WHERE (:'v1' = '' OR target_name = :'v1') ORDER BY id DESC LIMIT 1",
                  target or "")
    assert rows, "no audit row for %s" % target
    r = rows[0]
    return dict(user=r[0], source=r[1], node=r[2], op=r[3], kind=r[4], name=r[5],
                uuid=r[6], changes=json.loads(r[7]))


def audit_count(pg):
    return int(pg.sql("SELECT count(*) FROM audit")[0][0])


def same_uuid(axl_uuid, db_uuid):
    return axl_uuid.strip("{}").lower() == db_uuid


def check(row, server, op, kind, name):
    assert row["user"] == server.user
    assert row["source"].startswith("127.0.0.1:"), row
    assert row["node"] == "test-%d" % server.sip_port
    assert (row["op"], row["kind"], row["name"]) == (op, kind, name), row


def test_profile_writes_are_audited(server, axl, pg, unique):
    name = unique + "-prof"
    uuid = add_profile(axl, name, description="first")
    row = last_audit(pg, name)
    check(row, server, "addPhoneSecurityProfile", "phoneSecurityProfile", name)
    assert same_uuid(uuid, row["uuid"])
    assert row["changes"]["description"] == "first"
    assert row["changes"]["phoneType"] == "Cisco 8845"
    assert len(row["changes"]) == 16    # every field of a new profile

    # Description only: the one-statement path.
    r = axl.call("updatePhoneSecurityProfile", "<name>%s</name><description>second</description>"
                 % name)
    assert r.status == 200, r.text
    row = last_audit(pg, name)
    check(row, server, "updatePhoneSecurityProfile", "phoneSecurityProfile", name)
    assert row["changes"] == {"description": "second"}

    # The read-merge-write path: only what changed.
    r = axl.call("updatePhoneSecurityProfile", "<name>%s</name><newName>%s-2</newName>"
                 "<nonceValidityTime>300</nonceValidityTime><description>second</description>"
                 % (name, name))
    assert r.status == 200, r.text
    row = last_audit(pg, name + "-2")
    check(row, server, "updatePhoneSecurityProfile", "phoneSecurityProfile", name + "-2")
    assert row["changes"] == {"name": name + "-2", "nonceValidityTime": "300"}

    r = axl.call("applyPhoneSecurityProfile", "<name>%s-2</name>" % name)
    assert r.status == 200, r.text
    row = last_audit(pg, name + "-2")
    check(row, server, "applyPhoneSecurityProfile", "phoneSecurityProfile", name + "-2")
    assert row["changes"]["action"] == "apply-config" and row["changes"]["request"]

    r = axl.call("removePhoneSecurityProfile", "<name>%s-2</name>" % name)
    assert r.status == 200, r.text
    row = last_audit(pg, name + "-2")
    check(row, server, "removePhoneSecurityProfile", "phoneSecurityProfile", name + "-2")
    assert same_uuid(uuid, row["uuid"])


def test_phone_writes_are_audited(server, axl, pg, unique):
    name = sep_name()
    uuid = add_phone(axl, name, description="desk")
    row = last_audit(pg, name)
    check(row, server, "addPhone", "phone", name)
    assert same_uuid(uuid, row["uuid"])
    assert row["changes"]["description"] == "desk"
    assert row["changes"]["product"] == "Cisco 8845"

    r = axl.call("updatePhone", "<name>%s</name><description>lobby</description>" % name)
    assert r.status == 200, r.text
    row = last_audit(pg, name)
    check(row, server, "updatePhone", "phone", name)
    assert row["changes"] == {"description": "lobby"}

    for op, action in [("applyPhone", "apply-config"), ("resetPhone", "reset"),
                       ("restartPhone", "restart")]:
        r = axl.call(op, "<name>%s</name>" % name)
        assert r.status == 200, r.text
        row = last_audit(pg, name)
        check(row, server, op, "phone", name)
        assert row["changes"]["action"] == action

    r = axl.call("removePhone", "<name>%s</name>" % name)
    assert r.status == 200, r.text
    check(last_audit(pg, name), server, "removePhone", "phone", name)


def test_capf_profile_created_by_update_phone_is_audited(server, axl, pg, unique):
    # A base profile with settings no other test uses, so the CAPF copy is new.
    base = unique + "-base"
    add_profile(axl, base, nonceValidityTime=str(100 + int(unique[1:7], 16) % 3000))
    name = sep_name()
    add_phone(axl, name, securityProfileName=base)
    r = axl.call("updatePhone", "<name>%s</name><certificateOperation>Install/Upgrade"
                 "</certificateOperation><keySize>4096</keySize>" % name)
    assert r.status == 200, r.text
    profile = pg.sql("SELECT s.name FROM phone p JOIN phone_security_profile s"
                     " ON s.pkid = p.security_profile_id WHERE p.name = :'v1'", name)[0][0]
    assert "CAPF" in profile
    row = last_audit(pg, profile)
    check(row, server, "updatePhone", "phoneSecurityProfile", profile)
    assert row["changes"]["keySize"] == "4096"
    row = last_audit(pg, name)
    check(row, server, "updatePhone", "phone", name)
    assert row["changes"]["keySize"] == "4096"
    assert row["changes"]["certificateOperation"] == "Install/Upgrade"


def test_end_user_writes_are_audited_without_the_secret(server, axl, pg, unique):
    userid = unique + "-u"
    add_user(axl, userid, firstName="Ann", digestCredentials=SECRET)
    row = last_audit(pg, userid)
    check(row, server, "addUser", "user", userid)
    assert row["changes"] == {"userid": userid, "firstName": "Ann", "lastName": "Tester",
                              "digestCredentials": "(redacted)"}
    r = axl.call("updateUser", "<userid>%s</userid><digestCredentials>%s-2</digestCredentials>"
                 % (userid, SECRET))
    assert r.status == 200, r.text
    row = last_audit(pg, userid)
    check(row, server, "updateUser", "user", userid)
    assert row["changes"]["digestCredentials"] == "(redacted)"
    r = axl.call("removeUser", "<userid>%s</userid>" % userid)
    assert r.status == 200, r.text
    check(last_audit(pg, userid), server, "removeUser", "user", userid)
    # Nowhere in the table, in any form.
    assert pg.sql("SELECT count(*) FROM audit a WHERE a::text LIKE '%%' || :'v1' || '%%'",
                  SECRET) == [["0"]]


def test_faults_record_nothing(server, axl, pg, unique):
    name = unique + "-f"
    add_profile(axl, name)
    n = audit_count(pg)
    expect_axl_fault(axl.call("addPhoneSecurityProfile",
                              "<phoneSecurityProfile><phoneType>Cisco 8845</phoneType>"
                              "<protocol>SIP</protocol><name>%s</name></phoneSecurityProfile>"
                              % name), -239, "soapenv:Client", "addPhoneSecurityProfile")
    assert axl.call("updatePhoneSecurityProfile", "<name>Cisco 8845 - Standard SIP Non-Secure "
                    "Profile</name><description>x</description>").status == 500
    assert axl.call("removePhoneSecurityProfile", "<name>%s-none</name>" % name).status == 500
    assert axl.call("updatePhone", "<name>%s</name><description>x</description>"
                    % sep_name()).status == 500
    assert axl.call("applyPhone", "<name>%s</name>" % sep_name()).status == 500
    assert axl.call("removeUser", "<userid>%s-none</userid>" % name).status == 500
    assert audit_count(pg) == n


@pytest.fixture
def failing_audit(pg):
    """A trigger that makes the audit insert fail for targets named AuditFail*."""
    pg.sql("CREATE OR REPLACE FUNCTION test_audit_fail() RETURNS trigger LANGUAGE plpgsql AS $$"
           " BEGIN IF NEW.target_name LIKE 'AuditFail%' THEN"
           " RAISE EXCEPTION 'audit refused for %', NEW.target_name; END IF; RETURN NEW; END $$;"
           " CREATE TRIGGER test_audit_fail BEFORE INSERT ON audit FOR EACH ROW"
           " EXECUTE FUNCTION test_audit_fail()")
    yield
    pg.sql("DROP TRIGGER test_audit_fail ON audit; DROP FUNCTION test_audit_fail()")


def test_a_write_whose_audit_fails_does_not_commit(server, axl, pg, unique, failing_audit):
    name = "AuditFail" + unique
    r = axl.call("addPhoneSecurityProfile",
                 "<phoneSecurityProfile><phoneType>Cisco 8845</phoneType><protocol>SIP</protocol>"
                 "<name>%s</name></phoneSecurityProfile>" % name)
    assert r.status == 500, r.text
    assert pg.sql("SELECT count(*) FROM phone_security_profile WHERE name = :'v1'",
                  name) == [["0"]]
    # An update inside an explicit transaction (updateUser) rolls back too.
    userid = "AuditFail" + unique + "-u"
    pg.sql("ALTER TABLE audit DISABLE TRIGGER test_audit_fail")
    add_user(axl, userid)
    pg.sql("ALTER TABLE audit ENABLE TRIGGER test_audit_fail")
    r = axl.call("updateUser", "<userid>%s</userid><lastName>Changed</lastName>" % userid)
    assert r.status == 500, r.text
    assert pg.sql("SELECT last_name FROM end_user WHERE userid = :'v1'", userid) == [["Tester"]]


def test_cli_writes_are_audited_with_the_os_user(server, axl, pg, tmp_path, monkeypatch, unique):
    who = getpass.getuser()
    name = sep_name()
    f = tmp_path / "fleet.csv"
    f.write_text("%s,Cisco 8845,SIP,Non Secure,imported\n" % name)
    cp = axlprovd_cli(pg, "import", str(f))
    assert cp.returncode == 0, cp.stderr
    row = last_audit(pg, name)
    assert (row["user"], row["source"], row["op"], row["kind"]) == (who, "cli", "import", "phone")
    assert row["changes"]["description"] == "imported"

    r = axl.call("updatePhone", "<name>%s</name><certificateOperation>Install/Upgrade"
                 "</certificateOperation>" % name)
    assert r.status == 200, r.text
    cp = axlprovd_cli(pg, "capf", "complete", name)
    assert cp.returncode == 0, cp.stderr
    row = last_audit(pg, name)
    assert (row["user"], row["source"], row["op"], row["kind"]) == \
        (who, "cli", "capf complete", "phone")
    assert row["changes"] == {"certificateStatus": "Upgrade Success",
                              "certificateOperation": "No Pending Operation"}
    n = audit_count(pg)
    assert axlprovd_cli(pg, "capf", "complete", name).returncode != 0   # nothing pending
    assert audit_count(pg) == n

    userid = "cli" + unique
    monkeypatch.setenv("AXLPROV_PASSWORD", SECRET)
    assert axlprovd_cli(pg, "user", "add", userid, "--role", "read-only").returncode == 0
    assert axlprovd_cli(pg, "user", "passwd", userid).returncode == 0
    assert axlprovd_cli(pg, "user", "remove", userid).returncode == 0
    rows = pg.sql("SELECT userid, source, operation, target_kind, changes::text FROM audit"
                  " WHERE target_name = :'v1' ORDER BY id", userid)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (who, "cli", "user add", "apiUser"), (who, "cli", "user passwd", "apiUser"),
        (who, "cli", "user remove", "apiUser")]
    assert json.loads(rows[0][4]) == {"role": "read-only", "password": "(redacted)"}
    assert json.loads(rows[1][4]) == {"password": "(redacted)"}
    assert pg.sql("SELECT count(*) FROM audit a WHERE a::text LIKE '%%' || :'v1' || '%%'",
                  SECRET) == [["0"]]


def test_audit_command(server, axl, pg, unique):
    name = unique + "-cmd"
    add_profile(axl, name)
    axl.call("updatePhoneSecurityProfile", "<name>%s</name><description>d2</description>" % name)
    cp = axlprovd_cli(pg, "audit", "--target", name)
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert len(lines) == 2, cp.stdout
    # Newest first, one line per record: when, who, from where, what, changes.
    assert " admin from 127.0.0.1:" in lines[0]
    assert "updatePhoneSecurityProfile phoneSecurityProfile %s {" % name in lines[0]
    assert '"description": "d2"' in lines[0]
    assert "addPhoneSecurityProfile" in lines[1]

    cp = axlprovd_cli(pg, "audit", "--target", name, "--limit", "1", "--json")
    assert cp.returncode == 0, cp.stderr
    rows = json.loads(cp.stdout)
    assert len(rows) == 1 and rows[0]["operation"] == "updatePhoneSecurityProfile"
    assert rows[0]["changes"] == {"description": "d2"} and rows[0]["user"] == "admin"
    assert rows[0]["targetUuid"].startswith("{")

    cp = axlprovd_cli(pg, "audit", "--user", "nobody-" + unique, "--json")
    assert cp.returncode == 0 and json.loads(cp.stdout) == []
    cp = axlprovd_cli(pg, "audit", "--target", name, "--since", "2999-01-01")
    assert cp.returncode == 0 and cp.stdout == ""
    cp = axlprovd_cli(pg, "audit", "--since", "not a time")
    assert cp.returncode == 1 and "axlprovd:" in cp.stderr
    cp = axlprovd_cli(pg, "audit", "--limit", "0")
    assert cp.returncode == 2
