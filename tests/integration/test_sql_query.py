"""executeSQLQuery over the data dictionary's views (docs/sql-query.md).

The queries are the ones real scripts send (device by name pattern, device
joined to securityprofile and typemodel both ways, SKIP/FIRST paging,
count(*) by security mode, a NULL column, upper()/lower() on enduser),
sent raw (every 200 validated against Cisco's schema by the `axl` fixture)
and through zeep on Cisco's unmodified WSDL.  Then the refusals: writes,
second statements, files, large objects, the catalogs, role changes, the
timeout and the 8 MB cap, each leaving the data as it was and the server
answering.  executeSQLUpdate and executeSQLQueryInactive are refused.
"""

import time

import pytest
from lxml import etree

from conftest import (ADMIN_PASSWORD, Axl, BINARY, add_phone, add_profile, add_user,
                      expect_axl_fault, finish_server, sep_name, start_server, xml_escape)
from test_zeep_compat import ZeepAxl, expect_fault, https_url

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

OP = "executeSQLQuery"
PHONES = 12


def sql_call(axl, sql, op=OP, **kw):
    return axl.call(op, "<sql>%s</sql>" % xml_escape(sql), **kw)


def rows(axl, sql):
    """The rows of a query that must succeed: [[(column, text), ...], ...]."""
    r = sql_call(axl, sql)
    assert r.status == 200, r.text
    return [[(c.tag, c.text or "") for c in row] for row in r.ret().findall("row")]


def values(axl, sql):
    return [[v for _, v in row] for row in rows(axl, sql)]


@pytest.fixture(scope="module")
def data(server):
    """A tagged set: a custom profile, PHONES phones (two on it), a user."""
    axl = Axl(server)
    tag = "sq" + sep_name()[3:11].lower()
    profile = tag + "-profile"
    add_profile(axl, profile, phoneType="Cisco 8845", protocol="SIP",
                deviceSecurityMode="Authenticated", transportType="TLS")
    names, uuids = [], {}
    for i in range(PHONES):
        name = sep_name()
        fields = {"description": "%s %02d" % (tag, i)}
        if i < 2:
            fields["securityProfileName"] = profile
        uuids[name] = add_phone(axl, name, **fields)
        names.append(name)
    userid = tag + "user"
    add_user(axl, userid, firstName="Ada", lastName="Lovelace")
    return {"tag": tag, "profile": profile, "names": sorted(names), "uuids": uuids,
            "userid": userid}


def test_like_on_device(axl, data):
    got = rows(axl, "select name, description from device where name like 'SEP%%' "
                    "and description like '%s %%' order by name" % data["tag"])
    assert [r[0] for r in got] == [("name", n) for n in data["names"]]
    assert all([c for c, _ in r] == ["name", "description"] for r in got)


def test_pkid_is_lower_case_uuid(axl, data):
    name = data["names"][0]
    got = values(axl, "select pkid from device where name = '%s'" % name)
    assert got == [[data["uuids"][name].strip("{}").lower()]]


JOIN_IMPLICIT = ("select d.name, s.name as profile, m.name as model "
                 "from device d, securityprofile s, typemodel m "
                 "where s.pkid = d.fksecurityprofile and m.enum = d.tkmodel "
                 "and d.description like '%s %%' order by d.name")
JOIN_EXPLICIT = ("select d.name, s.name as profile, m.name as model "
                 "from device d join securityprofile s on s.pkid = d.fksecurityprofile "
                 "inner join typemodel m on m.enum = d.tkmodel "
                 "where d.description like '%s %%' order by d.name")


@pytest.mark.parametrize("sql", [JOIN_IMPLICIT, JOIN_EXPLICIT], ids=["implicit", "explicit"])
def test_device_joined_to_profile_and_model(axl, data, sql):
    got = rows(axl, sql % data["tag"])
    assert len(got) == PHONES
    assert [c for c, _ in got[0]] == ["name", "profile", "model"]
    on_custom = [r[0][1] for r in got if r[1][1] == data["profile"]]
    assert len(on_custom) == 2
    assert {r[2][1] for r in got} == {"Cisco 8845"}


