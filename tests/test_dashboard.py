"""The web dashboard (issue 19): the access rules and queries on SQLite and PostgreSQL, the signed cookies, and
Sign in with Slack over real HTTP against the fake Slack's OpenID Connect endpoints."""

from __future__ import annotations

import csv
import io
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.app import build_app
from bot.dashboard import cookies, service
from bot.dashboard.access import HIDDEN_TEXT, Viewer, viewer_of
from bot.dashboard.service import EntryChoice
from bot.dashboard.web import Dashboard
from bot.deps import Deps
from bot.server import make_http_server
from storage.db import make_session_factory
from storage.models import (
    ActionItem,
    Ambassador,
    Channel,
    CustomerGroup,
    Entry,
    EntryCustomerGroup,
    Future,
    LeadLink,
    Person,
    Workspace,
)
from storage.repositories.erasure import forget_person
from tests.conftest import SIGNING_SECRET, TEST_LIMITS, make_settings
from tests.fake_slack import FakeSlack

TEAM = "T111"
OTHER_TEAM = "T999"
ME = "U0ME"
AMBASSADOR = "U0AMB"
COLLEAGUE = "U0COL"
CLIENT_ID = "1234567890.1234567890"
CLIENT_SECRET = "dashboard-client-secret"
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)
PUBLIC, PRIVATE, SECRET = "CPUBLIC1", "GPRIVATE1", "GSECRET1"


# -- data ------------------------------------------------------------------------------------------


def _entry(
    session: Session,
    team: str,
    author: str,
    channel: str,
    text: str,
    *,
    kind: str = "sorry",
    days_ago: int = 3,
    cause_after: timedelta | None = None,
    group: CustomerGroup | None = None,
    area: str | None = None,
) -> Entry:
    at = NOW - timedelta(days=days_ago)
    entry = Entry(
        team_id=team,
        kind=kind,
        author_id=author,
        channel_id=channel,
        text=text,
        area=area,
        created_at=at,
        idempotency_key=f"{team}-{author}-{text}",
        message_ts="1700000000.000100",
    )
    if cause_after is not None:
        entry.root_cause, entry.root_cause_by, entry.root_cause_at = "the cause", author, at + cause_after
    session.add(entry)
    session.flush()
    if group is not None:
        session.add(EntryCustomerGroup(entry_id=entry.id, group_id=group.id))
    return entry


def seed(session: Session) -> CustomerGroup:
    """Two workspaces. In T111: my entries, a colleague's in a public channel, in a private one I am in and in one
    I am not in; an ambassador; a commitment of mine and one of the colleague's."""
    for team in (TEAM, OTHER_TEAM):
        session.add(Workspace(team_id=team))
    session.add(Person(team_id=TEAM, user_id=ME, tz="Europe/Dublin"))
    session.add(Ambassador(team_id=TEAM, user_id=AMBASSADOR, joined_at=NOW - timedelta(days=100)))
    session.add(Channel(team_id=TEAM, channel_id=PUBLIC, is_private=False, checked_at=NOW))
    session.add(Channel(team_id=TEAM, channel_id=PRIVATE, is_private=True, members=f"{ME} {COLLEAGUE}", checked_at=NOW))
    session.add(Channel(team_id=TEAM, channel_id=SECRET, is_private=True, members=f"{COLLEAGUE}", checked_at=NOW))
    group = CustomerGroup(team_id=TEAM, name="Small clinics", name_key="small clinics", created_by=ME, created_at=NOW)
    session.add(group)
    session.flush()
    refund = _entry(
        session, TEAM, ME, PUBLIC, "my refund was slow", cause_after=timedelta(days=2), group=group, area="operations"
    )
    refund.stage = "Billing"
    session.add(
        Future(
            team_id=TEAM,
            group_id=group.id,
            text="Every clinic is refunded within a day",
            author_id=COLLEAGUE,
            created_at=NOW - timedelta(days=50),
            idempotency_key="future-1",
            confirmed_at=NOW - timedelta(days=40),
            confirmed_by=AMBASSADOR,
        )
    )
    _entry(session, TEAM, ME, SECRET, "my own words in a channel I left", kind="proud", days_ago=10)
    _entry(session, TEAM, COLLEAGUE, PUBLIC, "public clinic praise", kind="proud", group=group)
    _entry(session, TEAM, COLLEAGUE, PRIVATE, "private but I am in it", days_ago=20)
    _entry(session, TEAM, COLLEAGUE, SECRET, "secret salary remark", days_ago=30)
    _entry(session, OTHER_TEAM, "U0STRANGER", PUBLIC, "another workspace's text")
    for owner, title in ((ME, "Call the clinic back"), (COLLEAGUE, "Fix the refunds")):
        session.add(
            ActionItem(
                team_id=TEAM,
                title=title,
                owner_id=owner,
                created_by=owner,
                created_at=NOW - timedelta(days=40),
                due_date=date(2026, 5, 1),
                original_due_date=date(2026, 5, 1),
                idempotency_key=f"item-{owner}",
            )
        )
    session.commit()
    return group


