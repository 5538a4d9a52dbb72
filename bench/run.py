#!/usr/bin/python3
"""bench/run.py: `make bench` and `make bench-quick` (see bench/README.md).

Starts a private PostgreSQL (durable: synchronous_commit on), seeds it, starts
axlprovd (plain + TLS listeners, SIP registrar on a free port) and the bare
gSOAP baseline (bench/baseline.c), then drives both with wrk (bench/axl.lua)
and PostgreSQL with pgbench (bench/pgbench/*.sql), each axlprovd figure
measured right next to its limit.  The apply scenario registers SIPp phones
(tests/sip/phone.xml) and times one applyPhoneSecurityProfile to the
last NOTIFY's 200 OK.  Prints the tables and writes
bench/results/<timestamp>.txt and .csv.  Everything it starts is stopped on
exit, also on failure or a signal.

  bench/run.py [--quick] [--only all|apply|tls-register|read-path] [--rounds N] [--duration SECONDS]
               [--workers N]
               [--apply-phones N] [--apply-rate PER_SECOND] [--apply-strict]
"""

import argparse
import base64
import collections
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
# The tests' SIP helpers (stdlib only): one copy of the UDP+TCP port finder.
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from sipphone import free_udp_tcp_port  # noqa: E402
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The read limits and their binaries under TOP (the Makefile builds both).
LIMIT_BINS = {
    "baseline": ("build", "bench", "baseline"),
    "minimal": ("build", "bench", "minimal", "minimal"),
}

NPROF = 10000
NPHONES = 100000
USER, PASSWORD = "bench", "Bench-Pass-1"

# The apply scenario: SIPp phones from the tests' scenario, their profile and
# digest password (bench/seed_apply.sql).
SIPP_SCENARIO = os.path.join(TOP, "tests", "sip", "phone.xml")
APPLY_PROFILE = "BenchApply-8845"
SIP_PASSWORD = "Bench-Sip-1"
SIP_NODE = "bench"

# What each mode runs.  Connection counts per operation; writes also at 16,
# the count the write targets are stated for.
MODES = {
    "full": dict(duration=5, warmup=1.0,
                 read_conns=[1, 8, 64], list_conns=[1, 8, 64], phone_conns=[1, 8, 64],
                 tls_conns=[1, 8, 64], newconn_conns=8,
                 write_conns=[1, 8, 16, 64],
                 mem=(100000, 1000000), bulk=50000, bulk_cap=90, deadline=600, reserve=25,
                 apply_phones=2000, apply_rate=200, apply_wait=120, apply_budget=60),
    "quick": dict(duration=2, warmup=1,
                  read_conns=[8, 64], list_conns=[8], phone_conns=[8],
                  tls_conns=[8], newconn_conns=8,
                  write_conns=[16],
                  mem=(10000, 100000), bulk=5000, bulk_cap=15, deadline=120, reserve=12,
                  apply_phones=500, apply_rate=200, apply_wait=60, apply_budget=25),
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

    def __init__(self, env, pid=None, gen_pid=None):
        # gen_pid: a load generator that runs on past stop() (SIPp); its CPU so
        # far is read from /proc, and moves to children_cpu() once reaped.
        self.env, self.pid, self.gen_pid = env, pid, gen_pid
        self.c0 = proc_cpu(pid) if pid else 0.0
        self.n0 = len(children_of(env.postmaster))
        self.p0 = pg_cpu(env.postmaster)
        self.g0 = self.gen_now()
        self.m0 = machine_cpu()

    def gen_now(self):
        return children_cpu() + (proc_cpu(self.gen_pid) if self.gen_pid else 0.0)

    def stop(self, settle=2.0):
        # Backends of a load generator that just disconnected: let the
        # postmaster reap them first, or their CPU time could be missed.
        end = time.time() + settle
        while len(children_of(self.env.postmaster)) > self.n0 and time.time() < end:
            time.sleep(0.02)
        self.cpu = (proc_cpu(self.pid) - self.c0) if self.pid else 0.0
        self.pg = pg_cpu(self.env.postmaster) - self.p0
        self.gen = self.gen_now() - self.g0
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



def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("127.0.0.1", 0))
        return u.getsockname()[1]


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


