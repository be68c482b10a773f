"""Meetings over the Slack surface: `/meeting` and its form, `/meeting list` and its buttons, `/meeting now`,
answering a prompt, making an answer an action item, and `/mindset questions`.

The real app over its real HTTP server, the fake Slack, SQLite and PostgreSQL. The app's clock is fixed at
Monday 1 March 2027, 12:00 in Berlin, so "the past" and "today" do not depend on when the tests run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, select

from bot import ids
from bot.deps import Deps
from bot.services import groups as group_service
from bot.services import meetings as meeting_service
from bot.services import questions as question_service
from bot.services.groups import GroupOption
from storage.models import ActionItem, Meeting, MeetingAnswer, MeetingPrompt
from tests.conftest import RunningBot, serve
from tests.engine_harness import SimClock
from tests.fake_slack import Call, FakeSlack, Reply
from tests.slack_requests import CHANNEL, TEAM, USER, Answer
from tests.waiting import eventually

NOW = datetime(2027, 3, 1, 11, 0, tzinfo=UTC)  # Monday 1 March 2027, 12:00 in Berlin
OWNER = "W222"
STRANGER = "W999"
OTHER_TEAM = "T999"

FIELDS = {
    "title": ids.MEETING_TITLE_BLOCK,
    "owner": ids.MEETING_OWNER_BLOCK,
    "repeat": ids.MEETING_REPEAT_BLOCK,
    "date": ids.MEETING_DATE_BLOCK,
    "weekdays": ids.MEETING_WEEKDAYS_BLOCK,
    "time": ids.MEETING_TIME_BLOCK,
    "tz": ids.MEETING_TZ_BLOCK,
    "lead": ids.MEETING_LEAD_BLOCK,
    "target": ids.MEETING_TARGET_BLOCK,
    "channel": ids.MEETING_CHANNEL_BLOCK,
}


@pytest.fixture
def mbot(deps: Deps, engine: Engine, fake_slack: FakeSlack) -> Iterator[RunningBot]:
    """The app with its clock fixed at NOW; the requester and the owner live in Berlin."""
    for user in (USER, OWNER, STRANGER):
        fake_slack.users[user] = {"id": user, "name": user.lower(), "tz": "Europe/Berlin", "deleted": False}
    timed = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=SimClock(NOW))
    yield from serve(timed, engine, fake_slack)


# -- helpers: the form, as Slack would submit it ------------------------------------------------------


def block(blocks: list[dict[str, Any]], block_id: str) -> dict[str, Any]:
    [found] = [b for b in blocks if b.get("block_id") == block_id]
    return found


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: dict[str, Any] = block(view["blocks"], block_id)["element"]
    return found


def initial_state(element: dict[str, Any]) -> dict[str, Any]:
    """What Slack sends for an input the person left as the form showed it."""
    kind = element["type"]
    if kind == "plain_text_input":
        return {"type": kind, "value": element.get("initial_value")}
    if kind == "users_select":
        return {"type": kind, "selected_user": element.get("initial_user")}
    if kind == "multi_users_select":
        return {"type": kind, "selected_users": element.get("initial_users", [])}
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind in ("checkboxes", "multi_static_select"):
        return {"type": kind, "selected_options": element.get("initial_options", [])}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date")}
    if kind == "timepicker":
        return {"type": kind, "selected_time": element.get("initial_time")}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": element.get("initial_conversation")}
    raise AssertionError(f"an element type these tests do not know: {kind}")


def chosen_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """What Slack sends once the person chose `value` (option values are looked up among the element's)."""
    kind = element["type"]
    state = initial_state(element)
    if kind in ("static_select", "radio_buttons"):
        [picked] = [opt for opt in element["options"] if opt["value"] == value]
        state["selected_option"] = picked
    elif kind in ("checkboxes", "multi_static_select"):
        state["selected_options"] = [opt for opt in element["options"] if opt["value"] in value]
        assert len(state["selected_options"]) == len(value), value
    else:
        key = next(key for key in state if key != "type")
        state[key] = value
    return state


def form_values(view: dict[str, Any], *, fields: dict[str, str] | None = None, **changes: Any) -> dict[str, Any]:
    """The state of every input block of the view as shown, with `changes` (by field name) chosen."""
    fields = fields or FIELDS
    values: dict[str, Any] = {}
    for b in view["blocks"]:
        if b["type"] == "input":
            values[b["block_id"]] = {b["element"]["action_id"]: initial_state(b["element"])}
    for name, value in changes.items():
        block_id = fields[name]
        el = element(view, block_id)
        values[block_id] = {el["action_id"]: chosen_state(el, value)}
    return values


def opened_views(bot: RunningBot, count: int) -> list[dict[str, Any]]:
    return [call.params["view"] for call in bot.fake.wait_for("views.open", count)]


def open_meeting_form(bot: RunningBot, *, user: str = USER) -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.open"))
    answer = bot.slack.send_command("/meeting", "", user=user)
    assert (answer.status, answer.text) == (200, "")
    view = opened_views(bot, before + 1)[-1]
    assert view["callback_id"] == ids.MEETING_MODAL
    return view


def submit(bot: RunningBot, view: dict[str, Any], values: dict[str, Any], *, view_id: str, user: str = USER) -> Answer:
    answer = bot.slack.send_interaction(bot.slack.view_submission(view, values, view_id=view_id, user=user))
    assert answer.status == 200, answer.text
    return answer


def register(bot: RunningBot, title: str, *, user: str = USER, **changes: Any) -> Meeting:
    view = open_meeting_form(bot, user=user)
    changes = {"weekdays": ["2"], "date": "2027-03-02", "time": "10:00", **changes}
    answer = submit(bot, view, form_values(view, title=title, **changes), view_id=f"V-{title}", user=user)
    assert answer.json["response_action"] == "update", answer.text
    [stored] = [found for found in meetings(bot) if found.title == title]
    return stored


def meetings(bot: RunningBot) -> list[Meeting]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(Meeting).order_by(Meeting.id)))


def meeting(bot: RunningBot, meeting_id: int) -> Meeting:
    with bot.deps.session_factory() as session:
        found = session.get(Meeting, meeting_id)
        assert found is not None
        return found


def prompts(bot: RunningBot) -> list[MeetingPrompt]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(MeetingPrompt).order_by(MeetingPrompt.id)))


def answers(bot: RunningBot) -> list[MeetingAnswer]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(MeetingAnswer).order_by(MeetingAnswer.id)))


