"""Compatibility: axlprovd driven by python-zeep loaded with Cisco's WSDL.

Most AXL scripts in the wild are zeep scripts built on Cisco's own
AXLAPI.wsdl (as in Cisco's axl-python-zeep-samples): they load the WSDL
unmodified, point the binding at the server with create_service() and call
operations by keyword.  These tests do exactly that, over HTTPS and plain
HTTP, with the 14.0 WSDL (and the 15.0 WSDL for a get and a list), so that
anything zeep cannot parse, or parses into something a script would not
expect, fails here.  The WSDL is only ever read, never patched: the service
address is the one thing that changes.
"""

import os

import pytest
import requests
import zeep
from lxml import etree
from requests.auth import HTTPBasicAuth
from zeep.exceptions import Fault, TransportError
from zeep.plugins import HistoryPlugin
from zeep.transports import Transport

from conftest import SCHEMA_DIR, SOAPENV, UUID_RE, validate_body

# verify=False is deliberate (self-signed test cert); urllib3 would warn on
# every request.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

BINDING = "{http://www.cisco.com/AXLAPIService/}AXLAPIBinding"

# Every profile field of getPhoneSecurityProfile's answer, in schema order.
ALL_FIELDS = ["phoneType", "protocol", "name", "description", "deviceSecurityMode",
              "authenticationMode", "keySize", "keyOrder", "ecKeySize", "tftpEncryptedConfig",
              "EnableOAuthAuthentication", "nonceValidityTime", "transportType", "sipPhonePort",
              "enableDigestAuthentication", "excludeDigestCredentials"]

NOT_FOUND = "Item not valid: The specified Phone Security Profile was not found"
PREDEFINED = "Cisco 8845 - Standard SIP Non-Secure Profile"
DUPLICATE = "Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:)."


class ZeepAxl:
    """One zeep Client on one unmodified WSDL, with a history plugin."""

    def __init__(self, version, user, password):
        self.version = version
        self.wsdl = os.path.join(SCHEMA_DIR, version, "AXLAPI.wsdl")
        self.session = requests.Session()
        self.session.auth = HTTPBasicAuth(user, password)
        self.session.verify = False          # the test server's cert is self-signed
        # requests lets REQUESTS_CA_BUNDLE override session.verify=False.
        self.session.trust_env = False
        self.history = HistoryPlugin()
        self.client = zeep.Client(self.wsdl, transport=Transport(session=self.session, timeout=30),
                                  plugins=[self.history])

    def service(self, url):
        return self.client.create_service(BINDING, url)


@pytest.fixture(scope="module")
def z14(server):
    return ZeepAxl("14.0", server.user, server.password)


@pytest.fixture(scope="module")
def z15(server):
    return ZeepAxl("15.0", server.user, server.password)


def https_url(server):
    return "https://127.0.0.1:%d/axl/" % server.tls_port


def http_url(server):
    return "http://127.0.0.1:%d/axl/" % server.port


@pytest.fixture(params=["https", "http"])
def svc(request, server, z14):
    """The 14.0 service proxy, over TLS and over the plain listener."""
    return z14.service(https_url(server) if request.param == "https" else http_url(server))


def axl_error(fault):
    """(axlcode, axlmessage, request) from a zeep Fault's <detail>."""
    assert fault.detail is not None, "fault without detail: %r" % fault.message
    err = fault.detail.find("axlError")
    assert err is not None, etree.tostring(fault.detail)
    return int(err.findtext("axlcode")), err.findtext("axlmessage"), err.findtext("request")


def expect_fault(call, code, message=None, message_prefix=None, faultcode=None, request=None):
    """Runs call(); checks it raised a zeep Fault with the given AXL error."""
    with pytest.raises(Fault) as ei:
        call()
    f = ei.value
    axlcode, axlmessage, req = axl_error(f)
    assert axlcode == code, (f.message, axlcode)
    assert f.message == axlmessage, "faultstring and axlmessage differ"
    if message is not None:
        assert f.message == message
    if message_prefix is not None:
        assert f.message.startswith(message_prefix), f.message
    if faultcode is not None:
        assert f.code == faultcode
    if request is not None:
        assert req == request
    return f


