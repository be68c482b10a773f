"""A fake Slack Socket Mode server: a real WebSocket endpoint (RFC 6455) on loopback, standard library only.

It speaks Slack's side of Socket Mode as slack_sdk's builtin `SocketModeClient` (the client behind Bolt's
`SocketModeHandler`, see `slack_sdk/socket_mode/builtin/`) expects it:

- The client asks the Web API `apps.connections.open` for a URL. Answer it with `FakeSocketMode.url`
  (`ws://127.0.0.1:<port>/link`): `connections_open_reply()` is that answer for `FakeSlack.script`. The
  builtin client wraps the socket in TLS only on port 443, so a `ws://` URL on another port is plain TCP.
- The client sends an HTTP/1.1 `GET /link?` with `Upgrade: websocket`, `Sec-WebSocket-Version: 13` and a
  `Sec-WebSocket-Key`; the fake answers `101 Switching Protocols` with the matching `Sec-WebSocket-Accept`
  (anything else is refused with `400` and recorded in `problems`), then sends `{"type": "hello", ...}`.
- The client pings right after the handshake and then every ping interval, and drops a connection that
  has not had a pong for four intervals: the fake answers every ping with a pong carrying the same payload.
- Envelopes go to the client as unmasked text frames; the client answers each with a masked text frame
  `{"envelope_id": ..., "payload": ...?}`, recorded as an `Ack`.
- Frames from the client must be masked, without reserved bits, control frames short and final, text valid
  UTF-8; a violation is recorded in `problems` and the connection is closed with 1002.
- `request_refresh()` sends `{"type": "disconnect", "reason": "refresh_requested"}` the way Slack announces
  that it will close a connection; `drop()` closes the connection with a close frame, `drop(abrupt=True)`
  cuts the TCP connection without one.

How the builtin client (slack_sdk 3.48) reacts, measured against this fake: after `disconnect` it opens a
new connection at once (and lets the old one go within its 3 s receive timeout); after a close frame it
reconnects at its next liveness check, up to one ping interval later (10 s under Bolt); after an abrupt
cut it takes the end of the stream for "no data yet", spins on it, and reconnects only once five
liveness checks have failed (about 50 s).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CLOSE_NORMAL, CLOSE_GOING_AWAY, CLOSE_PROTOCOL_ERROR = 1000, 1001, 1002
MAX_HANDSHAKE = 16 * 1024
MAX_MESSAGE = 16 * 1024 * 1024
ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept answer to a Sec-WebSocket-Key (RFC 6455, section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode("ascii")).digest()).decode("ascii")


def server_frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame, as a server sends it."""
    length = len(payload)
    if length <= 125:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length <= 0xFFFF:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


class ProtocolError(Exception):
    """The client broke RFC 6455; the connection is closed with 1002."""


class _Closed(Exception):
    """The peer closed the TCP connection."""


@dataclass(frozen=True)
class Ack:
    """An acknowledgement the client sent for an envelope."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int  # the index of the connection it came on
    message: dict[str, Any]


@dataclass
class Connection:
    """One accepted WebSocket connection."""

    index: int
    path: str
    headers: dict[str, str]
    sock: socket.socket
    pings: list[bytes] = field(default_factory=list)
    close_code: int | None = None  # the code of the client's close frame, if it sent one
    closed: threading.Event = field(default_factory=threading.Event)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)
    _close_sent: bool = False

    @property
    def open(self) -> bool:
        return not self.closed.is_set()

    def send_frame(self, opcode: int, payload: bytes) -> None:
        with self._send_lock:
            if self._close_sent and opcode != OP_CLOSE:
                raise AssertionError(f"connection {self.index} is closing; nothing more can be sent on it")
            self.sock.sendall(server_frame(opcode, payload))

    def send_json(self, message: dict[str, Any]) -> None:
        self.send_frame(OP_TEXT, json.dumps(message).encode("utf-8"))

    def send_close(self, code: int, reason: str = "") -> None:
        """Start the closing handshake (once); the reader closes the socket when the client is done."""
        with self._send_lock:
            if self._close_sent:
                return
            self._close_sent = True
            with contextlib.suppress(OSError):
                self.sock.sendall(server_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8")))

    def cut(self) -> None:
        """Drop the TCP connection without a closing handshake."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


