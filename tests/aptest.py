# SPDX-License-Identifier: ISC
"""aptest -- shared helpers for the asyncprobe integration tests.

Starts the loopback peers (aptest-net, aptest-dns), runs the asyncprobe
binary with a hard timeout and parses its records, and provides main(), the
runner every test_*.py ends with: a TAP line per test (automake's TAP
driver counts them), then `N passed, M failed`.

Network rule: everything here talks to 127.0.0.0/8 or ::1 only, or runs
inside a network namespace the test creates.  Names are resolved only
through --resolve pins or the fake DNS server; run() always passes
--hosts-file none and a loopback --resolver so the system resolver is
never used.
"""

import calendar
import csv
import http.client
import io
import json
import os
import re
import select
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def _binary(env, *default):
    path = os.environ.get(env)
    if path:
        return path
    return os.path.join(TOP, *default)


ASYNCPROBE = _binary("ASYNCPROBE", "src", "asyncprobe")
APTEST_NET = _binary("APTEST_NET", "tests", "aptest-net")
APTEST_DNS = _binary("APTEST_DNS", "tests", "aptest-dns")

# SPEC 5 order, then the json/csv extra.
FIELDS = ["target", "host", "port", "status", "ip", "rtt_ms", "elapsed_ms",
          "errno", "error", "icmp", "icmp_from", "addresses", "degraded",
          "line", "banner",
          "timestamp"]
JSON_KEYS = FIELDS + ["attempts"]
CSV_HEADER = FIELDS + ["attempts"]
ATTEMPT_KEYS = ["ip", "errno", "stage", "ms", "icmp", "icmp_from"]
STATUSES = ["connected", "refused", "timeout", "unreachable", "denied",
            "unresolved", "mismatch", "error", "invalid", "cancelled"]
STAGES = ["handshake", "connect", "bind", "socket", "resolve"]
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# A resolver address where nothing answers: any DNS the binary sends
# despite pins stays on loopback and fails fast instead of leaking out.
DEAD_RESOLVER = "127.0.0.1:9"

RUN_TIMEOUT = 30.0
START_TIMEOUT = 5.0

_tmpdir = None


def tmpdir():
    """A per-process scratch directory, removed at exit by main()."""
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = tempfile.mkdtemp(prefix="aptest.")
    return _tmpdir


def write_file(name, data):
    """Write data (str or bytes) to tmpdir()/name and return the path."""
    path = os.path.join(tmpdir(), name)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as fp:
        fp.write(data)
    return path


# --- loopback peers -------------------------------------------------------

class Server:
    """A peer process that prints its port on stdout and lives until its
    stdin is closed.  Use as a context manager or call stop()."""

    def __init__(self, argv, count_file=None):
        self.argv = argv
        self.count_file = count_file
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        line = read_line(self.proc.stdout, START_TIMEOUT)
        if not line.strip().isdigit():
            self.proc.kill()
            err = self.proc.stderr.read().decode(errors="replace")
            self.proc.wait()
            raise RuntimeError("%s did not start: %r %s"
                               % (" ".join(argv), line, err))
        self.port = int(line)
        self.stopped = False
        self.stderr = ""

    def stop(self):
        if self.stopped:
            return self.stderr
        self.stopped = True
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr = self.proc.stderr.read().decode(errors="replace")
        self.proc.stdout.close()
        self.proc.stderr.close()
        if self.proc.returncode != 0:
            _peer_failures.append("%s exited %d: %s" % (
                " ".join(self.argv), self.proc.returncode, self.stderr))
        return self.stderr

    def accepted(self):
        """Stop an accept peer and return how many connections it took."""
        self.stop()
        with open(self.count_file) as fp:
            return int(fp.read())

    def peers(self):
        """Stop an accept peer started with peers=True; return each
        client's address, in the order it connected."""
        self.stop()
        with open(self.peers_file) as fp:
            return fp.read().split()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


_peers = []
_peer_failures = []     # peers that exited nonzero (sanitizers, bugs)


