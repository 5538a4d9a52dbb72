#!/usr/bin/python3
"""make_corpus.py: writes the seed corpora of the two fuzz harnesses.

tests/fuzz/corpus/request/: raw client bytes for one connection each: a
valid request for every operation of wsdl/axl.wsdl (named after the
objects fake_repo.c starts with, so they succeed), in several AXL versions,
with Content-Length and chunked bodies, keep-alive pairs, GET pages, and a
few refusals (401, 404, 405, 413, DOCTYPE); and EST requests (est-*.http,
served as the EST listener's: each resource, each way an enrollment ends).  Envelopes are built as
tests/integration/conftest.py builds them.

tests/fuzz/corpus/register/: fuzz_register.c's three control bytes
(transport, the TLS certificate's facts, its CN) and one SIP message each:
REGISTERs for the phones in fake_repo.c with and without digest (MD5 and
SHA-256 answers to a nonce made with the fake's secret), Expires 0,
Contact *, TCP, OPTIONS, malformed ones, and TLS with every kind of
certificate the registrar tells apart (LSC on record or not, MIC with
sip_accept_mic off and on, expired, not yet valid, untrusted, another
phone's, none).

Run from the repository root; rewrites both folders.
"""
import base64
import hashlib
import hmac
import os
import shutil
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
AXL_NS = "http://www.cisco.com/AXL/API/%s"
AUTH = base64.b64encode(b"admin:fuzzpass").decode()
READER = base64.b64encode(b"reader:fuzzpass").decode()


def envelope(op, inner, version="14.0", sequence=None, prefix="ns"):
    seq = ' sequence="%s"' % sequence if sequence is not None else ""
    return ('<soapenv:Envelope xmlns:soapenv="%s" xmlns:%s="%s">'
            '<soapenv:Header/><soapenv:Body><%s:%s%s>%s</%s:%s></soapenv:Body></soapenv:Envelope>'
            % (SOAPENV, prefix, AXL_NS % version, prefix, op, seq, inner, prefix, op))


