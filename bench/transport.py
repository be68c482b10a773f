"""What the Slack client's kept connections buy (bot/slack_transport.py), against slack_sdk's own transport.

    python -m bench.transport [--calls 2000] [--threads 1,4] [--rtt-ms 0]

Not a benchmark of bench/run: the measurement behind the decision to keep the transport (RESULTS.md's
Findings). chat.postMessage `--calls` times against the tests' fake Slack over HTTP and, wrapped in TLS with a
throwaway certificate authority (trustme), over HTTPS (slack.com is HTTPS only), from 1 and 4 threads, by
`CountingWebClient` (kept connections) and by slack_sdk's `WebClient` (a new connection, and over HTTPS a new
TLS handshake, for every call). `--rtt-ms` delays every new connection by that many milliseconds before the
server accepts it (the round trip of a TCP handshake to a distant Slack), which is what a handshake costs in
wall time beyond its CPU. Prints calls a second and the CPU per call of this process, which holds both the
clients and the fake Slack's threads (so a TLS handshake is counted on both ends).
"""

from __future__ import annotations

import argparse
import resource
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_slack import FakeSlack  # noqa: E402


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def serve(tls: Any, rtt: float) -> tuple[FakeSlack, str]:
    """The fake Slack, its listening socket wrapped in TLS when `tls` (a trustme CA) is given."""
    fake = FakeSlack()
    server = fake._server
    if rtt > 0:
        accept = server.socket.accept

        def slow_accept() -> Any:
            time.sleep(rtt)
            return accept()

        server.socket.accept = slow_accept  # type: ignore[method-assign]
    if tls is None:
        return fake, fake.api_url
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.issue_cert("127.0.0.1").configure_cert(context)
    plain = server.socket
    server.socket = context.wrap_socket(plain, server_side=True, do_handshake_on_connect=False)
    accept = server.socket.accept

    def accept_then_handshake() -> Any:
        if rtt > 0:
            time.sleep(rtt)
        connection, address = accept()
        connection.do_handshake()
        return connection, address

    server.socket.accept = accept_then_handshake  # type: ignore[method-assign]
    return fake, f"https://127.0.0.1:{fake.port}/api/"


def measure(url: str, *, kept: bool, calls: int, threads: int, tls: Any) -> tuple[float, float]:
    from slack_sdk import WebClient

    from bot import slack_transport
    from bot.slack_client import CountingWebClient

    context = None
    if tls is not None:
        context = ssl.create_default_context()
        tls.configure_trust(context)
    kind = CountingWebClient if kept else WebClient
    client = kind(token="xoxb-bench", base_url=url, ssl=context, timeout=10)
    per_thread = calls // threads
    barrier = threading.Barrier(threads + 1)

    def post() -> None:
        barrier.wait()
        for n in range(per_thread):
            client.chat_postMessage(channel="CBENCH", text=f"post {n}")
        slack_transport.close_thread_connections()

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(post) for _ in range(threads)]
        barrier.wait()
        cpu0, wall0 = _client_cpu(), time.perf_counter()
        for future in futures:
            future.result()
        cpu1, wall1 = _client_cpu(), time.perf_counter()
    done = per_thread * threads
    return done / (wall1 - wall0), (cpu1 - cpu0) * 1000 / done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--threads", default="1,4")
    parser.add_argument("--rtt-ms", type=float, default=0.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import trustme

    print("| scheme | threads | transport | calls/s | CPU ms/call (client and server) |")
    print("|---|---|---|---|---|")
    for scheme in ("http", "https"):
        tls = trustme.CA() if scheme == "https" else None
        fake, url = serve(tls, args.rtt_ms / 1000)
        fake.calls = _Discard()
        try:
            for threads in (int(t) for t in args.threads.split(",")):
                for kept in (True, False):
                    found = [
                        measure(url, kept=kept, calls=args.calls, threads=threads, tls=tls) for _ in range(args.repeats)
                    ]
                    rate = sorted(f[0] for f in found)[len(found) // 2]
                    cpu = sorted(f[1] for f in found)[len(found) // 2]
                    name = "kept (CountingWebClient)" if kept else "slack_sdk's own (WebClient)"
                    print(f"| {scheme} | {threads} | {name} | {rate:,.0f} | {cpu:.2f} |", flush=True)
        finally:
            fake.close()


class _Discard(list[Any]):
    """The fake keeps every call; a benchmark makes thousands: keep none."""

    def append(self, _call: Any) -> None:
        pass


if __name__ == "__main__":
    main()
