"""The calls toolchains make first (issue 14): getCCMVersion (also as the
1.0 probe Cisco's Ansible examples send), the public version pages cucm-py
reads, doDeviceReset through the apply outbox, listRegistrationDynamic from
what the registrar recorded, and the phone's confirmation of a delivered
configuration.  Every 200 is validated against Cisco's schema for its
version; zeep drives the three operations with Cisco's own WSDLs.
"""

import json
import socket
import time
from xml.etree import ElementTree

import pytest

from conftest import (SCHEMA_VERSIONS, expect_axl_fault, finish_server, start_server,
                      validate_body)
from sipphone import SIPP, Sipp, SipPhone
from test_sip import Lab, queued, registered_phone, settled, status, wait_status

DEFAULT_CCM = "14.0.1.13900-155"
NEWER = ["11.5", "12.0", "12.5", "14.0", "15.0"]   # the versions with listRegistrationDynamic


@pytest.fixture
def lab(axl, unique):
    return Lab(axl, unique)


def version_of(r):
    return r.ret().find("componentVersion/version").text


# --------------------------------------------------------------------------
# getCCMVersion
# --------------------------------------------------------------------------

@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_get_ccm_version_in_every_version(axl, version):
    r = axl.call("getCCMVersion", "<processNodeName/>", version=version, sequence=7)
    assert r.status == 200, r.text
    assert version_of(r) == DEFAULT_CCM
    assert 'sequence="7"' in r.text


def test_probe_in_namespace_1_0_without_soapaction(axl):
    """Cisco's Ansible examples: namespace 1.0, no SOAPAction; the answer
    is 11.0's (the oldest served) and its first two numbers name the
    version for later calls."""
    r = axl.call("getCCMVersion", "<processNodeName></processNodeName>", version="1.0",
                 soapaction=None, validate=False)
    assert r.status == 200, r.text
    validate_body(r.body, "11.0")
    version = version_of(r)
    assert ".".join(version.split(".")[:2]) == "14.0"
    # ... and that version works for the next call
    assert axl.call("getCCMVersion", "", version="14.0").status == 200


@pytest.mark.parametrize("op", ["getPhoneSecurityProfile", "listRegistrationDynamic"])
def test_namespace_1_0_is_for_the_probe_only(axl, op):
    r = axl.call(op, "<name>x</name>", version="1.0", soapaction=None, validate=False)
    assert r.status == 599, r.text
    assert "Incorrect axl version" in r.text


def test_process_node_name(server, axl):
    for node in ("", "test-%d" % server.sip_port):
        r = axl.call("getCCMVersion", "<processNodeName>%s</processNodeName>" % node)
        assert r.status == 200, (node, r.text)
    r = axl.call("getCCMVersion", "<processNodeName>cucm-pub.example</processNodeName>")
    msg = expect_axl_fault(r, 5003, "soapenv:Server", "getCCMVersion")
    assert "processNodeName" in msg, msg
    assert "test-%d" % server.sip_port in msg


def test_host_name_is_this_node_without_sip_node(pg):
    srv = start_server(pg, ["--sip-node", ""])
    try:
        from conftest import Axl
        a = Axl(srv)
        host = socket.gethostname()
        r = a.call("getCCMVersion", "<processNodeName>%s</processNodeName>" % host)
        assert r.status == 200, r.text
    finally:
        finish_server(srv)


def test_ccm_version_setting_reaches_both_answers(pg):
    srv = start_server(pg, ["--ccm-version", "15.0.1.10000-31"])
    try:
        from conftest import Axl
        a = Axl(srv)
        r = a.call("getCCMVersion", "", version="15.0")
        assert version_of(r) == "15.0.1.10000-31"
        page = a.raw("GET", "/cucm-uds/version", auth=False)
        assert ElementTree.fromstring(page.body).get("version") == "15.0.1.10000-31"
    finally:
        finish_server(srv)


