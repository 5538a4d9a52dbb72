"""The admin-guide rules that tie phones to phone security profiles.

Rule 1: a phone's profile must be for its model and protocol (or be the
        model-independent Universal Device Template profile); without one
        the phone gets its model's standard non-secure profile.
Rule 2: a profile in use cannot be removed (-692, naming the phones).
Rule 3: a profile's settings and name show on its phones.
Rule 4: CAPF settings changed on a phone (with a certificate operation)
        move it to a matching profile, found or created; predefined
        profiles never change.
Rule 5: a secure profile (Authenticated/Encrypted, or authentication by an
        existing certificate) only goes to a phone that has a certificate:
        a MIC, or an LSC recorded by `axlprovd capf complete`.

Every test makes its own profiles.  Profiles a CAPF move could pick get a
nonceValidityTime/sipPhonePort pair no other test uses, so a move can only
land on profiles the test made (or on the one it creates).
"""

import re
import threading
import uuid as uuidlib

import pytest

from conftest import (PROFILE_DEFAULTS, UUID_RE, Axl, add_phone, add_profile, axlprovd_cli,
                      expect_axl_fault, expect_invalid_value, fields_of, get_phone, get_profile,
                      key_xml, phone_of, phone_xml, sep_name, update_phone, xml_escape)

CSF = "Cisco Unified Client Services Framework"
UDT = "Universal Device Template - Model-independent Security Profile"
NOT_VALID_FOR_DEVICE = ("The specified Security Profile is not valid for this device type "
                        "(model and protocol).")
CAPF_REASON = "(CAPF settings change only with certificateOperation Install/Upgrade, Delete or Troubleshoot)"
PHONE_NOT_FOUND = "Item not valid: The specified Phone was not found"
CAPF_NAME_RE = r"^%s - %s CAPF [0-9a-f]{8}$"

# The profile fields a CAPF move must carry over unchanged.
NON_CAPF = ["deviceSecurityMode", "tftpEncryptedConfig", "EnableOAuthAuthentication",
            "nonceValidityTime", "transportType", "sipPhonePort", "enableDigestAuthentication",
            "excludeDigestCredentials"]
CAPF_FIELDS = ["authenticationMode", "keySize", "keyOrder", "ecKeySize"]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def standard_profile(model, protocol):
    return "%s - Standard %s Non-Secure Profile" % (model, protocol)


def profile(axl, name):
    """(uuid, {field: value}) of a profile that must exist."""
    r = get_profile(axl, name)
    assert r.status == 200, r.text
    p = r.ret().find("phoneSecurityProfile")
    return p.get("uuid"), fields_of(p)


def profile_by_uuid(axl, uuid):
    r = get_profile(axl, uuid=uuid)
    assert r.status == 200, r.text
    return fields_of(r.ret().find("phoneSecurityProfile"))


def phone(axl, name):
    """{field: value} of a phone, plus 'profile_uuid' (securityProfileName's uuid)."""
    p = phone_of(axl, name)
    f = fields_of(p)
    f["profile_uuid"] = p.find("securityProfileName").get("uuid")
    return f


def private_settings():
    """A nonceValidityTime/sipPhonePort pair no other test uses."""
    r = uuidlib.uuid4().int
    return {"nonceValidityTime": str(10000 + r % 70000),
            "sipPhonePort": str(20000 + (r >> 32) % 40000)}


def soft_name(unique, tag=""):
    return "CSF%s%s" % (unique, tag)


def capf_complete(pg, name, status=None, db_option=False):
    args = ["capf", "complete", name] + (["--status", status] if status else [])
    return axlprovd_cli(pg, *args, db_option=db_option)


def assert_no_phone(axl, name):
    expect_axl_fault(get_phone(axl, name), 5007, "soapenv:Server", "getPhone", PHONE_NOT_FOUND)


def expect_no_certificate(r, op, phone_name):
    """Rule 5's -746 fault for a phone without a certificate."""
    msg = expect_axl_fault(r, -746, "soapenv:Client", op,
                           prefix="The phone %s has no certificate" % phone_name)
    # it tells the way out: a non-secure profile, a CAPF install, then the secure one
    assert "non-secure" in msg.lower() and "CAPF" in msg, msg
    return msg


