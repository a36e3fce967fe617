# SPDX-License-Identifier: ISC
"""Hostile input (issue 5, SPEC 2): no input can crash asyncprobe or make
it grow.  A 100 MiB line, NUL bytes, invalid UTF-8, control and terminal
escape characters become `invalid` records that are escaped in every
format (no raw ESC reaches a terminal); a directory, an unreadable file,
a FIFO and /dev/zero as input files."""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import aptest

HWM_LIMIT_KB = 24 * 1024        # the binary idles near 2-3 MiB
CONTROL = set(range(0x00, 0x20)) - {0x0a} | {0x7f}


def raw_controls(data, allowed=()):
    """The control bytes in data, other than newline and allowed."""
    return sorted({b for b in data if b in CONTROL and b not in allowed})


class LongLine(aptest.TestCase):
    MIB = 100

    def test_100mib_line_then_valid(self):
        acc = aptest.net("accept")
        p = subprocess.Popen(aptest.probe_argv(["-f", "json", "-"]),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        chunk = b"a" * (1 << 20)

        def feed():
            try:
                for _ in range(self.MIB):
                    p.stdin.write(chunk)
                p.stdin.write(b"\n127.0.0.1:%d\n" % acc.port)
                p.stdin.flush()
            except BrokenPipeError:
                pass

        t = threading.Thread(target=feed)
        t.start()
        try:
            recs = []
            for _ in range(2):
                line = aptest.read_line(p.stdout, 30)
                self.assertTrue(line.endswith("\n"), "no record: %r"
                                % line[:200])
                recs.append(json.loads(line))
            t.join(10)
            # stdin is still open: the process is alive to be measured.
            hwm = aptest.proc_status_kb(p.pid, "VmHWM")
            p.stdin.close()
            p.stdin = None
            out, err = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 3, err)
        self.assertEqual(out, b"")
        self.assertLess(hwm, HWM_LIMIT_KB, "memory grew with the line")
        self.assertEqual([r["line"] for r in recs], ["-:1", "-:2"])
        self.assertEqual(recs[0]["status"], "invalid")
        self.assertIn("1024", recs[0]["error"])
        self.assertLess(len(recs[0]["target"]), 4096, "whole line kept")
        self.assertRecord(recs[1], "connected", None, "127.0.0.1")
        self.assertEqual(err.decode().count("\n"), 1, err)
        self.assertTrue(err.startswith(b"-:1: "), err)


# Each a hostname no DNS name has (SPEC 2): invalid, escaped on output.
HOSTILE = [
    b"ev\x1b[2Jil:80",          # clear screen
    b"be\x07ll:80",             # BEL
    b"cr\rx.test:80",           # CR inside the line
    b"ti\x1b]0;pwned\x07tle:80",  # set the terminal title
    b"del\x7f.test:80",
    b"back\x08space:80",
    b"nu\x00l.test:80",         # NUL
    b"bad\xff\xfeutf:80",       # not UTF-8
    b"half\xc3:80",             # a truncated UTF-8 sequence
    b"caf\xc3\xa9.test:80",     # valid UTF-8, not ASCII
    b"\xef\xbb\xbfbom.test:80",  # a byte order mark
    b'"quo,te":80',             # CSV specials
]


