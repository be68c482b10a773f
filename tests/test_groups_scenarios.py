"""`/mindset groups` end to end: list, add, rename and archive customer groups; and `/mindset` help."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.services import groups as group_service
from storage.models import CustomerGroup, Entry
from tests.conftest import RunningBot
from tests.fake_slack import Call, FakeSlack
from tests.slack_requests import TEAM, USER, Answer

OTHER_TEAM = "T999"


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _admin(fake_slack: FakeSlack) -> None:
    """The person renaming and archiving groups here is a workspace admin (others are refused: test_admins.py)."""
    fake_slack.add_user(USER, role="admin")


def groups(bot: RunningBot, team_id: str = TEAM) -> list[CustomerGroup]:
    with bot.deps.session_factory() as session:
        return list(
            session.scalars(select(CustomerGroup).where(CustomerGroup.team_id == team_id).order_by(CustomerGroup.id))
        )


def active_names(bot: RunningBot) -> list[str]:
    return [group.name for group in groups(bot) if group.archived_at is None]


def shown_text(blocks: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            parts.append(b["text"]["text"])
        for element in b.get("elements") or []:
            text = element.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(parts)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [element for b in blocks if b["type"] == "actions" for element in b["elements"]]


def listed_groups(blocks: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The group rows of a list: the name shown, and the overflow menu's option values."""
    return {
        b["text"]["text"].removeprefix("• ").split("  ·  ")[0]: [
            option["value"] for option in b["accessory"]["options"]
        ]
        for b in blocks
        if b.get("accessory", {}).get("action_id") == ids.GROUP_MENU
    }


def name_values(name: str) -> dict[str, dict[str, Any]]:
    return {ids.GROUP_NAME_BLOCK: {ids.GROUP_NAME_INPUT: {"type": "plain_text_input", "value": name}}}


def list_groups_command(bot: RunningBot) -> dict[str, Any]:
    answer = bot.slack.send_command("/mindset", "groups")
    assert answer.status == 200
    reply: dict[str, Any] = answer.json
    assert reply["response_type"] == "ephemeral"
    return reply


def click(bot: RunningBot, action_id: str, value: str = "", *, option: str | None = None) -> Answer:
    message = {"type": "message", "ts": "1700000000.999999", "text": "", "blocks": []}
    selected = {"text": {"type": "plain_text", "text": "x"}, "value": option} if option else None
    answer = bot.slack.send_interaction(
        bot.slack.block_action(action_id, value, message=message, selected_option=selected)
    )
    assert answer.status == 200
    return answer


def opened(bot: RunningBot, count: int = 1) -> dict[str, Any]:
    view: dict[str, Any] = bot.fake.wait_for("views.open", count)[count - 1].params["view"]
    return view


def submit(bot: RunningBot, view: dict[str, Any], name: str, *, view_id: str) -> Answer:
    return bot.slack.send_interaction(bot.slack.view_submission(view, name_values(name), view_id=view_id))


def list_refresh(bot: RunningBot, count: int) -> Call:
    """The `count`-th replacement of the ephemeral list through the clicked message's response_url."""
    call = bot.fake.wait_for("response_url:action", count)[count - 1]
    assert call.params.get("replace_original") is True
    return call


# -- the groups list -------------------------------------------------------------------------


def test_no_groups_yet_then_add_one_through_the_button(bot: RunningBot) -> None:
    reply = list_groups_command(bot)
    assert "No customer groups yet" in reply["text"]
    assert "No customer groups yet" in shown_text(reply["blocks"])
    [add] = buttons(reply["blocks"])
    assert (add["action_id"], add["text"]["text"]) == (ids.GROUP_ADD, "Add a customer group")

    assert click(bot, ids.GROUP_ADD, add["value"]).text == ""
    view = opened(bot)
    assert view["callback_id"] == ids.GROUP_ADD_MODAL
    assert json.loads(view["private_metadata"])["response_url"] == bot.fake.response_url("action")

    answer = submit(bot, view, "  Small   clinics ", view_id="V00001")

    assert (answer.status, answer.text) == (200, "")  # the modal closes
    [group] = groups(bot)
    assert (group.name, group.created_by, group.archived_at) == ("Small clinics", USER, None)
    refreshed = list_refresh(bot, 1)
    blocks = refreshed.params["blocks"]
    assert "Added *Small clinics*" in shown_text(blocks)
    assert listed_groups(blocks) == {"Small clinics": [f"rename:{group.id}", f"archive:{group.id}"]}
    assert "No customer groups yet" not in shown_text(blocks)
    # a fresh /mindset groups shows the same
    assert listed_groups(list_groups_command(bot)["blocks"]) == {
        "Small clinics": [f"rename:{group.id}", f"archive:{group.id}"]
    }


