"""Two processes meeting a new workspace or person at once (several started together with one token,
two engines refreshing one person) both add its row: one insert wins, the other reads the winner's row,
neither fails."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, func, select

from storage.db import make_session_factory
from storage.models import Person, Workspace
from storage.repositories import people as people_repo
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


def test_a_person_added_by_two_sessions_at_once_is_one_row_and_no_error(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    first = sessions()
    people_repo.get_or_add_person(first, team_id="T111", user_id="UANNA")  # inserted, not committed yet
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with sessions() as session:
                person = people_repo.get_or_add_person(session, team_id="T111", user_id="UANNA")
                person.tz = "Europe/Berlin"
                session.commit()
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
    with sessions() as session:
        rows = session.scalars(select(Person)).all()
        assert [(row.user_id, row.tz) for row in rows] == [("UANNA", "Europe/Berlin")]
