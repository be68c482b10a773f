"""Workflow Builder steps end to end: a signed `function_executed` event in, the entry or action item stored
and posted, the step completed with `functions.completeSuccess` (or ended with `functions.completeError` and
a sentence) with the step's own token; on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from bot import ids
from bot.app import build_app
from bot.deps import Deps
from bot.render import help as help_render
from bot.render import workflow_steps as texts
from bot.services import groups as group_service
from bot.services import privacy as privacy_service
from bot.services import workflow_steps as step_service
from storage.models import ActionItem, Entry, EntryKind
from tests import conftest
from tests.conftest import BOT_TOKEN, RunningBot, serve
from tests.fake_slack import Call, FakeSlack
from tests.fake_socket_mode import FakeSocketMode
from tests.slack_requests import FUNCTION_TOKEN, SlackSender, function_executed
from tests.test_fuzz_input import FORMS, TEXTS
from tests.test_manifest import MANIFEST
from tests.test_oauth import serve_oauth
from tests.test_socket_mode import BOT_TOKEN as SOCKET_BOT_TOKEN
from tests.test_socket_mode import SocketModeBot, hand_out_socket_url, socket_mode_process
from tests.waiting import eventually

AUTHOR = "W111"
CHANNEL = "C222"


@pytest.fixture
def step_bot(
    deps: Deps, engine: Engine, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningBot]:
    """The bot with one background worker: steps run one after another, in the order they arrived."""
    monkeypatch.setattr(conftest, "build_app", functools.partial(build_app, background_workers=1))
    yield from serve(deps, engine, fake_slack)


def run_step(bot: RunningBot, callback_id: str, inputs: dict[str, Any], **kwargs: Any) -> None:
    answer = bot.slack.send_event(function_executed(callback_id, inputs, **kwargs))
    assert answer.status == 200, answer.text
    assert "unhandled request" not in answer.text


def ended(bot: RunningBot, count: int = 1) -> list[Call]:
    """The calls that ended steps (completeSuccess or completeError), once `count` of them came."""

    def found() -> list[Call]:
        calls = [c for c in bot.fake.calls if c.method in ("functions.completeSuccess", "functions.completeError")]
        return calls if len(calls) >= count else []

    calls: list[Call] = eventually(found)
    return calls


def entries(bot: RunningBot) -> list[Entry]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(Entry).order_by(Entry.id)).all())


def proud_inputs(**changes: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        ids.STEP_TEXT: "The clinic onboarded itself in a day",
        ids.STEP_AUTHOR: AUTHOR,
        ids.STEP_CHANNEL: CHANNEL,
    }
    inputs.update(changes)
    return inputs


# -- logging a proud or a sorry ----------------------------------------------------------------------


def test_log_a_proud_step_stores_posts_and_completes_with_its_number_and_link(step_bot: RunningBot) -> None:
    bot = step_bot
    group_service.add_group(bot.deps, team_id="T111", name="Small clinics", by=AUTHOR)

    run_step(bot, ids.STEP_LOG_PROUD, proud_inputs(**{ids.STEP_GROUPS: "small clinics", ids.STEP_AREA: "Operations"}))

    [done] = ended(bot)
    [entry] = entries(bot)
    assert (entry.kind, entry.author_id, entry.channel_id) == ("proud", AUTHOR, CHANNEL)
    assert entry.text == "The clinic onboarded itself in a day"
    assert [group.name for group in entry.groups] == ["Small clinics"]
    assert entry.area == "operations"
    # posted as /proud posts, with the bot's token; completed with the step's own
    [post] = bot.fake.calls_to("chat.postMessage")
    assert (post.params["channel"], post.token) == (CHANNEL, BOT_TOKEN)
    assert entry.message_ts is not None
    assert done.method == "functions.completeSuccess"
    assert done.token == FUNCTION_TOKEN
    assert done.params["function_execution_id"] == "Fx111"
    assert done.params["outputs"] == {
        ids.STEP_ENTRY_ID: entry.id,
        ids.STEP_PERMALINK: f"https://fake.slack.com/archives/{CHANNEL}/p{entry.message_ts.replace('.', '')}",
    }


def test_log_a_sorry_step_posts_the_sorry_with_its_root_cause_button(step_bot: RunningBot) -> None:
    bot = step_bot

    run_step(bot, ids.STEP_LOG_SORRY, proud_inputs(**{ids.STEP_TEXT: "Three customers waited 2 days #refunds"}))

    [done] = ended(bot)
    [entry] = entries(bot)
    assert entry.kind == "sorry"
    assert done.method == "functions.completeSuccess"
    assert done.params["outputs"][ids.STEP_ENTRY_ID] == entry.id
    [post] = bot.fake.calls_to("chat.postMessage")
    assert ids.ADD_ROOT_CAUSE in str(post.params["blocks"])


def test_a_step_delivered_again_logs_once(step_bot: RunningBot) -> None:
    """Slack's retry of the same event, and the same run in another event: one entry, one post, one end."""
    bot = step_bot
    run_step(bot, ids.STEP_LOG_PROUD, proud_inputs(), execution_id="FxOnce", event_id="Ev1")
    ended(bot)
    bot.slack.send_event(
        function_executed(ids.STEP_LOG_PROUD, proud_inputs(), execution_id="FxOnce", event_id="Ev1"), retry_num=1
    )
    run_step(bot, ids.STEP_LOG_PROUD, proud_inputs(), execution_id="FxOnce", event_id="Ev2")
    # a later run, after which the one worker has done all of the above
    run_step(bot, ids.STEP_LOG_PROUD, proud_inputs(**{ids.STEP_TEXT: "Later"}), execution_id="FxLater")

    calls = ended(bot, 2)
    assert [call.params["function_execution_id"] for call in calls] == ["FxOnce", "FxLater"]
    assert [entry.text for entry in entries(bot)] == ["The clinic onboarded itself in a day", "Later"]
    assert len(bot.fake.calls_to("chat.postMessage")) == 2


