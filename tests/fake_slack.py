"""A fake Slack Web API: real HTTP on loopback, recording every call, answering errors on demand.

Point a `slack_sdk` client at `FakeSlack.api_url` (the app does it through SLACK_API_URL). Response
URLs (`FakeSlack.response_url(name)`) are served by the same server and recorded as
`response_url:<name>` calls.

It is as strict as Slack about what a call must carry: `METHODS` lists every Web API method the bot
calls, with its required arguments and the kind of token it takes. A method not in the table is
answered `unknown_method`, a missing argument `invalid_arguments`, a missing token `not_authed`, a
token of the wrong kind `not_allowed_token_type`, a user id where a conversation id is needed
`channel_not_found`, blocks or a view outside Slack's limits `invalid_blocks` (as Slack answers them;
response URLs' messages are held to the same limits). Each of these is also recorded in `violations`, and the
`fake_slack` fixture fails the test that made one: Slack would have refused the call in production.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

JSON_FIELDS = {"blocks", "attachments", "view", "metadata", "files", "outputs"}
BOT_USER = "UBOT"

# The kinds of token a method takes (https://docs.slack.dev/authentication/tokens).
BOT = "bot"  # a bot token, xoxb-...
APP = "app"  # an app-level token, xapp-... (Socket Mode's apps.connections.open)
CLIENT = "client"  # no token: the app's client id and secret (HTTP Basic auth or arguments), as in OAuth
# a Workflow Builder step's own token, xwfp-...: the `bot_access_token` of its function_executed event
FUNCTION = "function"
USER = "user"  # a user token, xoxp-... (Sign in with Slack's openid.connect.userInfo)
TOKEN_PREFIX = {BOT: "xoxb-", APP: "xapp-", FUNCTION: "xwfp-", USER: "xoxp-"}
# Sign in with Slack's page (not the Web API): https://slack.com/openid/connect/authorize, served by the fake at
# the same place under its root; it signs in whoever `FakeSlack.sign_in_as` names and sends the browser back
AUTHORIZE_PATH = "/openid/connect/authorize"


@dataclass(frozen=True)
class Method:
    """What Slack requires of a call: arguments that must be there (and not empty), a group of which at
    least one must be there, and the kind of token. `user_as_channel`: `channel` may name a user (Slack
    posts in the DM with them and answers the DM's id); elsewhere a conversation id (C, G, D) is needed."""

    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    token: str = BOT
    user_as_channel: bool = False


# Every Web API method the bot calls, itself or through slack_sdk and Bolt, and what Slack requires of it:
# the "Required arguments" of https://docs.slack.dev/reference/methods/<method>. Calling a new method?
# Add its line here (tests/test_fake_slack.py checks that every method the code calls is in the table).
METHODS: dict[str, Method] = {
    "apps.connections.open": Method(token=APP),
    "auth.test": Method(),
    "chat.delete": Method(required=("channel", "ts")),
    "chat.getPermalink": Method(required=("channel", "message_ts")),
    "chat.postEphemeral": Method(required=("channel", "user"), one_of=("text", "blocks", "attachments")),
    "chat.postMessage": Method(required=("channel",), one_of=("text", "blocks", "attachments"), user_as_channel=True),
    "chat.update": Method(required=("channel", "ts")),
    "conversations.info": Method(required=("channel",)),
    "conversations.list": Method(),
    "conversations.members": Method(required=("channel",)),
    "conversations.open": Method(one_of=("users", "channel")),
    # files_upload_v2: get an upload URL, send the bytes there (recorded as upload:<file id>), complete
    "files.getUploadURLExternal": Method(required=("filename", "length")),
    "files.completeUploadExternal": Method(required=("files",)),
    # a custom step ends with one of these, with the step's own token (Bolt's complete() / fail())
    "functions.completeError": Method(required=("function_execution_id", "error"), token=FUNCTION),
    "functions.completeSuccess": Method(required=("function_execution_id", "outputs"), token=FUNCTION),
    "oauth.v2.access": Method(required=("code",), token=CLIENT),
    # Sign in with Slack (the web dashboard): the code for tokens, then who signed in
    "openid.connect.token": Method(required=("code",), token=CLIENT),
    "openid.connect.userInfo": Method(token=USER),
    "team.info": Method(),
    "users.info": Method(required=("user",)),
    "users.list": Method(),
    "views.open": Method(required=("view",), one_of=("trigger_id", "interactivity_pointer")),
    "views.publish": Method(required=("user_id", "view")),
    "views.push": Method(required=("view",), one_of=("trigger_id", "interactivity_pointer")),
    "views.update": Method(required=("view",), one_of=("view_id", "external_id")),
}
CHANNEL_ARGUMENTS = ("channel", "channel_id")
# Slack refuses a message of more than 50 blocks and a view of more than 100 (invalid_blocks)
MAX_BLOCKS = {"blocks": 50, "view": 100}


def is_user_id(value: str) -> bool:
    return value[:1] in ("U", "W")


def dm_channel(user_id: str) -> str:
    """The id of the bot's DM with a user, as chat.postMessage answers it when posting to the user's id."""
    return "D" + user_id[1:]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    connection: int = 0  # which TCP connection it came on (the client's port)
    # the order of events at the fake, never a time: `arrived` counts when the call came in (before any
    # scripted delay), `answered` when its answer was sent (None until then); both count on one sequence
    arrived: int = 0
    answered: int | None = None

    @property
    def token(self) -> str | None:
        """The bearer token the call carried (Authorization header or `token` argument)."""
        auth = self.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ") or None
        token = self.params.get("token")
        return str(token) if token else None

    @property
    def client_credentials(self) -> tuple[str, str] | None:
        """The app's client id and secret, from HTTP Basic auth or the arguments."""
        auth = self.headers.get("authorization", "")
        if auth.startswith("Basic "):
            with contextlib.suppress(ValueError):
                client_id, _, secret = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
                if client_id and secret:
                    return client_id, secret
        client_id, secret = self.params.get("client_id"), self.params.get("client_secret")
        return (str(client_id), str(secret)) if client_id and secret else None


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
        self._order = itertools.count(1)
        self._view_ids = itertools.count(1)
        self.users: dict[str, dict[str, Any]] = {}
        self.violations: list[str] = []  # calls Slack would refuse as malformed: see the module's docstring
        self._triggers: set[str] = set()  # trigger ids exchanged for a view (each works once)
        self._open: set[socket.socket] = set()
        self._paused = False
        self.held = 0  # requests waiting while paused
        # Sign in with Slack: who the authorize page signs in (team, user, name), the codes it gave and the user
        # tokens those were exchanged for
        self.signing_in: tuple[str, str, str] | None = None
        self._oidc_codes: dict[str, dict[str, Any]] = {}
        self._oidc_tokens: dict[str, dict[str, Any]] = {}
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
                body = self.rfile.read(length) if length else b""
                if len(body) < length:
                    # the client went away part way through its request (a process killed while it posted): Slack
                    # never sees such a request, so it is neither answered nor held against the bot
                    self.close_connection = True
                    return
                fake._handle(self, body)

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

    def add_user(self, user_id: str, *, tz: str = "UTC", role: str = "member", **extra: Any) -> None:
        """A person of the workspace as `users.info` answers them. `role` "admin", "owner" or "primary_owner"
        sets Slack's flags (`is_admin`, `is_owner`, `is_primary_owner`), as Slack sets them: an owner is an
        admin too."""
        owner = role in ("owner", "primary_owner")
        self.users[user_id] = {
            "id": user_id,
            "name": user_id.lower(),
            "tz": tz,
            "deleted": False,
            "is_bot": False,
            "is_admin": owner or role == "admin",
            "is_owner": owner,
            "is_primary_owner": role == "primary_owner",
            **extra,
        }

    def sign_in_as(self, user_id: str, *, team_id: str = "T111", name: str = "") -> None:
        """Who the fake's Sign in with Slack page signs in from now on."""
        with self._lock:
            self.signing_in = (team_id, user_id, name or f"Person {user_id}")

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _authorize(self, handler: BaseHTTPRequestHandler, query: str) -> None:
        """The authorize page: straight back to `redirect_uri` with a code for `signing_in` (or `access_denied`
        when nobody is set), and the state as given; recorded as the call `authorize`."""
        params = self._parse(query, "")
        with self._lock:
            self.calls.append(Call("authorize", params, {}, arrived=next(self._order)))
            self._lock.notify_all()
            who = self.signing_in
        redirect_uri = str(params.get("redirect_uri") or "")
        back: dict[str, str] = {"state": str(params.get("state") or "")}
        if who is None or params.get("response_type") != "code" or "openid" not in str(params.get("scope")):
            back["error"] = "access_denied"
        else:
            code = f"oidc-code-{next(self._order)}"
            with self._lock:
                self._oidc_codes[code] = {
                    "team_id": who[0],
                    "user_id": who[1],
                    "name": who[2],
                    "nonce": params.get("nonce"),
                    "client_id": params.get("client_id"),
                    "redirect_uri": redirect_uri,
                }
            back["code"] = code
        handler.send_response(302)
        handler.send_header("Location", f"{redirect_uri}?{urlencode(back)}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _oidc_token(self, call: Call) -> dict[str, Any]:
        with self._lock:
            granted = self._oidc_codes.pop(str(call.params.get("code")), None)  # a code works once
        credentials = call.client_credentials
        if granted is None:
            return {"ok": False, "error": "invalid_code"}
        if credentials is None or credentials[0] != granted["client_id"]:
            return {"ok": False, "error": "invalid_client_id"}
        if call.params.get("redirect_uri") != granted["redirect_uri"]:
            return {"ok": False, "error": "bad_redirect_uri"}
        claims = {
            "iss": "https://slack.com",
            "sub": granted["user_id"],
            "aud": granted["client_id"],
            "nonce": granted["nonce"],
            "https://slack.com/user_id": granted["user_id"],
            "https://slack.com/team_id": granted["team_id"],
            "https://slack.com/team_domain": f"fake-{granted['team_id'].lower()}",
            "name": granted["name"],
        }
        token = f"xoxp-oidc-{next(self._order)}"
        with self._lock:
            self._oidc_tokens[token] = claims
        return {"ok": True, "access_token": token, "token_type": "Bearer", "id_token": _jwt(claims)}

    def script(self, method: str, *replies: Reply) -> None:
        """Answer the next calls of `method` with these replies, in order; then normally again."""
        if method not in METHODS and not method.startswith(("response_url:", "upload:")):
            raise ValueError(f"{method} is not in METHODS: the bot could never call it (a misspelling?)")
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
        path, query = urlsplit(handler.path).path, urlsplit(handler.path).query
        if path == AUTHORIZE_PATH:
            self._authorize(handler, query)
            return
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
            params = {**self._parse(query, ""), **self._parse(body.decode("utf-8"), headers.get("content-type", ""))}
        call = Call(method, params, headers, connection=handler.client_address[1], arrived=next(self._order))
        refusal = self._refusal(call)
        reply = None
        if refusal is not None:
            reply = Reply(body=refusal)
        else:
            with self._lock:
                scripted = self._scripted.get(method)
                reply = scripted.popleft() if scripted else None
        if reply is None and method == "openid.connect.token":
            reply = Reply(body=self._oidc_token(call))
        if reply is None and method == "openid.connect.userInfo":
            with self._lock:
                claims = self._oidc_tokens.get(str(call.token))
            reply = Reply(body={"ok": True, **claims} if claims else {"ok": False, "error": "invalid_auth"})
        if reply is None:
            reply = Reply(body=self._default(method, params))
        with self._lock:
            self.calls.append(call)
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
        with self._lock:
            call.answered = next(self._order)  # before it leaves: whatever the answer sets off comes after
        handler.wfile.write(body)

    def _refusal(self, call: Call) -> dict[str, Any] | None:
        """Slack's answer to a call it would refuse whatever the test scripted, or None. A malformed call (an
        unknown method, a missing argument or token, a token of the wrong kind) is also a violation."""
        if call.method.startswith("upload:"):
            return None
        if call.method.startswith("response_url:"):  # a message too: Slack checks its blocks the same way
            invalid = invalid_blocks(call.params)
            return None if invalid is None else self._violated(call, "invalid_blocks", invalid)
        method = METHODS.get(call.method)
        if method is None:
            return self._violated(call, "unknown_method", f"{call.method} is not a Web API method the fake knows")
        if method.token == CLIENT:
            if call.client_credentials is None:
                return self._violated(call, "invalid_client_id", "no client id and secret")
        else:
            token = call.token
            if token is None:
                return self._violated(call, "not_authed", "no token")
            if not token.startswith(TOKEN_PREFIX[method.token]):
                return self._violated(
                    call, "not_allowed_token_type", f"needs a {method.token} token ({TOKEN_PREFIX[method.token]}...)"
                )
        missing = [name for name in method.required if _blank(call.params.get(name))]
        if method.one_of and all(_blank(call.params.get(name)) for name in method.one_of):
            missing.append(" or ".join(method.one_of))
        if missing:
            return self._violated(call, "invalid_arguments", f"missing required field: {', '.join(missing)}")
        for name in CHANNEL_ARGUMENTS:
            value = str(call.params.get(name) or "")
            if is_user_id(value) and not (name == "channel" and method.user_as_channel):
                # "For direct messages, ensure that this value is a DM ID (starts with D) instead of a User ID"
                return self._violated(call, "channel_not_found", f"{name}={value} is a user id, not a conversation")
        invalid = invalid_blocks(call.params)
        if invalid:
            return self._violated(call, "invalid_blocks", invalid)
        trigger = str(call.params.get("trigger_id") or "")
        if trigger and call.method in ("views.open", "views.push"):
            with self._lock:
                if trigger in self._triggers:
                    return {"ok": False, "error": "trigger_exchanged"}  # a trigger opens one view
                self._triggers.add(trigger)
        return None

    def _violated(self, call: Call, error: str, why: str) -> dict[str, Any]:
        with self._lock:
            self.violations.append(f"{call.method}: {error} ({why})")
        return {"ok": False, "error": error, "response_metadata": {"messages": [f"[ERROR] {why}"]}}

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
            channel = str(params.get("channel"))
            # posted to a user's id, the message lands in the DM with them: Slack answers the DM's id
            channel = dm_channel(channel) if is_user_id(channel) and method == "chat.postMessage" else channel
            return {"ok": True, "channel": channel, "ts": ts, "message_ts": ts}
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
            files = params.get("files")
            return {"ok": True, "files": [{"id": file["id"]} for file in files if isinstance(file, dict)]}
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
        if method == "users.list":
            return {"ok": True, "members": list(self.users.values()), "response_metadata": {"next_cursor": ""}}
        if method == "conversations.open":
            users = str(params.get("users") or "")
            return {"ok": True, "channel": {"id": dm_channel(users) if is_user_id(users) else params.get("channel")}}
        if method == "conversations.list":
            return {"ok": True, "channels": [], "response_metadata": {"next_cursor": ""}}
        if method == "team.info":
            return {"ok": True, "team": {"id": "T111", "name": "Fake"}}
        return {"ok": True}


def _jwt(claims: dict[str, Any]) -> str:
    """An ID token shaped as Slack's (header, claims, signature; the signature is not checked by the bot)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    return f"{header}.{part(json.dumps(claims).encode())}.{part(b'fake-signature')}"


def invalid_blocks(params: dict[str, Any]) -> str | None:
    """Why Slack would refuse a call's `blocks` or `view` (invalid_blocks), or None: more blocks than it
    shows, or a block or view outside the limits slack_sdk's models hold (Slack's documented ones:
    3,000 characters of section text, 75 of a button's, 24 of a modal's title, ...)."""
    blocks, view = params.get("blocks"), params.get("view")
    if isinstance(blocks, list):
        if len(blocks) > MAX_BLOCKS["blocks"]:
            return f"{len(blocks)} blocks in blocks, at most {MAX_BLOCKS['blocks']}"
        for block in blocks:
            problem = _model_problem(Block.parse, block)
            if problem:
                return f"block {block.get('block_id') or block.get('type')}: {problem}"
    if isinstance(view, dict):
        found = view.get("blocks")
        if isinstance(found, list) and len(found) > MAX_BLOCKS["view"]:
            return f"{len(found)} blocks in view, at most {MAX_BLOCKS['view']}"
        problem = _model_problem(lambda found: View(**found), view)
        if problem:
            return f"view: {problem}"
    return None


def _model_problem(build: Callable[[dict[str, Any]], Any], value: dict[str, Any]) -> str | None:
    try:
        model = build(value)
        if model is not None:  # a block type slack_sdk does not know is left to Slack
            model.to_dict()  # validates the model and every object in it
    except (SlackObjectFormationError, KeyError, TypeError, ValueError, AttributeError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}
