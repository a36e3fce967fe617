# SPDX-License-Identifier: ISC
"""A simulated WAN for the tests: three network namespaces joined by veth
pairs, built inside the private namespace of aptest.in_netns() (which is
the scanner's), so nothing of it can reach the host's network.

    scanner s0 ==== r0 router r1 ==== h0 hosts
    198.18.0.2      198.18.0.1        198.18.1.1    198.18.1.2
    fd00:a::2       fd00:a::1         fd00:b::1     fd00:b::2

The hosts namespace answers for every address of 198.18.2.0/24 and
fd00:c::/64 (local routes on lo: many addresses, one listener on PORT),
and 198.18.4.0/22, behind a link that loses what set_loss() says.
The router forwards them and stands for the network in between: iptables
REJECT rules with each ICMP message, DROP, tcp-reset, a TTL of 1 (time
exceeded), a prefix it has no route for, and a neighbour that never
answers ARP or neighbour solicitation.  Only 198.18.0.0/15 and fd00::/8
are used, on these links only.

Wan(delay_ms=D) puts a fourth namespace between the scanner and the
router, a bridge with no address (DELAYER) that holds each frame D ms
each way: s0 ==== d0 delay d1 ==== r0.

The router and hosts namespaces are held by `unshare -n sleep` processes:
they go when those processes end (teardown()), or with the outer
namespace at the latest."""

import os
import signal
import socket
import subprocess
import time

PORT = 8080             # the hosts' listener
CLOSED_PORT = 8081      # nothing listens: the hosts reset

LIFETIME_S = 120        # a namespace holder never outlives this

