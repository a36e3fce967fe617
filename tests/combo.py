# SPDX-License-Identifier: ISC
"""combo -- the combination test of issue 10: a seeded generator of option
sets and target sets, a runner for the real binary, and the invariants every
run must keep.  tests/test_combinations.py runs a short matrix in CI;
scripts/combos runs a long one.  Both import this module, so a failure seen
in one replays in the other from its seed and case number.

World: loopback peers started once per matrix (aptest-net accept, refuse and
hole listeners, a greeting/echo talk peer, the fake DNS server), plus, when
the matrix runs inside an `unshare -rn` namespace, policy routes that make
connect() fail with ENETUNREACH and EACCES.  Nothing leaves loopback.

A case is one option set and one target list, drawn from the seed and the
case's index alone, so `scripts/combos --seed S --case K` replays it.  Each
case leans on one area in turn (FOCUSES: -c, --rate, --max-runtime, -m with
talk options, -m --sequential, deadlines, ...) so that a short matrix covers
them all; its other options stay random.  Its primary run uses the case's
-j and format; where timing cannot change the records (no --max-runtime,
no --rate pacing a second attempt), a sibling run with another -j in json
must give the same records.  Invariants (names as reported):

  records        one record per input target (per address with -m; a name
                 cancelled before it resolved may have one), none extra
  in-flight      never more than -c targets in flight, from the records'
                 [timestamp - elapsed_ms, timestamp], 2 ms shaved off each
                 end for the timestamps' ms rounding
  slots-idle     with -c below the target count and no --rate, no slot
                 stays free for 150 ms while a target waits (-c is for the
                 whole process, not split per -j engine)
  rate           never more than --rate connect() calls in any 1 s window
                 (an LD_PRELOAD shim logs each call), plus one for the
                 window's edge and 2 % for the pacer's 10 ms catch-up and
                 timer jitter
  rate-keeps-up  with --rate, single-attempt targets and room for all of
                 them, the connects take at most 1.25 x (n-1)/rate + 0.3 s
                 (--rate is for the whole process, not split per -j engine)
  deadline       no timeout record has elapsed_ms below -t, unless every
                 attempt in it ran its full --attempt-timeout
  attempt-timeout an ETIMEDOUT attempt shorter than --attempt-timeout was
                 ended by the target's deadline (elapsed_ms >= -t)
  jobs           the same (line, port, status, errno) whatever -j (and
                 ip with -m, where it tells the records apart)
  exit           the exit status follows the records (SPEC 6; nagios: the
                 plugin code its thresholds give)
  ordered        --ordered: records in input order
  talk           --expect: a peer that never says the text is never
                 `connected`, one that does is never `mismatch`; --banner:
                 every connected record has the peer's first bytes, and
                 without it none has a banner
  streamed       a connected record is written when its address connects,
                 not held to the deadline: elapsed_ms < -t per round
                 (-m, --banner)
  sequential     --sequential: a target's attempts never overlap (their
                 durations add up to no more than its elapsed_ms; with -m,
                 the addresses' records do not overlap)
  retries        only a timeout (or local back-pressure) is retried, at
                 most -r times per address
  addresses      `addresses` is the number of distinct addresses tried
  clean-exit     no exit 4, no sanitizer report
"""

import collections
import csv
import io
import json
import os
import random
import re
import selectors
import shlex
import socket
import subprocess
import threading
import time

import aptest

# --- the world: peers and target kinds -----------------------------------

GREETING = b"220 combo ready\r\n"
NETNS_RULES = [
    # As in test_netns: loopback addresses behind policy rules, the local
    # table moved after them so the rules apply.
    "ip rule add pref 10 to 127.201.0.0/16 unreachable",
    "ip rule add pref 11 to 127.200.0.0/16 prohibit",
    "ip rule add pref 100 lookup local",
    "ip rule del pref 0",
]


class TalkPeer:
    """A loopback peer on one port of several addresses that greets each
    client with GREETING, echoes what it sends, and hangs up when the
    client does or after 3 s of silence."""

    IDLE_S = 3.0

    def __init__(self, hosts):
        self.socks = []
        for _ in range(20):         # bounded: find a port free on all hosts
            try:
                self._bind(hosts)
                break
            except OSError:
                self._close_all()
        else:
            raise RuntimeError("talk peer: no common free port")
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _bind(self, hosts):
        port = 0
        for h in hosts:
            s = socket.socket()
            self.socks.append(s)
            s.bind((h, port))
            s.listen(128)
            s.setblocking(False)
            port = s.getsockname()[1]
        self.port = port

    def _close_all(self):
        for s in self.socks:
            s.close()
        self.socks = []

    def _loop(self):
        sel = selectors.DefaultSelector()
        for s in self.socks:
            sel.register(s, selectors.EVENT_READ, None)
        clients = {}
        while not self.stop_ev.is_set():
            now = time.monotonic()
            for c, last in list(clients.items()):
                if now - last > self.IDLE_S:
                    sel.unregister(c)
                    c.close()
                    del clients[c]
            for key, _ in sel.select(0.1):
                s = key.fileobj
                if key.data is None:
                    try:
                        c, _ = s.accept()
                    except OSError:
                        continue
                    try:
                        c.sendall(GREETING)
                    except OSError:
                        c.close()
                        continue
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ, "client")
                    clients[c] = time.monotonic()
                    continue
                try:
                    data = s.recv(4096)
                    if data:
                        s.send(data)
                        clients[s] = time.monotonic()
                        continue
                except OSError:
                    pass
                sel.unregister(s)
                s.close()
                clients.pop(s, None)
        for c in clients:
            c.close()
        sel.close()

    def stop(self):
        self.stop_ev.set()
        self.thread.join(5)
        self._close_all()


