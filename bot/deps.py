"""What listeners and jobs need, passed down explicitly."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.background import Background
from bot.engine.channel_directory import KnownChannels
from bot.settings import Settings
from storage.db import SessionFactory


def utc_now() -> datetime:
    return datetime.now(UTC)


class Installations(Protocol):
    """Where each workspace's installation is kept (many workspaces): what listeners need of it."""

    def forget_team(self, team_id: str) -> None: ...


@dataclass(frozen=True)
class Deps:
    settings: Settings
    session_factory: SessionFactory
    clock: Callable[[], datetime] = field(default=utc_now)
    installations: Installations | None = None
    # channels this process knows already: posting an entry does not look its channel up each time
    known_channels: KnownChannels = field(default_factory=KnownChannels, compare=False, repr=False)
    # the app's threads for the work after an answer (bot/background.py), set by the app factory
    background: Background | None = field(default=None, compare=False, repr=False)


def bind(func: Callable[..., Any], deps: Deps) -> Callable[..., Any]:
    """`func` with `deps=` filled in, keeping its name for Bolt's logs and lazy-listener routing.

    Bolt injects arguments by the names of positional parameters; `deps` becomes keyword-only in the
    partial, so Bolt leaves it alone.
    """
    bound = functools.partial(func, deps=deps)
    bound.__name__ = func.__name__  # type: ignore[attr-defined]
    bound.__qualname__ = func.__qualname__  # type: ignore[attr-defined]
    return bound
