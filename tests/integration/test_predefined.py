"""The predefined (standard) phone security profiles the migrations install.

Covers: how many there are and how they are named, the settings they carry
(the Non Secure defaults), the model-independent UDT profile, and that
neither AXL (-746 faults) nor a direct SQL statement can change or remove
them.  These rows are shared by every test, so this file only reads them
and checks that every attempted change left them as they were.
"""

import subprocess

import pytest

from conftest import PROFILE_DEFAULTS, UUID_RE, fields_of, get_profile, xml_escape

# The settings of every predefined profile (all Non Secure defaults).
NON_SECURE = PROFILE_DEFAULTS

UDT = "Universal Device Template - Model-independent Security Profile"

# (name, phoneType, protocol) named in the spec.
EXAMPLES = [
    ("Cisco 7965 - Standard SIP Non-Secure Profile", "Cisco 7965", "SIP"),
    ("Cisco 7965 - Standard SCCP Non-Secure Profile", "Cisco 7965", "SCCP"),
    ("Cisco 8845 - Standard SIP Non-Secure Profile", "Cisco 8845", "SIP"),
    ("Third-party SIP Device (Basic) - Standard SIP Non-Secure Profile",
     "Third-party SIP Device (Basic)", "SIP"),
    ("Cisco Unified Client Services Framework - Standard SIP Non-Secure Profile",
     "Cisco Unified Client Services Framework", "SIP"),
    (UDT, "Universal Device Template", "SIP"),
]


def get_fields(axl, name):
    r = get_profile(axl, name)
    assert r.status == 200, r.text
    p = r.ret().find("phoneSecurityProfile")
    return p.get("uuid"), fields_of(p)


def standard_rows(axl):
    r = axl.call("listPhoneSecurityProfile",
                 "<searchCriteria><name>% - Standard % Non-Secure Profile</name></searchCriteria>"
                 "<returnedTags><phoneType/><protocol/><name/></returnedTags>")
    assert r.status == 200, r.text
    return [fields_of(p) for p in r.ret()]


def test_at_least_40_models_have_predefined_profiles(axl):
    rows = standard_rows(axl)
    models = {row["phoneType"] for row in rows}
    assert len(models) >= 40, sorted(models)
    # the name always follows "<phoneType> - Standard <protocol> Non-Secure Profile"
    standard = [r for r in rows if r["name"].startswith(r["phoneType"] + " - Standard ")]
    for row in standard:
        assert row["name"] == "%s - Standard %s Non-Secure Profile" % (row["phoneType"], row["protocol"])
    assert len({r["phoneType"] for r in standard}) >= 40
    # both protocols are represented
    assert {r["protocol"] for r in standard} == {"SIP", "SCCP"}


def test_every_model_and_protocol_has_one(axl, pg):
    """Cross-check with the model table: one standard profile per model and protocol it speaks."""
    expected = set()
    for name, sip, sccp in pg.sql("SELECT name, sip, sccp FROM phone_model WHERE NOT model_independent"):
        if sip == "t":
            expected.add("%s - Standard SIP Non-Secure Profile" % name)
        if sccp == "t":
            expected.add("%s - Standard SCCP Non-Secure Profile" % name)
    listed = {r["name"] for r in standard_rows(axl)}
    assert expected - listed == set()
    flagged = {row[0] for row in pg.sql("SELECT name FROM phone_security_profile WHERE is_standard")}
    assert flagged == expected | {UDT}


@pytest.mark.parametrize("name,phone_type,protocol", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_named_examples_exist_with_defaults(axl, name, phone_type, protocol):
    uuid, fields = get_fields(axl, name)
    assert UUID_RE.match(uuid)
    assert fields == dict(NON_SECURE, phoneType=phone_type, protocol=protocol, name=name)


# The fields each attempted update carries; none may be applied.
UPDATES = [
    ("description", "<description>changed</description>"),
    ("newName", "<newName>%s</newName>"),
    ("deviceSecurityMode", "<deviceSecurityMode>Authenticated</deviceSecurityMode>"),
    ("several fields", "<keySize>4096</keySize><sipPhonePort>5070</sipPhonePort>"),
]


@pytest.mark.parametrize("name", [EXAMPLES[0][0], EXAMPLES[1][0], UDT])
@pytest.mark.parametrize("what,change", UPDATES, ids=[u[0] for u in UPDATES])
def test_update_predefined_refused(axl, unique, name, what, change):
    before = get_fields(axl, name)
    if "%s" in change:
        change = change % unique
    r = axl.call("updatePhoneSecurityProfile", "<name>%s</name>%s" % (xml_escape(name), change))
    assert r.status == 500, r.text
    fc, fs, code, msg, req = r.fault()
    assert (code, fc, req) == (-746, "soapenv:Client", "updatePhoneSecurityProfile")
    assert fs == msg
    assert msg.startswith("Cannot update a predefined security profile: %s" % name), msg
    assert get_fields(axl, name) == before
    # a refused rename must not leave the new name behind either
    assert get_profile(axl, unique).status == 500


def test_update_predefined_by_uuid_refused(axl):
    name = EXAMPLES[2][0]
    before = get_fields(axl, name)
    r = axl.call("updatePhoneSecurityProfile",
                 "<uuid>%s</uuid><description>by uuid</description>" % before[0].strip("{}").lower())
    assert r.status == 500, r.text
    fc, _, code, msg, _ = r.fault()
    assert (code, fc) == (-746, "soapenv:Client")
    assert msg.startswith("Cannot update a predefined security profile: %s" % name), msg
    assert get_fields(axl, name) == before


@pytest.mark.parametrize("by", ["name", "uuid"])
@pytest.mark.parametrize("name", [EXAMPLES[0][0], EXAMPLES[3][0], UDT])
def test_remove_predefined_refused(axl, name, by):
    before = get_fields(axl, name)
    key = xml_escape(name) if by == "name" else before[0]
    r = axl.call("removePhoneSecurityProfile", "<%s>%s</%s>" % (by, key, by))
    assert r.status == 500, r.text
    fc, fs, code, msg, req = r.fault()
    assert (code, fc, req) == (-746, "soapenv:Client", "removePhoneSecurityProfile")
    assert fs == msg
    assert msg.startswith("Cannot remove a predefined security profile: %s" % name), msg
    assert get_fields(axl, name) == before


@pytest.mark.parametrize("statement", [
    "UPDATE phone_security_profile SET description='x' WHERE is_standard",
    "UPDATE phone_security_profile SET name = name || ' (copy)' WHERE name = :'v1'",
    "DELETE FROM phone_security_profile WHERE name = :'v1'",
    "UPDATE phone_security_profile SET is_standard = false WHERE name = :'v1'",
])
def test_database_refuses_changes(axl, pg, statement):
    """The trigger guards the rows whatever the client, not only the server."""
    name = EXAMPLES[4][0]
    before = get_fields(axl, name)
    with pytest.raises(subprocess.CalledProcessError) as exc:
        pg.sql(statement, name)
    assert "predefined security profile" in exc.value.stderr
    assert get_fields(axl, name) == before
    assert pg.sql("SELECT count(*) FROM phone_security_profile WHERE is_standard AND description <> ''") \
        == [["0"]]
