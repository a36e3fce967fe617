# SPDX-License-Identifier: ISC
"""examples/asyncprobe.service, the systemd unit README's "Running as a
monitor" points to: systemd-analyze verify finds nothing to say about it
(a temporary copy whose ExecStart names the binary under test, with the
man page of Documentation= on MANPATH), its hardening scores OK in
systemd-analyze security, and its ExecStart, ExecReload and
SuccessExitStatus fit what the binary does: the command line parses and
runs as a monitor serving /metrics, SIGHUP leaves it running, SIGTERM
ends it with a status the unit counts as success.  Only the list and the
serve port are swapped for loopback ones."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import time

import aptest

UNIT = os.path.join(aptest.TOP, "examples", "asyncprobe.service")
MAN = os.path.join(aptest.TOP, "man", "asyncprobe.1")
ANALYZE = shutil.which("systemd-analyze")


def unit_settings():
    """[(section, key, value)] of the unit, in order (no continuation
    lines in it)."""
    out, section = [], None
    with open(UNIT) as fp:
        for line in fp:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            out.append((section, key, value))
    return out


def setting(key):
    (value,) = [v for s, k, v in unit_settings()
                if s == "Service" and k == key]
    return value


class Unit(aptest.TestCase):
    def analyze(self, *args, unit=None):
        """systemd-analyze on a copy of the unit (ExecStart pointing at
        the binary under test) in a directory of its own."""
        if ANALYZE is None:
            self.skipTest("systemd-analyze is not installed "
                          "(apt-get install systemd)")
        d = os.path.join(aptest.tmpdir(), "unit")
        man1 = os.path.join(d, "man", "man1")
        os.makedirs(man1, exist_ok=True)
        shutil.copy(MAN, man1)
        if unit is None:
            with open(UNIT) as fp:
                unit = fp.read()
            unit = unit.replace("ExecStart=/usr/bin/asyncprobe ",
                                "ExecStart=%s " % os.path.abspath(
                                    aptest.ASYNCPROBE))
        path = os.path.join(d, "asyncprobe.service")
        with open(path, "w") as fp:
            fp.write(unit)
        env = dict(os.environ, MANPATH=os.path.join(d, "man"),
                   SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="")
        return subprocess.run([ANALYZE] + list(args) + [path], env=env,
                              capture_output=True, text=True, timeout=120,
                              cwd=d)

    def need_analyze(self):
        """Skip when systemd-analyze cannot verify even a trivial unit
        here (no systemd in the container, say)."""
        r = self.analyze("verify", unit="[Unit]\nDescription=t\n"
                         "[Service]\nExecStart=/bin/sh -c true\n")
        if r.returncode != 0:
            self.skipTest("systemd-analyze verify cannot run here: %s"
                          % (r.stderr.strip() or r.stdout.strip()))

    def test_verify_is_silent(self):
        self.need_analyze()
        r = self.analyze("verify")
        # Unknown keys and bad values are warnings on stderr, exit 0.
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

    def test_hardening_scores_ok(self):
        self.need_analyze()
        r = self.analyze("security", "--offline=yes", "--no-pager")
        if r.returncode != 0 and "--offline" in r.stderr:
            self.skipTest("systemd-analyze security has no --offline: "
                          + r.stderr.strip())
        m = re.search(r"Overall exposure level for asyncprobe\.service: "
                      r"(\d+\.\d+) (\w+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        self.assertIn(m.group(2), ("SAFE", "OK"), r.stdout)

    def test_settings_a_monitor_needs(self):
        argv = shlex.split(setting("ExecStart"))
        self.assertEqual(argv[0], "/usr/bin/asyncprobe")
        self.assertEqual(argv[-1], "/etc/asyncprobe/targets.txt")
        self.assertIn("--interval", argv)
        # Bound to loopback, as README's security note says.
        self.assertEqual(argv[argv.index("--serve") + 1], "127.0.0.1:9115")
        self.assertNotIn("--serve-any", argv)
        self.assertEqual(setting("ExecReload"), "/bin/kill -HUP $MAINPID")
        self.assertEqual(setting("Restart"), "on-failure")
        self.assertEqual(setting("DynamicUser"), "yes")
        self.assertEqual(setting("CapabilityBoundingSet"), "")
        self.assertEqual(setting("RestrictAddressFamilies").split(),
                         ["AF_INET", "AF_INET6", "AF_UNIX"])
        self.assertNotIn("PrivateNetwork", [k for _, k, _ in
                                            unit_settings()])

    def test_readme_shows_the_units_command(self):
        argv = shlex.split(setting("ExecStart"))
        with open(os.path.join(aptest.TOP, "README.md")) as fp:
            readme = fp.read().splitlines()
        self.assertIn(" ".join(["asyncprobe"] + argv[1:]), readme)
        self.assertIn("`examples/asyncprobe.service`", "\n".join(readme))

    def execstart(self, lst, *extra):
        """The unit's ExecStart with our binary, list and a free port."""
        argv = shlex.split(setting("ExecStart"))
        i = argv.index("--serve")
        argv[i + 1] = "127.0.0.1:0"
        argv[-1] = lst
        return argv[1:-1] + list(extra) + [lst]

    def test_execstart_one_round(self):
        acc = aptest.net("accept")
        ref = aptest.net("refuse")
        up = aptest.write_file("up.txt", "127.0.0.1:%d\n" % acc.port)
        r = aptest.run(self.execstart(up, "--count", "1"))
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(r.out, "")             # -q
        self.assertRegex(r.err, r"^asyncprobe: serving "
                         r"http://127\.0\.0\.1:\d+/\n$")
        down = aptest.write_file("down.txt", "127.0.0.1:%d\n127.0.0.1:%d\n"
                                 % (acc.port, ref.port))
        r = aptest.run(self.execstart(down, "--count", "1"))
        self.assertEqual(r.rc, 1, r.describe())
        self.assertEqual(acc.accepted(), 2)

    def test_execstart_serves_reloads_and_stops_cleanly(self):
        acc = aptest.net("accept")
        lst = aptest.write_file("mon.txt", "127.0.0.1:%d\n" % acc.port)
        p = aptest.start(self.execstart(lst))
        try:
            url = "http://127.0.0.1:%d/metrics" % aptest.serving_port(p)
            want = ('probe_success{target="127.0.0.1:%d",host="127.0.0.1",'
                    'port="%d"} 1\n' % (acc.port, acc.port))
            self.assertIn(want, self.metrics(url))
            # ExecReload, as systemd runs it.
            reload = setting("ExecReload").replace("$MAINPID", str(p.pid))
            subprocess.run(shlex.split(reload), check=True, timeout=10)
            self.assertIn(want, self.metrics(url))
            self.assertIsNone(p.poll())
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                _, err = p.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
        self.assertIn(str(p.returncode), setting("SuccessExitStatus").split(),
                      err.decode(errors="replace"))

    def metrics(self, url, timeout=30):
        """/metrics once the first round is in (503 before)."""
        deadline = time.monotonic() + timeout
        while True:
            status, _, body = aptest.http_get(url, timeout=10)
            if status != 503 or time.monotonic() > deadline:
                self.assertEqual(status, 200, body)
                return body
            time.sleep(0.1)


if __name__ == "__main__":
    aptest.main()
