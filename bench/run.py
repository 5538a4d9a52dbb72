#!/usr/bin/python3
"""bench/run.py: `make bench` and `make bench-quick` (see bench/README.md).

Starts a private PostgreSQL (durable: synchronous_commit on), seeds it, starts
axlprovd (plain + TLS listeners) and the bare gSOAP baseline (bench/baseline.c),
then drives both with wrk (bench/axl.lua) and PostgreSQL with pgbench
(bench/pgbench/*.sql), each axlprovd figure measured right next to its limit.
Prints the tables and writes bench/results/<timestamp>.txt and .csv.
Everything it starts is stopped on exit, also on failure or a signal.

  bench/run.py [--quick] [--duration SECONDS] [--workers N]
"""

import argparse
import base64
import csv
import datetime
import glob
import hashlib
import http.client
import os
import platform
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(TOP, "bench")
RESULTS = os.path.join(BENCH, "results")
LUA = os.path.join(BENCH, "axl.lua")
PGB = os.path.join(BENCH, "pgbench")
CLK_TCK = os.sysconf("SC_CLK_TCK")

NPROF = 10000
NPHONES = 100000
USER, PASSWORD = "bench", "Bench-Pass-1"

# What each mode runs.  Connection counts per operation; writes also at 16,
# the count the write targets are stated for.
MODES = {
    "full": dict(duration=5, warmup=1.0,
                 read_conns=[1, 8, 64], list_conns=[1, 8, 64], phone_conns=[1, 8, 64],
                 tls_conns=[1, 8, 64], newconn_conns=8,
                 write_conns=[1, 8, 16, 64],
                 mem=(100000, 1000000), bulk=50000, bulk_cap=90, deadline=600, reserve=25),
    "quick": dict(duration=2, warmup=1,
                  read_conns=[8, 64], list_conns=[8], phone_conns=[8],
                  tls_conns=[8], newconn_conns=8,
                  write_conns=[16],
                  mem=(10000, 100000), bulk=5000, bulk_cap=15, deadline=120, reserve=12),
}

# ---------------------------------------------------------------------------
# process bookkeeping: everything started here is stopped in cleanup()
# ---------------------------------------------------------------------------

