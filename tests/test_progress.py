# SPDX-License-Identifier: ISC
"""The progress line (--progress, SIGUSR1) seen from a real terminal: the
binary's stderr is the slave side of a pseudo-terminal, its stdout a pipe.
On a terminal the line is redrawn in place (\\r ... \\033[K) and erased at
the end; it never reaches stdout; --progress=never draws nothing;
--progress=always without a terminal writes plain lines; SIGUSR1 prints
one line.  Each run lasts about 1.2 s (hole targets, -t 1.2s)."""

import os
import pty
import re
import select
import signal
import subprocess
import time
import unittest

import aptest

RUN_DEADLINE = 15.0
PROGRESS_RE = re.compile(rb"asyncprobe: (\d+)(?:/(\d+))? done[^\r\n]*?"
                         rb"(\d+) in flight")


def run_tty(args, stdin, usr1_at=None, shared=False):
    """Run asyncprobe with stderr on a pty; returns (rc, stdout bytes,
    terminal bytes, seconds).  usr1_at: send SIGUSR1 that many seconds
    in.  shared: stdout on the same pty (its bytes are the terminal's)."""
    argv = aptest.probe_argv(args)
    try:
        master, slave = pty.openpty()
    except OSError as e:
        raise unittest.SkipTest("no pseudo-terminal: %s" % e)
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                             stdout=slave if shared else subprocess.PIPE,
                             stderr=slave, start_new_session=True)
    finally:
        os.close(slave)
    p.stdin.write(stdin.encode())
    p.stdin.close()
    out, tty = b"", b""
    fds = {master: "tty"}
    if not shared:
        fds[p.stdout.fileno()] = "out"
    deadline = t0 + RUN_DEADLINE
    try:
        while fds and time.monotonic() < deadline:
            if usr1_at is not None and time.monotonic() - t0 >= usr1_at:
                p.send_signal(signal.SIGUSR1)
                usr1_at = None
            wait = 0.05 if usr1_at is not None else 0.5
            r, _, _ = select.select(list(fds), [], [], wait)
            for fd in r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:     # EIO: the slave side is gone
                    chunk = b""
                if not chunk:
                    del fds[fd]
                elif fds[fd] == "out":
                    out += chunk
                else:
                    tty += chunk
        if fds:
            p.kill()
        rc = p.wait(5)
    finally:
        os.close(master)
        if p.stdout is not None:
            p.stdout.close()
    if fds:
        raise AssertionError("asyncprobe did not finish: %s\n%r"
                             % (" ".join(argv), tty[-2000:]))
    return rc, out, tty, time.monotonic() - t0


def run_shared_tty(args, stdin):
    """stdout and stderr both on one pty, as in an interactive shell:
    (rc, terminal bytes)."""
    rc, _, tty, _ = run_tty(args, stdin, shared=True)
    return rc, tty


def run_pipe(args, stdin, usr1_at=None):
    """stderr on a pipe: (rc, stdout, stderr bytes, seconds)."""
    t0 = time.monotonic()
    p = aptest.start(args, stdin)
    if usr1_at is not None:
        time.sleep(usr1_at)
        p.send_signal(signal.SIGUSR1)
    try:
        out, err = p.communicate(timeout=RUN_DEADLINE)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise AssertionError("asyncprobe did not finish")
    return p.returncode, out, err, time.monotonic() - t0


