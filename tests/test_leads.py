"""Reviews with one's lead (issue 18, item 3): naming, accepting, declining and removing a lead through signed
requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot import ids
from bot.render import leads as lead_render
from bot.render.privacy import forget_blocks
from bot.services import actions, leads
from bot.services.replays import Replayed
from bot.services.success_index import IndexLine
from bot.worktime import quarter_of
from storage.models import LeadLink, LeadReview, LeadStatus
from storage.repositories import leads as leads_repo
from storage.repositories.erasure import PersonRows
from tests.conftest import RunningBot
from tests.fake_slack import Call
from tests.slack_requests import TEAM, USER
from tests.waiting import eventually

LEAD = "U0LEAD"
OTHER = "U0OTHER"


def mindset(bot: RunningBot, text: str, *, user: str = USER) -> dict[str, Any]:
    answer = bot.slack.send_command("/mindset", text, user=user)
    assert answer.status == 200, answer.text
    return answer.json if answer.text else {}


def later_answer(bot: RunningBot, count: int = 1) -> str:
    """The answer given after the acknowledgement, through the command's response URL."""
    return str(bot.fake.wait_for("response_url:mindset", count)[-1].params["text"])


def links(bot: RunningBot) -> list[tuple[str, str, str]]:
    with bot.deps.session_factory() as session:
        rows = session.scalars(select(LeadLink).order_by(LeadLink.id)).all()
        return [(row.report_id, row.lead_id, row.status) for row in rows]


def request_to(bot: RunningBot, lead: str, count: int = 1) -> Call:
    posts = [call for call in bot.fake.wait_for("chat.postMessage", count) if call.params["channel"] == lead]
    return posts[-1]


