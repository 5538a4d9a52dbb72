"""axlprovd behind stunnel: Debian's stunnel4, run with the example
configuration (examples/stunnel/axlprovd-stunnel.conf, only its addresses,
certificate and pid file changed), terminates TLS in front of the server's
plain listener, and the compatibility scenario runs through it: zeep with
Cisco's unmodified WSDL, verifying stunnel's certificate, through a
profile's whole life, then the curl examples.

As root (CI) stunnel drops to the stunnel4 user as the example says;
otherwise the setuid/setgid lines are left out.
"""

import base64
import http.client
import os
import re
import shutil
import ssl
import subprocess
import tempfile

import pytest
import requests
import zeep
from requests.auth import HTTPBasicAuth
from zeep.exceptions import Fault
from zeep.transports import Transport

from conftest import SCHEMA_DIR, TOP, UUID_RE, envelope, free_port, wait_for_port

EXAMPLE = os.path.join(TOP, "examples", "stunnel", "axlprovd-stunnel.conf")
BINDING = "{http://www.cisco.com/AXLAPIService/}AXLAPIBinding"
STUNNEL = shutil.which("stunnel4") or shutil.which("stunnel")

pytestmark = pytest.mark.skipif(STUNNEL is None, reason="stunnel4 is not installed (make test-deps)")


def example_config(port, plain_port, cert):
    """The example with this test's addresses and certificate."""
    out = []
    with open(EXAMPLE) as f:
        for line in f:
            key = line.split("=", 1)[0].strip()
            if key == "accept":
                line = "accept = 127.0.0.1:%d\n" % port
            elif key == "connect":
                line = "connect = 127.0.0.1:%d\n" % plain_port
            elif key in ("cert", "key"):
                line = "%s = %s\n" % (key, cert)
            elif key in ("setuid", "setgid") and os.geteuid() != 0:
                continue
            out.append(line)
    return "".join(out)


class Stunnel:
    def __init__(self, plain_port):
        self.dir = tempfile.mkdtemp(prefix="axlprov-stunnel-")
        self.port = free_port()
        self.cert = os.path.join(self.dir, "server.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=stunnel.localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", self.cert, "-out", self.cert],
                       check=True, capture_output=True)
        self.conf = os.path.join(self.dir, "stunnel.conf")
        with open(self.conf, "w") as f:
            f.write(example_config(self.port, plain_port, self.cert))
        self.log_path = os.path.join(self.dir, "stunnel.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([STUNNEL, self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        try:
            wait_for_port(self.port, self.proc, timeout=15)
        except RuntimeError:
            self.stop()
            raise AssertionError("stunnel did not start:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    @property
    def url(self):
        return "https://127.0.0.1:%d/axl/" % self.port


@pytest.fixture(scope="module")
def stunnel(server):
    st = Stunnel(server.port)
    yield st
    st.stop()
    shutil.rmtree(st.dir, ignore_errors=True)


def test_example_runs_as_configured(stunnel):
    # As root it dropped to stunnel4, as the example asks.
    if os.geteuid() == 0:
        uid = subprocess.run(["ps", "-o", "user=", "-p", str(stunnel.proc.pid)],
                             capture_output=True, text=True).stdout.strip()
        assert uid == "stunnel4", uid
    # Its TLS is the example's: TLS 1.2+, the medium-rsa suites, server order.
    def handshake(*args):
        r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % stunnel.port,
                            "-brief", *args], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=20)
        m = re.search(r"^Ciphersuite: (\S+)", r.stderr, re.M)
        return m.group(1) if r.returncode == 0 and m else None

    assert handshake("-tls1_2", "-cipher",
                     "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384") \
        == "ECDHE-RSA-AES256-GCM-SHA384"
    assert handshake("-tls1_2", "-cipher", "AES128-SHA") is None
    assert handshake("-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305") is None
    assert handshake("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0") is None
    assert handshake("-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256") is None
    assert handshake("-tls1_3") == "TLS_AES_256_GCM_SHA384"


