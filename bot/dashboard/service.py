"""The dashboard's pages as plain data: queries through storage/ repositories, scoped by the access rules
(bot/dashboard/access.py). Periods are the viewer's weeks and calendar quarters, in their time zone."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.dashboard import figures_kept
from bot.dashboard.access import HIDDEN_TEXT, TextRule, Viewer, commitments_of_everyone, people_seen
from bot.dashboard.figures_kept import last_quarters, start_of_day
from bot.digest.compose import fading
from bot.digest.themes import choose, document_frequency, ranked
from bot.export import FORMULA_STARTS, neutralise_formula
from bot.services import success_index
from bot.services.actions import SHORT_TERM_MONTHS, Horizon, item_horizon
from bot.worktime import local_date
from storage.models import AREA_LABELS, EntryKind
from storage.repositories import dashboard as repo
from storage.repositories import futures as futures_repo
from storage.repositories import groups as groups_repo
from storage.repositories.dashboard import EntryFilter, EntryRow
from storage.repositories.erasure import FORGOTTEN

THEMES_SHOWN = 5
TEXTS_SAMPLED = 2000
ENTRIES_SHOWN = 200
PEOPLE_SHOWN = 100  # owners and people in the commitments' tables, the most first
OPEN_SHOWN = 300  # open commitments listed, soonest due first (the page says how many there are in all)
CSV_MAX_ROWS = 50_000
K = TypeVar("K")
V = TypeVar("V")


def author_scope(viewer: Viewer) -> str | None:
    return None if viewer.sees_workspace else viewer.user_id


# -- habit health --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Entries and people taking part, per quarter, for one customer group or area."""

    name: str
    entries: tuple[int, ...]
    people: tuple[int, ...]


@dataclass(frozen=True)
class HabitHealth:
    week_labels: tuple[str, ...]
    participation: tuple[int, ...]
    average: tuple[float | None, ...]  # of the four weeks before each (None for the first)
    fading: bool
    quarters: tuple[str, ...]
    prouds: tuple[int, ...]
    sorries: tuple[int, ...]
    root_cause_rate: tuple[float | None, ...]  # sorries of the quarter with a root cause, 0..1
    days_to_root_cause: tuple[float | None, ...]  # median
    by_group: tuple[Split, ...]
    by_area: tuple[Split, ...]


def habit_health(session: Session, viewer: Viewer, *, now: datetime) -> HabitHealth:
    """The last 52 weeks and four quarters: the workspace's weeks and quarters that are over read as kept, the
    rest counted by the database (bot/dashboard/figures_kept.py)."""
    today = local_date(now, viewer.zone)
    quarters = last_quarters(today, viewer.zone)
    found = figures_kept.count(
        session,
        team_id=viewer.team_id,
        author_id=author_scope(viewer),
        zone=viewer.zone.key,
        weeks=figures_kept.week_spans(today, viewer.zone),
        quarters=figures_kept.quarter_spans(quarters),
        now=now,
    )
    participation = found.participation
    average = tuple(
        (sum(participation[max(0, at - 4) : at]) / len(participation[max(0, at - 4) : at])) if at else None
        for at in range(len(participation))
    )
    kinds = [figures.kinds for figures in found.quarters]
    names = dict(groups_repo.active_names(session, team_id=viewer.team_id))
    areas = {area.value: label for area, label in AREA_LABELS.items()}
    by_group = [
        repo.SplitCount(at, group, entries, people)
        for at, figures in enumerate(found.quarters)
        for group, entries, people in figures.groups
    ]
    by_area = [
        repo.SplitCount(at, area, entries, people)
        for at, figures in enumerate(found.quarters)
        for area, entries, people in figures.areas
    ]
    return HabitHealth(
        week_labels=tuple(day.strftime("%d %b") for day in figures_kept.week_starts(today)),
        participation=participation,
        average=average,
        # the week under way is not over: the warning looks at the complete weeks, as the digest does
        fading=fading(participation[:-1]) if len(participation) > 1 else False,
        quarters=tuple(quarter.label for quarter in quarters),
        prouds=tuple(k.prouds for k in kinds),
        sorries=tuple(k.sorries for k in kinds),
        root_cause_rate=tuple((k.sorries_with_cause / k.sorries) if k.sorries else None for k in kinds),
        days_to_root_cause=tuple(figures.wait_days for figures in found.quarters),
        by_group=_splits(by_group, names, len(quarters)),
        by_area=_splits(by_area, areas, len(quarters)),
    )


