"""Child processes and network namespaces for tools/compare-peers.

  p = spawn(["iperf3", "-s", "-1", "-p", "5201"])   # dies with the caller
  wait_listening(p.pid, 5201)                       # readiness, bounded
  rc, out = run(["iperf3", "-c", ...], timeout=30)  # bounded
  stop(p)
  with PeerNetns() as ns:                           # two namespaces + veth
      run(ns.enter("c") + ["iperf3", "-c", SERVER_ADDR, ...], timeout=30)
  cleanup()                                         # stops every child left

Every child gets SIGKILL when the caller dies (PR_SET_PDEATHSIG), even by
SIGKILL, and the namespaces are anonymous (held by child processes), so
nothing outlives the caller. Standard library only.
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from peer_outputs import Failure

SERVER_ADDR = "198.18.0.1"
CLIENT_ADDR = "198.18.0.2"
PREFIX = 30


# --------------------------------------------------------------------------
# Processes. Every child dies with this script (PR_SET_PDEATHSIG), lives in
# its own process group (in this script's session), and is tracked so that
# cleanup stops it by pid.

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1
CHILDREN = []


def _child_setup():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # A process group of its own (to be stopped as one), but the same
    # session as this script and every other child: with autogroup
    # scheduling a session is one CPU-share group, so a new session would
    # give a two-process peer twice the share of copyscope's one process
    # whenever anything else runs on the machine.
    os.setpgid(0, 0)


def spawn(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT):
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout,
                         stderr=stderr, preexec_fn=_child_setup)
    CHILDREN.append(p)
    return p


def stop(p, sig=signal.SIGTERM):
    """Stops a child (and its process group) and reaps it, bounded."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=3)
    if p in CHILDREN:
        CHILDREN.remove(p)


def run(argv, timeout, split=False):
    """Runs a command to completion (bounded). Returns (rc, output), output
    being stdout and stderr together, or (rc, stdout, stderr) with split."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = spawn(argv, stdout=out, stderr=err if split else subprocess.STDOUT)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(p, signal.SIGKILL)
            raise Failure("%s did not finish within %d s" %
                          (os.path.basename(argv[0]), timeout))
        CHILDREN.remove(p)
        texts = []
        for f in (out, err) if split else (out,):
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace"))
        return (rc, *texts)


def cleanup():
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # finish cleaning up first
    for p in list(CHILDREN):
        stop(p)


def find_copyscope(path, root, prog):
    """path when given, else the binary of `bazel build -c opt` in root;
    exits naming prog when the build fails."""
    if path:
        return path
    print("building copyscope (bazel build -c opt //harness:copyscope)...",
          flush=True)
    r = subprocess.run(["bazel", "build", "-c", "opt", "--noshow_progress",
                        "//harness:copyscope"], cwd=root,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.stderr.write(r.stdout.decode("utf-8", "replace")[-3000:])
        sys.exit("%s: the copyscope build failed (see above); fix it, or "
                 "point --copyscope=PATH at a built binary" % prog)
    r = subprocess.run(["bazel", "info", "-c", "opt", "bazel-bin"], cwd=root,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    found = os.path.join(r.stdout.decode().strip(), "harness", "copyscope")
    if r.returncode != 0 or not os.access(found, os.X_OK):
        sys.exit("%s: built copyscope not found at %s" % (prog, found))
    return found


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_listening(pid, port, timeout=5.0):
    """Waits (bounded) until process pid has a TCP socket listening on port,
    reading its namespace's /proc/PID/net/tcp; no fixed sleeps."""
    deadline = time.monotonic() + timeout
    needle = ":%04X " % port
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/net/tcp" % pid) as f:
                for line in f:
                    fields = line.split()
                    if len(fields) > 3 and fields[3] == "0A" and \
                            (fields[1] + " ").endswith(needle):
                        return
        except OSError:
            raise Failure("the server (pid %d) exited before listening" % pid)
        time.sleep(0.005)  # polling a readiness condition, not a fixed wait
    raise Failure("the server did not listen on port %d within %.0f s" %
                  (port, timeout))


# --------------------------------------------------------------------------
# The peers' network namespaces.

class PeerNetns:
    """Two anonymous network namespaces, each held by a child process,
    joined by a veth pair: server SERVER_ADDR, client CLIENT_ADDR. They
    vanish when the holders die (stop(), or with this script)."""

    def __init__(self):
        self.holders = []
        tag = "cp%d" % os.getpid()
        self.ifs = (tag + "s")[:15], (tag + "c")[:15]

    def __enter__(self):
        try:
            return self._setup()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _setup(self):
        mine = os.readlink("/proc/self/ns/net")
        for _ in range(2):
            self.holders.append(spawn(["unshare", "--net", "--", "sleep",
                                       "3600"]))
        deadline = time.monotonic() + 5
        for h in self.holders:
            while True:
                try:
                    ns = os.readlink("/proc/%d/ns/net" % h.pid)
                except OSError:
                    raise Failure("unshare --net exited (not permitted?)")
                if ns != mine and h.poll() is None:
                    break
                if h.poll() is not None or time.monotonic() > deadline:
                    raise Failure("unshare --net failed (not permitted?)")
                time.sleep(0.002)
        s, c = self.holders[0].pid, self.holders[1].pid
        steps = [
            ["ip", "link", "add", self.ifs[0], "netns", str(s), "type", "veth",
             "peer", "name", self.ifs[1], "netns", str(c)],
            self.enter("s") + ["ip", "addr", "add",
                               "%s/%d" % (SERVER_ADDR, PREFIX), "dev",
                               self.ifs[0]],
            self.enter("c") + ["ip", "addr", "add",
                               "%s/%d" % (CLIENT_ADDR, PREFIX), "dev",
                               self.ifs[1]],
            self.enter("s") + ["ip", "link", "set", self.ifs[0], "up"],
            self.enter("c") + ["ip", "link", "set", self.ifs[1], "up"],
        ]
        for argv in steps:
            rc, out = run(argv, timeout=10)
            if rc != 0:
                raise Failure("%s: %s" % (" ".join(argv), out.strip()))
        return self

    def enter(self, side):
        pid = self.holders[0 if side == "s" else 1].pid
        return ["nsenter", "--net=/proc/%d/ns/net" % pid, "--"]

    def __exit__(self, *exc):
        for h in self.holders:
            stop(h, signal.SIGKILL)