class Cleanup:
    def __init__(self):
        self.procs = []          # long-running Popen objects (server, baseline)
        self.current = None      # the running load generator, if any
        self.pg = None           # (pg.sh, data dir, port)
        self.workdir = None
        self.done = False

    def run(self):
        if self.done:
            return
        self.done = True
        if self.current is not None and self.current.poll() is None:
            self.current.kill()
            self.current.wait()
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                rc = p.wait(timeout=15)
                if rc not in (0, -signal.SIGTERM):
                    log("!! %s exited with status %s on SIGTERM" % (os.path.basename(p.args[0]), rc))
            except subprocess.TimeoutExpired:
                log("!! %s did not stop within 15s of SIGTERM; killed" % os.path.basename(p.args[0]))
                p.kill()
                p.wait()
        if self.pg is not None:
            subprocess.run([os.path.join(TOP, "db", "pg.sh"), "stop", self.pg[0], str(self.pg[1])],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


CLEAN = Cleanup()


def on_signal(signum, frame):
    raise SystemExit("bench: stopped by signal %d" % signum)


def log(msg):
    print("[%6.1fs] %s" % (time.time() - T_START, msg), file=sys.stderr, flush=True)


T_START = time.time()
LOAD_START = os.getloadavg()

# ---------------------------------------------------------------------------
# /proc
# ---------------------------------------------------------------------------

def proc_times(pid):
    """(utime+stime, cutime+cstime) of a process in seconds, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    return ((int(f[11]) + int(f[12])) / CLK_TCK, (int(f[13]) + int(f[14])) / CLK_TCK)


def proc_cpu(pid):
    t = proc_times(pid)
    return t[0] if t else 0.0


def children_of(ppid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        if int(s[s.rindex(")") + 2:].split()[1]) == ppid:
            out.append(int(d))
    return out


def pg_cpu(postmaster):
    """CPU seconds of the whole cluster: the postmaster, its live children
    (backends, WAL writer, checkpointer...) and the children it reaped."""
    t = proc_times(postmaster)
    if t is None:
        return 0.0
    total = t[0] + t[1]
    for c in children_of(postmaster):
        total += proc_cpu(c)
    return total


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine so far."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK, sum(v) / CLK_TCK


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Meter:
    """CPU used during a run: by one process, by PostgreSQL, by the load
    generator (reaped children), and by everything else on the machine."""

    def __init__(self, env, pid=None):
        self.env, self.pid = env, pid
        self.c0 = proc_cpu(pid) if pid else 0.0
        self.n0 = len(children_of(env.postmaster))
        self.p0 = pg_cpu(env.postmaster)
        self.g0 = children_cpu()
        self.m0 = machine_cpu()

    def stop(self):
        # Backends of a load generator that just disconnected: let the
        # postmaster reap them first, or their CPU time could be missed.
        end = time.time() + 2
        while len(children_of(self.env.postmaster)) > self.n0 and time.time() < end:
            time.sleep(0.02)
        self.cpu = (proc_cpu(self.pid) - self.c0) if self.pid else 0.0
        self.pg = pg_cpu(self.env.postmaster) - self.p0
        self.gen = children_cpu() - self.g0
        m1 = machine_cpu()
        busy, total = m1[0] - self.m0[0], m1[1] - self.m0[1]
        self.other_pct = max(0.0, busy - self.cpu - self.pg - self.gen) / total * 100 if total > 0 else 0.0
        self.busy_pct = busy / total * 100 if total > 0 else 0.0
        return self


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak(pid):
    """Resets VmHWM to the current RSS (Linux clear_refs 5)."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
    except OSError:
        pass


# ---------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit("bench: process exited early (%s)" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("bench: port %d did not open" % port)


def sh(cmd, **kw):
    kw.setdefault("check", True)
    kw.setdefault("timeout", 300)
    return subprocess.run(cmd, **kw)


def psql(url, sql):
    return sh(["psql", url, "-AtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
              capture_output=True, text=True).stdout.strip()


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(d.split("/")[4]) if d.split("/")[4].isdigit() else 0)
    return dirs[-1] if dirs else None


class Env:
    """The private cluster, axlprovd and the baseline."""

    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="axlprov-bench-", dir="/tmp")
        os.chmod(self.dir, 0o755)      # PostgreSQL runs as postgres when we are root
        CLEAN.workdir = self.dir
        # Private copies: a rebuild during the run does not touch them.
        self.server_bin = os.path.join(self.dir, "axlprovd")
        self.baseline_bin = os.path.join(self.dir, "baseline")
        shutil.copy2(os.path.join(TOP, "build", "axlprovd"), self.server_bin)
        shutil.copy2(os.path.join(TOP, "build", "bench", "baseline"), self.baseline_bin)

        env = dict(os.environ)
        env.pop("AXLPROV_PG_FAST", None)          # durability is part of what we measure
        self.pg_port = free_port()
        log("PostgreSQL: starting a private cluster in %s" % self.dir)
        CLEAN.pg = (self.dir, self.pg_port)          # also stopped if the start fails half-way
        sh([os.path.join(TOP, "db", "pg.sh"), "start", self.dir, str(self.pg_port)], env=env)
        self.url = sh([os.path.join(TOP, "db", "pg.sh"), "url", self.dir, str(self.pg_port)],
                      capture_output=True, text=True, env=env).stdout.strip()
        sh([os.path.join(TOP, "db", "migrate.sh"), self.url], capture_output=True)
        for k in ("fsync", "synchronous_commit"):
            v = psql(self.url, "SHOW %s" % k)
            if v != "on":
                raise SystemExit("bench: PostgreSQL %s is %s, must be on" % (k, v))
        self.pg_version = psql(self.url, "SHOW server_version")
        self.postmaster = self.find_postmaster()
        log("seeding %d profiles and %d phones" % (NPROF, NPHONES))
        t = time.time()
        sh(["psql", self.url, "-qX", "-v", "ON_ERROR_STOP=1", "-v", "nprof=%d" % NPROF,
            "-v", "nphones=%d" % NPHONES, "-f", os.path.join(BENCH, "seed.sql")],
           stdout=subprocess.DEVNULL)
        log("seeded in %.1fs" % (time.time() - t))
        self.std_profile = psql(self.url, "SELECT pkid FROM phone_security_profile "
                                "WHERE name = 'Cisco 8845 - Standard SIP Non-Secure Profile'")

        self.pem = os.path.join(self.dir, "server.pem")
        sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", self.pem, "-out", self.pem], capture_output=True)

        senv = dict(os.environ, AXLPROV_DATABASE_URL=self.url, AXLPROV_PASSWORD=PASSWORD)
        senv.pop("AXLPROV_CONFIG", None)
        sh([self.server_bin, "user", "set", USER, "--role", "full"], env=senv, capture_output=True)
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()

        self.port, self.tls_port = free_port(), free_port()
        self.server_log = os.path.join(self.dir, "axlprovd.log")
        cmd = [self.server_bin, "--listen", "127.0.0.1:%d" % self.tls_port,
               "--plain-listen", "127.0.0.1:%d" % self.port, "--tls-cert", self.pem,
               "--database-url", self.url]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        self.server = subprocess.Popen(cmd, env=senv, stdout=open(self.server_log, "ab"),
                                       stderr=subprocess.STDOUT, start_new_session=True)
        CLEAN.procs.append(self.server)
        wait_port(self.port, self.server)
        wait_port(self.tls_port, self.server)

        self.bport, self.btls_port = free_port(), free_port()
        self.baseline_workers = 72
        self.baseline_log = os.path.join(self.dir, "baseline.log")
        self.baseline = subprocess.Popen(
            [self.baseline_bin, "--database-url", self.url, "--port", str(self.bport),
             "--tls-port", str(self.btls_port), "--tls-cert", self.pem,
             "--workers", str(self.baseline_workers)],
            stdout=open(self.baseline_log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        CLEAN.procs.append(self.baseline)
        wait_port(self.bport, self.baseline)
        wait_port(self.btls_port, self.baseline)
        self.sanity()

    def find_postmaster(self):
        """The postmaster's pid, from the cluster folder db/pg.sh chose."""
        key = hashlib.sha1(os.path.realpath(self.dir).encode()).hexdigest()[:12]
        for d in (os.path.join(self.dir, "pg"), "/var/tmp/axlprov-pg-" + key):
            try:
                with open(os.path.join(d, "cluster", "postmaster.pid")) as f:
                    return int(f.readline())
            except (OSError, ValueError):
                continue
        raise SystemExit("bench: cannot find the postmaster of the private cluster")

    def url_of(self, target, tls):
        if target == "axlprovd":
            return "%s://127.0.0.1:%d/axl/" % ("https" if tls else "http",
                                               self.tls_port if tls else self.port)
        return "%s://127.0.0.1:%d/axl/" % ("https" if tls else "http",
                                           self.btls_port if tls else self.bport)

    def pid_of(self, target):
        return self.server.pid if target == "axlprovd" else self.baseline.pid

    def soap(self, port, op, inner, tls=False):
        body = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:ns="http://www.cisco.com/AXL/API/14.0"><soapenv:Header/><soapenv:Body>'
                '<ns:%s>%s</ns:%s></soapenv:Body></soapenv:Envelope>' % (op, inner, op))
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/axl/", body=body.encode(),
                  headers={"Content-Type": "text/xml; charset=utf-8", "Authorization": self.auth,
                           "SOAPAction": '"CUCM:DB ver=14.0 %s"' % op})
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        c.close()
        return r.status, data

    def sanity(self):
        """One request of each kind, so that a broken server stops the run
        here with its answer instead of as a table of errors."""
        checks = [
            (self.port, False, "getPhoneSecurityProfile", "<name>BenchProfile-00042</name>", "BenchProfile-00042"),
            (self.tls_port, True, "getPhoneSecurityProfile", "<name>BenchProfile-00043</name>", "BenchProfile-00043"),
            (self.port, False, "listPhoneSecurityProfile",
             "<searchCriteria><name>BenchProfile-012%</name></searchCriteria><returnedTags><name/></returnedTags>"
             "<first>100</first>", "BenchProfile-01299"),
            (self.port, False, "getPhone", "<name>SEP00000000002A</name>", "SEP00000000002A"),
            (self.port, False, "updatePhone", "<name>SEP00000000002A</name><description>sanity</description>", "<return>"),
            (self.port, False, "updatePhoneSecurityProfile",
             "<name>BenchProfile-00042</name><description>sanity</description>", "<return>"),
            (self.port, False, "addPhoneSecurityProfile",
             "<phoneSecurityProfile><phoneType>Cisco 8845</phoneType><protocol>SIP</protocol>"
             "<name>bench-sanity</name></phoneSecurityProfile>", "<return>"),
            (self.port, False, "addPhone", "<phone><name>SEPBE0000000001</name><product>Cisco 8845</product>"
             "<protocol>SIP</protocol></phone>", "<return>"),
            (self.bport, False, "getPhoneSecurityProfile", "<name>BenchProfile-00044</name>", "BenchProfile-00044"),
            (self.btls_port, True, "getPhoneSecurityProfile", "<name>BenchProfile-00045</name>", "BenchProfile-00045"),
        ]
        for port, tls, op, inner, expect in checks:
            status, body = self.soap(port, op, inner, tls)
            if status != 200 or expect not in body:
                raise SystemExit("bench: sanity check %s on port %d failed: HTTP %d\n%s"
                                 % (op, port, status, body[:2000]))
        log("sanity checks passed (axlprovd and baseline answer every operation used)")


