"""The Slack client's kept connections over HTTPS, the branch production uses (slack.com is HTTPS only).

A local TLS server with a certificate from a throwaway certificate authority (trustme); the client trusts it
only through its own `ssl` context, as a deployment behind a corporate CA would. The server records which TLS
connection each call came on.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qs

import pytest
import trustme
from slack_sdk import WebClient

from bot import slack_transport
from bot.slack_client import CountingWebClient, make_web_client
from tests.conftest import make_settings


class TlsSlack:
    """chat.postMessage over HTTPS: answers `ok` with a distinct ts, keeps (text, connection) of each call."""

    def __init__(self, ca: trustme.CA) -> None:
        self.calls: list[tuple[str, int]] = []
        self.accepted = 0
        self._lock = threading.Lock()
        self._open: list[Any] = []
        tls = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with tls._lock:
                    tls.accepted += 1
                    tls._open.append(self.connection)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                if "json" in (self.headers.get("content-type") or ""):
                    params = json.loads(body)
                else:
                    params = {key: values[-1] for key, values in parse_qs(body).items()}
                with tls._lock:
                    tls.calls.append((params.get("text", ""), self.client_address[1]))
                    ts = f"1700000000.{len(tls.calls):06d}"
                answer = json.dumps({"ok": True, "channel": params.get("channel"), "ts": ts}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def api_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/api/"

    def drop_connections(self) -> None:
        """Close the idle connections, as Slack does after a while."""
        with self._lock:
            connections, self._open = self._open, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.drop_connections()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_slack(ca: trustme.CA) -> Iterator[TlsSlack]:
    server = TlsSlack(ca)
    yield server
    server.close()


def trusting_client(server: TlsSlack, ca: trustme.CA) -> WebClient:
    slack_transport.close_thread_connections()  # nothing kept from an earlier test of this thread
    client = make_web_client(make_settings(slack_api_url=server.api_url))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    client.ssl = context
    return client


def test_calls_over_https_share_one_verified_connection(tls_slack: TlsSlack, ca: trustme.CA) -> None:
    client = trusting_client(tls_slack, ca)

    answers = [client.chat_postMessage(channel="C1", text=f"post {n}") for n in range(4)]

    assert [text for text, _ in tls_slack.calls] == [f"post {n}" for n in range(4)]
    assert [answer["ts"] for answer in answers] == [f"1700000000.{n:06d}" for n in range(1, 5)]
    assert len({connection for _, connection in tls_slack.calls}) == 1
    assert tls_slack.accepted == 1  # one TLS handshake for four calls


def test_a_certificate_the_client_does_not_trust_is_refused(tls_slack: TlsSlack) -> None:
    """Kept connections verify the server as slack_sdk's own transport does (the system's trust store)."""
    slack_transport.close_thread_connections()
    client = make_web_client(make_settings(slack_api_url=tls_slack.api_url))
    client.retry_handlers = []

    with pytest.raises(URLError) as refused:
        client.chat_postMessage(channel="C1", text="to an impostor")

    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
    assert tls_slack.calls == []


def test_a_tls_connection_the_server_closed_is_replaced_without_a_second_post(
    tls_slack: TlsSlack, ca: trustme.CA
) -> None:
    client = trusting_client(tls_slack, ca)
    client.chat_postMessage(channel="C1", text="before")
    tls_slack.drop_connections()

    answer = client.chat_postMessage(channel="C1", text="after")

    assert answer["ok"]
    assert [text for text, _ in tls_slack.calls] == ["before", "after"]
    assert tls_slack.calls[0][1] != tls_slack.calls[1][1]


def test_the_slack_sdk_method_the_transport_replaces_is_the_one_it_was_written_for() -> None:
    """`CountingWebClient` overrides slack_sdk's private `_perform_urllib_http_request_internal(url, req)`:
    slack_sdk is pinned to the minor version this was tested on (pyproject.toml), and this fails first when
    a new one changes the method, so that the pin is moved only together with the transport."""
    major, minor, *_ = version("slack_sdk").split(".")
    assert (int(major), int(minor)) == (3, 48), "slack_sdk moved: re-check bot/slack_transport.py, then the pin"
    original = WebClient._perform_urllib_http_request_internal
    assert list(inspect.signature(original).parameters) == ["self", "url", "req"]
    assert "urlopen(req, context=self.ssl, timeout=self.timeout)" in inspect.getsource(original)
    assert CountingWebClient._perform_urllib_http_request_internal is not original
