"""Test-side TLS phones and the certificates they present.

Pki makes, in a scratch folder, the certificate authorities and phone
certificates the SIP over TLS tests need: a CAPF CA (the server's
capf_cert, which signs LSCs), a MIC root (mic_roots) with Cisco-style MICs
(CN "CP-8845-SEP..."), a CA the server does not know, and leaves that are
expired, not yet valid or name another phone.  Keys are EC P-256, made by
OpenSSL through Python's cryptography package.

TlsPhone is sipphone.SipPhone over TLS: Python's ssl with a client
certificate (or none), Via and Contact saying TLS.
"""

import datetime
import os
import secrets
import socket
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sipphone import SipPhone

DAY = datetime.timedelta(days=1)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Cert:
    """A certificate and its key, as PEM files."""

    def __init__(self, folder, label, cert, key):
        self.cert, self.key = cert, key
        self.cert_path = os.path.join(folder, label + ".pem")
        self.key_path = os.path.join(folder, label + ".key")
        with open(self.cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))

    @property
    def fingerprint(self):
        return self.cert.fingerprint(hashes.SHA256()).hex()

    @property
    def serial(self):
        """Upper-case hex in whole bytes, as OpenSSL's BN_bn2hex writes it."""
        h = "%X" % self.cert.serial_number
        return "0" * (len(h) % 2) + h

    @property
    def not_after(self):
        return self.cert.not_valid_after


class Pki:
    def __init__(self, folder):
        self.folder = folder
        self.capf = self.ca("capf-ca", "axlprov test CAPF")
        self.mic_root = self.ca("mic-root", "Test Manufacturing Root")
        self.stranger = self.ca("stranger-ca", "Nobody we know")
        self.n = 0

    def ca(self, label, cn):
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.utcnow()
        cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - DAY).not_valid_after(now + 3650 * DAY)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                             False, False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        return Cert(self.folder, label, cert, key)

    def leaf(self, issuer, cn, not_before=-1, not_after=365):
        """A client certificate for cn, valid from/to that many days from now."""
        self.n += 1
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.utcnow()
        cert = (x509.CertificateBuilder().subject_name(_name(cn))
                .issuer_name(issuer.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now + not_before * DAY).not_valid_after(now + not_after * DAY)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .sign(issuer.key, hashes.SHA256()))
        return Cert(self.folder, "leaf%d" % self.n, cert, key)

    def lsc(self, device, **kw):
        return self.leaf(self.capf, device, **kw)

    def mic(self, device, model="8845", **kw):
        return self.leaf(self.mic_root, "CP-%s-%s" % (model, device), **kw)


def client_context(cert=None):
    """TLS 1.2+ client context; the server's certificate is not checked
    (the tests' server certificate is self-signed for localhost)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert is not None:
        ctx.load_cert_chain(cert.cert_path, cert.key_path)
    return ctx


class TlsPhone(SipPhone):
    """A SipPhone whose connection is TLS, presenting `cert` (a Cert or None)."""

    def __init__(self, tls_port, user, password=None, cert=None, host="127.0.0.1",
                 tls_version=None):
        ctx = client_context(cert)
        if tls_version is not None:
            ctx.minimum_version = ctx.maximum_version = tls_version
        raw = socket.create_connection((host, tls_port), timeout=5)
        try:
            sock = ctx.wrap_socket(raw, server_hostname="localhost")
        except Exception:
            raw.close()
            raise
        # SipPhone's own __init__ would open a plain connection: the same
        # fields, over this one.
        self.server = (host, tls_port)
        self.user = user
        self.password = password
        self.transport = "tls"
        self.call_id = "%s@axlprov-test" % secrets.token_hex(8)
        self.cseq = 0
        self.tag = secrets.token_hex(4)
        self.buf = b""
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.contact = "sip:%s@%s:%d;transport=tls" % (user, host, self.port)

    def closed_by_server(self, timeout=5.0):
        """True when the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65535)
                if not data:
                    return True
                self.buf += data
        except (socket.timeout, TimeoutError):
            return False
        except (ssl.SSLError, ConnectionError):
            return True
