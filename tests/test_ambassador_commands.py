"""`/mindset ambassador …`, `/mindset ambassadors` and `/mindset digest …` over HTTP, and `mindset-bot digest`.

Signed slash commands go to the real app behind the real HTTP server, with a clock we hold
(Wednesday 10 February 2027, 10:00 UTC); answers come back in the HTTP response or, for what takes
Slack a moment, through the command's response_url at the fake Slack. SQLite and PostgreSQL.
The console script runs in a subprocess, as a person would run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from sqlalchemy import Engine, select

from bot import cli
from bot.deps import Deps
from bot.errors import DATABASE_DOWN, SOMETHING_WRONG
from bot.services import entries as entry_service
from bot.services import groups as group_service
from storage import migrate
from storage.db import make_engine
from storage.models import Ambassador, EntryKind, Workspace
from storage.repositories import channels as channels_repo
from tests.conftest import RunningBot, serve
from tests.engine_harness import SimClock, utc
from tests.fake_slack import Call, FakeSlack, Reply
from tests.slack_requests import CHANNEL, TEAM, USER, Answer

OTHER = "W222"


@pytest.fixture
def clock() -> SimClock:
    return SimClock(utc(2027, 2, 10, 10))


@pytest.fixture
def app(deps: Deps, engine: Engine, fake_slack: FakeSlack, clock: SimClock) -> Iterator[RunningBot]:
    fake_slack.add_user(USER, role="admin")  # the person typing changes workspace settings: a workspace admin
    timed = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=clock)
    yield from serve(timed, engine, fake_slack)


def send(app: RunningBot, text: str, *, user: str = USER, channel: str = CHANNEL) -> Answer:
    answer = app.slack.send_command("/mindset", text, user=user, channel=channel)
    assert answer.status == 200, answer.text
    assert "Traceback" not in answer.text
    return answer


def mindset(app: RunningBot, text: str, **kwargs: Any) -> str:
    """The ephemeral answer the person sees at once."""
    body: dict[str, Any] = send(app, text, **kwargs).json
    assert body["response_type"] == "ephemeral"
    assert body["text"] not in (SOMETHING_WRONG, DATABASE_DOWN)
    return str(body["text"])


def later(app: RunningBot, text: str, **kwargs: Any) -> Call:
    """A command answered through its response_url once the slow part is done."""
    before = len(app.fake.calls_to("response_url:mindset"))
    assert send(app, text, **kwargs).text == ""  # acknowledged at once, nothing shown yet
    reply = app.fake.wait_for("response_url:mindset", before + 1)[-1]
    assert reply.params["response_type"] == "ephemeral"
    return reply


def ambassadors(app: RunningBot) -> dict[str, tuple[str, ...] | None]:
    """Who is an ambassador (None: left), with their groups."""
    with app.deps.session_factory() as session:
        return {
            row.user_id: tuple(group.name for group in row.groups) if row.left_at is None else None
            for row in session.scalars(select(Ambassador).where(Ambassador.team_id == TEAM))
        }


def workspace(app: RunningBot) -> Workspace | None:
    with app.deps.session_factory() as session:
        return session.get(Workspace, TEAM)


def add_groups(app: RunningBot, *names: str) -> None:
    for name in names:
        group_service.add_group(app.deps, team_id=TEAM, name=name, by=USER)


# -- joining and leaving -----------------------------------------------------------------------------


def test_join_for_all_groups_then_for_one_then_leave(app: RunningBot) -> None:
    add_groups(app, "Small clinics", "Hospitals")

    answer = mindset(app, "ambassador join")
    assert "You are a customer ambassador now, for all customer groups" in answer
    assert "/mindset digest" in answer
    assert ambassadors(app) == {USER: ()}

    # `#small-clinics` is how the group "Small clinics" is written in a message
    answer = mindset(app, "ambassador join #Small-Clinics")
    assert "for Small clinics." in answer
    assert ambassadors(app) == {USER: ("Small clinics",)}
    mindset(app, "ambassador join #hospitals #small-clinics", user=OTHER)

    listed = mindset(app, "ambassadors")
    assert listed.splitlines() == [
        "*Customer ambassadors (2)*",
        f"• <@{USER}>: Small clinics",
        f"• <@{OTHER}>: Hospitals, Small clinics",
    ]

    assert "no longer an ambassador" in mindset(app, "ambassador leave")
    assert ambassadors(app) == {USER: None, OTHER: ("Hospitals", "Small clinics")}
    assert "were not an ambassador, so nothing changed" in mindset(app, "ambassador leave")
    assert mindset(app, "ambassadors").splitlines() == [
        "*Customer ambassadors (1)*",
        f"• <@{OTHER}>: Hospitals, Small clinics",
    ]
    # and back again
    assert "customer ambassador now" in mindset(app, "ambassador join")
    assert ambassadors(app)[USER] == ()


def test_an_unknown_group_is_refused_with_the_groups_there_are(app: RunningBot) -> None:
    assert "No customer ambassadors yet" in mindset(app, "ambassadors")
    assert "There is no customer group `#nope`. The groups are: none yet." in mindset(app, "ambassador join #nope")
    add_groups(app, "Small clinics", "Hospitals")

    answer = mindset(app, "ambassador join #small-clinics #nope")

    assert answer.startswith("There is no customer group `#nope`. The groups are: `#hospitals`, `#small-clinics`.")
    assert ambassadors(app) == {}
    assert "`/mindset ambassador join [#group-name …]`" in mindset(app, "ambassador")
    assert "`/mindset ambassador join [#group-name …]`" in mindset(app, "ambassador leave now")


# -- the digest of the week so far -----------------------------------------------------------------


def test_digest_answers_privately_with_the_week_so_far(app: RunningBot, clock: SimClock) -> None:
    timed = Deps(settings=app.deps.settings, session_factory=app.deps.session_factory, clock=clock)
    with app.deps.session_factory() as session:
        channels_repo.save(session, team_id=TEAM, channel_id="CPUB", is_private=False, members=None, now=clock.now)
        channels_repo.save(session, team_id=TEAM, channel_id="CPRIV", is_private=True, members=[OTHER], now=clock.now)
        session.commit()
    for n, (when, author, channel, text) in enumerate(
        [
            (utc(2027, 2, 3, 10), OTHER, "CPUB", "Last week's win"),  # 2027-W05
            (utc(2027, 2, 4, 10), OTHER, "CPUB", "Last week's other win"),
            (utc(2027, 2, 8, 10), OTHER, "CPUB", "Called <!channel> back"),  # W06, this week
            (utc(2027, 2, 9, 10), "W333", "CPRIV", "Pilot signed quietly"),  # W06, private
        ]
    ):
        clock.now = when
        entry_service.log_entry(
            timed,
            entry_service.NewEntry(
                team_id=TEAM,
                kind=EntryKind.PROUD,
                author_id=author,
                channel_id=channel,
                text=text,
                idempotency_key=f"{n}",
            ),
        )
    clock.now = utc(2027, 2, 10, 10)

    reply = later(app, "digest")

    blocks = reply.params["blocks"]
    assert blocks[0]["text"]["text"] == "Customer focus, week 6 so far"
    assert reply.params["text"] == "Customer focus, week 6 so far: 2 prouds, 0 sorries, 2 people taking part"
    assert len(blocks) <= 50 and all(Block.parse(block).to_dict() == block for block in blocks)
    fields = [field["text"] for block in blocks for field in block.get("fields", [])]
    assert fields[:3] == [
        "*Prouds*\n2 (last week 2, 4-week average 0.5)",
        "*Sorries*\n0 (last week 0, 4-week average 0)",
        # one person over four weeks: 0.25, rounded half up
        "*People taking part*\n2 (last week 1, 4-week average 0.3)",
    ]
    shown = str(blocks)
    assert "Called &lt;!channel&gt; back" in shown and "<!channel>" not in shown
    assert "Pilot signed quietly" not in shown  # W111 is not in the private channel
    assert "Last week's win" not in shown
    # the other person sees the private channel they are in
    assert "Pilot signed quietly" in str(later(app, "digest", user=OTHER).params["blocks"])


# -- where and when the digest goes ----------------------------------------------------------------


def test_digest_channel_here_link_name_and_off(app: RunningBot) -> None:
    assert "The weekly digest goes to each ambassador by DM, on Mondays at 09:00" in mindset(app, "digest channel")

    answer = later(app, "digest channel here", channel="C0FOCUS").params["text"]
    assert "The digest will also go to <#C0FOCUS>" in answer and "by DM and in <#C0FOCUS>" in answer
    assert workspace(app).digest_channel == "C0FOCUS"  # type: ignore[union-attr]

    answer = mindset(app, "digest channel here", channel="D0DM")
    assert answer == "Run `/mindset digest channel here` in the channel that should get the digest."
    assert workspace(app).digest_channel == "C0FOCUS"  # type: ignore[union-attr]

    linked = later(app, "digest channel <#C123|customer-focus>").params["text"]
    assert "The digest will also go to <#C123>" in linked
    assert workspace(app).digest_channel == "C123"  # type: ignore[union-attr]

    # a bare name is looked up among the channels the bot can see
    app.fake.script(
        "conversations.list",
        Reply(
            body={
                "ok": True,
                "channels": [{"id": "C555", "name": "general"}, {"id": "C777", "name": "customer-wins"}],
                "response_metadata": {"next_cursor": ""},
            }
        ),
    )
    reply = later(app, "digest channel #customer-wins")
    assert "The digest will also go to <#C777>" in reply.params["text"]
    assert workspace(app).digest_channel == "C777"  # type: ignore[union-attr]
    [listed] = app.fake.calls_to("conversations.list")
    assert "private_channel" in listed.params["types"]

    reply = later(app, "digest channel #nowhere")  # the fake knows no channels now
    assert reply.params["text"].startswith("I could not find a channel called #nowhere that I can see.")
    assert workspace(app).digest_channel == "C777"  # type: ignore[union-attr]

    assert "No digest channel any more." in mindset(app, "digest channel off")
    assert workspace(app).digest_channel is None  # type: ignore[union-attr]
    assert mindset(app, "digest channel #Not-a-channel!").startswith("`#Not-a-channel!` is not a channel.")
    assert workspace(app).digest_channel is None  # type: ignore[union-attr]


def digest_channel(app: RunningBot) -> str | None:
    found = workspace(app)
    return found.digest_channel if found is not None else None


def test_the_digest_channel_must_be_one_the_bot_sees_and_a_shared_one_needs_confirming(app: RunningBot) -> None:
    """The digest quotes colleagues: not to a channel of another workspace, nor, unasked, to people of
    other organisations (a Slack Connect channel)."""
    app.fake.fail("conversations.info", "channel_not_found")  # another workspace's, or private without the bot
    unseen = later(app, "digest channel <#C0THEIRS|theirs>").params["text"]
    assert unseen.startswith("I cannot see <#C0THEIRS>") and digest_channel(app) is None

    shared = {"ok": True, "channel": {"id": "C0CONNECT", "is_private": False, "is_member": True, "is_ext_shared": True}}
    app.fake.script("conversations.info", Reply(body=shared))
    asked = later(app, "digest channel here", channel="C0CONNECT").params["text"]
    assert "is shared with other organisations" in asked and "`/mindset digest channel <#C0CONNECT> shared`" in asked
    assert digest_channel(app) is None

    app.fake.script("conversations.info", Reply(body=shared))
    confirmed = later(app, "digest channel <#C0CONNECT> shared").params["text"]
    assert "The digest will also go to <#C0CONNECT>" in confirmed
    assert digest_channel(app) == "C0CONNECT"
    [*_, checked] = app.fake.calls_to("conversations.info")
    assert checked.params["channel"] == "C0CONNECT"


def test_digest_schedule_and_bad_schedules_explained(app: RunningBot) -> None:
    answer = mindset(app, "digest schedule fri 16:00")
    assert "Done." in answer and "on Fridays at 16:00 in each reader's own time zone" in answer
    assert (workspace(app).digest_weekday, workspace(app).digest_time) == (5, time(16, 0))  # type: ignore[union-attr]

    for typed, expected in [
        ("digest schedule funday 16:00", "`funday` is not a day of the week"),
        ("digest schedule fri 25:00", "`25:00` is not a time of day"),
        ("digest schedule fri 4pm", "`4pm` is not a time"),
        ("digest schedule mon-fri 09:00", "Name one day for the digest"),
        ("digest schedule fri", "`/mindset digest schedule mon 09:00` sets when it comes"),
        ("digest sometimes", "`/mindset digest schedule mon 09:00` sets when it comes"),
    ]:
        assert expected in mindset(app, typed), typed
    assert (workspace(app).digest_weekday, workspace(app).digest_time) == (5, time(16, 0))  # type: ignore[union-attr]


def test_digest_schedule_or_timezone_alone_shows_the_current_value(app: RunningBot) -> None:
    for typed in ("digest schedule", "digest timezone"):
        answer = mindset(app, typed)
        assert "on Mondays at 09:00" in answer and "the workspace's, UTC" in answer, typed
        assert "sets when it comes" not in answer


@pytest.mark.parametrize(
    ("typed", "stored", "said"),
    [
        ("utc", "UTC", "time zone is now UTC"),
        ("europe/berlin", "Europe/Berlin", "time zone is now Europe/Berlin"),
        ("EST", None, "Use the name of a place, such as `America/New_York`"),
        ("Etc/GMT+5", None, "not a place"),
        ("berlin", None, "Did you mean `Europe/Berlin`?"),
        ("new_york", None, "Did you mean `America/New_York`?"),
        ("Mars/Base", None, "not a time zone I know"),
    ],
)
def test_workspace_time_zone_takes_places_and_utc_only(
    app: RunningBot, typed: str, stored: str | None, said: str
) -> None:
    answer = mindset(app, f"digest timezone {typed}")

    assert said in answer
    found = workspace(app)
    assert (found.default_tz if found else None) == stored if stored else (found is None or found.default_tz == "UTC")


# -- mindset-bot digest -----------------------------------------------------------------------------


def console(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    script = shutil.which("mindset-bot", path=str(Path(sys.executable).parent)) or shutil.which("mindset-bot")
    assert script, "the mindset-bot console script is not installed: pip install -e '.[test]'"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(settings)
    return subprocess.run([script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_mindset_bot_digest_prints_a_week_as_a_channel_would_get_it(deps: Deps, engine: Engine, tmp_path: Path) -> None:
    clock = SimClock(utc(2026, 5, 12, 10))  # 2026-W20: Monday 11 to Sunday 17 May 2026, in the past
    timed = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=clock)
    with deps.session_factory() as session:
        channels_repo.save(session, team_id=TEAM, channel_id="CPUB", is_private=False, members=None, now=clock.now)
        channels_repo.save(session, team_id=TEAM, channel_id="CPRIV", is_private=True, members=[USER], now=clock.now)
        session.commit()
    for n, (day, author, kind, channel, text) in enumerate(
        [
            (5, "UANNA", EntryKind.PROUD, "CPUB", "Shipped the export fix"),  # W19
            (6, "UDORA", EntryKind.PROUD, "CPUB", "Fixed the invoice"),  # W19
            (12, "UANNA", EntryKind.PROUD, "CPUB", "Called the clinic back"),
            (13, "UBEN", EntryKind.SORRY, "CPUB", "Missed a callback"),
            (14, "UCARL", EntryKind.PROUD, "CPRIV", "Secret pilot signed"),
        ]
    ):
        clock.now = utc(2026, 5, day, 10)
        entry_service.log_entry(
            timed,
            entry_service.NewEntry(
                team_id=TEAM, kind=kind, author_id=author, channel_id=channel, text=text, idempotency_key=f"{n}"
            ),
        )
    url = engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://", 1)

    result = console("digest", "--team", TEAM, "--week", "2026-W20", cwd=tmp_path, DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Customer focus, week 20", "11 May to 17 May 2026"]
    for expected in [
        "Prouds: 2 (last week 2, 4-week average 0.5)",
        "Sorries: 1 (last week 0, 4-week average 0)",
        "People taking part: 3 (last week 2, 4-week average 0.5)",
        "Prouds (2):",
        "  UANNA: Called the clinic back",
        "Sorries without a root cause: 1",
        "  UBEN: Missed a callback",
    ]:
        assert expected in lines, expected
    assert "Secret pilot" not in result.stdout  # printed as a channel would get it: public channels only
    # UCARL took part too (the participation line counts 3), in a private channel: counted, not named
    assert lines[-1] == "Thank you: UANNA, UBEN, and 1 more in a private channel"


def test_mindset_bot_digest_with_a_bad_week_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'mindset.db'}"
    migrated = make_engine(url, pool_size=1)
    migrate.upgrade(migrated)
    migrated.dispose()

    result = console("digest", "--team", TEAM, "--week", "2026-W60", cwd=tmp_path, DATABASE_URL=url)

    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "mindset-bot: --week: '2026-W60' is not a week of that year"
    # the same, in process, for a week that is not even written like one
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)  # logging is left to pytest
    assert cli.main(["digest", "--team", TEAM, "--week", "last"]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.strip().splitlines()[-1] == "mindset-bot: --week: 'last' is not a week like 2027-W12"
    # and a week that has not begun: its digest would be empty, not news
    assert cli.main(["digest", "--team", TEAM, "--week", "2099-W02"]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.strip().splitlines()[-1] == (
        "mindset-bot: --week: 2099-W02 has not started yet; give this week or an earlier one"
    )