def _splits(counts: Sequence[repo.SplitCount], names: Mapping[Any, str], ranges: int) -> tuple[Split, ...]:
    """One line per named key (active customer groups, areas) with entries and people per range."""
    entries: dict[Any, list[int]] = {}
    people: dict[Any, list[int]] = {}
    for count in counts:
        if count.key not in names or not 0 <= count.index < ranges:
            continue
        entries.setdefault(count.key, [0] * ranges)[count.index] = count.entries
        people.setdefault(count.key, [0] * ranges)[count.index] = count.people
    return tuple(
        Split(names[key], tuple(entries[key]), tuple(people[key]))
        for key in sorted(entries, key=lambda key: names[key].lower())
    )


# -- customer groups ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCard:
    id: int
    name: str
    prouds: int
    sorries: int
    themes: tuple[tuple[str, int], ...]
    open_commitments: int
    kept_commitments: int
    meeting_answers: int
    common_future: str | None = None  # the group's confirmed common future


def customer_groups(session: Session, viewer: Viewer, *, now: datetime) -> tuple[str, list[GroupCard]]:
    """Per active customer group, over the last four quarters: what the viewer may see of it."""
    quarters = last_quarters(local_date(now, viewer.zone), viewer.zone)
    start = quarters[0].start
    author = author_scope(viewer)
    kinds = repo.kinds_by_group(session, team_id=viewer.team_id, author_id=author, start=start, end=now)
    sampled = repo.filtered_entries(
        session, EntryFilter(viewer.team_id, author_id=author, start=start, end=now), limit=TEXTS_SAMPLED, count=False
    )
    sample, sample_tags = sampled.rows, sampled.tags
    rule = TextRule(session, viewer, {row.channel_id for row in sample})
    texts: dict[int, list[str]] = {}
    for row in sample:
        if rule.readable(author_id=row.author_id, channel_id=row.channel_id):
            for group_id in sample_tags.get(row.id, []):
                texts.setdefault(group_id, []).append(row.text)
    actions = repo.actions_by_group(session, team_id=viewer.team_id, owner_id=author, start=start, end=now)
    answers = repo.answers_by_group(session, team_id=viewer.team_id, answered_by=author, start=start, end=now)
    # a confirmed common future is the workspace's (confirmed by its admins): everyone sees it
    futures = {group.id: future.text for future, group in futures_repo.confirmed(session, team_id=viewer.team_id)}
    cards = []
    for group_id, name in groups_repo.active_names(session, team_id=viewer.team_id):
        counts = kinds.get(group_id, {})
        open_now, kept = actions.get(group_id, (0, 0))
        cards.append(
            GroupCard(
                id=group_id,
                name=name,
                prouds=counts.get(EntryKind.PROUD.value, 0),
                sorries=counts.get(EntryKind.SORRY.value, 0),
                themes=tuple(choose(ranked(document_frequency(texts.get(group_id, []))), limit=THEMES_SHOWN)),
                open_commitments=open_now,
                kept_commitments=kept,
                meeting_answers=answers.get(group_id, 0),
                common_future=futures.get(group_id),
            )
        )
    return f"{quarters[0].label} to {quarters[-1].label}", cards


# -- commitments ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommitmentLine:
    id: int
    title: str
    owner_id: str
    status: str
    due: date
    horizon: str
    overdue: bool


@dataclass(frozen=True, slots=True)
class PersonIndex:
    user_id: str
    by_quarter: tuple[tuple[int, int], ...]  # kept, due


