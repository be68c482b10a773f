"""What the engine sends: a message, the files to post in its thread, and what to do once it is sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from slack_sdk import WebClient

Blocks = list[dict[str, Any]]


@dataclass(frozen=True)
class Upload:
    """A file posted in the thread of a message once it is sent (a digest's chart)."""

    filename: str
    content: bytes
    title: str


@dataclass(frozen=True)
class Message:
    text: str
    blocks: Blocks
    # called by the engine, in its session, with the channel and ts the message was posted at
    after_sent: Callable[[Session, str, str], None] | None = None
    # called by the engine, in its session, with Slack's error when the recipient refused it for good
    after_refused: Callable[[Session, str], None] | None = None
    uploads: tuple[Upload, ...] = ()
    # called by the engine with the workspace's client just before sending, for what only Slack can tell
    # (an original message's link): the message to send instead
    complete: Callable[[WebClient], Message] | None = None
