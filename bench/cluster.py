#!/usr/bin/python3
"""bench/cluster.py: `make bench-cluster`, a whole cluster's phones (see bench/README.md).

  bench/cluster.py [--phones N] [--instances K] [--concurrent C] [--no-kamailio]
                   [--refresh-window S] [--pause S] [--pause-tail S] [--no-tcp]
                   [--no-apply]

Against axlprovd on a private, durable PostgreSQL (synchronous_commit on):
  1. registration storm: N SIPp phones (K SIPp instances over UDP, digest on)
     register from none, at most C registering at once (a closed loop: each
     SIPp call is one registration, bench/sipp/register.xml);
  2. apply to all N: SIPp in server mode takes over the phones' ports and
     answers every NOTIFY (bench/sipp/notify_uas.xml); one
     applyPhoneSecurityProfile, its answer time, the time to the last 200 OK,
     NOTIFYs/s and the delivered count (must be N);
  3. RSS of axlprovd with N bindings;
  4. refresh load: the N phones re-register every 60 s (SIPp rate mode,
     bench/sipp/refresh.xml), the server's CPU share over a measured window;
  5. PostgreSQL stopped (SIGSTOP, all its processes) for a few seconds under
     that load: OPTIONS delays (bench/probe.py) beside T1, 503s, bindings
     lost, recovery;
  6. the apply again, each phone un-registering as soon as it has answered
     its NOTIFY (bench/sipp/notify_unregister_uas.xml): the same figures,
     phones un-registered, 503s they met, bindings left (must be none);
  7. the storm over TCP (SIPp -t tn, a connection per registration).
Then the UDP storm, the refresh load with the pause and the TCP storm
against Debian's Kamailio (bench/kamailio.cfg: auth_db with precomputed HA1,
usrloc db_mode 1, 8 children) on a PostgreSQL of its own with the same
settings, and the ratios of the two from this one run with the machine's
load average beside them.
Prints a table with each part's run time and writes
bench/results/cluster-<timestamp>.txt.
"""

import argparse
import base64
import datetime
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the bench's process bookkeeping and helpers)
from run import CLEAN, TOP, BENCH, RESULTS, log, sh, psql, PsqlSession  # noqa: E402

REGISTER_XML = os.path.join(BENCH, "sipp", "register.xml")
NOTIFY_XML = os.path.join(BENCH, "sipp", "notify_uas.xml")
UNREGISTER_XML = os.path.join(BENCH, "sipp", "notify_unregister_uas.xml")
REFRESH_XML = os.path.join(BENCH, "sipp", "refresh.xml")
KAMAILIO_CFG = os.path.join(BENCH, "kamailio.cfg")
PROBE = os.path.join(BENCH, "probe.py")
T1_MS = 500
# SIPp's sockets (tn: one per registration in flight, closed at its end)
# must stay below its open-files limit; the closed loop keeps at most
# --concurrent open at once.  SIPp closes each connection first, so its
# side keeps the port in TIME_WAIT for 60 s: 40,000 connections in a
# minute would exhaust one address's ephemeral ports (28,232 by default),
# so each TCP instance binds an address of its own, 127.0.0.11, .12...
MAX_SOCKET = max(256, min(16000, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 1000))
PARTS = []   # (part of the run, seconds)
LIVE_BINDINGS = "SELECT count(*) FROM sip_registration WHERE expires_at > now()"
PROFILE = "BenchCluster-8845"
SIP_PASSWORD = "Bench-Sip-1"
ADMIN, ADMIN_PASSWORD = "bench", "Bench-Pass-1"


def start_pg(dirname, env, statements=False):
    port = run.free_port()
    d = os.path.join(CLEAN.workdir, dirname)
    os.makedirs(d)
    os.chmod(d, 0o755)
    CLEAN.pgs.append((d, port))
    sh([os.path.join(TOP, "db", "pg.sh"), "start", d, str(port)], env=env, stdout=subprocess.DEVNULL)
    url = sh([os.path.join(TOP, "db", "pg.sh"), "url", d, str(port)], capture_output=True,
             text=True, env=env).stdout.strip()
    if statements:
        track_statements(d, port, url, env)
    for k in ("fsync", "synchronous_commit"):
        if psql(url, "SHOW %s" % k) != "on":
            raise SystemExit("bench: PostgreSQL %s must be on" % k)
    return url


