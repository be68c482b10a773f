"""The customer journey: a workspace's stages (and a customer group's own, where they differ), edited by its
admins; and the breakdown map, where in the journey the sorries of the last weeks cluster, with the open action
items against each stage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.digest.compose import Reader, ReaderKind, Visibility, channel_facts
from bot.digest.journey import StageCount
from bot.journey import DEFAULT_STAGES, JourneyProblem, parse_stages
from bot.services import admins, replays
from bot.tags import group_keys, tag_key
from storage.repositories import groups as groups_repo
from storage.repositories import journey as journey_repo

WEEKS_DEFAULT = 8
WEEKS_MAX = 52
SORRIES_READ = 5000  # the map reads at most this many sorries (newest first) and says so when there were more
ACTIONS_READ = 2000
TOP_STAGES = 3  # the stages whose open items and recent sorries the map lists
ITEMS_LISTED = 3
QUOTES_LISTED = 2


@dataclass(frozen=True)
class Journeys:
    """A workspace's journey (its own, or the default) and the groups' own journeys, by group id."""

    stages: tuple[str, ...]
    own: bool  # the workspace wrote its journey (else: the default)
    by_group: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def of_group(self, group_id: int | None) -> tuple[str, ...]:
        return self.by_group.get(group_id, self.stages) if group_id is not None else self.stages

    @property
    def every_stage(self) -> tuple[str, ...]:
        """The workspace's stages, then the groups' that it has not, once each (by key)."""
        seen: dict[str, str] = {}
        for stage in (*self.stages, *(s for stages in self.by_group.values() for s in stages)):
            seen.setdefault(tag_key(stage), stage)
        return tuple(seen.values())


def read_journeys(session: Session, *, team_id: str) -> Journeys:
    written = journey_repo.journeys(session, team_id=team_id)
    own = written.pop(None, None)
    by_group = {group_id: tuple(stages) for group_id, stages in written.items() if group_id is not None}
    return Journeys(tuple(own) if own else DEFAULT_STAGES, bool(own), by_group)


def get_journeys(deps: Deps, *, team_id: str) -> Journeys:
    with deps.session_factory() as session:
        return read_journeys(session, team_id=team_id)


def stage_options(deps: Deps, *, team_id: str) -> tuple[str, ...]:
    """Every stage a form offers: the workspace's journey in order, then the groups' own stages."""
    return get_journeys(deps, team_id=team_id).every_stage


def chosen_stage(value: str | None, stages: Sequence[str]) -> str | None:
    """The stage a form's menu chose, if it is one of `stages` (a crafted or stale value is ignored)."""
    if not value:
        return None
    key = tag_key(value)
    return next((stage for stage in stages if tag_key(stage) == key), None)


@dataclass(frozen=True)
class JourneyEdit:
    """What the edit form shows: whose journey, its stages now, and whether they are its own."""

    group_id: int | None
    group_name: str | None
    stages: tuple[str, ...]
    own: bool


class UnknownGroup(JourneyProblem):
    """The `#tag` names no active customer group."""


def edit_target(deps: Deps, *, team_id: str, group_word: str | None) -> JourneyEdit:
    """The journey `/mindset journey edit [#group]` edits: the workspace's, or a group's named by its tag."""
    with deps.session_factory() as session:
        journeys = read_journeys(session, team_id=team_id)
        if not group_word:
            return JourneyEdit(None, None, journeys.stages, journeys.own)
        wanted = tag_key(group_word.lstrip("#"))
        for group_id, name in groups_repo.active_names(session, team_id=team_id):
            if wanted in group_keys(name, group_id):
                return JourneyEdit(group_id, name, journeys.of_group(group_id), group_id in journeys.by_group)
    shown = group_word[:40].replace("`", "'")
    raise UnknownGroup(f"No customer group has the tag `{shown}`: `/mindset groups` lists each group's tag.")