class PsqlSession:
    """One psql kept open for repeated small queries, so that polling does
    not start a process, a connection and a backend ten times a second."""
    MARK = "__bench_end__"

    def __init__(self, url):
        self.p = subprocess.Popen(["psql", url, "-AtqX", "-v", "ON_ERROR_STOP=0"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def query(self, sql):
        self.p.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo " + self.MARK + "\n")
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise SystemExit("bench: psql session ended: %s" % "\n".join(lines))
            line = line.rstrip("\n")
            if line == self.MARK:
                break
            lines.append(line)
        if any("ERROR:" in ln or ln.startswith("psql:") for ln in lines):
            raise SystemExit("bench: %s\n%s" % (sql, "\n".join(lines)))
        return "\n".join(lines)

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(d.split("/")[4]) if d.split("/")[4].isdigit() else 0)
    return dirs[-1] if dirs else None


class Env:
    """The private cluster, axlprovd and the baseline."""

    def __init__(self, args, with_baseline=True):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="axlprov-bench-", dir="/tmp")
        os.chmod(self.dir, 0o755)      # PostgreSQL runs as postgres when we are root
        CLEAN.workdir = self.dir
        # Private copies: a rebuild during the run does not touch them.
        self.server_bin = os.path.join(self.dir, "axlprovd")
        shutil.copy2(os.path.join(TOP, "build", "axlprovd"), self.server_bin)
        if with_baseline:
            for name, path in LIMIT_BINS.items():
                shutil.copy2(os.path.join(TOP, *path), os.path.join(self.dir, name))

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
        # Always our own SIP port: the default 0.0.0.0:5060 may be taken.
        self.sip_port = free_udp_tcp_port()
        self.server_log = os.path.join(self.dir, "axlprovd.log")
        cmd = [self.server_bin, "--listen", "127.0.0.1:%d" % self.tls_port,
               "--plain-listen", "127.0.0.1:%d" % self.port, "--tls-cert", self.pem,
               "--sip-listen", "127.0.0.1:%d" % self.sip_port, "--sip-node", SIP_NODE,
               # SIP over TLS is measured by tls_register() on a server of its own.
               "--sip-tls-listen", "",
               "--database-url", self.url]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        self.server = subprocess.Popen(cmd, env=senv, stdout=open(self.server_log, "ab"),
                                       stderr=subprocess.STDOUT, start_new_session=True)
        CLEAN.procs.append(self.server)
        wait_port(self.port, self.server)
        wait_port(self.tls_port, self.server)
        wait_port(self.sip_port, self.server)      # SIP over TCP opens with UDP

        # The read limits: name -> (Popen, plain port, TLS port)
        self.limits = {}
        self.baseline = None
        self.baseline_workers = 72
        if with_baseline:
            for name in LIMIT_BINS:
                self.start_limit(name)
            self.baseline = self.limits["baseline"][0]
        self.sanity()

    def start_limit(self, name):
        """Starts the read limit `name` (bench/baseline.c or bench/minimal/)
        with a plain and a TLS listener and baseline_workers workers."""
        port, tls_port = free_port(), free_port()
        p = subprocess.Popen(
            [os.path.join(self.dir, name), "--database-url", self.url, "--port", str(port),
             "--tls-port", str(tls_port), "--tls-cert", self.pem, "--workers", str(self.baseline_workers)],
            stdout=open(os.path.join(self.dir, name + ".log"), "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        CLEAN.procs.append(p)
        wait_port(port, p)
        wait_port(tls_port, p)
        self.limits[name] = (p, port, tls_port)

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
            port = self.tls_port if tls else self.port
        else:
            port = self.limits[target][2 if tls else 1]
        return "%s://127.0.0.1:%d/axl/" % ("https" if tls else "http", port)

    def pid_of(self, target):
        return self.server.pid if target == "axlprovd" else self.limits[target][0].pid

    def soap(self, port, op, inner, tls=False):
        status, data, _ = self.soap_call(port, op, inner, tls)
        return status, data

    def soap_call(self, port, op, inner, tls=False):
        """(HTTP status, body, {lower-case header: value}) of one request."""
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
        headers = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, data, headers

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
        ]
        # Each read limit answers the profile asked for, with its uuid.
        for i, (name, (_, port, tls_port)) in enumerate(sorted(self.limits.items())):
            for j, (p, tls) in enumerate(((port, False), (tls_port, True))):
                prof = "BenchProfile-%05d" % (44 + 2 * i + j)
                checks.append((p, tls, "getPhoneSecurityProfile", "<name>%s</name>" % prof,
                               "<name>%s</name>" % prof))
                checks.append((p, tls, "getPhoneSecurityProfile", "<name>%s</name>" % prof, 'uuid="{'))
        for port, tls, op, inner, expect in checks:
            status, body = self.soap(port, op, inner, tls)
            if status != 200 or expect not in body:
                raise SystemExit("bench: sanity check %s on port %d failed: HTTP %d\n%s"
                                 % (op, port, status, body[:2000]))
        log("sanity checks passed (%s every operation used)"
            % ("axlprovd, baseline and minimal answer" if self.limits else "axlprovd answers"))


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
# the apply scenario: registered SIPp phones, one applyPhoneSecurityProfile
# ---------------------------------------------------------------------------

def epoch(x):
    return float(x) if x not in (None, "") else None


def count_lines(path, words, state):
    """Adds to state[word] the lines of a growing file holding each word,
    reading only what was appended since the last call."""
    try:
        with open(path, "rb") as f:
            f.seek(state.get("_offset", 0))
            data = f.read()
    except FileNotFoundError:
        return state
    end = data.rfind(b"\n") + 1           # a line still being written waits
    for line in data[:end].split(b"\n"):
        for w in words:
            if w in line:
                state[w] = state.get(w, 0) + 1
    state["_offset"] = state.get("_offset", 0) + end
    return state


def sipp_stats(path):
    """The last row of SIPp's -trace_stat file, as {column: value}."""
    try:
        with open(path, errors="replace") as f:
            rows = [ln.rstrip("\n").split(";") for ln in f if ln.strip()]
    except FileNotFoundError:
        return {}
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1]))


