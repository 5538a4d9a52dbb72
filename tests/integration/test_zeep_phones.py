"""Compatibility: the phone and user operations driven by python-zeep on
Cisco's unmodified 14.0 AXLAPI.wsdl (set up as in test_zeep_compat.py).

The scenario is the one an admin script runs: make a security profile, add
a phone with it, start a CAPF install with a new key size (the phone moves
to a CAPF profile), find phones by profile, fail to remove the profile in
use (a zeep Fault with axlcode -692), remove the phone, then the profiles.
Plus addUser/getUser.  zeep insists on every minOccurs=1 element of XPhone
and XUser, so the requests carry them the way Cisco's samples do; the
server ignores the ones it does not keep.
"""

import re
import uuid as uuidlib

import pytest
import zeep

from conftest import UUID_RE, sep_name
from test_zeep_compat import ZeepAxl, axl_error, expect_fault, http_url, https_url

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

PHONE_NOT_FOUND = "Item not valid: The specified Phone was not found"
USER_NOT_FOUND = "Item not valid: The specified User was not found"


@pytest.fixture(scope="module")
def z14(server):
    return ZeepAxl("14.0", server.user, server.password)


@pytest.fixture(params=["https", "http"])
def svc(request, server, z14):
    return z14.service(https_url(server) if request.param == "https" else http_url(server))


def xphone(name, **fields):
    """An XPhone dict with the elements zeep requires (as in Cisco's samples)."""
    phone = {
        "name": name, "product": "Cisco 8845", "class": "Phone", "protocol": "SIP",
        "protocolSide": "User", "devicePoolName": "Default",
        "commonPhoneConfigName": "Standard Common Phone Profile", "locationName": "Hub_None",
        "useTrustedRelayPoint": "Default", "phoneTemplateName": "Standard 8845 SIP",
        "primaryPhoneName": None, "builtInBridgeStatus": "Default", "packetCaptureMode": "None",
        "certificateOperation": "No Pending Operation", "deviceMobilityMode": "Default",
    }
    phone.update(fields)
    return phone


def fk(value):
    """(text, uuid) of an XFkType value as zeep parses it."""
    return (value["_value_1"], value["uuid"]) if value is not None else (None, None)


def listed(svc, **criteria):
    res = svc.listPhone(searchCriteria=criteria,
                        returnedTags={"name": "", "securityProfileName": ""})["return"]
    # zeep parses an empty <return/> as None
    return [] if res is None else [(p.name, fk(p.securityProfileName)) for p in res["phone"]]