def list_phone_names(axl, **criteria):
    inner = "<searchCriteria>%s</searchCriteria><returnedTags><name/></returnedTags>" % "".join(
        "<%s>%s</%s>" % (k, xml_escape(v), k) for k, v in criteria.items())
    r = axl.call("listPhone", inner)
    assert r.status == 200, r.text
    return [p.findtext("name") for p in r.ret()]


# --------------------------------------------------------------------------
# Rule 1: the profile fits the model and protocol
# --------------------------------------------------------------------------

# (product, protocol, hardware name?)
DEFAULT_CASES = [
    ("Cisco 8845", "SIP", True), ("Cisco 7841", "SIP", True), ("Cisco 7965", "SIP", True),
    ("Cisco 7965", "SCCP", True), ("Cisco 7921", "SCCP", True), ("Cisco 3905", "SIP", True),
    ("Cisco ATA 191", "SCCP", True), ("Cisco IP Communicator", "SIP", True),
    ("Cisco IP Communicator", "SCCP", True), (CSF, "SIP", False),
    ("Third-party SIP Device (Advanced)", "SIP", False),
]


@pytest.mark.parametrize("product,protocol,hardware", DEFAULT_CASES,
                         ids=["%s-%s" % c[:2] for c in DEFAULT_CASES])
def test_default_is_the_models_standard_profile(axl, unique, product, protocol, hardware):
    name = sep_name() if hardware else soft_name(unique)
    add_phone(axl, name, product=product, protocol=protocol)
    std = standard_profile(product, protocol)
    std_uuid, _ = profile(axl, std)
    f = phone(axl, name)
    assert (f["securityProfileName"], f["profile_uuid"]) == (std, std_uuid)


def test_fitting_custom_profile_accepted(axl, unique):
    prof_uuid = add_profile(axl, unique, phoneType="Cisco 7965", protocol="SCCP")
    name = sep_name()
    add_phone(axl, name, product="Cisco 7965", protocol="SCCP", securityProfileName=unique)
    f = phone(axl, name)
    assert (f["securityProfileName"], f["profile_uuid"]) == (unique, prof_uuid)


# (phone product, phone protocol, profile phoneType, profile protocol or a predefined name)
MISFITS = [
    ("Cisco 8845", "SIP", "Cisco 7841", "SIP"),             # other model
    ("Cisco 7965", "SCCP", "Cisco 7965", "SIP"),            # other protocol
    ("Cisco 7965", "SIP", "Cisco 7965", "SCCP"),
    (CSF, "SIP", "Cisco 8845", "SIP"),
    ("Cisco 8845", "SIP", None, standard_profile("Cisco 7965", "SIP")),
    ("Cisco 7965", "SCCP", None, standard_profile("Cisco 7945", "SCCP")),
]


def _misfit_profile(axl, unique, ptype, pproto):
    if ptype is None:
        return pproto  # a predefined profile's name
    add_profile(axl, unique + "-misfit", phoneType=ptype, protocol=pproto)
    return unique + "-misfit"


def _name_for(product, unique):
    return soft_name(unique) if product == CSF else sep_name()


@pytest.mark.parametrize("product,protocol,ptype,pproto", MISFITS)
def test_misfit_profile_refused_on_add(axl, unique, product, protocol, ptype, pproto):
    prof = _misfit_profile(axl, unique, ptype, pproto)
    name = _name_for(product, unique)
    r = axl.call("addPhone", phone_xml(name=name, product=product, protocol=protocol,
                                       securityProfileName=prof))
    expect_axl_fault(r, 5003, "soapenv:Server", "addPhone", NOT_VALID_FOR_DEVICE)
    assert_no_phone(axl, name)


@pytest.mark.parametrize("product,protocol,ptype,pproto", MISFITS)
def test_misfit_profile_refused_on_update(axl, unique, product, protocol, ptype, pproto):
    prof = _misfit_profile(axl, unique, ptype, pproto)
    name = _name_for(product, unique)
    add_phone(axl, name, product=product, protocol=protocol)
    before = phone(axl, name)
    r = update_phone(axl, ("name", name), securityProfileName=prof, description="changed")
    expect_axl_fault(r, 5003, "soapenv:Server", "updatePhone", NOT_VALID_FOR_DEVICE)
    assert phone(axl, name) == before


@pytest.mark.parametrize("product,protocol", [
    ("Cisco 8845", "SIP"), ("Cisco 7965", "SCCP"), (CSF, "SIP"),
    ("Third-party SIP Device (Basic)", "SIP"), ("Cisco IP Communicator", "SCCP")])
