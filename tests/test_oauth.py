"""Many workspaces: Slack's OAuth flow ("Add to Slack") over real HTTP, each workspace served with its own token.

The app is wired as `mindset-bot run` wires it when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set
(`bot.cli._wire`): slack_sdk's installation and state stores on our tables, a per-workspace client
directory, and Bolt's install page and redirect behind the same waitress server. The fake Slack
answers `oauth.v2.access`: a code "T222:abc" installs workspace T222 with the token xoxb-T222-abc.
"""

from __future__ import annotations

import base64
import contextlib
import html
import http.client
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from sqlalchemy import Engine, func, select, update

from bot.app import build_app
from bot.cli import Wiring, _wire
from bot.deps import Deps
from bot.engine.engine import NudgeEngine
from bot.scopes import BOT_SCOPES
from bot.server import make_http_server
from bot.services import actions as action_service
from storage.models import Entry, Workspace, slack_bots, slack_installations, slack_oauth_states
from storage.token_cipher import TokenCipher
from tests.conftest import SIGNING_SECRET, TOKEN_KEY, RunningBot, make_settings
from tests.engine_harness import SimClock, utc
from tests.fake_slack import Call, FakeSlack, Reply
from tests.slack_requests import SlackSender

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "test-client-secret-0123456789"
STATE_COOKIE = "slack-app-oauth-state"


# -- the app in OAuth mode, over HTTP (used by test_uninstall.py and test_isolation.py too) --------------


@dataclass
class Page:
    status: int
    body: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclass
class OAuthBot:
    """The app serving many workspaces over HTTP, and what a test needs to drive it."""

    url: str
    port: int
    deps: Deps
    engine: Engine
    slack: SlackSender
    fake: FakeSlack
    wiring: Wiring

    def get(self, path: str, *, cookie: str | None = None) -> Page:
        """A browser's GET (no redirects followed), optionally with a Cookie header."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            return Page(response.status, response.read().decode(), response.getheaders())
        finally:
            connection.close()

    def start_install(self) -> tuple[str, str]:
        """Open the install page: the state its link carries and the cookie it set."""
        page = self.get("/slack/install")
        assert page.status == 200, page.body
        state = authorize_query(page)["state"][0]
        [cookie] = page.header("Set-Cookie")
        return state, cookie.split(";", 1)[0]

    def redirect(self, code: str, state: str | None, cookie: str | None) -> Page:
        query = {"code": code} | ({"state": state} if state is not None else {})
        return self.get("/slack/oauth_redirect?" + urlencode(query), cookie=cookie)

    def install(self, team: str, suffix: str = "first") -> str:
        """Install the app in `team` the way a person does; the workspace's new bot token."""
        state, cookie = self.start_install()
        page = self.redirect(f"{team}:{suffix}", state, cookie)
        assert page.status == 200, page.body
        assert "Thank you!" in page.body
        return f"xoxb-{team}-{suffix}"

    def nudge_engine(self, clock: SimClock, worker_id: str = "engine-test") -> NudgeEngine:
        """The engine as `mindset-bot run` makes it (each workspace's own client), on a simulated clock."""
        return NudgeEngine(
            session_factory=self.deps.session_factory,
            client_for=self.wiring.clients.for_team,
            clock=clock,
            worker_id=worker_id,
        )

    def as_running_bot(self) -> RunningBot:
        return RunningBot(self.url, self.deps, self.engine, self.slack, self.fake)


def serve_oauth(engine: Engine, fake: FakeSlack) -> Iterator[OAuthBot]:
    settings = make_settings(
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_api_url=fake.api_url,
        database_url=str(engine.url),
    )
    assert settings.oauth and settings.slack_bot_token is None
    wiring = _wire(settings, engine)
    assert wiring.oauth_settings is not None and wiring.deps.installations is not None
    app = build_app(wiring.deps, oauth_settings=wiring.oauth_settings)
    server = make_http_server(app, engine, host="127.0.0.1", port=0, threads=4, loop_timeout=0.05)
    thread = threading.Thread(target=server.serve, name="bot-http-oauth", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.port}"
    try:
        yield OAuthBot(
            url,
            server.port,
            wiring.deps,
            engine,
            SlackSender(url, SIGNING_SECRET, fake.response_url("x")[:-2]),
            fake,
            wiring,
        )
    finally:
        # bot/server.py HttpServer.stop queues its closing thunk before it writes to waitress's trigger: a
        # wake-up already under way (a worker that just answered) can run the thunk, which closes the trigger,
        # and the write then fails with EBADF. The server has stopped all the same (checked below).
        with contextlib.suppress(OSError):
            server.stop()
        thread.join(timeout=5)
        assert not thread.is_alive(), "the HTTP server did not stop"