def set_journey(
    deps: Deps, *, team_id: str, by: str, group_id: int | None, text: str, key: str | None = None
) -> Journeys:
    """Save an edited journey (the workspace's, or a group's: empty text gives the group the workspace's
    journey again, and the workspace the default); recorded with the settings changes. `JourneyProblem` for
    unusable text; `Replayed` when this request was handled before."""
    stages = parse_stages(text, allow_empty=True)
    now = deps.clock()
    with deps.session_factory() as session:
        if group_id is not None and not groups_repo.groups_by_ids(session, team_id=team_id, group_ids=[group_id]):
            raise JourneyProblem("That customer group no longer exists; it may have been archived.")
        replays.claim(session, team_id=team_id, key=key, now=now)
        before = read_journeys(session, team_id=team_id)
        old = before.of_group(group_id)
        journey_repo.replace_journey(
            session,
            team_id=team_id,
            group_id=group_id,
            stages=() if stages == DEFAULT_STAGES and not group_id else stages,
        )
        after = read_journeys(session, team_id=team_id)
        new = after.of_group(group_id)
        if old != new or (group_id is not None and (group_id in before.by_group) != (group_id in after.by_group)):
            label = "" if group_id is None else f"{_group_name(session, team_id, group_id)}: "
            admins.record(
                session, team_id=team_id, by=by, setting=admins.JOURNEY, old=label + " → ".join(old),
                new=label + " → ".join(new), now=now,
            )  # fmt: skip
        session.commit()
        return after


def _group_name(session: Session, team_id: str, group_id: int) -> str:
    group = groups_repo.get_group(session, team_id=team_id, group_id=group_id)
    return group.name if group is not None else f"group {group_id}"


def group_name(deps: Deps, *, team_id: str, group_id: int) -> str:
    with deps.session_factory() as session:
        return _group_name(session, team_id, group_id)


# -- the breakdown map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupBreakdown:
    name: str  # a customer group's name, or "No customer group"
    stages: tuple[StageCount, ...]
    sorries: int
    without_stage: int
    own_journey: bool = False


@dataclass(frozen=True)
class OpenItem:
    id: int
    title: str
    owner_id: str
    due: str  # ISO date


@dataclass(frozen=True)
class Quote:
    entry_id: int
    channel_id: str
    text: str


@dataclass(frozen=True)
class BreakdownMap:
    weeks: int
    since: datetime
    journey: tuple[str, ...]
    sorries: int
    without_stage: int
    stages: tuple[StageCount, ...]  # the workspace's journey, then stages only groups or old entries have
    groups: tuple[GroupBreakdown, ...]  # those with sorries in the weeks, most first; "No customer group" last
    top: tuple[str, ...]  # the stages with the most sorries, most first
    items: dict[str, tuple[OpenItem, ...]] = field(default_factory=dict)  # open items of each top stage
    quotes: dict[str, tuple[Quote, ...]] = field(default_factory=dict)  # recent sorries of each top stage
    unquoted: int = 0  # of the top stages' sorries, those from channels the reader may not see quoted
    more_than_read: bool = False


NO_GROUP = "No customer group"


@dataclass
class _Tally:
    """Sorries and open items by stage key, of everyone, one group, or those with no group."""

    sorries: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    total: int = 0
    unstaged: int = 0

    def add_sorry(self, stage: str | None) -> None:
        self.total += 1
        if stage:
            self.sorries[tag_key(stage)] += 1
        else:
            self.unstaged += 1


def _counts(
    journey: Sequence[str], sorries: Counter[str], actions: Counter[str], names: dict[str, str]
) -> tuple[StageCount, ...]:
    """A journey's stages in order, then any other stage that has sorries or open items, by key."""
    keys = [tag_key(stage) for stage in journey]
    rows = [
        StageCount(stage, sorries.get(key, 0), actions.get(key, 0)) for stage, key in zip(journey, keys, strict=True)
    ]
    others = sorted({*sorries, *actions} - set(keys), key=lambda key: (-sorries.get(key, 0), key))
    rows += [StageCount(names[key], sorries.get(key, 0), actions.get(key, 0), False) for key in others]
    return tuple(rows)


def _keys(group_ids: Sequence[int], active: dict[int, str]) -> list[int | None]:
    """The tallies a row counts in besides everyone's: its active groups', or (None) that of no group."""
    return [group_id for group_id in group_ids if group_id in active] or [None]


