# SPDX-License-Identifier: ISC
"""Monitor mode's --serve read by a real Prometheus (issue 14): Debian's
prometheus, started here on 127.0.0.1 with a generated configuration and
a temporary storage directory, scrapes asyncprobe's /metrics as one target
and its /probe as blackbox_exporter's README configures a blackbox job
(params module, the three relabelings): the two jobs of README.md's
"Running as a monitor", only the addresses swapped for ours.  The test asks
Prometheus's HTTP API what it stored and asserts the series exactly;
promtool checks the bodies themselves.  That section's command lines run
too, for one round each (MonitorRecipes).

Two monitors run: one answering /probe for its listed targets only, one
with --serve-any.  Their targets are loopback peers: an accept listener
(connected), a free port (refused) and a full accept queue (timeout);
--hosts-file none and a dead loopback resolver, numeric targets only.
Prometheus is given no remote anything, so nothing leaves 127.0.0.1."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse

import aptest

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = aptest.PROMTOOL
POLL_S = 60             # bound of every wait for Prometheus (ASan is slow)
# Sanitizer and glibc complaints a monitor's stderr must never hold.
BAD_STDERR = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
              "double free", "corrupted")

def poll(fn, what, timeout=POLL_S, interval=0.25):
    """Call fn until it returns something true; that value.  Fails
    naming what and fn's last value once timeout has passed."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError("%s: not within %d s; last: %r"
                                 % (what, timeout, last))
        time.sleep(interval)


def peer(kind):
    """An aptest-net peer owned by the class, not by one test (aptest's
    tearDown stops the peers aptest.net() registers)."""
    argv = [aptest.APTEST_NET, kind]
    count_file = None
    if kind == "accept":
        fd, count_file = tempfile.mkstemp(prefix="count.",
                                          dir=aptest.tmpdir())
        os.close(fd)
        argv += ["--count-file", count_file]
    return aptest.Server(argv, count_file)


class Monitor:
    """`asyncprobe --interval ... --serve 127.0.0.1:0` on a list; the
    port it says it serves on."""

    def __init__(self, args):
        self.p = aptest.start(list(args))
        self.port = aptest.serving_port(self.p)
        self.addr = "127.0.0.1:%d" % self.port
        self.url = "http://" + self.addr

    def stop(self):
        """SIGTERM; (exit status, stderr)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            _, err = self.p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            _, err = self.p.communicate()
        return self.p.returncode, err.decode(errors="replace")


class Prometheus:
    """A prometheus server of our own on 127.0.0.1: its configuration,
    storage and log in a temporary directory removed by stop()."""

    def __init__(self, config):
        self.dir = tempfile.mkdtemp(prefix="prometheus.")
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as fp:
            fp.write(config)
        check = subprocess.run([PROMTOOL, "check", "config", self.config],
                               capture_output=True, text=True, timeout=60)
        if check.returncode != 0:
            self.stop()
            raise AssertionError("promtool check config: %s%s\n%s"
                                 % (check.stdout, check.stderr, config))
        self.p = None
        for _ in range(3):      # the free port may be taken meanwhile
            if self._start():
                return
        log = self.log_text()
        self.stop()
        raise AssertionError("prometheus did not start:\n" + log[-3000:])

    def _start(self):
        # Free now; if it is taken meanwhile, the start is retried.
        self.port = aptest.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = os.path.join(self.dir, "prometheus.log")
        with open(self.log, "w") as log:
            self.p = subprocess.Popen(
                [PROMETHEUS, "--config.file=" + self.config,
                 "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                 "--storage.tsdb.retention.time=1h",
                 "--web.listen-address=127.0.0.1:%d" % self.port,
                 "--log.level=info"],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.dir)

        def ready():
            if self.p.poll() is not None:
                return "exited"
            try:
                status, _, _ = aptest.http_get(self.url + "/-/ready",
                                               timeout=5)
            except OSError:
                return None
            return "ready" if status == 200 else None

        if poll(ready, "prometheus /-/ready") == "ready":
            return True
        self.p.wait()
        return False

    def log_text(self):
        try:
            with open(self.log, errors="replace") as fp:
                return fp.read()
        except (OSError, AttributeError):
            return ""

    def api(self, path, **params):
        url = "%s/api/v1/%s?%s" % (self.url, path,
                                   urllib.parse.urlencode(params))
        status, _, body = aptest.http_get(url)
        doc = json.loads(body)
        if status != 200 or doc.get("status") != "success":
            raise AssertionError("%s: %d %s" % (url, status, body))
        return doc["data"]

    def query(self, expr):
        """An instant query: [(labels without __name__, value)...]."""
        data = self.api("query", query=expr)
        if data["resultType"] == "matrix":
            return [({k: v for k, v in r["metric"].items()
                      if k != "__name__"},
                     [float(v) for _, v in r["values"]])
                    for r in data["result"]]
        return [({k: v for k, v in r["metric"].items() if k != "__name__"},
                 float(r["value"][1])) for r in data["result"]]

    def targets(self, job):
        return [t for t in self.api("targets", state="active")
                ["activeTargets"] if t["labels"].get("job") == job]

    def stop(self):
        if getattr(self, "p", None) is not None and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def blackbox_job(name, monitor, targets, interval="2s"):
    """A scrape job as blackbox_exporter's README writes it, pointed at
    asyncprobe's /probe."""
    return """
  - job_name: %s
    scrape_interval: %s
    scrape_timeout: %s
    metrics_path: /probe
    params:
      module: [tcp_connect]
    static_configs:
      - targets: [%s]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: %s
""" % (name, interval, interval,
       ", ".join("'%s'" % t for t in targets), monitor.addr)


