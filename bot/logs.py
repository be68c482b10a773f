"""Logging for the entry point: text for people or JSON lines for collectors, each line saying which
workspace and which Slack request or engine job it belongs to, and never a token or a secret.

The context lives in a `ContextVar`: the app's `dispatch` (bot/app.py) sets it for the quick part of a
request, the `in_background` wrapper for the lazy part (it runs in another thread, where the request's
context is not), and the engine around each tick and delivery. A filter on the handler copies it onto
each record.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"
# Slack's tokens: bot (xoxb-), user (xoxp-), app-level (xapp-), and the other xox?- kinds (refresh, legacy)
TOKEN_PATTERN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")
MASK = "***"
# what a value from a request may keep in a log line
UNSAFE = re.compile(r"[^A-Za-z0-9 ._:/#@+-]")
MAX_CONTEXT_LENGTH = 120
# what one log line may carry: a message, and a traceback (request bodies never reach a log whole)
MAX_MESSAGE_LENGTH = 2000
MAX_TRACEBACK_LENGTH = 20000


@dataclass(frozen=True)
class LogContext:
    team: str | None = None
    request: str | None = None
    job: str | None = None


NO_CONTEXT = LogContext()
_context: ContextVar[LogContext | None] = ContextVar("mindset_log_context", default=None)


def current_context() -> LogContext:
    return _context.get() or NO_CONTEXT


@contextlib.contextmanager
def log_context(*, team: str | None = None, request: str | None = None, job: str | None = None) -> Iterator[None]:
    """Log lines inside carry this workspace and request or job (what is not given stays as it was)."""
    now = current_context()
    token = _context.set(
        replace(
            now,
            team=team if team is not None else now.team,
            request=request if request is not None else now.request,
            job=job if job is not None else now.job,
        )
    )
    try:
        yield
    finally:
        _context.reset(token)


# -- what a Slack request is, for log lines and metrics -----------------------------------------


def _get(value: Any, *path: str | int) -> Any:
    """`value[path[0]][path[1]]...`, or None: a body may be of any shape before its signature is checked."""
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and len(value) > step:
            value = value[step]
        elif isinstance(step, str) and isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
    return value


def request_team(body: Mapping[str, Any]) -> str | None:
    team = _get(body, "team_id") or _get(body, "team", "id") or _get(body, "user", "team_id")
    return str(team) if team else None


def request_kind(body: Mapping[str, Any]) -> str:
    """A slash command's name, an event's type, or an interaction's type: few values, fit for a metric label."""
    if _get(body, "command"):
        return str(body["command"])
    if _get(body, "type") == "event_callback":
        return str(_get(body, "event", "type") or "event")
    return str(_get(body, "type") or "unknown")


def request_id(body: Mapping[str, Any]) -> str:
    """Which request this is: `/proud <trigger id>`, `app_home_opened <event id>`,
    `block_actions:<action id> <trigger id>`, `view_submission:<callback id> <trigger id>`."""
    kind = request_kind(body)
    if _get(body, "type") == "event_callback":
        return f"{kind} {_get(body, 'event_id') or '?'}"
    if not _get(body, "command"):
        what = _interaction_target(body)
        if what:
            kind = f"{kind}:{what}"
    trigger = _get(body, "trigger_id")
    return f"{kind} {trigger}" if trigger else kind


def _interaction_target(body: Mapping[str, Any]) -> str | None:
    """The button or menu (action id), the form (callback id) or the shortcut (callback id) used."""
    target = (
        _get(body, "actions", 0, "action_id")
        or _get(body, "action_id")
        or _get(body, "callback_id")
        or _get(body, "view", "callback_id")
    )
    return str(target) if target else None


@contextlib.contextmanager
def request_context(body: Mapping[str, Any]) -> Iterator[None]:
    """The log context of one Slack request, from its body.

    The body may not be Slack's yet (its signature is checked inside): what goes into a log line is
    cut to a sane length and stripped of anything but plain characters, so no one can forge lines.
    """
    team = request_team(body)
    with log_context(team=_plain(team) if team else None, request=_plain(request_id(body))):
        yield


def _plain(value: str) -> str:
    return UNSAFE.sub("?", value[:MAX_CONTEXT_LENGTH])