def shown(blocks: list[dict[str, Any]]) -> str:
    """All the text a person sees in these blocks (sections, contexts, buttons)."""
    parts: list[str] = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            parts.append(b["text"]["text"])
        for el in [*(b.get("elements") or []), b.get("accessory") or {}]:
            if isinstance(el.get("text"), dict):
                parts.append(el["text"]["text"])
            elif isinstance(el.get("text"), str):
                parts.append(el["text"])
        if isinstance(b.get("label"), dict):
            parts.append(b["label"]["text"])
    return "\n".join(parts)


def buttons(blocks: list[dict[str, Any]], block_id: str) -> list[str]:
    return [el["action_id"] for el in block(blocks, block_id)["elements"]]


def click(
    bot: RunningBot,
    action_id: str,
    value: str,
    *,
    user: str = USER,
    message: Call | None = None,
    ts: str | None = None,
) -> None:
    """Click a button of a message: `message`, a post or update the bot made (at `ts`), or a bare one."""
    shown_message: dict[str, Any] = {"type": "message", "ts": "1.1", "text": "fallback", "blocks": []}
    channel = CHANNEL
    if message is not None:
        shown_message = {"type": "message", "ts": ts or "1.1", "blocks": message.params["blocks"]}
        channel = message.params["channel"]
    body = bot.slack.block_action(action_id, value, message=shown_message, user=user, channel=channel)
    answer = bot.slack.send_interaction(body)
    assert (answer.status, answer.text) == (200, ""), answer.text


def responses(bot: RunningBot, count: int = 1, name: str = "action") -> list[Call]:
    return bot.fake.wait_for(f"response_url:{name}", count)


