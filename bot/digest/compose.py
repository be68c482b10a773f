"""One reader's weekly digest: the week's numbers against the weeks before, highlights, customer groups
and areas, recurring themes, the Success Index and habit health.

Privacy: an entry from a private channel (or one the bot cannot see) is quoted only to a reader who
is a member of that channel, and a digest posted to a channel quotes only public channels; what may
not be quoted is still counted. The same rule decides which texts feed the themes and whom the
digest thanks by name.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.chart import WeekPoint
from bot.digest.journey import JourneyWeek, journey_week
from bot.digest.period import Week
from bot.digest.themes import Theme, choose, rank, ranked, terms_of
from bot.services import futures as future_service
from bot.services import success_index
from bot.services.futures import FutureLine
from bot.services.meeting_numbers import MeetingsWeek, week_numbers
from bot.services.success_index import IndexLine
from bot.worktime import local_date, quarter_of
from storage.models import AREA_LABELS, Area, Channel, EntryKind
from storage.repositories import digest as digest_repo
from storage.repositories import groups as groups_repo
from storage.repositories.digest import ActionLine, EntryText

WEEKS_SHOWN = 12
FADE_DROP = 0.30  # participation this far below its 4-week average…
FADE_WEEKS = 2  # …this many weeks running
PROUDS_SHOWN = 3
LIST_SHOWN = 5
# `/mindset digest`, where the weekly digest sends readers for what it had no room for
DETAILED_PROUDS_SHOWN = 10
DETAILED_LIST_SHOWN = 15
STUCK_AFTER_DAYS = 15  # overdue nudges: the day after, a week later, a week after that
TEXTS_SAMPLED = 2000


class ReaderKind(StrEnum):
    PERSON = "person"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Reader:
    kind: ReaderKind
    id: str  # a user id or a channel id
    group_ids: tuple[int, ...] = ()  # an ambassador's customer groups, shown first


@dataclass(frozen=True)
class Metric:
    label: str
    now: int
    last: int
    average: float  # of the four weeks before


@dataclass(frozen=True)
class Quote:
    entry_id: int
    author_id: str
    channel_id: str
    text: str


@dataclass(frozen=True)
class GroupCount:
    name: str
    prouds: int
    sorries: int
    in_meetings: bool
    reader_follows: bool


@dataclass(frozen=True)
class AreaCount:
    label: str
    prouds: int
    sorries: int


@dataclass(frozen=True)
class Digest:
    team_id: str
    week: Week
    so_far: bool  # the week is not over yet (`/mindset digest`)
    reader: Reader
    metrics: tuple[Metric, ...]
    prouds: tuple[Quote, ...]
    prouds_total: int
    open_sorries: tuple[Quote, ...]
    open_sorries_total: int
    due_next_week: tuple[ActionLine, ...]
    due_next_week_total: int
    overdue: tuple[ActionLine, ...]
    overdue_total: int
    stuck: tuple[ActionLine, ...]
    stuck_total: int
    groups: tuple[GroupCount, ...]
    silent_groups: tuple[str, ...]
    areas: tuple[AreaCount, ...]
    themes: tuple[Theme, ...]
    success: tuple[IndexLine, ...]
    quarter: str
    participation: tuple[WeekPoint, ...]
    fading: bool
    meetings: MeetingsWeek
    contributors: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
    # each customer group's confirmed common future: the open items serving it, its Success Index this quarter
    futures: tuple[FutureLine, ...] = ()
    detailed: bool = False  # the longer lists of `/mindset digest`
    # of prouds_total and open_sorries_total, how many this reader may not see quoted (private channels, or
    # channels the bot knows nothing of): counted, said, never quoted
    prouds_unquoted: int = 0
    open_sorries_unquoted: int = 0
    # where the journey breaks: the week's sorries by stage, with the open items against each (counts only)
    journey: JourneyWeek = field(default_factory=JourneyWeek)

    @property
    def participation_average(self) -> float:
        """The four weeks before the last shown, for the chart's line."""
        before = [point.value for point in self.participation[-5:-1]]
        return sum(before) / len(before) if before else 0.0