def test_skip_first(axl, data):
    got = values(axl, "select skip 5 first 5 name from device where description like '%s %%' "
                      "order by name" % data["tag"])
    assert got == [[n] for n in data["names"][5:10]]
    got = values(axl, "SELECT FIRST 3 name FROM device WHERE description LIKE '%s %%' "
                      "ORDER BY name" % data["tag"])
    assert got == [[n] for n in data["names"][:3]]


def test_count_by_security_mode(axl, data):
    got = rows(axl, "select t.name, count(*) from device d, securityprofile s, "
                    "typedevicesecuritymode t where s.pkid = d.fksecurityprofile "
                    "and t.enum = s.tkdevicesecuritymode and d.description like '%s %%' "
                    "group by t.name order by t.name" % data["tag"])
    assert got == [[("name", "Authenticated"), ("count", "2")],
                   [("name", "Non Secure"), ("count", str(PHONES - 2))]]


def test_null_is_an_empty_element(axl, data):
    r = sql_call(axl, "select name, fkenduser, upgradefinishtime from device where name = '%s'"
                 % data["names"][0])
    assert r.status == 200, r.text
    row = r.ret().find("row")
    assert [c.tag for c in row] == ["name", "fkenduser", "upgradefinishtime"]
    assert row[1].text is None and len(row[1]) == 0
    assert b"<fkenduser/>" in r.body


def test_upper_lower_on_enduser(axl, data):
    got = rows(axl, "select upper(userid), lower(lastname) as last, firstname from enduser "
                    "where userid = '%s'" % data["userid"])
    assert got == [[("upper", data["userid"].upper()), ("last", "lovelace"),
                    ("firstname", "Ada")]]


def test_no_rows_and_the_wire_form(axl, data):
    r = sql_call(axl, "select name from device where name = 'nothing-here'", sequence=77)
    assert r.status == 200, r.text
    # Prefixes as every other answer: Cisco's Ansible example parses them literally.
    assert b"<soapenv:Envelope" in r.body and b"<ns:executeSQLQueryResponse" in r.body
    assert b'sequence="77"' in r.body
    assert r.ret() is not None and len(r.ret()) == 0


def test_type_tables(axl, data):
    assert values(axl, "select enum, name from typedeviceprotocol order by enum") == [
        ["0", "SCCP"], ["11", "SIP"]]
    assert values(axl, "select name from typemodel where enum = 36224") == [["Cisco 8845"]]
    for table in ("typeproduct", "typeclass", "typedevicesecuritymode", "typeauthenticationmode",
                  "typekeysize", "typekeyorder", "typecertificateoperation",
                  "typecertificatestatus", "typetransport"):
        got = rows(axl, "select enum, name, moniker from %s" % table)
        assert got, table
    got = values(axl, "select t.name from securityprofile s, typetransport t "
                      "where t.enum = s.tktransport and s.name = '%s'" % data["profile"])
    assert got == [["TLS"]]


def test_extra_views(axl, data):
    assert rows(axl, "select fkdevice, lastknownipaddress from registrationdynamic") is not None
    assert rows(axl, "select devicename, state from applyoutbox") is not None


def test_matches_refused(axl):
    r = sql_call(axl, "select name from device where name matches 'SEP*'")
    assert "use LIKE" in expect_axl_fault(r, -1, "soapenv:Client", OP)


def test_database_error_is_a_fault(axl):
    r = sql_call(axl, "select nosuchcolumn from device")
    assert 'column "nosuchcolumn" does not exist' in expect_axl_fault(r, -1, "soapenv:Client", OP)
    r = sql_call(axl, "select name from nosuchtable")
    assert "does not exist" in expect_axl_fault(r, -1, "soapenv:Client", OP)