def test_bad_ccm_version_is_refused_at_start(pg, tmp_path):
    import subprocess
    from conftest import BINARY
    r = subprocess.run([BINARY, "--ccm-version", "13.0.1.1-1", "check-config"],
                       capture_output=True, text=True, env={"AXLPROV_DATABASE_URL": pg.url})
    assert r.returncode != 0
    assert "ccm_version" in r.stderr + r.stdout


# --------------------------------------------------------------------------
# the public pages (cucm-py's sequence)
# --------------------------------------------------------------------------

def test_cucm_py_sequence(server, axl):
    root = axl.raw("GET", "/", auth=False)
    assert root.status == 200, root.text
    assert "axlprov" in root.text and 'href="/axl/"' in root.text
    texts = [e.text for e in ElementTree.fromstring(root.body).iter()]
    assert "Cisco Unified Communications Manager" in texts
    v = axl.raw("GET", "/cucm-uds/version", auth=False)
    assert v.status == 200, v.text
    info = ElementTree.fromstring(v.body)
    assert info.tag == "versionInformation"
    assert info.get("version") == DEFAULT_CCM
    assert info.get("uri").endswith("/cucm-uds/version")
    assert ".".join(info.get("version").split(".")[:2]) in SCHEMA_VERSIONS
    page = axl.raw("GET", "/axl/")
    assert page.status == 200 and "Cisco CallManager: AXL Web Service" in page.text


def test_public_pages_ignore_bad_credentials(axl):
    r = axl.raw("GET", "/cucm-uds/version", headers={"Authorization": "Basic Zm9vOmJhcg=="},
                auth=False)
    assert r.status == 200


@pytest.mark.parametrize("method,path", [("GET", "/axl/"), ("GET", "/axl"), ("POST", "/axl/"),
                                         ("GET", "/metrics"), ("GET", "/axl/status/apply/x")])
def test_everything_else_still_needs_credentials(axl, method, path):
    r = axl.raw(method, path, auth=False)
    assert r.status == 401, (path, r.status)


@pytest.mark.parametrize("path", ["/", "/cucm-uds/version"])
def test_public_pages_are_get_only(axl, path):
    assert axl.raw("POST", path, body="<x/>").status == 405
    assert axl.raw("GET", path + "x", auth=False).status in (401, 404)


# --------------------------------------------------------------------------
# doDeviceReset
# --------------------------------------------------------------------------

def reset(axl, device, choice, version="14.0", attrs=""):
    inner = "%s%s" % (device, choice)
    return axl.call("doDeviceReset", inner, version=version,
                    sequence=None) if not attrs else axl.raw(
        body=('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
              'xmlns:ns="http://www.cisco.com/AXL/API/14.0"><soapenv:Body>'
              '<ns:doDeviceReset %s>%s</ns:doDeviceReset></soapenv:Body></soapenv:Envelope>'
              % (attrs, inner)))


@pytest.mark.parametrize("choice,action", [
    ("<isHardReset>true</isHardReset>", "reset"),
    ("<isHardReset>false</isHardReset>", "restart"),
    ("<deviceResetType>Reset</deviceResetType>", "reset"),
    ("<deviceResetType>Restart</deviceResetType>", "restart"),
    ("<deviceResetType>Apply Configuration</deviceResetType>", "apply-config"),
])
def test_do_device_reset_reaches_the_phone(server, axl, lab, choice, action):
    ph, name, _ = registered_phone(server, lab)
    try:
        r = reset(axl, "<deviceName>%s</deviceName>" % name, choice)
        assert r.status == 200, r.text
        assert r.ret().text == "true"
        n = ph.wait_request()
        assert n is not None, server.log_text()[-2000:]
        ph.answer(n)
        assert n.header("Event") == "service-control"
        assert n.body.startswith("action=%s\r\n" % action), n.body
        st = wait_status(axl, r.header("X-Axlprov-Apply-Request"), lambda s: s["delivered"] == 1)
        assert st["operation"] == "doDeviceReset" and st["action"] == action
        assert st["targetName"] == name and st["delivered"] == 1
        audit = server.pg.sql("SELECT operation, changes->>'action' FROM audit "
                              "WHERE target_name = :'v1' ORDER BY id DESC LIMIT 1", name)
        assert audit == [["doDeviceReset", action]]
    finally:
        ph.close()