@pytest.fixture
def oauth_bot(engine: Engine, fake_slack: FakeSlack) -> Iterator[OAuthBot]:
    yield from serve_oauth(engine, fake_slack)


def authorize_query(page: Page) -> dict[str, list[str]]:
    """The query of the install page's "Add to Slack" link."""
    [href] = re.findall(r'<a href="([^"]+)"', page.body)
    link = urlparse(html.unescape(href))
    assert (link.scheme, link.netloc, link.path) == ("https", "slack.com", "/oauth/v2/authorize"), link
    return parse_qs(link.query, keep_blank_values=True)


def rows(engine: Engine, table: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(table).order_by(table.c.id)).mappings()]


def stored_states(engine: Engine) -> list[str]:
    return [row["state"] for row in rows(engine, slack_oauth_states)]


def installed_teams(engine: Engine) -> tuple[list[str], list[str]]:
    """The team ids of the installation rows and of the bot rows."""
    return (
        [row["team_id"] for row in rows(engine, slack_installations)],
        [row["team_id"] for row in rows(engine, slack_bots)],
    )


def opened(stored: str) -> str:
    """A token as stored (encrypted with the tests' TOKEN_ENCRYPTION_KEYS), decrypted."""
    return TokenCipher.parse(TOKEN_KEY).open(stored)


def basic_auth(call: Call) -> tuple[str, str]:
    scheme, _, encoded = call.headers["authorization"].partition(" ")
    assert scheme == "Basic", call.headers["authorization"]
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    return client_id, secret


# -- the install page ---------------------------------------------------------------------------------


def test_install_page_offers_add_to_slack_with_a_state_the_client_id_and_the_scopes(oauth_bot: OAuthBot) -> None:
    page = oauth_bot.get("/slack/install")

    assert page.status == 200, page.body
    assert page.header("Content-Type") == ["text/html; charset=utf-8"]
    assert 'alt="Add to Slack"' in page.body
    query = authorize_query(page)
    assert query["client_id"] == [CLIENT_ID]
    assert sorted(query["scope"][0].split(",")) == sorted(BOT_SCOPES)
    assert query["user_scope"] == [""]  # the bot asks for no user token
    [state] = query["state"]
    assert len(state) >= 32  # a random uuid, not something guessable
    # the same state is set as a cookie of this browser (HttpOnly, Secure, for the state's lifetime)
    [cookie] = page.header("Set-Cookie")
    parts = [part.strip() for part in cookie.split(";")]
    assert parts[0] == f"{STATE_COOKIE}={state}"
    assert {"Secure", "HttpOnly", "Path=/", "Max-Age=600"} <= set(parts)
    # and kept in slack_oauth_states until it is used, for 10 minutes
    [row] = rows(oauth_bot.engine, slack_oauth_states)
    assert row["state"] == state
    expires = row["expire_at"].replace(tzinfo=UTC)
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)
    # nothing is installed by looking at the page, and Slack was not asked anything
    assert installed_teams(oauth_bot.engine) == ([], [])
    assert oauth_bot.fake.calls == []

    # every visit gets its own state
    again = authorize_query(oauth_bot.get("/slack/install"))["state"][0]
    assert again != state
    assert stored_states(oauth_bot.engine) == [state, again]


# -- the redirect back from Slack ---------------------------------------------------------------------