class Progress(aptest.TestCase):
    def setUp(self):
        self.hole = aptest.net("hole")
        self.acc = aptest.net("accept")
        H = "127.0.0.1:%d" % self.hole.port
        A = "127.0.0.1:%d" % self.acc.port
        # Two finish at once, three hang until -t.  Read from a file, so
        # the line knows the total (stdin cannot be read twice).
        self.stdin = "".join(l + "\n" for l in (A, H, H, A, H))
        self.args = ["-f", "json", "-t", "1.2s",
                     aptest.write_file("targets", self.stdin)]

    def check_tty_run(self, rc, out, tty, j, total=5):
        what = "j=%s\ntty: %r\nout: %r" % (j, tty[-3000:], out[-500:])
        self.assertEqual(rc, 1, what)
        # stdout has the five records and nothing of the progress line.
        recs = [l for l in out.splitlines() if l.strip()]
        self.assertEqual(len(recs), 5, what)
        self.assertNotIn(b"in flight", out)
        self.assertNotIn(b"\r", out)
        self.assertNotIn(b"\x1b", out)
        # Redrawn in place: several draws, each starting with \r, none
        # ending a line.
        draws = re.findall(rb"\rasyncprobe: [^\r\n]*", tty)
        self.assertGreaterEqual(len(draws), 3, what)
        self.assertNotIn(b"\n", tty, what)
        for d in draws:
            self.assertTrue(d.endswith(b"\x1b[K"), what)
            m = PROGRESS_RE.search(d)
            self.assertTrue(m, d)
            self.assertEqual(m.group(2), total and str(total).encode(), d)
        # Mid-run the two quick ones are done and three are in flight.
        done = b"2/5 done" if total else b" 2 done"
        self.assertTrue(any(re.search(done + rb".*\b3 in flight", d)
                            for d in draws), what)
        # Erased at the end: the terminal is left with a clean line.
        self.assertTrue(tty.endswith(b"\r\x1b[K"), what)

    def test_tty_redraw_and_erase(self):
        for j in ("1", "2"):
            with self.subTest(j=j):
                rc, out, tty, secs = run_tty(self.args + ["-j", j],
                                             self.stdin)
                self.check_tty_run(rc, out, tty, j)
                self.assertLess(secs, 5.0)

    def test_tty_stdin_no_total(self):
        # From a pipe the total is unknown: "2 done", no "/N".
        rc, out, tty, _ = run_tty(self.args[:-1] + ["-j", "1"], self.stdin)
        self.check_tty_run(rc, out, tty, "1", total=None)

    def test_tty_explicit_always(self):
        rc, out, tty, _ = run_tty(self.args + ["-j", "1",
                                               "--progress=always"],
                                  self.stdin)
        self.check_tty_run(rc, out, tty, "1")

    def test_tty_never(self):
        for j in ("1", "2"):
            with self.subTest(j=j):
                rc, out, tty, _ = run_tty(self.args + ["-j", j,
                                                       "--progress=never"],
                                          self.stdin)
                self.assertEqual(rc, 1)
                self.assertEqual(len(out.splitlines()), 5, out)
                self.assertEqual(tty, b"")

    def test_pipe_always_plain_lines(self):
        for j in ("1", "2"):
            with self.subTest(j=j):
                rc, out, err, _ = run_pipe(self.args + ["-j", j,
                                                        "--progress=always"],
                                           self.stdin)
                self.assertEqual(rc, 1, err)
                self.assertNotIn(b"\r", err)
                self.assertNotIn(b"\x1b", err)
                self.assertNotIn(b"in flight", out)
                lines = err.splitlines()
                self.assertGreaterEqual(len(lines), 1, err)
                self.assertTrue(err.endswith(b"\n"), err)
                for l in lines:
                    self.assertRegex(l, PROGRESS_RE)

    def test_pipe_auto_silent(self):
        rc, out, err, _ = run_pipe(self.args + ["-j", "1"], self.stdin)
        self.assertEqual(rc, 1, err)
        self.assertEqual(err, b"")

    def test_sigusr1_pipe(self):
        for j in ("1", "2"):
            with self.subTest(j=j):
                rc, out, err, _ = run_pipe(self.args + ["-j", j],
                                           self.stdin, usr1_at=0.6)
                self.assertEqual(rc, 1, err)
                lines = err.splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertTrue(err.endswith(b"\n"), err)
                # Not asked for --progress, the total is not counted.
                self.assertRegex(lines[0], rb"\b2(/5)? done.*\b3 in flight")
                self.assertEqual(len(out.splitlines()), 5, out)

    def test_sigusr1_tty_never(self):
        # --progress=never: SIGUSR1 still prints its one line.
        rc, out, tty, _ = run_tty(self.args + ["-j", "1",
                                               "--progress=never"],
                                  self.stdin, usr1_at=0.6)
        self.assertEqual(rc, 1, tty)
        self.assertEqual(len(re.findall(rb"in flight", tty)), 1, tty)
        self.assertRegex(tty, rb"^asyncprobe: 2(/5)? done.*\b3 in flight.*"
                         rb"\r?\n$")

    def test_sigusr1_tty_with_progress(self):
        # With the live line on: the SIGUSR1 line is a whole line of its
        # own (the live line is erased first, not torn), and the live line
        # goes on being drawn and is erased at the end.
        for j in ("1", "2"):
            with self.subTest(j=j):
                rc, out, tty, _ = run_tty(self.args + ["-j", j], self.stdin,
                                          usr1_at=0.6)
                self.assertEqual(rc, 1, tty)
                whole = re.findall(rb"(?:^|\x1b\[K)(asyncprobe: [^\r\n]*)"
                                   rb"\r?\n", tty)
                self.assertEqual(len(whole), 1, tty)
                self.assertRegex(whole[0], PROGRESS_RE)
                self.assertTrue(tty.endswith(b"\r\x1b[K"), tty[-300:])
                self.assertEqual(len(out.splitlines()), 5, out)