def as_dict(profile):
    """A zeep profile object as {field: value} (plus 'uuid')."""
    d = zeep.helpers.serialize_object(profile, dict)
    return dict(d)


# --------------------------------------------------------------------------
# The whole life cycle, as a script would run it
# --------------------------------------------------------------------------

def test_lifecycle(svc, unique):
    name = unique + "-life"

    # add: the answer is the new profile's uuid as a '{UUID}' string.
    r = svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": name,
        "description": "zeep life", "deviceSecurityMode": "Encrypted",
        "transportType": "TLS", "tftpEncryptedConfig": "true"})
    uuid = r["return"]
    assert isinstance(uuid, str) and UUID_RE.match(uuid), uuid

    # get by name: every field, and the uuid attribute.
    p = svc.getPhoneSecurityProfile(name=name)["return"]["phoneSecurityProfile"]
    assert p.uuid == uuid
    d = as_dict(p)
    assert d["name"] == name
    assert d["phoneType"] == "Cisco 8845" and d["protocol"] == "SIP"
    assert d["description"] == "zeep life"
    assert d["deviceSecurityMode"] == "Encrypted"
    assert d["transportType"] == "TLS"
    assert d["tftpEncryptedConfig"] == "true"
    # Defaults for what was not sent.
    assert d["authenticationMode"] == "By Null String"
    assert d["keySize"] == "2048" and d["keyOrder"] == "RSA Only"
    # zeep turns Cisco's XInteger fields into Python ints.
    assert d["nonceValidityTime"] == 600 and d["sipPhonePort"] == 5060
    assert d["enableDigestAuthentication"] == "false"
    assert d["excludeDigestCredentials"] == "false"
    assert d["EnableOAuthAuthentication"] == "false"

    # get by uuid finds the same row.
    p2 = svc.getPhoneSecurityProfile(uuid=uuid)["return"]["phoneSecurityProfile"]
    assert as_dict(p2) == d

    # update: partial (only what is sent changes) plus a rename.
    r = svc.updatePhoneSecurityProfile(name=name, newName=name + "-b", description="renamed",
                                       sipPhonePort=5070)
    assert r["return"] == uuid
    p3 = as_dict(svc.getPhoneSecurityProfile(uuid=uuid)["return"]["phoneSecurityProfile"])
    assert p3["name"] == name + "-b" and p3["description"] == "renamed"
    assert p3["sipPhonePort"] == 5070
    assert p3["deviceSecurityMode"] == "Encrypted" and p3["transportType"] == "TLS"
    expect_fault(lambda: svc.getPhoneSecurityProfile(name=name), 5007, NOT_FOUND)

    # list finds it under its new name.
    rows = svc.listPhoneSecurityProfile(searchCriteria={"name": unique + "-life%"},
                                        returnedTags={"name": "", "description": ""})["return"]
    rows = rows["phoneSecurityProfile"]
    assert [(x.name, x.description, x.uuid) for x in rows] == [(name + "-b", "renamed", uuid)]

    # remove, by uuid; then it is gone.
    r = svc.removePhoneSecurityProfile(uuid=uuid)
    assert r["return"] == uuid
    expect_fault(lambda: svc.getPhoneSecurityProfile(uuid=uuid), 5007, NOT_FOUND,
                 faultcode="soapenv:Server", request="getPhoneSecurityProfile")


def test_add_minimal_and_remove_by_name(svc, unique):
    name = unique + "-min"
    uuid = svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 7965", "protocol": "SCCP", "name": name})["return"]
    d = as_dict(svc.getPhoneSecurityProfile(name=name)["return"]["phoneSecurityProfile"])
    assert d["protocol"] == "SCCP" and d["deviceSecurityMode"] == "Non Secure"
    assert d["description"] is None   # zeep reads the empty <description/> as None
    assert svc.removePhoneSecurityProfile(name=name)["return"] == uuid
    expect_fault(lambda: svc.removePhoneSecurityProfile(name=name), 5007,
                 "Item not valid: The specified entry was not found",
                 request="removePhoneSecurityProfile")