def test_universal_profile_fits_any_model(axl, unique, product, protocol):
    udt_uuid, _ = profile(axl, UDT)
    name = _name_for(product, unique)
    add_phone(axl, name, product=product, protocol=protocol, securityProfileName=UDT)
    f = phone(axl, name)
    assert (f["securityProfileName"], f["profile_uuid"]) == (UDT, udt_uuid)
    # and back and forth by update
    std = standard_profile(product, protocol)
    assert update_phone(axl, ("name", name), securityProfileName=std).status == 200
    assert phone(axl, name)["securityProfileName"] == std
    assert update_phone(axl, ("name", name), securityProfileName=UDT).status == 200
    assert phone(axl, name)["securityProfileName"] == UDT


# --------------------------------------------------------------------------
# Rule 2: a profile in use cannot be removed
# --------------------------------------------------------------------------

def in_use_message(prof, names):
    shown = ", ".join(sorted(names)[:5])
    more = " and %d more" % (len(names) - 5) if len(names) > 5 else ""
    return "Cannot remove Phone Security Profile %s: it is used by %d phone(s): %s%s" % (
        prof, len(names), shown, more)


@pytest.mark.parametrize("count", [1, 5, 7])
@pytest.mark.parametrize("by", ["name", "uuid"])
def test_profile_in_use_cannot_be_removed(axl, unique, count, by):
    prof_uuid = add_profile(axl, unique, description="in use")
    names = [sep_name() for _ in range(count)]
    for n in names:
        add_phone(axl, n, securityProfileName=unique)
    before = profile(axl, unique)

    key = ("name", unique) if by == "name" else ("uuid", prof_uuid)
    r = axl.call("removePhoneSecurityProfile", key_xml(key))
    expect_axl_fault(r, -692, "soapenv:Client", "removePhoneSecurityProfile",
                     in_use_message(unique, names))
    # nothing changed
    assert profile(axl, unique) == before
    assert all(phone(axl, n)["profile_uuid"] == prof_uuid for n in names)

    # once the last phone is gone it can be removed
    for n in names:
        assert axl.call("removePhone", key_xml(("name", n))).status == 200
        if n != names[-1]:
            r = axl.call("removePhoneSecurityProfile", key_xml(key))
            assert r.status == 500 and r.fault()[2] == -692
    r = axl.call("removePhoneSecurityProfile", key_xml(key))
    assert r.status == 200, r.text
    assert r.ret().text == prof_uuid


@pytest.mark.parametrize("by", ["name", "uuid"])
def test_predefined_profile_in_use_is_refused_as_predefined(axl, by):
    """A predefined profile can never be removed, in use or not: the answer
    stays -746 (as in test_predefined.py), not "in use" (-692), which would
    suggest removing the phones lets it go."""
    std = standard_profile("Cisco 7841", "SIP")
    add_phone(axl, sep_name(), product="Cisco 7841")
    before = profile(axl, std)
    key = ("name", std) if by == "name" else ("uuid", before[0])
    r = axl.call("removePhoneSecurityProfile", key_xml(key))
    expect_axl_fault(r, -746, "soapenv:Client", "removePhoneSecurityProfile",
                     prefix="Cannot remove a predefined security profile: %s" % std)
    assert profile(axl, std) == before


def test_predefined_profile_in_use_update_is_refused_as_predefined(axl, unique):
    """Making a predefined profile secure is refused because it is predefined,
    before any question of the certificates of the phones that use it."""
    std = standard_profile(CSF, "SIP")
    add_phone(axl, soft_name(unique), product=CSF)
    before = profile(axl, std)
    r = axl.call("updatePhoneSecurityProfile", key_xml(("name", std)) +
                 "<deviceSecurityMode>Authenticated</deviceSecurityMode>")
    expect_axl_fault(r, -746, "soapenv:Client", "updatePhoneSecurityProfile",
                     prefix="Cannot update a predefined security profile: %s" % std)
    assert profile(axl, std) == before


def test_profile_freed_by_moving_phone(axl, unique):
    add_profile(axl, unique + "-a")
    name = sep_name()
    add_phone(axl, name, securityProfileName=unique + "-a")
    r = axl.call("removePhoneSecurityProfile", key_xml(("name", unique + "-a")))
    expect_axl_fault(r, -692, "soapenv:Client", "removePhoneSecurityProfile",
                     in_use_message(unique + "-a", [name]))
    assert update_phone(axl, ("name", name),
                        securityProfileName=standard_profile("Cisco 8845", "SIP")).status == 200
    assert axl.call("removePhoneSecurityProfile", key_xml(("name", unique + "-a"))).status == 200


