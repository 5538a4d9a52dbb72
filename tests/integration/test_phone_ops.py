"""The five Phone operations (the security and CAPF part of AXL's phone).

Covers addPhone (minimal add with every default, a full add, each required
element, each invalid value, the name rules of hardware and soft phones,
duplicates), getPhone (by name or uuid in any spelling, returnedTags, the
ctiid and uuid attributes, the uuid attributes of the reference elements),
updatePhone (partial, newName, read-only elements ignored, faults change
nothing), listPhone (every search criterion, AND, paging, order, empty
result, bad arguments), removePhone, and the other schema versions.

The rules that tie phones to security profiles are in test_phone_rules.py.
All tests share one database: hardware phones get fresh SEP names from
sep_name(), everything else is named from the `unique` prefix.
"""

import threading
import uuid as uuidlib

import pytest

from conftest import (AXL_NS, UUID_RE, Axl, Ref, add_phone, add_profile, add_user, expect_axl_fault,
                      expect_invalid_value, fields_of, get_phone, get_profile, key_xml, phone_of,
                      phone_xml, sep_name, update_phone, xml_escape)

# RPhone / LPhone children the server answers with, in schema order.
PHONE_ORDER = ["name", "description", "product", "model", "class", "protocol", "protocolSide",
               "callingSearchSpaceName", "devicePoolName", "commonPhoneConfigName", "locationName",
               "securityProfileName", "sipProfileName", "phoneTemplateName", "certificateOperation",
               "authenticationMode", "keySize", "keyOrder", "ecKeySize", "authenticationString",
               "certificateStatus", "upgradeFinishTime", "digestUser"]

# Reference (XFkType) elements: they carry a uuid attribute when not empty.
REFS = ["callingSearchSpaceName", "devicePoolName", "commonPhoneConfigName", "locationName",
        "securityProfileName", "sipProfileName", "phoneTemplateName"]

DEFAULT_POOL_UUID = "{1B1B9EB6-7803-11D3-BDF0-00108302EAD1}"

NOT_FOUND = "Item not valid: The specified Phone was not found"
ENTRY_NOT_FOUND = "Item not valid: The specified entry was not found"
DUPLICATE = "Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:)."

CSF = "Cisco Unified Client Services Framework"
THIRD_PARTY = "Third-party SIP Device (Basic)"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def standard_profile(model, protocol):
    return "%s - Standard %s Non-Secure Profile" % (model, protocol)


def phone_defaults(name, product, protocol):
    """What getPhone shows for a phone added with only name, product, protocol."""
    short = product[len("Cisco "):] if product.startswith("Cisco ") else product
    return {
        "name": name, "description": "", "product": product, "model": product, "class": "Phone",
        "protocol": protocol, "protocolSide": "User", "callingSearchSpaceName": "",
        "devicePoolName": "Default", "commonPhoneConfigName": "Standard Common Phone Profile",
        "locationName": "Hub_None", "securityProfileName": standard_profile(product, protocol),
        "sipProfileName": "Standard SIP Profile" if protocol == "SIP" else "",
        "phoneTemplateName": "Standard %s %s" % (short, protocol),
        "certificateOperation": "No Pending Operation",
        # the CAPF fields are the (predefined, Non Secure) profile's values
        "authenticationMode": "By Null String", "keySize": "2048", "keyOrder": "RSA Only",
        "ecKeySize": "", "authenticationString": "", "certificateStatus": "None",
        "upgradeFinishTime": "", "digestUser": "",
    }


def profile_uuid(axl, name):
    r = get_profile(axl, name)
    assert r.status == 200, r.text
    return r.ret().find("phoneSecurityProfile").get("uuid")


def phone_fields(axl, name=None, uuid=None):
    return fields_of(phone_of(axl, name=name, uuid=uuid))


def assert_no_phone(axl, name):
    r = get_phone(axl, name)
    expect_axl_fault(r, 5007, "soapenv:Server", "getPhone", NOT_FOUND)


def soft_name(unique, tag=""):
    """A free-form name for soft clients and third-party devices."""
    return "CSF%s%s" % (unique, tag)


def name_for(kind, unique):
    return sep_name() if kind == "sep" else soft_name(unique)


# --------------------------------------------------------------------------
# add
# --------------------------------------------------------------------------

# (product, protocol, kind of name)
MODELS = [
    ("Cisco 8845", "SIP", "sep"),
    ("Cisco 7965", "SCCP", "sep"),
    ("Cisco 7965", "SIP", "sep"),
    ("Cisco IP Communicator", "SCCP", "sep"),
    (CSF, "SIP", "free"),
    (THIRD_PARTY, "SIP", "free"),
]