def test_redirect_with_its_state_and_cookie_stores_the_installation(oauth_bot: OAuthBot) -> None:
    state, cookie = oauth_bot.start_install()

    page = oauth_bot.redirect("T111:first", state, cookie)

    assert page.status == 200, page.body
    assert "Thank you!" in page.body
    assert "slack://app?team=T111&amp;id=A111" in page.body  # opens the app in the workspace it joined
    assert any(value.startswith(f"{STATE_COOKIE}=deleted") for value in page.header("Set-Cookie"))
    # the code was exchanged once, with the app's client id and secret (HTTP Basic, as Slack asks)
    [exchange] = oauth_bot.fake.calls_to("oauth.v2.access")
    assert exchange.params["code"] == "T111:first"
    assert basic_auth(exchange) == (CLIENT_ID, CLIENT_SECRET)
    # the installation, for that team, with the token Slack gave
    [installation] = rows(oauth_bot.engine, slack_installations)
    assert (installation["client_id"], installation["app_id"], installation["team_id"]) == (CLIENT_ID, "A111", "T111")
    assert (installation["enterprise_id"], installation["user_id"]) == (None, "W111")
    assert opened(installation["bot_token"]) == "xoxb-T111-first"  # stored encrypted (test_token_encryption.py)
    assert installation["bot_user_id"] == "UBOT"
    assert sorted(installation["bot_scopes"].split(",")) == sorted(BOT_SCOPES)
    assert installation["is_enterprise_install"] is False
    [bot_row] = rows(oauth_bot.engine, slack_bots)
    assert (bot_row["client_id"], bot_row["team_id"], opened(bot_row["bot_token"])) == (
        CLIENT_ID,
        "T111",
        "xoxb-T111-first",
    )
    # the token is what the bot now uses for T111 (and for nobody else); the state is spent
    store = oauth_bot.deps.installations
    assert store is not None and store.bot_token("T111") == "xoxb-T111-first"  # type: ignore[attr-defined]
    assert store.bot_token("T222") is None  # type: ignore[attr-defined]
    assert stored_states(oauth_bot.engine) == []
    # the workspace is known as installed
    with oauth_bot.deps.session_factory() as session:
        workspace = session.get(Workspace, "T111")
        assert workspace is not None and workspace.uninstalled_at is None


@pytest.mark.parametrize(
    "how",
    ["state tampered with", "state and cookie forged alike", "cookie missing", "cookie of another state", "no state"],
)
def test_redirect_without_a_state_this_browser_was_given_is_refused_and_stores_nothing(
    oauth_bot: OAuthBot, how: str
) -> None:
    state, cookie = oauth_bot.start_install()
    other_state, _ = oauth_bot.start_install()  # a genuine state, issued to another browser
    tampered = state[:-1] + ("0" if state[-1] != "0" else "1")
    sent_state, sent_cookie, status = {
        "state tampered with": (tampered, cookie, 400),
        "state and cookie forged alike": (tampered, f"{STATE_COOKIE}={tampered}", 401),
        "cookie missing": (state, None, 400),
        "cookie of another state": (other_state, cookie, 400),
        "no state": (None, cookie, 400),
    }[how]

    page = oauth_bot.redirect("T111:first", sent_state, sent_cookie)

    assert page.status == status, page.body
    assert "Oops, Something Went Wrong!" in page.body
    assert "Thank you!" not in page.body
    assert oauth_bot.fake.calls_to("oauth.v2.access") == []  # the code was never exchanged
    assert installed_teams(oauth_bot.engine) == ([], [])
    with oauth_bot.deps.session_factory() as session:
        assert session.get(Workspace, "T111") is None
    # the states that were not consumed are still there (and one that was forged never was)
    assert sorted(stored_states(oauth_bot.engine)) == sorted([state, other_state])


def test_a_state_cannot_be_used_twice(oauth_bot: OAuthBot) -> None:
    state, cookie = oauth_bot.start_install()
    assert oauth_bot.redirect("T111:first", state, cookie).status == 200

    replay = oauth_bot.redirect("T222:stolen", state, cookie)

    assert replay.status == 401, replay.body
    assert "invalid_state" in replay.body
    assert [call.params["code"] for call in oauth_bot.fake.calls_to("oauth.v2.access")] == ["T111:first"]
    assert installed_teams(oauth_bot.engine) == (["T111"], ["T111"])
    assert [opened(row["bot_token"]) for row in rows(oauth_bot.engine, slack_bots)] == ["xoxb-T111-first"]


