"""A person's time zone for a form's default: what the bot knows, else what Slack says (and keep it).

Asked while the form waits to open, so Slack gets one try of a second: a form must open within 3 seconds
of the click, and the person can pick their zone in it."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.deps import Deps
from bot.engine.directory import refresh_person
from bot.slack_client import hasty_copy
from storage.repositories import people as people_repo

log = logging.getLogger("mindset.time_zones")


def time_zone_of(deps: Deps, client: WebClient, *, team_id: str, user_id: str) -> str:
    """The person's IANA zone; UTC when Slack cannot tell (the form lets them change it)."""
    with deps.session_factory() as session:
        person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        if person is not None and person.tz:
            return person.tz
        try:
            refresh_person(session, hasty_copy(client), team_id, user_id, deps.clock())
            session.commit()
        except Exception:
            log.warning("Could not read the time zone of %s in %s", user_id, team_id, exc_info=True)
            return "UTC"
        person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        return person.tz if person is not None and person.tz else "UTC"
