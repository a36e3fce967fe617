# SPDX-License-Identifier: ISC
"""Monitor mode (issue 14, SPEC 1): rounds on an interval that never overlap,
`round` in every record, --count, --changes, the exit status of the last
round, SIGHUP re-reading the list, SIGINT/SIGTERM ending cleanly, -o put in
place after each round, and memory and descriptors flat over hundreds of
rounds.  Every run talks to loopback peers only."""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

import aptest

MONITOR_KEYS = aptest.FIELDS + ["round", "attempts"]


def fd_kinds(pid, samples=25):
    """{True: sockets, False: every other descriptor} of a process between
    rounds: the fewest of each seen over a few samples (a round in flight
    holds its sockets, its copy of the list and its -o file)."""
    low = None
    for _ in range(samples):
        kinds = {True: 0, False: 0}
        for link, _ in aptest.fd_table(pid).values():
            kinds[link.startswith("socket:")] += 1
        low = kinds if low is None else {k: min(low[k], kinds[k])
                                         for k in kinds}
        time.sleep(0.01)
    return low


class Monitor:
    """A running `asyncprobe --interval ...` whose JSON records are read
    one at a time, with a deadline."""

    def __init__(self, args, stdin=None):
        self.p = aptest.start(["-f", "json"] + list(args), stdin)
        self.records = []

    def next(self, timeout=10):
        line = aptest.read_line(self.p.stdout, timeout)
        if not line:
            raise AssertionError("no record in %ss; so far:\n%s"
                                 % (timeout, "\n".join(map(json.dumps,
                                                           self.records))))
        rec = json.loads(line)
        self.records.append(rec)
        return rec

    def until_round(self, n, timeout=10):
        """Read records until one of round n arrives; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            rec = self.next(max(0.1, deadline - time.monotonic()))
            if rec["round"] >= n:
                return rec

    def finish(self, sig=None, timeout=15):
        """Signal it (or let it end by itself); the rest of its records
        and its exit status."""
        if sig is not None:
            self.p.send_signal(sig)
        try:
            out, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
            raise AssertionError("did not end: %s" % err.decode())
        self.records += aptest.json_lines(out)
        self.err = err.decode(errors="replace")
        return self.p.returncode


class Rounds(aptest.TestCase):
    def assertMonitorRecord(self, rec, status, errno=None, rnd=None):
        self.assertEqual(list(rec.keys()), MONITOR_KEYS, rec)
        self.assertEqual((rec["status"], rec["errno"]), (status, errno), rec)
        if rnd is not None:
            self.assertEqual(rec["round"], rnd, rec)

    def test_every_round_every_target_once(self):
        acc = aptest.net("accept")
        ref = aptest.free_port()
        hole = aptest.net("hole")
        path = aptest.write_file("list.txt", "127.0.0.1:%d\n127.0.0.1:%d\n"
                                 "127.0.0.1:%d\n" % (acc.port, ref,
                                                     hole.port))
        r = aptest.run(["-f", "json", "--interval", "300ms", "--count", "3",
                        "-t", "500ms", path])
        self.assertEqual(r.rc, 1, r.describe())
        got = sorted((rec["round"], rec["line"], rec["status"])
                     for rec in r.records)
        want = sorted((n, "%s:%d" % (path, i), st) for n in (1, 2, 3)
                      for i, st in ((1, "connected"), (2, "refused"),
                                    (3, "timeout")))
        self.assertEqual(got, want, r.describe())
        for rec in r.records:
            self.assertEqual(list(rec.keys()), MONITOR_KEYS, rec)
        # A round never overlaps the next: the stream holds round 1, then
        # round 2, then round 3; and rounds start the interval apart
        # (never early), the timeout of round 1 included.
        rounds = [rec["round"] for rec in r.records]
        self.assertEqual(rounds, sorted(rounds), r.describe())
        self.assertEqual(acc.accepted(), 3)

    def test_rounds_start_interval_apart_and_a_long_one_delays_the_next(self):
        hole = aptest.net("hole")
        acc = aptest.net("accept")
        path = aptest.write_file("list.txt", "127.0.0.1:%d\n127.0.0.1:%d\n"
                                 % (hole.port, acc.port))
        # Each round lasts the 400 ms deadline, longer than the 100 ms
        # interval: the next starts when it ends, not before.
        r = aptest.run(["-f", "json", "--interval", "100ms", "--count", "3",
                        "-t", "400ms", path])
        starts = {}
        for rec in r.records:
            if rec["status"] == "connected":
                starts[rec["round"]] = rec
        holes = {rec["round"]: rec for rec in r.records
                 if rec["status"] == "timeout"}
        self.assertEqual(sorted(holes), [1, 2, 3], r.describe())
        for n in (2, 3):
            # The connect of round n came after round n-1's timeout.
            self.assertGreaterEqual(starts[n]["timestamp"],
                                    holes[n - 1]["timestamp"], r.describe())

    def test_exit_status_is_the_last_rounds(self):
        port = aptest.free_port()
        path = aptest.write_file("list.txt", "127.0.0.1:%d\n" % port)
        # Refused in round 1, connected in round 2: exit 0.
        m = Monitor(["--interval", "1s", "--count", "2", "-t", "500ms",
                     path])
        self.assertMonitorRecord(m.next(), "refused", "ECONNREFUSED", 1)
        acc = aptest.net("accept", port=port)
        rc = m.finish()
        self.assertEqual(rc, 0, m.err)
        self.assertMonitorRecord(m.records[1], "connected", None, 2)
        # And the other way round: exit 1.
        m = Monitor(["--interval", "1s", "--count", "2", "-t", "500ms",
                     path])
        self.assertMonitorRecord(m.next(), "connected", None, 1)
        acc.stop()
        rc = m.finish()
        self.assertEqual(rc, 1, m.err)
        self.assertMonitorRecord(m.records[1], "refused", "ECONNREFUSED", 2)

    def test_changes_writes_only_what_changed(self):
        port = aptest.free_port()
        steady = aptest.free_port()
        path = aptest.write_file("list.txt", "127.0.0.1:%d\n127.0.0.1:%d\n"
                                 % (port, steady))
        m = Monitor(["--interval", "1500ms", "--count", "4", "--changes",
                     "-t", "300ms", path])
        first = [m.next(), m.next()]
        self.assertEqual(sorted((r["round"], r["status"]) for r in first),
                         [(1, "refused"), (1, "refused")])
        acc = aptest.net("accept", port=port)
        up = m.next()           # round 2: only the one that came up
        self.assertMonitorRecord(up, "connected", None, 2)
        self.assertEqual(up["port"], port)
        # Round 3 (1.5 s after round 2) changes nothing and writes
        # nothing; then it goes down again, for round 4 (3 s after).
        time.sleep(2.2)
        acc.stop()
        rc = m.finish()
        self.assertEqual(rc, 1, m.err)
        got = [(r["round"], r["port"], r["status"]) for r in m.records]
        self.assertEqual(got[2:], [(2, port, "connected"),
                                   (4, port, "refused")], got)

    def test_sighup_rereads_the_list_before_the_next_round(self):
        a, b = aptest.free_port(), aptest.free_port()
        path = aptest.write_file("list.txt", "127.0.0.1:%d\n" % a)
        m = Monitor(["--interval", "300ms", "-t", "200ms", path])
        self.assertEqual(m.next()["port"], a)
        # Changed on disk but no SIGHUP: the rounds go on with the old list.
        with open(path, "w") as fp:
            fp.write("127.0.0.1:%d\n127.0.0.1:%d\n" % (b, a))
        rec = m.until_round(3)
        self.assertEqual(rec["port"], a, m.records)
        m.p.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while rec["port"] != b and time.monotonic() < deadline:
            rec = m.next()
        self.assertEqual(rec["port"], b, m.records)
        self.assertEqual(rec["line"], path + ":1")
        nxt = m.next()
        self.assertEqual((nxt["round"], nxt["port"], nxt["line"]),
                         (rec["round"], a, path + ":2"))
        rc = m.finish(signal.SIGTERM)
        self.assertEqual(rc, 143, m.err)
        # Each round has each of its targets exactly once.
        per = {}
        for r in m.records:
            per.setdefault(r["round"], []).append(r["port"])
        for n, ports in per.items():
            self.assertEqual(len(ports), len(set(ports)), per)

    def test_sighup_with_the_file_gone_keeps_the_old_list(self):
        acc = aptest.net("accept")
        path = aptest.write_file("list.txt", "127.0.0.1:%d\n" % acc.port)
        m = Monitor(["--interval", "100ms", "-t", "1s", path])
        self.assertMonitorRecord(m.next(), "connected", None, 1)
        os.unlink(path)
        m.p.send_signal(signal.SIGHUP)
        first = m.until_round(m.records[-1]["round"] + 3)
        rc = m.finish(signal.SIGTERM)
        self.assertEqual(rc, 143, m.err)
        # As Prometheus keeps its old configuration: said once, and the
        # rounds go on with the list read before.
        self.assertEqual(m.err.count("%s: No such file or directory; the "
                                     "list read before stays" % path), 1,
                         m.err)
        self.assertEqual({r["status"] for r in m.records}, {"connected"})
        self.assertEqual(first["line"], path + ":1")

    def test_a_list_that_cannot_be_read_at_start_is_an_error(self):
        missing = os.path.join(aptest.tmpdir(), "nope.txt")
        r = aptest.run(["--interval", "1s", "--serve", "127.0.0.1:0",
                        missing])
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(r.out, "")
        self.assertIn("%s: No such file or directory" % missing, r.err)
        self.assertNotIn("serving", r.err)

    def test_names_are_looked_up_again_each_round(self):
        dns = aptest.dns("mon.test A 127.0.0.1\n")
        acc = aptest.net("accept")
        lst = aptest.write_file("list.txt", "mon.test:%d\nmon.test:%d\n"
                                % (acc.port, acc.port))
        r = aptest.run(["-f", "json", "-4", "--interval", "50ms", "--count",
                        "3", "-t", "2s", "--resolver", dns.resolver, lst])
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(len(r.records), 6)
        # One question per round (two targets share it), not per run.
        self.assertEqual(len(dns.queries("mon.test", "A")), 3,
                         dns.queries())

    def test_stdin_list_is_probed_every_round(self):
        acc = aptest.net("accept")
        r = aptest.run(["-f", "json", "--interval", "50ms", "--count", "4",
                        "-t", "1s"], "127.0.0.1:%d\n" % acc.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual([(x["round"], x["status"], x["line"])
                          for x in r.records],
                         [(n, "connected", "-:1") for n in (1, 2, 3, 4)])

    def test_signal_mid_round_cancels_what_is_in_flight(self):
        hole = aptest.net("hole")
        acc = aptest.net("accept")
        path = aptest.write_file("list.txt", "127.0.0.1:%d\n127.0.0.1:%d\n"
                                 % (acc.port, hole.port))
        for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            with self.subTest(sig=sig):
                m = Monitor(["--interval", "100ms", "-t", "10s", path])
                self.assertMonitorRecord(m.next(), "connected", None, 1)
                time.sleep(0.2)
                rc = m.finish(sig)
                self.assertEqual(rc, code, m.err)
                self.assertEqual([(r["round"], r["status"])
                                  for r in m.records],
                                 [(1, "connected"), (1, "cancelled")])

    def test_signal_between_rounds_ends_at_once(self):
        acc = aptest.net("accept")
        path = aptest.write_file("list.txt", "127.0.0.1:%d\n" % acc.port)
        m = Monitor(["--interval", "1h", "-t", "1s", path])
        self.assertMonitorRecord(m.next(), "connected", None, 1)
        t0 = time.monotonic()
        rc = m.finish(signal.SIGINT)
        self.assertEqual(rc, 130, m.err)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(len(m.records), 1)

    def test_max_runtime_ends_the_monitor(self):
        hole = aptest.net("hole")
        path = aptest.write_file("list.txt", "127.0.0.1:%d\n" % hole.port)
        r = aptest.run(["-f", "json", "--interval", "100ms", "-t", "10s",
                        "--max-runtime", "700ms", path])
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual([(x["round"], x["status"]) for x in r.records],
                         [(1, "cancelled")])

    def test_text_header_once_and_round_column(self):
        acc = aptest.net("accept")
        r = aptest.run(["--interval", "10ms", "--count", "3", "-t", "1s",
                        "127.0.0.1:%d" % acc.port])
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 4, r.describe())
        self.assertEqual(lines[0].split(),
                         ["TARGET", "STATUS", "IP", "RTT_MS", "ROUND",
                          "ERROR"])
        self.assertEqual([l.split()[-1] for l in lines[1:]],
                         ["1", "2", "3"])
        for l in lines:
            self.assertLessEqual(len(l), 80, l)
        r = aptest.run(["-f", "csv", "--interval", "10ms", "--count", "2",
                        "-t", "1s", "127.0.0.1:%d" % acc.port])
        rows = r.rows
        self.assertEqual([x["round"] for x in rows], ["1", "2"])
        self.assertEqual(r.out.count("target,host"), 1)

    def test_invalid_line_noted_once_recorded_every_round(self):
        acc = aptest.net("accept")
        path = aptest.write_file("list.txt", "127.0.0.1:%d\nno port here\n"
                                 % acc.port)
        r = aptest.run(["-f", "json", "--interval", "10ms", "--count", "3",
                        "-t", "1s", path])
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(sorted((x["round"], x["status"])
                                for x in r.records),
                         [(n, s) for n in (1, 2, 3)
                          for s in ("connected", "invalid")])
        self.assertEqual(r.err.count("%s:2:" % path), 1, r.err)


class Served:
    """asyncprobe --serve 127.0.0.1:0 in monitor mode, and its port."""

    def __init__(self, args):
        self.p = aptest.start(["-q", "--serve", "127.0.0.1:0"] + list(args))
        self.port = aptest.serving_port(self.p, 10)

    def get(self, path, headers=None, timeout=10):
        """(status, body) of a GET."""
        status, _, body = aptest.http_get(
            "http://127.0.0.1:%d%s" % (self.port, path), timeout, headers)
        return status, body

    def round_number(self):
        status, body = self.get("/metrics")
        if status != 200:
            return 0
        m = re.search(r"^asyncprobe_round_number(?:\{[^}]*\})? (\d+)$",
                      body, re.M)
        return int(m.group(1)) if m else 0

    def wait_round(self, n, timeout=30):
        deadline = time.monotonic() + timeout
        while self.round_number() < n:
            if time.monotonic() > deadline:
                raise AssertionError("round %d not served" % n)
            time.sleep(0.05)

    def finish(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        out, err = self.p.communicate(timeout=15)
        return self.p.returncode, err.decode(errors="replace")


def promtool_ok(test, body):
    rc, said = aptest.promtool_check(body)
    test.assertEqual(rc, 0, said + "\n" + body)


class Serve(aptest.TestCase):
    def test_metrics_are_the_last_finished_round(self):
        acc = aptest.net("accept")
        hole = aptest.net("hole")
        lst = aptest.write_file("list.txt", "127.0.0.1:%d\n127.0.0.1:%d\n"
                                % (acc.port, hole.port))
        s = Served(["--interval", "100ms", "-t", "1500ms", "--label",
                    "site=lab", lst])
        try:
            # Round 1 lasts the hole's 1.5 s deadline: nothing yet.
            status, body = s.get("/metrics")
            self.assertEqual(status, 503, body)
            s.wait_round(1)
            # Round 2 is running now: a scrape still gets round 1, whole.
            status, body = s.get("/metrics")
            self.assertEqual(status, 200)
            promtool_ok(self, body)
            self.assertIn('asyncprobe_round_number{site="lab"} 1\n', body)
            self.assertIn('probe_success{target="127.0.0.1:%d",host='
                          '"127.0.0.1",port="%d",site="lab"} 1\n'
                          % (acc.port, acc.port), body)
            self.assertIn('probe_success{target="127.0.0.1:%d",host='
                          '"127.0.0.1",port="%d",site="lab"} 0\n'
                          % (hole.port, hole.port), body)
            self.assertIn('asyncprobe_targets{status="timeout",site="lab"} '
                          '1\n', body)
            s.wait_round(2)
        finally:
            rc, err = s.finish()
        self.assertEqual(rc, 143, err)

    def test_probe_answers_listed_targets_only(self):
        acc = aptest.net("accept")
        ref = aptest.free_port()
        lst = aptest.write_file("list.txt", "127.0.0.1:%d\nLocalHost:%d\n"
                                % (acc.port, ref))
        s = Served(["--interval", "1s", "-t", "2s", "--resolve",
                    "localhost:127.0.0.1", lst])
        try:
            status, body = s.get("/probe?target=127.0.0.1:%d&module=tcp"
                                 % acc.port)
            self.assertEqual(status, 200, body)
            promtool_ok(self, body)
            self.assertIn("\nprobe_success 1\n", body)
            self.assertIn("\nprobe_ip_protocol 4\n", body)
            # Names are blind to case; literals are read as inet_aton does.
            status, body = s.get("/probe?target=localhost:%d" % ref)
            self.assertEqual(status, 200, body)
            self.assertIn("\nprobe_success 0\n", body)
            status, body = s.get("/probe?target=127.1:%d" % acc.port)
            self.assertEqual(status, 200, body)
            for path, code in (("/probe?target=127.0.0.1:%d" % (ref + 1), 403),
                               ("/probe?target=127.0.0.2:%d" % acc.port, 403),
                               ("/probe", 400),
                               ("/probe?target=", 400),
                               ("/probe?target=127.0.0.1", 400),
                               ("/probe?target=127.0.0.1:1,2", 400),
                               ("/probe?target=127.0.0.0/30:22", 400),
                               ("/nothing", 404)):
                with self.subTest(path=path):
                    status, body = s.get(path)
                    self.assertEqual(status, code, body)
            status, body = s.get("/healthz")
            self.assertEqual((status, body), (200, "OK\n"))
            status, body = s.get("/")
            self.assertEqual(status, 200)
            for link in ("/metrics", "/probe", "/healthz"):
                self.assertIn(link, body)
        finally:
            rc, err = s.finish()
        self.assertEqual(rc, 143, err)

    def test_probe_is_answered_whatever_the_shard(self):
        accs = [aptest.net("accept") for _ in range(3)]
        lst = aptest.write_file("list.txt", "".join(
            "127.0.0.1:%d\n" % a.port for a in accs))
        s = Served(["--interval", "1h", "-t", "2s", "--shard", "2/3", lst])
        try:
            for a in accs:
                status, body = s.get("/probe?target=127.0.0.1:%d" % a.port)
                self.assertEqual(status, 200, body)
                self.assertIn("\nprobe_success 1\n", body)
        finally:
            rc, err = s.finish()
        self.assertEqual(rc, 143, err)

    def test_serve_any_probes_what_it_is_asked(self):
        acc = aptest.net("accept")
        ref = aptest.free_port()
        lst = aptest.write_file("list.txt", "127.0.0.1:%d\n" % acc.port)
        s = Served(["--interval", "1s", "-t", "2s", "--serve-any", lst])
        try:
            status, body = s.get("/probe?target=127.0.0.1:%d" % ref)
            self.assertEqual(status, 200, body)
            self.assertIn("\nprobe_success 0\n", body)
            # The scraper's own timeout, less half a second, caps -t.
            hole = aptest.net("hole")
            t0 = time.monotonic()
            status, body = s.get("/probe?target=127.0.0.1:%d" % hole.port,
                                 {"X-Prometheus-Scrape-Timeout-Seconds":
                                  "1.5"})
            took = time.monotonic() - t0
            self.assertEqual(status, 200, body)
            self.assertIn("\nprobe_success 0\n", body)
            self.assertGreaterEqual(took, 0.9)
            self.assertLess(took, 1.9)
        finally:
            rc, err = s.finish()
        self.assertEqual(rc, 143, err)

    def test_probe_with_expect_says_why_it_failed(self):
        rec = aptest.recorder(greet="SSH-2.0-test\r\n")
        lst = aptest.write_file("list.txt", "127.0.0.1:%d\n" % rec.port)
        for want, fail in (("SSH-", 0), ("HTTP/", 1)):
            with self.subTest(expect=want):
                s = Served(["--interval", "1h", "-t", "2s", "--expect",
                            want, lst])
                try:
                    status, body = s.get("/probe?target=127.0.0.1:%d"
                                         % rec.port)
                finally:
                    rc, err = s.finish()
                self.assertEqual(status, 200, body)
                promtool_ok(self, body)
                self.assertIn("\nprobe_failed_due_to_regex %d\n" % fail,
                              body)
                self.assertIn("\nprobe_success %d\n" % (1 - fail), body)
                self.assertEqual(rc, 143, err)

    def test_signal_with_probes_pending_ends_cleanly(self):
        hole = aptest.net("hole")
        lst = aptest.write_file("list.txt", "127.0.0.1:%d\n" % hole.port)
        s = Served(["--interval", "1h", "-t", "30s", lst])
        results = []

        def scrape():
            try:
                results.append(s.get("/probe?target=127.0.0.1:%d"
                                     % hole.port, timeout=20))
            except OSError as e:        # aptest.http_get: no answer
                results.append(e)

        threads = [threading.Thread(target=scrape) for _ in range(40)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        rc, err = s.finish()
        for t in threads:
            t.join(20)
        self.assertEqual(rc, 143, err)
        self.assertEqual(len(results), 40)
        codes = sorted(r[0] for r in results if isinstance(r, tuple))
        # At most 32 probe at once: the others were told 503 at once; the
        # ones probing when the signal came get an answer too.
        self.assertGreaterEqual(codes.count(503), 8, results)
        self.assertEqual(set(codes) - {200, 503}, set(), results)

    def test_hostile_requests_never_disturb_the_rounds(self):
        acc = aptest.net("accept")
        lst = aptest.write_file("list.txt", "127.0.0.1:%d\n" % acc.port)
        s = Served(["--interval", "50ms", "-t", "1s", lst])
        try:
            s.wait_round(1)

            def raw(data, timeout=5):
                c = socket.create_connection(("127.0.0.1", s.port),
                                             timeout=timeout)
                try:
                    c.sendall(data)
                    got = b""
                    while True:
                        try:
                            chunk = c.recv(65536)
                        except (ConnectionResetError, socket.timeout):
                            break
                        if not chunk:
                            break
                        got += chunk
                    return got
                finally:
                    c.close()

            for data in (b"GARBAGE\r\n\r\n",
                         b"GET / HTTP/1.1\r\nHost: x\r\n" +
                         b"X-Big: " + b"a" * 65536 + b"\r\n\r\n",
                         b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: 5\r\n\r\nhello",
                         b"GET /probe?target=%ZZ HTTP/1.1\r\n\r\n",
                         b"\x00\xff\x1b[2J\r\n\r\n"):
                with self.subTest(data=data[:40]):
                    got = raw(data)
                    if got:
                        code = int(got.split(b" ", 2)[1])
                        self.assertGreaterEqual(code, 400, got[:200])
                        self.assertLess(code, 500, got[:200])
            # Many idle clients at once: they wait or are closed, and once
            # they are gone the server answers as before.
            idle = [socket.create_connection(("127.0.0.1", s.port))
                    for _ in range(100)]
            for c in idle:
                c.close()
            status, body = s.get("/healthz", timeout=20)
            self.assertEqual(status, 200)
            before = s.round_number()
            s.wait_round(before + 3)
        finally:
            rc, err = s.finish()
        self.assertEqual(rc, 143, err)


class OutputFile(aptest.TestCase):
    def test_prom_file_replaced_after_each_round_kept_on_signal(self):
        acc = aptest.net("accept")
        hole = aptest.net("hole")
        d = aptest.tmpdir()
        out = os.path.join(d, "asyncprobe.prom")
        lst = aptest.write_file("list.txt", "127.0.0.1:%d\n" % acc.port)
        p = aptest.start(["-f", "prom", "--label", "job=mon", "-o", out,
                          "--interval", "200ms", "-t", "5s", lst])
        deadline = time.monotonic() + 10
        text = ""
        while "asyncprobe_round_number{job=\"mon\"} 2" not in text:
            self.assertLess(time.monotonic(), deadline, text)
            time.sleep(0.05)
            try:
                with open(out) as fp:
                    text = fp.read()
            except FileNotFoundError:
                pass
        self.assertIn('probe_success{target="127.0.0.1:%d",host="127.0.0.1",'
                      'port="%d",job="mon"} 1' % (acc.port, acc.port), text)
        promtool_ok(self, text)
        # Now a round that a signal cuts short: the last whole file stays.
        with open(lst, "w") as fp:
            fp.write("127.0.0.1:%d\n" % hole.port)
        p.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=10)
        self.assertEqual(p.returncode, 143)
        with open(out) as fp:
            kept = fp.read()
        self.assertIn("job=\"mon\"} 1\n", kept)
        self.assertNotIn("cancelled\",job=\"mon\"} 1", kept)
        self.assertEqual([f for f in os.listdir(d) if f.startswith(".")], [])


class Usage(aptest.TestCase):
    def test_monitor_options_outside_monitor_mode(self):
        for args, words in (
                (["--count", "3"], "--count applies to monitor mode"),
                (["--changes"], "--changes applies to monitor mode"),
                (["--serve", "127.0.0.1:0"], "--serve applies"),
                (["--interval", "1s", "--serve-any"],
                 "--serve-any applies to --serve"),
                (["--interval", "1s", "--changes", "-f", "prom"],
                 "--changes: -f prom"),
                (["--interval", "1s", "-j", "2"], "one event loop"),
                (["--interval", "5ms"], "--interval"),
                (["--interval", "1s", "--count", "0"], "--count"),
                (["--interval", "1s", "--serve", "localhost:80"],
                 "numeric"),
                (["--interval", "1s", "--serve", "::1:80"], "brackets"),
                (["--interval", "1s", "--serve", "127.0.0.1:70000"],
                 "--serve")):
            with self.subTest(args=args):
                r = aptest.run(args + ["127.0.0.1:1"])
                self.assertEqual(r.rc, 3, r.describe())
                self.assertIn(words, r.err)
                self.assertEqual(r.out, "")


class Bounded(aptest.TestCase):
    def test_memory_and_descriptors_flat_over_hundreds_of_rounds(self):
        acc = aptest.net("accept")
        ref = aptest.free_port()
        d = aptest.tmpdir()
        out = os.path.join(d, "m.prom")
        lst = aptest.write_file("list.txt", "".join(
            "127.0.0.1:%d\n127.0.0.1:%d\n" % (acc.port, ref)
            for _ in range(25)))
        p = aptest.start(["-f", "prom", "-o", out, "--label", "k=v",
                          "--interval", "10ms", "-t", "1s", lst])

        def round_number():
            try:
                with open(out) as fp:
                    for l in fp:
                        if l.startswith("asyncprobe_round_number"):
                            return int(l.split()[-1])
            except FileNotFoundError:
                pass
            return 0

        def wait_round(n, timeout=60):
            deadline = time.monotonic() + timeout
            while round_number() < n:
                self.assertLess(time.monotonic(), deadline,
                                "round %d not reached" % n)
                time.sleep(0.02)

        try:
            wait_round(50)
            rss0 = aptest.proc_status_kb(p.pid, "VmRSS")
            fds0 = fd_kinds(p.pid)
            wait_round(400)
            rss1 = aptest.proc_status_kb(p.pid, "VmRSS")
            fds1 = fd_kinds(p.pid)
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=10)
        self.assertEqual(fds1, fds0)
        if not aptest.sanitized():
            self.assertLess(rss1, rss0 * 1.10, (rss0, rss1))


if __name__ == "__main__":
    aptest.main()