def breakdown(deps: Deps, *, team_id: str, user_id: str, weeks: int = WEEKS_DEFAULT) -> BreakdownMap:
    """Where in the journey the sorries of the last `weeks` weeks cluster, overall and by customer group, with
    the open action items against each stage. Counts include every sorry; the recent sorries quoted are only
    those from channels `user_id` may see (the digest's rule: a private channel's to its members)."""
    now = deps.clock()
    since = now - timedelta(weeks=weeks)
    with deps.session_factory() as session:
        journeys = read_journeys(session, team_id=team_id)
        sorries = journey_repo.sorries_between(session, team_id=team_id, start=since, end=now, limit=SORRIES_READ + 1)
        more = len(sorries) > SORRIES_READ
        sorries = sorries[:SORRIES_READ]
        actions = journey_repo.open_actions_with_stage(session, team_id=team_id, limit=ACTIONS_READ)
        group_names = dict(groups_repo.active_names(session, team_id=team_id))
        channels = channel_facts(session, team_id, {sorry.channel_id for sorry in sorries if sorry.stage})
    names: dict[str, str] = {tag_key(stage): stage for stage in journeys.every_stage}
    for stage in [*(sorry.stage for sorry in sorries), *(item.stage for item in actions)]:
        if stage:
            names.setdefault(tag_key(stage), stage)

    # one pass over the rows: everyone's tally (key "all"), each active group's, and that of those with no group
    tallies: dict[object, _Tally] = {}
    everyone = "all"
    for sorry in sorries:
        for key in (everyone, *_keys(sorry.group_ids, group_names)):
            tallies.setdefault(key, _Tally()).add_sorry(sorry.stage)
    for item in actions:
        for key in (everyone, *_keys(item.group_ids, group_names)):
            tallies.setdefault(key, _Tally()).actions[tag_key(item.stage)] += 1
    whole = tallies.get(everyone, _Tally())
    total, unstaged = whole.total, whole.unstaged
    overall = _counts(journeys.stages, whole.sorries, whole.actions, names)
    groups: list[GroupBreakdown] = []
    for group_id, name in group_names.items():
        found = tallies.get(group_id)
        if found is not None and found.total:
            rows = _counts(journeys.of_group(group_id), found.sorries, found.actions, names)
            groups.append(GroupBreakdown(name, rows, found.total, found.unstaged, group_id in journeys.by_group))
    groups.sort(key=lambda g: (-g.sorries, g.name.casefold()))
    none = tallies.get(None)
    if none is not None and none.total and groups:
        rows = _counts(journeys.stages, none.sorries, none.actions, names)
        groups.append(GroupBreakdown(NO_GROUP, rows, none.total, none.unstaged))

    top = tuple(row.stage for row in sorted(overall, key=lambda r: -r.sorries) if row.sorries > 0)[:TOP_STAGES]
    top_keys = {tag_key(stage): stage for stage in top}
    items: dict[str, list[OpenItem]] = {}
    for item in actions:
        stage = top_keys.get(tag_key(item.stage))
        if stage is not None and len(items.setdefault(stage, [])) < ITEMS_LISTED:
            items[stage].append(OpenItem(item.id, item.title, item.owner_id, item.due_date.isoformat()))
    visible = Visibility(channels, Reader(ReaderKind.PERSON, user_id))
    quotes: dict[str, list[Quote]] = {}
    unquoted = 0
    for sorry in sorries:
        stage = top_keys.get(tag_key(sorry.stage or ""))
        if stage is None:
            continue
        if not visible.can_quote(sorry.channel_id):
            unquoted += 1
        elif len(quotes.setdefault(stage, [])) < QUOTES_LISTED:
            quotes[stage].append(Quote(sorry.id, sorry.channel_id, sorry.text))
    return BreakdownMap(
        weeks=weeks,
        since=since,
        journey=journeys.stages,
        sorries=total,
        without_stage=unstaged,
        stages=overall,
        groups=tuple(groups),
        top=top,
        items={stage: tuple(found) for stage, found in items.items()},
        quotes={stage: tuple(found) for stage, found in quotes.items()},
        unquoted=unquoted,
        more_than_read=more,
    )
