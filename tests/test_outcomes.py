# SPDX-License-Identifier: ISC
"""Single-address outcomes on loopback (SPEC 4): connected, refused,
timeout; invalid lines (SPEC 2); many targets, a descriptor limit far below
-c, and records streamed as they finish (SPEC 5)."""

import resource
import time

import aptest


class Outcomes(aptest.TestCase):
    def test_connected_v4(self):
        srv = aptest.net("accept")
        r = aptest.run(["-f", "json"], "127.0.0.1:%d\n" % srv.port)
        self.assertEqual(r.rc, 0, r.describe())
        rec = r.one()
        self.assertRecord(rec, "connected", None, "127.0.0.1",
                          target="127.0.0.1:%d" % srv.port,
                          host="127.0.0.1", port=srv.port, addresses=1,
                          degraded=False, line="-:1", banner=None)
        self.assertEqual(len(rec["attempts"]), 1, rec)
        self.assertEqual(rec["attempts"][0]["ip"], "127.0.0.1")
        self.assertIsNone(rec["attempts"][0]["errno"])
        self.assertEqual(srv.accepted(), 1)

    def test_connected_v6(self):
        srv = aptest.net("accept", v6=True)
        r = aptest.run(["-f", "json"], "[::1]:%d\n" % srv.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRecord(r.one(), "connected", None, "::1",
                          target="[::1]:%d" % srv.port, host="::1",
                          port=srv.port, addresses=1, degraded=False)
        self.assertEqual(srv.accepted(), 1)

    def test_refused_v4(self):
        srv = aptest.net("refuse")
        r = aptest.run(["-f", "json"], "127.0.0.1:%d\n" % srv.port)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertRecord(r.one(), "refused", "ECONNREFUSED", "127.0.0.1",
                          "handshake", port=srv.port, addresses=1,
                          degraded=False, rtt_ms=None)

    def test_refused_v6(self):
        srv = aptest.net("refuse", v6=True)
        r = aptest.run(["-f", "json"], "[::1]:%d\n" % srv.port)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertRecord(r.one(), "refused", "ECONNREFUSED", "::1",
                          "handshake", host="::1", addresses=1)

    def test_timeout(self):
        srv = aptest.net("hole")
        r = aptest.run(["-f", "json", "-t", "300ms"],
                       "127.0.0.1:%d\n" % srv.port)
        self.assertEqual(r.rc, 1, r.describe())
        rec = r.one()
        self.assertRecord(rec, "timeout", "ETIMEDOUT", "127.0.0.1",
                          "handshake", addresses=1)
        self.assertGreaterEqual(rec["elapsed_ms"], 250, rec)
        self.assertLess(rec["elapsed_ms"], 800, rec)
        self.assertLess(r.elapsed, 2.0, r.describe())

    def test_timeout_v6(self):
        srv = aptest.net("hole", v6=True)
        r = aptest.run(["-f", "json", "-t", "300ms"],
                       "[::1]:%d\n" % srv.port)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertRecord(r.one(), "timeout", "ETIMEDOUT", "::1",
                          "handshake")


# Each reason class of SPEC 2, one per line.  (line text, reason)
INVALID = [
    (b"bad host:80", "space in host"),
    (b"127.0.0.1:0", "port 0"),
    (b"127.0.0.1:65536", "port > 65535"),
    (b":80", "empty host"),
    (b"[::1:80", "bad brackets"),
    (b"[::1]x:80", "junk after bracket"),
    (b"::1:80", "unbracketed IPv6 with a port"),
    (b"noport.test", "no port and no -p"),
    (b"x" * 1100 + b":80", "line over 1024 bytes"),
    (b"nul\x00host:80", "NUL byte"),
    (b"ctl\x01host:80", "control character"),
    (b"h\xc3\xb4st:80", "non-ASCII"),
    (b"127.0.0.1:http-nonexistent-service", "unknown service"),
    (b"127.0.0.1:abc", "junk port"),
]


class Invalid(aptest.TestCase):
    def invalid_file(self, port):
        """Good lines around every invalid class; returns (path, lines
        {lineno: text}, good line numbers, invalid line numbers)."""
        body = [b"# header comment", b"127.0.0.1:%d" % port, b""]
        good = [2]
        bad = []
        for text, _ in INVALID:
            body.append(text)
            bad.append(len(body))
        body.append(b"  127.0.0.1:%d  # trailing comment\r" % port)
        good.append(len(body))
        path = aptest.write_file("invalid.txt", b"\n".join(body) + b"\n")
        return path, body, good, bad

    def test_invalid_lines(self):
        srv = aptest.net("accept")
        path, body, good, bad = self.invalid_file(srv.port)
        r = aptest.run(["-f", "json", path])
        self.assertEqual(r.rc, 3, r.describe())
        recs = {x["line"]: x for x in r.records}
        for x in r.records:
            self.assertRecordShape(x)
        self.assertOnceEach(r.records,
                            ["%s:%d" % (path, n) for n in good + bad])
        for n in good:
            self.assertRecord(recs["%s:%d" % (path, n)], "connected", None,
                              "127.0.0.1")
        errlines = r.err.splitlines()
        for n, (text, why) in zip(bad, INVALID):
            label = "%s:%d" % (path, n)
            with self.subTest(line=text[:40], why=why):
                self.assertEqual(recs[label]["status"], "invalid",
                                 recs[label])
                self.assertEqual(recs[label]["attempts"], [])
                self.assertTrue(
                    [l for l in errlines if l.startswith(label + ": ")
                     and len(l) > len(label) + 2],
                    "no '%s: reason' on stderr:\n%s" % (label, r.err))
        for n in (bad[0], bad[1], bad[3], bad[7]):
            self.assertEqual(recs["%s:%d" % (path, n)]["target"],
                             body[n - 1].decode(), recs)
        self.assertEqual(srv.accepted(), 2)

    def test_invalid_on_stdin(self):
        srv = aptest.net("accept")
        r = aptest.run(["-f", "json"],
                       "bad host:80\n127.0.0.1:%d\n" % srv.port)
        self.assertEqual(r.rc, 3, r.describe())
        recs = {x["line"]: x for x in r.records}
        self.assertEqual(sorted(recs), ["-:1", "-:2"])
        self.assertEqual(recs["-:1"]["status"], "invalid")
        self.assertEqual(recs["-:2"]["status"], "connected")
        self.assertIn("-:1: ", r.err)

    def test_range_over_65536_ports(self):
        # 65545 ports on one line: invalid, and nothing probed.
        srv = aptest.net("accept")
        r = aptest.run(["-f", "json"],
                       "127.0.0.1:1-65535,1-10\n127.0.0.1:%d\n" % srv.port)
        self.assertEqual(r.rc, 3, r.describe()[:2000])
        self.assertEqual(len(r.records), 2, r.describe()[:2000])
        recs = {x["line"]: x for x in r.records}
        self.assertEqual(recs["-:1"]["status"], "invalid")
        self.assertEqual(recs["-:2"]["status"], "connected")

    def test_comments_and_blanks_only(self):
        # No targets at all: exit 1 with a message, as fping (a list cut
        # short by accident must not look healthy).
        r = aptest.run(["-f", "json"], "# nothing\n\n   \n\t# x\n")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual(r.out, "")
        self.assertEqual(r.err, "asyncprobe: no targets\n")


class Load(aptest.TestCase):
    def test_500_targets_one_listener(self):
        srv = aptest.net("accept")
        n = 500
        r = aptest.run(["-f", "json", "-t", "5s"],
                       "127.0.0.1:%d\n" % srv.port * n)
        self.assertEqual(r.rc, 0, r.describe()[:3000])
        self.assertOnceEach(r.records, ["-:%d" % i for i in range(1, n + 1)])
        self.assertEqual({x["status"] for x in r.records}, {"connected"})
        self.assertEqual(srv.accepted(), n)

    def test_descriptor_limit_below_concurrency(self):
        # 32 descriptors, -c 1024: the tool must cap itself, not fail.
        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))

        srv = aptest.net("accept")
        n = 300
        r = aptest.run(["-f", "json", "-c", "1024", "-t", "5s"],
                       "127.0.0.1:%d\n" % srv.port * n, preexec_fn=limit)
        self.assertEqual(r.rc, 0, r.describe()[:3000])
        self.assertOnceEach(r.records, ["-:%d" % i for i in range(1, n + 1)])
        bad = [x for x in r.records if x["status"] != "connected"]
        self.assertEqual(bad, [])
        self.assertEqual(srv.accepted(), n)

    def test_records_are_streamed(self):
        # The connected record must reach a pipe reader long before the
        # hole's 2 s deadline ends the run.
        acc = aptest.net("accept")
        hole = aptest.net("hole")
        t0 = time.monotonic()
        p = aptest.start(["-f", "json", "-t", "2s"],
                         "127.0.0.1:%d\n127.0.0.1:%d\n"
                         % (hole.port, acc.port))
        try:
            first = aptest.read_line(p.stdout, 1.2)
            seen = time.monotonic() - t0
            out, err = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertTrue(first, "no record within 1.2 s (stderr: %r)" % err)
        self.assertLess(seen, 1.2)
        (rec,) = aptest.json_lines(first)
        self.assertRecord(rec, "connected", None, "127.0.0.1", line="-:2")
        rest = aptest.json_lines(out)
        self.assertEqual(len(rest), 1, out)
        self.assertRecord(rest[0], "timeout", "ETIMEDOUT", "127.0.0.1",
                          "handshake", line="-:1")
        self.assertEqual(p.returncode, 1)


if __name__ == "__main__":
    aptest.main()