# --------------------------------------------------------------------------
# Rule 3: profile changes show on its phones
# --------------------------------------------------------------------------

def test_profile_settings_show_on_phones(axl, unique):
    add_profile(axl, unique)
    names = [sep_name(), sep_name()]
    for n in names:
        add_phone(axl, n, securityProfileName=unique)
    r = axl.call("updatePhoneSecurityProfile",
                 key_xml(("name", unique)) + "<authenticationMode>By Authentication String"
                 "</authenticationMode><keySize>4096</keySize><keyOrder>EC Preferred, RSA Backup"
                 "</keyOrder><ecKeySize>521</ecKeySize>")
    assert r.status == 200, r.text
    for n in names:
        f = phone(axl, n)
        assert {k: f[k] for k in CAPF_FIELDS} == {
            "authenticationMode": "By Authentication String", "keySize": "4096",
            "keyOrder": "EC Preferred, RSA Backup", "ecKeySize": "521"}
        # the phone itself did not change operation or profile
        assert (f["securityProfileName"], f["certificateOperation"]) == \
            (unique, "No Pending Operation")


def test_profile_rename_shows_on_phones(axl, unique):
    old, new = unique + "-old", unique + "-new"
    prof_uuid = add_profile(axl, old)
    names = sorted([sep_name(), sep_name()])
    for n in names:
        add_phone(axl, n, securityProfileName=old)
    assert list_phone_names(axl, securityProfileName=old) == names
    r = axl.call("updatePhoneSecurityProfile", key_xml(("name", old)) + "<newName>%s</newName>" % new)
    assert r.status == 200, r.text
    for n in names:
        f = phone(axl, n)
        assert (f["securityProfileName"], f["profile_uuid"]) == (new, prof_uuid)
    assert list_phone_names(axl, securityProfileName=new) == names
    assert list_phone_names(axl, securityProfileName=old) == []
    r = axl.call("listPhone", "<searchCriteria><securityProfileName>%s</securityProfileName>"
                 "</searchCriteria><returnedTags><securityProfileName/></returnedTags>" % new)
    assert [(p.findtext("securityProfileName"), p.find("securityProfileName").get("uuid"))
            for p in r.ret()] == [(new, prof_uuid)] * 2


# --------------------------------------------------------------------------
# Rule 4: CAPF settings on the phone
# --------------------------------------------------------------------------

@pytest.fixture
def capf_source(axl, unique):
    """An 8845 SIP profile with private settings, and a phone on it."""
    settings = dict(private_settings(), description="capf source", enableDigestAuthentication="true")
    name = unique + "-src"
    uuid = add_profile(axl, name, **settings)
    phone_name = sep_name()
    add_phone(axl, phone_name, securityProfileName=name)
    return {"profile": name, "uuid": uuid, "settings": settings, "phone": phone_name}


@pytest.mark.parametrize("op", ["Install/Upgrade", "Delete", "Troubleshoot"])
def test_capf_move_to_existing_matching_profile(axl, unique, capf_source, op):
    src = capf_source
    # two matches; the first by name wins.  A near miss (other sipPhonePort) does not count.
    b_uuid = add_profile(axl, unique + "-b", keySize="4096", **src["settings"])
    add_profile(axl, unique + "-c", keySize="4096", **src["settings"])
    add_profile(axl, unique + "-a", keySize="4096",
                **dict(src["settings"], sipPhonePort=str(int(src["settings"]["sipPhonePort"]) + 1)))
    src_before = profile(axl, src["profile"])

    r = update_phone(axl, ("name", src["phone"]), certificateOperation=op, keySize="4096")
    assert r.status == 200, r.text
    f = phone(axl, src["phone"])
    assert (f["securityProfileName"], f["profile_uuid"]) == (unique + "-b", b_uuid)
    assert (f["keySize"], f["certificateOperation"]) == ("4096", op)
    assert profile(axl, src["profile"]) == src_before


