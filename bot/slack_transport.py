"""Keep-alive HTTP for the Slack Web API.

slack_sdk's `WebClient` opens a new connection for every call (against slack.com: a TCP and a TLS
handshake, tens of milliseconds) and closes it after the answer. `perform` sends the request slack_sdk
built over a connection kept open for the next call instead, and answers exactly as slack_sdk's own
urllib transport does (the same dict for a 2xx, the same `HTTPError` otherwise, `URLError` when the
connection cannot be made or the request not sent), so slack_sdk's retry handlers and errors work as
before.

Connections belong to a thread (an `http.client` connection is not thread-safe) and are kept per origin,
a few per thread at most. A kept connection the server has closed meanwhile (idle timeouts) is noticed
before it is used (it reads as ready: end of file) and replaced; one that fails in use is closed, never
reused, so a late answer can never be read as the answer to the next request. Nothing is kept on the
client itself: Bolt deep-copies clients for its lazy listeners.
"""

from __future__ import annotations

import http.client
import io
import logging
import select
import socket
import ssl
import threading
from collections import OrderedDict
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

MAX_KEPT_PER_THREAD = 4

Origin = tuple[str, str, int, float | None]  # scheme, host, port, timeout


class _Kept:
    """One thread's idle connections, oldest first; closed when the thread's storage goes away."""

    def __init__(self) -> None:
        self.idle: OrderedDict[Origin, http.client.HTTPConnection] = OrderedDict()

    def take(self, origin: Origin) -> http.client.HTTPConnection | None:
        connection = self.idle.pop(origin, None)
        if connection is not None and _closed_by_peer(connection):
            connection.close()
            return None
        return connection

    def give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        self.idle[origin] = connection
        while len(self.idle) > MAX_KEPT_PER_THREAD:
            _, oldest = self.idle.popitem(last=False)
            oldest.close()

    def close_all(self) -> None:
        while self.idle:
            _, connection = self.idle.popitem()
            connection.close()

    def __del__(self) -> None:
        self.close_all()


_local = threading.local()


def _kept() -> _Kept:
    kept: _Kept | None = getattr(_local, "kept", None)
    if kept is None:
        kept = _local.kept = _Kept()
    return kept


def close_thread_connections() -> None:
    """Close the connections this thread keeps (a worker about to end, or a test)."""
    _kept().close_all()


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """An idle connection that reads as ready has been closed by the server (or holds garbage)."""
    sock = connection.sock
    if sock is None:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _connect(origin: Origin, ssl_context: ssl.SSLContext | None) -> http.client.HTTPConnection:
    scheme, host, port, timeout = origin
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl_context or ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.connect()
        # http.client sends a request's headers and body in two writes: without this, the body would wait
        # for the server to acknowledge the headers (Nagle's algorithm meeting delayed ACKs, 40 ms on Linux)
        if connection.sock is not None:
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as error:  # as urllib reports it, so that slack_sdk's connection retries apply
        connection.close()
        raise URLError(error) from error
    return connection


def perform(
    url: str,
    request: Request,
    *,
    timeout: float | None,
    ssl_context: ssl.SSLContext | None,
    logger: logging.Logger,
) -> dict[str, Any]:
    """Send slack_sdk's request over a kept connection; answer (and log at DEBUG) as slack_sdk's urllib
    transport does."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise URLError(f"unsupported URL: {url}")
    origin: Origin = (scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80), timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kept = _kept()
    connection = kept.take(origin) or _connect(origin, ssl_context)
    try:
        try:
            connection.request(request.get_method(), path, body=request.data, headers=dict(request.header_items()))
        except OSError as error:
            raise URLError(error) from error
        response = connection.getresponse()
        body = response.read()
    except BaseException:
        connection.close()
        raise
    if response.will_close:
        connection.close()
    else:
        kept.give_back(origin, connection)
    if not 200 <= response.status < 300:
        raise HTTPError(url, response.status, response.reason, response.headers, io.BytesIO(body))
    if response.headers.get_content_type() == "application/gzip":
        decoded: str | bytes = body
    else:
        decoded = body.decode(response.headers.get_content_charset() or "utf-8")
    if logger.isEnabledFor(logging.DEBUG):
        shown = "(binary)" if isinstance(decoded, bytes) else decoded
        logger.debug(
            "Received the following response - "
            f"status: {response.status}, headers: {dict(response.headers)}, body: {shown}"
        )
    return {"status": response.status, "headers": response.headers, "body": decoded}