def net(kind, *args, v6=False, host=None, port=None, peers=False):
    """Start `aptest-net KIND`: accept, refuse or hole.  With peers, an
    accept peer notes each client's address (.peers()).  The peer is
    stopped at the end of the run (or earlier with .stop())."""
    argv = [APTEST_NET, kind]
    if v6:
        need_v6()
        argv.append("--v6")
    if host is not None:
        argv += ["--host", host]
    if port is not None:
        argv += ["--port", str(port)]
    count_file = None
    if kind == "accept":
        fd, count_file = tempfile.mkstemp(prefix="count.", dir=tmpdir())
        os.close(fd)
        argv += ["--count-file", count_file]
    peers_file = None
    if peers:
        fd, peers_file = tempfile.mkstemp(prefix="peers.", dir=tmpdir())
        os.close(fd)
        argv += ["--peers-file", peers_file]
    argv += list(args)
    srv = Server(argv, count_file)
    srv.peers_file = peers_file
    _peers.append(srv)
    return srv


class DnsServer(Server):
    def queries(self, name=None, qtype=None):
        """The logged queries as (TYPE, name) pairs, filtered."""
        with open(self.log) as fp:
            pairs = [tuple(l.split(None, 1)) for l in fp.read().splitlines()
                     if l.strip()]
        return [(t, n) for t, n in pairs
                if (name is None or n == name.lower())
                and (qtype is None or t == qtype)]

    @property
    def resolver(self):
        return "127.0.0.1:%d" % self.port


def dns(table):
    """Start aptest-dns with the table (a string of lines)."""
    path = write_file("dns-table.%d" % len(_peers), table)
    log = path + ".log"
    open(log, "w").close()
    srv = DnsServer([APTEST_DNS, path, "--log", log])
    srv.log = log
    _peers.append(srv)
    return srv


PROMTOOL = shutil.which("promtool")
SERVING = re.compile(r"^asyncprobe: serving http://127\.0\.0\.1:(\d+)/$")


def promtool_check(body):
    """(exit status, what it said) of `promtool check metrics` on body
    (text or bytes)."""
    data = body.encode() if isinstance(body, str) else body
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=data,
                       capture_output=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).decode(errors="replace")


def serving_port(p, timeout=30):
    """The port a process started by start() with --serve 127.0.0.1:0
    says it serves on (its first line on stderr); anything else kills it
    and fails."""
    line = read_line(p.stderr, timeout).rstrip("\n")
    m = SERVING.match(line)
    if m is None:
        p.kill()
        _, err = p.communicate()
        raise AssertionError("no 'serving' line: %r %s"
                             % (line, err.decode(errors="replace")))
    return int(m.group(1))


