"""The HTTP front: Slack's endpoint, a health check and the metrics, served by waitress (a production
WSGI server) with a pool of worker threads."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine
from waitress.server import create_server

from bot import metrics
from storage.db import database_answers

log = logging.getLogger("mindset.server")

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's OAuth flow (many workspaces): the "Add to Slack" page and where Slack sends people back
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")

StartResponse = Callable[..., Any]


class WsgiApp:
    """Routes `POST /slack/events` to Bolt, answers `GET /healthz` from the database and, unless the
    metrics have a port of their own, `GET /metrics`."""

    def __init__(self, app: App, engine: Engine, *, serve_metrics: bool = True) -> None:
        self._slack = SlackRequestHandler(app)
        self._engine = engine
        self._oauth = app.oauth_flow is not None
        self._metrics = serve_metrics

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_PATH and method == "POST":
            return self._slack(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return self._health(start_response)
        if self._metrics and path == metrics.METRICS_PATH and method in ("GET", "HEAD"):
            return _metrics(start_response)
        if self._oauth and path in OAUTH_PATHS and method == "GET":
            return self._slack(environ, start_response)
        return _json(start_response, "404 Not Found", {"error": "not found"})

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        if database_answers(self._engine):
            return _json(start_response, "200 OK", {"status": "ok", "database": "ok"})
        return _json(start_response, "503 Service Unavailable", {"status": "unavailable", "database": "down"})


def _metrics(start_response: StartResponse) -> Iterable[bytes]:
    body = metrics.exposition()
    start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE), ("Content-Length", str(len(body)))])
    return [body]


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class HttpServer:
    """A waitress server that another thread (or a signal handler) can stop cleanly."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def serve(self) -> None:
        """Serve until `stop()`."""
        try:
            self._server.run()
        except OSError:
            if not self._stopping.is_set():
                raise
        finally:
            self._server.task_dispatcher.shutdown()

    def stop(self) -> None:
        """Close the listening socket and open connections from inside the server's own loop."""
        self._stopping.set()
        connections = self._server._map

        def close_everything() -> None:
            for dispatcher in list(connections.values()):
                dispatcher.close()

        # The loop runs queued thunks under the trigger's lock, and `close_everything` closes the trigger
        # itself. Queue it and wake the loop while holding that lock: otherwise a wake-up already under
        # way (a worker that just answered) could run the thunk between the two, and the write would
        # land on a closed pipe (EBADF), or on whatever file took its number since.
        trigger = self._server.trigger
        with trigger.lock:
            if trigger._closed:  # stopped already
                return
            trigger.thunks.append(close_everything)
            trigger.pull_trigger()  # without a thunk it does not take the lock: it only writes to the pipe


def make_http_server(
    app: App,
    engine: Engine,
    *,
    host: str,
    port: int,
    threads: int,
    loop_timeout: float = 1.0,
    serve_metrics: bool = True,
) -> HttpServer:
    """A waitress server bound to host:port (port 0 picks a free one) with `threads` worker threads;
    `.serve()` runs it."""
    server = create_server(
        WsgiApp(app, engine, serve_metrics=serve_metrics),
        host=host,
        port=port,
        threads=threads,
        ident="mindset-bot",
        connection_limit=1000,
        channel_timeout=30,
        clear_untrusted_proxy_headers=True,
        asyncore_loop_timeout=loop_timeout,
    )
    return HttpServer(server)