# ---------------------------------------------------------------------------
# load generators
# ---------------------------------------------------------------------------

RUN_NO = [0]
RUN_TAG = "%04X" % (os.getpid() & 0xFFFF)


def run_load(cmd, timeout, cwd=None):
    # Its own session, as the servers have theirs: with autogroup scheduling
    # (kernel.sched_autogroup_enabled), a load generator sharing the server's
    # session competes inside one CPU share with it and gives tails of seconds.
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                         start_new_session=True)
    CLEAN.current = p
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise SystemExit("bench: %s did not finish within %ss" % (cmd[0], timeout))
    finally:
        CLEAN.current = None
    if p.returncode != 0:
        raise SystemExit("bench: %s failed (%d):\n%s\n%s" % (" ".join(cmd), p.returncode, out, err))
    return out, err


def wrk(env, target, op, conns, duration, tls=False, close=False, limit=0, rss_at=0, threads=None):
    """One wrk run; returns a result dict with server and PostgreSQL CPU."""
    RUN_NO[0] += 1
    prefix = "B%s%03d" % (RUN_TAG, RUN_NO[0])
    hexpfx = "%02X%02X" % (os.getpid() & 0xFF, RUN_NO[0] & 0xFF)
    pid = env.pid_of(target)
    if threads is None:
        threads = 1 if conns == 1 or limit else 2
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % max(1, int(round(duration))),
           "--timeout", "10s", "-s", LUA, "-H", "Authorization: " + env.auth]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd += [env.url_of(target, tls), "--", op, prefix, "nprof=%d" % NPROF, "nphones=%d" % NPHONES,
            "hex=" + hexpfx]
    if limit:
        cmd += ["limit=%d" % limit, "pid=%d" % pid, "rss_at=%d" % rss_at]
    reset_peak(pid)
    meter, t0 = Meter(env, pid), time.time()
    out, _ = run_load(cmd, timeout=duration + 60)
    wall = time.time() - t0
    meter.stop()
    m = re.search(r"^BENCH (.*)$", out, re.M)
    if not m:
        raise SystemExit("bench: no BENCH line from wrk:\n" + out)
    v = {k: float(x) for k, x in (kv.split("=") for kv in m.group(1).split())}
    bad = re.search(r"^BENCH_FIRST_BAD (.*)$", out, re.M)
    if limit and not v.get("rss_end_kb"):
        v["rss_end_kb"] = status_kb(pid, "VmRSS")      # the limit was not reached in time
    n = v["requests"]
    secs = v["duration_us"] / 1e6
    errors = int(v["status"] + v["connect"] + v["read"] + v["write"] + v["timeout"])
    if limit:
        # responses already in flight when the limit was reached still arrive
        n = min(v["counted"], limit) if v["elapsed"] else v["counted"]
        secs = v["elapsed"] or secs
        errors = int(v["counted_bad"] + v["connect"] + v["write"] + v["timeout"])
    r = dict(target=target, op=op, tls=tls, close=close, conns=conns, requests=int(n), secs=secs,
             rps=n / secs if secs > 0 else 0,
             p50=v["p50"] / 1e3, p99=v["p99"] / 1e3, p999=v["p999"] / 1e3, max=v["max"] / 1e3,
             cpu_us=meter.cpu / n * 1e6 if n else 0, pg_us=meter.pg / n * 1e6 if n else 0,
             gen_us=meter.gen / n * 1e6 if n else 0, other_pct=meter.other_pct, busy_pct=meter.busy_pct,
             rss_mb=status_kb(pid, "VmHWM") / 1024, errors=errors,
             status_errors=int(v["status"] if not limit else v["counted_bad"]),
             socket_errors=int(v["connect"] + v["read"] + v["write"]), timeouts=int(v["timeout"]),
             rss_mid_kb=int(v.get("rss_mid_kb", 0)), rss_end_kb=int(v.get("rss_end_kb", 0)),
             first_bad=bad.group(1) if bad else "", wall=wall)
    if errors and not close:
        log("  !! %s %s c=%d: %d errors (status %d, socket %d, timeouts %d) %s"
            % (target, op, conns, errors, r["status_errors"], r["socket_errors"], r["timeouts"],
               r["first_bad"][:200]))
    return r


