"""Global middleware: a retried Events API delivery has no second effect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.deps import Deps
from storage.repositories.events import claim_event


def register_middleware(app: App, deps: Deps) -> None:
    def once_per_event(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return next()
        team_id = str(body.get("team_id") or "")
        with deps.session_factory() as session:
            first = claim_event(session, team_id=team_id, event_id=str(event_id), now=deps.clock())
            session.commit()
        if not first:
            return BoltResponse(status=200, body="")
        return next()

    app.middleware(once_per_event)