def test_capf_move_creates_deterministic_profile(axl, capf_source):
    src = capf_source
    src_before = profile(axl, src["profile"])
    change = {"authenticationMode": "By Authentication String", "keySize": "3072",
              "keyOrder": "EC Preferred, RSA Backup", "ecKeySize": "256"}
    r = update_phone(axl, ("name", src["phone"]), certificateOperation="Install/Upgrade",
                     authenticationString="445566", **change)
    assert r.status == 200, r.text
    f = phone(axl, src["phone"])
    assert re.match(CAPF_NAME_RE % ("Cisco 8845", "SIP"), f["securityProfileName"]), \
        f["securityProfileName"]
    assert UUID_RE.match(f["profile_uuid"]) and f["profile_uuid"] != src["uuid"]
    assert {k: f[k] for k in CAPF_FIELDS} == change
    assert (f["certificateOperation"], f["certificateStatus"], f["authenticationString"]) == \
        ("Install/Upgrade", "Operation Pending", "445566")

    # the new profile: a copy of the old one (description too) with the new CAPF values
    created_uuid, created = profile(axl, f["securityProfileName"])
    assert created_uuid == f["profile_uuid"]
    old = src_before[1]
    assert created == dict(old, name=f["securityProfileName"], **change)
    assert created["description"] == "capf source"
    # the old profile is untouched
    assert profile(axl, src["profile"]) == src_before

    # a second phone making the same change lands on the same profile
    other = sep_name()
    add_phone(axl, other, securityProfileName=src["profile"])
    r = update_phone(axl, ("name", other), certificateOperation="Install/Upgrade", **change)
    assert r.status == 200, r.text
    g = phone(axl, other)
    assert (g["securityProfileName"], g["profile_uuid"]) == \
        (f["securityProfileName"], f["profile_uuid"])


def test_concurrent_capf_moves_share_one_profile(server, axl, capf_source):
    """Eight phones make the same CAPF change at the same moment: the profile
    they need is created once and all of them end on it, none gets a fault."""
    src = capf_source
    names = [sep_name() for _ in range(8)]
    for n in names:
        add_phone(axl, n, securityProfileName=src["profile"])
    barrier = threading.Barrier(len(names))
    results = [None] * len(names)

    def worker(i):
        client = Axl(server)
        barrier.wait()
        try:
            results[i] = update_phone(client, ("name", names[i]),
                                      certificateOperation="Install/Upgrade", keySize="512")
        except Exception as e:  # a dropped connection is a failure too
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(names))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [getattr(r, "status", repr(r)) for r in results] == [200] * len(names), \
        [r.text for r in results if getattr(r, "status", 0) != 200]
    landed = {(f["securityProfileName"], f["profile_uuid"]) for f in (phone(axl, n) for n in names)}
    assert len(landed) == 1, landed
    ((target, _),) = landed
    assert re.match(CAPF_NAME_RE % ("Cisco 8845", "SIP"), target), target


def test_capf_move_at_add(axl, capf_source):
    src = capf_source
    name = sep_name()
    add_phone(axl, name, securityProfileName=src["profile"], certificateOperation="Install/Upgrade",
              keySize="1024")
    f = phone(axl, name)
    assert re.match(CAPF_NAME_RE % ("Cisco 8845", "SIP"), f["securityProfileName"])
    assert (f["keySize"], f["certificateStatus"]) == ("1024", "Operation Pending")
    _, created = profile(axl, f["securityProfileName"])
    assert {k: created[k] for k in NON_CAPF} == {k: profile(axl, src["profile"])[1][k] for k in NON_CAPF}


def test_capf_move_with_operation_already_pending(axl, capf_source):
    src = capf_source
    r = update_phone(axl, ("name", src["phone"]), certificateOperation="Install/Upgrade")
    assert r.status == 200, r.text
    f = phone(axl, src["phone"])
    # no CAPF change yet: same profile, operation pending
    assert (f["securityProfileName"], f["certificateStatus"]) == (src["profile"], "Operation Pending")
    # a later request without certificateOperation may now change the key order
    r = update_phone(axl, ("name", src["phone"]), keyOrder="EC Only", ecKeySize="384")
    assert r.status == 200, r.text
    g = phone(axl, src["phone"])
    assert g["securityProfileName"] != src["profile"]
    assert (g["keyOrder"], g["ecKeySize"], g["certificateOperation"]) == \
        ("EC Only", "384", "Install/Upgrade")


