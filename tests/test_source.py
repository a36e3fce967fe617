# SPDX-License-Identifier: ISC
"""-S/--source (the bind stage), --hosts-file with a file of the test's own,
and -v's attempt lines, with the real binary on loopback."""

import os

import aptest


class Source(aptest.TestCase):
    def test_source_address_is_used(self):
        # The kernel would pick 127.0.0.1; -S makes it 127.0.0.2.
        peer = aptest.net("accept", peers=True)
        r = aptest.run(["-f", "json", "-S", "127.0.0.2"],
                       "127.0.0.1:%d\n" % peer.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "127.0.0.1")
        self.assertEqual(peer.peers(), ["127.0.0.2"])

    def test_source_not_local_fails_at_bind(self):
        # ::2 is on no interface here, so bind() refuses it and no packet
        # is ever sent.  The record says so, at the bind stage.
        acc = aptest.net("accept", v6=True)
        r = aptest.run(["-f", "json", "-S", "::2"],
                       "[::1]:%d\n" % acc.port)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertRecord(r.one(), "error", "EADDRNOTAVAIL", "::1",
                          stage="bind")
        self.assertEqual(acc.accepted(), 0)

    def test_source_family_filters_addresses(self):
        # An IPv4 source reaches only IPv4 addresses: the v6 one of a
        # dual-stack name is never tried.
        acc = aptest.net("accept")
        r = aptest.run(["-f", "json", "-S", "127.0.0.1",
                        "--resolve", "dual.test:::1,127.0.0.1"],
                       "dual.test:%d\n" % acc.port)
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1", addresses=1)

    def test_bad_source_is_a_usage_error(self):
        r = aptest.run(["-S", "not-an-address"], "127.0.0.1:1\n")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertIn("not-an-address", r.err)
        self.assertEqual(r.out, "")


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


class Verbose(aptest.TestCase):
    def test_one_line_per_attempt(self):
        acc = aptest.net("accept")
        refuse = aptest.net("refuse", host="127.0.0.2", port=acc.port)
        r = aptest.run(["-f", "json", "-v",
                        "--resolve", "m.test:127.0.0.2,127.0.0.1"],
                       "m.test:%d\n" % acc.port)
        self.assertEqual(r.rc, 0, r.describe())
        lines = [l for l in r.err.splitlines() if l.startswith("asyncprobe:")]
        self.assertEqual(len(lines), 2, r.err)
        self.assertIn("127.0.0.2 port %d: refused (ECONNREFUSED, handshake)"
                      % acc.port, lines[0])
        self.assertIn("127.0.0.1 port %d: connected in" % acc.port, lines[1])
        refuse.stop()


if __name__ == "__main__":
    aptest.main()