def test_zeep_lifecycle_through_stunnel(stunnel, server, unique):
    session = requests.Session()
    session.auth = HTTPBasicAuth(server.user, server.password)
    session.verify = stunnel.cert        # stunnel's certificate, really checked
    session.trust_env = False            # or REQUESTS_CA_BUNDLE would win over verify
    client = zeep.Client(os.path.join(SCHEMA_DIR, "14.0", "AXLAPI.wsdl"),
                         transport=Transport(session=session, timeout=30))
    svc = client.create_service(BINDING, stunnel.url)
    name = unique + "-stunnel"

    uuid = svc.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845", "protocol": "SIP", "name": name,
        "description": "via stunnel", "deviceSecurityMode": "Encrypted",
        "transportType": "TLS"})["return"]
    assert UUID_RE.match(uuid), uuid
    p = svc.getPhoneSecurityProfile(name=name)["return"]["phoneSecurityProfile"]
    assert p.uuid == uuid and p.description == "via stunnel"
    assert p.deviceSecurityMode == "Encrypted"
    assert svc.updatePhoneSecurityProfile(name=name, newName=name + "-b",
                                          description="renamed")["return"] == uuid
    rows = svc.listPhoneSecurityProfile(searchCriteria={"name": name + "%"},
                                        returnedTags={"name": "", "description": ""})
    rows = rows["return"]["phoneSecurityProfile"]
    assert [(r.name, r.description, r.uuid) for r in rows] == [(name + "-b", "renamed", uuid)]
    assert svc.removePhoneSecurityProfile(uuid=uuid)["return"] == uuid
    # AXL faults come through unchanged.
    with pytest.raises(Fault) as ei:
        svc.getPhoneSecurityProfile(uuid=uuid)
    assert ei.value.detail.find("axlError").findtext("axlcode") == "5007"
    # A wrong password is still the server's 401.
    session.auth = HTTPBasicAuth(server.user, "wrong")
    r = session.get(stunnel.url)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Basic realm="Cisco AXL API"'
    # Plain listener, so no HSTS (the example's comment says so).
    assert "Strict-Transport-Security" not in r.headers


def test_curl_examples_through_stunnel(stunnel, server):
    env = dict(os.environ, AXLPROV_ADMIN_PASSWORD=server.password,
               CURL_OPTS="--cacert %s" % stunnel.cert)
    cp = subprocess.run([os.path.join(TOP, "examples", "curl", "run.sh"), stunnel.url,
                         server.user], env=env, capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr
    assert cp.stdout.count("HTTP 200") == 9, cp.stdout[-3000:]


def test_server_sees_stunnel_as_the_peer(stunnel, server):
    # Behind stunnel the server's peer is stunnel's own connection from the
    # loopback, not the client's (as the README and the example say).
    ctx = ssl.create_default_context(cafile=stunnel.cert)
    c = http.client.HTTPSConnection("127.0.0.1", stunnel.port, timeout=30, context=ctx)
    try:
        c.connect()
        client_port = c.sock.getsockname()[1]
        auth = base64.b64encode(("%s:%s" % (server.user, server.password)).encode()).decode()
        c.request("POST", "/axl/", body=envelope(
            "getPhoneSecurityProfile", "<name>stunnel-peer-probe</name>").encode(),
            headers={"Content-Type": "text/xml", "Authorization": "Basic " + auth})
        r = c.getresponse()
        assert r.status == 500 and b"5007" in r.read()
    finally:
        c.close()
    peers = re.findall(r"request id=\S+ user=%s source=127\.0\.0\.1:(\d+) "
                       r"op=getPhoneSecurityProfile outcome=\S+ status=500"
                       % re.escape(server.user), server.log_text())
    assert peers, "no request logged from the loopback"
    assert int(peers[-1]) != client_port
