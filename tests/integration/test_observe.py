"""GET /metrics and the request log (metrics.c, reqlog.c, observe.c).

/metrics is Prometheus text (format 0.0.4), behind the AXL credentials;
every line is parsed strictly, histograms must be cumulative with +Inf equal
to the count, and counters must move by exactly what the test did.  The
request log has one logfmt line per answered request, found by the
response's X-Request-Id, with the caller, operation, outcome and axlcode,
never a password; log_level=warn leaves the request lines out.
"""

import math
import re
import time

import pytest

from conftest import Axl, envelope, finish_server, start_server
from test_sip import Lab, registered_phone, settled, wait_status

PREDEFINED = "Cisco 8845 - Standard SIP Non-Secure Profile"
SECRET = "N0t-The-Pass-7f3c"

LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(%s(?:,%s)*)\})? (\S+)$' % (LABEL, LABEL))
LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_metrics(text):
    """{(name, ((label, value), ...)): float}, checking the format strictly."""
    assert text.endswith("\n")
    types, samples = {}, {}
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            assert len(line.split(" ", 3)) == 4, line
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            assert typ in ("counter", "gauge", "histogram"), line
            assert name not in types, "TYPE twice: " + line
            types[name] = typ
            continue
        assert not line.startswith("#") and line.strip() == line and line, repr(line)
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        v = float(value)     # also accepts +Inf
        assert not math.isnan(v), line
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        if types.get(family) == "histogram":
            assert name != family, line
        else:
            family = name
        assert family in types, "sample before its TYPE: " + line
        if types[family] == "counter":
            assert name.endswith("_total") and v >= 0 and v == int(v), line
        key = (name, tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))))
        assert key not in samples, "duplicate sample: " + line
        samples[key] = v
    for family, typ in types.items():
        if typ == "histogram":
            check_histogram(samples, family)
    return samples


def check_histogram(samples, family):
    series = {}
    for (name, labels), v in samples.items():
        if name == family + "_bucket":
            rest = tuple(l for l in labels if l[0] != "le")
            le = dict(labels)["le"]
            series.setdefault(rest, []).append((float(le), v))
    assert series, family
    for rest, buckets in series.items():
        buckets.sort()
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), "buckets not cumulative: %s %s" % (family, rest)
        assert buckets[-1][0] == math.inf
        assert samples[(family + "_count", rest)] == buckets[-1][1]
        assert samples[(family + "_sum", rest)] >= 0


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def osrv(pg):
    """A server of its own (counters seen only by these tests), quick NOTIFY retries."""
    srv = start_server(pg, ["--sip-t1", "20", "--notify-attempts", "2", "--notify-retry", "1"])
    yield srv
    finish_server(srv)


@pytest.fixture
def oaxl(osrv):
    return Axl(osrv)


def scrape(axl, ids=None):
    """The parsed metrics; ids collects the scrape's X-Request-Id."""
    r = axl.raw("GET", "/metrics")
    assert r.status == 200, r.text
    assert r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    if ids is not None:
        ids.append(r.header("X-Request-Id"))
    return parse_metrics(r.text)


def test_metrics_need_credentials_and_get(oaxl):
    r = oaxl.raw("GET", "/metrics", auth=False)
    assert r.status == 401 and r.header("WWW-Authenticate")
    r = oaxl.raw("GET", "/metrics", headers={"Authorization": oaxl.auth_header(password=SECRET)},
                 auth=False)
    assert r.status == 401
    assert oaxl.raw("POST", "/metrics", body="x").status == 405
    assert "axlprov_requests_total" not in r.text