@pytest.mark.parametrize("product,protocol,kind", MODELS, ids=["%s-%s" % m[:2] for m in MODELS])
def test_add_minimal_gets_defaults(axl, unique, product, protocol, kind):
    name = name_for(kind, unique)
    r = axl.call("addPhone", phone_xml(name=name, product=product, protocol=protocol),
                 sequence="77")
    assert r.status == 200, r.text
    assert r.payload().tag == "{%s}addPhoneResponse" % (AXL_NS % "14.0")
    assert r.payload().get("sequence") == "77"
    uuid = r.ret().text
    assert UUID_RE.match(uuid), uuid

    p = phone_of(axl, name)
    assert p.get("uuid") == uuid
    assert [c.tag for c in p] == PHONE_ORDER
    assert fields_of(p) == phone_defaults(name, product, protocol)
    # the reference uuids: the profile's own, CUCM's factory "Default" pool
    assert p.find("securityProfileName").get("uuid") == \
        profile_uuid(axl, standard_profile(product, protocol))
    assert p.find("devicePoolName").get("uuid") == DEFAULT_POOL_UUID
    for ref in REFS:
        attr = p.find(ref).get("uuid")
        if p.findtext(ref):
            assert attr is not None and UUID_RE.match(attr), (ref, attr)
        else:
            assert attr is None, (ref, attr)


def test_ctiid_is_a_distinct_positive_integer(axl):
    names = [sep_name(), sep_name()]
    for n in names:
        add_phone(axl, n)
    ctiids = [phone_of(axl, n).get("ctiid") for n in names]
    assert all(c is not None and c.isdigit() and int(c) > 0 for c in ctiids), ctiids
    assert ctiids[0] != ctiids[1]


def test_add_all_fields_round_trip(axl, unique):
    prof = unique + "-prof"
    prof_uuid = add_profile(axl, prof, authenticationMode="By Authentication String", keySize="3072")
    add_user(axl, unique + "-du")
    name = sep_name()
    given = {
        "name": name, "description": "Lobby phone, 2nd floor", "product": "Cisco 8845",
        "class": "Phone", "protocol": "SIP", "protocolSide": "Network",
        "callingSearchSpaceName": "CSS-" + unique, "devicePoolName": "DP-" + unique,
        "commonPhoneConfigName": "CPC-" + unique, "locationName": "LOC-" + unique,
        "securityProfileName": prof, "sipProfileName": "SIPP-" + unique,
        "phoneTemplateName": "Standard 8845 SIP", "certificateOperation": "No Pending Operation",
        # equal to the profile's values: accepted without a certificate operation
        "authenticationMode": "By Authentication String", "keySize": "3072",
        "authenticationString": "123456", "upgradeFinishTime": "2030:12:31:23:59",
        "digestUser": unique + "-du",
    }
    uuid = add_phone(axl, **given)
    p = phone_of(axl, name)
    assert p.get("uuid") == uuid
    assert fields_of(p) == dict(given, model="Cisco 8845", keyOrder="RSA Only", ecKeySize="",
                                certificateStatus="None")
    assert p.find("securityProfileName").get("uuid") == prof_uuid
    # a device pool other than the factory one has its own uuid
    pool_uuid = p.find("devicePoolName").get("uuid")
    assert UUID_RE.match(pool_uuid) and pool_uuid != DEFAULT_POOL_UUID
    assert UUID_RE.match(p.find("callingSearchSpaceName").get("uuid"))


def test_add_profile_by_uuid_attribute(axl, unique):
    prof = unique + "-byuuid"
    prof_uuid = add_profile(axl, prof, description="chosen by uuid")
    name = sep_name()
    # the attribute wins over the element text, even a text naming nothing
    add_phone(axl, name, securityProfileName=Ref(unique + "-no-such-profile",
                                                 uuid=prof_uuid.strip("{}").lower()))
    p = phone_of(axl, name)
    assert p.findtext("securityProfileName") == prof
    assert p.find("securityProfileName").get("uuid") == prof_uuid


def test_add_profile_by_unknown_uuid_attribute(axl, unique):
    name = sep_name()
    bogus = "{%s}" % str(uuidlib.uuid4()).upper()
    r = axl.call("addPhone", phone_xml(name=name, product="Cisco 8845", protocol="SIP",
                                       securityProfileName=Ref(standard_profile("Cisco 8845", "SIP"),
                                                               uuid=bogus)))
    expect_axl_fault(r, 5003, "soapenv:Server", "addPhone",
                     prefix="Invalid value for securityProfileName: ")
    assert_no_phone(axl, name)


