"""Workflow Builder steps: a step's inputs become a proud, a sorry or an action item.

The same services as `/proud`, `/sorry` and `/action` do the work, with their checks and their
idempotency: each run of a step (its `function_execution_id`) stores at most one entry or item, however
often Slack delivers the event. What cannot be used is a `StepProblem`, whose sentence the workflow shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import ids
from bot.deps import Deps
from bot.services import actions as action_service
from bot.services import entries as entry_service
from bot.services import people as people_service
from bot.slack_text import SECTION_TEXT_MAX, without_nul
from bot.tags import group_keys, tag_key
from storage.models import AREA_LABELS, ActionSource, Area, EntryKind
from storage.repositories import entries as entries_repo
from storage.repositories import groups as groups_repo


class StepProblem(ValueError):
    """An input the step cannot use; the message says which and what to do (completeError's text)."""


def idempotency_key(function_execution_id: str) -> str:
    """One run of a step, however often its event is delivered."""
    return f"function:{function_execution_id}"


# -- what is said when an input cannot be used (shown in the workflow's activity: plain text) ------------

LABELS = {
    ids.STEP_TEXT: "Text",
    ids.STEP_AUTHOR: "Author",
    ids.STEP_CHANNEL: "Channel",
    ids.STEP_GROUPS: "Customer groups",
    ids.STEP_AREA: "Area",
    ids.STEP_TITLE: "Title",
    ids.STEP_OWNER: "Owner",
    ids.STEP_DUE: "Due date",
    ids.STEP_OUTCOME: "Desired outcome",
    ids.STEP_CREATED_BY: "Created by",
    ids.STEP_SORRY_ID: "Sorry number",
}
WHAT = {EntryKind.PROUD: "proud", EntryKind.SORRY: "sorry"}


def missing_input(name: str) -> str:
    return f"The step's {LABELS.get(name, name)} is empty. Fill it in the step's settings in Workflow Builder."


def not_a_person(name: str) -> str:
    return f"The step's {LABELS.get(name, name)} is not a person. Choose a person (or a variable holding one)."


def not_a_channel(name: str) -> str:
    return f"The step's {LABELS.get(name, name)} is not a channel. Choose a channel (or a variable holding one)."


def unknown_area(raw: str) -> str:
    areas = ", ".join(AREA_LABELS.values())
    return f'There is no area called "{_shown(raw)}". Use one of: {areas}; or leave Area empty.'


def not_a_date(raw: str) -> str:
    return f'"{_shown(raw)}" is not a date. Choose a date for the Due date.'


def not_an_entry_id(raw: str) -> str:
    return f'"{_shown(raw)}" is not a sorry\'s number. Use the Entry number a Log a sorry step gave, or leave it empty.'


def unknown_group(name: str, names: list[str]) -> str:
    if not names:
        return (
            f'There is no customer group called "{_shown(name)}": this workspace has none yet. '
            "Add them with /mindset groups, or leave Customer groups empty."
        )
    return (
        f'There is no customer group called "{_shown(name)}". This workspace\'s groups: {", ".join(names)}. '
        "Separate several with commas; add new ones with /mindset groups."
    )


def empty_text(kind: EntryKind) -> str:
    return f"The {WHAT[kind]}'s Text is empty, so nothing was logged. Map it to what the form asks."


def text_too_long(kind: EntryKind, length: int) -> str:
    return (
        f"The {WHAT[kind]}'s text shows as {length:,} characters, and a post holds {SECTION_TEXT_MAX:,}. "
        "Nothing was logged: ask for a shorter text (a form field's maximum length helps)."
    )


def action_problem(field: str, message: str) -> str:
    label = {"title": ids.STEP_TITLE, "due": ids.STEP_DUE, "outcome": ids.STEP_OUTCOME, "owner": ids.STEP_OWNER}
    name = label.get(field)
    return f"{LABELS[name]}: {message}" if name else message


def _shown(raw: str) -> str:
    clean = " ".join(raw.split())
    return clean if len(clean) <= 60 else clean[:59] + "…"


# -- reading inputs ---------------------------------------------------------------------------------


def _text(inputs: Mapping[str, Any], name: str) -> str:
    value = inputs.get(name)
    return value.strip() if isinstance(value, str) else ""


def _user(inputs: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = _text(inputs, name)
    if not value:
        if required:
            raise StepProblem(missing_input(name))
        return None
    if value[:1] not in ("U", "W") or not value.isalnum():
        raise StepProblem(not_a_person(name))
    return value


def _channel(inputs: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = _text(inputs, name)
    if not value:
        if required:
            raise StepProblem(missing_input(name))
        return None
    if value[:1] not in ("C", "G", "D") or not value.isalnum():
        raise StepProblem(not_a_channel(name))
    return value


def parse_area(raw: str) -> Area | None:
    """An area by its value or its label (any case); None when empty."""
    wanted = " ".join(raw.split()).casefold()
    if not wanted:
        return None
    for area, label in AREA_LABELS.items():
        if wanted in (area.value, label.casefold()):
            return area
    raise StepProblem(unknown_area(raw))


def parse_due(raw: object) -> date | None:
    """Workflow Builder's date (`slack#/types/date`: "YYYY-MM-DD"); None when there is none."""
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise StepProblem(not_a_date(str(raw))) from None


def _sorry_id(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(str(raw).strip().lstrip("#"))
    except ValueError:
        raise StepProblem(not_an_entry_id(str(raw))) from None


def group_ids(deps: Deps, *, team_id: str, raw: str) -> list[int]:
    """The workspace's active groups named in `raw` (names or `#group-name` tags, separated by commas);
    a name it does not have is a problem, with the names it has."""
    wanted = [part.strip().lstrip("#").strip() for part in raw.split(",")]
    wanted = [part for part in wanted if part]
    if not wanted:
        return []
    with deps.session_factory() as session:
        groups = groups_repo.list_groups(session, team_id=team_id)
        by_key: dict[str, int] = {}
        for group in groups:  # as a `#tag` names a group (bot/tags.py): "small clinics" and "#small-clinics" alike
            for key in group_keys(group.name, group.id):
                by_key.setdefault(key, group.id)
        names = [group.name for group in groups]
    found: list[int] = []
    for name in wanted:
        group_id = by_key.get(tag_key(name))
        if group_id is None:
            raise StepProblem(unknown_group(name, names))
        found.append(group_id)
    return list(dict.fromkeys(found))


# -- the steps ----------------------------------------------------------------------------------------


def log_entry(
    deps: Deps, *, team_id: str, kind: EntryKind, function_execution_id: str, inputs: Mapping[str, Any]
) -> entry_service.Logged:
    """Log a proud or a sorry from a step's inputs, as `/proud` does (`#group-name` words in the text tag)."""
    inputs = without_nul(inputs)  # as every request's body (handlers/middleware.py): PostgreSQL refuses NUL
    author = _user(inputs, ids.STEP_AUTHOR, required=True)
    channel = _channel(inputs, ids.STEP_CHANNEL, required=True)
    assert author is not None and channel is not None
    area = parse_area(_text(inputs, ids.STEP_AREA))
    groups = group_ids(deps, team_id=team_id, raw=_text(inputs, ids.STEP_GROUPS))
    text = inputs.get(ids.STEP_TEXT)
    try:
        return entry_service.log_entry(
            deps,
            entry_service.NewEntry(
                team_id=team_id,
                kind=kind,
                author_id=author,
                channel_id=channel,
                text=text if isinstance(text, str) else "",
                idempotency_key=idempotency_key(function_execution_id),
                area=area,
                group_ids=groups,
                tags_from_text=True,
            ),
        )
    except entry_service.TextEmpty:
        raise StepProblem(empty_text(kind)) from None
    except entry_service.TextTooLong as too_long:
        raise StepProblem(text_too_long(kind, too_long.length)) from None


@dataclass(frozen=True)
class PostState:
    message_ts: str | None
    error: str | None


def post_state(deps: Deps, *, team_id: str, entry_id: int) -> PostState:
    """Whether the entry's post went out (its message), or why the channel refused it."""
    with deps.session_factory() as session:
        entry = entries_repo.get_entry(session, team_id=team_id, entry_id=entry_id)
        if entry is None:
            return PostState(None, None)
        return PostState(entry.message_ts, entry.post_error)


@dataclass(frozen=True)
class ActionStep:
    card: action_service.ActionCard
    created: bool
    channel_id: str | None  # where to share it, if anywhere
    today: date


def create_action(
    deps: Deps,
    *,
    team_id: str,
    function_execution_id: str,
    inputs: Mapping[str, Any],
    not_a_person: Callable[[str], str | None] = lambda _: None,
) -> ActionStep:
    """Create an action item from a step's inputs with `/action`'s checks (title, date, outcome; the owner a
    person, as `not_a_person` tells: bot/services/owners.py, asked of Slack by the caller)."""
    inputs = without_nul(inputs)  # as every request's body (handlers/middleware.py): PostgreSQL refuses NUL
    owner = _user(inputs, ids.STEP_OWNER, required=True)
    assert owner is not None
    refusal = not_a_person(owner)
    if refusal:
        raise StepProblem(f"{LABELS[ids.STEP_OWNER]}: {refusal}")
    created_by = _user(inputs, ids.STEP_CREATED_BY, required=False) or owner
    channel = _channel(inputs, ids.STEP_CHANNEL, required=False)
    area = parse_area(_text(inputs, ids.STEP_AREA))
    groups = group_ids(deps, team_id=team_id, raw=_text(inputs, ids.STEP_GROUPS))
    sorry_id = _sorry_id(inputs.get(ids.STEP_SORRY_ID))
    today = people_service.today_of(deps, team_id=team_id, user_id=created_by)
    title = inputs.get(ids.STEP_TITLE)
    outcome = inputs.get(ids.STEP_OUTCOME)
    new = action_service.NewAction(
        team_id=team_id,
        title=title if isinstance(title, str) else "",
        owner_id=owner,
        created_by=created_by,
        due_date=parse_due(inputs.get(ids.STEP_DUE)),
        today=today,
        idempotency_key=idempotency_key(function_execution_id),
        desired_outcome=outcome if isinstance(outcome, str) else None,
        group_ids=groups,
        area=area,
        source=ActionSource.SORRY if sorry_id is not None else ActionSource.MANUAL,
        source_entry_id=sorry_id,
    )
    try:
        card, created = action_service.create_action(deps, new)
    except action_service.ActionProblem as problem:
        raise StepProblem(action_problem(problem.field, str(problem))) from None
    return ActionStep(card, created, channel, today)
