"""A workspace leaving: `app_uninstalled` and `tokens_revoked` stop it at once (its data stays), installing
again brings it back, and `mindset-bot purge --team` deletes everything of it (and nothing of another).

Events are signed and sent over HTTP to the app serving many workspaces (tests/test_oauth.py's
`oauth_bot`); the engine runs in simulated time with each workspace's own client; purge runs as the
console script in a subprocess, on a SQLite file and on a fresh PostgreSQL database.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from bot.cli import _check_token, _wire
from bot.deps import Deps
from bot.services import actions as action_service
from bot.services import entries as entry_service
from storage import migrate
from storage.db import make_engine, make_session_factory
from storage.models import (
    ActionEvent,
    ActionFuture,
    ActionItem,
    ActionPerson,
    Ambassador,
    Base,
    Channel,
    CustomerGroup,
    DashboardFigures,
    Delivery,
    Entry,
    EntryKind,
    Future,
    FutureEndorsement,
    Holiday,
    JourneyStage,
    LeadLink,
    LeadReview,
    Meeting,
    MeetingAnswer,
    MeetingPrompt,
    MeetingQuestion,
    MindsetAdmin,
    Person,
    ProcessedEvent,
    PulseAnswer,
    PulseResponse,
    RootCauseRevision,
    SettingsChange,
    TimeChange,
    Workspace,
    slack_bots,
    slack_installations,
)
from storage.token_cipher import TokenCipher
from tests.conftest import TOKEN_KEY, RunningBot, create_pg_database, drop_pg_database, make_settings
from tests.engine_harness import SimClock, simulation, utc
from tests.slack_requests import payload
from tests.test_cli import _script as mindset_bot_script
from tests.test_cli import clean_env, no_traceback, plain_pg_url
from tests.test_oauth import OAuthBot, install_in_grid, installed_teams, oauth_bot  # noqa: F401 - a fixture

ANNA, CARL = "UANNA", "UCARL"  # of T111
BEN, DORA = "UBEN", "UDORA"  # of T222
START = utc(2026, 11, 12, 8, 0)  # Thursday 12 November 2026
DUE = date(2026, 11, 20)  # a Friday: reminders on Friday 13 and Thursday 19 at 09:00 (everyone is in UTC)


# -- helpers ----------------------------------------------------------------------------------------


@dataclass
class Scene:
    """Two installed workspaces with an item due on DUE each, and one "new commitment" nudge pending each."""

    bot: OAuthBot
    clock: SimClock
    deps: Deps
    tokens: dict[str, str]
    entry_111: int

    def run_until(self, end: datetime, step: timedelta = timedelta(hours=3)) -> None:
        engine = self.bot.nudge_engine(self.clock)
        while self.clock.now < end:
            self.clock.now = min(self.clock.now + step, end)
            engine.tick(self.clock.now)

    def posts_to(self, user: str) -> list[tuple[str, str | None]]:
        """(text, token) of each message the bot sent `user`."""
        return [
            (str(call.params["text"]), call.token)
            for call in self.bot.fake.calls_to("chat.postMessage")
            if call.params.get("channel") == user
        ]

    def deliveries(self, team: str) -> list[Delivery]:
        with self.deps.session_factory() as session:
            query = select(Delivery).where(Delivery.team_id == team).order_by(Delivery.id)
            return list(session.scalars(query))

    def workspace(self, team: str) -> Workspace:
        with self.deps.session_factory() as session:
            found = session.get(Workspace, team)
            assert found is not None
            return found


def add_item(deps: Deps, team: str, title: str, *, owner: str, by: str) -> None:
    _, created = action_service.create_action(
        deps,
        action_service.NewAction(
            team_id=team,
            title=title,
            owner_id=owner,
            created_by=by,
            due_date=DUE,
            today=deps.clock().date(),
            idempotency_key=f"test:{team}:{title}",
        ),
    )
    assert created


@pytest.fixture
def scene(oauth_bot: OAuthBot) -> Scene:  # noqa: F811 - the fixture imported above
    tokens = {team: oauth_bot.install(team) for team in ("T111", "T222")}
    for user in (ANNA, CARL, BEN, DORA):
        oauth_bot.fake.users[user] = {"id": user, "name": user.lower(), "tz": "UTC", "deleted": False}
    clock = SimClock(START)
    deps = Deps(settings=oauth_bot.deps.settings, session_factory=oauth_bot.deps.session_factory, clock=clock)
    # created by someone else: each owner has a "new commitment" message pending
    add_item(deps, "T111", "Call the three clinics", owner=ANNA, by=CARL)
    add_item(deps, "T222", "Visit the pharmacy", owner=BEN, by=DORA)
    logged = entry_service.log_entry(
        deps,
        entry_service.NewEntry(
            team_id="T111",
            kind=EntryKind.SORRY,
            author_id=ANNA,
            channel_id="C111",
            text="Refunds took two weeks",
            idempotency_key="test:sorry",
        ),
    )
    return Scene(oauth_bot, clock, deps, tokens, logged.card.id)


def event(name: str, event_id: str, *, team: str = "T111", **changes: Any) -> dict[str, Any]:
    body = payload(name)
    body.update(team_id=team, event_id=event_id)
    body["event"].update(changes)
    return body


def kinds(posts: list[tuple[str, str | None]]) -> list[str]:
    """What each message is, from its first words: "New commitment (owner): ..." is a "New commitment"."""
    return [text.split(":")[0].split(" (")[0] for text, _ in posts]


def pending(deliveries: list[Delivery]) -> list[tuple[str, str, str]]:
    return [(d.kind, d.recipient, d.status) for d in deliveries]


# -- app_uninstalled ----------------------------------------------------------------------------------


def test_uninstalling_forgets_the_tokens_skips_what_was_planned_and_stops_the_nudges(scene: Scene) -> None:
    assert pending(scene.deliveries("T111")) == [("action_assigned", ANNA, "pending")]

    answer = scene.bot.slack.send_event(event("app_uninstalled.json", "EvUninstall111"))

    assert (answer.status, answer.text) == (200, "")
    # its installation rows are gone; the other workspace's stay
    assert installed_teams(scene.bot.engine) == (["T222"], ["T222"])
    assert scene.workspace("T111").uninstalled_at is not None
    assert scene.workspace("T222").uninstalled_at is None
    # what was planned for it is skipped, and says why; the other workspace's is still to be sent
    [skipped] = scene.deliveries("T111")
    assert (skipped.status, skipped.last_error) == ("skipped", "workspace uninstalled")
    assert pending(scene.deliveries("T222")) == [("action_assigned", BEN, "pending")]

    scene.run_until(utc(2026, 11, 13, 12, 0))  # past Friday's 09:00 reminders

    assert scene.posts_to(ANNA) == []  # nothing more for the workspace that left
    bens = scene.posts_to(BEN)
    assert kinds(bens) == ["New commitment", "Reminder"], bens
    assert {token for _, token in bens} == {scene.tokens["T222"]}
    # nothing of T111's was sent (the engine does not even plan for it: it cannot ask Slack about its people)
    assert [(d.kind, d.status, d.last_error) for d in scene.deliveries("T111")] == [
        ("action_assigned", "skipped", "workspace uninstalled")
    ]
    # its data stays until a purge
    with scene.deps.session_factory() as session:
        assert session.get(Entry, scene.entry_111) is not None
        assert [item.title for item in session.scalars(select(ActionItem).where(ActionItem.team_id == "T111"))] == [
            "Call the three clinics"
        ]


def test_installing_again_brings_the_workspace_back(scene: Scene) -> None:
    scene.bot.slack.send_event(event("app_uninstalled.json", "EvUninstall111"))
    scene.run_until(utc(2026, 11, 13, 12, 0))
    assert scene.posts_to(ANNA) == []

    token = scene.bot.install("T111", "second")

    assert token != scene.tokens["T111"]
    assert scene.workspace("T111").uninstalled_at is None
    assert installed_teams(scene.bot.engine) == (["T222", "T111"], ["T222", "T111"])
    scene.run_until(utc(2026, 11, 19, 12, 0))  # past Thursday's reminders, the day before DUE
    # the nudges go out again, with the new token (the old one was revoked by the uninstall): Friday's
    # 7-day reminder, never planned while the workspace was away, goes out at the next tick (one current
    # nudge, no backlog), then Monday's check-in and root cause nudge, and Thursday's 1-day reminder
    annas = scene.posts_to(ANNA)
    assert kinds(annas) == ["Reminder", "Weekly check-in", "Your sorry still has no root cause", "Reminder"], annas
    assert {used for _, used in annas} == {token}
    assert "Call the three clinics" in annas[0][0] and "Call the three clinics" in annas[-1][0]
    # and the workspace is served again: a /proud is answered and posted with the new token
    before = len(scene.bot.fake.calls_to("chat.postMessage"))
    answer = scene.bot.slack.send_command("/proud", "Back again", team="T111", user=ANNA, channel="C111")
    assert "Saved your proud" in answer.json["text"]
    post = scene.bot.fake.wait_for("chat.postMessage", before + 1)[-1]
    assert (post.params["channel"], post.token) == ("C111", token)
    # what it had written before is all there
    with scene.deps.session_factory() as session:
        assert session.get(Entry, scene.entry_111) is not None


# -- tokens_revoked -----------------------------------------------------------------------------------


def test_revoking_the_bot_token_is_an_uninstall(scene: Scene) -> None:
    answer = scene.bot.slack.send_event(
        event("tokens_revoked.json", "EvRevokedBot", tokens={"oauth": [], "bot": ["UBOT"]})
    )

    assert (answer.status, answer.text) == (200, "")
    assert installed_teams(scene.bot.engine) == (["T222"], ["T222"])
    assert scene.workspace("T111").uninstalled_at is not None
    assert [(d.status, d.last_error) for d in scene.deliveries("T111")] == [("skipped", "workspace uninstalled")]
    scene.run_until(utc(2026, 11, 13, 12, 0))
    assert scene.posts_to(ANNA) == []
    assert kinds(scene.posts_to(BEN)) == ["New commitment", "Reminder"]


def test_revoking_only_user_tokens_changes_nothing(scene: Scene) -> None:
    answer = scene.bot.slack.send_event(
        event("tokens_revoked.json", "EvRevokedUser", tokens={"oauth": ["W111"], "bot": []})
    )

    assert (answer.status, answer.text) == (200, "")
    assert installed_teams(scene.bot.engine) == (["T111", "T222"], ["T111", "T222"])
    assert scene.workspace("T111").uninstalled_at is None
    assert pending(scene.deliveries("T111")) == [("action_assigned", ANNA, "pending")]
    scene.run_until(utc(2026, 11, 13, 12, 0))
    annas = scene.posts_to(ANNA)
    assert kinds(annas) == ["New commitment", "Reminder"]
    assert {token for _, token in annas} == {scene.tokens["T111"]}


def test_a_retried_uninstall_event_is_harmless_and_the_other_workspace_is_untouched(scene: Scene) -> None:
    body = event("app_uninstalled.json", "EvUninstall111")
    first = scene.bot.slack.send_event(body)
    uninstalled_at = scene.workspace("T111").uninstalled_at
    again = scene.bot.slack.send_event(body, retry_num=1)

    assert (first.status, again.status) == (200, 200)
    assert scene.workspace("T111").uninstalled_at == uninstalled_at
    assert installed_teams(scene.bot.engine) == (["T222"], ["T222"])
    assert scene.bot.wiring.clients.for_team("T222") is not None


def test_uninstalling_a_grid_workspace_deletes_its_tokens(oauth_bot: OAuthBot) -> None:  # noqa: F811
    install_in_grid(oauth_bot, "T111")
    body = event("app_uninstalled.json", "EvUninstallGrid")
    body["enterprise_id"] = "E111"  # Slack names the org in the events of its workspaces

    answer = oauth_bot.slack.send_event(body)

    assert (answer.status, answer.text) == (200, "")
    with oauth_bot.deps.session_factory() as session:
        workspace = session.get(Workspace, "T111")
        assert workspace is not None and workspace.uninstalled_at is not None  # this part works
    assert installed_teams(oauth_bot.engine) == ([], [])


# -- one workspace (SLACK_BOT_TOKEN) ---------------------------------------------------------------------


def test_single_workspace_uninstall_stops_the_nudges(bot: RunningBot) -> None:
    sim = simulation(bot.deps, bot.fake, START)
    sim.add_person(ANNA, "UTC")
    add_item(sim.deps, "T111", "Call the three clinics", owner=ANNA, by=CARL)

    answer = bot.slack.send_event(event("app_uninstalled.json", "EvUninstallSingle"))

    assert (answer.status, answer.text) == (200, "")
    sim.run_until(utc(2026, 11, 13, 12, 0))
    assert [call for call in sim.messages() if call.params["channel"] == ANNA] == []
    with bot.deps.session_factory() as session:
        statuses = [(d.kind, d.status, d.last_error) for d in session.scalars(select(Delivery).order_by(Delivery.id))]
    assert statuses == [
        ("action_assigned", "skipped", "workspace uninstalled"),  # pending when the event came
        ("action_reminder", "skipped", "workspace not installed"),  # came due afterwards
    ]


def test_single_workspace_reinstalled_and_restarted_gets_its_nudges_again(bot: RunningBot) -> None:
    sim = simulation(bot.deps, bot.fake, START)
    sim.add_person(ANNA, "UTC")
    add_item(sim.deps, "T111", "Call the three clinics", owner=ANNA, by=CARL)
    bot.slack.send_event(event("app_uninstalled.json", "EvUninstallSingle"))

    # reinstalled from the app's settings page; the bot restarts with the new token (as `mindset-bot run` does)
    settings = make_settings(slack_api_url=bot.fake.api_url, database_url=str(bot.engine.url))
    _wire(settings, bot.engine, _check_token(settings))  # the token is checked first, then the database wired
    sim.run_until(utc(2026, 11, 13, 12, 0))

    annas = [(str(call.params["text"]), call.token) for call in sim.messages() if call.params["channel"] == ANNA]
    assert kinds(annas) == ["Reminder"]


# -- mindset-bot purge --team ----------------------------------------------------------------------------

SEED_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seed_team(session: Session, team: str, entries: int) -> None:
    """A row (or `entries` rows) for `team` in every table the bot keeps."""
    group = CustomerGroup(
        team_id=team, name=f"Clinics {team}", name_key=f"clinics {team.lower()}", created_by="U1", created_at=SEED_NOW
    )
    session.add(group)
    made = []
    for n in range(entries):
        entry = Entry(
            team_id=team,
            kind="sorry",
            author_id="U1",
            channel_id="C1",
            text=f"Sorry {n} of {team}",
            created_at=SEED_NOW,
            idempotency_key=f"seed:{team}:{n}",
            message_ts=f"1700000000.{n:06d}",
            root_cause=f"Why {n}",
            root_cause_by="U2",
        )
        entry.groups = [group]
        made.append(entry)
    question = MeetingQuestion(team_id=team, text=f"Q of {team}", text_key=f"q of {team.lower()}", created_at=SEED_NOW)
    meeting = Meeting(
        team_id=team,
        title=f"Review of {team}",
        channel_id="C1",
        owner_id="U1",
        repeat="weekly",
        start_date=date(2026, 3, 3),
        weekdays="2",
        at_time=time(10, 0),
        tz="UTC",
        created_by="U1",
        created_at=SEED_NOW,
        idempotency_key=f"seed:{team}:meeting",
    )
    session.add_all([*made, question, meeting])
    session.flush()
    session.add(
        RootCauseRevision(
            entry_id=made[0].id, text="An earlier why", written_by="U1", replaced_by="U2", replaced_at=SEED_NOW
        )
    )
    prompt = MeetingPrompt(
        team_id=team,
        meeting_id=meeting.id,
        occurrence_date=date(2026, 3, 3),
        title=meeting.title,
        question_id=question.id,
        question_text=question.text,
        created_at=SEED_NOW,
        idempotency_key=f"meeting:{meeting.id}:2026-03-03",
    )
    session.add(prompt)
    session.flush()
    answer = MeetingAnswer(
        team_id=team,
        prompt_id=prompt.id,
        subject=f"group:{group.id}",
        group_id=group.id,
        text=f"Answer of {team}",
        answered_by="U1",
        answered_at=SEED_NOW,
    )
    session.add(answer)
    session.flush()
    item = ActionItem(
        team_id=team,
        title=f"Item of {team}",
        owner_id="U1",
        created_by="U2",
        created_at=SEED_NOW,
        due_date=date(2026, 4, 1),
        original_due_date=date(2026, 4, 1),
        source="sorry",
        source_entry_id=made[0].id,
        source_answer_id=answer.id,
        idempotency_key=f"seed:{team}:item",
    )
    item.people = [ActionPerson(user_id="U2")]
    item.groups = [group]
    session.add(item)
    session.flush()
    ambassador = Ambassador(team_id=team, user_id="U1", joined_at=SEED_NOW)
    ambassador.groups = [group]
    future = Future(
        team_id=team,
        group_id=group.id,
        text=f"Future of {team}",
        author_id="U1",
        created_at=SEED_NOW,
        idempotency_key=f"seed:{team}:future",
        confirmed_at=SEED_NOW,
        confirmed_by="U2",
    )
    session.add(future)
    session.flush()
    session.add_all(
        [
            FutureEndorsement(future_id=future.id, user_id="U2", team_id=team, created_at=SEED_NOW),
            ActionFuture(action_id=item.id, future_id=future.id),
        ]
    )
    session.add_all(
        [
            ActionEvent(action_id=item.id, team_id=team, at=SEED_NOW, by="U2", kind="created", new_value="2026-04-01"),
            Person(team_id=team, user_id="U1", tz="UTC"),
            Workspace(team_id=team),
            Holiday(team_id=team, day=date(2026, 12, 25), name="Christmas"),
            Delivery(
                team_id=team,
                kind="action_reminder",
                subject=str(item.id),
                recipient="U1",
                occasion="due-7:2026-04-01",
                due_at=SEED_NOW,
                next_attempt_at=SEED_NOW,
            ),
            ProcessedEvent(team_id=team, event_id=f"Ev{team}", received_at=SEED_NOW),
            ambassador,
            LeadLink(team_id=team, report_id="U1", lead_id="U2", status="active", requested_at=SEED_NOW),
            LeadReview(team_id=team, lead_id="U2", report_id="U1", year=2026, quarter=1, created_at=SEED_NOW),
            TimeChange(team_id=team, user_id="U1"),
            # a week a year before the entries (a week holding one would be forgotten by the entries' trigger)
            DashboardFigures(
                team_id=team,
                zone="UTC",
                unit="week",
                starts_at=SEED_NOW - timedelta(days=365),
                ends_at=SEED_NOW - timedelta(days=358),
                claim="seed",
                figures='{"people": 1}',
            ),
            JourneyStage(team_id=team, group_id=None, position=0, name="Buy"),
            PulseResponse(team_id=team, user_id="U1", year=2026, quarter=1),
            PulseAnswer(id=f"a{team}", team_id=team, year=2026, quarter=1, digest=4, better="More examples"),
            Channel(team_id=team, channel_id="C1", is_private=False),
            MindsetAdmin(team_id=team, user_id="U2", added_by="U1", added_at=SEED_NOW),
            SettingsChange(team_id=team, at=SEED_NOW, by="U1", setting="time_zone", old_value="UTC", new_value="UTC"),
        ]
    )
    session.flush()
    installed = datetime(2026, 3, 1, 9, 0)
    common = {
        "client_id": "1.2",
        "app_id": "A111",
        "team_id": team,
        "bot_token": TokenCipher.parse(TOKEN_KEY).seal(f"xoxb-{team}"),  # stored encrypted, as the store does
        "installed_at": installed,
    }
    session.execute(insert(slack_installations).values(user_id="W1", **common))
    session.execute(insert(slack_bots).values(**common))


TEAMLESS = {"slack_oauth_states"}  # short-lived install states: nobody's data


def team_row_dicts(engine: Engine, team: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of `team` in every table of the schema (rows of link tables through their owner), by table."""
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in TEAMLESS:
                continue
            if "team_id" in table.c:
                query = select(table).where(table.c.team_id == team)
            else:
                owners = sorted(
                    (fk for fk in table.foreign_keys if "team_id" in fk.column.table.c), key=lambda fk: fk.parent.name
                )
                assert owners, f"{table.name}: whose rows are these? (no team_id, and no owner that has one)"
                fk = owners[0]
                query = select(table).where(fk.parent.in_(select(fk.column).where(fk.column.table.c.team_id == team)))
            found[table.name] = [dict(row) for row in connection.execute(query).mappings()]
    return found


