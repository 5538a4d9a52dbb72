#!/usr/bin/python3
"""bench/cluster.py: `make bench-cluster`, a whole cluster's phones (see bench/README.md).

  bench/cluster.py [--phones N] [--instances K] [--concurrent C] [--no-kamailio]

Against axlprovd on a private, durable PostgreSQL (synchronous_commit on):
  1. registration storm: N SIPp phones (K SIPp instances over UDP, digest on)
     register from none, at most C registering at once (a closed loop: each
     SIPp call is one registration, bench/sipp/register.xml);
  2. apply to all N: SIPp in server mode takes over the phones' ports and
     answers every NOTIFY (bench/sipp/notify_uas.xml); one
     applyPhoneSecurityProfile, its answer time, the time to the last 200 OK,
     NOTIFYs/s and the delivered count (must be N);
  3. RSS of axlprovd with N bindings.
Then the same storm against Debian's Kamailio (bench/kamailio.cfg: auth_db
with precomputed HA1, usrloc db_mode 1, 8 children) on a PostgreSQL of its
own with the same settings, and the ratios of the two from this one run with
the machine's load average beside them.  Prints a table and writes
bench/results/cluster-<timestamp>.txt.
"""

import argparse
import base64
import datetime
import os
import re
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
KAMAILIO_CFG = os.path.join(BENCH, "kamailio.cfg")
PROFILE = "BenchCluster-8845"
SIP_PASSWORD = "Bench-Sip-1"
ADMIN, ADMIN_PASSWORD = "bench", "Bench-Pass-1"


def start_pg(dirname, env):
    port = run.free_port()
    d = os.path.join(CLEAN.workdir, dirname)
    os.makedirs(d)
    os.chmod(d, 0o755)
    CLEAN.pgs.append((d, port))
    sh([os.path.join(TOP, "db", "pg.sh"), "start", d, str(port)], env=env, stdout=subprocess.DEVNULL)
    url = sh([os.path.join(TOP, "db", "pg.sh"), "url", d, str(port)], capture_output=True,
             text=True, env=env).stdout.strip()
    for k in ("fsync", "synchronous_commit"):
        if psql(url, "SHOW %s" % k) != "on":
            raise SystemExit("bench: PostgreSQL %s must be on" % k)
    return url


