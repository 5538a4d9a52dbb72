"""Test-side SIP peers for the registrar and NOTIFY tests.

SipPhone is a scriptable phone over UDP or TCP: it sends REGISTERs (answering
digest challenges unless told otherwise, or with a forged nonce or a wrong
password), receives the server's requests and answers them (or stays
silent). It is deliberately small and strict, so that tests can look at
each message the server sends.

Sipp runs our SIPp phone scenario (tests/sip/phone.xml) as real phones:
REGISTER with digest, wait for the NOTIFY, answer, un-REGISTER.
"""

import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

import reaper

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIPP_SCENARIO = os.path.join(TOP, "tests", "sip", "phone.xml")
SIPP = shutil.which("sipp")


class SipMessage:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip(), value.strip()))
        parts = self.first.split(" ", 2)
        if parts[0] == "SIP/2.0":
            self.status = int(parts[1])
            self.reason = parts[2] if len(parts) > 2 else ""
            self.method = None
        else:
            self.status = None
            self.method = parts[0]
            self.uri = parts[1]

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def __repr__(self):
        return "<SIP %s>" % self.first


def digest_params(header):
    return dict((k.lower(), v.strip('"')) for k, v in
                re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', header.split(" ", 1)[1]))


def h(alg, text):
    return (hashlib.sha256 if alg == "SHA-256" else hashlib.md5)(text.encode()).hexdigest()


class SipPhone:
    def __init__(self, server_port, user, password=None, transport="udp", host="127.0.0.1"):
        self.server = (host, server_port)
        self.user = user
        self.password = password
        self.transport = transport
        self.call_id = "%s@axlprov-test" % secrets.token_hex(8)
        self.cseq = 0
        self.tag = secrets.token_hex(4)
        self.buf = b""
        if transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((host, 0))
        else:
            self.sock = socket.create_connection(self.server, timeout=5)
        self.port = self.sock.getsockname()[1]
        self.contact = "sip:%s@%s:%d;transport=%s" % (user, host, self.port, transport)

    def close(self):
        self.sock.close()

    # -- wire ----------------------------------------------------------------
    def send(self, text):
        data = text.encode()
        if self.transport == "udp":
            self.sock.sendto(data, self.server)
        else:
            self.sock.sendall(data)

    def recv(self, timeout=5.0):
        """The next message, or None after timeout seconds."""
        deadline = time.time() + timeout
        while True:
            if self.transport == "udp":
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.sock.settimeout(left)
                try:
                    data, _ = self.sock.recvfrom(65535)
                except socket.timeout:
                    return None
                return SipMessage(data.decode("utf-8", "replace"))
            msg = self._from_stream()
            if msg is not None:
                return msg
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                return None
            if not data:
                return None
            self.buf += data

    def _from_stream(self):
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode("utf-8", "replace")
        m = re.search(r"(?im)^(content-length|l)\s*:\s*(\d+)", head)
        length = int(m.group(2)) if m else 0
        if len(self.buf) < end + 4 + length:
            return None
        raw = self.buf[:end + 4 + length]
        self.buf = self.buf[end + 4 + length:]
        return SipMessage(raw.decode("utf-8", "replace"))

    # -- REGISTER ------------------------------------------------------------
    def register_request(self, expires=3600, authorization=None, contact=None, aor_user=None,
                         cseq=None, extra=""):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        host, port = self.server
        aor = "sip:%s@%s" % (aor_user or self.user, host)
        lines = [
            "REGISTER sip:%s:%d SIP/2.0" % (host, port),
            "Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%s;rport"
            % (self.transport.upper(), self.port, secrets.token_hex(6)),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (aor, self.tag),
            "To: <%s>" % aor,
            "Call-ID: %s" % self.call_id,
            "CSeq: %d REGISTER" % cseq,
            "Contact: <%s>" % (contact or self.contact),
            "Expires: %d" % expires,
            "User-Agent: axlprov-test",
        ]
        if authorization:
            lines.append("Authorization: " + authorization)
        if extra:
            lines.append(extra)
        lines.append("Content-Length: 0")
        return "\r\n".join(lines) + "\r\n\r\n"

    def authorization(self, challenge, password=None, nonce=None, uri=None, username=None,
                      algorithm="MD5"):
        p = digest_params(challenge)
        host, port = self.server
        uri = uri or "sip:%s:%d" % (host, port)
        nonce = nonce or p["nonce"]
        user = username or self.user
        ha1 = h(algorithm, "%s:%s:%s" % (user, p["realm"], password or self.password))
        ha2 = h(algorithm, "REGISTER:%s" % uri)
        cnonce, nc = secrets.token_hex(4), "00000001"
        resp = h(algorithm, ":".join([ha1, nonce, nc, cnonce, "auth", ha2]))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=%s, cnonce="%s", qop=auth, nc=%s'
                % (user, p["realm"], nonce, uri, resp, algorithm, cnonce, nc))

    def transact(self, request, timeout=5.0):
        """Sends a request and returns its final response (skipping 1xx, any
        request the server sends meanwhile, and responses of an earlier
        transaction: an unacknowledged final answer to an INVITE is sent
        again, RFC 3261 17.2.1)."""
        m = re.search(r"branch=([^;\s]+)", request)
        mine = "branch=%s" % m.group(1) if m else ""
        self.send(request)
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = self.recv(deadline - time.time())
            if msg is None:
                break
            if (msg.status is not None and msg.status >= 200 and
                    mine in (msg.header("Via") or "")):
                return msg
        raise AssertionError("no final response to %s" % request.split("\r\n", 1)[0])

    def register(self, expires=3600, password=None, **kw):
        """REGISTER, answering one digest challenge; the final response."""
        r = self.transact(self.register_request(expires, **kw))
        if r.status == 401 and (password or self.password):
            auth = self.authorization(r.header("WWW-Authenticate"), password=password)
            r = self.transact(self.register_request(expires, authorization=auth, **kw))
        return r

    # -- requests from the server --------------------------------------------
    def wait_request(self, timeout=10.0, method="NOTIFY"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = self.recv(deadline - time.time())
            if msg is None:
                return None
            if msg.method == method:
                return msg
        return None

    def answer(self, request, status=200, reason="OK"):
        lines = ["SIP/2.0 %d %s" % (status, reason)]
        for name in ("Via", "From", "To", "Call-ID", "CSeq"):
            for v in request.all(name):
                if name == "To" and ";tag=" not in v:
                    v += ";tag=%s" % secrets.token_hex(4)
                lines.append("%s: %s" % (name, v))
        lines.append("Content-Length: 0")
        self.send("\r\n".join(lines) + "\r\n\r\n")


def free_udp_tcp_port():
    """A port free for both UDP and TCP (SIPp binds both kinds on -t t1)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free for both UDP and TCP")


class Sipp:
    """N SIPp phones from tests/sip/phone.xml, users given as
    (userid, password) pairs, registering to 127.0.0.1:port."""

    def __init__(self, port, users, transport="u1", rate=50, recv_timeout_ms=30000):
        self.dir = tempfile.mkdtemp(prefix="axlprov-sipp-")
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "phones.csv"), "w") as f:
            f.write("SEQUENTIAL\n")
            for user, password in users:
                f.write("%s;%s;[authentication username=%s password=%s];\n"
                        % (user, password, user, password))
        self.n = len(users)
        self.log = os.path.join(self.dir, "phones.log")
        local_port = free_udp_tcp_port()
        cmd = [SIPP, "127.0.0.1:%d" % port, "-sf", SIPP_SCENARIO,
               "-i", "127.0.0.1", "-p", str(local_port), "-t", transport, "-m", str(self.n), "-l", str(self.n),
               "-r", str(rate), "-inf", "phones.csv", "-recv_timeout", str(recv_timeout_ms),
               "-timeout", "%ds" % (recv_timeout_ms // 1000 + 30), "-timeout_error",
               "-trace_logs", "-log_file", self.log, "-trace_err",
               "-error_file", os.path.join(self.dir, "errors.log"), "-nostdin",
               "-max_socket", str(max(64, self.n + 16))]
        self.out = open(os.path.join(self.dir, "sipp.out"), "wb")
        self.proc = reaper.spawn(cmd, cwd=self.dir, stdout=self.out, stderr=subprocess.STDOUT)

    def logged(self, word):
        try:
            with open(self.log, errors="replace") as f:
                return [line for line in f if word in line]
        except FileNotFoundError:
            return []

    def wait_registered(self, timeout=30.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.logged("REGISTERED as")) >= self.n:
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError("SIPp phones did not all register: %s" % self.diagnostics())

    def wait(self, timeout=90):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.out.close()

    def diagnostics(self):
        text = "sipp exit code %s, %d registered" % (self.proc.poll(), len(self.logged("REGISTERED as")))
        for name in ("sipp.out", "errors.log", "phones.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += "\n--- %s\n%s" % (name, f.read()[-3000:])
            except FileNotFoundError:
                pass
        return text

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.out.closed:
            self.out.close()

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
