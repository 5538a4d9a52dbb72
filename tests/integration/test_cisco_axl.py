"""Compatibility: axlprovd driven by the npm library cisco-axl.

cisco-axl is the AXL client Node.js scripts use: it loads Cisco's AXLAPI.wsdl
(the copy it ships, unmodified) into strong-soap and calls operations by
name with JSON tags.  A second client, on another SOAP stack than zeep
(test_zeep_compat.py), running the same scenario over HTTPS: a phone
security profile added, read by name and by uuid, updated with a rename,
listed and removed; a phone on it, which keeps the profile from being
removed; and AXL faults surfaced with their axlcode.  tests/node/axl_client.js
runs the library; the only thing changed from how a script uses it is the
endpoint address (the library always builds https://HOST:8443/axl/).
"""

import json
import os
import select
import shutil
import subprocess
import tempfile

import pytest

import reaper
from conftest import SCHEMA_VERSIONS, TOP, UUID_RE, sep_name

NODE = shutil.which("node")
CLIENT = os.path.join(TOP, "tests", "node", "axl_client.js")
LIBRARY = os.path.join(TOP, "tests", "node_modules", "cisco-axl", "index.js")

pytestmark = pytest.mark.skipif(NODE is None, reason="node not installed (make test-deps)")

PREDEFINED = "Cisco 8845 - Standard SIP Non-Secure Profile"
NOT_FOUND = "Item not valid: The specified Phone Security Profile was not found"


class NodeAxl:
    """One long-lived `node axl_client.js`: a JSON line in, a JSON line out."""

    def __init__(self, server, version, password=None):
        assert os.path.isfile(LIBRARY), "cisco-axl is not installed: run `make test-deps`"
        self.dir = tempfile.mkdtemp(prefix="axlprov-node-")
        env = dict(os.environ, AXL_URL="https://127.0.0.1:%d/axl/" % server.tls_port,
                   AXL_USER=server.user, AXL_PASSWORD=password or server.password,
                   AXL_VERSION=version, NODE_NO_WARNINGS="1",
                   # The test server's certificate is self-signed.
                   NODE_TLS_REJECT_UNAUTHORIZED="0")
        self.err = open(os.path.join(self.dir, "stderr"), "wb")
        self.proc = reaper.spawn([NODE, CLIENT], env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=self.err)

    def stderr(self):
        with open(os.path.join(self.dir, "stderr"), errors="replace") as f:
            return f.read()[-3000:]

    def call(self, op, timeout=60, **tags):
        """{"ok": ...}, {"fault": {...}} or {"error": "..."} for one operation."""
        self.proc.stdin.write((json.dumps({"op": op, "tags": tags}) + "\n").encode())
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        assert line, "no answer from axl_client.js to %s:\n%s" % (op, self.stderr())
        return json.loads(line)

    def ok(self, op, **tags):
        r = self.call(op, **tags)
        assert "ok" in r, (op, r)
        return r["ok"]

    def fault(self, op, **tags):
        r = self.call(op, **tags)
        assert "fault" in r, (op, r)
        return r["fault"]

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        finally:
            self.proc.stdout.close()
            self.err.close()
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module", params=["14.0", "15.0"])
def node(request, server):
    client = NodeAxl(server, request.param)
    yield client
    client.close()


def expect_fault(fault, axlcode, message, request, faultcode=None):
    assert fault["axlcode"] == axlcode, fault
    assert fault["axlmessage"] == message, fault
    assert fault["faultstring"] == message, fault
    assert fault["request"] == request, fault
    if faultcode is not None:
        assert fault["faultcode"] == faultcode, fault


def test_profile_lifecycle(node, unique):
    name = unique + "-node"
    uuid = node.ok("addPhoneSecurityProfile", phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": name, "description": "from node",
        "deviceSecurityMode": "Encrypted", "transportType": "TLS", "nonceValidityTime": 900})
    assert UUID_RE.match(uuid), uuid

    # get by name: every field, with the uuid attribute; strong-soap gives
    # Cisco's XInteger fields as text.
    p = node.ok("getPhoneSecurityProfile", name=name)["phoneSecurityProfile"]
    assert p["attributes"] == {"uuid": uuid}
    assert (p["name"], p["phoneType"], p["protocol"], p["description"]) == \
        (name, "Cisco 8845", "SIP", "from node")
    assert (p["deviceSecurityMode"], p["transportType"], p["nonceValidityTime"]) == \
        ("Encrypted", "TLS", "900")
    assert (p["authenticationMode"], p["keySize"], p["sipPhonePort"]) == \
        ("By Null String", "2048", "5060")
    assert node.ok("getPhoneSecurityProfile", uuid=uuid)["phoneSecurityProfile"] == p

    # update: only what is sent changes; newName renames.
    assert node.ok("updatePhoneSecurityProfile", uuid=uuid, newName=name + "-b",
                   description="renamed", sipPhonePort=5070) == uuid
    p2 = node.ok("getPhoneSecurityProfile", name=name + "-b")["phoneSecurityProfile"]
    assert (p2["description"], p2["sipPhonePort"], p2["deviceSecurityMode"]) == \
        ("renamed", "5070", "Encrypted")
    expect_fault(node.fault("getPhoneSecurityProfile", name=name), 5007, NOT_FOUND,
                 "getPhoneSecurityProfile", "soapenv:Server")

    # list: one row, only the tags asked for.
    rows = node.ok("listPhoneSecurityProfile", searchCriteria={"name": unique + "-node%"},
                   returnedTags={"name": "", "description": ""})["phoneSecurityProfile"]
    assert rows == [{"attributes": {"uuid": uuid}, "name": name + "-b", "description": "renamed"}]

    # remove; then it is gone.
    assert node.ok("removePhoneSecurityProfile", name=name + "-b") == uuid
    expect_fault(node.fault("getPhoneSecurityProfile", uuid=uuid), 5007, NOT_FOUND,
                 "getPhoneSecurityProfile")