def test_an_expired_state_is_refused(oauth_bot: OAuthBot) -> None:
    state, cookie = oauth_bot.start_install()
    # ten minutes and a second later, as the store reckons time (naive UTC)
    with oauth_bot.engine.begin() as connection:
        connection.execute(
            update(slack_oauth_states)
            .where(slack_oauth_states.c.state == state)
            .values(expire_at=datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1))
        )

    page = oauth_bot.redirect("T111:first", state, cookie)

    assert page.status == 401, page.body
    assert "invalid_state" in page.body
    assert oauth_bot.fake.calls_to("oauth.v2.access") == []
    assert installed_teams(oauth_bot.engine) == ([], [])


def test_slack_refusing_the_code_stores_nothing(oauth_bot: OAuthBot) -> None:
    oauth_bot.fake.fail("oauth.v2.access", "invalid_code")
    state, cookie = oauth_bot.start_install()

    page = oauth_bot.redirect("T111:first", state, cookie)

    assert page.status == 401, page.body
    assert "invalid_code" in page.body
    assert installed_teams(oauth_bot.engine) == ([], [])


# -- two workspaces, each with its own token ---------------------------------------------------------


def entries(bot: OAuthBot) -> list[Entry]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(Entry).order_by(Entry.id)))


def test_two_workspaces_are_each_answered_and_posted_to_with_their_own_token(oauth_bot: OAuthBot) -> None:
    token_111 = oauth_bot.install("T111")
    token_222 = oauth_bot.install("T222")
    assert token_111 != token_222
    assert installed_teams(oauth_bot.engine) == (["T111", "T222"], ["T111", "T222"])

    first = oauth_bot.slack.send_command("/proud", "Called the clinic back", team="T111", user="W111", channel="C111")
    second = oauth_bot.slack.send_command(
        "/proud", "Fixed the pharmacy export", team="T222", user="W222", channel="C222"
    )

    for answer in (first, second):
        assert answer.status == 200, answer.text
        assert answer.json["response_type"] == "ephemeral"
        assert "Saved your proud" in answer.json["text"]
    stored = {(e.team_id, e.author_id, e.channel_id, e.text) for e in entries(oauth_bot)}
    assert stored == {
        ("T111", "W111", "C111", "Called the clinic back"),
        ("T222", "W222", "C222", "Fixed the pharmacy export"),
    }
    posts = oauth_bot.fake.wait_for("chat.postMessage", 2)
    assert {(post.params["channel"], post.token) for post in posts} == {("C111", token_111), ("C222", token_222)}
    assert "Called the clinic back" in str(next(p for p in posts if p.params["channel"] == "C111").params["blocks"])
    # every call the app made for a workspace carried that workspace's token, none the other's
    for call in oauth_bot.fake.calls:
        if call.method in ("oauth.v2.access", "auth.test") or call.method.startswith("response_url:"):
            continue
        channel = str(call.params.get("channel") or "")
        assert call.token == {"C111": token_111, "C222": token_222}[channel], (call.method, channel, call.token)


def test_a_workspace_that_never_installed_the_app_is_not_served(oauth_bot: OAuthBot) -> None:
    oauth_bot.install("T111")

    answer = oauth_bot.slack.send_command("/proud", "Sneaking in", team="T333", user="W333", channel="C333")

    assert answer.status in (200, 401), answer.text
    assert entries(oauth_bot) == []
    assert oauth_bot.fake.calls_to("chat.postMessage") == []


def add_item(deps: Deps, team: str, owner: str, due: date, title: str) -> None:
    card, created = action_service.create_action(
        deps,
        action_service.NewAction(
            team_id=team,
            title=title,
            owner_id=owner,
            created_by=owner,
            due_date=due,
            today=deps.clock().date(),
            idempotency_key=f"test:{team}:{title}",
        ),
    )
    assert created and card.team_id == team


