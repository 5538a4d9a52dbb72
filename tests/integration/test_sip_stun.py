"""Datagrams that once hurt the SIP port's transport, replayed against a
real server.

fuzz_register found that sofia-sip's STUN mini-server, listening on the
SIP port, leaked every error answer it sent (tests/fuzz/regressions/stun/,
the inputs it found).  The REGISTER fuzzer now runs the registrar in
process and no longer reaches sofia's sockets, so these inputs are sent
here over UDP to a server of their own: it must stay up, answer an OPTIONS
afterwards, and (under `make integration-asan`) exit without a leak.
"""

import os
import secrets

from conftest import TOP, finish_server, start_server
from sipphone import SipPhone

STUN = os.path.join(TOP, "tests", "fuzz", "regressions", "stun")


def options(ph):
    host, port = ph.server
    call_id = secrets.token_hex(8)
    return ("OPTIONS sip:%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:stun@127.0.0.1>;tag=s\r\nTo: <sip:%s>\r\n"
            "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            % (host, port, ph.port, call_id, host, call_id))


def test_stun_regressions_neither_crash_nor_leak(pg):
    inputs = sorted(os.listdir(STUN))
    assert inputs, "the STUN regression inputs are missing"
    srv = start_server(pg)
    try:
        ph = SipPhone(srv.sip_port, "stun")
        try:
            for name in inputs:
                with open(os.path.join(STUN, name), "rb") as f:
                    data = f.read()
                for _ in range(50):   # a leak per datagram grows visibly
                    ph.sock.sendto(data, ph.server)
            r = ph.transact(options(ph))
            assert r.status == 200, r.raw
        finally:
            ph.close()
    finally:
        finish_server(srv)
