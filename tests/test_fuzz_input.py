"""Any text, into every command and form: never a crash, never a message over Slack's limits, never
an unescaped ping or link, always an answer. Generated with hypothesis; SQLite and PostgreSQL.

Each test runs many generated inputs against one served bot, then waits for the background work and
checks everything the fake Slack received.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import ids
from bot.services import groups as group_service
from tests.conftest import RunningBot
from tests.hypothesis_profiles import examples
from tests.slack_requests import CHANNEL, TEAM, USER, Answer
from tests.test_render_limits import check_blocks, check_view
from tests.waiting import eventually

ADVERSARIAL = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0BADBAD>",
    "<#C0BADBAD|general>",
    "<https://evil.example|click here>",
    "<mailto:x@evil.example>",
    "&",
    "&amp;",
    "&lt;",
    "<",
    ">",
    "*bold*",
    "_it_",
    "~s~",
    "`code`",
    "```block```",
    "\n",
    "\t",
    "\r\n",
    "\x00",
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\ufeff",
    "😀",
    "𝕏",  # outside the Basic Multilingual Plane
    "👩🏽‍⚕️",
    "#small-clinics",
    "@channel",
    " ",
)


def repeated_to(pieces: st.SearchStrategy[str], sizes: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """A long text from a short drawn one, repeated to a drawn length: long inputs without drawing every
    character (which would exceed hypothesis' entropy budget, a health check)."""
    return st.builds(lambda piece, size: (piece * (size // max(len(piece), 1) + 1))[:size], pieces, sizes)


SHORT = st.lists(st.one_of(st.sampled_from(ADVERSARIAL), st.text(max_size=30)), max_size=25).map("".join)
TEXTS = st.one_of(
    SHORT,
    # long and dense: Slack's escapes make these longer still (each & is 5 characters once escaped)
    repeated_to(st.lists(st.sampled_from(ADVERSARIAL), min_size=1, max_size=12).map("".join), st.integers(500, 6000)),
    # around the 3,000 characters a post's section holds
    repeated_to(st.text(min_size=1, max_size=40), st.integers(2900, 3100)),
)
# what user text must never become in anything the bot sends: a ping or a link it did not write
FORBIDDEN = re.compile(r"<!(channel|here|everyone)|<@U0BADBAD>|<#C0BADBAD|<https://evil|<mailto:x@evil")
# the profile's settings (tests/hypothesis_profiles.py: a random seed, health checks on), fewer examples:
# each one is a request to the served bot
RUNS = settings(max_examples=examples(30))
FORMS = settings(max_examples=examples(15))


def rendered(value: Any) -> list[str]:
    """The texts Slack renders as mrkdwn (where `<!channel>` pings and `<url|text>` links) in a
    message, a view or a body: mrkdwn text objects. (Plain text, like a form field's value, shows
    `<!channel>` as typed: it cannot ping.)"""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for child in value.values():
            found += rendered(child)
    elif isinstance(value, list):
        for child in value:
            found += rendered(child)
    return found


def assert_no_forged_ping(message_text: Any, *parts: Any) -> None:
    for text in [str(message_text or ""), *(t for part in parts for t in rendered(part))]:
        assert not FORBIDDEN.search(text), text[:300]


def check_answer(answer: Answer) -> None:
    """An answer Slack can show: 200, and when it carries a message or a view, within Slack's limits."""
    assert answer.status == 200, answer.text
    assert "Traceback" not in answer.text
    if not answer.text:
        return
    body = answer.json
    assert_no_forged_ping(body.get("text"), body.get("blocks"), body.get("view"))
    # the database is up and nothing is broken: an answer that says otherwise hides a bug
    shown = json.dumps(body)
    assert "something went wrong" not in shown and "database is not answering" not in shown, body
    if body.get("blocks"):
        check_blocks(body["blocks"], max_blocks=50)
    if body.get("view"):
        check_view(body["view"])
    for error in (body.get("errors") or {}).values():
        assert 0 < len(error) <= 2000


def check_everything_sent(bot: RunningBot) -> None:
    """Every call the fake Slack received is within Slack's limits and carries no forged ping or link."""
    for call in bot.fake.calls:
        params = call.params
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral") or call.method.startswith(
            "response_url:"
        ):
            assert_no_forged_ping(params.get("text"), _json(params.get("blocks") or []))
            assert len(str(params.get("text") or "")) <= 40_000
            if params.get("blocks"):
                check_blocks(_json(params["blocks"]), max_blocks=50)
        if call.method in ("views.open", "views.update", "views.push", "views.publish"):
            assert_no_forged_ping(None, _json(params["view"]))
            check_view(_json(params["view"]))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def settle(bot: RunningBot) -> None:
    """Wait for the background work of earlier requests: a marker's own post comes after it."""
    before = len([c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == "CMARKER"])
    bot.slack.send_command("/proud", "marker", channel="CMARKER")
    eventually(
        lambda: (
            len([c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == "CMARKER"]) > before
        ),
        timeout=60,
    )


def opened(bot: RunningBot, count: int) -> dict[str, Any]:
    view: dict[str, Any] = bot.fake.wait_for("views.open", count)[-1].params["view"]
    return view


def text_input(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


# -- commands ------------------------------------------------------------------------------------


def test_any_text_after_any_command_is_answered_safely(bot: RunningBot) -> None:
    group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)
    commands = st.sampled_from([ids.PROUD, ids.SORRY, ids.ACTION, ids.MEETING, ids.MINDSET])

    @RUNS
    @given(command=commands, text=TEXTS)
    def one(command: str, text: str) -> None:
        check_answer(bot.slack.send_command(command, text))

    one()

    @RUNS
    @given(
        sub=st.sampled_from(
            ["groups", "pause until", "holidays add 2027-01-01", "workdays", "ambassador join", "digest channel"]
        ),
        text=TEXTS,
    )
    def mindset(sub: str, text: str) -> None:
        check_answer(bot.slack.send_command(ids.MINDSET, f"{sub} {text}"))

    mindset()
    settle(bot)
    check_everything_sent(bot)


# -- forms -----------------------------------------------------------------------------------------


def submit(bot: RunningBot, view: dict[str, Any], values: dict[str, Any], view_id: str) -> Answer:
    return bot.slack.send_interaction(bot.slack.view_submission(view, values, view_id=view_id))


def test_any_text_in_the_entry_and_root_cause_forms_is_answered_safely(bot: RunningBot) -> None:
    bot.slack.send_command("/proud", "")
    entry_form = opened(bot, 1)
    bot.slack.send_command("/sorry", "A sorry to explain")
    [post] = bot.fake.wait_for("chat.postMessage")
    [button] = [
        e
        for b in post.params["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.ADD_ROOT_CAUSE
    ]
    message = {"type": "message", "ts": "1.1", "text": "", "blocks": post.params["blocks"]}
    bot.slack.send_interaction(bot.slack.block_action(ids.ADD_ROOT_CAUSE, button["value"], message=message))
    root_cause_form = opened(bot, 2)
    counter = iter(range(10_000))

    @FORMS
    @given(text=TEXTS)
    def entry(text: str) -> None:
        values = {
            ids.ENTRY_TEXT_BLOCK: {ids.ENTRY_TEXT_INPUT: text_input(text)},
            ids.ENTRY_CHANNEL_BLOCK: {
                ids.ENTRY_CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": CHANNEL}
            },
        }
        check_answer(submit(bot, entry_form, values, f"VE{next(counter)}"))

    @FORMS
    @given(text=TEXTS)
    def why(text: str) -> None:
        values = {ids.ROOT_CAUSE_BLOCK: {ids.ROOT_CAUSE_INPUT: text_input(text)}}
        check_answer(submit(bot, root_cause_form, values, f"VR{next(counter)}"))

    entry()
    why()
    settle(bot)
    check_everything_sent(bot)


def test_any_text_in_the_action_and_meeting_forms_is_answered_safely(bot: RunningBot) -> None:
    bot.slack.send_command("/action", "")
    action_form = opened(bot, 1)
    bot.slack.send_command("/meeting", "")
    meeting_form = opened(bot, 2)
    counter = iter(range(10_000))

    @FORMS
    @given(title=TEXTS, outcome=TEXTS)
    def action(title: str, outcome: str) -> None:
        values = {
            ids.ACTION_TITLE_BLOCK: {ids.ACTION_TITLE_INPUT: text_input(title)},
            ids.ACTION_OUTCOME_BLOCK: {ids.ACTION_OUTCOME_INPUT: text_input(outcome)},
            ids.ACTION_DUE_BLOCK: {ids.ACTION_DUE_INPUT: {"type": "datepicker", "selected_date": "2030-01-02"}},
        }
        check_answer(submit(bot, action_form, values, f"VA{next(counter)}"))

    @FORMS
    @given(title=TEXTS, tz=TEXTS)
    def meeting(title: str, tz: str) -> None:
        values = {
            ids.MEETING_TITLE_BLOCK: {ids.MEETING_TITLE_INPUT: text_input(title)},
            ids.MEETING_TZ_BLOCK: {ids.MEETING_TZ_INPUT: text_input(tz)},
            ids.MEETING_DATE_BLOCK: {ids.MEETING_DATE_INPUT: {"type": "datepicker", "selected_date": "2030-01-02"}},
            ids.MEETING_TIME_BLOCK: {ids.MEETING_TIME_INPUT: {"type": "timepicker", "selected_time": "10:00"}},
            ids.MEETING_WEEKDAYS_BLOCK: {
                ids.MEETING_WEEKDAYS_INPUT: {"type": "checkboxes", "selected_options": [{"value": "2"}]}
            },
        }
        check_answer(submit(bot, meeting_form, values, f"VM{next(counter)}"))

    action()
    meeting()
    settle(bot)
    check_everything_sent(bot)


def test_any_text_in_meeting_answers_and_the_question_library_is_answered_safely(bot: RunningBot) -> None:
    group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)
    bot.slack.send_command("/meeting", "now Weekly review")
    [prompt] = bot.fake.wait_for("chat.postMessage")
    [answer_button] = [
        e
        for b in prompt.params["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.MEETING_ANSWER
    ]
    bot.slack.send_interaction(bot.slack.block_action(ids.MEETING_ANSWER, answer_button["value"]))
    answer_form = opened(bot, 1)
    bot.slack.send_interaction(bot.slack.block_action(ids.QUESTION_ADD, "add"))
    question_form = opened(bot, 2)
    subjects = [
        b["block_id"] for b in answer_form["blocks"] if b.get("block_id", "").startswith(ids.ANSWER_BLOCK_PREFIX)
    ]
    counter = iter(range(10_000))

    @FORMS
    @given(texts=st.lists(TEXTS, min_size=len(subjects), max_size=len(subjects)))
    def answers(texts: list[str]) -> None:
        values = {block: {ids.ANSWER_INPUT: text_input(text)} for block, text in zip(subjects, texts, strict=True)}
        check_answer(submit(bot, answer_form, values, f"VQ{next(counter)}"))

    @FORMS
    @given(text=TEXTS)
    def question(text: str) -> None:
        values = {ids.QUESTION_TEXT_BLOCK: {ids.QUESTION_TEXT_INPUT: text_input(text)}}
        check_answer(submit(bot, question_form, values, f"VL{next(counter)}"))

    answers()
    question()
    settle(bot)
    check_everything_sent(bot)