def epoch_of(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^"


# -- registering ---------------------------------------------------------------------------------------


def test_meeting_opens_the_form_for_the_requester_in_their_zone_and_registers_the_meeting(mbot: RunningBot) -> None:
    view = open_meeting_form(mbot)
    assert element(view, ids.MEETING_OWNER_BLOCK)["initial_user"] == USER
    assert element(view, ids.MEETING_TZ_BLOCK)["initial_value"] == "Europe/Berlin"  # from users.info
    assert [call.params["user"] for call in mbot.fake.calls_to("users.info")] == [USER]
    assert element(view, ids.MEETING_DATE_BLOCK)["initial_date"] == "2027-03-01"  # today, in Berlin
    assert element(view, ids.MEETING_CHANNEL_BLOCK)["initial_conversation"] == CHANNEL
    assert meetings(mbot) == []

    values = form_values(
        view,
        title="  Tuesday   planning ",
        repeat="weekly",
        date="2027-03-02",
        weekdays=["2", "4"],
        time="10:00",
        lead="15",
        target="owner",
    )
    answer = submit(mbot, view, values, view_id="VREG")
    assert answer.json["response_action"] == "update"
    saved = shown(answer.json["view"]["blocks"])
    assert "Registered" in saved
    assert "Every Tuesday and Thursday at 10:00 (Europe/Berlin)" in saved
    assert epoch_of(datetime(2027, 3, 2, 9, 0, tzinfo=UTC)) in saved  # next: Tuesday 10:00 CET

    [stored] = meetings(mbot)
    assert (stored.title, stored.owner_id, stored.created_by, stored.channel_id) == (
        "Tuesday planning",
        USER,
        USER,
        CHANNEL,
    )
    assert (stored.repeat, stored.start_date, stored.weekdays, stored.at_time, stored.tz) == (
        "weekly",
        date(2027, 3, 2),
        "2,4",
        time(10, 0),
        "Europe/Berlin",
    )
    assert (stored.lead_minutes, stored.prompt_to, stored.paused, stored.deleted_at) == (15, "owner", False, None)


def test_a_double_submit_registers_one_meeting(mbot: RunningBot) -> None:
    view = open_meeting_form(mbot)
    values = form_values(view, title="Daily stand-up", weekdays=["1", "2", "3", "4", "5"], owner=OWNER)
    first = submit(mbot, view, values, view_id="VSAME")
    second = submit(mbot, view, values, view_id="VSAME")
    assert first.json["response_action"] == second.json["response_action"] == "update"
    [stored] = meetings(mbot)
    assert (stored.owner_id, stored.created_by) == (OWNER, USER)


def test_a_one_off_is_judged_in_the_meetings_own_time_zone(mbot: RunningBot) -> None:
    view = open_meeting_form(mbot)
    # 23:00 on Monday 1 March in Kiritimati (UTC+14) was 09:00 UTC: already past, although 1 March 23:00
    # would still be ahead in UTC or in Berlin
    past = submit(
        mbot,
        view,
        form_values(
            view, title="Kiritimati sync", repeat="once", date="2027-03-01", time="23:00", tz="Pacific/Kiritimati"
        ),
        view_id="VONCE1",
    )
    assert past.json["response_action"] == "errors"
    assert list(past.json["errors"]) == [ids.MEETING_DATE_BLOCK]
    assert "in the past" in past.json["errors"][ids.MEETING_DATE_BLOCK]
    assert meetings(mbot) == []

    # 08:00 on 1 March in Los Angeles is 16:00 UTC: still ahead, although 08:00 has passed in UTC and Berlin
    ahead = submit(
        mbot,
        view,
        form_values(view, title="LA sync", repeat="once", date="2027-03-01", time="08:00", tz="America/Los_Angeles"),
        view_id="VONCE2",
    )
    assert ahead.json["response_action"] == "update", ahead.text
    [stored] = meetings(mbot)
    assert (stored.repeat, stored.start_date, stored.weekdays, stored.tz) == (
        "once",
        date(2027, 3, 1),
        "1",
        "America/Los_Angeles",
    )
    assert epoch_of(datetime(2027, 3, 1, 16, 0, tzinfo=UTC)) in shown(ahead.json["view"]["blocks"])


def test_a_monthly_meeting_meets_on_its_first_days_place_in_the_month(mbot: RunningBot) -> None:
    view = open_meeting_form(mbot)
    repeat = element(view, ids.MEETING_REPEAT_BLOCK)
    assert [opt["value"] for opt in repeat["options"]] == ["weekly", "fortnightly", "monthly", "once"]
    assert "2nd Tuesday" in shown([opt for opt in repeat["options"] if opt["value"] == "monthly"])
    assert "last Friday" in block(view["blocks"], ids.MEETING_DATE_BLOCK)["hint"]["text"]
    assert "monthly one" in block(view["blocks"], ids.MEETING_WEEKDAYS_BLOCK)["hint"]["text"]

    # Tuesday 9 March 2027 is the 2nd Tuesday; the weekday ticked (Monday, today's, as the form shows it) is not used
    answer = submit(
        mbot, view, form_values(view, title="Monthly review", repeat="monthly", date="2027-03-09"), view_id="VM1"
    )
    assert answer.json["response_action"] == "update", answer.text
    saved = shown(answer.json["view"]["blocks"])
    assert "Every month on the 2nd Tuesday at 10:00 (Europe/Berlin)" in saved
    assert "The weekdays ticked are not used" in saved
    assert epoch_of(datetime(2027, 3, 9, 9, 0, tzinfo=UTC)) in saved
    [stored] = meetings(mbot)
    assert (stored.repeat, stored.start_date, stored.weekdays, stored.at_time) == (
        "monthly",
        date(2027, 3, 9),
        "2",
        time(10, 0),
    )

    # Monday 29 March 2027 is a 5th Monday: the last Monday of each month, after Berlin's change to summer time;
    # no weekday ticked is fine for a monthly meeting, and nothing is said about it
    answer = submit(
        mbot,
        view,
        form_values(view, title="Month end", repeat="monthly", date="2027-03-29", weekdays=[], time="09:00"),
        view_id="VM2",
    )
    assert answer.json["response_action"] == "update", answer.text
    saved = shown(answer.json["view"]["blocks"])
    assert "Every month on the last Monday at 09:00 (Europe/Berlin)" in saved
    assert "not used" not in saved
    assert epoch_of(datetime(2027, 3, 29, 7, 0, tzinfo=UTC)) in saved
    assert meetings(mbot)[-1].weekdays == "1"

    # Sunday 28 March 2027, the 4th Sunday, is when 02:00-03:00 does not exist in Berlin
    refused = submit(
        mbot,
        view,
        form_values(view, title="Night", repeat="monthly", date="2027-03-28", time="02:30"),
        view_id="VM3",
    )
    assert refused.json["response_action"] == "errors"
    assert list(refused.json["errors"]) == [ids.MEETING_TIME_BLOCK]
    assert refused.json["errors"][ids.MEETING_TIME_BLOCK] == (
        "02:30 does not exist on Sunday 28 March 2027 in Europe/Berlin: clocks jump from 02:00 to 03:00. "
        "Pick a time outside 02:00–03:00, or start the series on another day of the month."
    )
    assert len(meetings(mbot)) == 2

    # the list shows it, and Edit opens the form with "monthly" and its weekday; saving it as it was keeps it
    listed = mbot.slack.send_command("/meeting", "list").json["blocks"]
    assert "Every month on the 2nd Tuesday at 10:00 (Europe/Berlin)" in shown([block(listed, f"meeting_{stored.id}")])
    before = len(mbot.fake.calls_to("views.open"))
    click(mbot, ids.MEETING_EDIT, str(stored.id))
    edit = opened_views(mbot, before + 1)[-1]
    assert element(edit, ids.MEETING_REPEAT_BLOCK)["initial_option"]["value"] == "monthly"
    assert [opt["value"] for opt in element(edit, ids.MEETING_WEEKDAYS_BLOCK)["initial_options"]] == ["2"]
    again = submit(mbot, edit, form_values(edit, title="Monthly review (all)"), view_id="VM4")
    assert again.json["response_action"] == "update", again.text
    assert "not used" not in shown(again.json["view"]["blocks"])
    edited = meeting(mbot, stored.id)
    assert (edited.title, edited.repeat, edited.start_date, edited.weekdays) == (
        "Monthly review (all)",
        "monthly",
        date(2027, 3, 9),
        "2",
    )


def test_bad_input_is_a_field_error_and_nothing_is_stored(mbot: RunningBot) -> None:
    view = open_meeting_form(mbot)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"title": "No day", "repeat": "weekly", "weekdays": []}, ids.MEETING_WEEKDAYS_BLOCK, "weekday"),
        ({"title": "No day", "repeat": "fortnightly", "weekdays": []}, ids.MEETING_WEEKDAYS_BLOCK, "weekday"),
        (
            {"title": "Past", "repeat": "once", "date": "2027-03-01", "time": "11:30"},  # 11:30 Berlin has passed
            ids.MEETING_TIME_BLOCK,
            "in the past",
        ),
        (
            {"title": "Yesterday", "repeat": "once", "date": "2027-02-28", "time": "15:00"},
            ids.MEETING_DATE_BLOCK,
            "in the past",
        ),
        ({"title": "Far", "repeat": "once", "date": "2030-03-02"}, ids.MEETING_DATE_BLOCK, "3 years"),
        ({"title": "Where", "tz": "Mars/Olympus_Mons"}, ids.MEETING_TZ_BLOCK, "is not a time zone I know"),
        ({"title": "Where", "tz": ""}, ids.MEETING_TZ_BLOCK, "Give a time zone"),
        ({"title": "Where", "tz": "EST"}, ids.MEETING_TZ_BLOCK, "such as America/New_York"),
        ({"title": "Where", "tz": "berlin"}, ids.MEETING_TZ_BLOCK, "Did you mean Europe/Berlin?"),
        (
            {"title": "Night", "repeat": "weekly", "weekdays": ["7"], "time": "02:30", "tz": "Europe/Berlin"},
            ids.MEETING_TIME_BLOCK,
            "02:30 does not exist on Sunday 28 March 2027 in Europe/Berlin",
        ),
        (
            {
                "title": "Twice",
                "repeat": "weekly",
                "weekdays": ["7"],
                "time": "02:30",
                "tz": "Europe/Berlin",
                "date": "2027-04-01",
            },
            ids.MEETING_TIME_BLOCK,
            "happens twice on Sunday 31 October 2027",
        ),
        ({"title": "Nowhere", "target": "channel", "channel": None}, ids.MEETING_CHANNEL_BLOCK, "channel"),
        ({"title": "   "}, ids.MEETING_TITLE_BLOCK, "name"),
        ({"title": "Timeless", "time": None}, ids.MEETING_TIME_BLOCK, "time"),
        ({"title": "Dateless", "date": None}, ids.MEETING_DATE_BLOCK, "day"),
    ]
    for n, (changes, block_id, words) in enumerate(cases):
        answer = submit(mbot, view, form_values(view, **changes), view_id=f"VBAD{n}")
        assert answer.json["response_action"] == "errors", (changes, answer.text)
        assert list(answer.json["errors"]) == [block_id], changes
        assert words in answer.json["errors"][block_id], (changes, answer.json["errors"])
    assert meetings(mbot) == []
    # the DST-skipped Sunday time is fine on a weekday, in a zone without DST, or later in the night
    good: list[dict[str, Any]] = [
        {"title": "Night 1", "weekdays": ["1"], "time": "02:30", "tz": "Europe/Berlin"},
        {"title": "Night 2", "weekdays": ["7"], "time": "02:30", "tz": "Asia/Kolkata"},
        {"title": "Night 3", "weekdays": ["7"], "time": "03:30", "tz": "Europe/Berlin"},
    ]
    for n, changes in enumerate(good):
        answer = submit(mbot, view, form_values(view, **changes), view_id=f"VGOOD{n}")
        assert answer.json["response_action"] == "update", (changes, answer.text)
    assert [found.title for found in meetings(mbot)] == ["Night 1", "Night 2", "Night 3"]