@dataclass(frozen=True)
class ChannelFacts:
    """What the engine learnt of a channel, as the digest needs it: private or not, and who is in it."""

    is_private: bool | None  # None: not known yet
    members: frozenset[str] = frozenset()


def channel_facts(session: Session, team_id: str, channel_ids: Iterable[str]) -> dict[str, ChannelFacts]:
    """The channels among `channel_ids` the bot knows something of (a channel it never saw is absent)."""
    wanted = set(channel_ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Channel).where(Channel.team_id == team_id, Channel.channel_id.in_(wanted)))
    return {row.channel_id: ChannelFacts(row.is_private, frozenset((row.members or "").split())) for row in rows}


class Visibility:
    """Which channels' entries a reader may see quoted (from what the engine learnt of channels)."""

    def __init__(self, channels: Mapping[str, ChannelFacts], reader: Reader) -> None:
        self._channels = channels
        self._reader = reader

    def can_quote(self, channel_id: str | None) -> bool:
        facts = self._channels.get(channel_id or "")
        if facts is None or facts.is_private is None:
            return False  # not known yet: counted, not quoted
        if not facts.is_private:
            return True
        if self._reader.kind is ReaderKind.CHANNEL:
            return False
        return self._reader.id in facts.members


def fading(values: Sequence[int], *, weeks: int = FADE_WEEKS, drop: float = FADE_DROP) -> bool:
    """True when each of the last `weeks` values is `drop` or more below the average of the four before it."""
    if len(values) < weeks + 4:
        return False
    for back in range(weeks):
        end = len(values) - back
        now, before = values[end - 1], values[end - 5 : end - 1]
        average = sum(before) / 4
        if average <= 0 or now > (1 - drop) * average:
            return False
    return True


def _taking_part(
    session: Session, team_id: str, start: datetime, end: datetime, counted: dict[tuple[datetime, datetime], int]
) -> int:
    """People taking part in [start, end), asked once per range (the metrics' weeks are among the chart's)."""
    if (start, end) not in counted:
        counted[start, end] = len(digest_repo.participants(session, team_id=team_id, start=start, end=end))
    return counted[start, end]


def _metric_weeks(
    session: Session,
    team_id: str,
    weeks: Sequence[Week],
    now: datetime,
    counted: dict[tuple[datetime, datetime], int],
) -> list[dict[str, int]]:
    found = []
    for week in weeks:
        end = min(week.end, now)
        counts = digest_repo.entry_counts(session, team_id=team_id, start=week.start, end=end)
        found.append(
            {
                "Prouds": counts.get(EntryKind.PROUD.value, 0),
                "Sorries": counts.get(EntryKind.SORRY.value, 0),
                "People taking part": _taking_part(session, team_id, week.start, end, counted),
                "Meeting prompts answered": digest_repo.prompts_answered(
                    session, team_id=team_id, start=week.start, end=end
                ),
                "Action items created": digest_repo.actions_created(
                    session, team_id=team_id, start=week.start, end=end
                ),
                "Action items done": digest_repo.actions_done(session, team_id=team_id, start=week.start, end=end),
                "Action items overdue": digest_repo.actions_overdue(
                    session, team_id=team_id, at=end, today=local_date(end, week.tz)
                ),
            }
        )
    return found


def _quotes(entries: Iterable[EntryText], visible: Visibility, limit: int) -> tuple[Quote, ...]:
    shown = islice((e for e in entries if visible.can_quote(e.channel_id)), limit)
    return tuple(Quote(e.id, e.author_id, e.channel_id, e.text) for e in shown)


Terms = Counter[str]  # how many texts mention each word or two-word phrase (bot.digest.themes.document_frequency)