@pytest.mark.skipif(SIPP is None, reason="sipp (Debian sip-tester) not installed")
def test_do_device_reset_of_each_type_reaches_sipp_phones(server, axl, lab):
    """Real phones (our SIPp scenario): each hears the event of its type;
    afterwards listRegistrationDynamic shows each as it left: un-REGISTERed."""
    profile = lab.profile(digest=True)
    phones = [lab.phone(profile) for _ in range(3)]
    choices = [("<isHardReset>true</isHardReset>", "reset"),
               ("<isHardReset>false</isHardReset>", "restart"),
               ("<deviceResetType>Apply Configuration</deviceResetType>", "apply-config")]
    sipp = Sipp(server.sip_port, [(u, p) for _, u, p in phones])
    try:
        sipp.wait_registered()
        for (name, _, _), _ in zip(phones, choices):
            assert row_of(axl, name, ris("Registered"))["risStatus"] == "Registered"
        requests = []
        for (name, _, _), (choice, _) in zip(phones, choices):
            r = reset(axl, "<deviceName>%s</deviceName>" % name, choice)
            assert r.status == 200, r.text
            requests.append(r.header("X-Axlprov-Apply-Request"))
        assert sipp.wait() == 0, sipp.diagnostics()
        got = " ".join(sipp.logged("NOTIFY received"))
        for (_, userid, _), (_, action) in zip(phones, choices):
            assert "Event=service-control action=%s" % action in got, got
        for ident, (_, action) in zip(requests, choices):
            st = wait_status(axl, ident, settled)
            assert (st["operation"], st["action"], st["delivered"]) == ("doDeviceReset", action, 1)
        for name, _, _ in phones:
            assert row_of(axl, name, ris("Unregistered"))["risStatus"] == "Unregistered"
    finally:
        sipp.cleanup()


def test_do_device_reset_by_uuid(axl, lab, server):
    name, _, _ = lab.phone()
    uuid = server.pg.sql("SELECT pkid FROM phone WHERE name = :'v1'", name)[0][0]
    r = reset(axl, '<deviceName uuid="{%s}"></deviceName>' % uuid.upper(),
              "<isHardReset>t</isHardReset>")
    assert r.status == 200, r.text
    st = wait_status(axl, r.header("X-Axlprov-Apply-Request"), queued)
    assert (st["targetName"], st["action"], st["unreachable"]) == (name, "reset", 1)


@pytest.mark.parametrize("choice,text", [
    ("<deviceResetType>Generate PRT</deviceResetType>", "Generate PRT is not supported"),
    ("<deviceResetType>Extended Config Pull</deviceResetType>",
     "Extended Config Pull is not supported"),
    ("<deviceResetType>Reboot</deviceResetType>", "deviceResetType"),
    ("<isHardReset>maybe</isHardReset>", "isHardReset"),
    ("", "isHardReset"),
    ("<isHardReset>true</isHardReset><deviceResetType>Reset</deviceResetType>", "exactly one"),
])
def test_do_device_reset_refusals_change_nothing(server, axl, lab, choice, text):
    name, _, _ = lab.phone()
    before = server.pg.sql("SELECT count(*) FROM apply_request")
    r = reset(axl, "<deviceName>%s</deviceName>" % name, choice)
    msg = expect_axl_fault(r, 5003, "soapenv:Server", "doDeviceReset")
    assert text in msg, msg
    assert server.pg.sql("SELECT count(*) FROM apply_request") == before


