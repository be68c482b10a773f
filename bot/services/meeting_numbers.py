"""Meeting numbers for the digest: per meeting and week, prompts sent and answered, and which
customer groups the answers covered and which no meeting mentioned."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from storage.repositories import groups as groups_repo
from storage.repositories import meetings as meetings_repo

UNREGISTERED = "Unregistered meetings (/meeting now)"


@dataclass(frozen=True)
class MeetingWeek:
    meeting_id: int | None  # None: the prompts of `/meeting now`
    title: str
    prompts_sent: int
    prompts_answered: int
    groups_answered: tuple[str, ...]
    groups_never_mentioned: tuple[str, ...]


@dataclass(frozen=True)
class MeetingsWeek:
    meetings: Sequence[MeetingWeek]
    # active customer groups that no answer of the week mentioned, in any meeting
    groups_never_mentioned: tuple[str, ...]

    @property
    def prompts_sent(self) -> int:
        return sum(meeting.prompts_sent for meeting in self.meetings)

    @property
    def prompts_answered(self) -> int:
        return sum(meeting.prompts_answered for meeting in self.meetings)


def week_numbers(session: Session, *, team_id: str, start: datetime, end: datetime) -> MeetingsWeek:
    """The numbers of prompts sent in [start, end)."""
    names = {group.id: group.name for group in groups_repo.list_groups(session, team_id=team_id)}
    rows = meetings_repo.prompts_sent_between(session, team_id=team_id, start=start, end=end)
    by_meeting: dict[int | None, list[meetings_repo.PromptRow]] = {}
    for row in rows:
        by_meeting.setdefault(row.meeting_id, []).append(row)
    meetings = []
    mentioned_anywhere: set[int] = set()
    for meeting_id, prompts in by_meeting.items():
        mentioned = {group for prompt in prompts for group in prompt.answered_group_ids if group in names}
        mentioned_anywhere |= mentioned
        meetings.append(
            MeetingWeek(
                meeting_id=meeting_id,
                title=prompts[-1].title if meeting_id is not None else UNREGISTERED,  # its latest name
                prompts_sent=len(prompts),
                prompts_answered=sum(prompt.answered for prompt in prompts),
                groups_answered=_names(names, mentioned),
                groups_never_mentioned=_names(names, names.keys() - mentioned),
            )
        )
    meetings.sort(key=lambda meeting: (meeting.meeting_id is None, meeting.title.casefold()))
    never = _names(names, names.keys() - mentioned_anywhere) if rows else ()
    return MeetingsWeek(meetings, never)


def _names(names: dict[int, str], ids: Iterable[int]) -> tuple[str, ...]:
    return tuple(sorted((names[group_id] for group_id in ids if group_id in names), key=str.casefold))
