"""A person's data: a copy of it, forgetting them, and an author deleting one of their entries."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.deps import Deps
from bot.export import person_data
from storage.repositories import deliveries as deliveries_repo
from storage.repositories import entries as entries_repo
from storage.repositories import erasure
from storage.repositories.erasure import PersonRows, PostedEntry

HANDED_BACK = "action_handed_back"  # "an item came back to you": its owner was forgotten


def what_forgetting_deletes(deps: Deps, *, team_id: str, user_id: str) -> PersonRows:
    with deps.session_factory() as session:
        return erasure.person_rows(session, team_id=team_id, user_id=user_id)


def my_data_json(deps: Deps, *, team_id: str, user_id: str) -> bytes:
    data = person_data(deps.session_factory, team_id=team_id, user_id=user_id)
    return json.dumps({"team": team_id, "user": user_id, **data}, ensure_ascii=False, indent=2).encode()


def forget(deps: Deps, *, team_id: str, user_id: str) -> list[PostedEntry]:
    """Delete the person's data for good; where their entries had been posted (to delete those too).

    Shared items they owned go back to their creator (or the first person involved), who is told of each
    one still open by a direct message (the engine sends it, once)."""
    now = deps.clock()
    with deps.session_factory() as session:
        forgotten = erasure.forget_person(session, team_id=team_id, user_id=user_id, now=now)
        planned = [
            deliveries_repo.Planned(
                team_id=team_id,
                kind=HANDED_BACK,
                subject=str(back.action_id),
                recipient=back.to,
                occasion=f"forgotten:{now.isoformat()}",
                due_at=now,
            )
            for back in forgotten.handed_back
            if back.is_open
        ]
        deliveries_repo.plan(session, planned=planned)
        session.commit()
        return forgotten.posted


class NotTheAuthor(PermissionError):
    """Only an entry's author can delete it."""


@dataclass(frozen=True)
class DeletedEntry:
    channel_id: str
    message_ts: str | None


def delete_entry(deps: Deps, *, team_id: str, entry_id: int, user_id: str) -> DeletedEntry | None:
    """Delete one of the person's own entries; None when it is already gone."""
    with deps.session_factory() as session:
        entry = entries_repo.get_entry(session, team_id=team_id, entry_id=entry_id)
        if entry is None:
            return None
        if entry.author_id != user_id:
            raise NotTheAuthor("Only its author can delete an entry.")
        deleted = DeletedEntry(entry.channel_id, entry.message_ts)
        session.delete(entry)
        session.commit()
        return deleted