def test_do_device_reset_mgcp_and_unknown_device(server, axl, lab):
    name, _, _ = lab.phone()
    r = reset(axl, "<deviceName>%s</deviceName>" % name, "<isHardReset>true</isHardReset>",
              attrs='isMGCP="true"')
    msg = expect_axl_fault(r, 5003, "soapenv:Server", "doDeviceReset")
    assert "MGCP" in msg, msg
    r = reset(axl, "<deviceName>%s</deviceName>" % name, "<isHardReset>true</isHardReset>",
              attrs='isMGCP="false"')
    assert r.status == 200, r.text
    r = reset(axl, "<deviceName>SEPNOSUCH00000</deviceName>", "<isHardReset>true</isHardReset>")
    expect_axl_fault(r, 5007, "soapenv:Server", "doDeviceReset")
    r = reset(axl, "", "<isHardReset>true</isHardReset>")
    expect_axl_fault(r, 5003, "soapenv:Server", "doDeviceReset")


# --------------------------------------------------------------------------
# listRegistrationDynamic
# --------------------------------------------------------------------------

def registrations(axl, pattern, tags="", version="14.0", extra=""):
    r = axl.call("listRegistrationDynamic",
                 "<searchCriteria><device>%s</device></searchCriteria>"
                 "<returnedTags>%s</returnedTags>%s" % (pattern, tags, extra), version=version)
    assert r.status == 200, r.text
    return [{c.tag: (c.text or "") for c in row} | {"uuid": row.find("device").get("uuid")
                                                     if row.find("device") is not None else None}
            for row in r.ret()]


def row_of(axl, name, until=None, timeout=5.0, **kw):
    """The phone's row; with until, polled until until(row) holds (for
    what happens after a request: a SIPp phone's scenario)."""
    deadline = time.time() + timeout
    while True:
        rows = registrations(axl, name, **kw)
        assert len(rows) == 1, rows
        if until is None or until(rows[0]) or time.time() > deadline:
            return rows[0]
        time.sleep(0.05)


def ris(want):
    return lambda row: row.get("risStatus") == want


@pytest.mark.parametrize("version", NEWER)
def test_registered_phone_row(server, axl, lab, version):
    ph, name, _ = registered_phone(server, lab)
    try:
        row = row_of(axl, name, version=version)
        assert row["device"] == name and row["uuid"].startswith("{")
        # risStatus came with 12.5
        assert row.get("risStatus", "none") == ("none" if version < "12.5" else "Registered")
        assert row["lastKnownIpAddress"] == "127.0.0.1"
        assert row["lastKnownUcm"] == "test-%d" % server.sip_port
        assert abs(int(row["lastSeen"]) - time.time()) < 60
        version_now = server.pg.sql("SELECT config_version FROM phone WHERE name = :'v1'", name)
        assert row["lastKnownConfigVersion"] == version_now[0][0]
        assert row["endpointConnection"] == "" and row["portOrSsid"] == ""
    finally:
        ph.close()


def test_list_registration_dynamic_is_not_in_11_0(axl):
    r = axl.call("listRegistrationDynamic",
                 "<searchCriteria><device>%</device></searchCriteria><returnedTags/>",
                 version="11.0")
    assert r.status == 500, r.text
    assert "Operation not found" in r.text


def test_unknown_unregistered_expired_and_rejected(server, pg, axl, lab):
    profile = lab.profile(digest=True)
    never, _, _ = lab.phone(profile)
    assert row_of(axl, never)["risStatus"] == "Unknown"
    assert row_of(axl, never)["lastSeen"] == ""
    # un-REGISTER
    name, userid, password = lab.phone(profile)
    ph = SipPhone(server.sip_port, userid, password)
    try:
        assert ph.register().status == 200
        assert row_of(axl, name)["risStatus"] == "Registered"
        assert ph.register(expires=0).status == 200
        assert row_of(axl, name)["risStatus"] == "Unregistered"
        # expiry, also once the binding row is gone
        assert ph.register().status == 200
        pg.sql("UPDATE sip_registration SET expires_at = now() - interval '1 second' "
               "FROM phone p WHERE p.pkid = phone_id AND p.name = :'v1'", name)
        row = row_of(axl, name)
        assert (row["risStatus"], row["lastKnownIpAddress"]) == ("Unregistered", "127.0.0.1")
        pg.sql("DELETE FROM sip_registration USING phone p "
               "WHERE p.pkid = phone_id AND p.name = :'v1'", name)
        assert row_of(axl, name)["risStatus"] == "Unregistered"
        # a refused REGISTER
        assert ph.register(password="wrong").status == 403
        assert row_of(axl, name)["risStatus"] == "Rejected"
        assert ph.register().status == 200
        assert row_of(axl, name)["risStatus"] == "Registered"   # the binding is newer
    finally:
        ph.close()


