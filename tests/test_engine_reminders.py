"""Reminders before and after the due date, in the owner's own time zone, sent exactly once."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.deps import Deps
from bot.services import actions
from storage.models import Delivery
from tests.engine_harness import simulation, utc
from tests.fake_slack import FakeSlack


def create(sim_deps: Deps, *, owner: str, due: date, title: str = "Call back the clinic") -> actions.ActionCard:
    card, _ = actions.create_action(
        sim_deps,
        actions.NewAction(
            team_id="T111",
            title=title,
            owner_id=owner,
            created_by=owner,
            due_date=due,
            today=sim_deps.clock().date(),
            idempotency_key=f"test:{title}:{due}",
        ),
    )
    return card


def test_reminders_arrive_once_each_at_nine_local(deps: Deps, fake_slack: FakeSlack) -> None:
    # Monday 2026-11-02 08:00 UTC; owner in Berlin (UTC+1 in November)
    sim = simulation(deps, fake_slack, utc(2026, 11, 2, 8, 0))
    sim.add_person("UOWNER", "Europe/Berlin")
    create(sim.deps, owner="UOWNER", due=date(2026, 11, 20))  # a Friday
    sim.run_until(utc(2026, 11, 30, 12, 0), step=timedelta(hours=1))  # ticks on the hour, as 09:00 Berlin is

    posts = [call for call in sim.messages() if call.params["channel"] == "UOWNER"]
    reminders = [call for call in posts if str(call.params["text"]).startswith("Reminder")]
    overdue = [call for call in posts if str(call.params["text"]).startswith("Overdue")]
    assert len(reminders) == 2  # 7 days and 1 day ahead
    assert len(overdue) == 2  # the day after (Sat -> Mon 23rd), then a week later (Mon 30th)
    berlin = ZoneInfo("Europe/Berlin")
    with sim.deps.session_factory() as session:
        sent = session.scalars(select(Delivery).where(Delivery.status == "sent").order_by(Delivery.sent_at)).all()
        local = [(d.occasion, d.due_at.astimezone(berlin)) for d in sent if d.kind != "weekly_checkin"]
    assert [(occasion, at.strftime("%a %d %H:%M")) for occasion, at in local] == [
        ("due-7:2026-11-20", "Fri 13 09:00"),
        ("due-1:2026-11-20", "Thu 19 09:00"),
        ("overdue-1:2026-11-20", "Mon 23 09:00"),
        ("overdue-2:2026-11-20", "Mon 30 09:00"),
    ]