def test_a_channel_the_bot_cannot_post_in_is_refused_next_to_the_channel(mbot: RunningBot) -> None:
    view = open_meeting_form(mbot)
    refusals = [
        (Reply(body={"ok": True, "channel": {"id": "CPRIV", "is_private": True, "is_member": False}}), "I'm not in"),
        (Reply(body={"ok": True, "channel": {"id": "CPRIV", "is_archived": True, "is_member": True}}), "archived"),
        (Reply(body={"ok": False, "error": "channel_not_found"}), "/invite"),
    ]
    for n, (reply, words) in enumerate(refusals):
        mbot.fake.script("conversations.info", reply)
        values = form_values(view, title="Private planning", target="channel", channel="CPRIV")
        answer = submit(mbot, view, values, view_id=f"VCH{n}")
        assert answer.json["response_action"] == "errors", answer.text
        assert list(answer.json["errors"]) == [ids.MEETING_CHANNEL_BLOCK]
        assert words in answer.json["errors"][ids.MEETING_CHANNEL_BLOCK]
        assert "<#CPRIV>" in answer.json["errors"][ids.MEETING_CHANNEL_BLOCK]
    assert [call.params["channel"] for call in mbot.fake.calls_to("conversations.info")] == ["CPRIV"] * 3
    assert meetings(mbot) == []

    # a private channel the bot is in is fine
    mbot.fake.script("conversations.info", Reply(body={"ok": True, "channel": {"is_private": True, "is_member": True}}))
    fine = submit(mbot, view, form_values(view, title="Team room", target="channel", channel="CTEAM"), view_id="VOK")
    assert fine.json["response_action"] == "update"
    [stored] = meetings(mbot)
    assert (stored.prompt_to, stored.channel_id) == ("channel", "CTEAM")


def test_slack_failing_or_slow_to_describe_the_channel_does_not_block_registering(mbot: RunningBot) -> None:
    view = open_meeting_form(mbot)
    mbot.fake.server_error("conversations.info")
    failed = submit(mbot, view, form_values(view, title="Failed check", target="channel", channel="C1"), view_id="VF")
    assert failed.json["response_action"] == "update", failed.text

    # Slack answers too late for the form (the check gives up after 2 s; Slack waits 3 s for the answer)
    slow = Reply(body={"ok": True, "channel": {"is_archived": True}}, delay=3.0)
    mbot.fake.script("conversations.info", slow)
    late = submit(mbot, view, form_values(view, title="Slow check", target="channel", channel="C2"), view_id="VS")
    assert late.json["response_action"] == "update", late.text
    assert [(found.title, found.channel_id) for found in meetings(mbot)] == [
        ("Failed check", "C1"),
        ("Slow check", "C2"),
    ]


def test_a_prompt_to_the_owner_does_not_check_the_channel(mbot: RunningBot) -> None:
    view = open_meeting_form(mbot)
    mbot.fake.fail("conversations.info", "channel_not_found")
    answer = submit(mbot, view, form_values(view, title="DM me", target="owner", channel="CPRIV"), view_id="V1")
    assert answer.json["response_action"] == "update"
    assert mbot.fake.calls_to("conversations.info") == []
    [stored] = meetings(mbot)
    assert (stored.prompt_to, stored.channel_id) == ("owner", "CPRIV")


# -- /meeting list -------------------------------------------------------------------------------------


def test_meeting_list_shows_owned_and_registered_meetings_with_their_buttons(mbot: RunningBot) -> None:
    empty = mbot.slack.send_command("/meeting", "list").json
    assert empty["response_type"] == "ephemeral"
    assert "No meetings registered yet" in shown(empty["blocks"])

    mine = register(mbot, "Tuesday planning")
    for_owner = register(mbot, "Their retro", owner=OWNER)  # registered by me, owned by them
    theirs_for_me = register(mbot, "Clinic review", user=OWNER, owner=USER)  # registered by them, owned by me
    unrelated = register(mbot, "Not mine", user=OWNER)

    listed = mbot.slack.send_command("/meeting", "list").json
    blocks = listed["blocks"]
    assert listed["response_type"] == "ephemeral"
    cards = [b["block_id"] for b in blocks if str(b.get("block_id", "")).endswith(tuple("0123456789"))]
    assert cards == [f"meeting_{found.id}" for found in (mine, for_owner, theirs_for_me)]
    assert f"meeting_{unrelated.id}" not in str(blocks)
    assert "Your meetings (3)" in shown(blocks)
    assert "Every Tuesday at 10:00 (Europe/Berlin)" in shown([block(blocks, f"meeting_{mine.id}")])
    for found in (mine, for_owner, theirs_for_me):
        assert buttons(blocks, f"meeting_{found.id}_buttons") == [
            ids.MEETING_EDIT,
            ids.MEETING_PAUSE,
            ids.MEETING_DELETE,
        ]
        values = [el["value"] for el in block(blocks, f"meeting_{found.id}_buttons")["elements"]]
        assert values == [str(found.id)] * 3
    # the one the stranger sees is empty
    assert "No meetings registered yet" in shown(
        mbot.slack.send_command("/meeting", "list", user=STRANGER).json["blocks"]
    )