def test_the_nudge_engine_sends_each_workspaces_nudges_with_its_own_token(oauth_bot: OAuthBot) -> None:
    token_111 = oauth_bot.install("T111")
    token_222 = oauth_bot.install("T222")
    oauth_bot.fake.users["UANNA"] = {"id": "UANNA", "name": "anna", "tz": "UTC", "deleted": False}
    oauth_bot.fake.users["UBEN"] = {"id": "UBEN", "name": "ben", "tz": "UTC", "deleted": False}
    clock = SimClock(utc(2026, 11, 12, 8, 0))  # Thursday
    timed = Deps(settings=oauth_bot.deps.settings, session_factory=oauth_bot.deps.session_factory, clock=clock)
    # due Friday 20 November: a reminder 7 days ahead, tomorrow, Friday 13 at 09:00 (UTC)
    add_item(timed, "T111", "UANNA", date(2026, 11, 20), "Call the three clinics")
    add_item(timed, "T222", "UBEN", date(2026, 11, 20), "Visit the pharmacy")
    engine = oauth_bot.nudge_engine(clock)

    while clock.now < utc(2026, 11, 13, 12, 0):
        clock.now += timedelta(hours=3)
        engine.tick(clock.now)

    reminders = [call for call in oauth_bot.fake.calls_to("chat.postMessage") if "Reminder" in call.params["text"]]
    assert sorted((call.params["channel"], call.token) for call in reminders) == [
        ("UANNA", token_111),
        ("UBEN", token_222),
    ]
    assert "Call the three clinics" in next(c for c in reminders if c.params["channel"] == "UANNA").params["text"]
    assert "Visit the pharmacy" in next(c for c in reminders if c.params["channel"] == "UBEN").params["text"]
    # the engine learnt each person's time zone from their own workspace, too
    looked_up = {(call.params["user"], call.token) for call in oauth_bot.fake.calls_to("users.info")}
    assert looked_up == {("UANNA", token_111), ("UBEN", token_222)}


# -- one workspace (a bot token): no OAuth pages ------------------------------------------------------


def test_single_workspace_mode_serves_no_install_page(bot: RunningBot) -> None:
    for path in ("/slack/install", "/slack/oauth_redirect?" + urlencode({"code": "T111:x", "state": "s"})):
        answer = bot.slack.get(path)
        assert answer.status == 404, (path, answer.text)
        assert answer.json == {"error": "not found"}
    assert bot.fake.calls_to("oauth.v2.access") == []
    with bot.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(slack_bots)) == 0
        assert connection.scalar(select(func.count()).select_from(slack_installations)) == 0
        assert connection.scalar(select(func.count()).select_from(slack_oauth_states)) == 0


# -- a workspace of an Enterprise Grid org -------------------------------------------------------------

GRID = {"id": "E111", "name": "Sandbox Org"}


def install_in_grid(bot: OAuthBot, team: str) -> str:
    """Install in a workspace that belongs to an Enterprise Grid org: Slack names the org in its answer."""
    token = f"xoxb-{team}-grid"
    bot.fake.script(
        "oauth.v2.access",
        Reply(
            body={
                "ok": True,
                "app_id": "A111",
                "authed_user": {"id": "W111"},
                "scope": ",".join(BOT_SCOPES),
                "token_type": "bot",
                "access_token": token,
                "bot_user_id": "UBOT",
                "team": {"id": team, "name": f"Workspace {team}"},
                "enterprise": GRID,
                "is_enterprise_install": False,
            }
        ),
    )
    assert bot.install(team, "grid") == token
    assert [row["enterprise_id"] for row in rows(bot.engine, slack_bots)] == [GRID["id"]]
    return token


def test_a_grid_workspace_gets_its_nudges_with_its_own_token(oauth_bot: OAuthBot) -> None:
    token = install_in_grid(oauth_bot, "T111")
    oauth_bot.fake.users["UANNA"] = {"id": "UANNA", "name": "anna", "tz": "UTC", "deleted": False}
    clock = SimClock(utc(2026, 11, 12, 8, 0))
    timed = Deps(settings=oauth_bot.deps.settings, session_factory=oauth_bot.deps.session_factory, clock=clock)
    add_item(timed, "T111", "UANNA", date(2026, 11, 20), "Call the three clinics")
    engine = oauth_bot.nudge_engine(clock)

    while clock.now < utc(2026, 11, 13, 12, 0):
        clock.now += timedelta(hours=3)
        engine.tick(clock.now)

    reminders = [call for call in oauth_bot.fake.calls_to("chat.postMessage") if "Reminder" in call.params["text"]]
    assert [(call.params["channel"], call.token) for call in reminders] == [("UANNA", token)]
