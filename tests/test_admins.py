"""Who may change the workspace: roles from Slack's `users.info`, Customer Mindset admins, the record of
changes (`/mindset settings`), and archived groups and retired questions listed and restored.

The real app over HTTP against the fake Slack, on SQLite and PostgreSQL, with a clock we hold
(Wednesday 10 February 2027, 10:00 UTC).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot import ids
from bot.deps import Deps
from bot.services import admins as admin_service
from bot.services import ambassadors as ambassador_service
from bot.services import groups as group_service
from bot.services import people as people_service
from bot.services import privacy as privacy_service
from bot.services import questions as question_service
from storage.models import CustomerGroup, Holiday, MeetingQuestion, MindsetAdmin, SettingsChange, Workspace
from storage.repositories import admins as admins_repo
from tests.conftest import RunningBot, serve
from tests.engine_harness import SimClock, utc
from tests.fake_slack import Call, FakeSlack
from tests.slack_requests import CHANNEL, TEAM, USER, Answer
from tests.waiting import eventually

MEMBER = "W200"  # an ordinary member of the workspace
ADMIN = "W300"  # a workspace admin
OWNER = "W400"  # a workspace owner
PRIMARY = "W500"  # the primary owner
NAMED = "W600"  # a member a workspace admin names as a Customer Mindset admin
BOT_USER = "B700"


@pytest.fixture
def clock() -> SimClock:
    return SimClock(utc(2027, 2, 10, 10))


@pytest.fixture
def app(deps: Deps, engine: Engine, fake_slack: FakeSlack, clock: SimClock) -> Iterator[RunningBot]:
    fake_slack.add_user(USER, role="member")
    fake_slack.add_user(MEMBER, role="member", tz="Asia/Kolkata")
    fake_slack.add_user(ADMIN, role="admin", tz="Europe/Berlin")
    fake_slack.add_user(OWNER, role="owner")
    fake_slack.add_user(PRIMARY, role="primary_owner")
    fake_slack.add_user(NAMED, role="member", tz="America/New_York", profile={"display_name": "nadia"})
    fake_slack.add_user("U0BOT", role="member", is_bot=True, name="helperbot")
    timed = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=clock)
    yield from serve(timed, engine, fake_slack)


def mindset(app: RunningBot, text: str, *, user: str) -> dict[str, Any]:
    answer = app.slack.send_command("/mindset", text, user=user)
    assert answer.status == 200, answer.text
    body: dict[str, Any] = answer.json if answer.text else {}
    return body


def shown(body: dict[str, Any]) -> str:
    parts = [body.get("text") or ""]
    for block in body.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements") or []:
            text = element.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(parts)


def later_answer(app: RunningBot, count: int) -> Call:
    """The `count`-th answer sent after the command's own (through its response_url)."""
    return app.fake.wait_for("response_url:mindset", count)[count - 1]


def click(app: RunningBot, action_id: str, value: str = "", *, user: str, option: str | None = None) -> Answer:
    message = {"type": "message", "ts": "1700000000.999999", "text": "", "blocks": []}
    selected = {"text": {"type": "plain_text", "text": "x"}, "value": option} if option else None
    answer = app.slack.send_interaction(
        app.slack.block_action(action_id, value, user=user, message=message, selected_option=selected)
    )
    assert answer.status == 200
    return answer


def workspace(app: RunningBot) -> Workspace | None:
    with app.deps.session_factory() as session:
        return session.get(Workspace, TEAM)


def changes(app: RunningBot) -> list[tuple[str, str, str | None, str | None]]:
    with app.deps.session_factory() as session:
        return [
            (c.by, c.setting, c.old_value, c.new_value)
            for c in session.scalars(
                select(SettingsChange).where(SettingsChange.team_id == TEAM).order_by(SettingsChange.id)
            )
        ]