@dataclass(frozen=True)
class Seen:
    """What the texts of one private channel, or of all the public ones together, add to a reader's digest:
    the terms of the week's and the month before's texts (entries and meeting answers), and who logged what
    in the week. Each reader's themes and thanks add up the parts they may see."""

    week: Terms = field(default_factory=Counter)
    month: Terms = field(default_factory=Counter)
    authors: dict[str, set[str]] = field(default_factory=dict)  # person -> the kinds they logged


def _seen_by_channel(
    channels: Mapping[str, ChannelFacts],
    week_entries: Iterable[EntryText],
    week: Iterable[tuple[str | None, str]],
    month: Iterable[tuple[str | None, str]],
) -> tuple[Seen, dict[str, Seen]]:
    """The public channels' part together, and each private channel's (what nobody may see is left out)."""
    public = Seen()
    private: dict[str, Seen] = {}

    def part_of(channel_id: str | None) -> Seen | None:
        facts = channels.get(channel_id or "")
        if facts is None or facts.is_private is None:
            return None  # not known yet: seen by nobody
        if not facts.is_private:
            return public
        return private.setdefault(channel_id or "", Seen())

    for entry in week_entries:
        if (found := part_of(entry.channel_id)) is not None:
            found.authors.setdefault(entry.author_id, set()).add(entry.kind)
    for channel_id, text in week:
        if (found := part_of(channel_id)) is not None:
            found.week.update(terms_of(text))
    for channel_id, text in month:
        if (found := part_of(channel_id)) is not None:
            found.month.update(terms_of(text))
    return public, private


Thanks = tuple[tuple[str, tuple[str, ...]], ...]  # (person, what they did), by person


@dataclass(frozen=True)
class WeekCommon:
    """Everything a workspace's digest of a week says whoever reads it, read from the database once; each
    reader's digest is drawn from it by `for_reader` (which quotes, themes and thanks their channels let
    them see, and their customer groups first) without reading the database again."""

    team_id: str
    week: Week
    so_far: bool
    detailed: bool
    metrics: tuple[Metric, ...]
    participation: tuple[WeekPoint, ...]
    fading: bool
    # the week's prouds and open sorries, each with its channel: quoted as each reader may see them
    week_prouds: tuple[EntryText, ...]
    open_sorries: tuple[EntryText, ...]
    open_sorries_total: int
    # the week's prouds and open sorries by channel (all of them, for what each reader may not see quoted)
    prouds_by_channel: Mapping[str, int]
    open_sorries_by_channel: Mapping[str, int]
    channels: Mapping[str, ChannelFacts]  # of every channel above the bot knows something of
    # themes and thanks: what the public channels' texts add (every reader sees it), what each private
    # channel's adds (its members see it), and the themes and thanks of a reader who sees no private channel
    public: Seen
    private: Mapping[str, Seen]
    public_ranked: tuple[tuple[str, int], ...]  # bot.digest.themes.ranked of the public week's terms
    public_themes: tuple[Theme, ...]
    public_thanks: Mapping[str, tuple[str, ...]]  # person -> what they did, whoever reads
    public_contributors: Thanks
    # every customer group, by the week's mentions (the reader's own come first in their digest)
    groups: tuple[tuple[int, GroupCount], ...]
    areas: tuple[AreaCount, ...]
    due_next_week: tuple[ActionLine, ...]
    due_next_week_total: int
    overdue: tuple[ActionLine, ...]
    overdue_total: int
    stuck: tuple[ActionLine, ...]
    stuck_total: int
    success: tuple[IndexLine, ...]
    quarter: str
    meetings: MeetingsWeek
    journey: JourneyWeek = field(default_factory=JourneyWeek)  # counts only: the same for every reader
    futures: tuple[FutureLine, ...] = ()  # workspace-wide: the same for every reader

    @property
    def participation_average(self) -> float:
        """The four weeks before the last shown, for the chart's line."""
        before = [point.value for point in self.participation[-5:-1]]
        return sum(before) / len(before) if before else 0.0