def test_request_counters_and_histogram_move_by_what_was_done(osrv, oaxl, unique):
    ids = []
    m0 = scrape(oaxl, ids)
    get = "<name>%s</name>" % PREDEFINED
    rs = [oaxl.call("getPhoneSecurityProfile", get), oaxl.call("getPhoneSecurityProfile", get),
          oaxl.call("getPhoneSecurityProfile", "<name>%s-none</name>" % unique),
          oaxl.call("getPhoneSecurityProfile", get, auth=False),
          oaxl.call("fooBarBaz", "<x/>", validate=False),      # unknown operation
          oaxl.raw("GET")]
    assert [r.status for r in rs] == [200, 200, 500, 401, 500, 200]
    # A request is counted just after its answer: wait for its log line,
    # written after the counters.
    ids += [r.header("X-Request-Id") for r in rs]
    assert len(wait_lines(osrv, ids)) == len(ids)
    m1 = scrape(oaxl)

    def delta(name, **labels):
        return value(m1, name, **labels) - value(m0, name, **labels)

    req = "axlprov_requests_total"
    assert delta(req, operation="getPhoneSecurityProfile", outcome="ok") == 2
    assert delta(req, operation="getPhoneSecurityProfile", outcome="fault") == 1
    assert delta(req, operation="none", outcome="http_4xx") == 1
    assert delta(req, operation="other", outcome="fault") == 1
    assert delta(req, operation="GET /axl/", outcome="ok") == 1
    assert delta(req, operation="GET /metrics", outcome="ok") == 1     # the first scrape
    assert not any(dict(k[1]).get("operation") == "fooBarBaz" for k in m1)
    hist = "axlprov_request_duration_seconds"
    assert delta(hist + "_count", operation="getPhoneSecurityProfile") == 3
    assert delta(hist + "_bucket", operation="getPhoneSecurityProfile", le="+Inf") == 3
    assert delta(hist + "_sum", operation="getPhoneSecurityProfile") > 0
    assert delta("axlprov_db_errors_total") == 0
    assert delta("axlprov_throttled_total", reason="rate") == 0
    assert value(m1, "axlprov_start_time_seconds") > 1.7e9


def test_outbox_depth_gauge(pg, oaxl, unique):
    before = value(scrape(oaxl), "axlprov_outbox_depth", state="pending")
    pg.sql("WITH r AS (INSERT INTO apply_request (operation, action, target_kind, target_uuid, "
           "                 target_name, requested_by) "
           "  VALUES ('applyPhone', 'apply-config', 'phone', gen_random_uuid(), :'v1', 'test') "
           "  RETURNING id) "
           "INSERT INTO notify_outbox (request_id, phone_name, node, event, action, "
           "                           config_version, state) "
           "SELECT r.id, :'v1' || g, 'metrics-test-nobody', 'service-control', 'apply-config', 1, "
           "       'pending' FROM r, generate_series(1, 7) g", unique)
    try:
        assert value(scrape(oaxl), "axlprov_outbox_depth", state="pending") == before + 7
    finally:
        pg.sql("DELETE FROM apply_request WHERE target_name = :'v1'", unique)
    assert value(scrape(oaxl), "axlprov_outbox_depth", state="pending") == before


def test_sip_registrations_and_notify_outcomes(osrv, oaxl, unique):
    lab = Lab(oaxl, unique)
    m0 = scrape(oaxl)
    ph, name, _ = registered_phone(osrv, lab, digest=True)
    try:
        r = oaxl.call("applyPhone", "<name>%s</name>" % name)
        assert r.status == 200, r.text
        ph.answer(ph.wait_request())
        wait_status(oaxl, r.header("X-Axlprov-Apply-Request"), settled)
        r = oaxl.call("applyPhone", "<name>%s</name>" % name)
        assert r.status == 200, r.text
        ph.answer(ph.wait_request(), 503, "Service Unavailable")    # retried
        n = ph.wait_request(timeout=10)
        assert n is not None
        ph.answer(n, 489, "Bad Event")                              # failed
        st = wait_status(oaxl, r.header("X-Axlprov-Apply-Request"), settled)
        assert st["failed"] == 1, st
        m1 = scrape(oaxl)
    finally:
        ph.close()

    def delta(name, **labels):
        return value(m1, name, **labels) - value(m0, name, **labels)

    assert delta("axlprov_registrations_total", result="challenged") == 1
    assert delta("axlprov_registrations_total", result="ok") == 1
    assert delta("axlprov_notify_total", outcome="delivered") == 1
    assert delta("axlprov_notify_total", outcome="retried") == 1
    assert delta("axlprov_notify_total", outcome="failed") == 1
    assert value(m1, "axlprov_sip_bindings") >= 1