# -- what a step cannot use ends it in error, with a sentence -----------------------------------------


def _error_of(bot: RunningBot) -> str:
    [done] = ended(bot)
    assert done.method == "functions.completeError", done.params
    assert done.token == FUNCTION_TOKEN
    return str(done.params["error"])


def test_an_unknown_customer_group_ends_the_step_naming_it_and_the_groups_there_are(step_bot: RunningBot) -> None:
    bot = step_bot
    group_service.add_group(bot.deps, team_id="T111", name="Small clinics", by=AUTHOR)
    group_service.add_group(bot.deps, team_id="T111", name="Enterprise IT", by=AUTHOR)

    run_step(bot, ids.STEP_LOG_PROUD, proud_inputs(**{ids.STEP_GROUPS: "Small clinics, Hospitals"}))

    error = _error_of(bot)
    assert '"Hospitals"' in error
    assert "Enterprise IT, Small clinics" in error
    assert entries(bot) == []
    assert bot.fake.calls_to("chat.postMessage") == []


def test_a_text_too_long_to_post_ends_the_step_and_stores_nothing(step_bot: RunningBot) -> None:
    bot = step_bot

    run_step(bot, ids.STEP_LOG_SORRY, proud_inputs(**{ids.STEP_TEXT: "<" * 1000}))  # 4,000 once escaped

    error = _error_of(bot)
    assert "4,000 characters" in error and "3,000" in error
    assert entries(bot) == []


@pytest.mark.parametrize(
    ("inputs", "says"),
    [
        ({ids.STEP_TEXT: "   "}, "Text is empty"),
        ({ids.STEP_AUTHOR: ""}, "Author is empty"),
        ({ids.STEP_CHANNEL: "not a channel"}, "Channel is not a channel"),
        ({ids.STEP_AREA: "Marketing"}, 'no area called "Marketing"'),
    ],
)
def test_unusable_inputs_end_the_step_with_what_to_fix(step_bot: RunningBot, inputs: dict[str, Any], says: str) -> None:
    run_step(step_bot, ids.STEP_LOG_PROUD, proud_inputs(**inputs))

    assert says in _error_of(step_bot)
    assert entries(step_bot) == []


def test_a_channel_that_refuses_the_post_ends_the_step_saying_the_entry_is_saved(step_bot: RunningBot) -> None:
    bot = step_bot
    bot.fake.fail("chat.postMessage", "not_in_channel")

    run_step(bot, ids.STEP_LOG_PROUD, proud_inputs())

    error = _error_of(bot)
    [entry] = entries(bot)
    assert error == texts.not_posted("proud", entry.id, CHANNEL, "not_in_channel")
    assert "/invite @Customer Mindset" in error
    assert entry.post_error == "not_in_channel"


