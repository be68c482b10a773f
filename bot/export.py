"""Writing records out as CSV or JSON (`mindset-bot export`): entries, action items, meeting answers, the
quarterly reviews with one's lead, and ideal futures.

Everything streams: rows come from the database in batches and are written as they come, so a large
export does not sit in memory. CSV holds one kind of record; JSON can hold all of them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import IO, Any, Protocol

from sqlalchemy.orm import object_session

from bot.services.actions import Zones, item_horizon, owner_zone
from storage.db import SessionFactory
from storage.models import ActionEvent, ActionItem, Entry, EntryKind, LeadReview
from storage.repositories import admins as admins_repo
from storage.repositories import futures as futures_repo
from storage.repositories import leads as leads_repo
from storage.repositories.entries import iter_entries
from storage.repositories.exports import (
    ActionWithHistory,
    AnswerRow,
    count_records,
    iter_actions,
    iter_lead_reviews,
    iter_meeting_answers,
    notes_by,
    root_causes_by,
)
from storage.repositories.futures import FutureRow

ENTRIES = "entries"
ACTION = "action"
MEETING = "meeting"
LEAD = "lead"
FUTURE = "future"
ALL = "all"
KINDS = (ENTRIES, EntryKind.PROUD.value, EntryKind.SORRY.value, ACTION, MEETING, LEAD, FUTURE, ALL)

CSV_NEEDS_ONE_KIND = (
    "CSV holds one kind of record: use --kind entries, action, meeting, lead or future, or --format json"
)

COLUMNS = (
    "id",
    "kind",
    "created_at",
    "team",
    "author",
    "channel",
    "text",
    "customer_groups",
    "area",
    "stage",
    "root_cause",
)
ENTRY_COLUMNS = COLUMNS

ACTION_COLUMNS = (
    "id",
    "created_at",
    "team",
    "title",
    "desired_outcome",
    "owner",
    "involved",
    "created_by",
    "due_date",
    "original_due_date",
    "horizon",
    "status",
    "closed_at",
    "drop_reason",
    "customer_groups",
    "area",
    "stage",
    "source",
    "source_entry",
    "source_answer",
    "future",
    "history",
)

MEETING_COLUMNS = (
    "id",
    "answered_at",
    "team",
    "meeting",
    "meeting_title",
    "occurrence_date",
    "subject",
    "customer_group",
    "text",
    "answered_by",
)

LEAD_COLUMNS = (
    "id",
    "created_at",
    "team",
    "lead",
    "report",
    "quarter",
    "lead_note",
    "lead_note_at",
    "report_note",
    "report_note_at",
    "reviewed_at",
    "reviewed_by",
)
FUTURE_COLUMNS = (
    "id",
    "created_at",
    "team",
    "customer_group",
    "text",
    "author",
    "endorsements",
    "endorsed_by",
    "confirmed_at",
    "confirmed_by",
    "actions",
)
# the section of the JSON export (and of the progress) each kind of record is written in
SECTION_OF = {ACTION: "actions", MEETING: "meeting_answers", LEAD: "lead_reviews", FUTURE: "futures"}

# in CSV, these lists become one cell of names separated by "; "; `history` becomes a JSON array
LIST_SEPARATOR = "; "
JSON_IN_CSV = frozenset({"history"})

Record = dict[str, Any]


class ExportProblem(ValueError):
    """A combination of options that cannot be written (all kinds as CSV)."""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso_or_none(moment: datetime | None) -> str | None:
    return _iso(moment) if moment is not None else None


def _day_or_none(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


# -- records -------------------------------------------------------------------------------------


def entry_row(entry: Entry) -> Record:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "created_at": _iso(entry.created_at),
        "team": entry.team_id,
        "author": entry.author_id,
        "channel": entry.channel_id,
        "text": entry.text,
        "customer_groups": [group.name for group in entry.groups],
        "area": entry.area or "",
        "stage": entry.stage or "",
        "root_cause": entry.root_cause or "",
    }


def event_record(event: ActionEvent) -> Record:
    return {
        "at": _iso(event.at),
        "by": event.by,
        "kind": event.kind,
        "old": event.old_value,
        "new": event.new_value,
        "note": event.note,
    }


def action_row(found: ActionWithHistory, zones: Zones | None = None, futures: dict[int, int] | None = None) -> Record:
    """An action item; `futures`: the future each item of its batch serves (read here when not given)."""
    item = found.item
    return {
        "id": item.id,
        "created_at": _iso(item.created_at),
        "team": item.team_id,
        "title": item.title,
        "desired_outcome": item.desired_outcome,
        "owner": item.owner_id,
        "involved": item.involved_ids,
        "created_by": item.created_by,
        "due_date": item.due_date.isoformat(),
        "original_due_date": item.original_due_date.isoformat(),
        "horizon": item_horizon(item.created_at, item.due_date, owner_zone(item, zones)).value,
        "status": item.status,
        "closed_at": _iso_or_none(item.closed_at),
        "drop_reason": item.drop_reason,
        "customer_groups": [group.name for group in item.groups],
        "area": item.area,
        "stage": item.stage,
        "source": item.source,
        "source_entry": item.source_entry_id,
        "source_answer": item.source_answer_id,
        "future": (futures if futures is not None else _future_of(item)).get(item.id),
        "history": [event_record(event) for event in found.events],
    }


def _future_of(item: ActionItem) -> dict[int, int]:
    session = object_session(item)
    return futures_repo.futures_of_actions(session, action_ids=[item.id]) if session is not None else {}


def future_row(found: FutureRow) -> Record:
    """An ideal future: its group, text and author, who endorsed it, whether and when it was confirmed as the
    group's common future (and by whom), the action items that serve it."""
    future = found.future
    return {
        "id": future.id,
        "created_at": _iso(future.created_at),
        "team": future.team_id,
        "customer_group": found.group_name,
        "text": future.text,
        "author": future.author_id,
        "endorsements": len(found.endorsers),
        "endorsed_by": list(found.endorsers),
        "confirmed_at": _iso_or_none(future.confirmed_at),
        "confirmed_by": future.confirmed_by,
        "actions": list(found.action_ids),
    }