def readme_scrape_config(monitor, probe_targets):
    """README's prometheus.yml scrape jobs, pointed at monitor, the
    /probe job's targets replaced by ours (so nothing reaches the
    example hosts)."""
    (text,) = [t for lang, t in aptest.readme_blocks()
               if lang == "yaml" and "job_name: asyncprobe" in t]
    text = text.replace("127.0.0.1:9115", monitor.addr)
    jobs = text.split("  - job_name: ")
    for i, job in enumerate(jobs):
        if "metrics_path: /probe" in job:
            ours = ", ".join("'%s'" % t for t in probe_targets)
            jobs[i] = re.sub(r"targets: \[[^\]]*\]", "targets: [%s]" % ours,
                             job)
    text = "  - job_name: ".join(jobs)
    assert "example" not in text, text
    return text


def readme_monitor_commands():
    """README's command lines that run asyncprobe as a monitor."""
    return [l for lang, t in aptest.readme_blocks() if lang == "sh"
            for l in t.splitlines()
            if l.startswith("asyncprobe --interval")]


class RealPrometheus(aptest.TestCase):
    skip_reason = None

    @classmethod
    def setUpClass(cls):
        missing = [n for n, p in (("prometheus", PROMETHEUS),
                                  ("promtool", PROMTOOL)) if p is None]
        if missing:
            cls.skip_reason = ("%s not installed (apt-get install "
                               "prometheus)" % " and ".join(missing))
            return
        cls.peers = []
        cls.monitors = []
        cls.prom = None
        try:
            cls._start()
        except BaseException:
            cls._stop()
            raise

    @classmethod
    def _start(cls):
        cls.t0 = time.time()
        cls.acc = peer("accept")            # listed: connected
        cls.hole = peer("hole")             # listed: timeout
        cls.other = peer("accept")          # not listed: 403 from A
        cls.any_open = peer("accept")       # not listed: B, --serve-any
        # Bound, never listening: refused, and the port stays ours.
        refused = peer("refuse")            # listed: refused
        any_refused = peer("refuse")        # not listed: B, --serve-any
        cls.peers += [cls.acc, cls.hole, cls.other, cls.any_open, refused,
                      any_refused]
        cls.ref = refused.port
        cls.any_ref = any_refused.port
        t = lambda port: "127.0.0.1:%d" % port
        cls.listed = {t(cls.acc.port): 1, t(cls.ref): 0,
                      t(cls.hole.port): 0}
        lst = aptest.write_file("prom-list.txt", "".join(
            x + "\n" for x in cls.listed))
        common = ["-f", "prom", "-q", "--interval", "500ms", "-t", "300ms",
                  "--serve", "127.0.0.1:0", "--label", "job_label=x"]
        cls.a = Monitor(common + [lst])
        cls.monitors.append(cls.a)
        cls.b = Monitor(common + ["--serve-any", lst])
        cls.monitors.append(cls.b)
        cls.unlisted = t(cls.other.port)
        cls.any_targets = {t(cls.any_open.port): 1, t(cls.any_ref): 0}
        # README's two jobs, and a blackbox one for the --serve-any run.
        config = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
