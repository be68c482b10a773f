"""Two processes meeting a new row at once (several started together with one token, two engines
refreshing one person, a command delivered twice, two people adding the same group, question or answer)
both add it: one insert wins, the other reads the winner's row and answers truthfully, neither fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.engine.directory import refresh_person
from bot.services import entries as entry_service
from bot.services import groups as group_service
from bot.services import meetings as meeting_service
from bot.services import questions as question_service
from handlers.time_zones import time_zone_of
from storage.db import make_session_factory
from storage.models import (
    CustomerGroup,
    Entry,
    EntryKind,
    MeetingAnswer,
    MeetingPrompt,
    MeetingQuestion,
    Person,
    Workspace,
)
from storage.repositories import entries as entries_repo
from storage.repositories import groups as groups_repo
from storage.repositories import meetings as meetings_repo
from storage.repositories import people as people_repo
from storage.repositories import workspaces as workspaces_repo
from tests.fake_slack import FakeSlack
from tests.races import ArrivesAt


def test_a_workspace_added_by_two_sessions_at_once_is_one_row_and_no_error(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    first = sessions()
    workspaces_repo.get_or_add_workspace(first, team_id="T111")  # inserted, not committed yet
    found: list[str] = []
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with sessions() as session:
                # finds nothing (the first insert is not committed), inserts, and waits on it
                workspace = workspaces_repo.get_or_add_workspace(session, team_id="T111")
                workspace.default_tz = "Europe/Berlin"
                session.commit()
                found.append(workspace.team_id)
        except BaseException as error:  # the assertion below shows it
            failed.append(error)

    with ArrivesAt(Workspace) as second_writes:
        racer = second_writes.run(second)
        second_writes.wait()  # the second session found nothing and comes to its insert
        first.commit()
    first.close()
    racer.join(timeout=20)

    assert not racer.is_alive()
    assert failed == []
    assert found == ["T111"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Workspace)) == 1
        row = session.get(Workspace, "T111")
        assert row is not None and row.default_tz == "Europe/Berlin"  # the loser's change landed on the winner's row


def test_a_person_added_by_two_sessions_at_once_is_one_row_and_no_error(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    first = sessions()
    people_repo.get_or_add_person(first, team_id="T111", user_id="UANNA")  # inserted, not committed yet
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with sessions() as session:
                person = people_repo.get_or_add_person(session, team_id="T111", user_id="UANNA")
                person.tz = "Europe/Berlin"
                session.commit()
        except BaseException as error:  # the assertion below shows it
            failed.append(error)

    with ArrivesAt(Person) as second_writes:
        racer = second_writes.run(second)
        second_writes.wait()  # the second session found nothing and comes to its insert
        first.commit()
    first.close()
    racer.join(timeout=20)

    assert not racer.is_alive()
    assert failed == []
    with sessions() as session:
        rows = session.scalars(select(Person)).all()
        assert [(row.user_id, row.tz) for row in rows] == [("UANNA", "Europe/Berlin")]


def test_one_command_delivered_to_two_processes_at_once_stores_one_entry_and_both_answer_saved(
    deps: Deps,
) -> None:
    """Slack retried a `/proud` (no answer within 3 s) and the retry reached another process while the
    first insert was still open: one entry, and both answers truthfully say it is saved."""
    new = entry_service.NewEntry(
        team_id="T111",
        kind=EntryKind.PROUD,
        author_id="UANNA",
        channel_id="C1",
        text="Called the clinic back the same day",
        idempotency_key="command:trigger-1",
    )
    first = deps.session_factory()
    entries_repo.insert_entry_once(  # the first process: inserted, not committed yet
        first,
        entries_repo.NewEntryRow(
            team_id=new.team_id,
            kind=new.kind.value,
            author_id=new.author_id,
            channel_id=new.channel_id,
            text=new.text,
            created_at=deps.clock(),
            idempotency_key=new.idempotency_key,
        ),
    )
    logged: list[entry_service.Logged] = []
    failed: list[BaseException] = []

    def retry() -> None:
        try:
            logged.append(entry_service.log_entry(deps, new))  # waits on the first insert's key
        except BaseException as error:  # the assertion below shows it
            failed.append(error)

    with ArrivesAt(Entry) as retry_writes:
        racer = retry_writes.run(retry)
        retry_writes.wait()  # the retry comes to its insert
        first.commit()
    first.close()
    racer.join(timeout=20)

    assert not racer.is_alive()
    assert failed == []
    [answer] = logged
    assert answer.created is False and answer.card.text == new.text
    with deps.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 1
        assert session.scalar(select(Entry.id)) == answer.card.id


def _race(first: Session, second: Callable[[], None], contested: type[Any]) -> list[BaseException]:
    """Run `second` in another thread while `first` holds an insert not committed yet, then commit `first`
    once `second` comes to write its `contested` row: what `second` raised."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            second()
        except BaseException as error:  # the caller's assertion shows it
            failed.append(error)

    with ArrivesAt(contested) as second_writes:
        racer = second_writes.run(run)
        second_writes.wait()  # the second session did its reads and comes to its write
        first.commit()
    first.close()
    racer.join(timeout=20)
    assert not racer.is_alive()
    return failed