@dataclass(frozen=True)
class Commitments:
    open: tuple[CommitmentLine, ...]  # the first OPEN_SHOWN, soonest due
    open_count: int  # all of them
    at_risk: int
    overdue: int
    by_owner: tuple[tuple[str, int, int, int], ...]  # owner, open, at risk, overdue: the PEOPLE_SHOWN most open
    owner_count: int  # all owners with open commitments
    by_horizon: tuple[tuple[str, int], ...]
    quarters: tuple[str, ...]
    index: tuple[PersonIndex, ...]  # the PEOPLE_SHOWN with the most commitments due
    people_count: int  # all people with commitments due
    own: tuple[tuple[int, int], ...]  # the viewer's own Success Index by quarter
    everyone: bool
    workspace_index: tuple[tuple[int, int], ...] = field(default_factory=tuple)


def commitments(session: Session, viewer: Viewer, *, now: datetime) -> Commitments:
    today = local_date(now, viewer.zone)
    seen = people_seen(viewer)
    # open commitments: everyone's for those who see the workspace, else one's own (a lead sees their reports'
    # Success Index, not their lists); what forget-me erased never
    team_id, owner_ids, hidden = viewer.team_id, None if viewer.sees_workspace else [viewer.user_id], (FORGOTTEN,)
    zones = success_index.owner_zones(session, team_id=viewer.team_id, user_ids=None if seen is None else seen)
    utc = ZoneInfo("UTC")
    # counted by the database, and listed only as far as the page shows them: a large workspace has thousands
    owners = repo.open_by_owner(
        session, team_id=team_id, owner_ids=owner_ids, hidden_owners=hidden, today=today, short_months=SHORT_TERM_MONTHS
    )
    horizons = Counter({Horizon.SHORT.value: 0, Horizon.LONG.value: 0})
    for owner_id, counts in owners.items():
        horizons[Horizon.SHORT.value] += counts.short
        horizons[Horizon.LONG.value] += counts.long
        owner_tz = zones.get(owner_id, utc)
        horizons.update(item_horizon(created_at, due, owner_tz).value for created_at, due in counts.near)
    horizon_names = {horizon: horizon.value for horizon in Horizon}
    lines = tuple(
        CommitmentLine(
            id=item.id,
            title=item.title,
            owner_id=item.owner_id,
            status=item.status,
            due=item.due_date,
            horizon=horizon_names[item_horizon(item.created_at, item.due_date, zones.get(item.owner_id, utc))],
            overdue=item.due_date < today,
        )
        for item in repo.open_actions(
            session, team_id=team_id, owner_ids=owner_ids, hidden_owners=hidden, limit=OPEN_SHOWN
        )
    )
    quarters = last_quarters(today, viewer.zone)
    # counted by the database (the same rule as success_index.commitments, without loading the items)
    quarterly = [
        success_index.kept_and_due(
            session,
            team_id=viewer.team_id,
            year=quarter.year,
            quarter=quarter.quarter,
            user_ids=None if seen is None else seen,
            until=today if at == len(quarters) - 1 else None,
            zones=zones,
        )
        for at, quarter in enumerate(quarters)
    ]
    due_in_all: dict[str, int] = {}
    for mine in quarterly:
        for user, (_, due) in mine.items():
            due_in_all[user] = due_in_all.get(user, 0) + due
    due_in_all.pop(FORGOTTEN, None)

    def person(user: str) -> PersonIndex:
        return PersonIndex(user, tuple(mine.get(user, (0, 0)) for mine in quarterly))

    # the most commitments due first; only the people the page lists are made into lines (a large workspace has
    # thousands: fewer objects for the garbage collector to walk)
    people = sorted(due_in_all, key=lambda user: (-due_in_all[user], user))
    # the most open first
    by_owner = sorted(owners, key=lambda owner: (-owners[owner].open, owner))
    return Commitments(
        open=lines,
        open_count=sum(counts.open for counts in owners.values()),
        at_risk=sum(counts.at_risk for counts in owners.values()),
        overdue=sum(counts.overdue for counts in owners.values()),
        by_owner=tuple(
            (owner, owners[owner].open, owners[owner].at_risk, owners[owner].overdue)
            for owner in by_owner[:PEOPLE_SHOWN]
        ),
        owner_count=len(owners),
        by_horizon=tuple(sorted((name, count) for name, count in horizons.items() if count)),
        quarters=tuple(quarter.label for quarter in quarters),
        index=tuple(person(user) for user in people[:PEOPLE_SHOWN]),
        people_count=len(people),
        own=person(viewer.user_id).by_quarter,
        everyone=commitments_of_everyone(viewer),
        workspace_index=tuple(
            (sum(kept for kept, _ in mine.values()), sum(due for _, due in mine.values())) for mine in quarterly
        ),
    )