@pytest.fixture
def sessions(engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with factory() as session:
        seed(session)
    with factory() as session:
        yield session


def viewer(session: Session, user: str, team: str = TEAM) -> Viewer:
    found = viewer_of(session, team_id=team, user_id=user)
    assert found is not None
    return found


def texts(session: Session, who: Viewer, choice: EntryChoice | None = None) -> set[str]:
    return {shown.text for shown in service.entries(session, who, choice or EntryChoice()).entries}


# -- access rules and queries (both databases) ----------------------------------------------------


def test_a_member_sees_only_their_own_entries_with_their_own_words_even_from_a_channel_they_left(
    sessions: Session,
) -> None:
    me = viewer(sessions, ME)
    assert not me.sees_workspace
    assert texts(sessions, me) == {"my refund was slow", "my own words in a channel I left"}


def test_an_ambassador_sees_the_workspace_but_no_private_text_of_a_channel_they_are_not_in(sessions: Session) -> None:
    ambassador = viewer(sessions, AMBASSADOR)
    assert ambassador.sees_workspace
    seen = texts(sessions, ambassador)
    assert "public clinic praise" in seen and "my refund was slow" in seen
    assert "secret salary remark" not in seen and "private but I am in it" not in seen
    assert HIDDEN_TEXT in seen  # counted and listed, never quoted
    assert "another workspace's text" not in seen


def test_a_member_of_a_private_channel_reads_it_and_a_non_member_does_not(sessions: Session) -> None:
    sessions.add(Ambassador(team_id=TEAM, user_id=ME, joined_at=NOW))
    sessions.commit()
    me = viewer(sessions, ME)  # now an ambassador, and a member of PRIVATE but not of SECRET
    seen = texts(sessions, me)
    assert "private but I am in it" in seen
    assert "secret salary remark" not in seen


def test_a_session_for_another_or_an_uninstalled_workspace_sees_nothing(sessions: Session) -> None:
    stranger = viewer(sessions, "U0STRANGER", OTHER_TEAM)
    assert texts(sessions, stranger) == {"another workspace's text"}
    workspace = sessions.get(Workspace, TEAM)
    assert workspace is not None
    workspace.uninstalled_at = NOW
    sessions.commit()
    assert viewer_of(sessions, team_id=TEAM, user_id=ME) is None
    assert viewer_of(sessions, team_id="T000NONE", user_id=ME) is None


def test_what_forget_me_erased_is_never_shown(sessions: Session) -> None:
    forget_person(sessions, team_id=TEAM, user_id=ME, now=NOW)
    sessions.commit()
    ambassador = viewer(sessions, AMBASSADOR)
    seen = texts(sessions, ambassador)
    assert "my refund was slow" not in seen
    health = service.habit_health(sessions, ambassador, now=NOW)
    assert sum(health.prouds) + sum(health.sorries) == 3  # the colleague's three, mine gone
    lines = service.commitments(sessions, ambassador, now=NOW)
    assert ME not in {line.owner_id for line in lines.open}
    assert {person.user_id for person in lines.index} & {ME, "forgotten"} == set()
    assert {owner for owner, *_ in lines.by_owner} & {ME, "forgotten"} == set()


def test_commitments_and_success_index_are_ones_own_unless_ambassador_or_lead(sessions: Session) -> None:
    mine = service.commitments(sessions, viewer(sessions, ME), now=NOW)
    assert [line.title for line in mine.open] == ["Call the clinic back"]
    assert mine.overdue == 1 and not mine.everyone
    assert {person.user_id for person in mine.index} == {ME}
    everyone = service.commitments(sessions, viewer(sessions, AMBASSADOR), now=NOW)
    assert {line.owner_id for line in everyone.open} == {ME, COLLEAGUE}
    sessions.add(LeadLink(team_id=TEAM, report_id=COLLEAGUE, lead_id=ME, status="active", requested_at=NOW))
    sessions.commit()
    as_lead = service.commitments(sessions, viewer(sessions, ME), now=NOW)
    assert {person.user_id for person in as_lead.index} == {ME, COLLEAGUE}
    assert [line.title for line in as_lead.open] == ["Call the clinic back"]  # the report's Index, not their list
    # the second quarter of 2026: both items due on 1 May and still open, so missed (0 of 1 each)
    assert all(person.by_quarter[-1] == (0, 1) for person in as_lead.index)


def test_habit_health_counts_the_viewers_scope_in_their_quarters(sessions: Session) -> None:
    health = service.habit_health(sessions, viewer(sessions, AMBASSADOR), now=NOW)
    assert health.quarters == ("2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2")
    assert health.prouds[-1] == 2 and health.sorries[-1] == 3
    assert health.root_cause_rate[-1] == pytest.approx(1 / 3)
    assert health.days_to_root_cause[-1] == pytest.approx(2.0)
    assert len(health.participation) == 52 and sum(health.participation) == 5
    assert [split.name for split in health.by_group] == ["Small clinics"]
    assert health.by_group[0].entries[-1] == 2 and health.by_group[0].people[-1] == 2
    assert [split.name for split in health.by_area] == ["Operations"]
    own = service.habit_health(sessions, viewer(sessions, ME), now=NOW)
    assert own.prouds[-1] == 1 and own.sorries[-1] == 1


def test_customer_groups_count_and_theme_only_what_the_viewer_may_see(sessions: Session) -> None:
    period, cards = service.customer_groups(sessions, viewer(sessions, AMBASSADOR), now=NOW)
    assert period == "2025 Q3 to 2026 Q2"
    (card,) = cards
    assert (card.name, card.prouds, card.sorries) == ("Small clinics", 1, 1)
    assert card.common_future == "Every clinic is refunded within a day"
    _, (mine,) = service.customer_groups(sessions, viewer(sessions, ME), now=NOW)
    assert (mine.prouds, mine.sorries) == (0, 1)


def test_entry_filters_pick_kind_group_area_channel_and_period(sessions: Session) -> None:
    ambassador = viewer(sessions, AMBASSADOR)
    group = sessions.query(CustomerGroup).one()
    assert texts(sessions, ambassador, EntryChoice(kind="proud")) == {"public clinic praise", HIDDEN_TEXT}
    assert texts(sessions, ambassador, EntryChoice(group_id=group.id)) == {"my refund was slow", "public clinic praise"}
    assert texts(sessions, ambassador, EntryChoice(area="operations")) == {"my refund was slow"}
    assert texts(sessions, ambassador, EntryChoice(channel_id=PRIVATE)) == {HIDDEN_TEXT}
    assert texts(sessions, ambassador, EntryChoice(stage="Billing")) == {"my refund was slow"}
    assert service.entries(sessions, ambassador, EntryChoice()).stages == ("Billing",)
    recent = EntryChoice(since=(NOW - timedelta(days=5)).date(), until=NOW.date())
    assert texts(sessions, ambassador, recent) == {"my refund was slow", "public clinic praise"}


# -- cookies ----------------------------------------------------------------------------------------


def test_a_tampered_expired_or_misused_cookie_is_refused() -> None:
    key = b"k" * 32
    who = cookies.SignedIn(TEAM, ME, "Me", "csrf-token")
    value = cookies.session_cookie(key, who, now=NOW)
    assert cookies.read_session(key, value, now=NOW) == who
    body, mac = value.split(".")
    forged = cookies.sign(
        b"another key" * 3,
        cookies.SESSION_COOKIE,
        {"team": TEAM, "user": AMBASSADOR, "name": "x", "csrf": "y"},
        expires=NOW + timedelta(hours=1),
    )
    for bad in (body[:-2] + "AA" + "." + mac, body + "." + mac[:-2] + "AA", forged, "", "a.b.c", "x" * 5000):
        assert cookies.read_session(key, bad, now=NOW) is None
    assert cookies.read_session(key, value, now=NOW + cookies.SESSION_FOR) is None
    state = cookies.sign(
        key,
        cookies.STATE_COOKIE,
        {"team": TEAM, "user": ME, "name": "Me", "csrf": "c"},
        expires=NOW + timedelta(hours=1),
    )
    assert cookies.read_session(key, state, now=NOW) is None  # signed for another purpose


# -- Sign in with Slack over real HTTP ---------------------------------------------------------------


@dataclass
class Browser:
    """A client that keeps cookies and does not follow redirects."""

    base: str
    jar: dict[str, str]

    def request(
        self, path_or_url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, list[str]], str]:
        url = path_or_url if path_or_url.startswith("http") else self.base + path_or_url
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
        if self.jar and url.startswith(self.base):
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.jar.items()))
        opener = urllib.request.build_opener(_NoRedirects)
        try:
            response = opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        found: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            found.setdefault(name.lower(), []).append(value)
        for header in found.get("set-cookie", []):
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.jar[name] = morsel.value
                else:
                    self.jar.pop(name, None)
        return response.status, found, response.read().decode()

    def sign_in(self) -> tuple[int, dict[str, list[str]], str]:
        """Login, the fake's authorize page, the callback: the callback's answer."""
        status, headers, _ = self.request("/dashboard/login")
        assert status == 302
        status, headers, _ = self.request(headers["location"][0])
        assert status == 302
        return self.request(headers["location"][0])


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@dataclass
class Served:
    url: str
    fake: FakeSlack
    engine: Engine

    def browser(self) -> Browser:
        return Browser(self.url, {})


