"""Slack Connect: a person of another organisation acts in a channel shared with an installing workspace.

Bolt chooses the installation, and so the token of the request's client, by the workspace that
installed the app (a form's `view.app_installed_team_id`), not by the `team` of the person who
submitted it. What the request stores and reads must be that same workspace's: an entry is never
stored under one workspace and posted with another's token.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.render.modals import entry_modal
from storage.models import Entry, EntryKind
from tests.test_interactive_scenarios import entry_values
from tests.test_oauth import OAuthBot, oauth_bot  # noqa: F401 - a fixture

HOST, GUEST = "T111", "T222"  # the workspace that installed the app; the visitor's own
VISITOR = "W777"


def test_a_form_submitted_by_a_visitor_from_another_organisation_is_stored_and_posted_as_the_host(
    oauth_bot: OAuthBot,  # noqa: F811
) -> None:
    host_token = oauth_bot.install(HOST)
    oauth_bot.install(GUEST)  # the visitor's workspace has the app too: its token must not be used either
    view = entry_modal(kind=EntryKind.PROUD, groups=[], metadata={"kind": "proud"})
    values = entry_values("A shared customer thanked both our teams", channel="C111")
    body = oauth_bot.slack.view_submission(
        view, values, view_id="VCONNECT1", team=GUEST, user=VISITOR, installed_team=HOST
    )

    body["team"].update(enterprise_id=None, enterprise_name=None)  # two workspaces of two organisations

    answer = oauth_bot.slack.send_interaction(body)

    assert (answer.status, answer.text) == (200, "")
    [post] = oauth_bot.fake.wait_for("chat.postMessage")
    assert post.params["channel"] == "C111" and post.token == host_token
    with oauth_bot.deps.session_factory() as session:
        assert [(entry.team_id, entry.author_id) for entry in session.scalars(select(Entry))] == [(HOST, VISITOR)]
