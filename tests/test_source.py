# SPDX-License-Identifier: ISC
"""-S/--source (SPEC 1): the address outgoing connects are bound to, the
bind stage when it is not local, the family it leaves, a bad value."""

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

if __name__ == "__main__":
    aptest.main()