@pytest.mark.parametrize("given", ["lower hex", "lower prefix", "mixed"])
def test_sep_name_any_case_stored_upper(axl, given):
    upper = sep_name()
    spelled = {"lower hex": "SEP" + upper[3:].lower(), "lower prefix": upper.lower(),
               "mixed": "sEp" + upper[3:9].lower() + upper[9:]}[given]
    uuid = add_phone(axl, spelled)
    p = phone_of(axl, upper)
    assert (p.get("uuid"), p.findtext("name")) == (uuid, upper)
    # the upper-case spelling is the same phone
    r = axl.call("addPhone", phone_xml(name=upper, product="Cisco 8845", protocol="SIP"))
    expect_axl_fault(r, -239, "soapenv:Client", "addPhone", DUPLICATE)


@pytest.mark.parametrize("product", [CSF, THIRD_PARTY])
def test_free_name_kept_as_given(axl, unique, product):
    name = "csf.%s_Mixed-Case" % unique
    add_phone(axl, name, product=product)
    assert phone_fields(axl, name)["name"] == name


def test_add_duplicate_name(axl):
    name = sep_name()
    first = add_phone(axl, name, description="first")
    r = axl.call("addPhone", phone_xml(name=name, product="Cisco 7965", protocol="SCCP",
                                       description="second"))
    expect_axl_fault(r, -239, "soapenv:Client", "addPhone", DUPLICATE)
    p = phone_of(axl, name)
    assert (p.get("uuid"), p.findtext("product"), p.findtext("description")) == \
        (first, "Cisco 8845", "first")


def test_concurrent_duplicate_adds(server, axl):
    """Twelve clients add the same phone name at once: exactly one wins."""
    name = sep_name()
    barrier = threading.Barrier(12)
    results = [None] * 12

    def worker(i):
        client = Axl(server)
        barrier.wait()
        try:
            results[i] = client.call("addPhone", phone_xml(name=name, product="Cisco 8845",
                                                           protocol="SIP", description="thread %d" % i))
        except Exception as e:  # a dropped connection is a failure too
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [repr(r) for r in results if isinstance(r, Exception)] == []
    assert sorted(r.status for r in results) == [200] + [500] * 11
    for r in results:
        if r.status != 200:
            expect_axl_fault(r, -239, "soapenv:Client", "addPhone", DUPLICATE)
    winner = [r for r in results if r.status == 200][0].ret().text
    assert phone_of(axl, name).get("uuid") == winner


@pytest.mark.parametrize("how", ["absent", "empty"])
@pytest.mark.parametrize("missing", ["name", "product", "protocol"])
def test_add_missing_required(axl, missing, how):
    name = sep_name()
    fields = {"name": name, "product": "Cisco 8845", "protocol": "SIP", "description": "m"}
    if how == "absent":
        del fields[missing]
    else:
        fields[missing] = ""
    r = axl.call("addPhone", phone_xml(**fields))
    expect_axl_fault(r, 5003, "soapenv:Server", "addPhone", "Missing required element: %s" % missing)
    assert_no_phone(axl, name)


# (fields replacing the valid base, element named in the fault); "{u}" in a
# value becomes the test's unique prefix.  The fault echoes the value sent.
INVALID = [
    ({"product": "Cisco 9999"}, "product"),
    ({"product": "Universal Device Template"}, "product"),
    ({"product": "Conference Bridge"}, "product"),
    ({"protocol": "MGCP"}, "protocol"),
    ({"protocol": "SCCP"}, "protocol"),               # Cisco 8845 speaks SIP only
    ({"class": "Gateway"}, "class"),
    ({"class": "Foo"}, "class"),
    ({"protocolSide": "Sideways"}, "protocolSide"),
    ({"certificateOperation": "Reboot"}, "certificateOperation"),
    ({"securityProfileName": "{u}-no-such-profile"}, "securityProfileName"),
    ({"digestUser": "{u}-nobody"}, "digestUser"),
    # hardware: SEP + exactly 12 hex digits
    ({"name": "SEP12345"}, "name"),
    ({"name": "SEP0011223344556"}, "name"),           # 13 digits
    ({"name": "SEP00112233445"}, "name"),             # 11 digits
    ({"name": "SEP00112233445G"}, "name"),
    ({"name": "ABC001122334455"}, "name"),
    ({"name": "SEP-01122334455"}, "name"),
    ({"name": "CSF{u}"}, "name"),                     # a soft-client name on hardware
    ({"product": "Cisco IP Communicator", "protocol": "SCCP", "name": "CIPC{u}"}, "name"),
    ({"product": "Cisco 7965", "protocol": "SCCP", "name": "SEP 0011223344"}, "name"),
    # soft clients and third-party devices: [a-zA-Z0-9._-]{1,50}
    ({"product": CSF, "name": "CSF {u}"}, "name"),
    ({"product": CSF, "name": "C" * 51}, "name"),
    ({"product": CSF, "name": "CSF/{u}"}, "name"),
    ({"product": CSF, "name": "CSF\u00e9{u}"}, "name"),
    ({"product": THIRD_PARTY, "name": "tp@{u}"}, "name"),
]


