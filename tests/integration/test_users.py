"""End users (addUser, getUser, updateUser, removeUser), kept for the
digest credentials of SIP phones.

Covers the round trip, partial updates and renames, the faults, that
digestCredentials is never answered and is stored only as the two HA1
hashes (checked in the database), and a user as a phone's digestUser:
shown by getPhone, cleared with "", and not removable while referenced.
"""

import hashlib
import uuid as uuidlib

import pytest

from conftest import (UUID_RE, add_phone, add_user, expect_axl_fault, expect_invalid_value, fields_of,
                      key_xml, phone_of, sep_name, update_phone, user_xml, xml_escape)

NOT_FOUND = "Item not valid: The specified User was not found"
ENTRY_NOT_FOUND = "Item not valid: The specified entry was not found"
DUPLICATE = "Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:)."
REALM = "ccmsipline"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def get_user(axl, key, tags=None):
    rt = ""
    if tags is not None:
        rt = "<returnedTags>%s</returnedTags>" % "".join("<%s/>" % t for t in tags)
    return axl.call("getUser", key_xml(key) + rt)


def user_of(axl, key):
    """The <user> element of a getUser that must succeed."""
    r = get_user(axl, key)
    assert r.status == 200, r.text
    u = r.ret().find("user")
    assert u is not None, r.text
    return u


def user_fields(axl, userid):
    return fields_of(user_of(axl, ("userid", userid)))


def update_user(axl, key, **fields):
    return axl.call("updateUser", key_xml(key) + "".join(
        "<%s>%s</%s>" % (k, xml_escape(v), k) for k, v in fields.items()))


def assert_no_user(axl, userid):
    expect_axl_fault(get_user(axl, ("userid", userid)), 5007, "soapenv:Server", "getUser", NOT_FOUND)


def stored_ha1(pg, userid):
    """(md5, sha256) HA1 columns of a user; '' for NULL."""
    rows = pg.sql("SELECT coalesce(digest_ha1_md5, ''), coalesce(digest_ha1_sha256, '') "
                  "FROM end_user WHERE userid = :'v1'", userid)
    assert len(rows) == 1, rows
    return tuple(rows[0])


def expected_ha1(userid, password):
    a1 = ("%s:%s:%s" % (userid, REALM, password)).encode("utf-8")
    return hashlib.md5(a1).hexdigest(), hashlib.sha256(a1).hexdigest()


def stored_row_text(pg, userid):
    return pg.sql("SELECT row_to_json(e)::text FROM end_user e WHERE userid = :'v1'", userid)[0][0]


# --------------------------------------------------------------------------
# add / get
# --------------------------------------------------------------------------

def test_add_and_get(axl, unique):
    userid = unique + "-jdoe"
    r = axl.call("addUser", user_xml(firstName="Jane", lastName="Doe", userid=userid,
                                     digestCredentials="s3cret"), sequence="5")
    assert r.status == 200, r.text
    assert r.payload().get("sequence") == "5"
    uuid = r.ret().text
    assert UUID_RE.match(uuid), uuid

    r = get_user(axl, ("userid", userid))
    assert r.status == 200
    u = r.ret().find("user")
    assert u.get("uuid") == uuid
    assert [(c.tag, c.text or "") for c in u] == [("firstName", "Jane"), ("lastName", "Doe"),
                                                  ("userid", userid)]
    assert "digestCredentials" not in r.text and "s3cret" not in r.text


def test_add_minimal(axl, unique):
    userid = unique + "-min"
    add_user(axl, userid, lastName="Only")
    f = user_fields(axl, userid)
    assert (f.get("firstName", ""), f["lastName"], f["userid"]) == ("", "Only", userid)


@pytest.mark.parametrize("spelling", ["braces", "no braces", "lower case", "lower no braces"])
def test_get_by_uuid(axl, unique, spelling):
    userid = unique + "-byuuid"
    uuid = add_user(axl, userid, firstName="By", lastName="Uuid")
    key = {"braces": uuid, "no braces": uuid.strip("{}"), "lower case": uuid.lower(),
           "lower no braces": uuid.strip("{}").lower()}[spelling]
    u = user_of(axl, ("uuid", key))
    assert u.get("uuid") == uuid
    assert (u.findtext("userid"), u.findtext("lastName")) == (userid, "Uuid")


def test_digest_credentials_never_returned_even_when_asked(axl, unique):
    userid = unique + "-ask"
    add_user(axl, userid, digestCredentials="AskMe-" + unique)
    r = get_user(axl, ("userid", userid), tags=["userid", "digestCredentials"])
    assert r.status == 200, r.text
    u = r.ret().find("user")
    assert u.find("digestCredentials") is None
    assert u.findtext("userid") == userid
    assert "AskMe-" not in r.text