def test_statement_logged(axl, server, data):
    r = sql_call(axl, "select name from device where description = '%s-log' %s"
                 % (data["tag"], " " * 200))
    assert r.status == 200
    time.sleep(0.2)
    line = [l for l in server.log_text().splitlines() if "%s-log" % data["tag"] in l][-1]
    assert "op=executeSQLQuery" in line and 'sql="select name from device' in line
    assert line.rstrip().endswith('..."'), line


# --- refusals --------------------------------------------------------------

def snapshot(pg):
    return pg.sql("SELECT (SELECT count(*) FROM phone), (SELECT count(*) FROM "
                  "phone_security_profile), (SELECT count(*) FROM end_user), "
                  "(SELECT count(*) FROM api_user), (SELECT count(*) FROM "
                  "pg_largeobject_metadata), (SELECT md5(string_agg(name || description, ',' "
                  "ORDER BY name)) FROM phone), (SELECT count(*) FROM pg_tables WHERE "
                  "schemaname = 'public'), (SELECT rolsuper::text FROM pg_roles WHERE "
                  "rolname = 'axlprov_sql')")


REFUSED = [
    ("insert into device (name) values ('SEP000000000001')", "Only SELECT"),
    ("update device set description = 'x'", "Only SELECT"),
    ("delete from device", "Only SELECT"),
    ("create table t (a int)", "Only SELECT"),
    ("drop table device", "Only SELECT"),
    ("alter role axlprov_sql superuser", "Only SELECT"),
    ("truncate phone", "Only SELECT"),
    ("grant select on phone to axlprov_sql", "Only SELECT"),
    ("select 1; delete from phone", "One statement"),
    ("copy phone to stdout", "Only SELECT"),
    ("set role axlprov", "Only SELECT"),
    ("select * from pg_authid", "system catalogs"),
    ("select * from pg_catalog.pg_shadow", "system catalogs"),
    ("select * from information_schema.tables", "system catalogs"),
    ("select pg_read_file('/etc/passwd')", "permission denied"),
    ("select current_setting('data_directory')", "data_directory"),
    ("select query from pg_stat_activity", "system catalogs"),
    ("select query_to_xml('select * from public.api_user', true, false, '')",
     "permission denied"),
    ("select pg_ls_dir('.')", "permission denied"),
    ("select lo_import('/etc/passwd')", None),
    ("select * from phone", "does not exist"),
    ("select * from public.end_user", "permission denied"),
    ("select * from public.api_user", "permission denied"),
    ("select set_config('role', 'axlprov', true), (select count(*) from public.phone)",
     "permission denied"),
    ("with x as (delete from phone returning 1) select * from x", None),
    ("select set_config('transaction_read_only', 'off', false)", None),
    ("select set_config('role', 'axlprov', false)", "permission denied"),
]


@pytest.mark.parametrize("sql,says", REFUSED, ids=[s[:40] for s, _ in REFUSED])
def test_refused_and_nothing_changed(axl, pg, data, sql, says):
    before = snapshot(pg)
    r = sql_call(axl, sql)
    msg = expect_axl_fault(r, -1, "soapenv:Client", OP)
    if says is not None:
        assert says in msg, msg
    assert snapshot(pg) == before
    assert values(axl, "select count(*) from device where description like '%s %%'"
                  % data["tag"]) == [[str(PHONES)]]


def test_set_config_does_not_outlive_its_request(axl, data):
    """What a statement sets dies with its transaction: on every worker the
    next statements still run with search_path ccm and read only."""
    conn = axl.connect()
    for _ in range(20):
        r = axl.raw(body=_env("select set_config('search_path', 'public', false), "
                              "set_config('statement_timeout', '0', false)"), conn=conn)
        assert r.status == 200, r.text
        conn = axl.connect()
        got = values(axl, "select count(*) from device where description like '%s %%'"
                     % data["tag"])
        assert got == [[str(PHONES)]]
        r = sql_call(axl, "select current_setting('statement_timeout'), "
                          "current_setting('search_path'), current_user, "
                          "current_setting('transaction_read_only')")
        assert values_of(r) == [["10s", "ccm", "axlprov_sql", "on"]]
    conn.close()


