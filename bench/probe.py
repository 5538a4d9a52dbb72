#!/usr/bin/python3
"""bench/probe.py: how long a registrar takes to answer SIP OPTIONS.

  bench/probe.py HOST:PORT OUT [--interval SECONDS]

Sends an OPTIONS (a keepalive, a new transaction each time) every INTERVAL
seconds (default 0.02) over UDP from a socket of its own until SIGTERM or
SIGINT, then writes one line per OPTIONS to OUT:

  <sent, epoch seconds> <delay ms, or -1 if never answered> <status, or 0>

bench/cluster.py runs it while PostgreSQL is stopped under a refresh load:
a registrar answers OPTIONS without its database, so the delays should stay
far below T1 (500 ms).  It is a measurement tool: it never retransmits, so
an answer that took longer than T1 shows as such.
"""

import os
import select
import signal
import socket
import sys
import time

STOP = []


def options(seq, host, port, lport):
    return ("OPTIONS sip:%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-probe-%d-%d;rport\r\n"
            "From: <sip:probe@127.0.0.1>;tag=probe%d\r\n"
            "To: <sip:%s:%d>\r\n"
            "Call-ID: probe-%d-%d@127.0.0.1\r\n"
            "CSeq: %d OPTIONS\r\n"
            "Max-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
            % (host, port, lport, os.getpid(), seq, os.getpid(), host, port, os.getpid(), seq,
               seq)).encode()


def answered(data):
    """(CSeq number, status) of an answer, or None."""
    try:
        text = data.decode("utf-8", "replace")
        status = int(text.split(" ", 2)[1]) if text.startswith("SIP/2.0 ") else 0
        for line in text.split("\r\n"):
            if line.lower().startswith("cseq:"):
                return int(line.split(":", 1)[1].split()[0]), status
    except (ValueError, IndexError):
        pass
    return None


def run(host, port, interval):
    """Probes until stopped: {seq: [sent, answered or None, status]}."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    lport = s.getsockname()[1]
    sent = {}
    seq, next_send = 0, time.time()
    while not STOP:
        now = time.time()
        if now >= next_send:
            seq += 1
            sent[seq] = [now, None, 0]
            s.sendto(options(seq, host, port, lport), (host, port))
            next_send += interval
            continue
        r, _, _ = select.select([s], [], [], next_send - now)
        if r:
            got = answered(s.recv(65536))
            t = time.time()
            if got and got[0] in sent and sent[got[0]][1] is None:
                sent[got[0]][1:] = [t, got[1]]
    # Answers still on their way get one T1 more.
    end = time.time() + 0.5
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if r:
            got = answered(s.recv(65536))
            if got and got[0] in sent and sent[got[0]][1] is None:
                sent[got[0]][1:] = [time.time(), got[1]]
    return sent


def main():
    if len(sys.argv) not in (3, 5) or (len(sys.argv) == 5 and sys.argv[3] != "--interval"):
        raise SystemExit(__doc__.strip().split("\n")[2])
    host, port = sys.argv[1].rsplit(":", 1)
    interval = float(sys.argv[4]) if len(sys.argv) == 5 else 0.02
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda n, f: STOP.append(n))
    sent = run(host, int(port), interval)
    with open(sys.argv[2], "w") as f:
        for seq in sorted(sent):
            t0, t1, status = sent[seq]
            f.write("%.6f %.3f %d\n" % (t0, (t1 - t0) * 1e3 if t1 else -1, status))


if __name__ == "__main__":
    main()