def test_sequence_is_echoed(svc, unique):
    name = unique + "-seq"
    r = svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": name}, sequence=4242)
    assert r["sequence"] == 4242
    r = svc.getPhoneSecurityProfile(name=name, sequence=7)
    assert r["sequence"] == 7
    svc.removePhoneSecurityProfile(name=name)


# --------------------------------------------------------------------------
# get with returnedTags
# --------------------------------------------------------------------------

@pytest.mark.parametrize("by", ["name", "uuid"])
def test_get_returned_tags(svc, unique, by):
    name = unique + "-rt"
    uuid = svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": name,
        "deviceSecurityMode": "Authenticated"})["return"]
    key = {"name": name} if by == "name" else {"uuid": uuid}
    # The way scripts ask for a subset: empty strings for wanted tags.
    p = svc.getPhoneSecurityProfile(returnedTags={"name": "", "deviceSecurityMode": "",
                                                  "transportType": ""},
                                    **key)["return"]["phoneSecurityProfile"]
    d = as_dict(p)
    assert p.uuid == uuid
    assert d["name"] == name
    assert d["deviceSecurityMode"] == "Authenticated"
    assert d["transportType"] == "TLS"
    # Fields not asked for were not sent; zeep shows them as None.
    unasked = [f for f in ALL_FIELDS if f not in ("name", "deviceSecurityMode", "transportType")]
    assert {f: d[f] for f in unasked} == {f: None for f in unasked}
    svc.removePhoneSecurityProfile(uuid=uuid)


def test_get_without_returned_tags_has_every_field(z14, server, unique):
    # Checked on the raw response: zeep would show a missing field as None
    # just like an unasked one, so look at what went over the wire.
    svc = z14.service(https_url(server))
    name = unique + "-all"
    svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": name})
    svc.getPhoneSecurityProfile(name=name)
    env = z14.history.last_received["envelope"]
    prof = env.find(".//phoneSecurityProfile")
    assert [c.tag for c in prof] == ALL_FIELDS
    svc.removePhoneSecurityProfile(name=name)


# --------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------

def test_list_paging_and_tags(svc, unique):
    names = ["%s-L%d" % (unique, i) for i in range(5)]
    for n in names:
        svc.addPhoneSecurityProfile(phoneSecurityProfile={
            "phoneType": "Cisco 8845", "protocol": "SIP", "name": n, "description": "pg " + n})
    crit = {"name": unique + "-L%"}

    rows = svc.listPhoneSecurityProfile(searchCriteria=crit,
                                        returnedTags={"name": ""})["return"]["phoneSecurityProfile"]
    assert [r.name for r in rows] == names
    assert all(UUID_RE.match(r.uuid) for r in rows)
    assert all(r.description is None and r.protocol is None for r in rows)

    page = svc.listPhoneSecurityProfile(searchCriteria=crit, returnedTags={"name": ""},
                                        skip=1, first=2)["return"]["phoneSecurityProfile"]
    assert [r.name for r in page] == names[1:3]

    # description as a second, AND-ed criterion.
    one = svc.listPhoneSecurityProfile(searchCriteria={"name": unique + "-L%",
                                                       "description": "pg %-L3"},
                                       returnedTags={"name": "", "description": ""}
                                       )["return"]["phoneSecurityProfile"]
    assert [(r.name, r.description) for r in one] == [(names[3], "pg " + names[3])]

    for n in names:
        svc.removePhoneSecurityProfile(name=n)


def test_list_empty_returned_tags_gives_all_fields(svc, unique):
    # returnedTags is required in list's schema, so zeep refuses to leave it
    # out; scripts that want everything send it empty: <returnedTags/>.
    name = unique + "-la"
    svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 7965", "protocol": "SIP", "name": name})
    rows = svc.listPhoneSecurityProfile(searchCriteria={"name": name}, returnedTags={})["return"]
    (r,) = rows["phoneSecurityProfile"]
    assert r.name == name and r.phoneType == "Cisco 7965" and r.protocol == "SIP"
    assert r.deviceSecurityMode == "Non Secure" and r.transportType == "TCP+UDP"
    assert r.keySize == "2048" and r.nonceValidityTime == 600 and r.sipPhonePort == 5060
    assert r.enableDigestAuthentication == "false" and r.EnableOAuthAuthentication == "false"
    svc.removePhoneSecurityProfile(name=name)