@pytest.mark.parametrize("change,element", INVALID,
                         ids=["%s=%s" % (e, c[e][:20]) for c, e in INVALID])
def test_add_invalid_value(axl, unique, change, element):
    fields = {"name": sep_name(), "product": "Cisco 8845", "protocol": "SIP"}
    fields.update({k: v.replace("{u}", unique) for k, v in change.items()})
    r = axl.call("addPhone", phone_xml(**fields))
    expect_invalid_value(r, "addPhone", element, fields[element])
    assert_no_phone(axl, fields["name"])


def test_add_name_50_characters_for_soft_client(axl, unique):
    name = (soft_name(unique) + "-" + "x" * 50)[:50]
    add_phone(axl, name, product=CSF)
    assert phone_fields(axl, name)["name"] == name


# --------------------------------------------------------------------------
# get
# --------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", ["braces", "no braces", "lower case", "lower no braces"])
def test_get_by_uuid(axl, spelling):
    name = sep_name()
    uuid = add_phone(axl, name, description="by uuid")
    key = {"braces": uuid, "no braces": uuid.strip("{}"), "lower case": uuid.lower(),
           "lower no braces": uuid.strip("{}").lower()}[spelling]
    p = phone_of(axl, uuid=key)
    assert p.get("uuid") == uuid  # always upper case in braces
    assert (p.findtext("name"), p.findtext("description")) == (name, "by uuid")


def test_get_prints_empty_elements(axl):
    name = sep_name()
    add_phone(axl, name, product="Cisco 7965", protocol="SCCP")
    r = get_phone(axl, name)
    assert r.status == 200
    for empty in ("description", "callingSearchSpaceName", "sipProfileName", "ecKeySize",
                  "authenticationString", "upgradeFinishTime", "digestUser"):
        assert "<%s/>" % empty in r.text, empty


def test_get_returned_tags_subset(axl, unique):
    prof = unique + "-rt"
    prof_uuid = add_profile(axl, prof)
    name = sep_name()
    uuid = add_phone(axl, name, securityProfileName=prof)
    # asked in reverse order, answered in schema order
    r = get_phone(axl, name, tags=["digestUser", "certificateStatus", "securityProfileName",
                                   "product", "name"])
    assert r.status == 200
    p = r.ret().find("phone")
    assert p.get("uuid") == uuid
    assert [(c.tag, c.text or "") for c in p] == [
        ("name", name), ("product", "Cisco 8845"), ("securityProfileName", prof),
        ("certificateStatus", "None"), ("digestUser", "")]
    assert p.find("securityProfileName").get("uuid") == prof_uuid


@pytest.mark.parametrize("tags", ["<returnedTags/>", "<returnedTags></returnedTags>"])
def test_get_empty_returned_tags_means_all(axl, tags):
    name = sep_name()
    add_phone(axl, name)
    r = axl.call("getPhone", "<name>%s</name>%s" % (name, tags))
    assert r.status == 200
    assert [c.tag for c in r.ret().find("phone")] == PHONE_ORDER


@pytest.mark.parametrize("key", ["name", "uuid"])
def test_get_unknown(axl, key):
    value = sep_name() if key == "name" else "{%s}" % str(uuidlib.uuid4()).upper()
    r = axl.call("getPhone", key_xml((key, value)))
    expect_axl_fault(r, 5007, "soapenv:Server", "getPhone", NOT_FOUND)


@pytest.mark.parametrize("op,extra", [
    ("getPhone", ""),
    ("getPhone", "<returnedTags><name/></returnedTags>"),
    ("updatePhone", "<description>x</description>"),
    ("removePhone", ""),
])
def test_missing_name_or_uuid(axl, op, extra):
    r = axl.call(op, extra)
    expect_axl_fault(r, 5003, "soapenv:Server", op, "Missing required element: name or uuid")


@pytest.mark.parametrize("op", ["getPhone", "updatePhone", "removePhone"])
def test_bad_uuid_text(axl, op):
    r = axl.call(op, "<uuid>not-a-uuid</uuid>")
    expect_invalid_value(r, op, "uuid", "not-a-uuid")


