# SPDX-License-Identifier: ISC
"""Robustness (issue 5): every target read yields exactly one record,
whatever happens -- a tiny descriptor limit under a huge -c, an exhausted
local port range, SIGINT/SIGTERM at random moments, a reader that goes
away, an output that cannot be written -- and the process neither leaks
descriptors nor hands its sockets to children (SOCK_CLOEXEC).

Tests that need a private port range or many loopback addresses run their
peers and asyncprobe inside `unshare -rn` (see aptest.in_netns)."""

import errno
import json
import os
import random
import resource
import signal
import socket
import stat
import subprocess
import threading
import time

import aptest

N_SCALE = 100000
O_CLOEXEC = 0o2000000


def stats_peak(err):
    """The "peak N in flight" figure of -s."""
    words = err.split()
    for i, word in enumerate(words[:-1]):
        if word == "peak":
            return int(words[i + 1])
    return None


# --- work done inside a network namespace ----------------------------------

def inner_scale(n):
    """n targets, each a distinct host:port over many 127.x.y.z addresses
    and two ports (listeners on 0.0.0.0: only lo exists here), run under
    RLIMIT_NOFILE 64 with -c 4096."""
    n = int(n)
    ports = [aptest.net("accept", host="0.0.0.0") for _ in range(2)]
    lines = []
    for i in range(n):
        a = i // 2 + 1
        lines.append("127.%d.%d.%d:%d" % (a >> 16 & 255, a >> 8 & 255,
                                          a & 255, ports[i % 2].port))
    return scale_run(lines, ports)


def scale_run(lines, servers):
    path = aptest.write_file("scale.txt", "".join(l + "\n" for l in lines))
    out = path + ".out"

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    t0 = time.monotonic()
    with open(out, "wb") as fp:
        p = subprocess.run(aptest.probe_argv(["-f", "json", "-c", "4096",
                                              "-t", "5s", "-s", path]),
                           stdout=fp, stderr=subprocess.PIPE,
                           preexec_fn=limit, timeout=50)
    return {"rc": p.returncode, "err": p.stderr.decode(errors="replace"),
            "out": out, "path": path, "elapsed": time.monotonic() - t0,
            "accepted": sum(s.accepted() for s in servers)}


def hold_every_port(host, port, limit=64):
    """Connect to (host, port) from this process until the kernel has no
    local port left for that destination; the SYNs go unanswered (a hole),
    so each socket keeps its port for minutes.  Returns the sockets."""
    held = []
    for _ in range(limit):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex((host, port))
        if err == errno.EADDRNOTAVAIL:
            s.close()
            return held
        held.append(s)
    raise AssertionError("%d ports and no shortage" % limit)


def inner_portrange(source=None):
    """Ten local ports.  Every one of them is held by this process towards
    one hole (`full`), so the ten targets at it can never get a port: they
    wait (back-pressure) and end "error EADDRNOTAVAIL" at the deadline.
    Ten targets at a second hole (`free`) do get ports, all ten at once,
    and end timeout.  Connected and refused targets around them, at other
    destinations, are unaffected.  With source, every connect is bound to
    it (-S).  Holders of our own make the shortage certain: if asyncprobe
    held the ports itself, they would free at its own deadline, the moment
    the waiters give up, and who wins that tie is luck."""
    full = aptest.net("hole")
    free = aptest.net("hole")
    acc = aptest.net("accept")
    ref = aptest.net("refuse")
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as fp:
            fp.write("40000 40009\n")
    except OSError as e:
        return {"skip": "ip_local_port_range is not writable: %s" % e}
    held = hold_every_port("127.0.0.1", full.port)
    kinds = (["acc"] * 3 + ["full", "free"] * 10 + ["acc", "ref"] * 3)
    port = {"acc": acc.port, "ref": ref.port, "full": full.port,
            "free": free.port}
    path = aptest.write_file("ports.txt", "".join(
        "127.0.0.1:%d\n" % port[k] for k in kinds))
    args = ["-f", "json", "-t", "1s", path]
    if source is not None:
        args = ["-S", source] + args
    r = aptest.run(args, timeout=30)
    for s in held:
        s.close()
    return dict(r.as_dict(), kinds=kinds, path=path, held=len(held))


INNER = {"scale": inner_scale, "portrange": inner_portrange}


# --- the tests -----------------------------------------------------------