def test_phone_security_scenario(svc, unique):
    # a profile of its own: settings no other test uses, so the CAPF move creates a profile
    prof = unique + "-zprof"
    r = uuidlib.uuid4().int
    prof_uuid = svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": prof, "description": "zeep phones",
        "nonceValidityTime": 10000 + r % 70000, "sipPhonePort": 20000 + (r >> 32) % 40000,
    })["return"]
    assert UUID_RE.match(prof_uuid)

    # addPhone with it
    name = sep_name()
    phone_uuid = svc.addPhone(phone=xphone(name, description="zeep phone",
                                           securityProfileName=prof))["return"]
    assert UUID_RE.match(phone_uuid), phone_uuid
    p = svc.getPhone(name=name)["return"]["phone"]
    assert p.uuid == phone_uuid
    assert isinstance(p.ctiid, int) and p.ctiid > 0
    assert (p.name, p.product, p.model, p.protocol, p.description) == \
        (name, "Cisco 8845", "Cisco 8845", "SIP", "zeep phone")
    assert fk(p.securityProfileName) == (prof, prof_uuid)
    assert fk(p.devicePoolName) == ("Default", "{1B1B9EB6-7803-11D3-BDF0-00108302EAD1}")
    assert (p.certificateOperation, p.certificateStatus, p.keySize) == \
        ("No Pending Operation", "None", "2048")
    assert listed(svc, securityProfileName=prof) == [(name, (prof, prof_uuid))]

    # a CAPF install with a new key size: the phone moves to a CAPF profile
    assert svc.updatePhone(name=name, certificateOperation="Install/Upgrade", keySize="4096",
                           authenticationString="2468")["return"] == phone_uuid
    p = svc.getPhone(name=name, returnedTags={
        "name": "", "securityProfileName": "", "certificateOperation": "", "keySize": "",
        "authenticationString": "", "certificateStatus": ""})["return"]["phone"]
    capf, capf_uuid = fk(p.securityProfileName)
    assert re.match(r"^Cisco 8845 - SIP CAPF [0-9a-f]{8}$", capf), capf
    assert capf_uuid != prof_uuid and UUID_RE.match(capf_uuid)
    assert (p.certificateOperation, p.certificateStatus, p.keySize, p.authenticationString) == \
        ("Install/Upgrade", "Operation Pending", "4096", "2468")
    assert p.description is None  # not asked for
    created = svc.getPhoneSecurityProfile(name=capf)["return"]["phoneSecurityProfile"]
    assert (created.keySize, created.description, created.uuid) == ("4096", "zeep phones", capf_uuid)

    # list phones by profile: found under the CAPF profile, no longer under the first one
    assert listed(svc, securityProfileName=capf) == [(name, (capf, capf_uuid))]
    assert listed(svc, securityProfileName=prof) == []

    # the profile in use cannot be removed
    f = expect_fault(lambda: svc.removePhoneSecurityProfile(name=capf), -692,
                     message="Cannot remove Phone Security Profile %s: it is used by 1 phone(s): %s"
                     % (capf, name),
                     faultcode="soapenv:Client", request="removePhoneSecurityProfile")
    assert axl_error(f)[0] == -692
    assert svc.getPhoneSecurityProfile(uuid=capf_uuid)["return"]["phoneSecurityProfile"].name == capf

    # remove the phone, then the profiles
    assert svc.removePhone(name=name)["return"] == phone_uuid
    expect_fault(lambda: svc.getPhone(name=name), 5007, PHONE_NOT_FOUND, request="getPhone")
    assert svc.removePhoneSecurityProfile(name=capf)["return"] == capf_uuid
    assert svc.removePhoneSecurityProfile(uuid=prof_uuid)["return"] == prof_uuid


def test_update_phone_profile_by_uuid_attribute(svc, unique):
    # zeep sends XFkType's uuid attribute from {"_value_1": ..., "uuid": ...}
    prof = unique + "-zattr"
    prof_uuid = svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": prof})["return"]
    name = sep_name()
    svc.addPhone(phone=xphone(name))
    svc.updatePhone(name=name, securityProfileName={"_value_1": "", "uuid": prof_uuid})
    p = svc.getPhone(name=name, returnedTags={"securityProfileName": ""})["return"]["phone"]
    assert fk(p.securityProfileName) == (prof, prof_uuid)
    svc.removePhone(name=name)
    svc.removePhoneSecurityProfile(name=prof)


def test_add_and_get_user(svc, unique):
    userid = unique + "-zuser"
    uuid = svc.addUser(user={"userid": userid, "firstName": "Zeep", "lastName": "User",
                             "digestCredentials": "zeep-digest",
                             "presenceGroupName": "Standard Presence group"})["return"]
    assert UUID_RE.match(uuid), uuid
    u = svc.getUser(userid=userid)["return"]["user"]
    assert (u.uuid, u.userid, u.firstName, u.lastName) == (uuid, userid, "Zeep", "User")
    assert u.digestCredentials is None
    assert zeep.helpers.serialize_object(svc.getUser(uuid=uuid)["return"]["user"], dict)["userid"] == userid

    # as a phone's digest user
    name = sep_name()
    svc.addPhone(phone=xphone(name, digestUser=userid))
    assert svc.getPhone(name=name)["return"]["phone"].digestUser == userid
    expect_fault(lambda: svc.removeUser(userid=userid), -692,
                 message="Cannot remove User %s: it is used by 1 phone(s): %s" % (userid, name),
                 faultcode="soapenv:Client", request="removeUser")
    svc.removePhone(name=name)
    assert svc.removeUser(userid=userid)["return"] == uuid
    expect_fault(lambda: svc.getUser(userid=userid), 5007, USER_NOT_FOUND,
                 faultcode="soapenv:Server", request="getUser")
