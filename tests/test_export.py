"""`mindset-bot export --kind action|meeting|all`: action items with their history, and meeting answers.

Two workspaces' worth of records are made through the services with a fixed clock, then exported by
`bot.cli.main` (in-process) or the console script (for exit codes and the absence of tracebacks). Every
expected value below is worked out by hand from the timeline in `world`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from bot import cli
from bot.deps import Deps
from bot.export import ACTION_COLUMNS, LEAD_COLUMNS, MEETING_COLUMNS, write_csv
from bot.meetings.schedule import Repeat
from bot.services import actions as action_service
from bot.services import entries as entry_service
from bot.services import groups as group_service
from bot.services import meetings as meeting_service
from storage.db import make_session_factory
from storage.models import ActionSource, ActionStatus, Area, EntryKind, PromptTarget
from storage.repositories import leads as leads_repo
from storage.repositories import meetings as meetings_repo
from storage.repositories.exports import iter_actions, iter_meeting_answers
from tests.conftest import make_settings
from tests.engine_harness import SimClock
from tests.slack_requests import CHANNEL, TEAM, USER
from tests.test_cli import SETTINGS, error_lines, mindset_bot, no_traceback, plain_pg_url

OTHER_TEAM = "T222"
OWNER = "W222"  # owns item A until it is reassigned
HELPER = "W333"  # involved in item A, then its owner
ALSO = ("W444", "W555")  # involved in item A throughout
STRANGER = "W999"  # the other workspace's person

ENTRY_HEADER = [
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
]
ACTION_HEADER = [
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
]
MEETING_HEADER = [
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
]


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@dataclass
class World:
    url: str
    clinics: int
    labs: int
    sorry: int  # T111's sorry, 1 March
    other_proud: int  # T222's proud, 2 March
    item_a: int  # from the sorry; on track, noted, rescheduled, reassigned, done
    item_b: int  # dropped
    item_c: int  # from a meeting answer
    item_d: int  # T222's
    meeting: int
    planning: dict[str, int]  # subject -> answer id, Tuesday planning of 3 March
    ad_hoc: int  # T111's /meeting now answer for research labs
    other_answer: int  # T222's /meeting now answer for the team


@pytest.fixture
def world(engine: Engine) -> World:
    clock = SimClock(at(1, 9))
    deps = Deps(
        settings=make_settings(database_url=str(engine.url)),
        session_factory=make_session_factory(engine),
        clock=clock,
    )
    clinics = group_service.add_group(deps, team_id=TEAM, name="Small clinics", by=USER).id
    labs = group_service.add_group(deps, team_id=TEAM, name="Research labs", by=USER).id
    group_service.add_group(deps, team_id=OTHER_TEAM, name="Hospitals", by=STRANGER)

    def log(team: str, kind: EntryKind, text: str, key: str) -> int:
        new = entry_service.NewEntry(
            team_id=team, kind=kind, author_id=USER, channel_id=CHANNEL, text=text, idempotency_key=key
        )
        return entry_service.log_entry(deps, new).card.id

    def create(team: str, title: str, owner: str, due: date, key: str, **extra: Any) -> int:
        new = action_service.NewAction(
            team_id=team,
            title=title,
            owner_id=owner,
            created_by=USER if team == TEAM else STRANGER,
            due_date=due,
            today=clock.now.date(),
            idempotency_key=key,
            **extra,
        )
        card, created = action_service.create_action(deps, new)
        assert created
        return card.id

    sorry = log(TEAM, EntryKind.SORRY, "Refunds took two days", "e1")
    form = meeting_service.MeetingForm(
        title="Tuesday planning",
        channel_id=CHANNEL,
        owner_id=USER,
        repeat=Repeat.WEEKLY,
        start=date(2026, 3, 3),
        weekdays=frozenset({2}),
        at=time(10, 0),
        tz="Europe/Paris",
        lead_minutes=10,
        prompt_to=PromptTarget.CHANNEL,
    )
    meeting = meeting_service.register(deps, team_id=TEAM, user_id=USER, form=form, key="m1").id

    clock.now = at(1, 10)
    item_a = create(
        TEAM,
        "Refund within a day",
        OWNER,
        date(2026, 4, 15),
        "a1",
        desired_outcome="Customers get their money back by the next morning",
        involved=[HELPER, *ALSO],
        group_ids=[clinics, labs],
        area=Area.OPERATIONS,
        source=ActionSource.SORRY,
        source_entry_id=sorry,
    )
    clock.now = at(1, 23, 59, 59)
    item_b = create(TEAM, "Call the supplier", USER, date(2026, 3, 20), "a2")
    clock.now = at(2, 0)
    item_d = create(OTHER_TEAM, "Visit a hospital", STRANGER, date(2026, 3, 31), "a3")
    other_proud = log(OTHER_TEAM, EntryKind.PROUD, "A hospital thanked us", "e2")

    clock.now = at(2, 8)
    action_service.set_status(deps, team_id=TEAM, action_id=item_a, user_id=OWNER, status=ActionStatus.ON_TRACK)

    clock.now = at(3, 8, 50)
    with deps.session_factory() as session:
        found = meetings_repo.get_meeting(session, team_id=TEAM, meeting_id=meeting)
        assert found is not None
        occurrence = meeting_service.occurrence_on(found, date(2026, 3, 3))
        prompt = meeting_service.prompt_for_occurrence(session, meeting=found, occurrence=occurrence, now=clock.now)
        session.commit()
    clock.now = at(3, 9, 5)
    texts = {f"group:{clinics}": "Faster refunds", "outside": "Nothing for them yet", "team": "A shorter meeting"}
    card = meeting_service.save_answers(deps, team_id=TEAM, prompt_id=prompt.id, user_id=USER, texts=texts)
    planning = {answer.subject: answer.id for answer in card.answers}
    assert list(planning) == list(texts)

    clock.now = at(3, 9, 30)
    item_c = create(
        TEAM,
        "Publish refund times",
        USER,
        date(2027, 1, 15),
        "a4",
        group_ids=[clinics],
        source=ActionSource.MEETING,
        source_answer_id=planning[f"group:{clinics}"],
    )
    clock.now = at(3, 9, 40)
    action_service.add_note(deps, team_id=TEAM, action_id=item_a, user_id=HELPER, note="Talked to finance")
    clock.now = at(3, 12)
    action_service.set_status(
        deps,
        team_id=TEAM,
        action_id=item_b,
        user_id=USER,
        status=ActionStatus.DROPPED,
        reason="The supplier fixed it first",
    )

    clock.now = at(3, 23, 59, 59)
    other_prompt = meeting_service.start_prompt_now(
        deps, team_id=OTHER_TEAM, user_id=STRANGER, channel_id="C222", title="Hospital review", key="now:1"
    )
    card = meeting_service.save_answers(
        deps, team_id=OTHER_TEAM, prompt_id=other_prompt.id, user_id=STRANGER, texts={"team": "Fewer handovers"}
    )
    [other_answer] = [answer.id for answer in card.answers]

    clock.now = at(4, 10)
    action_service.reschedule(
        deps,
        team_id=TEAM,
        action_id=item_a,
        user_id=OWNER,
        due=date(2026, 10, 15),
        today=date(2026, 3, 4),
        note="Finance needs a quarter",
    )
    clock.now = at(4, 14)
    ad_hoc_prompt = meeting_service.start_prompt_now(
        deps, team_id=TEAM, user_id=OWNER, channel_id=CHANNEL, title="  Ad   hoc ", key="now:2"
    )
    clock.now = at(4, 15)
    card = meeting_service.save_answers(
        deps, team_id=TEAM, prompt_id=ad_hoc_prompt.id, user_id=OWNER, texts={f"group:{labs}": "Samples on time"}
    )
    [ad_hoc] = [answer.id for answer in card.answers]

    clock.now = at(5, 11)
    action_service.reassign(deps, team_id=TEAM, action_id=item_a, user_id=USER, new_owner=HELPER)
    clock.now = at(6, 12)
    action_service.set_status(deps, team_id=TEAM, action_id=item_a, user_id=HELPER, status=ActionStatus.DONE)

    return World(
        url=engine.url.render_as_string(hide_password=False),
        clinics=clinics,
        labs=labs,
        sorry=sorry,
        other_proud=other_proud,
        item_a=item_a,
        item_b=item_b,
        item_c=item_c,
        item_d=item_d,
        meeting=meeting,
        planning=planning,
        ad_hoc=ad_hoc,
        other_answer=other_answer,
    )


@pytest.fixture
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """In-process: no settings from the caller, a clean working directory, and logging left to pytest."""
    for key in list(os.environ):
        if key.upper().startswith("SLACK_") or key.upper() in SETTINGS:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)
    return tmp_path


@pytest.fixture
def export(world: World, in_tmp_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    monkeypatch.setenv("DATABASE_URL", world.url)

    def run(*args: str) -> str:
        code = cli.main(["export", *args])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return captured.out

    return run


def csv_records(out: str, header: list[str]) -> list[dict[str, str]]:
    found, *rows = list(csv.reader(io.StringIO(out, newline="")))
    assert found == header
    return [dict(zip(header, row, strict=True)) for row in rows]


A_HISTORY = [
    {"at": "2026-03-01T10:00:00Z", "by": USER, "kind": "created", "old": None, "new": "2026-04-15", "note": None},
    {"at": "2026-03-02T08:00:00Z", "by": OWNER, "kind": "status", "old": "open", "new": "on_track", "note": None},
    {"at": "2026-03-03T09:40:00Z", "by": HELPER, "kind": "note", "old": None, "new": None, "note": "Talked to finance"},
    {
        "at": "2026-03-04T10:00:00Z",
        "by": OWNER,
        "kind": "rescheduled",
        "old": "2026-04-15",
        "new": "2026-10-15",
        "note": "Finance needs a quarter",
    },
    {"at": "2026-03-05T11:00:00Z", "by": USER, "kind": "reassigned", "old": OWNER, "new": HELPER, "note": None},
    {"at": "2026-03-06T12:00:00Z", "by": HELPER, "kind": "status", "old": "on_track", "new": "done", "note": None},
]


# -- action items --------------------------------------------------------------------------------


def test_action_csv_has_the_documented_columns_and_each_items_values(world: World, export: Any) -> None:
    records = csv_records(export("--kind", "action"), ACTION_HEADER)

    assert list(ACTION_COLUMNS) == ACTION_HEADER
    # oldest first, both workspaces
    assert [int(r["id"]) for r in records] == [world.item_a, world.item_b, world.item_d, world.item_c]
    a, b, d, c = records
    history = json.loads(a.pop("history"))
    assert a == {
        "id": str(world.item_a),
        "created_at": "2026-03-01T10:00:00Z",
        "team": TEAM,
        "title": "Refund within a day",
        "desired_outcome": "Customers get their money back by the next morning",
        "owner": HELPER,  # reassigned
        "involved": "W444; W555",  # the new owner is no longer listed as involved
        "created_by": USER,
        "due_date": "2026-10-15",
        "original_due_date": "2026-04-15",  # the first promise stays
        "horizon": "long",  # 15 October is more than 6 months after 1 March
        "status": "done",
        "closed_at": "2026-03-06T12:00:00Z",
        "drop_reason": "",
        "customer_groups": "Research labs; Small clinics",
        "area": "operations",
        "stage": "",
        "source": "sorry",
        "source_entry": str(world.sorry),
        "source_answer": "",
        "future": "",  # serves no common future
    }
    assert history == A_HISTORY

    assert (b["status"], b["closed_at"], b["drop_reason"]) == (
        "dropped",
        "2026-03-03T12:00:00Z",
        "The supplier fixed it first",
    )
    assert (b["due_date"], b["original_due_date"], b["horizon"]) == ("2026-03-20", "2026-03-20", "short")
    assert (b["owner"], b["involved"], b["customer_groups"], b["area"], b["desired_outcome"]) == (USER, "", "", "", "")
    assert (b["source"], b["source_entry"], b["source_answer"]) == ("manual", "", "")
    assert json.loads(b["history"]) == [
        {"at": "2026-03-01T23:59:59Z", "by": USER, "kind": "created", "old": None, "new": "2026-03-20", "note": None},
        {
            "at": "2026-03-03T12:00:00Z",
            "by": USER,
            "kind": "status",
            "old": "open",
            "new": "dropped",
            "note": "The supplier fixed it first",
        },
    ]

    assert (c["source"], c["source_entry"], c["source_answer"]) == (
        "meeting",
        "",
        str(world.planning[f"group:{world.clinics}"]),
    )
    assert (c["horizon"], c["status"], c["closed_at"], c["customer_groups"]) == ("long", "open", "", "Small clinics")
    assert (d["team"], d["owner"], d["created_at"]) == (OTHER_TEAM, STRANGER, "2026-03-02T00:00:00Z")


def test_action_json_has_the_same_fields_with_lists_and_history_as_json(world: World, export: Any) -> None:
    records = json.loads(export("--kind", "action", "--format", "json"))

    assert [list(record) for record in records] == [ACTION_HEADER] * 4
    a = records[0]
    assert a["id"] == world.item_a
    assert a["involved"] == ["W444", "W555"]
    assert a["customer_groups"] == ["Research labs", "Small clinics"]
    assert a["history"] == A_HISTORY  # a JSON array, not a string
    assert (a["source_entry"], a["source_answer"], a["drop_reason"]) == (world.sorry, None, None)
    c = records[3]
    assert (c["id"], c["involved"], c["source_answer"]) == (world.item_c, [], world.planning[f"group:{world.clinics}"])


# -- meeting answers -----------------------------------------------------------------------------


def test_meeting_csv_names_groups_and_the_outside_and_team_subjects(world: World, export: Any) -> None:
    records = csv_records(export("--kind", "meeting"), MEETING_HEADER)

    assert list(MEETING_COLUMNS) == MEETING_HEADER
    planning = {
        "team": TEAM,
        "meeting": str(world.meeting),
        "meeting_title": "Tuesday planning",
        "occurrence_date": "2026-03-03",
        "answered_at": "2026-03-03T09:05:00Z",
        "answered_by": USER,
    }
    assert records == [
        {
            **planning,
            "id": str(world.planning[f"group:{world.clinics}"]),
            "subject": f"group:{world.clinics}",
            "customer_group": "Small clinics",
            "text": "Faster refunds",
        },
        {
            **planning,
            "id": str(world.planning["outside"]),
            "subject": "outside",
            "customer_group": "",
            "text": "Nothing for them yet",
        },
        {
            **planning,
            "id": str(world.planning["team"]),
            "subject": "team",
            "customer_group": "",
            "text": "A shorter meeting",
        },
        {
            "id": str(world.other_answer),
            "answered_at": "2026-03-03T23:59:59Z",
            "team": OTHER_TEAM,
            "meeting": "",
            "meeting_title": "Hospital review",
            "occurrence_date": "",
            "subject": "team",
            "customer_group": "",
            "text": "Fewer handovers",
            "answered_by": STRANGER,
        },
        {
            "id": str(world.ad_hoc),
            "answered_at": "2026-03-04T15:00:00Z",
            "team": TEAM,
            "meeting": "",  # /meeting now
            "meeting_title": "Ad hoc",
            "occurrence_date": "",
            "subject": f"group:{world.labs}",
            "customer_group": "Research labs",
            "text": "Samples on time",
            "answered_by": OWNER,
        },
    ]


def test_meeting_json_uses_null_for_what_is_not_there(world: World, export: Any) -> None:
    records = json.loads(export("--kind", "meeting", "--format", "json"))

    assert [list(record) for record in records] == [MEETING_HEADER] * 5
    first, outside = records[0], records[1]
    assert (first["id"], first["meeting"], first["customer_group"]) == (
        world.planning[f"group:{world.clinics}"],
        world.meeting,
        "Small clinics",
    )
    assert (outside["subject"], outside["customer_group"]) == ("outside", None)
    ad_hoc = records[4]
    assert (ad_hoc["meeting"], ad_hoc["occurrence_date"], ad_hoc["meeting_title"]) == (None, None, "Ad hoc")


# -- --since, --kind all, --team -----------------------------------------------------------------


def ids(out: str) -> list[int]:
    return [int(row[0]) for row in list(csv.reader(io.StringIO(out, newline="")))[1:]]


def test_since_filters_each_kind_by_its_own_time(world: World, export: Any) -> None:
    # action items by creation: 1 March 23:59:59 is out, 2 March 00:00 is in
    assert ids(export("--kind", "action", "--since", "2026-03-02")) == [world.item_d, world.item_c]
    assert ids(export("--kind", "action", "--since", "2026-03-04")) == []
    # answers by when they were given: 3 March 23:59:59 is out
    assert ids(export("--kind", "meeting", "--since", "2026-03-04")) == [world.ad_hoc]
    assert ids(export("--kind", "meeting", "--since", "2026-03-03")) == [
        *world.planning.values(),
        world.other_answer,
        world.ad_hoc,
    ]
    # entries by creation
    assert ids(export("--kind", "entries", "--since", "2026-03-02")) == [world.other_proud]

    combined = json.loads(export("--kind", "all", "--format", "json", "--since", "2026-03-02"))
    assert [r["id"] for r in combined["entries"]] == [world.other_proud]
    assert [r["id"] for r in combined["actions"]] == [world.item_d, world.item_c]
    assert [r["id"] for r in combined["meeting_answers"]] == [
        *world.planning.values(),
        world.other_answer,
        world.ad_hoc,
    ]


def test_kind_all_json_is_one_object_with_the_three_lists(world: World, export: Any) -> None:
    out = export("--kind", "all", "--format", "json")

    combined = json.loads(out)
    assert list(combined) == ["entries", "actions", "meeting_answers", "lead_reviews", "futures"]
    assert combined["entries"] == json.loads(export("--kind", "entries", "--format", "json"))
    assert combined["actions"] == json.loads(export("--kind", "action", "--format", "json"))
    assert combined["meeting_answers"] == json.loads(export("--kind", "meeting", "--format", "json"))
    assert [r["id"] for r in combined["entries"]] == [world.sorry, world.other_proud]
    assert [list(r) for r in combined["entries"]] == [ENTRY_HEADER] * 2
    assert combined["actions"][0]["history"] == A_HISTORY

    empty = json.loads(export("--kind", "all", "--format", "json", "--since", "2026-04-01"))
    assert empty == {"entries": [], "actions": [], "meeting_answers": [], "lead_reviews": [], "futures": []}


def test_entries_is_the_default_kind(world: World, export: Any) -> None:
    default = export()
    assert default == export("--kind", "entries")
    assert [r["id"] for r in csv_records(default, ENTRY_HEADER)] == [str(world.sorry), str(world.other_proud)]


def test_the_export_covers_every_workspace_unless_team_is_given(world: World, export: Any) -> None:
    assert {r["team"] for r in csv_records(export("--kind", "action"), ACTION_HEADER)} == {TEAM, OTHER_TEAM}
    assert {r["team"] for r in csv_records(export("--kind", "meeting"), MEETING_HEADER)} == {TEAM, OTHER_TEAM}
    assert {r["team"] for r in csv_records(export(), ENTRY_HEADER)} == {TEAM, OTHER_TEAM}

    assert ids(export("--kind", "action", "--team", TEAM)) == [world.item_a, world.item_b, world.item_c]
    assert ids(export("--kind", "action", "--team", OTHER_TEAM)) == [world.item_d]
    assert ids(export("--kind", "meeting", "--team", OTHER_TEAM)) == [world.other_answer]
    assert ids(export("--kind", "meeting", "--team", TEAM)) == [*world.planning.values(), world.ad_hoc]
    assert ids(export("--team", OTHER_TEAM)) == [world.other_proud]
    combined = json.loads(export("--kind", "all", "--format", "json", "--team", OTHER_TEAM))
    assert [[r["id"] for r in combined[name]] for name in combined] == [
        [world.other_proud],
        [world.item_d],
        [world.other_answer],
        [],
        [],
    ]
    # a workspace the database does not know is said, not exported as nothing (issue 17)
    assert cli.main(["export", "--kind", "action", "--team", "T-NOBODY"]) == cli.EXIT_UNKNOWN_WORKSPACE


# -- all as CSV is refused ------------------------------------------------------------------------


def test_all_as_csv_is_refused_in_one_line_before_opening_anything(
    in_tmp_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["export", "--kind", "all"])  # CSV is the default format

    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "mindset-bot: CSV holds one kind of record: use --kind entries, action, meeting, lead or future, "
        "or --format json"
    ]
    assert list(in_tmp_dir.iterdir()) == []  # no database file was made or looked for


def test_all_as_csv_from_the_console_script_exits_2_without_a_traceback(world: World, tmp_path: Path) -> None:
    url = plain_pg_url(world.url)
    result = mindset_bot("export", "--kind", "all", "--format", "csv", cwd=tmp_path, DATABASE_URL=url)

    assert result.returncode == 2, result.stderr
    no_traceback(result)
    assert error_lines(result) == [
        "mindset-bot: CSV holds one kind of record: use --kind entries, action, meeting, lead or future, "
        "or --format json"
    ]
    assert result.stdout == ""

    fine = mindset_bot("export", "--kind", "all", "--format", "json", cwd=tmp_path, DATABASE_URL=url)
    assert fine.returncode == 0, fine.stderr
    no_traceback(fine)
    assert [len(json.loads(fine.stdout)[name]) for name in ("entries", "actions", "meeting_answers")] == [2, 4, 5]


# -- queries per batch, not per item -------------------------------------------------------------


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_action_items_load_people_groups_and_history_per_batch(
    world: World, engine: Engine, statements: list[str]
) -> None:
    with make_session_factory(engine)() as session:
        statements.clear()
        one_batch = [(found.item.id, found.item.involved_ids, len(found.events)) for found in iter_actions(session)]
        assert len(one_batch) == 4
        assert len(statements) <= 4  # items, then people, groups and history for the whole batch

    with make_session_factory(engine)() as session:
        statements.clear()
        batches_of_two = [
            (found.item.id, found.item.involved_ids, len(found.events)) for found in iter_actions(session, batch_size=2)
        ]
        assert batches_of_two == one_batch
        assert len(statements) <= 1 + 3 * 2

    assert dict((item, events) for item, _people, events in one_batch) == {
        world.item_a: 6,
        world.item_b: 2,
        world.item_c: 1,
        world.item_d: 1,
    }


def test_meeting_answers_come_in_one_query(world: World, engine: Engine, statements: list[str]) -> None:
    with make_session_factory(engine)() as session:
        statements.clear()
        answers = list(iter_meeting_answers(session, batch_size=2))
    assert len(answers) == 5
    assert len(statements) == 1


# -- formula injection ---------------------------------------------------------------------------

# what people can type and the bot stores (it strips leading white space, so tab and CR are tested below)
HOSTILE = ['=HYPERLINK("https://evil","x")', "+1+1", "-2+3", "@SUM(A1)"]


def test_every_formula_start_owasp_lists_is_quoted_in_any_csv_column() -> None:
    out = io.StringIO(newline="")
    starts = ["=1", "+1", "-1", "@a", "\tb", "\rc", "plain", "a=b"]
    records = [{"id": 7, "text": text, "list": [text, "x"], "history": text} for text in starts]

    assert write_csv(out, iter(records), ["id", "text", "list", "history"]) == len(starts)

    _, *rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    quoted = ["'=1", "'+1", "'-1", "'@a", "'\tb", "'\rc", "plain", "a=b"]
    assert [row[1] for row in rows] == quoted
    assert [row[2] for row in rows] == [text + "; x" for text in quoted]
    assert {row[0] for row in rows} == {"7"}


def test_csv_cells_a_spreadsheet_would_run_as_formulas_start_with_a_quote_and_json_is_unchanged(
    engine: Engine, in_tmp_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deps = Deps(settings=make_settings(database_url=str(engine.url)), session_factory=make_session_factory(engine))
    for number, text in enumerate([*HOSTILE, "A plain = sign inside"]):
        new = entry_service.NewEntry(
            team_id="T333",
            kind=EntryKind.PROUD,
            author_id=USER,
            channel_id=CHANNEL,
            text=text,
            idempotency_key=f"h{number}",
        )
        entry_service.log_entry(deps, new)
    action_service.create_action(
        deps,
        action_service.NewAction(
            team_id="T333",
            title="=cmd|' /C calc'!A0",
            desired_outcome="@evil",
            owner_id=USER,
            created_by=USER,
            due_date=date(2026, 4, 1),
            today=date(2026, 3, 1),
            idempotency_key="h-a",
        ),
    )
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))

    def run(*args: str) -> str:
        assert cli.main(["export", "--team", "T333", *args]) == 0
        return capsys.readouterr().out

    texts = [r["text"] for r in csv_records(run(), ENTRY_HEADER)]
    assert texts == [*("'" + text for text in HOSTILE), "A plain = sign inside"]
    [action] = csv_records(run("--kind", "action"), ACTION_HEADER)
    assert (action["title"], action["desired_outcome"]) == ("'=cmd|' /C calc'!A0", "'@evil")
    assert [r["text"] for r in json.loads(run("--format", "json"))] == [*HOSTILE, "A plain = sign inside"]


# -- quarterly reviews with one's lead (--kind lead) ---------------------------------------------------


def test_kind_lead_writes_the_reviews_with_both_notes(world: World, export: Any, engine: Engine) -> None:
    session_factory = make_session_factory(engine)
    with session_factory() as session:
        for team, report, note in ((TEAM, "U0REPORT", "=1+1 good quarter"), (OTHER_TEAM, "U0ELSE", None)):
            review = leads_repo.review_for(
                session, team_id=team, lead_id="U0LEAD", report_id=report, year=2026, quarter=1, now=at(2, 9)
            )
            review.lead_note, review.reviewed_at, review.reviewed_by = note, at(3, 10) if note else None, "U0LEAD"
        session.commit()
    records = csv_records(export("--kind", "lead"), list(LEAD_COLUMNS))
    assert [(r["team"], r["lead"], r["report"], r["quarter"]) for r in records] == [
        (TEAM, "U0LEAD", "U0REPORT", "2026-Q1"),
        (OTHER_TEAM, "U0LEAD", "U0ELSE", "2026-Q1"),
    ]
    assert records[0]["lead_note"] == "'=1+1 good quarter"  # no formula reaches a spreadsheet
    assert records[0]["reviewed_at"] == "2026-03-03T10:00:00Z"
    assert json.loads(export("--kind", "lead", "--format", "json", "--team", OTHER_TEAM))[0]["report"] == "U0ELSE"
    assert json.loads(export("--kind", "all", "--format", "json"))["lead_reviews"] == json.loads(
        export("--kind", "lead", "--format", "json")
    )
    assert ids(export("--kind", "lead", "--since", "2026-03-03")) == []