def test_capf_move_from_predefined_profile(axl):
    std = standard_profile("Cisco 8845", "SIP")
    before = profile(axl, std)
    names = [sep_name(), sep_name()]
    for n in names:
        add_phone(axl, n)
        r = update_phone(axl, ("name", n), certificateOperation="Install/Upgrade", keySize="4096")
        assert r.status == 200, r.text
    moved = [phone(axl, n) for n in names]
    assert moved[0]["securityProfileName"] != std
    assert (moved[0]["securityProfileName"], moved[0]["profile_uuid"]) == \
        (moved[1]["securityProfileName"], moved[1]["profile_uuid"])
    assert moved[0]["keySize"] == "4096"
    # the target: 8845 SIP with the predefined settings except the key size
    target = profile_by_uuid(axl, moved[0]["profile_uuid"])
    assert (target["phoneType"], target["protocol"], target["keySize"]) == ("Cisco 8845", "SIP", "4096")
    assert {k: target[k] for k in NON_CAPF + ["authenticationMode", "keyOrder", "ecKeySize"]} == \
        {k: PROFILE_DEFAULTS[k] for k in NON_CAPF + ["authenticationMode", "keyOrder", "ecKeySize"]}
    # the predefined profile never changes
    assert profile(axl, std) == before


@pytest.mark.parametrize("field,value", [
    ("authenticationMode", "By Authentication String"), ("keySize", "4096"),
    ("keyOrder", "EC Only"), ("ecKeySize", "521"),
])
@pytest.mark.parametrize("op", [None, "No Pending Operation"])
def test_capf_change_without_operation_refused(axl, capf_source, field, value, op):
    src = capf_source
    before = phone(axl, src["phone"])
    prof_before = profile(axl, src["profile"])
    r = update_phone(axl, ("name", src["phone"]), certificateOperation=op, description="changed",
                     **{field: value})
    msg = expect_invalid_value(r, "updatePhone", field, value)
    assert msg == "Invalid value for %s: %s %s" % (field, value, CAPF_REASON)
    assert phone(axl, src["phone"]) == before
    assert profile(axl, src["profile"]) == prof_before


def test_capf_change_without_operation_refused_on_add(axl, capf_source):
    name = sep_name()
    r = axl.call("addPhone", phone_xml(name=name, product="Cisco 8845", protocol="SIP",
                                       securityProfileName=capf_source["profile"], keySize="512"))
    msg = expect_invalid_value(r, "addPhone", "keySize", "512")
    assert msg == "Invalid value for keySize: 512 %s" % CAPF_REASON
    assert_no_phone(axl, name)


def test_capf_values_equal_to_profile_accepted(axl, capf_source):
    src = capf_source
    before = phone(axl, src["phone"])
    r = update_phone(axl, ("name", src["phone"]), authenticationMode="By Null String",
                     keySize="2048", keyOrder="RSA Only", description="same CAPF")
    assert r.status == 200, r.text
    assert phone(axl, src["phone"]) == dict(before, description="same CAPF")


def test_install_upgrade_sets_operation_pending(axl):
    name = sep_name()
    add_phone(axl, name, certificateOperation="Install/Upgrade")
    f = phone(axl, name)
    assert (f["certificateOperation"], f["certificateStatus"]) == ("Install/Upgrade", "Operation Pending")
    # and the profile stays the standard one (no CAPF values changed)
    assert f["securityProfileName"] == standard_profile("Cisco 8845", "SIP")


# --------------------------------------------------------------------------
# Rule 5: secure profiles need a certificate
# --------------------------------------------------------------------------

SECURE_SETTINGS = [
    {"deviceSecurityMode": "Authenticated"},
    {"deviceSecurityMode": "Encrypted"},
    {"authenticationMode": "By Existing Certificate (precedence to LSC)"},
    {"authenticationMode": "By Existing Certificate (precedence to MIC)"},
]
SECURE_IDS = ["authenticated", "encrypted", "lsc", "mic"]


@pytest.mark.parametrize("settings", SECURE_SETTINGS, ids=SECURE_IDS)
def test_secure_profile_refused_without_certificate(axl, unique, settings):
    add_profile(axl, unique, phoneType=CSF, **settings)
    name = soft_name(unique)
    r = axl.call("addPhone", phone_xml(name=name, product=CSF, protocol="SIP",
                                       securityProfileName=unique))
    expect_no_certificate(r, "addPhone", name)
    assert_no_phone(axl, name)

    add_phone(axl, name, product=CSF)
    before = phone(axl, name)
    r = update_phone(axl, ("name", name), securityProfileName=unique, description="changed")
    expect_no_certificate(r, "updatePhone", name)
    assert phone(axl, name) == before


