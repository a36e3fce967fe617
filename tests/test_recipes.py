# SPDX-License-Identifier: ISC
"""The recipes of README.md and the man page, run as printed: the cron
lines (nothing down, nothing printed, so cron mails nothing), the
Prometheus lines read by a real node_exporter (two files side by side,
both scraped, no collision) and the Nagios command_line.  Only the paths
of the targets and output files are replaced, by files of loopback
targets, and "asyncprobe" by the binary under test (with --hosts-file
none and a dead resolver, as every test run)."""

import os
import re
import shutil
import subprocess
import time

import aptest

CRON = re.compile(r"^(?:\S+\s+){5}(\S*asyncprobe\s.*)$")
# Where "make install" puts the binary (prefix /usr/local).  cron's PATH
# is /usr/bin:/bin, so a crontab names it by this path.
INSTALLED = "/usr/local/bin/asyncprobe"


def readme_block_lines():
    """Every line inside the ``` blocks of README.md."""
    return [l for _, text in aptest.readme_blocks()
            for l in text.splitlines()]


def man_literal_lines():
    """The lines of the man page's literal displays, continuations
    ("\\e" at the end) joined, escapes undone."""
    out, inside, cont = [], False, ""
    with open(os.path.join(aptest.TOP, "man", "asyncprobe.1")) as fp:
        for line in fp:
            line = line.rstrip("\n")
            if line.startswith(".Bd -literal"):
                inside = True
                continue
            if line.startswith(".Ed"):
                inside = False
                continue
            if not inside:
                continue
            line = line.replace("\\e", "\\").replace("\\&", "")
            if line.endswith("\\"):
                cont += line[:-1].rstrip() + " "
                continue
            out.append(cont + line.strip())
            cont = ""
    return out


def man_display_lines():
    """The man page's one-line displays (.Dl), the prompt cut."""
    out = []
    with open(os.path.join(aptest.TOP, "man", "asyncprobe.1")) as fp:
        for line in fp:
            if line.startswith(".Dl $ "):
                out.append(line[len(".Dl $ "):].rstrip("\n")
                           .replace("\\e", "\\").replace("\\&", ""))
    return out


def cron_commands(lines):
    """The commands of the crontab lines (the five time fields cut)."""
    return [m.group(1) for m in (CRON.match(l) for l in lines) if m]


