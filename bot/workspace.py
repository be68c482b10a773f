"""Which workspace a request acts for: the one Bolt authorised it for (Slack Connect)."""

from __future__ import annotations

from typing import Any


def as_authorized_team(body: dict[str, Any], team_id: str | None) -> None:
    """Make `body` name `team_id`, the workspace whose token answers the request, as its workspace.

    Bolt picks the installation (the token of `client`) by `context.team_id`: a form's
    `view.app_installed_team_id`, an event's `authorizations[0].team_id`, before the `team` that
    interactive payloads carry. In a Slack Connect channel those differ: `team.id` is the workspace of
    the person who clicked or submitted, which may not have installed the app at all. Listeners read
    the workspace from `team.id` (or `team_id`), so both are set to Bolt's (the person's own stays in
    `team.actor_team_id`): an entry is never stored under one workspace and posted with another's token.
    Run before the listener (a global middleware) and again before each lazy listener, which Bolt gives
    a body parsed afresh from the request's bytes.
    """
    if not team_id:
        return  # an org-wide installation: no workspace to prefer
    team = body.get("team")
    if isinstance(team, dict) and team.get("id") != team_id:
        body["team"] = {**team, "id": team_id, "actor_team_id": team.get("id")}
    if isinstance(body.get("team_id"), str) and body["team_id"] != team_id:
        body["team_id"] = team_id