def test_phone_keeps_its_profile(node, unique):
    prof = unique + "-nprof"
    prof_uuid = node.ok("addPhoneSecurityProfile", phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": prof})
    name = sep_name()
    phone_uuid = node.ok("addPhone", phone={
        "name": name, "product": "Cisco 8845", "class": "Phone", "protocol": "SIP",
        "protocolSide": "User", "devicePoolName": "Default", "securityProfileName": prof,
        "description": "node phone"})
    assert UUID_RE.match(phone_uuid), phone_uuid

    p = node.ok("getPhone", name=name, returnedTags={
        "name": "", "product": "", "description": "", "securityProfileName": ""})["phone"]
    assert p["attributes"]["uuid"] == phone_uuid
    assert (p["name"], p["product"], p["description"]) == (name, "Cisco 8845", "node phone")
    assert p["securityProfileName"] == {"attributes": {"uuid": prof_uuid}, "value": prof}
    rows = node.ok("listPhone", searchCriteria={"securityProfileName": prof},
                   returnedTags={"name": ""})["phone"]
    assert [r["name"] for r in rows] == [name]

    f = node.fault("removePhoneSecurityProfile", name=prof)
    expect_fault(f, -692, "Cannot remove Phone Security Profile %s: it is used by 1 phone(s): %s"
                 % (prof, name), "removePhoneSecurityProfile", "soapenv:Client")

    assert node.ok("removePhone", name=name) == phone_uuid
    expect_fault(node.fault("getPhone", name=name), 5007,
                 "Item not valid: The specified Phone was not found", "getPhone")
    assert node.ok("removePhoneSecurityProfile", uuid=prof_uuid) == prof_uuid


def test_faults_carry_axlcode(node, unique):
    expect_fault(node.fault("getPhoneSecurityProfile", name=unique + "-missing"), 5007,
                 NOT_FOUND, "getPhoneSecurityProfile", "soapenv:Server")
    f = node.fault("updatePhoneSecurityProfile", name=PREDEFINED, description="x")
    assert f["axlcode"] == -746 and f["faultcode"] == "soapenv:Client", f
    assert f["axlmessage"].startswith("Cannot update a predefined security profile: " + PREDEFINED)
    name = unique + "-bad"
    f = node.fault("addPhoneSecurityProfile", phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": name, "keySize": "999"})
    assert f["axlcode"] == 5003 and f["axlmessage"].startswith("Invalid value for keySize: 999"), f
    expect_fault(node.fault("getPhoneSecurityProfile", name=name), 5007, NOT_FOUND,
                 "getPhoneSecurityProfile")


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_shipped_wsdl_reads_a_profile(server, version):
    # Each version's WSDL from the package, against the same server: the
    # answer parses, and carries the fields that version's schema has
    # (EnableOAuthAuthentication came with 12.5).
    client = NodeAxl(server, version)
    try:
        p = client.ok("getPhoneSecurityProfile", name=PREDEFINED)["phoneSecurityProfile"]
    finally:
        client.close()
    assert UUID_RE.match(p["attributes"]["uuid"])
    assert (p["name"], p["phoneType"], p["deviceSecurityMode"]) == \
        (PREDEFINED, "Cisco 8845", "Non Secure")
    assert ("EnableOAuthAuthentication" in p) == (version >= "12.5"), p


def test_wrong_password_is_no_answer(server):
    # The 401 page holds no SOAP answer: the library rejects the call with
    # its "No return results" instead of resolving it with anything.
    client = NodeAxl(server, "14.0", password="wrong-" + server.password)
    try:
        r = client.call("getPhoneSecurityProfile", name=PREDEFINED)
    finally:
        client.close()
    assert r == {"error": "No return results"}, r


def test_execute_sql_query(node, unique):
    """executeSQLQuery as cisco-axl scripts send it (executeOperation with
    the statement as `sql`): the rows come back under their column names,
    a NULL as an empty value, and a refused statement as a -1 fault."""
    name = unique + "-sql"
    node.ok("addPhoneSecurityProfile", phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": name, "description": "sql"})
    try:
        ret = node.ok("executeSQLQuery",
                      sql="select name, description from securityprofile where name = '%s'" % name)
        row = ret["row"]
        row = row[0] if isinstance(row, list) else row
        assert (row["name"], row["description"]) == (name, "sql")
        fault = node.fault("executeSQLQuery", sql="delete from securityprofile")
        assert fault["axlcode"] == -1, fault
        assert fault["request"] == "executeSQLQuery", fault
        # The refused statement changed nothing.
        ret = node.ok("executeSQLQuery",
                      sql="select count(*) from securityprofile where name = '%s'" % name)
        row = ret["row"]
        row = row[0] if isinstance(row, list) else row
        assert str(row["count"]) == "1"
    finally:
        node.ok("removePhoneSecurityProfile", name=name)


def test_get_ccm_version(node):
    """The version probe toolchains send first answers through cisco-axl."""
    ret = node.ok("getCCMVersion")
    version = ret["componentVersion"]["version"]
    assert version.split(".")[:2] == ["14", "0"], ret
