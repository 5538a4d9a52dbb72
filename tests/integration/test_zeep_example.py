"""examples/zeep_client.py runs its round trip against the server with its
default WSDL (Cisco's 14.0 one from the npm package cisco-axl), and says
what to do when that WSDL is not there."""

import os
import subprocess
import sys

from conftest import TOP, UUID_RE

EXAMPLE = os.path.join(TOP, "examples", "zeep_client.py")


def run_example(server, *args):
    env = dict(os.environ, AXLPROV_ADMIN_PASSWORD=server.password)
    return subprocess.run([sys.executable, EXAMPLE, *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_round_trip_with_the_default_wsdl(server, unique):
    cp = run_example(server, "--url", "https://127.0.0.1:%d/axl/" % server.tls_port,
                     "--user", server.user, "--insecure", "--name", unique)
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr
    titles = [line for line in cp.stdout.splitlines() if line.startswith("--- ")]
    assert titles == ["--- added", "--- get by name", "--- get by uuid, three fields",
                      "--- updated", "--- list %s%%" % unique, "--- removed"], cp.stdout
    lines = cp.stdout.splitlines()
    added = lines[lines.index("--- added") + 1]
    assert UUID_RE.match(added), added
    assert lines[lines.index("--- removed") + 1] == added
    # It cleaned up after itself.
    assert server.pg.sql("SELECT count(*) FROM phone_security_profile WHERE name LIKE :'v1'",
                         unique + "%") == [["0"]]


def test_missing_wsdl_is_explained(server, tmp_path):
    missing = str(tmp_path / "none" / "AXLAPI.wsdl")
    cp = run_example(server, "--wsdl", missing, "--insecure")
    assert cp.returncode == 2, cp.stdout + cp.stderr
    assert "no WSDL at %s: run `make test-deps`, or give --wsdl" % missing in cp.stderr