def test_when_slack_holds_back_the_post_the_step_succeeds_without_a_link(step_bot: RunningBot) -> None:
    """Slack answers 500 through all of the client's retries: the entry is saved and counts, the engine posts
    it later (as for /proud), and the workflow goes on with its number."""
    bot = step_bot
    bot.fake.server_error("chat.postMessage", times=3)

    run_step(bot, ids.STEP_LOG_PROUD, proud_inputs())

    [done] = ended(bot)
    [entry] = entries(bot)
    assert done.method == "functions.completeSuccess"
    assert done.params["outputs"] == {ids.STEP_ENTRY_ID: entry.id}
    assert (entry.message_ts, entry.post_error) == (None, None)


def test_a_step_that_breaks_still_ends_in_error(step_bot: RunningBot) -> None:
    """A message Slack refuses outright (a bug of ours) is logged; the workflow is not left waiting."""
    bot = step_bot
    bot.fake.fail("chat.postMessage", "invalid_blocks")

    run_step(bot, ids.STEP_LOG_PROUD, proud_inputs())

    assert _error_of(bot) == texts.STEP_BROKE


# -- creating an action item ------------------------------------------------------------------------


def action_inputs(**changes: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        ids.STEP_TITLE: "Call the three clinics about refunds",
        ids.STEP_OWNER: "W222",
        ids.STEP_DUE: (date.today() + timedelta(days=30)).isoformat(),
        ids.STEP_CREATED_BY: AUTHOR,
    }
    inputs.update(changes)
    return inputs


def items(bot: RunningBot) -> list[ActionItem]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(ActionItem).order_by(ActionItem.id)).all())


def test_create_an_action_item_step_links_it_to_the_sorry_and_shares_it(step_bot: RunningBot) -> None:
    bot = step_bot
    run_step(bot, ids.STEP_LOG_SORRY, proud_inputs(), execution_id="FxSorry")
    [sorry_done] = ended(bot)
    sorry_id = sorry_done.params["outputs"][ids.STEP_ENTRY_ID]

    run_step(
        bot,
        ids.STEP_CREATE_ACTION,
        action_inputs(**{ids.STEP_SORRY_ID: sorry_id, ids.STEP_CHANNEL: "C333", ids.STEP_OUTCOME: "Refunds in a day"}),
        execution_id="FxAction",
    )

    done = ended(bot, 2)[1]
    [item] = items(bot)
    assert (item.title, item.owner_id, item.created_by) == ("Call the three clinics about refunds", "W222", AUTHOR)
    assert (item.source, item.source_entry_id, item.desired_outcome) == ("sorry", sorry_id, "Refunds in a day")
    assert done.method == "functions.completeSuccess"
    assert done.token == FUNCTION_TOKEN
    shared = [call for call in bot.fake.calls_to("chat.postMessage") if call.params["channel"] == "C333"]
    assert len(shared) == 1 and shared[0].token == BOT_TOKEN
    outputs = done.params["outputs"]
    assert outputs[ids.STEP_ACTION_ID] == item.id
    assert outputs[ids.STEP_PERMALINK].startswith("https://fake.slack.com/archives/C333/p")
    # the sorry's message now lists the item
    [update] = bot.fake.wait_for("chat.update")
    assert "Call the three clinics about refunds" in str(update.params["blocks"])


def test_a_channel_that_refuses_the_shared_item_ends_the_step_saying_it_is_saved(step_bot: RunningBot) -> None:
    bot = step_bot
    bot.fake.fail("chat.postMessage", "is_archived")

    run_step(bot, ids.STEP_CREATE_ACTION, action_inputs(**{ids.STEP_CHANNEL: "C333"}))

    error = _error_of(bot)
    [item] = items(bot)
    assert error == texts.not_posted("action item", item.id, "C333", "is_archived")
    assert "archived" in error


def test_a_due_date_in_the_past_ends_the_action_step_saying_so(step_bot: RunningBot) -> None:
    run_step(step_bot, ids.STEP_CREATE_ACTION, action_inputs(**{ids.STEP_DUE: "2020-01-01"}))

    error = _error_of(step_bot)
    assert error.startswith("Due date: That date is in the past")
    assert items(step_bot) == []


