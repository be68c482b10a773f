"""The HTTP front: Slack's endpoint, the OAuth pages, the web dashboard, a health check and (with a token) the
metrics.

An asyncio server reads every request on one event loop (epoll): a connection that is idle, or sends a
byte a second, costs a few kilobytes and no thread. Only a complete request whose body is within
`MAX_BODY_BYTES` goes to one of `threads` worker threads, where its signature is checked (bot/boundary.py)
before Bolt sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import resource
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy import Engine
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot import errors, metrics
from bot.boundary import ANSWER_DEADLINE, MAX_BODY_BYTES, Refused, SignatureCheck, admit
from bot.dashboard.web import PREFIX as DASHBOARD_PATH
from bot.dashboard.web import Dashboard
from bot.dashboard.web import Request as DashboardRequest
from storage.db import Deadline, database_answers, within

log = logging.getLogger("mindset.server")

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's OAuth flow (many workspaces): the "Add to Slack" page and where Slack sends people back
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """What one connection may take. See README, Security."""

    # a request's head must be complete this long after the connection opened or its last answer
    # (idle keep-alive connections are closed after it too)
    idle_timeout: float = 10.0
    # the body must have arrived this long after the head
    body_timeout: float = 10.0
    # /healthz answers 503 when the database has not answered within this
    health_timeout: float = 0.9
    # Slack waits 3 s for an answer. After `answer_within` a request waiting for the database (not on a
    # Slack API call) is answered without it ("could not save, nothing was stored"), its work abandoned (it
    # may not commit later); if a commit is under way then, the answer waits for it until
    # `answer_at_the_latest`, then says it cannot tell. Measured from when the body has arrived.
    answer_within: float = 2.2
    answer_at_the_latest: float = 2.45
    # connections beyond this wait in the kernel's queue (the descriptor limit is raised at start)
    backlog: int = 2048
    # bytes of a request's head (request line and headers)
    max_head_bytes: int = 16 * 1024
    # on stop: how long requests being answered may take to finish
    graceful_timeout: float = 5.0
    # open connections beyond which a request is answered 503 (idle ones are closed after idle_timeout)
    max_connections: int = 10_000


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _json(status: int, payload: dict[str, Any], *extra: tuple[str, str]) -> Reply:
    return Reply(status, [("content-type", "application/json"), *extra], json.dumps(payload).encode())


NOT_FOUND = _json(404, {"error": "not found"})
TOO_LARGE = _json(413, {"error": f"the body is larger than {MAX_BODY_BYTES} bytes"}, ("connection", "close"))
TOO_SLOW = _json(408, {"error": "the body did not arrive in time"}, ("connection", "close"))
BAD_LENGTH = _json(400, {"error": "bad content-length"}, ("connection", "close"))
INTERNAL_ERROR = _json(500, {"error": "internal error"})
# how often a request past its deadline is asked whether it still waits on Slack
SLACK_WAIT_POLL = 0.05


class Front:
    """The ASGI application: routes each request, reads bodies within the limits, and runs Bolt (which
    blocks) on worker threads."""

    def __init__(
        self,
        app: App,
        engine: Engine,
        *,
        signing_secret: str,
        threads: int,
        metrics_token: str | None = None,
        limits: Limits = Limits(),  # noqa: B008 (frozen)
        dashboard: Dashboard | None = None,
    ) -> None:
        self._app = app
        self._dashboard = dashboard
        self._check = SignatureCheck(signing_secret)
        self._engine = engine
        self._oauth = app.oauth_flow is not None
        self._metrics_token = metrics_token.encode() if metrics_token else None
        self._limits = limits
        self._workers = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")
        # one health check at a time, whatever the number of probes: they share its answer
        self._health: asyncio.Future[bool] | None = None
        self._health_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health")
        # telling people, through a button's response_url, that the database did not answer
        self._telling = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tell")

    def close(self) -> None:
        self._workers.shutdown(wait=True, cancel_futures=True)
        self._health_worker.shutdown(wait=False, cancel_futures=True)
        self._telling.shutdown(wait=False, cancel_futures=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        await _send(send, await self._route(scope, receive))

    async def _route(self, scope: Scope, receive: Receive) -> Reply:
        path, method = scope["path"], scope["method"]
        if path == SLACK_PATH and method == "POST":
            return await self._slack(scope, receive)
        if self._dashboard is not None and (path == DASHBOARD_PATH or path.startswith(DASHBOARD_PATH + "/")):
            return await self._dashboard_page(scope, receive)
        if method not in ("GET", "HEAD"):
            return NOT_FOUND
        if path == HEALTH_PATH:
            return await self._healthz()
        if path == metrics.METRICS_PATH and self._metrics_token is not None:
            return _metrics(scope, self._metrics_token)
        if self._oauth and path in OAUTH_PATHS:
            return await self._in_worker(self._oauth_page, path, _query(scope), _headers(scope))
        return NOT_FOUND

    # -- the web dashboard ---------------------------------------------------------------------

    async def _dashboard_page(self, scope: Scope, receive: Receive) -> Reply:
        """A dashboard page, made on a worker thread (it reads the database, and Slack when signing in)."""
        assert self._dashboard is not None
        body = b""
        if scope["method"] == "POST":
            read = await self._body_in_time(receive)
            if isinstance(read, Reply):
                return read
            body = read
        elif scope["method"] not in ("GET", "HEAD"):
            return _json(405, {"error": "method not allowed"}, ("allow", "GET, HEAD, POST"))
        request = DashboardRequest(
            scope["method"], scope["path"], _query(scope), _headers(scope), body, str(scope.get("scheme", "http"))
        )
        answer = await self._in_worker(self._dashboard_answer, request)
        if scope["method"] == "HEAD":
            return Reply(answer.status, answer.headers)
        return answer

    def _dashboard_answer(self, request: DashboardRequest) -> Reply:
        assert self._dashboard is not None
        answer = self._dashboard.handle(request)
        return Reply(answer.status, answer.headers, answer.body)

    # -- Slack's requests ---------------------------------------------------------------------

    async def _slack(self, scope: Scope, receive: Receive) -> Reply:
        headers = _headers(scope)
        declared = headers.get("content-length")
        if declared:
            if not declared[0].isdigit():
                return BAD_LENGTH
            if int(declared[0]) > MAX_BODY_BYTES:
                return TOO_LARGE  # refused before a byte of the body is read
        body = await self._body_in_time(receive)
        if isinstance(body, Reply):
            return body
        return await self._answer_in_time(body, headers, _query(scope))

    async def _body_in_time(self, receive: Receive) -> bytes | Reply:
        """The request's body, or the answer when it came too slowly or is too large."""
        try:
            async with asyncio.timeout(self._limits.body_timeout):
                return await _read_body(receive)
        except TimeoutError:
            return TOO_SLOW
        except _TooLarge:
            return TOO_LARGE

    async def _answer_in_time(self, body: bytes, headers: dict[str, list[str]], query: str) -> Reply:
        """Bolt's answer, or ours when the database keeps it waiting past `answer_within`.

        A request waiting on Slack's API then is waited for (a slow Slack is not a stalled database, and
        the listener's own Slack timeouts bound it); the moment it is back, the deadline applies."""
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        deadline = Deadline(started + self._limits.answer_within)
        work = loop.run_in_executor(self._workers, self._dispatch, body, headers, query, deadline)
        work.add_done_callback(_log_failure)
        wait = self._limits.answer_within
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(work), wait)
            except TimeoutError:
                pass
            except Exception:
                return INTERNAL_ERROR
            if not deadline.waiting_elsewhere:
                break
            wait = SLACK_WAIT_POLL
        if deadline.abandon():
            return self._late(body, headers, query, unsure=False)
        # a commit is under way: its outcome decides the answer, if it comes in time
        try:
            left = started + self._limits.answer_at_the_latest - time.monotonic()
            return await asyncio.wait_for(asyncio.shield(work), max(SLACK_WAIT_POLL, left))
        except TimeoutError:
            return self._late(body, headers, query, unsure=True)
        except Exception:
            return INTERNAL_ERROR

    def _dispatch(self, body: bytes, headers: dict[str, list[str]], query: str, deadline: Deadline) -> Reply:
        if deadline.abandoned:  # waited for a worker until the front had answered: nothing left to do
            return _json(503, {"error": "answered already"})
        request = admit(body, headers, query, self._check)
        if isinstance(request, Refused):
            # unsigned: `unverified`; signed but malformed: `other` (nothing of either body becomes a label)
            kind = metrics.UNVERIFIED if request.status == 401 else metrics.OTHER
            metrics.SLACK_REQUESTS.labels(kind, "refused").inc()
            return _json(request.status, {"error": request.reason})
        request.context[ANSWER_DEADLINE] = deadline
        with within(deadline):
            return _reply(self._app.dispatch(request))

    def _late(self, body: bytes, headers: dict[str, list[str]], query: str, *, unsure: bool) -> Reply:
        """Our own answer to a request the database kept waiting (its signature checked here, in the loop:
        an HMAC and a parse, while every worker may be stuck)."""
        request = admit(body, headers, query, self._check)
        if isinstance(request, Refused):
            return _json(request.status, {"error": request.reason})
        kind = metrics.request_label(request.body)
        log.error(
            "Answered %s without the database: it did not answer within %.1f s (%s)",
            kind,
            self._limits.answer_within,
            "a commit was under way, its outcome unknown" if unsure else "nothing was stored, nor will be",
        )
        metrics.SLACK_REQUESTS.labels(kind, "error").inc()
        response, response_url = errors.late_answer(request.body, unsure=unsure)
        if response_url:
            self._telling.submit(errors.tell, response_url, errors.DATABASE_UNSURE if unsure else errors.DATABASE_DOWN)
        return _reply(response)

    def _oauth_page(self, path: str, query: str, headers: dict[str, list[str]]) -> Reply:
        flow = self._app.oauth_flow
        assert flow is not None
        request = BoltRequest(body="", query=query, headers=dict(headers))
        if path == OAUTH_PATHS[0]:
            return _reply(flow.handle_installation(request))
        return _reply(flow.handle_callback(request))

    async def _in_worker(self, work: Callable[..., Reply], *args: Any) -> Reply:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._workers, work, *args)
        except Exception:
            log.exception("Answering a request failed")
            return INTERNAL_ERROR

    # -- health -------------------------------------------------------------------------------

    async def _healthz(self) -> Reply:
        if self._health is None or self._health.done():
            loop = asyncio.get_running_loop()
            self._health = asyncio.ensure_future(
                loop.run_in_executor(self._health_worker, database_answers, self._engine)
            )
        try:
            answers = await asyncio.wait_for(asyncio.shield(self._health), self._limits.health_timeout)
        except TimeoutError:
            return _json(503, {"status": "unavailable", "database": "not answering"})
        if answers:
            return _json(200, {"status": "ok", "database": "ok"})
        return _json(503, {"status": "unavailable", "database": "down"})


