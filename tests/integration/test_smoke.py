from conftest import add_profile, get_profile, fields_of, UUID_RE


def test_add_get(axl, unique):
    u = add_profile(axl, unique + "-p", deviceSecurityMode="Authenticated")
    assert UUID_RE.match(u)
    r = get_profile(axl, unique + "-p")
    assert r.status == 200
    f = fields_of(r.ret()[0])
    assert f["transportType"] == "TLS"


def test_tls_get(axl_tls):
    r = axl_tls.raw("GET")
    assert r.status == 200 and "Cisco CallManager: AXL Web Service" in r.text