def sipp_errors(path):
    """SIPp's error log (-trace_err) as [(event, count)], call ids and
    message bodies left out, most frequent first."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    c = collections.Counter()
    for m in re.finditer(r"\d{10}\.\d{6}: (.*?)(?=\d{4}-\d\d-\d\d\t|\Z)", text, re.S):
        head, sep, rest = m.group(1).partition("received '")
        words = rest.split()
        what = head + (sep + " ".join(words[:2] if words[:1] == ["SIP/2.0"] else words[:1]) + " ...'"
                       if sep else "")
        what = re.sub(r"'?\d+-\d+@[\d.]+'?", "<call>", " ".join(what.split()))
        c[what[:200]] += 1
    return c.most_common(6)


def stat_int(stats, key):
    try:
        return int(stats.get(key, "") or 0)
    except ValueError:
        return 0


def udp_counters():
    """The kernel's UDP counters (machine-wide) and the packets dropped at
    the input backlog (/proc/net/softnet_stat, second column)."""
    c = {}
    try:
        with open("/proc/net/snmp") as f:
            rows = [ln.split() for ln in f if ln.startswith("Udp:")]
        c = dict(zip(rows[0][1:], (int(x) for x in rows[1][1:])))
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open("/proc/net/softnet_stat") as f:
            c["BacklogDrops"] = sum(int(ln.split()[1], 16) for ln in f if ln.strip())
    except (OSError, IndexError, ValueError):
        pass
    return c


def udp_delta(before):
    after = udp_counters()
    return {k: after[k] - before[k] for k in after if k in before}


def udp_text(d):
    return ", ".join("%s %d" % (k, d.get(k, 0)) for k in ("RcvbufErrors", "SndbufErrors", "InErrors",
                                                          "NoPorts", "BacklogDrops"))


def apply_scenario(env, stamp, nphones, rate, wait, strict=False):
    """N SIPp phones register over UDP (one socket), then one
    applyPhoneSecurityProfile: the SOAP call's latency, the time from sending
    it to the last NOTIFY's 200 OK (notify_outbox.done_at), NOTIFYs per
    second, and SIPp's exit code (0: every phone got its NOTIFY)."""
    r = dict(phones=nphones, rate=rate, wait=wait, registered=0, reg_secs=0.0, reg_rate=0.0,
             reg_cpu_us=0.0, reg_pg_us=0.0, reg_other=0.0, reg_retrans=0, reg_log=0,
             soap_status=0, soap_ms=0.0, targeted=0, queued_pending=0, delivered=0, pending=0,
             failed=0, unreachable=0, retried=0, to_last=None, first=None, p50=None, p99=None,
             notify_rate=0.0, notify_secs=0.0, ntf_cpu_us=0.0, ntf_pg_us=0.0, ntf_other=0.0,
             ntf_gen_us=0.0, sipp_rc=None, sipp_secs=0.0, notified=0, unregistered=0,
             sipp_failed=0, sipp_retrans=0, still_bound=0, request="", error="", breakdown=[],
             reg_gen_us=0.0, rss_before=0.0, rss_after=0.0, rss_peak=0.0, sipp_tail="", sipp_errors=[], sipp_end=None, udp={}, udp_reg={}, strict=strict, auto_answered=0)
    prof_q = "(SELECT pkid FROM phone_security_profile WHERE name = '%s')" % APPLY_PROFILE

    log("apply: seeding %d SIP phones and digest users (profile %s)" % (nphones, APPLY_PROFILE))
    t = time.time()
    sh(["psql", env.url, "-qX", "-v", "ON_ERROR_STOP=1", "-v", "nphones=%d" % nphones,
        "-v", "profile=%s" % APPLY_PROFILE, "-v", "password=%s" % SIP_PASSWORD,
        "-f", os.path.join(BENCH, "seed_apply.sql")], stdout=subprocess.DEVNULL)
    log("apply: seeded in %.1fs" % (time.time() - t))

    d = os.path.join(env.dir, "sipp")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "phones.csv"), "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(1, nphones + 1):
            u = "bp%05d" % i
            f.write("%s;%s;[authentication username=%s password=%s];\n" % (u, SIP_PASSWORD, u, SIP_PASSWORD))
    plog, perr, pstat = (os.path.join(d, n) for n in ("phones.log", "errors.log", "stat.csv"))
    # Bounds: registering may take 3x the offered pace; every phone then waits
    # for its NOTIFY (SIPp's -recv_timeout bounds each wait).
    reg_cap = max(30.0, 3.0 * nphones / rate)
    recv_timeout = int(reg_cap + wait + 30)
    cmd = [shutil.which("sipp"), "127.0.0.1:%d" % env.sip_port, "-sf", SIPP_SCENARIO,
           "-i", "127.0.0.1", "-p", str(free_udp_port()), "-t", "u1",
           "-m", str(nphones), "-l", str(nphones), "-r", str(rate), "-inf", "phones.csv",
           "-recv_timeout", str(recv_timeout * 1000), "-timeout", "%ds" % (recv_timeout + 30),
           "-timeout_error", "-buff_size", str(1 << 20), "-nostdin",
           "-trace_logs", "-log_file", plog, "-trace_err", "-error_file", perr,
           "-trace_stat", "-stf", pstat, "-fd", "1"]
    if not strict:
        # Answer a NOTIFY that comes again after the phone answered it (the
        # 200 OK was lost, the server retransmits) with 200 OK, as a phone
        # does, instead of failing the call on an unexpected message.
        cmd.append("-aa")
    out = open(os.path.join(d, "sipp.out"), "wb")
    seen = {}
    db = PsqlSession(env.url)
    udp0 = udp_counters()
    r["rss_before"] = status_kb(env.server.pid, "VmRSS") / 1024
    reset_peak(env.server.pid)
    t0 = time.time()
    sipp = subprocess.Popen(cmd, cwd=d, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    CLEAN.current = sipp
    gone = None         # when SIPp was seen to have exited, if before step 3
    try:
        # 1. registrations: until SIPp logged every "REGISTERED as"
        log("apply: %d SIPp phones REGISTER over UDP (one socket), %d/s offered" % (nphones, rate))
        meter = Meter(env, env.server.pid, gen_pid=sipp.pid)
        while time.time() - t0 < reg_cap:
            count_lines(plog, (b"REGISTERED as",), seen)
            if seen.get(b"REGISTERED as", 0) >= nphones or sipp.poll() is not None:
                break
            time.sleep(0.05)
        meter.stop(settle=0)        # SIPp opens no database connection
        r["reg_log"] = seen.get(b"REGISTERED as", 0)
        r["udp_reg"] = udp_delta(udp0)
        row = db.query("SELECT count(*), extract(epoch FROM max(s.updated_at)) "
                       "FROM sip_registration s JOIN phone p ON p.pkid = s.phone_id "
                       "WHERE p.security_profile_id = %s AND s.expires_at > now()" % prof_q).split("|")
        r["registered"] = int(row[0])
        last = epoch(row[1])
        r["reg_secs"] = (last - t0) if last else time.time() - t0
        r["reg_rate"] = r["registered"] / r["reg_secs"] if r["reg_secs"] > 0 else 0.0
        if r["registered"]:
            r["reg_cpu_us"] = meter.cpu / r["registered"] * 1e6
            r["reg_pg_us"] = meter.pg / r["registered"] * 1e6
        r["reg_other"] = meter.other_pct
        r["reg_gen_us"] = meter.gen / max(1, r["registered"]) * 1e6
        r["reg_retrans"] = stat_int(sipp_stats(pstat), "Retransmissions(C)")
        log("apply: %d of %d phones registered in %.2fs (%.0f/s)"
            % (r["registered"], nphones, r["reg_secs"], r["reg_rate"]))
        if sipp.poll() is not None:
            raise RuntimeError("SIPp exited (status %s) before every phone registered" % sipp.returncode)
        if r["registered"] < nphones:
            raise RuntimeError("only %d of %d phones registered within %.0fs"
                               % (r["registered"], nphones, reg_cap))

        # 2. one applyPhoneSecurityProfile; the login is verified (PBKDF2)
        # and cached by a read first, so that the call times the apply alone.
        status, body = env.soap(env.port, "getPhoneSecurityProfile", "<name>%s</name>" % APPLY_PROFILE)
        if status != 200 or APPLY_PROFILE not in body:
            raise RuntimeError("getPhoneSecurityProfile %s: HTTP %d %s" % (APPLY_PROFILE, status, body[:500]))
        log("apply: applyPhoneSecurityProfile %s" % APPLY_PROFILE)
        meter = Meter(env, env.server.pid, gen_pid=sipp.pid)
        t_send = time.time()
        status, body, hdrs = env.soap_call(env.port, "applyPhoneSecurityProfile",
                                           "<name>%s</name>" % APPLY_PROFILE)
        r["soap_ms"] = (time.time() - t_send) * 1e3
        r["t_send"] = t_send
        r["soap_status"] = status
        if status != 200 or "<return>" not in body:
            meter.stop(settle=0)
            raise RuntimeError("applyPhoneSecurityProfile: HTTP %d %s" % (status, body[:500]))
        req = hdrs.get("x-axlprov-apply-request", "").strip("{}").lower()
        if re.fullmatch(r"[0-9a-f-]{36}", req):
            r["request"] = req
            where = "r.uuid = '%s'" % req
        else:
            where = "r.id = (SELECT max(id) FROM apply_request)"
        q = ("SELECT count(o.id), count(o.id) FILTER (WHERE o.state = 'delivered'), "
             "count(o.id) FILTER (WHERE o.state IN ('pending', 'sending')), "
             "count(o.id) FILTER (WHERE o.state = 'failed'), "
             "count(o.id) FILTER (WHERE o.state = 'unreachable'), "
             "bool_and(r.fanned_out)::int "
             "FROM apply_request r JOIN notify_outbox o ON o.request_id = r.id WHERE " + where)
        counts = [0] * 6
        while True:
            counts = [int(x or 0) for x in db.query(q).split("|")]
            # Every phone queued (the call answers before) and none pending.
            if counts[5] and not counts[2]:
                break
            if time.time() - t_send > wait:
                break
            if gone is None and sipp.poll() is not None:
                gone = time.time()
            if gone is not None and time.time() - gone > 3:
                break           # no phone left to answer what is still pending
            time.sleep(0.1)
        meter.stop(settle=0)
        r["targeted"], r["delivered"], r["pending"], r["failed"], r["unreachable"] = counts[:5]
        row = db.query(
            "SELECT extract(epoch FROM min(o.created_at)), "
            "extract(epoch FROM min(o.done_at) FILTER (WHERE o.state = 'delivered')), "
            "extract(epoch FROM max(o.done_at) FILTER (WHERE o.state = 'delivered')), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.done_at)) "
            "  FILTER (WHERE o.state = 'delivered'), "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM o.done_at)) "
            "  FILTER (WHERE o.state = 'delivered'), "
            "count(o.id) FILTER (WHERE o.attempts > 1) "
            "FROM apply_request r JOIN notify_outbox o ON o.request_id = r.id WHERE " + where).split("|")
        created, first, lastok, p50, p99 = (epoch(x) for x in row[:5])
        r["retried"] = int(row[5] or 0)
        if lastok is not None:
            r["to_last"] = lastok - t_send
            r["first"], r["p50"], r["p99"] = first - t_send, p50 - t_send, p99 - t_send
            r["notify_secs"] = lastok - created
            r["notify_rate"] = r["delivered"] / r["notify_secs"] if r["notify_secs"] > 0 else 0.0
        if r["delivered"]:
            r["ntf_cpu_us"] = meter.cpu / r["delivered"] * 1e6
            r["ntf_pg_us"] = meter.pg / r["delivered"] * 1e6
            r["ntf_gen_us"] = meter.gen / r["delivered"] * 1e6
        r["ntf_other"] = meter.other_pct
        if r["delivered"] < r["targeted"]:
            r["breakdown"] = db.query(
                "SELECT o.state || ' (last answer: ' || coalesce(o.last_status::text, 'none') "
                "|| CASE WHEN o.reason <> '' THEN ' ' || o.reason ELSE '' END || '): ' || count(*) "
                "FROM apply_request r JOIN notify_outbox o ON o.request_id = r.id "
                "WHERE o.state <> 'delivered' AND " + where + " GROUP BY o.state, o.last_status, o.reason "
                "ORDER BY count(*) DESC LIMIT 5").splitlines()
        log("apply: HTTP %d in %.1f ms; %d targeted, %d delivered, %d failed, %d unreachable, %d pending; "
            "last 200 OK %s after the call, %.0f NOTIFYs/s"
            % (status, r["soap_ms"], r["targeted"], r["delivered"], r["failed"], r["unreachable"],
               r["pending"], "%.2fs" % r["to_last"] if r["to_last"] is not None else "never",
               r["notify_rate"]))
    except RuntimeError as e:
        r["error"] = str(e)
        log("  !! apply: %s" % e)

    # 3. the phones answer, pause 200 ms and un-REGISTER, then SIPp exits:
    # 0 when every phone went through the whole scenario.
    end = time.time() + (30 if not r["error"] and not r["pending"] else 5)
    while sipp.poll() is None and time.time() < end:
        time.sleep(0.05)
    t_exit = gone or time.time()
    if sipp.poll() is None:
        sipp.kill()
        sipp.wait()
        log("  !! apply: SIPp had not finished; killed")
    else:
        r["sipp_rc"] = sipp.returncode
    r["udp"] = udp_delta(udp0)
    r["rss_after"] = status_kb(env.server.pid, "VmRSS") / 1024
    r["rss_peak"] = status_kb(env.server.pid, "VmHWM") / 1024
    CLEAN.current = None
    out.close()
    # when SIPp's process ended (polled): from its start, and from the SOAP call
    r["sipp_secs"] = t_exit - t0
    if r.get("t_send"):
        r["sipp_end"] = t_exit - r["t_send"]
    count_lines(plog, (b"REGISTERED as", b"NOTIFY received", b"UNREGISTERED"), seen)
    r["notified"] = seen.get(b"NOTIFY received", 0)
    r["unregistered"] = seen.get(b"UNREGISTERED", 0)
    stats = sipp_stats(pstat)
    r["sipp_failed"] = stat_int(stats, "FailedCall(C)")
    r["sipp_retrans"] = stat_int(stats, "Retransmissions(C)")
    r["auto_answered"] = stat_int(stats, "AutoAnswered(C)")
    r["still_bound"] = int(db.query("SELECT count(*) FROM sip_registration s JOIN phone p "
                                    "ON p.pkid = s.phone_id WHERE p.security_profile_id = %s "
                                    "AND s.expires_at > now()" % prof_q))
    db.close()
    if r["sipp_rc"] != 0:
        r["sipp_errors"] = sipp_errors(perr)
        if not r["sipp_errors"]:
            try:
                with open(os.path.join(d, "sipp.out"), errors="replace") as f:
                    r["sipp_tail"] = f.read()[-1000:].strip()
            except FileNotFoundError:
                pass
        keep = os.path.join(RESULTS, stamp + ".sipp")
        shutil.copytree(d, keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("phones.csv"))
        r["sipp_kept"] = keep
    log("apply: SIPp %s after %.1fs: %d NOTIFYs received, %d phones un-registered, %d bindings left; "
        "kernel UDP: %s"
        % ("exit code %d" % r["sipp_rc"] if r["sipp_rc"] is not None else "killed", r["sipp_secs"],
           r["notified"], r["unregistered"], r["still_bound"], udp_text(r["udp"])))
    return r


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
    ("minimal", False, False): "minimal gSOAP",
    ("minimal", True, False): "minimal gSOAP TLS",
    ("pgbench", "insert_profile"): "pgbench INSERT",
    ("pgbench", "update_profile"): "pgbench UPDATE",
    ("pgbench", "update_phone"): "pgbench UPDATE phone",
    ("pgbench", "insert_phone"): "pgbench INSERT phone",
}