@pytest.mark.parametrize("how", ["absent", "empty"])
@pytest.mark.parametrize("missing", ["userid", "lastName"])
def test_add_missing_required(axl, unique, missing, how):
    fields = {"firstName": "F", "lastName": "L", "userid": unique + "-miss"}
    if how == "absent":
        del fields[missing]
    else:
        fields[missing] = ""
    r = axl.call("addUser", user_xml(**fields))
    expect_axl_fault(r, 5003, "soapenv:Server", "addUser", "Missing required element: %s" % missing)
    assert_no_user(axl, unique + "-miss")


def test_add_duplicate_userid(axl, unique):
    userid = unique + "-dup"
    first = add_user(axl, userid, firstName="First")
    r = axl.call("addUser", user_xml(userid=userid, lastName="Second", firstName="Second"))
    expect_axl_fault(r, -239, "soapenv:Client", "addUser", DUPLICATE)
    u = user_of(axl, ("userid", userid))
    assert (u.get("uuid"), u.findtext("firstName")) == (first, "First")


@pytest.mark.parametrize("key", ["userid", "uuid"])
def test_get_unknown(axl, unique, key):
    value = unique + "-nobody" if key == "userid" else "{%s}" % str(uuidlib.uuid4()).upper()
    expect_axl_fault(get_user(axl, (key, value)), 5007, "soapenv:Server", "getUser", NOT_FOUND)


@pytest.mark.parametrize("op,extra", [("getUser", ""), ("updateUser", "<firstName>x</firstName>"),
                                      ("removeUser", "")])
def test_missing_userid_or_uuid(axl, op, extra):
    r = axl.call(op, extra)
    expect_axl_fault(r, 5003, "soapenv:Server", op, prefix="Missing required element: ")


@pytest.mark.parametrize("op", ["getUser", "updateUser", "removeUser"])
def test_bad_uuid_text(axl, op):
    expect_invalid_value(axl.call(op, "<uuid>not-a-uuid</uuid>"), op, "uuid", "not-a-uuid")


# --------------------------------------------------------------------------
# digest credentials in the database
# --------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["s3cret", "p@ss:w0rd & <more> \"quoted\"", "caf\u00e9-\u65e5\u672c"])
def test_digest_stored_only_as_ha1(axl, pg, unique, password):
    userid = unique + "-ha1"
    add_user(axl, userid, digestCredentials=password)
    assert stored_ha1(pg, userid) == expected_ha1(userid, password)
    # the password itself is nowhere in the row
    assert password not in stored_row_text(pg, userid)


def test_user_without_digest_has_no_ha1(axl, pg, unique):
    userid = unique + "-nodigest"
    add_user(axl, userid)
    assert stored_ha1(pg, userid) == ("", "")


def test_update_digest_credentials(axl, pg, unique):
    userid = unique + "-upd"
    add_user(axl, userid, digestCredentials="old-pass")
    assert update_user(axl, ("userid", userid), firstName="Renamed").status == 200
    # a partial update leaves the credentials alone
    assert stored_ha1(pg, userid) == expected_ha1(userid, "old-pass")
    assert update_user(axl, ("userid", userid), digestCredentials="new-pass").status == 200
    assert stored_ha1(pg, userid) == expected_ha1(userid, "new-pass")
    assert "new-pass" not in stored_row_text(pg, userid)
    assert user_fields(axl, userid)["firstName"] == "Renamed"


# --------------------------------------------------------------------------
# update / remove
# --------------------------------------------------------------------------

def test_update_partial(axl, unique):
    userid = unique + "-part"
    uuid = add_user(axl, userid, firstName="Before", lastName="Same")
    r = update_user(axl, ("userid", userid), firstName="After")
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    f = user_fields(axl, userid)
    assert (f["firstName"], f["lastName"], f["userid"]) == ("After", "Same", userid)
    r = update_user(axl, ("uuid", uuid.strip("{}").lower()), lastName="Changed")
    assert r.status == 200 and r.ret().text == uuid
    f = user_fields(axl, userid)
    assert (f["firstName"], f["lastName"]) == ("After", "Changed")


def test_update_new_userid_keeps_uuid(axl, unique):
    old, new = unique + "-old", unique + "-new"
    uuid = add_user(axl, old, firstName="Ren")
    r = update_user(axl, ("userid", old), newUserid=new)
    assert r.status == 200, r.text
    u = user_of(axl, ("uuid", uuid))
    assert (u.findtext("userid"), u.findtext("firstName")) == (new, "Ren")
    assert_no_user(axl, old)