# --------------------------------------------------------------------------
# update
# --------------------------------------------------------------------------

def test_update_partial(axl, unique):
    name = sep_name()
    uuid = add_phone(axl, name, description="before", callingSearchSpaceName="CSS-" + unique,
                     authenticationString="1111")
    before = phone_fields(axl, name)
    r = update_phone(axl, ("name", name), description="after", devicePoolName="DP-" + unique,
                     locationName="LOC-" + unique, authenticationString="2222")
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    assert phone_fields(axl, name) == dict(before, description="after",
                                           devicePoolName="DP-" + unique,
                                           locationName="LOC-" + unique,
                                           authenticationString="2222")


@pytest.mark.parametrize("field,value", [
    ("callingSearchSpaceName", "CSS-{u}"), ("commonPhoneConfigName", "CPC-{u}"),
    ("sipProfileName", "SIPP-{u}"), ("phoneTemplateName", "TPL-{u}"),
    ("upgradeFinishTime", "2031:01:02:03:04"), ("description", "only the {u} description"),
])
def test_update_each_field(axl, unique, field, value):
    value = value.replace("{u}", unique)
    name = sep_name()
    add_phone(axl, name)
    before = phone_fields(axl, name)
    assert update_phone(axl, ("name", name), **{field: value}).status == 200
    assert phone_fields(axl, name) == dict(before, **{field: value})


def test_update_reference_to_empty_drops_uuid(axl, unique):
    name = sep_name()
    add_phone(axl, name, callingSearchSpaceName="CSS-" + unique)
    assert phone_of(axl, name).find("callingSearchSpaceName").get("uuid") is not None
    assert update_phone(axl, ("name", name), callingSearchSpaceName="").status == 200
    p = phone_of(axl, name)
    assert p.findtext("callingSearchSpaceName") == ""
    assert p.find("callingSearchSpaceName").get("uuid") is None


def test_update_by_lowercase_uuid_without_braces(axl):
    name = sep_name()
    uuid = add_phone(axl, name)
    r = update_phone(axl, ("uuid", uuid.strip("{}").lower()), description="via uuid")
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    assert phone_fields(axl, name)["description"] == "via uuid"


def test_update_rename_keeps_identity(axl):
    old, new = sep_name(), sep_name()
    uuid = add_phone(axl, old, description="renamed")
    ctiid = phone_of(axl, old).get("ctiid")
    # a lower-case new SEP name is stored upper case
    r = update_phone(axl, ("name", old), newName=new.lower())
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    p = phone_of(axl, new)
    assert (p.get("uuid"), p.get("ctiid"), p.findtext("name"), p.findtext("description")) == \
        (uuid, ctiid, new, "renamed")
    assert_no_phone(axl, old)


def test_update_rename_soft_client(axl, unique):
    old, new = soft_name(unique, "-a"), soft_name(unique, ".B_c")
    uuid = add_phone(axl, old, product=CSF)
    assert update_phone(axl, ("uuid", uuid), newName=new).status == 200
    assert phone_fields(axl, uuid=uuid)["name"] == new
    assert_no_phone(axl, old)


def test_update_rename_to_taken_name(axl):
    a, b = sep_name(), sep_name()
    add_phone(axl, a, description="a")
    add_phone(axl, b, description="b")
    before = phone_fields(axl, a)
    r = update_phone(axl, ("name", a), newName=b, description="changed")
    expect_axl_fault(r, -239, "soapenv:Client", "updatePhone", DUPLICATE)
    assert phone_fields(axl, a) == before
    assert phone_fields(axl, b)["description"] == "b"


@pytest.mark.parametrize("product,new_name", [
    ("Cisco 8845", "CSF{u}"),            # hardware needs a SEP name
    ("Cisco 8845", "SEP12345"),
    (CSF, "CSF {u}"),                    # no spaces in soft-client names
    (CSF, "C" * 51),
])
def test_update_invalid_new_name(axl, unique, product, new_name):
    new_name = new_name.replace("{u}", unique)
    name = sep_name() if product == "Cisco 8845" else soft_name(unique)
    add_phone(axl, name, product=product)
    before = phone_fields(axl, name)
    r = update_phone(axl, ("name", name), newName=new_name, description="changed")
    expect_invalid_value(r, "updatePhone", "newName", new_name)
    assert phone_fields(axl, name) == before