class Scale(aptest.TestCase):
    def check_scale(self, res, lines):
        n = len(lines)
        self.assertEqual(res["rc"], 0, res["err"][-2000:])
        with open(res["out"], "rb") as fp:
            recs = aptest.json_lines(fp.read())
        self.assertEqual(len(recs), n)
        self.assertOnceEach(recs, ["%s:%d" % (res["path"], i)
                                   for i in range(1, n + 1)])
        prefix = len(res["path"]) + 1
        wrong = [r for r in recs
                 if r["target"] != lines[int(r["line"][prefix:]) - 1]]
        self.assertEqual(wrong, [], "record for another line")
        bad = [r for r in recs if r["status"] != "connected"]
        self.assertEqual(bad[:5], [], "%d not connected" % len(bad))
        self.assertEqual(res["accepted"], n)
        peak = stats_peak(res["err"])
        self.assertIsNotNone(peak, res["err"])
        self.assertLessEqual(peak, 64, "more in flight than descriptors")
        self.assertLess(res["elapsed"], 40)

    def test_100k_nofile_64_distinct_pairs(self):
        # 50,000 addresses x 2 ports: every line a distinct host:port.
        res = aptest.in_netns(os.path.abspath(__file__), "scale", N_SCALE)
        lines = []
        with open(res["path"]) as fp:
            lines = fp.read().splitlines()
        self.assertEqual(len(set(lines)), N_SCALE)
        self.check_scale(res, lines)

    def test_100k_nofile_64_loopback(self):
        # The same on the host's loopback: 8 listeners on 127.0.0.2-9, the
        # lines repeat, so only their FILE:LINE labels are distinct.
        servers = [aptest.net("accept", host="127.0.0.%d" % i)
                   for i in range(2, 10)]
        lines = ["127.0.0.%d:%d" % (2 + i % 8, servers[i % 8].port)
                 for i in range(N_SCALE)]
        self.check_scale(scale_run(lines, servers), lines)


class PortRange(aptest.TestCase):
    def test_eaddrnotavail_retried_then_error(self):
        self.check_portrange(aptest.in_netns(os.path.abspath(__file__),
                                             "portrange"))

    def test_with_source_too(self):
        # Issue 10 defect 8: with -S the port is picked at connect()
        # (IP_BIND_ADDRESS_NO_PORT), so an exhausted range is the same
        # back-pressure, not an instant "error EADDRINUSE" from bind().
        self.check_portrange(aptest.in_netns(os.path.abspath(__file__),
                                             "portrange", "127.0.0.1"))

    def check_portrange(self, res):
        kinds = res["kinds"]
        recs = aptest.json_lines(res["out"])
        labels = ["%s:%d" % (res["path"], i)
                  for i in range(1, len(kinds) + 1)]
        self.assertOnceEach(recs, labels)
        by = {r["line"]: r for r in recs}
        self.assertEqual(res["held"], 10, "the range is 10 ports")
        for label, kind in zip(labels, kinds):
            r = by[label]
            self.assertRecordShape(r)
            if kind == "acc":
                self.assertRecord(r, "connected", None, "127.0.0.1")
            elif kind == "ref":
                self.assertRecord(r, "refused", "ECONNREFUSED", "127.0.0.1",
                                  stage="handshake")
            elif kind == "free":
                # It got a port: the hole's real verdict.
                self.assertRecord(r, "timeout", "ETIMEDOUT", "127.0.0.1",
                                  stage="handshake")
            else:
                # Back-pressure until the deadline (SPEC 3.6), not an
                # instant verdict.
                self.assertRecord(r, "error", "EADDRNOTAVAIL", "127.0.0.1",
                                  stage="connect")
                self.assertGreaterEqual(r["elapsed_ms"], 900, r)
        self.assertEqual(res["rc"], 1, res["err"])