class Hostile(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.good = b"127.0.0.1:%d" % self.acc.port
        data = b"\n".join([self.good] + HOSTILE + [self.good]) + b"\n"
        self.path = aptest.write_file("hostile.txt", data)
        self.n = len(HOSTILE) + 2

    def run_file(self, fmt):
        p = subprocess.run(aptest.probe_argv(["-f", fmt, self.path]),
                           capture_output=True, timeout=30)
        return p

    def check_common(self, p):
        self.assertEqual(p.returncode, 3, p.stderr)
        # stderr names each bad line, and a terminal reading it is safe.
        self.assertEqual(raw_controls(p.stderr), [], p.stderr)
        for i in range(2, self.n):
            self.assertIn(b"%s:%d: " % (self.path.encode(), i), p.stderr)
        self.assertEqual(raw_controls(p.stdout, allowed=(0x0d,)), [],
                         p.stdout)

    def test_json(self):
        p = self.run_file("json")
        self.check_common(p)
        self.assertNotIn(b"\r", p.stdout)
        text = p.stdout.decode("utf-8")         # strict: valid UTF-8
        recs = aptest.json_lines(text)
        self.assertOnceEach(recs, ["%s:%d" % (self.path, i)
                                   for i in range(1, self.n + 1)])
        by = {r["line"]: r for r in recs}
        for i in (1, self.n):
            self.assertRecord(by["%s:%d" % (self.path, i)], "connected",
                              None, "127.0.0.1")
        for i in range(2, self.n):
            r = by["%s:%d" % (self.path, i)]
            self.assertRecordShape(r)
            self.assertEqual(r["status"], "invalid", r)
            self.assertTrue(r["error"], r)
            # Decoded, the target still carries no raw control character.
            self.assertEqual(raw_controls(r["target"].encode()), [], r)
        quoted = by["%s:%d" % (self.path, self.n - 1)]
        self.assertEqual(quoted["target"], '"quo,te":80')

    def test_csv(self):
        p = self.run_file("csv")
        self.check_common(p)
        rows = list(csv.DictReader(io.StringIO(p.stdout.decode("utf-8"),
                                               newline="")))
        self.assertEqual(len(rows), self.n)
        by = {r["line"]: r for r in rows}
        for i in range(2, self.n):
            self.assertEqual(by["%s:%d" % (self.path, i)]["status"],
                             "invalid")
        # RFC 4180: quoted, inner quotes doubled, and read back whole.
        self.assertIn(b'"""quo,te"":80"', p.stdout)
        self.assertEqual(by["%s:%d" % (self.path, self.n - 1)]["target"],
                         '"quo,te":80')
        for r in rows:
            self.assertEqual(raw_controls(r["target"].encode()), [], r)

    def test_text(self):
        p = self.run_file("text")
        self.check_common(p)
        self.assertNotIn(b"\x1b", p.stdout)
        self.assertNotIn(b"\r", p.stdout)
        lines = p.stdout.decode("utf-8", "replace").splitlines()
        self.assertEqual(len(lines), self.n + 1)       # header
        self.assertEqual(sum(" invalid " in l for l in lines), self.n - 2)
        self.assertEqual(sum(" connected " in l for l in lines), 2)

    def test_text_shows_target_like_csv(self):
        # SPEC 5: the same fields in every format.  The parser stores
        # `ev\x1b[2Jil:80`; text prints `ev\\x1b[2Jil:80`.
        c = self.run_file("csv")
        t = self.run_file("text")
        rows = list(csv.DictReader(io.StringIO(c.stdout.decode("utf-8"),
                                               newline="")))
        text = t.stdout.decode("utf-8", "replace").splitlines()[1:]
        # Two runs: records come in completion order, so compare sets.
        self.assertEqual(sorted(l.split()[0] for l in text),
                         sorted(r["target"] for r in rows))


class Files(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.ok = "127.0.0.1:%d\n" % self.acc.port

    def test_directory_among_files(self):
        a = aptest.write_file("da.txt", self.ok)
        d = os.path.join(aptest.tmpdir(), "adir")
        os.mkdir(d)
        b = aptest.write_file("db.txt", self.ok)
        r = aptest.run(["-f", "json", a, d, b])
        self.assertEqual(r.rc, 3, r.describe())
        self.assertIn(d, r.err)
        self.assertIn("directory", r.err.lower())
        self.assertOnceEach(r.records, [a + ":1", b + ":1"])
        for x in r.records:
            self.assertRecord(x, "connected", None, "127.0.0.1")

    def test_fifo_by_path(self):
        fifo = os.path.join(aptest.tmpdir(), "fifo")
        os.mkfifo(fifo)

        def writer():
            with open(fifo, "w") as fp:
                for _ in range(50):
                    fp.write(self.ok)
                    fp.flush()
                    time.sleep(0.002)

        t = threading.Thread(target=writer)
        t.start()
        r = aptest.run(["-f", "json", fifo], timeout=20)
        t.join(5)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertOnceEach(r.records, ["%s:%d" % (fifo, i)
                                        for i in range(1, 51)])

    def zero_run(self):
        p = subprocess.Popen(aptest.probe_argv(["-f", "json", "/dev/zero"]),
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.5)
        return p

    def test_dev_zero_bounded(self):
        # One endless line of NUL bytes: nothing to probe ever ends, so
        # the run is bounded from outside.  Memory must stay flat and the
        # process must be alive (no crash) when killed.
        p = self.zero_run()
        try:
            hwm1 = aptest.proc_status_kb(p.pid, "VmHWM")
            time.sleep(1.0)
            hwm2 = aptest.proc_status_kb(p.pid, "VmHWM")
            alive = p.poll() is None
        finally:
            p.kill()
            out, err = p.communicate(timeout=5)
        self.assertTrue(alive, "exited on its own: %r" % err[:500])
        self.assertEqual(p.returncode, -signal.SIGKILL)
        self.assertLess(hwm2, HWM_LIMIT_KB)
        self.assertLess(hwm2 - hwm1, 1024, "memory grows")
        self.assertEqual(out, b"")

    def test_dev_zero_sigterm(self):
        p = self.zero_run()
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(3)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if p.poll() is None:
                p.kill()
            p.communicate(timeout=5)
        self.assertEqual(p.returncode, 143)

    def test_unreadable_among_readable(self):
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                self.skipTest("root, and no setpriv to drop privileges")
            prefix = ["setpriv", "--reuid", "65534", "--regid", "65534",
                      "--clear-groups"]
        else:
            prefix = None
        d = os.path.join(aptest.tmpdir(), "perm")
        os.mkdir(d)
        os.chmod(aptest.tmpdir(), 0o755)
        os.chmod(d, 0o755)
        paths = []
        for name in ("a.txt", "secret.txt", "b.txt"):
            path = os.path.join(d, name)
            with open(path, "w") as fp:
                fp.write(self.ok * 2)
            os.chmod(path, 0o644)
            paths.append(path)
        os.chmod(paths[1], 0)
        r = aptest.run(["-f", "json"] + paths, prefix=prefix)
        self.assertEqual(r.rc, 3, r.describe())
        self.assertIn(paths[1], r.err)
        self.assertIn("Permission denied", r.err)
        self.assertOnceEach(r.records, [paths[0] + ":1", paths[0] + ":2",
                                        paths[2] + ":1", paths[2] + ":2"])
        for x in r.records:
            self.assertRecord(x, "connected", None, "127.0.0.1")


if __name__ == "__main__":
    aptest.main()