def test_update_new_userid_taken(axl, unique):
    a, b = unique + "-a", unique + "-b"
    add_user(axl, a, firstName="A")
    add_user(axl, b, firstName="B")
    r = update_user(axl, ("userid", a), newUserid=b, firstName="changed")
    expect_axl_fault(r, -239, "soapenv:Client", "updateUser", DUPLICATE)
    assert user_fields(axl, a)["firstName"] == "A"
    assert user_fields(axl, b)["firstName"] == "B"


@pytest.mark.parametrize("key", ["userid", "uuid"])
def test_update_unknown(axl, unique, key):
    value = unique + "-nobody" if key == "userid" else "{%s}" % str(uuidlib.uuid4()).upper()
    r = update_user(axl, (key, value), firstName="x")
    expect_axl_fault(r, 5007, "soapenv:Server", "updateUser", NOT_FOUND)


@pytest.mark.parametrize("by", ["userid", "uuid"])
def test_remove(axl, pg, unique, by):
    userid = unique + "-rm"
    uuid = add_user(axl, userid, digestCredentials="gone")
    r = axl.call("removeUser", key_xml(("userid", userid) if by == "userid" else ("uuid", uuid)))
    assert r.status == 200, r.text
    assert r.ret().text == uuid
    assert_no_user(axl, userid)
    assert pg.sql("SELECT count(*) FROM end_user WHERE userid = :'v1'", userid) == [["0"]]
    r = axl.call("removeUser", key_xml(("userid", userid)))
    expect_axl_fault(r, 5007, "soapenv:Server", "removeUser", ENTRY_NOT_FOUND)


@pytest.mark.parametrize("key", ["userid", "uuid"])
def test_remove_unknown(axl, unique, key):
    value = unique + "-nobody" if key == "userid" else "{%s}" % str(uuidlib.uuid4()).upper()
    r = axl.call("removeUser", key_xml((key, value)))
    expect_axl_fault(r, 5007, "soapenv:Server", "removeUser", ENTRY_NOT_FOUND)


# --------------------------------------------------------------------------
# a user as a phone's digestUser
# --------------------------------------------------------------------------

def test_digest_user_on_phone(axl, unique):
    u1, u2 = unique + "-d1", unique + "-d2"
    add_user(axl, u1)
    add_user(axl, u2)
    name = sep_name()
    add_phone(axl, name, digestUser=u1)
    assert phone_of(axl, name).findtext("digestUser") == u1
    assert update_phone(axl, ("name", name), digestUser=u2).status == 200
    assert phone_of(axl, name).findtext("digestUser") == u2
    # "" clears it
    assert update_phone(axl, ("name", name), digestUser="").status == 200
    assert phone_of(axl, name).findtext("digestUser") == ""


def test_digest_user_follows_rename(axl, unique):
    old, new = unique + "-was", unique + "-now"
    add_user(axl, old)
    name = sep_name()
    add_phone(axl, name, digestUser=old)
    assert update_user(axl, ("userid", old), newUserid=new).status == 200
    assert phone_of(axl, name).findtext("digestUser") == new


def test_unknown_digest_user_on_update(axl, unique):
    name = sep_name()
    add_phone(axl, name)
    r = update_phone(axl, ("name", name), digestUser=unique + "-ghost")
    expect_invalid_value(r, "updatePhone", "digestUser", unique + "-ghost")
    assert phone_of(axl, name).findtext("digestUser") == ""


@pytest.mark.parametrize("by", ["userid", "uuid"])
def test_referenced_user_cannot_be_removed(axl, unique, by):
    userid = unique + "-ref"
    uuid = add_user(axl, userid, firstName="Kept")
    names = sorted([sep_name(), sep_name()])
    for n in names:
        add_phone(axl, n, digestUser=userid)
    key = ("userid", userid) if by == "userid" else ("uuid", uuid)
    r = axl.call("removeUser", key_xml(key))
    expect_axl_fault(r, -692, "soapenv:Client", "removeUser",
                     "Cannot remove User %s: it is used by 2 phone(s): %s" % (userid, ", ".join(names)))
    assert user_fields(axl, userid)["firstName"] == "Kept"
    assert all(phone_of(axl, n).findtext("digestUser") == userid for n in names)

    # free it: one phone clears its digest user, the other is removed
    assert update_phone(axl, ("name", names[0]), digestUser="").status == 200
    r = axl.call("removeUser", key_xml(key))
    expect_axl_fault(r, -692, "soapenv:Client", "removeUser",
                     "Cannot remove User %s: it is used by 1 phone(s): %s" % (userid, names[1]))
    assert axl.call("removePhone", key_xml(("name", names[1]))).status == 200
    r = axl.call("removeUser", key_xml(key))
    assert r.status == 200, r.text
    assert r.ret().text == uuid
