"""The five PhoneSecurityProfile operations against the real server and DB.

Covers add (all fields, defaults, normalisation, every invalid-value rule,
missing elements, duplicates, concurrent duplicates), get (by name or uuid in
any spelling, returnedTags), update (partial, rename, mode/transport rules,
faults leave the row untouched), remove, and list (LIKE patterns, AND,
case sensitivity, returnedTags, paging, empty result, bad arguments), plus
the input leniency a real CUCM shows (unknown elements, any element order,
any namespace prefix, no soapenv:Header).

Every name is made from the `unique` prefix because all tests share one
database; nothing here relies on global row counts.
"""

import re
import threading

import pytest

from conftest import (PROFILE_DEFAULTS, AXL_NS, SOAPENV, UUID_RE, Axl, add_profile, envelope, fields_of, get_profile,
                      profile_xml, validate_body, xml_escape)
from conftest import expect_axl_fault as expect_fault

# RPhoneSecurityProfile / LPhoneSecurityProfile children, in schema order.
ORDER = ["phoneType", "protocol", "name", "description", "deviceSecurityMode", "authenticationMode",
         "keySize", "keyOrder", "ecKeySize", "tftpEncryptedConfig", "EnableOAuthAuthentication",
         "nonceValidityTime", "transportType", "sipPhonePort", "enableDigestAuthentication",
         "excludeDigestCredentials"]

# What a profile gets for every element the add leaves out.
DEFAULTS = PROFILE_DEFAULTS

