"""Running out of file descriptors: idle keep-alive connections give way to
new clients instead of the server spinning on accept() or stopping."""

import socket
import time

from conftest import Axl, finish_server, start_server


def test_fd_exhaustion_closes_idle_connections(pg):
    # 64 descriptors, of which the server itself needs about 25 (listeners,
    # epoll, 8 workers' database connections, logs): 100 idle clients exhaust it.
    srv = start_server(pg, extra_args=["--idle-timeout", "60"],
                       wrapper=["prlimit", "--nofile=64:64", "--"])
    held = []
    try:
        a = Axl(srv)
        for _ in range(100):
            c = a.connect(timeout=2)
            try:
                if a.raw("GET", conn=c).status == 200:
                    held.append(c)
            except OSError:
                c.close()
        # A new client is still served: the server made room.
        deadline = time.time() + 10
        while True:
            try:
                r = a.raw("GET")
                break
            except OSError:
                assert time.time() < deadline, "no client served after the descriptors ran out"
                time.sleep(0.2)
        assert r.status == 200
        log = srv.log_text()
        warnings = log.count("out of file descriptors")
        assert 1 <= warnings < 30, warnings      # warned, at most once a second
    finally:
        for c in held:
            c.close()
        finish_server(srv)


def listen_addresses(port):
    """Local addresses listening on a TCP port, from /proc/net/tcp{,6}."""
    found = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, p = local.split(":")
                if state == "0A" and int(p, 16) == port:
                    found.add(addr)
    return found


def test_bare_plain_port_binds_loopback_only(pg):
    # The plain listener is for a TLS proxy on the same host: a bare port
    # must not open it to the network.
    srv = start_server(pg, bare_plain_port=True)
    try:
        assert listen_addresses(srv.port) == {"0100007F"}
        assert Axl(srv).raw("GET").status == 200
    finally:
        finish_server(srv)