@pytest.mark.parametrize("change,element", [
    ({"securityProfileName": "{u}-no-such-profile"}, "securityProfileName"),
    ({"digestUser": "{u}-nobody"}, "digestUser"),
    ({"certificateOperation": "Reboot"}, "certificateOperation"),
    ({"keySize": "999"}, "keySize"),
])
def test_update_invalid_changes_nothing(axl, unique, change, element):
    change = {k: v.replace("{u}", unique) for k, v in change.items()}
    name = sep_name()
    add_phone(axl, name, description="keep")
    before = phone_fields(axl, name)
    new = sep_name()
    # the rename and the valid change must not happen either
    r = update_phone(axl, ("name", name), newName=new, description="changed", **change)
    expect_invalid_value(r, "updatePhone", element, change[element])
    assert phone_fields(axl, name) == before
    assert_no_phone(axl, new)


def test_update_read_only_elements_are_ignored(axl):
    name = sep_name()
    add_phone(axl, name, product="Cisco 7965", protocol="SCCP")
    before = phone_fields(axl, name)
    inner = ("<product>Cisco 8845</product><class>Gateway</class><protocol>SIP</protocol>"
             "<protocolSide>Network</protocolSide><description>only this</description>")
    r = axl.call("updatePhone", key_xml(("name", name)) + inner)
    assert r.status == 200, r.text
    assert phone_fields(axl, name) == dict(before, description="only this")


def test_update_security_profile_by_uuid_attribute(axl, unique):
    prof = unique + "-upd"
    prof_uuid = add_profile(axl, prof)
    name = sep_name()
    add_phone(axl, name)
    r = update_phone(axl, ("name", name), securityProfileName=Ref("ignored text", uuid=prof_uuid))
    assert r.status == 200, r.text
    p = phone_of(axl, name)
    assert (p.findtext("securityProfileName"), p.find("securityProfileName").get("uuid")) == \
        (prof, prof_uuid)


@pytest.mark.parametrize("key", ["name", "uuid"])
def test_update_unknown(axl, key):
    value = sep_name() if key == "name" else "{%s}" % str(uuidlib.uuid4()).upper()
    r = update_phone(axl, (key, value), description="nobody")
    expect_axl_fault(r, 5007, "soapenv:Server", "updatePhone", NOT_FOUND)


# --------------------------------------------------------------------------
# remove
# --------------------------------------------------------------------------

@pytest.mark.parametrize("by", ["name", "uuid", "lower uuid"])
def test_remove(axl, unique, by):
    prof = unique + "-kept"
    add_profile(axl, prof)
    name = sep_name()
    uuid = add_phone(axl, name, securityProfileName=prof)
    key = {"name": ("name", name), "uuid": ("uuid", uuid),
           "lower uuid": ("uuid", uuid.strip("{}").lower())}[by]
    r = axl.call("removePhone", key_xml(key))
    assert r.status == 200, r.text
    assert r.payload().tag == "{%s}removePhoneResponse" % (AXL_NS % "14.0")
    assert r.ret().text == uuid
    assert_no_phone(axl, name)
    r = get_phone(axl, uuid=uuid)
    expect_axl_fault(r, 5007, "soapenv:Server", "getPhone", NOT_FOUND)
    # its profile stays, and the name can be used again
    assert get_profile(axl, prof).status == 200
    assert add_phone(axl, name) != uuid


@pytest.mark.parametrize("key", ["name", "uuid"])
def test_remove_unknown(axl, key):
    value = sep_name() if key == "name" else "{%s}" % str(uuidlib.uuid4()).upper()
    r = axl.call("removePhone", key_xml((key, value)))
    expect_axl_fault(r, 5007, "soapenv:Server", "removePhone", ENTRY_NOT_FOUND)


def test_remove_twice(axl):
    name = sep_name()
    uuid = add_phone(axl, name)
    assert axl.call("removePhone", key_xml(("uuid", uuid))).status == 200
    r = axl.call("removePhone", key_xml(("name", name)))
    expect_axl_fault(r, 5007, "soapenv:Server", "removePhone", ENTRY_NOT_FOUND)


# --------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------

def list_call(axl, criteria, tags=("name",), skip=None, first=None, version="14.0"):
    """listPhone; criteria is a dict (None: no searchCriteria element)."""
    inner = ""
    if criteria is not None:
        inner += "<searchCriteria>%s</searchCriteria>" % "".join(
            "<%s>%s</%s>" % (k, xml_escape(v), k) for k, v in criteria.items())
    inner += "<returnedTags>%s</returnedTags>" % "".join("<%s/>" % t for t in tags)
    if skip is not None:
        inner += "<skip>%s</skip>" % skip
    if first is not None:
        inner += "<first>%s</first>" % first
    return axl.call("listPhone", inner, version=version)


def listed(axl, **criteria):
    r = list_call(axl, criteria)
    assert r.status == 200, r.text
    return [p.findtext("name") for p in r.ret()]