SETTINGS_CHANGES = (
    ("workdays sat-sun 02:00-03:00", "change the working days and hours"),
    ("holidays add 2027-12-25 Christmas", "add holidays"),
    ("holidays remove 2027-05-01", "remove holidays"),
    ("digest channel here", "change the digest channel"),
    ("digest channel off", "change the digest channel"),
    ("digest channel #general", "change the digest channel"),
    ("digest schedule fri 16:00", "change when the digest comes"),
    ("digest timezone Europe/Berlin", "change the workspace's time zone"),
    ("pulse schedule 2", "change when the pulse is asked"),
)


# -- an ordinary member is refused, and told who can -------------------------------------------------


@pytest.mark.parametrize(("typed", "what"), SETTINGS_CHANGES)
def test_a_member_cannot_change_workspace_settings_and_is_told_who_can(app: RunningBot, typed: str, what: str) -> None:
    assert "is now a holiday" in mindset(app, "holidays add 2027-05-01 May Day", user=ADMIN)["text"]
    admin_service.add_admin(app.deps, team_id=TEAM, user_id=NAMED, by=ADMIN)
    before_changes = changes(app)
    with app.deps.session_factory() as session:
        before = session.get(Workspace, TEAM)
        before_values = (
            (before.work_days, before.work_start, before.digest_channel, before.digest_weekday, before.default_tz)
            if before
            else None
        )

    body = mindset(app, typed, user=MEMBER)

    assert body["response_type"] == "ephemeral"
    text = body["text"]
    assert text.startswith(f"You cannot {what}.")
    assert (
        f"Only the workspace's admins and owners (among them <@{ADMIN}>), and the Customer Mindset admins they "
        f"named (<@{NAMED}>), can change workspace settings. Ask one of them."
    ) in text
    after = workspace(app)
    after_values = (
        (after.work_days, after.work_start, after.digest_channel, after.digest_weekday, after.default_tz)
        if after
        else None
    )
    assert after_values == before_values
    with app.deps.session_factory() as session:
        assert [h.name for h in session.scalars(select(Holiday))] == ["May Day"]
    assert changes(app) == before_changes  # nothing recorded: nothing changed
    assert app.fake.calls_to("conversations.list") == []  # not even looked up by name


def test_reading_the_settings_is_open_to_everyone(app: RunningBot) -> None:
    for typed in (
        "workdays",
        "holidays",
        "digest channel",
        "settings",
        "admins",
        "groups archived",
        "questions retired",
    ):
        body = mindset(app, typed, user=MEMBER)
        assert "You cannot" not in shown(body), typed


def test_a_member_cannot_archive_rename_or_retire_through_the_buttons(app: RunningBot) -> None:
    group = group_service.add_group(app.deps, team_id=TEAM, name="Small clinics", by=MEMBER)
    [question, *_] = question_service.list_questions(app.deps, team_id=TEAM)

    click(app, ids.GROUP_MENU, user=MEMBER, option=f"{ids.GROUP_MENU_ARCHIVE}:{group.id}")
    click(app, ids.GROUP_MENU, user=MEMBER, option=f"{ids.GROUP_MENU_RENAME}:{group.id}")
    click(app, ids.QUESTION_RETIRE, str(question.id), user=MEMBER)
    told = app.fake.wait_for("response_url:action", 3)
    assert [call.params["text"].split(".")[0] for call in told] == [
        "You cannot archive customer groups",
        "You cannot rename customer groups",
        "You cannot retire questions",
    ]
    assert all(call.params["replace_original"] is False for call in told)  # the list stays as it was
    assert app.fake.calls_to("views.open") == []  # no rename form
    # nor through a crafted rename submission
    view = {"callback_id": ids.GROUP_RENAME_MODAL, "private_metadata": json.dumps({"group_id": group.id}), "blocks": []}
    values = {ids.GROUP_NAME_BLOCK: {ids.GROUP_NAME_INPUT: {"type": "plain_text_input", "value": "Hijacked"}}}
    answer = app.slack.send_interaction(app.slack.view_submission(view, values, view_id="V00009", user=MEMBER))
    assert answer.json["response_action"] == "errors"
    assert answer.json["errors"][ids.GROUP_NAME_BLOCK].startswith("You cannot rename customer groups.")

    with app.deps.session_factory() as session:
        stored = session.get(CustomerGroup, group.id)
        assert stored is not None and (stored.name, stored.archived_at) == ("Small clinics", None)
        kept = session.get(MeetingQuestion, question.id)
        assert kept is not None and kept.retired_at is None
    assert changes(app) == []


