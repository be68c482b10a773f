"""The quarterly pulse (issue 18, item 4) through signed requests and its services, on SQLite and PostgreSQL: the
schedule command, the form kept once per person and quarter, anonymity (no person in the answers), aggregates
hidden below five answers, the trend, the digest's part, forget-me and the export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, inspect, select, update

from bot import export, ids
from bot.deps import Deps
from bot.digest.compose import Reader, ReaderKind, compose
from bot.digest.period import Week
from bot.render.digest import digest_blocks, digest_text
from bot.render.privacy import forget_blocks
from bot.services import privacy, pulse
from storage.models import (
    Delivery,
    DeliveryStatus,
    Entry,
    MeetingAnswer,
    MeetingPrompt,
    PulseAnswer,
    PulseResponse,
    Workspace,
)
from storage.repositories import deliveries as deliveries_repo
from storage.repositories import pulse as pulse_repo
from storage.repositories.pulse import PRACTICES, Scores
from tests.conftest import RunningBot, serve
from tests.engine_harness import SimClock, utc
from tests.fake_slack import FakeSlack
from tests.slack_requests import TEAM, USER

OTHER = "U0OTHER"
MEMBER = "U0MEMBER"
OPEN = utc(2027, 1, 11, 10)  # Q1 2027's pulse of week 2 is open from 8 January until 21 January 10:00 UTC
AFTER = utc(2027, 1, 25, 10)


@pytest.fixture
def clock() -> SimClock:
    return SimClock(OPEN)


@pytest.fixture
def app(deps: Deps, engine: Engine, fake_slack: FakeSlack, clock: SimClock) -> Iterator[RunningBot]:
    fake_slack.add_user(USER, role="admin")
    fake_slack.add_user(OTHER, role="member")
    fake_slack.add_user(MEMBER, role="member")
    timed = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=clock)
    yield from serve(timed, engine, fake_slack)


def mindset(app: RunningBot, text: str, *, user: str = USER) -> str:
    answer = app.slack.send_command("/mindset", text, user=user)
    assert answer.status == 200, answer.text
    return str(answer.json["text"])


def asked(app: RunningBot, *users: str, occasion: str = "2027-Q1") -> None:
    """What the engine does at each one's morning of the pulse's week: the delivery that asks them."""
    with app.deps.session_factory() as session:
        deliveries_repo.plan(
            session,
            planned=[
                deliveries_repo.Planned(TEAM, pulse_repo.PULSE_KIND, user, user, occasion, OPEN) for user in users
            ],
        )
        session.execute(update(Delivery).values(status=DeliveryStatus.SENT.value, sent_at=OPEN))
        session.commit()


def open_form(app: RunningBot, *, user: str = USER, count: int = 1) -> dict[str, Any]:
    body = app.slack.block_action(ids.PULSE_OPEN, "2027-Q1", user=user)
    answer = app.slack.send_interaction(body)
    assert answer.status == 200, answer.text
    view: dict[str, Any] = app.fake.wait_for("views.open", count)[-1].params["view"]
    assert view["callback_id"] == ids.PULSE_MODAL
    return view


def values(scores: dict[str, str], better: str | None = None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {
        ids.PULSE_SCORE_BLOCK + practice: {
            ids.PULSE_SCORE_INPUT: {
                "type": "static_select",
                "selected_option": {"value": scores[practice]} if practice in scores else None,
            }
        }
        for practice in PRACTICES
    }
    found[ids.PULSE_BETTER_BLOCK] = {ids.PULSE_BETTER_INPUT: {"type": "plain_text_input", "value": better}}
    return found


def submit(app: RunningBot, body: dict[str, Any]) -> dict[str, Any]:
    answer = app.slack.send_interaction(body)
    assert answer.status == 200, answer.text
    return answer.json if answer.text else {}


def stored(app: RunningBot) -> tuple[list[tuple[str, int, int]], list[PulseAnswer]]:
    with app.deps.session_factory() as session:
        responses = [(r.user_id, r.year, r.quarter) for r in session.scalars(select(PulseResponse))]
        answers = list(session.scalars(select(PulseAnswer)))
        return sorted(responses), answers


def add_answers(
    app: RunningBot, year: int, quarter: int, scores: list[tuple[int | None, ...]], *, first: int = 0
) -> None:
    """Answers of as many people (U0P<year><quarter><number>, from `first`), stored as the form stores them."""
    with app.deps.session_factory() as session:
        for number, answer in enumerate(scores, start=first):
            pulse_repo.add_answer(
                session,
                team_id=TEAM,
                user_id=f"U0P{year}{quarter}{number}",
                year=year,
                quarter=quarter,
                answer=Scores(answer, f"idea {number} of {year}"),
            )
        session.commit()


# -- the schedule ------------------------------------------------------------------------------------


def test_the_pulse_is_off_until_an_admin_sets_its_week(app: RunningBot) -> None:
    assert "The pulse is off in this workspace" in mindset(app, "pulse")
    assert "The pulse is off" in mindset(app, "pulse schedule")
    assert "Done. The pulse is asked in week 2 of each quarter" in mindset(app, "pulse schedule 2")
    with app.deps.session_factory() as session:
        workspace = session.get(Workspace, TEAM)
        assert workspace is not None and workspace.pulse_week == 2
    assert "week 4 of each quarter" in mindset(app, "pulse schedule 4")
    assert "week 2 of each quarter" in mindset(app, "pulse schedule on")
    for typed in ("pulse schedule 12", "pulse schedule 0", "pulse schedule soon", "pulse schedule <@U1>"):
        refused = mindset(app, typed)
        assert "is not a week of the quarter: use a number from 1 to 11" in refused, typed
        assert "<@U1>" not in refused
    assert "`/mindset pulse schedule" in mindset(app, "pulse now please")
    assert "You cannot change when the pulse is asked" in mindset(app, "pulse schedule off", user=MEMBER)
    assert pulse.get_week(app.deps, team_id=TEAM) == 2
    assert "The pulse is off: nobody is asked" in mindset(app, "pulse schedule off")
    assert pulse.get_week(app.deps, team_id=TEAM) is None
    settings = app.slack.send_command("/mindset", "settings", user=USER).json
    assert "• Quarterly pulse: off" in settings["text"]
    assert "pulse: week 2 of each quarter → off" in str(settings["blocks"])


# -- answering -----------------------------------------------------------------------------------------


def test_the_form_is_kept_once_per_person_and_quarter_without_the_person(app: RunningBot) -> None:
    pulse.set_week(app.deps, team_id=TEAM, by=USER, week=2)
    asked(app, USER)
    view = open_form(app)
    labels = [block["label"]["text"] for block in view["blocks"] if block["type"] == "input"]
    assert labels[0] == "Prouds and sorries" and labels[-1] == "What would make it work better?"
    assert len(labels) == 6

    body = app.slack.view_submission(
        view,
        values(
            {"prouds_sorries": "4", "digest": "2"},
            "  Ask <@U0OTHER|dana>, @lee.k and <!subteam^S123|@support> less; "
            "<!here> more examples (ana@example.com)  ",
        ),
        view_id="V1",
    )
    answer = submit(app, body)
    assert answer["response_action"] == "update" and "Thank you" in str(answer["view"])
    responses, answers = stored(app)
    assert responses == [(USER, 2027, 1)]
    [kept] = answers
    assert (kept.prouds_sorries, kept.root_causes, kept.digest) == (4, None, 2)
    assert kept.better == "Ask someone, someone and someone less; someone more examples (ana@example.com)"

    # the same request again (a replay), a second form, a second click: one answer all the same
    assert "answered this quarter's pulse already" in str(submit(app, body)["errors"])
    second = app.slack.view_submission(view, values({"commitments": "1"}), view_id="V2")
    assert "answered this quarter's pulse already" in str(submit(app, second)["errors"])
    app.slack.send_interaction(app.slack.block_action(ids.PULSE_OPEN, "2027-Q1", user=USER))
    told = app.fake.wait_for("response_url:action")[-1].params["text"]
    assert "answered this quarter's pulse already" in told and "cannot be changed" in told
    assert len(app.fake.calls_to("views.open")) == 1
    responses, answers = stored(app)
    assert responses == [(USER, 2027, 1)] and len(answers) == 1


def test_who_was_not_asked_an_empty_form_and_a_closed_pulse_are_refused_kindly(
    app: RunningBot, clock: SimClock
) -> None:
    pulse.set_week(app.deps, team_id=TEAM, by=USER, week=2)
    asked(app, USER)
    app.slack.send_interaction(app.slack.block_action(ids.PULSE_OPEN, "2027-Q1", user=OTHER))
    assert "was not sent to you" in app.fake.wait_for("response_url:action")[-1].params["text"]
    app.slack.send_interaction(app.slack.block_action(ids.PULSE_OPEN, "2027-Q9", user=USER))
    assert "could not find that pulse" in app.fake.wait_for("response_url:action", 2)[-1].params["text"]

    view = open_form(app)
    empty = submit(app, app.slack.view_submission(view, values({}, "   "), view_id="V1"))
    assert "Rate at least one practice" in str(empty["errors"])
    forged = submit(app, app.slack.view_submission(view, values({"digest": "9"}), view_id="V1"))
    assert "rated from 1 to 5" in str(forged["errors"]) or "Rate at least one" in str(forged["errors"])
    too_long = submit(app, app.slack.view_submission(view, values({}, "x" * 1001), view_id="V1"))
    assert "1,000 characters" in str(too_long["errors"])

    clock.now = AFTER
    closed = submit(app, app.slack.view_submission(view, values({"digest": "5"}), view_id="V1"))
    assert "This pulse has closed" in str(closed["errors"])
    assert stored(app) == ([], [])


def test_the_answers_table_holds_no_person_and_no_time(app: RunningBot, engine: Engine) -> None:
    columns = {column["name"] for column in inspect(engine).get_columns("pulse_answers")}
    assert columns == {"id", "team_id", "year", "quarter", "better", *PRACTICES}
    responded = {column["name"] for column in inspect(engine).get_columns("pulse_responses")}
    assert responded == {"team_id", "user_id", "year", "quarter"}  # who answered: no score, no time
    add_answers(app, 2027, 1, [(5, 4, 3, 2, 1)] * 3)
    _, answers = stored(app)
    assert len({answer.id for answer in answers}) == 3
    assert all(len(answer.id) == 32 and not answer.id.isdigit() for answer in answers)  # random, not a count
    for answer in answers:
        assert not any("U0P" in str(getattr(answer, column)) for column in columns)


# -- results -----------------------------------------------------------------------------------------


def test_results_are_hidden_below_five_answers_and_shown_with_the_trend(app: RunningBot, clock: SimClock) -> None:
    pulse.set_week(app.deps, team_id=TEAM, by=USER, week=2)
    add_answers(app, 2027, 1, [(4, 3, None, 2, 5)] * 4)
    open_now = mindset(app, "pulse")
    assert "open until" in open_now and "4 answers so far" in open_now and "idea" not in open_now

    clock.now = AFTER
    hidden = mindset(app, "pulse")
    assert "*Pulse 2027 Q1*, 4 answers" in hidden and "fewer than 5, so no results are shown" in hidden
    assert "idea" not in hidden and "of 5" not in hidden

    add_answers(app, 2027, 1, [(5, 3, 4, 3, 5)], first=4)
    add_answers(app, 2026, 4, [(3, 3, None, 4, 5)] * 5)  # the quarter before
    shown = mindset(app, "pulse")
    assert "*Pulse 2027 Q1*, 5 answers" in shown
    assert "Prouds and sorries: *4.2* of 5 (5 rated) (↑1.2 on last quarter)" in shown
    assert "(“why did this happen?”): *3.0* of 5 (5 rated) (= last quarter)" in shown
    assert "The meeting opening question: rated by 1, fewer than 5" in shown
    assert "Commitments and their nudges: *2.2* of 5 (5 rated) (↓1.8 on last quarter)" in shown
    assert "> idea 0 of 2027" in shown  # the free texts, without names, sorted (not in the order they came)

    found = pulse.overview(app.deps, team_id=TEAM, user_id=USER).results
    assert found is not None and found.previous_answers == 5


def test_the_digest_of_the_week_the_pulse_closed_has_its_part_once(app: RunningBot) -> None:
    pulse.set_week(app.deps, team_id=TEAM, by=USER, week=2)
    add_answers(app, 2027, 1, [(4, 4, 4, 4, 4)] * 5)
    utc_zone = ZoneInfo("UTC")
    reader = Reader(ReaderKind.PERSON, USER)

    def digest_of(monday: datetime, now: datetime) -> Any:
        with app.deps.session_factory() as session:
            return compose(session, team_id=TEAM, week=Week(monday.date(), utc_zone), reader=reader, now=now)

    closing_week = digest_of(utc(2027, 1, 18), utc(2027, 1, 25, 9))  # it closed on 21 January 10:00 UTC
    assert closing_week.pulse is not None and closing_week.pulse.answers == 5
    shown = str(digest_blocks(closing_week, today=utc(2027, 1, 25).date()))
    assert "Pulse on what works, 2027 Q1" in shown and "*4.0* of 5" in shown
    assert "Pulse on what works, 2027 Q1 (5 answers)" in digest_text(closing_week, today=utc(2027, 1, 25).date())
    assert digest_of(utc(2027, 1, 11), utc(2027, 1, 18, 9)).pulse is None  # still open that week
    assert digest_of(utc(2027, 1, 25), utc(2027, 2, 1, 9)).pulse is None  # once


# -- a person's data and the export -----------------------------------------------------------------------


def test_forget_me_deletes_who_answered_and_keeps_the_anonymous_answers(app: RunningBot) -> None:
    pulse.set_week(app.deps, team_id=TEAM, by=USER, week=2)
    asked(app, USER)
    view = open_form(app)
    submit(app, app.slack.view_submission(view, values({"digest": "5"}), view_id="V1"))
    rows = privacy.what_forgetting_deletes(app.deps, team_id=TEAM, user_id=USER)
    assert rows.pulses_answered == 1
    said = str(forget_blocks(rows))
    assert "the record that you answered 1 quarterly pulse" in said and "as nobody's" in said
    copy = json.loads(privacy.my_data_json(app.deps, team_id=TEAM, user_id=USER))
    assert copy["pulses_answered"] == [{"quarter": "2027-Q1"}]

    privacy.forget(app.deps, team_id=TEAM, user_id=USER)
    responses, answers = stored(app)
    assert responses == [] and [answer.digest for answer in answers] == [5]
    # without the record of it, a second answer would count twice: the pulse sent them takes none any more
    again = submit(app, app.slack.view_submission(view, values({"digest": "1"}), view_id="V2"))
    assert "was not sent to you" in str(again["errors"])
    assert [answer.digest for answer in stored(app)[1]] == [5]


def test_export_writes_aggregates_only(app: RunningBot) -> None:
    add_answers(app, 2027, 1, [(4, 3, None, 2, 5)] * 5)
    add_answers(app, 2026, 4, [(1, 1, 1, 1, 1)] * 2)
    records = list(export.rows(app.deps.session_factory, kind=export.PULSE, since=None))
    assert [(r["quarter"], r["answers"]) for r in records] == [("2026-Q4", 2), ("2027-Q1", 5)]
    few, enough = records
    assert all(few[f"{practice}_mean"] is None and few[f"{practice}_rated"] is None for practice in PRACTICES)
    assert (enough["prouds_sorries_mean"], enough["commitments_mean"], enough["digest_rated"]) == (4.0, 2.0, 5)
    assert enough["meeting_question_mean"] is None and enough["meeting_question_rated"] == 0
    flat = json.dumps(records)
    assert "idea" not in flat and "U0P" not in flat  # never a text, never a person

    out = io.StringIO()
    export.export(out, app.deps.session_factory, kind=export.PULSE, fmt="csv", since=None)
    header = next(csv.reader(io.StringIO(out.getvalue())))
    assert header == list(export.PULSE_COLUMNS)
    since = list(export.rows(app.deps.session_factory, kind=export.PULSE, since=utc(2027, 1, 1).date()))
    assert [r["quarter"] for r in since] == ["2027-Q1"]


def test_who_took_part_answered_a_meeting_question_logged_or_owns_a_commitment(deps: Deps) -> None:
    """Whom the pulse of Q1 2027 is for: everyone who took part since 1 October 2026, in that workspace only."""
    since = pulse.took_part_since(2027, 1)
    assert since == utc(2026, 10, 1)
    with deps.session_factory() as session:
        prompt = MeetingPrompt(team_id=TEAM, title="Planning", created_at=utc(2026, 11, 2), idempotency_key="p1")
        session.add(prompt)
        session.flush()
        for user, subject, at in (
            ("U0ANSWER", "team", utc(2026, 11, 2, 10)),
            ("U0EARLY", "outside", utc(2026, 9, 30, 10)),  # before the quarter before
        ):
            session.add(
                MeetingAnswer(
                    team_id=TEAM, prompt_id=prompt.id, subject=subject, text="Useful", answered_by=user, answered_at=at
                )
            )
        session.add(
            Entry(
                team_id="T0ELSE", kind="proud", author_id="U0ELSEWHERE", channel_id="C1", text="Elsewhere",
                created_at=utc(2026, 12, 1), idempotency_key="e1",
            )
        )  # fmt: skip
        session.commit()
        found = pulse_repo.participants(session, team_ids=[TEAM], since=since)
    assert found == {(TEAM, "U0ANSWER")}
