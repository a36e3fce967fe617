# SPDX-License-Identifier: ISC
"""The command line and exit status (SPEC 1, SPEC 6): --help/--version, bad
option values, exit codes 0/1/2/3 from real runs, unreadable files,
SIGINT/SIGTERM during a run, and a closed stdout."""

import os
import signal
import time

import aptest


class Usage(aptest.TestCase):
    def test_help(self):
        r = aptest.run(["--help"], resolver=False)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertIn("--timeout", r.out)
        self.assertIn("usage", r.out.lower())
        self.assertEqual(r.err, "")

    def test_version(self):
        r = aptest.run(["--version"], resolver=False)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRegex(r.out, r"\d+\.\d+\.\d+")
        self.assertEqual(r.err, "")

    BAD = [
        (["-t", "abc"], ("-t", "--timeout"), "abc"),
        (["--timeout", "5x"], ("-t", "--timeout"), "5x"),
        (["-t", "-1"], ("-t", "--timeout"), "-1"),
        (["-c", "0"], ("-c", "--concurrency"), "0"),
        (["-c", "12abc"], ("-c", "--concurrency"), "12abc"),
        (["-f", "xml"], ("-f", "--format"), "xml"),
        (["--attempt-delay", "soon"], ("--attempt-delay",), "soon"),
        (["--attempt-timeout", "0x10"], ("--attempt-timeout",), "0x10"),
        (["-p", "0"], ("-p", "--port"), "0"),
        (["-p", "70000"], ("-p", "--port"), "70000"),
        (["--resolve", "nocolon"], ("--resolve",), "nocolon"),
        (["--resolve", "h.test:not-an-ip"], ("--resolve",),
         "not-an-ip"),
        (["--resolver", "dns.example"], ("--resolver",), "dns.example"),
        (["--no-such-option"], ("--no-such-option",), ""),
        (["-Z"], ("-Z", "'Z'", "-- Z", "-- 'Z'"), ""),
    ]

    def test_bad_values_exit_3_nothing_probed(self):
        srv = aptest.net("accept")
        for args, names, value in self.BAD:
            with self.subTest(args=args):
                r = aptest.run(args, "127.0.0.1:%d\n" % srv.port)
                self.assertEqual(r.rc, 3, r.describe())
                self.assertEqual(r.out, "", r.describe())
                self.assertTrue(any(n in r.err for n in names), r.describe())
                self.assertIn(value, r.err)
        self.assertEqual(srv.accepted(), 0)

    def test_missing_argument(self):
        r = aptest.run(["-t"], "")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(r.out, "")
        self.assertTrue(r.err)


class ExitCodes(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.ref = aptest.net("refuse")
        self.dns = aptest.dns("nx.test NXDOMAIN\n")
        self.ok = "127.0.0.1:%d\n" % self.acc.port
        self.refused = "127.0.0.1:%d\n" % self.ref.port
        self.nx = "nx.test:%d\n" % self.acc.port
        self.bad = "bad host:80\n"

    def code(self, stdin):
        r = aptest.run(["-f", "json", "--resolver", self.dns.resolver],
                       stdin)
        return r.rc, r

    def test_codes(self):
        cases = [
            (self.ok, 0),
            (self.ok + self.refused, 1),
            (self.refused, 1),
            (self.ok + self.nx, 2),
            (self.refused + self.nx, 2),
            (self.ok + self.bad, 3),
            (self.refused + self.nx + self.bad, 3),
            ("", 1),                    # no targets: fping says 1 too
        ]
        for stdin, want in cases:
            with self.subTest(stdin=stdin):
                rc, r = self.code(stdin)
                self.assertEqual(rc, want, r.describe())
                self.assertEqual(len(r.records), stdin.count("\n"))

    def test_unreadable_file_among_readable(self):
        a = aptest.write_file("a.txt", self.ok)
        b = aptest.write_file("b.txt", self.refused)
        missing = os.path.join(aptest.tmpdir(), "missing.txt")
        r = aptest.run(["-f", "json", a, missing, b])
        self.assertEqual(r.rc, 3, r.describe())
        self.assertIn(missing, r.err)
        recs = {x["line"]: x for x in r.records}
        self.assertEqual(sorted(recs), sorted([a + ":1", b + ":1"]))
        self.assertEqual(recs[a + ":1"]["status"], "connected")
        self.assertEqual(recs[b + ":1"]["status"], "refused")

    def test_dash_reads_stdin_between_files(self):
        a = aptest.write_file("a.txt", self.ok)
        r = aptest.run(["-f", "json", a, "-"], self.refused)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual(sorted(x["line"] for x in r.records),
                         sorted([a + ":1", "-:1"]))


class Signals(aptest.TestCase):
    def interrupt(self, sig, want_rc):
        acc = aptest.net("accept")
        holes = [aptest.net("hole", host="127.0.0.%d" % i) for i in (3, 4, 5)]
        stdin = "127.0.0.1:%d\n" % acc.port + "".join(
            "127.0.0.%d:%d\n" % (i, h.port) for i, h in zip((3, 4, 5), holes))
        p = aptest.start(["-f", "json", "-t", "10s"], stdin)
        try:
            first = aptest.read_line(p.stdout, 3)
            self.assertTrue(first, "no first record")
            t0 = time.monotonic()
            p.send_signal(sig)
            out, err = p.communicate(timeout=5)
            took = time.monotonic() - t0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, want_rc, err)
        self.assertLess(took, 2.0)
        recs = aptest.json_lines(first) + aptest.json_lines(out)
        self.assertOnceEach(recs, ["-:1", "-:2", "-:3", "-:4"])
        by = {x["line"]: x for x in recs}
        self.assertRecord(by["-:1"], "connected", None, "127.0.0.1")
        for n, i in ((2, 3), (3, 4), (4, 5)):
            self.assertRecord(by["-:%d" % n], "cancelled", "ECANCELED",
                              "127.0.0.%d" % i)

    def test_sigint(self):
        self.interrupt(signal.SIGINT, 130)

    def test_sigterm(self):
        self.interrupt(signal.SIGTERM, 143)


class ClosedStdout(aptest.TestCase):
    def test_head_closes_pipe(self):
        # `asyncprobe ... | head -1`: after the reader goes away the run
        # ends quietly, without waiting for the hole's 10 s deadline.
        acc = aptest.net("accept")
        hole = aptest.net("hole")
        stdin = ("127.0.0.1:%d\n" % acc.port + "127.0.0.1:%d\n" % hole.port
                 + "127.0.0.1:%d\n" % acc.port * 2000)
        p = aptest.start(["-f", "json", "-t", "10s", "-c", "64"], stdin)
        try:
            first = aptest.read_line(p.stdout, 3)
            p.stdout.close()
            t0 = time.monotonic()
            p.wait(8)
            took = time.monotonic() - t0
            err = p.stderr.read()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertTrue(first)
        self.assertEqual(err.decode(errors="replace"), "")
        self.assertLess(took, 5.0)
        self.assertIn(p.returncode, (0, 1, 141, -signal.SIGPIPE))


if __name__ == "__main__":
    aptest.main()