# -- workspace admins and owners may, and so may the people they name ---------------------------------


@pytest.mark.parametrize("who", [ADMIN, OWNER, PRIMARY])
def test_workspace_admins_and_owners_change_settings(app: RunningBot, who: str) -> None:
    body = mindset(app, "workdays sun-thu 08:00-16:00", user=who)
    assert "Working time is now *Sunday to Thursday, 08:00 to 16:00*" in body["text"]
    body = mindset(app, "digest timezone Asia/Jerusalem", user=who)
    assert "The workspace's time zone is now Asia/Jerusalem" in body["text"]
    assert changes(app) == [
        (who, "work_time", "1,2,3,4,5 09:00-17:00", "1,2,3,4,7 08:00-16:00"),
        (who, "time_zone", "UTC", "Asia/Jerusalem"),
    ]


def test_a_workspace_admin_names_a_mindset_admin_who_may_then_change_settings_but_not_name_others(
    app: RunningBot,
) -> None:
    assert mindset(app, "workdays mon-thu", user=NAMED)["text"].startswith("You cannot")

    assert mindset(app, f"admins add <@{NAMED}|nadia>", user=ADMIN) == {}  # Slack is asked who that is first
    told = later_answer(app, 1)
    assert told.params["text"] == (
        f":white_check_mark: <@{NAMED}> is a Customer Mindset admin now: they can change workspace settings."
    )
    assert "Working time is now *Monday to Thursday" in mindset(app, "workdays mon-thu", user=NAMED)["text"]
    # a Customer Mindset admin cannot name (or remove) others: only workspace admins and owners can
    refused = mindset(app, f"admins add <@{MEMBER}>", user=NAMED)["text"]
    assert refused == (
        "You cannot add Customer Mindset admins: only the workspace's admins and owners can name Customer "
        "Mindset admins."
    )
    assert mindset(app, f"admins remove <@{NAMED}>", user=MEMBER)["text"].startswith("You cannot remove")

    listed = mindset(app, "admins", user=MEMBER)["text"]
    assert f"• <@{NAMED}>, named by <@{ADMIN}> on 10 February 2027" in listed

    removed = mindset(app, f"admins remove <@{NAMED}>", user=OWNER)["text"]
    assert removed == f"<@{NAMED}> is no longer a Customer Mindset admin."
    assert mindset(app, "workdays mon-fri", user=NAMED)["text"].startswith("You cannot")
    assert [c for c in changes(app) if c[1].startswith("admin")] == [
        (ADMIN, "admin_added", None, NAMED),
        (OWNER, "admin_removed", NAMED, None),
    ]


def test_admins_are_named_by_name_too_and_must_be_active_people(app: RunningBot) -> None:
    mindset(app, "admins add @nadia", user=ADMIN)  # a display name: looked up after the answer
    assert later_answer(app, 1).params["text"].startswith(f":white_check_mark: <@{NAMED}> is a Customer Mindset")
    mindset(app, "admins add @nadia", user=ADMIN)
    assert later_answer(app, 2).params["text"] == f"<@{NAMED}> already is a Customer Mindset admin; nothing changed."
    mindset(app, "admins add <@U0BOT>", user=ADMIN)
    assert later_answer(app, 3).params["text"] == "<@U0BOT> is a bot: only people can be Customer Mindset admins."
    mindset(app, "admins add @nobody-here", user=ADMIN)
    assert "could not find @nobody-here" in later_answer(app, 4).params["text"]
    assert "is not a person" in mindset(app, "admins add <!channel>", user=ADMIN)["text"]
    assert "`/mindset admins add @someone`" in mindset(app, "admins add", user=ADMIN)["text"]
    with app.deps.session_factory() as session:
        assert [a.user_id for a in session.scalars(select(MindsetAdmin))] == [NAMED]