def test_list_empty(svc, unique):
    res = svc.listPhoneSecurityProfile(searchCriteria={"name": unique + "-none%"},
                                       returnedTags={"name": ""})
    # zeep parses `<return/>` as None (older zeep: an object with no rows).
    ret = res["return"]
    assert ret is None or not ret["phoneSecurityProfile"], ret


def test_list_predefined(svc):
    rows = svc.listPhoneSecurityProfile(
        searchCriteria={"name": PREDEFINED},
        returnedTags={"name": "", "phoneType": "", "protocol": ""}
    )["return"]["phoneSecurityProfile"]
    assert [(r.name, r.phoneType, r.protocol) for r in rows] == [
        (PREDEFINED, "Cisco 8845", "SIP")]


# --------------------------------------------------------------------------
# Faults as zeep raises them
# --------------------------------------------------------------------------

def test_duplicate_add(svc, unique):
    name = unique + "-dup"
    prof = {"phoneType": "Cisco 8845", "protocol": "SIP", "name": name}
    svc.addPhoneSecurityProfile(phoneSecurityProfile=prof)
    expect_fault(lambda: svc.addPhoneSecurityProfile(phoneSecurityProfile=prof), -239, DUPLICATE,
                 faultcode="soapenv:Client", request="addPhoneSecurityProfile")
    svc.removePhoneSecurityProfile(name=name)


def test_update_rename_onto_existing(svc, unique):
    a, b = unique + "-ra", unique + "-rb"
    for n in (a, b):
        svc.addPhoneSecurityProfile(phoneSecurityProfile={
            "phoneType": "Cisco 8845", "protocol": "SIP", "name": n})
    expect_fault(lambda: svc.updatePhoneSecurityProfile(name=a, newName=b), -239, DUPLICATE,
                 request="updatePhoneSecurityProfile")
    for n in (a, b):
        svc.removePhoneSecurityProfile(name=n)


@pytest.mark.parametrize("op", ["getPhoneSecurityProfile", "updatePhoneSecurityProfile"])
def test_not_found(svc, unique, op):
    expect_fault(lambda: getattr(svc, op)(name=unique + "-nope"), 5007, NOT_FOUND,
                 faultcode="soapenv:Server", request=op)
    expect_fault(lambda: getattr(svc, op)(uuid="{00000000-0000-0000-0000-000000000001}"),
                 5007, NOT_FOUND, request=op)


@pytest.mark.parametrize("field,value", [
    ("deviceSecurityMode", "Foo"),
    ("keySize", "999"),
    ("nonceValidityTime", "abc"),
    ("sipPhonePort", "70000"),
])
def test_invalid_value(svc, unique, field, value):
    name = unique + "-bad"
    prof = {"phoneType": "Cisco 8845", "protocol": "SIP", "name": name, field: value}
    f = expect_fault(lambda: svc.addPhoneSecurityProfile(phoneSecurityProfile=prof), 5003,
                     message_prefix="Invalid value for %s: %s" % (field, value),
                     faultcode="soapenv:Server")
    assert f.message.startswith("Invalid value for ")
    # Nothing was stored.
    expect_fault(lambda: svc.getPhoneSecurityProfile(name=name), 5007, NOT_FOUND)


def test_list_without_criteria_is_5003(svc):
    # zeep sends an empty <searchCriteria/> when given an empty dict.
    expect_fault(lambda: svc.listPhoneSecurityProfile(searchCriteria={}, returnedTags={"name": ""}),
                 5003, request="listPhoneSecurityProfile")


def test_predefined_update_refused(svc):
    expect_fault(lambda: svc.updatePhoneSecurityProfile(name=PREDEFINED, description="x"), -746,
                 message_prefix="Cannot update a predefined security profile: " + PREDEFINED,
                 faultcode="soapenv:Client")


