"""`axlprovd capf issue`: signing a phone's certificate request as its LSC.

Keys and requests are made with `openssl req`, against a CAPF CA made for
this module.  Covers: EC and RSA requests accepted as the phone's profile
orders (PEM and DER, --out and standard output), the recorded LSC, the
status fields through getPhone, the audit row without secrets, `openssl
verify` of the result; each refusal (no pending operation, wrong CN, wrong
key type or size, bad signature, garbage, unknown phone, no CA configured)
changing nothing; a second issue replacing the first with a notification
on axlprov_lsc; `capf complete` of a Delete revoking the LSC with one; the
server loading the CA at start (and refusing a bad file); `make run`'s
db/run.sh creating the CA once.
"""

import hashlib
import json
import os
import select
import signal
import socket
import stat
import subprocess
import time

import pytest

from conftest import (BINARY, TOP, add_phone, add_profile, axlprovd_cli, fields_of, finish_server,
                      free_port, phone_of, sep_name, start_server, update_phone, wait_for_port)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    """A CAPF CA like `make run` creates: EC P-384, ten years."""
    d = tmp_path_factory.mktemp("capf")
    key, crt = str(d / "ca.key"), str(d / "ca.crt")
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", key)
    run("openssl", "req", "-x509", "-new", "-key", key, "-days", "3650", "-sha384",
        "-subj", "/CN=axlprov CAPF test", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", crt)
    return {"cert": crt, "key": key, "dir": d}


def csr(tmp_path, cn, key="ec:P-256", der=False):
    """A new key and a request for it; returns the request's path."""
    path = str(tmp_path / ("%s-%s.csr" % (cn.replace("/", "_"), key.replace(":", "_"))))
    kind, _, size = key.partition(":")
    newkey = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:" + size] if kind == "ec"
              else ["-newkey", "rsa:" + size])
    run("openssl", "req", "-new", *newkey, "-nodes", "-keyout", path + ".key",
        "-subj", "/CN=" + cn, "-outform", "DER" if der else "PEM", "-out", path)
    return path


def issue(pg, ca, name, csr_path, out=None, *extra):
    args = ["capf", "issue", name, "--csr", csr_path, "--capf-cert", ca["cert"],
            "--capf-key", ca["key"], *extra]
    if out is not None:
        args += ["--out", out]
    return axlprovd_cli(pg, *args)


def secure_phone(axl, unique, keyOrder="EC Only", ecKeySize="256", keySize="2048",
                 op="Install/Upgrade"):
    """A profile ordering this key, and a new phone on it with op pending."""
    prof = "%s-%s" % (unique, sep_name()[-6:])
    add_profile(axl, prof, keyOrder=keyOrder, ecKeySize=ecKeySize, keySize=keySize)
    name = sep_name()
    add_phone(axl, name, securityProfileName=prof, certificateOperation=op)
    return name


def status(axl, name):
    f = fields_of(phone_of(axl, name))
    return f["certificateOperation"], f["certificateStatus"]


def lsc_row(pg, name):
    return pg.sql("SELECT l.serial, l.fingerprint, extract(epoch FROM l.not_after)::bigint,"
                  " md5(l.certificate) FROM phone_lsc l JOIN phone p ON p.pkid = l.phone_uuid"
                  " WHERE p.name = :'v1'", name)


def audits(pg, name, op):
    return [json.loads(r[0]) for r in pg.sql(
        "SELECT changes::text FROM audit WHERE target_name = :'v1' AND operation = :'v2'"
        " ORDER BY id", name, op)]


def cert_facts(path):
    """serial (upper hex), SHA-256 fingerprint (lower hex), subject, of a PEM file."""
    out = run("openssl", "x509", "-in", path, "-noout", "-serial", "-fingerprint", "-sha256",
              "-subject", "-nameopt", "RFC2253").stdout
    lines = dict(line.split("=", 1) for line in out.splitlines())
    fp = [v for k, v in lines.items() if "Fingerprint" in k][0]
    return lines["serial"], fp.replace(":", "").lower(), lines["subject"]