def serve_dashboard(engine: Engine, fake: FakeSlack, **overrides: object) -> Iterator[Served]:
    values: dict[str, object] = {
        "slack_api_url": fake.api_url,
        "database_url": str(engine.url),
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": CLIENT_SECRET,
    }
    values.update(overrides)
    settings = make_settings(**values)
    deps = Deps(settings=settings, session_factory=make_session_factory(engine), clock=lambda: NOW)
    server = make_http_server(
        build_app(deps),
        engine,
        signing_secret=SIGNING_SECRET,
        host="127.0.0.1",
        port=0,
        threads=2,
        limits=TEST_LIMITS,
        dashboard=Dashboard(settings, deps.session_factory, clock=lambda: NOW),
    )
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.port}", fake, engine)
    finally:
        server.stop()
        thread.join(timeout=5)


@pytest.fixture
def dashboard(engine: Engine, fake_slack: FakeSlack) -> Iterator[Served]:
    with make_session_factory(engine)() as session:
        seed(session)
    yield from serve_dashboard(engine, fake_slack)


def test_signing_in_with_slack_sets_a_signed_session_cookie_and_shows_every_page(dashboard: Served) -> None:
    dashboard.fake.sign_in_as(ME, name="Ann Me")
    browser = dashboard.browser()
    status, headers, _ = browser.request("/dashboard/login")
    assert status == 302
    authorize = urlsplit(headers["location"][0])
    query = parse_qs(authorize.query)
    assert authorize.path == "/openid/connect/authorize"
    assert query["scope"] == ["openid email profile"] and query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [f"{dashboard.url}/dashboard/oidc"]
    assert query["state"][0] and query["nonce"][0]
    state_cookie = headers["set-cookie"][0]
    assert "HttpOnly" in state_cookie and "SameSite=Lax" in state_cookie and "Secure" not in state_cookie
    status, headers, _ = browser.request(headers["location"][0])
    status, headers, _ = browser.request(headers["location"][0])
    assert status == 302 and headers["location"] == ["/dashboard/health"]
    session_cookie = next(c for c in headers["set-cookie"] if c.startswith(cookies.SESSION_COOKIE))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    token_call = dashboard.fake.calls_to("openid.connect.token")[0]
    assert token_call.client_credentials == (CLIENT_ID, CLIENT_SECRET)
    assert dashboard.fake.calls_to("openid.connect.userInfo")
    for page, heading in (
        ("health", "Habit health"),
        ("groups", "Customer groups"),
        ("commitments", "Commitments"),
        ("entries", "Entries"),
    ):
        status, headers, body = browser.request(f"/dashboard/{page}")
        assert status == 200, page
        assert f"<h1>{heading}</h1>" in body and "Ann Me" in body
        assert "http://" not in body.replace(dashboard.url, "").replace("http://www.w3.org/2000/svg", "").replace(
            dashboard.fake.root_url, ""
        ), "nothing loaded from elsewhere"
    status, _, body = browser.request("/dashboard/entries?kind=sorry")
    assert "my refund was slow" in body and "secret salary remark" not in body
    # each entry links to its message, in the workspace's domain as Slack's userInfo gave it
    assert f'href="https://fake-t111.slack.com/archives/{PUBLIC}/p1700000000000100"' in body
    status, headers, body = browser.request("/dashboard/entries.csv?kind=sorry")
    assert status == 200 and headers["content-type"][0].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["text"] for row in rows] == ["my refund was slow"]
    assert rows[0]["link"] == f"https://fake-t111.slack.com/archives/{PUBLIC}/p1700000000000100"
    assert rows[0]["stage"] == "Billing"
    status, _, body = browser.request("/dashboard/entries?stage=" + "x" * 41)
    assert status == 400 and "Journey stage must be one of the list" in body
    status, _, body = browser.request("/dashboard/groups")
    assert "Common future:</strong> Every clinic is refunded within a day" in body
    status, _, body = browser.request("/dashboard/entries?since=not-a-date")
    assert status == 400 and "must be a date" in body


