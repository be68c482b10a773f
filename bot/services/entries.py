"""Logging prouds and sorries, and what happens to them afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.journey import StageMatch, has_stage_mark, stage_in
from bot.services import journey as journey_service
from bot.services import replays
from bot.slack_text import entry_text_length, section_fits
from bot.tags import group_keys, tag_key, tags_in
from storage.models import Area, Entry, EntryKind
from storage.repositories import actions as actions_repo
from storage.repositories import entries as entries_repo
from storage.repositories import groups as groups_repo


@dataclass(frozen=True)
class LinkedAction:
    """An action item created from a sorry, as its message lists it."""

    id: int
    title: str
    owner_id: str
    due_date: date
    status: str


@dataclass(frozen=True)
class EntryCard:
    """Plain data the renderers need to show an entry."""

    id: int
    team_id: str
    kind: EntryKind
    author_id: str
    channel_id: str
    text: str
    area: Area | None = None
    group_names: tuple[str, ...] = ()
    group_ids: tuple[int, ...] = ()
    stage: str | None = None
    root_cause: str | None = None
    root_cause_by: str | None = None
    message_ts: str | None = None
    source_channel_id: str | None = None
    source_ts: str | None = None
    source_permalink: str | None = None
    actions: tuple[LinkedAction, ...] = ()
    # the root causes written before the current one, oldest first: (text, who wrote it; None if forgotten)
    root_cause_history: tuple[tuple[str, str | None], ...] = ()

    @property
    def root_cause_writers(self) -> tuple[str, ...]:
        """Who wrote the earlier root causes, once each, oldest first, leaving out the current writer."""
        earlier = (by for _, by in self.root_cause_history if by and by != self.root_cause_by)
        return tuple(dict.fromkeys(earlier))

    @classmethod
    def of(cls, entry: Entry) -> EntryCard:
        return cls(
            id=entry.id,
            team_id=entry.team_id,
            kind=EntryKind(entry.kind),
            author_id=entry.author_id,
            channel_id=entry.channel_id,
            text=entry.text,
            area=Area(entry.area) if entry.area else None,
            group_names=tuple(group.name for group in entry.groups),
            group_ids=tuple(group.id for group in entry.groups),
            stage=entry.stage,
            root_cause=entry.root_cause,
            root_cause_by=entry.root_cause_by,
            message_ts=entry.message_ts,
            source_channel_id=entry.source_channel_id,
            source_ts=entry.source_ts,
            source_permalink=entry.source_permalink,
        )


@dataclass(frozen=True)
class NewEntry:
    team_id: str
    kind: EntryKind
    author_id: str
    channel_id: str
    text: str
    idempotency_key: str
    area: Area | None = None
    group_ids: Sequence[int] = field(default_factory=tuple)
    source_channel_id: str | None = None
    source_ts: str | None = None
    # the stage of the customer journey chosen in a form (one of the workspace's stages)
    stage: str | None = None
    # when true, `#group-name` words in the text tag those customer groups, and `>stage` names its stage
    tags_from_text: bool = False


class TextEmpty(ValueError):
    """Nothing to log."""


class TextTooLong(ValueError):
    """The text would not fit in one Slack section once shown."""

    def __init__(self, length: int) -> None:
        super().__init__(f"text shows as {length} characters")
        self.length = length


@dataclass(frozen=True)
class Logged:
    card: EntryCard
    created: bool  # False when the same request had already stored it
    # `#tags` in the text that name no active customer group of the workspace, as typed (without `#`)
    unknown_tags: tuple[str, ...] = ()
    # what `>stage` words in the text came to (None: the text had none), and the stages they were matched to
    stage_match: StageMatch | None = None
    stages: tuple[str, ...] = ()


def check_text(text: str) -> str:
    """The text as stored (what the person typed, trimmed), or an error when unusable."""
    clean = text.strip()
    if not clean:
        raise TextEmpty()
    if not section_fits(clean):
        raise TextTooLong(entry_text_length(clean))
    return clean


def log_entry(deps: Deps, new: NewEntry) -> Logged:
    """Store an entry once per idempotency key and return what to show.

    A new entry's card is made from what was stored, without reading it back: nothing links to it yet. With
    `#tags` on PostgreSQL, the insert also reads the workspace's groups (one round trip for both)."""
    text = check_text(new.text)
    row = entries_repo.NewEntryRow(
        team_id=new.team_id,
        kind=new.kind.value,
        author_id=new.author_id,
        channel_id=new.channel_id,
        text=text,
        created_at=deps.clock(),
        idempotency_key=new.idempotency_key,
        area=new.area.value if new.area else None,
        stage=new.stage,
        source_channel_id=new.source_channel_id,
        source_ts=new.source_ts,
    )
    tags = tags_in(text) if new.tags_from_text else []
    match: StageMatch | None = None
    stages: tuple[str, ...] = ()
    with deps.session_factory() as session:
        # `>stage`: the stages are read only when the text has a `>` (the /proud path spends no statement else)
        if new.tags_from_text and has_stage_mark(text):
            stages = journey_service.read_journeys(session, team_id=new.team_id).every_stage
            match = stage_in(text, stages)
            if match.stage is not None and row.stage is None:
                row = replace(row, stage=match.stage)
            if not (match.stage or match.unknown or match.ambiguous):
                match = None
        together = entries_repo.insert_once_reading_groups(session, row) if tags else None
        if together is not None:
            entry_id, active = together
            groups, unknown = _tagged(active, new.group_ids, tags)
            if entry_id is not None:
                entries_repo.link_groups(session, entry_id=entry_id, group_ids=[group_id for group_id, _ in groups])
        else:
            if tags:
                active = groups_repo.active_names(session, team_id=new.team_id)
                groups, unknown = _tagged(active, new.group_ids, tags)
            else:
                groups, unknown = (
                    groups_repo.tagged(session, team_id=new.team_id, group_ids=sorted(set(new.group_ids))),
                    (),
                )
            entry_id = entries_repo.insert_entry_once(session, row, group_ids=[group_id for group_id, _ in groups])
        if entry_id is None:  # the same request, delivered again: it was stored the first time
            stored = entries_repo.find_by_idempotency_key(session, team_id=new.team_id, key=new.idempotency_key)
            if stored is None:  # only if it was deleted since, in the blink between the two statements
                raise LookupError(f"entry {new.idempotency_key} of {new.team_id} vanished")
            return Logged(EntryCard.of(stored), created=False)
        session.commit()
    card = EntryCard(
        id=entry_id,
        team_id=new.team_id,
        kind=new.kind,
        author_id=new.author_id,
        channel_id=new.channel_id,
        text=text,
        area=new.area,
        group_names=tuple(name for _, name in groups),
        group_ids=tuple(group_id for group_id, _ in groups),
        stage=row.stage,
        source_channel_id=new.source_channel_id,
        source_ts=new.source_ts,
    )
    return Logged(card, created=True, unknown_tags=unknown, stage_match=match, stages=stages)