ROUTER = "198.18.0.1"           # the sender of every ICMP message
ROUTER6 = "fd00:a::1"
BURST_PREFIX = "198.18.2.128/26"    # host-unreachable (the rate limit)
BURST_N = 64
BURST_ADDRS = ["198.18.2.%d" % (128 + i) for i in range(BURST_N)]
OPEN_ADDRS = ["198.18.2.%d" % i for i in range(32, 48)]  # one listener
# Open too, behind a lossy link: the router drops each packet to or from
# this prefix with the probability set_loss() gives (iptables statistic;
# this kernel has no netem).
LOSS_PREFIX = "198.18.4.0/22"
LOSS_ADDRS = ["198.18.%d.%d" % (4 + i // 256, i % 256)
              for i in range(1, 1023)]

# Destination, then the router's iptables FORWARD rule for TCP to it
# (None: none, forwarded to the listener).

V4 = [
    ("198.18.2.1", None),
    ("198.18.2.10", "-j REJECT --reject-with icmp-net-unreachable"),
    ("198.18.2.11", "-j REJECT --reject-with icmp-host-unreachable"),
    ("198.18.2.12", "-j REJECT --reject-with icmp-port-unreachable"),
    ("198.18.2.13", "-j REJECT --reject-with icmp-proto-unreachable"),
    ("198.18.2.14", "-j REJECT --reject-with icmp-net-prohibited"),
    ("198.18.2.15", "-j REJECT --reject-with icmp-host-prohibited"),
    ("198.18.2.16", "-j REJECT --reject-with icmp-admin-prohibited"),
    ("198.18.2.17", "-j DROP"),
    ("198.18.2.18", "-j REJECT --reject-with tcp-reset"),
    # Many targets behind one router that answers each with an ICMP
    # message: with its rate limit on, most of them go unanswered.
    (BURST_PREFIX, "-j REJECT --reject-with icmp-host-unreachable"),
]
V6 = [
    ("fd00:c::1", None),
    ("fd00:c::10", "-j REJECT --reject-with icmp6-no-route"),
    ("fd00:c::11", "-j REJECT --reject-with icmp6-addr-unreachable"),
    ("fd00:c::12", "-j REJECT --reject-with icmp6-port-unreachable"),
    ("fd00:c::16", "-j REJECT --reject-with icmp6-adm-prohibited"),
    ("fd00:c::1a", "-j REJECT --reject-with icmp6-policy-fail"),
    ("fd00:c::1b", "-j REJECT --reject-with icmp6-reject-route"),
    ("fd00:c::17", "-j DROP"),
    ("fd00:c::18", "-j REJECT --reject-with tcp-reset"),
]
TTL1_V4 = "198.18.2.19"         # the router sees TTL 1: time exceeded
TTL1_V6 = "fd00:c::19"
NOROUTE_V4 = "198.18.9.1"       # the router has no route there
NOROUTE_V6 = "fd00:9::1"
DEAD_V4 = "198.18.1.99"         # on the router's hosts link, no one
DEAD_V6 = "fd00:b::99"
DEAD_LOCAL_V4 = "198.18.0.77"       # on the scanner's own link, no one
DEAD_LOCAL_V6 = "fd00:a::77"


class WanError(Exception):
    pass


def sh(argv, ns=None, check=True):
    """Run argv, in the namespace held by pid ns when given."""
    if ns is not None:
        argv = ["nsenter", "-t", str(ns), "-n"] + argv
    p = subprocess.run(argv, capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise WanError("%s: %s" % (" ".join(argv),
                                   p.stderr.decode(errors="replace")))
    return p.stdout.decode()


def sysctl(ns, key, value):
    path = "/proc/sys/" + key.replace(".", "/")
    sh(["sh", "-c", "echo '%s' > %s" % (value, path)], ns)


def links(ns=None):
    """The interface names of a namespace."""
    names = []
    for line in sh(["ip", "-o", "link", "show"], ns).splitlines():
        name = line.split(":", 2)[1].strip().split("@", 1)[0]
        names.append(name)
    return sorted(names)


class Wan:
    def __init__(self, ratelimit=False, delay_ms=0):
        """delay_ms: put a bridge namespace between the scanner and the
        router that holds every frame that long, each way (DELAYER)."""
        self.holders = []
        self.listener = None
        self.delayer = None
        try:
            self._build(ratelimit, delay_ms)
        except BaseException:
            self.teardown()
            raise

    def _holder(self):
        p = subprocess.Popen(["unshare", "-n", "sleep", str(LIFETIME_S)],
                             stdin=subprocess.DEVNULL)
        self.holders.append(p)
        # Wait until the child is in its own namespace.
        mine = os.readlink("/proc/self/ns/net")
        for _ in range(200):
            try:
                if os.readlink("/proc/%d/ns/net" % p.pid) != mine:
                    return p.pid
            except OSError:
                pass
            time.sleep(0.01)
        raise WanError("namespace holder did not start")

    def _build(self, ratelimit, delay_ms):
        # The scanner namespace (ours) must be the fresh one in_netns()
        # made: only lo, so no route can lead anywhere else.
        if links() != ["lo"]:
            raise WanError("scanner namespace is not empty: %s" % links())
        self.router = r = self._holder()
        self.hosts = h = self._holder()
        d = self._holder() if delay_ms else None
        for ns in (r, h, d):
            if ns is not None and links(ns) != ["lo"]:
                raise WanError("new namespace is not empty: %s" % links(ns))
        if d is None:
            sh(["ip", "link", "add", "s0", "type", "veth", "peer", "name",
                "r0", "netns", str(r)])
        else:
            #   scanner s0 ==== d0 delay d1 ==== r0 router
            sh(["ip", "link", "add", "s0", "type", "veth", "peer", "name",
                "d0", "netns", str(d)])
            sh(["ip", "link", "add", "d1", "type", "veth", "peer", "name",
                "r0", "netns", str(r)], d)
        sh(["ip", "link", "add", "r1", "type", "veth", "peer", "name", "h0",
            "netns", str(h)], r)
        # Before any address exists: every namespace holds lo and our
        # links, nothing else.
        want = {None: ["lo", "s0"], r: ["lo", "r0", "r1"], h: ["h0", "lo"]}
        if d is not None:
            want[d] = ["d0", "d1", "lo"]
        for ns, names in want.items():
            if links(ns) != names:
                raise WanError("namespace %s holds %s" % (ns, links(ns)))

        # No DAD delays, no router advertisements to wait for.
        for ns in (None, r, h):
            sysctl(ns, "net.ipv6.conf.all.accept_dad", "0")
            sysctl(ns, "net.ipv6.conf.default.accept_dad", "0")
            sh(["ip", "link", "set", "lo", "up"], ns)

        sh(["ip", "addr", "add", "198.18.0.2/24", "dev", "s0"])
        sh(["ip", "addr", "add", "fd00:a::2/64", "dev", "s0", "nodad"])
        sh(["ip", "link", "set", "s0", "up"])
        if d is None:
            # A dead neighbour on this link is given up after one
            # solicitation, 100 ms (too short behind the delay bridge).
            for fam in ("ipv4", "ipv6"):
                sysctl(None, "net.%s.neigh.s0.mcast_solicit" % fam, "1")
                sysctl(None, "net.%s.neigh.s0.retrans_time_ms" % fam, "100")
        else:
            # The bridge has no address and sends nothing of its own: no
            # IPv6 on its links (no link-local, no solicitations).
            for dev in ("d0", "d1"):
                sysctl(d, "net.ipv6.conf.%s.disable_ipv6" % dev, "1")
                sh(["ip", "link", "set", dev, "promisc", "on", "up"], d)
            self.delayer = subprocess.Popen(
                ["nsenter", "-t", str(d), "-n", "python3", "-c", DELAYER,
                 "d0", "d1", str(delay_ms), str(LIFETIME_S)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
            if self.delayer.stdout.readline().strip() != b"ready":
                raise WanError("delay bridge did not start")
        sh(["ip", "route", "add", "198.18.0.0/15", "via", ROUTER])
        sh(["ip", "-6", "route", "add", "fd00::/8", "via", ROUTER6])

        sh(["ip", "addr", "add", "198.18.0.1/24", "dev", "r0"], r)
        sh(["ip", "addr", "add", "fd00:a::1/64", "dev", "r0", "nodad"], r)
        sh(["ip", "addr", "add", "198.18.1.1/24", "dev", "r1"], r)
        sh(["ip", "addr", "add", "fd00:b::1/64", "dev", "r1", "nodad"], r)
        sh(["ip", "link", "set", "r0", "up"], r)
        sh(["ip", "link", "set", "r1", "up"], r)
        sh(["ip", "route", "add", "198.18.2.0/24", "via", "198.18.1.2"], r)
        sh(["ip", "-6", "route", "add", "fd00:c::/64", "via", "fd00:b::2"],
           r)
        sysctl(r, "net.ipv4.ip_forward", "1")
        sysctl(r, "net.ipv6.conf.all.forwarding", "1")
        # A dead neighbour is given up after one solicitation, 100 ms
        # (here and on the scanner's link above).
        for fam in ("ipv4", "ipv6"):
            sysctl(r, "net.%s.neigh.r1.mcast_solicit" % fam, "1")
            sysctl(r, "net.%s.neigh.r1.retrans_time_ms" % fam, "100")
        if not ratelimit:
            # Every message is sent: deterministic verdicts.  (Left on,
            # the router answers one scanner a few times, then about
            # once a second: see test_wan's rate limit case.)
            sysctl(r, "net.ipv4.icmp_ratemask", "0")
            sysctl(r, "net.ipv4.icmp_ratelimit", "0")
            sysctl(r, "net.ipv6.icmp.ratelimit", "0")
            sh(["sh", "-c", "echo > /proc/sys/net/ipv6/icmp/ratemask"], r)
        for addr, rule in V4:
            if rule is not None:
                sh(["iptables", "-A", "FORWARD", "-d", addr, "-p", "tcp"]
                   + rule.split(), r)
        for addr, rule in V6:
            if rule is not None:
                sh(["ip6tables", "-A", "FORWARD", "-d", addr, "-p", "tcp"]
                   + rule.split(), r)
        # The lossy link: its own chain, empty until set_loss(), seen by
        # packets both ways (a lost SYN-ACK costs a retransmission too).
        sh(["ip", "route", "add", LOSS_PREFIX, "via", "198.18.1.2"], r)
        sh(["iptables", "-N", "LOSS"], r)
        sh(["iptables", "-I", "FORWARD", "-d", LOSS_PREFIX, "-j", "LOSS"], r)
        sh(["iptables", "-I", "FORWARD", "-s", LOSS_PREFIX, "-j", "LOSS"], r)
        sh(["iptables", "-t", "mangle", "-A", "PREROUTING", "-d", TTL1_V4,
            "-j", "TTL", "--ttl-set", "1"], r)
        sh(["ip6tables", "-t", "mangle", "-A", "PREROUTING", "-d", TTL1_V6,
            "-j", "HL", "--hl-set", "1"], r)

        sh(["ip", "addr", "add", "198.18.1.2/24", "dev", "h0"], h)
        sh(["ip", "addr", "add", "fd00:b::2/64", "dev", "h0", "nodad"], h)
        sh(["ip", "link", "set", "h0", "up"], h)
        sh(["ip", "route", "add", "198.18.0.0/15", "via", "198.18.1.1"], h)
        sh(["ip", "-6", "route", "add", "fd00::/8", "via", "fd00:b::1"], h)
        # Every address of the prefixes is local: one listener serves all.
        sh(["ip", "route", "add", "local", "198.18.2.0/24", "dev", "lo"], h)
        sh(["ip", "-6", "route", "add", "local", "fd00:c::/64", "dev",
            "lo"], h)
        sh(["ip", "route", "add", "local", LOSS_PREFIX, "dev", "lo"], h)
        self.listener = subprocess.Popen(
            ["nsenter", "-t", str(h), "-n", "python3", "-c", LISTENER,
             str(PORT), str(LIFETIME_S)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        if self.listener.stdout.readline().strip() != b"ready":
            raise WanError("listener did not start")
        # The links are up once a packet crosses each: one connect per
        # family to the plain address.
        for addr in ("198.18.2.1", "fd00:c::1"):
            self.wait_connect(addr)

    def set_loss(self, probability):
        """Drop each packet to or from LOSS_PREFIX with this probability
        (0: none), independently, in both directions."""
        sh(["iptables", "-F", "LOSS"], self.router)
        if probability:
            sh(["iptables", "-A", "LOSS", "-m", "statistic", "--mode",
                "random", "--probability", str(probability), "-j", "DROP"],
               self.router)

    def wait_connect(self, addr):
        deadline = time.monotonic() + 10
        while True:
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(1)
            try:
                s.connect((addr, PORT))
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise WanError("no path to %s" % addr)
                time.sleep(0.1)
            finally:
                s.close()

    def teardown(self):
        for p in (self.listener, self.delayer):
            if p is not None:
                p.kill()
                p.wait()
        self.listener = self.delayer = None
        for p in self.holders:
            p.send_signal(signal.SIGKILL)
            p.wait()
        self.holders = []


# The hosts' listener: accept on every address (dual-stack), close.
LISTENER = r"""
import socket, sys, time, select
port, life = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", port))
s.listen(1024)
print("ready", flush=True)
end = time.monotonic() + life
while time.monotonic() < end:
    r, _, _ = select.select([s], [], [], 1)
    if r:
        c, _ = s.accept()
        c.close()
"""


# The delay bridge: every frame that arrives on one link leaves on the
# other DELAY ms later (a userspace bridge: this kernel has no netem, and
# no qdisc that delays).  The TCP checksum is computed again: the veth
# hands a packet socket the sender's offloaded, partial checksum.
DELAYER = r"""
import heapq, select, socket, struct, sys, time
a_name, b_name = sys.argv[1], sys.argv[2]
delay, life = float(sys.argv[3]) / 1000, float(sys.argv[4])

def fold(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

def tcp_checksum(frame):
    eth = struct.unpack("!H", frame[12:14])[0]
    if eth == 0x0800 and frame[23] == 6:
        off = 14 + (frame[14] & 15) * 4
        end = 14 + struct.unpack("!H", frame[16:18])[0]
        pseudo = frame[26:34] + struct.pack("!BBH", 0, 6, end - off)
    elif eth == 0x86dd and frame[20] == 6:     # no extension headers
        off = 54
        end = off + struct.unpack("!H", frame[18:20])[0]
        pseudo = frame[22:54] + struct.pack("!IxxxB", end - off, 6)
    else:
        return frame
    seg = frame[off:off + 16] + b"\0\0" + frame[off + 18:end]
    c = 0xffff & ~fold(pseudo + seg)
    return frame[:off + 16] + struct.pack("!H", c) + frame[off + 18:]

socks = []
for name in (a_name, b_name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((name, 0))
    s.setblocking(False)
    socks.append(s)
other = {socks[0]: socks[1], socks[1]: socks[0]}
print("ready", flush=True)
queue, seq = [], 0
end = time.monotonic() + life
while time.monotonic() < end:
    now = time.monotonic()
    while queue and queue[0][0] <= now:
        _, _, out, frame = heapq.heappop(queue)
        try:
            out.send(frame)
        except OSError:
            pass
    wait = min(1.0, queue[0][0] - now) if queue else 1.0
    ready, _, _ = select.select(socks, [], [], max(0.0, wait))
    for s in ready:
        while True:
            try:
                frame, addr = s.recvfrom(65536)
            except BlockingIOError:
                break
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            seq += 1
            heapq.heappush(queue, (time.monotonic() + delay, seq, other[s],
                                   tcp_checksum(frame)))
"""