def capped(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """`text` cut to `limit` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters not logged)"


# -- filters and formatters ----------------------------------------------------------------------


class ContextFilter(logging.Filter):
    """Copies the current workspace and request or job onto each record (`record.team`, ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_context()
        record.team = context.team
        record.request = context.request
        record.job = context.job
        parts = [f"{name}={value}" for name, value in vars(context).items() if value]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class Redactor:
    """Masks Slack tokens (by their shape) and the configured secrets (word for word) in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret that contains another is masked whole
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return TOKEN_PATTERN.sub(lambda found: f"{found.group(1)}-{MASK}", text)


class RedactingFilter(logging.Filter):
    """Masks tokens and secrets in a record's message, its arguments and its traceback, and caps their
    length (`capped`): whatever a library logs (Bolt logs request bodies), no line carries more.

    The message is formatted here (arguments included) and the traceback rendered here, so that no
    formatter can later put the original values back.
    """

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact
        self._render = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call such as log.info("%s %s", one); keep what was given
            message = f"{record.msg} {record.args!r}"
        record.msg = self._redact(capped(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._render.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(capped(record.exc_text, MAX_TRACEBACK_LENGTH))
            record.exc_info = None  # the formatter must use the redacted text, not render it again
        if record.stack_info:
            record.stack_info = self._redact(capped(record.stack_info, MAX_TRACEBACK_LENGTH))
        return True


class TextFormatter(logging.Formatter):
    """`2026-03-01 09:30:00,123 INFO mindset.engine [team=T1 job=delivery:7 reminder]: Sent`"""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "context"):
            record.context = ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, team, request or job, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("team", "request", "job"):
            value = getattr(record, name, None)
            if value:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


# -- set-up --------------------------------------------------------------------------------------


class Throttle(logging.Filter):
    """Lets one warning of a kind (its message before formatting) through per `interval` seconds, and
    counts the rest into the next one it lets through. For what anyone can make the HTTP server say
    as often as they like ("Invalid HTTP request received.", "Exceeded concurrency limit."): under
    attack that is thousands of lines a minute saying one thing. Lines below WARNING pass."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self.last: dict[str, float] = {}  # kinds are the server's own message templates: a few
        self.held: dict[str, int] = {}
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = str(record.msg)
        now = self.clock()
        with self.lock:
            last = self.last.get(kind)
            if last is not None and now - last < self.interval:
                self.held[kind] = self.held.get(kind, 0) + 1
                return False
            held = self.held.pop(kind, 0)
            self.last[kind] = now
        if held:
            record.msg = f"{record.getMessage()} ({held} more like it in the last {self.interval:g} s not shown)"
            record.args = None
        return True


# the HTTP server's logger (uvicorn): what a client can make it warn about is throttled
HTTP_SERVER_LOGGER = "uvicorn.error"


@dataclass(frozen=True)
class LogSetup:
    """How to log: the level, `text` or `json`, and the secrets to mask (besides any Slack token)."""

    level: int = logging.INFO
    fmt: str = "text"
    secrets: tuple[str, ...] = ()


def configure_logging(setup: LogSetup) -> None:
    """Send every log line to standard error, in `setup.fmt`, with its context and without secrets.

    Warnings and exceptions that nothing caught (in any thread) become log lines too, so that with
    LOG_FORMAT=json every line on standard error is JSON and is redacted like the rest.
    """
    logging.basicConfig(level=setup.level, handlers=[log_handler(setup)], force=True)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    server = logging.getLogger(HTTP_SERVER_LOGGER)
    for previous in [f for f in server.filters if isinstance(f, Throttle)]:
        server.removeFilter(previous)
    server.addFilter(Throttle())
    # slack_sdk logs every request at DEBUG with its headers; keep it quiet unless asked for.
    if setup.level > logging.DEBUG:
        logging.getLogger("slack_sdk").setLevel(logging.WARNING)
        # APScheduler logs every run of the one-minute tick at INFO
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        # Alembic logs its context ("Context impl SQLiteImpl.") at INFO on every start; the CLI says itself
        # which migrations it applied (bot/cli.py)
        logging.getLogger("alembic").setLevel(logging.WARNING)


class _OwnCopyHandler(logging.StreamHandler):
    """A stream handler whose filters work on its own copy of each record: redacting rewrites the
    message and drops `exc_info`, and the record is shared with every other handler (pytest's, an
    error tracker's), which must still see the exception as raised."""

    def handle(self, record: logging.LogRecord) -> bool:
        return super().handle(copy.copy(record))


def log_handler(setup: LogSetup, stream: IO[str] | None = None) -> logging.Handler:
    """The one handler: context added, secrets masked, then formatted as text or JSON."""
    handler = _OwnCopyHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if setup.fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter(Redactor(setup.secrets)))
    return handler


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    logging.getLogger("mindset").critical("Uncaught error", exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    error = args.exc_value if args.exc_value is not None else args.exc_type()
    logging.getLogger("mindset").critical(
        "Uncaught error in thread %s", name, exc_info=(args.exc_type, error, args.exc_traceback)
    )
