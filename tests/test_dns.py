# SPDX-License-Identifier: ISC
"""Name resolution through the fake DNS server (SPEC 3 step 1, SPEC 4
`unresolved`): fallback over DNS answers, each DNS failure as its errno,
-4/-6, the 50 ms wait for AAAA, and one query per family per name."""

import aptest

TABLE = """
# refused then open
multi.test A 127.0.0.2 127.0.0.1
six.test AAAA ::1
dual.test A 127.0.0.1
dual.test AAAA ::1
nx.test NXDOMAIN
fail.test SERVFAIL
nodata.test NODATA
drop.test DROP
once.test A 127.0.0.1
# AAAA answers late: the A address must not wait for it
late6.test A 127.0.0.1
late6.test AAAA ::1 delay=1500
# A answers late: the AAAA address starts at once
late4.test AAAA ::1
late4.test A 127.0.0.1 delay=1500
# AAAA within 50 ms of A: both join the list, IPv6 first
near6.test A 127.0.0.1
near6.test AAAA ::1 delay=10
"""


class Dns(aptest.TestCase):
    def setUp(self):
        self.dns = aptest.dns(TABLE)
        self.acc = aptest.net("accept")
        self.port = self.acc.port

    def probe(self, names, *args):
        return aptest.run(["-f", "json", "--resolver", self.dns.resolver]
                          + list(args),
                          "".join("%s:%d\n" % (n, self.port) for n in names))

    def test_multi_falls_back(self):
        r = self.probe(["multi.test"])
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1",
                          host="multi.test", addresses=2, degraded=True)
        self.assertEqual([(a["ip"], a["errno"]) for a in rec["attempts"]],
                         [("127.0.0.2", "ECONNREFUSED"), ("127.0.0.1", None)])

    def test_six(self):
        v6 = aptest.net("accept", v6=True, port=self.port)
        r = self.probe(["six.test"])
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "::1", addresses=1)
        self.assertEqual(v6.accepted(), 1)

    def assertUnresolved(self, r, errno):
        self.assertEqual(r.rc, 2, r.describe())
        rec = r.one()
        self.assertRecord(rec, "unresolved", errno, None, addresses=0,
                          degraded=False, rtt_ms=None)
        self.assertEqual([a for a in rec["attempts"]
                          if a["stage"] != "resolve"], [], rec)
        return rec

    def test_nxdomain(self):
        self.assertUnresolved(self.probe(["nx.test"]), "NXDOMAIN")

    def test_unknown_name_is_nxdomain(self):
        self.assertUnresolved(self.probe(["unknown.test"]), "NXDOMAIN")

    def test_servfail(self):
        self.assertUnresolved(self.probe(["fail.test"], "-t", "3s"),
                              "SERVFAIL")

    def test_nodata(self):
        self.assertUnresolved(self.probe(["nodata.test"]), "NODATA")

    def test_drop_times_out(self):
        r = self.probe(["drop.test"], "-t", "500ms")
        rec = self.assertUnresolved(r, "ETIMEDOUT")
        self.assertGreaterEqual(rec["elapsed_ms"], 400, rec)
        self.assertLess(rec["elapsed_ms"], 1000, rec)
        self.assertLess(r.elapsed, 1.5, r.describe())

    def test_unresolved_wins_over_refused(self):
        refuse = aptest.net("refuse")
        r = aptest.run(["-f", "json", "--resolver", self.dns.resolver],
                       "nx.test:%d\n127.0.0.1:%d\n" % (self.port, refuse.port))
        self.assertEqual(r.rc, 2, r.describe())
        self.assertEqual(sorted(x["status"] for x in r.records),
                         ["refused", "unresolved"])

    def test_family_4(self):
        v6 = aptest.net("accept", v6=True, port=self.port)
        r = self.probe(["dual.test"], "-4")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1",
                          addresses=1)
        self.assertEqual(v6.accepted(), 0)

    def test_family_6(self):
        v6 = aptest.net("accept", v6=True, port=self.port)
        r = self.probe(["dual.test"], "-6")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "::1", addresses=1)
        self.assertEqual(v6.accepted(), 1)
        self.assertEqual(self.acc.accepted(), 0)

    def test_family_6_without_aaaa(self):
        r = self.probe(["multi.test"], "-6")
        self.assertUnresolved(r, "NODATA")

    def test_family_4_skips_numeric_v6(self):
        # A literal of the other family has no usable address.
        v6 = aptest.net("accept", v6=True, port=self.port)
        r = aptest.run(["-f", "json", "-4"], "[::1]:%d\n" % self.port)
        self.assertNotEqual(r.rc, 0, r.describe())
        self.assertNotEqual(r.one()["status"], "connected")
        self.assertEqual(v6.accepted(), 0)

    def test_one_query_per_family_per_name(self):
        r = self.probe(["once.test"] * 5)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual([x["status"] for x in r.records], ["connected"] * 5)
        self.assertEqual(len(self.dns.queries("once.test", "A")), 1,
                         self.dns.queries())
        self.assertEqual(len(self.dns.queries("once.test", "AAAA")), 1,
                         self.dns.queries())
        self.assertEqual(self.acc.accepted(), 5)

    def test_separate_a_and_aaaa_queries(self):
        r = self.probe(["multi.test"])
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(sorted(t for t, _ in self.dns.queries("multi.test")),
                         ["A", "AAAA"])

    def test_late_aaaa_does_not_hold_back_a(self):
        r = self.probe(["late6.test"], "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1")
        self.assertLess(rec["elapsed_ms"], 500, rec)

    def test_late_a_does_not_hold_back_aaaa(self):
        v6 = aptest.net("accept", v6=True, port=self.port)
        r = self.probe(["late4.test"], "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "::1")
        self.assertLess(rec["elapsed_ms"], 500, rec)
        self.assertEqual(v6.accepted(), 1)

    def test_aaaa_within_50ms_goes_first(self):
        v6 = aptest.net("accept", v6=True, port=self.port)
        r = self.probe(["near6.test"], "-t", "3s")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "::1", addresses=1)
        self.assertEqual(v6.accepted(), 1)

    def test_pin_overrides_dns(self):
        r = self.probe(["nx.test"], "--resolve", "nx.test:127.0.0.1")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1")
        self.assertEqual(self.dns.queries("nx.test"), [])

    def test_numeric_flag_uses_pins(self):
        # Issue 11: -n forbids DNS, not a name the command line pins.
        r = self.probe(["nx.test"], "-n", "--resolve", "nx.test:127.0.0.1")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1")
        self.assertEqual(self.dns.queries(), [])

    def test_literal_of_the_other_family_is_an_error(self):
        # Issue 11: no name was looked up, so not "unresolved NODATA"
        # and not exit 2: error EAFNOSUPPORT, for -4, -6 and -S alike.
        cases = [(["-4"], "[::1]:%d\n" % self.port),
                 (["-6"], "127.0.0.1:%d\n" % self.port),
                 (["-S", "::1"], "127.0.0.1:%d\n" % self.port),
                 (["-S", "127.0.0.1"], "[::1]:%d\n" % self.port)]
        for args, line in cases:
            with self.subTest(args=args):
                r = aptest.run(["-f", "json", "--resolver",
                                self.dns.resolver] + args, line)
                self.assertEqual(r.rc, 1, r.describe())
                self.assertRecord(r.one(), "error", "EAFNOSUPPORT", None,
                                  addresses=0)
        self.assertEqual(self.dns.queries(), [])

    def test_numeric_flag_makes_names_invalid(self):
        r = self.probe(["multi.test"], "-n")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(r.one()["status"], "invalid")
        self.assertEqual(self.dns.queries(), [])


if __name__ == "__main__":
    aptest.main()