# urllib honours http_proxy: an opener without one keeps us on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url, timeout=15, headers=None):
    """(status, headers, body text) of a GET, with the request headers
    given; 4xx and 5xx too.  No answer at all is an OSError naming the
    URL."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        try:
            resp = _OPENER.open(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            resp = e        # 4xx and 5xx: an answer, its body read below
        with resp:
            return resp.getcode(), resp.headers, resp.read().decode()
    except (OSError, http.client.HTTPException) as e:
        raise OSError("GET %s: no answer (%s: %s)"
                      % (url, type(e).__name__, e)) from None


def free_port(host="127.0.0.1"):
    """A loopback port nothing listens on now (connects to it are refused,
    until something else takes it)."""
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop_peers():
    """Stop every peer; return (and forget) the failures seen so far."""
    while _peers:
        _peers.pop().stop()
    failures = list(_peer_failures)
    del _peer_failures[:]
    return failures


def read_line(fp, timeout):
    """One line from a pipe with a deadline; b"" on timeout or EOF."""
    fd = fp.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            break
        chunk = os.read(fd, 1)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")


# --- capabilities -----------------------------------------------------------

_v6 = None


def have_v6():
    global _v6
    if _v6 is None:
        try:
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.bind(("::1", 0))
            s.close()
            _v6 = True
        except OSError:
            _v6 = False
    return _v6


def need_v6():
    if not have_v6():
        raise unittest.SkipTest("cannot bind ::1")


def have_netns():
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    try:
        r = subprocess.run(["unshare", "-rn", "true"], timeout=10,
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def need_netns():
    if not have_netns():
        raise unittest.SkipTest("unshare -rn is not available")


# --- running asyncprobe -----------------------------------------------------

class Run:
    """One finished asyncprobe run."""

    def __init__(self, argv, rc, out, err, elapsed, raw=b""):
        self.argv = argv
        self.raw = raw          # stdout as bytes
        self.rc = rc
        self.out = out
        self.err = err
        self.elapsed = elapsed
        self._records = None

    @property
    def records(self):
        """The -f json records (order kept); see json_lines()."""
        if self._records is None:
            self._records = json_lines(self.raw)
        return self._records

    @property
    def rows(self):
        """The -f csv rows as dicts."""
        return list(csv.DictReader(io.StringIO(self.out, newline="")))

    def by_target(self):
        """{target: record}; fails if a target appears twice."""
        out = {}
        for r in self.records:
            assert r["target"] not in out, "duplicate %r" % r["target"]
            out[r["target"]] = r
        return out

    def as_dict(self):
        """rc, out and err, as a Run crosses a network namespace's
        boundary (netns_inner())."""
        return {"rc": self.rc, "out": self.out, "err": self.err}

    def one(self):
        assert len(self.records) == 1, "want 1 record:\n" + self.describe()
        return self.records[0]

    def describe(self):
        return ("argv: %s\nrc: %s\nstdout:\n%s\nstderr:\n%s"
                % (" ".join(self.argv), self.rc, self.out, self.err))


def json_lines(raw):
    """Parse output (bytes, or text already decoded) as JSON Lines,
    insisting every line is whole: the output is empty or ends with a
    newline, and each line parses (a blank line does not).  Lines end at
    "\n" only: str.splitlines() would also cut at a U+2028 that a JSON
    string may hold raw."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    if text and not text.endswith("\n"):
        raise AssertionError("half a line at the end: %r" % text[-200:])
    return [json.loads(l) for l in text.split("\n")[:-1]]


def timestamp_seconds(stamp):
    """A record's timestamp (RFC 3339 UTC with ms) in seconds since the
    epoch."""
    base, ms = stamp.rstrip("Z").split(".")
    t = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return t + int(ms) / 1000.0


def span(rec):
    """(start, end) of a record in seconds since the epoch: the target
    was in flight from timestamp - elapsed_ms to timestamp."""
    end = timestamp_seconds(rec["timestamp"])
    return end - rec["elapsed_ms"] / 1000.0, end


def max_overlap(intervals):
    """(the most intervals open at one instant, that instant); an
    interval closes at its end before another opens at the same time,
    and an empty one never opens."""
    ev = []
    for a, b in intervals:
        if b > a:
            ev.append((a, 1))
            ev.append((b, -1))
    ev.sort(key=lambda e: (e[0], e[1]))
    cur = best = 0
    at = None
    for t, d in ev:
        cur += d
        if cur > best:
            best, at = cur, t
    return best, at


def probe_argv(args, resolver=True):
    argv = [ASYNCPROBE]
    if resolver and "--hosts-file" not in args:
        argv += ["--hosts-file", "none"]
    if resolver and "--resolver" not in args:
        argv += ["--resolver", DEAD_RESOLVER]
    return argv + [str(a) for a in args]


