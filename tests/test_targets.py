# SPDX-License-Identifier: ISC
"""Targets where users type them (SPEC 1, SPEC 2): an operand that is no
file but a target with its own port (nc -z), prefixes expanded lazily
line by line, IPv6 zone ids in targets, -S and --resolve, and curl's
--resolve HOST:PORT:ADDR form.  Loopback only."""

import os
import subprocess

import aptest


class Operands(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.ref = aptest.net("refuse")

    def test_operand_is_a_target(self):
        # "asyncprobe 127.0.0.1:22" works like nc -z: exit 0 when it
        # connects, the text row, no file needed.
        r = aptest.run(["127.0.0.1:%d" % self.acc.port])
        self.assertEqual(r.rc, 0, r.describe())
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 2, r.out)
        self.assertRegex(lines[1], r"^127\.0\.0\.1:%d +connected +127\.0\.0\.1"
                         r" +\d+\.\d{3}$" % self.acc.port)
        r = aptest.run(["-f", "json", "127.0.0.1:%d" % self.ref.port,
                        "[::1]:%d" % self.ref.port if aptest.have_v6()
                        else "127.0.0.2:%d" % self.ref.port])
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual([(x["line"], x["status"]) for x in r.records],
                         [("argv:1", "refused"), ("argv:2", "refused")]
                         if r.records[0]["line"] == "argv:1" else
                         [("argv:2", "refused"), ("argv:1", "refused")])

    def test_operands_and_files_mix(self):
        f = aptest.write_file("mix.txt", "127.0.0.1:%d\n" % self.ref.port)
        r = aptest.run(["-f", "json", "--ordered", "127.0.0.1:%d"
                        % self.acc.port, f])
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual([(x["line"], x["status"]) for x in r.records],
                         [("argv:1", "connected"), (f + ":1", "refused")])

    def test_missing_file_stays_an_error(self):
        # No explicit port: the usual "no such file", even with -p.
        missing = os.path.join(aptest.tmpdir(), "hosts.txt")
        for args in ([missing], ["-p", "22", "nohost.test"]):
            with self.subTest(args=args):
                r = aptest.run(["-f", "json"] + args)
                self.assertEqual(r.rc, 3, r.describe())
                self.assertEqual(r.out, "")
                self.assertIn("No such file or directory", r.err)

    def test_existing_file_wins(self):
        # A file named like a target is read as a file.
        d = aptest.tmpdir()
        name = "127.0.0.1:%d" % self.ref.port
        with open(os.path.join(d, name), "w") as fp:
            fp.write("127.0.0.1:%d\n" % self.acc.port)
        p = subprocess.run(aptest.probe_argv(["-f", "json", name]), cwd=d,
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b'"status":"connected"', p.stdout)


