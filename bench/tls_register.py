"""bench/tls_register.py: the `tls-register` scenario of bench/run.py.

TLS registrations per second: N phones on an Encrypted profile with
digest authentication, each with its own LSC (signed by a bench CAPF CA and
recorded in phone_lsc), each making a new TLS connection with its client
certificate, REGISTER, 401, REGISTER with the digest answer, 200, close.
Beside it, the limit: the bare OpenSSL handshake rate with client
certificates on the same machine, `openssl s_server -Verify` (one thread,
like the SIP thread) driven by the same client code doing a handshake with
the same certificates and one line echoed back instead of the two
REGISTERs.  Both with the same number of client processes.
"""

import hashlib
import multiprocessing
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import time

from tlsphone import Pki   # tests/integration, on bench/run.py's path

REALM = "ccmsipline"


def _context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


def _read_message(sock, buf):
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65535)
        if not data:
            raise ConnectionError("closed")
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    n = int(m.group(1)) if m else 0
    while len(rest) < n:
        rest += sock.recv(65535)
    return head.decode(), rest[n:]


def _register(sock, port, name, user, password, local, auth=None):
    call_id = "%s-bench" % name
    req = ["REGISTER sip:127.0.0.1:%d SIP/2.0" % port,
           "Via: SIP/2.0/TLS 127.0.0.1:%d;branch=z9hG4bK%s;rport" % (local, secrets.token_hex(6)),
           "Max-Forwards: 70", "From: <sip:%s@127.0.0.1>;tag=b" % user,
           "To: <sip:%s@127.0.0.1>" % user, "Call-ID: %s" % call_id,
           "CSeq: %d REGISTER" % (2 if auth else 1),
           "Contact: <sip:%s@127.0.0.1:%d;transport=tls>" % (user, local), "Expires: 600"]
    if auth:
        req.append("Authorization: " + auth)
    req.append("Content-Length: 0")
    sock.sendall(("\r\n".join(req) + "\r\n\r\n").encode())


def _digest(challenge, user, password, port):
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    uri = "sip:127.0.0.1:%d" % port
    ha1 = hashlib.md5(("%s:%s:%s" % (user, REALM, password)).encode()).hexdigest()
    ha2 = hashlib.md5(("REGISTER:%s" % uri).encode()).hexdigest()
    resp = hashlib.md5(("%s:%s:00000001:0a1b2c3d:auth:%s" % (ha1, nonce, ha2)).encode()).hexdigest()
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=MD5, cnonce="0a1b2c3d", qop=auth, nc=00000001'
            % (user, REALM, nonce, uri, resp))


def _one_registration(port, phone, ctx):
    name, user, password, _, _ = phone
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw) as s:
            local = s.getsockname()[1]
            _register(s, port, name, user, password, local)
            head, buf = _read_message(s, b"")
            if " 401 " not in head.split("\r\n", 1)[0]:
                return head.split("\r\n", 1)[0]
            challenge = re.search(r"(?im)^WWW-Authenticate:\s*(.*)$", head).group(1)
            _register(s, port, name, user, password, local,
                      _digest(challenge, user, password, port))
            head, _ = _read_message(s, buf)
            first = head.split("\r\n", 1)[0]
            return None if " 200 " in first else first


def _one_handshake(port, phone, ctx):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(b"axlprov\n")
            got = b""
            while b"\n" not in got:
                data = s.recv(100)
                if not data:
                    return "closed"
                got += data
            return None


def _init_worker():
    # Not bench/run.py's handlers: a worker stopped by the pool stops nothing else.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _worker(args):
    """One client process: its phones' contexts first (not timed: the
    phone has its certificate loaded), then one connection each; returns
    (errors, first start, last end)."""
    kind, port, phones, start_at = args
    fn = _one_registration if kind == "register" else _one_handshake
    ctxs = [_context(p[3], p[4]) for p in phones]
    errors = []
    time.sleep(max(0.0, start_at - time.time()))   # every process starts together
    t0 = time.time()
    for p, ctx in zip(phones, ctxs):
        try:
            e = fn(port, p, ctx)
        except (OSError, ssl.SSLError) as exc:
            e = str(exc)
        if e:
            errors.append(e)
    return errors, t0, time.time()