class Signals(aptest.TestCase):
    RUNS = 6

    def test_random_moments_j1(self):
        self.random_moments(1, 5)

    def test_random_moments_j2(self):
        self.random_moments(2, 6)

    def random_moments(self, j, seed):
        self.j = j
        acc = aptest.net("accept")
        ref = aptest.net("refuse")
        holes = [aptest.net("hole", host="127.0.0.%d" % i)
                 for i in (3, 4, 5)]
        kinds, text = [], []
        for i in range(240):
            k = ("acc", "ref", "hole")[i % 3]
            kinds.append(k)
            if k == "acc":
                text.append("127.0.0.1:%d\n" % acc.port)
            elif k == "ref":
                text.append("127.0.0.1:%d\n" % ref.port)
            else:
                h = (i // 3) % 3
                text.append("127.0.0.%d:%d\n" % (3 + h, holes[h].port))
        path = aptest.write_file("mixed.txt", "".join(text))
        rng = random.Random(seed)
        for run in range(self.RUNS):
            sig = (signal.SIGINT, signal.SIGTERM)[run % 2]
            delay = rng.uniform(0, 0.3)
            with self.subTest(run=run, sig=sig, delay=round(delay, 3)):
                self.one_run(path, kinds, sig, delay)

    def one_run(self, path, kinds, sig, delay):
        args = ["-f", "json", "-t", "5s", "-c", "32", "-j", str(self.j),
                path]
        p = subprocess.Popen(aptest.probe_argv(args),
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            # The first record proves the signal handlers are in place.
            first = aptest.read_line(p.stdout, 5).encode()
            time.sleep(delay)
            p.send_signal(sig)
            out, err = p.communicate(timeout=5)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 128 + sig, err)
        recs = aptest.json_lines(first + out)
        self.assertLessEqual(len(recs), len(kinds))
        # Lines are read in order: a record for line L means every line
        # before it was read, and every line read has exactly one record.
        nums = sorted(int(r["line"].rsplit(":", 1)[1]) for r in recs)
        self.assertEqual(nums, list(range(1, len(nums) + 1)),
                         "missing or duplicate records")
        cancelled = 0
        for r in recs:
            self.assertRecordShape(r)
            kind = kinds[int(r["line"].rsplit(":", 1)[1]) - 1]
            if r["status"] == "cancelled":
                self.assertEqual(r["errno"], "ECANCELED", r)
                cancelled += 1
            elif kind == "acc":
                self.assertEqual(r["status"], "connected", r)
            elif kind == "ref":
                self.assertEqual(r["status"], "refused", r)
            else:
                self.fail("a hole ended before its 5 s deadline: %r" % r)
        self.assertGreater(cancelled, 0, "nothing was in flight?")


class ClosedStdout(aptest.TestCase):
    def test_pipe_to_head(self):
        # A real `| head -1`.  Observed: exit status 1 (the targets cut
        # short are not connected), nothing on stderr, no signal death.
        acc = aptest.net("accept")
        hole = aptest.net("hole")
        path = aptest.write_file("head.txt", "127.0.0.1:%d\n" % acc.port
                                 + "127.0.0.1:%d\n" % hole.port
                                 + "127.0.0.1:%d\n" % acc.port * 2000)
        argv = aptest.probe_argv(["-f", "json", "-t", "10s", path])
        errf = os.path.join(aptest.tmpdir(), "head.err")
        script = ('"$@" 2>%s | head -1; echo "rc=${PIPESTATUS[0]}" >&2'
                  % errf)
        t0 = time.monotonic()
        p = subprocess.run(["bash", "-c", script, "bash"] + argv,
                           capture_output=True, timeout=20)
        took = time.monotonic() - t0
        with open(errf) as fp:
            err = fp.read()
        self.assertEqual(err, "")
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 1)
        self.assertEqual(json.loads(lines[0])["status"], "connected")
        rc = int(p.stderr.decode().strip().rsplit("rc=", 1)[1])
        self.assertIn(rc, (0, 1), "a signal death or a system error")
        self.assertLess(took, 6.0, "did not stop when the reader left")