@pytest.mark.parametrize("product,protocol", [("Cisco IP Communicator", "SCCP"), ("Cisco 3905", "SIP")])
def test_existing_certificate_mode_refused_for_models_without_mic(axl, unique, product, protocol):
    add_profile(axl, unique, phoneType=product, protocol=protocol,
                authenticationMode="By Existing Certificate (precedence to MIC)")
    name = sep_name()
    r = axl.call("addPhone", phone_xml(name=name, product=product, protocol=protocol,
                                       securityProfileName=unique))
    expect_no_certificate(r, "addPhone", name)
    assert_no_phone(axl, name)


@pytest.mark.parametrize("settings", SECURE_SETTINGS, ids=SECURE_IDS)
def test_mic_model_takes_secure_profile_at_once(axl, unique, settings):
    prof_uuid = add_profile(axl, unique, phoneType="Cisco 8845", **settings)
    name = sep_name()
    add_phone(axl, name, securityProfileName=unique)
    f = phone(axl, name)
    assert (f["securityProfileName"], f["profile_uuid"], f["certificateStatus"]) == \
        (unique, prof_uuid, "None")


def test_mic_model_sccp_encrypted(axl, unique):
    add_profile(axl, unique, phoneType="Cisco 7965", protocol="SCCP", deviceSecurityMode="Encrypted")
    name = sep_name()
    add_phone(axl, name, product="Cisco 7965", protocol="SCCP")
    assert update_phone(axl, ("name", name), securityProfileName=unique).status == 200
    assert phone(axl, name)["securityProfileName"] == unique


def test_certificate_through_capf_then_secure_profile(axl, pg, unique):
    secure = unique + "-sec"
    sec_uuid = add_profile(axl, secure, phoneType=CSF, deviceSecurityMode="Encrypted")
    name = soft_name(unique)
    add_phone(axl, name, product=CSF)                       # 1. a non-secure profile

    r = update_phone(axl, ("name", name), certificateOperation="Install/Upgrade",
                     authenticationString="13579")          # 2. install a certificate
    assert r.status == 200, r.text
    f = phone(axl, name)
    assert (f["certificateOperation"], f["certificateStatus"]) == ("Install/Upgrade", "Operation Pending")
    # pending is not enough
    expect_no_certificate(update_phone(axl, ("name", name), securityProfileName=secure),
                          "updatePhone", name)

    cp = capf_complete(pg, name)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    f = phone(axl, name)
    assert (f["certificateOperation"], f["certificateStatus"]) == ("No Pending Operation", "Upgrade Success")

    r = update_phone(axl, ("name", name), securityProfileName=secure)   # 3. the secure profile
    assert r.status == 200, r.text
    f = phone(axl, name)
    assert (f["securityProfileName"], f["profile_uuid"]) == (secure, sec_uuid)


@pytest.mark.parametrize("op,status,db_option", [
    ("Install/Upgrade", "Upgrade Success", False),
    ("Delete", "Delete Success", False),
    ("Troubleshoot", "Troubleshoot Success", False),
    ("Install/Upgrade", "Upgrade Success", True),    # database named by --database-url
])
def test_capf_complete_default_status(axl, pg, op, status, db_option):
    name = sep_name()
    add_phone(axl, name, certificateOperation=op)
    cp = capf_complete(pg, name, db_option=db_option)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    f = phone(axl, name)
    assert (f["certificateOperation"], f["certificateStatus"]) == ("No Pending Operation", status)


def test_capf_complete_explicit_status(axl, pg, unique):
    add_profile(axl, unique, phoneType=CSF, deviceSecurityMode="Authenticated")
    name = soft_name(unique)
    add_phone(axl, name, product=CSF, certificateOperation="Install/Upgrade")
    cp = capf_complete(pg, name, status="Upgrade Failed")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    f = phone(axl, name)
    assert (f["certificateOperation"], f["certificateStatus"]) == ("No Pending Operation", "Upgrade Failed")
    # a failed upgrade gives no certificate
    expect_no_certificate(update_phone(axl, ("name", name), securityProfileName=unique),
                          "updatePhone", name)


