"""A real third-party SIP user agent over TLS: Debian's baresip registers
with its LSC (issued by the test CAPF CA and recorded for the phone) to an
Encrypted profile, gets the NOTIFY of an applyPhone over its TLS
connection, and answers it; the delivery status records that answer.
baresip runs with SIP tracing (-s), so the test sees the NOTIFY arrive over
TLS and the status baresip sent back.
"""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import finish_server, poll
from test_sip import Lab, apply, settled, wait_status
from test_sip_tls import record_lsc, tls_server
from tlsphone import Pki

BARESIP = shutil.which("baresip")

pytestmark = pytest.mark.skipif(BARESIP is None, reason="baresip (Debian baresip-core) not installed")


def baresip_config(folder, srv, name, lsc):
    combined = os.path.join(folder, "phone.pem")
    with open(combined, "w") as out:
        out.write(open(lsc.cert_path).read() + open(lsc.key_path).read())
    os.chmod(combined, 0o600)
    with open(os.path.join(folder, "config"), "w") as f:
        f.write("poll_method epoll\n"
                "sip_listen 127.0.0.1:0\n"
                "sip_certificate %s\n"
                "sip_cafile %s\n"
                "module_path /usr/lib/baresip/modules\n"
                "module stdio.so\n"
                "module g711.so\n"
                "module_app account.so\n"
                "audio_player aufile,/dev/null\n"
                "audio_source aufile,/dev/null\n"
                % (combined, srv.cert))
    with open(os.path.join(folder, "accounts"), "w") as f:
        f.write("<sip:%s@127.0.0.1:%d;transport=tls>;regint=600;ptime=20\n"
                % (name, srv.sip_tls_port))
    open(os.path.join(folder, "contacts"), "w").close()


def wait_for(pred, timeout):
    return poll(pred, bool, timeout, 0.2)


def test_baresip_registers_over_tls_and_answers_the_apply_notify(pg, axl, unique):
    pki = Pki(tempfile.mkdtemp(prefix="axlprov-pki-"))
    srv = tls_server(pg, pki)
    folder = tempfile.mkdtemp(prefix="axlprov-baresip-")
    lab = Lab(axl, unique)
    proc = None
    try:
        profile = lab.profile(deviceSecurityMode="Encrypted", transportType="TLS")
        name, _, _ = lab.phone(profile)
        lsc = pki.lsc(name)
        record_lsc(pg, name, lsc)
        baresip_config(folder, srv, name, lsc)
        log = open(os.path.join(folder, "baresip.log"), "w+")
        proc = subprocess.Popen([BARESIP, "-f", folder, "-s"], stdin=subprocess.PIPE,
                                stdout=log, stderr=subprocess.STDOUT)
        rows = lambda: pg.sql(
            "SELECT r.transport, r.cert_kind, r.cert_serial, r.user_agent "
            "  FROM sip_registration r JOIN phone p ON p.pkid = r.phone_id "
            " WHERE p.name = :'v1' AND r.expires_at > now()", name)
        assert wait_for(lambda: rows() != [], 20), open(log.name).read()[-4000:]
        transport, kind, serial, agent = rows()[0]
        assert (transport, kind, serial) == ("tls", "LSC", lsc.serial)
        assert "baresip" in agent.lower()
        r = apply(axl, "applyPhone", name)
        st = wait_status(axl, r.ret().text, settled, timeout=40)
        trace = open(log.name).read()
        # The trace marks each message with its transport and direction.
        notify = re.search(r"^TLS [\d.:]+ -> [\d.:]+\s*\n\s*NOTIFY sip:\S+ SIP/2\.0$", trace, re.M)
        assert notify, trace[-4000:]
        answered = re.findall(r"^SIP/2\.0 (\d{3}) [^\n]*\n(?:[^\n]+\n)*?CSeq: \d+ NOTIFY$", trace,
                              re.M)
        assert answered, trace[-4000:]
        phone = st["phones"][0]
        # Whatever baresip answered (it has no service-control handler: a
        # 4xx), the status records that answer, not a timeout.
        assert phone["sipStatus"] == int(answered[-1]), (phone, answered)
        assert phone["state"] == ("delivered" if phone["sipStatus"] < 300 else "failed"), st
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        finish_server(srv)
        shutil.rmtree(folder, ignore_errors=True)
