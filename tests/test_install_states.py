"""The install page cannot be used to fill the database: every visit stores a state (slack_oauth_states),
so expired states are deleted and the live ones are capped (MAX_PENDING_INSTALLS), past which the page
answers 429 with Retry-After instead of storing another."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import Engine, func, insert, select, update

from bot.installations import MAX_PENDING_INSTALLS
from storage.models import slack_oauth_states
from tests.fake_slack import FakeSlack
from tests.test_oauth import OAuthBot, authorize_query, installed_teams, serve_oauth, stored_states


@pytest.fixture
def oauth_bot(engine: Engine, fake_slack: FakeSlack) -> Iterator[OAuthBot]:
    yield from serve_oauth(engine, fake_slack)


def now() -> datetime:
    """As slack_sdk's state store keeps times: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def state_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(slack_oauth_states)).scalar_one())


def visits_of_others(engine: Engine, count: int, *, expiring_in: timedelta) -> None:
    """`count` install pages opened elsewhere and never completed (as many GET /slack/install would leave)."""
    expire_at = now() + expiring_in
    with engine.begin() as connection:
        connection.execute(
            insert(slack_oauth_states), [{"state": str(uuid4()), "expire_at": expire_at} for _ in range(count)]
        )


def expire_all(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(update(slack_oauth_states).values(expire_at=now() - timedelta(seconds=1)))


def test_expired_states_are_deleted_when_the_page_is_next_opened(oauth_bot: OAuthBot) -> None:
    for _ in range(3):
        oauth_bot.start_install()
    expire_all(oauth_bot.engine)
    assert state_count(oauth_bot.engine) == 3

    state, _ = oauth_bot.start_install()

    assert stored_states(oauth_bot.engine) == [state]


def test_expired_states_are_deleted_when_an_install_comes_back(oauth_bot: OAuthBot) -> None:
    state, cookie = oauth_bot.start_install()
    visits_of_others(oauth_bot.engine, 5, expiring_in=timedelta(seconds=-1))

    assert oauth_bot.redirect("T111:first", state, cookie).status == 200

    assert state_count(oauth_bot.engine) == 0
    assert installed_teams(oauth_bot.engine) == (["T111"], ["T111"])


def test_past_the_cap_the_page_answers_429_and_stores_nothing(oauth_bot: OAuthBot) -> None:
    visits_of_others(oauth_bot.engine, MAX_PENDING_INSTALLS, expiring_in=timedelta(minutes=4))

    page = oauth_bot.get("/slack/install")

    assert page.status == 429, page.body
    assert page.header("Set-Cookie") == []
    assert 'alt="Add to Slack"' not in page.body
    assert "Please try again in 4 minutes." in page.body
    # the oldest pending state expires within 4 minutes: that is when to come back
    [retry_after] = page.header("Retry-After")
    assert 180 < int(retry_after) <= 240
    assert state_count(oauth_bot.engine) == MAX_PENDING_INSTALLS
    assert oauth_bot.fake.calls == []


def test_once_the_pending_states_expire_the_page_works_again(oauth_bot: OAuthBot) -> None:
    visits_of_others(oauth_bot.engine, MAX_PENDING_INSTALLS, expiring_in=timedelta(minutes=4))
    assert oauth_bot.get("/slack/install").status == 429
    expire_all(oauth_bot.engine)

    page = oauth_bot.get("/slack/install")

    assert page.status == 200, page.body
    [state] = authorize_query(page)["state"]
    assert stored_states(oauth_bot.engine) == [state]
    # a state issued after the refusals works as any other
    [cookie] = page.header("Set-Cookie")
    assert oauth_bot.redirect("T111:first", state, cookie.split(";", 1)[0]).status == 200


def test_one_short_of_the_cap_a_state_is_still_issued(oauth_bot: OAuthBot) -> None:
    visits_of_others(oauth_bot.engine, MAX_PENDING_INSTALLS - 1, expiring_in=timedelta(minutes=4))

    assert oauth_bot.get("/slack/install").status == 200
    assert state_count(oauth_bot.engine) == MAX_PENDING_INSTALLS
    assert oauth_bot.get("/slack/install").status == 429
