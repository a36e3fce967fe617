# SPDX-License-Identifier: ISC
"""Output formats and filters (SPEC 5, SPEC 1 output options): CSV parsed
by Python's csv module (RFC 4180 quoting), JSON Lines parsed line by line
and through jq, text with aligned columns, -a/-u/-q, -o FILE, -s, and
-v's attempt lines on stderr."""

import os
import re
import shutil
import subprocess

import aptest


class Formats(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.ref = aptest.net("refuse")
        self.lines = [
            "127.0.0.1:%d" % self.acc.port,
            "127.0.0.1:%d" % self.ref.port,
            'bad "quoted",host:80',
            "pinned.test:%d" % self.acc.port,
        ]
        self.stdin = "\n".join(self.lines) + "\n"
        self.pin = ["--resolve", "pinned.test:127.0.0.1"]

    def run_fmt(self, *args, stdin=None):
        return aptest.run(list(args) + self.pin,
                          self.stdin if stdin is None else stdin)

    def test_csv_header_and_quoting(self):
        r = self.run_fmt("-f", "csv")
        self.assertEqual(r.rc, 3, r.describe())
        header = r.out.splitlines()[0]
        self.assertEqual(header, ",".join(aptest.CSV_HEADER))
        rows = {row["line"]: row for row in r.rows}
        self.assertEqual(sorted(rows), ["-:1", "-:2", "-:3", "-:4"])
        for row in rows.values():
            self.assertEqual(list(row.keys()), aptest.CSV_HEADER)
            self.assertNotIn(None, row, row)  # no extra columns
        self.assertEqual(rows["-:3"]["target"], 'bad "quoted",host:80')
        self.assertEqual(rows["-:3"]["status"], "invalid")
        self.assertIn('"bad ""quoted"",host:80"', r.out)
        self.assertEqual(rows["-:2"]["status"], "refused")
        self.assertEqual(rows["-:2"]["errno"], "ECONNREFUSED")
        self.assertEqual(rows["-:2"]["ip"], "127.0.0.1")
        self.assertEqual(rows["-:2"]["port"], str(self.ref.port))
        self.assertEqual(rows["-:2"]["attempts"], "127.0.0.1=ECONNREFUSED")
        self.assertEqual(rows["-:1"]["status"], "connected")
        self.assertEqual(rows["-:1"]["errno"], "")
        self.assertEqual(rows["-:1"]["error"], "")
        self.assertEqual(rows["-:4"]["host"], "pinned.test")
        self.assertRegex(rows["-:1"]["rtt_ms"], r"^\d+\.\d{3}$")
        self.assertRegex(rows["-:1"]["timestamp"], aptest.TIMESTAMP_RE)

    def test_csv_port_list_target(self):
        # One line, two ports: two rows; the target as written holds a
        # comma and must survive the round trip.
        line = "127.0.0.1:%d,%d" % (self.acc.port, self.ref.port)
        r = aptest.run(["-f", "csv"], line + "\n")
        self.assertEqual(r.rc, 1, r.describe())
        rows = r.rows
        self.assertEqual(sorted(int(x["port"]) for x in rows),
                         sorted([self.acc.port, self.ref.port]))
        for x in rows:
            self.assertEqual(x["line"], "-:1")
            self.assertIn(x["target"], (line, "127.0.0.1:" + x["port"]))

    def test_csv_matches_json(self):
        c = self.run_fmt("-f", "csv")
        j = self.run_fmt("-f", "json")
        jrecs = {x["line"]: x for x in j.records}
        self.assertEqual(len(jrecs), 4, j.describe())
        self.assertEqual(len(c.rows), 4, c.describe())
        for row in c.rows:
            rec = jrecs[row["line"]]
            for k in ("target", "host", "status", "ip", "errno",
                      "addresses", "line"):
                want = rec[k]
                want = "" if want is None else str(want)
                self.assertEqual(row[k], want, (k, row, rec))
            self.assertEqual(row["port"],
                             "" if rec["port"] is None else str(rec["port"]))

    def test_json_lines(self):
        r = self.run_fmt("-f", "json")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(len(r.out.splitlines()), 4)
        for rec in r.records:
            self.assertRecordShape(rec)
        recs = {x["line"]: x for x in r.records}
        self.assertEqual(recs["-:3"]["target"], 'bad "quoted",host:80')
        self.assertRecord(recs["-:2"], "refused", "ECONNREFUSED",
                          "127.0.0.1", "handshake")
        self.assertRecord(recs["-:4"], "connected", None, "127.0.0.1",
                          host="pinned.test")
        self.assertIsInstance(recs["-:1"]["port"], int)

    def test_json_through_jq(self):
        if shutil.which("jq") is None:
            self.skipTest("jq is not installed")
        r = self.run_fmt("-f", "json")
        p = subprocess.run(["jq", "-c", "."], input=r.raw,
                           capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = aptest.json_lines(p.stdout)
        self.assertEqual(len(got), 4, r.describe())
        self.assertEqual(got, r.records)

    def test_json_escapes_bytes(self):
        # Control and non-UTF-8 bytes in an invalid line: still valid
        # UTF-8 JSON, one object per line.
        data = b"ctl\x01\x1b[31m:80\nhi\xff\xfe:80\nq\"b\\s:80\n"
        r = aptest.run(["-f", "json"], data)
        self.assertEqual(r.rc, 3, r.describe())
        text = r.raw.decode("utf-8")  # strict: raises on bad UTF-8
        recs = aptest.json_lines(text)
        self.assertEqual(len(recs), 3)
        self.assertEqual({x["status"] for x in recs}, {"invalid"})
        self.assertNotIn("\x1b", text)
        self.assertNotIn("\x01", text)

    def test_json_line_separators_inside_a_record(self):
        # U+2028 and U+2029 may stand raw in a JSON string, and JSON
        # Lines ends a record at "\n" only: each is inside one record.
        r = aptest.run(["-f", "json"], "a\u2028b:80\nc\u2029d:80\n")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(r.raw.count(b"\n"), 2, r.describe())
        self.assertEqual([x["target"] for x in r.records],
                         ["a\u2028b:80", "c\u2029d:80"])

    def test_text_columns_aligned(self):
        r = self.run_fmt()
        self.assertEqual(r.rc, 3, r.describe())
        lines = [l for l in r.out.splitlines() if l.strip()]
        status_col = {}
        ip_col = {}
        for target in self.lines:
            mine = [l for l in lines if l.startswith(target + " ")]
            self.assertEqual(len(mine), 1, (target, r.out))
            m = re.match(re.escape(target) + r" +(\S+) +(\S+)", mine[0])
            self.assertTrue(m, mine[0])
            self.assertIn(m.group(1), aptest.STATUSES, mine[0])
            status_col[target] = m.start(1)
            ip_col[target] = m.start(2)
        self.assertEqual(len(set(status_col.values())), 1, r.out)
        self.assertEqual(len(set(ip_col.values())), 1, r.out)

    def test_text_exact_rows(self):
        # SPEC 5: the record's own host:port first, so each port of a
        # multi-port line is told apart; an IPv4 row within 80 columns.
        a, r_ = self.acc.port, self.ref.port
        r = aptest.run(["-j", "1", "--ordered"],
                       "127.0.0.1:%d,%d\n" % (a, r_))
        self.assertEqual(r.rc, 1, r.describe())
        lines = r.out.splitlines()
        self.assertEqual(lines[0], "TARGET                STATUS      IP  "
                         "               RTT_MS  ERROR")
        self.assertRegex(lines[1], r"^127\.0\.0\.1:%d +connected   "
                         r"127\.0\.0\.1 +\d+\.\d{3}$" % a)
        self.assertEqual(lines[2], "%-21s refused     127.0.0.1      "
                         "         -  ECONNREFUSED" % ("127.0.0.1:%d" % r_))
        self.assertEqual(len(lines), 3, r.out)
        for l in lines:
            self.assertLessEqual(len(l), 80, l)

    def test_text_header_only_with_records(self):
        # SPEC 5: the header is written just before the first record, so
        # "-u" with nothing down prints nothing (cron mails nothing), on
        # every path: one loop, -j, --ordered, csv.
        up = "127.0.0.1:%d\n" % self.acc.port * 20
        down = "127.0.0.1:%d\n" % self.ref.port
        for args in ([], ["-j", "1"], ["-j", "2"], ["--ordered"],
                     ["-j", "2", "--ordered"], ["-f", "csv"],
                     ["-f", "csv", "-j", "2"]):
            with self.subTest(args=args):
                r = aptest.run(["-u"] + args, up)
                self.assertEqual((r.rc, r.out, r.err), (0, "", ""),
                                 r.describe())
                r = aptest.run(["-u"] + args, up + down + up)
                self.assertEqual(r.rc, 1, r.describe())
                lines = r.out.splitlines()
                self.assertEqual(len(lines), 2, r.out)
                self.assertTrue(lines[0].startswith(
                    "target,host" if "csv" in args else "TARGET "), r.out)
                self.assertIn("refused", lines[1])
                # Up first, the down one late: the header still leads.
                r = aptest.run(args, up + down)
                self.assertEqual(r.rc, 1, r.describe())
                lines = r.out.splitlines()
                self.assertEqual(len(lines), 22, r.out)
                self.assertTrue(lines[0].startswith(
                    "target,host" if "csv" in args else "TARGET "), r.out)
                self.assertEqual(sum(l.startswith(("TARGET", "target,"))
                                     for l in lines), 1, r.out)

    def test_no_header(self):
        down = "127.0.0.1:%d\n" % self.ref.port
        for fmt in ("text", "csv"):
            with self.subTest(format=fmt):
                r = aptest.run(["-f", fmt, "--no-header"], down)
                self.assertEqual(r.rc, 1, r.describe())
                self.assertEqual(len(r.out.splitlines()), 1, r.out)
                self.assertIn("refused", r.out)
                self.assertNotIn("TARGET", r.out)
                self.assertNotIn("target,", r.out)

    def test_peer_bytes_escaped_in_csv(self):
        # A banner with ESC and invalid UTF-8 reaches neither a terminal
        # nor a spreadsheet raw: \x1b in text and csv, \u001b in json.
        rec = aptest.recorder(greet=r"220 \x1b[2J\xff hi\r\n")
        t = "127.0.0.1:%d\n" % rec.port
        r = aptest.run(["-f", "csv", "--banner"], t)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertNotIn(b"\x1b", r.raw)
        self.assertNotIn(b"\xff", r.raw)
        self.assertEqual(r.rows[0]["banner"], "220 \\x1b[2J\\xff hi\\x0d\\x0a")
        r = aptest.run(["--banner"], t)
        self.assertNotIn(b"\x1b", r.raw)
        self.assertIn("banner: 220 \\x1b[2J\\xff hi\\x0d\\x0a", r.out)

    def test_alive_only(self):
        r = self.run_fmt("-f", "json", "-a")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(sorted(x["line"] for x in r.records), ["-:1", "-:4"])
        self.assertEqual({x["status"] for x in r.records}, {"connected"})

    def test_unreachable_only(self):
        r = self.run_fmt("-f", "json", "-u")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(sorted(x["line"] for x in r.records), ["-:2", "-:3"])

    def test_quiet(self):
        r = self.run_fmt("-q")
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(r.out, "")
        r = aptest.run(["-q"], "127.0.0.1:%d\n" % self.ref.port)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual(r.out, "")
        r = aptest.run(["-q"], "127.0.0.1:%d\n" % self.acc.port)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(r.out, "")

    def test_output_file(self):
        path = os.path.join(aptest.tmpdir(), "out.json")
        r = self.run_fmt("-f", "json", "-o", path)
        self.assertEqual(r.rc, 3, r.describe())
        self.assertEqual(r.out, "")
        with open(path, "rb") as fp:
            recs = aptest.json_lines(fp.read())
        self.assertEqual(sorted(x["line"] for x in recs),
                         ["-:1", "-:2", "-:3", "-:4"])
        # Only the file: no temporary left beside it.
        self.assertEqual([f for f in os.listdir(aptest.tmpdir())
                          if f.startswith("out.json")], ["out.json"])

    def test_output_file_unwritable(self):
        r = self.run_fmt("-f", "json", "-o",
                         "/nonexistent-dir/sub/out.json")
        self.assertIn(r.rc, (3, 4), r.describe())
        self.assertIn("/nonexistent-dir/sub/out.json", r.err)

    def test_stats_on_stderr(self):
        r = aptest.run(["-f", "json", "-s"],
                       "127.0.0.1:%d\n127.0.0.1:%d\n127.0.0.1:%d\n"
                       % (self.acc.port, self.acc.port, self.ref.port))
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual(len(r.records), 3)
        self.assertIn("connected", r.err)
        self.assertIn("refused", r.err)
        # "2 connected" or "connected: 2"
        for word, n in (("connected", 2), ("refused", 1)):
            self.assertRegex(r.err, r"(\b%d %s\b|\b%s\W{1,3}%d\b)"
                             % (n, word, word, n))
        # Without -s, stderr stays empty on a clean run.
        r = aptest.run(["-f", "json"], "127.0.0.1:%d\n" % self.acc.port)
        self.assertEqual(r.err, "")


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
