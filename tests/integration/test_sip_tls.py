"""SIP over TLS with phone certificates, end to end.

A server with a test CAPF CA (capf_cert) and a test MIC root (mic_roots)
takes REGISTERs over TLS from scripted phones (tlsphone.TlsPhone) that
present LSCs, MICs or nothing, and decides by each phone's security
profile: the accepted LSC (recorded in phone_lsc) and the binding it
makes, revoked and replaced LSCs (the connection closed, the next REGISTER
refused), MICs with sip_accept_mic off and on, untrusted, expired and
not-yet-valid certificates, another phone's name, no certificate, UDP and
TCP for an Encrypted profile, a Non Secure profile over TLS, digest over
TLS, the NOTIFY of an apply over the phone's TLS connection (recorded
delivered, or unreachable once the connection is gone), a profile going
from Non Secure to Encrypted and back, TLS versions, and SIGHUP reloading
the certificate; and the whole life of an LSC: `capf issue` from a
request made with openssl, registration with it, certificateOperation
Delete and `capf complete` closing its connection.
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

from cryptography.hazmat.primitives import serialization

from conftest import (BINARY, add_phone, add_profile, axlprovd_cli, finish_server, free_port,
                      sep_name, start_server, update_phone, wait_for_port)
from sipphone import SipPhone
from test_sip import Lab, apply, settled, wait_status
from tlsphone import Pki, TlsPhone, client_context


@pytest.fixture(scope="module")
def pki():
    folder = tempfile.mkdtemp(prefix="axlprov-pki-")
    yield Pki(folder)


def tls_server(pg, pki, *extra):
    return start_server(pg, extra_args=["--capf-cert", pki.capf.cert_path,
                                        "--mic-roots", pki.mic_root.cert_path, *extra])


@pytest.fixture(scope="module")
def srv(pg, pki):
    s = tls_server(pg, pki)
    yield s
    finish_server(s)


@pytest.fixture(scope="module")
def mic_srv(pg, pki):
    s = tls_server(pg, pki, "--sip-accept-mic", "on")
    yield s
    finish_server(s)


@pytest.fixture
def lab(axl, unique):
    return Lab(axl, unique)


def phone_uuid(pg, name):
    return pg.sql("SELECT pkid FROM phone WHERE name = :'v1'", name)[0][0]


def record_lsc(pg, name, cert):
    """Records cert as the phone's LSC, as `capf issue` does (replacing any,
    and telling the registrars)."""
    pem = open(cert.cert_path).read()
    pg.sql("BEGIN;"
           "INSERT INTO phone_lsc (phone_uuid, serial, fingerprint, not_after, certificate) "
           "SELECT pkid, :'v2', :'v3', :'v4', :'v5' FROM phone WHERE name = :'v1' "
           "ON CONFLICT (phone_uuid) DO UPDATE SET serial = EXCLUDED.serial, "
           "  fingerprint = EXCLUDED.fingerprint, not_after = EXCLUDED.not_after, "
           "  certificate = EXCLUDED.certificate;"
           "SELECT pg_notify('axlprov_lsc', pkid::text) FROM phone WHERE name = :'v1';"
           "COMMIT;", name, cert.serial, cert.fingerprint, cert.not_after.isoformat() + "Z", pem)


def revoke_lsc(pg, name):
    """What a completed certificateOperation Delete does to the LSC."""
    pg.sql("BEGIN;"
           "DELETE FROM phone_lsc WHERE phone_uuid = (SELECT pkid FROM phone WHERE name = :'v1');"
           "SELECT pg_notify('axlprov_lsc', pkid::text) FROM phone WHERE name = :'v1';"
           "COMMIT;", name)


def bindings(pg, name):
    return pg.sql("SELECT r.transport, r.cert_kind, r.cert_serial, "
                  "       coalesce(extract(epoch FROM r.cert_not_after)::bigint::text, ''), "
                  "       host(r.source_ip), r.source_port "
                  "  FROM sip_registration r JOIN phone p ON p.pkid = r.phone_id "
                  " WHERE p.name = :'v1' AND r.expires_at > now() ORDER BY r.id", name)


def secure_phone(pg, lab, mode="Encrypted", digest=False, lsc=None, pki=None):
    """An Encrypted (or Authenticated) phone; with pki, its LSC issued and
    recorded.  Returns (name, userid, password, lsc)."""
    profile = lab.profile(digest=digest, deviceSecurityMode=mode, transportType="TLS")
    name, userid, password = lab.phone(profile)
    if pki is not None:
        lsc = pki.lsc(name)
        record_lsc(pg, name, lsc)
    return name, userid, password, lsc


def refused(srv, user, cert, reason, password=None):
    ph = TlsPhone(srv.sip_tls_port, user, password, cert=cert)
    try:
        r = ph.register()
        assert r.status == 403, r.raw
        assert r.reason == reason, r.raw
    finally:
        ph.close()


# --------------------------------------------------------------------------
# LSC
# --------------------------------------------------------------------------

def test_lsc_accepted_and_binding_records_it(srv, pki, lab):
    name, _, _, lsc = secure_phone(srv.pg, lab, pki=pki)
    ph = TlsPhone(srv.sip_tls_port, name, cert=lsc)
    try:
        r = ph.register()
        assert r.status == 200, r.raw
        assert ph.contact in r.header("Contact")
        rows = bindings(srv.pg, name)
        assert len(rows) == 1
        transport, kind, serial, not_after, ip, port = rows[0]
        assert (transport, kind, serial) == ("tls", "LSC", lsc.serial)
        assert abs(int(not_after) - int(lsc.not_after.timestamp())) <= 1
        # The phone's own address, not the relay's.
        assert (ip, int(port)) == ("127.0.0.1", ph.port)
    finally:
        ph.close()


@pytest.mark.parametrize("mode", ["Authenticated", "Encrypted"])
def test_no_certificate(srv, lab, mode):
    name, _, _, _ = secure_phone(srv.pg, lab, mode=mode)
    refused(srv, name, None, "Forbidden: %s profile requires a phone certificate (LSC)" % mode)


def test_revoked_lsc_closes_the_connection_and_is_refused(srv, pki, lab):
    name, _, _, lsc = secure_phone(srv.pg, lab, pki=pki)
    ph = TlsPhone(srv.sip_tls_port, name, cert=lsc)
    try:
        assert ph.register().status == 200
        revoke_lsc(srv.pg, name)
        assert ph.closed_by_server(), srv.log_text()[-3000:]
        assert bindings(srv.pg, name) == []
    finally:
        ph.close()
    refused(srv, name, lsc, "Forbidden: LSC is not the one on record (replaced or revoked)")


def test_replaced_lsc(srv, pki, lab):
    name, _, _, old = secure_phone(srv.pg, lab, pki=pki)
    ph = TlsPhone(srv.sip_tls_port, name, cert=old)
    try:
        assert ph.register().status == 200
        new = pki.lsc(name)
        record_lsc(srv.pg, name, new)
        assert ph.closed_by_server()
    finally:
        ph.close()
    refused(srv, name, old, "Forbidden: LSC is not the one on record (replaced or revoked)")
    ph = TlsPhone(srv.sip_tls_port, name, cert=new)
    try:
        assert ph.register().status == 200
        assert bindings(srv.pg, name)[0][2] == new.serial
    finally:
        ph.close()


def test_lsc_revocation_leaves_other_phones_alone(srv, pki, lab):
    a, _, _, lsc_a = secure_phone(srv.pg, lab, pki=pki)
    b, _, _, lsc_b = secure_phone(srv.pg, lab, pki=pki)
    pa, pb = TlsPhone(srv.sip_tls_port, a, cert=lsc_a), TlsPhone(srv.sip_tls_port, b, cert=lsc_b)
    try:
        assert pa.register().status == 200 and pb.register().status == 200
        revoke_lsc(srv.pg, a)
        assert pa.closed_by_server()
        assert not pb.closed_by_server(timeout=1)
        assert len(bindings(srv.pg, b)) == 1
        assert pb.register().status == 200
    finally:
        pa.close()
        pb.close()


# --------------------------------------------------------------------------
# certificates that are refused
# --------------------------------------------------------------------------

def test_untrusted_chain(srv, pki, lab):
    name, _, _, _ = secure_phone(srv.pg, lab, pki=pki)
    refused(srv, name, pki.leaf(pki.stranger, name), "Forbidden: certificate not trusted")


def test_expired_and_not_yet_valid(srv, pki, lab):
    name, _, _, _ = secure_phone(srv.pg, lab)
    expired = pki.lsc(name, not_before=-30, not_after=-1)
    record_lsc(srv.pg, name, expired)
    refused(srv, name, expired, "Forbidden: certificate expired")
    early = pki.lsc(name, not_before=2, not_after=30)
    record_lsc(srv.pg, name, early)
    refused(srv, name, early, "Forbidden: certificate not yet valid")


def test_certificate_naming_another_phone(srv, pki, lab):
    name, _, _, _ = secure_phone(srv.pg, lab, pki=pki)
    other, _, _, other_lsc = secure_phone(srv.pg, lab, pki=pki)
    # The other phone's own, recorded LSC: valid, but not this phone's.
    refused(srv, name, other_lsc, "Forbidden: certificate names another device")
    # A MIC-style name on an LSC is not the device's name either.
    refused(srv, name, pki.lsc("CP-8845-" + name), "Forbidden: certificate names another device")
    assert other != name


# --------------------------------------------------------------------------
# MIC
# --------------------------------------------------------------------------

def test_mic_refused_while_sip_accept_mic_is_off(srv, pki, lab):
    name, _, _, _ = secure_phone(srv.pg, lab)
    refused(srv, name, pki.mic(name),
            "Forbidden: MIC not accepted for registration (sip_accept_mic is off)")


def test_mic_accepted_when_sip_accept_mic_is_on(mic_srv, pki, lab):
    name, _, _, _ = secure_phone(mic_srv.pg, lab)
    mic = pki.mic(name)
    ph = TlsPhone(mic_srv.sip_tls_port, name, cert=mic)
    try:
        r = ph.register()
        assert r.status == 200, r.raw
        assert bindings(mic_srv.pg, name)[0][:3] == ["tls", "MIC", mic.serial]
    finally:
        ph.close()
    # Still the phone's own name, still a trusted root, still in date.
    refused(mic_srv, name, pki.mic(name[:-1] + "0" if name[-1] != "0" else name[:-1] + "1"),
            "Forbidden: certificate names another device")
    refused(mic_srv, name, pki.leaf(pki.stranger, "CP-8845-" + name),
            "Forbidden: certificate not trusted")
    refused(mic_srv, name, pki.mic(name, not_before=-30, not_after=-1),
            "Forbidden: certificate expired")


# --------------------------------------------------------------------------
# transports against the profile
# --------------------------------------------------------------------------

@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_encrypted_profile_refuses_udp_and_tcp(srv, pki, lab, transport):
    name, _, _, _ = secure_phone(srv.pg, lab, pki=pki)
    ph = SipPhone(srv.sip_port, name, transport=transport)
    try:
        r = ph.register()
        assert r.status == 403
        assert r.reason == ("Forbidden: Encrypted security profile requires SIP over TLS "
                            "with a phone certificate"), r.raw
    finally:
        ph.close()


def test_non_secure_profile_over_tls(srv, pki, lab):
    profile = lab.profile(transportType="TCP+UDP")
    name, _, _ = lab.phone(profile)
    refused(srv, name, pki.lsc(name), "Forbidden: Non Secure profile allows TCP and UDP only")
    profile = lab.profile(transportType="UDP")
    name, _, _ = lab.phone(profile)
    refused(srv, name, None, "Forbidden: Non Secure profile allows UDP only")


def test_digest_over_tls(srv, pki, lab):
    name, userid, password, lsc = secure_phone(srv.pg, lab, digest=True, pki=pki)
    ph = TlsPhone(srv.sip_tls_port, userid, password, cert=lsc)
    try:
        first = ph.transact(ph.register_request())
        assert first.status == 401 and "Digest" in first.header("WWW-Authenticate")
        r = ph.register(password="wrong")
        assert r.status == 403 and r.reason == "Forbidden: bad credentials"
        r = ph.register()
        assert r.status == 200, r.raw
        assert bindings(srv.pg, name)[0][:2] == ["tls", "LSC"]
    finally:
        ph.close()


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_12_and_13(srv, pki, lab, version):
    name, _, _, lsc = secure_phone(srv.pg, lab, pki=pki)
    ph = TlsPhone(srv.sip_tls_port, name, cert=lsc, tls_version=version)
    try:
        assert ph.sock.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                     ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
        assert ph.register().status == 200
    finally:
        ph.close()


def test_tls_11_refused(srv):
    ctx = client_context()
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with socket.create_connection(("127.0.0.1", srv.sip_tls_port), timeout=5) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            ctx.wrap_socket(raw, server_hostname="localhost").do_handshake()


# --------------------------------------------------------------------------
# NOTIFY over TLS
# --------------------------------------------------------------------------

def test_apply_notify_over_the_tls_connection(srv, pki, lab, axl):
    name, _, _, lsc = secure_phone(srv.pg, lab, pki=pki)
    ph = TlsPhone(srv.sip_tls_port, name, cert=lsc)
    try:
        assert ph.register().status == 200
        r = apply(axl, "applyPhone", name)
        n = ph.wait_request()
        assert n is not None, srv.log_text()[-2000:]
        assert n.uri == ph.contact
        assert n.body.startswith("action=apply-config\r\nRegisterCallId={%s}" % ph.call_id)
        ph.answer(n)
        st = wait_status(axl, r.ret().text, settled)
        assert st["delivered"] == 1, st
        assert st["phones"][0]["sipStatus"] == 200
    finally:
        ph.close()


def test_notify_unreachable_once_the_tls_connection_is_gone(srv, pki, lab, axl):
    name, _, _, lsc = secure_phone(srv.pg, lab, pki=pki)
    ph = TlsPhone(srv.sip_tls_port, name, cert=lsc)
    assert ph.register().status == 200
    ph.close()
    time.sleep(0.5)   # the relay sees the close and nta its side of it
    r = apply(axl, "applyPhone", name)
    st = wait_status(axl, r.ret().text, settled)
    assert st["unreachable"] == 1, st
    assert "TLS connection is closed" in st["phones"][0]["reason"]


def test_revoked_phone_gets_no_notify(srv, pki, lab, axl):
    name, _, _, lsc = secure_phone(srv.pg, lab, pki=pki)
    ph = TlsPhone(srv.sip_tls_port, name, cert=lsc)
    try:
        assert ph.register().status == 200
        revoke_lsc(srv.pg, name)
        assert ph.closed_by_server()
        r = apply(axl, "applyPhone", name)
        st = wait_status(axl, r.ret().text, settled)
        assert st["unreachable"] == 1 and st["delivered"] == 0, st
    finally:
        ph.close()


# --------------------------------------------------------------------------
# a profile's security mode changing under registered phones
# --------------------------------------------------------------------------

def set_mode(axl, profile, mode, transport):
    r = axl.call("updatePhoneSecurityProfile",
                 "<name>%s</name><deviceSecurityMode>%s</deviceSecurityMode>"
                 "<transportType>%s</transportType>" % (profile, mode, transport))
    assert r.status == 200, r.text


def test_profile_non_secure_to_encrypted_and_back(srv, pki, lab, axl):
    profile = lab.profile(transportType="TCP+UDP")
    name, _, _ = lab.phone(profile)
    lsc = pki.lsc(name)
    record_lsc(srv.pg, name, lsc)
    udp = SipPhone(srv.sip_port, name)
    tls = None
    try:
        assert udp.register().status == 200
        set_mode(axl, profile, "Encrypted", "TLS")
        r = apply(axl, "applyPhoneSecurityProfile", profile)
        st = wait_status(axl, r.header("X-Axlprov-Apply-Request"), settled)
        assert st["unreachable"] == 1 and st["delivered"] == 0, st
        assert "requires TLS" in st["phones"][0]["reason"]
        assert udp.recv(timeout=1) is None   # no NOTIFY in clear
        r = udp.register()
        assert r.status == 403 and "requires SIP over TLS" in r.reason, r.raw
        tls = TlsPhone(srv.sip_tls_port, name, cert=lsc)
        assert tls.register().status == 200
        # And back: the TLS binding no longer gets NOTIFYs, UDP works again.
        set_mode(axl, profile, "Non Secure", "TCP+UDP")
        r = apply(axl, "applyPhoneSecurityProfile", profile)
        st = wait_status(axl, r.header("X-Axlprov-Apply-Request"), settled)
        by_state = {p["state"] for p in st["phones"]}
        assert by_state == {"unreachable"} or st["delivered"] == 0, st
        r = tls.register()
        assert r.status == 403 and "Non Secure profile allows" in r.reason, r.raw
        assert udp.register().status == 200
    finally:
        udp.close()
        if tls is not None:
            tls.close()


# --------------------------------------------------------------------------
# the listener's certificate
# --------------------------------------------------------------------------

def test_sighup_reloads_the_certificate(pg, pki):
    folder = tempfile.mkdtemp(prefix="axlprov-siptls-")
    first, second = pki.leaf(pki.stranger, "localhost"), pki.leaf(pki.stranger, "localhost")
    cert, key = os.path.join(folder, "sip.pem"), os.path.join(folder, "sip.key")

    def install(c):
        for src, dst in ((c.cert_path, cert), (c.key_path, key)):
            with open(src, "rb") as f, open(dst + ".new", "wb") as g:
                g.write(f.read())
            os.replace(dst + ".new", dst)

    def der(c):
        return c.cert.public_bytes(serialization.Encoding.DER)

    def served():
        with socket.create_connection(("127.0.0.1", s.sip_tls_port), timeout=5) as raw:
            with client_context().wrap_socket(raw, server_hostname="localhost") as t:
                return t.getpeercert(binary_form=True)

    install(first)
    s = tls_server(pg, pki, "--sip-tls-cert", cert, "--sip-tls-key", key)
    try:
        assert served() == der(first)
        install(second)
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while served() != der(second) and time.time() < deadline:
            time.sleep(0.1)
        assert served() == der(second)
        assert "sip: TLS certificate reloaded" in s.log_text()
    finally:
        finish_server(s)


def test_bad_certificate_setting_refuses_to_start(pg, pki):
    with pytest.raises(RuntimeError):
        tls_server(pg, pki, "--sip-tls-cert", "/nonexistent/sip.pem")


# --------------------------------------------------------------------------
# the whole certificate life: capf issue, register, certificateOperation
# Delete, capf complete
# --------------------------------------------------------------------------

class IssuedLsc:
    """An LSC `axlprovd capf issue` wrote, with the key its request was made with."""

    def __init__(self, cert_path, key_path):
        self.cert_path, self.key_path = cert_path, key_path


def test_capf_issue_register_then_complete_delete(srv, pki, axl, unique, tmp_path):
    profile = "%sp" % unique
    add_profile(axl, profile, deviceSecurityMode="Encrypted", transportType="TLS",
                keyOrder="EC Only", ecKeySize="256")
    name = sep_name()
    add_phone(axl, name, securityProfileName=profile, certificateOperation="Install/Upgrade")
    req, key, out = (str(tmp_path / f) for f in ("phone.csr", "phone.key", "lsc.pem"))
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-subj", "/CN=" + name,
                    "-out", req], check=True, capture_output=True)
    cp = axlprovd_cli(srv.pg, "capf", "issue", name, "--csr", req, "--out", out,
                      "--capf-cert", pki.capf.cert_path, "--capf-key", pki.capf.key_path)
    assert cp.returncode == 0, cp.stderr
    lsc = IssuedLsc(out, key)
    ph = TlsPhone(srv.sip_tls_port, name, cert=lsc)
    try:
        assert ph.register().status == 200
        assert bindings(srv.pg, name)[0][:2] == ["tls", "LSC"]
        assert update_phone(axl, ("name", name), certificateOperation="Delete").status == 200
        assert not ph.closed_by_server(timeout=1)   # pending is not done
        cp = axlprovd_cli(srv.pg, "capf", "complete", name)
        assert cp.returncode == 0, cp.stderr
        assert ph.closed_by_server()
        assert bindings(srv.pg, name) == []
    finally:
        ph.close()
    refused(srv, name, lsc, "Forbidden: LSC is not the one on record (replaced or revoked)")


def test_connection_without_handshake_is_closed(srv):
    """A client that connects and never says anything loses its connection
    (10 s for the handshake), so idle connections cannot pile up."""
    with socket.create_connection(("127.0.0.1", srv.sip_tls_port), timeout=20) as raw:
        t = time.time()
        assert raw.recv(100) == b""
        assert 9 <= time.time() - t <= 16


def test_mic_of_a_model_that_ships_none(mic_srv, pki, lab):
    """Jabber (Client Services Framework) can run an Encrypted profile but
    leaves no factory with a MIC: a MIC-looking certificate for it is
    refused even with sip_accept_mic on."""
    model = "Cisco Unified Client Services Framework"
    secure = lab.profile(model=model, deviceSecurityMode="Encrypted", transportType="TLS")
    name, _, _ = lab.phone(lab.profile(model=model), model=model)
    # AXL lets a phone without a MIC onto a secure profile only once it
    # holds an LSC; the registrar must refuse the MIC whatever got it there.
    mic_srv.pg.sql("UPDATE phone SET security_profile_id = "
                   "(SELECT pkid FROM phone_security_profile WHERE name = :'v2') "
                   "WHERE name = :'v1'", name, secure)
    refused(mic_srv, name, pki.mic(name, model="CSF"), "Forbidden: model ships no MIC")


def test_no_certificate_anywhere_leaves_tls_off(pg, tmp_path):
    """Plain HTTP behind a proxy has no certificate: the default SIP over TLS
    listener stays off and says why; SIP over UDP/TCP and SIGHUP go on."""
    port, sip, sip_tls = (free_port() for _ in range(3))
    env = dict(os.environ, AXLPROV_DATABASE_URL=pg.url)
    env.pop("AXLPROV_CONFIG", None)
    log = tmp_path / "axlprovd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([BINARY, "--listen", "", "--plain-listen", "127.0.0.1:%d" % port,
                                 "--sip-listen", "127.0.0.1:%d" % sip,
                                 "--sip-tls-listen", "127.0.0.1:%d" % sip_tls, "--workers", "2"],
                                env=env, stdout=out, stderr=out)
    try:
        wait_for_port(port, proc)
        assert "sip: SIP over TLS is off: no certificate" in log.read_text()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", sip_tls), timeout=2)
        ph = SipPhone(sip, "SEPFFFFFFFFFFFF")
        try:
            assert ph.register().status == 404   # the registrar is up
        finally:
            ph.close()
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(30)
    assert rc == 0, log.read_text()


def test_sighup_rereads_the_capf_ca(pg, pki, lab, tmp_path):
    """A new CAPF CA (a rollover): after SIGHUP, new connections are judged
    by the CA the capf_cert file holds now."""
    old_ca, new_ca = pki.ca("old-ca", "old CAPF"), pki.ca("new-ca", "new CAPF")
    ca_file = str(tmp_path / "capf.pem")
    shutil.copy(old_ca.cert_path, ca_file)
    s = start_server(pg, extra_args=["--capf-cert", ca_file])
    try:
        name, _, _, _ = secure_phone(s.pg, lab)
        lsc = pki.leaf(new_ca, name)
        record_lsc(s.pg, name, lsc)
        refused(s, name, lsc, "Forbidden: certificate not trusted")
        shutil.copy(new_ca.cert_path, ca_file + ".new")
        os.replace(ca_file + ".new", ca_file)
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "sip: TLS certificate reloaded" not in s.log_text() and time.time() < deadline:
            time.sleep(0.1)
        ph = TlsPhone(s.sip_tls_port, name, cert=lsc)
        try:
            assert ph.register().status == 200
        finally:
            ph.close()
    finally:
        finish_server(s)
