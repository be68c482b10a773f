"""Global middleware: what every request passes through before its listener.

- NUL characters are taken out of everything a person sent: no database stores them (PostgreSQL
  refuses them outright) and no one means them.
- A retried Events API delivery has no second effect.
- A request acts for the workspace Bolt authorised it for (whose token its client carries), even when
  the person comes from another organisation (Slack Connect).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot import workspace
from bot.deps import Deps
from bot.slack_text import without_nul
from storage.repositories.events import claim_event


def register_middleware(app: App, deps: Deps) -> None:
    """One middleware for the three steps, in this order: Bolt builds each middleware's arguments anew for
    every request (some 25 µs each, on every `/proud`)."""

    def before_listeners(
        body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        drop_nul(body)
        workspace.as_authorized_team(body, context.team_id)  # bot/workspace.py
        if not first_delivery(deps, body):
            return BoltResponse(status=200, body="")
        return next()

    app.middleware(before_listeners)


def drop_nul(body: dict[str, Any]) -> None:
    clean = without_nul(body)
    if clean != body:  # rare: only then is the body (which listeners read) changed, in place
        body.clear()
        body.update(clean)


def first_delivery(deps: Deps, body: dict[str, Any]) -> bool:
    """False for an Events API delivery seen before (a retry): it must have no second effect."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not event_id:
        return True
    team_id = str(body.get("team_id") or "")
    with deps.session_factory() as session:
        first = claim_event(session, team_id=team_id, event_id=str(event_id), now=deps.clock())
        session.commit()
    return first