PGBENCH_SCRIPTS = {
    "insert_profile": "insert_profile.sql",
    "update_profile": "update_profile.sql",
    "update_phone": "update_phone.sql",
    "insert_phone": "insert_phone.sql",
}


def pgbench(env, script, clients, duration=None, transactions=None):
    RUN_NO[0] += 1
    logdir = os.path.join(env.dir, "pgb%03d" % RUN_NO[0])
    os.makedirs(logdir)
    cmd = [os.path.join(pg_bindir(), "pgbench"), "-n", "-M", "prepared",
           "-c", str(clients), "-j", str(min(clients, 2)),
           "-f", os.path.join(PGB, PGBENCH_SCRIPTS[script]),
           "-D", "nprof=%d" % NPROF, "-D", "nphones=%d" % NPHONES,
           "-D", "run=p%s%03d" % (RUN_TAG, RUN_NO[0]), "-D", "profile=%s" % env.std_profile,
           "-l", "--log-prefix", os.path.join(logdir, "log")]
    if transactions:
        cmd += ["-t", str(max(1, transactions // clients))]
    else:
        cmd += ["-T", str(max(1, int(round(duration))))]
    cmd.append(env.url)
    meter, t0 = Meter(env), time.time()
    out, err = run_load(cmd, timeout=(duration or 300) + 60)
    wall = time.time() - t0
    meter.stop()
    text = out + err
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", text).group(1))
    n = int(re.search(r"number of transactions actually processed: (\d+)", text).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", text)
    lat = []
    for path in glob.glob(os.path.join(logdir, "log*")):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]))
    shutil.rmtree(logdir, ignore_errors=True)
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(len(lat) * p / 100))] / 1e3 if lat else 0

    return dict(target="pgbench", op=script, tls=False, close=False, conns=clients, requests=n,
                secs=n / tps if tps else 0, rps=tps, p50=pct(50), p99=pct(99), p999=pct(99.9),
                max=lat[-1] / 1e3 if lat else 0, cpu_us=0.0, pg_us=meter.pg / n * 1e6 if n else 0,
                gen_us=meter.gen / n * 1e6 if n else 0, other_pct=meter.other_pct, busy_pct=meter.busy_pct,
                rss_mb=0.0, errors=int(failed.group(1)) if failed else 0, status_errors=0,
                socket_errors=0, timeouts=0, rss_mid_kb=0, rss_end_kb=0, first_bad="", wall=wall)


# ---------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------

OP_NAMES = {
    "getProfile": "getPhoneSecurityProfile",
    "listProfile": "listPhoneSecurityProfile first=100",
    "addProfile": "addPhoneSecurityProfile",
    "updateProfile": "updatePhoneSecurityProfile",
    "getPhone": "getPhone",
    "updatePhone": "updatePhone",
    "addPhone": "addPhone",
    "mixed": "mixed (memory check)",
}
LIMIT_NAMES = {
    ("baseline", False, False): "gSOAP+SELECT",
    ("baseline", True, False): "gSOAP+SELECT TLS",
    ("baseline", True, True): "gSOAP TLS new conn",
    ("pgbench", "insert_profile"): "pgbench INSERT",
    ("pgbench", "update_profile"): "pgbench UPDATE",
    ("pgbench", "update_phone"): "pgbench UPDATE phone",
    ("pgbench", "insert_phone"): "pgbench INSERT phone",
}