class Listing:
    """Four phones under one SEP prefix plus one soft client, with
    descriptions, pools, search spaces and a profile of their own."""

    def __init__(self, axl, unique):
        self.u = unique
        self.prefix = "SEP" + uuidlib.uuid4().hex[:8].upper()
        self.prof = unique + "-lprof"
        add_profile(axl, self.prof, description="listing")
        css, dp1, dp2 = "CSS-%s" % unique, "DP1-%s" % unique, "DP2-%s" % unique
        # byte order of the suffixes: 0001 < 0002 < 000A < 0010
        self.rows = [
            ("0010", "Cisco 8845", "SIP", "", dp1, "", self.prof),
            ("0001", "Cisco 8845", "SIP", unique + " alpha", dp1, css, self.prof),
            ("000A", "Cisco 7965", "SIP", unique + " alpha beta", dp2, css, None),
            ("0002", "Cisco 7965", "SCCP", unique + " beta", dp1, "", None),
        ]
        for suffix, model, proto, desc, dp, cs, prof in self.rows:
            add_phone(axl, self.prefix + suffix, product=model, protocol=proto,
                      description=desc or None, devicePoolName=dp,
                      callingSearchSpaceName=cs or None, securityProfileName=prof)
        self.soft = soft_name(unique)
        add_phone(axl, self.soft, product=CSF, description=unique + " soft", devicePoolName=dp2)
        self.css, self.dp1, self.dp2 = css, dp1, dp2

    def n(self, *suffixes):
        return [self.prefix + s for s in suffixes]


@pytest.fixture
def listing(axl, unique):
    return Listing(axl, unique)


def test_list_name_pattern_in_name_order(axl, listing):
    L = listing
    assert listed(axl, name=L.prefix + "%") == L.n("0001", "0002", "000A", "0010")
    assert listed(axl, name=L.prefix + "000_") == L.n("0001", "0002", "000A")
    assert listed(axl, name=L.prefix + "0001") == L.n("0001")
    assert listed(axl, name=L.soft) == [L.soft]


def test_list_by_description(axl, listing):
    L = listing
    u = L.u
    assert listed(axl, description=u + " alpha%") == L.n("0001", "000A")
    assert listed(axl, description="%" + u + "%beta") == L.n("0002", "000A")
    assert listed(axl, description=u + " soft") == [L.soft]


def test_list_by_protocol(axl, listing):
    L = listing
    assert listed(axl, name=L.prefix + "%", protocol="SCCP") == L.n("0002")
    assert listed(axl, name=L.prefix + "%", protocol="SIP") == L.n("0001", "000A", "0010")


def test_list_by_calling_search_space(axl, listing):
    L = listing
    assert listed(axl, callingSearchSpaceName=L.css) == L.n("0001", "000A")
    assert listed(axl, callingSearchSpaceName="CSS-" + L.u[:6] + "%", name=L.prefix + "%") == \
        L.n("0001", "000A")


def test_list_by_device_pool(axl, listing):
    L = listing
    assert listed(axl, devicePoolName=L.dp1) == L.n("0001", "0002", "0010")
    # "CSF..." sorts before "SEP..."
    assert listed(axl, devicePoolName=L.dp2) == [L.soft] + L.n("000A")


def test_list_by_security_profile(axl, listing):
    L = listing
    assert listed(axl, securityProfileName=L.prof) == L.n("0001", "0010")
    assert listed(axl, securityProfileName=L.u + "-lp%") == L.n("0001", "0010")
    # the standard profiles, narrowed to this test's phones by name
    assert listed(axl, name=L.prefix + "%",
                  securityProfileName="Cisco 7965 - Standard %") == L.n("0002", "000A")
    assert listed(axl, name=L.prefix + "%",
                  securityProfileName=standard_profile("Cisco 7965", "SCCP")) == L.n("0002")


def test_list_criteria_are_anded(axl, listing):
    L = listing
    assert listed(axl, description=L.u + "%", devicePoolName=L.dp1) == L.n("0001", "0002")
    assert listed(axl, description=L.u + "%", devicePoolName=L.dp1, protocol="SIP") == L.n("0001")
    assert listed(axl, securityProfileName=L.prof, callingSearchSpaceName=L.css,
                  description=L.u + " alpha") == L.n("0001")
    assert listed(axl, securityProfileName=L.prof, protocol="SCCP") == []
    assert listed(axl, name=L.prefix + "%", devicePoolName=L.dp2, description=L.u + " beta") == []