def test_a_customer_group_added_by_two_people_at_once_is_one_row_and_the_second_is_told_it_exists(
    deps: Deps,
) -> None:
    first = deps.session_factory()
    groups_repo.add_group(first, team_id="T111", name="Small clinics", created_by="UANNA", now=deps.clock())
    problems: list[str] = []

    def second() -> None:
        try:
            group_service.add_group(deps, team_id="T111", name="small  CLINICS", by="UBEN")
        except group_service.GroupProblem as problem:
            problems.append(str(problem))

    assert _race(first, second, CustomerGroup) == []
    assert problems == ["There is already a group called “Small clinics”."]
    with deps.session_factory() as session:
        assert [group.name for group in session.scalars(select(CustomerGroup))] == ["Small clinics"]


def test_a_group_renamed_to_a_name_taken_at_that_moment_is_told_it_exists_and_keeps_its_name(deps: Deps) -> None:
    older = group_service.add_group(deps, team_id="T111", name="Clinics", by="UANNA")
    first = deps.session_factory()
    groups_repo.add_group(first, team_id="T111", name="Small clinics", created_by="UANNA", now=deps.clock())
    problems: list[str] = []

    def second() -> None:
        try:
            group_service.rename_group(deps, team_id="T111", by="UADMIN", group_id=older.id, name="small  CLINICS")
        except group_service.GroupProblem as problem:
            problems.append(str(problem))

    assert _race(first, second, CustomerGroup) == []
    assert problems == ["There is already a group called “Small clinics”."]
    with deps.session_factory() as session:
        assert sorted(group.name for group in session.scalars(select(CustomerGroup))) == ["Clinics", "Small clinics"]


def test_a_question_added_by_two_people_at_once_is_one_row_and_the_second_is_told_it_exists(deps: Deps) -> None:
    question_service.list_questions(deps, team_id="T111")  # the library has its defaults
    first = deps.session_factory()
    meetings_repo.add_question(
        first, team_id="T111", text="Who is the customer here?", created_by="UANNA", now=deps.clock()
    )
    problems: list[str] = []

    def second() -> None:
        try:
            question_service.add_question(deps, team_id="T111", user_id="UBEN", text="who is the  customer here?")
        except question_service.QuestionProblem as problem:
            problems.append(str(problem))

    assert _race(first, second, MeetingQuestion) == []
    assert problems == ["That question is already in the library."]
    with deps.session_factory() as session:
        mine = session.scalars(select(MeetingQuestion.text).where(MeetingQuestion.created_by.is_not(None))).all()
        assert mine == ["Who is the customer here?"]