def team_rows(engine: Engine, team: str) -> dict[str, list[str]]:
    """`team_row_dicts`, each row as sorted text: snapshots to compare before and after."""
    return {
        name: sorted(repr(sorted(row.items())) for row in found) for name, found in team_row_dicts(engine, team).items()
    }


def table_sizes(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
            if table.name not in TEAMLESS
        }


def seeded_database(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        migrate.upgrade(engine)
        with make_session_factory(engine)() as session:
            seed_team(session, "T111", entries=2)
            seed_team(session, "T222", entries=1)
            session.commit()
        for team in ("T111", "T222"):
            empty = [name for name, found in team_rows(engine, team).items() if not found]
            assert empty == [], f"the seed leaves these tables empty for {team}: {empty}"
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def purge_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, two workspaces in it: a file for SQLite, a fresh database on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'purge.db'}"
        seeded_database(url)
        yield url
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    url = create_pg_database(admin_url, prefix="mindset_purge")
    try:
        seeded_database(url)
        yield url
    finally:
        drop_pg_database(admin_url, url)


def snapshot(url: str, team: str) -> dict[str, list[str]]:
    engine = make_engine(url, pool_size=1)
    try:
        return team_rows(engine, team)
    finally:
        engine.dispose()


def sizes(url: str) -> dict[str, int]:
    engine = make_engine(url, pool_size=1)
    try:
        return table_sizes(engine)
    finally:
        engine.dispose()