def track_statements(d, port, url, env):
    """pg_stat_statements on this cluster, statements inside functions too
    (--statements): it costs some CPU per statement, so rates with it on are
    not compared with rates without."""
    psql(url, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    for cmd in ("stop", "start"):
        sh([os.path.join(TOP, "db", "pg.sh"), cmd, d, str(port)], env=env,
           stdout=subprocess.DEVNULL)
    psql(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    psql(url, "ALTER SYSTEM SET pg_stat_statements.track = 'all'")
    psql(url, "SELECT pg_reload_conf()")


def statements_reset(args, url):
    if args.statements:
        psql(url, "SELECT pg_stat_statements_reset()")


def statements_log(args, who, url, count, per="registration"):
    """The statements the storm (or the apply) spent most time in, per
    registration (or phone notified): execution time, planning not
    included; nested ones are also part of the statement that called them."""
    if not args.statements:
        return
    rows = psql(url, "SELECT calls, total_exec_time, rows, "
                "left(regexp_replace(query, '\\s+', ' ', 'g'), 100) "
                "FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT %d"
                % args.statements)
    log("%s: statements by time, per %s (calls, us, rows: statement)" % (who, per))
    for line in rows.splitlines():
        calls, ms, nrows, query = line.split("|", 3)
        print("  %8.2f %8.1f %8.2f  %s" % (int(calls) / count,
                                           float(ms) * 1000 / count,
                                           int(nrows) / count, query), flush=True)


def write_phones(d, n, k):
    """K injection files, phone i in file i % K."""
    files = [open(os.path.join(d, "phones%d.csv" % j), "w") for j in range(k)]
    files.append(open(os.path.join(d, "phones.csv"), "w"))     # all, by user
    for f in files:
        f.write("SEQUENTIAL\n")
    for i in range(1, n + 1):
        u = "bp%05d" % i
        line = "%s;%s;[authentication username=%s password=%s];\n" % (u, SIP_PASSWORD, u,
                                                                        SIP_PASSWORD)
        files[i % k].write(line)
        files[-1].write(line)
    for f in files:
        f.close()
    return [(n + k - 1 - j) // k for j in range(k)]   # phones per file, in order


def sipp(d, tag, target, port, scenario, calls, extra, transport="u1", ip="127.0.0.1"):
    cmd = [shutil.which("sipp"), target, "-sf", scenario, "-i", ip, "-p", str(port),
           "-t", transport, "-m", str(calls), "-nostdin", "-buff_size", str(4 << 20),
           "-trace_stat", "-stf", os.path.join(d, tag + ".stat"), "-fd", "1",
           "-trace_err", "-error_file", os.path.join(d, tag + ".err")] + extra
    p = subprocess.Popen(cmd, cwd=d, stdout=open(os.path.join(d, tag + ".out"), "wb"),
                         stderr=subprocess.STDOUT, start_new_session=True)
    CLEAN.procs.append(p)
    return p


def storm(d, name, target, ports, counts, concurrent, cpu_of, timeout, transport="u1"):
    """K SIPp instances, C registrations at once in all: (seconds,
    successful, failed, retransmissions, CPU seconds of the server and of
    its PostgreSQL, the machine's busy share).  cpu_of() -> (server, db).
    transport: u1 (UDP, one socket per instance) or tn (TCP, a connection
    per phone)."""
    k = len(ports)
    procs = []
    cpu0, m0 = cpu_of(), run.machine_cpu()
    t0 = time.time()
    for j in range(k):
        lim = concurrent // k + (1 if j < concurrent % k else 0)
        procs.append(sipp(d, "%s-reg%d" % (name, j), target, ports[j], REGISTER_XML, counts[j],
                          ["-inf", "phones%d.csv" % j, "-l", str(lim), "-r", "100000",
                           "-recv_timeout", "32000", "-timeout", "%ds" % timeout]
                          + (["-max_socket", str(MAX_SOCKET)] if transport == "tn" else []),
                          transport, "127.0.0.%d" % (11 + j) if transport == "tn" else "127.0.0.1"))
    for p in procs:
        try:
            p.wait(timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    secs = time.time() - t0
    cpu1, m1 = cpu_of(), run.machine_cpu()
    ok = failed = retrans = 0
    for j in range(k):
        st = run.sipp_stats(os.path.join(d, "%s-reg%d.stat" % (name, j)))
        ok += run.stat_int(st, "SuccessfulCall(C)")
        failed += run.stat_int(st, "FailedCall(C)")
        retrans += run.stat_int(st, "Retransmissions(C)")
    return dict(secs=secs, ok=ok, failed=failed, retrans=retrans, cpu=cpu1[0] - cpu0[0],
                db_cpu=cpu1[1] - cpu0[1], rate=ok / secs if secs > 0 else 0.0,
                machine_pct=(m1[0] - m0[0]) / max(1e-9, m1[1] - m0[1]) * 100,
                load=os.getloadavg()[0])


# --- refresh load, PostgreSQL paused ---------------------------------------

def refresh(d, name, target, ports, counts, window, cpu_of, during=None, tail=0.0):
    """The phones re-register every 60 s (SIPp rate mode, refresh.xml, from
    the ports they registered from): 2 s of ramp, the measured window, then
    during() (PostgreSQL paused) and tail seconds more.  Returns the calls
    as logged, the server's CPU over the window and during()'s result."""
    ramp, busy = 2.0, (during[1] if during else 0.0)
    total = ramp + window + busy + tail
    procs = []
    for j, port in enumerate(ports):
        procs.append(sipp(d, "%s-ref%d" % (name, j), target, port, REFRESH_XML,
                          int(round(counts[j] * total / 60.0)),
                          ["-inf", "phones%d.csv" % j, "-r", str(counts[j]), "-rp", "60s",
                           "-l", str(max(counts[j], 100)), "-trace_logs", "-log_file",
                           os.path.join(d, "%s-ref%d.log" % (name, j)),
                           "-timeout", "%ds" % (total + 90)]))
    time.sleep(ramp)
    c0, m0, ta = cpu_of()[0], run.machine_cpu(), time.time()
    time.sleep(window)
    c1, m1, tb = cpu_of()[0], run.machine_cpu(), time.time()
    extra = during[0]() if during else None
    for p in procs:
        try:
            p.wait(timeout=total + 120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    calls = read_calls([os.path.join(d, "%s-ref%d.log" % (name, j)) for j in range(len(ports))])
    failed = sum(run.stat_int(run.sipp_stats(os.path.join(d, "%s-ref%d.stat" % (name, j))),
                          "FailedCall(C)") for j in range(len(ports)))
    ok_in = sum(1 for c in calls.values() if c["kind"] == "O" and ta <= c["end"] < tb)
    busy_m, all_m = m1[0] - m0[0], m1[1] - m0[1]
    return dict(calls=calls, offered=sum(counts) / 60.0, rate=ok_in / (tb - ta),
                cpu_pct=(c1 - c0) / (tb - ta) * 100, window=tb - ta,
                machine_pct=busy_m / all_m * 100 if all_m > 0 else 0.0,
                ok=sum(1 for c in calls.values() if c["kind"] == "O"),
                shed=sum(1 for c in calls.values() if c["kind"] == "B"),
                failed=failed, pause=extra, load=os.getloadavg()[0])


def read_calls(paths):
    """refresh.xml's logs: {Call-ID: {user, start, end, kind O/B/None, retry}}."""
    calls = {}
    for path in paths:
        try:
            f = open(path, errors="replace")
        except FileNotFoundError:
            continue
        with f:
            for line in f:
                w = line.split()
                if len(w) < 5 or w[0] not in ("S", "O", "B"):
                    continue
                t = float(w[3]) + float(w[4]) / 1e6
                c = calls.setdefault(w[1], dict(user=w[2], start=None, end=None, kind=None,
                                                retry=""))
                if w[0] == "S":
                    c["start"] = t
                else:
                    c.update(end=t, kind=w[0], retry=w[5] if len(w) > 5 else "")
    return calls


def pg_pids(url):
    """The postmaster and every process it started (backends, WAL writer...)."""
    with open(os.path.join(psql(url, "SHOW data_directory"), "postmaster.pid")) as f:
        pm = int(f.readline())
    return [pm] + run.children_of(pm)


def db_cpu(url):
    """CPU seconds of a PostgreSQL's live processes (the servers' pooled
    connections live through a storm, so their work is counted)."""
    return sum(run.proc_cpu(p) for p in pg_pids(url))


def signal_all(pids, sig):
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def pause_pg(d, side, seconds):
    """Probes OPTIONS from 2 s before; stops all of the server's PostgreSQL
    (SIGSTOP) for seconds, then SIGCONT.  The prober runs on until
    stop_probe()."""
    out = os.path.join(d, side["name"] + "-probe.txt")
    probe = subprocess.Popen([sys.executable, PROBE, side["target"], out], start_new_session=True)
    CLEAN.procs.append(probe)
    r = dict(bound_before=int(psql(side["url"], side["live_sql"])), probe=probe, out=out,
             seconds=seconds)
    time.sleep(2.0)
    pids = pg_pids(side["url"])
    r["t_stop"] = time.time()
    try:
        signal_all(pids, signal.SIGSTOP)
        time.sleep(seconds)
    finally:
        signal_all(reversed(pids), signal.SIGCONT)   # whatever happens, never left stopped
    r["t_cont"] = time.time()
    log("%s: PostgreSQL (%d processes) stopped for %.1fs"
        % (side["who"], len(pids), r["t_cont"] - r["t_stop"]))
    return r


def stop_probe(p):
    """[(sent, delay ms or -1, status)] of every OPTIONS."""
    p["probe"].send_signal(signal.SIGTERM)
    p["probe"].wait(timeout=30)
    with open(p["out"]) as f:
        return [(float(a), float(b), int(c)) for a, b, c in (ln.split() for ln in f)]


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] if xs else 0.0


def pause_summary(p, probes, calls, bindings, offered):
    """OPTIONS delays during the pause, 503s, bindings lost, recovery time."""
    t_stop, t_cont = p["t_stop"], p["t_cont"]
    during = [x for x in probes if t_stop <= x[0] <= t_cont]
    delays = [x[1] for x in during if x[1] >= 0]
    r = dict(probes=len(during), unanswered=len(during) - len(delays),
             opt_max=max(delays) if delays else -1, opt_p99=percentile(delays, 0.99),
             over_t1=sum(1 for x in delays if x > T1_MS) + len(during) - len(delays),
             opt_max_all=max((x[1] for x in probes), default=-1), seconds=t_cont - t_stop,
             bound_before=p["bound_before"], bound_after=len(bindings))
    shed = [c for c in calls.values() if c["kind"] == "B"]
    r["shed"] = len(shed)
    r["shed_retry"] = sum(1 for c in shed if c["retry"].isdigit())
    r["shed_in_pause"] = sum(1 for c in shed if t_stop <= c["end"] <= t_cont + 0.5)
    r["lost"], r["checked"] = lost_bindings(calls, bindings)
    bad = [c["start"] for c in calls.values() if c["kind"] != "O" and c["start"] is not None]
    last_bad = max(bad, default=t_stop)
    after = [c["end"] for c in calls.values() if c["kind"] == "O" and c["start"] > last_bad
             and c["end"] >= t_cont]
    r["recovery"] = max(0.0, min(after) - t_cont) if after else None
    held = [c["end"] for c in calls.values() if c["kind"] == "O" and c["start"] < t_cont
            and c["end"] >= t_cont]
    r["backlog"] = max(held) - t_cont if held else 0.0
    if after:
        t_rec = min(after)
        n5 = sum(1 for c in calls.values() if c["kind"] == "O" and t_rec <= c["end"] < t_rec + 5)
        r["rate_after"] = n5 / 5.0
    r["offered"] = offered
    return r


def lost_bindings(calls, bindings):
    """Phones whose last 200 OK is not what their binding holds now: the
    binding must carry that registration's Call-ID or a later one's."""
    by_user = {}
    for cid, c in calls.items():
        by_user.setdefault(c["user"], []).append((c["start"] or 0.0, cid, c["kind"]))
    lost = checked = 0
    for user, lst in by_user.items():
        oks = [x for x in lst if x[2] == "O"]
        if not oks:
            continue
        checked += 1
        last_ok = max(oks)[0]
        fresh = {cid for start, cid, _ in lst if start >= last_ok}
        if bindings.get(user) not in fresh:
            lost += 1
    return lost, checked


def axl_bindings(url):
    """{digest user: Call-ID of its live UDP binding}."""
    out = psql(url, "SELECT u.userid, r.call_id FROM sip_registration r "
               "JOIN phone p ON p.pkid = r.phone_id JOIN end_user u ON u.pkid = p.digest_user_id "
               "WHERE r.transport = 'udp' AND r.expires_at > now()")
    return dict(ln.split("|", 1) for ln in out.splitlines() if "|" in ln)


def soap(port, op, inner):
    import http.client
    body = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:ns="http://www.cisco.com/AXL/API/14.0"><soapenv:Body><ns:%s>%s</ns:%s>'
            '</soapenv:Body></soapenv:Envelope>' % (op, inner, op))
    auth = "Basic " + base64.b64encode(("%s:%s" % (ADMIN, ADMIN_PASSWORD)).encode()).decode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("POST", "/axl/", body=body.encode(),
              headers={"Content-Type": "text/xml; charset=utf-8", "Authorization": auth,
                       "SOAPAction": '"CUCM:DB ver=14.0 %s"' % op})
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    hdr = r.getheader("X-Axlprov-Apply-Request", "")
    c.close()
    return r.status, data, hdr


def apply_all(d, url, http_port, sip_target, ports, counts, wait, cpu_of, unregister=False):
    """SIPp answers NOTIFYs on the phones' ports (and with unregister, each
    phone then un-registers); one apply to every phone.  CPU (server,
    PostgreSQL, the machine) is taken from the call to the last delivery."""
    tag, xml = ("unr", UNREGISTER_XML) if unregister else ("ntf", NOTIFY_XML)

    def extra(j):
        return ["-inf", "phones.csv", "-infindex", "phones.csv", "0", "-trace_logs", "-log_file",
                os.path.join(d, "%s%d.log" % (tag, j))] if unregister else []

    procs = [sipp(d, "%s%d" % (tag, j), sip_target, ports[j], xml, counts[j],
                  ["-timeout", "%ds" % (wait + 60)] + extra(j)) for j in range(len(ports))]
    time.sleep(1.0)
    status, body, _ = soap(http_port, "getPhoneSecurityProfile", "<name>%s</name>" % PROFILE)
    if status != 200:
        raise SystemExit("bench: getPhoneSecurityProfile: HTTP %d %s" % (status, body[:300]))
    cpu0, m0 = cpu_of(), run.machine_cpu()
    t_send = time.time()
    status, body, req = soap(http_port, "applyPhoneSecurityProfile", "<name>%s</name>" % PROFILE)
    r = dict(soap_ms=(time.time() - t_send) * 1e3, soap_status=status)
    if status != 200:
        raise SystemExit("bench: applyPhoneSecurityProfile: HTTP %d %s" % (status, body[:300]))
    req = req.strip("{}").lower()
    where = ("r.uuid = '%s'" % req) if re.fullmatch(r"[0-9a-f-]{36}", req) else \
        "r.id = (SELECT max(id) FROM apply_request)"
    db = PsqlSession(url)
    q = ("SELECT count(o.id), count(o.id) FILTER (WHERE o.state = 'delivered'), "
         "count(o.id) FILTER (WHERE o.state IN ('pending', 'sending')), "
         "count(o.id) FILTER (WHERE o.state = 'failed'), "
         "count(o.id) FILTER (WHERE o.state = 'unreachable'), "
         "extract(epoch FROM min(o.created_at)), extract(epoch FROM max(o.done_at)), "
         "bool_and(r.fanned_out) "
         "FROM apply_request r JOIN notify_outbox o ON o.request_id = r.id WHERE " + where)
    # Every phone queued (the call answers before) and none pending.  The
    # counts above read every row of the request: once, at the end; while
    # waiting, a question that stops at the first row still pending.
    busy = ("SELECT NOT r.fanned_out OR EXISTS (SELECT 1 FROM notify_outbox o "
            "WHERE o.request_id = r.id AND o.state IN ('pending', 'sending')) "
            "FROM apply_request r WHERE " + where)
    while db.query(busy) == "t" and time.time() - t_send < wait:
        time.sleep(0.2)
    cpu1, m1 = cpu_of(), run.machine_cpu()
    r["sipp_cpu"] = sum(run.proc_cpu(p.pid) for p in procs)
    row = db.query(q).split("|")
    db.close()
    r.update(cpu=cpu1[0] - cpu0[0], db_cpu=cpu1[1] - cpu0[1],
             machine_pct=(m1[0] - m0[0]) / max(1e-9, m1[1] - m0[1]) * 100)
    r.update(targeted=int(row[0]), delivered=int(row[1]), pending=int(row[2]),
             failed=int(row[3]), unreachable=int(row[4]))
    created, last = float(row[5] or 0), float(row[6] or 0)
    r["to_last"] = last - t_send if last else None
    r["rate"] = r["delivered"] / (last - created) if last > created else 0.0
    if unregister:
        unregistered_by(d, procs, t_send, wait, r)
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait()
    return r


def unregistered_by(d, procs, t_send, wait, r):
    """Waits for every phone's un-REGISTER (SIPp exits after its last call):
    how many un-registered, 503s they met, when the last SIPp was done."""
    for p in procs:
        try:
            p.wait(timeout=max(1.0, t_send + wait - time.time()))
        except subprocess.TimeoutExpired:
            break
    r["unreg_secs"] = time.time() - t_send
    r["unregistered"] = r["unreg_shed"] = r["unreg_failed"] = 0
    for j in range(len(procs)):
        try:
            with open(os.path.join(d, "unr%d.log" % j), errors="replace") as f:
                for line in f:
                    r["unregistered"] += line.startswith("U ")
                    r["unreg_shed"] += line.startswith("B ")
        except FileNotFoundError:
            pass
        st = run.sipp_stats(os.path.join(d, "unr%d.stat" % j))
        r["unreg_failed"] += run.stat_int(st, "FailedCall(C)")


def start_axlprovd(args, d, env):
    """Its PostgreSQL seeded with the phones, the server started on it."""
    url = start_pg("pg-axlprov", env, args.statements > 0)
    sh([os.path.join(TOP, "db", "migrate.sh"), url], capture_output=True)
    log("axlprovd: seeding %d SIP phones with digest users" % args.phones)
    sh(["psql", url, "-qX", "-v", "ON_ERROR_STOP=1", "-v", "nphones=%d" % args.phones,
        "-v", "profile=%s" % PROFILE, "-v", "password=%s" % SIP_PASSWORD,
        "-f", os.path.join(BENCH, "seed_apply.sql")], stdout=subprocess.DEVNULL)
    binary = os.path.join(d, "axlprovd")
    shutil.copy2(os.path.join(TOP, "build", "axlprovd"), binary)
    pem = os.path.join(d, "server.pem")
    sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=localhost", "-keyout", pem, "-out", pem], capture_output=True)
    senv = dict(os.environ, AXLPROV_DATABASE_URL=url, AXLPROV_PASSWORD=ADMIN_PASSWORD)
    senv.pop("AXLPROV_CONFIG", None)
    sh([binary, "user", "set", ADMIN, "--role", "full"], env=senv, capture_output=True)
    http_port, tls_port, sip_port = run.free_port(), run.free_port(), run.free_udp_tcp_port()
    srv = subprocess.Popen([binary, "--listen", "127.0.0.1:%d" % tls_port, "--plain-listen",
                            "127.0.0.1:%d" % http_port, "--tls-cert", pem, "--sip-listen",
                            "127.0.0.1:%d" % sip_port, "--sip-node", "bench", "--sip-tls-listen",
                            "", "--database-url", url], env=senv,
                           stdout=open(os.path.join(d, "axlprovd.log"), "ab"),
                           stderr=subprocess.STDOUT, start_new_session=True)
    CLEAN.procs.append(srv)
    run.wait_port(http_port, srv)
    run.wait_port(sip_port, srv)
    return url, srv, http_port, sip_port


def axlprov_side(args, d, env):
    url, srv, http_port, sip_port = start_axlprovd(args, d, env)
    ports = [run.free_udp_port() for _ in range(args.instances)]
    counts = write_phones(d, args.phones, args.instances)
    target = "127.0.0.1:%d" % sip_port
    log("axlprovd: storm of %d registrations, %d SIPp instances, %d at once"
        % (args.phones, args.instances, args.concurrent))
    cpu_of = (lambda: (run.proc_cpu(srv.pid), db_cpu(url)))
    statements_reset(args, url)
    s = timed("axlprovd UDP storm",
              lambda: storm(d, "axl", target, ports, counts, args.concurrent, cpu_of, args.timeout))
    statements_log(args, "axlprovd", url, args.phones)
    s["bound"] = int(psql(url, "SELECT count(*) FROM sip_registration WHERE expires_at > now()"))
    s["rss_mb"] = run.status_kb(srv.pid, "VmRSS") / 1024
    log("axlprovd: %(ok)d registered (%(failed)d failed, %(bound)d bindings) in %(secs).1fs, "
        "%(rate).0f/s" % s)
    r = dict(storm=s)
    if not args.no_apply:
        r["apply"] = apply_part(args, d, url, http_port, target, ports, counts, srv, cpu_of)
    if args.refresh_window:
        side = dict(who="axlprovd", name="axl", target=target, url=url, live_sql=LIVE_BINDINGS,
                    bindings=lambda: axl_bindings(url))
        r["refresh"] = timed("axlprovd refresh load" + (" + pause" if args.pause else ""),
                             lambda: refresh_part(args, d, side, ports, counts, cpu_of))
    if not args.no_apply:
        r["apply_unreg"] = timed("axlprovd apply while phones un-register", lambda: apply_unreg_part(
            args, d, url, http_port, target, ports, counts, cpu_of))
    if not args.no_tcp:
        r["tcp"] = timed("axlprovd TCP storm", lambda: tcp_storm(
            args, d, "axl", target, counts, cpu_of,
            lambda: int(psql(url, LIVE_BINDINGS + " AND transport = 'tcp'")),
            lambda: open_fds([srv.pid])))
    return r


def apply_part(args, d, url, http_port, target, ports, counts, srv, cpu_of):
    """The apply to every phone, and RSS right after it and 40 s later."""
    log("axlprovd: apply to all %d phones" % args.phones)
    t0 = time.time()
    statements_reset(args, url)
    a = apply_all(d, url, http_port, target, ports, counts, args.apply_wait, cpu_of)
    statements_log(args, "axlprovd apply", url, args.phones, "phone notified")
    a["rss_mb"] = run.status_kb(srv.pid, "VmRSS") / 1024
    # nta keeps each finished UDP transaction (request and answer) for
    # 64*T1, 32 s: what stays once the storm's and the apply's are gone.
    time.sleep(40)
    a["rss_later_mb"] = run.status_kb(srv.pid, "VmRSS") / 1024
    PARTS.append(("axlprovd apply + 40 s for RSS", time.time() - t0))
    log("axlprovd: apply HTTP %d in %.0f ms; %d targeted, %d delivered, %d failed, %d pending; "
        "last 200 OK %s after the call; %.0f NOTIFYs/s"
        % (a["soap_status"], a["soap_ms"], a["targeted"], a["delivered"], a["failed"],
           a["pending"], "%.1fs" % a["to_last"] if a["to_last"] is not None else "never",
           a["rate"]))
    return a


def apply_unreg_part(args, d, url, http_port, target, ports, counts, cpu_of):
    """The apply again, each phone un-registering as soon as it has answered
    its NOTIFY (the issue's "also while phones un-register")."""
    log("axlprovd: apply to all %d phones, each un-registering after its NOTIFY" % args.phones)
    statements_reset(args, url)
    a = apply_all(d, url, http_port, target, ports, counts, args.apply_wait, cpu_of, True)
    statements_log(args, "axlprovd apply, phones un-registering", url, args.phones,
                   "phone notified")
    a["bound_after"] = int(psql(url, LIVE_BINDINGS + " AND transport = 'udp'"))
    log("axlprovd: apply HTTP %d in %.0f ms; %d delivered of %d; last 200 OK %s after the call; "
        "%.0f NOTIFYs/s; %d un-registered (%d 503s on the way, %d failed) %.1fs after the call; "
        "%d UDP bindings left"
        % (a["soap_status"], a["soap_ms"], a["delivered"], a["targeted"],
           "%.1fs" % a["to_last"] if a["to_last"] is not None else "never", a["rate"],
           a["unregistered"], a["unreg_shed"], a["unreg_failed"], a["unreg_secs"],
           a["bound_after"]))
    return a


def refresh_part(args, d, side, ports, counts, cpu_of):
    """The refresh load, with PostgreSQL paused after its measured window.
    side: who, name, target, url, live_sql, bindings() of one server."""
    log("%s: refresh load, %d phones every 60 s (%.0f/s), %d s measured%s"
        % (side["who"], args.phones, args.phones / 60.0, args.refresh_window,
           ", then PostgreSQL stopped for %g s" % args.pause if args.pause else ""))
    during = ((lambda: pause_pg(d, side, args.pause)), 2.0 + args.pause + 1.0) \
        if args.pause else None
    r = refresh(d, side["name"], side["target"], ports, counts, args.refresh_window, cpu_of,
                during, tail=args.pause_tail if args.pause else 0.0)
    log_refresh(side["who"], r)
    if args.pause:
        probes = stop_probe(r["pause"])
        r["pause"] = pause_summary(r["pause"], probes, r["calls"], side["bindings"](),
                                   r["offered"])
        r["pause"]["bound_after"] = int(psql(side["url"], side["live_sql"]))
        log("%s: pause %.1fs: OPTIONS max %.1f ms, p99 %.1f ms (%d over T1); %d 503s; "
            "bindings %d -> %d, %d of %d lost"
            % ((side["who"],) + tuple(r["pause"][k] for k in (
                "seconds", "opt_max", "opt_p99", "over_t1", "shed", "bound_before",
                "bound_after", "lost", "checked"))))
    del r["calls"]
    return r


def log_refresh(who, r):
    log("%s: refresh %.0f/s offered, %.0f/s answered 200 in %.0fs; CPU %.1f%% of one core "
        "(machine %.0f%% busy); %d 200s, %d 503s, %d failed"
        % (who, r["offered"], r["rate"], r["window"], r["cpu_pct"], r["machine_pct"], r["ok"],
           r["shed"], r["failed"]))


def tcp_storm(args, d, name, target, counts, cpu_of, bound_of, fds_of):
    """The storm again over TCP (SIPp -t tn: a connection per registration)."""
    ports = [run.free_port() for _ in counts]
    log("%s: TCP storm of %d registrations, a connection each, %d at once"
        % (name, args.phones, args.concurrent))
    s = storm(d, name + "-tcp", target, ports, counts, args.concurrent, cpu_of, args.timeout,
              "tn")
    s["bound"] = bound_of()
    s["fds"] = fds_of()
    log("%s: TCP %d registered (%d failed, %d TCP bindings) in %.1fs, %.0f/s"
        % (name, s["ok"], s["failed"], s["bound"], s["secs"], s["rate"]))
    return s


def open_fds(pids):
    """Descriptors the server holds (its TCP connections among them)."""
    n = 0
    for p in pids:
        try:
            n += len(os.listdir("/proc/%d/fd" % p))
        except OSError:
            pass
    return n


def timed(label, fn):
    t0 = time.time()
    r = fn()
    PARTS.append((label, time.time() - t0))
    log("%s: %.0f s" % (label, PARTS[-1][1]))
    return r


def kamailio_side(args, d, env):
    kam = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not os.path.exists(kam):
        raise SystemExit("bench: kamailio is not installed (make deps)")
    url = start_pg("pg-kamailio", env, args.statements > 0)
    sh(["psql", url, "-qX", "-c", "CREATE DATABASE kamailio"], capture_output=True)
    kurl = url.replace("dbname=axlprov", "dbname=kamailio")
    for f in ("standard", "auth_db", "usrloc"):
        sh(["psql", kurl, "-qX", "-v", "ON_ERROR_STOP=1", "-f",
            "/usr/share/kamailio/postgres/%s-create.sql" % f], capture_output=True)
    sh(["psql", kurl, "-qX", "-v", "ON_ERROR_STOP=1", "-c",
        "INSERT INTO subscriber (username, domain, password, ha1, ha1b) "
        "SELECT u, '', '', md5(u || ':ccmsipline:%s'), '' FROM generate_series(1, %d) i, "
        "LATERAL (SELECT 'bp' || lpad(i::text, 5, '0') AS u) x; ANALYZE subscriber"
        % (SIP_PASSWORD, args.phones)], capture_output=True)
    host = re.search(r"host=(\S+)", url).group(1)
    port = re.search(r"port=(\d+)", url).group(1)
    sip_port = run.free_udp_tcp_port()
    kenv = dict(os.environ, PGHOST=host, PGPORT=port)
    k = subprocess.Popen([kam, "-f", KAMAILIO_CFG, "-l", "udp:127.0.0.1:%d" % sip_port, "-l",
                          "tcp:127.0.0.1:%d" % sip_port, "-n", "8",
                          "-DD", "-E", "-m", "256", "-M", "32", "-P", os.path.join(d, "kam.pid"),
                          "-Y", d], env=kenv, stdout=open(os.path.join(d, "kamailio.log"), "ab"),
                         stderr=subprocess.STDOUT, start_new_session=True)
    CLEAN.procs.append(k)
    time.sleep(2.0)
    if k.poll() is not None:
        raise SystemExit("bench: kamailio exited: see %s" % os.path.join(d, "kamailio.log"))
    ports = [run.free_udp_port() for _ in range(args.instances)]
    counts = write_phones(d, args.phones, args.instances)
    log("kamailio: storm of %d registrations, %d SIPp instances, %d at once"
        % (args.phones, args.instances, args.concurrent))
    target = "127.0.0.1:%d" % sip_port
    cpu_of = (lambda: (sum(run.proc_cpu(p) for p in [k.pid] + run.children_of(k.pid)),
                       db_cpu(url)))
    statements_reset(args, url)        # the whole cluster's, kurl's included
    s = timed("kamailio UDP storm",
              lambda: storm(d, "kam", target, ports, counts, args.concurrent, cpu_of, args.timeout))
    statements_log(args, "kamailio", url, args.phones)
    s["bound"] = int(psql(kurl, "SELECT count(*) FROM location"))
    s["rss_mb"] = sum(run.status_kb(p, "VmRSS") for p in [k.pid] + run.children_of(k.pid)) / 1024
    log("kamailio: %(ok)d registered (%(failed)d failed, %(bound)d bindings) in %(secs).1fs, "
        "%(rate).0f/s" % s)
    r = dict(storm=s)
    if args.refresh_window:
        side = dict(who="kamailio", name="kam", target=target, url=kurl,
                    live_sql="SELECT count(*) FROM location",
                    bindings=lambda: dict(ln.split("|", 1) for ln in psql(
                        kurl, "SELECT username, callid FROM location").splitlines() if "|" in ln))
        r["refresh"] = timed("kamailio refresh load" + (" + pause" if args.pause else ""),
                             lambda: refresh_part(args, d, side, ports, counts, cpu_of))
    if not args.no_tcp:
        r["tcp"] = timed("kamailio TCP storm", lambda: tcp_storm(
            args, d, "kam", target, counts, cpu_of,
            lambda: int(psql(kurl, "SELECT count(*) FROM location WHERE socket LIKE 'tcp:%'")),
            lambda: open_fds([k.pid] + run.children_of(k.pid))))
    k.send_signal(signal.SIGTERM)
    k.wait(timeout=30)
    return r


def ratio(x, y):
    return "%.2f" % (x / y) if y else "-"


def row(label, fmt, ax, kx, key, rat=None):
    """One table row: axlprovd's and Kamailio's values (kx None: not run)."""
    a = fmt % key(ax) if ax is not None else "-"
    k = fmt % key(kx) if kx is not None else "-"
    r = ratio(*rat(ax, kx)) if rat and ax is not None and kx is not None else ""
    return "%-38s %12s %12s %8s" % (label, a, k, r)


def storm_lines(title, s, k):
    per_reg = (lambda x: x["cpu"] / max(1, x["ok"]) * 1e6)
    return [
        "%-38s %12s %12s %8s" % (title, "axlprovd", "kamailio", "ratio"),
        row("registrations/s", "%.0f", s, k, lambda x: x["rate"],
            lambda a, b: (a["rate"], b["rate"])),
        row("time to all registered (s)", "%.1f", s, k, lambda x: x["secs"],
            lambda a, b: (b["secs"], a["secs"])),
        row("registered (SIPp)", "%d", s, k, lambda x: x["ok"]),
        row("failed (SIPp)", "%d", s, k, lambda x: x["failed"]),
        row("bindings in the database", "%d", s, k, lambda x: x["bound"]),
        row("retransmissions (SIPp)", "%d", s, k, lambda x: x["retrans"]),
        row("server CPU per registration (us)", "%.0f", s, k, per_reg),
        row("PostgreSQL CPU per registration (us)", "%.0f", s, k,
            lambda x: x["db_cpu"] / max(1, x["ok"]) * 1e6),
        row("machine busy, % (everything)", "%.0f", s, k, lambda x: x["machine_pct"]),
        row("load average (1 min) at the end", "%.2f", s, k, lambda x: x["load"]),
    ] + ([row("open descriptors after (server)", "%d", s, k, lambda x: x["fds"])]
         if "fds" in s else [])


def refresh_lines(args, r, k):
    ncpu = os.cpu_count() or 1
    return [
        "%-38s %12s %12s %8s" % ("refresh load (every 60 s, %d s measured)" % args.refresh_window,
                                 "axlprovd", "kamailio", "ratio"),
        row("offered registrations/s", "%.0f", r, k, lambda x: x["offered"]),
        row("answered 200 per s", "%.0f", r, k, lambda x: x["rate"]),
        row("server CPU, % of one core", "%.1f", r, k, lambda x: x["cpu_pct"],
            lambda a, b: (a["cpu_pct"], b["cpu_pct"])),
        row("server CPU, %% of the machine (%d)" % ncpu, "%.1f", r, k,
            lambda x: x["cpu_pct"] / ncpu),
        row("machine busy, % (everything)", "%.0f", r, k, lambda x: x["machine_pct"]),
        row("200s / 503s / failed (whole run)", "%s", r, k,
            lambda x: "%d/%d/%d" % (x["ok"], x["shed"], x["failed"])),
        row("load average (1 min) at the end", "%.2f", r, k, lambda x: x["load"]),
    ]


def pause_lines(p, k):
    """PostgreSQL stopped: axlprovd's figures beside Kamailio's (k None: not run)."""
    rec = (lambda x: "%.2f" % x["recovery"] if x["recovery"] is not None else "never")
    return [
        "%-38s %12s %12s" % ("PostgreSQL stopped %.1f s (all of it)" % p["seconds"], "axlprovd",
                             "kamailio"),
        row("OPTIONS sent in the pause (20 ms)", "%d", p, k, lambda x: x["probes"]),
        row("OPTIONS delay max (ms), T1 %d" % T1_MS, "%.1f", p, k, lambda x: x["opt_max"]),
        row("OPTIONS delay p99 (ms)", "%.1f", p, k, lambda x: x["opt_p99"]),
        row("OPTIONS over T1 / never answered", "%s", p, k,
            lambda x: "%d/%d" % (x["over_t1"] - x["unanswered"], x["unanswered"])),
        row("OPTIONS delay max, whole probe (ms)", "%.1f", p, k, lambda x: x["opt_max_all"]),
        row("REGISTERs answered 503", "%d", p, k, lambda x: x["shed"]),
        row("  of them in the pause / Retry-After", "%s", p, k,
            lambda x: "%d/%d" % (x["shed_in_pause"], x["shed_retry"])),
        row("live bindings before / after", "%s", p, k,
            lambda x: "%d/%d" % (x["bound_before"], x["bound_after"])),
        row("bindings lost (of phones with a 200)", "%s", p, k,
            lambda x: "%d of %d" % (x["lost"], x["checked"])),
        row("recovery (s, SIGCONT to steady 200s)", "%s", p, k, rec),
        row("200s/s in the 5 s after", "%.0f", p, k, lambda x: x.get("rate_after", 0.0)),
        row("held REGISTERs answered by (s)", "%.2f", p, k, lambda x: x["backlog"]),
    ]


def apply_lines(title, a):
    per = (lambda cpu: cpu / max(1, a["delivered"]) * 1e6)
    return ["", title,
            "  SOAP answer: HTTP %d in %.0f ms" % (a["soap_status"], a["soap_ms"]),
            "  targeted %d, delivered %d, failed %d, unreachable %d, pending %d"
            % (a["targeted"], a["delivered"], a["failed"], a["unreachable"], a["pending"]),
            "  last 200 OK %s after the call; %.0f NOTIFYs/s"
            % ("%.1fs" % a["to_last"] if a["to_last"] is not None else "never", a["rate"]),
            "  CPU per phone to the last 200 OK: server %.0f us, PostgreSQL %.0f us, the SIPp "
            "phones %.0f us; machine %.0f%% busy" % (per(a["cpu"]), per(a["db_cpu"]),
                                                     per(a["sipp_cpu"]), a["machine_pct"])]


def report(args, ax, kx):
    s, a = ax["storm"], ax.get("apply")
    k = kx["storm"] if kx else None
    lines = [
        "axlprov cluster bench %s: %d phones, %d SIPp instances (digest), %d registering "
        "at once" % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), args.phones,
                     args.instances, args.concurrent),
        "machine: %d CPUs; load average at the start %.2f %.2f %.2f, at the end %.2f %.2f %.2f"
        % ((os.cpu_count(),) + run.LOAD_START + os.getloadavg()), ""]
    lines += storm_lines("registration storm, UDP", s, k)
    lines.append(row("RSS with all bindings (MB)", "%.0f", s, k, lambda x: x["rss_mb"]))
    lines += [] if a is None else apply_lines("apply to all %d phones (axlprovd)" % args.phones, a) + [
        "  RSS after %.0f MB, 40 s later %.0f MB" % (a["rss_mb"], a["rss_later_mb"])]
    if "refresh" in ax:
        lines += [""] + refresh_lines(args, ax["refresh"], kx.get("refresh") if kx else None)
        if ax["refresh"]["pause"]:
            lines += [""] + pause_lines(ax["refresh"]["pause"],
                                        kx["refresh"]["pause"] if kx else None)
    u = ax.get("apply_unreg")
    lines += [] if u is None else apply_lines(
        "apply to all %d phones, each un-registering after its NOTIFY (axlprovd)" % args.phones,
        u) + [
        "  un-registered %d (503s met on the way %d, SIPp failed %d), all by %.1fs after the "
        "call; UDP bindings left %d" % (u["unregistered"], u["unreg_shed"], u["unreg_failed"],
                                        u["unreg_secs"], u["bound_after"])]
    if "tcp" in ax:
        lines += [""] + storm_lines("registration storm, TCP (a connection each)", ax["tcp"],
                                    kx.get("tcp") if kx else None)
    lines += ["", "run time of each part: " + "; ".join("%s %.0f s" % p for p in PARTS)]
    problems = find_problems(args, ax, kx)
    lines += ["", "PROBLEMS: " + "; ".join(problems) if problems else
              "all phones registered and delivered, no binding lost"]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, "cluster-%s.txt" % time.strftime("%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        f.write(text)
    log("written to %s" % path)
    return not problems


def find_problems(args, ax, kx):
    """What makes the exit status 1: a phone not registered, not delivered,
    a binding lost, OPTIONS held past T1 while PostgreSQL was stopped."""
    problems = []
    s, a = ax["storm"], ax.get("apply")
    if a is not None and a["delivered"] != args.phones:
        problems.append("apply delivered %d of %d" % (a["delivered"], args.phones))
    u = ax.get("apply_unreg")
    if u is not None and (u["delivered"] != args.phones or u["unregistered"] != args.phones
                          or u["bound_after"]):
        problems.append("apply while un-registering: %d delivered, %d un-registered, %d bindings "
                        "left" % (u["delivered"], u["unregistered"], u["bound_after"]))
    if s["bound"] != args.phones or s["failed"]:
        problems.append("storm: %d bindings, %d failed" % (s["bound"], s["failed"]))
    p = ax.get("refresh", {}).get("pause")
    if p and (p["lost"] or p["bound_after"] < p["bound_before"]):
        problems.append("pause: %d bindings lost (%d -> %d)" % (p["lost"], p["bound_before"],
                                                                 p["bound_after"]))
    if p and p["over_t1"]:
        problems.append("pause: %d OPTIONS answered after T1 or never" % p["over_t1"])
    for who, x in (("axlprovd", ax), ("kamailio", kx or {})):
        t = x.get("tcp")
        if t and (t["failed"] or t["ok"] != args.phones):
            problems.append("%s TCP storm: %d registered, %d failed" % (who, t["ok"], t["failed"]))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--phones", type=int, default=40000, help="phones (default 40000, at most 99999)")
    ap.add_argument("--instances", type=int, default=4, help="SIPp instances (default 4)")
    ap.add_argument("--concurrent", type=int, default=50, help="registering at once (default 50)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds the storm may take")
    ap.add_argument("--apply-wait", type=int, default=300, help="seconds the apply may take")
    ap.add_argument("--no-kamailio", action="store_true", help="axlprovd only")
    ap.add_argument("--refresh-window", type=int, default=60,
                    help="seconds of refresh load measured (default 60; 0: no refresh, no pause)")
    ap.add_argument("--pause", type=float, default=5.0,
                    help="seconds PostgreSQL is stopped under axlprovd's refresh load (default 5;"
                    " 0: none)")
    ap.add_argument("--pause-tail", type=float, default=15.0,
                    help="seconds of refresh load after PostgreSQL is back (default 15)")
    ap.add_argument("--no-tcp", action="store_true", help="no TCP storm")
    ap.add_argument("--no-apply", action="store_true", help="no apply (storms only, quicker)")
    ap.add_argument("--statements", type=int, default=0, metavar="N",
                    help="with pg_stat_statements on both PostgreSQL clusters, the N statements "
                    "each UDP storm spent most time in (default 0: off; it slows them)")
    args = ap.parse_args()
    if not 1 <= args.phones <= 99999 or not 1 <= args.instances <= args.concurrent:
        raise SystemExit("bench: --phones 1..99999, --instances 1..--concurrent")
    signal.signal(signal.SIGTERM, run.on_signal)
    d = tempfile.mkdtemp(prefix="axlprov-cluster-", dir="/tmp")
    os.chmod(d, 0o755)
    CLEAN.workdir = d
    env = dict(os.environ)
    env.pop("AXLPROV_PG_FAST", None)       # durability is part of the comparison
    ax = axlprov_side(args, d, env)
    kx = None if args.no_kamailio else kamailio_side(args, d, env)
    return 0 if report(args, ax, kx) else 1


class Cleanup(run.Cleanup):
    """run.py's, with any number of PostgreSQL clusters."""

    def __init__(self):
        super().__init__()
        self.pgs = []

    def run(self):
        if self.done:
            return
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        for dd, port in self.pgs:
            subprocess.run([os.path.join(TOP, "db", "pg.sh"), "stop", dd, str(port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        super().run()


if __name__ == "__main__":
    CLEAN = run.CLEAN = Cleanup()
    try:
        sys.exit(main())
    finally:
        CLEAN.run()