# -- entries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryChoice:
    """What the entries page's filters ask for (checked: bot/dashboard/web.py reads them)."""

    kind: str | None = None
    group_id: int | None = None
    area: str | None = None
    channel_id: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    stage: str | None = None


@dataclass(frozen=True)
class ShownEntry:
    row: EntryRow
    text: str
    root_cause: str | None
    groups: tuple[str, ...]
    local_time: datetime


@dataclass(frozen=True)
class EntryPage:
    entries: tuple[ShownEntry, ...]
    total: int
    groups: tuple[tuple[int, str], ...]
    channels: tuple[str, ...]
    stages: tuple[str, ...] = ()


def _entry_filter(viewer: Viewer, choice: EntryChoice) -> EntryFilter:
    return EntryFilter(
        viewer.team_id,
        author_id=author_scope(viewer),
        kind=choice.kind,
        group_id=choice.group_id,
        area=choice.area,
        channel_id=choice.channel_id,
        stage=choice.stage,
        start=start_of_day(choice.since, viewer.zone) if choice.since else None,
        end=start_of_day(choice.until + timedelta(days=1), viewer.zone) if choice.until else None,
    )


def entries(session: Session, viewer: Viewer, choice: EntryChoice, *, limit: int = ENTRIES_SHOWN) -> EntryPage:
    found = repo.filtered_entries(session, _entry_filter(viewer, choice), limit=limit)
    rows, total, tags = found.rows, found.total, found.tags
    rule = TextRule(session, viewer, {row.channel_id for row in rows})
    all_groups = groups_repo.active_names(session, team_id=viewer.team_id)
    names = dict(all_groups)
    shown = []
    for row in rows:
        readable = rule.readable(author_id=row.author_id, channel_id=row.channel_id)
        shown.append(
            ShownEntry(
                row=row,
                text=rule.text(author_id=row.author_id, channel_id=row.channel_id, text=row.text),
                root_cause=row.root_cause if readable else None,
                groups=tuple(sorted(names[g] for g in tags.get(row.id, []) if g in names)),
                local_time=row.created_at.astimezone(viewer.zone),
            )
        )
    channels = repo.channels_of(session, team_id=viewer.team_id, author_id=author_scope(viewer))
    stages = repo.stages_of(session, team_id=viewer.team_id, author_id=author_scope(viewer))
    return EntryPage(tuple(shown), total, tuple(all_groups), tuple(channels), tuple(stages))


def entry_link(
    channel_id: str, message_ts: str | None, source_permalink: str | None, *, team_id: str, team_domain: str
) -> str:
    """Where the entry's message is in Slack: the message it was logged from, else the bot's post (its permalink
    in the workspace's domain), else the channel (Slack's app_redirect); empty when the bot never posted it."""
    if source_permalink:
        return source_permalink
    if not message_ts:
        return ""
    if team_domain:
        return f"https://{team_domain}.slack.com/archives/{channel_id}/p{message_ts.replace('.', '')}"
    return f"https://slack.com/app_redirect?{urlencode({'channel': channel_id, 'team': team_id})}"


# -- the entries as CSV ----------------------------------------------------------------------------