def meeting_row(answer: AnswerRow) -> Record:
    return {
        "id": answer.id,
        "answered_at": _iso(answer.answered_at),
        "team": answer.team_id,
        "meeting": answer.meeting_id,
        "meeting_title": answer.prompt_title,
        "occurrence_date": _day_or_none(answer.occurrence_date),
        "subject": answer.subject,
        "customer_group": answer.group_name,
        "text": answer.text,
        "answered_by": answer.answered_by,
    }


def kinds_for(kind: str) -> list[str]:
    """The entry kinds `--kind` asks for: both for `entries` (and the old `all`), else the one named."""
    return [k.value for k in EntryKind] if kind in (ENTRIES, ALL) else [EntryKind(kind).value]


def _start(since: date | None) -> datetime | None:
    return datetime.combine(since, time.min, tzinfo=UTC) if since else None


def entry_rows(
    session_factory: SessionFactory, *, kind: str = ENTRIES, since: date | None = None, team: str | None = None
) -> Iterator[Record]:
    with session_factory() as session:
        for entry in iter_entries(session, kinds=kinds_for(kind), since=_start(since), team_id=team):
            yield entry_row(entry)


def action_rows(
    session_factory: SessionFactory, *, since: date | None = None, team: str | None = None
) -> Iterator[Record]:
    with session_factory() as session:
        zones: Zones = {}
        serving = futures_repo.served_futures(session, team_id=team)  # only the items that serve one: few
        for found in iter_actions(session, since=_start(since), team_id=team):
            yield action_row(found, zones, serving)


def meeting_rows(
    session_factory: SessionFactory, *, since: date | None = None, team: str | None = None
) -> Iterator[Record]:
    with session_factory() as session:
        for answer in iter_meeting_answers(session, since=_start(since), team_id=team):
            yield meeting_row(answer)


def lead_rows(
    session_factory: SessionFactory, *, since: date | None = None, team: str | None = None
) -> Iterator[Record]:
    with session_factory() as session:
        for review in iter_lead_reviews(session, since=_start(since), team_id=team):
            yield lead_review_row(review)


def future_rows(
    session_factory: SessionFactory, *, since: date | None = None, team: str | None = None
) -> Iterator[Record]:
    with session_factory() as session:
        for found in futures_repo.iter_futures(session, since=_start(since), team_id=team):
            yield future_row(found)


def rows(
    session_factory: SessionFactory, *, kind: str, since: date | None, team: str | None = None
) -> Iterator[Record]:
    """The records of one kind (`entries`, `proud`, `sorry`, `action`, `meeting`, `lead` or `future`), oldest
    first."""
    if kind == FUTURE:
        return future_rows(session_factory, since=since, team=team)
    if kind == LEAD:
        return lead_rows(session_factory, since=since, team=team)
    if kind == ACTION:
        return action_rows(session_factory, since=since, team=team)
    if kind == MEETING:
        return meeting_rows(session_factory, since=since, team=team)
    if kind == ALL:
        raise ExportProblem("`all` is several kinds of record: use write_all_json")
    return entry_rows(session_factory, kind=kind, since=since, team=team)


