"""The dashboard's requests: routing, Sign in with Slack, cookies, CSRF, input checks, CSV.

`Dashboard.handle` blocks (database, Slack's OpenID endpoints): the HTTP front runs it on its worker
threads, never on the event loop (bot/server.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs

from sqlalchemy.orm import Session

from bot.dashboard import cookies, oidc, pages, service
from bot.dashboard.access import Viewer, viewer_of
from bot.dashboard.cookies import SignedIn
from bot.dashboard.service import EntryChoice
from bot.deps import utc_now
from bot.digest.shared import SharedWhileFresh
from bot.settings import Settings
from storage.db import SessionFactory
from storage.models import STAGE_NAME_MAX, Area, EntryKind

log = logging.getLogger("mindset.dashboard")

PREFIX = "/dashboard"
MAX_QUERY_BYTES = 2048
FIGURES_FRESH_FOR = timedelta(minutes=1)
T = TypeVar("T")
MAX_FORM_BYTES = 2048
HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
CHANNEL = re.compile(r"[A-Z0-9]{1,20}")
HTML = "text/html; charset=utf-8"
SECURITY_HEADERS = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    # nothing from elsewhere, no script at all: the pages need none
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, list[str]]
    body: bytes = b""
    scheme: str = "http"  # as the server received it (TLS ends at a proxy more often than not)

    def header(self, name: str) -> str:
        return (self.headers.get(name) or [""])[0]

    @property
    def over_tls(self) -> bool:
        forwarded = self.header("x-forwarded-proto").split(",")[0].strip().lower()
        return forwarded == "https" or self.scheme == "https"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _html(status: int, text: str, *extra: tuple[str, str]) -> Answer:
    return Answer(status, [("content-type", HTML), *SECURITY_HEADERS, *extra], text.encode())


def _redirect(location: str, *extra: tuple[str, str], status: int = 302) -> Answer:
    return Answer(status, [("location", location), ("cache-control", "no-store"), *extra])


class BadInput(ValueError):
    """A filter or form value the dashboard cannot use: the sentence says which and why."""


def read_choice(query: dict[str, list[str]]) -> EntryChoice:
    def one(name: str) -> str | None:
        values = query.get(name) or [""]
        value = values[0].strip()
        return value or None

    kind = one("kind")
    if kind is not None and kind not in {k.value for k in EntryKind}:
        raise BadInput("Kind must be proud or sorry.")
    group = one("group")
    if group is not None and not (group.isdigit() and len(group) <= 12):
        raise BadInput("Customer group must be one of the list.")
    area = one("area")
    if area is not None and area not in {a.value for a in Area}:
        raise BadInput("Area must be one of the list.")
    channel = one("channel")
    if channel is not None and not CHANNEL.fullmatch(channel):
        raise BadInput("Channel must be a Slack channel id, such as C0123ABCD.")
    stage = one("stage")
    if stage is not None and len(stage) > STAGE_NAME_MAX:
        raise BadInput(f"Journey stage must be one of the list (at most {STAGE_NAME_MAX} characters).")
    since, until = _day(one("since"), "From"), _day(one("until"), "Until")
    if since and until and since > until:
        raise BadInput("“From” must be on or before “Until”.")
    return EntryChoice(kind, int(group) if group else None, area, channel, since, until, stage)


def _day(value: str | None, label: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{label} must be a date such as 2026-03-31.") from None
    if not 2000 <= day.year <= 2100:
        raise BadInput(f"{label} must be a date between 2000 and 2100.")
    return day


class Dashboard:
    """Serves everything under /dashboard."""

    def __init__(
        self, settings: Settings, session_factory: SessionFactory, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._settings = settings
        self._sessions = session_factory
        self._clock = clock
        self._key = settings.dashboard_key
        # the workspace-wide figures (habit health, commitments), the same for every ambassador and admin of a
        # workspace in one time zone on one day: made once a minute at most, however many look (the digest's
        # SharedWhileFresh). No text is in them, and what forget-me erases is gone from them within the minute.
        self._figures: SharedWhileFresh[tuple[str, str, str, date], Any] = SharedWhileFresh(
            fresh_for=FIGURES_FRESH_FOR, clock=clock
        )

    def handle(self, request: Request) -> Answer:
        path = request.path.rstrip("/") or "/"
        if path == f"{PREFIX}/static/dashboard.css" and request.method in ("GET", "HEAD"):
            css = resources.files("bot.dashboard").joinpath("static/dashboard.css").read_bytes()
            return Answer(200, [("content-type", "text/css; charset=utf-8"), ("cache-control", "max-age=3600")], css)
        if not self._settings.dashboard_ready:
            return _html(503, pages.not_configured_page())
        if len(request.query) > MAX_QUERY_BYTES:
            return _html(414, pages.message_page("Too long", "That address is too long. Go back and try again."))
        if request.method == "POST":
            if path == f"{PREFIX}/logout":
                return self._logout(request)
            return _html(404, pages.message_page("Not found", "There is no such page.", link=(PREFIX, "Dashboard")))
        if path == f"{PREFIX}/login":
            return self._login(request)
        if path == f"{PREFIX}/oidc":
            return self._callback(request)
        who = self._signed_in(request)
        if who is None:
            if path == PREFIX:
                return _html(200, pages.sign_in_page())
            return _redirect(PREFIX)
        with self._sessions() as session:
            viewer = viewer_of(session, team_id=who.team_id, user_id=who.user_id)
            if viewer is None:
                return _html(
                    403,
                    pages.sign_in_page("Customer Mindset is not installed in your workspace any more."),
                    ("set-cookie", cookies.clear_cookie(cookies.SESSION_COOKIE, secure=request.over_tls)),
                )
            return self._page(path, request, session, viewer, who)

    # -- pages ----------------------------------------------------------------------------------

    def _page(self, path: str, request: Request, session: Session, viewer: Viewer, who: SignedIn) -> Answer:
        now = self._clock()
        common = {"name": who.name, "csrf": who.csrf}
        if path == PREFIX:
            return _redirect(f"{PREFIX}/health")
        if path == f"{PREFIX}/health":
            health = self._shared_figures("health", viewer, now, lambda: service.habit_health(session, viewer, now=now))
            return _html(200, pages.health_page(health, viewer, **common))
        if path == f"{PREFIX}/groups":
            period, cards = service.customer_groups(session, viewer, now=now)
            return _html(200, pages.groups_page(period, cards, viewer, **common))
        if path == f"{PREFIX}/commitments":
            found = self._shared_figures(
                "commitments", viewer, now, lambda: service.commitments(session, viewer, now=now)
            )
            return _html(200, pages.commitments_page(found, viewer, **common))
        if path in (f"{PREFIX}/entries", f"{PREFIX}/entries.csv"):
            query = parse_qs(request.query, max_num_fields=20)
            try:
                choice = read_choice(query)
            except BadInput as problem:
                if path.endswith(".csv"):
                    return Answer(400, [("content-type", "text/plain; charset=utf-8")], str(problem).encode())
                page = service.entries(session, viewer, EntryChoice())
                return _html(
                    400,
                    pages.entries_page(
                        page,
                        EntryChoice(),
                        viewer,
                        team_domain=who.team_domain,
                        problem=str(problem),
                        **common,
                    ),
                )
            if path.endswith(".csv"):
                return self._csv(session, viewer, who, choice)
            page = service.entries(session, viewer, choice)
            return _html(
                200,
                pages.entries_page(page, choice, viewer, team_domain=who.team_domain, problem=None, **common),
            )
        return _html(404, pages.message_page("Not found", "There is no such page.", link=(PREFIX, "Dashboard")))

    def _csv(self, session: Session, viewer: Viewer, who: SignedIn, choice: EntryChoice) -> Answer:
        text = service.entries_csv(session, viewer, choice, team_domain=who.team_domain)
        filename = f"entries-{self._clock().astimezone(viewer.zone).date().isoformat()}.csv"
        return Answer(
            200,
            [
                ("content-type", "text/csv; charset=utf-8"),
                ("content-disposition", f'attachment; filename="{filename}"'),
                *SECURITY_HEADERS,
            ],
            text.encode(),
        )

    def _shared_figures(self, page: str, viewer: Viewer, now: datetime, make: Callable[[], T]) -> T:
        if not viewer.sees_workspace:
            return make()  # one person's own figures: quick, and theirs alone
        key = (page, viewer.team_id, viewer.zone.key, now.astimezone(viewer.zone).date())
        return cast(T, self._figures.get(key, make))

    # -- signing in and out -----------------------------------------------------------------------

    def _signed_in(self, request: Request) -> SignedIn | None:
        jar = cookies.read_cookies(request.headers.get("cookie", []))
        return cookies.read_session(self._key, jar.get(cookies.SESSION_COOKIE), now=self._clock())

    def _redirect_uri(self, request: Request) -> str | None:
        host = request.header("host")
        if not HOST.fullmatch(host):
            return None
        return f"{'https' if request.over_tls else 'http'}://{host}{PREFIX}/oidc"

    def _login(self, request: Request) -> Answer:
        redirect_uri = self._redirect_uri(request)
        if redirect_uri is None:
            return _html(400, pages.message_page("Bad request", "The request did not say which host it was for."))
        now = self._clock()
        state, nonce = cookies.new_token(), cookies.new_token()
        value = cookies.sign(
            self._key, cookies.STATE_COOKIE, {"state": state, "nonce": nonce}, expires=now + cookies.SIGN_IN_WITHIN
        )
        cookie = cookies.set_cookie(
            cookies.STATE_COOKIE, value, secure=request.over_tls, max_age=cookies.SIGN_IN_WITHIN
        )
        url = oidc.authorize_url(self._settings, redirect_uri=redirect_uri, state=state, nonce=nonce)
        return _redirect(url, ("set-cookie", cookie))

    def _callback(self, request: Request) -> Answer:
        query = {key: values[0] for key, values in parse_qs(request.query, max_num_fields=10).items()}
        clear_state = ("set-cookie", cookies.clear_cookie(cookies.STATE_COOKIE, secure=request.over_tls))
        jar = cookies.read_cookies(request.headers.get("cookie", []))
        started = cookies.unsign(self._key, cookies.STATE_COOKIE, jar.get(cookies.STATE_COOKIE), now=self._clock())
        if started is None or not query.get("state") or query.get("state") != started.get("state"):
            return _html(
                400, pages.sign_in_page("That sign-in had expired or was not started here. Sign in again."), clear_state
            )
        if "error" in query or not query.get("code"):
            return _html(
                400, pages.sign_in_page("Slack did not sign you in (it was cancelled). Sign in again."), clear_state
            )
        redirect_uri = self._redirect_uri(request)
        if redirect_uri is None or len(query["code"]) > 256:
            return _html(400, pages.sign_in_page("That sign-in link is not valid. Sign in again."), clear_state)
        try:
            who = oidc.identify(
                self._settings, code=query["code"], redirect_uri=redirect_uri, nonce=str(started["nonce"])
            )
        except oidc.SignInFailed as failed:
            return _html(400, pages.sign_in_page(str(failed)), clear_state)
        with self._sessions() as session:
            viewer = viewer_of(session, team_id=who.team_id, user_id=who.user_id)
        if viewer is None:
            log.info("Refused a dashboard sign-in from %s: not an installed workspace", who.team_id)
            return _html(
                403,
                pages.sign_in_page(
                    "Customer Mindset is not installed in the workspace you signed in with. Sign in with the "
                    "workspace that uses it."
                ),
                clear_state,
            )
        signed = SignedIn(who.team_id, who.user_id, who.name, cookies.new_token(), who.team_domain)
        session_value = cookies.session_cookie(self._key, signed, now=self._clock())
        return _redirect(
            f"{PREFIX}/health",
            clear_state,
            (
                "set-cookie",
                cookies.set_cookie(
                    cookies.SESSION_COOKIE, session_value, secure=request.over_tls, max_age=cookies.SESSION_FOR
                ),
            ),
        )

    def _logout(self, request: Request) -> Answer:
        who = self._signed_in(request)
        if len(request.body) > MAX_FORM_BYTES:
            return _html(413, pages.message_page("Too large", "That form was too large."))
        form = {
            key: values[0]
            for key, values in parse_qs(request.body.decode("utf-8", "replace"), max_num_fields=10).items()
        }
        if who is None:
            return _redirect(PREFIX, status=303)
        if not cookies.csrf_ok(who, form.get("csrf")):
            return _html(
                403,
                pages.message_page(
                    "Not signed out",
                    "That form was not sent from this dashboard. Try again.",
                    link=(PREFIX, "Dashboard"),
                ),
            )
        return _redirect(
            PREFIX, ("set-cookie", cookies.clear_cookie(cookies.SESSION_COOKIE, secure=request.over_tls)), status=303
        )
