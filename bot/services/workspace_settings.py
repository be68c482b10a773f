"""What `/mindset settings` shows: the workspace's settings as they are, who may change them, the last changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.deps import Deps
from bot.services import admins, ambassadors, groups, journey, people, questions
from bot.services.admins import AdminCard, ChangeCard
from bot.services.ambassadors import DigestSettings
from bot.services.people import HolidayCard, WorkTime
from storage.repositories import people as people_repo


@dataclass(frozen=True)
class SettingsOverview:
    work_time: WorkTime
    holidays: Sequence[HolidayCard]  # to come, earliest first
    digest: DigestSettings
    groups_active: int
    groups_archived: int
    questions_active: int
    questions_retired: int
    admins: Sequence[AdminCard]
    changes: Sequence[ChangeCard]  # newest first
    reader_tz: str  # the reader's time zone, in which the changes' times are shown
    journey: journey.Journeys | None = None  # the customer journey (the workspace's, and the groups' own)


def overview(deps: Deps, *, team_id: str, user_id: str, reader_tz: str | None = None) -> SettingsOverview:
    today = people.today_of(deps, team_id=team_id, user_id=user_id)
    if reader_tz is None:
        with deps.session_factory() as session:
            person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
            reader_tz = person.tz if person is not None and person.tz else "UTC"
    return SettingsOverview(
        work_time=people.get_work_time(deps, team_id=team_id),
        holidays=people.list_holidays(deps, team_id=team_id, since=today),
        digest=ambassadors.digest_settings(deps, team_id=team_id),
        groups_active=len(groups.list_options(deps, team_id=team_id)),
        groups_archived=len(groups.list_archived(deps, team_id=team_id)),
        questions_active=len(questions.list_questions(deps, team_id=team_id)),
        questions_retired=len(questions.list_retired(deps, team_id=team_id)),
        admins=admins.list_admins(deps, team_id=team_id),
        changes=admins.last_changes(deps, team_id=team_id),
        reader_tz=reader_tz,
        journey=journey.get_journeys(deps, team_id=team_id),
    )