# --------------------------------------------------------------------------
# the request log
# --------------------------------------------------------------------------

def request_lines(log):
    out = []
    for line in log.splitlines():
        _, _, rest = line.partition(" info request ")
        if rest:
            fields = {k: (v[1:-1] if v.startswith('"') else v) for k, v in LOGFMT.findall(rest)}
            out.append(fields)
    return out


def wait_lines(srv, ids, timeout=5.0):
    """The request lines of these ids (the line is written after the answer)."""
    deadline = time.time() + timeout
    while True:
        lines = [f for f in request_lines(srv.log_text()) if f.get("id") in ids]
        if len(lines) >= len(ids) or time.time() > deadline:
            return lines
        time.sleep(0.05)


def test_one_log_line_per_request_with_its_fields(osrv, oaxl, unique):
    conn = oaxl.connect()
    ok = oaxl.call("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED, conn=conn)
    fault = oaxl.call("getPhoneSecurityProfile", "<name>%s-none</name>" % unique)
    denied = oaxl.raw(body=envelope("getPhone", "<name>x</name>"), auth=False,
                      headers={"Authorization": oaxl.auth_header(password=SECRET)})
    page = oaxl.raw("GET", conn=conn)
    conn.close()
    assert (ok.status, fault.status, denied.status, page.status) == (200, 500, 401, 200)
    ids = [r.header("X-Request-Id") for r in (ok, fault, denied, page)]
    assert all(re.match(r"^[0-9a-f]{16}$", i) for i in ids) and len(set(ids)) == 4, ids
    lines = wait_lines(osrv, ids)
    assert sorted(l["id"] for l in lines) == sorted(ids), lines     # exactly one each
    by_id = {l["id"]: l for l in lines}
    expect = [
        (ok, dict(user="admin", op="getPhoneSecurityProfile", outcome="ok", status="200",
                  axlcode="0")),
        (fault, dict(user="admin", op="getPhoneSecurityProfile", outcome="fault", status="500",
                     axlcode="5007")),
        (denied, dict(user="", op="", outcome="http_4xx", status="401", axlcode="0")),
        (page, dict(user="admin", op="GET /axl/", outcome="ok", status="200", axlcode="0")),
    ]
    for r, want in expect:
        got = by_id[r.header("X-Request-Id")]
        assert {k: got.get(k) for k in want} == want, got
        assert re.match(r"^127\.0\.0\.1:\d+$", got["source"]), got
        assert float(got["duration_ms"]) >= 0
        assert set(got) == {"id", "user", "source", "op", "outcome", "status", "axlcode",
                            "duration_ms"}, got
    # One connection, one source.
    assert by_id[ids[0]]["source"] == by_id[ids[3]]["source"]
    log = osrv.log_text()
    assert SECRET not in log and osrv.password not in log


def test_every_answered_request_is_logged_once(osrv, oaxl):
    before = len(request_lines(osrv.log_text()))
    ids = []
    for i in range(10):
        ids.append(oaxl.call("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED)
                   .header("X-Request-Id"))
    assert len(wait_lines(osrv, ids)) == 10
    time.sleep(0.2)
    assert len(request_lines(osrv.log_text())) - before == 10


def test_log_level_warn_has_no_request_lines(pg):
    srv = start_server(pg, ["--log-level", "warn"])
    try:
        axl = Axl(srv)
        assert axl.call("getPhoneSecurityProfile", "<name>%s</name>" % PREDEFINED).status == 200
        assert axl.raw("GET", auth=False).status == 401
        time.sleep(0.3)
        log = srv.log_text()
        assert request_lines(log) == [] and " request id=" not in log, log
        assert " info " not in log and " debug " not in log, log
    finally:
        finish_server(srv)
