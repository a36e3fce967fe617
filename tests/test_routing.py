# SPDX-License-Identifier: ISC
"""Local routing verdicts (SPEC 4, stage `connect`) inside a private network
namespace (`unshare -rn`, no root): policy rules make connect() fail at once
with ENETUNREACH, EACCES or EHOSTUNREACH, and nothing can leave the
namespace.  Skipped only when unshare is unavailable."""

import json
import sys

import aptest

# 127.201/16 unreachable (ENETUNREACH), 127.200/16 prohibit (EACCES),
# 127.203/16 via an unreachable route (EHOSTUNREACH); the local table moves
# behind these rules so they apply to loopback addresses too.
SETUP = """
ip rule add pref 10 to 127.201.0.0/16 unreachable
ip rule add pref 11 to 127.200.0.0/16 prohibit
ip route add unreachable 127.203.0.0/16 table 5
ip rule add pref 12 to 127.203.0.0/16 lookup 5
ip rule add pref 100 lookup local
ip rule del pref 0
"""

CHECK = """
import errno, json, socket
out = {}
for ip in ("127.201.0.1", "127.200.0.1", "127.203.0.1", "127.0.0.1"):
    s = socket.socket()
    try:
        s.connect((ip, 9))
        out[ip] = None
    except OSError as e:
        out[ip] = errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()
print(json.dumps(out))
"""

PORT = 9  # nothing listens inside a fresh namespace: loopback refuses


def run_routed(argv, stdin=""):
    """argv in a namespace of its own with the SETUP rules."""
    p = aptest.netns_run(argv, stdin, setup=SETUP, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class NetNS(aptest.TestCase):
    @classmethod
    def setUpClass(cls):
        aptest.need_netns()
        rc, out, err = run_routed([sys.executable, "-c", CHECK])
        assert rc == 0, "netns setup failed: %s" % err
        cls.check = json.loads(out)
        pins = {
            "order1.test": "127.201.0.1,127.200.0.1",
            "order2.test": "127.200.0.1,127.201.0.1",
            "host1.test": "127.201.0.1,127.203.0.1",
            "host2.test": "127.203.0.1,127.201.0.1",
            "ref1.test": "127.201.0.1,127.0.0.1",
            "ref2.test": "127.0.0.1,127.201.0.1",
            "den1.test": "127.200.0.1,127.0.0.1",
            "den2.test": "127.0.0.1,127.200.0.1",
        }
        args = aptest.probe_argv(["-f", "json", "-t", "2s"])
        for name, addrs in sorted(pins.items()):
            args += ["--resolve", "%s:%s" % (name, addrs)]
        targets = ["127.201.0.1", "127.200.0.1", "127.203.0.1",
                   "127.0.0.1"] + sorted(pins)
        stdin = "".join("%s:%d\n" % (t, PORT) for t in targets)
        cls.rc, cls.out, cls.err = run_routed(args, stdin)
        cls.recs = {}
        for rec in aptest.json_lines(cls.out):
            cls.recs[rec["target"]] = rec
        cls.targets = ["%s:%d" % (t, PORT) for t in targets]

    def rec(self, host):
        key = "%s:%d" % (host, PORT)
        self.assertIn(key, self.recs, self.err)
        return self.recs[key]

    def test_rules_give_the_errnos(self):
        self.assertEqual(self.check, {"127.201.0.1": "ENETUNREACH",
                                      "127.200.0.1": "EACCES",
                                      "127.203.0.1": "EHOSTUNREACH",
                                      "127.0.0.1": "ECONNREFUSED"})

    def test_every_target_once_and_exit_1(self):
        self.assertEqual(self.rc, 1, self.out + self.err)
        self.assertEqual(sorted(self.recs), sorted(self.targets))
        self.assertEqual(len(self.out.splitlines()), len(self.targets))

    def test_network_unreachable(self):
        self.assertRecord(self.rec("127.201.0.1"), "unreachable",
                          "ENETUNREACH", "127.201.0.1", "connect",
                          addresses=1)

    def test_prohibited_is_denied(self):
        self.assertRecord(self.rec("127.200.0.1"), "denied", "EACCES",
                          "127.200.0.1", "connect", addresses=1)

    def test_host_unreachable(self):
        self.assertRecord(self.rec("127.203.0.1"), "unreachable",
                          "EHOSTUNREACH", "127.203.0.1", "connect",
                          addresses=1)

    def test_refused_in_namespace(self):
        self.assertRecord(self.rec("127.0.0.1"), "refused", "ECONNREFUSED",
                          "127.0.0.1", "handshake")

    def test_eacces_beats_enetunreach_both_orders(self):
        for name in ("order1.test", "order2.test"):
            with self.subTest(name=name):
                self.assertRecord(self.rec(name), "denied", "EACCES",
                                  "127.200.0.1", "connect", addresses=2)

    def test_ehostunreach_beats_enetunreach_both_orders(self):
        for name in ("host1.test", "host2.test"):
            with self.subTest(name=name):
                self.assertRecord(self.rec(name), "unreachable",
                                  "EHOSTUNREACH", "127.203.0.1", "connect",
                                  addresses=2)

    def test_handshake_beats_connect_both_orders(self):
        for name in ("ref1.test", "ref2.test", "den1.test", "den2.test"):
            with self.subTest(name=name):
                self.assertRecord(self.rec(name), "refused", "ECONNREFUSED",
                                  "127.0.0.1", "handshake", addresses=2)


if __name__ == "__main__":
    aptest.main()
