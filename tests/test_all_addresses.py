# SPDX-License-Identifier: ISC
"""-m/--all-addresses (SPEC 1, 5): every address a name has is probed and
written as its own record, with its own status, errno and ip, under the
same target; numeric hosts and unresolved names give one record; csv and
json both carry it; the exit status follows the per-address records.

Peers: an accept listener on 127.0.0.1:P, a hole on 127.0.0.3:P, nothing
on [::1]:P (refused) unless a test starts a v6 listener there."""

import aptest

TABLE = """
# one open (127.0.0.1), one hole (127.0.0.3), one refused (::1)
three.test A 127.0.0.1 127.0.0.3
three.test AAAA ::1
two.test A 127.0.0.1
two.test AAAA ::1
dup.test A 127.0.0.1 127.0.0.1
late.test A 127.0.0.1
late.test AAAA ::1 delay=300
seq.test A 127.0.0.3 127.0.0.1
"""


class AllAddresses(aptest.TestCase):
    probe_args = ["-t", "1s"]

    def setUp(self):
        self.dns = aptest.dns(TABLE)
        self.acc = aptest.net("accept")
        self.port = self.acc.port
        self.hole = aptest.net("hole", host="127.0.0.3", port=self.port)
        self.assertEqual(self.hole.port, self.port)

    def by_ip(self, records):
        out = {}
        for r in records:
            self.assertNotIn(r["ip"], out, records)
            out[r["ip"]] = r
        return out

    def test_three_addresses_three_records(self):
        for flag in ("-m", "--all-addresses"):
            with self.subTest(flag=flag):
                r = self.probe("three.test:%d\n" % self.port, flag,
                               "-f", "json")
                self.assertEqual(r.rc, 1, r.describe())
                self.assertEqual(len(r.records), 3, r.describe())
                recs = self.by_ip(r.records)
                self.assertEqual(sorted(recs),
                                 ["127.0.0.1", "127.0.0.3", "::1"])
                target = "three.test:%d" % self.port
                want = {"127.0.0.1": ("connected", None),
                        "127.0.0.3": ("timeout", "ETIMEDOUT"),
                        "::1": ("refused", "ECONNREFUSED")}
                for ip, (status, errno) in want.items():
                    rec = recs[ip]
                    self.assertRecord(rec, status, errno, ip,
                                      target=target, host="three.test",
                                      port=self.port, addresses=1,
                                      line="-:1")
                    # Each record carries its own address's attempt only.
                    self.assertEqual([a["ip"] for a in rec["attempts"]],
                                     [ip], rec)
                self.assertGreater(recs["127.0.0.1"]["rtt_ms"], 0)
                self.assertIsNone(recs["::1"]["rtt_ms"])

    def test_every_address_connected_exits_0(self):
        v6 = aptest.net("accept", v6=True, port=self.port)
        r = self.probe("two.test:%d\n" % self.port, "-m", "-f", "json")
        self.assertEqual(r.rc, 0, r.describe())
        recs = self.by_ip(r.records)
        self.assertEqual(sorted(recs), ["127.0.0.1", "::1"])
        for ip, rec in recs.items():
            self.assertRecord(rec, "connected", None, ip)
        # Both were really connected, not just the first to win.
        self.assertEqual(v6.accepted(), 1)
        self.assertEqual(self.acc.accepted(), 1)

    def test_without_m_one_record(self):
        r = self.probe("three.test:%d\n" % self.port, "-f", "json")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1")

    def test_numeric_host_one_record(self):
        for host in ("127.0.0.1", "127.0.0.3"):
            with self.subTest(host=host):
                r = self.probe("%s:%d\n" % (host, self.port), "-m",
                               "-f", "json")
                rec = r.one()
                self.assertEqual(rec["ip"], host)
                self.assertEqual(rec["addresses"], 1)
                self.assertEqual(r.rc, 0 if host == "127.0.0.1" else 1,
                                 r.describe())

    def test_unresolved_one_record(self):
        r = self.probe("nx.test:%d\n" % self.port, "-m", "-f", "json")
        self.assertEqual(r.rc, 2, r.describe())
        self.assertRecord(r.one(), "unresolved", "NXDOMAIN", None,
                          addresses=0)

    def test_unresolved_with_others_exits_2(self):
        r = self.probe("nx.test:%d\nthree.test:%d\n" % (self.port, self.port),
                       "-m", "-f", "json")
        self.assertEqual(r.rc, 2, r.describe())
        self.assertEqual(sorted(x["status"] for x in r.records),
                         ["connected", "refused", "timeout", "unresolved"])

    def test_csv_and_json_agree(self):
        j = self.probe("three.test:%d\n" % self.port, "-m", "-f", "json")
        c = self.probe("three.test:%d\n" % self.port, "-m", "-f", "csv")
        self.assertEqual(c.rc, 1, c.describe())
        rows = c.rows
        self.assertEqual(list(rows[0].keys()), aptest.CSV_HEADER)
        self.assertEqual(len(rows), 3, c.describe())
        got = sorted((x["target"], x["ip"], x["status"], x["errno"],
                      x["addresses"], x["line"]) for x in rows)
        want = sorted((x["target"], x["ip"], x["status"], x["errno"] or "",
                       str(x["addresses"]), x["line"]) for x in j.records)
        self.assertEqual(got, want)
        for x in rows:
            self.assertEqual(x["attempts"].split("=")[0], x["ip"], x)

    def test_pins_and_family(self):
        pin = "pin.test:127.0.0.1,127.0.0.2,::1"
        r = self.probe("pin.test:%d\n" % self.port, "-m", "-f", "json",
                       "--resolve", pin)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual(sorted(self.by_ip(r.records)),
                         ["127.0.0.1", "127.0.0.2", "::1"])
        r = self.probe("pin.test:%d\n" % self.port, "-m", "-f", "json",
                       "--resolve", pin, "-4")
        self.assertEqual(sorted(self.by_ip(r.records)),
                         ["127.0.0.1", "127.0.0.2"])
        self.assertEqual(self.dns.queries("pin.test"), [])

    def test_duplicate_addresses_are_probed_once(self):
        r = self.probe("dup.test:%d\n" % self.port, "-m", "-f", "json")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1")
        self.assertEqual(self.acc.accepted(), 1)

    def test_late_aaaa_gets_its_record(self):
        # -m probes every address: it must wait for the late family.
        r = self.probe("late.test:%d\n" % self.port, "-m", "-f", "json")
        self.assertEqual(r.rc, 1, r.describe())
        recs = self.by_ip(r.records)
        self.assertEqual(sorted(recs), ["127.0.0.1", "::1"])
        self.assertEqual(recs["::1"]["status"], "refused")

    def test_alive_and_unreachable_filter_records_not_status(self):
        r = self.probe("three.test:%d\n" % self.port, "-m", "-a",
                       "-f", "json")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual([x["ip"] for x in r.records], ["127.0.0.1"])
        r = self.probe("three.test:%d\n" % self.port, "-m", "-u",
                       "-f", "json")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual(sorted(x["ip"] for x in r.records),
                         ["127.0.0.3", "::1"])

    def test_several_targets(self):
        refuse = aptest.net("refuse")
        text = ("three.test:%d\n127.0.0.1:%d\ntwo.test:%d,%d\n"
                % (self.port, refuse.port, self.port, refuse.port))
        r = self.probe(text, "-m", "-f", "json")
        self.assertEqual(r.rc, 1, r.describe())
        # target is the line as written: one per port here, told apart
        # by the port field.
        per = {}
        for x in r.records:
            per.setdefault((x["target"], x["port"]), []).append(x["ip"])
        two = "two.test:%d,%d" % (self.port, refuse.port)
        self.assertEqual({t: sorted(v) for t, v in per.items()}, {
            ("three.test:%d" % self.port, self.port):
                ["127.0.0.1", "127.0.0.3", "::1"],
            ("127.0.0.1:%d" % refuse.port, refuse.port): ["127.0.0.1"],
            (two, self.port): ["127.0.0.1", "::1"],
            (two, refuse.port): ["127.0.0.1", "::1"]})


    # -m is the same race with each address its own target (issue 10):
    # its own exchange, retries, deadline and record, written at once.

    def test_m_expect_mismatch(self):
        """An --expect that cannot match is a mismatch per address, not
        connected with exit 0."""
        r = self.probe("two.test:%d\n" % self.port, "-m", "--expect",
                       "NOPE", "-t", "0.5", "-f", "json")
        self.assertEqual(r.rc, 1, r.describe())
        recs = self.by_ip(r.records)
        self.assertEqual(recs["127.0.0.1"]["status"], "mismatch",
                         r.describe())
        self.assertEqual(recs["::1"]["status"], "refused", r.describe())

    def test_m_retries_each_address_once(self):
        """-m -r 2: one record per address; the connected address is
        never probed again; the silent one gets its 3 attempts."""
        r = self.probe("three.test:%d\n" % self.port, "-m", "-r", "2",
                       "-t", "0.3", "-f", "json")
        self.assertEqual(len(r.records), 3, r.describe())
        recs = self.by_ip(r.records)
        self.assertEqual(len(recs["127.0.0.3"]["attempts"]), 3)
        self.assertEqual(recs["127.0.0.3"]["addresses"], 1)
        self.assertEqual(len(recs["127.0.0.1"]["attempts"]), 1)
        self.assertEqual(len(recs["::1"]["attempts"]), 1)
        self.assertEqual(self.acc.accepted(), 1)

    def test_m_sequential_one_address_at_a_time(self):
        r = self.probe("seq.test:%d\n" % self.port, "-m", "--sequential",
                       "-t", "0.4", "-f", "json")
        recs = self.by_ip(r.records)
        self.assertEqual(recs["127.0.0.3"]["status"], "timeout")
        self.assertEqual(recs["127.0.0.1"]["status"], "connected")
        hole_end = aptest.span(recs["127.0.0.3"])[1]
        self.assertGreaterEqual(aptest.span(recs["127.0.0.1"])[0],
                                hole_end - 0.01, r.describe())
        # Without --sequential both start together.
        r = self.probe("seq.test:%d\n" % self.port, "-m", "-t", "0.4",
                       "-f", "json")
        recs = self.by_ip(r.records)
        self.assertLess(abs(aptest.span(recs["127.0.0.1"])[0] -
                            aptest.span(recs["127.0.0.3"])[0]), 0.2)

    def test_m_streams_each_record(self):
        """The connected address's record is written when it connects,
        with its own elapsed_ms, not held for the slowest address."""
        r = self.probe("three.test:%d\n" % self.port, "-m", "-t", "1",
                       "-f", "json")
        lines = [x["ip"] for x in r.records]
        self.assertLess(lines.index("127.0.0.1"), lines.index("127.0.0.3"))
        recs = self.by_ip(r.records)
        self.assertLess(recs["127.0.0.1"]["elapsed_ms"], 500, r.describe())
        self.assertGreaterEqual(recs["127.0.0.3"]["elapsed_ms"], 1000)


if __name__ == "__main__":
    aptest.main()