def limit_name(lim):
    if lim["target"] == "pgbench":
        return LIMIT_NAMES[("pgbench", lim["op"])]
    return LIMIT_NAMES[(lim["target"], lim["tls"], lim["close"])]


def transport(r):
    if r["close"]:
        return "https new" if r["tls"] else "http new"
    return "https" if r["tls"] else "http"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="bench-quick: shorter runs, fewer points")
    ap.add_argument("--duration", type=float, help="seconds per measured run")
    ap.add_argument("--workers", type=int, help="axlprovd --workers (default: the server's)")
    ap.add_argument("--only", choices=["all", "apply", "tls-register", "read-path"], default="all",
                    help="apply: only the apply scenario (SIPp phones, applyPhoneSecurityProfile); "
                    "tls-register: only TLS registrations beside OpenSSL's handshake rate; "
                    "read-path: only getPhoneSecurityProfile at 8 connections, axlprovd beside "
                    "the baseline and the minimal server, --rounds times")
    ap.add_argument("--rounds", type=int, default=3,
                    help="--only read-path: rounds of the three-way comparison (default 3)")
    ap.add_argument("--apply-phones", type=int, help="SIPp phones in the apply scenario (2000; quick 500)")
    ap.add_argument("--apply-rate", type=int, help="phones per second SIPp starts registering (default %d)"
                    % MODES["full"]["apply_rate"])
    ap.add_argument("--apply-strict", action="store_true",
                    help="SIPp without -aa: a phone fails on a NOTIFY retransmitted after it answered")
    args = ap.parse_args()
    mode = MODES["quick" if args.quick else "full"]
    dur = args.duration or mode["duration"]
    warm = mode["warmup"]
    only_apply = args.only == "apply"
    if args.apply_phones:
        if not 1 <= args.apply_phones <= 99999:
            raise SystemExit("bench: --apply-phones must be 1 .. 99999")
        mode["apply_phones"] = args.apply_phones
    if args.apply_rate:
        mode["apply_rate"] = max(1, args.apply_rate)
    # The apply and tls-register scenarios need neither wrk, pgbench nor the baseline.
    light = args.only in ("apply", "tls-register")
    tools = ("psql", "openssl", "sipp") if light else ("wrk", "psql", "openssl", "sipp")
    for tool in tools:
        if shutil.which(tool) is None:
            raise SystemExit("bench: %s is missing (apt-get install %s)"
                             % (tool, {"psql": "postgresql-client", "sipp": "sip-tester"}.get(tool, tool)))
    if not os.path.exists(SIPP_SCENARIO):
        raise SystemExit("bench: the shared SIPp scenario %s is missing" % SIPP_SCENARIO)
    if not light and (pg_bindir() is None
                           or not os.access(os.path.join(pg_bindir(), "pgbench"), os.X_OK)):
        raise SystemExit("bench: pgbench is missing (apt-get install postgresql)")
    needed = [os.path.join(TOP, "build", "axlprovd")]
    if not light:
        needed += [os.path.join(TOP, *path) for path in LIMIT_BINS.values()]
    for f in needed:
        if not os.access(f, os.X_OK):
            raise SystemExit("bench: %s is missing: run it through make (make bench)" % f)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log("mode %s%s: %gs per run; deadline %ds" % ("quick" if args.quick else "full",
                                                  ", apply scenario only" if only_apply else "",
                                                  dur, mode["deadline"]))
    if args.only == "tls-register":
        tls_register(Env(args, with_baseline=False), stamp, mode)
        return
    env = Env(args, with_baseline=not only_apply)
    if args.only == "read-path":
        read_path_only(env, stamp, args, mode, dur, warm)
        return
    if only_apply:
        apply = apply_scenario(env, stamp, mode["apply_phones"], mode["apply_rate"], mode["apply_wait"],
                               strict=args.apply_strict)
        report(env, stamp, args, mode, dur, [], [], {}, [], None, None, None, 0, 0, apply)
        return
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
    for lim in LIMIT_BINS:
        wrk(env, lim, "getProfile", 64, warm)
        wrk(env, lim, "getProfile", 16, warm, tls=True)

    # reads over plain HTTP, each beside the baseline at the same connection count
    conns_all = sorted(set(mode["read_conns"] + mode["list_conns"] + mode["phone_conns"]))
    for c in conns_all:
        log("reads, %d connection(s)" % c)
        if c == READ_PATH_CONNS:
            limits.append(wrk(env, "minimal", "getProfile", c, dur))
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
        if c == READ_PATH_CONNS:
            limits.append(wrk(env, "minimal", "getProfile", c, dur, tls=True))
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

    # memory: RSS after the first N1 mixed requests and after N2 (it may use
    # what is left of the time budget, less the apply scenario's share)
    n1, n2 = mode["mem"]
    cap = max(20, mode["deadline"] - (time.time() - T_START) - mode["reserve"] - mode["apply_budget"])
    log("memory: %d mixed requests over 16 connections, RSS at %d and at the end (at most %.0fs)"
        % (n2, n1, cap))
    mem = wrk(env, "axlprovd", "mixed", 16, cap, limit=n2, rss_at=n1)

    # apply config: registered SIPp phones, one applyPhoneSecurityProfile.
    # After the memory check: its NOTIFY burst grows the server's RSS (see
    # the apply table), which would blur the check's before/after readings.
    apply = apply_scenario(env, stamp, mode["apply_phones"], mode["apply_rate"], mode["apply_wait"],
                           strict=args.apply_strict)

    report(env, stamp, args, mode, dur, rows, limits, plain_get, tls_rows, bulk_pg, bulk_axl, mem, n1, n2,
           apply)
    tls_register(env, stamp, mode)