def test_sign_in_behind_tls_sets_secure_cookies(dashboard: Served) -> None:
    dashboard.fake.sign_in_as(ME)
    status, headers, _ = dashboard.browser().request("/dashboard/login", headers={"X-Forwarded-Proto": "https"})
    assert status == 302 and "Secure" in headers["set-cookie"][0]
    assert parse_qs(urlsplit(headers["location"][0]).query)["redirect_uri"][0].startswith("https://")


def test_a_callback_with_a_state_this_browser_was_not_given_is_refused(dashboard: Served) -> None:
    dashboard.fake.sign_in_as(ME)
    victim, attacker = dashboard.browser(), dashboard.browser()
    _, headers, _ = attacker.request("/dashboard/login")
    _, headers, _ = attacker.request(headers["location"][0])
    victim.request("/dashboard/login")  # the victim's own sign-in, with another state
    status, _, body = victim.request(headers["location"][0])
    assert status == 400 and "Sign in again" in body
    assert cookies.SESSION_COOKIE not in victim.jar
    status, _, _ = dashboard.browser().request("/dashboard/oidc?" + urlencode({"code": "x", "state": "y"}))
    assert status == 400
    assert dashboard.fake.calls_to("openid.connect.token") == []


def test_signing_in_with_another_workspace_is_refused(dashboard: Served) -> None:
    dashboard.fake.sign_in_as("U0ELSE", team_id="T0NOTINSTALLED")
    browser = dashboard.browser()
    status, _, body = browser.sign_in()
    assert status == 403 and "not installed in the workspace you signed in with" in body
    assert cookies.SESSION_COOKIE not in browser.jar