def _env(sql):
    from conftest import envelope
    return envelope(OP, "<sql>%s</sql>" % xml_escape(sql))


def values_of(r):
    assert r.status == 200, r.text
    return [[c.text or "" for c in row] for row in r.ret().findall("row")]


def test_over_8mb_refused_with_counts(axl, data):
    r = sql_call(axl, "select repeat('x', 1000) as x from generate_series(1, 10000)")
    msg = expect_axl_fault(r, -1, "soapenv:Server", OP)
    assert msg.startswith("Query request too large. Total rows matched: 10000 rows. "
                          "Suggestive Row Fetch: less than "), msg
    fit = int(msg.rsplit(" ", 2)[1])
    assert 7000 < fit < 8400, msg
    assert values(axl, "select count(*) from typedeviceprotocol") == [["2"]]


def test_timeout_and_sleep(pg):
    srv = start_server(pg, extra_args=("--sql-query-timeout", "1"))
    try:
        axl = Axl(srv)
        t = time.monotonic()
        r = sql_call(axl, "select pg_sleep(5)")
        took = time.monotonic() - t
        assert "statement timeout" in expect_axl_fault(r, -1, "soapenv:Client", OP)
        assert took < 4, took
        assert values(axl, "select 1 as one") == [["1"]]
    finally:
        finish_server(srv)


def test_update_and_inactive_refused(axl):
    r = sql_call(axl, "update device set description = 'x'", op="executeSQLUpdate")
    msg = expect_axl_fault(r, -746, "soapenv:Client", "executeSQLUpdate")
    assert "read-only" in msg and "updatePhone" in msg
    r = sql_call(axl, "select name from device", op="executeSQLQueryInactive")
    msg = expect_axl_fault(r, -746, "soapenv:Client", "executeSQLQueryInactive")
    assert "executeSQLQuery" in msg and "read-only" in msg


def test_read_only_user(server, pg, data):
    import subprocess
    subprocess.run([BINARY, "user", "set", "sqlreader", "--role", "read-only"],
                   input=ADMIN_PASSWORD + "\n", text=True, check=True, env=server.env,
                   capture_output=True)
    axl = Axl(server)
    auth = {"Authorization": axl.auth_header("sqlreader", ADMIN_PASSWORD)}
    r = axl.call(OP, "<sql>select count(*) from enduser</sql>", auth=False, headers=auth)
    assert r.status == 200, r.text
    r = axl.call("executeSQLUpdate", "<sql>delete from device</sql>", auth=False,
                 headers=auth)
    assert r.status == 401


def test_missing_sql(axl):
    r = axl.call(OP, "")
    expect_axl_fault(r, 5003, "soapenv:Server", OP, message="Missing required element: sql")


# --- zeep on Cisco's WSDL ----------------------------------------------------

@pytest.fixture(scope="module")
def zsvc(server):
    return ZeepAxl("14.0", server.user, server.password).service(https_url(server))


def zrows(resp):
    ret = resp["return"]
    if ret is None:
        return []
    return [[(c.tag, c.text or "") for c in row] for row in ret["row"]]


def test_zeep_queries(zsvc, data):
    got = zrows(zsvc.executeSQLQuery(
        sql="select name, description from device where name like 'SEP%%' "
            "and description like '%s %%' order by name" % data["tag"]))
    assert [r[0][1] for r in got] == data["names"]
    got = zrows(zsvc.executeSQLQuery(sql=JOIN_IMPLICIT % data["tag"]))
    assert len(got) == PHONES and got[0][2] == ("model", "Cisco 8845")
    got = zrows(zsvc.executeSQLQuery(
        sql="select skip 5 first 5 name from device where description like '%s %%' "
            "order by name" % data["tag"]))
    assert [r[0][1] for r in got] == data["names"][5:10]
    got = zrows(zsvc.executeSQLQuery(
        sql="select lower(userid), upper(firstname) from enduser where userid = '%s'"
            % data["userid"]))
    assert got == [[("lower", data["userid"].lower()), ("upper", "ADA")]]
    assert zrows(zsvc.executeSQLQuery(sql="select name from device where name = 'none'")) == []