@pytest.mark.parametrize(
    ("owner", "account", "says"),
    [
        ("UAPP", {"is_bot": True, "real_name": "Jira"}, "Owner: Jira is an app, not a person"),
        ("UGONE", {"deleted": True, "real_name": "Ola"}, "Owner: Ola is deactivated in this workspace"),
        ("USLACKBOT", {}, "Owner: Slackbot cannot own it"),
    ],
)
def test_an_owner_who_is_not_a_person_ends_the_action_step(
    step_bot: RunningBot, owner: str, account: dict[str, Any], says: str
) -> None:
    """As in the /action form (bot/services/owners.py): apps, Slackbot and deactivated accounts own nothing."""
    step_bot.fake.users[owner] = {"id": owner, "name": owner.lower(), "tz": "UTC", **account}

    run_step(step_bot, ids.STEP_CREATE_ACTION, action_inputs(**{ids.STEP_OWNER: owner}))

    assert _error_of(step_bot).startswith(says)
    assert items(step_bot) == []


def test_an_action_step_delivered_again_creates_one_item(step_bot: RunningBot) -> None:
    bot = step_bot
    run_step(bot, ids.STEP_CREATE_ACTION, action_inputs(), execution_id="FxA", event_id="Ev1")
    run_step(bot, ids.STEP_CREATE_ACTION, action_inputs(), execution_id="FxA", event_id="Ev2")
    run_step(bot, ids.STEP_CREATE_ACTION, action_inputs(**{ids.STEP_TITLE: "Later"}), execution_id="FxB")

    calls = ended(bot, 2)
    assert [call.params["function_execution_id"] for call in calls] == ["FxA", "FxB"]
    with bot.deps.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ActionItem)) == 2


# -- the service alone --------------------------------------------------------------------------------


def test_groups_are_found_by_name_or_tag_in_any_case(deps: Deps) -> None:
    clinics = group_service.add_group(deps, team_id="T111", name="Small clinics", by=AUTHOR)
    it = group_service.add_group(deps, team_id="T111", name="Enterprise IT", by=AUTHOR)

    found = step_service.group_ids(deps, team_id="T111", raw=" #small-clinics , ENTERPRISE it,Small Clinics,")

    assert found == [clinics.id, it.id]
    assert step_service.group_ids(deps, team_id="T111", raw=" , ") == []
    with pytest.raises(step_service.StepProblem, match="has none yet"):
        step_service.group_ids(deps, team_id="T222", raw="Small clinics")


def test_help_names_every_step_as_workflow_builder_shows_it() -> None:
    titles = [step["title"] for step in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["functions"].values()]
    shown = str(help_render.help_blocks(today=date.today()))
    assert titles and all(f"*{title}*" in shown for title in titles)
    assert all(title in help_render.help_text(today=date.today()) for title in titles)


# -- many workspaces ----------------------------------------------------------------------------------


def test_in_a_workspace_installed_by_oauth_the_step_posts_with_that_workspaces_token(
    engine: Engine, fake_slack: FakeSlack
) -> None:
    for bot in serve_oauth(engine, fake_slack):
        token = bot.install("T222")

        answer = bot.slack.send_event(function_executed(ids.STEP_LOG_PROUD, proud_inputs(), team="T222"))

        assert answer.status == 200, answer.text
        [done] = bot.fake.wait_for("functions.completeSuccess")
        assert done.token == FUNCTION_TOKEN
        [post] = bot.fake.calls_to("chat.postMessage")
        assert (post.params["channel"], post.token) == (CHANNEL, token)
        with bot.deps.session_factory() as session:
            [entry] = session.scalars(select(Entry)).all()
            assert entry.team_id == "T222"


# -- any input --------------------------------------------------------------------------------------

VALUES = st.one_of(st.none(), st.booleans(), st.integers(), TEXTS, st.lists(st.text(max_size=5), max_size=2))


