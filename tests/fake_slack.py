"""A fake Slack Web API: real HTTP on loopback, recording every call, answering errors on demand.

Point a `slack_sdk` client at `FakeSlack.api_url` (the app does it through SLACK_API_URL). Response
URLs (`FakeSlack.response_url(name)`) are served by the same server and recorded as
`response_url:<name>` calls.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

JSON_FIELDS = {"blocks", "attachments", "view", "metadata"}
BOT_USER = "UBOT"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    connection: int = 0  # which TCP connection it came on (the client's port)
    received_at: float = 0.0  # time.monotonic() when it arrived (before any scripted delay)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") or self.params.get("token")


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._scripted: dict[str, deque[Reply]] = {}
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self.users: dict[str, dict[str, Any]] = {}
        self._open: set[socket.socket] = set()
        self._paused = False
        self.held = 0  # requests waiting while paused
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # as a real server: an answer leaves in one write (headers and body buffered, flushed once the
            # request is handled), at once (no Nagle delay on a kept-alive connection)
            wbufsize = 64 * 1024
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with fake._lock:
                    fake._open.add(self.connection)

            def finish(self) -> None:
                with fake._lock:
                    fake._open.discard(self.connection)
                super().finish()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                fake._handle(self, self.rfile.read(length) if length else b"")

            do_GET = do_POST  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()

    # -- addresses -------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.drop_connections()

    def drop_connections(self) -> None:
        """Close every open connection, as a server does with idle ones (keep-alive clients must cope)."""
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def pause(self) -> None:
        """Hold every new request before Slack would act on it, until `resume`. A request whose client has
        gone meanwhile (killed, timed out) is then dropped unanswered, as one that never reached Slack."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._lock.notify_all()

    # -- scripting -------------------------------------------------------------------------

    def script(self, method: str, *replies: Reply) -> None:
        """Answer the next calls of `method` with these replies, in order; then normally again."""
        with self._lock:
            self._scripted.setdefault(method, deque()).extend(replies)

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        self.script(method, *[Reply(body={"ok": False, "error": error}) for _ in range(times)])

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        self.script(
            method,
            *[
                Reply(status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": str(retry_after)})
                for _ in range(times)
            ],
        )

    def server_error(self, method: str, *, status: int = 500, times: int = 1) -> None:
        self.script(method, *[Reply(status=status, body={"ok": False, "error": "fatal_error"}) for _ in range(times)])

    # -- inspecting ------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until `method` was called at least `count` times; fail the test otherwise."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [call for call in self.calls if call.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({call.method for call in self.calls})
                    raise AssertionError(f"expected {count} call(s) to {method}, got {len(found)}; saw {seen}")
                self._lock.wait(left)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._scripted.clear()

    # -- serving ---------------------------------------------------------------------------

    def _hold(self, connection: socket.socket) -> bool:
        """While paused, wait; then whether the client is still there to be answered."""
        with self._lock:
            if not self._paused:
                return True
            self.held += 1
            self._lock.notify_all()
            while self._paused:
                self._lock.wait()
            self.held -= 1
        try:
            return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
        except BlockingIOError:
            return True  # nothing more to read, and not closed
        except OSError:
            return False

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        if not self._hold(handler.connection):
            handler.close_connection = True
            return
        path = handler.path.split("?", 1)[0]
        headers = {key.lower(): value for key, value in handler.headers.items()}
        if path.startswith("/respond/"):
            method = "response_url:" + path.removeprefix("/respond/")
        elif path.startswith("/upload/"):
            method = "upload:" + path.removeprefix("/upload/")
        else:
            method = path.removeprefix("/api/")
        if method.startswith("upload:"):  # a file's bytes, as files_upload_v2 sends them
            params: dict[str, Any] = {"content": body}
        else:
            params = self._parse(body.decode("utf-8"), headers.get("content-type", ""))
        with self._lock:
            scripted = self._scripted.get(method)
            reply = scripted.popleft() if scripted else None
        if reply is None:
            reply = Reply(body=self._default(method, params))
        with self._lock:
            self.calls.append(
                Call(method, params, headers, connection=handler.client_address[1], received_at=time.monotonic())
            )
            self._lock.notify_all()
        if reply.delay:
            time.sleep(reply.delay)
        body = json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _parse(raw: str, content_type: str) -> dict[str, Any]:
        if not raw:
            return {}
        if "json" in content_type:
            data = json.loads(raw)
            return data if isinstance(data, dict) else {"_": data}
        params: dict[str, Any] = {key: values[-1] for key, values in parse_qs(raw).items()}
        for key in JSON_FIELDS & params.keys():
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
        return params

    def _default(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "mindset",
                "team_id": "T111",
                "user_id": BOT_USER,
                "bot_id": "B111",
            }
        if method in ("chat.postMessage", "chat.postEphemeral"):
            ts = f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message_ts": ts}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view = dict(params.get("view") or {})
            view["id"] = f"V{next(self._view_ids):05d}"
            return {"ok": True, "view": view}
        if method == "chat.getPermalink":
            channel, ts = params.get("channel"), str(params.get("message_ts", "")).replace(".", "")
            return {"ok": True, "channel": channel, "permalink": f"https://fake.slack.com/archives/{channel}/p{ts}"}
        if method.startswith("upload:"):
            return {"ok": True}
        if method == "conversations.info":
            # a public channel the bot is in, unless a test scripts otherwise
            channel = str(params.get("channel") or "")
            return {"ok": True, "channel": {"id": channel, "is_private": False, "is_member": True}}
        if method == "conversations.members":
            return {"ok": True, "members": [], "response_metadata": {"next_cursor": ""}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._view_ids):05d}"
            return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": file["id"]} for file in json.loads(params.get("files") or "[]")]}
        if method == "oauth.v2.access":
            # an install: a code "T222:abc" installs in workspace T222 with token xoxb-T222-abc (any other code: T111)
            code = str(params.get("code") or "")
            team_id, _, rest = code.partition(":") if ":" in code else ("T111", "", code)
            return {
                "ok": True,
                "app_id": "A111",
                "authed_user": {"id": "W111"},
                "scope": "commands,chat:write,chat:write.public,channels:read,groups:read,users:read,files:write",
                "token_type": "bot",
                "access_token": f"xoxb-{team_id}-{rest or 'token'}",
                "bot_user_id": BOT_USER,
                "team": {"id": team_id, "name": f"Workspace {team_id}"},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        if method == "users.info":
            user = params.get("user")
            found = self.users.get(str(user))
            if found is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": found}
        return {"ok": True}