def test_list_returned_tags(axl, listing):
    L = listing
    r = list_call(axl, {"securityProfileName": L.prof},
                  tags=("securityProfileName", "devicePoolName", "name"))
    assert r.status == 200
    rows = list(r.ret())
    assert [p.tag for p in rows] == ["phone", "phone"]
    assert [[(c.tag, c.text or "") for c in p] for p in rows] == [
        [("name", L.prefix + "0001"), ("devicePoolName", L.dp1), ("securityProfileName", L.prof)],
        [("name", L.prefix + "0010"), ("devicePoolName", L.dp1), ("securityProfileName", L.prof)],
    ]
    prof_uuid = profile_uuid(axl, L.prof)
    assert [p.find("securityProfileName").get("uuid") for p in rows] == [prof_uuid, prof_uuid]
    assert [p.get("uuid") for p in rows] == \
        [phone_of(axl, n).get("uuid") for n in L.n("0001", "0010")]


def test_list_empty_returned_tags_means_all(axl, listing):
    L = listing
    r = list_call(axl, {"name": L.prefix + "0002"}, tags=())
    assert r.status == 200
    (row,) = list(r.ret())
    assert [c.tag for c in row] == PHONE_ORDER
    assert fields_of(row) == phone_fields(axl, L.prefix + "0002")


def test_list_paging(axl, listing):
    L = listing
    crit = {"name": L.prefix + "%"}
    everything = L.n("0001", "0002", "000A", "0010")

    def names(**kw):
        r = list_call(axl, crit, **kw)
        assert r.status == 200, r.text
        return [p.findtext("name") for p in r.ret()]

    assert [names(skip=s, first=2) for s in (0, 2, 4)] == [everything[:2], everything[2:], []]
    assert names(skip=1, first=2) == everything[1:3]
    assert names(first=3) == everything[:3]
    # skip only applies together with first
    assert names(skip=3) == everything


def test_list_no_match(axl):
    r = list_call(axl, {"name": sep_name()})
    assert r.status == 200
    assert "<return/>" in r.text
    assert len(r.ret()) == 0 and r.ret().text is None


@pytest.mark.parametrize("criteria", ["", "<searchCriteria/>", "<searchCriteria></searchCriteria>"])
def test_list_missing_search_criteria(axl, criteria):
    r = axl.call("listPhone", criteria + "<returnedTags><name/></returnedTags>")
    expect_axl_fault(r, 5003, "soapenv:Server", "listPhone",
                     prefix="Missing required element: searchCriteria")


@pytest.mark.parametrize("element,value", [("first", "abc"), ("first", "-1"), ("skip", "abc"),
                                           ("skip", "-1")])
def test_list_bad_paging_value(axl, element, value):
    kw = {"first": "2"}
    kw[element] = value
    r = list_call(axl, {"name": sep_name()}, **kw)
    expect_invalid_value(r, "listPhone", element, value)


# --------------------------------------------------------------------------
# other versions
# --------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["12.5", "15.0"])
def test_other_versions(axl, unique, version):
    """The whole cycle in another version's namespace; Axl.call validates
    every answer against that version's schema (14.0's for 12.5)."""
    name = sep_name()
    uuid = add_phone(axl, name, version=version, description="v" + version)
    r = axl.call("getPhone", key_xml(("name", name)), version=version)
    assert r.status == 200, r.text
    assert r.payload().tag == "{%s}getPhoneResponse" % (AXL_NS % version)
    p = r.ret().find("phone")
    assert (p.get("uuid"), p.findtext("description"), p.findtext("securityProfileName")) == \
        (uuid, "v" + version, standard_profile("Cisco 8845", "SIP"))
    r = axl.call("updatePhone", key_xml(("uuid", uuid)) + "<description>u</description>",
                 version=version)
    assert r.status == 200 and r.ret().text == uuid
    r = list_call(axl, {"name": name}, tags=(), version=version)
    assert r.status == 200
    assert [x.findtext("description") for x in r.ret()] == ["u"]
    r = axl.call("removePhone", key_xml(("name", name)), version=version)
    assert r.status == 200 and r.ret().text == uuid
    assert r.payload().tag == "{%s}removePhoneResponse" % (AXL_NS % version)


def test_15_only_product_needs_a_15_request(axl):
    # Cisco 8875 is in the 15.0 XModel list only, as for profiles.
    name = sep_name()
    r = axl.call("addPhone", phone_xml(name=name, product="Cisco 8875", protocol="SIP"))
    expect_invalid_value(r, "addPhone", "product", "Cisco 8875")
    add_phone(axl, name, product="Cisco 8875", version="15.0")
    r = axl.call("getPhone", "<name>%s</name>" % name, version="15.0")
    assert r.ret()[0].findtext("product") == "Cisco 8875"