class Kind:
    """One kind of input line.  addrs: what -m writes a record for (None:
    one record, a numeric host or an invalid line); nx: the name does not
    resolve; single: every target of it makes at most one connect attempt
    without -r (no second address)."""

    def __init__(self, name, line, ports, addrs=None, invalid=False,
                 nx=False, single=True, slow=False, pins=(), stall=False):
        self.name = name
        self.line = line
        self.ports = ports
        self.addrs = addrs
        self.invalid = invalid
        self.nx = nx
        self.single = single
        self.slow = slow or stall   # may take the whole deadline
        self.stall = stall          # always does: nothing ever answers
        self.pins = list(pins)


class World:
    def __init__(self, netns=False):
        self.netns = netns
        self.v6 = aptest.have_v6()
        self.talk = None
        self.acc = aptest.net("accept")
        self.ref = aptest.net("refuse")
        self.hole = aptest.net("hole")
        # Port M: accept on 127.0.0.1, silent on .2 and .5, refused on .4,
        # accept on ::1 when there is IPv6.
        self.macc = aptest.net("accept")
        self.M = self.macc.port
        aptest.net("hole", host="127.0.0.2", port=self.M)
        aptest.net("hole", host="127.0.0.5", port=self.M)
        self.v6acc = None
        if self.v6:
            try:
                self.v6acc = aptest.net("accept", v6=True, port=self.M)
            except RuntimeError:
                self.v6acc = None   # ::1 then refuses: still a verdict
        # Port T: the talk peer on 127.0.0.1 and .3, silent on .2.
        self.talk = TalkPeer(["127.0.0.1", "127.0.0.3"])
        self.T = self.talk.port
        aptest.net("hole", host="127.0.0.2", port=self.T)
        v6line = "multi.test AAAA ::1\n" if self.v6 else ""
        self.dns = aptest.dns("ok.test A 127.0.0.1\n"
                              "multi.test A 127.0.0.2 127.0.0.1\n" + v6line +
                              "talk.test A 127.0.0.1 127.0.0.3\n")
        # (ip, port) -> what the peer there does.
        self.peer = {("127.0.0.1", self.acc.port): "accept",
                     ("127.0.0.1", self.M): "accept",
                     ("127.0.0.1", self.T): "talk",
                     ("127.0.0.3", self.T): "talk"}
        if self.v6acc is not None:
            self.peer[("::1", self.M)] = "accept"
        self.kinds = self._kinds()

    def _kinds(self):
        A, R, H, M, T = (self.acc.port, self.ref.port, self.hole.port,
                         self.M, self.T)
        v6 = ["::1"] if self.v6 else []
        k = [
            Kind("acc", "127.0.0.1:%d" % A, [A]),
            Kind("ref", "127.0.0.1:%d" % R, [R]),
            Kind("hole", "127.0.0.1:%d" % H, [H], stall=True),
            Kind("talk", "127.0.0.1:%d" % T, [T]),
            Kind("ports", "127.0.0.1:%d,%d" % (A, R), [A, R]),
            Kind("space", "127.0.0.1 %d" % A, [A]),
            Kind("pin-silent-acc", "psa.test:%d" % M, [M],
                 addrs=["127.0.0.2", "127.0.0.1"], single=False, slow=True,
                 pins=["psa.test:127.0.0.2,127.0.0.1"]),
            Kind("pin-silent-ref", "psr.test:%d" % M, [M],
                 addrs=["127.0.0.2", "127.0.0.4"], single=False, stall=True,
                 pins=["psr.test:127.0.0.2,127.0.0.4"]),
            Kind("pin-two-silent", "pss.test:%d" % M, [M],
                 addrs=["127.0.0.2", "127.0.0.5"], single=False, stall=True,
                 pins=["pss.test:127.0.0.2,127.0.0.5"]),
            Kind("pin-v6", "p6.test:%d" % M, [M],
                 addrs=v6 + ["127.0.0.2", "127.0.0.1"], single=False,
                 slow=True,
                 pins=["p6.test:%s" % ",".join(v6 + ["127.0.0.2",
                                                     "127.0.0.1"])]),
            Kind("pin-talk", "pt.test:%d" % T, [T],
                 addrs=["127.0.0.2", "127.0.0.1", "127.0.0.3"],
                 single=False, slow=True,
                 pins=["pt.test:127.0.0.2,127.0.0.1,127.0.0.3"]),
            Kind("dns-ok", "ok.test:%d" % A, [A], addrs=["127.0.0.1"]),
            Kind("dns-multi", "multi.test:%d" % M, [M],
                 addrs=v6 + ["127.0.0.2", "127.0.0.1"], single=False,
                 slow=True),
            Kind("dns-talk", "talk.test:%d" % T, [T],
                 addrs=["127.0.0.1", "127.0.0.3"], single=False),
            Kind("dns-nx", "nx.test:%d" % A, [A], nx=True),
            Kind("bad-space", "bad host:%d" % A, [None], invalid=True),
            Kind("bad-port0", "127.0.0.1:0", [None], invalid=True),
            Kind("bad-noport", "noport.test", [None], invalid=True),
        ]
        if self.netns:
            k += [
                Kind("ns-unreach", "127.201.0.1:%d" % A, [A]),
                Kind("ns-denied", "127.200.0.1:%d" % A, [A]),
                Kind("ns-pin", "pns.test:%d" % A, [A],
                     addrs=["127.201.0.1", "127.200.0.1", "127.0.0.1"],
                     single=False,
                     pins=["pns.test:127.201.0.1,127.200.0.1,127.0.0.1"]),
            ]
        return k

    def stop(self):
        if self.talk is not None:
            self.talk.stop()
            self.talk = None


# --- cases ----------------------------------------------------------------