def compose_common(session: Session, *, team_id: str, week: Week, now: datetime, detailed: bool = False) -> WeekCommon:
    """What every reader's digest of `week` shares, as it stands at `now` (the week so far when it is not over)."""
    list_shown = DETAILED_LIST_SHOWN if detailed else LIST_SHOWN
    so_far = now < week.end
    today = local_date(now, week.tz)
    start, end = week.start, min(week.end, now)

    # numbers: this week, the one before, the four before that
    history = [week.shifted(-back) for back in range(5)]
    taking_part: dict[tuple[datetime, datetime], int] = {}
    counted = _metric_weeks(session, team_id, history, now, taking_part)
    metrics = tuple(
        Metric(label, counted[0][label], counted[1][label], sum(week_counts[label] for week_counts in counted[1:]) / 4)
        for label in counted[0]
    )

    # habit health: people taking part, week by week
    shown_weeks = [week.shifted(-back) for back in reversed(range(WEEKS_SHOWN))]
    values = [_taking_part(session, team_id, w.start, min(w.end, now), taking_part) for w in shown_weeks]
    complete = values[:-1] if so_far else values  # a week not over yet says nothing of a fade
    fade = fading(complete)
    warned = {len(complete) - 1 - back for back in range(FADE_WEEKS)} if fade else set()
    participation = tuple(
        WeekPoint(f"W{w.monday.isocalendar()[1]:02d}", value, index in warned)
        for index, (w, value) in enumerate(zip(shown_weeks, values, strict=True))
    )

    # texts: the week's and the month before's, for quotes and themes
    week_entries = digest_repo.entries_between(session, team_id=team_id, start=start, end=end, limit=TEXTS_SAMPLED)
    month_start = week.shifted(-4).start
    month_entries = digest_repo.entries_between(
        session, team_id=team_id, start=month_start, end=start, limit=2 * TEXTS_SAMPLED
    )
    week_answers = digest_repo.answers_between(session, team_id=team_id, start=start, end=end)
    month_answers = digest_repo.answers_between(session, team_id=team_id, start=month_start, end=start)
    open_sorries, open_sorries_total = digest_repo.sorries_without_cause(
        session, team_id=team_id, start=start, end=end, limit=list_shown * 4
    )
    prouds_by_channel, open_sorries_by_channel = digest_repo.highlights_by_channel(
        session, team_id=team_id, start=start, end=end
    )
    channel_ids = {e.channel_id for e in [*week_entries, *month_entries, *open_sorries]}
    channel_ids |= {*prouds_by_channel, *open_sorries_by_channel}
    channel_ids |= {a.channel for a in [*week_answers, *month_answers] if a.channel}
    channels = channel_facts(session, team_id, channel_ids)
    public, private = _seen_by_channel(
        channels,
        week_entries,
        [*((e.channel_id, e.text) for e in week_entries), *((a.channel, a.text) for a in week_answers)],
        [*((e.channel_id, e.text) for e in month_entries), *((a.channel, a.text) for a in month_answers)],
    )

    # customer groups (most mentioned first; each reader's own go first in their digest) and areas
    by_group = digest_repo.entries_by_group(session, team_id=team_id, start=start, end=end)
    answered = digest_repo.groups_answered(session, team_id=team_id, start=start, end=end)
    groups = [
        (
            group.id,
            GroupCount(
                group.name,
                by_group.get(group.id, {}).get(EntryKind.PROUD.value, 0),
                by_group.get(group.id, {}).get(EntryKind.SORRY.value, 0),
                group.id in answered,
                False,
            ),
        )
        for group in groups_repo.list_groups(session, team_id=team_id)
    ]
    groups.sort(key=lambda pair: (-(pair[1].prouds + pair[1].sorries), pair[1].name.casefold()))
    by_area = digest_repo.entries_by_area(session, team_id=team_id, start=start, end=end)

    # actions: due in the seven days from today (the week after, for the week so far), overdue and
    # stuck as of today
    first = week.shifted(1).monday if so_far else max(today, week.shifted(1).monday)
    due_next, due_next_total = digest_repo.open_actions_due(
        session, team_id=team_id, first=first, last=first + timedelta(days=6), limit=list_shown
    )
    overdue, overdue_total = digest_repo.open_actions_due(
        session, team_id=team_id, first=date.min, last=today - timedelta(days=1), limit=list_shown
    )
    stuck, stuck_total = digest_repo.open_actions_due(
        session, team_id=team_id, first=date.min, last=today - timedelta(days=STUCK_AFTER_DAYS), limit=list_shown
    )

    # the Success Index of the workspace, this quarter so far
    year, quarter = quarter_of(today)
    # (its commitments, read once, also give each common future's index)
    zones = success_index.owner_zones(session, team_id=team_id)
    commitments = success_index.commitments(
        session, team_id=team_id, year=year, quarter=quarter, until=today, zones=zones
    )
    index = success_index.lines_for(commitments)

    # thanks, by name, never ranked: what everyone did besides logging (root causes, items done, answers)
    # is thanked whoever reads; what they logged, where the reader may see it
    logged = {EntryKind.PROUD.value, EntryKind.SORRY.value}
    thanked = {person: set(kinds) for person, kinds in public.authors.items()}
    for person, kinds in digest_repo.contributors(session, team_id=team_id, start=start, end=end).items():
        if kinds - logged:
            thanked.setdefault(person, set()).update(kinds - logged)
    public_thanks = {person: tuple(sorted(kinds)) for person, kinds in thanked.items()}
    public_ranked = tuple(ranked(public.week))

    return WeekCommon(
        team_id=team_id,
        week=week,
        so_far=so_far,
        detailed=detailed,
        metrics=metrics,
        participation=participation,
        fading=fade,
        week_prouds=tuple(e for e in week_entries if e.kind == EntryKind.PROUD.value),
        open_sorries=tuple(open_sorries),
        open_sorries_total=open_sorries_total,
        prouds_by_channel=prouds_by_channel,
        open_sorries_by_channel=open_sorries_by_channel,
        channels=channels,
        public=public,
        private=private,
        public_ranked=public_ranked,
        public_themes=tuple(Theme(term, n, public.month.get(term, 0) / 4) for term, n in choose(public_ranked)),
        public_thanks=public_thanks,
        public_contributors=tuple(sorted(public_thanks.items())),
        groups=tuple(groups),
        areas=tuple(
            AreaCount(
                AREA_LABELS[area],
                by_area.get(area.value, {}).get(EntryKind.PROUD.value, 0),
                by_area.get(area.value, {}).get(EntryKind.SORRY.value, 0),
            )
            for area in Area
        ),
        due_next_week=tuple(due_next),
        due_next_week_total=due_next_total,
        overdue=tuple(overdue),
        overdue_total=overdue_total,
        stuck=tuple(stuck),
        stuck_total=stuck_total,
        success=tuple(index),
        quarter=f"{year} Q{quarter}",
        meetings=week_numbers(session, team_id=team_id, start=start, end=end),
        journey=journey_week(session, team_id=team_id, start=start, end=end),
        futures=future_service.digest_lines(session, team_id=team_id, found=commitments),
    )