NOT_FOUND = "Item not valid: The specified Phone Security Profile was not found"
ENTRY_NOT_FOUND = "Item not valid: The specified entry was not found"
DUPLICATE = "Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:)."


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def shown(value):
    """The value as faults echo it: control characters as \\xNN (UTF-8 bytes)."""
    out = []
    for ch in value:
        if ord(ch) < 0x20 or ord(ch) == 0x7F or 0x80 <= ord(ch) < 0xA0:
            out.extend("\\x%02X" % b for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def expect_invalid(r, op, element, value):
    """A 5003 "Invalid value for <element>: <value>[ (<reason>)]" fault."""
    msg = expect_fault(r, 5003, "soapenv:Server", op, prefix="Invalid value for %s: " % element)
    head = "Invalid value for %s: %s" % (element, shown(value))
    assert msg == head or msg.startswith(head + " ("), msg
    return msg


def full_get(axl, name=None, uuid=None, version="14.0"):
    """(uuid attribute, {field: value}) of one profile; asserts it exists."""
    r = get_profile(axl, name=name, uuid=uuid, version=version)
    assert r.status == 200, r.text
    p = r.ret().find("phoneSecurityProfile")
    return p.get("uuid"), fields_of(p)


def assert_absent(axl, name):
    """The profile was not stored: get by name answers 5007."""
    r = get_profile(axl, name)
    expect_fault(r, 5007, "soapenv:Server", "getPhoneSecurityProfile", NOT_FOUND)


def update(axl, key, **fields):
    """updatePhoneSecurityProfile; key is ('name'|'uuid', value)."""
    inner = "<%s>%s</%s>" % (key[0], xml_escape(key[1]), key[0])
    inner += "".join("<%s>%s</%s>" % (k, xml_escape(str(v)), k) for k, v in fields.items())
    return axl.call("updatePhoneSecurityProfile", inner)


def remove(axl, key):
    return axl.call("removePhoneSecurityProfile", "<%s>%s</%s>" % (key[0], xml_escape(key[1]), key[0]))


def list_call(axl, name=None, description=None, tags=("name",), skip=None, first=None,
              criteria=True, version="14.0"):
    inner = ""
    if criteria:
        crit = ""
        if name is not None:
            crit += "<name>%s</name>" % xml_escape(name)
        if description is not None:
            crit += "<description>%s</description>" % xml_escape(description)
        inner += "<searchCriteria>%s</searchCriteria>" % crit
    inner += "<returnedTags>%s</returnedTags>" % "".join("<%s/>" % t for t in tags)
    if skip is not None:
        inner += "<skip>%s</skip>" % skip
    if first is not None:
        inner += "<first>%s</first>" % first
    return axl.call("listPhoneSecurityProfile", inner, version=version)


def listed_names(axl, **kw):
    r = list_call(axl, **kw)
    assert r.status == 200, r.text
    return [p.findtext("name") for p in r.ret()]


# --------------------------------------------------------------------------
# add
# --------------------------------------------------------------------------

def test_add_all_fields_round_trip(axl, unique):
    given = {
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": unique + "-all",
        "description": "all sixteen fields", "deviceSecurityMode": "Encrypted",
        "authenticationMode": "By Authentication String", "keySize": "3072",
        "keyOrder": "EC Preferred, RSA Backup", "ecKeySize": "521", "tftpEncryptedConfig": "true",
        "EnableOAuthAuthentication": "true", "nonceValidityTime": "1200", "transportType": "TLS",
        "sipPhonePort": "5061", "enableDigestAuthentication": "true",
        "excludeDigestCredentials": "true",
    }
    r = axl.call("addPhoneSecurityProfile", profile_xml(**given), sequence="1234567890123")
    assert r.status == 200, r.text
    assert r.payload().tag == "{%s}addPhoneSecurityProfileResponse" % (AXL_NS % "14.0")
    assert r.payload().get("sequence") == "1234567890123"
    uuid = r.ret().text
    assert UUID_RE.match(uuid), uuid

    got_uuid, fields = full_get(axl, given["name"])
    assert got_uuid == uuid
    assert list(fields) == ORDER
    assert fields == given


def test_minimal_add_gets_defaults(axl, unique):
    uuid = add_profile(axl, unique + "-min")
    assert UUID_RE.match(uuid)
    got_uuid, fields = full_get(axl, unique + "-min")
    assert got_uuid == uuid
    assert fields == dict(DEFAULTS, phoneType="Cisco 8845", protocol="SIP", name=unique + "-min")


@pytest.mark.parametrize("given,expected", [
    # a secure mode without a transport gets TLS
    ({"deviceSecurityMode": "Authenticated"}, {"transportType": "TLS"}),
    ({"deviceSecurityMode": "Encrypted"}, {"transportType": "TLS"}),
    # an EC key order without an EC key size gets 384
    ({"keyOrder": "EC Only"}, {"ecKeySize": "384"}),
    ({"keyOrder": "EC Preferred, RSA Backup"}, {"ecKeySize": "384"}),
    # booleans accept t/f/0/1 and print true/false
    ({"tftpEncryptedConfig": "t", "enableDigestAuthentication": "1",
      "EnableOAuthAuthentication": "0", "excludeDigestCredentials": "f"},
     {"tftpEncryptedConfig": "true", "enableDigestAuthentication": "true",
      "EnableOAuthAuthentication": "false", "excludeDigestCredentials": "false"}),
    # enums match in any case and print the canonical spelling
    ({"deviceSecurityMode": "authenticated", "transportType": "tls",
      "authenticationMode": "by existing certificate (PRECEDENCE TO LSC)", "keyOrder": "ec only"},
     {"deviceSecurityMode": "Authenticated", "transportType": "TLS",
      "authenticationMode": "By Existing Certificate (precedence to LSC)", "keyOrder": "EC Only",
      "ecKeySize": "384"}),
    ({"transportType": "tcp+udp"}, {"transportType": "TCP+UDP"}),
])
def test_add_derived_and_normalised_values(axl, unique, given, expected):
    add_profile(axl, unique, **given)
    _, fields = full_get(axl, unique)
    for k, v in expected.items():
        assert fields[k] == v, k


def test_add_sccp_profile(axl, unique):
    add_profile(axl, unique, phoneType="Cisco 7965", protocol="SCCP",
                deviceSecurityMode="Encrypted", tftpEncryptedConfig="true")
    _, fields = full_get(axl, unique)
    assert (fields["phoneType"], fields["protocol"], fields["deviceSecurityMode"],
            fields["tftpEncryptedConfig"]) == ("Cisco 7965", "SCCP", "Encrypted", "true")


def test_add_duplicate_name(axl, unique):
    first = add_profile(axl, unique)
    r = axl.call("addPhoneSecurityProfile", profile_xml(phoneType="Cisco 7841", protocol="SIP",
                                                        name=unique, description="second"))
    expect_fault(r, -239, "soapenv:Client", "addPhoneSecurityProfile", DUPLICATE)
    # the first one is untouched
    uuid, fields = full_get(axl, unique)
    assert (uuid, fields["phoneType"], fields["description"]) == (first, "Cisco 8845", "")


E_ACUTE = "\u00e9"

# (extra add fields, element named in the message, value in the message)
INVALID = [
    ({"deviceSecurityMode": "Foo"}, "deviceSecurityMode", "Foo"),
    ({"authenticationMode": "By Magic"}, "authenticationMode", "By Magic"),
    ({"keySize": "999"}, "keySize", "999"),
    ({"keyOrder": "DSA Only"}, "keyOrder", "DSA Only"),
    ({"keyOrder": "EC Only", "ecKeySize": "128"}, "ecKeySize", "128"),
    ({"transportType": "SCTP"}, "transportType", "SCTP"),
    ({"nonceValidityTime": "abc"}, "nonceValidityTime", "abc"),
    ({"nonceValidityTime": "0"}, "nonceValidityTime", "0"),
    ({"sipPhonePort": "70000"}, "sipPhonePort", "70000"),
    ({"tftpEncryptedConfig": "maybe"}, "tftpEncryptedConfig", "maybe"),
    ({"enableDigestAuthentication": "yes"}, "enableDigestAuthentication", "yes"),
    ({"description": "x" * 51}, "description", "x" * 51),
    ({"description": E_ACUTE * 51}, "description", E_ACUTE * 51),
    ({"description": 'say "hi"'}, "description", 'say "hi"'),
    ({"description": "100%"}, "description", "100%"),
    ({"description": "R&D"}, "description", "R&D"),
    ({"description": "back\\slash"}, "description", "back\\slash"),
    ({"description": "a<b"}, "description", "a<b"),
    ({"description": "a>b"}, "description", "a>b"),
    ({"description": "tab\there"}, "description", "tab\there"),
    ({"description": "del\x7fhere"}, "description", "del\x7fhere"),
    ({"description": "c1\u0085here"}, "description", "c1\u0085here"),
    ({"phoneType": "Cisco 9999"}, "phoneType", "Cisco 9999"),
    ({"phoneType": "Conference Bridge"}, "phoneType", "Conference Bridge"),
    ({"phoneType": "Cisco 8875"}, "phoneType", "Cisco 8875"),  # 15.0-only model in 14.0
    ({"protocol": "MGCP"}, "protocol", "MGCP"),
    ({"protocol": "SCCP"}, "protocol", "SCCP"),  # Cisco 8845 speaks SIP only
    ({"phoneType": "Third-party SIP Device (Basic)", "deviceSecurityMode": "Authenticated"},
     "deviceSecurityMode", "Authenticated"),
    ({"deviceSecurityMode": "Authenticated", "transportType": "TCP"}, "transportType", "TCP"),
    ({"deviceSecurityMode": "Encrypted", "transportType": "UDP"}, "transportType", "UDP"),
    ({"deviceSecurityMode": "Non Secure", "transportType": "TLS"}, "transportType", "TLS"),
] + [
    # SCCP profiles cannot set SIP-only fields to anything but the default
    (dict({"phoneType": "Cisco 7965", "protocol": "SCCP"}, **{k: v}), k, v)
    for k, v in [("nonceValidityTime", "300"), ("transportType", "TCP"), ("sipPhonePort", "5061"),
                 ("enableDigestAuthentication", "true"), ("excludeDigestCredentials", "true"),
                 ("EnableOAuthAuthentication", "true")]
] + [
    # third-party devices have none of the Cisco-only settings
    (dict({"phoneType": "Third-party SIP Device (Basic)"}, **{k: v}), k, v)
    for k, v in [("authenticationMode", "By Authentication String"), ("keySize", "1024"),
                 ("keyOrder", "EC Only"), ("ecKeySize", "256"), ("tftpEncryptedConfig", "true"),
                 ("excludeDigestCredentials", "true")]
]


@pytest.mark.parametrize("extra,element,value", INVALID,
                         ids=["%s=%r" % (e, v[:12]) for _, e, v in INVALID])
def test_add_invalid_value(axl, unique, extra, element, value):
    fields = dict({"phoneType": "Cisco 8845", "protocol": "SIP"}, **extra)
    r = axl.call("addPhoneSecurityProfile",
                 profile_xml(phoneType=fields.pop("phoneType"), protocol=fields.pop("protocol"),
                             name=unique, **fields))
    expect_invalid(r, "addPhoneSecurityProfile", element, value)
    assert_absent(axl, unique)


@pytest.mark.parametrize("fields", [
    {"description": "x" * 50},
    {"description": E_ACUTE * 50},  # 50 characters, 100 bytes
    {"description": "caf\u00e9 \u65e5\u672c \u2603 ok 'quotes' #1"},
])
def test_add_description_limits(axl, unique, fields):
    add_profile(axl, unique, **fields)
    _, got = full_get(axl, unique)
    assert got["description"] == fields["description"]


def test_add_15_only_model_in_15_request(axl, unique):
    r = axl.call("addPhoneSecurityProfile",
                 profile_xml(phoneType="Cisco 8875", protocol="SIP", name=unique), version="15.0")
    assert r.status == 200, r.text
    assert r.payload().tag == "{%s}addPhoneSecurityProfileResponse" % (AXL_NS % "15.0")
    _, fields = full_get(axl, unique, version="15.0")
    assert fields["phoneType"] == "Cisco 8875"


@pytest.mark.parametrize("how", ["absent", "empty"])
@pytest.mark.parametrize("missing", ["phoneType", "protocol", "name"])
def test_add_missing_required(axl, unique, missing, how):
    fields = {"phoneType": "Cisco 8845", "protocol": "SIP", "name": unique, "description": "m"}
    if how == "absent":
        del fields[missing]
    else:
        fields[missing] = ""
    r = axl.call("addPhoneSecurityProfile", profile_xml(**fields))
    expect_fault(r, 5003, "soapenv:Server", "addPhoneSecurityProfile",
                 "Missing required element: %s" % missing)
    assert_absent(axl, unique)


@pytest.mark.parametrize("op,extra", [
    ("getPhoneSecurityProfile", ""),
    ("getPhoneSecurityProfile", "<returnedTags><name/></returnedTags>"),
    ("updatePhoneSecurityProfile", "<description>x</description>"),
    ("removePhoneSecurityProfile", ""),
])
def test_missing_name_or_uuid(axl, op, extra):
    r = axl.call(op, extra)
    expect_fault(r, 5003, "soapenv:Server", op, "Missing required element: name or uuid")


@pytest.mark.parametrize("op", ["getPhoneSecurityProfile", "updatePhoneSecurityProfile",
                                "removePhoneSecurityProfile"])
def test_bad_uuid_text(axl, op):
    r = axl.call(op, "<uuid>not-a-uuid</uuid>")
    expect_invalid(r, op, "uuid", "not-a-uuid")


def test_concurrent_duplicate_adds(server, axl, unique):
    """20 clients add the same name at once: exactly one wins."""
    barrier = threading.Barrier(20)
    results = [None] * 20

    def worker(i):
        client = Axl(server)
        barrier.wait()
        try:
            results[i] = client.call("addPhoneSecurityProfile",
                                     profile_xml(phoneType="Cisco 8845", protocol="SIP", name=unique,
                                                 description="thread %d" % i))
        except Exception as e:  # a dropped connection is a failure too, keep it for the report
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    errors = [repr(r) for r in results if isinstance(r, Exception)]
    assert errors == []
    statuses = sorted(r.status for r in results)
    assert statuses == [200] + [500] * 19
    winner = [r for r in results if r.status == 200][0].ret().text
    for r in results:
        if r.status != 200:
            expect_fault(r, -239, "soapenv:Client", "addPhoneSecurityProfile", DUPLICATE)
    uuid, _ = full_get(axl, unique)
    assert uuid == winner
    assert listed_names(axl, name=unique) == [unique]


# --------------------------------------------------------------------------
# get
# --------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", ["braces", "no braces", "lower case", "lower no braces"])
def test_get_by_uuid(axl, unique, spelling):
    uuid = add_profile(axl, unique, description="by uuid")
    key = {"braces": uuid, "no braces": uuid.strip("{}"), "lower case": uuid.lower(),
           "lower no braces": uuid.strip("{}").lower()}[spelling]
    got_uuid, fields = full_get(axl, uuid=key)
    assert got_uuid == uuid  # always printed upper case in braces
    assert (fields["name"], fields["description"]) == (unique, "by uuid")


def test_get_by_name_all_fields(axl, unique):
    uuid = add_profile(axl, unique)
    r = get_profile(axl, unique)
    assert r.status == 200
    ret = r.ret()
    assert len(ret) == 1
    p = ret[0]
    assert p.tag == "phoneSecurityProfile" and p.get("uuid") == uuid
    assert [c.tag for c in p] == ORDER
    # empty values are printed as empty elements, not left out
    assert "<ecKeySize/>" in r.text and "<description/>" in r.text


def test_get_returned_tags_subset(axl, unique):
    uuid = add_profile(axl, unique, deviceSecurityMode="Authenticated", keySize="4096")
    # asked in reverse order, answered in schema order
    r = get_profile(axl, unique, tags=["transportType", "keySize", "name", "phoneType"])
    assert r.status == 200
    p = r.ret().find("phoneSecurityProfile")
    assert p.get("uuid") == uuid
    assert [(c.tag, c.text) for c in p] == [("phoneType", "Cisco 8845"), ("name", unique),
                                           ("keySize", "4096"), ("transportType", "TLS")]


@pytest.mark.parametrize("tags", ["<returnedTags/>", "<returnedTags></returnedTags>"])
def test_get_empty_returned_tags_means_all(axl, unique, tags):
    add_profile(axl, unique)
    r = axl.call("getPhoneSecurityProfile", "<name>%s</name>%s" % (unique, tags))
    assert r.status == 200
    assert [c.tag for c in r.ret().find("phoneSecurityProfile")] == ORDER


@pytest.mark.parametrize("key", ["name", "uuid"])
def test_get_unknown(axl, unique, key):
    value = unique if key == "name" else "{00000000-0000-4000-8000-%s}" % unique[1:].upper().ljust(12, "0")
    r = axl.call("getPhoneSecurityProfile", "<%s>%s</%s>" % (key, value, key))
    expect_fault(r, 5007, "soapenv:Server", "getPhoneSecurityProfile", NOT_FOUND)


def test_get_name_is_case_sensitive(axl, unique):
    add_profile(axl, unique + "-Case")
    assert_absent(axl, unique + "-case")


# --------------------------------------------------------------------------
# update
# --------------------------------------------------------------------------

def test_update_partial(axl, unique):
    uuid = add_profile(axl, unique, description="before", deviceSecurityMode="Encrypted",
                       keySize="4096", sipPhonePort="5070", enableDigestAuthentication="true")
    _, before = full_get(axl, unique)
    r = update(axl, ("name", unique), description="after", nonceValidityTime="900")
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    _, after = full_get(axl, unique)
    assert after == dict(before, description="after", nonceValidityTime="900")


@pytest.mark.parametrize("key", ["name", "uuid"])
def test_update_description_only(axl, unique, key):
    """The one-statement path: only the description changes."""
    uuid = add_profile(axl, unique, description="before", deviceSecurityMode="Encrypted",
                       keySize="4096", enableDigestAuthentication="true")
    _, before = full_get(axl, unique)
    value = unique if key == "name" else uuid.strip("{}").lower()
    r = update(axl, (key, value), description="after only")
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    assert full_get(axl, unique)[1] == dict(before, description="after only")
    r = update(axl, (key, value), description="")
    assert r.status == 200, r.text
    assert full_get(axl, unique)[1] == dict(before, description="")


@pytest.mark.parametrize("value", ["bad & value", "y" * 51])
def test_update_invalid_description_only_changes_nothing(axl, unique, value):
    add_profile(axl, unique, description="keep")
    before = full_get(axl, unique)
    r = update(axl, ("name", unique), description=value)
    expect_invalid(r, "updatePhoneSecurityProfile", "description", value)
    assert full_get(axl, unique) == before


def test_update_by_lowercase_uuid_without_braces(axl, unique):
    uuid = add_profile(axl, unique)
    r = update(axl, ("uuid", uuid.strip("{}").lower()), keyOrder="EC Only", ecKeySize="256",
               tftpEncryptedConfig="1")
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    _, f = full_get(axl, unique)
    assert (f["keyOrder"], f["ecKeySize"], f["tftpEncryptedConfig"]) == ("EC Only", "256", "true")


def test_update_rename_keeps_uuid(axl, unique):
    uuid = add_profile(axl, unique + "-old", description="renamed")
    r = update(axl, ("name", unique + "-old"), newName=unique + "-new")
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    new_uuid, f = full_get(axl, unique + "-new")
    assert (new_uuid, f["name"], f["description"]) == (uuid, unique + "-new", "renamed")
    assert_absent(axl, unique + "-old")


def test_update_rename_to_taken_name(axl, unique):
    add_profile(axl, unique + "-a", description="a")
    add_profile(axl, unique + "-b", description="b")
    _, before = full_get(axl, unique + "-a")
    r = update(axl, ("name", unique + "-a"), newName=unique + "-b", description="changed")
    expect_fault(r, -239, "soapenv:Client", "updatePhoneSecurityProfile", DUPLICATE)
    assert full_get(axl, unique + "-a")[1] == before
    assert full_get(axl, unique + "-b")[1]["description"] == "b"


@pytest.mark.parametrize("key", ["name", "uuid"])
def test_update_unknown(axl, unique, key):
    value = unique if key == "name" else "11111111-2222-4333-8444-555555555555"
    r = update(axl, (key, value), description="nobody")
    expect_fault(r, 5007, "soapenv:Server", "updatePhoneSecurityProfile", NOT_FOUND)
    assert_absent(axl, unique)


@pytest.mark.parametrize("change,element,value", [
    ({"description": "ok", "keySize": "999"}, "keySize", "999"),
    ({"description": "ok", "sipPhonePort": "0"}, "sipPhonePort", "0"),
    ({"description": "bad & value"}, "description", "bad & value"),
    ({"description": "y" * 51}, "description", "y" * 51),
    ({"deviceSecurityMode": "Encrypted", "transportType": "UDP"}, "transportType", "UDP"),
    ({"transportType": "TLS"}, "transportType", "TLS"),  # TLS on a Non Secure profile
    ({"deviceSecurityMode": "Paranoid"}, "deviceSecurityMode", "Paranoid"),
    ({"enableDigestAuthentication": "perhaps"}, "enableDigestAuthentication", "perhaps"),
])
def test_update_invalid_changes_nothing(axl, unique, change, element, value):
    add_profile(axl, unique, description="keep")
    before = full_get(axl, unique)
    # the rename and the valid changes must not happen either
    r = update(axl, ("name", unique), newName=unique + "-renamed", **change)
    expect_invalid(r, "updatePhoneSecurityProfile", element, value)
    assert full_get(axl, unique) == before
    assert_absent(axl, unique + "-renamed")


def test_update_mode_and_transport_rules(axl, unique):
    add_profile(axl, unique, transportType="UDP")
    # a secure mode without a transport switches to TLS
    assert update(axl, ("name", unique), deviceSecurityMode="Authenticated").status == 200
    f = full_get(axl, unique)[1]
    assert (f["deviceSecurityMode"], f["transportType"]) == ("Authenticated", "TLS")
    # back to Non Secure without a transport: TLS is reset to TCP+UDP
    assert update(axl, ("name", unique), deviceSecurityMode="Non Secure").status == 200
    f = full_get(axl, unique)[1]
    assert (f["deviceSecurityMode"], f["transportType"]) == ("Non Secure", "TCP+UDP")
    # Non Secure with an explicit non-TLS transport keeps it
    assert update(axl, ("name", unique), transportType="TCP").status == 200
    assert full_get(axl, unique)[1]["transportType"] == "TCP"
    # a secure mode with a non-TLS transport is refused
    r = update(axl, ("name", unique), deviceSecurityMode="Encrypted", transportType="UDP")
    expect_invalid(r, "updatePhoneSecurityProfile", "transportType", "UDP")
    f = full_get(axl, unique)[1]
    assert (f["deviceSecurityMode"], f["transportType"]) == ("Non Secure", "TCP")


def test_update_sccp_profile_cannot_get_sip_fields(axl, unique):
    add_profile(axl, unique, phoneType="Cisco 7965", protocol="SCCP")
    before = full_get(axl, unique)
    r = update(axl, ("name", unique), sipPhonePort="5070")
    expect_invalid(r, "updatePhoneSecurityProfile", "sipPhonePort", "5070")
    assert full_get(axl, unique) == before


# --------------------------------------------------------------------------
# remove
# --------------------------------------------------------------------------

@pytest.mark.parametrize("by", ["name", "uuid", "lower uuid"])
def test_remove(axl, unique, by):
    uuid = add_profile(axl, unique)
    key = {"name": ("name", unique), "uuid": ("uuid", uuid),
           "lower uuid": ("uuid", uuid.strip("{}").lower())}[by]
    r = remove(axl, key)
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    assert_absent(axl, unique)
    r = get_profile(axl, uuid=uuid)
    expect_fault(r, 5007, "soapenv:Server", "getPhoneSecurityProfile", NOT_FOUND)
    # and it can be added again
    assert add_profile(axl, unique) != uuid


@pytest.mark.parametrize("key", ["name", "uuid"])
def test_remove_unknown(axl, unique, key):
    value = unique if key == "name" else "{AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE}"
    r = remove(axl, (key, value))
    expect_fault(r, 5007, "soapenv:Server", "removePhoneSecurityProfile", ENTRY_NOT_FOUND)


def test_remove_twice(axl, unique):
    uuid = add_profile(axl, unique)
    assert remove(axl, ("uuid", uuid)).status == 200
    r = remove(axl, ("uuid", uuid))
    expect_fault(r, 5007, "soapenv:Server", "removePhoneSecurityProfile", ENTRY_NOT_FOUND)


# --------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------

@pytest.fixture
def listing(axl, unique):
    """Five profiles under one prefix; names chosen to expose byte order."""
    rows = [("-a1", "alpha one", "Cisco 8845", "SIP"),
            ("-a2", "", "Cisco 7841", "SIP"),
            ("-a10", "alpha ten", "Cisco 7965", "SCCP"),
            ("-B1", "beta", "Cisco 8845", "SIP"),
            ("-b2", "Beta", "Cisco 8851", "SIP")]
    for suffix, desc, model, proto in rows:
        add_profile(axl, unique + suffix, phoneType=model, protocol=proto, description=desc or None)
    return unique


def test_list_name_pattern_in_byte_order(axl, listing):
    u = listing
    # byte order: "-B1" < "-a1" < "-a10" < "-a2" < "-b2"
    assert listed_names(axl, name=u + "%") == [u + "-B1", u + "-a1", u + "-a10", u + "-a2", u + "-b2"]
    assert listed_names(axl, name=u + "-a%") == [u + "-a1", u + "-a10", u + "-a2"]


def test_list_description_pattern(axl, listing):
    u = listing
    assert listed_names(axl, name=u + "%", description="alpha%") == [u + "-a1", u + "-a10"]
    assert listed_names(axl, name=u + "%", description="%a") == [u + "-B1", u + "-b2"]


def test_list_description_only(axl, unique):
    add_profile(axl, unique + "-x", description=unique + " tagged")
    assert listed_names(axl, description=unique + "%") == [unique + "-x"]


def test_list_name_and_description_are_anded(axl, listing):
    u = listing
    assert listed_names(axl, name=u + "-a%", description="%ten") == [u + "-a10"]
    assert listed_names(axl, name=u + "-b%", description="alpha%") == []


def test_list_underscore_wildcard(axl, listing):
    u = listing
    # "_" is exactly one character: -a1 and -a2, not -a10
    assert listed_names(axl, name=u + "-a_") == [u + "-a1", u + "-a2"]
    assert listed_names(axl, name=u + "-_1") == [u + "-B1", u + "-a1"]


def test_list_exact_value_without_wildcard(axl, listing):
    u = listing
    assert listed_names(axl, name=u + "-a1") == [u + "-a1"]
    assert listed_names(axl, name=u) == []
    assert listed_names(axl, name=u + "%", description="beta") == [u + "-B1"]


def test_list_is_case_sensitive(axl, listing):
    u = listing
    assert listed_names(axl, name=u.lower() + "%") == []
    assert listed_names(axl, name=u + "-b%") == [u + "-b2"]
    assert listed_names(axl, name=u + "-B%") == [u + "-B1"]
    assert listed_names(axl, name=u + "%", description="Beta") == [u + "-b2"]


def test_list_percent_matches_empty_description(axl, listing):
    u = listing
    assert u + "-a2" in listed_names(axl, name=u + "%", description="%")
    assert len(listed_names(axl, name=u + "%", description="%")) == 5
    # an empty criterion value is LIKE '' : only the empty description
    assert listed_names(axl, name=u + "%", description="") == [u + "-a2"]


def test_list_returned_tags(axl, listing):
    u = listing
    r = list_call(axl, name=u + "-a1%", tags=("transportType", "protocol", "name", "phoneType"))
    assert r.status == 200
    rows = list(r.ret())
    assert [p.tag for p in rows] == ["phoneSecurityProfile"] * 2
    assert [[(c.tag, c.text) for c in p] for p in rows] == [
        [("phoneType", "Cisco 8845"), ("protocol", "SIP"), ("name", u + "-a1"), ("transportType", "TCP+UDP")],
        [("phoneType", "Cisco 7965"), ("protocol", "SCCP"), ("name", u + "-a10"), ("transportType", "TCP+UDP")],
    ]
    uuids = [p.get("uuid") for p in rows]
    assert all(UUID_RE.match(x) for x in uuids)
    assert uuids == [full_get(axl, u + "-a1")[0], full_get(axl, u + "-a10")[0]]


def test_list_every_returned_tags_shape_matches_get(axl, listing):
    """Each set of returnedTags selects its own columns (a prepared statement
    per set, a bounded number of them, then a fallback): more sets than that
    bound, each answering exactly the get's values for its tags."""
    u = listing
    full = full_get(axl, u + "-a10")[1]
    for k in range(1, 25):
        tags = [t for i, t in enumerate(ORDER) if (k * 2654435761 >> i) & 1 or t == "name"]
        r = list_call(axl, name=u + "-a10", tags=tags)
        assert r.status == 200, r.text
        rows = list(r.ret())
        assert len(rows) == 1
        assert [c.tag for c in rows[0]] == [t for t in ORDER if t in tags]
        assert fields_of(rows[0]) == {t: full[t] for t in tags}, tags


def test_list_empty_returned_tags_means_all(axl, listing):
    u = listing
    r = list_call(axl, name=u + "-a2", tags=())
    assert r.status == 200
    rows = list(r.ret())
    assert len(rows) == 1
    assert fields_of(rows[0]) == full_get(axl, u + "-a2")[1]
    assert [c.tag for c in rows[0]] == ORDER


def test_list_paging(axl, listing):
    u = listing
    everything = listed_names(axl, name=u + "%")
    pages = [listed_names(axl, name=u + "%", skip=s, first=2) for s in (0, 2, 4, 6)]
    assert pages == [everything[0:2], everything[2:4], everything[4:5], []]
    # stable: the same page twice gives the same rows
    assert listed_names(axl, name=u + "%", skip=2, first=2) == pages[1]
    # first alone limits; skip without first is ignored
    assert listed_names(axl, name=u + "%", first=3) == everything[:3]
    assert listed_names(axl, name=u + "%", skip=3) == everything


def test_list_no_match(axl, unique):
    r = list_call(axl, name=unique + "%")
    assert r.status == 200
    assert "<return/>" in r.text
    assert len(r.ret()) == 0 and r.ret().text is None


@pytest.mark.parametrize("criteria", ["", "<searchCriteria/>", "<searchCriteria></searchCriteria>"])
def test_list_missing_search_criteria(axl, criteria):
    r = axl.call("listPhoneSecurityProfile", criteria + "<returnedTags><name/></returnedTags>")
    expect_fault(r, 5003, "soapenv:Server", "listPhoneSecurityProfile",
                 prefix="Missing required element: searchCriteria")


@pytest.mark.parametrize("element,value", [("first", "abc"), ("first", "-1"), ("skip", "abc"),
                                           ("skip", "-1")])
def test_list_bad_paging_value(axl, unique, element, value):
    kw = {"first": "2"}
    kw[element] = value
    r = list_call(axl, name=unique + "%", **kw)
    expect_invalid(r, "listPhoneSecurityProfile", element, value)


def test_list_pattern_with_lone_backslash(axl, unique):
    r = list_call(axl, name=unique + "\\")
    expect_invalid(r, "listPhoneSecurityProfile", "name", unique + "\\")


# --------------------------------------------------------------------------
# leniency
# --------------------------------------------------------------------------

def test_unknown_elements_ignored(axl, unique):
    inner = ("<phoneSecurityProfile><phoneType>Cisco 8845</phoneType><protocol>SIP</protocol>"
             "<model>Cisco 7965</model><name>%s</name><colour><deep>red</deep></colour>"
             "<description>lenient</description></phoneSecurityProfile><somethingElse>1</somethingElse>"
             % unique)
    r = axl.call("addPhoneSecurityProfile", inner)
    assert r.status == 200, r.text
    f = full_get(axl, unique)[1]
    assert (f["phoneType"], f["description"]) == ("Cisco 8845", "lenient")
    r = axl.call("getPhoneSecurityProfile", "<bogus/><name>%s</name>" % unique)
    assert r.status == 200 and r.ret()[0].findtext("name") == unique


def test_shuffled_element_order(axl, unique):
    inner = profile_xml(excludeDigestCredentials="true", name=unique, sipPhonePort="5062",
                        description="shuffled", protocol="SIP", keySize="1024", phoneType="Cisco 8845")
    r = axl.call("addPhoneSecurityProfile", inner)
    assert r.status == 200, r.text
    f = full_get(axl, unique)[1]
    assert (f["excludeDigestCredentials"], f["sipPhonePort"], f["keySize"], f["description"]) == \
        ("true", "5062", "1024", "shuffled")
    # update with the key after the changes
    r = axl.call("updatePhoneSecurityProfile", "<keySize>512</keySize><name>%s</name>" % unique)
    assert r.status == 200, r.text
    assert full_get(axl, unique)[1]["keySize"] == "512"


def raw_envelope(env_prefix, op_open, op_close, inner, header=""):
    """An envelope spelled by hand: any soapenv prefix, any AXL element spelling."""
    return ('<{e}:Envelope xmlns:{e}="{soap}">{h}<{e}:Body>{o}{inner}{c}</{e}:Body></{e}:Envelope>'
            .format(e=env_prefix, soap=SOAPENV, h=header.replace("soapenv", env_prefix), o=op_open,
                    inner=inner, c=op_close))


def test_other_envelope_prefix_and_no_header(axl, unique):
    inner = profile_xml(phoneType="Cisco 8845", protocol="SIP", name=unique)
    body = raw_envelope("s", '<ns:addPhoneSecurityProfile sequence="9" xmlns:ns="%s">' % (AXL_NS % "14.0"),
                        "</ns:addPhoneSecurityProfile>", inner)
    r = axl.raw(body=body, headers={"SOAPAction": '"CUCM:DB ver=14.0 addPhoneSecurityProfile"'})
    assert r.status == 200, r.text
    validate_body(r.body, "14.0")
    assert r.payload().get("sequence") == "9"
    assert r.ret().text == full_get(axl, unique)[0]


# zeep names the AXL namespace "ns0"; hand-written clients use "axl", "axlapi",
# "tns" or a default namespace.  Only the namespace URI may matter.
@pytest.mark.parametrize("prefix", ["axl", "ns0", "axlapi", "tns", None])
def test_other_namespace_prefix(axl, unique, prefix):
    op = "addPhoneSecurityProfile"
    if prefix is None:
        o, c = '<%s xmlns="%s">' % (op, AXL_NS % "14.0"), "</%s>" % op
        # unqualified children must stay unqualified under a default namespace
        inner = ('<phoneSecurityProfile xmlns=""><phoneType>Cisco 8845</phoneType><protocol>SIP'
                 '</protocol><name>%s</name></phoneSecurityProfile>' % unique)
    else:
        o = '<{p}:{op} xmlns:{p}="{ns}">'.format(p=prefix, op=op, ns=AXL_NS % "14.0")
        c = "</%s:%s>" % (prefix, op)
        inner = profile_xml(phoneType="Cisco 8845", protocol="SIP", name=unique)
    r = axl.raw(body=raw_envelope("soapenv", o, c, inner, header="<soapenv:Header/>"),
                headers={"SOAPAction": '"CUCM:DB ver=14.0 %s"' % op})
    assert r.status == 200, r.text
    validate_body(r.body, "14.0")
    assert r.ret().text == full_get(axl, unique)[0]
    # the same for a read
    r = axl.raw(body=envelope("getPhoneSecurityProfile", "<name>%s</name>" % unique,
                              ns_prefix=prefix or "ns"))
    assert r.status == 200, r.text
    assert r.ret()[0].findtext("name") == unique


def test_list_too_large_is_axl_fault(pg, unique):
    # With a 64 KB response limit, 100 profiles with every field do not fit:
    # AXL's -1 fault says how many rows matched and how many would fit.
    from conftest import finish_server, start_server
    srv = start_server(pg, extra_args=["--max-response", "65536"])
    try:
        a = Axl(srv)
        for i in range(100):
            add_profile(a, "%s-%03d" % (unique, i), description="d" * 50)
        crit = "<searchCriteria><name>%s-%%</name></searchCriteria>" % unique
        r = a.call("listPhoneSecurityProfile", crit)
        msg = expect_fault(r, -1, "soapenv:Server", "listPhoneSecurityProfile")
        m = re.match(r"Query request too large\. Total rows matched: (\d+) rows\. "
                     r"Suggestive Row Fetch: less than (\d+) rows$", msg)
        assert m, msg
        total, fit = int(m.group(1)), int(m.group(2))
        assert total == 100 and 10 < fit < 100, msg
        # Paging below the suggestion works.
        r = a.call("listPhoneSecurityProfile", crit + "<skip>0</skip><first>%d</first>" % (fit - 1))
        assert r.status == 200 and len(r.ret()) == fit - 1
    finally:
        finish_server(srv)


def test_concurrent_partial_updates_keep_every_field(server, unique):
    # Each thread changes a different field of the same profile at once;
    # every change must survive (optimistic update, read again on conflict).
    changes = {"description": "concurrent", "nonceValidityTime": "321", "sipPhonePort": "5070",
               "enableDigestAuthentication": "true", "excludeDigestCredentials": "true",
               "tftpEncryptedConfig": "true", "EnableOAuthAuthentication": "true",
               "keySize": "4096", "authenticationMode": "By Authentication String"}
    for round_ in range(3):
        name = "%s-%d" % (unique, round_)
        add_profile(Axl(server), name)
        results = []
        barrier = threading.Barrier(len(changes))

        def change(field, value):
            a = Axl(server)
            barrier.wait()
            results.append(a.call("updatePhoneSecurityProfile",
                                  "<name>%s</name><%s>%s</%s>" % (name, field, value, field)).status)

        threads = [threading.Thread(target=change, args=kv) for kv in changes.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert results == [200] * len(changes), results
        got = fields_of(get_profile(Axl(server), name).ret()[0])
        assert {k: got[k] for k in changes} == changes