def test_search_tags_order_and_paging(axl, lab):
    names = sorted(lab.phone(with_user=False)[0] for _ in range(3))
    prefix = names[0][:3] + "%"
    got = [r["device"] for r in registrations(axl, prefix) if r["device"] in names]
    assert got == names
    rows = registrations(axl, names[1], tags="<risStatus/>")
    assert rows == [{"risStatus": "Unknown", "uuid": None}]
    rows = registrations(axl, "|".join(names) if False else "%", tags="<device/>",
                         extra="<skip>1</skip><first>1</first>")
    assert len(rows) == 1
    assert registrations(axl, "NOMATCH%") == []


def test_search_criteria_needed(axl):
    r = axl.call("listRegistrationDynamic", "<returnedTags/>")
    expect_axl_fault(r, 5003, "soapenv:Server", "listRegistrationDynamic")
    r = axl.call("listRegistrationDynamic",
                 "<searchCriteria><device>%</device></searchCriteria><first>x</first>")
    expect_axl_fault(r, 5003, "soapenv:Server", "listRegistrationDynamic")


# --------------------------------------------------------------------------
# confirmed configuration
# --------------------------------------------------------------------------

def test_new_registration_confirms_the_delivered_version(server, axl, lab):
    ph, name, _ = registered_phone(server, lab)
    try:
        first = int(row_of(axl, name)["lastKnownConfigVersion"])
        r = reset(axl, "<deviceName>%s</deviceName>" % name,
                  "<deviceResetType>Apply Configuration</deviceResetType>")
        ident = r.header("X-Axlprov-Apply-Request")
        n = ph.wait_request()
        ph.answer(n)
        st = wait_status(axl, ident, lambda s: s["delivered"] == 1)
        p = st["phones"][0]
        assert p["state"] == "delivered" and p["doneAt"] and p["confirmed"] is False
        # a refresh on the same Call-ID confirms nothing
        assert ph.register().status == 200
        assert status(axl, ident)["phones"][0]["confirmed"] is False
        assert status(axl, ident)["phones"][0]["confirmed"] is False
        assert int(row_of(axl, name)["lastKnownConfigVersion"]) == first
        # a new registration does
        ph.call_id = "restarted-" + ph.call_id
        assert ph.register().status == 200
        p = status(axl, ident)["phones"][0]   # recorded before the 200 was sent
        assert p["confirmed"] is True and p["confirmedAt"] >= p["doneAt"]
        assert int(row_of(axl, name)["lastKnownConfigVersion"]) == first + 1
        assert "confirmed 1 delivered NOTIFY" in server.log_text()
    finally:
        ph.close()


def test_undelivered_notify_is_not_confirmed(server, axl, lab):
    ph, name, _ = registered_phone(server, lab)
    try:
        r = reset(axl, "<deviceName>%s</deviceName>" % name, "<isHardReset>false</isHardReset>")
        ident = r.header("X-Axlprov-Apply-Request")
        n = ph.wait_request()
        ph.answer(n, status=486, reason="Busy Here")
        ph.call_id = "other-" + ph.call_id
        assert ph.register().status == 200
        p = status(axl, ident)["phones"][0]
        assert p["state"] != "delivered" and p["confirmed"] is False
    finally:
        ph.close()