def _tagged(
    active: Sequence[tuple[int, str]], chosen_ids: Sequence[int], tags: Sequence[str]
) -> tuple[list[tuple[int, str]], tuple[str, ...]]:
    """Of the workspace's active groups (id, name; in the order the entry's groups are read in later), those
    chosen and those named by `tags` (see bot/tags.py); and the tags that name no group (those with a letter:
    `#1` is a number, not a tag)."""
    chosen = set(chosen_ids)
    wanted = {tag_key(tag) for tag in tags}
    named: set[str] = set()
    found: list[tuple[int, str]] = []
    for group_id, name in active:
        keys = group_keys(name, group_id) & wanted
        named |= keys
        if keys or group_id in chosen:
            found.append((group_id, name))
    unknown = tuple(tag for tag in tags if tag_key(tag) not in named and any(char.isalpha() for char in tag))
    return found, unknown


def get_card(deps: Deps, *, team_id: str, entry_id: int) -> EntryCard | None:
    """The entry as its message shows it, with the action items it led to."""
    with deps.session_factory() as session:
        entry = entries_repo.get_entry(session, team_id=team_id, entry_id=entry_id)
        return None if entry is None else card_with_actions(session, entry)


def card_with_actions(session: Session, entry: Entry) -> EntryCard:
    """The entry's card with the action items it led to, read in the caller's session."""
    linked = tuple(
        LinkedAction(item.id, item.title, item.owner_id, item.due_date, item.status)
        for item in actions_repo.from_entry(session, team_id=entry.team_id, entry_id=entry.id)
    )
    history = tuple(
        (revision.text, revision.written_by) for revision in entries_repo.root_cause_history(session, entry_id=entry.id)
    )
    return replace(EntryCard.of(entry), actions=linked, root_cause_history=history)


def record_post(
    deps: Deps,
    *,
    team_id: str,
    entry_id: int,
    message_ts: str | None,
    error: str | None = None,
    permalink: str | None = None,
) -> None:
    with deps.session_factory() as session:
        entries_repo.record_post(
            session, team_id=team_id, entry_id=entry_id, message_ts=message_ts, error=error, permalink=permalink
        )
        session.commit()


def record_posts(deps: Deps, posts: Sequence[tuple[str, int, str]]) -> None:
    """Record the posts of many entries, (team, entry id, message ts) each, in one transaction."""
    with deps.session_factory() as session:
        entries_repo.record_posts(session, posts)
        session.commit()


def add_root_cause(
    deps: Deps, *, team_id: str, entry_id: int, root_cause: str, by: str, key: str | None = None
) -> EntryCard | None:
    """Save the answer to "why did this happen?" (the cause it replaces stays in the sorry's history); None when
    the sorry is not this workspace's. `Replayed` (bot/services/replays.py) when the request with this key was
    handled before."""
    with deps.session_factory() as session:
        entry = entries_repo.get_entry(session, team_id=team_id, entry_id=entry_id)
        if entry is None or entry.kind != EntryKind.SORRY:
            return None
        replays.claim(session, team_id=team_id, key=key, now=deps.clock())
        entries_repo.set_root_cause(session, entry=entry, root_cause=root_cause.strip(), by=by, now=deps.clock())
        card = card_with_actions(session, entry)
        session.commit()
        return card


def tag_with_group(deps: Deps, *, team_id: str, entry_id: int, group_id: int, by: str) -> EntryCard | None:
    """Tag the author's entry with a group just created for a `#tag` it carried; None when the entry is gone
    or is not theirs."""
    with deps.session_factory() as session:
        entry = entries_repo.get_entry(session, team_id=team_id, entry_id=entry_id)
        if entry is None or entry.author_id != by:
            return None
        if not groups_repo.groups_by_ids(session, team_id=team_id, group_ids=[group_id]):
            return None
        entries_repo.link_group(session, entry=entry, group_id=group_id)
        session.commit()
        return card_with_actions(session, entry)
