# SPDX-License-Identifier: ISC
"""A hostile DNS server (written here, UDP on 127.0.0.1) against the
resolver: truncated and cut packets, oversized answers, wrong transaction
IDs, answers for other names, CNAME chains, garbage, empty packets,
compression pointer loops, huge TTLs, empty NOERROR answers.  For each the
binary must not crash or hang, must exit with a SPEC 6 code, and must write
exactly one well-formed JSON record per target, unresolved or connected
as the packet deserves.  The whole set also runs once under valgrind.

What libevent 2.1's evdns does with these (read from evdns.c
reply_parse()/reply_handle() and checked here):
- it matches a reply to its question by transaction ID, and then requires
  the question section to repeat the asked name exactly (evdns randomizes
  the case of its questions: the 0x20 bit).  A reply with an unknown ID,
  and an empty or shorter-than-a-header packet, is ignored: the question
  stays unanswered until the deadline (ETIMEDOUT).
- a reply with the right ID that does not parse (cut mid-record, a
  pointer loop, a wrong question name, garbage, an A record whose length
  is not a multiple of 4) fails the question with DNS_ERR_UNKNOWN: the
  `DNSERROR` errno.  Such a reply ends the question, so a spoofed
  malformed packet beats the real answer that comes after it.
- the TC bit fails the question with DNS_ERR_TRUNCATED: evdns has no TCP
  fallback and drops the records of a truncated answer.  So asyncprobe
  asks that question once more itself (src/reask.c, src/dnswire.c), over
  UDP to the same server with an EDNS0 OPT record offering 4096 bytes
  (once more without it after FORMERR or NOTIMP), and uses the A/AAAA
  records of that answer, TC or not, following a CNAME chain inside it.
  That re-ask ignores a reply with another ID or question, as evdns does,
  and reads a cut or looping one as no answer.  When it brings no address
  (TC again without records, garbage, no reply within evdns's per-try
  timeout of 2 s) the name is `unresolved` `DNSERROR` with the text
  "DNS answer truncated (TC bit) and no TCP fallback"; a deadline that
  comes first ends it as ETIMEDOUT, as any silent lookup.  The server
  tells the re-ask from evdns's question by the OPT record (evdns 2.1
  sends none).
- answer records are taken by type and class only; their owner names are
  not checked.  So a CNAME chain resolves (the A record of the chain's
  last name is used; CNAMEs are skipped and never queried), and so does
  an A record whose owner is some other name.  A CNAME with no address
  record is NODATA.
- at most 32 A (MAX_V4_ADDRS) and 32 AAAA addresses are kept per answer;
  the read buffer is 1500 bytes, so a bigger datagram is cut, but parsing
  stops at the 32nd address before it reaches the cut.
"""

import json
import os
import random
import shutil
import signal
import socket
import struct
import threading
import time

import aptest

SERVER_LIFETIME = 120.0     # seconds: the thread ends by itself after that

T_A, T_NS, T_CNAME, T_SOA, T_AAAA = 1, 2, 5, 6, 28


def encode_name(name):
    out = b""
    for label in name.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