def test_duplicate_name_is_a_field_error(bot: RunningBot) -> None:
    group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)
    # another workspace may use the same name: it is not a duplicate here
    group_service.add_group(bot.deps, team_id=OTHER_TEAM, name="Research labs", by=USER)
    click(bot, ids.GROUP_ADD, "add")
    view = opened(bot)

    answer = submit(bot, view, "small CLINICS", view_id="V00001")

    assert answer.status == 200
    assert answer.json["response_action"] == "errors"
    assert "Small clinics" in answer.json["errors"][ids.GROUP_NAME_BLOCK]
    assert active_names(bot) == ["Small clinics"]

    again = submit(bot, view, "Research labs", view_id="V00001")
    assert (again.status, again.text) == (200, "")
    assert active_names(bot) == ["Small clinics", "Research labs"]


def test_empty_name_is_a_field_error(bot: RunningBot) -> None:
    click(bot, ids.GROUP_ADD, "add")
    view = opened(bot)

    answer = submit(bot, view, "   ", view_id="V00001")

    assert answer.json["response_action"] == "errors"
    assert answer.json["errors"][ids.GROUP_NAME_BLOCK].strip()
    assert groups(bot) == []


def test_rename_through_the_menu(bot: RunningBot) -> None:
    clinics = group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)
    group_service.add_group(bot.deps, team_id=TEAM, name="Research labs", by=USER)
    options = listed_groups(list_groups_command(bot)["blocks"])["Small clinics"]
    assert f"rename:{clinics.id}" in options

    click(bot, ids.GROUP_MENU, option=f"rename:{clinics.id}")

    view = opened(bot)
    assert view["callback_id"] == ids.GROUP_RENAME_MODAL
    [name_block] = view["blocks"]
    assert name_block["element"]["initial_value"] == "Small clinics"

    taken = submit(bot, view, "RESEARCH labs", view_id="V00001")
    assert taken.json["response_action"] == "errors"
    assert "Research labs" in taken.json["errors"][ids.GROUP_NAME_BLOCK]
    assert sorted(active_names(bot)) == ["Research labs", "Small clinics"]

    answer = submit(bot, view, "Independent clinics", view_id="V00001")

    assert (answer.status, answer.text) == (200, "")
    assert sorted(active_names(bot)) == ["Independent clinics", "Research labs"]
    blocks = list_refresh(bot, 1).params["blocks"]
    assert "Renamed to *Independent clinics*" in shown_text(blocks)
    assert sorted(listed_groups(blocks)) == ["Independent clinics", "Research labs"]


def test_archive_through_the_menu_hides_the_group_everywhere(bot: RunningBot) -> None:
    clinics = group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)
    labs = group_service.add_group(bot.deps, team_id=TEAM, name="Research labs", by=USER)

    click(bot, ids.GROUP_MENU, option=f"archive:{clinics.id}")

    blocks = list_refresh(bot, 1).params["blocks"]
    assert "Archived *Small clinics*" in shown_text(blocks)
    assert listed_groups(blocks) == {"Research labs": [f"rename:{labs.id}", f"archive:{labs.id}"]}
    assert active_names(bot) == ["Research labs"]
    assert listed_groups(list_groups_command(bot)["blocks"]) == {
        "Research labs": [f"rename:{labs.id}", f"archive:{labs.id}"]
    }
    # the entry form no longer offers it
    bot.slack.send_command("/proud", "")
    form = opened(bot)
    [groups_block] = [b for b in form["blocks"] if b.get("block_id") == ids.ENTRY_GROUPS_BLOCK]
    assert [option["text"]["text"] for option in groups_block["element"]["options"]] == ["Research labs"]

    # renaming an archived group (an old list's menu) opens nothing and says so
    click(bot, ids.GROUP_MENU, option=f"rename:{clinics.id}")
    told = bot.fake.wait_for("response_url:action", 2)[1]
    assert "no longer exists" in told.params["text"]
    assert len(bot.fake.calls_to("views.open")) == 1


def test_archiving_the_last_group_leaves_the_form_without_a_group_menu(bot: RunningBot) -> None:
    clinics = group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)

    click(bot, ids.GROUP_MENU, option=f"archive:{clinics.id}")

    blocks = list_refresh(bot, 1).params["blocks"]
    assert "No customer groups yet" in shown_text(blocks)
    assert listed_groups(blocks) == {}
    bot.slack.send_command("/proud", "")
    form = opened(bot)
    assert not [b for b in form["blocks"] if b.get("block_id") == ids.ENTRY_GROUPS_BLOCK]


def test_another_workspaces_group_cannot_be_archived_or_renamed(bot: RunningBot) -> None:
    theirs = group_service.add_group(bot.deps, team_id=OTHER_TEAM, name="Their customers", by="U999")

    click(bot, ids.GROUP_MENU, option=f"archive:{theirs.id}")
    blocks = list_refresh(bot, 1).params["blocks"]
    assert "no longer exists" in shown_text(blocks)
    assert "Their customers" not in shown_text(blocks)

    click(bot, ids.GROUP_MENU, option=f"rename:{theirs.id}")
    told = bot.fake.wait_for("response_url:action", 2)[1]
    assert "no longer exists" in told.params["text"]
    assert bot.fake.calls_to("views.open") == []

    # nor through a crafted rename submission
    view = {
        "callback_id": ids.GROUP_RENAME_MODAL,
        "private_metadata": json.dumps({"group_id": theirs.id}),
        "blocks": [],
    }
    answer = submit(bot, view, "Hijacked", view_id="V00009")
    assert answer.json["response_action"] == "errors"
    [group] = groups(bot, OTHER_TEAM)
    assert (group.name, group.archived_at) == ("Their customers", None)


