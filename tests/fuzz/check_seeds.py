#!/usr/bin/python3
"""check_seeds.py BUILD_DIR: runs every seed once through its harness with
FUZZ_ECHO=1 and checks the first answer's status, so that `make fuzz`
fails when the harnesses or the fake database stop reaching the code the
seeds were written for (every request a 401, every REGISTER a 404, ...)
instead of fuzzing only the outer layer without anyone noticing."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Seeds whose first answer is not 200 OK.
REQUEST = {
    "bad-version.http": "599", "doctype.http": "599", "get-status-missing.http": "404",
    "not-found-path.http": "404", "put.http": "405", "too-large.http": "413",
    "truncated.http": None, "bare-xml.http": None, "unauthorized.http": "401",
    "unknown-op.http": "500",
    "read-only-user.http": "401",   # a read-only user's write, as CUCM answers it
    "get-console-bare.http": "301",   # /ccmadmin -> /ccmadmin/
    "removePhoneSecurityProfile-in-use.http": "500", "removeUser-in-use.http": "500",
    "updatePhoneSecurityProfile-predefined.http": "500",
    "addPhoneSecurityProfile-duplicate.http": "500", "addUser-duplicate.http": "500",
    "getCCMVersion-other-node.http": "500", "doDeviceReset-prt.http": "500",
    "getPhone-1.0.http": "599", "listRegistrationDynamic-11.0.http": "500",
    "post-uds-version.http": "405",
    "executeSQLQuery-too-large.http": "500", "executeSQLQuery-db-error.http": "500",
    "executeSQLQuery-two-statements.http": "500", "executeSQLQuery-matches.http": "500",
    "executeSQLQuery-catalog.http": "500", "executeSQLUpdate.http": "500",
    "executeSQLQueryInactive.http": "500",
    # EST (est.c): the refusals, each with its status.
    "est-enroll-string-wrong.http": "401", "est-enroll-string-none.http": "401",
    "est-enroll-rsa.http": "400", "est-enroll-unknown.http": "403",
    "est-enroll-no-pending.http": "403", "est-enroll-garbage.http": "400",
    "est-reenroll.http": "401", "est-not-found.http": "404", "est-method.http": "405",
    "est-too-large.http": "413",
}
REGISTER = {
    "bad-cseq.sip": None, "by-digest-user.sip": "401", "contact-star-bad.sip": "400",
    "digest-no-auth.sip": "401", "digest-no-user.sip": "403", "digest-stale-nonce.sip": "401",
    "digest-wrong-password.sip": "403", "digest-wrong-user.sip": "403",
    "encrypted.sip": "403", "garbage.sip": None, "invite.sip": "405",
    "no-to-user.sip": "400", "require.sip": "420", "sccp.sip": "403",
    "shared-user.sip": "403", "tcp-via.sip": "403", "tcp-encrypted.sip": "403",
    "too-brief.sip": "423", "unknown.sip": "404",
    # Made with a nonce of the day the corpus was written: 200 while it is
    # fresh, a stale challenge afterwards; either proves the digest matched.
    "digest-md5.sip": ("200", "401"), "digest-sha256.sip": ("200", "401"),
    # Over TLS: the certificate decides.
    "tls-lsc.sip": "200", "tls-mic-on.sip": "200",
    "tls-lsc-replaced.sip": "403 Forbidden: LSC is not the one on record (replaced or revoked)",
    "tls-no-cert.sip": "403 Forbidden: Encrypted profile requires a phone certificate (LSC)",
    "tls-expired.sip": "403 Forbidden: certificate expired",
    "tls-not-yet-valid.sip": "403 Forbidden: certificate not yet valid",
    "tls-untrusted.sip": "403 Forbidden: certificate not trusted",
    "tls-other-phone.sip": "403 Forbidden: certificate names another device",
    "tls-mic-off.sip":
        "403 Forbidden: MIC not accepted for registration (sip_accept_mic is off)",
    "tls-mic-no-mic-model.sip": "403 Forbidden: model ships no MIC",
    "tls-non-secure.sip": "403 Forbidden: Non Secure profile allows TCP and UDP only",
}


def run(binary, path):
    env = dict(os.environ, FUZZ_ECHO="1")
    out = subprocess.run([binary, path], env=env, capture_output=True, timeout=120).stderr
    text = out.decode("utf-8", "replace")
    if "ERROR" in text or "runtime error" in text:
        sys.exit("%s: the harness reported an error:\n%s" % (path, text[-3000:]))
    return text


def http_status(binary, path):
    found = re.findall(r"^HTTP/1\.1 (\d{3})", run(binary, path), re.M)
    return found[0] if found else None


def sip_status(binary, path):
    """The status of the harness's answer; with the reason phrase when the
    expectation names one."""
    status = re.search(r"^SIP/2\.0 (\d{3}) ?([^\r\n]*)", run(binary, path), re.M)
    if status is None:
        return None
    want = REGISTER.get(os.path.basename(path), "200")
    if isinstance(want, str) and len(want) > 3:
        return "%s %s" % status.groups()
    return status.group(1)


def check(binary, folder, expected, status):
    bad = 0
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        want = expected.get(name, "200")
        got = status(binary, path)
        if not (got in want if isinstance(want, tuple) else got == want):
            print("%s: first answer %s, expected %s" % (path, got, want))
            bad += 1
    return bad


def main():
    build = sys.argv[1]
    corpus = os.path.join(HERE, "corpus")
    bad = check(os.path.join(build, "fuzz_request"), os.path.join(corpus, "request"), REQUEST,
                http_status)
    bad += check(os.path.join(build, "fuzz_register"), os.path.join(corpus, "register"),
                 REGISTER, sip_status)
    if bad:
        sys.exit("%d seed(s) no longer get the answer they were written for" % bad)
    print("seeds: every one gets its expected answer")


if __name__ == "__main__":
    main()