def limit_name(lim):
    if lim["target"] == "pgbench":
        return LIMIT_NAMES[("pgbench", lim["op"])]
    return LIMIT_NAMES[("baseline", lim["tls"], lim["close"])]


def transport(r):
    if r["close"]:
        return "https new" if r["tls"] else "http new"
    return "https" if r["tls"] else "http"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="bench-quick: shorter runs, fewer points")
    ap.add_argument("--duration", type=float, help="seconds per measured run")
    ap.add_argument("--workers", type=int, help="axlprovd --workers (default: the server's)")
    args = ap.parse_args()
    mode = MODES["quick" if args.quick else "full"]
    dur = args.duration or mode["duration"]
    warm = mode["warmup"]
    for tool in ("wrk", "psql", "openssl"):
        if shutil.which(tool) is None:
            raise SystemExit("bench: %s is missing (apt-get install %s)"
                             % (tool, {"psql": "postgresql-client"}.get(tool, tool)))
    if pg_bindir() is None or not os.access(os.path.join(pg_bindir(), "pgbench"), os.X_OK):
        raise SystemExit("bench: pgbench is missing (apt-get install postgresql)")
    for f in (os.path.join(TOP, "build", "axlprovd"), os.path.join(TOP, "build", "bench", "baseline")):
        if not os.access(f, os.X_OK):
            raise SystemExit("bench: %s is missing: run it through make (make bench)" % f)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log("mode %s: %gs per run; deadline %ds" % ("quick" if args.quick else "full", dur, mode["deadline"]))
    env = Env(args)
    rows = []        # (axlprovd result, limit result or None)
    limits = []

    def pair(lim, *measure):
        if lim is not None:
            limits.append(lim)
        for m in measure:
            rows.append((m, lim))

    # warm-up: caches, the login cache, prepared statements on every worker
    log("warming up")
    wrk(env, "axlprovd", "mixed", 64, warm * 2)
    wrk(env, "axlprovd", "mixed", 16, warm, tls=True)
    wrk(env, "baseline", "getProfile", 64, warm)
    wrk(env, "baseline", "getProfile", 16, warm, tls=True)

    # reads over plain HTTP, each beside the baseline at the same connection count
    conns_all = sorted(set(mode["read_conns"] + mode["list_conns"] + mode["phone_conns"]))
    for c in conns_all:
        log("reads, %d connection(s)" % c)
        base = wrk(env, "baseline", "getProfile", c, dur)
        ms = []
        if c in mode["read_conns"]:
            ms.append(wrk(env, "axlprovd", "getProfile", c, dur))
        if c in mode["list_conns"]:
            ms.append(wrk(env, "axlprovd", "listProfile", c, dur))
        if c in mode["phone_conns"]:
            ms.append(wrk(env, "axlprovd", "getPhone", c, dur))
        pair(base, *ms)

    # TLS keep-alive, and new TLS connections per second
    plain_get = {m["conns"]: m for m, _ in rows if m["op"] == "getProfile" and not m["tls"]}
    tls_rows = []
    for c in mode["tls_conns"]:
        log("TLS keep-alive, %d connection(s)" % c)
        base = wrk(env, "baseline", "getProfile", c, dur, tls=True)
        m = wrk(env, "axlprovd", "getProfile", c, dur, tls=True)
        pair(base, m)
        tls_rows.append(m)
    c = mode["newconn_conns"]
    log("new TLS connection per request, %d connections" % c)
    base = wrk(env, "baseline", "getProfile", c, dur, tls=True, close=True)
    m = wrk(env, "axlprovd", "getProfile", c, dur, tls=True, close=True)
    pair(base, m)

    # writes, each beside pgbench doing the same single-row statement
    for c in mode["write_conns"]:
        log("writes, %d connection(s)" % c)
        pair(pgbench(env, "insert_profile", c, dur), wrk(env, "axlprovd", "addProfile", c, dur))
        pair(pgbench(env, "update_profile", c, dur), wrk(env, "axlprovd", "updateProfile", c, dur))
        pair(pgbench(env, "update_phone", c, dur), wrk(env, "axlprovd", "updatePhone", c, dur))

    # bulk: N addPhone over 16 connections against N single-row INSERTs at 16 clients
    n = mode["bulk"]
    log("bulk: %d addPhone over 16 connections, and pgbench" % n)
    bulk_pg = pgbench(env, "insert_phone", 16, transactions=n)
    bulk_axl = wrk(env, "axlprovd", "addPhone", 16, mode["bulk_cap"], limit=n)

    # memory: RSS after the first N1 mixed requests and after N2
    # (last, so that it may use what is left of the time budget, and never more)
    n1, n2 = mode["mem"]
    cap = max(20, mode["deadline"] - (time.time() - T_START) - mode["reserve"])
    log("memory: %d mixed requests over 16 connections, RSS at %d and at the end (at most %.0fs)"
        % (n2, n1, cap))
    mem = wrk(env, "axlprovd", "mixed", 16, cap, limit=n2, rss_at=n1)

    report(env, stamp, args, mode, dur, rows, limits, plain_get, tls_rows, bulk_pg, bulk_axl, mem, n1, n2)


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def autogroup():
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
            return "on" if f.read().strip() == "1" else "off"
    except OSError:
        return "n/a"


def fmt(x, nd=1):
    if x is None or x == "":
        return "-"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000 and nd <= 1:
        return "%.0f" % x
    return ("%." + str(nd) + "f") % x