def test_pause_resume_and_delete_change_the_meeting_and_redraw_the_list_in_place(mbot: RunningBot) -> None:
    first = register(mbot, "Tuesday planning")
    second = register(mbot, "Thursday review", weekdays=["4"])

    click(mbot, ids.MEETING_PAUSE, str(first.id))
    assert meeting(mbot, first.id).paused is True
    [paused] = responses(mbot)
    assert paused.params["replace_original"] is True
    blocks = paused.params["blocks"]
    assert "Paused *Tuesday planning*" in shown(blocks)
    assert buttons(blocks, f"meeting_{first.id}_buttons") == [ids.MEETING_EDIT, ids.MEETING_RESUME, ids.MEETING_DELETE]
    assert "no questions until it is resumed" in shown([block(blocks, f"meeting_{first.id}")])
    assert buttons(blocks, f"meeting_{second.id}_buttons")[1] == ids.MEETING_PAUSE

    click(mbot, ids.MEETING_RESUME, str(first.id))
    assert meeting(mbot, first.id).paused is False
    resumed = responses(mbot, 2)[-1]
    assert buttons(resumed.params["blocks"], f"meeting_{first.id}_buttons")[1] == ids.MEETING_PAUSE

    click(mbot, ids.MEETING_DELETE, str(second.id))
    assert meeting(mbot, second.id).deleted_at == NOW
    deleted = responses(mbot, 3)[-1]
    assert deleted.params["replace_original"] is True
    assert "Deleted *Thursday review*" in shown(deleted.params["blocks"])
    assert f"meeting_{second.id}" not in str(deleted.params["blocks"])
    assert "Your meetings (1)" in shown(deleted.params["blocks"])

    # a deleted meeting's buttons (an old copy of the list) no longer do anything to it
    click(mbot, ids.MEETING_RESUME, str(second.id))
    told = responses(mbot, 4)[-1]
    assert told.params["replace_original"] is False
    assert "no longer exists" in told.params["text"]


def test_someone_elses_meeting_cannot_be_changed_by_a_stranger(mbot: RunningBot) -> None:
    found = register(mbot, "Tuesday planning", owner=OWNER)
    for n, button in enumerate((ids.MEETING_PAUSE, ids.MEETING_DELETE, ids.MEETING_EDIT), start=1):
        click(mbot, button, str(found.id), user=STRANGER)
        told = responses(mbot, n)[-1]
        assert told.params["replace_original"] is False
        assert told.params["text"] == meeting_service.NOT_ALLOWED
    unchanged = meeting(mbot, found.id)
    assert (unchanged.paused, unchanged.deleted_at) == (False, None)
    assert len(mbot.fake.calls_to("views.open")) == 1  # only the form that registered it
    # another workspace cannot reach it either, whoever clicks
    body = mbot.slack.block_action(ids.MEETING_DELETE, str(found.id), team=OTHER_TEAM, user=OWNER)
    assert mbot.slack.send_interaction(body).status == 200
    assert "no longer exists" in responses(mbot, 4)[-1].params["text"]
    assert meeting(mbot, found.id).deleted_at is None

    # its owner can, although someone else registered it
    click(mbot, ids.MEETING_PAUSE, str(found.id), user=OWNER)
    assert responses(mbot, 5)[-1].params["replace_original"] is True
    assert meeting(mbot, found.id).paused is True


def test_edit_opens_the_form_filled_in_and_saving_updates_the_same_meeting(mbot: RunningBot) -> None:
    found = register(
        mbot,
        "Clinic review",
        repeat="fortnightly",
        date="2027-03-03",
        weekdays=["3"],
        time="14:30",
        tz="America/New_York",
        lead="30",
        target="channel",
        channel="CREVIEW",
        owner=OWNER,
    )
    before = len(mbot.fake.calls_to("views.open"))
    click(mbot, ids.MEETING_EDIT, str(found.id))
    view = opened_views(mbot, before + 1)[-1]
    assert view["callback_id"] == ids.MEETING_MODAL
    assert json.loads(view["private_metadata"])["meeting_id"] == found.id
    assert element(view, ids.MEETING_TITLE_BLOCK)["initial_value"] == "Clinic review"
    assert element(view, ids.MEETING_OWNER_BLOCK)["initial_user"] == OWNER
    assert element(view, ids.MEETING_REPEAT_BLOCK)["initial_option"]["value"] == "fortnightly"
    assert element(view, ids.MEETING_DATE_BLOCK)["initial_date"] == "2027-03-03"
    assert [opt["value"] for opt in element(view, ids.MEETING_WEEKDAYS_BLOCK)["initial_options"]] == ["3"]
    assert element(view, ids.MEETING_TIME_BLOCK)["initial_time"] == "14:30"
    assert element(view, ids.MEETING_TZ_BLOCK)["initial_value"] == "America/New_York"
    assert element(view, ids.MEETING_LEAD_BLOCK)["initial_option"]["value"] == "30"
    assert element(view, ids.MEETING_TARGET_BLOCK)["initial_option"]["value"] == "channel"
    assert element(view, ids.MEETING_CHANNEL_BLOCK)["initial_conversation"] == "CREVIEW"

    answer = submit(
        mbot, view, form_values(view, title="Clinic review (all)", time="15:00", weekdays=["3", "5"]), view_id="VE"
    )
    assert answer.json["response_action"] == "update"
    assert "Saved" in shown(answer.json["view"]["blocks"])
    [edited] = meetings(mbot)
    assert edited.id == found.id
    assert (edited.title, edited.at_time, edited.weekdays, edited.repeat, edited.tz) == (
        "Clinic review (all)",
        time(15, 0),
        "3,5",
        "fortnightly",
        "America/New_York",
    )
    assert (edited.owner_id, edited.created_by, edited.channel_id, edited.lead_minutes) == (OWNER, USER, "CREVIEW", 30)
    # the list it was edited from is redrawn in place
    [redrawn] = responses(mbot)
    assert redrawn.params["replace_original"] is True
    assert "Saved." in shown(redrawn.params["blocks"])
    assert "Clinic review (all)" in shown(redrawn.params["blocks"])

    # a bad edit is a field error and leaves the meeting as it was
    bad = submit(mbot, view, form_values(view, weekdays=[]), view_id="VE2")
    assert list(bad.json["errors"]) == [ids.MEETING_WEEKDAYS_BLOCK]
    assert meeting(mbot, found.id).weekdays == "3,5"


# -- /meeting now --------------------------------------------------------------------------------------


def add_groups(bot: RunningBot, *names: str, team: str = TEAM) -> list[GroupOption]:
    return [group_service.add_group(bot.deps, team_id=team, name=name, by=USER) for name in names]


def sent_prompts(bot: RunningBot) -> list[MeetingPrompt]:
    return [found for found in prompts(bot) if found.message_ts]


def prompt_ts(bot: RunningBot, prompt_id: int) -> str | None:
    return next(found.message_ts for found in prompts(bot) if found.id == prompt_id)