class Query:
    """The parts of a query the replies need; raw_question keeps the
    asked name's exact case (evdns compares it case-sensitively)."""

    def __init__(self, data):
        self.id, self.flags = struct.unpack(">HH", data[:4])
        i = 12
        labels = []
        while data[i] != 0:
            n = data[i]
            labels.append(data[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        i += 1
        self.qtype, self.qclass = struct.unpack(">HH", data[i:i + 4])
        self.raw_question = data[12:i + 4]
        self.name = ".".join(labels).lower()
        self.first = self.name.split(".")[0]
        # An EDNS0 OPT record (root owner, type 41) after the question:
        # evdns 2.1 never sends one, asyncprobe's re-ask does.
        arcount = struct.unpack(">H", data[10:12])[0]
        opt = data[i + 4:i + 7]
        self.edns = arcount > 0 and opt == b"\0\0\x29"
        self.payload = struct.unpack(">H", data[i + 7:i + 9])[0] \
            if self.edns else 512


def header(q, rcode=0, an=0, ns=0, ar=0, qd=1, flags=0, tid=None):
    # QR, RD copied, RA
    f = 0x8000 | (q.flags & 0x0100) | 0x0080 | flags | rcode
    return struct.pack(">HHHHHH", q.id if tid is None else tid, f, qd, an,
                       ns, ar)


def rr(owner, rtype, rdata, ttl=60):
    """A record; owner is bytes (an encoded name or a pointer)."""
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


PTR_Q = b"\xc0\x0c"         # a pointer to the question's name


def a_rdata(ip):
    return socket.inet_pton(socket.AF_INET, ip)


def aaaa_rdata(ip):
    return socket.inet_pton(socket.AF_INET6, ip)


def answer(q, records, **kw):
    return header(q, an=len(records), **kw) + q.raw_question + \
        b"".join(records)


def addr_rr(q, v4="127.0.0.1", v6="::1", owner=PTR_Q, ttl=60):
    if q.qtype == T_A:
        return [rr(owner, T_A, a_rdata(v4), ttl)]
    if q.qtype == T_AAAA and v6 is not None:
        return [rr(owner, T_AAAA, aaaa_rdata(v6), ttl)]
    return []


# --- the behaviours, by the first label of the asked name ---------------

def b_ok(q):
    return [answer(q, addr_rr(q, v6=None))]


def b_tc(q):
    # TC bit, no records: "ask me over TCP".
    return [header(q, flags=0x0200) + q.raw_question]


def b_tcans(q):
    # TC bit on an answer that holds a usable record, every time: the
    # re-ask's answer carries it too.
    return [answer(q, addr_rr(q, v6=None), flags=0x0200)]


# --- truncated, then asked again with EDNS0 (no OPT: evdns) -------------

def tc_empty(q):
    return header(q, flags=0x0200) + q.raw_question


def b_tcedns(q):
    # 512 bytes without EDNS: TC, no records; the whole answer (a
    # refused address first) to a query offering 4096.
    if not q.edns:
        return [tc_empty(q)]
    if q.payload < 4096 or q.qtype != T_A:
        return [answer(q, [])]
    return [answer(q, [rr(PTR_Q, T_A, a_rdata("127.0.0.2")),
                       rr(PTR_Q, T_A, a_rdata("127.0.0.1"))])]


def b_tcformerr(q):
    # A server that knows no EDNS: FORMERR without a question to the OPT
    # record, a truncated answer holding the address otherwise.
    if q.edns:
        return [struct.pack(">HHHHHH", q.id, 0x8181, 0, 0, 0, 0)]
    return [answer(q, addr_rr(q, v6=None), flags=0x0200)]


def b_tcnx(q):
    # The whole answer to the re-ask: no such name.
    if not q.edns:
        return [tc_empty(q)]
    return [header(q, rcode=3) + q.raw_question]


def b_tcservfail(q):
    # The whole answer to the re-ask: the server failed.
    return [header(q, rcode=2) + q.raw_question if q.edns else tc_empty(q)]


def b_tcnodata(q):
    # The whole answer to the re-ask: the name has no address.
    return [answer(q, []) if q.edns else tc_empty(q)]


def b_tcslow(q):
    # The re-ask is never answered.
    return [] if q.edns else [tc_empty(q)]


def b_tcgarbage(q):
    # The re-ask's answer: its ID and flags, then junk.
    if not q.edns:
        return [tc_empty(q)]
    rng = random.Random(q.qtype + 11)
    return [struct.pack(">HH", q.id, 0x8180) +
            bytes(rng.randrange(256) for _ in range(200))]


def b_tcloop(q):
    # The re-ask's answer: two owner names that point at each other.
    return [b_loopa(q)[0] if q.edns else tc_empty(q)]


def b_tcbadid(q):
    # The re-ask's answer, after one with another ID and another with
    # another question, both for a refused address.
    if not q.edns:
        return [tc_empty(q)]
    other = header(q, an=1) + encode_name("other.test") + \
        struct.pack(">HH", q.qtype, 1)
    return [answer(q, addr_rr(q, v4="127.0.0.2", v6=None), tid=q.id ^ 1),
            other + b"".join(addr_rr(q, v4="127.0.0.2", v6=None)),
            answer(q, addr_rr(q, v6=None))]


def b_tccname(q):
    # The re-ask's answer: a CNAME chain, owners in another case.
    if not q.edns:
        return [tc_empty(q)]
    recs = [rr(PTR_Q, T_CNAME, encode_name("Alias1.test")),
            rr(encode_name("ALIAS1.TEST"), T_CNAME,
               encode_name("alias2.test")),
            rr(encode_name("alias1.test"), T_A, a_rdata("127.0.0.2"))]
    if q.qtype == T_A:
        recs.append(rr(encode_name("aLiAs2.TeSt"), T_A,
                       a_rdata("127.0.0.1")))
    return [answer(q, recs)]


def b_cut(q):
    # Cut in the middle of the answer record's address.
    return [answer(q, addr_rr(q))[:-2]]


def b_cuthdr(q):
    # A header that announces a question and stops.
    return [header(q)]


def b_big(q):
    # 40 A records (> 512 bytes, no EDNS): the listener's address 20th,
    # the others refused loopback addresses.
    if q.qtype != T_A:
        return [answer(q, [])]
    ips = ["127.0.0.%d" % i for i in range(2, 21)] + ["127.0.0.1"] + \
        ["127.0.0.%d" % i for i in range(21, 41)]
    return [answer(q, [rr(PTR_Q, T_A, a_rdata(ip)) for ip in ips])]


def b_huge(q):
    # 120 records: a datagram bigger than evdns's 1500-byte buffer.
    if q.qtype == T_A:
        recs = [rr(PTR_Q, T_A, a_rdata("127.0.0.1"))] + \
            [rr(PTR_Q, T_A, a_rdata("127.0.1.%d" % i)) for i in range(119)]
    else:
        recs = [rr(PTR_Q, T_AAAA, aaaa_rdata("::1"))] * 120
    return [answer(q, recs)]


def b_badid(q):
    return [answer(q, addr_rr(q), tid=q.id ^ 0x5a5a)]


def b_spoofid(q):
    # A wrong-ID answer for a refused address, then the right one.
    return [answer(q, addr_rr(q, v4="127.0.0.2", v6=None), tid=q.id ^ 1),
            answer(q, addr_rr(q, v6=None))]


def b_othername(q):
    # The question section names another name.
    other = header(q, an=1) + encode_name("other.test") + \
        struct.pack(">HH", q.qtype, 1)
    return [other + b"".join(addr_rr(q, v6=None, owner=b"\xc0\x0c"))]


def b_otherowner(q):
    # The right question; the record's owner is another name.
    return [answer(q, addr_rr(q, v6=None, owner=encode_name("evil.test")))]


def b_cname(q):
    # name -> alias1 -> alias2 -> A (for A; just the chain for AAAA).
    recs = [rr(PTR_Q, T_CNAME, encode_name("alias1.test")),
            rr(encode_name("alias1.test"), T_CNAME,
               encode_name("alias2.test"))]
    if q.qtype == T_A:
        recs.append(rr(encode_name("alias2.test"), T_A,
                       a_rdata("127.0.0.1")))
    return [answer(q, recs)]


def b_cnameonly(q):
    return [answer(q, [rr(PTR_Q, T_CNAME, encode_name("alias1.test"))])]


def b_garbage(q):
    rng = random.Random(q.qtype)
    return [bytes(rng.randrange(256) for _ in range(200))]


def b_garbageid(q):
    # The right ID and an answer's flags, then junk.
    rng = random.Random(q.qtype + 7)
    return [struct.pack(">HH", q.id, 0x8180) +
            bytes(rng.randrange(256) for _ in range(200))]


def b_empty(q):
    return [b""]


def b_loopq(q):
    # The question's name is a pointer to itself.
    return [header(q) + b"\xc0\x0c" + struct.pack(">HH", q.qtype, 1)]


def b_loopa(q):
    # Two answer owner names that point at each other.
    base = header(q, an=2) + q.raw_question
    p1 = len(base)
    p2 = p1 + 2 + 10 + 4
    rec1 = struct.pack(">H", 0xc000 | p2) + \
        struct.pack(">HHIH", T_A, 1, 60, 4) + a_rdata("127.0.0.1")
    rec2 = struct.pack(">H", 0xc000 | p1) + \
        struct.pack(">HHIH", T_A, 1, 60, 4) + a_rdata("127.0.0.1")
    return [base + rec1 + rec2]


def b_ttl(q):
    return [answer(q, addr_rr(q, v6=None, ttl=0xffffffff))]


def b_zero(q):
    return [answer(q, [])]


def b_zerosoa(q):
    soa = encode_name("ns.test") + encode_name("admin.test") + \
        struct.pack(">IIIII", 1, 2, 3, 4, 0xffffffff)
    return [header(q, ns=1) + q.raw_question + rr(PTR_Q, T_SOA, soa)]


def b_badlen(q):
    # An A record 5 bytes long.
    if q.qtype != T_A:
        return [answer(q, [])]
    return [answer(q, [rr(PTR_Q, T_A, a_rdata("127.0.0.1") + b"\0")])]


def b_wrongtype(q):
    # AAAA records to the A question and A records to the AAAA one.
    if q.qtype == T_A:
        return [answer(q, [rr(PTR_Q, T_AAAA, aaaa_rdata("::1"))])]
    return [answer(q, [rr(PTR_Q, T_A, a_rdata("127.0.0.1"))])]


def b_nxans(q):
    # NXDOMAIN that still carries an address.
    return [answer(q, addr_rr(q, v6=None), rcode=3)]


def b_refused(q):
    return [answer(q, [], rcode=5)]


def b_notquery(q):
    # QR bit clear: a query, not an answer.
    return [struct.pack(">HHHHHH", q.id, 0x0100, 1, 0, 0, 0) +
            q.raw_question]


# A truncated answer whose re-ask brings no address says so in words
# (issue 11).
TRUNCATED = "DNS answer truncated (TC bit) and no TCP fallback"
ERROR_TEXT = {"tc": TRUNCATED, "tcgarbage": TRUNCATED, "tcloop": TRUNCATED}

BEHAVIOURS = {name[2:]: fn for name, fn in list(globals().items())
              if name.startswith("b_")}

# name: (status, errno, ip).  The errno of an unresolved name is the more
# telling of its two answers (NXDOMAIN > SERVFAIL > ETIMEDOUT > DNSERROR >
# NODATA), so a behaviour that answers the AAAA question with no data
# shows the A question's outcome.
EXPECT = {
    "ok": ("connected", None, "127.0.0.1"),
    "tc": ("unresolved", "DNSERROR", None),
    "tcans": ("connected", None, "127.0.0.1"),
    "tcedns": ("connected", None, "127.0.0.1"),
    "tcformerr": ("connected", None, "127.0.0.1"),
    "tcgarbage": ("unresolved", "DNSERROR", None),
    "tcloop": ("unresolved", "DNSERROR", None),
    "tcnx": ("unresolved", "NXDOMAIN", None),
    "tcnodata": ("unresolved", "NODATA", None),
    "tcservfail": ("unresolved", "SERVFAIL", None),
    "tcbadid": ("connected", None, "127.0.0.1"),
    "tccname": ("connected", None, "127.0.0.1"),
    "cut": ("unresolved", "DNSERROR", None),
    "cuthdr": ("unresolved", "DNSERROR", None),
    "big": ("connected", None, "127.0.0.1"),
    "huge": ("connected", None, "127.0.0.1"),
    "badid": ("unresolved", "ETIMEDOUT", None),
    "spoofid": ("connected", None, "127.0.0.1"),
    "othername": ("unresolved", "DNSERROR", None),
    "otherowner": ("connected", None, "127.0.0.1"),
    "cname": ("connected", None, "127.0.0.1"),
    "cnameonly": ("unresolved", "NODATA", None),
    "garbage": ("unresolved", "ETIMEDOUT", None),
    "garbageid": ("unresolved", "DNSERROR", None),
    "empty": ("unresolved", "ETIMEDOUT", None),
    "loopq": ("unresolved", "DNSERROR", None),
    "loopa": ("unresolved", "DNSERROR", None),
    "ttl": ("connected", None, "127.0.0.1"),
    "zero": ("unresolved", "NODATA", None),
    "zerosoa": ("unresolved", "NODATA", None),
    "badlen": ("unresolved", "DNSERROR", None),
    "wrongtype": ("unresolved", "NODATA", None),
    "nxans": ("unresolved", "NXDOMAIN", None),
    "refused": ("unresolved", "DNSERROR", None),
    "notquery": ("unresolved", "ETIMEDOUT", None),
}

DEADLINE = "1s"             # -t for every run: the ignored packets wait it


class HostileServer(threading.Thread):
    """Answers each query by the behaviour its first label names; logs
    (qtype, name).  Stops on stop() or after SERVER_LIFETIME."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.log = []
        self.errors = []
        self.halt = threading.Event()

    @property
    def resolver(self):
        return "127.0.0.1:%d" % self.port

    def run(self):
        end = time.monotonic() + SERVER_LIFETIME
        while not self.halt.is_set() and time.monotonic() < end:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            try:
                q = Query(data)
            except (IndexError, struct.error) as e:
                self.errors.append("bad query %r: %s" % (data, e))
                continue
            self.log.append((q.qtype, q.name, q.edns))
            fn = BEHAVIOURS.get(q.first)
            if fn is None:
                replies = [header(q, rcode=3) + q.raw_question]
            else:
                replies = fn(q)
            for pkt in replies:
                try:
                    self.sock.sendto(pkt, peer)
                except OSError as e:
                    self.errors.append("sendto: %s" % e)

    def stop(self):
        self.halt.set()
        self.join(5)
        self.sock.close()


class Hostile(aptest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = HostileServer()
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        assert not cls.srv.errors, cls.srv.errors

    def setUp(self):
        self.acc = aptest.net("accept")
        self.port = self.acc.port

    def probe(self, names, *args, timeout=15, **kw):
        """names (".test" added) through the hostile server."""
        return super().probe([n + ".test" for n in names], "-t", DEADLINE,
                             *args, resolver=self.srv.resolver,
                             timeout=timeout, **kw)

    def check(self, r, names):
        """One well-formed record per name, as EXPECT says; a SPEC 6
        exit status that follows from them."""
        self.assertIn(r.rc, (0, 1, 2), r.describe())
        lines = r.out.splitlines()
        self.assertEqual(len(lines), len(names), r.describe())
        recs = r.by_target()
        self.assertEqual(sorted(recs),
                         sorted("%s.test:%d" % (n, self.port) for n in names))
        for n in names:
            rec = recs["%s.test:%d" % (n, self.port)]
            status, errno, ip = EXPECT[n]
            with self.subTest(name=n):
                self.assertRecord(rec, status, errno, ip,
                                  host="%s.test" % n)
                if status == "unresolved":
                    self.assertEqual(rec["addresses"], 0, rec)
                if n in ERROR_TEXT:
                    self.assertEqual(rec["error"], ERROR_TEXT[n], rec)
        statuses = {EXPECT[n][0] for n in names}
        want = 2 if "unresolved" in statuses else \
            0 if statuses == {"connected"} else 1
        self.assertEqual(r.rc, want, r.describe())

    def test_each_alone(self):
        for n in sorted(EXPECT):
            with self.subTest(name=n):
                r = self.probe([n])
                self.check(r, [n])
                # Nothing hangs past the deadline.
                self.assertLess(r.elapsed, 3.0, r.describe())

    def test_all_at_once(self):
        names = sorted(EXPECT)
        r = self.probe(names)
        self.check(r, names)
        self.assertLess(r.elapsed, 3.0, r.describe())

    def test_all_at_once_all_addresses(self):
        names = sorted(EXPECT)
        r = self.probe(names, "-m")
        self.assertIn(r.rc, (0, 1, 2), r.describe())
        for rec in r.records:
            self.assertRecordShape(rec)
        self.assertEqual(sorted({x["host"] for x in r.records}),
                         sorted("%s.test" % n for n in names))

    def test_cname_is_not_followed_by_new_queries(self):
        self.probe(["cname", "cnameonly"])
        self.assertEqual([n for _, n, _ in self.srv.log
                          if n.startswith("alias")], [])

    def test_big_answer_keeps_many_addresses(self):
        r = self.probe(["big"], "--attempt-delay", "10ms")
        self.check(r, ["big"])
        rec = r.one()
        # The listener's address was the 20th record.
        self.assertEqual(rec["addresses"], 20, rec)
        self.assertEqual(rec["attempts"][-1]["ip"], "127.0.0.1", rec)

    # --- truncated answers, asked again (issue 11) ------------------------

    def since(self, mark, name):
        """What the server was asked of name after log entry mark, as
        (type, with OPT) pairs in order."""
        return [(t, e) for t, n, e in self.srv.log[mark:]
                if n == name + ".test"]

    def test_truncated_answer_with_addresses_is_used(self):
        # evdns drops the records of a TC answer; the re-ask over UDP
        # with EDNS0 brings them, whether its own answer has TC or not.
        attempts = {
            "tcans": [("127.0.0.1", None)],
            "tcformerr": [("127.0.0.1", None)],
            "tcbadid": [("127.0.0.1", None)],
            "tccname": [("127.0.0.1", None)],
            "tcedns": [("127.0.0.2", "ECONNREFUSED"), ("127.0.0.1", None)],
        }
        for n, want in sorted(attempts.items()):
            with self.subTest(name=n):
                r = self.probe([n], "--attempt-delay", "10ms")
                self.assertEqual(r.rc, 0, r.describe())
                rec = r.one()
                self.assertRecord(rec, "connected", None, "127.0.0.1",
                                  host=n + ".test", addresses=len(want),
                                  degraded=len(want) > 1)
                self.assertEqual([(a["ip"], a["errno"])
                                  for a in rec["attempts"]], want, rec)

    def test_reask_says_why_there_is_no_address(self):
        # The re-ask's whole answer (no TC) names the outcome itself.
        for n, errno in (("tcnx", "NXDOMAIN"), ("tcnodata", "NODATA"),
                         ("tcservfail", "SERVFAIL")):
            with self.subTest(name=n):
                r = self.probe([n], "-t", "5s")
                rec = self.assertUnresolved(r, errno)
                self.assertLess(rec["elapsed_ms"], 1500, rec)

    def test_truncated_answer_without_addresses_is_unresolved(self):
        # TC again with no records, an unreadable answer, a pointer loop:
        # the reason says what happened, at once (before the deadline).
        for n in ("tc", "tcgarbage", "tcloop"):
            with self.subTest(name=n):
                r = self.probe([n], "-t", "5s")
                rec = self.assertUnresolved(r, "DNSERROR")
                self.assertEqual(rec["error"], TRUNCATED, rec)
                self.assertLess(rec["elapsed_ms"], 1500, rec)

    def test_reask_timing_out_is_truncated(self):
        # No answer to the re-ask within evdns's per-try timeout (2 s),
        # well before the deadline: the truncation's reason.
        r = super().probe(["tcslow.test"], "-t", "6s",
                          resolver=self.srv.resolver, timeout=15)
        rec = self.assertUnresolved(r, "DNSERROR")
        self.assertEqual(rec["error"], TRUNCATED, rec)
        self.assertGreaterEqual(rec["elapsed_ms"], 1900, rec)
        self.assertLess(rec["elapsed_ms"], 5500, rec)

    def test_reask_ends_at_the_deadline(self):
        # A deadline before the re-ask's timeout ends it as any silent
        # lookup ends.
        rec = self.assertUnresolved(self.probe(["tcslow"]), "ETIMEDOUT")
        self.assertLess(rec["elapsed_ms"], 1500, rec)

    def test_one_extra_question_per_truncated_answer(self):
        # Each truncated answer is asked again once, with OPT (once more
        # without it after FORMERR); an answer without TC never is.
        plain = [(T_AAAA, False), (T_A, False)]
        want = {
            "ok": plain,
            "tc": plain + [(T_AAAA, True), (T_A, True)],
            "tcans": plain + [(T_AAAA, True), (T_A, True)],
            "tcedns": plain + [(T_AAAA, True), (T_A, True)],
            "tcgarbage": plain + [(T_AAAA, True), (T_A, True)],
            "tcformerr": plain + [(T_AAAA, True), (T_A, True),
                                  (T_AAAA, False), (T_A, False)],
        }
        for n, asked in sorted(want.items()):
            with self.subTest(name=n):
                mark = len(self.srv.log)
                r = self.probe([n, n], "-t", "5s")
                self.assertEqual(len(r.records), 2, r.describe())
                # Each family's questions in order; the families may
                # interleave.
                got = self.since(mark, n)
                for t in (T_A, T_AAAA):
                    self.assertEqual([x for x in got if x[0] == t],
                                     [x for x in asked if x[0] == t], got)

    def test_reask_cancelled_by_a_signal(self):
        # SIGTERM while the re-ask waits: the target is cancelled, the
        # socket and the event are freed (the sanitizer build checks).
        mark = len(self.srv.log)
        p = aptest.start(["-f", "json", "-t", "10s", "--resolver",
                          self.srv.resolver],
                         "ok.test:%d\ntcslow.test:%d\n" % (self.port,
                                                          self.port))
        try:
            first = json.loads(p.stdout.readline())
            self.assertEqual(first["status"], "connected", first)
            end = time.monotonic() + 5
            while (T_A, True) not in self.since(mark, "tcslow") and \
                    time.monotonic() < end:
                time.sleep(0.02)
            self.assertIn((T_A, True), self.since(mark, "tcslow"))
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=5)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 143, err)
        recs = aptest.json_lines(out)
        self.assertEqual(len(recs), 1, out)
        self.assertRecord(recs[0], "cancelled", "ECANCELED", None,
                          host="tcslow.test", addresses=0)
        self.assertEqual(err.decode(), "")

    def test_spoofed_id_is_ignored(self):
        r = self.probe(["spoofid"])
        rec = r.one()
        self.assertNotIn("127.0.0.2", [a["ip"] for a in rec["attempts"]])

    def valgrind_prefix(self, logfile):
        if not aptest.valgrind_usable():
            self.skipTest("valgrind is not installed, or this is the "
                          "sanitizer build")
        return ["valgrind", "-q", "--error-exitcode=99",
                "--leak-check=full", "--show-leak-kinds=definite",
                "--errors-for-leak-kinds=definite", "--log-file=" + logfile]

    def test_reask_cut_by_the_deadline_under_valgrind(self):
        # The re-ask's socket and event, freed when the deadline cancels
        # the lookup.
        logfile = os.path.join(aptest.tmpdir(), "valgrind-reask.log")
        prefix = self.valgrind_prefix(logfile)
        r = aptest.run(["-f", "json", "-t", "1s", "--resolver",
                        self.srv.resolver],
                       "tcslow.test:%d\ntcedns.test:%d\n" % (self.port,
                                                            self.port),
                       timeout=60, prefix=prefix)
        with open(logfile) as fp:
            log = fp.read()
        self.assertNotEqual(r.rc, 99, log)
        self.assertEqual(log.strip(), "", log)
        recs = r.by_target()
        self.assertRecord(recs["tcslow.test:%d" % self.port], "unresolved",
                          "ETIMEDOUT", None, addresses=0)
        self.assertRecord(recs["tcedns.test:%d" % self.port], "connected",
                          None, "127.0.0.1", addresses=2)

    def test_under_valgrind(self):
        logfile = os.path.join(aptest.tmpdir(), "valgrind.log")
        prefix = self.valgrind_prefix(logfile)
        names = sorted(EXPECT)
        r = aptest.run(["-f", "json", "-t", "2s", "--resolver",
                        self.srv.resolver],
                       "".join("%s.test:%d\n" % (n, self.port)
                               for n in names),
                       timeout=90, prefix=prefix)
        with open(logfile) as fp:
            log = fp.read()
        self.assertNotEqual(r.rc, 99, log)
        self.assertEqual(log.strip(), "", log)
        self.check(r, names)


if __name__ == "__main__":
    aptest.main()