class Recipes(aptest.TestCase):
    def setUp(self):
        self.acc = aptest.net("accept")
        self.ref = aptest.net("refuse")
        self.dir = aptest.tmpdir()

    def targets(self, name, up, down=0):
        return aptest.write_file(name, "127.0.0.1:%d\n" % self.acc.port * up
                                 + "127.0.0.1:%d\n" % self.ref.port * down)

    def sh(self, command, subst):
        """Run a recipe's command line through sh, as cron does."""
        for old, new in subst.items():
            command = command.replace(old, new)
        self.assertNotIn("/etc/", command)
        return aptest.run_recipe(command)

    def test_cron_recipes(self):
        readme = cron_commands(readme_block_lines())
        man = cron_commands(man_literal_lines())
        quiet = [c for c in readme + man if " -u " in c]
        self.assertEqual(len(quiet), 2, readme + man)      # README, man
        for command in quiet:
            with self.subTest(command=command):
                path = re.search(r"(/etc/\S+)", command).group(1)
                ok = self.targets("up.txt", 5)
                r = self.sh(command, {path: ok})
                # Nothing down: no output at all, so cron mails nothing.
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (0, "", ""), command)
                bad = self.targets("down.txt", 5, 1)
                r = self.sh(command, {path: bad})
                self.assertEqual(r.returncode, 1, r.stderr)
                lines = r.stdout.splitlines()
                self.assertEqual(len(lines), 2, r.stdout)
                self.assertTrue(lines[0].startswith("TARGET "), r.stdout)
                self.assertRegex(lines[1], r"^127\.0\.0\.1:%d +refused "
                                 r".* ECONNREFUSED$" % self.ref.port)

    def test_cron_recipes_name_the_installed_binary(self):
        commands = cron_commands(readme_block_lines() + man_literal_lines())
        self.assertEqual(len(commands), 6, commands)   # README 4, man 2
        for command in commands:
            with self.subTest(command=command):
                self.assertTrue(command.startswith(INSTALLED + " "))

    def test_cron_page_recipe(self):
        (command,) = [c for c in cron_commands(readme_block_lines())
                      if "page-oncall" in c]
        subst = {"/usr/local/bin/page-oncall": "echo PAGED"}
        # 1 of 10 down: 90% still up, nobody paged; 2 of 10: paged.
        for down, paged in ((1, ""), (2, "PAGED\n")):
            with self.subTest(down=down):
                subst["/etc/asyncprobe/targets.txt"] = self.targets(
                    "t%d.txt" % down, 10 - down, down)
                r = self.sh(command, subst)
                self.assertEqual(r.stdout, paged, r.stderr)

    def test_prometheus_recipes_with_node_exporter(self):
        exporter = shutil.which("prometheus-node-exporter") or \
            shutil.which("node_exporter")
        if exporter is None:
            self.skipTest("node_exporter is not installed "
                          "(apt-get install prometheus-node-exporter)")
        commands = [c for c in cron_commands(readme_block_lines())
                    if "-f prom" in c]
        self.assertEqual(len(commands), 2, commands)
        textdir = os.path.join(self.dir, "textfile")
        os.mkdir(textdir)
        for i, command in enumerate(commands):
            out = re.search(r"-o (\S+)", command).group(1)
            src = re.search(r"(/etc/\S+)", command).group(1)
            r = self.sh(command, {
                src: self.targets("l%d.txt" % i, 2, 1),
                os.path.dirname(out): textdir})
            self.assertEqual(r.returncode, 1, r.stderr)
        files = sorted(os.listdir(textdir))
        self.assertEqual(files, ["asyncprobe-db.prom", "asyncprobe-web.prom"])
        # Twice the same targets, once per list: the same series but for
        # the label, which is what --label is for.
        port = aptest.free_port()
        p = subprocess.Popen(
            [exporter, "--web.listen-address=127.0.0.1:%d" % port,
             "--collector.disable-defaults", "--collector.textfile",
             "--collector.textfile.directory=" + textdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            body = None
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and body is None:
                try:
                    status, _, text = aptest.http_get(
                        "http://127.0.0.1:%d/metrics" % port, timeout=5)
                except OSError:
                    status = None
                if status is None or status >= 400:     # not up yet
                    if p.poll() is not None:
                        break
                    time.sleep(0.1)
                    continue
                self.assertEqual(status, 200)
                body = text
        finally:
            p.terminate()
            try:
                _, err = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
        self.assertIsNotNone(body, err.decode(errors="replace"))
        err = err.decode(errors="replace")
        self.assertNotIn("collected before", body + err)
        self.assertNotIn("level=error", err)
        self.assertIn("node_textfile_scrape_error 0", body)
        for lst in ("web", "db"):
            with self.subTest(list=lst):
                succ = re.findall(r'^probe_success\{([^}]*list="%s"[^}]*)\} '
                                  r'(\d)$' % lst, body, re.M)
                self.assertEqual(sorted(v for _, v in succ), ["0", "1"],
                                 body)
                self.assertNotIn('ip="', "".join(l for l, _ in succ))
                self.assertRegex(body, r'asyncprobe_targets\{list="%s",'
                                 r'status="connected"\} 2' % lst)
                self.assertRegex(body, r'probe_ip_addr_hash\{[^}]*list="%s"'
                                 r'[^}]*\} 3\.668918509e\+09' % lst)

    def test_man_prometheus_recipe(self):
        (command,) = [c for c in cron_commands(man_literal_lines())
                      if "-f prom" in c]
        out = re.search(r"-o (\S+)", command).group(1)
        src = re.search(r"(/etc/\S+)", command).group(1)
        r = self.sh(command, {src: self.targets("m.txt", 1),
                              os.path.dirname(out): self.dir})
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.dir, os.path.basename(out))) as fp:
            text = fp.read()
        self.assertIn('probe_success{target="127.0.0.1:%d",host="127.0.0.1",'
                      'port="%d",list="web"} 1\n' % (self.acc.port,
                                                    self.acc.port), text)

    def test_nagios_recipe(self):
        lines = [l for l in readme_block_lines() if "command_line" in l]
        self.assertEqual(len(lines), 1, lines)
        command = lines[0].split("command_line", 1)[1].strip()
        # Where "make install" puts it (prefix /usr/local).
        self.assertTrue(command.startswith("/usr/local/bin/asyncprobe "),
                        command)
        r = self.sh(command, {"$ARG1$": self.targets("n.txt", 3)})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"^ASYNCPROBE OK - 0/3 targets down \| "
                         r"up=3;;;0;3 down=0;0;0;0;3 ")
        # One of three down: WARNING at --warn-down 1, CRITICAL from 10%.
        r = self.sh(command, {"$ARG1$": self.targets("n2.txt", 2, 1)})
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(" down=1;0;0;0;3 ", r.stdout)
        self.assertEqual(r.stdout.splitlines()[1],
                         "127.0.0.1:%d refused ECONNREFUSED" % self.ref.port)
        missing = os.path.join(self.dir, "missing.txt")
        r = self.sh(command, {"$ARG1$": missing})
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertTrue(r.stdout.startswith("ASYNCPROBE UNKNOWN - cannot "
                                            "read " + missing), r.stdout)

    def test_man_nagios_example(self):
        (command,) = [c for c in man_display_lines() if "-f nagios" in c]
        path = re.search(r"(/etc/\S+)", command).group(1)
        # --warn-down 1, --crit-down 25%: 1 of 8 down warns, 2 is
        # critical, none is OK; each range alerts at the count it names.
        for up, down, rc, perf in ((8, 0, 0, "down=0;0;1;0;8"),
                                   (7, 1, 1, "down=1;0;1;0;8"),
                                   (6, 2, 2, "down=2;0;1;0;8")):
            with self.subTest(down=down):
                r = self.sh(command, {path: self.targets(
                    "m%d.txt" % down, up, down)})
                self.assertEqual(r.returncode, rc, r.stdout + r.stderr)
                self.assertIn(" %s " % perf, r.stdout + " ")

    def test_one_target_and_prefix_examples(self):
        # The man page's "asyncprobe 127.0.0.1:22" and prefix examples,
        # on a port of ours.
        man = man_literal_lines()
        self.assertIn("$ asyncprobe 127.0.0.1:22", man)
        self.assertIn("$ echo 127.0.0.0/30:22 | asyncprobe", man)
        r = self.sh("asyncprobe 127.0.0.1:%d" % self.acc.port, {})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.sh("echo 127.0.0.0/30:%d | asyncprobe" % self.ref.port, {})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 5, r.stdout)


if __name__ == "__main__":
    aptest.main()