class _TooLarge(Exception):
    pass


def _log_failure(work: asyncio.Future[Reply]) -> None:
    """A worker's failure is logged once, whether or not the answer waited for it."""
    if not work.cancelled() and work.exception() is not None:
        log.error("Answering a request failed", exc_info=work.exception())


async def _read_body(receive: Receive) -> bytes:
    """The whole body, refused (`_TooLarge`) as soon as it passes MAX_BODY_BYTES (a chunked body has no
    Content-Length to check first)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            raise TimeoutError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return headers


def _query(scope: Scope) -> str:
    return bytes(scope.get("query_string", b"")).decode("latin-1")


def _reply(response: BoltResponse) -> Reply:
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    body = response.body if isinstance(response.body, bytes) else str(response.body or "").encode()
    return Reply(response.status, headers, body)


def _metrics(scope: Scope, token: bytes) -> Reply:
    given = _headers(scope).get("authorization", [""])[0].encode("latin-1")
    if not hmac.compare_digest(given, b"Bearer " + token):
        return _json(401, {"error": "a bearer token is needed"}, ("www-authenticate", "Bearer"))
    return Reply(200, [("content-type", metrics.CONTENT_TYPE)], metrics.exposition())


async def _send(send: Send, reply: Reply) -> None:
    headers = [(name.lower(), value) for name, value in reply.headers if name.lower() != "content-length"]
    headers.append(("content-length", str(len(reply.body))))
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers],
        }
    )
    await send({"type": "http.response.body", "body": reply.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


# -- the server -----------------------------------------------------------------------------------


class _HeadInTime(H11Protocol):
    """uvicorn's HTTP/1.1 connection, closed when a request's head (request line and headers) has not
    arrived within `head_timeout` of the connection opening or of its last answer.

    uvicorn closes an idle keep-alive connection, but forgets the timer at the first byte that comes,
    and sets none before the first request: a client sending a byte a second, or nothing at all, would
    hold its connection for ever. This timer runs until the head is complete, whatever comes meanwhile.
    """

    head_timeout: float = Limits.idle_timeout
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _send_at_once(transport)
        super().connection_made(transport)
        self._await_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._forget_head_timer()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._forget_head_timer()
        self._head_timer = asyncio.get_running_loop().call_later(self.head_timeout, self._head_late)

    def _forget_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        answering = self.cycle is not None and not self.cycle.response_complete
        if not answering and not self.transport.is_closing():
            self.transport.close()


def _send_at_once(transport: asyncio.BaseTransport) -> None:
    """TCP_NODELAY on an accepted connection. asyncio sets it only on sockets whose `proto` is
    IPPROTO_TCP, and `socket.create_server` (`listen`) makes them with proto 0: without it, uvicorn's two
    writes of an answer (the head, then the body) meet Nagle's algorithm, and the body waits for the
    client's delayed ACK, 40 ms on Linux, on every answer that has a body (each `/proud`'s)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _protocol(head_timeout: float) -> type[H11Protocol]:
    return type("HeadInTime", (_HeadInTime,), {"head_timeout": head_timeout})