class SharedTerminal(aptest.TestCase):
    """Records and the progress line on one terminal: the line is erased
    before every record, so no record is glued to it (issue 12)."""

    def assertLineErased(self, tty, at, what):
        """What starts at offset at of the terminal bytes starts a line
        of its own: a progress line drawn before it on the same line was
        erased first."""
        seg = tty[tty.rfind(b"\n", 0, at) + 1:at]
        drawn = seg.rfind(b"\rasyncprobe: ")
        if drawn >= 0:
            self.assertNotEqual(seg.find(b"\r\x1b[K", drawn + 1), -1,
                                "glued to the line: %r\n%s" % (seg, what))

    def test_records_never_glued_to_the_line(self):
        # 12 refused targets at --rate 6: a record every ~170 ms while
        # the line redraws every 250 ms.
        text = "".join("127.0.0.1:1 # %d\n" % i for i in range(12))
        for j in ("1", "2", "4"):
            for fmt in ("json", "text"):
                with self.subTest(j=j, fmt=fmt):
                    rc, tty = run_shared_tty(
                        ["--progress=always", "--rate", "6", "-j", j,
                         "-f", fmt], text)
                    what = "j=%s fmt=%s\n%r" % (j, fmt, tty[-3000:])
                    self.assertEqual(rc, 1, what)
                    self.assertGreaterEqual(
                        len(re.findall(rb"\rasyncprobe: ", tty)), 3, what)
                    for m in re.finditer(rb"127\.0\.0\.1:1\b", tty):
                        self.assertLineErased(tty, m.start(), what)
                    self.assertEqual(tty.count(b"127.0.0.1:1"), 12, what)
                    self.assertTrue(tty.endswith(b"\r\x1b[K") or
                                    tty.endswith(b"\n"), what)

    def test_header_never_glued_to_the_line(self):
        # The first record comes 1.2 s in, after several redraws: the
        # header written just before it starts a line of its own too,
        # whatever -j, the format and --ordered (whose records and header
        # take other paths to the terminal).
        hole = aptest.net("hole")
        text = "127.0.0.1:%d\n" % hole.port
        headers = {"text": rb"TARGET +STATUS", "csv": rb"target,host,port"}
        for j in ("1", "2", "4"):
            for fmt, header in headers.items():
                for ordered in ([], ["--ordered"]):
                    with self.subTest(j=j, fmt=fmt, ordered=ordered):
                        rc, tty = run_shared_tty(
                            ["--progress=always", "-t", "1200ms", "-j", j,
                             "-f", fmt] + ordered, text)
                        what = "%r" % tty[-3000:]
                        self.assertEqual(rc, 1, what)
                        self.assertGreaterEqual(
                            len(re.findall(rb"\rasyncprobe: ", tty)), 2,
                            what)
                        m = re.search(header, tty)
                        self.assertIsNotNone(m, what)
                        self.assertLineErased(tty, m.start(), what)


if __name__ == "__main__":
    aptest.main()
