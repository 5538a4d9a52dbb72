"""The login cache: verified credentials are remembered for auth_cache_ttl
seconds, then renewed without PBKDF2 while the stored hash is unchanged; a
changed password or a removed user takes effect once the entry is stale."""

import subprocess
import time

from conftest import BINARY, Axl, finish_server, start_server


def set_password(srv, user, password):
    subprocess.run([BINARY, "user", "set", user], input=password + "\n", text=True,
                   check=True, env=srv.env, capture_output=True)


def status(srv, user, password):
    a = Axl(srv)
    return a.raw("GET", headers={"Authorization": a.auth_header(user, password)}, auth=False).status


def test_cache_renews_and_follows_password_changes(pg, unique):
    srv = start_server(pg, extra_args=["--auth-cache-ttl", "1"])
    try:
        user = unique + "-api"
        set_password(srv, user, "first-pass")
        assert status(srv, user, "first-pass") == 200
        time.sleep(1.5)                        # stale: renewed by a query
        assert status(srv, user, "first-pass") == 200
        assert status(srv, user, "wrong") == 401
        set_password(srv, user, "second-pass")
        time.sleep(1.5)                        # the old entry must not survive
        assert status(srv, user, "first-pass") == 401
        assert status(srv, user, "second-pass") == 200
    finally:
        finish_server(srv)
