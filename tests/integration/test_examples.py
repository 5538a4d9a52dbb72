"""The curl examples (examples/curl/run.sh) run clean against the server:
every request, the apply and its status included, answers HTTP 200."""

import os
import subprocess

from conftest import TOP


def test_curl_examples_run(server):
    env = dict(os.environ, AXLPROV_ADMIN_PASSWORD=server.password)
    cp = subprocess.run([os.path.join(TOP, "examples", "curl", "run.sh"),
                         "http://127.0.0.1:%d/axl/" % server.port, server.user],
                        env=env, capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr
    assert cp.stdout.count("HTTP 200") == 9, cp.stdout[-3000:]
    assert '"targetName": "example-8845-encrypted"' in cp.stdout
