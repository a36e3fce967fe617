# SPDX-License-Identifier: ISC
"""Memory errors and leaks: representative runs under valgrind (connected,
refused, timeout, invalid lines, a pinned multi-address name, the fake DNS
server with NXDOMAIN and a multi-address name, SIGTERM mid-run, -o FILE,
every format, -s, -v).  Each must end with its normal exit status (never
valgrind's 99) and an error summary of 0 errors, definite and indirect
leaks counting as errors."""

import os
import re
import shutil
import signal
import subprocess
import time
import unittest

import aptest

VALGRIND = shutil.which("valgrind")
VG_TIMEOUT = 90
SUMMARY_RE = re.compile(r"ERROR SUMMARY: (\d+) errors")


def vg_prefix(log):
    return [VALGRIND, "-q", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99", "--log-file=" + log]


@unittest.skipIf(not aptest.valgrind_usable(),
                 "valgrind is not installed, or this is the sanitizer build")
class Valgrind(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.ref = aptest.net("refuse")
        self.ok = "127.0.0.1:%d\n" % self.acc.port
        self.refused = "127.0.0.1:%d\n" % self.ref.port
        self.log = os.path.join(aptest.tmpdir(), "vg.%s.log" % self.id())

    def assertClean(self, rc, want_rc, what=""):
        with open(self.log) as fp:
            log = fp.read()
        self.assertNotEqual(rc, 99, "valgrind found errors:\n" + log)
        self.assertEqual(rc, want_rc, what + "\n" + log)
        # -q prints only errors and, with them, the summary: a clean log
        # is empty, or says 0 errors if valgrind prints it anyway.
        counts = [int(n) for n in SUMMARY_RE.findall(log)]
        self.assertEqual([n for n in counts if n != 0], [], log)
        self.assertNotIn("definitely lost", log)
        self.assertNotIn("Invalid read", log)
        self.assertNotIn("Invalid write", log)
        self.assertNotIn("uninitialised", log)

    def vg(self, args, stdin="", want_rc=0):
        r = aptest.run(args, stdin, timeout=VG_TIMEOUT,
                       prefix=vg_prefix(self.log))
        self.assertClean(r.rc, want_rc, r.describe()[:3000])
        return r

    def test_outcomes_and_invalid(self):
        hole = aptest.net("hole")
        stdin = (self.ok + self.refused + "127.0.0.1:%d\n" % hole.port
                 + "bad host:80\n" + "x:0\n" + "nu\x00l:80\n"
                 + "ev\x1b[2J:80\n" + "a" * 3000 + "\n")
        r = self.vg(["-f", "json", "-t", "500ms"], stdin, want_rc=3)
        st = sorted(x["status"] for x in r.records)
        self.assertEqual(st, ["connected", "invalid", "invalid", "invalid",
                              "invalid", "invalid", "refused", "timeout"])

    def test_pinned_multi_address(self):
        # 127.0.0.2 has nothing on the port: refused, then 127.0.0.1 wins.
        r = self.vg(["-f", "json", "--resolve",
                     "multi.test:127.0.0.2,127.0.0.1,::1"],
                    "multi.test:%d\n" % self.acc.port)
        rec = r.one()
        self.assertEqual(rec["status"], "connected", rec)
        self.assertEqual(rec["ip"], "127.0.0.1")

    def test_fake_dns(self):
        srv = aptest.dns("nx.test NXDOMAIN\n"
                         "multi.test A 127.0.0.2 127.0.0.1\n"
                         "multi.test AAAA ::1\n")
        stdin = ("nx.test:%d\n" % self.acc.port
                 + "multi.test:%d\n" % self.acc.port
                 + "multi.test:%d\n" % self.ref.port)
        r = self.vg(["-f", "json", "-t", "3s", "--resolver", srv.resolver],
                    stdin, want_rc=2)
        by = {x["line"]: x for x in r.records}
        self.assertEqual(by["-:1"]["status"], "unresolved")
        self.assertEqual(by["-:1"]["errno"], "NXDOMAIN")
        self.assertEqual(by["-:2"]["status"], "connected")
        self.assertEqual(by["-:3"]["status"], "refused")

    def test_sigterm_mid_run(self):
        hole = aptest.net("hole")
        stdin = (self.ok + "127.0.0.1:%d\n" % hole.port * 3).encode()
        argv = vg_prefix(self.log) + aptest.probe_argv(
            ["-f", "json", "-t", "20s"])
        p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            p.stdin.write(stdin)
            p.stdin.close()
            p.stdin = None
            first = aptest.read_line(p.stdout, 30)
            self.assertTrue(first, "no first record under valgrind")
            time.sleep(0.2)
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=VG_TIMEOUT)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertClean(p.returncode, 143, err.decode(errors="replace"))
        self.assertEqual(out.decode().count('"cancelled"'), 3)

    def test_output_file(self):
        out = os.path.join(aptest.tmpdir(), "vg-out.json")
        r = self.vg(["-f", "json", "-o", out], self.ok + self.refused,
                    want_rc=1)
        self.assertEqual(r.out, "")
        with open(out) as fp:
            self.assertEqual(len(fp.read().splitlines()), 2)

    def test_formats_stats_verbose(self):
        stdin = self.ok * 3 + self.refused + "bad host:1\n"
        for args in (["-f", "csv"], ["-f", "text"], ["-f", "json", "-s"],
                     ["-f", "text", "-v"], ["-f", "csv", "-s", "-v"]):
            with self.subTest(args=args):
                r = self.vg(args, stdin, want_rc=3)
                self.assertTrue(r.out)
                if "-s" in args:
                    self.assertIn("connected", r.err)


if __name__ == "__main__":
    aptest.main()
