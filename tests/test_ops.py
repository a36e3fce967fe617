# SPDX-License-Identifier: ISC
"""Operational options against loopback peers (issue 6): --send, --expect
and --banner with a recording peer; -r, --rate, --shard, --max-runtime,
--ordered and -j; the -s summary and -x; -f prom and -f nagios.

Timing checks use wide tolerances: they catch a missing behaviour (no
pacing, no retry, no cancel), not a slow machine."""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import aptest


def lines_of(*targets):
    return "".join(t + "\n" for t in targets)


def tuples(run):
    """Sorted (line, target, status, errno) of a json run."""
    return sorted((r["line"], r["target"], r["status"], r["errno"])
                  for r in run.records)


class Exchange(aptest.TestCase):
    """--send, --expect, --banner."""

    def test_send_received_once(self):
        rec = aptest.recorder()
        r = aptest.run(["-f", "json", "--send", r"GET /x\r\n\0\xff end\t"],
                       "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1",
                          banner=None)
        data, conns = rec.recorded()
        self.assertEqual(data, b"GET /x\r\n\x00\xff end\t")
        self.assertEqual(conns, 1)

    def test_send_only_on_winner(self):
        # n.test -> a hole (stalls), then two recording peers on the same
        # port.  The hole's attempt is overtaken after the attempt delay;
        # the first recorder wins and is the only one to get the data.
        rec1 = aptest.recorder(host="127.0.0.1")
        rec2 = aptest.recorder(host="127.0.0.2", port=rec1.port)
        aptest.net("hole", host="127.0.0.3", port=rec1.port)
        r = aptest.run(["-f", "json", "-t", "3s", "--attempt-delay", "50ms",
                        "--resolve", "n.test:127.0.0.3,127.0.0.1,127.0.0.2",
                        "--send", r"HELLO\r\n"],
                       "n.test:%d\n" % rec1.port)
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        # The stalled address was overtaken: degraded (SPEC 4).
        self.assertRecord(rec, "connected", None, "127.0.0.1",
                          host="n.test", degraded=True)
        self.assertEqual([a["ip"] for a in rec["attempts"]],
                         ["127.0.0.3", "127.0.0.1"], r.describe())
        self.assertEqual(rec["attempts"][0]["errno"], "ECANCELED")
        d1, c1 = rec1.recorded()
        d2, c2 = rec2.recorded()
        self.assertEqual((d1, c1), (b"HELLO\r\n", 1))
        self.assertEqual((d2, c2), (b"", 0))

    def test_slow_greeting_after_stagger(self):
        # The winner's exchange outlives the attempt delay: a peer that
        # greets 300 ms after the connect, behind a stalled first address
        # and with a third address never needed, still matches --expect.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        port = srv.getsockname()[1]
        aptest.net("hole", host="127.0.0.3", port=port)

        def greet_late():
            c, _ = srv.accept()
            time.sleep(0.3)
            c.sendall(b"220 ready\r\n")
            time.sleep(0.3)
            c.close()

        t = threading.Thread(target=greet_late, daemon=True)
        t.start()
        r = aptest.run(["-f", "json", "-t", "3s", "--attempt-delay", "50ms",
                        "--resolve", "n.test:127.0.0.3,127.0.0.1,127.0.0.2",
                        "--expect", "220", "--banner"],
                       "n.test:%d\n" % port)
        t.join(5)
        srv.close()
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1")
        self.assertEqual(rec["banner"], "220 ready\r\n", rec)
        self.assertGreater(rec["elapsed_ms"], 250, rec)
        self.assertEqual([a["ip"] for a in rec["attempts"]],
                         ["127.0.0.3", "127.0.0.1"], rec)

    def test_send_many_targets_each_once(self):
        # Ten targets on one recorder: ten copies, no more.
        rec = aptest.recorder()
        r = aptest.run(["-f", "json", "--send", "x"],
                       lines_of(*["127.0.0.1:%d" % rec.port] * 10))
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual([x["status"] for x in r.records], ["connected"] * 10)
        data, conns = rec.recorded()
        self.assertEqual((data, conns), (b"x" * 10, 10))

    def assertMismatch(self, rec):
        # SPEC 4: mismatch carries no errno, but says why.
        self.assertEqual(list(rec.keys()), aptest.JSON_KEYS)
        self.assertEqual((rec["status"], rec["errno"], rec["ip"]),
                         ("mismatch", None, "127.0.0.1"), rec)
        self.assertTrue(rec["error"], rec)
        self.assertIsInstance(rec["rtt_ms"], (int, float))

    def test_expect_match(self):
        rec = aptest.recorder(greet=r"SSH-2.0-OpenSSH_9.6\r\n", idle_ms=5000)
        r = aptest.run(["-f", "json", "-t", "3s", "--expect", "SSH-2.0-"],
                       "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1")
        # A match ends the read at once, not at the peer's idle close.
        self.assertLess(r.elapsed, 2.0, r.describe())

    def test_expect_after_send(self):
        # The peer says nothing until asked; --send then --expect.
        rec = aptest.recorder(idle_ms=300)
        r = aptest.run(["-f", "json", "-t", "3s", "--send", r"PING\n",
                        "--expect", "PONG"], "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertMismatch(r.one())
        self.assertEqual(rec.recorded(), (b"PING\n", 1))

    def test_expect_other_greeting_then_close(self):
        rec = aptest.recorder(greet=r"220 smtp ready\r\n", close=True)
        r = aptest.run(["-f", "json", "-t", "3s", "--expect", "SSH"],
                       "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertMismatch(r.one())
        self.assertLess(r.elapsed, 2.0, r.describe())

    def test_expect_silence_until_deadline(self):
        rec = aptest.recorder(idle_ms=10000)
        r = aptest.run(["-f", "json", "-t", "400ms", "--expect", "SSH"],
                       "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertMismatch(r.one())
        self.assertGreaterEqual(r.one()["elapsed_ms"], 350, r.describe())
        self.assertLess(r.elapsed, 3.0, r.describe())

    def test_expect_across_reads(self):
        # The text comes after 200 bytes of other talk, escapes and all.
        rec = aptest.recorder(greet="x" * 200 + r"\r\nREADY\r\n",
                              idle_ms=5000)
        r = aptest.run(["-f", "json", "-t", "3s", "--expect", r"\nREADY"],
                       "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1")

    GREET = r"220 hi\r\n\xe9t"     # CR LF and a byte that is not UTF-8

    def test_banner_json(self):
        rec = aptest.recorder(greet=self.GREET, close=True)
        r = aptest.run(["-f", "json", "-t", "3s", "--banner"],
                       "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 0, r.describe())
        text = r.raw.decode("utf-8")        # strict
        self.assertNotIn("\r", text)
        self.assertIn(r'"banner":"220 hi\r\n\ufffdt"', text)
        self.assertRecord(r.one(), "connected", None, "127.0.0.1",
                          banner="220 hi\r\n\ufffdt")

    def test_banner_text(self):
        rec = aptest.recorder(greet=self.GREET, close=True)
        r = aptest.run(["-t", "3s", "--banner"], "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertNotIn(b"\r", r.raw)
        self.assertNotIn(b"\xe9", r.raw)
        self.assertRegex(r.out, r"220 hi(\\r\\n|\\x0d\\x0a)\\xe9t",
                         r.describe())

    def test_banner_limit(self):
        # --banner=4: four bytes and done, without waiting for the peer
        # to go quiet or close.
        rec = aptest.recorder(greet=self.GREET, idle_ms=10000)
        r = aptest.run(["-f", "json", "-t", "5s", "--banner=4"],
                       "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1",
                          banner="220 ")
        self.assertLess(r.elapsed, 2.0, r.describe())

    def test_banner_greeting_then_quiet(self):
        # Issue 10 defect 7: a server that greets and then waits for the
        # client (SSH, SMTP) stays open; the record comes with the first
        # read's data, not at -t.
        rec = aptest.recorder(greet=r"SSH-2.0-aptest\r\n", idle_ms=20000)
        r = aptest.run(["-f", "json", "-t", "10s", "--banner"],
                       "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1",
                          banner="SSH-2.0-aptest\r\n")
        self.assertLess(r.one()["elapsed_ms"], 5000, r.describe())
        self.assertLess(r.elapsed, 5.0, r.describe())

    def test_banner_silent_peer(self):
        # Nothing said before the peer hangs up: an empty banner.
        rec = aptest.recorder(close=True)
        r = aptest.run(["-f", "json", "-t", "3s", "--banner=16"],
                       "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1",
                          banner="")

    def test_no_banner_by_default(self):
        rec = aptest.recorder(greet=self.GREET, close=True)
        r = aptest.run(["-f", "json"], "127.0.0.1:%d\n" % rec.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1",
                          banner=None)


class Load(aptest.TestCase):
    """-r, --rate, --shard, --max-runtime, --ordered, -j."""

    def setUp(self):
        self.acc = aptest.net("accept")
        self.ref = aptest.net("refuse")
        self.hole = aptest.net("hole")
        self.A = "127.0.0.1:%d" % self.acc.port
        self.R = "127.0.0.1:%d" % self.ref.port
        self.H = "127.0.0.1:%d" % self.hole.port

    def test_retries_on_timeout(self):
        r = aptest.run(["-f", "json", "-r", "2", "-t", "200ms"],
                       self.H + "\n")
        self.assertEqual(r.rc, 1, r.describe())
        rec = r.one()
        self.assertRecord(rec, "timeout", "ETIMEDOUT", "127.0.0.1",
                          "handshake")
        self.assertEqual(len(rec["attempts"]), 3, r.describe())
        self.assertGreaterEqual(rec["elapsed_ms"], 560, r.describe())
        self.assertGreaterEqual(r.elapsed, 0.56, r.describe())
        self.assertLess(r.elapsed, 2.0, r.describe())

    def test_no_retries_by_default(self):
        r = aptest.run(["-f", "json", "-t", "200ms"], self.H + "\n")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual(len(r.one()["attempts"]), 1, r.describe())
        self.assertLess(r.elapsed, 0.5, r.describe())

    def test_refusal_never_retried(self):
        r = aptest.run(["-f", "json", "-r", "5", "-t", "2s"], self.R + "\n")
        self.assertEqual(r.rc, 1, r.describe())
        rec = r.one()
        self.assertRecord(rec, "refused", "ECONNREFUSED", "127.0.0.1",
                          "handshake")
        self.assertEqual(len(rec["attempts"]), 1, r.describe())
        # The target's own clock: the process's start-up under load is
        # no part of the answer.
        self.assertLess(rec["elapsed_ms"], 500, rec)

    def test_retry_then_connected_not_retried(self):
        # A connected target is never retried either.
        r = aptest.run(["-f", "json", "-r", "3", "-t", "2s"], self.A + "\n")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(len(r.one()["attempts"]), 1, r.describe())
        self.assertEqual(self.acc.accepted(), 1)

    def test_rate_paces(self):
        stdin = lines_of(*[self.A] * 50)
        fast = aptest.run(["-q", "-j", "1"], stdin)
        self.assertEqual(fast.rc, 0, fast.describe())
        for j in ("1", "2"):
            with self.subTest(j=j):
                r = aptest.run(["-f", "json", "-j", j, "--rate", "100"],
                               stdin)
                self.assertEqual(r.rc, 0, r.describe())
                self.assertEqual(len(r.records), 50)
                # 50 starts 10 ms apart: about 0.49 s.
                self.assertGreaterEqual(r.elapsed, 0.4, r.describe())
                self.assertLess(r.elapsed, 3.0, r.describe())
                self.assertLess(fast.elapsed, r.elapsed / 2)

    def test_rate_above_the_clock_tick(self):
        """A rate whose interval (0.5 ms) is shorter than the loop's
        timer tick: starts that fell due while the timer slept go at
        once, so 1000 starts at 2000/s take about 0.5 s, not one tick
        each (4 s at 250 ticks a second)."""
        stdin = lines_of(*[self.A] * 1000)
        for j in ("1", "2"):
            with self.subTest(j=j):
                r = aptest.run(["-q", "-j", j, "--rate", "2000"], stdin,
                               timeout=60)
                self.assertEqual(r.rc, 0, r.describe())
                self.assertGreaterEqual(r.elapsed, 0.45, r.describe())
                # The failure this catches is one start per tick: 4 s.
                self.assertLess(r.elapsed, 3.0, r.describe())

    def test_shards_partition_the_input(self):
        src = [self.A, self.R, "bad line here", self.A, self.R, self.A,
               self.A, "nope", self.R, self.A, self.A]
        stdin = lines_of(*src)
        want = ["-:%d" % (i + 1) for i in range(len(src))]
        seen = []
        for k in (1, 2, 3):
            with self.subTest(k=k):
                r = aptest.run(["-f", "json", "--shard", "%d/3" % k], stdin)
                got = [x["line"] for x in r.records]
                self.assertEqual(len(got), len(set(got)), r.describe())
                # Round robin: 11 targets give 4, 4, 3.
                self.assertEqual(len(got), 4 if k < 3 else 3, r.describe())
                st = {x["status"] for x in r.records}
                want_rc = (3 if "invalid" in st else
                           0 if st == {"connected"} else 1)
                self.assertEqual(r.rc, want_rc, r.describe())
                seen += got
        self.assertEqual(sorted(seen), sorted(want))

    def test_shard_1_of_1_is_everything(self):
        stdin = lines_of(self.A, self.A, self.A)
        r = aptest.run(["-f", "json", "--shard", "1/1"], stdin)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(len(r.records), 3)

    def test_max_runtime_cancels(self):
        stdin = lines_of(self.H, self.H, self.A, self.H)
        r = aptest.run(["-f", "json", "-t", "10s", "--max-runtime", "300ms"],
                       stdin, timeout=8)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertGreaterEqual(r.elapsed, 0.28, r.describe())
        self.assertLess(r.elapsed, 2.0, r.describe())
        recs = {x["line"]: x for x in r.records}
        self.assertEqual(sorted(recs), ["-:1", "-:2", "-:3", "-:4"])
        self.assertRecord(recs["-:3"], "connected", None, "127.0.0.1")
        for l in ("-:1", "-:2", "-:4"):
            self.assertRecord(recs[l], "cancelled", "ECANCELED", "127.0.0.1")
            self.assertLess(recs[l]["elapsed_ms"], 2000, recs[l])

    def test_max_runtime_attempts_cancelled(self):
        r = aptest.run(["-f", "json", "-t", "10s", "--max-runtime", "300ms"],
                       self.H + "\n", timeout=8)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual([a["errno"] for a in r.one()["attempts"]],
                         ["ECANCELED"], r.describe())

    def test_ordered(self):
        src = [self.H, self.H, self.H, self.A, self.R, self.A, self.A,
               self.R]
        stdin = lines_of(*src)
        want = ["-:%d" % (i + 1) for i in range(len(src))]
        r = aptest.run(["-f", "json", "-t", "300ms", "--ordered"], stdin)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual([x["line"] for x in r.records], want, r.describe())
        self.assertEqual([x["status"] for x in r.records[:3]],
                         ["timeout"] * 3)
        # Without --ordered the quick ones come first: the input really
        # finishes out of order.
        r = aptest.run(["-f", "json", "-t", "300ms"], stdin)
        self.assertEqual(sorted(x["line"] for x in r.records), sorted(want))
        self.assertNotEqual([x["line"] for x in r.records], want)
        self.assertEqual(r.records[-1]["status"], "timeout")

    def test_ordered_csv(self):
        stdin = lines_of(self.H, self.A, self.R)
        r = aptest.run(["-f", "csv", "-t", "300ms", "--ordered"], stdin)
        self.assertEqual([x["line"] for x in r.rows], ["-:1", "-:2", "-:3"],
                         r.describe())

    def test_threads_same_records(self):
        src = []
        for i in range(2000):
            if i % 400 == 7:
                src.append(self.H)
            elif i % 97 == 3:
                src.append("bad%d" % i)
            elif i % 3 == 1:
                src.append(self.R)
            else:
                src.append(self.A)
        stdin = lines_of(*src)
        runs = {}
        for j in ("1", "2"):
            r = aptest.run(["-f", "json", "-t", "500ms", "-j", j], stdin)
            self.assertEqual(r.rc, 3, r.describe()[:2000])
            self.assertEqual(len(r.records), 2000)
            runs[j] = tuples(r)
        self.assertEqual(runs["1"], runs["2"])
        statuses = {t[2] for t in runs["1"]}
        self.assertEqual(statuses, {"connected", "refused", "timeout",
                                    "invalid"})


class Summary(aptest.TestCase):
    """-s and -x."""

    def setUp(self):
        self.acc = aptest.net("accept")
        self.ref = aptest.net("refuse")
        self.A = "127.0.0.1:%d" % self.acc.port
        self.R = "127.0.0.1:%d" % self.ref.port

    def test_stats_counts(self):
        hole = aptest.net("hole")
        H = "127.0.0.1:%d" % hole.port
        stdin = lines_of(self.A, self.R, self.A, H, self.R, self.A,
                         "bad line")
        r = aptest.run(["-q", "-s", "-t", "300ms"], stdin)
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(r.out, "")
        summary = [l for l in r.err.splitlines() if "in flight" in l]
        self.assertEqual(len(summary), 1, r.err)
        s = summary[0]
        self.assertRegex(s, r"\b7 targets\b")
        for n, word in ((3, "connected"), (2, "refused"), (1, "timeout"),
                        (1, "invalid")):
            self.assertRegex(s, r"\b%d %s\b" % (n, word), s)
        for word in ("unreachable", "denied", "cancelled", "mismatch"):
            self.assertNotRegex(s, r"\b[1-9]\d* %s\b" % word, s)
        m = re.search(r"peak (\d+) in flight", s)
        self.assertTrue(m, s)
        self.assertTrue(1 <= int(m.group(1)) <= 7, s)
        m = re.search(r"rtt min/median/p95/max ([\d.]+)/([\d.]+)/([\d.]+)/"
                      r"([\d.]+) ms", s)
        self.assertTrue(m, s)
        v = [float(x) for x in m.groups()]
        self.assertEqual(v, sorted(v), s)
        self.assertGreater(v[3], 0, s)

    def test_stats_peak_bounded_by_c(self):
        stdin = lines_of(*[self.A] * 40)
        r = aptest.run(["-q", "-s", "-c", "3", "-j", "1"], stdin)
        self.assertEqual(r.rc, 0, r.describe())
        m = re.search(r"peak (\d+) in flight", r.err)
        self.assertTrue(m, r.err)
        self.assertTrue(1 <= int(m.group(1)) <= 3, r.err)

    def minup(self, arg, stdin):
        r = aptest.run(["-q", "-x", arg], stdin)
        return r.rc

    def test_min_up(self):
        five = lines_of(self.A, self.A, self.A, self.R, self.R)
        cases = [
            ("3", five, 0),
            ("4", five, 1),
            ("6", five, 1),             # more than there are: fping's 1
            ("0", five, 3),             # fping refuses -x 0 too
            ("60%", five, 0),
            ("80%", five, 1),
            ("100%", lines_of(self.A, self.A), 0),
            ("3", five + "bad line\n", 3),
        ]
        for arg, stdin, want in cases:
            with self.subTest(x=arg, lines=stdin.count("\n")):
                self.assertEqual(self.minup(arg, stdin), want)

    def test_min_up_is_fpings(self):
        # The real fping, on 127.0.0.1 only: n targets up and -x k give
        # the same exit status in both (fping pings, we connect).
        fping = shutil.which("fping")
        if fping is None:
            self.skipTest("fping is not installed")
        p = subprocess.run([fping, "-q", "-t", "200", "127.0.0.1"],
                           capture_output=True, timeout=20)
        if p.returncode != 0:
            self.skipTest("fping cannot ping 127.0.0.1 here: %r" % p.stderr)
        for n in (1, 2, 3):
            for k in range(1, n + 3):
                with self.subTest(up=n, x=k):
                    f = subprocess.run([fping, "-q", "-t", "200", "-x",
                                        str(k)] + ["127.0.0.1"] * n,
                                       capture_output=True, timeout=20)
                    r = aptest.run(["-q", "-x", str(k)],
                                   lines_of(*[self.A] * n))
                    self.assertEqual(r.rc, f.returncode,
                                     r.describe() + f.stdout.decode())
                    self.assertEqual(r.rc, 0 if k <= n else 1)
        # Nothing to probe at all: 1 in both, with a message.
        f = subprocess.run([fping, "-q"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=20)
        r = aptest.run(["-q"], "")
        self.assertEqual((r.rc, f.returncode), (1, 1), r.describe())
        self.assertEqual(r.err, "asyncprobe: no targets\n")
        r = aptest.run(["-q", "-x", "1"], "# only a comment\n")
        self.assertEqual(r.rc, 1, r.describe())

    def test_min_up_beats_unresolved(self):
        # fping's -x answers only "enough?": its 2 for a name that did not
        # resolve does not apply (fping 5.1 -x 1 with 127.0.0.1 and an
        # unknown name exits 0, -x 2 exits 1).
        dns = aptest.dns("")        # every name: NXDOMAIN
        two = lines_of(self.A, "nx.test:1")
        res = ["--resolver", dns.resolver]
        r = aptest.run(["-f", "json"] + res, two)
        self.assertEqual(r.rc, 2, r.describe())
        self.assertEqual(sorted(x["status"] for x in r.records),
                         ["connected", "unresolved"], r.describe())
        r = aptest.run(["-q", "-x", "1"] + res, two)
        self.assertEqual(r.rc, 0, r.describe())
        r = aptest.run(["-q", "-x", "2"] + res, two)
        self.assertEqual(r.rc, 1, r.describe())
        # An invalid line is exit 3 whatever -x says.
        r = aptest.run(["-q", "-x", "1", "-n"], two)
        self.assertEqual(r.rc, 3, r.describe())     # -n: a name is invalid

    def test_min_up_long_option(self):
        five = lines_of(self.A, self.A, self.A, self.R, self.R)
        r = aptest.run(["-q", "--min-up", "3"], five)
        self.assertEqual(r.rc, 0, r.describe())
        r = aptest.run(["-q"], five)
        self.assertEqual(r.rc, 1, r.describe())


class Formats(aptest.TestCase):
    """-f prom and -f nagios."""

    def setUp(self):
        self.acc = aptest.net("accept")
        self.ref = aptest.net("refuse")
        self.hole = aptest.net("hole")
        # Distinct targets: two names pinned to the accept peer.
        self.pins = ["--resolve", "a.test:127.0.0.1",
                     "--resolve", "b.test:127.0.0.1"]
        self.lines = ["a.test:%d" % self.acc.port,
                      "b.test:%d" % self.acc.port,
                      "127.0.0.1:%d" % self.ref.port,
                      "127.0.0.1:%d" % self.hole.port]
        self.stdin = lines_of(*self.lines)

    def test_prom_success_per_target(self):
        r = aptest.run(["-f", "prom", "-t", "300ms"] + self.pins, self.stdin)
        self.assertEqual(r.rc, 1, r.describe())
        succ = {}
        for l in r.out.splitlines():
            m = re.match(r'^probe_success\{target="([^"]*)",.*\} (\S+)$', l)
            if m:
                self.assertNotIn(m.group(1), succ, r.out)
                succ[m.group(1)] = m.group(2)
        self.assertEqual(succ, {self.lines[0]: "1", self.lines[1]: "1",
                                self.lines[2]: "0", self.lines[3]: "0"})
        for status, n in (("connected", 2), ("refused", 1), ("timeout", 1)):
            self.assertIn('asyncprobe_targets{status="%s"} %d' % (status, n),
                          r.out.splitlines())

    def test_prom_cancelled_has_no_success(self):
        # --max-runtime cuts the hole's target short: unknown, not down,
        # so no probe_success for it, only the cancelled total; the file
        # is still written whole (the run was not signalled).
        out = os.path.join(aptest.tmpdir(), "cut.prom")
        r = aptest.run(["-f", "prom", "-t", "5s", "--max-runtime", "400ms",
                        "-o", out] + self.pins, self.stdin)
        self.assertEqual(r.rc, 1, r.describe())
        with open(out) as fp:
            text = fp.read()
        self.assertEqual(sorted(re.findall(
            r'^probe_success\{target="([^"]*)",.*\} (\S+)$', text, re.M)),
            sorted([(self.lines[0], "1"), (self.lines[1], "1"),
                    (self.lines[2], "0")]), text)
        self.assertIn('asyncprobe_targets{status="cancelled"} 1\n', text)

    def test_prom_passes_promtool(self):
        if aptest.PROMTOOL is None:
            self.skipTest("promtool is not installed")
        stdin = self.stdin + 'we"ird\\name:%d\n' % self.acc.port
        r = aptest.run(["-f", "prom", "-t", "300ms"] + self.pins, stdin)
        self.assertEqual(r.rc, 3, r.describe())
        rc, said = aptest.promtool_check(r.raw)
        self.assertEqual(rc, 0, said + r.out)

    def nagios(self, *args, stdin=None):
        r = aptest.run(["-f", "nagios", "-t", "300ms"] + self.pins +
                       list(args), self.stdin if stdin is None else stdin)
        lines = r.out.splitlines()
        self.assertGreaterEqual(len(lines), 1, r.describe())
        return r, lines[0]

    def test_nagios_thresholds(self):
        # 2 of 4 down.
        cases = [
            ([], 2, "CRITICAL", "0;0"),                 # defaults 1, 1
            (["--warn-down", "1", "--crit-down", "3"], 1, "WARNING", "0;2"),
            (["--warn-down", "2", "--crit-down", "2"], 2, "CRITICAL", "1;1"),
            (["--warn-down", "3", "--crit-down", "4"], 0, "OK", "2;3"),
            (["--warn-down", "25%", "--crit-down", "75%"], 1, "WARNING",
             "0;2"),
            (["--warn-down", "10%", "--crit-down", "50%"], 2, "CRITICAL",
             "0;1"),
            (["--warn-down", "51%", "--crit-down", "90%"], 0, "OK", "2;3"),
            (["--warn-down", "0", "--crit-down", "3"], 1, "WARNING", "@0:;2"),
        ]
        for args, code, word, ranges in cases:
            with self.subTest(args=args):
                r, line = self.nagios(*args)
                self.assertEqual(r.rc, code, r.describe())
                self.assertTrue(line.startswith(
                    "ASYNCPROBE %s - 2/4 targets down (refused 1, timeout 1)"
                    " | " % word), line)
                self.assertIn(" down=2;%s;0;4 " % ranges, line)
                self.assertEqual(nagios_state(line), code, line)

    def test_nagios_long_output(self):
        r, line = self.nagios()
        self.assertEqual(r.out.splitlines()[1:], [
            "127.0.0.1:%d refused ECONNREFUSED" % self.ref.port,
            "127.0.0.1:%d timeout ETIMEDOUT" % self.hole.port,
        ] if r.out.index("refused ECONN") < r.out.index("timeout ETIMED")
            else [
            "127.0.0.1:%d timeout ETIMEDOUT" % self.hole.port,
            "127.0.0.1:%d refused ECONNREFUSED" % self.ref.port,
        ], r.out)
        # Ten named, then how many more.
        many = lines_of(*["127.0.0.1:%d" % self.ref.port] * 13)
        r, line = self.nagios(stdin=many)
        self.assertEqual(r.rc, 2, r.describe())
        rest = r.out.splitlines()[1:]
        self.assertEqual(rest, ["127.0.0.1:%d refused ECONNREFUSED" %
                                self.ref.port] * 10 + ["and 3 more"], r.out)

    def test_nagios_all_up(self):
        r, line = self.nagios(stdin=lines_of(*self.lines[:2]))
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(r.out.splitlines()[1:], [], r.out)
        self.assertRegex(line, r"^ASYNCPROBE OK - 0/2 targets down \| "
                         r"up=2;;;0;2 down=0;0;0;0;2 invalid=0;;;0 "
                         r"rtt_max=\d+\.\d{6}s;;;0 elapsed=\d+\.\d{3}s$")
        self.assertEqual(nagios_state(line), 0, line)

    def test_nagios_invalid_is_unknown(self):
        # Invalid lines are counted, and UNKNOWN only when no threshold
        # is crossed.
        r, line = self.nagios("--warn-down", "5", "--crit-down", "5",
                              stdin=self.stdin + "bad line\n")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertTrue(line.startswith(
            "ASYNCPROBE UNKNOWN - 2/4 targets down (refused 1, timeout 1), "
            "1 invalid line | "), line)
        self.assertIn(" invalid=1;;;0 ", line)
        r, line = self.nagios(stdin=self.stdin + "bad line\n")
        self.assertEqual(r.rc, 2, r.describe())
        self.assertTrue(line.startswith("ASYNCPROBE CRITICAL - 2/4 targets "
                                        "down"), line)

    def test_nagios_unreadable_is_unknown(self):
        missing = os.path.join(aptest.tmpdir(), "missing.txt")
        r = aptest.run(["-f", "nagios", missing])
        self.assertEqual(r.rc, 3, r.describe())
        self.assertTrue(r.out.startswith(
            "ASYNCPROBE UNKNOWN - cannot read %s: No such file or directory"
            ", no targets | " % missing), r.out)
        # Among readable ones, and whatever the others say.
        ok = aptest.write_file("up.txt", lines_of(*self.lines[:2]))
        r = aptest.run(["-f", "nagios"] + self.pins + [ok, missing])
        self.assertEqual(r.rc, 3, r.describe())
        self.assertTrue(r.out.startswith(
            "ASYNCPROBE UNKNOWN - cannot read %s: No such file or directory"
            ", 0/2 targets down | " % missing), r.out)

    def test_nagios_no_targets_is_unknown(self):
        r, line = self.nagios(stdin="# nothing\n")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertTrue(line.startswith("ASYNCPROBE UNKNOWN - no targets | "),
                        line)

    def test_nagios_quiet_keeps_codes(self):
        # SPEC 1: -q -f nagios writes nothing, exits with the plugin code.
        r = aptest.run(["-q", "-f", "nagios", "-t", "300ms"] + self.pins,
                       self.stdin)
        self.assertEqual((r.rc, r.out), (2, ""), r.describe())
        r = aptest.run(["-q", "-f", "nagios"] + self.pins,
                       lines_of(*self.lines[:2]))
        self.assertEqual((r.rc, r.out), (0, ""), r.describe())


def nagios_range_alerts(rng, v):
    """monitoring-plugins' range rules: "N" alerts outside 0..N, "A:B"
    outside A..B, "~" an infinite start, "@" inverts."""
    inside = rng.startswith("@")
    if inside:
        rng = rng[1:]
    if rng == "":
        return False
    lo, hi = (rng.split(":", 1) if ":" in rng else ("0", rng))
    lo = float("-inf") if lo == "~" else float(lo or 0)
    hi = float("inf") if hi == "" else float(hi)
    within = lo <= v <= hi
    return within if inside else not within


# A real parser of the plugin format's ranges, nagiosplugin (Debian's
# python3-nagiosplugin), run by the system's python3 when the one running
# the tests has no such module.
NAGIOSPLUGIN = r"""
import sys, nagiosplugin
for arg in sys.argv[1:]:
    rng, v = arg.rsplit("=", 1)
    print(int(not nagiosplugin.Range(rng).match(float(v))))
"""


def nagiosplugin_alerts(pairs):
    """[(range, value)] -> [alerts?] by nagiosplugin, or None without it."""
    for py in (sys.executable, "/usr/bin/python3"):
        if not os.path.exists(py):
            continue
        p = subprocess.run([py, "-c", NAGIOSPLUGIN] +
                           ["%s=%s" % rv for rv in pairs],
                           capture_output=True, text=True, timeout=30)
        if p.returncode == 0:
            return [l == "1" for l in p.stdout.split()]
    return None


def nagios_state(line):
    """The state a parser of the plugin format derives from the down
    perfdata: 2 if its crit range alerts, 1 if its warn range does, else
    0.  Must agree with the code the plugin exited with.  nagiosplugin's
    verdict when it is installed, and the written rules always."""
    m = re.search(r" down=(\d+);([^;]*);([^;]*);", line)
    v, warn, crit = int(m.group(1)), m.group(2), m.group(3)
    ours = [nagios_range_alerts(crit, v), nagios_range_alerts(warn, v)]
    real = nagiosplugin_alerts([(crit, v), (warn, v)])
    if real is not None:
        assert real == ours, (line, real, ours)
    if ours[0]:
        return 2
    if ours[1]:
        return 1
    return 0


if __name__ == "__main__":
    aptest.main()