CSV_HEADER = "created_at,kind,author,channel,text,root_cause,customer_groups,area,stage,link\r\n"
# what makes the csv module's default (excel) dialect quote a cell: the delimiter, the quote, a line break
_QUOTED = re.compile('[",\r\n]').search
AREA_NAMES = {area.value: label for area, label in AREA_LABELS.items()}


def csv_cell(text: str) -> str:
    """One cell as `csv.writer` writes it (excel dialect, QUOTE_MINIMAL)."""
    return '"' + text.replace('"', '""') + '"' if _QUOTED(text) else text


def csv_text_cell(text: str) -> str:
    """A cell of someone's words: neutralised (a spreadsheet would run it as a formula), then as `csv.writer`
    writes it."""
    return csv_cell(neutralise_formula(text))


class _Once(dict[K, V]):
    """`make(key)` for each distinct key, made once (a dict lookup per line instead of a call)."""

    def __init__(self, make: Callable[[K], V]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: K) -> V:
        value = self[key] = self._make(key)
        return value


def entries_csv(session: Session, viewer: Viewer, choice: EntryChoice, *, team_domain: str) -> str:
    """The entries the filter picks (the newest CSV_MAX_ROWS), as CSV text: the header, then a line per entry, byte
    for byte what `csv.writer` makes of the entries page's rows (its texts hidden by the same TextRule, neutralised,
    the customer groups' names sorted and joined by "; ", the moment in the viewer's zone, the link).

    Written by hand rather than by `csv.writer`, which looks at every character of its ~10 MB (three times slower
    than searching each cell for the four characters that make it quoted), from the columns it needs alone."""
    rule = TextRule.of_workspace(session, viewer)
    names = dict(groups_repo.active_names(session, team_id=viewer.team_id))
    zone, team_id, me = viewer.zone, viewer.team_id, viewer.user_id

    def groups_cell(group_ids: str | None) -> str:
        chosen = sorted(names[int(g)] for g in (group_ids or "").split(",") if g and int(g) in names)
        return csv_text_cell("; ".join(chosen))

    # looked up once per distinct value, not per line: TextRule.readable's answer per channel (one's own words are
    # always readable), the cells of ids and kinds (Slack's ids need no quotes, but nothing here relies on that), of
    # the groups per set of ids, of areas and journey stages
    open_in = _Once(rule.readable_in)
    plain, groups, texts = _Once(csv_cell), _Once(groups_cell), _Once(csv_text_cell)
    areas: _Once[str | None, str] = _Once(lambda area: csv_cell(AREA_NAMES.get(area or "", "")))
    hidden, quoted, formula = csv_text_cell(HIDDEN_TEXT), _QUOTED, FORMULA_STARTS
    out = [CSV_HEADER]
    # closed at once if writing fails: a stream holds the driver's connection (its lock) until it ends, and the
    # session's rollback needs it. csv_cell and csv_text_cell are written out for the cells of every line: a call
    # costs as much as the work.
    with closing(repo.csv_lines(session, _entry_filter(viewer, choice), limit=CSV_MAX_ROWS)) as chunks:
        for line in chain.from_iterable(chunks):
            created_at, kind, author_id, channel_id, text, root_cause, area, stage, ts, permalink, group_ids = line
            if author_id == me or open_in[channel_id]:
                if text.startswith(formula):
                    text = "'" + text
                if quoted(text):
                    text = '"' + text.replace('"', '""') + '"'
                cause = csv_text_cell(root_cause) if root_cause else ""
            else:
                text, cause = hidden, ""
            if permalink or not ts or not team_domain:
                link = entry_link(channel_id, ts, permalink, team_id=team_id, team_domain=team_domain)
            else:  # the bot's post in the workspace's domain, as entry_link makes it
                link = f"https://{team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
            if quoted(link):
                link = '"' + link.replace('"', '""') + '"'
            out.append(
                f"{created_at.astimezone(zone).isoformat()},{plain[kind]},{plain[author_id]},{plain[channel_id]},"
                f"{text},{cause},{groups[group_ids]},{areas[area]},{texts[stage or '']},{link}\r\n"
            )
    return "".join(out)