def columns_for(kind: str) -> Sequence[str]:
    if kind == FUTURE:
        return FUTURE_COLUMNS
    if kind == LEAD:
        return LEAD_COLUMNS
    if kind == ACTION:
        return ACTION_COLUMNS
    if kind == MEETING:
        return MEETING_COLUMNS
    if kind == ALL:
        raise ExportProblem(CSV_NEEDS_ONE_KIND)
    return ENTRY_COLUMNS


# -- writers -------------------------------------------------------------------------------------


# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Prefix `'` to a cell a spreadsheet would read as a formula, so it is shown as text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if column in JSON_IN_CSV:
        return neutralise_formula(json.dumps(value, ensure_ascii=False))
    if isinstance(value, list):
        return neutralise_formula(LIST_SEPARATOR.join(str(item) for item in value))
    if isinstance(value, str):
        return neutralise_formula(value)
    return value


def write_csv(out: IO[str], records: Iterator[Record], columns: Sequence[str] = COLUMNS) -> int:
    """A header row, then one row per record: lists joined with "; ", history as JSON, None as empty."""
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([_csv_cell(column, record[column]) for column in columns])
        count += 1
    return count


def _write_array(out: IO[str], records: Iterator[Record]) -> int:
    out.write("[")
    count = 0
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]" if count else "]")
    return count


def write_json(out: IO[str], records: Iterator[Record]) -> int:
    """A JSON array, written as it streams so a large export does not sit in memory."""
    count = _write_array(out, records)
    out.write("\n")
    return count


ALL_SECTIONS = ("entries", "actions", "meeting_answers", "lead_reviews", "futures")


def write_all_json(
    out: IO[str],
    session_factory: SessionFactory,
    *,
    since: date | None,
    team: str | None = None,
    progress: Callable[[str, int], Counting] | None = None,
) -> dict[str, int]:
    """{"entries": [...], "actions": [...], "meeting_answers": [...], "lead_reviews": [...], "futures": [...]},
    each list streamed in turn."""
    sections: dict[str, Callable[[], Iterator[Record]]] = {
        "entries": lambda: entry_rows(session_factory, kind=ENTRIES, since=since, team=team),
        "actions": lambda: action_rows(session_factory, since=since, team=team),
        "meeting_answers": lambda: meeting_rows(session_factory, since=since, team=team),
        "lead_reviews": lambda: lead_rows(session_factory, since=since, team=team),
        "futures": lambda: future_rows(session_factory, since=since, team=team),
    }
    expected = totals(session_factory, kind=ALL, since=since, team=team) if progress is not None else {}
    counts: dict[str, int] = {}
    out.write("{")
    for name in ALL_SECTIONS:
        out.write(",\n" if counts else "\n")
        out.write(f"{json.dumps(name)}: ")
        records = sections[name]()
        if progress is not None:
            records = _counted(records, progress(name, expected[name]))
        counts[name] = _write_array(out, records)
    out.write("\n}\n")
    return counts


class Counting(Protocol):
    """Progress of an export (bot.progress.Progress): one step per record written, then done."""

    def step(self, count: int = 1, *, label: str = "") -> None: ...
    def done(self) -> None: ...


def _counted(records: Iterator[Record], progress: Counting) -> Iterator[Record]:
    for record in records:
        yield record
        progress.step()
    progress.done()


def totals(
    session_factory: SessionFactory, *, kind: str, since: date | None, team: str | None = None
) -> dict[str, int]:
    """How many records of each section the export of `kind` will write (for its progress)."""
    sections = ALL_SECTIONS if kind == ALL else (SECTION_OF.get(kind, "entries"),)
    with session_factory() as session:
        return {
            section: count_records(session, section=section, since=_start(since), team_id=team, kinds=kinds_for(kind))
            for section in sections
        }