TALKS = [
    [],
    ["--send", r"PING\r\n"],
    ["--send", r"PING\r\n", "--expect", "PING"],
    ["--expect", "combo ready"],
    ["--expect", "NEVER-SAID"],
    ["--banner"],
    ["--banner=4"],
    ["--send", r"PING\r\n", "--banner"],
]
FORMATS = ["json", "json", "csv", "csv", "text", "prom", "nagios"]
FOCUSES = ["limits", "rate-keeps-up", "max-runtime", "m-talk",
           "m-sequential", "deadline", "rate-attempts", "free"]


class Case:
    """One generated option set and target list."""

    def __init__(self, seed, index, world, long_matrix=False):
        self.seed = seed
        self.index = index
        rng = random.Random("%s:%d" % (seed, index))
        self.j = rng.choice([1, 2, 4])
        self.fmt = rng.choice(FORMATS)
        self.t_ms = rng.choice([500, 800, 1000])
        self.c = rng.choice([None, 1, 2, 3, 4, 8, 16])
        self.rate = rng.choice([None, None, None, 20, 40])
        self.m = rng.random() < 0.4
        self.seq = rng.random() < 0.3
        self.r = rng.choice([0, 0, 1, 2])
        self.at_ms = rng.choice([None, None, 300])
        self.delay_ms = rng.choice([None, 50, 100])
        self.ordered = rng.random() < 0.3
        self.max_rt_ms = rng.choice([None, None, None, None, 400, 900])
        self.talk = rng.choice(TALKS)
        self.from_file = rng.random() < 0.3
        self.long_matrix = long_matrix
        self.stats = rng.random() < 0.2
        self.keepup = False
        self.focus = FOCUSES[index % len(FOCUSES)]
        n = rng.randint(12, 40 if long_matrix else 28)
        min_slow = 0
        slow_first = False
        must = []               # kinds the focus needs, by name
        kinds = list(world.kinds)
        # Each case leans on one area, so a short matrix covers them all;
        # the rest of its options stay random.
        if self.focus in ("m-talk", "m-sequential", "deadline"):
            self.rate = None        # so the -j sibling run compares too
        if self.focus in ("limits", "deadline", "m-sequential"):
            # Invariants that need the records' times: json or csv.
            self.fmt = rng.choice(["json", "csv"])
        if self.focus == "limits":
            self.c = rng.choice([1, 2, 3, 4])
            self.j = rng.choice([2, 4])
            self.rate = None
            self.max_rt_ms = None
            self.ordered = False
            self.r = 0
            min_slow = self.c + 1
        elif self.focus == "rate-keeps-up":
            # Single-attempt targets and room for all of them, enough to
            # span over a second.
            kinds = [k for k in kinds if k.single and not k.slow]
            self.rate = 20
            self.c = None
            self.r = 0
            self.m = False
            self.max_rt_ms = None
            n = rng.randint(22, 30)
            self.keepup = True
        elif self.focus == "rate-attempts":
            # Happy Eyeballs' extra attempts and retries count too.
            kinds = [k for k in kinds if not k.single or k.slow or
                     rng.random() < 0.3]
            self.rate = 20
            self.r = rng.choice([0, 1])
            self.seq = False
            self.max_rt_ms = None
            min_slow = 3
            must = ["pin-silent-acc", "pin-talk", "dns-multi"]
        elif self.focus == "max-runtime":
            # A slot held from the start, so targets are still unread or
            # waiting when the run is stopped.
            self.max_rt_ms = rng.choice([300, 600])
            self.c = rng.choice([1, 2])
            min_slow = self.c + 1
            slow_first = True
        elif self.focus == "m-talk":
            self.m = True
            self.talk = rng.choice(TALKS[1:])
            must = ["dns-talk", "pin-talk", "acc"]
        elif self.focus == "m-sequential":
            self.m = True
            self.seq = True
            self.r = rng.choice([0, 1, 2] if long_matrix else [0, 1])
            must = ["pin-two-silent", "pin-silent-acc"]
        elif self.focus == "deadline":
            # Every other one with a retry round, whose attempts `addresses`
            # must not count twice.
            self.r = (index // len(FOCUSES)) % 2
            self.m = False
            min_slow = 3
        if self.r and not long_matrix:
            self.t_ms = 500         # retry rounds: keep the run short
        fast = [k for k in kinds if not k.slow]
        slow = [k for k in kinds if k.slow]
        # Bound the run: slow targets hold a slot for up to -t per round.
        budget_s = 5.0 if long_matrix else 1.8
        rounds = self.r + 1
        per = self.t_ms / 1000.0 * rounds
        slots = self.c or 1024
        nslow = 0
        if slow:
            waves = max(1, int(budget_s / per))
            most = max(min_slow, waves * slots)
            nslow = rng.randint(min(min_slow, most), most)
            nslow = max(min(nslow, 8, n // 2), min(min_slow, n // 2))
        # The first min_slow of them stall for sure (hold their slot).
        stall = [k for k in slow if k.stall] or slow
        picked = [rng.choice(stall if i < min_slow else slow)
                  for i in range(nslow)]
        picked += [rng.choice(fast) for _ in range(n - nslow)]
        byname = dict((k.name, k) for k in world.kinds)
        picked = [byname[x] for x in must if x in byname] + \
            picked[:max(0, n - len(must))]
        rng.shuffle(picked)
        if slow_first and nslow:
            i = next(i for i, k in enumerate(picked) if k.stall)
            picked.insert(0, picked.pop(i))
        self.kinds = picked
        # The sibling run (another -j) must give the same records wherever
        # timing cannot change them: not with --max-runtime, and not when
        # --rate may hold an extra attempt (another address, a retry) until
        # its deadline passes.
        others = [x for x in (1, 2, 4) if x != self.j]
        paced_extra = self.rate is not None and (
            self.r > 0 or not all(k.single for k in self.kinds))
        self.sibling_j = rng.choice(others)
        if self.max_rt_ms is not None or paced_extra:
            self.sibling_j = None

    def options(self):
        o = ["-t", "%dms" % self.t_ms]
        if self.c is not None:
            o += ["-c", str(self.c)]
        if self.rate is not None:
            o += ["--rate", str(self.rate)]
        if self.m:
            o.append("-m")
        if self.seq:
            o.append("--sequential")
        if self.r:
            o += ["-r", str(self.r)]
        if self.at_ms is not None:
            o += ["--attempt-timeout", "%dms" % self.at_ms]
        if self.delay_ms is not None:
            o += ["--attempt-delay", "%dms" % self.delay_ms]
        if self.ordered:
            o.append("--ordered")
        if self.max_rt_ms is not None:
            o += ["--max-runtime", "%dms" % self.max_rt_ms]
        if self.stats:
            o.append("-s")
        o += self.talk
        pins = []
        for k in self.kinds:
            for p in k.pins:
                if p not in pins:
                    pins.append(p)
        for p in pins:
            o += ["--resolve", p]
        return o

    def describe(self):
        return "seed %s case %d (%s)" % (self.seed, self.index, self.focus)

    def replay(self):
        return "scripts/combos%s --seed %s --case %d" % (
            "" if self.long_matrix else " --short", self.seed, self.index)


# --- running --------------------------------------------------------------

class Outcome:
    """One run of a case: argv, exit status, output, connect log."""

    def __init__(self, case, j, fmt, world, workdir):
        self.case = case
        self.j = j
        self.fmt = fmt
        text = self.targets = "".join(k.line + "\n" for k in case.kinds)
        args = ["--resolver", world.dns.resolver, "-j", str(j), "-f", fmt]
        args += case.options()
        tag = "c%d-j%d-%s" % (case.index, j, fmt)
        self.label = "-"
        if case.from_file:
            # One file per case: both runs' records carry the same label.
            path = os.path.join(workdir, "targets-c%d" % case.index)
            with open(path, "w") as fp:
                fp.write(text)
            args.append(path)
            self.label = path
            text = ""
        self.connect_log = None
        env = dict(os.environ)
        shim = connect_log_shim()
        if shim is not None:
            self.connect_log = os.path.join(workdir, "connects-%s" % tag)
            if os.path.exists(self.connect_log):
                os.unlink(self.connect_log)
            env["LD_PRELOAD"] = shim
            env["APTEST_CONNECT_LOG"] = self.connect_log
            if sanitized():
                # The shim is not the ASan runtime; let it come first.
                env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                                       ":verify_asan_link_order=0").lstrip(":")
        self.run = aptest.run(args, text, timeout=60, env=env)
        self.argv = self.run.argv

    def argv_text(self):
        """The command line, as a shell would take it, with its input."""
        s = " ".join(shlex.quote(a) for a in self.argv)
        if self.label == "-":
            return s + " <<'EOF'\n" + self.targets + "EOF"
        return ("%s\n  where %s holds:\n%s" %
                (s, self.label, self.targets.rstrip("\n")))

    def connects(self):
        """Monotonic seconds of each logged connect(), sorted."""
        if self.connect_log is None:
            return None
        try:
            with open(self.connect_log) as fp:
                lines = fp.read().splitlines()
        except FileNotFoundError:
            return []
        return sorted(int(l.split()[0]) / 1e9 for l in lines if l.strip())


def sanitized():
    return bool(os.environ.get("APTEST_SANITIZED", "").strip())


def connect_log_shim():
    path = os.environ.get("APTEST_CONNECT_LOG_SO")
    if not path:
        for cand in (os.path.join(aptest.TOP, "build", "tests",
                                  "connect-log.so"),
                     os.path.join(aptest.TOP, "tests", "connect-log.so")):
            if os.path.exists(cand):
                path = cand
                break
    if not path or not os.path.exists(path):
        return None
    return path


# --- parsing --------------------------------------------------------------

def _num(v):
    if v is None or v == "":
        return None
    return float(v)


def parse_records(fmt, out):
    """json and csv: a list of dicts with the json keys (csv's attempts
    as None: it has no durations)."""
    if fmt == "json":
        return aptest.json_lines(out)
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    recs = []
    for x in rows:
        recs.append({
            "target": x["target"], "host": x["host"],
            "port": int(x["port"]) if x["port"] else None,
            "status": x["status"], "ip": x["ip"] or None,
            "rtt_ms": _num(x["rtt_ms"]),
            "elapsed_ms": _num(x["elapsed_ms"]),
            "errno": x["errno"] or None, "error": x["error"] or None,
            "addresses": int(x["addresses"]),
            "degraded": x["degraded"] == "true", "line": x["line"],
            # An empty field is both "no banner" and "an empty one".
            "banner": x["banner"],
            "timestamp": x["timestamp"], "attempts": None,
            "csv_attempts": x["attempts"]})
    return recs


STATUS_RE = "|".join(aptest.STATUSES)
TEXT_ROW = re.compile(r"^(.*?)\s+(%s)\s+(\S+)\s+(\S+)(?:\s+(.*))?$"
                      % STATUS_RE)


def parse_text(out):
    """text: [(host:port column, status)], the header skipped."""
    rows = []
    for l in out.splitlines():
        if not l.strip() or l.startswith("TARGET "):
            continue
        m = TEXT_ROW.match(l)
        rows.append((m.group(1), m.group(2)) if m else (l, None))
    return rows


def parse_prom(out):
    totals = {}
    success = 0
    for l in out.splitlines():
        m = re.match(r'^asyncprobe_targets\{status="(\w+)"[^}]*\} (\d+)$', l)
        if m:
            totals[m.group(1)] = int(m.group(2))
        if l.startswith("probe_success{"):
            success += 1
    return totals, success


def parse_nagios(out):
    """(code word, down, total, {status: count}) of the status line."""
    first = out.splitlines()[0] if out else ""
    m = re.match(r"^ASYNCPROBE (\w+) - (?:(\d+)/(\d+) targets down|"
                 r"no targets)(?: \(([^)]*)\))?", first)
    if not m:
        return None
    counts = {}
    for part in (m.group(4) or "").split(", "):
        if part:
            st, n = part.rsplit(" ", 1)
            counts[st] = int(n)
    total = int(m.group(3)) if m.group(3) else 0
    down = int(m.group(2)) if m.group(2) else 0
    # "N/M targets down" counts neither invalid lines (said after it, as
    # ", K invalid lines") nor, among the down, the cancelled (", C
    # cancelled"): unknown is not down.
    cancelled = re.search(r", (\d+) cancelled", first)
    invalid = re.search(r", (\d+) invalid lines?", first)
    counts["cancelled"] = int(cancelled.group(1)) if cancelled else 0
    counts["invalid"] = int(invalid.group(1)) if invalid else 0
    counts["connected"] = total - down - counts["cancelled"]
    total += counts["invalid"]
    return m.group(1), down, total, counts


# --- invariants -----------------------------------------------------------

class Violation:
    def __init__(self, name, detail):
        self.name = name
        self.detail = detail


SHAVE_S = 0.002         # timestamp ms rounding, each end of an interval
IDLE_GAP_S = 0.150      # a free slot this long while a target waits
RESOURCE_ERRNOS = {"EMFILE", "ENFILE", "ENOBUFS", "EADDRNOTAVAIL",
                   "EADDRINUSE"}


def expected_targets(case, label):
    """[(line label, port, kind)] in input order."""
    out = []
    for i, k in enumerate(case.kinds, 1):
        for p in k.ports:
            out.append(("%s:%d" % (label, i), p, k))
    return out


def idle_gaps(intervals, cap, starts, gap):
    """Stretches of at least gap seconds, before some target's start, in
    which fewer than cap intervals were open.  [(from, to, open, start)]"""
    if not starts:
        return []
    first, last = min(starts), max(starts)
    ev = [(first, 0)]
    for a, b in intervals:
        ev.append((a, 1))
        ev.append((b, -1))
    ev.sort(key=lambda e: (e[0], -e[1]))
    found = []
    cur = 0
    low_since = None
    for t, d in ev:
        if t > last:
            break
        if low_since is not None and t - low_since >= gap and t >= first:
            waiting = [s for s in starts if s >= t - 1e-9]
            if waiting:
                found.append((low_since, t, cur, min(waiting)))
        cur += d
        low_since = t if cur < cap else None
    return found


def max_in_window(times, width):
    best = 0
    j = 0
    at = None
    for i in range(len(times)):
        while times[i] - times[j] >= width:
            j += 1
        if i - j + 1 > best:
            best, at = i - j + 1, times[j]
    return best, at


def expected_rc(statuses, fmt):
    if fmt == "nagios":
        if not statuses:
            return 3
        down = sum(1 for s in statuses if s not in ("connected", "invalid"))
        if down >= 1:           # default --crit-down 1
            return 2
        return 3 if "invalid" in statuses else 0
    if "invalid" in statuses:
        return 3
    if "unresolved" in statuses:
        return 2
    if not statuses or any(s != "connected" for s in statuses):
        return 1
    return 0


class Checker:
    def __init__(self, case, world, outcome):
        self.case = case
        self.world = world
        self.o = outcome
        self.v = []

    def bad(self, name, fmt, *args):
        self.v.append(Violation(name, fmt % args if args else fmt))

    def check(self):
        run = self.o.run
        if run.rc == 4 or "Sanitizer" in run.err or "runtime error" in run.err:
            self.bad("clean-exit", "system failure or sanitizer report: rc "
                     "%d\n%s",
                     run.rc, run.err[-2000:])
        fmt = self.o.fmt
        if fmt in ("json", "csv"):
            try:
                recs = parse_records(fmt, run.out)
            except (ValueError, KeyError, AssertionError) as e:
                self.bad("records", "unparsable %s output: %s", fmt, e)
                return self.v
            self.records = recs
            self.check_records(recs)
        elif fmt == "text":
            self.check_text(parse_text(run.out))
        elif fmt == "prom":
            self.check_prom(*parse_prom(run.out))
        else:
            self.check_nagios(parse_nagios(run.out))
        self.check_rate()
        return self.v

    # -- records, json and csv --

    def group(self, recs):
        exp = expected_targets(self.case, self.o.label)
        want = collections.OrderedDict()
        for line, port, kind in exp:
            want[(line, port)] = kind
        got = collections.OrderedDict((k, []) for k in want)
        for r in recs:
            port = None if r["status"] == "invalid" else r["port"]
            key = (r["line"], port)
            if key not in got:
                self.bad("records", "record for no input target: %s",
                         json.dumps(r))
                continue
            got[key].append(r)
        return want, got

    def check_records(self, recs):
        c = self.case
        want, got = self.group(recs)
        for key, kind in want.items():
            rs = got[key]
            self.check_count(key, kind, rs)
        for r in recs:
            self.check_one(r)
        self.check_exit([r["status"] for r in recs])
        self.check_inflight(got)
        if c.ordered:
            self.check_ordered(recs)
        if c.seq:
            self.check_sequential(got)

    def check_count(self, key, kind, rs):
        c = self.case
        where = "%s port %s (%s)" % (key[0], key[1], kind.line)
        if kind.invalid or kind.nx or not c.m or kind.addrs is None:
            if len(rs) != 1:
                self.bad("records", "%s: %d records, want 1: %s", where,
                         len(rs), [r["status"] for r in rs])
            elif kind.invalid and rs[0]["status"] != "invalid":
                self.bad("records", "%s: status %s, want invalid", where,
                         rs[0]["status"])
            return
        ips = sorted(r["ip"] or "-" for r in rs)
        if (c.max_rt_ms is not None and len(rs) == 1 and
                rs[0]["status"] == "cancelled" and rs[0]["ip"] is None):
            return              # cancelled before it resolved
        if ips != sorted(kind.addrs):
            self.bad("records", "%s with -m: records for %s, want one "
                     "for each of %s (statuses %s)", where, ips,
                     sorted(kind.addrs), [r["status"] for r in rs])

    def peer_of(self, r):
        if r["ip"] is None or r["port"] is None:
            return None
        return self.world.peer.get((r["ip"], r["port"]))

    def check_one(self, r):
        c = self.case
        t = c.t_ms
        st = r["status"]
        el = r["elapsed_ms"]
        atts = r["attempts"]
        desc = json.dumps(r)
        # deadline
        if st == "timeout" and el is not None and el < t:
            # --attempt-timeout may end every attempt before -t; csv
            # shows no attempt times, so there the record's own time
            # must hold one whole attempt at least.
            capped = c.at_ms is not None and (
                (atts is None and el >= c.at_ms) or
                (bool(atts) and all(a["errno"] == "ETIMEDOUT" and
                                    a["ms"] >= c.at_ms for a in atts)))
            if not capped:
                self.bad("deadline", "timeout with elapsed_ms %.3f < -t "
                         "%d: %s", el, t, desc)
        if atts is not None:
            # attempt-timeout
            for a in atts:
                if (a["errno"] == "ETIMEDOUT" and c.at_ms is not None and
                        a["ms"] < c.at_ms and el < t):
                    self.bad("attempt-timeout", "ETIMEDOUT attempt of "
                             "%.3f ms < --attempt-timeout %d before the "
                             "deadline: %s", a["ms"], c.at_ms, desc)
            # retries
            per_ip = collections.defaultdict(list)
            for a in atts:
                per_ip[a["ip"]].append(a["errno"])
            for ip, errs in per_ip.items():
                if len(errs) > c.r + 1:
                    self.bad("retries", "%d attempts on %s with -r %d: %s",
                             len(errs), ip, c.r, desc)
                for e in errs[:-1]:
                    if e != "ETIMEDOUT" and e not in RESOURCE_ERRNOS:
                        self.bad("retries", "%s retried after %s: %s", ip,
                                 e or "connecting", desc)
                        break
            # addresses
            distinct = len(set(a["ip"] for a in atts))
            if r["addresses"] != distinct:
                self.bad("addresses", "addresses %d, but %d distinct "
                         "addresses tried: %s", r["addresses"], distinct,
                         desc)
        self.check_talk(r, desc)
        # A connect comes before its round's deadline; -r rounds are -t
        # each, and a retry may connect where the first round timed out.
        rounds_t = t * (c.r + 1)
        if st == "connected" and el is not None and el >= rounds_t:
            self.bad("streamed", "connected record with elapsed_ms %.3f "
                     ">= %d (-t %d, -r %d): held, not written when it "
                     "connected: %s", el, rounds_t, t, c.r, desc)

    def check_talk(self, r, desc):
        c = self.case
        st = r["status"]
        peer = self.peer_of(r)
        talk = c.talk
        if "--expect" in talk and st in ("connected", "mismatch"):
            text = talk[talk.index("--expect") + 1]
            said = ""
            if peer == "talk":
                said = GREETING.decode()
                if "--send" in talk:
                    said += "PING\r\n"
            want = "connected" if text in said else "mismatch"
            if st != want:
                self.bad("talk", "--expect %r to a %s peer that says %r: "
                         "%s, want %s: %s", text, peer, said, st, want,
                         desc)
        banner = [a for a in talk if a.startswith("--banner")]
        csv_row = r["attempts"] is None     # banner "" may be null there
        if st == "connected":
            if not banner:
                if r["banner"] is not None and not (csv_row and
                                                    r["banner"] == ""):
                    self.bad("talk", "a banner without --banner: %s", desc)
            else:
                n = 256
                if "=" in banner[0]:
                    n = int(banner[0].split("=")[1])
                want = GREETING.decode()[:n] if peer == "talk" else ""
                want = want.rstrip("\r\n")
                got = r["banner"]
                if got is None or not got.startswith(want) or \
                        (peer != "talk" and got != ""):
                    self.bad("talk", "%s: banner %r, want %r from the %s "
                             "peer: %s", banner[0], got, want, peer, desc)

    def check_exit(self, statuses):
        want = expected_rc(statuses, self.o.fmt)
        if self.o.run.rc != want:
            tally = collections.Counter(statuses)
            self.bad("exit", "exit status %d, the records (%s) give %d",
                     self.o.run.rc, dict(tally), want)

    def intervals(self, got, per_address=False):
        """{key: (start, end)} of each started target, by its records;
        per_address: of each record instead (with -m every address's
        record spans from its target's start)."""
        out = {}
        for key, rs in got.items():
            if per_address:
                for i, r in enumerate(rs):
                    sub = self.intervals({key + (i,): [r]})
                    out.update(sub)
                continue
            spans = []
            for r in rs:
                if r["status"] == "invalid" or r["elapsed_ms"] is None:
                    continue
                if r["status"] == "cancelled" and not r["addresses"]:
                    continue    # maybe never started: no claim
                spans.append(aptest.span(r))
            if spans:
                out[key] = (min(s for s, _ in spans), max(e for _, e in spans))
        return out

    def check_inflight(self, got):
        c = self.case
        iv = self.intervals(got)
        if c.c is not None:
            shaved = [(a + SHAVE_S, b - SHAVE_S) for a, b in iv.values()]
            peak, at = aptest.max_overlap(shaved)
            if peak > c.c:
                t0 = min(a for a, _ in iv.values())
                self.bad("in-flight", "%d targets in flight at once with "
                         "-c %d (%.3f s into the run)", peak, c.c, at - t0)
        # A target waits only for a slot: not for the pacer (--rate), the
        # reorder window (--ordered) or after --max-runtime.  With -m the
        # busy time is counted per address: whether -c counts an address
        # or a target, a gap found so is a free slot.
        ntargets = len(iv)
        if (c.c is not None and c.rate is None and ntargets > c.c and
                c.max_rt_ms is None and not c.ordered):
            busy = self.intervals(got, per_address=True) if c.m else iv
            grown = [(a - SHAVE_S, b + SHAVE_S) for a, b in busy.values()]
            starts = [a for a, _ in iv.values()]
            gaps = idle_gaps(grown, c.c, starts, IDLE_GAP_S)
            if gaps:
                a, b, n, s = gaps[0]
                t0 = min(starts)
                self.bad("slots-idle", "only %d of -c %d slots busy for "
                         "%.0f ms (%.3f-%.3f s into the run) while a target "
                         "waited (started at %.3f s)", n, c.c,
                         (b - a) * 1000, a - t0, b - t0, s - t0)

    def check_ordered(self, recs):
        order = {}
        for i, (line, port, _) in enumerate(
                expected_targets(self.case, self.o.label)):
            order.setdefault((line, port), i)
        prev = -1
        for r in recs:
            port = None if r["status"] == "invalid" else r["port"]
            i = order.get((r["line"], port), prev)
            if i < prev:
                self.bad("ordered", "--ordered: %s port %s written after a "
                         "later input target", r["line"], port)
                return
            prev = i

    def check_sequential(self, got):
        c = self.case
        for key, rs in got.items():
            if any(r["attempts"] is None for r in rs) or len(rs) == 0:
                continue
            # With -m each address is a target of its own, whose record's
            # elapsed_ms counts from its own start: judge each record.
            groups = [[r] for r in rs] if c.m else [rs]
            for g in groups:
                self.check_attempts_fit(key, g)
            # -m: an address's record spans its own start to its verdict,
            # and one address starts only when the one before is done.
            if c.m and len(rs) > 1:
                spans = []
                for r in rs:
                    if not r["attempts"]:
                        continue
                    start, end = aptest.span(r)
                    spans.append((start + 0.003, end - 0.003, r["ip"]))
                peak, at = aptest.max_overlap([(a, b) for a, b, _ in spans])
                if peak > 1:
                    self.bad("sequential", "-m --sequential: %d addresses "
                             "of %s port %s probed at once", peak, key[0],
                             key[1])

    def check_attempts_fit(self, key, rs):
        """--sequential: the attempts of rs (one target's records) one
        after another add up to no more than their elapsed_ms."""
        total = sum(a["ms"] for r in rs for a in r["attempts"])
        natt = sum(len(r["attempts"]) for r in rs)
        el = max(r["elapsed_ms"] for r in rs)
        if total > el + 1.0 * natt + 1.0:
            self.bad("sequential", "--sequential: attempts of %s port "
                     "%s last %.1f ms in all, within %.1f ms: they "
                     "overlapped: %s", key[0], key[1], total, el,
                     [(r["ip"], r["status"], [a["ms"] for a in
                                              r["attempts"]])
                      for r in rs])

    # -- the other formats: counts and exit status --

    def count_range(self):
        lo = hi = 0
        for _, _, k in expected_targets(self.case, self.o.label):
            if self.case.m and k.addrs is not None and not k.nx:
                hi += len(k.addrs)
                lo += 1 if self.case.max_rt_ms is not None else len(k.addrs)
            else:
                lo += 1
                hi += 1
        return lo, hi

    def check_total(self, n, what):
        lo, hi = self.count_range()
        if not lo <= n <= hi:
            self.bad("records", "%s: %d records, want %s", what, n,
                     lo if lo == hi else "%d..%d" % (lo, hi))

    def check_text(self, rows):
        self.check_total(len(rows), "text")
        bad = [r for r in rows if r[1] is None]
        if bad:
            self.bad("records", "unparsable text rows: %r", bad[:3])
        self.tally = collections.Counter(s for _, s in rows)
        self.check_exit([s for _, s in rows if s])

    def check_prom(self, totals, success):
        # probe_success series are per label set, and lines repeat here:
        # the totals are what counts the records.
        n = sum(totals.values())
        self.check_total(n, "prom asyncprobe_targets")
        self.tally = collections.Counter(
            {k: v for k, v in totals.items() if v})
        self.check_exit(list(self.tally.elements()))

    def check_nagios(self, parsed):
        if parsed is None:
            self.bad("records", "nagios: no status line: %r",
                     self.o.run.out[:200])
            return
        _, _, total, counts = parsed
        self.check_total(total, "nagios")
        self.tally = collections.Counter(
            {k: v for k, v in counts.items() if v})
        self.check_exit(list(self.tally.elements()))

    # -- the connect log --

    def check_rate(self):
        c = self.case
        times = self.o.connects()
        if times is None or c.rate is None:
            return
        peak, at = max_in_window(times, 1.0)
        limit = c.rate + 1 + -(-c.rate * 2 // 100)
        if peak > limit:
            self.bad("rate", "%d connect() calls in one second (from %.3f "
                     "s into the run) with --rate %d (allowed %d)", peak,
                     at - times[0], c.rate, limit)
        if c.keepup and times:
            npaced = sum(len(k.ports) for k in c.kinds if not k.invalid)
            span = times[-1] - times[0]
            bound = 1.25 * (npaced - 1) / c.rate + 0.3
            if span > bound:
                self.bad("rate-keeps-up", "%d connects took %.2f s with "
                         "--rate %d and room for every target (at most "
                         "%.2f s for %d paced targets)", len(times), span,
                         c.rate, bound, npaced)


def record_keys(recs, m):
    """(line, port, status, errno) of each record; with -m the ip too, as
    it tells the records of one target apart.  Without -m the winner's ip
    is left out: a late AAAA answer may change which address wins, never
    the verdict."""
    return collections.Counter(
        (r["line"], None if r["status"] == "invalid" else r["port"],
         r["ip"] if m else None, r["status"], r["errno"]) for r in recs)


def compare_jobs(primary, pchk, sibling, schk):
    """Violations of `jobs` between a case's two runs."""
    out = []
    if primary.fmt in ("json", "csv"):
        a = record_keys(pchk.records, primary.case.m)
        b = record_keys(schk.records, primary.case.m)
        if a != b:
            only_a = sorted((a - b).elements(), key=str)[:6]
            only_b = sorted((b - a).elements(), key=str)[:6]
            out.append(Violation("jobs", "records differ between -j %d "
                                 "and -j %d: only -j %d: %s; only -j %d: "
                                 "%s" % (primary.j, sibling.j, primary.j,
                                         only_a, sibling.j, only_b)))
        return out
    tally = getattr(pchk, "tally", None)
    if tally is None or not hasattr(schk, "records"):
        return out
    other = collections.Counter(r["status"] for r in schk.records)
    if tally != other:
        out.append(Violation("jobs", "status counts differ between -j %d "
                             "(%s) and -j %d (json): %s vs %s"
                             % (primary.j, primary.fmt, sibling.j,
                                dict(tally), dict(other))))
    return out


# --- the matrix -----------------------------------------------------------

class Failure:
    """The violations of one run, with what replays it."""

    PER_INVARIANT = 3       # details shown per invariant; the rest counted

    def __init__(self, case, outcome, violations):
        self.case = case
        self.outcome = outcome
        self.violations = violations

    def names(self):
        return sorted(set(v.name for v in self.violations))

    def text(self):
        r = self.outcome.run
        lines = ["%s, run -j %d -f %s: rc %d, %.2f s; violated: %s"
                 % (self.case.describe(), self.outcome.j, self.outcome.fmt,
                    r.rc, r.elapsed, ", ".join(self.names())),
                 "  replay: " + self.case.replay(),
                 "  argv: " + self.outcome.argv_text()]
        shown = collections.Counter()
        for v in self.violations:
            shown[v.name] += 1
            if shown[v.name] <= self.PER_INVARIANT:
                d = v.detail if len(v.detail) <= 700 else \
                    v.detail[:700] + "..."
                lines.append("  invariant %s: %s" % (v.name, d))
        for name, n in sorted(shown.items()):
            if n > self.PER_INVARIANT:
                lines.append("  invariant %s: %d more" %
                             (name, n - self.PER_INVARIANT))
        err = r.err.strip()
        if err:
            lines.append("  stderr: " + err[-400:].replace("\n",
                                                           "\n    "))
        return "\n".join(lines)


def run_case(case, world, workdir):
    """Run a case (and its sibling); return ([Failure], runs made)."""
    fails = []
    primary = Outcome(case, case.j, case.fmt, world, workdir)
    pchk = Checker(case, world, primary)
    pv = pchk.check()
    runs = 1
    if case.sibling_j is not None:
        sibling = Outcome(case, case.sibling_j, "json", world, workdir)
        schk = Checker(case, world, sibling)
        sv = schk.check() + compare_jobs(primary, pchk, sibling, schk)
        if sv:
            fails.append(Failure(case, sibling, sv))
        runs += 1
    if pv:
        fails.insert(0, Failure(case, primary, pv))
    return fails, runs


def run_matrix(seed, cases, long_matrix=False, out=None, netns=False,
               only=None):
    """Run the cases (a count, or the one index `only`); returns a dict
    for JSON: failures (texts), violated (invariant -> first replay),
    runs, cases."""
    world = World(netns=netns)
    workdir = aptest.tmpdir()
    failures = []
    runs = 0
    indices = [only] if only is not None else range(cases)
    try:
        for i in indices:
            case = Case(seed, i, world, long_matrix)
            t0 = time.monotonic()
            fails, n = run_case(case, world, workdir)
            runs += n
            failures += fails
            if out is not None:
                names = sorted(set(n for f in fails for n in f.names()))
                out.write("case %d: %d run(s), %.1f s, %s\n"
                          % (i, n, time.monotonic() - t0,
                             "violated: " + ", ".join(names) if names
                             else "ok"))
                for f in fails:
                    out.write(f.text() + "\n")
                out.flush()
    finally:
        world.stop()
        aptest.stop_peers()
    violated = collections.OrderedDict()
    for f in failures:
        for n in f.names():
            violated.setdefault(n, "%s (-j %d -f %s)" % (
                f.case.replay(), f.outcome.j, f.outcome.fmt))
    return {"failures": [f.text() for f in failures], "runs": runs,
            "cases": len(indices), "violated": violated, "netns": netns,
            "v6": world.v6, "shim": connect_log_shim() is not None}


def netns_setup():
    """In a fresh `unshare -rn` namespace: check it holds only lo, then
    bring lo up and add the policy rules.  Returns an error or None."""
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True,
                           text=True, timeout=10).stdout.splitlines()
    names = [l.split(":")[1].strip().split("@")[0] for l in links if l]
    if names != ["lo"]:
        return "namespace holds %s, not only lo: not sending" % names
    cmds = ["ip link set lo up"] + NETNS_RULES
    for cmd in cmds:
        p = subprocess.run(cmd.split(), capture_output=True, text=True,
                           timeout=10)
        if p.returncode != 0:
            return "%s: %s" % (cmd, p.stderr.strip())
    return None


def inner(seed, cases, long_matrix, only=None, out=None):
    """The netns side of in_netns(): set up, run, return the summary."""
    err = netns_setup()
    if err:
        return {"skip": err}
    only = None if only in (None, "", "None") else int(only)
    return run_matrix(seed, int(cases), long_matrix in (True, "1"), out=out,
                      netns=True, only=only)