READ_PATH_CONNS = 8


def read_path_round(env, dur, rnd):
    """One round of issue 16's comparison: getPhoneSecurityProfile at
    READ_PATH_CONNS keep-alive connections, TLS then plain, the minimal
    server, the baseline and axlprovd back to back."""
    out = []
    for tls in (True, False):
        runs = {t: wrk(env, t, "getProfile", READ_PATH_CONNS, dur, tls=tls)
                for t in ("minimal", "baseline", "axlprovd")}
        out.append(dict(round=rnd, tls=tls, runs=runs, load=os.getloadavg()[0]))
    return out


def read_path_table(rounds, csv_rows):
    """The three-way table: each round's req/s and CPU per request, and the
    ratios to the minimal server measured in the same round."""
    out = ["read path (issue 16): getPhoneSecurityProfile, %d keep-alive connections; "
           "ratio = req/s / the minimal server's req/s in the same round" % READ_PATH_CONNS]
    hdr = ["round", "transport", "minimal req/s", "baseline req/s", "axlprovd req/s", "min cpu us",
           "base cpu us", "axl cpu us", "axl/min", "base/min", "other% min/base/axl", "load 1m"]
    trows = []
    for r in rounds:
        mi, b, a = (r["runs"][t] for t in ("minimal", "baseline", "axlprovd"))
        am = a["rps"] / mi["rps"] if mi["rps"] else None
        bm = b["rps"] / mi["rps"] if mi["rps"] else None
        tr = transport(a)
        trows.append([str(r["round"]), tr, fmt(mi["rps"], 0), fmt(b["rps"], 0), fmt(a["rps"], 0),
                      fmt(mi["cpu_us"], 0), fmt(b["cpu_us"], 0), fmt(a["cpu_us"], 0), fmt(am, 2), fmt(bm, 2),
                      "/".join(fmt(x["other_pct"], 0) for x in (mi, b, a)), fmt(r["load"], 2)])
        for name, x, ratio in (("axlprovd/minimal", a, am), ("baseline/minimal", b, bm)):
            csv_rows.append(dict(kind="readpath", operation="getProfile " + name, transport=tr,
                                 conns=READ_PATH_CONNS, requests=x["requests"], seconds="%.3f" % x["secs"],
                                 req_per_s="%.1f" % x["rps"], p50_ms="%.3f" % x["p50"], p99_ms="%.3f" % x["p99"],
                                 p999_ms="%.3f" % x["p999"], max_ms="%.3f" % x["max"],
                                 cpu_us_per_req="%.1f" % x["cpu_us"], pg_cpu_us_per_req="%.1f" % x["pg_us"],
                                 loadgen_cpu_us_per_req="%.1f" % x["gen_us"],
                                 other_cpu_pct="%.1f" % x["other_pct"], peak_rss_mb="%.1f" % x["rss_mb"],
                                 errors=x["errors"], limit=limit_name(mi), limit_req_per_s="%.1f" % mi["rps"],
                                 limit_p99_ms="%.3f" % mi["p99"],
                                 ratio="%.3f" % ratio if ratio is not None else "",
                                 result="round %d, load %.2f" % (r["round"], r["load"])))
    out.append(table(hdr, trows, ["r", "l"] + ["r"] * 10))
    out.append("")
    return out