def run(args, stdin="", timeout=RUN_TIMEOUT, preexec_fn=None, env=None,
        resolver=True, prefix=None):
    """Run asyncprobe with args and stdin text (or bytes); never hangs
    longer than timeout.  prefix runs it under another command."""
    argv = probe_argv(args, resolver)
    if prefix:
        argv = list(prefix) + argv
    data = stdin.encode() if isinstance(stdin, str) else stdin
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, input=data, capture_output=True,
                           timeout=timeout, preexec_fn=preexec_fn, env=env)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("asyncprobe did not finish in %ss: %s\n%s"
                             % (timeout, " ".join(argv),
                                (e.stdout or b"").decode(errors="replace")))
    elapsed = time.monotonic() - t0
    return Run(argv, p.returncode, p.stdout.decode(errors="replace"),
               p.stderr.decode(errors="replace"), elapsed, p.stdout)


def start(args, stdin=None):
    """Start asyncprobe without waiting (streaming and signal tests).
    stdin text is written and closed; stdout and stderr are pipes."""
    argv = probe_argv(args)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    if stdin is not None:
        p.stdin.write(stdin.encode() if isinstance(stdin, str) else stdin)
        p.stdin.close()
        p.stdin = None  # so communicate() does not touch it
    return p


# --- assertions -------------------------------------------------------------

class TestCase(unittest.TestCase):
    maxDiff = None
    probe_args = []     # what probe() puts first, for every test of a class

    def probe(self, targets, *args, resolver=None, pins=(), fmt="json",
              **kw):
        """Run asyncprobe on targets: a list of lines, or text.  A line
        with no port gets self.port.  -f fmt unless args name a format;
        --resolver: resolver, else self.dns's (the fake server setUp
        started) if there is one; --resolve for each of pins; kw go to
        run().  Returns the Run."""
        lines = targets.splitlines() if isinstance(targets, str) else targets
        stdin = "".join((l if ":" in l else "%s:%d" % (l, self.port)) + "\n"
                        for l in lines)
        argv = list(self.probe_args)
        if fmt and not {"-f", "--format"} & set(args):
            argv += ["-f", fmt]
        if resolver is None and getattr(self, "dns", None) is not None:
            resolver = self.dns.resolver
        if resolver is not None:
            argv += ["--resolver", resolver]
        for p in pins:
            argv += ["--resolve", p]
        return run(argv + list(args), stdin, **kw)

    def assertUnresolved(self, r, errno):
        """One unresolved record with errno, exit status 2, no attempt
        past the resolve stage.  Returns the record."""
        self.assertEqual(r.rc, 2, r.describe())
        rec = r.one()
        self.assertRecord(rec, "unresolved", errno, None, addresses=0,
                          degraded=False, rtt_ms=None)
        self.assertEqual([a for a in rec["attempts"]
                          if a["stage"] != "resolve"], [], rec)
        return rec

    def tearDown(self):
        failures = stop_peers()
        self.assertEqual(failures, [], "a test peer failed")

    def assertRecordShape(self, rec):
        """Keys in SPEC order and value types, for any json record."""
        self.assertEqual(list(rec.keys()), JSON_KEYS, rec)
        self.assertIn(rec["status"], STATUSES)
        self.assertIsInstance(rec["target"], str)
        self.assertIsInstance(rec["addresses"], int)
        self.assertIsInstance(rec["degraded"], bool)
        self.assertRegex(rec["timestamp"], TIMESTAMP_RE)
        self.assertIsInstance(rec["elapsed_ms"], (int, float))
        self.assertIsInstance(rec["attempts"], list)
        for a in rec["attempts"]:
            self.assertEqual(list(a.keys()), ATTEMPT_KEYS, rec)
            self.assertIn(a["stage"], STAGES, rec)
        if rec["status"] == "connected":
            self.assertIsNone(rec["errno"], rec)
            self.assertIsNone(rec["error"], rec)
            self.assertIsInstance(rec["rtt_ms"], (int, float))
            self.assertGreaterEqual(rec["rtt_ms"], 0)
        elif rec["status"] != "invalid":
            self.assertIsInstance(rec["errno"], str, rec)
            self.assertTrue(rec["error"], rec)

    def assertRecord(self, rec, status, errno=None, ip=None, stage=None,
                     **fields):
        """The exact verdict: status, errno, ip, the final error's stage
        (from the attempt that carries it), and any other fields."""
        self.assertRecordShape(rec)
        got = {"status": rec["status"], "errno": rec["errno"],
               "ip": rec["ip"]}
        want = {"status": status, "errno": errno, "ip": ip}
        for k, v in fields.items():
            got[k] = rec[k]
            want[k] = v
        if stage is not None:
            final = [a for a in rec["attempts"]
                     if a["ip"] == rec["ip"] and a["errno"] == rec["errno"]]
            got["stage"] = final[0]["stage"] if final else None
            want["stage"] = stage
        self.assertEqual(got, want, json.dumps(rec))

    def assertOnceEach(self, records, lines):
        """Every line label ("FILE:N") appears in exactly one record."""
        got = sorted(r["line"] for r in records)
        self.assertEqual(len(got), len(set(got)), "duplicate records")
        self.assertEqual(sorted(got), sorted(lines))