def post(op, inner, version="14.0", chunked=False, auth=AUTH, action=True, extra="",
         sequence=None, path="/axl/"):
    body = envelope(op, inner, version, sequence).encode()
    head = "POST %s HTTP/1.1\r\nHost: localhost:8443\r\nAuthorization: Basic %s\r\n" \
           "Content-Type: text/xml; charset=utf-8\r\n" % (path, auth)
    if action:
        head += 'SOAPAction: "CUCM:DB ver=%s %s"\r\n' % (version, op)
    head += extra
    if chunked:
        half = len(body) // 2
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:half], body[half:]))
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks + b"0\r\n\r\n"
    return (head + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body


def tags(*names):
    return "".join("<%s/>" % n for n in names)


PROFILE_ADD = ("<phoneSecurityProfile><phoneType>Cisco 8845</phoneType><protocol>SIP</protocol>"
               "<name>fuzz-8845-auth</name><description>fuzz</description>"
               "<deviceSecurityMode>Authenticated</deviceSecurityMode>"
               "<transportType>TLS</transportType>"
               "<enableDigestAuthentication>true</enableDigestAuthentication>"
               "<nonceValidityTime>300</nonceValidityTime></phoneSecurityProfile>")
PHONE_ADD = ("<phone><name>SEPAABBCCDDEEFF</name><description>fuzz phone</description>"
             "<product>Cisco 8845</product><class>Phone</class><protocol>SIP</protocol>"
             "<protocolSide>User</protocolSide><devicePoolName>Default</devicePoolName>"
             "<securityProfileName>Fuzz 8845 Digest</securityProfileName>"
             "<digestUser>1001</digestUser></phone>")
USER_ADD = ("<user><userid>fuzzuser</userid><firstName>Fuzz</firstName><lastName>Tester</lastName>"
            "<digestCredentials>s3cret</digestCredentials></user>")

REQUESTS = {
    # phone security profiles
    "addPhoneSecurityProfile": ("addPhoneSecurityProfile", PROFILE_ADD),
    "getPhoneSecurityProfile": ("getPhoneSecurityProfile", "<name>Fuzz 8845 Digest</name>"),
    "getPhoneSecurityProfile-tags": (
        "getPhoneSecurityProfile", "<name>Cisco 8845 - Standard SIP Non-Secure Profile</name>"
        "<returnedTags>%s</returnedTags>" % tags("name", "transportType", "nonceValidityTime")),
    "updatePhoneSecurityProfile": (
        "updatePhoneSecurityProfile", "<name>Fuzz 8845 UDP</name><newName>Fuzz 8845 TCP</newName>"
        "<transportType>TCP</transportType><enableDigestAuthentication>true"
        "</enableDigestAuthentication>"),
    "updatePhoneSecurityProfile-description": (
        "updatePhoneSecurityProfile", "<name>Fuzz 8845 UDP</name><description>only this"
        "</description>"),
    "listPhoneSecurityProfile": (
        "listPhoneSecurityProfile", "<searchCriteria><name>Cisco 88%</name></searchCriteria>"
        "<returnedTags>" + tags("name", "phoneType", "protocol") + "</returnedTags>"),
    "listPhoneSecurityProfile-page": (
        "listPhoneSecurityProfile", "<searchCriteria><description>%</description></searchCriteria>"
        "<returnedTags/><skip>2</skip><first>3</first>"),
    "removePhoneSecurityProfile": ("removePhoneSecurityProfile", "<name>Fuzz 8845 Spare</name>"),
    "removePhoneSecurityProfile-in-use": ("removePhoneSecurityProfile",
                                          "<name>Fuzz 8845 UDP</name>"),
    "applyPhoneSecurityProfile": ("applyPhoneSecurityProfile", "<name>Fuzz 8845 Digest</name>"),
    "resetPhoneSecurityProfile": ("resetPhoneSecurityProfile", "<name>Fuzz 8845 Digest</name>"),
    # phones
    "addPhone": ("addPhone", PHONE_ADD),
    "addPhone-minimal": ("addPhone", "<phone><name>SEP0A0B0C0D0E0F</name><product>Cisco 7962"
                                     "</product><protocol>SCCP</protocol></phone>"),
    "addPhone-capf": ("addPhone", "<phone><name>SEP0A0B0C0D0E1F</name><product>Cisco 8845"
                                  "</product><protocol>SIP</protocol><certificateOperation>"
                                  "Install/Upgrade</certificateOperation><authenticationMode>"
                                  "By Authentication String</authenticationMode>"
                                  "<authenticationString>123456</authenticationString>"
                                  "<keySize>2048</keySize></phone>"),
    "getPhone": ("getPhone", "<name>SEP001122334466</name>"),
    "getPhone-tags": ("getPhone", "<name>SEP001122334455</name><returnedTags>%s</returnedTags>"
                      % tags("name", "securityProfileName", "digestUser", "certificateStatus")),
    "updatePhone": ("updatePhone", "<name>SEP001122334455</name><newName>SEP001122334456"
                                   "</newName><description>moved</description>"
                                   "<securityProfileName>Fuzz 8845 Digest</securityProfileName>"
                                   "<digestUser>1002</digestUser>"),
    "listPhone": ("listPhone", "<searchCriteria><name>SEP%</name></searchCriteria><returnedTags>"
                  + tags("name", "product", "securityProfileName", "devicePoolName")
                  + "</returnedTags>"),
    "listPhone-profile": ("listPhone", "<searchCriteria><securityProfileName>Fuzz%"
                                       "</securityProfileName></searchCriteria><returnedTags/>"
                                       "<first>2</first>"),
    "removePhone": ("removePhone", "<name>SEP001122334477</name>"),
    "applyPhone": ("applyPhone", "<name>SEP001122334466</name>"),
    "resetPhone": ("resetPhone", "<name>SEP001122334466</name>"),
    "restartPhone": ("restartPhone", "<name>SEP001122334455</name>"),
    "getPhone-by-uuid": ("getPhone", "<uuid>{00000015-F00D-4000-8000-0000FA8CFB85}</uuid>"),
    "getPhoneSecurityProfile-by-uuid": (
        "getPhoneSecurityProfile", "<uuid>0000000c-f00d-4000-8000-00006a99b44c</uuid>"),
    "updatePhone-capf": ("updatePhone", "<name>SEP001122334455</name><certificateOperation>"
                                        "Install/Upgrade</certificateOperation>"
                                        "<authenticationMode>By Null String</authenticationMode>"
                                        "<keySize>3072</keySize>"),
    "updatePhone-by-uuid": ("updatePhone", "<uuid>{00000015-F00D-4000-8000-0000FA8CFB85}</uuid>"
                                           "<description>by uuid</description><digestUser/>"),
    # executeSQLQuery (fake_repo.c answers with its phones; "repeat" passes the
    # harness's 64 KB cap, "nosuch" is the database's refusal).
    "executeSQLQuery": ("executeSQLQuery", "<sql>select name, description from device where "
                                           "name like 'SEP%' order by name</sql>"),
    "executeSQLQuery-skip-first": ("executeSQLQuery", "<sql>SELECT SKIP 1 FIRST 2 UNIQUE name "
                                                      "FROM device ORDER BY name;</sql>"),
    "executeSQLQuery-join": ("executeSQLQuery",
                             "<sql>select d.name, s.name as p, count(*) from device d, "
                             "securityprofile s where s.pkid = d.fksecurityprofile and "
                             "lower(d.name) like 'sep%' /* ; */ group by 1, 2 -- x</sql>"),
    "executeSQLQuery-too-large": ("executeSQLQuery",
                                  "<sql>select repeat('x', 1000) from device</sql>"),
    "executeSQLQuery-db-error": ("executeSQLQuery", "<sql>select * from nosuchtable</sql>"),
    "executeSQLQuery-two-statements": ("executeSQLQuery",
                                       "<sql>select 1; delete from device</sql>"),
    "executeSQLQuery-matches": ("executeSQLQuery",
                                "<sql>select name from device where name matches 'SEP*'</sql>"),
    "executeSQLQuery-catalog": ("executeSQLQuery", "<sql>select * from \"pg_authid\"</sql>"),
    "executeSQLUpdate": ("executeSQLUpdate", "<sql>update device set description = ''</sql>"),
    "executeSQLQueryInactive": ("executeSQLQueryInactive", "<sql>select name from device</sql>"),
    "updatePhoneSecurityProfile-predefined": (
        "updatePhoneSecurityProfile", "<name>Cisco 8845 - Standard SIP Non-Secure Profile</name>"
        "<description>x</description>"),
    "updatePhoneSecurityProfile-secure": (
        "updatePhoneSecurityProfile", "<name>Fuzz 8845 Digest</name><deviceSecurityMode>"
        "Encrypted</deviceSecurityMode><transportType>TLS</transportType>"),
    "addPhoneSecurityProfile-duplicate": (
        "addPhoneSecurityProfile", PROFILE_ADD.replace("fuzz-8845-auth", "Fuzz 8845 Digest")),
    "addPhoneSecurityProfile-sccp": (
        "addPhoneSecurityProfile", "<phoneSecurityProfile><phoneType>Cisco 7962</phoneType>"
        "<protocol>SCCP</protocol><name>fuzz-7962</name><deviceSecurityMode>Non Secure"
        "</deviceSecurityMode><keyOrder>RSA Only</keyOrder></phoneSecurityProfile>"),
    "addPhoneSecurityProfile-udt": (
        "addPhoneSecurityProfile", "<phoneSecurityProfile><phoneType>Universal Device Template"
        "</phoneType><protocol>SIP</protocol><name>fuzz-udt</name><ecKeySize>384</ecKeySize>"
        "<keyOrder>EC Preferred, RSA Backup</keyOrder><sipPhonePort>5070</sipPhonePort>"
        "</phoneSecurityProfile>"),
    "listPhoneSecurityProfile-escape": (
        "listPhoneSecurityProfile", "<searchCriteria><name>Fuzz\\_8845%</name></searchCriteria>"
        "<returnedTags><name/></returnedTags>"),
    # end users
    "getUser-by-uuid": ("getUser", "<uuid>{00000010-F00D-4000-8000-0000E3779B10}</uuid>"),
    "addUser-duplicate": ("addUser", USER_ADD.replace("fuzzuser", "1001")),
    "updateUser-rename": ("updateUser", "<userid>spare</userid><newUserid>spare2</newUserid>"
                                        "<lastName>Renamed</lastName>"),
    "addUser": ("addUser", USER_ADD),
    "getUser": ("getUser", "<userid>1001</userid>"),
    "updateUser": ("updateUser", "<userid>1002</userid><firstName>New</firstName>"
                                 "<digestCredentials>other</digestCredentials>"),
    "removeUser": ("removeUser", "<userid>spare</userid>"),
    "removeUser-in-use": ("removeUser", "<userid>1002</userid>"),
    # the version probe, a reset by device, registration state
    "getCCMVersion": ("getCCMVersion", "<processNodeName/>"),
    "getCCMVersion-other-node": ("getCCMVersion", "<processNodeName>elsewhere</processNodeName>"),
    "doDeviceReset": ("doDeviceReset", "<deviceName>SEP001122334466</deviceName>"
                                       "<isHardReset>true</isHardReset>"),
    "doDeviceReset-type": ("doDeviceReset", "<deviceName>SEP001122334455</deviceName>"
                                            "<deviceResetType>Apply Configuration"
                                            "</deviceResetType>"),
    "doDeviceReset-by-uuid": ("doDeviceReset", '<deviceName uuid="{00000015-F00D-4000-8000-'
                                               '0000FA8CFB85}"/><isHardReset>f</isHardReset>'),
    "doDeviceReset-prt": ("doDeviceReset", "<deviceName>SEP001122334455</deviceName>"
                                           "<deviceResetType>Generate PRT</deviceResetType>"),
    "listRegistrationDynamic": (
        "listRegistrationDynamic", "<searchCriteria><device>SEP%</device></searchCriteria>"
        "<returnedTags/><skip>0</skip><first>5</first>"),
    "listRegistrationDynamic-tags": (
        "listRegistrationDynamic", "<searchCriteria><device>%</device></searchCriteria>"
        "<returnedTags>" + tags("device", "risStatus", "lastSeen") + "</returnedTags>"),
}


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# EST (est.c): fake_repo.c's phones with an Install/Upgrade pending (EC
# P-256 keys), one by Null String, one by authentication string.
EST_NULL, EST_STRING, EST_SECRET = "SEP00112233E501", "SEP00112233E502", "fuzz1234"


def est_csr(cn, key="ec"):
    """A base64 DER PKCS#10 request for a new key, made by openssl."""
    newkey = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if key == "ec"
              else ["-newkey", "rsa:1024"])
    der = subprocess.run(["openssl", "req", "-new", *newkey, "-nodes", "-keyout", "/dev/null",
                          "-subj", "/CN=" + cn, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return base64.encodebytes(der)


def est(method, resource, body=b"", user=None, extra=""):
    head = "%s /.well-known/est/%s HTTP/1.1\r\nHost: localhost:3804\r\n" % (method, resource)
    if user is not None:
        head += "Authorization: Basic %s\r\n" % base64.b64encode(user.encode()).decode()
    if method == "POST":
        head += "Content-Type: application/pkcs10\r\nContent-Length: %d\r\n" % len(body)
    return (head + extra + "\r\n").encode() + body


def est_corpus(folder):
    """EST seeds: each resource, each way an enrollment ends."""
    write(folder, "est-cacerts.http", est("GET", "cacerts"))
    write(folder, "est-csrattrs.http", est("GET", "csrattrs"))
    write(folder, "est-csrattrs-basic.http",
          est("GET", "csrattrs", user="%s:%s" % (EST_STRING, EST_SECRET)))
    write(folder, "est-enroll-null.http", est("POST", "simpleenroll", est_csr(EST_NULL)))
    write(folder, "est-enroll-string.http", est("POST", "simpleenroll", est_csr(EST_STRING),
                                                user="%s:%s" % (EST_STRING, EST_SECRET)))
    write(folder, "est-enroll-string-wrong.http", est("POST", "simpleenroll", est_csr(EST_STRING),
                                                      user="%s:wrong" % EST_STRING))
    write(folder, "est-enroll-string-none.http", est("POST", "simpleenroll", est_csr(EST_STRING)))
    write(folder, "est-enroll-rsa.http", est("POST", "simpleenroll", est_csr(EST_NULL, "rsa")))
    write(folder, "est-enroll-unknown.http",
          est("POST", "simpleenroll", est_csr("SEP00112233E5FF")))
    write(folder, "est-enroll-no-pending.http",
          est("POST", "simpleenroll", est_csr("SEP001122334455")))
    write(folder, "est-enroll-garbage.http", est("POST", "simpleenroll", b"bm90IGEgcmVxdWVzdA==\n"))
    write(folder, "est-reenroll.http", est("POST", "simplereenroll", est_csr(EST_NULL)))
    write(folder, "est-keepalive-enroll-replay.http",
          est("POST", "simpleenroll", est_csr(EST_NULL)) * 2 + est("GET", "cacerts"))
    write(folder, "est-not-found.http", est("GET", "serverkeygen"))
    write(folder, "est-method.http", est("POST", "cacerts", b"x"))
    write(folder, "est-too-large.http", b"POST /.well-known/est/simpleenroll HTTP/1.1\r\n"
          b"Content-Length: 70000\r\n\r\n" + b"A" * 1024)


def request_corpus(folder):
    est_corpus(folder)
    for name, (op, inner) in REQUESTS.items():
        write(folder, name + ".http", post(op, inner, sequence=1))
    # Other AXL versions, chunked bodies, a version only in the namespace.
    for name in ("getPhoneSecurityProfile", "addPhone", "listPhone", "updateUser"):
        op, inner = REQUESTS[name]
        for version in ("11.0", "12.5", "15.0"):
            write(folder, "%s-%s.http" % (name, version), post(op, inner, version=version))
        write(folder, name + "-chunked.http", post(op, inner, chunked=True))
    # The Ansible probe: namespace 1.0 without SOAPAction; 1.0 for anything
    # else is refused; listRegistrationDynamic is not in 11.0.
    op, inner = REQUESTS["getCCMVersion"]
    write(folder, "getCCMVersion-1.0.http", post(op, inner, version="1.0", action=False))
    write(folder, "getPhone-1.0.http", post("getPhone", "<name>x</name>", version="1.0",
                                            action=False))
    op, inner = REQUESTS["listRegistrationDynamic"]
    write(folder, "listRegistrationDynamic-11.0.http", post(op, inner, version="11.0"))
    op, inner = REQUESTS["getPhone"]
    write(folder, "getPhone-no-soapaction.http", post(op, inner, version="12.0", action=False))
    # Two requests on one connection, the second using the first's result.
    write(folder, "keepalive-add-get.http",
          post("addPhoneSecurityProfile", PROFILE_ADD) +
          post("getPhoneSecurityProfile", "<name>fuzz-8845-auth</name>"))
    write(folder, "keepalive-add-apply-status.http",
          post("addPhone", PHONE_ADD) + post("applyPhone", "<name>SEPAABBCCDDEEFF</name>") +
          ("GET /axl/status/apply/SEPAABBCCDDEEFF HTTP/1.1\r\nAuthorization: Basic %s\r\n\r\n"
           % AUTH).encode())
    # CAPF changes: the second phone finds the profile the first created;
    # a profile that took the CAPF profile's name with other settings makes
    # the creation fail past its savepoint.
    op, inner = REQUESTS["updatePhone-capf"]
    write(folder, "keepalive-capf-shared.http",
          post("addPhone", "<phone><name>SEP0A0B0C0D0E2F</name><product>Cisco 8845</product>"
                           "<protocol>SIP</protocol></phone>") +
          post(op, inner) + post(op, inner.replace("SEP001122334455", "SEP0A0B0C0D0E2F")))
    write(folder, "keepalive-capf-name-taken.http",
          post("addPhoneSecurityProfile", PROFILE_ADD.replace(
              "fuzz-8845-auth", "Cisco 8845 - SIP CAPF 141db1fa")) + post(op, inner))
    write(folder, "addPhone-profile-by-uuid.http", post("addPhone", PHONE_ADD.replace(
        "<securityProfileName>", '<securityProfileName uuid="{0000000C-F00D-4000-8000-00006A99B44C}">')))
    # GET pages and refusals.
    write(folder, "get.http", b"GET /axl/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
          + AUTH.encode() + b"\r\n\r\n")
    write(folder, "get-metrics.http", b"GET /metrics HTTP/1.1\r\nAuthorization: Basic "
          + AUTH.encode() + b"\r\n\r\n")
    write(folder, "get-root-public.http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    write(folder, "get-uds-version-public.http",
          b"GET /cucm-uds/version HTTP/1.1\r\nHost: cucm.example:8443\r\n\r\n")
    write(folder, "post-uds-version.http", b"POST /cucm-uds/version HTTP/1.1\r\n"
          b"Content-Length: 0\r\n\r\n")
    write(folder, "get-http10.http", b"GET /axl HTTP/1.0\r\nAuthorization: Basic "
          + AUTH.encode() + b"\r\n\r\n")
    write(folder, "get-status-missing.http", b"GET /axl/status/apply/%7Bnone%7D?x=1 HTTP/1.1\r\n"
          b"Authorization: Basic " + AUTH.encode() + b"\r\n\r\n")
    # The console's files: public (no credentials), revalidated by ETag,
    # and /ccmadmin without its slash redirected.
    write(folder, "get-console.http", b"GET /ccmadmin/ HTTP/1.1\r\nX-Requested-With: XMLHttpRequest\r\n\r\n"
          b"GET /ccmadmin/app.js HTTP/1.1\r\nIf-None-Match: \"0\"\r\n\r\n")
    write(folder, "get-console-bare.http", b"GET /ccmadmin?x HTTP/1.1\r\n\r\n")
    write(folder, "unauthorized.http", post("getPhone", "<name>SEP001122334455</name>",
                                            auth=base64.b64encode(b"admin:wrong").decode()))
    write(folder, "read-only-user.http", post("removePhone", "<name>SEP001122334455</name>",
                                              auth=READER))
    write(folder, "not-found-path.http", post("getPhone", "<name>x</name>", path="/other"))
    write(folder, "put.http", b"PUT /axl/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    write(folder, "too-large.http", b"POST /axl/ HTTP/1.1\r\nAuthorization: Basic " +
          AUTH.encode() + b"\r\nContent-Length: 99999999\r\n\r\n<soapenv:Envelope")
    write(folder, "doctype.http", post("getPhone", "<name>x</name>").replace(
        b"<soapenv:Envelope", b"<!DOCTYPE x [<!ENTITY a 'b'>]><soapenv:Envelope", 1)
          .replace(b"Content-Length: ", b"X-Old: "))
    write(folder, "unknown-op.http", post("getLine", "<name>x</name>"))
    write(folder, "bad-version.http", post("getPhone", "<name>x</name>", version="9.0"))
    write(folder, "truncated.http", post("getPhone", "<name>SEP001122334455</name>")[:-30])
    # No HTTP head at all: gSOAP's parser reads bare XML too; never served.
    write(folder, "bare-xml.http",
          b"\r\n" + post("getPhone", "<name>SEP001122334455</name>").partition(b"\r\n\r\n")[2])


# --- SIP ----------------------------------------------------------------------

SECRET = b"fuzz-nonce-secret-0123456789abcdef"   # fake_repo.c's repo_sip_secret
REALM = "ccmsipline"


def register(to_user, call_id="fuzz-1", cseq=1, contact="<sip:%s@127.0.0.1:5062>", expires=3600,
             via="SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-%s;rport", auth=None, extra=""):
    lines = ["REGISTER sip:127.0.0.1 SIP/2.0",
             "Via: " + (via % call_id if "%s" in via else via),
             "Max-Forwards: 70",
             "From: <sip:%s@127.0.0.1>;tag=f%s" % (to_user, call_id),
             "To: <sip:%s@127.0.0.1>" % to_user,
             "Call-ID: %s" % call_id,
             "CSeq: %d REGISTER" % cseq]
    if contact is not None:
        lines.append("Contact: " + (contact % to_user if "%s" in contact else contact))
    if expires is not None:
        lines.append("Expires: %d" % expires)
    if auth is not None:
        lines.append("Authorization: " + auth)
    lines.append("User-Agent: Cisco-CP8845/14.0")
    if extra:
        lines.append(extra)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def digest(user, password, nonce, algorithm="MD5", uri="sip:127.0.0.1"):
    h = hashlib.md5 if algorithm == "MD5" else hashlib.sha256
    ha1 = h(("%s:%s:%s" % (user, REALM, password)).encode()).hexdigest()
    ha2 = h(("REGISTER:%s" % uri).encode()).hexdigest()
    nc, cnonce = "00000001", "0a4f113b"
    resp = h(("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2)).encode()).hexdigest()
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=%s, qop=auth, nc=%s, cnonce="%s"'
            % (user, REALM, nonce, uri, resp, algorithm, nc, cnonce))


# fuzz_register.c's control bytes: transport, certificate, CN form.
TRANSPORTS = {"udp": 0, "tcp": 1, "tls": 2}
KINDS = {"none": 0, "lsc": 1, "mic": 2, "untrusted": 3}
CNS = {"user": 0, "mic-form": 1, "other": 2, "empty": 3}


def control(transport="udp", kind="none", expired=False, not_yet_valid=False, on_record=False,
            accept_mic=False, cn="user"):
    cert = (KINDS[kind] | (4 if expired else 0) | (8 if not_yet_valid else 0)
            | (16 if on_record else 0) | (32 if accept_mic else 0))
    return bytes([TRANSPORTS[transport], cert, CNS[cn]])


def register_corpus(folder, nonce):
    plain = control()
    seeds = {
        "plain.sip": register("SEP001122334455"),
        "by-digest-user.sip": register("1001", call_id="fuzz-2"),
        "digest-no-auth.sip": register("SEP001122334466"),
        "digest-md5.sip": register("SEP001122334466", auth=digest("1001", "secret1001", nonce)),
        "digest-sha256.sip": register("SEP001122334466", auth=digest(
            "1001", "secret1001", nonce, "SHA-256")),
        "digest-wrong-password.sip": register("SEP001122334466", auth=digest(
            "1001", "nope", nonce)),
        "digest-wrong-user.sip": register("SEP001122334466", auth=digest(
            "1002", "secret1002", nonce)),
        "digest-stale-nonce.sip": register("SEP001122334466", auth=digest(
            "1001", "secret1001", "0000000000000000deadbeef")),
        "digest-no-user.sip": register("SEP001122334477"),
        "encrypted.sip": register("SEP0011223344AA"),
        "sccp.sip": register("SEP0011223344CC"),
        "shared-user.sip": register("shared"),
        "unknown.sip": register("SEPFFFFFFFFFFFF"),
        "expires-0.sip": register("SEP001122334455", expires=0),
        "contact-expires.sip": register(
            "SEP001122334455",
            contact="<sip:%s@127.0.0.1:5062>;expires=60, <sip:b@127.0.0.1:5064>", expires=None),
        "contact-star.sip": register("SEP001122334455", contact="*", expires=0),
        "contact-star-bad.sip": register("SEP001122334455", contact="*", expires=60),
        "too-brief.sip": register("SEP001122334455", expires=5),
        "no-contact.sip": register("SEP001122334455", contact=None, expires=None),
        "require.sip": register("SEP001122334455", extra="Require: gruu"),
        "options.sip": register("SEP001122334455").replace(
            b"REGISTER sip", b"OPTIONS sip").replace(b"1 REGISTER", b"1 OPTIONS"),
        "invite.sip": register("SEP001122334455").replace(
            b"REGISTER sip", b"INVITE sip").replace(b"1 REGISTER", b"1 INVITE"),
        "no-to-user.sip": register("SEP001122334455").replace(
            b"To: <sip:SEP001122334455@", b"To: <sip:"),
        "garbage.sip": b"REGISTER\r\n\r\n",
        "bad-cseq.sip": register("SEP001122334455").replace(b"CSeq: 1", b"CSeq: x"),
    }
    for name, msg in seeds.items():
        write(folder, name, plain + msg)
    tcp_via = "SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bK-%s"
    tls_via = "SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK-%s"
    write(folder, "tcp-via.sip", control("tcp") + register("SEP0011223344BB", via=tcp_via))
    write(folder, "tcp-encrypted.sip", control("tcp") + register("SEP0011223344AA", via=tcp_via))
    # Over TLS, with what the handshake learnt of the phone's certificate.
    tls = {
        "tls-lsc.sip": ("SEP0011223344AA", dict(kind="lsc", on_record=True)),
        "tls-lsc-replaced.sip": ("SEP0011223344AA", dict(kind="lsc")),
        "tls-no-cert.sip": ("SEP0011223344AA", dict()),
        "tls-expired.sip": ("SEP0011223344AA", dict(kind="lsc", on_record=True, expired=True)),
        "tls-not-yet-valid.sip": ("SEP0011223344AA",
                                  dict(kind="lsc", on_record=True, not_yet_valid=True)),
        "tls-untrusted.sip": ("SEP0011223344AA", dict(kind="untrusted")),
        "tls-other-phone.sip": ("SEP0011223344AA", dict(kind="lsc", on_record=True, cn="other")),
        "tls-mic-off.sip": ("SEP0011223344AA", dict(kind="mic", cn="mic-form")),
        "tls-mic-on.sip": ("SEP0011223344AA", dict(kind="mic", cn="mic-form", accept_mic=True)),
        "tls-mic-no-mic-model.sip": ("CSFFUZZ", dict(kind="mic", accept_mic=True)),
        "tls-non-secure.sip": ("SEP001122334455", dict(kind="lsc", on_record=True)),
    }
    for name, (user, facts) in tls.items():
        write(folder, name, control("tls", **facts) + register(user, via=tls_via))


def main():
    base = os.path.join(HERE, "corpus")
    for sub in ("request", "register"):
        shutil.rmtree(os.path.join(base, sub), ignore_errors=True)
        os.makedirs(os.path.join(base, sub))
    request_corpus(os.path.join(base, "request"))
    register_corpus(os.path.join(base, "register"), sip_nonce(int(time.time())))


def sip_nonce(now):
    """A nonce as sip_rules.c's sip_nonce_make() issues it: the time in 16
    hex digits, then the first 32 hex digits of HMAC-SHA256(secret,
    "<time hex>:<realm>").  The fake's digest profile takes nonces for a
    day; older seeds still check the digest, then get a stale challenge."""
    t = "%016x" % now
    return t + hmac.new(SECRET, ("%s:%s" % (t, REALM)).encode(), hashlib.sha256).hexdigest()[:32]


if __name__ == "__main__":
    main()