def read_path_from_rows(rows, limits):
    """The three-way figures of a full or quick run: the minimal runs are in
    `limits`, the baseline and axlprovd ones beside each other in `rows`."""
    rounds = []
    for tls in (True, False):
        mi = [x for x in limits if x["target"] == "minimal" and x["tls"] == tls and not x["close"]]
        pairs = [(m, lim) for m, lim in rows if m["op"] == "getProfile" and m["tls"] == tls and not m["close"]
                 and m["conns"] == READ_PATH_CONNS and lim is not None]
        if mi and pairs:
            rounds.append(dict(round=1, tls=tls, load=os.getloadavg()[0],
                               runs=dict(minimal=mi[0], baseline=pairs[0][1], axlprovd=pairs[0][0])))
    return rounds


def read_path_only(env, stamp, args, mode, dur, warm):
    """--only read-path: warm up, then --rounds rounds of the comparison."""
    log("warming up")
    for t in ("axlprovd", "minimal", "baseline"):
        wrk(env, t, "getProfile", READ_PATH_CONNS, warm * 2)
        wrk(env, t, "getProfile", READ_PATH_CONNS, warm * 2, tls=True)
    rounds = []
    for i in range(max(1, args.rounds)):
        log("read path, round %d" % (i + 1))
        rounds += read_path_round(env, dur, i + 1)
    report(env, stamp, args, mode, dur, [], [], {}, [], None, None, None, 0, 0, read_path=rounds)


def tls_register(env, stamp, mode):
    """TLS registrations per second (new connection, client certificate,
    REGISTER with digest) beside OpenSSL's bare handshake rate with client
    certificates (bench/tls_register.py); printed and written to
    bench/results/<stamp>-tls-register.txt."""
    import tls_register as tr   # bench/, next to this file
    n = 200 if mode is MODES["quick"] else 1000
    r = tr.run(env, log, n)
    lines = ["TLS registrations: %d phones, %d client processes" % (r["phones"], r["procs"]),
             "  axlprovd: %.0f registrations/s (new TLS connection with a client certificate, "
             "REGISTER, 401, REGISTER with digest, 200), %d errors%s"
             % (r["register_per_s"], r["register_errors"],
                " (first: %s)" % r["first_error"] if r["first_error"] else ""),
             "  limit:    %.0f handshakes/s (openssl s_server -Verify, same clients and "
             "certificates), %d errors" % (r["handshake_per_s"], r["handshake_errors"]),
             "  ratio:    %.2f (goal >= 0.5)" % r["ratio"]]
    print("\n".join(lines))
    os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
    with open(os.path.join(BENCH, "results", "%s-tls-register.txt" % stamp), "w") as f:
        f.write("\n".join(lines) + "\n")
    if r["register_errors"] or r["handshake_errors"]:
        raise SystemExit("bench: tls-register: errors (see above)")


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