def _drive(kind, port, phones, procs):
    """Runs every phone once over procs client processes: (per second, errors)."""
    start_at = time.time() + 2 + len(phones) / 500.0   # after the contexts are built
    slices = [(kind, port, phones[i::procs], start_at) for i in range(procs)]
    with multiprocessing.Pool(procs, initializer=_init_worker) as pool:
        results = pool.map(_worker, slices)
    errors = sum((r[0] for r in results), [])
    elapsed = max(r[2] for r in results) - min(r[1] for r in results)
    return len(phones) / elapsed, errors


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("bench: tls-register: a server exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("bench: tls-register: port %d did not open" % port)


def _provision(env, pki, n, tag, log):
    """A digest Encrypted profile and n phones with users and recorded LSCs."""
    t = time.time()
    st, body = env.soap(env.port, "addPhoneSecurityProfile",
                        "<phoneSecurityProfile><phoneType>Cisco 8845</phoneType>"
                        "<protocol>SIP</protocol><name>%s-enc</name>"
                        "<deviceSecurityMode>Encrypted</deviceSecurityMode>"
                        "<transportType>TLS</transportType>"
                        "<enableDigestAuthentication>true</enableDigestAuthentication>"
                        "</phoneSecurityProfile>" % tag)
    if st != 200:
        raise SystemExit("bench: tls-register: addPhoneSecurityProfile: %s" % body[:300])
    phones, rows = [], []
    for i in range(n):
        name, user, password = "SEP%s%06X" % (tag[-6:], i), "%s-u%d" % (tag, i), "pw%d" % i
        for op, inner in (("addUser", "<user><userid>%s</userid><lastName>Bench</lastName>"
                                      "<digestCredentials>%s</digestCredentials></user>"
                           % (user, password)),
                          ("addPhone", "<phone><name>%s</name><product>Cisco 8845</product>"
                                       "<class>Phone</class><protocol>SIP</protocol>"
                                       "<protocolSide>User</protocolSide>"
                                       "<devicePoolName>Default</devicePoolName>"
                                       "<securityProfileName>%s-enc</securityProfileName>"
                                       "<digestUser>%s</digestUser></phone>"
                           % (name, tag, user))):
            st, body = env.soap(env.port, op, inner)
            if st != 200:
                raise SystemExit("bench: tls-register: %s: %s" % (op, body[:300]))
        lsc = pki.lsc(name, not_after=30)
        phones.append((name, user, password, lsc.cert_path, lsc.key_path))
        rows.append("('%s', '%s', '%s', '%s')" % (name, lsc.serial, lsc.fingerprint,
                                                 lsc.not_after.isoformat() + "Z"))
    pem = open(pki.capf.cert_path).read()   # any PEM certificate satisfies the column's check
    sql = ("INSERT INTO phone_lsc (phone_uuid, serial, fingerprint, not_after, certificate) "
           "SELECT p.pkid, v.serial, v.fpr, v.na::timestamptz, $pem$%s$pem$ FROM (VALUES %s) "
           "AS v(name, serial, fpr, na) JOIN phone p ON p.name = v.name" % (pem, ",".join(rows)))
    subprocess.run(["psql", env.url, "-qX", "-v", "ON_ERROR_STOP=1"], input=sql, text=True,
                   check=True, stdout=subprocess.DEVNULL)
    log("tls-register: %d phones, users and LSCs in %.1fs" % (n, time.time() - t))
    return phones


def run(env, log, nphones, procs=4):
    """Measures both rates; returns a dict of the figures."""
    folder = os.path.join(env.dir, "tls-register")
    os.makedirs(folder, exist_ok=True)
    pki = Pki(folder)
    tag = "B%06X" % (int(time.time()) & 0xFFFFFF)
    phones = _provision(env, pki, nphones, tag, log)
    sip_port, tls_port, plain = _free_port(), _free_port(), _free_port()
    server = subprocess.Popen(
        [env.server_bin, "--listen", "", "--plain-listen", "127.0.0.1:%d" % plain,
         "--sip-listen", "127.0.0.1:%d" % sip_port, "--sip-node", "bench-tls",
         "--sip-tls-listen", "127.0.0.1:%d" % tls_port, "--tls-cert", env.pem,
         "--capf-cert", pki.capf.cert_path, "--database-url", env.url, "--log-level", "warn"],
        stdout=open(os.path.join(folder, "axlprovd.log"), "ab"), stderr=subprocess.STDOUT,
        start_new_session=True)
    s_server = None
    try:
        _wait_port(tls_port, server)
        log("tls-register: %d TLS registrations (digest), %d client processes" % (nphones, procs))
        rate, errors = _drive("register", tls_port, phones, procs)
        s_port = _free_port()
        s_server = subprocess.Popen(
            ["openssl", "s_server", "-quiet", "-rev", "-accept", "127.0.0.1:%d" % s_port,
             "-cert", env.pem, "-Verify", "2", "-CAfile", pki.capf.cert_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        _wait_port(s_port, s_server)
        log("tls-register: the same %d handshakes against openssl s_server -Verify" % nphones)
        hs_rate, hs_errors = _drive("handshake", s_port, phones, procs)
    finally:
        for p in (server, s_server):
            if p is not None:
                p.terminate()
                p.wait(timeout=20)
    return {"phones": nphones, "procs": procs, "register_per_s": rate,
            "register_errors": len(errors), "first_error": errors[0] if errors else "",
            "handshake_per_s": hs_rate, "handshake_errors": len(hs_errors),
            "ratio": rate / hs_rate if hs_rate else 0.0}
