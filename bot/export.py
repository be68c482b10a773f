"""Writing entries out as CSV or JSON (`mindset-bot export`)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import IO, Any

from storage.db import SessionFactory
from storage.models import Entry, EntryKind
from storage.repositories.entries import iter_entries

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
    "root_cause",
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def entry_row(entry: Entry) -> dict[str, Any]:
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
        "root_cause": entry.root_cause or "",
    }


def kinds_for(kind: str) -> list[str]:
    return [k.value for k in EntryKind] if kind == "all" else [EntryKind(kind).value]


def rows(session_factory: SessionFactory, *, kind: str, since: date | None) -> Iterator[dict[str, Any]]:
    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    with session_factory() as session:
        for entry in iter_entries(session, kinds=kinds_for(kind), since=start):
            yield entry_row(entry)


def write_csv(out: IO[str], records: Iterator[dict[str, Any]]) -> int:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for record in records:
        record = {**record, "customer_groups": "; ".join(record["customer_groups"])}
        writer.writerow([record[column] for column in COLUMNS])
        count += 1
    return count


def write_json(out: IO[str], records: Iterator[dict[str, Any]]) -> int:
    """A JSON array, written as it streams so a large export does not sit in memory."""
    out.write("[")
    count = 0
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