def write_phones(d, n, k):
    """K injection files, phone i in file i % K."""
    files = [open(os.path.join(d, "phones%d.csv" % j), "w") for j in range(k)]
    for f in files:
        f.write("SEQUENTIAL\n")
    for i in range(1, n + 1):
        u = "bp%05d" % i
        files[i % k].write("%s;%s;[authentication username=%s password=%s];\n"
                           % (u, SIP_PASSWORD, u, SIP_PASSWORD))
    for f in files:
        f.close()
    return [(n + k - 1 - j) // k for j in range(k)]   # phones per file, in order


def sipp(d, tag, target, port, scenario, calls, extra):
    cmd = [shutil.which("sipp"), target, "-sf", scenario, "-i", "127.0.0.1", "-p", str(port),
           "-t", "u1", "-m", str(calls), "-nostdin", "-buff_size", str(4 << 20),
           "-trace_stat", "-stf", os.path.join(d, tag + ".stat"), "-fd", "1",
           "-trace_err", "-error_file", os.path.join(d, tag + ".err")] + extra
    p = subprocess.Popen(cmd, cwd=d, stdout=open(os.path.join(d, tag + ".out"), "wb"),
                         stderr=subprocess.STDOUT, start_new_session=True)
    CLEAN.procs.append(p)
    return p


def storm(d, name, target, ports, counts, concurrent, cpu_of, timeout):
    """K SIPp instances, C registrations at once in all: (seconds,
    successful, failed, retransmissions, server CPU seconds)."""
    k = len(ports)
    procs = []
    cpu0 = cpu_of()
    t0 = time.time()
    for j in range(k):
        lim = concurrent // k + (1 if j < concurrent % k else 0)
        procs.append(sipp(d, "%s-reg%d" % (name, j), target, ports[j], REGISTER_XML, counts[j],
                          ["-inf", "phones%d.csv" % j, "-l", str(lim), "-r", "100000",
                           "-recv_timeout", "32000", "-timeout", "%ds" % timeout]))
    for p in procs:
        try:
            p.wait(timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    secs = time.time() - t0
    cpu = cpu_of() - cpu0
    ok = failed = retrans = 0
    for j in range(k):
        st = run.sipp_stats(os.path.join(d, "%s-reg%d.stat" % (name, j)))
        ok += run.stat_int(st, "SuccessfulCall(C)")
        failed += run.stat_int(st, "FailedCall(C)")
        retrans += run.stat_int(st, "Retransmissions(C)")
    return dict(secs=secs, ok=ok, failed=failed, retrans=retrans, cpu=cpu,
                rate=ok / secs if secs > 0 else 0.0, load=os.getloadavg()[0])


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


def apply_all(d, url, http_port, sip_target, ports, counts, n, wait):
    """SIPp answers NOTIFYs on the phones' ports; one apply to every phone."""
    procs = [sipp(d, "ntf%d" % j, sip_target, ports[j], NOTIFY_XML, counts[j],
                  ["-timeout", "%ds" % (wait + 60)]) for j in range(len(ports))]
    time.sleep(1.0)
    status, body, _ = soap(http_port, "getPhoneSecurityProfile", "<name>%s</name>" % PROFILE)
    if status != 200:
        raise SystemExit("bench: getPhoneSecurityProfile: HTTP %d %s" % (status, body[:300]))
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
    while True:
        row = db.query(q).split("|")
        # Every phone queued (the call answers before) and none pending.
        if (row[7] == "t" and not int(row[2])) or time.time() - t_send > wait:
            break
        time.sleep(0.2)
    db.close()
    r.update(targeted=int(row[0]), delivered=int(row[1]), pending=int(row[2]),
             failed=int(row[3]), unreachable=int(row[4]))
    created, last = float(row[5] or 0), float(row[6] or 0)
    r["to_last"] = last - t_send if last else None
    r["rate"] = r["delivered"] / (last - created) if last > created else 0.0
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait()
    return r


def axlprov_side(args, d, env):
    url = start_pg("pg-axlprov", env)
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
    ports = [run.free_udp_port() for _ in range(args.instances)]
    counts = write_phones(d, args.phones, args.instances)
    target = "127.0.0.1:%d" % sip_port
    log("axlprovd: storm of %d registrations, %d SIPp instances, %d at once"
        % (args.phones, args.instances, args.concurrent))
    s = storm(d, "axl", target, ports, counts, args.concurrent, lambda: run.proc_cpu(srv.pid),
              args.timeout)
    s["bound"] = int(psql(url, "SELECT count(*) FROM sip_registration WHERE expires_at > now()"))
    s["rss_mb"] = run.status_kb(srv.pid, "VmRSS") / 1024
    log("axlprovd: %(ok)d registered (%(failed)d failed, %(bound)d bindings) in %(secs).1fs, "
        "%(rate).0f/s" % s)
    log("axlprovd: apply to all %d phones" % args.phones)
    a = apply_all(d, url, http_port, target, ports, counts, args.phones, args.apply_wait)
    a["rss_mb"] = run.status_kb(srv.pid, "VmRSS") / 1024
    # nta keeps each finished UDP transaction (request and answer) for
    # 64*T1, 32 s: what stays once the storm's and the apply's are gone.
    time.sleep(40)
    a["rss_later_mb"] = run.status_kb(srv.pid, "VmRSS") / 1024
    log("axlprovd: apply HTTP %d in %.0f ms; %d targeted, %d delivered, %d failed, %d pending; "
        "last 200 OK %s after the call; %.0f NOTIFYs/s"
        % (a["soap_status"], a["soap_ms"], a["targeted"], a["delivered"], a["failed"],
           a["pending"], "%.1fs" % a["to_last"] if a["to_last"] is not None else "never",
           a["rate"]))
    return s, a


def kamailio_side(args, d, env):
    kam = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not os.path.exists(kam):
        raise SystemExit("bench: kamailio is not installed (make deps)")
    url = start_pg("pg-kamailio", env)
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
    sip_port = run.free_udp_port()
    kenv = dict(os.environ, PGHOST=host, PGPORT=port)
    k = subprocess.Popen([kam, "-f", KAMAILIO_CFG, "-l", "udp:127.0.0.1:%d" % sip_port, "-n", "8",
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
    s = storm(d, "kam", "127.0.0.1:%d" % sip_port, ports, counts, args.concurrent,
              lambda: sum(run.proc_cpu(p) for p in [k.pid] + run.children_of(k.pid)), args.timeout)
    s["bound"] = int(psql(kurl, "SELECT count(*) FROM location"))
    s["rss_mb"] = sum(run.status_kb(p, "VmRSS") for p in [k.pid] + run.children_of(k.pid)) / 1024
    log("kamailio: %(ok)d registered (%(failed)d failed, %(bound)d bindings) in %(secs).1fs, "
        "%(rate).0f/s" % s)
    k.send_signal(signal.SIGTERM)
    k.wait(timeout=30)
    return s


def report(args, s, a, k):
    ratio = (lambda x, y: "%.2f" % (x / y) if y else "-")
    lines = [
        "axlprov cluster bench %s: %d phones, %d SIPp instances (UDP, digest), %d registering "
        "at once" % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), args.phones,
                     args.instances, args.concurrent),
        "machine: %d CPUs; load average at the start %.2f %.2f %.2f, at the end %.2f %.2f %.2f"
        % ((os.cpu_count(),) + run.LOAD_START + os.getloadavg()),
        "",
        "%-34s %12s %12s %8s" % ("registration storm", "axlprovd", "kamailio", "ratio"),
        "%-34s %12.0f %12s %8s" % ("registrations/s", s["rate"], "%.0f" % k["rate"] if k else "-",
                                   ratio(s["rate"], k["rate"]) if k else "-"),
        "%-34s %12.1f %12s %8s" % ("time to all registered (s)", s["secs"],
                                   "%.1f" % k["secs"] if k else "-",
                                   ratio(k["secs"], s["secs"]) if k else "-"),
        "%-34s %12d %12s" % ("registered (SIPp)", s["ok"], k["ok"] if k else "-"),
        "%-34s %12d %12s" % ("failed (SIPp)", s["failed"], k["failed"] if k else "-"),
        "%-34s %12d %12s" % ("bindings in the database", s["bound"], k["bound"] if k else "-"),
        "%-34s %12d %12s" % ("retransmissions (SIPp)", s["retrans"], k["retrans"] if k else "-"),
        "%-34s %12.0f %12s" % ("server CPU per registration (us)", s["cpu"] / max(1, s["ok"]) * 1e6,
                               "%.0f" % (k["cpu"] / max(1, k["ok"]) * 1e6) if k else "-"),
        "%-34s %12.0f %12s" % ("RSS with all bindings (MB)", s["rss_mb"],
                               "%.0f" % k["rss_mb"] if k else "-"),
        "%-34s %12.2f %12s" % ("load average (1 min) at the end", s["load"],
                               "%.2f" % k["load"] if k else "-"),
        "",
        "apply to all %d phones (axlprovd)" % args.phones,
        "  SOAP answer: HTTP %d in %.0f ms" % (a["soap_status"], a["soap_ms"]),
        "  targeted %d, delivered %d, failed %d, unreachable %d, pending %d"
        % (a["targeted"], a["delivered"], a["failed"], a["unreachable"], a["pending"]),
        "  last 200 OK %s after the call; %.0f NOTIFYs/s; RSS after %.0f MB, 40 s later %.0f MB"
        % ("%.1fs" % a["to_last"] if a["to_last"] is not None else "never", a["rate"], a["rss_mb"],
           a["rss_later_mb"]),
    ]
    problems = []
    if a["delivered"] != args.phones:
        problems.append("apply delivered %d of %d" % (a["delivered"], args.phones))
    if s["bound"] != args.phones or s["failed"]:
        problems.append("storm: %d bindings, %d failed" % (s["bound"], s["failed"]))
    lines.append("")
    lines.append("PROBLEMS: " + "; ".join(problems) if problems else "all phones registered and delivered")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, "cluster-%s.txt" % time.strftime("%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        f.write(text)
    log("written to %s" % path)
    return not problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--phones", type=int, default=40000, help="phones (default 40000, at most 99999)")
    ap.add_argument("--instances", type=int, default=4, help="SIPp instances (default 4)")
    ap.add_argument("--concurrent", type=int, default=50, help="registering at once (default 50)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds the storm may take")
    ap.add_argument("--apply-wait", type=int, default=300, help="seconds the apply may take")
    ap.add_argument("--no-kamailio", action="store_true", help="axlprovd only")
    args = ap.parse_args()
    if not 1 <= args.phones <= 99999 or not 1 <= args.instances <= args.concurrent:
        raise SystemExit("bench: --phones 1..99999, --instances 1..--concurrent")
    signal.signal(signal.SIGTERM, run.on_signal)
    d = tempfile.mkdtemp(prefix="axlprov-cluster-", dir="/tmp")
    os.chmod(d, 0o755)
    CLEAN.workdir = d
    env = dict(os.environ)
    env.pop("AXLPROV_PG_FAST", None)       # durability is part of the comparison
    s, a = axlprov_side(args, d, env)
    k = None if args.no_kamailio else kamailio_side(args, d, env)
    return 0 if report(args, s, a, k) else 1


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
