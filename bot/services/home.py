"""What a person's Home tab shows: their open items, Success Index, recent entries, the common futures, the
habit's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.deps import Deps
from bot.digest.period import Week
from bot.services.actions import ActionCard, read_owner_zones
from bot.services.entries import EntryCard
from bot.services.futures import FutureCard, confirmed_cards, proposals_waiting
from bot.services.success_index import QuarterIndex, index_lines
from bot.worktime import local_date, quarter_of, zone
from storage.repositories import actions as actions_repo
from storage.repositories import digest as digest_repo
from storage.repositories import entries as entries_repo
from storage.repositories import people as people_repo

ITEMS_SHOWN = 15
ENTRIES_SHOWN = 8
WEEKS_SHOWN = 12


@dataclass(frozen=True)
class HomeData:
    today: date
    items: tuple[ActionCard, ...]
    items_total: int
    quarter: QuarterIndex
    recent: tuple[EntryCard, ...]
    participation: tuple[int, ...]  # the workspace's people taking part, week by week
    futures: tuple[FutureCard, ...] = ()  # each customer group's confirmed common future
    proposals: int = 0  # proposed futures not confirmed, to endorse in `/mindset future`


def home_data(deps: Deps, *, team_id: str, user_id: str) -> HomeData:
    now = deps.clock()
    with deps.session_factory() as session:
        person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        tz = zone(person.tz if person else None)
        today = local_date(now, tz)
        items = actions_repo.items_of_person(session, team_id=team_id, user_id=user_id, limit=ITEMS_SHOWN)
        zones = read_owner_zones(session, items)
        items_total = actions_repo.count_items_of_person(session, team_id=team_id, user_id=user_id)
        year, quarter = quarter_of(today)
        lines = index_lines(session, team_id=team_id, user_id=user_id, year=year, quarter=quarter, until=today)
        recent = entries_repo.recent_by_author(session, team_id=team_id, author_id=user_id, limit=ENTRIES_SHOWN)
        this_week = Week.containing(now, tz)
        weeks = [this_week.shifted(-back) for back in reversed(range(WEEKS_SHOWN))]
        participation = tuple(
            len(digest_repo.participants(session, team_id=team_id, start=week.start, end=min(week.end, now)))
            for week in weeks
        )
        return HomeData(
            today=today,
            items=tuple(ActionCard.of(item, zones) for item in items),
            items_total=items_total,
            quarter=QuarterIndex(year, quarter, lines, until=today),
            recent=tuple(EntryCard.of(entry) for entry in recent),
            participation=participation,
            futures=tuple(confirmed_cards(session, team_id=team_id)),
            proposals=proposals_waiting(session, team_id=team_id),
        )