def test_a_tampered_session_cookie_is_refused(dashboard: Served) -> None:
    dashboard.fake.sign_in_as(ME)
    browser = dashboard.browser()
    browser.sign_in()
    value = browser.jar[cookies.SESSION_COOKIE]
    body, mac = value.split(".")
    payload = cookies._unb64(body).replace(ME.encode(), AMBASSADOR.encode())
    browser.jar[cookies.SESSION_COOKIE] = cookies._b64(payload) + "." + mac
    status, headers, _ = browser.request("/dashboard/entries")
    assert status == 302 and headers["location"] == ["/dashboard"]


def test_signing_out_needs_the_csrf_token(dashboard: Served) -> None:
    dashboard.fake.sign_in_as(ME)
    browser = dashboard.browser()
    browser.sign_in()
    status, _, body = browser.request("/dashboard/logout", method="POST", body=b"csrf=forged")
    assert status == 403 and cookies.SESSION_COOKIE in browser.jar
    status, _, page = browser.request("/dashboard/health")
    token = page.split('name="csrf" value="')[1].split('"')[0]
    status, headers, _ = browser.request("/dashboard/logout", method="POST", body=urlencode({"csrf": token}).encode())
    assert status == 303 and cookies.SESSION_COOKIE not in browser.jar
    assert browser.request("/dashboard/health")[0] == 302