def meeting_now(bot: RunningBot, title: str = "Sprint review") -> Call:
    """`/meeting now <title>`: the question as posted, once the bot has recorded where it went."""
    before = len(bot.fake.calls_to("chat.postMessage"))
    sent_before = len(sent_prompts(bot))
    answer = bot.slack.send_command("/meeting", f"now {title}".strip())
    assert (answer.status, answer.text) == (200, "")
    post = bot.fake.wait_for("chat.postMessage", before + 1)[-1]
    eventually(lambda: len(sent_prompts(bot)) > sent_before)
    return post


def test_meeting_now_asks_the_opening_question_in_the_channel_once(mbot: RunningBot) -> None:
    add_groups(mbot, "Small clinics", "Hospitals")
    body = mbot.slack.command_body("/meeting", "now Sprint review")
    answer = mbot.slack.post_form(urlencode(body))
    assert (answer.status, answer.text) == (200, "")
    [post] = mbot.fake.wait_for("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    assert "Sprint review" in post.params["text"]
    text = shown(post.params["blocks"])
    assert meeting_service.OPENING_QUESTION in text
    assert meeting_service.TEAM_QUESTION in text
    for line in ("Small clinics", "Hospitals", "Customers outside any group", "Each of us, and the team"):
        assert line in text
    assert text.index("Hospitals") < text.index("Small clinics") < text.index("Customers outside any group")
    assert question_service.DEFAULT_QUESTIONS[0] in text  # the follow-up question
    [prompt] = eventually(lambda: sent_prompts(mbot))
    answer_buttons = [el for b in post.params["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert [(el["action_id"], el["value"]) for el in answer_buttons] == [(ids.MEETING_ANSWER, str(prompt.id))]
    assert (prompt.title, prompt.meeting_id, prompt.created_by) == ("Sprint review", None, USER)
    assert (prompt.channel, prompt.sent_at) == (CHANNEL, NOW)
    assert str(prompt.message_ts).startswith("1700000000.")  # the ts Slack gave the post
    assert prompt.question_text == question_service.DEFAULT_QUESTIONS[0]

    # the same command delivered again posts nothing more (the next command's post comes after it)
    again = mbot.slack.post_form(urlencode(body))
    assert (again.status, again.text) == (200, "")
    meeting_now(mbot, "Retro")
    posted = [call.params["text"] for call in mbot.fake.calls_to("chat.postMessage")]
    assert [text.split(":")[0] for text in posted] == ["Sprint review", "Retro"]
    assert [found.title for found in prompts(mbot)] == ["Sprint review", "Retro"]


def test_a_repeat_of_meeting_now_while_the_first_post_is_on_its_way_posts_once(mbot: RunningBot) -> None:
    slow = Reply(body={"ok": True, "channel": CHANNEL, "ts": "1700000000.999999"}, delay=1.5)
    mbot.fake.script("chat.postMessage", slow)
    body = mbot.slack.command_body("/meeting", "now Sprint review")
    assert mbot.slack.post_form(urlencode(body)).status == 200
    mbot.fake.wait_for("chat.postMessage")  # the first post has reached Slack, which is slow to answer
    assert mbot.slack.post_form(urlencode(body)).status == 200
    eventually(lambda: [found for found in prompts(mbot) if found.message_ts == "1700000000.999999"])
    assert len(prompts(mbot)) == 1
    assert len(mbot.fake.calls_to("chat.postMessage")) == 1


def test_meeting_now_in_a_channel_without_the_bot_tells_the_person_how_to_add_it(mbot: RunningBot) -> None:
    mbot.fake.fail("chat.postMessage", "not_in_channel")
    answer = mbot.slack.send_command("/meeting", "now Sprint review", channel="CNOBOT")
    assert (answer.status, answer.text) == (200, "")
    [told] = responses(mbot, name="meeting")
    assert told.params["response_type"] == "ephemeral"
    assert told.params["replace_original"] is False
    assert "<#CNOBOT>" in told.params["text"]
    assert "/invite @Customer Mindset" in told.params["text"]
    [prompt] = prompts(mbot)
    assert (prompt.message_ts, prompt.sent_at) == (None, None)  # not sent: it does not count as asked


def test_meeting_now_without_a_title_and_help(mbot: RunningBot) -> None:
    post = meeting_now(mbot, "")
    assert "This meeting" in post.params["text"]
    help_text = mbot.slack.send_command("/meeting", "help").json["text"]
    assert "/meeting list" in help_text and "/meeting now" in help_text and "/mindset questions" in help_text
    unknown = mbot.slack.send_command("/meeting", "later please").json
    assert unknown["response_type"] == "ephemeral"
    assert "I don't know `/meeting later please`" in unknown["text"]


def test_a_title_cannot_ping_the_channel(mbot: RunningBot) -> None:
    post = meeting_now(mbot, "<!channel> review & <@U999>")
    everything = str(post.params["blocks"]) + post.params["text"]
    assert "&lt;!channel&gt;" in str(post.params["blocks"])
    assert "<!channel>" not in everything
    assert "<@U999>" not in everything


# -- answering -----------------------------------------------------------------------------------------


def open_answer_form(bot: RunningBot, post: Call, *, user: str = USER) -> dict[str, Any]:
    prompt_id = next(el["value"] for b in post.params["blocks"] if b["type"] == "actions" for el in b["elements"])
    before = len(bot.fake.calls_to("views.open"))
    click(bot, ids.MEETING_ANSWER, prompt_id, user=user, message=post, ts=prompt_ts(bot, int(prompt_id)))
    view = opened_views(bot, before + 1)[-1]
    assert view["callback_id"] == ids.MEETING_ANSWER_MODAL
    return view


def answer_block(subject: str) -> str:
    return f"{ids.ANSWER_BLOCK_PREFIX}{subject}"


def answer_values(view: dict[str, Any], **texts: str | None) -> dict[str, Any]:
    """The answer form as shown, with the given subjects' texts typed (keys: group ids as g<id>, outside, team)."""
    values = form_values(view)
    for key, text in texts.items():
        subject = meeting_service.group_subject(int(key[1:])) if key.startswith("g") else key
        values[answer_block(subject)] = {ids.ANSWER_INPUT: {"type": "plain_text_input", "value": text}}
    return values


def test_an_empty_answer_form_says_nothing_was_saved(mbot: RunningBot) -> None:
    add_groups(mbot, "Small clinics")
    post = meeting_now(mbot)
    view = open_answer_form(mbot, post)

    answer = submit(mbot, view, answer_values(view), view_id="VA0")

    assert answer.json["response_action"] == "errors"
    assert "Nothing was saved" in " ".join(answer.json["errors"].values())
    assert answers(mbot) == []


def test_answering_stores_answers_per_group_and_shows_them_in_the_prompt_escaped(mbot: RunningBot) -> None:
    clinics, hospitals = add_groups(mbot, "Small clinics", "Hospitals")
    add_groups(mbot, "Foreign group", team=OTHER_TEAM)
    post = meeting_now(mbot)
    [prompt] = prompts(mbot)

    view = open_answer_form(mbot, post)
    fields = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert fields == [
        answer_block(meeting_service.group_subject(hospitals.id)),
        answer_block(meeting_service.group_subject(clinics.id)),
        answer_block("outside"),
        answer_block("team"),
    ]
    assert json.loads(view["private_metadata"])["prompt_id"] == prompt.id
    assert "Foreign group" not in shown(view["blocks"])

    clinic_answer = "They get their refunds a day sooner <!channel>"
    values = answer_values(
        view,
        **{
            f"g{clinics.id}": clinic_answer,
            "outside": "New sign-ups see the shorter form",
            "team": "We stop the rework",
        },
    )
    answer = submit(mbot, view, values, view_id="VA1")
    assert answer.text == ""
    stored = answers(mbot)
    assert [(a.subject, a.group_id, a.text, a.answered_by, a.prompt_id) for a in stored] == [
        (meeting_service.group_subject(clinics.id), clinics.id, clinic_answer, USER, prompt.id),
        ("outside", None, "New sign-ups see the shorter form", USER, prompt.id),
        ("team", None, "We stop the rework", USER, prompt.id),
    ]

    # the prompt's message is updated in place, the answer escaped
    [update] = mbot.fake.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (CHANNEL, prompt.message_ts)
    text = shown(update.params["blocks"])
    assert "They get their refunds a day sooner &lt;!channel&gt;" in text
    assert "<!channel>" not in str(update.params["blocks"]) + update.params["text"]
    assert "New sign-ups see the shorter form" in text
    assert "No answer yet" in text  # the hospitals
    make_action = [
        b["accessory"]["value"]
        for b in update.params["blocks"]
        if (b.get("accessory") or {}).get("action_id") == ids.MEETING_ANSWER_TO_ACTION
    ]
    assert make_action == [str(found.id) for found in stored]


def test_answering_again_prefills_the_form_and_an_emptied_field_removes_the_answer(mbot: RunningBot) -> None:
    [clinics] = add_groups(mbot, "Small clinics")
    post = meeting_now(mbot)
    view = open_answer_form(mbot, post)
    submit(mbot, view, answer_values(view, **{f"g{clinics.id}": "Faster refunds", "team": "Less rework"}), view_id="V1")
    mbot.fake.wait_for("chat.update")

    # someone else completes it: the form shows what was answered so far
    again = open_answer_form(mbot, post, user=OWNER)
    clinic_field = element(again, answer_block(meeting_service.group_subject(clinics.id)))
    assert clinic_field["initial_value"] == "Faster refunds"
    assert element(again, answer_block("team"))["initial_value"] == "Less rework"
    assert "initial_value" not in element(again, answer_block("outside"))
    values = answer_values(again, **{f"g{clinics.id}": "Faster refunds, and a call", "team": None, "outside": "  "})
    submit(mbot, again, values, view_id="V2", user=OWNER)
    stored = answers(mbot)
    assert [(a.subject, a.text, a.answered_by) for a in stored] == [
        (meeting_service.group_subject(clinics.id), "Faster refunds, and a call", OWNER)
    ]
    update = mbot.fake.wait_for("chat.update", 2)[-1]
    assert "Less rework" not in shown(update.params["blocks"])
    assert "Faster refunds, and a call" in shown(update.params["blocks"])


def test_two_people_answering_at_once_keep_both_answers(mbot: RunningBot) -> None:
    clinics, hospitals = add_groups(mbot, "Small clinics", "Hospitals")
    post = meeting_now(mbot)
    mine = open_answer_form(mbot, post)
    theirs = open_answer_form(mbot, post, user=OWNER)  # opened before I saved: my field is empty there
    submit(mbot, mine, answer_values(mine, **{f"g{clinics.id}": "Refunds a day sooner"}), view_id="V1")
    submit(mbot, theirs, answer_values(theirs, **{f"g{hospitals.id}": "One contact person"}), view_id="V2", user=OWNER)
    assert sorted((a.group_id, a.text, a.answered_by) for a in answers(mbot)) == sorted(
        [(clinics.id, "Refunds a day sooner", USER), (hospitals.id, "One contact person", OWNER)]
    )


def test_a_too_long_answer_is_a_field_error_and_a_forged_group_is_ignored(mbot: RunningBot) -> None:
    [clinics] = add_groups(mbot, "Small clinics")
    [foreign] = add_groups(mbot, "Their customers", team=OTHER_TEAM)
    post = meeting_now(mbot)
    view = open_answer_form(mbot, post)

    too_long = "x" * (meeting_service.ANSWER_MAX + 1)
    refused = submit(mbot, view, answer_values(view, **{f"g{clinics.id}": too_long, "team": "fine"}), view_id="V1")
    assert refused.json["response_action"] == "errors"
    clinic_block = answer_block(meeting_service.group_subject(clinics.id))
    assert list(refused.json["errors"]) == [clinic_block]
    assert "2000 characters" in refused.json["errors"][clinic_block]
    assert answers(mbot) == []
    exactly = submit(
        mbot, view, answer_values(view, **{f"g{clinics.id}": "y" * meeting_service.ANSWER_MAX}), view_id="V2"
    )
    assert exactly.text == ""
    assert [len(a.text) for a in answers(mbot)] == [meeting_service.ANSWER_MAX]

    forged = answer_values(
        view, **{f"g{foreign.id}": "Not ours to answer", f"g{clinics.id}": "Still ours", "outside": "Ours"}
    )
    submit(mbot, view, forged, view_id="V3")
    mbot.fake.wait_for("chat.update", 2)
    assert sorted(a.subject for a in answers(mbot)) == sorted([meeting_service.group_subject(clinics.id), "outside"])
    assert all(a.group_id != foreign.id for a in answers(mbot))


def test_an_answer_becomes_an_action_item_linked_to_it(mbot: RunningBot) -> None:
    clinics, _hospitals = add_groups(mbot, "Small clinics", "Hospitals")
    post = meeting_now(mbot)
    view = open_answer_form(mbot, post)
    submit(mbot, view, answer_values(view, **{f"g{clinics.id}": "Call the three clinics about refunds"}), view_id="V1")
    [update] = mbot.fake.wait_for("chat.update")
    [answer_row] = answers(mbot)

    before = len(mbot.fake.calls_to("views.open"))
    click(mbot, ids.MEETING_ANSWER_TO_ACTION, str(answer_row.id), message=update)
    action_view = opened_views(mbot, before + 1)[-1]
    assert action_view["callback_id"] == ids.ACTION_MODAL
    assert element(action_view, ids.ACTION_TITLE_BLOCK)["initial_value"] == "Call the three clinics about refunds"
    groups = element(action_view, ids.ACTION_GROUPS_BLOCK)["initial_options"]
    assert [opt["value"] for opt in groups] == [str(clinics.id)]
    assert "From the meeting: Sprint review" in shown(action_view["blocks"])

    action_fields = {"due": ids.ACTION_DUE_BLOCK}
    values = form_values(action_view, fields=action_fields, due="2027-03-15")
    saved = submit(mbot, action_view, values, view_id="VACT")
    assert saved.json["response_action"] == "update", saved.text
    with mbot.deps.session_factory() as session:
        [item] = session.scalars(select(ActionItem)).all()
        assert (item.title, item.source, item.source_answer_id) == (
            "Call the three clinics about refunds",
            "meeting",
            answer_row.id,
        )
        assert [group.name for group in item.groups] == ["Small clinics"]
        assert (item.owner_id, item.due_date) == (USER, date(2027, 3, 15))


def test_a_forged_answer_of_another_workspace_gives_a_manual_item(mbot: RunningBot) -> None:
    theirs = meeting_service.start_prompt_now(
        mbot.deps, team_id=OTHER_TEAM, user_id=OWNER, channel_id="CTHEIRS", title="Their meeting", key="k1"
    )
    card = meeting_service.save_answers(
        mbot.deps, team_id=OTHER_TEAM, prompt_id=theirs.id, user_id=OWNER, texts={"team": "Their secret plan"}
    )
    [their_answer] = card.answers

    # the buttons, clicked from our workspace, reveal neither their answer nor their prompt
    click(mbot, ids.MEETING_ANSWER_TO_ACTION, str(their_answer.id))
    [told] = responses(mbot)
    assert "could not find that answer" in told.params["text"]
    click(mbot, ids.MEETING_ANSWER, str(theirs.id))
    told_again = responses(mbot, 2)[-1]
    assert "could not find that question" in told_again.params["text"]
    assert mbot.fake.calls_to("views.open") == []

    # a form whose metadata was forged to point at it makes a plain manual item
    before = len(mbot.fake.calls_to("views.open"))
    mbot.slack.send_command("/action", "Sneaky")
    action_view = opened_views(mbot, before + 1)[-1]
    action_view["private_metadata"] = json.dumps({"source": "meeting", "answer_id": their_answer.id})
    saved = submit(
        mbot,
        action_view,
        form_values(action_view, fields={"due": ids.ACTION_DUE_BLOCK}, due="2027-03-15"),
        view_id="VF",
    )
    assert saved.json["response_action"] == "update", saved.text
    with mbot.deps.session_factory() as session:
        [item] = session.scalars(select(ActionItem)).all()
        assert (item.title, item.source, item.source_answer_id) == ("Sneaky", "manual", None)


# -- /mindset questions --------------------------------------------------------------------------------


def question_rows(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(text, retire button value) of each question listed."""
    return [
        (b["text"]["text"].removeprefix("• "), b["accessory"]["value"])
        for b in blocks
        if str(b.get("block_id", "")).startswith("question_")
    ]


def test_questions_are_listed_added_and_retired(mbot: RunningBot) -> None:
    mbot.fake.add_user(USER, role="admin", tz="Europe/Berlin")  # retiring is a workspace setting: an admin does it
    listed = mbot.slack.send_command("/mindset", "questions").json
    assert listed["response_type"] == "ephemeral"
    rows = question_rows(listed["blocks"])
    assert [text for text, _ in rows] == list(question_service.DEFAULT_QUESTIONS)
    assert "Follow-up questions (6)" in shown(listed["blocks"])
    add_buttons = [el for b in listed["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert [el["action_id"] for el in add_buttons] == [ids.QUESTION_ADD]

    # Add a question: button, form, submit; the list is redrawn in place
    click(mbot, ids.QUESTION_ADD, "add")
    [view] = opened_views(mbot, 1)
    assert view["callback_id"] == ids.QUESTION_ADD_MODAL
    fields = {"text": ids.QUESTION_TEXT_BLOCK}
    new = "Which customer would we call first about this?"
    added = submit(mbot, view, form_values(view, fields=fields, text=new), view_id="VQ1")
    assert added.text == ""
    [redrawn] = responses(mbot)
    assert redrawn.params["replace_original"] is True
    assert "Added: _Which customer would we call first about this?_" in shown(redrawn.params["blocks"])
    assert [text for text, _ in question_rows(redrawn.params["blocks"])] == [*question_service.DEFAULT_QUESTIONS, new]

    # the same question again (other case and spacing) is a field error
    duplicate = submit(
        mbot,
        view,
        form_values(view, fields=fields, text="  which customer would WE call first   about this? "),
        view_id="VQ2",
    )
    assert duplicate.json["response_action"] == "errors"
    assert "already in the library" in duplicate.json["errors"][ids.QUESTION_TEXT_BLOCK]
    empty = submit(mbot, view, form_values(view, fields=fields, text="   "), view_id="VQ3")
    assert list(empty.json["errors"]) == [ids.QUESTION_TEXT_BLOCK]
    assert len(question_service.list_questions(mbot.deps, team_id=TEAM)) == 7

    # Retire the first: it leaves the list and the next prompt asks another
    first_text, first_id = question_rows(redrawn.params["blocks"])[0]
    click(mbot, ids.QUESTION_RETIRE, first_id)
    retired = responses(mbot, 2)[-1]
    assert retired.params["replace_original"] is True
    assert f"Retired: _{first_text}_" in shown(retired.params["blocks"])
    assert first_text not in [text for text, _ in question_rows(retired.params["blocks"])]

    post = meeting_now(mbot)
    assert first_text not in shown(post.params["blocks"])
    assert question_service.DEFAULT_QUESTIONS[1] in shown(post.params["blocks"])
    [prompt] = prompts(mbot)
    assert prompt.question_text == question_service.DEFAULT_QUESTIONS[1]
