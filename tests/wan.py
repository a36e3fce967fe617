# SPDX-License-Identifier: ISC
"""A simulated WAN for the tests: three network namespaces joined by veth
pairs, built inside the private namespace of aptest.in_netns() (which is
the scanner's), so nothing of it can reach the host's network.

    scanner s0 ==== r0 router r1 ==== h0 hosts
    198.18.0.2      198.18.0.1        198.18.1.1    198.18.1.2
    fd00:a::2       fd00:a::1         fd00:b::1     fd00:b::2

The hosts namespace answers for every address of 198.18.2.0/24 and
fd00:c::/64 (local routes on lo: many addresses, one listener on PORT).
The router forwards them and stands for the network in between: iptables
REJECT rules with each ICMP message, DROP, tcp-reset, a TTL of 1 (time
exceeded), a prefix it has no route for, and a neighbour that never
answers ARP or neighbour solicitation.  Only 198.18.0.0/15 and fd00::/8
are used, on these links only.

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
    def __init__(self, ratelimit=False):
        self.holders = []
        self.listener = None
        try:
            self._build(ratelimit)
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

    def _build(self, ratelimit):
        # The scanner namespace (ours) must be the fresh one in_netns()
        # made: only lo, so no route can lead anywhere else.
        if links() != ["lo"]:
            raise WanError("scanner namespace is not empty: %s" % links())
        self.router = r = self._holder()
        self.hosts = h = self._holder()
        for ns in (r, h):
            if links(ns) != ["lo"]:
                raise WanError("new namespace is not empty: %s" % links(ns))
        sh(["ip", "link", "add", "s0", "type", "veth", "peer", "name", "r0",
            "netns", str(r)])
        sh(["ip", "link", "add", "r1", "type", "veth", "peer", "name", "h0",
            "netns", str(h)], r)
        # Before any address exists: every namespace holds lo and our
        # links, nothing else.
        want = {None: ["lo", "s0"], r: ["lo", "r0", "r1"], h: ["h0", "lo"]}
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
        for fam in ("ipv4", "ipv6"):
            sysctl(None, "net.%s.neigh.s0.mcast_solicit" % fam, "1")
            sysctl(None, "net.%s.neigh.s0.retrans_time_ms" % fam, "100")
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
        if self.listener is not None:
            self.listener.kill()
            self.listener.wait()
            self.listener = None
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
