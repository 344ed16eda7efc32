"""Drives a faultline proxy API with the real Toxiproxy client from PyPI (toxiproxy-python).

Usage: python3 toxiproxy_client.py API_HOST API_PORT ECHO_UPSTREAM
Exits non-zero with a message on the first failed check; prints "ok: <n> checks" at the end.
"""
import socket
import statistics
import sys
import time

from toxiproxy import Toxiproxy
from toxiproxy.exceptions import InvalidToxic, NotFound

checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)


def round_trip(addr):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        start = time.monotonic()
        s.sendall(b"ping")
        got = b""
        while len(got) < 4:
            chunk = s.recv(4 - len(got))
            if not chunk:
                break
            got += chunk
        elapsed = time.monotonic() - start
    check(got == b"ping", "echo through the proxy returned %r" % got)
    return elapsed


def median_rtt(addr, n=5):
    return statistics.median(round_trip(addr) for _ in range(n))


def refused(addr):
    host, port = addr.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2) as s:
            s.settimeout(2)
            s.sendall(b"x")
            return s.recv(1) == b""
    except OSError:
        return True


def main():
    api_host, api_port, upstream = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    server = Toxiproxy()
    server.update_api_consumer(api_host, api_port)
    check(server.running(), "API reachable")
    check(server.version() is not None, "version answered")

    proxy = server.create(upstream=upstream, name="echo")
    check(proxy.listen.rsplit(":", 1)[1] != "0", "create returns the bound listen address")
    check("echo" in server.proxies(), "proxy listed")
    check(server.get_proxy("echo").upstream == upstream, "upstream kept")

    base = median_rtt(proxy.listen)
    proxy.add_toxic(type="latency", attributes={"latency": 100, "jitter": 0})
    toxics = proxy.toxics()
    check("latency_downstream" in toxics, "default toxic name is type_stream: %r" % list(toxics))
    check(toxics["latency_downstream"].attributes["latency"] == 100, "attributes round-trip")
    added = median_rtt(proxy.listen) - base
    check(0.095 <= added <= 0.125, "100 ms latency toxic added %.1f ms" % (added * 1000))
    proxy.destroy_toxic("latency_downstream")
    check(proxy.get_toxic("latency_downstream") is None, "toxic removed")

    proxy.add_toxic(name="cut", type="timeout", stream="upstream", toxicity=1.0, attributes={"timeout": 0})
    check(proxy.toxics()["cut"].stream == "upstream", "stream kept")

    try:
        proxy.add_toxic(type="no_such_toxic")
        check(False, "an invalid toxic type must raise InvalidToxic")
    except InvalidToxic:
        check(True, "")

    with proxy.down():
        check(refused(proxy.listen), "a disabled proxy refuses connections")
    check(server.get_proxy("echo").enabled, "enabled again after down()")

    server.reset()
    check(proxy.toxics() == {}, "reset removes toxics")
    round_trip(proxy.listen)

    created = server.populate([
        {"name": "pop1", "upstream": upstream, "listen": "127.0.0.1:0"},
        {"name": "pop2", "upstream": upstream, "listen": "127.0.0.1:0"},
    ])
    check(len(created) == 2, "populate created two proxies")
    check(set(server.proxies()) == {"echo", "pop1", "pop2"}, "three proxies listed")

    check(proxy.destroy(), "destroy answered")
    check(server.get_proxy("echo") is None, "destroyed proxy gone")
    try:
        proxy.destroy_toxic("anything")
        check(False, "a toxic of a removed proxy must raise NotFound")
    except NotFound:
        check(True, "")

    server.destroy_all()
    check(server.proxies() == {}, "destroy_all leaves nothing")
    print("ok: %d checks" % checks)


if __name__ == "__main__":
    main()
