"""The SIP side at cluster scale, the parts a small test can show: a phone
registered from several contacts (RFC 3261 10.2.1) gets the NOTIFY of an
apply at every one of them, and counts as delivered when any answered 2xx.
The 40,000-phone figures are bench/cluster.py's (make bench-cluster).
"""

import pytest

from sipphone import SipPhone, digest_params, h
from test_sip import Lab, apply, settled, wait_status


@pytest.fixture
def lab(axl, unique):
    return Lab(axl, unique)


def two_contacts(server, lab):
    """One phone registered from two sockets (two contacts, two Call-IDs)."""
    profile = lab.profile()
    name, userid, password = lab.phone(profile)
    phones = [SipPhone(server.sip_port, userid, password, "udp") for _ in range(2)]
    for ph in phones:
        r = ph.register()
        assert r.status == 200, r.raw
    assert len(", ".join(r.all("Contact")).split(",")) == 2, r.raw
    return name, phones


@pytest.mark.parametrize("answers", [((200, "OK"), (200, "OK")),
                                     ((489, "Bad Event"), (200, "OK"))],
                         ids=["both-200", "one-489-one-200"])
def test_every_binding_gets_the_notify(server, axl, lab, answers):
    name, phones = two_contacts(server, lab)
    try:
        r = apply(axl, "applyPhone", name)
        request = r.header("X-Axlprov-Apply-Request")
        notifies = [ph.wait_request() for ph in phones]
        assert all(n is not None for n in notifies), server.log_text()[-2000:]
        for ph, n, answer in zip(phones, notifies, answers):
            assert n.uri == ph.contact and n.header("Call-ID") == ph.call_id
            ph.answer(n, *answer)
        st = wait_status(axl, request, settled)
        assert (st["targeted"], st["delivered"], st["failed"]) == (1, 1, 0), st
        assert st["phones"][0]["sipStatus"] == 200, st
    finally:
        for ph in phones:
            ph.close()


def test_all_bindings_refusing_fails_with_an_answer(server, axl, lab):
    name, phones = two_contacts(server, lab)
    try:
        r = apply(axl, "applyPhone", name)
        request = r.header("X-Axlprov-Apply-Request")
        for ph in phones:
            n = ph.wait_request()
            assert n is not None
            ph.answer(n, 489, "Bad Event")
        st = wait_status(axl, request, settled)
        assert (st["delivered"], st["failed"]) == (0, 1), st
        assert st["phones"][0]["sipStatus"] == 489, st
    finally:
        for ph in phones:
            ph.close()


# --------------------------------------------------------------------------
# digest nonce-count replay
# --------------------------------------------------------------------------

def authorization_nc(ph, challenge, nc, cnonce="0a4f113b"):
    """ph's answer to challenge with a chosen nc and cnonce (MD5, qop=auth)."""
    p = digest_params(challenge)
    host, port = ph.server
    uri = "sip:%s:%d" % (host, port)
    ha1 = h("MD5", "%s:%s:%s" % (ph.user, p["realm"], ph.password))
    ha2 = h("MD5", "REGISTER:%s" % uri)
    resp = h("MD5", ":".join([ha1, p["nonce"], nc, cnonce, "auth", ha2]))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=MD5, cnonce="%s", qop=auth, nc=%s'
            % (ph.user, p["realm"], p["nonce"], uri, resp, cnonce, nc))


def test_replayed_authorization_is_challenged_again(server, lab):
    profile = lab.profile(digest=True)
    _, userid, password = lab.phone(profile)
    ph = SipPhone(server.sip_port, userid, password, "udp")
    try:
        r = ph.transact(ph.register_request())
        assert r.status == 401, r.raw
        challenge = r.header("WWW-Authenticate")
        auth = authorization_nc(ph, challenge, "00000001")
        assert ph.transact(ph.register_request(authorization=auth)).status == 200
        # the very same header again (new transaction, CSeq one up): refused
        # with a fresh nonce, stale=true, and no binding change
        r = ph.transact(ph.register_request(authorization=auth))
        assert r.status == 401, r.raw
        again = r.header("WWW-Authenticate")
        assert "stale=true" in again and digest_params(again)["nonce"]
        # a count going on from the same nonce is fine, going back is not
        ok = authorization_nc(ph, challenge, "00000003")
        assert ph.transact(ph.register_request(authorization=ok)).status == 200
        back = authorization_nc(ph, challenge, "00000002")
        assert ph.transact(ph.register_request(authorization=back)).status == 401
        # the phone recovers by answering the new challenge
        assert ph.register().status == 200
    finally:
        ph.close()