def test_delete_success_removes_the_certificate(axl, pg, unique):
    add_profile(axl, unique, phoneType=CSF, deviceSecurityMode="Authenticated")
    name = soft_name(unique)
    add_phone(axl, name, product=CSF, certificateOperation="Install/Upgrade")
    assert capf_complete(pg, name).returncode == 0
    assert update_phone(axl, ("name", name), certificateOperation="Delete").status == 200
    cp = capf_complete(pg, name)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert phone(axl, name)["certificateStatus"] == "Delete Success"
    expect_no_certificate(update_phone(axl, ("name", name), securityProfileName=unique),
                          "updatePhone", name)


@pytest.mark.parametrize("case", ["unknown phone", "nothing pending"])
def test_capf_complete_errors(axl, pg, unique, case):
    name = sep_name()
    if case == "nothing pending":
        add_phone(axl, name)
    cp = capf_complete(pg, name)
    assert cp.returncode != 0
    assert (cp.stdout + cp.stderr).strip() != ""
    if case == "nothing pending":
        f = phone(axl, name)
        assert (f["certificateOperation"], f["certificateStatus"]) == ("No Pending Operation", "None")
    else:
        assert_no_phone(axl, name)


def test_capf_move_to_existing_certificate_mode_needs_certificate(axl, unique):
    name = soft_name(unique)
    add_phone(axl, name, product=CSF)
    before = phone(axl, name)
    r = update_phone(axl, ("name", name), certificateOperation="Install/Upgrade",
                     authenticationMode="By Existing Certificate (precedence to LSC)")
    expect_no_certificate(r, "updatePhone", name)
    assert phone(axl, name) == before


def test_capf_move_to_existing_certificate_mode_with_mic(axl):
    name = sep_name()
    add_phone(axl, name)
    r = update_phone(axl, ("name", name), certificateOperation="Install/Upgrade",
                     authenticationMode="By Existing Certificate (precedence to MIC)")
    assert r.status == 200, r.text
    f = phone(axl, name)
    assert f["authenticationMode"] == "By Existing Certificate (precedence to MIC)"
    assert f["securityProfileName"] != standard_profile("Cisco 8845", "SIP")


def test_securing_profile_in_use_needs_certificates(axl, pg, unique):
    add_profile(axl, unique, phoneType=CSF, description="shared")
    a, b = soft_name(unique, "-a"), soft_name(unique, "-b")
    for n in (a, b):
        add_phone(axl, n, product=CSF, securityProfileName=unique, certificateOperation="Install/Upgrade")
    before = profile(axl, unique)

    def secure(**change):
        return axl.call("updatePhoneSecurityProfile", key_xml(("name", unique)) + "".join(
            "<%s>%s</%s>" % (k, xml_escape(v), k) for k, v in change.items()))

    for change in ({"deviceSecurityMode": "Authenticated"},
                   {"authenticationMode": "By Existing Certificate (precedence to LSC)"}):
        r = secure(**change)
        msg = expect_axl_fault(r, -746, "soapenv:Client", "updatePhoneSecurityProfile",
                               prefix="The phone ")
        # the spec's form is for one phone; with several, every one lacking a
        # certificate must be named before "has no certificate"
        head = msg.split(" has no certificate")[0]
        assert head != msg and a in head and b in head, msg
        assert "CAPF" in msg and "non-secure" in msg.lower(), msg
        assert profile(axl, unique) == before

    # one phone gets its certificate: the other one is named now
    assert capf_complete(pg, a).returncode == 0
    r = secure(deviceSecurityMode="Authenticated")
    expect_no_certificate(r, "updatePhoneSecurityProfile", b)
    assert a not in r.fault()[3]
    assert profile(axl, unique) == before

    assert capf_complete(pg, b).returncode == 0
    r = secure(deviceSecurityMode="Authenticated")
    assert r.status == 200, r.text
    assert profile(axl, unique)[1]["deviceSecurityMode"] == "Authenticated"
    assert phone(axl, a)["securityProfileName"] == unique


def test_securing_profile_of_mic_phones(axl, unique):
    add_profile(axl, unique)
    name = sep_name()
    add_phone(axl, name, securityProfileName=unique)
    r = axl.call("updatePhoneSecurityProfile", key_xml(("name", unique)) +
                 "<deviceSecurityMode>Encrypted</deviceSecurityMode>")
    assert r.status == 200, r.text
    assert profile(axl, unique)[1]["deviceSecurityMode"] == "Encrypted"