class HttpServer:
    """An ASGI app (the front) served by uvicorn on a bound socket until `stop()` (from any thread)."""

    def __init__(self, front: Front | MetricsApp, sock: socket.socket, limits: Limits) -> None:
        self._front = front
        self._sock = sock
        self._port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            front,
            interface="asgi3",
            http=_protocol(limits.idle_timeout),
            loop="asyncio",
            lifespan="off",
            log_config=None,  # the bot's logging (bot/logs.py) formats and masks uvicorn's lines too
            log_level="warning",  # not "Started server process" at each start: the bot says what it serves
            access_log=False,
            proxy_headers=False,
            server_header=False,
            backlog=limits.backlog,
            limit_concurrency=limits.max_connections,
            timeout_keep_alive=max(1, int(limits.idle_timeout)),
            h11_max_incomplete_event_size=limits.max_head_bytes,
            timeout_graceful_shutdown=max(1, int(limits.graceful_timeout)),
        )
        self._server = uvicorn.Server(config)

    @property
    def port(self) -> int:
        return self._port

    def serve(self) -> None:
        """Serve until `stop()`; returns once every connection is closed. Signals are left to the caller
        (run it in a thread other than the main one, or handle SIGTERM yourself and call `stop()`)."""
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        finally:
            self._sock.close()  # uvicorn closes it already when it got to serve; closing twice is harmless
            self._front.close()

    def stop(self) -> None:
        """Stop accepting, let requests being answered finish, close every connection (within a tenth of
        a second: uvicorn looks at `should_exit` ten times a second)."""
        self._server.should_exit = True


