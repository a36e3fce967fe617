# SPDX-License-Identifier: ISC
"""Names with several addresses (SPEC 3, 4) through --resolve pins: Happy
Eyeballs fallback, the stagger, --sequential, the final prioritized error in
both address orders, and the IPv6-first interleave.

Peers: an accept listener on 127.0.0.1:P (so 127.0.0.2:P is refused) and a
hole on 127.0.0.3:P (a stalled address)."""

import aptest


class MultiAddr(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.port = self.acc.port
        self.hole = aptest.net("hole", host="127.0.0.3", port=self.port)

    def probe(self, pins, *args, target="multi.test"):
        """target (with self.port) under the --resolve pins."""
        return super().probe([target], *args, pins=pins)

    def test_refused_then_open(self):
        r = self.probe(["multi.test:127.0.0.2,127.0.0.1"])
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1",
                          host="multi.test", port=self.port, addresses=2,
                          degraded=True, target="multi.test:%d" % self.port)
        self.assertEqual([(a["ip"], a["errno"]) for a in rec["attempts"]],
                         [("127.0.0.2", "ECONNREFUSED"), ("127.0.0.1", None)])
        self.assertEqual(rec["attempts"][0]["stage"], "handshake")
        self.assertEqual(self.acc.accepted(), 1)

    def test_open_first_is_not_degraded(self):
        r = self.probe(["multi.test:127.0.0.1,127.0.0.2"])
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1",
                          degraded=False, addresses=1)

    def test_stalled_then_open_after_attempt_delay(self):
        r = self.probe(["multi.test:127.0.0.3,127.0.0.1"],
                       "--attempt-delay", "100ms", "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1", addresses=2)
        # Started after the 100 ms stagger, not after the 3 s deadline.
        self.assertGreaterEqual(rec["elapsed_ms"], 80, rec)
        self.assertLess(rec["elapsed_ms"], 600, rec)
        self.assertLess(r.elapsed, 1.5, r.describe())
        self.assertEqual(rec["attempts"][0]["ip"], "127.0.0.3")

    def test_default_attempt_delay_is_250ms(self):
        r = self.probe(["multi.test:127.0.0.3,127.0.0.1"], "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1")
        self.assertGreaterEqual(rec["elapsed_ms"], 200, rec)
        self.assertLess(rec["elapsed_ms"], 800, rec)

    def test_all_fail_refused_beats_timeout_both_orders(self):
        for pins in ("127.0.0.2,127.0.0.3", "127.0.0.3,127.0.0.2"):
            with self.subTest(pins=pins):
                r = self.probe(["bad.test:" + pins], "-t", "400ms",
                               "--attempt-delay", "50ms", target="bad.test")
                self.assertEqual(r.rc, 1, r.describe())
                rec = r.one()
                self.assertRecord(rec, "refused", "ECONNREFUSED",
                                  "127.0.0.2", "handshake", addresses=2,
                                  degraded=False)
                errs = sorted((a["ip"], a["errno"]) for a in rec["attempts"])
                self.assertEqual(errs, [("127.0.0.2", "ECONNREFUSED"),
                                        ("127.0.0.3", "ETIMEDOUT")])

    def test_all_timeout(self):
        hole4 = aptest.net("hole", host="127.0.0.4", port=self.port)
        self.assertEqual(hole4.port, self.port)
        r = self.probe(["slow.test:127.0.0.3,127.0.0.4"], "-t", "300ms",
                       "--attempt-delay", "50ms", target="slow.test")
        self.assertEqual(r.rc, 1, r.describe())
        rec = r.one()
        # A tie: the attempt started first carries the verdict.
        self.assertRecord(rec, "timeout", "ETIMEDOUT", "127.0.0.3",
                          "handshake", addresses=2)
        self.assertLess(rec["elapsed_ms"], 800, rec)

    def test_sequential_waits_for_attempt_timeout(self):
        r = self.probe(["multi.test:127.0.0.3,127.0.0.1"], "--sequential",
                       "--attempt-timeout", "300ms", "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1", addresses=2,
                          degraded=True)
        self.assertGreaterEqual(rec["elapsed_ms"], 280, rec)
        self.assertLess(rec["elapsed_ms"], 800, rec)
        self.assertEqual([(a["ip"], a["errno"]) for a in rec["attempts"]],
                         [("127.0.0.3", "ETIMEDOUT"), ("127.0.0.1", None)])

    def test_sequential_does_not_stagger(self):
        # Without --sequential the open address would win after 50 ms;
        # with it, the deadline ends the stalled attempt first.
        r = self.probe(["multi.test:127.0.0.3,127.0.0.1"], "--sequential",
                       "--attempt-delay", "50ms", "-t", "300ms")
        self.assertEqual(r.rc, 1, r.describe())
        rec = r.one()
        self.assertRecord(rec, "timeout", "ETIMEDOUT", "127.0.0.3",
                          "handshake", addresses=1)

    def test_duplicate_pins_tried_once(self):
        r = self.probe(["multi.test:127.0.0.2,127.0.0.2,127.0.0.1"])
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1", addresses=2)


class Interleave(aptest.TestCase):
    def test_v6_first_both_orders(self):
        # Every address refused, so every attempt runs and the order of
        # the attempts is the order of the list: ::1 first, then IPv4 in
        # the order given.  Ties go to the attempt started first: ::1.
        srv = aptest.net("refuse", v6=True)
        for pins, v4 in (("127.0.0.2,::1,127.0.0.4",
                          ["127.0.0.2", "127.0.0.4"]),
                         ("127.0.0.4,127.0.0.2,[::1]",
                          ["127.0.0.4", "127.0.0.2"])):
            with self.subTest(pins=pins):
                r = aptest.run(["-f", "json", "--resolve", "mix.test:" + pins],
                               "mix.test:%d\n" % srv.port)
                self.assertEqual(r.rc, 1, r.describe())
                rec = r.one()
                self.assertRecord(rec, "refused", "ECONNREFUSED", "::1",
                                  "handshake", addresses=3)
                self.assertEqual([a["ip"] for a in rec["attempts"]],
                                 ["::1"] + v4)

    def test_dual_stack_connects_over_v6(self):
        v4 = aptest.net("accept")
        v6 = aptest.net("accept", v6=True, port=v4.port)
        r = aptest.run(["-f", "json", "--resolve",
                        "dual.test:127.0.0.1,::1"], "dual.test:%d\n" % v4.port)
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "::1", addresses=1,
                          degraded=False)
        self.assertEqual(v6.accepted(), 1)
        self.assertEqual(v4.accepted(), 0)


if __name__ == "__main__":
    aptest.main()