def test_any_inputs_are_used_or_refused_with_a_sentence(deps: Deps) -> None:
    """Whatever a workflow hands a step (a variable of another type, a crafted event): an entry or item, or a
    StepProblem; never another error. Service level, many runs; the events above go through the real app."""
    group_service.add_group(deps, team_id="T111", name="Small clinics", by=AUTHOR)
    runs = iter(range(10**9))

    @FORMS
    @given(
        kind=st.sampled_from(list(EntryKind)),
        inputs=st.fixed_dictionaries({}, optional=dict.fromkeys(ids.ENTRY_STEP_INPUTS, VALUES)),
        valid=st.booleans(),
    )
    def entry(kind: EntryKind, inputs: dict[str, Any], valid: bool) -> None:
        given_inputs = {**proud_inputs(), **inputs} if valid else inputs
        try:
            logged = step_service.log_entry(
                deps, team_id="T111", kind=kind, function_execution_id=f"Fx{next(runs)}", inputs=given_inputs
            )
        except step_service.StepProblem as problem:
            assert str(problem)
        else:
            assert logged.created

    @FORMS
    @given(
        inputs=st.fixed_dictionaries(
            {}, optional={name: VALUES for name in ids.STEP_PARAMETERS[ids.STEP_CREATE_ACTION][0]}
        ),
        valid=st.booleans(),
    )
    def action(inputs: dict[str, Any], valid: bool) -> None:
        given_inputs = {**action_inputs(), **inputs} if valid else inputs
        try:
            step = step_service.create_action(
                deps, team_id="T111", function_execution_id=f"Fx{next(runs)}", inputs=given_inputs
            )
        except step_service.StepProblem as problem:
            assert str(problem)
        else:
            assert step.created

    entry()
    action()


def test_nul_characters_in_a_steps_inputs_are_dropped_not_a_database_error(deps: Deps) -> None:
    """PostgreSQL refuses NUL in text; the app's middleware drops them from every request, and the step's
    service does too (hypothesis found one reaching the database)."""
    inputs = {**proud_inputs(), ids.STEP_TEXT: "Called\x00 the clinic back"}
    logged = step_service.log_entry(
        deps, team_id="T111", kind=EntryKind.PROUD, function_execution_id="FxNUL1", inputs=inputs
    )
    action = step_service.create_action(
        deps,
        team_id="T111",
        function_execution_id="FxNUL2",
        inputs={**action_inputs(), ids.STEP_TITLE: "Call\x00 back"},
    )
    with deps.session_factory() as session:
        assert session.get(Entry, logged.card.id).text == "Called the clinic back"
        assert session.get(ActionItem, action.card.id).title == "Call back"


# -- Socket Mode, the default deployment ---------------------------------------------------------------


@pytest.fixture
def socket_bot(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[SocketModeBot]:
    """`mindset-bot run` in Socket Mode (a subprocess, a new SQLite file), connected to the fake socket."""
    socket = FakeSocketMode()
    hand_out_socket_url(fake_slack, socket)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    try:
        with socket_mode_process(cwd, tmp_path / "socket.db", fake_slack) as process:
            bodies = SlackSender("http://127.0.0.1:9", "unused", response_url_base=fake_slack.response_url(""))
            socket.wait_for_connection(timeout=30.0)
            yield SocketModeBot(process, fake_slack, socket, bodies)
    finally:
        socket.close()


def test_a_step_runs_over_socket_mode(socket_bot: SocketModeBot) -> None:
    envelope = socket_bot.socket.push("events_api", function_executed(ids.STEP_LOG_SORRY, proud_inputs()))

    assert socket_bot.socket.wait_for_ack(envelope).payload is None
    [done] = socket_bot.slack.wait_for("functions.completeSuccess", timeout=20)
    [entry] = socket_bot.entries()
    assert (done.token, done.params["outputs"][ids.STEP_ENTRY_ID]) == (FUNCTION_TOKEN, entry.id)
    [post] = socket_bot.posts_to(CHANNEL)
    assert post.token == SOCKET_BOT_TOKEN


# -- a person's data ----------------------------------------------------------------------------------


def test_what_a_step_logged_is_in_its_authors_copy_and_goes_when_they_are_forgotten(step_bot: RunningBot) -> None:
    bot = step_bot
    run_step(bot, ids.STEP_LOG_PROUD, proud_inputs(), execution_id="FxMine")
    run_step(bot, ids.STEP_CREATE_ACTION, action_inputs(**{ids.STEP_OWNER: AUTHOR}), execution_id="FxItem")
    ended(bot, 2)

    copy = json.loads(privacy_service.my_data_json(bot.deps, team_id="T111", user_id=AUTHOR))
    assert "The clinic onboarded itself in a day" in json.dumps(copy)
    assert "Call the three clinics about refunds" in json.dumps(copy)

    privacy_service.forget(bot.deps, team_id="T111", user_id=AUTHOR)

    assert entries(bot) == []
    assert all(AUTHOR not in (item.owner_id, item.created_by) for item in items(bot))