class Listener:
    """A psql session LISTENing on axlprov_lsc; notifications() ends it and
    returns the payloads it received."""

    def __init__(self, pg):
        self.proc = subprocess.Popen(["psql", pg.url, "-qAtX"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.proc.stdin.write("LISTEN axlprov_lsc;\nSELECT 'listening';\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        assert ready and self.proc.stdout.readline().strip() == "listening"

    def notifications(self):
        time.sleep(0.2)
        out, _ = self.proc.communicate("SELECT 'done';\n", timeout=10)
        return [line.split('with payload "', 1)[1].split('"', 1)[0]
                for line in out.splitlines() if 'notification "axlprov_lsc"' in line]


# --------------------------------------------------------------------------
# accepted
# --------------------------------------------------------------------------

@pytest.mark.parametrize("order,ec_size,rsa_size,key,der", [
    ("EC Only", "256", "2048", "ec:P-256", False),
    ("EC Only", "384", "2048", "ec:P-384", True),
    ("RSA Only", "", "2048", "rsa:2048", False),
    ("RSA Only", "", "3072", "rsa:3072", True),
    ("EC Preferred, RSA Backup", "256", "2048", "ec:P-256", False),
    ("EC Preferred, RSA Backup", "256", "2048", "rsa:2048", False),
], ids=["ec256", "ec384-der", "rsa2048", "rsa3072-der", "ec-preferred-ec", "ec-preferred-rsa"])
def test_issue_accepted(axl, pg, ca, unique, tmp_path, order, ec_size, rsa_size, key, der):
    name = secure_phone(axl, unique, keyOrder=order, ecKeySize=ec_size, keySize=rsa_size)
    uuid = phone_of(axl, name).get("uuid").strip("{}").lower()
    out = str(tmp_path / "lsc.pem")
    assert status(axl, name) == ("Install/Upgrade", "Operation Pending")
    listener = Listener(pg)
    cp = issue(pg, ca, name, csr(tmp_path, name, key, der), out)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert listener.notifications() == []          # nothing was replaced
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644

    v = run("openssl", "verify", "-CAfile", ca["cert"], out)
    assert v.stdout.strip() == out + ": OK"
    serial, fp, subject = cert_facts(out)
    assert subject == "CN=" + name
    text = run("openssl", "x509", "-in", out, "-noout", "-text").stdout
    assert "TLS Web Client Authentication, TLS Web Server Authentication" in text
    assert "Digital Signature, Key Encipherment" in text
    assert status(axl, name) == ("No Pending Operation", "Upgrade Success")

    rows = lsc_row(pg, name)
    assert len(rows) == 1
    assert rows[0][0] == serial and rows[0][1] == fp
    with open(out, "rb") as f:
        assert rows[0][3] == hashlib.md5(f.read()).hexdigest()
    assert serial in cp.stdout and fp in cp.stdout
    assert pg.sql("SELECT count(*) FROM phone_lsc WHERE phone_uuid = :'v1'::uuid", uuid) == [["1"]]

    [changes] = audits(pg, name, "capf issue")
    assert changes["certificateStatus"] == "Upgrade Success"
    assert changes["certificateOperation"] == "No Pending Operation"
    assert changes["lscSerial"] == serial and changes["lscFingerprint"] == fp
    assert changes["lscNotAfter"].endswith("Z") and changes["lscReplaced"] is False
    assert "BEGIN" not in json.dumps(changes) and "PRIVATE" not in json.dumps(changes)


def test_issue_to_standard_output_valid_for_capf_lsc_days(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    cp = issue(pg, ca, name, csr(tmp_path, name), None, "--capf-lsc-days", "30")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith("-----BEGIN CERTIFICATE-----")
    assert cp.stdout.rstrip().endswith("-----END CERTIFICATE-----")
    pem = str(tmp_path / "stdout.pem")
    with open(pem, "w") as f:
        f.write(cp.stdout)
    assert run("openssl", "verify", "-CAfile", ca["cert"], pem).returncode == 0
    [[_, _, not_after, _]] = lsc_row(pg, name)
    assert abs(int(not_after) - (time.time() + 30 * 86400)) < 120
    end = run("openssl", "x509", "-in", pem, "-noout", "-checkend", str(29 * 86400))
    assert end.returncode == 0
    assert subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-checkend",
                           str(31 * 86400)], capture_output=True).returncode == 1


# --------------------------------------------------------------------------
# refused: nothing changes
# --------------------------------------------------------------------------

def expect_refused(axl, pg, ca, name, csr_path, out, words, before=("Install/Upgrade", "Operation Pending")):
    cp = issue(pg, ca, name, csr_path, out)
    assert cp.returncode != 0, cp.stdout
    assert words in cp.stderr, cp.stderr
    assert "PRIVATE" not in cp.stderr and "BEGIN" not in cp.stderr
    assert cp.stdout == ""
    assert not os.path.exists(out)
    assert [f for f in os.listdir(os.path.dirname(out)) if f.startswith("lsc.pem")] == []
    if before is not None:
        assert status(axl, name) == before
    assert lsc_row(pg, name) == []
    assert audits(pg, name, "capf issue") == []
    return cp.stderr


@pytest.mark.parametrize("op", ["No Pending Operation", "Delete", "Troubleshoot"])
def test_refused_without_install_pending(axl, pg, ca, unique, tmp_path, op):
    name = secure_phone(axl, unique, op=op)
    before = status(axl, name)
    expect_refused(axl, pg, ca, name, csr(tmp_path, name), str(tmp_path / "lsc.pem"),
                   "has no Install/Upgrade certificate operation pending (certificateOperation is %s)"
                   % op, before=before)


def test_refused_wrong_cn(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    other = sep_name()
    expect_refused(axl, pg, ca, name, csr(tmp_path, other), str(tmp_path / "lsc.pem"),
                   'subject CN is "%s", not the device name %s' % (other, name))


@pytest.mark.parametrize("order,ec_size,rsa_size,key,words", [
    ("EC Only", "256", "2048", "rsa:2048", "has an RSA key; the profile of {} orders EC Only"),
    ("RSA Only", "", "2048", "ec:P-256", "has an EC key; the profile of {} orders RSA Only"),
    ("RSA Only", "", "2048", "rsa:1024", "RSA key has 1024 bits; the profile of {} orders 2048"),
    ("EC Only", "256", "2048", "ec:P-384", "EC key is on curve secp384r1 (384 bits)"),
    ("EC Preferred, RSA Backup", "384", "3072", "rsa:2048", "orders 3072"),
], ids=["rsa-for-ec", "ec-for-rsa", "rsa-size", "ec-size", "backup-size"])
def test_refused_wrong_key(axl, pg, ca, unique, tmp_path, order, ec_size, rsa_size, key, words):
    name = secure_phone(axl, unique, keyOrder=order, ecKeySize=ec_size, keySize=rsa_size)
    expect_refused(axl, pg, ca, name, csr(tmp_path, name, key), str(tmp_path / "lsc.pem"),
                   words.format(name))


def test_refused_bad_signature(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    path = csr(tmp_path, name, der=True)
    with open(path, "r+b") as f:          # a byte inside the signature
        data = bytearray(f.read())
        data[-3] ^= 0x5A
        f.seek(0)
        f.write(data)
    expect_refused(axl, pg, ca, name, path, str(tmp_path / "lsc.pem"),
                   "signature does not verify")


def test_refused_garbage(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    path = str(tmp_path / "junk.csr")
    with open(path, "w") as f:
        f.write("-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all\n"
                "-----END CERTIFICATE REQUEST-----\n")
    expect_refused(axl, pg, ca, name, path, str(tmp_path / "lsc.pem"),
                   "not a PKCS#10 certificate request")
    expect_refused(axl, pg, ca, name, str(tmp_path / "missing.csr"), str(tmp_path / "lsc.pem"),
                   "cannot open")


def test_refused_unknown_phone(pg, ca, tmp_path):
    name = sep_name()
    cp = issue(pg, ca, name, csr(tmp_path, name), str(tmp_path / "lsc.pem"))
    assert cp.returncode != 0
    assert "no phone named %s" % name in cp.stderr
    assert not os.path.exists(str(tmp_path / "lsc.pem"))


def test_refused_without_ca(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    cp = axlprovd_cli(pg, "capf", "issue", name, "--csr", csr(tmp_path, name))
    assert cp.returncode != 0 and "capf_cert is not set" in cp.stderr
    other = ca["dir"] / "other.key"
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-out", str(other))
    cp = axlprovd_cli(pg, "capf", "issue", name, "--csr", csr(tmp_path, name),
                      "--capf-cert", ca["cert"], "--capf-key", str(other))
    assert cp.returncode != 0 and "does not belong to the CAPF CA certificate" in cp.stderr
    assert status(axl, name) == ("Install/Upgrade", "Operation Pending")
    assert lsc_row(pg, name) == []


def test_unwritable_out_changes_nothing(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    out = str(tmp_path / "no-such-dir" / "lsc.pem")
    cp = issue(pg, ca, name, csr(tmp_path, name), out)
    assert cp.returncode != 0 and "cannot write beside %s" % out in cp.stderr, cp.stderr
    assert status(axl, name) == ("Install/Upgrade", "Operation Pending")
    assert lsc_row(pg, name) == [] and audits(pg, name, "capf issue") == []


def test_7911_ships_a_mic(axl, unique):
    """Migration 0008: the 7911 has a MIC like the 7965, so it takes an
    Encrypted profile without an LSC."""
    for model in ("Cisco 7911", "Cisco 7965"):
        prof = "%s-%s" % (unique, model[-4:])
        add_profile(axl, prof, phoneType=model, deviceSecurityMode="Encrypted")
        r = axl.call("addPhone", "<phone><name>%s</name><product>%s</product><protocol>SIP"
                     "</protocol><securityProfileName>%s</securityProfileName></phone>"
                     % (sep_name(), model, prof))
        assert r.status == 200, r.text


def test_usage(pg):
    for args in (["capf", "issue"], ["capf", "issue", "SEP001122334455"],
                 ["capf", "issue", "--csr", "x"]):
        cp = axlprovd_cli(pg, *args)
        assert cp.returncode == 2 and "usage: axlprovd capf issue PHONE --csr FILE" in cp.stderr


# --------------------------------------------------------------------------
# replacing and revoking
# --------------------------------------------------------------------------

def test_second_issue_replaces_the_first(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    uuid = phone_of(axl, name).get("uuid").strip("{}").lower()
    first = str(tmp_path / "first.pem")
    assert issue(pg, ca, name, csr(tmp_path, name), first).returncode == 0
    # A second one needs a new Install/Upgrade.
    expect_refused_again = issue(pg, ca, name, csr(tmp_path, name), str(tmp_path / "x.pem"))
    assert expect_refused_again.returncode != 0
    assert update_phone(axl, ("name", name), certificateOperation="Install/Upgrade").status == 200

    listener = Listener(pg)
    second = str(tmp_path / "second.pem")
    cp = issue(pg, ca, name, csr(tmp_path, name, "ec:P-256"), second)
    assert cp.returncode == 0, cp.stderr
    assert "replaces the previous LSC" in cp.stdout
    assert listener.notifications() == [uuid]
    [row] = lsc_row(pg, name)
    assert row[0] == cert_facts(second)[0] != cert_facts(first)[0]
    assert [a["lscReplaced"] for a in audits(pg, name, "capf issue")] == [False, True]
    assert status(axl, name) == ("No Pending Operation", "Upgrade Success")


def test_complete_delete_revokes(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    uuid = phone_of(axl, name).get("uuid").strip("{}").lower()
    assert issue(pg, ca, name, csr(tmp_path, name), str(tmp_path / "lsc.pem")).returncode == 0
    assert update_phone(axl, ("name", name), certificateOperation="Delete").status == 200
    assert len(lsc_row(pg, name)) == 1          # pending is not done

    listener = Listener(pg)
    cp = axlprovd_cli(pg, "capf", "complete", name)
    assert cp.returncode == 0, cp.stderr
    assert "certificate status Delete Success; its LSC is revoked" in cp.stdout
    assert listener.notifications() == [uuid]
    assert lsc_row(pg, name) == []
    assert status(axl, name) == ("No Pending Operation", "Delete Success")
    [issued] = audits(pg, name, "capf issue")
    changes = audits(pg, name, "capf complete")
    assert {"certificateStatus": "Delete Success",
            "certificateOperation": "No Pending Operation"} in changes
    assert {"lscRevoked": issued["lscSerial"]} in changes and len(changes) == 2


def test_complete_other_operations_keep_the_lsc(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    assert issue(pg, ca, name, csr(tmp_path, name), str(tmp_path / "lsc.pem")).returncode == 0
    # A failed Delete and a Troubleshoot leave the certificate in place.
    for op, st in (("Delete", "Delete Failed"), ("Troubleshoot", None)):
        assert update_phone(axl, ("name", name), certificateOperation=op).status == 200
        listener = Listener(pg)
        cp = axlprovd_cli(pg, "capf", "complete", name, *(["--status", st] if st else []))
        assert cp.returncode == 0, cp.stderr
        assert "revoked" not in cp.stdout
        assert listener.notifications() == []
        assert all("lscRevoked" not in c for c in audits(pg, name, "capf complete"))
        assert len(lsc_row(pg, name)) == 1


def test_removing_the_phone_removes_its_lsc(axl, pg, ca, unique, tmp_path):
    name = secure_phone(axl, unique)
    uuid = phone_of(axl, name).get("uuid").strip("{}").lower()
    assert issue(pg, ca, name, csr(tmp_path, name), str(tmp_path / "lsc.pem")).returncode == 0
    r = axl.call("removePhone", "<name>%s</name>" % name)
    assert r.status == 200, r.text
    assert pg.sql("SELECT count(*) FROM phone_lsc WHERE phone_uuid = :'v1'::uuid", uuid) == [["0"]]


# --------------------------------------------------------------------------
# the server's start, and make run's CA
# --------------------------------------------------------------------------

def test_server_loads_the_ca_at_start(pg, ca):
    srv = start_server(pg, extra_args=["--capf-cert", ca["cert"], "--capf-key", ca["key"]])
    try:
        log = srv.log_text()
    finally:
        finish_server(srv)
    line = [l for l in log.splitlines() if "CAPF CA" in l]
    assert len(line) == 1, log
    assert "CN=axlprov CAPF test" in line[0] and "valid until 20" in line[0], line[0]
    with open(ca["key"]) as f:
        key_body = f.read().splitlines()[1]
    assert "PRIVATE" not in log and key_body not in log


@pytest.mark.parametrize("setting,words", [
    ("missing", "cannot open the CAPF CA certificate"),
    ("leaf", "is not a CA certificate"),
    ("mic", "cannot open the MIC roots"),
])
def test_server_refuses_to_start_with_a_bad_trust_file(pg, ca, tmp_path, setting, words):
    leaf = str(tmp_path / "leaf.crt")
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", leaf + ".key", "-subj", "/CN=leaf", "-addext",
        "basicConstraints=CA:FALSE", "-out", leaf)
    args = {"missing": ["--capf-cert", str(tmp_path / "nope.crt")],
            "leaf": ["--capf-cert", leaf],
            "mic": ["--capf-cert", ca["cert"], "--mic-roots", str(tmp_path / "nope.pem")]}[setting]
    env = dict(os.environ, AXLPROV_DATABASE_URL=pg.url)
    env.pop("AXLPROV_CONFIG", None)
    cp = subprocess.run([BINARY, "--listen", "127.0.0.1:%d" % free_port(), "--sip-listen", "",
                         *args], env=env, capture_output=True, text=True, timeout=30)
    assert cp.returncode == 1
    assert words in cp.stderr, cp.stderr
    # check-config (systemd's ExecStartPre) finds the same problem.
    cp = subprocess.run([BINARY, *args, "check-config"], env=env, capture_output=True,
                        text=True, timeout=30)
    assert cp.returncode == 2 and words in cp.stderr, cp.stderr
    good = subprocess.run([BINARY, "--capf-cert", ca["cert"], "check-config"], env=env,
                          capture_output=True, text=True, timeout=30)
    assert good.returncode == 0 and "CAPF CA /CN=axlprov CAPF test" in good.stderr, good.stderr


def run_sh(pg, data, unique, capf_port=None):
    """db/run.sh against the test database (its EST listener on capf_port,
    a free one by default); returns (process, its stdout up to the CAPF CA
    line)."""
    port = free_port()
    env = dict(os.environ, AXLPROV_DATA=str(data), AXLPROV_DATABASE_URL=pg.url,
               AXLPROV_LISTEN="127.0.0.1:%d" % port, AXLPROV_SIP_LISTEN="",
               AXLPROV_CAPF_LISTEN="127.0.0.1:%d" % (capf_port or free_port()),
               AXLPROV_ADMIN_USER=unique + "-run", AXLPROV_ADMIN_PASSWORD="Run-sh-Pass-1")
    env.pop("AXLPROV_CONFIG", None)
    proc = subprocess.Popen([os.path.join(TOP, "db", "run.sh")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("CAPF CA:"):
            break
    wait_for_port(port, proc)
    return proc, "".join(seen)


def stop_run_sh(proc):
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    return out


def test_make_run_creates_the_capf_ca_once(pg, unique, tmp_path):
    proc, out = run_sh(pg, tmp_path, unique)
    log = stop_run_sh(proc)
    crt, key = tmp_path / "capf" / "ca.crt", tmp_path / "capf" / "ca.key"
    assert "CAPF CA: %s" % crt in out
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    text = run("openssl", "x509", "-in", str(crt), "-noout", "-text").stdout
    assert "NIST CURVE: P-384" in text and "CA:TRUE" in text
    assert "CN = axlprov CAPF %s" % socket.gethostname() in text
    end = run("openssl", "x509", "-in", str(crt), "-noout", "-enddate").stdout
    years = time.strptime(end.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").tm_year
    assert years - time.gmtime().tm_year in (9, 10)
    assert "CAPF CA /CN=axlprov CAPF" in log         # the server loaded it
    first = run("openssl", "x509", "-in", str(crt), "-noout", "-fingerprint").stdout

    proc, out = run_sh(pg, tmp_path, unique)       # a second start keeps it
    stop_run_sh(proc)
    assert run("openssl", "x509", "-in", str(crt), "-noout", "-fingerprint").stdout == first
