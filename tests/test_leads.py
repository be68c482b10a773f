"""Reviews with one's lead (issue 18, item 3): naming, accepting, declining and removing a lead through signed
requests, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot import ids
from storage.models import LeadLink, LeadStatus
from tests.conftest import RunningBot
from tests.fake_slack import Call
from tests.slack_requests import USER

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
