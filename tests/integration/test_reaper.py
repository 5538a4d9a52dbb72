"""Nothing the tests start outlives the pytest that started it.

A pytest of its own runs a tiny test that starts, through the harness's own
fixtures, a PostgreSQL cluster, the session's axlprovd, an extra axlprovd
and a SIPp phone, plus a child that nothing registers (as a test starting
stunnel or haproxy by hand would); it writes their pids to a file and
sleeps.  That pytest is then killed (SIGKILL: no teardown runs at all) or
interrupted (SIGINT, as Ctrl-C), and within a few seconds none of those
processes may be left: the reaper (reaper.py) saw its pipe close and
stopped them.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import reaper
from conftest import BINARY, poll

HERE = os.path.dirname(os.path.abspath(__file__))

INNER = r'''
import json, os, subprocess, time

from conftest import Axl, add_phone, add_user, pg, server, sep_name, start_server
from sipphone import SIPP, Sipp


def postgres_pids(pg):
    """The postmaster and its children."""
    for c in pg.clusters():
        if os.path.exists(os.path.join(c, "postmaster.pid")):
            with open(os.path.join(c, "postmaster.pid")) as f:
                master = int(f.readline())
    kids = []
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % entry, "rb") as f:
                stat = f.read()
        except (OSError, ValueError):
            continue
        if int(stat[stat.rindex(b")") + 2:].split()[1]) == master:
            kids.append(int(entry))
    return [master] + kids


def test_hold(pg, server):
    extra = start_server(pg)
    loose = subprocess.Popen(["sleep", "600"])      # registered with nobody
    pids = {"axlprovd": server.proc.pid, "extra axlprovd": extra.proc.pid,
            "unregistered sleep": loose.pid}
    if SIPP:
        axl = Axl(server)
        add_user(axl, "holder", digestCredentials="pw")
        add_phone(axl, sep_name(), digestUser="holder")
        phones = Sipp(server.sip_port, [("holder", "pw")], recv_timeout_ms=600000)
        phones.wait_registered()                    # then waits for a NOTIFY
        pids["sipp"] = phones.proc.pid
    for i, pid in enumerate(postgres_pids(pg)):
        pids["postgres %d" % i] = pid
    dirs = [pg.dir, server.dir, extra.dir] + ([phones.dir] if SIPP else [])
    tmp = os.environ["HOLD_FILE"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"pids": pids, "dirs": dirs}, f)
    os.rename(tmp, os.environ["HOLD_FILE"])
    time.sleep(600)
'''


def alive(pid, started):
    """The process is there and not a zombie (and is the one we saw)."""
    st = reaper.start_time(pid)
    if st is None or st != started:
        return False
    with open("/proc/%d/stat" % pid, "rb") as f:
        stat = f.read()
    return stat[stat.rindex(b")") + 2:].split()[0] != b"Z"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_nothing_outlives_a_killed_pytest(tmp_path, sig):
    (tmp_path / "test_hold.py").write_text(INNER)
    hold = tmp_path / "hold.json"
    env = dict(os.environ, HOLD_FILE=str(hold), AXLPROV_TEST_BINARY=BINARY,
               PYTHONPATH=os.pathsep.join([HERE] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    log = open(tmp_path / "pytest.log", "wb")
    inner = reaper.spawn([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--rootdir", str(tmp_path), str(tmp_path / "test_hold.py")],
                         cwd=str(tmp_path), env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while not hold.exists():
            assert inner.poll() is None and time.time() < deadline, \
                (tmp_path / "pytest.log").read_text()[-3000:]
            time.sleep(0.1)
        seen = json.loads(hold.read_text())
        pids = {what: (pid, reaper.start_time(pid)) for what, pid in seen["pids"].items()}
        assert [w for w, p in pids.items() if not alive(*p)] == [], pids
        assert any(what.startswith("postgres") for what in pids)

        os.kill(inner.pid, sig)
        inner.wait(60)
        t0 = time.time()
        left = pids
        while left and time.time() - t0 < 10:
            time.sleep(0.1)
            left = {what: p for what, p in pids.items() if alive(*p)}
        assert left == {}, "still running %.1fs after the pytest ended: %s\n%s" % (
            time.time() - t0, left, (tmp_path / "pytest.log").read_text()[-3000:])
        for d in seen["dirs"]:
            shutil.rmtree(d, ignore_errors=True)
    finally:
        if inner.poll() is None:
            inner.kill()
            inner.wait()
        log.close()


def test_reaper_spares_a_reused_pid():
    # A group registered under a pid that now names another process (its
    # start time differs) is left alone.
    victim = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        assert reaper.kill_group(victim.pid, reaper.start_time(victim.pid) - 1) == 0
        assert victim.poll() is None
        assert reaper.kill_group(victim.pid, reaper.start_time(victim.pid)) == 1
        assert victim.wait(5) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()


def test_this_session_is_marked():
    # Every child of this pytest carries the session token the reaper
    # sweeps by, and the reaper itself does not.
    token = os.environ[reaper.TOKEN_VAR]
    child = subprocess.Popen(["sleep", "60"])
    try:
        # Popen returns once exec has closed its error pipe, which the kernel
        # does before it sets up the new environment: /proc/PID/environ may
        # still be empty for a moment (seen in CI under ASan load).
        marked = poll(lambda: reaper.marked(token), lambda m: child.pid in m, 10, 0.05)
        assert child.pid in marked
        assert reaper.reaper_pid() not in marked
        assert os.getpid() not in marked      # pytest's own environ predates the token
    finally:
        child.kill()
        child.wait()
