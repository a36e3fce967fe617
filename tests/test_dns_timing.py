# SPDX-License-Identifier: ISC
"""When DNS answers come, through the fake DNS server (SPEC 3 step 1,
RFC 8305): the 50 ms resolution delay when A answers first, no wait in the
other cases, late answers joining the list; and answers that never come:
dropped questions, a silent resolver, two --resolver options with one dead,
every target still ending at its deadline.  What the answers mean:
test_names.py.  Timing bounds are generous (about 150 ms either way)."""

import socket

import aptest

SLACK = 150     # ms of scheduling noise allowed on top of a bound

TABLE = """
# AAAA 800 ms late: IPv4 goes after the 50 ms resolution delay
late6.test A 127.0.0.1
late6.test AAAA ::1 delay=800
# AAAA 10 ms after A: inside the delay, so IPv6 is tried first
near6.test A 127.0.0.1
near6.test AAAA ::1 delay=10
# A 800 ms late: the AAAA address goes at once
late4.test AAAA ::1
late4.test A 127.0.0.1 delay=800
# the AAAA question is never answered
drop6.test A 127.0.0.1
drop6.test AAAA DROP
# A points at a hole, AAAA (300 ms late) at a listener
stall4.test A 127.0.0.3
stall4.test AAAA ::1 delay=300
# the A question is never answered, AAAA has none
drop4.test A DROP
drop4.test AAAA NODATA
dual.test A 127.0.0.1
dual.test AAAA ::1
*.silent.test DROP
"""


class Timing(aptest.TestCase):
    def setUp(self):
        self.dns = aptest.dns(TABLE)
        self.acc = aptest.net("accept")
        self.port = self.acc.port

    def v6_listener(self):
        return aptest.net("accept", v6=True, port=self.port)

    def silent_resolver(self):
        """A resolver address where a UDP socket nobody reads is bound:
        no answer and no ICMP either."""
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        return "127.0.0.1:%d" % silent.getsockname()[1]

    # --- the resolution delay ----------------------------------------------

    def test_late_aaaa_waits_only_the_resolution_delay(self):
        r = self.probe("late6.test", "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1", addresses=1)
        # The 50 ms wait happened, and nothing more.
        self.assertGreaterEqual(rec["elapsed_ms"], 40, rec)
        self.assertLess(rec["elapsed_ms"], 50 + SLACK, rec)
        # Nor does the run wait for the AAAA answer before it exits.
        self.assertLess(r.elapsed, 0.6, r.describe())

    def test_aaaa_inside_the_delay_goes_first(self):
        # No IPv6 listener: ::1 is refused, so both addresses show in
        # the attempts, IPv6 first although A answered first.
        r = self.probe("near6.test", "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1", addresses=2,
                          degraded=True)
        self.assertEqual([(a["ip"], a["errno"]) for a in rec["attempts"]],
                         [("::1", "ECONNREFUSED"), ("127.0.0.1", None)])
        self.assertLess(rec["elapsed_ms"], 50 + SLACK, rec)

    def test_aaaa_inside_the_delay_connects_on_v6(self):
        v6 = self.v6_listener()
        r = self.probe("near6.test", "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertEqual(rec["attempts"][0]["ip"], "::1", rec)
        self.assertRecord(rec, "connected", None, "::1", addresses=1)
        self.assertEqual(v6.accepted(), 1)
        self.assertEqual(self.acc.accepted(), 0)

    def test_aaaa_first_does_not_wait_for_a(self):
        v6 = self.v6_listener()
        r = self.probe("late4.test", "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "::1", addresses=1)
        self.assertLess(rec["elapsed_ms"], SLACK, rec)
        self.assertLess(r.elapsed, 0.6, r.describe())
        self.assertEqual(v6.accepted(), 1)

    def test_dropped_aaaa_does_not_hold_back_a(self):
        r = self.probe("drop6.test", "-t", "5s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1", addresses=1)
        self.assertGreaterEqual(rec["elapsed_ms"], 40, rec)
        self.assertLess(rec["elapsed_ms"], 50 + SLACK, rec)
        # Not the evdns timeout (2 s) either, before exiting.
        self.assertLess(r.elapsed, 1.0, r.describe())

    def test_late_aaaa_joins_and_wins_over_a_stalled_a(self):
        hole = aptest.net("hole", host="127.0.0.3", port=self.port)
        self.assertEqual(hole.port, self.port)
        v6 = self.v6_listener()
        r = self.probe("stall4.test", "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "::1", addresses=2)
        self.assertEqual([a["ip"] for a in rec["attempts"]],
                         ["127.0.0.3", "::1"], rec)
        # Connected when the AAAA answer came, not at the deadline.
        self.assertGreaterEqual(rec["elapsed_ms"], 280, rec)
        self.assertLess(rec["elapsed_ms"], 300 + SLACK, rec)
        self.assertLess(r.elapsed, 1.0, r.describe())
        self.assertEqual(v6.accepted(), 1)

    # --- answers that never come --------------------------------------------

    def test_dropped_a_and_nodata_aaaa_is_a_timeout(self):
        r = self.probe("drop4.test", "-t", "400ms")
        rec = self.assertUnresolved(r, "ETIMEDOUT")
        self.assertGreaterEqual(rec["elapsed_ms"], 350, rec)
        self.assertLess(rec["elapsed_ms"], 400 + SLACK, rec)

    def test_silent_resolver_every_target_ends_at_the_deadline(self):
        res = self.silent_resolver()
        names = ["n%d.silent.test" % i for i in range(20)]
        r = self.probe(names + ["127.0.0.1:%d" % self.port], "-t", "300ms",
                       resolver=res)
        self.assertEqual(r.rc, 2, r.describe())
        self.assertEqual(len(r.records), 21, r.describe())
        for rec in r.records:
            if rec["host"] == "127.0.0.1":
                self.assertEqual(rec["status"], "connected", rec)
                continue
            self.assertRecord(rec, "unresolved", "ETIMEDOUT", None)
            self.assertLess(rec["elapsed_ms"], 300 + SLACK, rec)
            self.assertGreaterEqual(rec["elapsed_ms"], 250, rec)
        self.assertLess(r.elapsed, 0.5 + SLACK / 1000.0, r.describe())

    def test_dropping_server_every_target_ends_at_the_deadline(self):
        names = ["n%d.silent.test" % i for i in range(20)]
        r = self.probe(names, "-t", "300ms")
        self.assertEqual(r.rc, 2, r.describe())
        self.assertEqual(len(r.records), 20, r.describe())
        for rec in r.records:
            self.assertRecord(rec, "unresolved", "ETIMEDOUT", None)
        self.assertLess(r.elapsed, 0.5 + SLACK / 1000.0, r.describe())

    def test_two_resolvers_one_dead(self):
        v6 = self.v6_listener()
        # A closed port (ICMP port unreachable) and a silent socket.
        dead = (aptest.DEAD_RESOLVER, self.silent_resolver())
        for d in dead:
            for order in ((d, self.dns.resolver), (self.dns.resolver, d)):
                with self.subTest(resolvers=order):
                    r = aptest.run(["-f", "json", "-t", "5s",
                                    "--resolver", order[0],
                                    "--resolver", order[1]],
                                   "dual.test:%d\n" % self.port)
                    self.assertEqual(r.rc, 0, r.describe())
                    self.assertEqual(r.one()["status"], "connected")
                    self.assertGreater(len(self.dns.queries("dual.test")),
                                       0)
        v6.stop()


if __name__ == "__main__":
    aptest.main()
