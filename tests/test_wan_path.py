# SPDX-License-Identifier: ISC
"""Loss and delay on the simulated WAN of tests/wan.py (issue 11, the man
page's "On real networks"; this kernel has no netem).

Loss: the router drops each packet to or from 198.18.4.0/22 at random
(iptables statistic, both directions).  A lost SYN or SYN-ACK costs the
kernel's 1 s retransmission, so -t 1 misses some open ports and -t 3 or
-r 1 finds nearly all of them.

The drops are random and unseeded, so only what holds far outside the
statistics is asserted: without loss every port connects; with it every
record is connected or timeout, -t 1 misses at least LOSSY_T1_MIN, and
-t 3 and -t 1 -r 1 at most RECOVERED_MAX.  The figures measured are
printed for the man page.

Delay: a userspace bridge between the scanner and the router holds each
frame DELAY_MS each way.  With the round trip above the attempt delay
(250 ms) a dual-stack name gets a SYN on both families, the IPv4 one
cancelled when IPv6 answers; with --attempt-delay above it, one SYN.
The round trip is at least 2 * DELAY_MS (a loaded machine only adds),
and both margins are 350 ms or more.

Its tests skip when unshare or iptables is missing; .ci/run fails on
any skip in the normal build."""

import json
import os
import shutil
import sys

import aptest
import wan

N = 1000            # open ports, one listener
LOSS = 0.03         # per packet, each direction
# Per target, a handshake is lost with 1 - 0.97^2 = 5.9 %: -t 1 misses
# about 59 of 1000 (sd 7.5); a second chance misses about 0.059^2 =
# 0.35 %, about 3.5 of 1000 (sd 1.9; 2 to 9 measured).  Both bounds are
# 5 sd or more away.
LOSSY_T1_MIN = 20
RECOVERED_MAX = 20

RUNS = {            # name -> asyncprobe's options
    "t1": ["-t", "1s"],
    "t3": ["-t", "3s"],
    "t1r1": ["-t", "1s", "-r", "1"],
}


RUN_S = 60          # aptest.run()'s hard limit on each run in the namespace


def scan(args, addrs):
    """How many records of each status: N records are too many to carry
    out of the namespace."""
    stdin = "".join("%s:%d\n" % (a, wan.PORT) for a in addrs)
    r = aptest.run(["-f", "json"] + args, stdin, timeout=RUN_S)
    counts = {}
    for rec in r.records:
        counts[rec["status"]] = counts.get(rec["status"], 0) + 1
    return {"rc": r.rc, "counts": counts, "err": r.err[-2000:]}


def inner_loss(n=str(N), losses=str(LOSS), rounds="1"):
    """Without loss once, then each loss figure (comma-separated) for
    each of RUNS, `rounds` times; n targets each."""
    if shutil.which("iptables") is None:
        return {"skip": "iptables is not installed"}
    addrs = wan.LOSS_ADDRS[:int(n)]
    w = wan.Wan()
    try:
        res = {"none": scan(["-t", "1s"], addrs)}
        for p in losses.split(","):
            w.set_loss(float(p))
            for name, args in RUNS.items():
                res["%s %s" % (p, name)] = [scan(args, addrs)
                                            for _ in range(int(rounds))]
        return res
    finally:
        w.teardown()


DELAY_MS = 300      # each way: a 600 ms round trip
HE_NAME = "he.test"
HE_ADDRS = ("fd00:c::1", "198.18.2.1")     # both open; IPv6 first


def inner_delay():
    if shutil.which("iptables") is None:
        return {"skip": "iptables is not installed"}
    w = wan.Wan(delay_ms=DELAY_MS)
    try:
        pin = ["--resolve", "%s:%s" % (HE_NAME, ",".join(HE_ADDRS))]
        res = {}
        for key, delay in (("default", []), ("raised",
                                             ["--attempt-delay", "2s"])):
            res[key] = aptest.run(["-f", "json", "-v", "-t", "3s"] + pin
                                  + delay, "%s:%d\n" % (HE_NAME, wan.PORT),
                                  timeout=RUN_S)
        return res
    finally:
        w.teardown()


INNER = {"loss": inner_loss, "delay": inner_delay}


class Loss(aptest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.res = aptest.in_netns(os.path.abspath(__file__), "loss",
                                  timeout=300)
        lines = []
        for key, runs in cls.res.items():
            for r in runs if isinstance(runs, list) else [runs]:
                c = r["counts"]
                lines.append("%-10s connected %d/%d (%.1f %%) %s" % (
                    key, c.get("connected", 0), N,
                    100.0 * c.get("connected", 0) / N,
                    json.dumps(c, sort_keys=True)))
        sys.stderr.write("open ports behind a lossy link:\n  "
                         + "\n  ".join(lines) + "\n")

    def counts(self, key):
        r = self.res[key]
        r = r[0] if isinstance(r, list) else r
        self.assertEqual(sum(r["counts"].values()), N, r["err"])
        return r["counts"]

    def test_without_loss_every_port(self):
        self.assertEqual(self.counts("none"), {"connected": N})

    def test_loss_is_timeouts_only(self):
        for name in RUNS:
            with self.subTest(run=name):
                c = self.counts("%s %s" % (LOSS, name))
                self.assertLessEqual(set(c), {"connected", "timeout"}, c)

    def test_one_second_misses_some(self):
        c = self.counts("%s t1" % LOSS)
        self.assertGreaterEqual(c.get("timeout", 0), LOSSY_T1_MIN, c)

    def test_retransmission_finds_nearly_all(self):
        for name in ("t3", "t1r1"):
            with self.subTest(run=name):
                c = self.counts("%s %s" % (LOSS, name))
                self.assertLessEqual(c.get("timeout", 0), RECOVERED_MAX, c)


class Delay(aptest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.res = aptest.in_netns(os.path.abspath(__file__), "delay",
                                  timeout=120)
        sys.stderr.write("round trip %d ms:\n%s%s" % (
            2 * DELAY_MS, cls.res["default"]["err"],
            cls.res["raised"]["err"]))

    def record(self, key):
        r = self.res[key]
        recs = aptest.json_lines(r["out"])
        self.assertEqual(len(recs), 1, r["err"])
        rec = recs[0]
        self.assertRecord(rec, "connected", None, HE_ADDRS[0])
        self.assertGreaterEqual(rec["rtt_ms"], 2 * DELAY_MS, rec)
        return rec

    def test_both_families_get_a_syn(self):
        rec = self.record("default")
        self.assertEqual([(a["ip"], a["errno"], a["stage"])
                          for a in rec["attempts"]],
                         [(HE_ADDRS[0], None, "handshake"),
                          (HE_ADDRS[1], "ECANCELED", "handshake")])

    def test_raised_attempt_delay_one_syn(self):
        rec = self.record("raised")
        self.assertEqual([(a["ip"], a["errno"], a["stage"])
                          for a in rec["attempts"]],
                         [(HE_ADDRS[0], None, "handshake")])


if __name__ == "__main__":
    aptest.netns_inner(INNER)
    aptest.main()