def _themes(common: WeekCommon, seen: Sequence[Seen]) -> tuple[Theme, ...]:
    """The themes of the public texts and the private ones seen: the terms the private texts mention are
    counted again and ranked among the public ones, the rest keep their public rank (`themes_of` of all the
    texts seen, without adding up every count for every reader)."""
    if not seen:
        return common.public_themes
    week: Terms = Counter()
    for part in seen:
        week.update(part.week)
    changed = {term: common.public.week.get(term, 0) + count for term, count in week.items()}
    rest = (item for item in common.public_ranked if item[0] not in changed)
    chosen = choose(heapq.merge(rest, ranked(changed), key=rank))

    def before(term: str) -> float:
        return (common.public.month.get(term, 0) + sum(part.month.get(term, 0) for part in seen)) / 4

    return tuple(Theme(term, count, before(term)) for term, count in chosen)


def _thanks(common: WeekCommon, seen: Sequence[Seen]) -> Thanks:
    """Everyone whose part the reader may see, by person: the public thanks, and what the private texts seen
    add (a person logging only there, or logging another kind there)."""
    added: dict[str, set[str]] = {}
    for part in seen:
        for person, kinds in part.authors.items():
            added.setdefault(person, set()).update(kinds)
    if not added:
        return common.public_contributors
    everyone = common.public_thanks
    thanks = {person: tuple(sorted(kinds.union(everyone.get(person, ())))) for person, kinds in added.items()}
    public = [(person, thanks.get(person, kinds)) for person, kinds in common.public_contributors]
    newcomers = sorted((person, kinds) for person, kinds in thanks.items() if person not in everyone)
    return tuple(heapq.merge(public, newcomers)) if newcomers else tuple(public)