def test_zeep_faults(zsvc):
    expect_fault(lambda: zsvc.executeSQLQuery(sql="delete from device"), -1,
                 message_prefix="Only SELECT")
    expect_fault(lambda: zsvc.executeSQLUpdate(sql="delete from device"), -746,
                 message_prefix="executeSQLUpdate is not served")


# --- Ansible, as Cisco's axl_sql_query.yml does it ------------------------------

def test_ansible_playbook_writes_csv(server, data, tmp_path):
    """examples/ansible/axl_sql_query.yml run by ansible-playbook over HTTPS:
    CUCM's two-space SOAPAction, xmltodict on the literal prefixes, CSV."""
    import csv
    import json
    import os
    import subprocess
    from conftest import TOP

    out = tmp_path / "rows.csv"
    extra = {"axl_host": "127.0.0.1", "axl_port": server.tls_port, "axl_user": server.user,
             "axl_password": server.password, "csv_file": str(out),
             "axl_sql": "select name, description, fkenduser from device where description "
                        "like '%s %%' order by name" % data["tag"]}
    env = dict(os.environ, ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    p = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local",
                        os.path.join(TOP, "examples", "ansible", "axl_sql_query.yml"),
                        "-e", json.dumps(extra)], env=env, capture_output=True, text=True,
                       timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    with open(out, newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == ["name", "description", "fkenduser"]
    assert [r[0] for r in got[1:]] == data["names"]
    assert all(r[2] == "" for r in got[1:])
    assert "%d rows written" % PHONES in p.stdout


def test_lost_connection_is_a_fault_then_reconnects(axl, data):
    """A statement that ends its own connection gets the "Database
    unavailable" fault; the worker reconnects for the next one."""
    for _ in range(3):
        r = sql_call(axl, "select pg_terminate_backend(pg_backend_pid())")
        msg = expect_axl_fault(r, -1, "soapenv:Server", OP)
        assert msg.startswith("Database unavailable"), msg
    for _ in range(10):
        assert values(axl, "select count(*) from device where description like '%s %%'"
                      % data["tag"]) == [[str(PHONES)]]


@pytest.mark.parametrize("version", ["11.0", "12.5", "15.0"])
def test_other_versions(axl, data, version):
    r = axl.call(OP, "<sql>select name from device where name = '%s'</sql>" % data["names"][0],
                 version=version)
    assert r.status == 200, r.text
    assert ('xmlns:ns="http://www.cisco.com/AXL/API/%s"' % version).encode() in r.body
    assert [[c.text for c in row] for row in r.ret().findall("row")] == [[data["names"][0]]]


def test_sql_query_database_url(pg):
    """The setting names the query role's connection: one that cannot log
    in gets "Database unavailable" (logged once per worker, not per
    request); the role's own works."""
    bad = start_server(pg, extra_args=(
        "--sql-query-database-url", pg.url.replace("user=axlprov", "user=nosuchrole")))
    try:
        axl = Axl(bad)
        for _ in range(12):
            r = sql_call(axl, "select 1 as one")
            msg = expect_axl_fault(r, -1, "soapenv:Server", OP)
            assert msg.startswith("Database unavailable: could not connect"), msg
        warnings = bad.log_text().count("cannot connect as the query role")
        assert 1 <= warnings <= 8, warnings
    finally:
        finish_server(bad)
    good = start_server(pg, extra_args=(
        "--sql-query-database-url", pg.url.replace("user=axlprov", "user=axlprov_sql")))
    try:
        axl = Axl(good)
        r = sql_call(axl, "select current_user as who")
        assert values_of(r) == [["axlprov_sql"]]
    finally:
        finish_server(good)