class FakeSocketMode:
    """Slack's Socket Mode endpoint for one app: accepts WebSocket clients, pushes envelopes, records acks."""

    def __init__(self, *, app_id: str = "A111", send_hello: bool = True) -> None:
        self.app_id = app_id
        self.send_hello = send_hello
        self.connections: list[Connection] = []
        self.acks: list[Ack] = []
        self.messages: list[dict[str, Any]] = []  # every text message the clients sent, acks included
        self.problems: list[str] = []  # protocol violations and refused handshakes
        self.sent: list[dict[str, Any]] = []  # every message the fake sent, hello included
        self.handshakes = 0  # upgrades answered with 101 (counted before the client can see the answer)
        self._lock = threading.Condition()
        self._closed = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._start(self._accept_loop, "fake-socket-mode-accept")

    # -- addresses -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    def connections_open_reply(self) -> dict[str, Any]:
        """The body `apps.connections.open` answers with: where to connect."""
        return {"ok": True, "url": self.url}

    # -- pushing -------------------------------------------------------------------------------

    @property
    def current(self) -> Connection:
        """The newest connection that is still open."""
        with self._lock:
            live = [connection for connection in self.connections if connection.open]
        if not live:
            raise AssertionError(f"no client is connected (connections so far: {len(self.connections)})")
        return live[-1]

    def send(self, message: dict[str, Any], connection: Connection | None = None) -> None:
        """Send any JSON message to the client (on the newest connection unless told)."""
        (connection or self.current).send_json(message)
        with self._lock:
            self.sent.append(message)

    def push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Deliver an envelope the way Slack does; returns its envelope_id.

        Slack sets `accepts_response_payload` on slash commands and view submissions, and gives every
        Events API envelope `retry_attempt` and `retry_reason` (0 and "" on the first delivery).
        """
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {envelope_type!r}; Slack sends {ENVELOPE_TYPES}")
        envelope_id = envelope_id or str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                envelope_type == "interactive" and payload.get("type") == "view_submission"
            )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        else:
            if retry_attempt is not None:
                envelope["retry_attempt"] = retry_attempt
            if retry_reason is not None:
                envelope["retry_reason"] = retry_reason
        self.send(envelope)
        return envelope_id

    def request_refresh(self) -> Connection:
        """Tell the client to move to a new connection, as Slack does before it closes one."""
        connection = self.current
        self.send({"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "applink-fake"}})
        return connection

    def drop(self, *, abrupt: bool = False) -> Connection:
        """Close the newest connection: with a close frame (1001, going away), or by cutting TCP."""
        connection = self.current
        if abrupt:
            connection.cut()
        else:
            connection.send_close(CLOSE_GOING_AWAY, "going away")
        return connection

    # -- waiting -------------------------------------------------------------------------------

    def wait_for_connection(self, count: int = 1, timeout: float = 10.0) -> Connection:
        """Wait until `count` connections have been accepted and one is open; return the newest open one."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                live = [connection for connection in self.connections if connection.open]
                if len(self.connections) >= count and live:
                    return live[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} open connection(s), got {len(self.connections)} "
                        f"({sum(c.open for c in self.connections)} open); problems: {self.problems}"
                    )
                self._lock.wait(left)

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        """The client's acknowledgement of an envelope; fail the test if it does not come in time."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for ack in self.acks:
                    if ack.envelope_id == envelope_id:
                        return ack
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [ack.envelope_id for ack in self.acks]
                    raise AssertionError(f"no ack for envelope {envelope_id} within {timeout} s; acked: {seen}")
                self._lock.wait(left)

    def wait_until_closed(self, connection: Connection, timeout: float = 10.0) -> None:
        if not connection.closed.wait(timeout):
            raise AssertionError(f"connection {connection.index} is still open after {timeout} s")

    def acks_for(self, envelope_id: str) -> list[Ack]:
        with self._lock:
            return [ack for ack in self.acks if ack.envelope_id == envelope_id]

    # -- stopping ------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections = list(self.connections)
        for connection in connections:
            connection.cut()
        # wake the accept loop: it sees `_closed` and stops
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            pass
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=5)
        self._listener.close()

    # -- serving -------------------------------------------------------------------------------

    def _start(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                closed = self._closed
            if closed:
                sock.close()
                return
            sock.settimeout(None)
            self._start(self._serve, "fake-socket-mode-connection", sock)

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)
            self._lock.notify_all()

    def _serve(self, sock: socket.socket) -> None:
        reader = _Reader(sock)
        connection: Connection | None = None
        try:
            connection = self._handshake(sock, reader)
            if connection is None:
                return
            with self._lock:
                live = sum(c.open for c in self.connections) + 1
            if self.send_hello:
                self.send(
                    {
                        "type": "hello",
                        "num_connections": live,
                        "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
                        "connection_info": {"app_id": self.app_id},
                    },
                    connection,
                )
            with self._lock:  # only now is it a connection tests see: hello comes first, as from Slack
                connection.index = len(self.connections)
                self.connections.append(connection)
                self._lock.notify_all()
            self._read_messages(connection, reader)
        except ProtocolError as error:
            self._problem(f"connection {connection.index if connection else '?'}: {error}")
            if connection is not None:
                connection.send_close(CLOSE_PROTOCOL_ERROR, str(error)[:100])
        except (_Closed, OSError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            if connection is not None:
                with self._lock:
                    connection.closed.set()
                    self._lock.notify_all()

    def _handshake(self, sock: socket.socket, reader: _Reader) -> Connection | None:
        """Answer the opening handshake: 101 with Sec-WebSocket-Accept, or 400 naming what is wrong."""
        raw = reader.read_until(b"\r\n\r\n", MAX_HANDSHAKE).decode("latin-1")
        request_line, _, header_block = raw.partition("\r\n")
        headers: dict[str, str] = {}
        malformed = [line for line in header_block.split("\r\n") if line and ":" not in line]
        for line in filter(None, header_block.split("\r\n")):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        why = _handshake_problem(request_line, headers, malformed)
        if why is not None:
            self._problem(f"handshake refused: {why}")
            body = why.encode("utf-8")
            sock.sendall(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode("ascii")
                + body
            )
            return None
        with self._lock:
            self.handshakes += 1
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept_key(headers['sec-websocket-key'])}\r\n"
                "\r\n"
            ).encode("ascii")
        )
        return Connection(index=-1, path=request_line.split(" ")[1], headers=headers, sock=sock)

    def _read_messages(self, connection: Connection, reader: _Reader) -> None:
        fragments: list[bytes] = []
        fragmented_opcode: int | None = None
        while True:
            fin, opcode, payload = self._read_frame(reader)
            if opcode >= 0x8:  # control frames may come between fragments
                if opcode == OP_PING:
                    connection.pings.append(payload)
                    with contextlib.suppress(AssertionError):  # no pong once closing
                        connection.send_frame(OP_PONG, payload)
                elif opcode == OP_CLOSE:
                    if len(payload) == 1:
                        raise ProtocolError("a close frame with a one-byte body")
                    connection.close_code = struct.unpack("!H", payload[:2])[0] if payload else 1005
                    connection.send_close(connection.close_code if payload else CLOSE_NORMAL)
                    return
                elif opcode != OP_PONG:
                    raise ProtocolError(f"unknown control opcode {opcode:#x}")
                continue
            if opcode == OP_CONTINUATION:
                if fragmented_opcode is None:
                    raise ProtocolError("a continuation frame without a message to continue")
            elif fragmented_opcode is not None:
                raise ProtocolError("a new message before the fragmented one ended")
            elif opcode in (OP_TEXT, OP_BINARY):
                fragmented_opcode = opcode
            else:
                raise ProtocolError(f"unknown data opcode {opcode:#x}")
            fragments.append(payload)
            if sum(map(len, fragments)) > MAX_MESSAGE:
                raise ProtocolError("a message over 16 MiB")
            if not fin:
                continue
            data, message_opcode = b"".join(fragments), fragmented_opcode
            fragments, fragmented_opcode = [], None
            if message_opcode == OP_BINARY:
                self._problem(f"connection {connection.index}: a binary message ({len(data)} bytes); Slack takes text")
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("a text message that is not UTF-8") from None
            self._received(connection, text)

    def _received(self, connection: Connection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            self._problem(f"connection {connection.index}: a text message that is not JSON: {text[:200]!r}")
            return
        if not isinstance(message, dict):
            self._problem(f"connection {connection.index}: a JSON message that is not an object: {text[:200]!r}")
            return
        with self._lock:
            self.messages.append(message)
            if "envelope_id" in message:
                payload = message.get("payload")
                self.acks.append(
                    Ack(
                        envelope_id=str(message["envelope_id"]),
                        payload=payload if isinstance(payload, dict) else None,
                        connection=connection.index,
                        message=message,
                    )
                )
            self._lock.notify_all()

    @staticmethod
    def _read_frame(reader: _Reader) -> tuple[bool, int, bytes]:
        first, second = reader.read_exactly(2)
        fin, reserved, opcode = bool(first & 0x80), first & 0x70, first & 0x0F
        masked, length = bool(second & 0x80), second & 0x7F
        if reserved:
            raise ProtocolError("reserved bits set without a negotiated extension")
        if not masked:
            raise ProtocolError("an unmasked frame from the client")
        if length == 126:
            (length,) = struct.unpack("!H", reader.read_exactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", reader.read_exactly(8))
            if length >> 63:
                raise ProtocolError("a 64-bit length with the top bit set")
        if opcode >= 0x8 and (length > 125 or not fin):
            raise ProtocolError("a control frame that is fragmented or longer than 125 bytes")
        if length > MAX_MESSAGE:
            raise ProtocolError("a frame over 16 MiB")
        mask = reader.read_exactly(4)
        data = reader.read_exactly(length)
        unmasked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(data))
        return fin, opcode, unmasked


def _handshake_problem(request_line: str, headers: dict[str, str], malformed: list[str]) -> str | None:
    """What makes an opening handshake unacceptable (RFC 6455, section 4.2.1), or None."""
    parts = request_line.split(" ")
    if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
        return f"not an HTTP/1.1 GET: {request_line!r}"
    if malformed:
        return f"malformed header line {malformed[0]!r}"
    if "host" not in headers:
        return "no Host header"
    if headers.get("upgrade", "").lower() != "websocket":
        return f"Upgrade is {headers.get('upgrade')!r}, not websocket"
    if "upgrade" not in [token.strip().lower() for token in headers.get("connection", "").split(",")]:
        return f"Connection is {headers.get('connection')!r}, not Upgrade"
    if headers.get("sec-websocket-version") != "13":
        return f"Sec-WebSocket-Version is {headers.get('sec-websocket-version')!r}, not 13"
    key = headers.get("sec-websocket-key", "")
    try:
        if len(base64.b64decode(key, validate=True)) == 16:
            return None
    except (binascii.Error, ValueError):
        pass
    return f"Sec-WebSocket-Key {key!r} is not 16 random bytes in base64"


class _Reader:
    """Buffered reads of exact sizes from a blocking socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise _Closed()
        self._buffer += chunk

    def read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read_until(self, marker: bytes, limit: int) -> bytes:
        while (end := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit:
                raise ProtocolError(f"no end of the handshake within {limit} bytes")
            self._fill()
        data = bytes(self._buffer[:end])
        del self._buffer[: end + len(marker)]
        return data
