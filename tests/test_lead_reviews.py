"""The quarterly review with one's lead in simulated time (issue 18, item 3), on SQLite and PostgreSQL: planned and
sent at the lead's start of work on the first working day of the quarter in the lead's zone, the report told in
their own working time, weekly nudges to the lead that stop after three or once the review is marked."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.deps import Deps
from bot.engine import planners
from bot.services import actions, leads
from storage.models import ActionStatus, DeliveryStatus, LeadReview
from tests.engine_harness import Simulation, simulation, utc
from tests.fake_slack import FakeSlack
from tests.test_engine_schedule import TEAM, add_item, local, rows

LEAD, REPORT = "ULEAD", "UREPORT"
AUCKLAND, BERLIN = "Pacific/Auckland", "Europe/Berlin"


def link(sim: Simulation, *, report: str = REPORT, lead: str = LEAD) -> None:
    named = leads.name_lead(sim.deps, team_id=TEAM, report_id=report, lead_id=lead)
    leads.answer(sim.deps, team_id=TEAM, link_id=named.link_id, user_id=lead, accept=True, key=None)


def q4_with_a_lead(deps: Deps, fake: FakeSlack) -> Simulation:
    """A report in Berlin with two Q4 2026 commitments (one kept, one still open) and a lead in Auckland."""
    sim = simulation(deps, fake, utc(2026, 10, 5, 1))
    sim.add_person(LEAD, AUCKLAND)
    sim.add_person(REPORT, BERLIN)
    kept = add_item(sim, REPORT, date(2026, 11, 16), "Call the clinics about refunds")
    actions.set_status(sim.deps, team_id=TEAM, action_id=kept.id, user_id=REPORT, status=ActionStatus.DONE)
    add_item(sim, REPORT, date(2026, 12, 1), "Fix the <b>invoice</b> export")
    add_item(sim, LEAD, date(2026, 11, 20), "The lead's own commitment")
    link(sim)
    return sim


def test_the_lead_gets_the_review_at_nine_on_new_years_day_in_auckland(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = q4_with_a_lead(deps, fake_slack)
    # Friday 1 January 2027 at 09:00 in Auckland (+13) is Thursday 31 December 20:00 UTC
    sim.clock.now = utc(2026, 12, 31, 16)
    sim.run_until(utc(2027, 1, 1, 12), step=timedelta(minutes=15))

    [review] = rows(sim, kind=planners.LEAD_REVIEW)
    assert (review.subject, review.recipient, review.occasion) == (REPORT, LEAD, "2026-Q4")
    assert review.status == DeliveryStatus.SENT.value and review.sent_at is not None
    assert local(review.sent_at, AUCKLAND) == "Fri 2027-01-01 09:00"
    [told] = rows(sim, kind=planners.LEAD_REVIEW_REPORT)
    assert (told.subject, told.recipient, told.status) == (LEAD, REPORT, DeliveryStatus.SENT.value)
    assert told.sent_at is not None and local(told.sent_at, BERLIN) == "Fri 2027-01-01 09:00"

    to_lead = [call for call in sim.messages() if call.params["channel"] == LEAD and "review" in call.params["text"]]
    [message] = [call for call in to_lead if "Quarterly review of <@UREPORT>" in call.params["text"]]
    shown = str(message.params["blocks"])
    assert "Call the clinics about refunds" in shown and "kept" in shown
    assert "Fix the &lt;b&gt;invoice&lt;/b&gt; export" in shown and "still open" in shown
    assert "50%" in shown  # one of two kept
    # the lead sees nothing else of the report's, and the report's review does not show the lead's own items
    assert "The lead's own commitment" not in shown
    to_report = [call for call in sim.messages() if call.params["channel"] == REPORT]
    assert any("<@ULEAD> has your quarterly review" in str(call.params["blocks"]) for call in to_report)
    with sim.deps.session_factory() as session:
        [row] = session.scalars(select(LeadReview)).all()
        assert (row.lead_id, row.report_id, row.year, row.quarter) == (LEAD, REPORT, 2026, 4)


def test_no_review_without_an_accepted_lead_or_without_commitments(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, utc(2026, 10, 5, 1))
    for user in (LEAD, REPORT, "UPENDING", "UIDLE"):
        sim.add_person(user, BERLIN)
    add_item(sim, REPORT, date(2026, 11, 16), "Q4 commitment")
    add_item(sim, "UPENDING", date(2026, 11, 16), "Q4 commitment of someone whose lead never answered")
    link(sim)
    leads.name_lead(sim.deps, team_id=TEAM, report_id="UPENDING", lead_id=LEAD)
    link(sim, report="UIDLE")  # no commitment due in Q4: nothing to review
    sim.clock.now = utc(2026, 12, 31, 20)
    sim.run_until(utc(2027, 1, 1, 12), step=timedelta(minutes=30))
    assert [(row.subject, row.recipient) for row in rows(sim, kind=planners.LEAD_REVIEW)] == [(REPORT, LEAD)]


def nudges(sim: Simulation) -> list[tuple[str, str, str]]:
    return [
        (row.occasion, row.status, local(row.sent_at, AUCKLAND) if row.sent_at else "")
        for row in rows(sim, kind=planners.LEAD_NUDGE)
    ]


def test_an_unreviewed_review_is_nudged_weekly_three_times_then_no_more(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = q4_with_a_lead(deps, fake_slack)
    sim.clock.now = utc(2026, 12, 31, 16)
    sim.run_until(utc(2027, 2, 15), step=timedelta(hours=1))
    sent = DeliveryStatus.SENT.value
    assert nudges(sim) == [
        ("nudge-1", sent, "Fri 2027-01-08 09:00"),
        ("nudge-2", sent, "Fri 2027-01-15 09:00"),
        ("nudge-3", sent, "Fri 2027-01-22 09:00"),
    ]
    reminders = [call for call in sim.messages("Reminder: quarterly review") if call.params["channel"] == LEAD]
    assert len(reminders) == 3
    assert "reminder 3 of 3" in str(reminders[-1].params["blocks"])


def test_marking_the_review_stops_the_nudges(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = q4_with_a_lead(deps, fake_slack)
    sim.clock.now = utc(2026, 12, 31, 16)
    sim.run_until(utc(2027, 1, 9), step=timedelta(hours=1))
    assert [occasion for occasion, _, _ in nudges(sim)] == ["nudge-1"]
    with sim.deps.session_factory() as session:
        review_id = session.scalars(select(LeadReview.id)).one()
    card, role, changed = leads.mark_reviewed(sim.deps, team_id=TEAM, review_id=review_id, user_id=REPORT, key="k")
    assert changed and role is leads.Role.REPORT and card.reviewed_by == REPORT
    sim.run_until(utc(2027, 2, 15), step=timedelta(hours=1))
    assert [occasion for occasion, _, _ in nudges(sim)] == ["nudge-1"]


def test_a_removed_lead_gets_no_more_nudges(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = q4_with_a_lead(deps, fake_slack)
    sim.clock.now = utc(2026, 12, 31, 16)
    sim.run_until(utc(2027, 1, 9), step=timedelta(hours=1))
    assert leads.remove_lead(sim.deps, team_id=TEAM, report_id=REPORT) == LEAD
    sim.run_until(utc(2027, 2, 15), step=timedelta(hours=1))
    assert [(occasion, status) for occasion, status, _ in nudges(sim)] == [
        ("nudge-1", DeliveryStatus.SENT.value),
        ("nudge-2", DeliveryStatus.SKIPPED.value),
        ("nudge-3", DeliveryStatus.SKIPPED.value),
    ]