def test_without_the_client_id_the_dashboard_says_what_to_set(engine: Engine, fake_slack: FakeSlack) -> None:
    for served in serve_dashboard(engine, fake_slack, slack_client_id=None, slack_client_secret=None):
        status, _, body = served.browser().request("/dashboard")
        assert status == 503 and "SLACK_CLIENT_ID" in body and "SLACK_CLIENT_SECRET" in body
        status, headers, css = served.browser().request("/dashboard/static/dashboard.css")
        assert status == 200 and headers["content-type"][0].startswith("text/css") and "focus-visible" in css


# -- settings ---------------------------------------------------------------------------------------


def test_the_client_id_beside_the_bot_token_is_one_workspace_with_a_dashboard() -> None:
    settings = make_settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_app_token="xapp-1-socket",
        token_encryption_keys=None,
    )
    assert not settings.oauth and settings.dashboard_ready and settings.socket_mode
    assert not make_settings().dashboard_ready
    many = make_settings(slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET)
    assert many.oauth and many.dashboard_ready


def test_the_cookie_key_comes_from_dashboard_secret_or_the_signing_secret() -> None:
    derived = make_settings().dashboard_key
    assert derived != SIGNING_SECRET.encode() and len(derived) == 32
    assert make_settings(dashboard_secret="s" * 40).dashboard_key not in (derived, b"s" * 40)
    with pytest.raises(ValueError, match="at least 32 characters"):
        make_settings(dashboard_secret="short")


def test_workspace_figures_are_made_once_a_minute_for_all_who_see_the_workspace(
    engine: Engine, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.dashboard.web import FIGURES_FRESH_FOR, Request

    factory = make_session_factory(engine)
    with factory() as session:
        seed(session)
        session.add(Ambassador(team_id=TEAM, user_id=COLLEAGUE, joined_at=NOW))
        session.commit()
    settings = make_settings(slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET, database_url=str(engine.url))
    moment = [NOW]
    dashboard = Dashboard(settings, factory, clock=lambda: moment[0])
    made: list[str] = []
    real = service.habit_health

    def counted(session: Session, viewer: Viewer, *, now: datetime) -> service.HabitHealth:
        made.append(viewer.user_id)
        return real(session, viewer, now=now)

    monkeypatch.setattr(service, "habit_health", counted)

    def health(user: str) -> int:
        who = cookies.SignedIn(TEAM, user, user, "csrf")
        cookie = f"{cookies.SESSION_COOKIE}={cookies.session_cookie(settings.dashboard_key, who, now=moment[0])}"
        return dashboard.handle(Request("GET", "/dashboard/health", "", {"cookie": [cookie], "host": ["x"]})).status

    assert health(AMBASSADOR) == 200 and health(COLLEAGUE) == 200
    assert made == [AMBASSADOR]  # the second ambassador got the same figures
    assert health(ME) == 200
    assert made == [AMBASSADOR, ME]  # a member's own figures are never the workspace's
    moment[0] = NOW + FIGURES_FRESH_FOR
    assert health(COLLEAGUE) == 200
    assert made == [AMBASSADOR, ME, COLLEAGUE]  # made again once a minute old