def for_reader(common: WeekCommon, reader: Reader) -> Digest:
    """`reader`'s digest, drawn from what every reader shares: quotes, themes and thanks only from what their
    channels let them see (an entry from a private channel, or one the bot cannot see, is counted for everyone
    and quoted only to that channel's members; a digest posted to a channel quotes only public channels), and
    their customer groups first."""
    visible = Visibility(common.channels, reader)
    seen = [part for channel_id, part in common.private.items() if visible.can_quote(channel_id)]

    follows = set(reader.group_ids)
    groups = [replace(count, reader_follows=True) if key in follows else count for key, count in common.groups]
    groups.sort(key=lambda g: not g.reader_follows)  # stable: the order of mentions stays within each part
    silent = tuple(g.name for g in groups if g.prouds + g.sorries == 0 and not g.in_meetings)

    list_shown = DETAILED_LIST_SHOWN if common.detailed else LIST_SHOWN
    prouds_shown = DETAILED_PROUDS_SHOWN if common.detailed else PROUDS_SHOWN
    return Digest(
        team_id=common.team_id,
        week=common.week,
        so_far=common.so_far,
        reader=reader,
        metrics=common.metrics,
        prouds=_quotes(common.week_prouds, visible, prouds_shown),
        prouds_total=common.metrics[0].now,
        open_sorries=_quotes(common.open_sorries, visible, list_shown),
        open_sorries_total=common.open_sorries_total,
        due_next_week=common.due_next_week,
        due_next_week_total=common.due_next_week_total,
        overdue=common.overdue,
        overdue_total=common.overdue_total,
        stuck=common.stuck,
        stuck_total=common.stuck_total,
        groups=tuple(groups),
        silent_groups=silent,
        areas=common.areas,
        themes=_themes(common, seen),
        success=common.success,
        quarter=common.quarter,
        participation=common.participation,
        fading=common.fading,
        meetings=common.meetings,
        contributors=_thanks(common, seen),
        futures=common.futures,
        detailed=common.detailed,
        prouds_unquoted=_unquoted(common.prouds_by_channel, visible),
        open_sorries_unquoted=_unquoted(common.open_sorries_by_channel, visible),
        journey=common.journey,
    )


def _unquoted(by_channel: Mapping[str, int], visible: Visibility) -> int:
    return sum(count for channel_id, count in by_channel.items() if not visible.can_quote(channel_id))


def compose(
    session: Session, *, team_id: str, week: Week, reader: Reader, now: datetime, detailed: bool = False
) -> Digest:
    """The digest of `week` for `reader`, as it stands at `now` (the week so far when it is not over).

    `detailed` (for `/mindset digest`) lists more of each highlight than the weekly message has room for.
    """
    return for_reader(compose_common(session, team_id=team_id, week=week, now=now, detailed=detailed), reader)
