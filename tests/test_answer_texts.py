"""Answers that say what is true for the case at hand (issue 17): reminders an item will really get, who
involved whom, counts of nothing. Pure renderers, no Slack, no database."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bot.render.action_forms import action_saved_view
from bot.render.nudges import assigned
from bot.render.privacy import forget_blocks
from bot.services.actions import ActionCard, Horizon
from storage.models import ActionStatus
from storage.repositories.erasure import PersonRows

TODAY = date(2026, 12, 7)


def card(*, due: date, owner: str = "U1001") -> ActionCard:
    return ActionCard(
        id=1,
        team_id="T1",
        title="Call the clinic",
        owner_id=owner,
        due_date=due,
        original_due_date=due,
        status=ActionStatus.OPEN,
        horizon=Horizon.SHORT,
        involved=("U1002",),
        created_by="U1001",
    )


@pytest.mark.parametrize(
    ("days", "said", "not_said"),
    [
        (30, "reminder 7 days and 1 day before", "too soon"),
        (7, "reminder 7 days and 1 day before", "too soon"),
        (3, "reminder 1 day before", "7 days"),
        (1, "due tomorrow, too soon for reminders", "7 days"),
        (0, "due today, too soon for reminders", "7 days"),
    ],
)
def test_the_saved_form_promises_only_the_reminders_there_will_be(days: int, said: str, not_said: str) -> None:
    text = json.dumps(action_saved_view(card(due=TODAY + timedelta(days=days)), TODAY, creator="U1001"))
    assert said in text
    assert not_said not in text


def test_the_saved_form_tells_that_another_owner_is_told() -> None:
    text = json.dumps(action_saved_view(card(due=TODAY + timedelta(days=9), owner="U2"), TODAY, creator="U1001"))
    assert "<@U2> is told now. <@U2> will get a reminder 7 days and 1 day before" in text


def test_an_owner_who_involves_you_is_not_named_twice() -> None:
    told = assigned(card(due=TODAY + timedelta(days=9)), TODAY, by="U1001", reassigned=False, recipient="U1002")
    intro = told.blocks[0]["text"]["text"]
    assert "<@U1001> involved you in their commitment" in intro
    assert intro.count("U1001") == 1
    other = assigned(card(due=TODAY, owner="U3"), TODAY, by="U1001", reassigned=False, recipient="U1002")
    assert "involved you in a commitment owned by <@U3>" in other.blocks[0]["text"]["text"]


def test_forget_me_counts_only_what_there_is() -> None:
    shown = json.dumps(forget_blocks(PersonRows(entries=2, answers=0, items_deleted=0, handed_back=(), involved_in=0)))
    assert "your 2 prouds and sorries (and their posts)" in shown
    assert " 0 " not in shown
    nothing = json.dumps(
        forget_blocks(PersonRows(entries=0, answers=0, items_deleted=0, handed_back=(), involved_in=0))
    )
    assert " 0 " not in nothing
