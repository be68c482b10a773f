"""/proud and /sorry end to end: signed HTTP requests in, Slack Web API calls out, rows in the database."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import func, select

from storage.models import Entry
from tests.conftest import RunningBot
from tests.slack_requests import CHANNEL, TEAM, USER
from tests.waiting import eventually


def entries(bot: RunningBot) -> list[Entry]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(Entry).order_by(Entry.id)))


def test_proud_with_text_is_stored_posted_and_confirmed(bot: RunningBot) -> None:
    answer = bot.slack.send_command("/proud", "Shipped the export fix the clinic asked for")

    assert answer.status == 200
    assert answer.json["response_type"] == "ephemeral"
    assert "Saved your proud" in answer.json["text"]
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    shown = " ".join(block["text"]["text"] for block in post.params["blocks"] if "text" in block)
    assert f"<@{USER}>" in shown
    assert "Shipped the export fix the clinic asked for" in shown
    [entry] = entries(bot)
    assert (entry.team_id, entry.kind, entry.author_id, entry.channel_id) == (TEAM, "proud", USER, CHANNEL)
    assert entry.text == "Shipped the export fix the clinic asked for"
    assert entry.created_at.tzinfo is not None
    assert entry.created_at.utcoffset().total_seconds() == 0
    # the bot keeps the posted message's ts, so it can update the message later
    assert eventually(lambda: entries(bot)[0].message_ts).startswith("1700000000.")


def test_sorry_has_root_cause_button(bot: RunningBot) -> None:
    bot.slack.send_command("/sorry", "Three customers waited 2 days for refunds")
    [post] = bot.fake.wait_for("chat.postMessage")
    buttons = [
        element for block in post.params["blocks"] if block["type"] == "actions" for element in block["elements"]
    ]
    assert [button["text"]["text"] for button in buttons] == ["Add root cause", "Create action item"]
    [entry] = entries(bot)
    assert [button["value"] for button in buttons] == [str(entry.id)] * 2
    assert entry.kind == "sorry"


def test_user_text_cannot_ping_or_forge_links(bot: RunningBot) -> None:
    typed = "<!channel> look <https://evil.example|our docs> & <@U999>"
    bot.slack.send_command("/proud", typed)
    [post] = bot.fake.wait_for("chat.postMessage")
    everything = str(post.params["blocks"]) + post.params["text"]
    assert "<!channel>" not in everything
    assert "<https://evil.example" not in everything
    assert "<@U999>" not in everything
    assert "&lt;!channel&gt;" in everything
    [entry] = entries(bot)
    assert entry.text == typed


def test_empty_text_opens_modal_and_stores_nothing(bot: RunningBot) -> None:
    answer = bot.slack.send_command("/proud", "   ")
    assert answer.status == 200
    [opened] = bot.fake.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == "entry_modal"
    assert entries(bot) == []


def test_same_command_delivery_twice_stores_one_entry(bot: RunningBot) -> None:
    body = bot.slack.command_body("/proud", "Fixed it")

    first = bot.slack.post_form(urlencode(body))
    second = bot.slack.post_form(urlencode(body))
    assert first.status == second.status == 200
    assert len(entries(bot)) == 1
    bot.fake.wait_for("chat.postMessage")
    with bot.deps.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 1


def test_a_subcommand_word_answers_with_usage_and_logs_nothing(bot: RunningBot) -> None:
    for command, text in [("/proud", "help"), ("/sorry", "list"), ("/proud", "Now: the export"), ("/sorry", "groups")]:
        answer = bot.slack.send_command(command, text)

        assert answer.status == 200
        assert answer.json["response_type"] == "ephemeral"
        assert "nothing was saved" in answer.json["text"]
        assert f'`{command} "' in answer.json["text"]  # how to log an entry that starts with such a word
    assert entries(bot) == []
    assert bot.fake.calls_to("chat.postMessage") == []


def test_a_quoted_entry_may_start_with_a_subcommand_word(bot: RunningBot) -> None:
    answer = bot.slack.send_command("/proud", "“Help desk answered the clinic within a minute”")

    assert "Saved your proud" in answer.json["text"]
    bot.fake.wait_for("chat.postMessage")
    [entry] = entries(bot)
    assert entry.text == "Help desk answered the clinic within a minute"
