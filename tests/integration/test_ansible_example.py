"""examples/ansible/axl_version_reset.yml run by Debian's ansible-playbook
against the real server: the getCCMVersion probe in namespace 1.0 without
SOAPAction, a call in the version it read, then doDeviceReset, which must
reach the registered phone with the NOTIFY of the reset type asked for.
"""

import json
import os
import shutil
import subprocess

import pytest

from conftest import TOP
from sipphone import SipPhone
from test_sip import Lab

PLAYBOOK = os.path.join(TOP, "examples", "ansible", "axl_version_reset.yml")
ANSIBLE = shutil.which("ansible-playbook")


def run_playbook(server, tmp_path, device, reset_type, scheme="http"):
    port = server.port if scheme == "http" else server.tls_port
    env = dict(os.environ, ANSIBLE_LOCAL_TEMP=str(tmp_path), ANSIBLE_HOME=str(tmp_path),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3")
    extra = {"axl_host": "127.0.0.1", "axl_port": port, "axl_scheme": scheme,
             "axl_user": server.user, "axl_password": server.password,
             "device_name": device, "reset_type": reset_type}
    return subprocess.run([ANSIBLE, PLAYBOOK, "-i", "localhost,", "-e", json.dumps(extra)],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.skipif(ANSIBLE is None, reason="ansible-playbook (Debian ansible) not installed")
@pytest.mark.parametrize("scheme,reset_type,action", [("http", "Restart", "restart"),
                                                      ("https", "Apply Configuration",
                                                       "apply-config")])
def test_playbook_probes_the_version_then_resets_a_phone(server, axl, unique, tmp_path, scheme,
                                                         reset_type, action):
    lab = Lab(axl, unique)
    name, userid, password = lab.phone(lab.profile())
    ph = SipPhone(server.sip_port, userid, password)
    try:
        assert ph.register().status == 200
        r = run_playbook(server, tmp_path, name, reset_type, scheme)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        assert "CUCM 14.0.1.13900-155, AXL 14.0: doDeviceReset %s" % name in r.stdout
        assert "returned true" in r.stdout
        n = ph.wait_request()
        assert n is not None, server.log_text()[-2000:]
        ph.answer(n)
        assert n.body.startswith("action=%s\r\n" % action), n.body
    finally:
        ph.close()


@pytest.mark.skipif(ANSIBLE is None, reason="ansible-playbook (Debian ansible) not installed")
def test_playbook_fails_on_an_unknown_device(server, tmp_path):
    r = run_playbook(server, tmp_path, "SEPFFFFFFFFFFFF", "Reset")
    assert r.returncode != 0
    assert "doDeviceReset" in r.stdout and "500" in r.stdout
