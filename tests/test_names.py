# SPDX-License-Identifier: ISC
"""How a name becomes addresses (SPEC 3 step 1, SPEC 4 `unresolved`):
through the fake DNS server, fallback over the addresses of an answer,
each DNS failure as its errno (per family too, in every format), -4/-6
and the questions they ask, one query per family per name however many
targets use it; --resolve pins, -n, and --hosts-file.  When DNS answers
come (the RFC 8305 resolution delay) and what happens when they never do:
test_dns_timing.py."""

import os

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
# AAAA answers late: A connects first
late6.test A 127.0.0.1
late6.test AAAA ::1 delay=1500
# per-family failures
fail4.test A SERVFAIL
fail4.test AAAA NODATA
fail4ok6.test A SERVFAIL
fail4ok6.test AAAA ::1
nx6ok4.test AAAA NXDOMAIN
nx6ok4.test A 127.0.0.1
both.test NODATA
# one family only
v4only.test A 127.0.0.1
v6only.test AAAA ::1
# one query however many targets
shared.test A 127.0.0.1
shared.test AAAA ::1
far.test A 127.0.0.1
far.test AAAA ::1
*.many.test A 127.0.0.1
"""


class Dns(aptest.TestCase):
    def setUp(self):
        self.dns = aptest.dns(TABLE)
        self.acc = aptest.net("accept")
        self.port = self.acc.port

    # --- answers, failures, pins ---------------------------------------------

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

    def test_inet_aton_forms_are_numeric(self):
        # 127.1, hex, octal and a bare 32-bit number are addresses, as
        # inet_aton() reads them (SPEC 2): probed at once, never asked of
        # DNS, not even once.
        forms = ["127.1", "127.0.1", "0x7f.1", "0177.0.0.1", "2130706433",
                 "0x7f000001", "127.000.000.001"]
        r = self.probe(forms)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(sorted((x["host"], x["ip"], x["status"])
                                for x in r.records),
                         sorted((f, "127.0.0.1", "connected")
                                for f in forms))
        self.assertEqual(self.dns.queries(), [])

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

    def test_numeric_flag_uses_port_pins(self):
        # curl's HOST:PORT:ADDR pin covers its name under -n too, on that
        # port only (it was looked up without the port, so -n called the
        # name invalid although the same pin connects without -n).
        pin = "nx.test:%d:127.0.0.1" % self.port
        r = self.probe(["nx.test"], "-n", "--resolve", pin)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1",
                          host="nx.test", port=self.port, addresses=1)
        # A pin for another port covers nothing here: still invalid.
        other = "nx.test:%d:127.0.0.1" % (self.port % 65535 + 1)
        r = self.probe(["nx.test"], "-n", "--resolve", other)
        self.assertEqual(r.rc, 3, r.describe())
        self.assertRecord(r.one(), "invalid", None, None, host="nx.test",
                          port=self.port, addresses=0, attempts=[],
                          error="a name, but -n/--numeric forbids DNS: "
                          "give an address")
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

    # --- failures per family, in every format -----------------------------

    def test_servfail_and_nodata_is_servfail(self):
        rec = self.assertUnresolved(self.probe("fail4.test", "-t", "5s"),
                                    "SERVFAIL")
        # Recovered from evdns's retry at once, not after its timeout.
        self.assertLess(rec["elapsed_ms"], 1000, rec)

    def test_nodata_both_families(self):
        self.assertUnresolved(self.probe("both.test"), "NODATA")


    def test_one_family_failing_does_not_stop_the_other(self):
        v6 = aptest.net("accept", v6=True, port=self.port)
        for name, ip in (("fail4ok6.test", "::1"),
                         ("nx6ok4.test", "127.0.0.1")):
            with self.subTest(name=name):
                r = self.probe(name, "-t", "5s")
                self.assertEqual(r.rc, 0, r.describe())
                rec = r.one()
                self.assertRecord(rec, "connected", None, ip)
                self.assertLess(rec["elapsed_ms"], 1000, rec)
        self.assertEqual(v6.accepted(), 1)

    def test_unresolved_csv_and_text(self):
        r = self.probe(["nx.test", "both.test"], "-f", "csv")
        self.assertEqual(r.rc, 2, r.describe())
        rows = {row["host"]: row for row in r.rows}
        self.assertEqual({h: (x["status"], x["errno"], x["ip"])
                          for h, x in rows.items()},
                         {"nx.test": ("unresolved", "NXDOMAIN", ""),
                          "both.test": ("unresolved", "NODATA", "")},
                         r.describe())
        r = self.probe("nx.test", "-f", "text")
        self.assertEqual(r.rc, 2, r.describe())
        self.assertIn("unresolved", r.out)

    def test_unresolved_wins_over_timeout_and_refused(self):
        refuse = aptest.net("refuse")
        r = self.probe(["nx.test", "127.0.0.1:%d" % refuse.port,
                        "late6.test"], "-t", "2s")
        self.assertEqual(r.rc, 2, r.describe())
        self.assertEqual(sorted(x["status"] for x in r.records),
                         ["connected", "refused", "unresolved"])

    # --- one query per name -----------------------------------------------

    def assertQueriedOnce(self, name):
        q = self.dns.queries(name)
        self.assertEqual(sorted(t for t, _ in q), ["A", "AAAA"],
                         self.dns.queries())

    def test_five_ports_one_query(self):
        ports = [self.port] + [aptest.net("refuse").port for _ in range(4)]
        line = "shared.test:%s" % ",".join(str(p) for p in ports)
        for args in ([], ["-j", "4"], ["--ordered"]):
            with self.subTest(args=args):
                open(self.dns.log, "w").close()
                r = self.probe(line, "-t", "3s", *args)
                self.assertEqual(r.rc, 1, r.describe())
                self.assertEqual(len(r.records), 5, r.describe())
                self.assertEqual(sorted(x["port"] for x in r.records),
                                 sorted(ports))
                self.assertEqual(sorted(x["status"] for x in r.records),
                                 ["connected"] + ["refused"] * 4)
                self.assertQueriedOnce("shared.test")

    def test_same_name_far_apart_is_queried_once(self):
        # SPEC 3.1: "A name is resolved once per run", also when the
        # targets that used it are done before the next one starts.
        refuse = aptest.net("refuse")
        lines = ["far.test:%d" % self.port]
        lines += ["127.0.0.1:%d" % refuse.port] * 3000
        lines += ["far.test:%d" % self.port]
        path = aptest.write_file("far.txt", "".join(l + "\n" for l in lines))
        ports = ",".join(str(p) for p in [self.port] + [refuse.port] * 4)
        for args, stdin, n in ((["-c", "64", path], "", 3002),
                               (["-c", "1"], "far.test:%s\n" % ports, 5)):
            with self.subTest(args=args[:2]):
                open(self.dns.log, "w").close()
                r = aptest.run(["-f", "json", "--resolver",
                                self.dns.resolver] + args, stdin)
                self.assertEqual(r.rc, 1, r.describe()[:2000])
                self.assertEqual(len(r.records), n)
                recs = [x for x in r.records if x["host"] == "far.test"]
                self.assertIn("connected", [x["status"] for x in recs])
                self.assertQueriedOnce("far.test")

    def test_many_distinct_names_at_once(self):
        # 2000 names, 4000 questions sent in one burst to a server that
        # answers at once: every answer must be read, none dropped.
        n = 2000
        stdin = "".join("h%d.many.test:%d\n" % (i, self.port)
                        for i in range(n))
        r = aptest.run(["-f", "csv", "-t", "5s", "--resolver",
                        self.dns.resolver], stdin, timeout=30)
        rows = r.rows
        self.assertEqual(len(rows), n, r.describe()[:2000])
        bad = [(x["host"], x["status"], x["errno"], x["elapsed_ms"])
               for x in rows if x["status"] != "connected"]
        self.assertEqual(bad[:10], [], "%d of %d not connected"
                         % (len(bad), n))
        self.assertEqual(r.rc, 0)
        self.assertEqual(len(self.dns.queries(qtype="A")), n)

    # --- families, -n -----------------------------------------------------

    def test_family_4_asks_no_aaaa(self):
        r = self.probe("dual.test", "-4")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(self.dns.queries("dual.test"), [("A", "dual.test")])

    def test_family_6_asks_no_a(self):
        v6 = aptest.net("accept", v6=True, port=self.port)
        r = self.probe("dual.test", "-6")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(self.dns.queries("dual.test"),
                         [("AAAA", "dual.test")])
        self.assertEqual(v6.accepted(), 1)

    def test_family_4_with_v6_only_name_is_nodata(self):
        self.assertUnresolved(self.probe("v6only.test", "-4"), "NODATA")

    def test_family_6_with_v4_only_name_is_nodata(self):
        self.assertUnresolved(self.probe("v4only.test", "-6"), "NODATA")

    def test_numeric_names_are_invalid_with_a_clear_message(self):
        r = self.probe(["v4only.test", "127.0.0.1:%d" % self.port], "-n")
        self.assertEqual(r.rc, 3, r.describe())
        recs = r.by_target()
        bad = recs["v4only.test:%d" % self.port]
        self.assertEqual(bad["status"], "invalid", bad)
        self.assertEqual(bad["line"], "-:1", bad)
        # The reason names the option, on stderr as FILE:LINE: reason.
        self.assertRegex(r.err, r"(?m)^-:1: .*(-n|--numeric)", r.describe())
        self.assertRegex(bad["error"], r"-n|--numeric", bad)
        # Addresses are still probed under -n.
        self.assertEqual(recs["127.0.0.1:%d" % self.port]["status"],
                         "connected")
        self.assertEqual(self.dns.queries(), [])


class HostsFile(aptest.TestCase):
    def test_hosts_file_names(self):
        acc = aptest.net("accept")
        hosts = aptest.write_file("hosts", "# test hosts\n"
                                  "127.0.0.1\tweb.test www.test\n"
                                  "::1 six.test\n")
        r = aptest.run(["-f", "json", "--hosts-file", hosts, "-4"],
                       "web.test:%d\nWWW.TEST:%d\n" % (acc.port, acc.port))
        self.assertEqual(r.rc, 0, r.describe())
        for rec in r.records:
            self.assertRecord(rec, "connected", None, "127.0.0.1")

    def test_pin_hides_hosts_file(self):
        refuse = aptest.net("refuse")
        hosts = aptest.write_file("hosts2", "127.0.0.2 web.test\n")
        r = aptest.run(["-f", "json", "--hosts-file", hosts,
                        "--resolve", "web.test:127.0.0.3"],
                       "web.test:%d\n" % refuse.port)
        rec = r.one()
        self.assertEqual([a["ip"] for a in rec["attempts"]], ["127.0.0.3"])

    def test_missing_hosts_file_is_a_usage_error(self):
        missing = os.path.join(aptest.tmpdir(), "no-such-hosts")
        r = aptest.run(["--hosts-file", missing], "127.0.0.1:1\n")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertIn(missing, r.err)


if __name__ == "__main__":
    aptest.main()