def test_the_role_is_read_from_slack_once_and_again_when_it_is_stale(app: RunningBot, clock: SimClock) -> None:
    mindset(app, "workdays mon-thu", user=ADMIN)
    mindset(app, "workdays mon-fri", user=ADMIN)
    asked = [c for c in app.fake.calls_to("users.info") if c.params["user"] == ADMIN]
    assert len(asked) == 1  # kept, not asked for each change

    # Slack takes the admin rights away; a little later the bot has read it again and refuses
    app.fake.add_user(ADMIN, role="member", tz="Europe/Berlin")
    clock.now += admin_service.ROLE_FRESH_FOR + timedelta(minutes=1)
    assert mindset(app, "workdays mon-thu", user=ADMIN)["text"].startswith("You cannot")
    assert len([c for c in app.fake.calls_to("users.info") if c.params["user"] == ADMIN]) == 2


def test_when_slack_cannot_say_the_change_is_refused_kindly(app: RunningBot) -> None:
    app.fake.fail("users.info", "fatal_error")
    body = mindset(app, "workdays mon-thu", user=ADMIN)
    assert body["text"] == (
        "I could not check with Slack whether you are a workspace admin just now. Try again in a minute."
    )
    assert workspace(app) is None


# -- /mindset settings: the values now, and the last changes in the reader's time zone -----------------


def test_settings_show_the_current_values_and_the_last_changes_in_the_readers_time_zone(
    app: RunningBot, clock: SimClock
) -> None:
    mindset(app, "workdays sat-sun 02:00-03:00", user=ADMIN)
    clock.now += timedelta(minutes=30)
    mindset(app, "digest schedule fri 16:00", user=ADMIN)
    mindset(app, "digest channel here", user=ADMIN)
    # the channel is set once Slack has shown the bot it (after the answer): then the next change
    eventually(lambda: ambassador_service.digest_settings(app.deps, team_id=TEAM).channel == CHANNEL)
    mindset(app, "holidays add 2027-12-25 Christmas <!here>", user=ADMIN)

    body = mindset(app, "settings", user=MEMBER)  # a member in Asia/Kolkata (UTC+05:30) reads them
    text = shown(body)
    assert "• Working time for nudges: Saturday and Sunday, 02:00 to 03:00" in text
    assert "• Holidays: 1 to come, the next on Saturday 25 December 2027 (Christmas &lt;!here&gt;)" in text
    assert f"• Weekly digest: Fridays at 16:00, to ambassadors by DM and in <#{CHANNEL}>" in text
    assert "• Workspace time zone: UTC" in text
    assert "*Last changes* (times in your time zone, Asia/Kolkata)" in text
    lines = [line for line in text.splitlines() if line.startswith("• Wed 10 Feb 2027")]
    assert lines == [
        f"• Wed 10 Feb 2027, 16:00: <@{ADMIN}> added the holiday Saturday 25 December 2027 (Christmas &lt;!here&gt;)",
        f"• Wed 10 Feb 2027, 16:00: <@{ADMIN}> digest channel: no channel → <#{CHANNEL}>",
        f"• Wed 10 Feb 2027, 16:00: <@{ADMIN}> digest day and time: Mondays at 09:00 → Fridays at 16:00",
        f"• Wed 10 Feb 2027, 15:30: <@{ADMIN}> working time: Monday to Friday, 09:00 to 17:00 → Saturday and "
        "Sunday, 02:00 to 03:00",
    ]
    # the admin in Berlin reads the same change at their own time
    assert "• Wed 10 Feb 2027, 11:00:" in shown(mindset(app, "settings", user=ADMIN))