def table(headers, rows, align):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    out = []

    def line(cells):
        return "  ".join(c.rjust(w) if a == "r" else c.ljust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()

    out.append(line(headers))
    out.append(line(["-" * w for w in widths]))
    for r in rows:
        out.append(line(r))
    return "\n".join(out)


TARGETS = {
    # op -> (conns it applies to, minimum ratio)
    "getProfile": ({8, 64}, 0.8),
    "listProfile": ({8, 64}, 0.5),
    "addProfile": ({16}, 0.6),
    "updateProfile": ({16}, 0.6),
}


def target_of(m):
    if m["tls"] or m["close"]:
        return None
    t = TARGETS.get(m["op"])
    if t is None:
        return None
    conns, minimum = t
    if conns is not None and m["conns"] not in conns:
        return None
    return minimum


def report(env, stamp, args, mode, dur, rows, limits, plain_get, tls_rows, bulk_pg, bulk_axl, mem, n1, n2):
    os.makedirs(RESULTS, exist_ok=True)
    try:
        commit = subprocess.run(["git", "-C", TOP, "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    cpu_model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu_model = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except (OSError, AttributeError):
        pass
    workers = args.workers or "default"
    head = [
        "axlprov benchmark %s (%s mode), tree %s" % (stamp, "quick" if args.quick else "full", commit),
        "machine: %d cores (%s), %s %s; PostgreSQL %s, synchronous_commit on, fsync on"
        % (os.cpu_count(), cpu_model, platform.system(), platform.release(), env.pg_version),
        "data: %d profiles, %d phones; runs of %gs; wrk keep-alive unless 'new'; axlprovd workers %s;"
        " baseline workers %d" % (NPROF, NPHONES, dur, workers, env.baseline_workers),
        "load generator, servers and PostgreSQL share the cores: compare ratios within this run."
        " load average %.1f at start, %.1f at end; autogroup scheduling %s (each process in its own session)"
        % (LOAD_START[0], os.getloadavg()[0], autogroup()),
        "other% = CPU used by processes outside the benchmark during the run, in % of the machine",
    ]

    out = ["\n".join(head), ""]
    out.append("axlprovd, each figure beside its limit measured in the same run "
               "(ratio = axlprovd req/s / limit; p99x = axlprovd p99 / limit p99)")
    hdr = ["operation", "transport", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "cpu us/req",
           "pg us/req", "rss MB", "errors", "other%", "limit", "lim req/s", "lim p99", "ratio", "p99x", "target"]
    align = ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l", "r", "r", "r", "r", "l"]
    trows, csv_rows = [], []
    verdicts = []
    for m, lim in rows:
        ratio = m["rps"] / lim["rps"] if lim and lim["rps"] else None
        p99x = m["p99"] / lim["p99"] if lim and lim["p99"] else None
        tmin = target_of(m)
        tgt = ""
        if tmin is not None and ratio is not None:
            ok = ratio >= tmin
            tgt = ">=%.1f %s" % (tmin, "ok" if ok else "MISS")
            verdicts.append(("%s %s c=%d: ratio %.2f (target >= %.1f)"
                             % (OP_NAMES[m["op"]], transport(m), m["conns"], ratio, tmin), ok))
        if m["op"] == "getProfile" and not m["tls"] and m["conns"] == 64 and p99x is not None:
            ok = p99x <= 2.0
            tgt = (tgt + "; " if tgt else "") + "p99<=2x %s" % ("ok" if ok else "MISS")
            verdicts.append(("getPhoneSecurityProfile http c=64: p99 %.2f ms vs baseline %.2f ms = %.2fx "
                             "(target <= 2x)" % (m["p99"], lim["p99"], p99x), ok))
        if m["tls"] and not m["close"] and m["conns"] in plain_get:
            pr = m["rps"] / plain_get[m["conns"]]["rps"] if plain_get[m["conns"]]["rps"] else 0
            ok = pr >= 0.8
            tgt = "tls/plain %.2f %s" % (pr, "ok" if ok else "MISS")
            verdicts.append(("getPhoneSecurityProfile https c=%d: %.0f req/s vs plain %.0f = %.2f "
                             "(target >= 0.8)" % (m["conns"], m["rps"], plain_get[m["conns"]]["rps"], pr), ok))
        if m["close"]:
            tgt = "%.0f new TLS conn/s" % m["rps"]
        trows.append([OP_NAMES[m["op"]], transport(m), str(m["conns"]), fmt(m["rps"], 0), fmt(m["p50"], 2),
                      fmt(m["p99"], 2), fmt(m["p999"], 2), fmt(m["cpu_us"], 0), fmt(m["pg_us"], 0),
                      fmt(m["rss_mb"], 1), str(m["errors"]), fmt(m["other_pct"], 0),
                      limit_name(lim) if lim else "-", fmt(lim["rps"], 0) if lim else "-",
                      fmt(lim["p99"], 2) if lim else "-",
                      fmt(ratio, 2), fmt(p99x, 2), tgt])
        csv_rows.append(dict(kind="axlprovd", operation=m["op"], transport=transport(m), conns=m["conns"],
                             requests=m["requests"], seconds="%.3f" % m["secs"], req_per_s="%.1f" % m["rps"],
                             p50_ms="%.3f" % m["p50"], p99_ms="%.3f" % m["p99"], p999_ms="%.3f" % m["p999"],
                             max_ms="%.3f" % m["max"], cpu_us_per_req="%.1f" % m["cpu_us"],
                             pg_cpu_us_per_req="%.1f" % m["pg_us"], loadgen_cpu_us_per_req="%.1f" % m["gen_us"],
                             other_cpu_pct="%.1f" % m["other_pct"], peak_rss_mb="%.1f" % m["rss_mb"],
                             errors=m["errors"], limit=limit_name(lim) if lim else "",
                             limit_req_per_s="%.1f" % lim["rps"] if lim else "",
                             limit_p99_ms="%.3f" % lim["p99"] if lim else "",
                             ratio="%.3f" % ratio if ratio is not None else "",
                             p99_ratio="%.3f" % p99x if p99x is not None else "", target=tgt))
    out.append(table(hdr, trows, align))
    out.append("")

    out.append("limits (the same runs, in full)")
    lhdr = ["limit", "transport", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "cpu us/req",
            "pg us/req", "rss MB", "errors", "other%"]
    lrows = []
    for lim in limits + [bulk_pg]:
        lrows.append([limit_name(lim), transport(lim) if lim["target"] != "pgbench" else "libpq",
                      str(lim["conns"]), fmt(lim["rps"], 0), fmt(lim["p50"], 2), fmt(lim["p99"], 2),
                      fmt(lim["p999"], 2), fmt(lim["cpu_us"], 0) if lim["target"] != "pgbench" else "-",
                      fmt(lim["pg_us"], 0), fmt(lim["rss_mb"], 1) if lim["target"] != "pgbench" else "-",
                      str(lim["errors"]), fmt(lim["other_pct"], 0)])
        csv_rows.append(dict(kind="limit", operation=limit_name(lim), transport=transport(lim),
                             conns=lim["conns"], requests=lim["requests"], seconds="%.3f" % lim["secs"],
                             req_per_s="%.1f" % lim["rps"], p50_ms="%.3f" % lim["p50"],
                             p99_ms="%.3f" % lim["p99"], p999_ms="%.3f" % lim["p999"],
                             max_ms="%.3f" % lim["max"], cpu_us_per_req="%.1f" % lim["cpu_us"],
                             pg_cpu_us_per_req="%.1f" % lim["pg_us"], loadgen_cpu_us_per_req="%.1f" % lim["gen_us"],
                             other_cpu_pct="%.1f" % lim["other_pct"], peak_rss_mb="%.1f" % lim["rss_mb"],
                             errors=lim["errors"]))
    out.append(table(lhdr, lrows, ["l", "l"] + ["r"] * 10))
    out.append("")

    # bulk and memory
    nb = mode["bulk"]
    done_all = bulk_axl["requests"] >= nb
    # not finished within its time cap: the time the whole job would take at the rate seen
    bulk_secs = bulk_axl["secs"] if done_all else bulk_axl["secs"] * nb / max(1, bulk_axl["requests"])
    pg_secs = nb / bulk_pg["rps"] if bulk_pg["rps"] else 0    # pgbench -t rounds per client
    ratio_bulk = bulk_secs / pg_secs if pg_secs else None
    ok_bulk = ratio_bulk is not None and ratio_bulk <= 2.0 and bulk_axl["errors"] == 0 and done_all
    verdicts.append(("bulk: %d addPhone over 16 connections in %s%.2fs vs pgbench %.2fs for %d INSERTs = %.2fx "
                     "(target <= 2x)%s"
                     % (nb, "" if done_all else "~", bulk_secs, pg_secs, nb,
                        ratio_bulk or 0, "" if done_all else " (only %d done within %ds; time extrapolated)"
                        % (bulk_axl["requests"], mode["bulk_cap"])), ok_bulk))
    growth = ((mem["rss_end_kb"] - mem["rss_mid_kb"]) / mem["rss_mid_kb"] * 100) if mem["rss_mid_kb"] else None
    ok_mem = growth is not None and abs(growth) <= 5.0 and mem["requests"] >= n2
    short = "" if mem["requests"] >= n2 else " (only %d requests within the time budget)" % mem["requests"]
    verdicts.append(("memory: RSS %.1f MB after %d mixed requests, %.1f MB after %d = %+.1f%% (target within 5%%)%s"
                     % (mem["rss_mid_kb"] / 1024, n1, mem["rss_end_kb"] / 1024, mem["requests"], growth or 0,
                        short), ok_mem))
    out.append("bulk and memory checks")
    bhdr = ["check", "requests", "seconds", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "cpu us/req",
            "pg us/req", "errors", "result"]
    brows = [
        ["addPhone, 16 conns", str(bulk_axl["requests"]), fmt(bulk_axl["secs"], 2), fmt(bulk_axl["rps"], 0),
         fmt(bulk_axl["p50"], 2), fmt(bulk_axl["p99"], 2), fmt(bulk_axl["p999"], 2), fmt(bulk_axl["cpu_us"], 0),
         fmt(bulk_axl["pg_us"], 0), str(bulk_axl["errors"]),
         "%.2fx pgbench time (<=2x %s)" % (ratio_bulk or 0, "ok" if ok_bulk else "MISS")],
        ["pgbench INSERT phone, 16 clients", str(bulk_pg["requests"]), fmt(bulk_pg["secs"], 2),
         fmt(bulk_pg["rps"], 0), fmt(bulk_pg["p50"], 2), fmt(bulk_pg["p99"], 2), fmt(bulk_pg["p999"], 2), "-",
         fmt(bulk_pg["pg_us"], 0), str(bulk_pg["errors"]), "limit"],
        ["mixed requests, 16 conns", str(mem["requests"]), fmt(mem["secs"], 2), fmt(mem["rps"], 0),
         fmt(mem["p50"], 2), fmt(mem["p99"], 2), fmt(mem["p999"], 2), fmt(mem["cpu_us"], 0),
         fmt(mem["pg_us"], 0), str(mem["errors"]),
         "RSS %.1f -> %.1f MB (%+.1f%%, within 5%% %s); peak %.1f MB"
         % (mem["rss_mid_kb"] / 1024, mem["rss_end_kb"] / 1024, growth or 0, "ok" if ok_mem else "MISS",
            mem["rss_mb"])],
    ]
    out.append(table(bhdr, brows, ["l"] + ["r"] * 9 + ["l"]))
    for name, r in (("bulk_addPhone", bulk_axl), ("memory_mixed", mem)):
        csv_rows.append(dict(kind="check", operation=name, transport="http", conns=16, requests=r["requests"],
                             seconds="%.3f" % r["secs"], req_per_s="%.1f" % r["rps"], p50_ms="%.3f" % r["p50"],
                             p99_ms="%.3f" % r["p99"], p999_ms="%.3f" % r["p999"], max_ms="%.3f" % r["max"],
                             cpu_us_per_req="%.1f" % r["cpu_us"], pg_cpu_us_per_req="%.1f" % r["pg_us"],
                             loadgen_cpu_us_per_req="%.1f" % r["gen_us"], other_cpu_pct="%.1f" % r["other_pct"],
                             peak_rss_mb="%.1f" % r["rss_mb"], errors=r["errors"],
                             limit="pgbench INSERT phone" if r is bulk_axl else "",
                             limit_req_per_s="%.1f" % bulk_pg["rps"] if r is bulk_axl else "",
                             ratio="%.3f" % (1 / ratio_bulk) if r is bulk_axl and ratio_bulk else "",
                             rss_first_kb=mem["rss_mid_kb"] if r is mem else "",
                             rss_last_kb=mem["rss_end_kb"] if r is mem else ""))
    out.append("")

    # problems seen
    problems = []
    for m, _ in rows:
        if m["errors"] and not m["close"]:
            problems.append("%s %s c=%d: %d errors (non-2xx %d, socket %d, timeouts %d) %s"
                            % (OP_NAMES[m["op"]], transport(m), m["conns"], m["errors"], m["status_errors"],
                               m["socket_errors"], m["timeouts"], m["first_bad"][:300]))
        elif m["close"] and (m["status_errors"] or m["timeouts"]):
            problems.append("%s %s c=%d: non-2xx %d, timeouts %d"
                            % (OP_NAMES[m["op"]], transport(m), m["conns"], m["status_errors"], m["timeouts"]))
    for r in (bulk_axl, mem):
        if r["errors"]:
            problems.append("%s: %d errors; first: %s" % (OP_NAMES[r["op"]], r["errors"], r["first_bad"][:300]))
    for lim in limits + [bulk_pg]:
        if lim["errors"] and not lim["close"]:
            problems.append("limit %s c=%d: %d errors" % (limit_name(lim), lim["conns"], lim["errors"]))
    with open(env.server_log, errors="replace") as f:
        warn = [ln.rstrip() for ln in f if re.search(r"\b(WARN|ERROR|warn|error)\b", ln)]
    if warn:
        problems.append("axlprovd log: %d warning/error lines, e.g.:\n    %s"
                        % (len(warn), "\n    ".join(warn[:5])))
    if env.server.poll() is not None:
        problems.append("axlprovd exited during the run (status %s)" % env.server.returncode)

    out.append("targets (issue 5)")
    for text, ok in verdicts:
        out.append("  [%s] %s" % ("ok  " if ok else "MISS", text))
    out.append("")
    out.append("problems seen: " + ("none" if not problems else ""))
    for p in problems:
        out.append("  - " + p)
    text = "\n".join(out) + "\n"

    base = os.path.join(RESULTS, stamp)
    with open(base + ".txt", "w") as f:
        f.write(text)
    fields = ["kind", "operation", "transport", "conns", "requests", "seconds", "req_per_s", "p50_ms", "p99_ms",
              "p999_ms", "max_ms", "cpu_us_per_req", "pg_cpu_us_per_req", "loadgen_cpu_us_per_req",
              "other_cpu_pct", "peak_rss_mb", "errors", "limit",
              "limit_req_per_s", "limit_p99_ms", "ratio", "p99_ratio", "target", "rss_first_kb", "rss_last_kb"]
    with open(base + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in csv_rows:
            w.writerow(r)
    shutil.copy2(env.server_log, base + ".axlprovd.log")
    print(text, flush=True)
    log("results: %s.txt, %s.csv (server log: %s.axlprovd.log)" % (base, base, base))
    if time.time() - T_START > mode["deadline"]:
        log("!! the run took %.0fs, more than its %ds budget" % (time.time() - T_START, mode["deadline"]))


if __name__ == "__main__":
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)
    try:
        main()
    finally:
        CLEAN.run()
        log("stopped everything the benchmark started; total %.0fs" % (time.time() - T_START))