class WriteErrors(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.path = aptest.write_file(
            "w.txt", "127.0.0.1:%d\n" % self.acc.port * 2000)

    def test_stdout_dev_full(self):
        for fmt in ("json", "csv", "text"):
            with self.subTest(fmt=fmt):
                with open("/dev/full", "wb") as full:
                    p = subprocess.run(
                        aptest.probe_argv(["-f", fmt, self.path]),
                        stdout=full, stderr=subprocess.PIPE, timeout=30)
                err = p.stderr.decode(errors="replace")
                self.assertEqual(p.returncode, 4, err)
                self.assertIn("No space left on device", err)
                self.assertEqual(len(err.splitlines()), 1, err)

    def test_help_dev_full_says_why(self):
        for opt in ("--help", "--version"):
            with self.subTest(opt=opt):
                with open("/dev/full", "wb") as full:
                    p = subprocess.run([aptest.ASYNCPROBE, opt], stdout=full,
                                       stderr=subprocess.PIPE, timeout=10)
                self.assertEqual(p.returncode, 4)
                self.assertIn("No space left on device",
                              p.stderr.decode(errors="replace"))


class OutputFile(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.dir = os.path.join(aptest.tmpdir(), "odir.%s" % self.id())
        os.mkdir(self.dir)
        self.out = os.path.join(self.dir, "out.json")
        with open(self.out, "w") as fp:
            fp.write("old content\n")
        self.targets = aptest.write_file(
            "o.txt", "127.0.0.1:%d\n" % self.acc.port * 2000)

    def test_not_a_regular_file_is_written_directly(self):
        # A FIFO (or /dev/null) must not be renamed over: the records go
        # into it, and it is still a FIFO afterwards.
        fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(fifo)
        got = []

        def reader():
            with open(fifo, "rb") as fp:
                got.append(fp.read())

        t = threading.Thread(target=reader)
        t.start()
        r = aptest.run(["-f", "json", "-o", fifo],
                       "127.0.0.1:%d\n" % self.acc.port)
        t.join(10)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))
        self.assertEqual(len(got[0].splitlines()), 1, got)
        self.assertEqual(sorted(os.listdir(self.dir)), ["fifo", "out.json"])

    def assertOnlyOutput(self):
        self.assertEqual(os.listdir(self.dir), ["out.json"],
                         "temporary files left behind")

    def test_write_error_keeps_old_file(self):
        # EFBIG from RLIMIT_FSIZE (SIGXFSZ ignored, so write(2) fails).
        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

        r = aptest.run(["-f", "json", "-o", self.out, self.targets],
                       preexec_fn=limit)
        self.assertEqual(r.rc, 4, r.describe()[:2000])
        self.assertIn("File too large", r.err)
        self.assertEqual(r.out, "")
        with open(self.out) as fp:
            self.assertEqual(fp.read(), "old content\n")
        self.assertOnlyOutput()

    def test_success_replaces_whole(self):
        r = aptest.run(["-f", "json", "-o", self.out, self.targets])
        self.assertEqual(r.rc, 0, r.describe()[:2000])
        self.assertEqual(r.out, "")
        with open(self.out, "rb") as fp:
            recs = aptest.json_lines(fp.read())
        self.assertEqual(len(recs), 2000)
        self.assertEqual({x["status"] for x in recs}, {"connected"})
        self.assertOnlyOutput()

    def test_sigterm_keeps_old_file(self):
        # SPEC 1: on a signal the old -o file stays -- a prom file with
        # the cancelled targets must never replace the last good one.
        # The records still go nowhere else: stdout stays empty.
        hole = aptest.net("hole")
        path = aptest.write_file("ot.txt", "127.0.0.1:%d\n" % self.acc.port
                                 * 5 + "127.0.0.1:%d\n" % hole.port * 5)
        for fmt in ("json", "prom"):
            with self.subTest(format=fmt):
                p = subprocess.Popen(
                    aptest.probe_argv(["-f", fmt, "-t", "10s", "-o",
                                       self.out, path]),
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
                try:
                    # Loopback connects take well under a millisecond:
                    # after half a second only the holes are in flight.
                    time.sleep(0.5)
                    p.send_signal(signal.SIGTERM)
                    out, err = p.communicate(timeout=5)
                finally:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
                self.assertEqual(p.returncode, 143, err)
                self.assertEqual(out, b"")
                with open(self.out) as fp:
                    self.assertEqual(fp.read(), "old content\n")
                self.assertOnlyOutput()

    def test_unreadable_list_keeps_old_file(self):
        # Nothing could be read: a metrics file must not lose every
        # series to a missing list (exit 3 says so to cron).  When one of
        # two lists is read, its records replace the file as usual.
        missing = os.path.join(self.dir, "missing.txt")
        for fmt in ("prom", "json", "nagios"):
            with self.subTest(format=fmt):
                r = aptest.run(["-f", fmt, "-o", self.out, missing])
                self.assertEqual(r.rc, 3, r.describe())
                self.assertEqual(r.out, "")
                self.assertIn("asyncprobe: %s left as it was: no input "
                              "could be read\n" % self.out, r.err)
                with open(self.out) as fp:
                    self.assertEqual(fp.read(), "old content\n")
                self.assertOnlyOutput()
        one = aptest.write_file("one.txt", "127.0.0.1:%d\n" % self.acc.port)
        r = aptest.run(["-f", "json", "-o", self.out, missing, one])
        self.assertEqual(r.rc, 3, r.describe())
        with open(self.out, "rb") as fp:
            recs = aptest.json_lines(fp.read())
        self.assertEqual([x["status"] for x in recs], ["connected"])

    def test_symlink_replaces_its_target(self):
        # -o through a symbolic link: the file it points to is replaced
        # (a temporary file beside it, renamed there); the link stays.
        real = os.path.join(self.dir, "real.json")
        with open(real, "w") as fp:
            fp.write("old\n")
        os.unlink(self.out)
        os.symlink("real.json", self.out)
        r = aptest.run(["-f", "json", "-o", self.out],
                       "127.0.0.1:%d\n" % self.acc.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertTrue(os.path.islink(self.out))
        self.assertEqual(os.readlink(self.out), "real.json")
        with open(real, "rb") as fp:
            recs = aptest.json_lines(fp.read())
        self.assertEqual([x["status"] for x in recs], ["connected"])
        self.assertEqual(sorted(os.listdir(self.dir)),
                         ["out.json", "real.json"])
        # A dangling link: the file is made where it points.
        os.unlink(real)
        r = aptest.run(["-f", "json", "-o", self.out],
                       "127.0.0.1:%d\n" % self.acc.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertTrue(os.path.islink(self.out))
        self.assertTrue(os.path.isfile(real))

    def test_mode_follows_umask(self):
        old = os.umask(0o022)
        try:
            os.chmod(self.out, 0o644)
            r = aptest.run(["-f", "json", "-o", self.out, self.targets])
        finally:
            os.umask(old)
        self.assertEqual(r.rc, 0, r.describe()[:2000])
        # A textfile collector or another user must still read it.
        self.assertEqual(os.stat(self.out).st_mode & 0o777, 0o644)


class Descriptors(aptest.TestCase):
    N = 100000

    def test_no_leak_after_100k(self):
        acc = aptest.net("accept")
        p = subprocess.Popen(aptest.probe_argv(["-f", "json", "-c", "1024",
                                                "-t", "5s", "-"]),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        line = b"127.0.0.1:%d\n" % acc.port
        try:
            # After one record the loop waits on stdin: the baseline.
            p.stdin.write(line)
            p.stdin.flush()
            self.assertTrue(aptest.read_line(p.stdout, 5))
            time.sleep(0.1)
            before = aptest.fd_table(p.pid)

            def feed():
                for _ in range(self.N // 1000):
                    p.stdin.write(line * 1000)
                p.stdin.flush()

            t = threading.Thread(target=feed)
            t.start()
            got = 0
            deadline = time.monotonic() + 40
            while got < self.N and time.monotonic() < deadline:
                if not p.stdout.readline():
                    break
                got += 1
            t.join(10)
            self.assertEqual(got, self.N)
            time.sleep(0.2)     # the loop is back waiting on stdin
            after = aptest.fd_table(p.pid)
            p.stdin.close()
            p.wait(10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(sorted(after), sorted(before),
                         "descriptors: %r then %r" % (before, after))
        self.assertEqual(p.returncode, 0, p.stderr.read())

    def test_sockets_cloexec(self):
        holes = [aptest.net("hole", host="127.0.0.%d" % i) for i in (3, 4)]
        stdin = "".join("127.0.0.%d:%d\n" % (3 + i % 2, holes[i % 2].port)
                        for i in range(20))
        p = aptest.start(["-f", "json", "-t", "5s"], stdin)
        try:
            socks = {}
            deadline = time.monotonic() + 3
            while len(socks) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
                table = aptest.fd_table(p.pid)
                socks = {fd: v for fd, v in table.items()
                         if v[0].startswith("socket:")}
            self.assertGreaterEqual(len(socks), 20, table)
            # Everything but stdio: sockets, the epoll and pipes too.
            leaky = {fd: v for fd, v in table.items()
                     if fd > 2 and not v[1] & O_CLOEXEC}
            self.assertEqual(leaky, {}, "descriptors without O_CLOEXEC")
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()


if __name__ == "__main__":
    aptest.netns_inner(INNER)
    aptest.main()
