# SPDX-License-Identifier: ISC
"""Load options for the whole process (SPEC 1, issue 10): -c and --rate
hold whatever -j is, --rate counts every attempt (Happy Eyeballs' second
and -r's retries too), --max-runtime writes a record for every input
target (the unread ones cancelled), and a deadline never fires early.

Everything is judged from the records themselves: a target was in flight
from (timestamp - elapsed_ms) to timestamp.  Timing checks are lower
bounds or wide margins only (a loaded machine is slower, never faster)."""

import json

import aptest


def peak_overlap(records, slack=0.003):
    """The most records in flight at one instant (each interval shrunk by
    slack at both ends, for the millisecond timestamps)."""
    return aptest.max_overlap([(s + slack, e - slack) for s, e in
                               map(aptest.span, records)])[0]


class Load(aptest.TestCase):
    def setUp(self):
        self.hole = aptest.net("hole")
        self.port = self.hole.port

    def silent(self, n):
        """n distinct silent targets: 127.0.0.1 and 127.1.x.y behind a
        full backlog would need a listener each, so all go to the hole
        under distinct spellings (each line its own target)."""
        return "".join("127.0.0.1:%d # %d\n" % (self.port, i)
                       for i in range(n))

    def test_c_is_for_the_whole_process(self):
        """-c 10 -t 1 over 10 silent targets: all 10 at once whatever -j
        (it took 2 s at -j 2 and 4 s at -j 4 when -c was split)."""
        for j in ("1", "2", "4"):
            with self.subTest(j=j):
                r = aptest.run(["-j", j, "-c", "10", "-t", "1", "-f", "json",
                                "-s"], self.silent(10))
                self.assertEqual(r.rc, 1, r.describe())
                self.assertEqual(len(r.records), 10, r.describe())
                for rec in r.records:
                    self.assertEqual(rec["status"], "timeout", rec)
                self.assertEqual(peak_overlap(r.records), 10, r.describe())
                self.assertIn("peak 10 in flight", r.err)
                self.assertLess(r.elapsed, 1.9, r.describe())

    def test_c_1_with_j_4_is_one_at_a_time(self):
        r = aptest.run(["-j", "4", "-c", "1", "-t", "0.2", "-f", "json",
                        "-s"], self.silent(6))
        self.assertEqual(len(r.records), 6, r.describe())
        self.assertEqual(peak_overlap(r.records), 1, r.describe())
        self.assertIn("peak 1 in flight", r.err)
        self.assertGreaterEqual(r.elapsed, 1.2, r.describe())

    def test_rate_is_for_the_whole_process(self):
        """--rate 32 over 64 refused targets: about 2 s at any -j, never
        more than 32 starts in a 1 s window."""
        text = "".join("127.0.0.1:1 # %d\n" % i for i in range(64))
        for j in ("1", "2"):
            with self.subTest(j=j):
                r = aptest.run(["-j", j, "--rate", "32", "-f", "json"], text)
                self.assertEqual(len(r.records), 64, r.describe())
                starts = sorted(aptest.span(rec)[0] for rec in r.records)
                for i, s in enumerate(starts):
                    inside = [t for t in starts[i:] if t < s + 1.0 - 0.01]
                    self.assertLessEqual(len(inside), 33, r.describe())
                self.assertGreaterEqual(r.elapsed, 1.9)
                self.assertLess(r.elapsed, 3.5, r.describe())

    def test_rate_counts_every_attempt(self):
        """Each name races a silent address and then a refused one: 20
        attempts at --rate 10 take 2 s, not the 1 s of first attempts."""
        args = ["--attempt-delay", "10ms", "--rate", "10", "-t", "5",
                "-f", "json"]
        for i in range(10):
            args += ["--resolve", "n%d:127.0.0.1,127.0.0.2" % i]
        text = "".join("n%d:%d\n" % (i, self.port) for i in range(10))
        r = aptest.run(args, text)
        self.assertEqual(len(r.records), 10, r.describe())
        for rec in r.records:
            self.assertRecord(rec, "refused", "ECONNREFUSED", "127.0.0.2",
                              addresses=2)
        self.assertGreaterEqual(r.elapsed, 1.8, r.describe())

    def test_retries_are_paced(self):
        """-r 3 at --rate 20 over 10 silent targets with -t 0.1: retries
        want far more than 20 starts a second; the attempts in the
        records never exceed what the rate allows over the run."""
        r = aptest.run(["--rate", "20", "-r", "3", "-t", "0.1",
                        "-f", "json"], self.silent(10))
        self.assertEqual(len(r.records), 10, r.describe())
        attempts = 0
        for rec in r.records:
            self.assertEqual(rec["status"], "timeout", rec)
            self.assertEqual(rec["addresses"], 1, rec)
            attempts += len(rec["attempts"])
        self.assertGreater(attempts, 10, r.describe())
        self.assertLessEqual(attempts, 20 * r.elapsed + 1, r.describe())

    def test_max_runtime_writes_every_target(self):
        """300 silent lines, -c 2, --max-runtime 1: 300 records, those in
        flight and those never started (or read) cancelled; prom's totals
        and -s count them all."""
        for j in ("1", "2"):
            with self.subTest(j=j):
                r = aptest.run(["-j", j, "-c", "2", "-t", "5",
                                "--max-runtime", "1", "-f", "json", "-s"],
                               self.silent(300))
                self.assertEqual(r.rc, 1, r.describe())
                self.assertEqual(len(r.records), 300, r.describe()[:2000])
                self.assertOnceEach(r.records,
                                    ["-:%d" % i for i in range(1, 301)])
                for rec in r.records:
                    self.assertRecord(rec, "cancelled", "ECANCELED",
                                      rec["ip"])
                self.assertLess(r.elapsed, 4, r.describe()[:2000])
        r = aptest.run(["-c", "2", "-t", "5", "--max-runtime", "0.5",
                        "-f", "prom"], self.silent(50))
        totals = {}
        for line in r.out.splitlines():
            if line.startswith("asyncprobe_targets{"):
                status = line.split('status="')[1].split('"')[0]
                totals[status] = int(float(line.split()[-1]))
        self.assertEqual(sum(totals.values()), 50, r.out)
        self.assertEqual(totals.get("cancelled"), 50, r.out)

    def test_max_runtime_keeps_finished_records(self):
        acc = aptest.net("accept")
        text = "127.0.0.1:%d\n" % acc.port + self.silent(20)
        r = aptest.run(["-c", "2", "-t", "5", "--max-runtime", "0.5",
                        "-f", "json"], text)
        self.assertEqual(len(r.records), 21, r.describe())
        recs = {x["line"]: x for x in r.records}
        self.assertEqual(recs["-:1"]["status"], "connected")
        self.assertEqual(sum(x["status"] == "cancelled"
                             for x in r.records), 20)

    def test_max_runtime_does_not_wait_for_an_open_pipe(self):
        """A pipe that stays open does not keep the run alive past
        --max-runtime: what it had sent is cancelled, then the end."""
        import subprocess
        import time
        p = aptest.start(["-c", "5", "-t", "5", "--max-runtime", "0.5",
                          "-f", "json"])
        p.stdin.write(self.silent(30).encode())
        p.stdin.flush()
        keep, p.stdin = p.stdin, None   # open until the end
        t0 = time.monotonic()
        try:
            out, _ = p.communicate(timeout=3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("--max-runtime waited for stdin to close")
        finally:
            keep.close()
        self.assertLess(time.monotonic() - t0, 2.5)
        recs = aptest.json_lines(out)
        self.assertEqual(len(recs), 30)
        self.assertTrue(all(r["status"] == "cancelled" for r in recs))

    def test_deadline_never_early(self):
        """No timeout record before its -t (SPEC 3.8): 15-21 % of them
        were a millisecond short."""
        for j in ("1", "2"):
            with self.subTest(j=j):
                r = aptest.run(["-j", j, "-t", "0.3", "-f", "json"],
                               self.silent(40))
                self.assertEqual(len(r.records), 40, r.describe())
                for rec in r.records:
                    self.assertEqual(rec["status"], "timeout", rec)
                    self.assertGreaterEqual(rec["elapsed_ms"], 300.0,
                                            json.dumps(rec))

    def test_attempt_timeout_never_early(self):
        r = aptest.run(["--attempt-timeout", "0.1", "-t", "0.35",
                        "-f", "json"], self.silent(5))
        for rec in r.records:
            self.assertEqual(rec["status"], "timeout", rec)
            for a in rec["attempts"]:
                self.assertGreaterEqual(a["ms"], 100.0, json.dumps(rec))


class Attempts(aptest.TestCase):
    """addresses counts addresses, not attempts; degraded sees a stalled
    address overtaken; -v shows the attempt Happy Eyeballs abandoned."""

    def test_addresses_is_not_attempts(self):
        hole = aptest.net("hole")
        r = aptest.run(["-r", "2", "-t", "0.1", "-f", "json"],
                       "127.0.0.1:%d\n" % hole.port)
        rec = r.one()
        self.assertRecord(rec, "timeout", "ETIMEDOUT", "127.0.0.1",
                          addresses=1)
        self.assertEqual(len(rec["attempts"]), 3, rec)

    def test_overtaken_is_degraded_and_shown(self):
        hole = aptest.net("hole")
        acc = aptest.net("accept", host="127.0.0.2", port=hole.port)
        r = aptest.run(["--resolve", "n:127.0.0.1,127.0.0.2",
                        "--attempt-delay", "50ms", "-v", "-f", "json"],
                       "n:%d\n" % hole.port)
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.2",
                          addresses=2, degraded=True)
        self.assertEqual([a["errno"] for a in rec["attempts"]],
                         ["ECANCELED", None], rec)
        self.assertIn("n:%d: 127.0.0.1 port %d: abandoned (ECANCELED"
                      % (hole.port, hole.port), r.err)
        self.assertIn("127.0.0.2 port %d: connected" % hole.port, r.err)
        acc.stop()


if __name__ == "__main__":
    aptest.main()
