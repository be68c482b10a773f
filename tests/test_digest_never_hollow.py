"""The digest is never hollow (issue 17): in a workspace with no ambassador and no digest channel, whose
channels the engine never asks about, an entry logged a second ago in a public channel is quoted by
`/mindset digest` and by `mindset-bot digest`; what may not be quoted is said to be private (not sent to
`/mindset digest`, which would not show it either); the thanks count the very people the participation
line counts, and name all of them the reader may see.

Signed slash commands to the real app over HTTP, the fake Slack, SQLite and PostgreSQL; the console
script in a subprocess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.deps import Deps
from bot.digest.compose import Metric, Quote
from bot.render.digest import digest_blocks, digest_text
from bot.services import actions as action_service
from storage.models import Channel
from tests.conftest import RunningBot, serve
from tests.engine_harness import SimClock, utc
from tests.fake_slack import Call, FakeSlack, Reply
from tests.slack_requests import CHANNEL, TEAM, USER
from tests.test_ambassador_commands import console, later
from tests.test_digest_render import TODAY, make, sections
from tests.waiting import eventually

NOW = utc(2026, 5, 13, 10)  # Wednesday of 2026-W20, in the past: `mindset-bot digest --week 2026-W20` shows it
WEEK = "2026-W20"


@pytest.fixture
def clock() -> SimClock:
    return SimClock(NOW)


@pytest.fixture
def app(deps: Deps, engine: Engine, fake_slack: FakeSlack, clock: SimClock) -> Iterator[RunningBot]:
    timed = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=clock)
    yield from serve(timed, engine, fake_slack)


def log(app: RunningBot, command: str, text: str, *, user: str = USER) -> None:
    """`/proud` or `/sorry`, then wait until the bot has posted it; the clock moves a second on."""
    before = len(app.fake.calls_to("chat.postMessage"))
    answer = app.slack.send_command(command, text, user=user)
    assert answer.status == 200 and "Saved" in answer.json["text"], answer.text
    app.fake.wait_for("chat.postMessage", before + 1)
    clock = app.deps.clock
    assert isinstance(clock, SimClock)
    clock.now += timedelta(seconds=1)


def privacy(app: RunningBot, channel: str = CHANNEL) -> bool | None:
    with app.deps.session_factory() as session:
        row = session.scalars(select(Channel).where(Channel.team_id == TEAM, Channel.channel_id == channel)).first()
        return None if row is None else row.is_private


def cli_digest(app: RunningBot, tmp_path: Path) -> list[str]:
    url = app.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://", 1)
    result = console("digest", "--team", TEAM, "--week", WEEK, cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def section_after(blocks: list[dict[str, Any]], heading: str) -> str:
    [found] = [text for text in sections(blocks) if text.startswith(f"*{heading}")]
    return found


def digest_blocks_of(reply: Call) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = reply.params["blocks"]
    return blocks


def test_a_public_entry_logged_a_second_ago_is_quoted_and_its_author_thanked(app: RunningBot, tmp_path: Path) -> None:
    log(app, "/proud", "Called the clinic back the same day")
    log(app, "/sorry", "Missed the lab's callback", user="U2002")

    # the bot learnt at once, when the first entry was posted, that the channel is public
    assert eventually(lambda: privacy(app) is False)
    asked = app.fake.calls_to("conversations.info")
    assert {call.params["channel"] for call in asked} == {CHANNEL}
    log(app, "/proud", "Sent the lab a thank-you note", user="U2002")
    assert len(app.fake.calls_to("conversations.info")) == len(asked)  # known now: not asked again

    blocks = digest_blocks_of(later(app, "digest"))
    shown = str(blocks)
    assert "Called the clinic back the same day" in shown, sections(blocks)
    sorries = section_after(blocks, "Sorries still without a root cause (1)")
    assert "Missed the lab&#x27;s callback" in sorries or "Missed the lab's callback" in sorries, sorries
    assert "more" not in sorries  # nothing hidden: nothing said to be
    thanks = sections(blocks)[0]
    assert thanks == (
        f":clap: Thank you to the 2 people who kept the customer in view: <@{USER}>, <@U2002>."
    ) or thanks == (f":clap: Thank you to the 2 people who kept the customer in view: <@U2002>, <@{USER}>.")

    # the console's digest of the week, which cannot ask Slack, quotes it too
    lines = cli_digest(app, tmp_path)
    assert f"  {USER}: Called the clinic back the same day" in lines, lines
    assert "  U2002: Missed the lab's callback" in lines, lines
    assert "People taking part: 2 (last week 0, 4-week average 0)" in lines
    assert lines[-1] in (f"Thank you: {USER}, U2002", f"Thank you: U2002, {USER}"), lines[-1]


def test_a_private_entry_is_said_to_be_private_and_counted_in_the_thanks(app: RunningBot, tmp_path: Path) -> None:
    private = {"id": CHANNEL, "is_private": True, "is_member": True}
    app.fake.script("conversations.info", Reply(body={"ok": True, "channel": private}))
    log(app, "/sorry", "The pilot's invoice was wrong")
    assert eventually(lambda: privacy(app) is True)

    lines = cli_digest(app, tmp_path)  # as a channel gets it: private channels never quoted

    at = lines.index("Sorries without a root cause: 1")
    assert lines[at + 1] == "  (It is in a private channel, not quoted here)", lines[at : at + 3]
    assert "The pilot's invoice" not in "\n".join(lines)
    assert "People taking part: 1 (last week 0, 4-week average 0)" in lines
    assert lines[-1] == "Thank you: 1 person in a private channel"


def test_someone_who_only_created_an_action_item_is_thanked_as_the_participation_line_counts(
    app: RunningBot, clock: SimClock, tmp_path: Path
) -> None:
    log(app, "/proud", "Called the clinic back the same day")
    action_service.create_action(
        app.deps,
        action_service.NewAction(
            team_id=TEAM,
            title="Call every clinic back within a day",
            owner_id="U3003",
            created_by="U3003",
            due_date=date(2026, 6, 30),
            today=NOW.date(),
            idempotency_key="a1",
        ),
    )
    clock.now += timedelta(seconds=1)

    blocks = digest_blocks_of(later(app, "digest"))

    fields = [field["text"] for block in blocks for field in block.get("fields", [])]
    assert "*People taking part*\n2 (last week 0, 4-week average 0)" in fields
    thanks = sections(blocks)[0]
    assert thanks.startswith(":clap: Thank you to the 2 people who kept the customer in view: ")
    assert set(re.findall(r"<@(\w+)>", thanks)) == {USER, "U3003"}


# -- rendering: every count agrees with what is listed ---------------------------------------------


def quote(n: int) -> Quote:
    return Quote(n, f"U{n:04d}", "CPUB", f"Proud number {n}")


def test_a_list_whose_entries_are_all_private_says_so_instead_of_and_more() -> None:
    digest = make(open_sorries_total=1, open_sorries_unquoted=1)

    text = section_after(digest_blocks(digest, today=TODAY), "Sorries still without a root cause (1)")

    assert text == "*Sorries still without a root cause (1)*\n_It is in a private channel, not quoted here_"


def test_prouds_all_private_still_get_their_heading() -> None:
    digest = make(prouds_total=2, prouds_unquoted=2)

    text = section_after(digest_blocks(digest, today=TODAY), "Prouds (2)")

    assert text == "*Prouds (2)*\n_Both are in private channels, not quoted here_"


def test_hidden_for_room_and_hidden_for_privacy_are_counted_apart() -> None:
    digest = make(prouds=tuple(quote(n) for n in range(3)), prouds_total=7, prouds_unquoted=2)

    text = section_after(digest_blocks(digest, today=TODAY), "Prouds (7)")

    lines = text.split("\n")
    assert lines[1:4] == [f"• <@U{n:04d}> in <#CPUB>: Proud number {n}" for n in range(3)]
    # 7 = 3 shown + 2 more in /mindset digest + 2 private
    assert lines[4:] == ["…and 2 more in `/mindset digest`", "_2 more are in private channels, not quoted here_"]
    plain = digest_text(digest, today=TODAY).splitlines()
    at = plain.index("Prouds (7):")
    assert plain[at + 4 : at + 6] == ["  …and 2 more", "  (2 more are in private channels, not quoted here)"]


def test_the_thanks_count_the_people_the_participation_line_counts() -> None:
    metrics = (Metric("Prouds", 3, 0, 0.0), Metric("Sorries", 0, 0, 0.0), Metric("People taking part", 3, 0, 0.0))
    digest = make(metrics=metrics, contributors=(("UANA", ("proud",)), ("UBEN", ("proud",))))

    thanks = sections(digest_blocks(digest, today=TODAY))[0]

    assert thanks == (
        ":clap: Thank you to the 3 people who kept the customer in view: <@UANA>, <@UBEN>, "
        "and 1 more in a private channel."
    )
    assert digest_text(digest, today=TODAY).splitlines()[-1] == "Thank you: UANA, UBEN, and 1 more in a private channel"
    nobody_named = make(metrics=metrics)
    assert sections(digest_blocks(nobody_named, today=TODAY))[0] == (
        ":clap: Thank you to the 3 people who kept the customer in view, in private channels not quoted here."
    )