def test_one_meeting_answer_given_by_two_people_at_once_is_one_row_the_later_text_and_no_error(deps: Deps) -> None:
    """Two people answer the same field of one prompt for the first time at the same moment: one after
    the other, the second would replace the first's text; at once, it does the same."""
    with deps.session_factory() as session:
        prompt = meetings_repo.add_prompt(
            session,
            MeetingPrompt(team_id="T111", title="Stand-up", created_at=deps.clock(), idempotency_key="command:t1"),
        )
        session.commit()
        prompt_id = prompt.id
    first = deps.session_factory()
    first_prompt = meetings_repo.get_prompt(first, team_id="T111", prompt_id=prompt_id)
    assert first_prompt is not None
    meetings_repo.save_answers(
        first, prompt=first_prompt, texts={"team": "We called back"}, group_ids={}, by="UANNA", now=deps.clock()
    )
    cards: list[meeting_service.PromptCard] = []

    def second() -> None:
        cards.append(
            meeting_service.save_answers(
                deps, team_id="T111", prompt_id=prompt_id, user_id="UBEN", texts={"team": "We wrote it down"}, shown={}
            )
        )

    assert _race(first, second, MeetingAnswer) == []
    [card] = cards
    assert [(answer.subject, answer.text, answer.answered_by) for answer in card.answers] == [
        ("team", "We wrote it down", "UBEN")
    ]
    with deps.session_factory() as session:
        rows = session.scalars(select(MeetingAnswer)).all()
        assert [(row.subject, row.text) for row in rows] == [("team", "We wrote it down")]


def test_a_meeting_answer_cleared_by_one_person_while_another_edits_it_keeps_the_edit_and_no_error(
    deps: Deps,
) -> None:
    """One person empties a field (its answer is deleted) while another rewrites it: one after the other
    the rewrite would be a new answer; at once it is the same, not an error about a row that vanished."""
    with deps.session_factory() as session:
        prompt = meetings_repo.add_prompt(
            session,
            MeetingPrompt(team_id="T111", title="Stand-up", created_at=deps.clock(), idempotency_key="command:t2"),
        )
        meetings_repo.save_answers(
            session, prompt=prompt, texts={"team": "We called back"}, group_ids={}, by="UANNA", now=deps.clock()
        )
        session.commit()
        prompt_id = prompt.id
    first = deps.session_factory()
    first_prompt = meetings_repo.get_prompt(first, team_id="T111", prompt_id=prompt_id)
    assert first_prompt is not None
    meetings_repo.save_answers(
        first, prompt=first_prompt, texts={"team": ""}, group_ids={}, by="UANNA", now=deps.clock()
    )
    cards: list[meeting_service.PromptCard] = []

    def second() -> None:
        cards.append(
            meeting_service.save_answers(
                deps,
                team_id="T111",
                prompt_id=prompt_id,
                user_id="UBEN",
                texts={"team": "We called back and wrote it down"},
                shown={"team": meeting_service.answer_fingerprint("We called back")},
            )
        )

    assert _race(first, second, MeetingAnswer) == []
    [card] = cards
    assert [(answer.subject, answer.text, answer.answered_by) for answer in card.answers] == [
        ("team", "We called back and wrote it down", "UBEN")
    ]
    with deps.session_factory() as session:
        rows = session.scalars(select(MeetingAnswer)).all()
        assert [(row.subject, row.text) for row in rows] == [("team", "We called back and wrote it down")]


def test_a_time_zone_read_for_a_form_while_an_engine_reads_it_is_the_persons_not_utc(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    """`/meeting` opens its form for someone the bot has no row for while an engine is adding theirs: the
    form still defaults to their time zone, and one row is kept."""
    fake_slack.users["UANNA"] = {"id": "UANNA", "tz": "Europe/Berlin"}
    client = WebClient(base_url=fake_slack.api_url, token="xoxb-t")
    first = deps.session_factory()
    refresh_person(first, client, "T111", "UANNA", deps.clock())  # the engine: added, not committed yet
    zones: list[str] = []

    read = lambda: zones.append(time_zone_of(deps, client, team_id="T111", user_id="UANNA"))  # noqa: E731
    assert _race(first, read, Person) == []
    assert zones == ["Europe/Berlin"]
    with deps.session_factory() as session:
        rows = session.scalars(select(Person)).all()
        assert [(row.user_id, row.tz) for row in rows] == [("UANNA", "Europe/Berlin")]