def report(env, stamp, args, mode, dur, rows, limits, plain_get, tls_rows, bulk_pg, bulk_axl, mem, n1, n2,
           apply=None, read_path=None):
    """Prints the tables and writes the results.  With --only apply, rows,
    limits, bulk and memory are empty (None) and only the apply section shows;
    with --only read-path, only the read path's rounds (read_path) show."""
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
    only_apply = bulk_axl is None and read_path is None
    if read_path is None and rows:
        read_path = read_path_from_rows(rows, limits)
    head = [
        "axlprov benchmark %s (%s mode%s), tree %s"
        % (stamp, "quick" if args.quick else "full",
           ", apply scenario only" if only_apply else ", read path only" if not rows and read_path else "",
           commit),
        "machine: %d cores (%s), %s %s; PostgreSQL %s, synchronous_commit on, fsync on"
        % (os.cpu_count(), cpu_model, platform.system(), platform.release(), env.pg_version),
        ("data: %d profiles, %d phones%s; runs of %gs; wrk keep-alive unless 'new'; axlprovd workers %s;"
         " baseline and minimal workers %d" % (NPROF, NPHONES,
                                   " (+ %d SIP phones for apply)" % apply["phones"] if apply else "",
                                   dur, workers, env.baseline_workers)) if not only_apply else
        ("data: %d profiles, %d phones (+ %d SIP phones for apply); axlprovd workers %s; no baseline"
         % (NPROF, NPHONES, apply["phones"], workers)),
        "load generator, servers and PostgreSQL share the cores: compare ratios within this run."
        " load average %.1f at start, %.1f at end; autogroup scheduling %s (each process in its own session)"
        % (LOAD_START[0], os.getloadavg()[0], autogroup()),
        "other% = CPU used by processes outside the benchmark during the run, in % of the machine",
    ]

    out = ["\n".join(head), ""]
    csv_rows, verdicts, problems = [], [], []
    if rows:
        out += main_tables(rows, limits, plain_get, bulk_pg, verdicts, csv_rows)
    if read_path:
        out += read_path_table(read_path, csv_rows)
    if bulk_axl is not None:
        out += bulk_and_memory(mode, bulk_pg, bulk_axl, mem, n1, n2, verdicts, csv_rows)
    if apply is not None:
        out += apply_section(apply, csv_rows, problems)

    # problems seen
    for m, _ in rows:
        if m["errors"] and not m["close"]:
            problems.append("%s %s c=%d: %d errors (non-2xx %d, socket %d, timeouts %d) %s"
                            % (OP_NAMES[m["op"]], transport(m), m["conns"], m["errors"], m["status_errors"],
                               m["socket_errors"], m["timeouts"], m["first_bad"][:300]))
        elif m["close"] and (m["status_errors"] or m["timeouts"]):
            problems.append("%s %s c=%d: non-2xx %d, timeouts %d"
                            % (OP_NAMES[m["op"]], transport(m), m["conns"], m["status_errors"], m["timeouts"]))
    for r in (bulk_axl, mem):
        if r is not None and r["errors"]:
            problems.append("%s: %d errors; first: %s" % (OP_NAMES[r["op"]], r["errors"], r["first_bad"][:300]))
    for r in read_path or []:
        for t, x in r["runs"].items():
            if x["errors"]:
                problems.append("read path round %d %s %s: %d errors %s"
                                % (r["round"], t, transport(x), x["errors"], x["first_bad"][:300]))
    for lim in limits + ([bulk_pg] if bulk_pg is not None else []):
        if lim["errors"] and not lim["close"]:
            problems.append("limit %s c=%d: %d errors" % (limit_name(lim), lim["conns"], lim["errors"]))
    with open(env.server_log, errors="replace") as f:
        warn = [ln.rstrip() for ln in f if re.search(r"\b(WARN|ERROR|warn|error)\b", ln)]
    if warn:
        problems.append("axlprovd log: %d warning/error lines, e.g.:\n    %s"
                        % (len(warn), "\n    ".join(warn[:5])))
    if env.server.poll() is not None:
        problems.append("axlprovd exited during the run (status %s)" % env.server.returncode)

    if verdicts:
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
              "limit_req_per_s", "limit_p99_ms", "ratio", "p99_ratio", "target", "rss_first_kb", "rss_last_kb",
              "first_ms", "result"]
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


def main_tables(rows, limits, plain_get, bulk_pg, verdicts, csv_rows):
    """The axlprovd table (each figure beside its limit) and the limits table."""
    out = ["axlprovd, each figure beside its limit measured in the same run "
           "(ratio = axlprovd req/s / limit; p99x = axlprovd p99 / limit p99)"]
    hdr = ["operation", "transport", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "cpu us/req",
           "pg us/req", "rss MB", "errors", "other%", "limit", "lim req/s", "lim p99", "ratio", "p99x", "target"]
    align = ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l", "r", "r", "r", "r", "l"]
    trows = []
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
    return out


def bulk_and_memory(mode, bulk_pg, bulk_axl, mem, n1, n2, verdicts, csv_rows):
    """The bulk addPhone check beside pgbench, and the memory check."""
    out = []
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
    return out