def test_every_kind_of_change_is_recorded_with_who_and_old_and_new(app: RunningBot) -> None:
    deps = app.deps
    today = utc(2027, 2, 10).date()
    people_service.set_work_time(deps, team_id=TEAM, by=ADMIN, days={1, 2, 3}, start=time(8), end=time(12))
    people_service.set_work_time(deps, team_id=TEAM, by=ADMIN, days={1, 2, 3}, start=time(8), end=time(12))  # same
    people_service.add_holiday(
        deps, team_id=TEAM, by=ADMIN, day=today + timedelta(days=3), name="Carnival", today=today
    )
    people_service.remove_holiday(deps, team_id=TEAM, by=OWNER, day=today + timedelta(days=3))
    ambassador_service.set_digest_channel(deps, team_id=TEAM, by=ADMIN, channel="CDIGEST")
    ambassador_service.set_digest_schedule(deps, team_id=TEAM, by=ADMIN, weekday=3, at=time(7, 30))
    ambassador_service.set_workspace_zone(deps, team_id=TEAM, by=ADMIN, zone_name="Europe/Lisbon")
    group = group_service.add_group(deps, team_id=TEAM, name="Clinics", by=MEMBER)
    group_service.rename_group(deps, team_id=TEAM, by=ADMIN, group_id=group.id, name="Small clinics")
    group_service.archive_group(deps, team_id=TEAM, by=ADMIN, group_id=group.id)
    group_service.restore_group(deps, team_id=TEAM, by=ADMIN, group_id=group.id)
    [question, *_] = question_service.list_questions(deps, team_id=TEAM)
    question_service.retire_question(deps, team_id=TEAM, by=ADMIN, question_id=question.id)
    question_service.restore_question(deps, team_id=TEAM, by=ADMIN, question_id=question.id)

    assert changes(app) == [
        (ADMIN, "work_time", "1,2,3,4,5 09:00-17:00", "1,2,3 08:00-12:00"),
        (ADMIN, "holiday_added", None, "2027-02-13 Carnival"),
        (OWNER, "holiday_removed", "2027-02-13 Carnival", None),
        (ADMIN, "digest_channel", None, "CDIGEST"),
        (ADMIN, "digest_schedule", "1 09:00", "3 07:30"),
        (ADMIN, "time_zone", "UTC", "Europe/Lisbon"),
        (ADMIN, "group_renamed", "Clinics", "Small clinics"),
        (ADMIN, "group_archived", "Small clinics", None),
        (ADMIN, "group_restored", None, "Small clinics"),
        (ADMIN, "question_retired", question.text, None),
        (ADMIN, "question_restored", None, question.text),
    ]


def test_the_record_keeps_only_the_newest_changes(deps: Deps) -> None:
    now = utc(2027, 2, 10, 10)
    with deps.session_factory() as session:
        for number in range(admins_repo.CHANGES_KEPT + 25):
            admins_repo.record_change(
                session, team_id=TEAM, by=ADMIN, setting="time_zone", old=None, new=f"zone {number}", now=now
            )
        admins_repo.record_change(session, team_id="T999", by=ADMIN, setting="time_zone", old=None, new="x", now=now)
        session.commit()
        kept = session.scalars(
            select(SettingsChange.new_value).where(SettingsChange.team_id == TEAM).order_by(SettingsChange.id)
        ).all()
        assert (
            session.scalar(select(func.count()).select_from(SettingsChange).where(SettingsChange.team_id == "T999"))
            == 1
        )
    assert len(kept) == admins_repo.CHANGES_KEPT
    assert kept[0] == "zone 25" and kept[-1] == f"zone {admins_repo.CHANGES_KEPT + 24}"


# -- archived groups and retired questions: listed and restored ---------------------------------------


def test_archived_groups_are_listed_and_restored_by_an_admin(app: RunningBot) -> None:
    group = group_service.add_group(app.deps, team_id=TEAM, name="Home care", by=MEMBER)
    group_service.archive_group(app.deps, team_id=TEAM, by=ADMIN, group_id=group.id)

    listed = mindset(app, "groups archived", user=MEMBER)
    [row] = [b for b in listed["blocks"] if (b.get("accessory") or {}).get("action_id") == ids.GROUP_RESTORE]
    assert row["text"]["text"] == "• Home care"
    assert row["accessory"]["value"] == str(group.id)

    click(app, ids.GROUP_RESTORE, str(group.id), user=MEMBER)
    refused = app.fake.wait_for("response_url:action", 1)[0]
    assert refused.params["text"].startswith("You cannot restore customer groups.")
    assert group_service.list_options(app.deps, team_id=TEAM) == []

    click(app, ids.GROUP_RESTORE, str(group.id), user=ADMIN)
    redrawn = app.fake.wait_for("response_url:action", 2)[1]
    assert redrawn.params["replace_original"] is True
    assert "Restored *Home care*." in shown(redrawn.params)
    assert "No archived customer groups." in shown(redrawn.params)
    assert [o.name for o in group_service.list_options(app.deps, team_id=TEAM)] == ["Home care"]