def test_wrong_password_is_an_error(server, z14):
    # A script with bad credentials gets the 401 page, which zeep reports as
    # an error (a TransportError, or a Fault without AXL detail because the
    # page happens to be well-formed XML), never as a parsed answer.
    svc = z14.service(https_url(server))
    good = z14.session.auth
    z14.session.auth = HTTPBasicAuth(server.user, "wrong-" + server.password)
    try:
        with pytest.raises((TransportError, Fault)) as ei:
            svc.getPhoneSecurityProfile(name=PREDEFINED)
    finally:
        z14.session.auth = good
    e = ei.value
    if isinstance(e, TransportError):
        assert e.status_code == 401
    else:
        assert "HTTP Status 401" in str(e.detail)


# --------------------------------------------------------------------------
# The 15.0 WSDL against the same server
# --------------------------------------------------------------------------

def test_wsdl_15_get_and_list(z15, z14, server, unique):
    svc14 = z14.service(https_url(server))
    svc15 = z15.service(https_url(server))
    name = unique + "-v15"
    uuid = svc14.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": name})["return"]

    p = svc15.getPhoneSecurityProfile(name=name)["return"]["phoneSecurityProfile"]
    assert p.uuid == uuid and p.name == name and p.deviceSecurityMode == "Non Secure"
    sent = z15.history.last_sent
    assert sent["http_headers"]["SOAPAction"].strip('"') == \
        "CUCM:DB ver=15.0 getPhoneSecurityProfile"
    # The answer is in the 15.0 namespace and valid under 15.0's schema.
    env = z15.history.last_received["envelope"]
    body = env.find("{%s}Body" % SOAPENV)
    assert body[0].tag == "{http://www.cisco.com/AXL/API/15.0}getPhoneSecurityProfileResponse"
    validate_body(etree.tostring(env), "15.0")

    rows = svc15.listPhoneSecurityProfile(searchCriteria={"name": name},
                                          returnedTags={"name": "", "phoneType": ""}
                                          )["return"]["phoneSecurityProfile"]
    assert [(r.name, r.phoneType, r.uuid) for r in rows] == [(name, "Cisco 8845", uuid)]
    svc14.removePhoneSecurityProfile(uuid=uuid)


# --------------------------------------------------------------------------
# What zeep puts on the wire
# --------------------------------------------------------------------------

@pytest.mark.parametrize("op,kwargs", [
    ("getPhoneSecurityProfile", {"name": PREDEFINED}),
    ("listPhoneSecurityProfile", {"searchCriteria": {"name": "Cisco 8845 - Standard SIP%"},
                                  "returnedTags": {"name": ""}}),
])
def test_zeep_request_on_the_wire(z14, server, axl, op, kwargs):
    # History plugin: the SOAPAction zeep sent, and that the answer came from
    # the server for that operation.
    svc = z14.service(https_url(server))
    getattr(svc, op)(**kwargs)
    sent = z14.history.last_sent
    assert sent["http_headers"]["SOAPAction"].strip('"') == "CUCM:DB ver=14.0 %s" % op
    env = z14.history.last_received["envelope"]
    assert env.find("{%s}Body" % SOAPENV)[0].tag == \
        "{http://www.cisco.com/AXL/API/14.0}%sResponse" % op

    # create_message: the same request built without sending, then posted
    # byte for byte with the SOAPAction zeep would use.
    msg = z14.client.create_message(svc, op, **kwargs)
    raw = etree.tostring(msg, xml_declaration=True, encoding="utf-8")
    assert b"http://www.cisco.com/AXL/API/14.0" in raw
    resp = axl.raw(body=raw, headers={"SOAPAction": sent["http_headers"]["SOAPAction"]})
    assert resp.status == 200, resp.text
    assert resp.payload().tag == "{http://www.cisco.com/AXL/API/14.0}%sResponse" % op
    validate_body(resp.body, "14.0")


def test_keep_alive_session_reused(z14, server):
    # requests keeps one connection for a run of successful calls; the
    # server must not close it in between (urllib3 counts every new one).
    svc = z14.service(http_url(server))
    svc.getPhoneSecurityProfile(name=PREDEFINED)      # (re)opens the connection
    pool = z14.session.get_adapter("http://").poolmanager.connection_from_host(
        "127.0.0.1", server.port, scheme="http")
    before = pool.num_connections
    for _ in range(5):
        svc.getPhoneSecurityProfile(name=PREDEFINED)
    assert pool.num_connections == before
