"""A fresh clone passes on its own, with nothing beside it.

The committed HEAD of the checkout these tests run in is cloned into an
empty temporary folder (so no sibling folder the repository might reach for
exists), and there: `make test-deps` (npm ci from npm's cache, offline: after
the first `make test-deps` nothing needs the network), `make unit`, the server
build, and a few integration tests touching everything taken from outside
the repository's own files: zeep on Cisco's WSDL and the cisco-axl client
(the npm package), and SIPp phones (tests/sip/).  Uncommitted changes are
not in the clone: commit before trusting this test.
"""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import SANITIZED, TOP

INTEGRATION = ["tests/integration/test_zeep_compat.py::test_lifecycle",
               "tests/integration/test_zeep_compat.py::test_wsdl_15_get_and_list",
               "tests/integration/test_cisco_axl.py::test_profile_lifecycle",
               "tests/integration/test_sip.py::"
               "test_sipp_phones_receive_apply_of_their_profile_only[digest-u1]"]

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None or not os.path.exists(os.path.join(TOP, ".git")),
                       reason="not a git checkout"),
    # The clone builds and runs its own plain binary: the sanitized pass of
    # `make test` would repeat the plain one.
    pytest.mark.skipif(SANITIZED, reason="runs in the plain (not sanitized) integration pass"),
]


def run(step, cmd, cwd, env, timeout, times):
    t0 = time.time()
    cp = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True, timeout=timeout)
    times[step] = time.time() - t0
    assert cp.returncode == 0, "%s failed (%s) in the fresh clone:\n%s" % (
        step, cp.returncode, cp.stdout[-5000:])
    return cp.stdout


def test_fresh_clone_passes_alone(tmp_path):
    head = subprocess.run(["git", "-C", TOP, "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    alone = tmp_path / "alone"
    alone.mkdir()
    clone = alone / "axlprov"
    subprocess.run(["git", "clone", "-q", "--no-checkout", TOP, str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "--detach", head], check=True)
    assert os.listdir(alone) == ["axlprov"]

    env = dict(os.environ, npm_config_offline="true",
               AXLPROV_TEST_BINARY=str(clone / "build" / "axlprovd"))
    env.pop("AXLPROV_TEST_SANITIZED", None)
    env.pop("MAKEFLAGS", None)
    times = {}
    out = run("make test-deps", ["make", "test-deps"], clone, env, 300, times)
    assert os.path.isfile(clone / "tests" / "node_modules" / "cisco-axl" / "schema" / "14.0" /
                          "AXLAPI.wsdl"), out
    # A second `make test-deps` finds tests/node_modules in sync and leaves it be.
    out = run("make test-deps again", ["make", "test-deps"], clone, env, 60, times)
    assert "tests/node_modules is in sync with tests/package-lock.json" in out, out
    assert "npm ci" not in out, out

    run("make unit", ["make", "-j2", "unit"], clone, env, 600, times)
    run("make build", ["make", "-j2", "build"], clone, env, 600, times)
    out = run("pytest", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                         *INTEGRATION], clone, env, 600, times)
    # Every test ran and passed: nothing skipped (no sipp, no node), failed or in error.
    last = out.splitlines()[-1]
    assert re.match(r"^(\d+) passed(, \d+ warnings?)? in ", last), out[-3000:]
    assert int(last.split()[0]) >= len(INTEGRATION), out[-3000:]
    print("fresh clone: " + ", ".join("%s %.0fs" % kv for kv in times.items()))
