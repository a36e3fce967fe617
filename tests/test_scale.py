# SPDX-License-Identifier: ISC
"""Scale (SPEC 1 -c, SPEC 3 back-pressure): 5000 targets against one
loopback listener with -c 512 give 5000 connected records, each exactly
once, and the listener sees exactly 5000 connections.  Deadlines hold
while a stream of completions keeps the event loop busy."""

import aptest

N = 5000


class Scale(aptest.TestCase):
    def test_5000_targets_c512(self):
        srv = aptest.net("accept")
        r = aptest.run(["-f", "json", "-c", "512", "-t", "5s"],
                       "127.0.0.1:%d\n" % srv.port * N, timeout=60)
        self.assertEqual(r.rc, 0, r.describe()[:3000])
        self.assertEqual(len(r.out.splitlines()), N)
        self.assertOnceEach(r.records, ["-:%d" % i for i in range(1, N + 1)])
        bad = [x for x in r.records if x["status"] != "connected"]
        self.assertEqual(bad, [], bad[:5])
        for x in r.records[:50]:
            self.assertRecordShape(x)
        self.assertEqual(srv.accepted(), N)
        self.assertLess(r.elapsed, 20, "took %.1f s" % r.elapsed)

    def test_5000_csv_rows(self):
        srv = aptest.net("accept")
        r = aptest.run(["-f", "csv", "-c", "512", "-t", "5s"],
                       "127.0.0.1:%d\n" % srv.port * N, timeout=60)
        self.assertEqual(r.rc, 0, r.describe()[:3000])
        rows = r.rows
        self.assertEqual(len(rows), N)
        self.assertEqual(len({x["line"] for x in rows}), N)
        self.assertEqual({x["status"] for x in rows}, {"connected"})
        self.assertEqual(srv.accepted(), N)

    def test_deadlines_kept_under_load(self):
        """Silent targets end at their deadline even while tens of
        thousands of others complete around them: timers must not wait
        for a quiet pass of the event loop (none comes until the open
        targets run out, 1-2 s later here)."""
        srv = aptest.net("accept")
        hole = aptest.net("hole")
        nhole, nopen = 20, 80000
        lines = "127.0.0.1:%d\n" % hole.port * nhole + \
            "127.0.0.1:%d\n" % srv.port * nopen
        r = aptest.run(["-j", "1", "-f", "json", "-c", "256", "-t",
                        "200ms"], lines, timeout=120)
        self.assertIn(r.rc, (0, 1), r.describe()[:3000])
        self.assertEqual(len(r.records), nhole + nopen)
        late = []
        for x in [x for x in r.records if x["port"] == hole.port]:
            self.assertEqual(x["status"], "timeout", x)
            if x["elapsed_ms"] > 200 + 300:
                late.append(x["elapsed_ms"])
        self.assertEqual(late, [], "deadline of 200 ms kept waiting")
        self.assertGreater(srv.accepted(), nopen // 2)


if __name__ == "__main__":
    aptest.main()
