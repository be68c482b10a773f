"""A workspace installing the app, and leaving it: tokens go, nudges stop at once, the data stays."""

from __future__ import annotations

import logging

from sqlalchemy import update

from bot.deps import Deps
from storage.db import SessionFactory
from storage.models import Delivery, DeliveryStatus
from storage.repositories import workspaces as workspaces_repo

log = logging.getLogger("mindset.installs")


def installed(session_factory: SessionFactory, *, team_id: str) -> None:
    """The app was (re)installed in the workspace: it is served again."""
    with session_factory() as session:
        workspace = workspaces_repo.get_or_add_workspace(session, team_id=team_id)
        workspace.uninstalled_at = None
        session.commit()
    log.info("Installed in %s", team_id)


def uninstalled(deps: Deps, *, team_id: str) -> None:
    """The app was uninstalled (or its bot token revoked): forget the tokens, send nothing more.

    Messages already planned are recorded as skipped; everything else the workspace wrote stays
    until `mindset-bot purge --team` deletes it.
    """
    now = deps.clock()
    with deps.session_factory() as session:
        workspace = workspaces_repo.get_or_add_workspace(session, team_id=team_id)
        workspace.uninstalled_at = now
        session.execute(
            update(Delivery)
            .where(
                Delivery.team_id == team_id,
                Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]),
            )
            .values(status=DeliveryStatus.SKIPPED.value, last_error="workspace uninstalled")
        )
        session.commit()
    if deps.installations is not None:
        deps.installations.forget_team(team_id)
    log.info("Uninstalled from %s: its tokens are deleted and its nudges stopped", team_id)