# --- runner -----------------------------------------------------------------

class _Comments:
    """unittest's text for people (tracebacks, messages), every line a TAP
    comment: nothing a test prints can be read as a verdict."""

    def __init__(self, out):
        self.out = out
        self.bol = True

    def write(self, text):
        for piece in text.splitlines(True):
            if self.bol:
                self.out.write("# ")
            self.out.write(piece)
            self.bol = piece.endswith("\n")

    def end_line(self):
        if not self.bol:
            self.write("\n")

    def flush(self):
        self.out.flush()


class _TapResult(unittest.TextTestResult):
    """One TAP line per test (automake's TAP driver counts them): a test
    with three failing subtests is one failure, an error in setUpClass is
    one more, an expected failure is TODO (XFAIL) and its unexpected
    success TODO ok (XPASS, a failure to automake)."""

    comments = None

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.n = 0
        self.passed = 0
        self.failed = 0
        self.verdict = None

    def tap(self, ok, name, directive=""):
        self.comments.end_line()
        self.n += 1
        line = "%s %d - %s" % ("ok" if ok else "not ok", self.n, name)
        if directive:
            line += " # " + directive.replace("\n", " ")
        self.comments.out.write(line + "\n")
        self.comments.out.flush()

    def startTest(self, test):
        super().startTest(test)
        self.verdict = ("pass", "")

    def stopTest(self, test):
        super().stopTest(test)
        kind, why = self.verdict
        name = test.id().split(".", 1)[-1]
        if kind == "pass":
            self.passed += 1
            self.tap(True, name)
        elif kind == "fail":
            self.failed += 1
            self.tap(False, name)
        elif kind == "skip":
            self.tap(True, name, "SKIP " + why)
        elif kind == "xfail":
            self.tap(False, name, "TODO " + why)
        else:  # xpass
            self.failed += 1
            self.tap(True, name, "TODO " + why)

    def _bad(self, test):
        if isinstance(test, unittest.TestCase):
            self.verdict = ("fail", "")
        else:
            # setUpClass, setUpModule and the like: no test is running.
            self.failed += 1
            self.tap(False, str(test))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._bad(test)

    def addError(self, test, err):
        super().addError(test, err)
        self._bad(test)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.verdict = ("fail", "")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        if isinstance(test, unittest.TestCase):
            self.verdict = ("skip", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        fn = getattr(test, test._testMethodName, None)
        self.verdict = ("xfail", getattr(fn, "known_bug", "expected failure"))

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        fn = getattr(test, test._testMethodName, None)
        self.verdict = ("xpass", "fixed? " +
                        getattr(fn, "known_bug", "expected failure"))


def main():
    """Run the calling module's tests as TAP: a line per test, the plan,
    then `N passed, M failed`.  The exit status is 1 when a test failed,
    except under "make check" (CK_TAP_LOG_FILE_NAME=-, which the Check
    suites read too): the TAP driver counts the failures there, and a
    non-zero exit would count once more."""
    module = sys.modules["__main__"]
    loader = unittest.defaultTestLoader
    if len(sys.argv) > 1:
        suite = loader.loadTestsFromNames(sys.argv[1:], module)
    else:
        suite = loader.loadTestsFromModule(module)
    # What the tests print goes out as comments too.
    tap = sys.stdout
    comments = _Comments(tap)
    _TapResult.comments = comments
    sys.stdout = comments
    try:
        result = unittest.TextTestRunner(stream=comments, verbosity=0,
                                         resultclass=_TapResult).run(suite)
    finally:
        stop_peers()
        if _tmpdir is not None:
            shutil.rmtree(_tmpdir, ignore_errors=True)
        comments.end_line()
        sys.stdout = tap
    print("1..%d" % result.n)
    print("%d passed, %d failed" % (result.passed, result.failed))
    sys.stdout.flush()
    if result.failed and os.environ.get("CK_TAP_LOG_FILE_NAME") != "-":
        sys.exit(1)
    sys.exit(0)


# --- the documentation's recipes (test_recipes, test_prometheus) -----------

def readme_blocks():
    """The ``` blocks of README.md: [(language, text)]."""
    out, lang, lines = [], None, []
    with open(os.path.join(TOP, "README.md")) as fp:
        for line in fp:
            if line.startswith("```"):
                if lang is None:
                    lang = line[3:].strip()
                    lines = []
                else:
                    out.append((lang, "".join(lines)))
                    lang = None
                continue
            if lang is not None:
                lines.append(line)
    return out


def run_recipe(command):
    """Run a command line of README's or the man page's through sh, as
    cron does, "asyncprobe" or "/usr/local/bin/asyncprobe" (where make
    install puts it) where sh would run it (first, or after |, ; or &)
    being the binary under test with probe_argv()'s options.  The caller
    has replaced the recipe's paths.  Returns the
    subprocess.CompletedProcess (text)."""
    binary = " ".join(shlex.quote(a) for a in probe_argv([]))
    command = re.sub(r"(^|[|;&]\s*)(?:/usr/local/bin/)?asyncprobe\b",
                     lambda m: m.group(1) + binary, command)
    return subprocess.run(["sh", "-c", command], capture_output=True,
                          timeout=60, text=True)


# --- robustness helpers (test_robust, test_hostile_input, test_valgrind) ----

def known_bug(reason):
    """Mark a test that fails because of a reported binary bug: an
    expected failure (so it turns into a failure once the bug is fixed and
    the mark is forgotten), or a plain test with APTEST_STRICT=1."""
    def mark(fn):
        if os.environ.get("APTEST_STRICT"):
            return fn
        fn = unittest.expectedFailure(fn)
        fn.known_bug = reason
        return fn
    return mark


def proc_status_kb(pid, key):
    """A kB field of /proc/PID/status (VmHWM, VmRSS); None if gone.
    VmHWM belongs to the exec'd image, unlike ru_maxrss, which Linux
    carries over from the forking Python parent."""
    try:
        with open("/proc/%d/status" % pid) as fp:
            for l in fp:
                if l.startswith(key + ":"):
                    return int(l.split()[1])
    except OSError:
        return None
    return None


def fd_table(pid):
    """{fd: (link target, fdinfo flags as int)} of a live process."""
    out = {}
    base = "/proc/%d/fd" % pid
    for name in os.listdir(base):
        try:
            link = os.readlink(os.path.join(base, name))
            with open("/proc/%d/fdinfo/%s" % (pid, name)) as fp:
                info = fp.read()
        except OSError:
            continue        # closed while we looked
        m = re.search(r"^flags:\s+([0-7]+)", info, re.M)
        out[int(name)] = (link, int(m.group(1), 8) if m else 0)
    return out


def netns_run(argv, stdin=b"", setup="", timeout=120, env=None):
    """Run argv in a new network namespace of its own (unshare -rn: only
    lo, which comes up first), after the shell commands setup (ip rule,
    ip route: they change that namespace only).  Returns the
    subprocess.CompletedProcess (bytes).  Skips when there is no netns."""
    need_netns()
    script = "set -e\nip link set lo up\n%s\nexec \"$@\"\n" % setup
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(["unshare", "-rn", "sh", "-c", script, "sh"]
                          + [str(a) for a in argv], input=data, env=env,
                          capture_output=True, timeout=timeout)


def in_netns(script, *args, timeout=120):
    """Run `python3 SCRIPT --netns-inner ARGS...` in a new network
    namespace (netns_run); the script calls netns_inner().  Returns the
    JSON value the inner function printed last.  Skips when no netns."""
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
    env["APTEST_TMPDIR"] = tmpdir()
    p = netns_run([sys.executable, script, "--netns-inner"] + list(args),
                  env=env, timeout=timeout)
    out = p.stdout.decode(errors="replace")
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        raise AssertionError("netns helper failed (%d):\n%s\n%s"
                             % (p.returncode, out[-3000:],
                                p.stderr.decode(errors="replace")[-3000:]))
    res = json.loads(lines[-1])
    if res.get("skip"):
        raise unittest.SkipTest(res["skip"])
    return res


def netns_inner(functions):
    """In the child of in_netns() (lo is up): run functions[argv[2]]
    with the remaining arguments, print its result as one JSON line (a
    Run in it as Run.as_dict()) and exit.  Returns (doing nothing) when
    this is not such a child."""
    if len(sys.argv) < 3 or sys.argv[1] != "--netns-inner":
        return
    global _tmpdir
    _tmpdir = os.environ.get("APTEST_TMPDIR") or None
    try:
        res = functions[sys.argv[2]](*sys.argv[3:])
    finally:
        stop_peers()
    print(json.dumps(res, default=_as_json))
    sys.stdout.flush()
    sys.exit(0)


def _as_json(value):
    if isinstance(value, Run):
        return value.as_dict()
    raise TypeError("%r is not JSON serializable" % (value,))


# --- recording peer (test_ops) ----------------------------------------------

class Recorder(Server):
    """An `aptest-net record` peer: what clients send is appended to a
    file, each client's bytes when it hangs up, goes idle or the peer
    stops."""

    def recorded(self):
        """Stop the peer; return (bytes received, connections taken)."""
        self.stop()
        with open(self.record_file, "rb") as fp:
            data = fp.read()
        with open(self.count_file) as fp:
            return data, int(fp.read())


def recorder(host=None, port=None, greet=None, idle_ms=None, close=False):
    """Start `aptest-net record`.  greet (C escapes, decoded by the peer)
    is sent to each client first; close hangs up right after it; idle_ms
    ends a quiet client (default 500 ms)."""
    argv = [APTEST_NET, "record"]
    if host is not None:
        argv += ["--host", host]
    if port is not None:
        argv += ["--port", str(port)]
    fd, record_file = tempfile.mkstemp(prefix="record.", dir=tmpdir())
    os.close(fd)
    fd, count_file = tempfile.mkstemp(prefix="count.", dir=tmpdir())
    os.close(fd)
    argv += ["--record-file", record_file, "--count-file", count_file]
    if greet is not None:
        argv += ["--greet", greet]
    if idle_ms is not None:
        argv += ["--idle", str(idle_ms)]
    if close:
        argv.append("--close")
    srv = Recorder(argv, count_file)
    srv.record_file = record_file
    _peers.append(srv)
    return srv


def sanitized():
    """Whether the binary is the ASan/UBSan build: its memory figures are
    the sanitizer's (freed blocks wait in a quarantine), its leaks are
    found by LeakSanitizer at exit."""
    return bool(os.environ.get("APTEST_SANITIZED", "").strip())


def valgrind_usable():
    """Whether the binary can run under valgrind: it is installed, and the
    build is not the sanitizer one (ASan and valgrind exclude each other;
    that build is checked by its sanitizers instead)."""
    if sanitized():
        return False
    return shutil.which("valgrind") is not None