"""
        config += readme_scrape_config(cls.a, list(cls.listed) +
                                       [cls.unlisted])
        config += blackbox_job("blackbox_any", cls.b, list(cls.any_targets))
        cls.prom = Prometheus(config)

    @classmethod
    def _stop(cls):
        if cls.prom is not None:
            cls.prom.stop()
        problems = []
        for m in cls.monitors:
            rc, err = m.stop()
            if rc != 143 or any(w in err for w in BAD_STDERR):
                problems.append("monitor %s: exit %s\n%s"
                                % (m.addr, rc, err[-3000:]))
        for p in cls.peers:
            p.stop()
            if p.proc.returncode != 0:
                problems.append("%s exited %d: %s" % (
                    " ".join(p.argv), p.proc.returncode, p.stderr))
        return problems

    @classmethod
    def tearDownClass(cls):
        if cls.skip_reason is not None:
            return
        problems = cls._stop()
        if problems:
            raise AssertionError("\n".join(problems))

    def setUp(self):
        if self.skip_reason is not None:
            self.skipTest(self.skip_reason)

    def scrape(self, job, names, ready):
        """The series of those metric names that one instant query finds
        for job, as {name: [(labels, value)...]}, once ready(that) holds.
        One query is one instant: every series comes from the same last
        scrape (a failed scrape leaves only up = 0, the others stale)."""
        expr = '{job="%s",__name__=~"%s"}' % (job, "|".join(names))

        def once():
            got = {n: [] for n in names}
            for r in self.prom.api("query", query=expr)["result"]:
                lab = dict(r["metric"])
                got[lab.pop("__name__")].append((lab, float(r["value"][1])))
            for n in got:
                got[n].sort(key=lambda x: sorted(x[0].items()))
            return got if ready(got) else None
        return poll(once, "%s ready" % expr)

    def up(self, n):
        """A ready() for scrape(): the last scrape of n targets all up."""
        return lambda got: len(got["up"]) == n and \
            all(v == 1 for _, v in got["up"])

    def targets_of(self, job, ready):
        """{instance: active target} of job once ready(that) holds."""
        def once():
            ts = {t["labels"]["instance"]: t
                  for t in self.prom.targets(job)}
            return ts if ready(ts) else None
        return poll(once, "targets of %s ready" % job)

    @staticmethod
    def sorted_series(pairs):
        return sorted(pairs, key=lambda x: sorted(x[0].items()))

    # ---- /metrics: the last round, as Prometheus stored it -------------

    def test_metrics_job_stores_every_targets_verdict(self):
        got = self.scrape("asyncprobe", ["up", "probe_success",
                                         "probe_ip_protocol",
                                         "asyncprobe_targets"], self.up(1))
        inst = {"job": "asyncprobe", "instance": self.a.addr}
        self.assertEqual(got["up"], [(inst, 1.0)])
        series = lambda target: dict(
            target=target, host="127.0.0.1", port=target.rsplit(":", 1)[1],
            job_label="x", **inst)
        self.assertEqual(got["probe_success"], self.sorted_series(
            (series(t), float(ok)) for t, ok in self.listed.items()))
        self.assertEqual(got["probe_ip_protocol"], self.sorted_series(
            (series(t), 4.0) for t in self.listed))
        per_status = {lab["status"]: v for lab, v in
                      got["asyncprobe_targets"]}
        self.assertEqual(sorted(per_status), sorted(aptest.STATUSES))
        self.assertEqual({s: v for s, v in per_status.items() if v},
                         {"connected": 1.0, "refused": 1.0,
                          "timeout": 1.0}, per_status)
        for lab, _ in got["asyncprobe_targets"]:
            self.assertEqual(lab, dict(status=lab["status"],
                                       job_label="x", **inst))

    def test_round_number_increases(self):
        labels = {"job_label": "x", "job": "asyncprobe",
                  "instance": self.a.addr}

        def rising():
            r = self.prom.query('asyncprobe_round_number{job="asyncprobe"}'
                                '[5m]')
            if len(r) == 1 and len(r[0][1]) >= 3 and \
                    r[0][1][-1] > r[0][1][0]:
                return r
            return None
        ((lab, values),) = poll(rising, "three rounds stored, rising")
        self.assertEqual(lab, labels)
        self.assertGreaterEqual(values[0], 1)
        self.assertTrue(all(v == int(v) for v in values), values)
        # Never back: every scrape saw the same round or a later one.
        self.assertEqual(values, sorted(values))
        names = ["up", "asyncprobe_round_number",
                 "asyncprobe_round_duration_seconds",
                 "asyncprobe_last_round_timestamp_seconds"]
        got = self.scrape("asyncprobe", names, self.up(1))
        for name in names[1:]:
            with self.subTest(name=name):
                self.assertEqual([lab for lab, _ in got[name]], [labels])
        ((_, dur),) = got["asyncprobe_round_duration_seconds"]
        # A round ends after its hole's 300 ms deadline, never before.
        self.assertGreaterEqual(dur, 0.299)
        ((_, ts),) = got["asyncprobe_last_round_timestamp_seconds"]
        # Rounds ended after the monitors started and before we asked.
        self.assertGreaterEqual(ts, self.t0 - 0.001)
        self.assertLessEqual(ts, time.time() + 0.001)
        ((_, rnd),) = got["asyncprobe_round_number"]
        self.assertGreaterEqual(rnd, values[-1])

    # ---- /probe: blackbox_exporter's scrape configuration --------------

    def probe_job(self, job, monitor, targets):
        """probe_success and probe_ip_protocol of each target, stored
        from one round of /probe scrapes with every target up."""
        def all_up(got):
            return sorted(l["instance"] for l, v in got["up"]
                          if v == 1) == sorted(targets)
        got = self.scrape(job, ["up", "probe_success", "probe_ip_protocol"],
                          all_up)
        inst = lambda t: {"job": job, "instance": t}
        self.assertEqual(got["probe_success"], self.sorted_series(
            (inst(t), float(ok)) for t, ok in targets.items()))
        self.assertEqual(got["probe_ip_protocol"], self.sorted_series(
            (inst(t), 4.0) for t in targets))
        ts = self.targets_of(job, lambda ts: all(
            ts.get(t, {}).get("health") == "up" for t in targets))
        for t in targets:
            self.assertEqual(ts[t]["scrapeUrl"], "%s/probe?module="
                             "tcp_connect&target=%s" % (
                                 monitor.url, urllib.parse.quote(t)))

    def test_probe_job_listed_targets(self):
        self.probe_job("asyncprobe_probe", self.a, self.listed)

    def test_probe_job_serve_any_probes_unlisted_targets(self):
        self.probe_job("blackbox_any", self.b, self.any_targets)

    def test_probe_job_unlisted_target_is_forbidden(self):
        # Prometheus's own record of the scrape: down, for the 403.
        ts = self.targets_of("asyncprobe_probe", lambda ts: "403" in ts.get(
            self.unlisted, {}).get("lastError", ""))
        self.assertEqual(ts[self.unlisted]["health"], "down")
        self.assertIn("server returned HTTP status 403",
                      ts[self.unlisted]["lastError"])
        got = self.scrape("asyncprobe_probe", ["up", "probe_success"],
                          lambda got: any(l["instance"] == self.unlisted
                                          for l, _ in got["up"]))
        self.assertIn(({"job": "asyncprobe_probe",
                        "instance": self.unlisted}, 0.0),
                      got["up"])
        self.assertEqual([l for l, _ in got["probe_success"]
                          if l["instance"] == self.unlisted], [])
        # Nothing was ever probed there: /probe is no open port scanner.
        self.assertEqual(self.other.accepted(), 0)

    # ---- the bodies themselves --------------------------------------

    def test_promtool_accepts_metrics_and_probe_bodies(self):
        def metrics():
            status, headers, body = aptest.http_get(self.a.url + "/metrics")
            return (status, headers, body) if status == 200 else None
        status, headers, body = poll(metrics, "/metrics 200")
        self.assertEqual(headers["Content-Type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        self.assertEqual(aptest.promtool_check(body), (0, ""), body)
        self.assertRegex(body, r"(?m)^asyncprobe_round_number"
                         r"\{job_label=\"x\"\} [1-9]\d*$")
        acc = "127.0.0.1:%d" % self.acc.port
        ref = "127.0.0.1:%d" % self.ref
        for target, ok in ((acc, 1), (ref, 0)):
            with self.subTest(target=target):
                status, headers, body = aptest.http_get(
                    "%s/probe?target=%s&module=tcp_connect"
                    % (self.a.url, target))
                self.assertEqual(status, 200, body)
                self.assertEqual(headers["Content-Type"],
                                 "text/plain; version=0.0.4; "
                                 "charset=utf-8")
                self.assertEqual(aptest.promtool_check(body), (0, ""), body)
                self.assertIn("\nprobe_success %d\n" % ok, "\n" + body)
                self.assertIn("\nprobe_ip_protocol 4\n", "\n" + body)
        status, _, body = aptest.http_get("%s/probe?target=%s"
                                   % (self.a.url, self.unlisted))
        self.assertEqual(status, 403, body)
        status, _, body = aptest.http_get("%s/probe?target=127.0.0.1:%d"
                                   % (self.b.url, self.any_open.port))
        self.assertEqual(status, 200, body)
        self.assertEqual(aptest.promtool_check(body), (0, ""), body)
        self.assertIn("\nprobe_success 1\n", "\n" + body)


class MonitorRecipes(aptest.TestCase):
    """README's monitor command lines, run as printed but for one round
    (--count 1), the paths, and "asyncprobe", the binary under test."""

    def sh(self, command, subst):
        for old, new in subst.items():
            self.assertIn(old, command)
            command = command.replace(old, new)
        self.assertNotIn("/etc/", command)
        self.assertNotIn("/var/", command)
        return aptest.run_recipe(command)

    def command(self, words):
        (command,) = [c for c in readme_monitor_commands() if words in c]
        # --count goes before the operands: the list is the last word
        # before any redirection.
        head, sep, tail = command.partition(" /etc/")
        return head + " --count 1" + sep + tail

    def test_changes_log_recipe(self):
        acc = aptest.net("accept")
        ref = aptest.net("refuse").port
        lst = aptest.write_file("changes.txt", "127.0.0.1:%d\n127.0.0.1:%d\n"
                                % (acc.port, ref))
        log = os.path.join(aptest.tmpdir(), "changes.jsonl")
        r = self.sh(self.command("--changes"),
                    {"/etc/asyncprobe/targets.txt": lst,
                     "/var/log/asyncprobe.jsonl": log})
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", ""))
        with open(log, "rb") as fp:
            records = aptest.json_lines(fp.read())
        self.assertEqual(sorted((x["round"], x["port"], x["status"])
                                for x in records),
                         sorted([(1, acc.port, "connected"),
                                 (1, ref, "refused")]))

    def test_textfile_recipe(self):
        acc = aptest.net("accept")
        lst = aptest.write_file("web.txt", "127.0.0.1:%d\n" % acc.port)
        textdir = os.path.join(aptest.tmpdir(), "textfile")
        os.makedirs(textdir, exist_ok=True)
        r = self.sh(self.command("-f prom"),
                    {"/etc/asyncprobe/web.txt": lst,
                     "/var/lib/prometheus/node-exporter": textdir})
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(os.listdir(textdir), ["asyncprobe-web.prom"])
        with open(os.path.join(textdir, "asyncprobe-web.prom")) as fp:
            text = fp.read()
        self.assertIn('probe_success{target="127.0.0.1:%d",host="127.0.0.1",'
                      'port="%d",list="web"} 1\n' % (acc.port, acc.port),
                      text)
        self.assertIn('asyncprobe_round_number{list="web"} 1\n', text)
        if PROMTOOL is not None:
            self.assertEqual(aptest.promtool_check(text), (0, ""), text)


if __name__ == "__main__":
    aptest.main()