class MetricsApp:
    """The metrics port: `GET /metrics` and nothing else, served like the front (same connection limits)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == metrics.METRICS_PATH and scope["method"] in ("GET", "HEAD"):
            reply = Reply(200, [("content-type", metrics.CONTENT_TYPE)], metrics.exposition())
        else:
            reply = NOT_FOUND
        await _send(send, reply)

    def close(self) -> None:
        pass


class BackgroundServer:
    """An `HttpServer` serving in a daemon thread of its own."""

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve, name="metrics-http", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.port

    def stop(self) -> None:
        self._server.stop()
        self._thread.join(timeout=10)


def serve_metrics(port: int, *, host: str = "0.0.0.0") -> BackgroundServer:
    """`GET /metrics` on host:port (port 0 picks a free one), in the background. OSError when it is taken."""
    limits = Limits(max_connections=1000)
    sock = socket.create_server((host, port), backlog=limits.backlog)
    return BackgroundServer(HttpServer(MetricsApp(), sock, limits))


# descriptors a process needs besides its HTTP connections: database and Slack connections, files, pipes
DESCRIPTORS_BESIDES_CONNECTIONS = 1024


def raise_descriptor_limit(wanted: int) -> int:
    """Raise the soft limit of open files toward `wanted` (never past the hard limit, which only root may
    raise); returns the limit now in force. Many systems start processes with 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < wanted:
        log.warning(
            "This process may open %d files (its hard limit): it can hold about %d HTTP connections, not the %d "
            "that HTTP_MAX_CONNECTIONS allows. Raise the hard limit (ulimit -Hn, systemd's LimitNOFILE, "
            "docker run --ulimit nofile=...) or lower HTTP_MAX_CONNECTIONS.",
            soft,
            max(0, soft - DESCRIPTORS_BESIDES_CONNECTIONS),
            wanted - DESCRIPTORS_BESIDES_CONNECTIONS,
        )
    return int(soft)


def listen(host: str, port: int, limits: Limits = Limits()) -> socket.socket:  # noqa: B008 (frozen)
    """A socket bound to host:port and listening (OSError when the port is taken): `mindset-bot run` takes
    its port before it migrates the database, so that a port in use is reported at once."""
    return socket.create_server((host, port), backlog=limits.backlog)


def make_http_server(
    app: App,
    engine: Engine,
    *,
    signing_secret: str,
    host: str,
    port: int,
    threads: int,
    metrics_token: str | None = None,
    limits: Limits = Limits(),  # noqa: B008 (frozen)
    sock: socket.socket | None = None,
    dashboard: Dashboard | None = None,
) -> HttpServer:
    """The front bound to host:port (port 0 picks a free one; OSError when taken), or serving on `sock`
    (from `listen`), with `threads` worker threads; `.serve()` runs it."""
    if sock is None:
        sock = listen(host, port, limits)
    front = Front(
        app,
        engine,
        signing_secret=signing_secret,
        threads=threads,
        metrics_token=metrics_token,
        limits=limits,
        dashboard=dashboard,
    )
    return HttpServer(front, sock, limits)
