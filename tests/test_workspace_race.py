"""Two processes meeting a new workspace at once (for example several started together with one
token) both add its settings row: one insert wins, the other reads the winner's row, neither fails."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, func, select

from storage.db import make_session_factory
from storage.models import Workspace
from storage.repositories import workspaces as workspaces_repo


def test_a_workspace_added_by_two_sessions_at_once_is_one_row_and_no_error(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    first = sessions()
    workspaces_repo.get_or_add_workspace(first, team_id="T111")  # inserted, not committed yet
    found: list[str] = []
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with sessions() as session:
                # finds nothing (the first insert is not committed), inserts, and waits on it
                workspace = workspaces_repo.get_or_add_workspace(session, team_id="T111")
                workspace.default_tz = "Europe/Berlin"
                session.commit()
                found.append(workspace.team_id)
        except BaseException as error:  # the assertion below shows it
            failed.append(error)

    racer = threading.Thread(target=second)
    racer.start()
    time.sleep(0.5)  # let the second session reach its insert
    first.commit()
    first.close()
    racer.join(timeout=20)

    assert not racer.is_alive()
    assert failed == []
    assert found == ["T111"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Workspace)) == 1
        row = session.get(Workspace, "T111")
        assert row is not None and row.default_tz == "Europe/Berlin"  # the loser's change landed on the winner's row
