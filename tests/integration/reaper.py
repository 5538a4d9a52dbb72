"""Stops what a test session started, however the session ends.

Run as a script, this is the reaper: conftest starts it once per pytest
process, in a session of its own (Ctrl-C does not reach it), with a pipe on
its stdin.  The pytest side writes one registration per line:

    group PGID START    a process group to kill; START is its leader's start
                        time (/proc/PID/stat field 22), so that a pid the
                        kernel has handed out again is left alone
    cluster DIR         a PostgreSQL cluster folder (with PG_VERSION) to stop
    forget-cluster DIR  that cluster was stopped the ordinary way

The pipe closes when pytest exits for any reason, SIGKILL included; then
(or on SIGTERM) the reaper stops every registered cluster that still runs
(pg_ctl stop -m immediate, as the user owning it; SIGKILL to its postmaster
if that fails), SIGKILLs every registered process group, then SIGKILLs any
process whose environment carries this session's token
(AXLPROV_TEST_SESSION=...): that catches what a test started without
registering it (stunnel, haproxy, openssl s_server, a child's children that
left their group).  After an ordinary run nothing is left and it does
nothing.

Imported, this module is the pytest side: start() once, then spawn() or
watch() for processes and watch_cluster() for clusters.  Both do nothing
when no reaper was started in this process (bench/run.py imports
sipphone.py, which spawns through here).
"""

import glob
import os
import pwd
import signal
import subprocess
import sys
import time
import uuid

TOKEN_VAR = "AXLPROV_TEST_SESSION"

# --------------------------------------------------------------------------
# the pytest side
# --------------------------------------------------------------------------

_pipe = None
_proc = None


def start():
    """Starts this process's reaper and marks the environment that every
    child from now on inherits with a new session token."""
    global _pipe, _proc
    if _pipe is not None:
        return
    token = uuid.uuid4().hex
    env = dict(os.environ)
    env.pop(TOKEN_VAR, None)            # the reaper must not match itself
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), token],
                            stdin=subprocess.PIPE, env=env, start_new_session=True)
    _proc, _pipe = proc, proc.stdin
    os.environ[TOKEN_VAR] = token


def active():
    return _pipe is not None


def reaper_pid():
    return _proc.pid if _proc is not None else None


def _send(line):
    if _pipe is None:
        return
    _pipe.write((line + "\n").encode())
    _pipe.flush()


def start_time(pid):
    """Field 22 of /proc/PID/stat (clock ticks after boot), or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses.
    return int(stat[stat.rindex(b")") + 2:].split()[19])


def watch(pid):
    """Registers the process group led by pid (a child started with
    start_new_session=True)."""
    st = start_time(pid)
    if st is not None:
        _send("group %d %d" % (pid, st))


def spawn(args, **kw):
    """subprocess.Popen in a session (and process group) of its own,
    registered with the reaper."""
    kw.setdefault("start_new_session", True)
    proc = subprocess.Popen(args, **kw)
    watch(proc.pid)
    return proc


def watch_cluster(cluster):
    _send("cluster %s" % cluster)


def forget_cluster(cluster):
    _send("forget-cluster %s" % cluster)


# --------------------------------------------------------------------------
# the reaper
# --------------------------------------------------------------------------

def pg_ctl():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: [int(x) for x in p.split("/")[4].split(".") if x.isdigit()])
    return found[-1] if found else "pg_ctl"


def postmaster_pid(cluster):
    try:
        with open(os.path.join(cluster, "postmaster.pid")) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return None


def stop_cluster(cluster):
    """pg_ctl stop -m immediate as the cluster's owner (PostgreSQL refuses
    root); SIGKILL to the postmaster if it is still there afterwards."""
    if postmaster_pid(cluster) is None:
        return 0
    cmd = [pg_ctl(), "-D", cluster, "-m", "immediate", "-w", "-t", "10", "stop"]
    owner = os.stat(cluster).st_uid
    if os.geteuid() == 0 and owner != 0:
        cmd = ["runuser", "-u", pwd.getpwuid(owner).pw_name, "--"] + cmd
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    pid = postmaster_pid(cluster)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return 1


def kill_group(pgid, started):
    """SIGKILL to the group, unless its leader's pid now names another process."""
    now = start_time(pgid)
    if now is not None and now != started:
        return 0
    try:
        os.killpg(pgid, signal.SIGKILL)
        return 1
    except OSError:
        return 0


def marked(token):
    """Pids of live processes whose environment holds the session token."""
    needle = ("%s=%s\0" % (TOKEN_VAR, token)).encode()
    me = os.getpid()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                if needle in f.read():
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def sweep(token):
    """Kills marked processes, a few rounds (one may fork while we look, and
    one in the middle of exec shows an empty environment for a moment, so a
    round that finds nothing is looked at once more)."""
    killed = 0
    empty = 0
    for _ in range(6):
        pids = marked(token)
        empty = 0 if pids else empty + 1
        if empty == 2:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.05)
    return killed


def reap(token, groups, clusters):
    stopped = sum(stop_cluster(c) for c in sorted(clusters) if os.path.isdir(c))
    killed = sum(kill_group(g, st) for g, st in groups.items())
    killed += sweep(token)
    if stopped or killed:
        try:
            sys.stderr.write("reaper: stopped %d PostgreSQL cluster(s) and %d process group(s) "
                             "or process(es) left by the test session\n" % (stopped, killed))
        except OSError:
            pass


def serve(token):
    groups, clusters = {}, set()

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        for raw in sys.stdin.buffer:
            words = raw.decode("utf-8", "replace").rstrip("\n").split(" ", 1)
            if words[0] == "group":
                pgid, started = words[1].split()
                groups[int(pgid)] = int(started)
            elif words[0] == "cluster":
                clusters.add(words[1])
            elif words[0] == "forget-cluster":
                clusters.discard(words[1])
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        reap(token, groups, clusters)


if __name__ == "__main__":
    serve(sys.argv[1])
