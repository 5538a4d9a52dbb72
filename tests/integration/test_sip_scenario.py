"""The SIPp phone scenario (tests/sip/phone.xml) against a scripted registrar.

test_sip.py plays it against axlprovd; here a small UDP registrar in the
test decides every answer, so that what the scenario sends, and what it
refuses, is looked at directly: the challenge answered with the CSV line's
credentials, CSeq rising over bind and release, Expires 3600 then 0, the
NOTIFY answered, and a 200 OK to the bind that does not list the phone's
binding failing the phone.
"""

import secrets
import socket
import threading

import pytest

from sipphone import SIPP, SipMessage, Sipp

pytestmark = pytest.mark.skipif(SIPP is None, reason="sipp (Debian sip-tester) not installed")


class Registrar(threading.Thread):
    """Answers REGISTERs over UDP: a 401 to the first one of each bind or
    release, then 200 OK (listing the binding with ;expires= unless told
    not to); half a second after the bind, one NOTIFY on the REGISTER's
    Call-ID."""

    def __init__(self, list_binding=True):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.list_binding = list_binding
        self.got = []
        self.stopping = False
        self.start()

    def run(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            msg = SipMessage(data.decode("utf-8", "replace"))
            self.got.append(msg)
            if msg.method == "REGISTER":
                self.answer_register(msg, peer)

    def reply(self, req, peer, first_line, extra=()):
        lines = [first_line] + ["%s: %s" % (n, req.header(n)) for n in ("Via", "From")]
        lines.append("To: %s;tag=reg%s" % (req.header("To"), secrets.token_hex(3)))
        lines += ["%s: %s" % (n, req.header(n)) for n in ("Call-ID", "CSeq")]
        lines += list(extra) + ["Content-Length: 0"]
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), peer)

    def answer_register(self, req, peer):
        if req.header("Authorization") is None:
            self.reply(req, peer, "SIP/2.0 401 Unauthorized",
                       ['WWW-Authenticate: Digest realm="scenario.test", nonce="%s", '
                        'algorithm=MD5, qop="auth"' % secrets.token_hex(8)])
            return
        expires = int(req.header("Expires"))
        contact = req.header("Contact")
        extra = ["Contact: %s;expires=%d" % (contact, expires)] \
            if expires and self.list_binding else []
        self.reply(req, peer, "SIP/2.0 200 OK", extra)
        if expires and self.list_binding:
            # Later, as an apply would be: the phone takes a NOTIFY once it
            # has logged REGISTERED (see tests/sip/phone.xml).
            threading.Timer(0.5, self.notify, (req, peer)).start()

    def notify(self, req, peer):
        body = "action=apply-config\r\n"
        lines = ["NOTIFY %s SIP/2.0" % req.header("Contact").strip("<>"),
                 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s" % (self.port, secrets.token_hex(5)),
                 "From: <sip:registrar@127.0.0.1>;tag=n%s" % secrets.token_hex(3),
                 "To: %s" % req.header("From"), "Call-ID: %s" % req.header("Call-ID"),
                 "CSeq: 7 NOTIFY", "Event: service-control", "Subscription-State: active",
                 "Content-Type: text/plain", "Content-Length: %d" % len(body)]
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), peer)

    def stop(self):
        self.stopping = True
        self.join(5)
        self.sock.close()


def test_bind_notify_release():
    reg = Registrar()
    phone = Sipp(reg.port, [("alice", "s3cret")], recv_timeout_ms=10000)
    try:
        assert phone.wait(timeout=60) == 0, phone.diagnostics()
        assert len(phone.logged("REGISTERED as alice")) == 1
        assert [line.strip() for line in phone.logged("NOTIFY received")] == \
            ["NOTIFY received: Event=service-control action=apply-config"]
        assert len(phone.logged("UNREGISTERED alice")) == 1
    finally:
        phone.cleanup()
        reg.stop()
    registers = [m for m in reg.got if m.method == "REGISTER"]
    assert [(m.header("CSeq"), m.header("Expires"), m.header("Authorization") is not None)
            for m in registers] == [("1 REGISTER", "3600", False), ("2 REGISTER", "3600", True),
                                    ("3 REGISTER", "0", False), ("4 REGISTER", "0", True)]
    assert len({m.header("Call-ID") for m in registers}) == 1
    auth = registers[1].header("Authorization")
    assert 'username="alice"' in auth and 'realm="scenario.test"' in auth, auth
    # the NOTIFY's 200 OK
    answers = [m for m in reg.got if m.status == 200]
    assert [m.header("CSeq") for m in answers] == ["7 NOTIFY"]


def test_bind_without_binding_fails_the_phone():
    reg = Registrar(list_binding=False)
    phone = Sipp(reg.port, [("bob", "pw")], recv_timeout_ms=5000)
    try:
        assert phone.wait(timeout=60) != 0, phone.diagnostics()
        assert len(phone.logged("NO BINDING for bob")) == 1
        assert phone.logged("REGISTERED as") == []
    finally:
        phone.cleanup()
        reg.stop()
