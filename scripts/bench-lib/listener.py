#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""listener.py -- loopback peer for scripts/bench when no compiled one is
at hand (the reference bench directory is absent).

    listener.py accept PORT[,PORT...]   accept every connection, close it
    listener.py hole PORT               listen(0) and never accept: one
                                        connection of our own fills the
                                        accept queue, so every later SYN is
                                        dropped and connects time out

Binds 0.0.0.0 (run it inside the bench namespace, which has only lo),
prints "ready" once everything listens, exits on SIGTERM or after
--lifetime seconds, whatever happens.
"""
import errno
import select
import signal
import socket
import sys
import time


def ports(spec):
    out = []
    for tok in spec.split(","):
        lo, _, hi = tok.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def listen(port, backlog):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(backlog)
    s.setblocking(False)
    return s


def hole(port):
    lsock = listen(port, 0)
    # The first connection fills the queue of a backlog-0 listener.
    keep = socket.create_connection(("127.0.0.1", port), timeout=1)
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setblocking(False)
    probe.connect_ex(("127.0.0.1", port))
    _, w, _ = select.select([], [probe], [], 0.3)
    if w:
        sys.exit("hole %d: a second connect was answered" % port)
    probe.close()
    return [lsock, keep]


def main():
    lifetime = 3600.0
    args = sys.argv[1:]
    if "--lifetime" in args:
        i = args.index("--lifetime")
        lifetime = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2 or args[0] not in ("accept", "hole"):
        sys.exit("usage: listener.py accept|hole PORTS [--lifetime S]")
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    end = time.monotonic() + lifetime
    if args[0] == "hole":
        held = [hole(p) for p in ports(args[1])]
        print("ready", flush=True)
        while not stop and time.monotonic() < end:
            time.sleep(0.2)
        del held
        return
    ep = select.epoll()
    socks = {}
    for p in ports(args[1]):
        s = listen(p, 65535)
        socks[s.fileno()] = s
        ep.register(s.fileno(), select.EPOLLIN)
    print("ready", flush=True)
    while not stop and time.monotonic() < end:
        for fd, _ in ep.poll(0.5):
            s = socks[fd]
            # Bounded: a burst larger than this waits for the next poll.
            for _ in range(4096):
                try:
                    c, _ = s.accept()
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.ECONNABORTED):
                        print("accept: %s" % e, file=sys.stderr)
                    break
                c.close()


if __name__ == "__main__":
    main()