def apply_section(a, csv_rows, problems):
    """The apply scenario: registrations, the SOAP call, the NOTIFYs, SIPp."""
    def secs(x, nd=2):
        return fmt(x, nd) if x is not None else "-"

    out = ["apply config over SIP: %d SIPp phones over UDP (one socket, scenario tests/sip/phone.xml%s), "
           "one applyPhoneSecurityProfile"
           % (a["phones"], ", strict: no -aa" if a["strict"] else ", -aa: a repeated NOTIFY is answered 200"),
           "(registration times from SIPp's start; NOTIFY times from sending the SOAP call to "
           "notify_outbox.done_at, the 200 OK recorded)"]
    hdr = ["step", "count", "seconds", "per s", "first s", "p50 s", "p99 s", "cpu us/op", "pg us/op",
           "other%", "result"]
    reg_ok = a["registered"] >= a["phones"]
    notify_ok = a["targeted"] > 0 and a["delivered"] == a["targeted"] and not a["error"]
    sipp = ("exit code %d" % a["sipp_rc"]) if a["sipp_rc"] is not None else "killed (had not finished)"
    trows = [
        ["REGISTER with digest (401, then 200)", "%d/%d" % (a["registered"], a["phones"]),
         fmt(a["reg_secs"], 2), fmt(a["reg_rate"], 0), "-", "-", "-", fmt(a["reg_cpu_us"], 0),
         fmt(a["reg_pg_us"], 0), fmt(a["reg_other"], 0),
         "offered %d/s; SIPp retransmissions %d; UDP drops %d"
         % (a["rate"], a["reg_retrans"], a["udp_reg"].get("RcvbufErrors", 0))],
        ["applyPhoneSecurityProfile (SOAP)", "1", fmt(a["soap_ms"] / 1e3, 3), "-", "-", "-", "-", "-", "-", "-",
         "HTTP %d in %.1f ms; %d phones targeted" % (a["soap_status"], a["soap_ms"], a["targeted"])],
        ["NOTIFY -> 200 OK, to the last one", str(a["delivered"]), secs(a["to_last"]), fmt(a["notify_rate"], 0),
         secs(a["first"]), secs(a["p50"]), secs(a["p99"]), fmt(a["ntf_cpu_us"], 0), fmt(a["ntf_pg_us"], 0),
         fmt(a["ntf_other"], 0),
         "delivered %d, failed %d, unreachable %d, pending %d; %d retried"
         % (a["delivered"], a["failed"], a["unreachable"], a["pending"], a["retried"])],
        ["SIPp phones: answer, un-REGISTER, exit", str(a["unregistered"]), secs(a["sipp_end"]), "-", "-", "-",
         "-", "-", "-", "-",
         "%s; %d NOTIFYs received, %d repeats auto-answered, %d failed calls, %d retransmissions; "
         "%d bindings left"
         % (sipp, a["notified"], a["auto_answered"], a["sipp_failed"], a["sipp_retrans"], a["still_bound"])],
    ]
    out.append(table(hdr, trows, ["l"] + ["r"] * 9 + ["l"]))
    out.append("  => %d phones registered at %.0f/s; the SOAP call answered in %.1f ms; the last 200 OK came "
               "%s after it was sent; %.0f NOTIFYs/s; delivered %d, failed %d; SIPp %s"
               % (a["registered"], a["reg_rate"], a["soap_ms"],
                  ("%.2f s" % a["to_last"]) if a["to_last"] is not None else "never",
                  a["notify_rate"], a["delivered"], a["failed"], sipp))
    out.append("  kernel UDP counters (machine-wide) over the whole scenario: %s; during the registrations: "
               "RcvbufErrors %d" % (udp_text(a["udp"]), a["udp_reg"].get("RcvbufErrors", 0)))
    out.append("  axlprovd RSS: %.1f MB before the phones registered, peak %.1f MB, %.1f MB after SIPp exited"
               % (a["rss_before"], a["rss_peak"], a["rss_after"]))
    out.append("")

    base = dict(kind="apply", transport="sip-udp", conns=1)
    csv_rows.append(dict(base, operation="register", requests=a["registered"], seconds="%.3f" % a["reg_secs"],
                         req_per_s="%.1f" % a["reg_rate"], cpu_us_per_req="%.1f" % a["reg_cpu_us"],
                         pg_cpu_us_per_req="%.1f" % a["reg_pg_us"], loadgen_cpu_us_per_req="%.1f" % a["reg_gen_us"],
                         other_cpu_pct="%.1f" % a["reg_other"], errors=a["phones"] - a["registered"],
                         result="offered %d/s; SIPp retransmissions %d; UDP drops %d"
                         % (a["rate"], a["reg_retrans"], a["udp_reg"].get("RcvbufErrors", 0))))
    csv_rows.append(dict(base, operation="applyPhoneSecurityProfile", transport="http", requests=1,
                         seconds="%.4f" % (a["soap_ms"] / 1e3), p50_ms="%.3f" % a["soap_ms"],
                         max_ms="%.3f" % a["soap_ms"], errors=0 if a["soap_status"] == 200 else 1,
                         result="HTTP %d; %d targeted" % (a["soap_status"], a["targeted"])))

    def ms(x):
        return "%.1f" % (x * 1e3) if x is not None else ""

    csv_rows.append(dict(base, operation="notify_to_last_200", requests=a["delivered"],
                         seconds="%.3f" % a["to_last"] if a["to_last"] is not None else "",
                         req_per_s="%.1f" % a["notify_rate"], first_ms=ms(a["first"]), p50_ms=ms(a["p50"]),
                         p99_ms=ms(a["p99"]), max_ms=ms(a["to_last"]), cpu_us_per_req="%.1f" % a["ntf_cpu_us"],
                         pg_cpu_us_per_req="%.1f" % a["ntf_pg_us"], loadgen_cpu_us_per_req="%.1f" % a["ntf_gen_us"],
                         other_cpu_pct="%.1f" % a["ntf_other"], errors=a["targeted"] - a["delivered"],
                         result="delivered %d failed %d unreachable %d pending %d retried %d"
                         % (a["delivered"], a["failed"], a["unreachable"], a["pending"], a["retried"])))
    csv_rows.append(dict(base, operation="sipp_phones", requests=a["unregistered"],
                         seconds="%.3f" % a["sipp_end"] if a["sipp_end"] is not None else "",
                         errors=a["sipp_failed"], peak_rss_mb="%.1f" % a["rss_peak"],
                         rss_first_kb=int(a["rss_before"] * 1024), rss_last_kb=int(a["rss_after"] * 1024),
                         result="%s; notify received %d; auto-answered %d; retransmissions %d; bindings left %d; "
                         "udp %s" % (sipp, a["notified"], a["auto_answered"], a["sipp_retrans"],
                                     a["still_bound"], udp_text(a["udp"]))))

    if a["error"]:
        problems.append("apply: " + a["error"])
    if not reg_ok:
        problems.append("apply: only %d of %d phones registered (%d logged REGISTERED by SIPp)"
                        % (a["registered"], a["phones"], a["reg_log"]))
    if a["targeted"] and not notify_ok:
        problems.append("apply: %d of %d NOTIFYs delivered (failed %d, unreachable %d, still pending %d)%s"
                        % (a["delivered"], a["targeted"], a["failed"], a["unreachable"], a["pending"],
                           "".join("\n    " + b for b in a["breakdown"])))
    drops = a["udp"].get("RcvbufErrors", 0)
    if drops:
        problems.append("apply: the kernel dropped %d UDP datagrams on a full socket receive buffer "
                        "(RcvbufErrors, machine-wide; %d of them during the registrations): SIP messages "
                        "the server or SIPp never read, answered by retransmissions" %
                        (drops, a["udp_reg"].get("RcvbufErrors", 0)))
    if a["sipp_rc"] != 0:
        problems.append("apply: SIPp %s (0 = every phone registered, got its NOTIFY and un-registered); "
                        "its files are kept in %s; its error log:%s"
                        % (sipp, a.get("sipp_kept", "-"),
                           "".join("\n    %d x %s" % (n, e) for e, n in a["sipp_errors"])
                           or "\n    " + a["sipp_tail"].replace("\n", "\n    ")))
    return out


if __name__ == "__main__":
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)
    try:
        main()
    finally:
        CLEAN.run()
        log("stopped everything the benchmark started; total %.0fs" % (time.time() - T_START))