def purge(url: str, cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [mindset_bot_script(), "purge", "--team", "T111", *args],
        cwd=cwd,
        env=clean_env(DATABASE_URL=plain_pg_url(url)),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


# what T111 holds, table by table, as the purge lists it (link-table rows go with their owners)
T111_COUNTS = (
    "1 meeting_answers, 1 action_items, 1 meeting_prompts, 1 meetings, 1 meeting_questions, 1 dashboard_figures, "
    "2 entries, 1 ambassadors, 1 lead_reviews, 1 lead_links, 1 journey_stages, 1 future_endorsements, 1 futures, "
    "1 pulse_responses, 1 pulse_answers, 1 customer_groups, 1 deliveries, 1 processed_events, 1 time_changes, "
    "1 people, 1 mindset_admins, 1 settings_changes, 1 holidays, 1 channels, 1 workspaces, 1 slack_installations, "
    "1 slack_bots"
)


@pytest.mark.parametrize("typed", ["T222\n", "yes\n", "t111\n", ""], ids=["other team", "yes", "lower case", "EOF"])
def test_purge_without_the_confirmation_deletes_nothing(purge_url: str, tmp_path: Path, typed: str) -> None:
    before = {team: snapshot(purge_url, team) for team in ("T111", "T222")}

    result = purge(purge_url, tmp_path, stdin=typed)

    assert result.returncode == 5, result.stdout + result.stderr
    no_traceback(result)
    assert f"This deletes, for good, everything of workspace T111: {T111_COUNTS}." in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "mindset-bot: Nothing was deleted."
    assert {team: snapshot(purge_url, team) for team in ("T111", "T222")} == before


@pytest.mark.parametrize("how", ["typed T111", "--yes"])
def test_purge_deletes_every_row_of_the_workspace_and_nothing_of_another(
    purge_url: str, tmp_path: Path, how: str
) -> None:
    other_before = snapshot(purge_url, "T222")
    assert sum(len(found) for found in snapshot(purge_url, "T111").values()) > 0

    result = purge(purge_url, tmp_path, stdin="T111\n") if how == "typed T111" else purge(purge_url, tmp_path, "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    no_traceback(result)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"This deletes, for good, everything of workspace T111: {T111_COUNTS}."
    assert lines[-1].endswith("Deleted 28 rows of workspace T111.")  # the 28 counted above
    left = snapshot(purge_url, "T111")
    assert {name: found for name, found in left.items() if found} == {}
    assert snapshot(purge_url, "T222") == other_before
    # and no row is left behind unseen (a link row whose owner went): every table holds T222's rows only
    assert sizes(purge_url) == {name: len(found) for name, found in other_before.items()}

    # once more: there is nothing left to delete
    again = purge(purge_url, tmp_path, "--yes")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "There is nothing of workspace T111 in the database."


def test_purge_reads_only_the_database_it_is_given(tmp_path: Path) -> None:
    """A mistyped SQLite path is refused rather than created empty (and nothing is "deleted")."""
    missing = tmp_path / "nope.db"
    result = purge(f"sqlite:///{missing}", tmp_path, "--yes")

    assert result.returncode == 3, result.stdout + result.stderr
    no_traceback(result)
    assert "there is no database at" in result.stderr
    assert not missing.exists()