def export(
    out: IO[str],
    session_factory: SessionFactory,
    *,
    kind: str,
    fmt: str,
    since: date | None,
    team: str | None = None,
    progress: Callable[[str, int], Counting] | None = None,
) -> dict[str, int]:
    """Write the export `mindset-bot export` asks for; how many records of each kind it wrote.
    `progress(section, total)`: what counts the records of each section as they are written."""
    if kind == ALL:
        if fmt == "csv":
            raise ExportProblem(CSV_NEEDS_ONE_KIND)
        if progress is None:
            return write_all_json(out, session_factory, since=since, team=team)
        return write_all_json(out, session_factory, since=since, team=team, progress=progress)
    records = rows(session_factory, kind=kind, since=since, team=team)
    section = SECTION_OF.get(kind, "entries")
    if progress is not None:
        total = totals(session_factory, kind=kind, since=since, team=team)[section]
        records = _counted(records, progress(section, total))
    count = write_csv(out, records, columns_for(kind)) if fmt == "csv" else write_json(out, records)
    return {section: count}


def person_data(session_factory: SessionFactory, *, team_id: str, user_id: str) -> dict[str, list[Record]]:
    """Everything one person wrote or owns in a workspace, in the export's format (`/mindset forget me`)."""
    with session_factory() as session:
        entries = [
            entry_row(entry)
            for entry in iter_entries(session, kinds=kinds_for(ENTRIES), team_id=team_id, author_id=user_id)
        ]
        zones: Zones = {}
        serving = futures_repo.served_futures(session, team_id=team_id)
        actions = [
            action_row(found, zones, serving) for found in iter_actions(session, team_id=team_id, owner_id=user_id)
        ]
        answers = [
            meeting_row(answer) for answer in iter_meeting_answers(session, team_id=team_id, answered_by=user_id)
        ]
        root_causes: list[Record] = [
            {"entry": entry_id, "root_cause": text, "at": _iso_or_none(at)}
            for entry_id, text, at in root_causes_by(session, team_id=team_id, user_id=user_id)
        ]
        notes: list[Record] = [
            {"action": action_id, "note": note, "at": _iso(at)}
            for action_id, note, at in notes_by(session, team_id=team_id, user_id=user_id)
        ]
        settings_changes: list[Record] = [
            {"setting": change.setting, "old": change.old_value, "new": change.new_value, "at": _iso(change.at)}
            for change in admins_repo.changes_by(session, team_id=team_id, user_id=user_id)
        ]
        links = [leads_repo.link_of_report(session, team_id=team_id, report_id=user_id)]
        links += leads_repo.links_of_lead(session, team_id=team_id, lead_id=user_id)
        lead_links: list[Record] = [
            {
                "report": link.report_id,
                "lead": link.lead_id,
                "status": link.status,
                "requested_at": _iso(link.requested_at),
                "answered_at": _iso_or_none(link.answered_at),
            }
            for link in links
            if link is not None
        ]
        reviews = [
            lead_review_row(review) for review in leads_repo.reviews_of(session, team_id=team_id, user_id=user_id)
        ]
        proposed = [
            future_row(found)
            for found in futures_repo.iter_futures(session, team_id=team_id)
            if found.future.author_id == user_id
        ]
        groups = {found.future.id: found for found in futures_repo.iter_futures(session, team_id=team_id)}
        endorsements: list[Record] = []
        for endorsement in futures_repo.endorsements_of(session, team_id=team_id, user_id=user_id):
            endorsed = groups.get(endorsement.future_id)
            endorsements.append(
                {
                    "future": endorsement.future_id,
                    "customer_group": endorsed.group_name if endorsed else None,
                    "text": endorsed.future.text if endorsed else None,
                    "at": _iso(endorsement.created_at),
                }
            )
    return {
        "entries": entries,
        "actions": actions,
        "meeting_answers": answers,
        "root_causes_written": root_causes,
        "action_notes_written": notes,
        "settings_changes_made": settings_changes,
        "lead_links": lead_links,
        "lead_reviews": reviews,
        "futures_proposed": proposed,
        "future_endorsements": endorsements,
    }


def lead_review_row(review: LeadReview) -> Record:
    """A quarterly review with one's lead: who, which quarter, each one's note, when it was marked reviewed."""
    return {
        "id": review.id,
        "created_at": _iso(review.created_at),
        "team": review.team_id,
        "lead": review.lead_id,
        "report": review.report_id,
        "quarter": f"{review.year}-Q{review.quarter}",
        "lead_note": review.lead_note,
        "lead_note_at": _iso_or_none(review.lead_note_at),
        "report_note": review.report_note,
        "report_note_at": _iso_or_none(review.report_note_at),
        "reviewed_at": _iso_or_none(review.reviewed_at),
        "reviewed_by": review.reviewed_by,
    }