class Prefixes(aptest.TestCase):
    def setUp(self):
        # One listener on each of 127.0.0.0 to 127.0.0.3, one port.
        self.acc = aptest.net("accept", host="127.0.0.0")
        for i in (1, 2, 3):
            aptest.net("accept", host="127.0.0.%d" % i, port=self.acc.port)

    def test_ipv4_prefix_every_address(self):
        # 127.0.0.0/30: network and broadcast too (nmap), one record each,
        # host the address, target the line as written.
        line = "127.0.0.0/30:%d" % self.acc.port
        r = aptest.run(["-f", "json"], line + "\n")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(sorted(x["host"] for x in r.records),
                         ["127.0.0.0", "127.0.0.1", "127.0.0.2",
                          "127.0.0.3"])
        self.assertEqual({x["target"] for x in r.records}, {line})
        self.assertEqual({x["status"] for x in r.records}, {"connected"})
        self.assertEqual({x["line"] for x in r.records}, {"-:1"})

    def test_prefix_text_rows(self):
        # Each address its own first column.
        r = aptest.run(["--ordered", "-j", "1"],
                       "127.0.0.0/31:%d\n" % self.acc.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual([l.split()[0] for l in r.out.splitlines()[1:]],
                         ["127.0.0.0:%d" % self.acc.port,
                          "127.0.0.1:%d" % self.acc.port])

    def test_one_address_prefix_names_the_address(self):
        # /32 and /128 hold one address: the record's host is that
        # address, in the text's first column and the prom host label.
        line = "127.0.0.1/32:%d" % self.acc.port
        r = aptest.run(["-f", "json"], line + "\n")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual([(x["host"], x["target"], x["status"])
                          for x in r.records],
                         [("127.0.0.1", line, "connected")])
        r = aptest.run([], line + "\n")
        self.assertEqual(r.out.splitlines()[1].split()[0],
                         "127.0.0.1:%d" % self.acc.port, r.describe())
        r = aptest.run(["-f", "prom"], line + "\n")
        # target is the line as written, as for a wider prefix's series
        self.assertIn('probe_success{target="%s",host="127.0.0.1",'
                      'port="%d"} 1' % (line, self.acc.port), r.out)

    def test_ipv6_prefix(self):
        aptest.need_v6()
        acc6 = aptest.net("accept", v6=True)
        r = aptest.run(["-f", "json"], "[::/127]:%d\n" % acc6.port)
        self.assertEqual(sorted(x["host"] for x in r.records), ["::", "::1"])
        self.assertIn("connected", {x["status"] for x in r.records})
        r = aptest.run(["-f", "json"], "[::1/128]:%d\n" % acc6.port)
        self.assertEqual([(x["host"], x["status"]) for x in r.records],
                         [("::1", "connected")], r.describe())

    def test_too_large_is_invalid(self):
        r = aptest.run(["-f", "json"],
                       "127.0.0.0/15:1\n127.0.0.1:%d\n" % self.acc.port)
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(len(r.records), 2, r.describe())
        bad = [x for x in r.records if x["status"] == "invalid"]
        self.assertEqual(bad[0]["error"],
                         "prefix /15 has more than 65536 addresses")
        self.assertIn("-:1: prefix /15 has more than 65536 addresses",
                      r.err)

    def test_memory_flat_over_prefix_lines(self):
        # Lazy expansion: 8 lines of /16 take no more memory than one.
        # --shard keeps the probes few; every address is still read.
        ref = aptest.net("refuse")

        def peak_kb(lines):
            stdin = "".join("127.%d.0.0/16:%d\n" % (i + 1, ref.port)
                            for i in range(lines))
            p = subprocess.Popen(aptest.probe_argv(
                ["-q", "-s", "-j", "1", "--shard", "1/512"]),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            p.stdin.write(stdin.encode())
            p.stdin.close()
            err = p.stderr.read()
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            self.assertEqual(p.returncode, 1, err)
            self.assertIn(b"%d targets" % (65536 * lines // 512), err)
            return ru.ru_maxrss

        one, eight = peak_kb(1), peak_kb(8)
        self.assertLess(eight, one + 4096, (one, eight))


class Zones(aptest.TestCase):
    def setUp(self):
        aptest.need_v6()
        self.acc6 = aptest.net("accept", v6=True)

    def test_zone_in_target(self):
        # ::1 on lo, with the zone written: it connects, and the record
        # keeps the zone.
        r = aptest.run(["-f", "json"], "[::1%%lo]:%d\n" % self.acc6.port)
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertEqual((rec["host"], rec["status"]),
                         ("::1%lo", "connected"))
        r = aptest.run(["-f", "json"], "[::1%nosuchif0]:1\n")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(r.one()["error"],
                         "unknown zone 'nosuchif0': no such interface")

    def test_zone_in_source_and_resolve(self):
        r = aptest.run(["-f", "json", "-S", "::1%lo", "--resolve",
                        "z.test:[::1%lo]", "-6"],
                       "z.test:%d\n" % self.acc6.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(r.one()["status"], "connected")
        r = aptest.run(["-S", "::1%nosuchif0"], "")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertIn("-S/--source", r.err)


class CurlResolve(aptest.TestCase):
    def test_port_form_pins_only_that_port(self):
        # --resolve a.test:P:127.0.0.1 pins a.test for port P only: the
        # other port of the same name asks DNS (here NXDOMAIN).
        acc = aptest.net("accept")
        dns = aptest.dns("a.test NXDOMAIN\n")
        r = aptest.run(["-f", "json", "--resolver", dns.resolver,
                        "--resolve", "a.test:%d:127.0.0.1" % acc.port],
                       "a.test:%d\na.test:%d\n" % (acc.port, acc.port + 1
                                                   if acc.port < 65535
                                                   else acc.port - 1))
        self.assertEqual(r.rc, 2, r.describe())
        st = {x["port"]: x["status"] for x in r.records}
        self.assertEqual(st[acc.port], "connected", r.describe())
        self.assertEqual(sorted(st.values()), ["connected", "unresolved"])

    def test_port_form_list_and_plain_form(self):
        acc = aptest.net("accept")
        r = aptest.run(["-f", "json", "--resolve",
                        "b.test:%d:127.0.0.2,127.0.0.1" % acc.port,
                        "--resolve", "c.test:127.0.0.1"],
                       "b.test:%d\nc.test:%d\n" % (acc.port, acc.port))
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual({x["status"] for x in r.records}, {"connected"})

    def test_bad_port_form(self):
        r = aptest.run(["--resolve", "a.test:0:127.0.0.1"], "")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertIn("port 0 out of range 1-65535", r.err)


if __name__ == "__main__":
    aptest.main()