def button_value(call: Call, action_id: str) -> str:
    for block in call.params["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def click(bot: RunningBot, action_id: str, value: str, *, user: str) -> None:
    answer = bot.slack.send_interaction(bot.slack.block_action(action_id, value, user=user))
    assert answer.status == 200, answer.text


def test_naming_a_lead_asks_them_and_accepting_makes_it_active(bot: RunningBot) -> None:
    bot.fake.add_user(LEAD)
    assert "You have not named a lead" in mindset(bot, "lead")["text"]

    mindset(bot, f"lead <@{LEAD}|lea>")
    assert "I asked <@U0LEAD> to be your lead" in later_answer(bot)
    assert links(bot) == [(USER, LEAD, LeadStatus.PENDING.value)]
    request = request_to(bot, LEAD)
    assert "named you their lead" in str(request.params["blocks"])
    assert "You named <@U0LEAD> your lead; they have not accepted yet." in mindset(bot, "lead")["text"]
    assert "<@W111> (waiting for your answer)" in mindset(bot, "lead", user=LEAD)["text"]

    # naming them again sends no second request
    mindset(bot, f"lead <@{LEAD}>")
    assert "already your lead" in later_answer(bot, 2)
    assert len([c for c in bot.fake.calls_to("chat.postMessage") if c.params["channel"] == LEAD]) == 1

    value = button_value(request, ids.LEAD_ACCEPT)
    click(bot, ids.LEAD_ACCEPT, value, user=OTHER)  # only the named lead may answer
    refused = bot.fake.wait_for("response_url:action")[-1]
    assert "Only <@U0LEAD> can answer" in refused.params["text"]
    assert links(bot) == [(USER, LEAD, LeadStatus.PENDING.value)]

    click(bot, ids.LEAD_ACCEPT, value, user=LEAD)
    answered = bot.fake.wait_for("response_url:action", 2)[-1]
    assert "You are now <@W111>'s lead" in answered.params["text"]
    assert answered.params.get("replace_original") in (True, "true")
    told = [c for c in bot.fake.wait_for("chat.postMessage", 2) if c.params["channel"] == USER]
    assert "accepted to be your lead" in told[-1].params["text"]
    assert links(bot) == [(USER, LEAD, LeadStatus.ACTIVE.value)]
    assert "Your lead is <@U0LEAD>" in mindset(bot, "lead")["text"]
    assert "You are the lead of: <@W111>." in mindset(bot, "lead", user=LEAD)["text"]

    # a second click on the answered request changes nothing
    click(bot, ids.LEAD_DECLINE, value, user=LEAD)
    assert "no longer waiting" in bot.fake.wait_for("response_url:action", 3)[-1].params["text"]
    assert links(bot) == [(USER, LEAD, LeadStatus.ACTIVE.value)]


def test_declining_removes_the_request_and_tells_the_person(bot: RunningBot) -> None:
    bot.fake.add_user(LEAD)
    mindset(bot, f"lead <@{LEAD}>")
    later_answer(bot)
    click(bot, ids.LEAD_DECLINE, button_value(request_to(bot, LEAD), ids.LEAD_DECLINE), user=LEAD)
    assert "You declined" in bot.fake.wait_for("response_url:action")[-1].params["text"]
    assert links(bot) == []
    told = [c for c in bot.fake.wait_for("chat.postMessage", 2) if c.params["channel"] == USER]
    assert "declined to be your lead" in told[-1].params["text"]


def test_removing_and_replacing_a_lead(bot: RunningBot) -> None:
    bot.fake.add_user(LEAD)
    bot.fake.add_user(OTHER)
    assert "You had no lead named" in mindset(bot, "lead none")["text"]
    mindset(bot, f"lead <@{LEAD}>")
    later_answer(bot)
    old_request = request_to(bot, LEAD)
    mindset(bot, f"lead <@{OTHER}>")
    assert "(instead of <@U0LEAD>)" in later_answer(bot, 2)
    assert links(bot) == [(USER, OTHER, LeadStatus.PENDING.value)]
    # the first request's button no longer answers anything
    click(bot, ids.LEAD_ACCEPT, button_value(old_request, ids.LEAD_ACCEPT), user=LEAD)
    assert "no longer waiting" in bot.fake.wait_for("response_url:action")[-1].params["text"]
    assert links(bot) == [(USER, OTHER, LeadStatus.PENDING.value)]

    assert "<@U0OTHER> is no longer your lead" in mindset(bot, "lead none")["text"]
    assert links(bot) == []


def test_a_lead_named_by_their_user_name_is_found(bot: RunningBot) -> None:
    bot.fake.add_user(LEAD)  # its name is "u0lead"
    mindset(bot, "lead @u0lead")
    assert "I asked <@U0LEAD> to be your lead" in later_answer(bot)
    assert links(bot) == [(USER, LEAD, LeadStatus.PENDING.value)]
    mindset(bot, "lead @nobody-here")
    assert "I could not find @nobody-here" in later_answer(bot, 2)


def test_a_lead_must_be_a_person_and_not_oneself(bot: RunningBot) -> None:
    bot.fake.add_user("U0BOTTY", is_bot=True)
    bot.fake.add_user("U0GONE", deleted=True)
    assert "cannot be your own lead" in mindset(bot, f"lead <@{USER}>")["text"]
    mindset(bot, "lead <@U0BOTTY>")
    assert "is an app, not a person, so cannot be a lead" in later_answer(bot)
    mindset(bot, "lead <@U0GONE>")
    assert "deactivated" in later_answer(bot, 2)
    mindset(bot, "lead <@USLACKBOT>")
    assert "Slackbot cannot be a lead" in later_answer(bot, 3)
    assert "is not a person" in mindset(bot, "lead #general")["text"]
    assert "`/mindset lead @person` names your lead" in mindset(bot, "lead a b")["text"]
    assert links(bot) == []


# -- the review's buttons: a note from each, mark reviewed, nobody else -----------------------------


def a_review(bot: RunningBot) -> int:
    """An accepted lead, and a review of this quarter with one commitment of the report's."""
    bot.fake.add_user(LEAD)
    bot.fake.add_user(OTHER)
    deps = bot.deps
    named = leads.name_lead(deps, team_id=TEAM, report_id=USER, lead_id=LEAD)
    leads.answer(deps, team_id=TEAM, link_id=named.link_id, user_id=LEAD, accept=True, key=None)
    today = deps.clock().date()
    due = today + timedelta(days=1)
    actions.create_action(
        deps,
        actions.NewAction(
            team_id=TEAM,
            title="Call the clinics",
            owner_id=USER,
            created_by=USER,
            due_date=due,
            today=today,
            idempotency_key="lead-test",
        ),
    )
    year, quarter = quarter_of(due)
    with deps.session_factory() as session:
        review = leads_repo.review_for(
            session, team_id=TEAM, lead_id=LEAD, report_id=USER, year=year, quarter=quarter, now=deps.clock()
        )
        session.commit()
        return review.id


def review_row(bot: RunningBot, review_id: int) -> LeadReview:
    with bot.deps.session_factory() as session:
        row = session.get(LeadReview, review_id)
        assert row is not None
        return row


def open_note_form(bot: RunningBot, review_id: int, *, user: str, count: int) -> dict[str, Any]:
    click(bot, ids.LEAD_REVIEW_NOTE, str(review_id), user=user)
    view: dict[str, Any] = bot.fake.wait_for("views.open", count)[-1].params["view"]
    assert view["callback_id"] == ids.LEAD_NOTE_MODAL
    return view


def submit_note(bot: RunningBot, view: dict[str, Any], note: str, *, user: str, view_id: str) -> dict[str, Any]:
    values = {ids.LEAD_NOTE_BLOCK: {ids.LEAD_NOTE_INPUT: {"type": "plain_text_input", "value": note}}}
    answer = bot.slack.send_interaction(bot.slack.view_submission(view, values, view_id=view_id, user=user))
    assert answer.status == 200, answer.text
    return answer.json if answer.text else {}


def posts_to(bot: RunningBot, channel: str, count: int) -> list[Call]:
    def mine() -> list[Call]:
        return [call for call in bot.fake.calls_to("chat.postMessage") if call.params["channel"] == channel]

    eventually(lambda: len(mine()) >= count)
    return mine()


def test_a_note_from_each_then_marked_reviewed(bot: RunningBot) -> None:
    review_id = a_review(bot)

    view = open_note_form(bot, review_id, user=LEAD, count=1)
    too_long = submit_note(bot, view, "x" * (leads.NOTE_MAX + 1), user=LEAD, view_id="VNOTE1")
    assert too_long["response_action"] == "errors"
    assert "2,000 characters" in too_long["errors"][ids.LEAD_NOTE_BLOCK]
    assert submit_note(bot, view, "Good quarter <!channel>", user=LEAD, view_id="VNOTE1") == {}
    eventually(lambda: review_row(bot, review_id).lead_note == "Good quarter <!channel>")
    # the report sees the lead's note (escaped), with the review's buttons
    [told] = posts_to(bot, USER, 1)[-1:]
    shown = str(told.params["blocks"])
    assert "<@U0LEAD> added a note" in shown and "Good quarter &lt;!channel&gt;" in shown
    assert ids.LEAD_REVIEW_NOTE in shown and ids.LEAD_REVIEW_DONE in shown

    view = open_note_form(bot, review_id, user=USER, count=2)
    assert "Good quarter" in str(view["blocks"])  # the lead's note, shown in the report's form
    assert submit_note(bot, view, "Thanks, the clinics are next", user=USER, view_id="VNOTE2") == {}
    eventually(lambda: review_row(bot, review_id).report_note == "Thanks, the clinics are next")
    told_lead = posts_to(bot, LEAD, 1)[-1]
    assert "<@W111> added a note" in str(told_lead.params["blocks"])
    assert review_row(bot, review_id).lead_note == "Good quarter <!channel>"  # each keeps their own

    click(bot, ids.LEAD_REVIEW_DONE, str(review_id), user=USER)
    eventually(lambda: review_row(bot, review_id).reviewed_at is not None)
    assert review_row(bot, review_id).reviewed_by == USER
    redrawn = bot.fake.wait_for("response_url:action")[-1]
    assert "Marked reviewed by <@W111>" in str(redrawn.params["blocks"])
    assert ids.LEAD_REVIEW_DONE not in str(redrawn.params["blocks"])
    assert "marked the quarterly review" in posts_to(bot, LEAD, 2)[-1].params["text"]


def test_nobody_else_can_see_or_act_on_a_review(bot: RunningBot) -> None:
    review_id = a_review(bot)
    click(bot, ids.LEAD_REVIEW_NOTE, str(review_id), user=OTHER)
    assert "Only the person reviewed and their lead" in bot.fake.wait_for("response_url:action")[-1].params["text"]
    click(bot, ids.LEAD_REVIEW_DONE, str(review_id), user=OTHER)
    assert "Only the person reviewed and their lead" in bot.fake.wait_for("response_url:action", 2)[-1].params["text"]
    assert bot.fake.calls_to("views.open") == []
    # a lead removed by the report loses the review too
    view = open_note_form(bot, review_id, user=LEAD, count=1)
    leads.remove_lead(bot.deps, team_id=TEAM, report_id=USER)
    refused = submit_note(bot, view, "Too late", user=LEAD, view_id="VNOTE3")
    assert "Only the person reviewed and their lead" in refused["errors"][ids.LEAD_NOTE_BLOCK]
    click(bot, ids.LEAD_REVIEW_DONE, str(review_id), user=LEAD)
    assert "Only the person reviewed and their lead" in bot.fake.wait_for("response_url:action", 3)[-1].params["text"]
    row = review_row(bot, review_id)
    assert row.lead_note is None and row.reviewed_at is None


# -- the renderers, as pure functions ---------------------------------------------------------------


def card(**changes: Any) -> leads.ReviewCard:
    base = leads.ReviewCard(
        id=7,
        lead_id=LEAD,
        report_id=USER,
        year=2026,
        quarter=4,
        lines=(IndexLine("Short term", 1, 2), IndexLine("Long term", 0, 0), IndexLine("All", 1, 2)),
        commitments=(
            leads.CommitmentLine("Call <the> clinics", date(2026, 11, 16), kept=True, open=False),
            leads.CommitmentLine("Fix the export", date(2026, 12, 1), kept=False, open=True),
        ),
        more=3,
        lead_note=None,
        report_note=None,
        reviewed_at=None,
        reviewed_by=None,
    )
    return replace(base, **changes)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        element["action_id"]: element["text"]["text"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def test_the_review_as_each_of_them_sees_it() -> None:
    blocks = lead_render.review_blocks(card(), role=leads.Role.LEAD)
    text = str(blocks)
    assert "Quarterly review of <@W111> for 2026 Q4" in text
    assert "Short term: *50%* (1 of 2 kept)" in text and "Long term: *n/a*" in text
    assert "Call &lt;the&gt; clinics, due" in text and "kept" in text and "still open" in text
    assert "…and 3 more." in text
    assert buttons(blocks) == {ids.LEAD_REVIEW_NOTE: "Add a note", ids.LEAD_REVIEW_DONE: "Mark reviewed"}

    noted = card(lead_note="Well done", report_note="Thanks <@UEVIL>")
    text = str(lead_render.review_blocks(noted, role=leads.Role.REPORT))
    assert "Note from <@U0LEAD>*\\nWell done" in text and "Thanks &lt;@UEVIL&gt;" in text
    assert buttons(lead_render.review_blocks(noted, role=leads.Role.REPORT))[ids.LEAD_REVIEW_NOTE] == "Change my note"

    done = card(reviewed_at=datetime(2027, 1, 5, 10, tzinfo=UTC), reviewed_by=LEAD)
    blocks = lead_render.review_blocks(done, role=leads.Role.LEAD)
    assert "Marked reviewed by <@U0LEAD> on <!date^1799143200^{date_long_pretty}|2027-01-05 10:00 UTC>" in str(blocks)
    assert set(buttons(blocks)) == {ids.LEAD_REVIEW_NOTE}

    assert "<@U0LEAD> has your quarterly review" in str(lead_render.report_review(card()).blocks)
    assert "reminder 2 of 3" in str(lead_render.review_nudge(card(), 2).blocks)


def test_the_note_form_keeps_ones_own_note_and_shows_the_others() -> None:
    view = lead_render.note_modal(
        card(lead_note="Mine", report_note="Theirs"), role=leads.Role.LEAD, metadata={"channel": "D1", "ts": "1.2"}
    )
    assert view["callback_id"] == ids.LEAD_NOTE_MODAL
    [field] = [block for block in view["blocks"] if block.get("block_id") == ids.LEAD_NOTE_BLOCK]
    assert field["element"]["max_length"] == leads.NOTE_MAX == 2000
    assert field["element"]["initial_value"] == "Mine"
    assert "<@W111> wrote: Theirs" in str(view["blocks"])
    assert json.loads(view["private_metadata"]) == {"review_id": 7, "channel": "D1", "ts": "1.2"}


def test_what_mindset_lead_says() -> None:
    nobody = leads.LeadOverview(lead_id=None, lead_active=False, report_ids=())
    assert "You have not named a lead" in lead_render.overview_text(nobody)
    both = leads.LeadOverview(lead_id=LEAD, lead_active=True, report_ids=(("UA", True), ("UB", False)))
    text = lead_render.overview_text(both)
    assert "Your lead is <@U0LEAD>" in text and "<@UA>, <@UB> (waiting for your answer)" in text
    assert "removes your lead" in lead_render.overview_text(nobody)


# -- forget me: the links and reviews go, as lead and as report; the copy holds them ---------------------

THIRD = "U0THIRD"


def linked(bot: RunningBot, report: str, lead: str) -> None:
    named = leads.name_lead(bot.deps, team_id=TEAM, report_id=report, lead_id=lead)
    leads.answer(bot.deps, team_id=TEAM, link_id=named.link_id, user_id=lead, accept=True, key=None)


def noted_review(bot: RunningBot, lead: str, report: str, note: str) -> None:
    with bot.deps.session_factory() as session:
        review = leads_repo.review_for(
            session, team_id=TEAM, lead_id=lead, report_id=report, year=2026, quarter=4, now=bot.deps.clock()
        )
        review.lead_note, review.report_note = f"{note} (lead)", f"{note} (report)"
        session.commit()


def test_forget_me_deletes_my_links_and_reviews_as_lead_and_as_report(bot: RunningBot) -> None:
    linked(bot, USER, LEAD)  # my lead
    linked(bot, OTHER, USER)  # I am OTHER's lead
    linked(bot, THIRD, LEAD)  # nothing of mine
    noted_review(bot, LEAD, USER, "Mine as report")
    noted_review(bot, USER, OTHER, "Mine as lead")
    noted_review(bot, LEAD, THIRD, "Not mine")
    assert "your 2 quarterly reviews with your lead or your reports" in str(mindset(bot, "forget me")["blocks"])

    click(bot, ids.FORGET_COPY, "copy", user=USER)
    [upload] = eventually(lambda: [call for call in bot.fake.calls if call.method.startswith("upload:")])
    data = json.loads(upload.params["content"].decode("utf-8"))
    assert sorted((row["report"], row["lead"], row["status"]) for row in data["lead_links"]) == [
        (OTHER, USER, "active"),
        (USER, LEAD, "active"),
    ]
    assert sorted(
        (row["lead"], row["report"], row["lead_note"], row["report_note"]) for row in data["lead_reviews"]
    ) == [
        (LEAD, USER, "Mine as report (lead)", "Mine as report (report)"),
        (USER, OTHER, "Mine as lead (lead)", "Mine as lead (report)"),
    ]
    assert "Not mine" not in upload.params["content"].decode("utf-8")

    click(bot, ids.FORGET_CONFIRM, "forget", user=USER)
    eventually(lambda: links(bot) == [(THIRD, LEAD, LeadStatus.ACTIVE.value)])
    with bot.deps.session_factory() as session:
        left = [(r.lead_id, r.report_id, r.lead_note) for r in session.scalars(select(LeadReview))]
    assert left == [(LEAD, THIRD, "Not mine (lead)")]


def test_forget_me_says_the_reviews_go() -> None:
    rows = PersonRows(entries=0, answers=0, items_deleted=0, handed_back=(), involved_in=0, lead_reviews=2)
    assert "your 2 quarterly reviews with your lead or your reports (both notes) and your lead links" in str(
        forget_blocks(rows)
    )


def test_a_replayed_command_changes_nothing_the_second_time(bot: RunningBot) -> None:
    """Anyone who captured a signed `/mindset lead` may send it again within five minutes: the same trigger has
    one effect, so a replayed `none` does not remove a lead named since, nor a replayed naming bring back one
    removed since."""
    bot.fake.add_user(LEAD)
    mindset(bot, f"lead <@{LEAD}>")
    later_answer(bot)
    removing = urlencode(bot.slack.command_body("/mindset", "lead none"))
    assert "no longer your lead" in bot.slack.post_form(removing).json["text"]
    assert links(bot) == []
    mindset(bot, f"lead <@{LEAD}>")
    later_answer(bot, 2)

    replayed = bot.slack.post_form(removing)  # the very same signed request again

    assert replayed.status == 200 and not replayed.text  # acknowledged, nothing said, nothing changed
    assert links(bot) == [(USER, LEAD, LeadStatus.PENDING.value)]
    # naming: the service keeps the command's key with the change
    team = TEAM
    leads.remove_lead(bot.deps, team_id=team, report_id=USER, key="command:T-remove")
    leads.name_lead(bot.deps, team_id=team, report_id=USER, lead_id=LEAD, key="command:T-name")
    leads.remove_lead(bot.deps, team_id=team, report_id=USER, key="command:T-remove-again")
    with pytest.raises(Replayed):
        leads.name_lead(bot.deps, team_id=team, report_id=USER, lead_id=LEAD, key="command:T-name")
    assert links(bot) == []