def test_retired_questions_are_listed_and_restored_by_an_admin(app: RunningBot) -> None:
    [question, *_] = question_service.list_questions(app.deps, team_id=TEAM)
    question_service.retire_question(app.deps, team_id=TEAM, by=ADMIN, question_id=question.id)
    assert question.id not in [q.id for q in question_service.list_questions(app.deps, team_id=TEAM)]

    listed = mindset(app, "questions retired", user=MEMBER)
    [row] = [b for b in listed["blocks"] if (b.get("accessory") or {}).get("action_id") == ids.QUESTION_RESTORE]
    assert row["text"]["text"] == f"• {question.text}"

    click(app, ids.QUESTION_RESTORE, str(question.id), user=MEMBER)
    assert app.fake.wait_for("response_url:action", 1)[0].params["text"].startswith("You cannot restore questions.")
    click(app, ids.QUESTION_RESTORE, str(question.id), user=OWNER)
    redrawn = app.fake.wait_for("response_url:action", 2)[1]
    assert f"Restored: _{question.text}_" in shown(redrawn.params)
    assert question.id in [q.id for q in question_service.list_questions(app.deps, team_id=TEAM)]


# -- forgetting a person who changed settings or was an admin -----------------------------------------


def test_forgetting_a_person_removes_them_from_the_admins_and_the_record(app: RunningBot) -> None:
    admin_service.add_admin(app.deps, team_id=TEAM, user_id=NAMED, by=ADMIN)
    admin_service.add_admin(app.deps, team_id=TEAM, user_id=MEMBER, by=NAMED)
    ambassador_service.set_workspace_zone(app.deps, team_id=TEAM, by=NAMED, zone_name="Europe/Oslo")

    copy = json.loads(privacy_service.my_data_json(app.deps, team_id=TEAM, user_id=NAMED))
    assert [(c["setting"], c["old"], c["new"]) for c in copy["settings_changes_made"]] == [
        ("admin_added", None, MEMBER),
        ("time_zone", "UTC", "Europe/Oslo"),
    ]

    privacy_service.forget(app.deps, team_id=TEAM, user_id=NAMED)

    with app.deps.session_factory() as session:
        assert [(a.user_id, a.added_by) for a in session.scalars(select(MindsetAdmin))] == [(MEMBER, "forgotten")]
    assert changes(app) == [
        (ADMIN, "admin_added", None, "forgotten"),
        ("forgotten", "admin_added", None, MEMBER),
        ("forgotten", "time_zone", "UTC", "Europe/Oslo"),
    ]
    assert "someone since forgotten" in shown(mindset(app, "settings", user=MEMBER))


# -- the help and the README say the same ----------------------------------------------------------------


NEW_COMMANDS = (
    "/mindset settings",
    "/mindset admins",
    "/mindset admins add @someone",
    "/mindset admins remove @someone",
    "/mindset groups archived",
    "/mindset questions retired",
)


def test_the_help_and_the_readme_list_who_may_change_the_workspace_and_its_commands(app: RunningBot) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = [line for line in readme.splitlines() if line.startswith("| `/mindset")]
    help_shown = shown(mindset(app, "help", user=MEMBER))
    for command in NEW_COMMANDS:
        assert any(line.startswith(f"| `{command}`") for line in table), command
        assert f"`{command}`" in help_shown, command
    assert "*Who may change the workspace*" in help_shown
    assert "the workspace's admins and owners may change them, and so may the Customer Mindset admins" in help_shown
    assert "**Who may change the workspace.**" in readme
