"""What a request over HTTP must be before Bolt sees it: signed by Slack, fresh, UTF-8, and a JSON object
(or a form) of the shape its content type says.

Bolt checks signatures too, but only after it has parsed the body (a `payload=` that is not JSON, or a
JSON array, raises before any check), and slack_sdk's check raises on a timestamp that is not a whole
number, which sends the unsigned body to the error handler. Here the raw bytes are checked first, with
nothing taken from the body, and only a signed, well-formed request becomes a `BoltRequest`, marked as
verified in its context: `bot/app.py` and `bot/errors.py` act on nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from slack_bolt import BoltRequest
from slack_bolt.request.internals import parse_body

# Slack's requests are a few kilobytes (a form's state at most some hundreds): 1 MiB is ample.
MAX_BODY_BYTES = 1024 * 1024
# Slack signs each request with the time it sent it; older than this, it may be a replay.
MAX_SIGNATURE_AGE = 5 * 60
# set in the context of every request whose signature was checked here (HTTP), see `verified`
VERIFIED = "mindset_signature_verified"
# the request's `storage.db.Deadline` (HTTP): the front answers by itself when the database is too slow
ANSWER_DEADLINE = "mindset_answer_deadline"

TIMESTAMP = re.compile(r"[0-9]{1,12}")  # seconds since 1970: digits only (no sign, point, exponent or spaces)
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

Headers = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Refused:
    """Why a request does not reach Bolt: the HTTP status and a short reason (for the response)."""

    status: int
    reason: str


NOT_SIGNED = Refused(401, "invalid request")
NOT_UTF8 = Refused(400, "the body is not UTF-8")
MALFORMED = Refused(400, "the body is not a Slack request")


class SignatureCheck:
    """Slack's request signature (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`), on the raw bytes."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret.encode()
        self._clock = clock

    def verified(self, body: bytes, timestamp: str | None, signature: str | None) -> bool:
        if timestamp is None or signature is None:
            return False
        if not TIMESTAMP.fullmatch(timestamp) or not SIGNATURE.fullmatch(signature):
            return False
        if abs(self._clock() - int(timestamp)) > MAX_SIGNATURE_AGE:
            return False
        digest = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest("v0=" + digest, signature)


def admit(body: bytes, headers: Headers, query: str, check: SignatureCheck) -> BoltRequest | Refused:
    """The request for Bolt, marked verified, or why it is refused (401 unsigned, 400 malformed)."""
    if not check.verified(body, _first(headers, "x-slack-request-timestamp"), _first(headers, "x-slack-signature")):
        return NOT_SIGNED
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_UTF8
    content_type = (_first(headers, "content-type") or "").split(";")[0].strip().lower() or None
    try:
        parsed = parse_body(text, content_type)  # as Bolt will parse it
    except ValueError:  # JSON that is not JSON (a form sent as application/json, a payload= that is not JSON)
        return MALFORMED
    if not isinstance(parsed, dict):  # a JSON array, a number, `payload=null`
        return MALFORMED
    try:
        return BoltRequest(body=text, query=query, headers=dict(headers), context={VERIFIED: True})
    except (ValueError, TypeError, AttributeError, KeyError):  # an object whose fields are not of Slack's shapes
        return MALFORMED


def verified(request: BoltRequest) -> bool:
    """Whether the request came from Slack: signed and checked by `admit`, or over Socket Mode (the
    WebSocket that Slack opened with the app-level token)."""
    return request.mode == "socket_mode" or request.context.get(VERIFIED) is True


def _first(headers: Headers, name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None