# -- help ------------------------------------------------------------------------------------


COMMANDS = ("/proud", "/sorry", "/mindset groups", "/mindset help")


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_mindset_and_help_list_every_command(bot: RunningBot, text: str) -> None:
    answer = bot.slack.send_command("/mindset", text)

    assert answer.status == 200
    reply = answer.json
    assert reply["response_type"] == "ephemeral"
    shown = shown_text(reply["blocks"])
    for command in COMMANDS:
        assert f"`{command}" in shown, command
        assert command in reply["text"], command
    assert "I don't know" not in shown


def test_unknown_subcommand_names_what_was_typed_escaped(bot: RunningBot) -> None:
    answer = bot.slack.send_command("/mindset", "nonsense <!channel> & more")

    assert answer.status == 200
    reply = answer.json
    assert reply["response_type"] == "ephemeral"
    shown = shown_text(reply["blocks"])
    assert "I don't know `/mindset nonsense &lt;!channel&gt; &amp; more`" in shown
    assert "<!channel>" not in shown + reply["text"]
    for command in COMMANDS:
        assert f"`{command}" in shown, command
    assert bot.fake.calls_to("chat.postMessage") == []


# -- tags ------------------------------------------------------------------------------------


def test_every_group_can_be_tagged_with_the_tag_the_list_shows(bot: RunningBot) -> None:
    """Names with spaces, `#` and letters outside ASCII each have a tag that tags them."""
    names = ["Small clinics", "#hash", "Zürich & Bern", "🚀"]
    made = {name: group_service.add_group(bot.deps, team_id=TEAM, name=name, by=USER) for name in names}
    shown = {
        b["text"]["text"].split("  ·  tag ")[0].removeprefix("• "): b["text"]["text"].split("  ·  tag ")[1].strip("`")
        for b in list_groups_command(bot)["blocks"]
        if b.get("accessory", {}).get("action_id") == ids.GROUP_MENU
    }
    assert shown == {
        "Small clinics": "#small-clinics",
        "#hash": "#hash",
        "Zürich &amp; Bern": "#zürich-bern",
        "🚀": f"#group-{made['🚀'].id}",
    }

    for tag in ["#small-clinics", "#hash", "#zürich-bern", f"#group-{made['🚀'].id}"]:
        bot.slack.send_command("/proud", f"Served them well {tag}")
    with bot.deps.session_factory() as session:
        tagged = [[group.name for group in entry.groups] for entry in session.scalars(select(Entry).order_by(Entry.id))]
    assert tagged == [[name] for name in names]


def test_ambassador_join_takes_the_tag_of_a_group_named_with_a_hash(bot: RunningBot) -> None:
    group_service.add_group(bot.deps, team_id=TEAM, name="#hash", by=USER)

    answer = bot.slack.send_command("/mindset", "ambassador join ##hash")

    assert "There is no customer group" not in answer.json["text"]
    assert "#hash" in answer.json["text"]

    wrong = bot.slack.send_command("/mindset", "ambassador join #nope")
    assert "There is no customer group `#nope`. The groups are: `#hash`" in wrong.json["text"]


def test_unknown_tags_are_named_with_a_button_that_creates_the_group_and_tags_the_entry(bot: RunningBot) -> None:
    group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)

    answer = bot.slack.send_command("/proud", "Fixed it #small-clinics #big-hospitals #1 priority")

    reply = answer.json
    assert "I did not recognise `#big-hospitals`" in reply["text"]
    assert "`#1`" not in reply["text"]  # a number is not a tag
    [create] = buttons(reply["blocks"])
    assert create["text"]["text"] == "Create group “Big hospitals”"
    bot.fake.wait_for("chat.postMessage")

    click(bot, ids.GROUP_ADD, create["value"])
    view = opened(bot)
    [name_block] = view["blocks"]
    assert name_block["element"]["initial_value"] == "Big hospitals"
    assert (submit(bot, view, "Big hospitals", view_id="V00001").text) == ""

    told = bot.fake.wait_for("response_url:action")[0].params
    assert "tagged with it" in told["text"]
    [update] = bot.fake.wait_for("chat.update")
    assert "Customer groups: Big hospitals, Small clinics" in str(update.params["blocks"])
    with bot.deps.session_factory() as session:
        [entry] = session.scalars(select(Entry))
        assert [group.name for group in entry.groups] == ["Big hospitals", "Small clinics"]
