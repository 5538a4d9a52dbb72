"""examples/axlprovd.service: the sandboxing the unit promises is there,
its ExecStartPre/ExecStart command lines are options axlprovd accepts (run
through `axlprovd check-config` with examples/axlprovd.conf), and, where
systemd-analyze is installed, `systemd-analyze verify` finds nothing to say
and `systemd-analyze security` rates the unit's exposure low.
"""

import os
import re
import shlex
import shutil
import subprocess
import tempfile

import pytest

from conftest import BINARY, SANITIZER_PATTERNS, TOP

UNIT = os.path.join(TOP, "examples", "axlprovd.service")
CONF = os.path.join(TOP, "examples", "axlprovd.conf")
INSTALLED_BINARY = "/usr/local/bin/axlprovd"
INSTALLED_CONF = "/etc/axlprov/axlprovd.conf"


def directives():
    """[(section, key, value)] in file order (systemd allows repeated keys)."""
    out, section = [], None
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, sep, value = line.partition("=")
            assert sep, "not key=value: %r" % line
            out.append((section, key.strip(), value.strip()))
    return out


def service(key):
    values = [v for s, k, v in directives() if s == "Service" and k == key]
    assert values, "no %s= in [Service]" % key
    return values[-1]


def local_paths(text):
    return text.replace(INSTALLED_BINARY, BINARY).replace(INSTALLED_CONF, CONF)


def run(argv):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("AXLPROV_"):
            del env[k]
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
    cp = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
    reports = [l for l in (cp.stdout + cp.stderr).splitlines() if SANITIZER_PATTERNS.search(l)]
    assert reports == [], reports
    return cp


def test_unit_has_the_sandboxing():
    want = {
        "Type": "simple", "User": "axlprov", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
        "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes",
        "SystemCallFilter": "@system-service", "CapabilityBoundingSet": "",
        "AmbientCapabilities": "", "ExecReload": "/bin/kill -HUP $MAINPID",
    }
    got = {k: service(k) for k in want}
    assert got == want
    assert int(service("LimitNOFILE")) >= 4096
    assert [v for s, k, v in directives() if s == "Install" and k == "WantedBy"] == \
        ["multi-user.target"]


def test_exec_lines_are_options_axlprovd_accepts():
    pre = shlex.split(local_paths(service("ExecStartPre")))
    start = shlex.split(local_paths(service("ExecStart")))
    assert pre[0] == start[0] == BINARY
    assert pre[-1] == "check-config" and start[-1] == "serve"
    assert pre[:-1] == start[:-1]
    cp = run(pre)
    assert cp.returncode == 0 and "configuration OK" in cp.stdout, cp.stderr
    # The same options with serve swapped for the check.
    cp = run(start[:-1] + ["check-config"])
    assert cp.returncode == 0, cp.stderr
    assert "log_level=info" in cp.stderr
    # The check does refuse what serve would refuse.
    cp = run(start[:-1] + ["--throttle-writes-per-second", "-1", "check-config"])
    assert cp.returncode == 2 and "throttle_writes_per_second" in cp.stderr
    cp = run(start[:-1] + ["--no-such-setting", "check-config"])
    assert cp.returncode == 2


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze (Debian systemd) not installed")
def test_systemd_analyze_verify_and_security():
    d = tempfile.mkdtemp(prefix="axlprov-unit-")
    try:
        path = os.path.join(d, "axlprovd.service")
        with open(UNIT) as f, open(path, "w") as out:
            out.write(local_paths(f.read()))
        cp = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True,
                            timeout=60)
        # Unknown or misspelt keys are only warnings: none is allowed (about
        # this unit; the host's own units may have their say).
        ours = [l for l in cp.stderr.splitlines() if "axlprovd" in l]
        assert cp.returncode == 0 and ours == [], cp.stderr
        cp = subprocess.run(["systemd-analyze", "security", "--offline=yes", path],
                            capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for axlprovd.service: ([0-9.]+)", cp.stdout)
        if cp.returncode != 0 and m is None:
            pytest.skip("systemd-analyze security --offline unsupported: " + cp.stderr[-300:])
        assert m is not None, cp.stdout[-1000:]
        assert float(m.group(1)) <= 2.5, cp.stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)
