"""What each kind of delivery says, decided when it is sent (so it is never stale).

A sender returns the message, or None when the delivery is no longer relevant (the item was
closed, the root cause was added), in which case the engine records it as skipped.

What most deliveries are about, their action items, is read for a whole claimed batch at once
(`prefetch_cards`); the engine hands those cards to the senders only while they are a few seconds old,
and a sender without them reads its item itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.delivery import original_permalink
from bot.digest.compose import Reader, ReaderKind, for_reader
from bot.digest.period import Week
from bot.digest.shared import CommonDigest, SharedDigests, common_digest, digest_key
from bot.engine import planners
from bot.engine.digest_planner import DIGEST
from bot.engine.directory import Directory
from bot.engine.messages import Message, Upload
from bot.meetings.schedule import occurrences, prompt_at
from bot.render import leads as lead_render
from bot.render import nudges
from bot.render.digest import digest_blocks, digest_fallback
from bot.render.meetings import prompt_blocks, prompt_text
from bot.services import leads
from bot.services.actions import ASSIGNED, ActionCard, read_owner_zones
from bot.services.entries import EntryCard, card_with_actions
from bot.services.meetings import MeetingCard, occurrence_on, prompt_for_occurrence, record_sent
from bot.services.privacy import HANDED_BACK
from bot.services.success_index import index_lines, open_items_due_in
from bot.worktime import local_date, next_working_moment, zone
from storage.models import Delivery, DeliveryStatus, Workspace
from storage.repositories import actions as actions_repo
from storage.repositories import ambassadors as ambassadors_repo
from storage.repositories import deliveries as deliveries_repo
from storage.repositories import entries as entries_repo
from storage.repositories import leads as leads_repo
from storage.repositories import meetings as meetings_repo
from storage.repositories import workspaces as workspaces_repo
from storage.repositories.deliveries import Planned


@dataclass(frozen=True)
class Occasion:
    session: Session
    delivery: Delivery
    directory: Directory
    now: datetime
    # action items read for the batch, by (team, item id); an id looked for and not found is None
    cards: Mapping[tuple[str, int], ActionCard | None] = field(default_factory=dict)
    # what the digests of a workspace's week share, composed once for the readers due together (None: alone)
    digests: SharedDigests | None = None
    # "new commitment" deliveries and hand-overs, read for the batch (see `prefetch_assigned`); None: read now
    assigned: AssignedHistory | None = None

    @property
    def today(self) -> date:
        person = self.directory.person(self.delivery.team_id, self.delivery.recipient)
        return local_date(self.now, person.tz if person else zone(None))


Sender = Callable[[Occasion], Message | None]


class NotYet(Exception):  # noqa: N818 - it is an answer, not a failure
    """Raised by a sender whose delivery came too early (its moment moved later): try again `at`."""

    def __init__(self, at: datetime) -> None:
        super().__init__(f"not before {at.isoformat()}")
        self.at = at


def _open_card(occasion: Occasion) -> ActionCard | None:
    key = (occasion.delivery.team_id, int(occasion.delivery.subject))
    if key in occasion.cards:
        card = occasion.cards[key]
    else:
        item = actions_repo.get_action(occasion.session, team_id=key[0], action_id=key[1])
        card = ActionCard.of(item) if item is not None else None
    return card if card is not None and card.is_open else None


def _due_of(occasion: str) -> str:
    return occasion.split(":", 1)[1]


def send_reminder(occasion: Occasion) -> Message | None:
    card = _open_card(occasion)
    if card is None or card.due_date.isoformat() != _due_of(occasion.delivery.occasion):
        return None  # closed, or moved to another date (which has reminders of its own)
    if card.owner_id != occasion.delivery.recipient:
        return None
    return nudges.reminder(card, occasion.today)


def send_overdue(occasion: Occasion) -> Message | None:
    card = _open_card(occasion)
    if card is None or card.due_date.isoformat() != _due_of(occasion.delivery.occasion):
        return None
    if card.owner_id != occasion.delivery.recipient:
        return None
    number = int(occasion.delivery.occasion.split(":", 1)[0].removeprefix("overdue-"))
    return nudges.overdue(card, occasion.today, number)


def send_checkin(occasion: Occasion) -> Message | None:
    items = actions_repo.open_items_owned(
        occasion.session, team_id=occasion.delivery.team_id, owner_id=occasion.delivery.recipient
    )
    if not items:
        return None
    zones = read_owner_zones(occasion.session, items)
    return nudges.checkin([ActionCard.of(item, zones) for item in items], occasion.today)


def send_root_cause_nudge(occasion: Occasion) -> Message | None:
    entry = entries_repo.get_entry(
        occasion.session, team_id=occasion.delivery.team_id, entry_id=int(occasion.delivery.subject)
    )
    if entry is None or entry.root_cause:
        return None
    return nudges.root_cause_nudge(EntryCard.of(entry))


def send_entry_post(occasion: Occasion) -> Message | None:
    """An entry's channel message, unless it was posted (or refused, or deleted) meanwhile. Once sent,
    the entry knows its message (for its buttons and updates); a channel that refuses it is recorded on
    the entry, and its author is told in a DM."""
    delivery = occasion.delivery
    team_id, entry_id = delivery.team_id, int(delivery.subject)
    entry = entries_repo.get_entry(occasion.session, team_id=team_id, entry_id=entry_id)
    if entry is None or entry.message_ts is not None or entry.post_error is not None:
        return None
    if entry.channel_id != delivery.recipient or occasion.now - entry.created_at > planners.ENTRY_POST_STALE_AFTER:
        return None
    card = card_with_actions(occasion.session, entry)

    def message_for(card: EntryCard) -> Message:
        def after_sent(session: Session, channel: str, ts: str) -> None:
            entries_repo.record_post(
                session, team_id=team_id, entry_id=entry_id, message_ts=ts, permalink=card.source_permalink
            )

        def after_refused(session: Session, error: str) -> None:
            entries_repo.record_post(session, team_id=team_id, entry_id=entry_id, message_ts=None, error=error)
            told = Planned(team_id, planners.ENTRY_NOT_POSTED, str(entry_id), card.author_id, error, occasion.now)
            deliveries_repo.plan(session, planned=[told])

        return replace(nudges.entry_post(card), after_sent=after_sent, after_refused=after_refused)

    message = message_for(card)
    source_channel, source_ts = card.source_channel_id, card.source_ts
    if not source_channel or not source_ts or card.source_permalink:
        return message

    def with_original_link(client: WebClient) -> Message:
        # logged from a message (a shortcut) whose link the app never got: ask Slack for it now
        link = original_permalink(client, source_channel, source_ts)
        return message if link is None else message_for(replace(card, source_permalink=link))

    return replace(message, complete=with_original_link)


def send_entry_not_posted(occasion: Occasion) -> Message | None:
    """Tell an author that the channel refused their entry's post, while that is still so."""
    delivery = occasion.delivery
    entry = entries_repo.get_entry(occasion.session, team_id=delivery.team_id, entry_id=int(delivery.subject))
    if entry is None or entry.message_ts is not None or entry.post_error is None:
        return None
    if entry.author_id != delivery.recipient:
        return None
    return nudges.entry_not_posted(EntryCard.of(entry), entry.post_error)


def send_quarter_review(occasion: Occasion) -> Message | None:
    year, quarter = occasion.delivery.occasion.split("-Q")
    team_id, user_id = occasion.delivery.team_id, occasion.delivery.recipient
    lines = index_lines(occasion.session, team_id=team_id, user_id=user_id, year=int(year), quarter=int(quarter))
    if not lines or lines[-1].due == 0:
        return None
    still_open = open_items_due_in(
        occasion.session, team_id=team_id, user_id=user_id, year=int(year), quarter=int(quarter)
    )
    zones = read_owner_zones(occasion.session, still_open)
    return nudges.quarter_review(
        f"{year} Q{quarter}",
        lines,
        [ActionCard.of(item, zones) for item in still_open],
        occasion.today,
    )


def _lead_review_card(occasion: Occasion, *, lead_id: str, report_id: str) -> leads.ReviewCard | None:
    """The quarter's review of `report_id` with `lead_id` (created now if it is not there yet), while that link
    stands and the report had commitments due in the quarter."""
    session, team_id = occasion.session, occasion.delivery.team_id
    year, quarter = (int(part) for part in occasion.delivery.occasion.split("-Q"))
    if leads.active_lead(session, team_id=team_id, report_id=report_id) != lead_id:
        return None  # the report removed their lead, or named another
    if not leads.has_commitments(session, team_id=team_id, report_id=report_id, year=year, quarter=quarter):
        return None
    review = leads_repo.review_for(
        session, team_id=team_id, lead_id=lead_id, report_id=report_id, year=year, quarter=quarter, now=occasion.now
    )
    return leads.review_card(session, review)


def send_lead_review(occasion: Occasion) -> Message | None:
    """To the lead: the report's commitments of the quarter just ended, what was kept, their Success Index."""
    delivery = occasion.delivery
    card = _lead_review_card(occasion, lead_id=delivery.recipient, report_id=delivery.subject)
    return None if card is None else lead_render.lead_review(card)


def send_lead_review_report(occasion: Occasion) -> Message | None:
    """To the report: their lead has the review (with the same buttons)."""
    delivery = occasion.delivery
    card = _lead_review_card(occasion, lead_id=delivery.subject, report_id=delivery.recipient)
    return None if card is None else lead_render.report_review(card)


def send_lead_nudge(occasion: Occasion) -> Message | None:
    """To the lead, while the review is not marked reviewed and they are still the report's lead."""
    delivery, session = occasion.delivery, occasion.session
    review = leads_repo.get_review(session, team_id=delivery.team_id, review_id=int(delivery.subject))
    if review is None or review.reviewed_at is not None or review.lead_id != delivery.recipient:
        return None
    if leads.active_lead(session, team_id=review.team_id, report_id=review.report_id) != review.lead_id:
        return None
    number = int(delivery.occasion.removeprefix("nudge-"))
    return lead_render.review_nudge(leads.review_card(session, review), number)


def send_assigned(occasion: Occasion) -> Message | None:
    card = _open_card(occasion)
    if card is None:
        return None
    recipient = occasion.delivery.recipient
    if recipient != card.owner_id and recipient not in card.involved:
        return None
    history = occasion.assigned or read_assigned(occasion.session, [occasion.delivery])
    key = (occasion.delivery.team_id, occasion.delivery.subject, recipient)
    siblings = [sibling for sibling in history.deliveries.get(key, ()) if sibling.id != occasion.delivery.id]
    handed = history.handovers.get((occasion.delivery.team_id, card.id), ())
    waiting = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)
    if not occasion.delivery.occasion.startswith(REASSIGNED):
        if any(s.occasion.startswith(REASSIGNED) and s.status in waiting for s in siblings):
            return None  # the hand-over's message, still to be sent, tells this one too
        # written as it was when it was created: who owned it then
        then = replace(card, owner_id=handed[0][1].old_owner or card.owner_id) if handed else card
        return nudges.assigned(then, occasion.today, by=card.created_by, reassigned=False, recipient=recipient)
    handovers = _handovers_to_tell(occasion.delivery, siblings, handed)
    if not handovers:
        return None  # a later hand-over, still to be sent, tells this one too
    # the creation was queued with the hand-overs and left to this message: nothing was sent to them yet
    creation_untold = any(not s.occasion.startswith(REASSIGNED) for s in siblings) and not any(
        s.status == DeliveryStatus.SENT.value for s in siblings
    )
    return nudges.assigned(
        card,
        occasion.today,
        by=card.created_by if creation_untold else handovers[-1].by,
        reassigned=True,
        recipient=recipient,
        handovers=handovers,
        created_too=creation_untold,
    )


REASSIGNED = "reassigned:"


def _event_id(occasion: str) -> int:
    try:
        return int(occasion.removeprefix(REASSIGNED))
    except ValueError:
        return 0


@dataclass(frozen=True)
class Sibling:
    """A "new commitment" delivery, as the coalescing of hand-overs needs it."""

    id: int
    occasion: str
    status: str


@dataclass(frozen=True)
class AssignedHistory:
    """For "new commitment" deliveries: all such deliveries by (team, item, recipient), and each item's
    hand-overs by (team, item id) as (event id, hand-over), oldest first."""

    deliveries: Mapping[tuple[str, str, str], tuple[Sibling, ...]]
    handovers: Mapping[tuple[str, int], tuple[tuple[int, nudges.Handover], ...]]


def read_assigned(session: Session, deliveries: Iterable[Delivery]) -> AssignedHistory:
    """What `send_assigned` needs for these deliveries, in two queries per workspace (none without any)."""
    wanted: dict[str, set[str]] = {}
    for delivery in deliveries:
        if delivery.kind == ASSIGNED:
            wanted.setdefault(delivery.team_id, set()).add(delivery.subject)
    found: dict[tuple[str, str, str], list[Sibling]] = {}
    handovers: dict[tuple[str, int], list[tuple[int, nudges.Handover]]] = {}
    for team_id, subjects in wanted.items():
        for row in deliveries_repo.of_subjects(session, team_id=team_id, kind=ASSIGNED, subjects=sorted(subjects)):
            found.setdefault((team_id, row.subject, row.recipient), []).append(
                Sibling(row.id, row.occasion, row.status)
            )
        item_ids = sorted(int(subject) for subject in subjects if subject.isdigit())
        for event in actions_repo.events_of_kind(session, action_ids=item_ids, kind="reassigned"):
            handover = nudges.Handover(by=event.by, old_owner=event.old_value or "", new_owner=event.new_value or "")
            handovers.setdefault((team_id, event.action_id), []).append((event.id, handover))
    return AssignedHistory(
        {key: tuple(rows) for key, rows in found.items()}, {key: tuple(rows) for key, rows in handovers.items()}
    )


def _handovers_to_tell(
    delivery: Delivery, siblings: list[Sibling], handed: Sequence[tuple[int, nudges.Handover]]
) -> list[nudges.Handover]:
    """The hand-overs of an item this person has not been told of, each as it happened, when this delivery is
    the latest queued for them (several hand-overs in a row make one message, not one each naming the last
    owner); empty when a later one is still queued."""
    mine = _event_id(delivery.occasion)
    siblings = [sibling for sibling in siblings if sibling.occasion.startswith(REASSIGNED)]
    waiting = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)
    if any(sibling.status in waiting and _event_id(sibling.occasion) > mine for sibling in siblings):
        return []
    # since the last message to them, or since the first hand-over that concerned them
    ids = [_event_id(s.occasion) for s in siblings]
    sent = [_event_id(s.occasion) for s in siblings if s.status == DeliveryStatus.SENT.value]
    told = max((i for i in sent if i < mine), default=0) if sent else min([i for i in ids if i] + [mine]) - 1
    # every hand-over since the last message, also those between people this one was not told of
    return [handover for event_id, handover in handed if told < event_id <= mine]


def send_handed_back(occasion: Occasion) -> Message | None:
    """Tell the new owner of an item that came back to them when its owner was forgotten, while it is theirs."""
    card = _open_card(occasion)
    if card is None or card.owner_id != occasion.delivery.recipient:
        return None
    return nudges.handed_back(card, occasion.today, created_it=card.created_by == card.owner_id)


def send_meeting_prompt(occasion: Occasion) -> Message | None:
    """The opening question, if the occurrence is still ahead and the meeting still asks for it."""
    delivery = occasion.delivery
    meeting = meetings_repo.get_meeting(occasion.session, team_id=delivery.team_id, meeting_id=int(delivery.subject))
    if meeting is None or meeting.paused:
        return None
    card = MeetingCard.of(meeting)
    if card.recipient != delivery.recipient:
        return None  # the question now goes elsewhere (the meeting was edited)
    day, _, clock = delivery.occasion.partition("T")
    if clock != f"{meeting.at_time:%H:%M}":
        return None  # the meeting moved to another time, which has a delivery of its own
    occurrence = occurrence_on(meeting, date.fromisoformat(day))
    if occasion.now >= occurrence.starts_at:
        return None  # the meeting has started: a late question would be stale
    just_before = occurrence.starts_at - timedelta(minutes=1)
    if not occurrences(card.schedule, after=just_before, until=occurrence.starts_at):
        return None  # no longer a day the meeting happens (the schedule was edited)
    asked_at = prompt_at(occurrence, timedelta(minutes=card.lead_minutes))
    if occasion.now < asked_at:
        raise NotYet(asked_at)  # the question is to come closer to the start now (the lead was shortened)
    prompt = prompt_for_occurrence(occasion.session, meeting=meeting, occurrence=occurrence, now=occasion.now)

    def after_sent(session: Session, channel: str, ts: str) -> None:
        record_sent(session, team_id=delivery.team_id, prompt_id=prompt.id, channel=channel, ts=ts, now=occasion.now)

    return Message(text=prompt_text(prompt), blocks=prompt_blocks(prompt), after_sent=after_sent)


def digest_reader(session: Session, *, team_id: str, recipient: str) -> tuple[Reader, str] | None:
    """Who a digest delivery is for now, and the time zone of its week: the workspace's digest channel,
    or an ambassador (None when it is neither any more: the channel changed, the person left)."""
    workspace = workspaces_repo.get_workspace(session, team_id=team_id)
    if workspace is not None and workspace.digest_channel == recipient:
        return Reader(ReaderKind.CHANNEL, recipient), workspace.default_tz
    ambassador = ambassadors_repo.as_reader(session, team_id=team_id, user_id=recipient)
    if ambassador is None or ambassador.left:
        return None
    return Reader(ReaderKind.PERSON, recipient, ambassador.group_ids), ambassador.tz or "UTC"


def send_digest(occasion: Occasion) -> Message | None:
    delivery = occasion.delivery
    found = digest_reader(occasion.session, team_id=delivery.team_id, recipient=delivery.recipient)
    if found is None:
        return None
    reader, tz_name = found
    tz = zone(tz_name)
    week = Week.parse(delivery.occasion, tz)
    today = local_date(occasion.now, tz)

    def compose_shared() -> CommonDigest:
        return common_digest(occasion.session, team_id=delivery.team_id, week=week, now=occasion.now)

    if occasion.digests is not None and occasion.now >= week.end:
        shared = occasion.digests.get(digest_key(delivery.team_id, week, today), compose_shared)
    else:
        shared = compose_shared()  # the week so far changes by the minute: composed for its reader alone
    digest = for_reader(shared.common, reader)
    return Message(
        text=digest_fallback(digest),
        blocks=digest_blocks(digest, today=today),
        uploads=(
            Upload(
                filename=f"habit-health-{week.label}.png",
                content=shared.chart,
                title=f"Habit health: people taking part, {len(digest.participation)} weeks to {week.label}",
            ),
        ),
    )


# the kinds whose subject is an action item (their senders start with `_open_card`)
ABOUT_AN_ACTION_ITEM = frozenset({planners.REMINDER, planners.OVERDUE, ASSIGNED, HANDED_BACK})


def prefetch_cards(session: Session, deliveries: Iterable[Delivery]) -> dict[tuple[str, int], ActionCard | None]:
    """The action items a batch of deliveries is about, as cards, in one query per workspace (with the
    item's people and groups in two more), instead of three queries per delivery."""
    wanted: dict[str, set[int]] = {}
    for delivery in deliveries:
        if delivery.kind in ABOUT_AN_ACTION_ITEM:
            wanted.setdefault(delivery.team_id, set()).add(int(delivery.subject))
    cards: dict[tuple[str, int], ActionCard | None] = {}
    for team_id, ids in wanted.items():
        cards.update(dict.fromkeys(((team_id, item_id) for item_id in ids), None))
        items = actions_repo.get_actions(session, team_id=team_id, action_ids=ids)
        zones = read_owner_zones(session, items)
        for item in items:
            cards[(team_id, item.id)] = ActionCard.of(item, zones)
    return cards


# the kinds that reach a person (or the digest channel) only in working time: a nudge due outside it, or
# found late after downtime (a catch-up), waits for the start of the recipient's next working time.
# A meeting prompt is when its meeting is; an entry's post is the author's own message, late.
IN_WORKING_TIME = frozenset(
    {
        planners.REMINDER,
        planners.OVERDUE,
        planners.CHECKIN,
        planners.ROOT_CAUSE,
        planners.REVIEW,
        planners.LEAD_REVIEW,
        planners.LEAD_REVIEW_REPORT,
        planners.LEAD_NUDGE,
        ASSIGNED,
        DIGEST,
        planners.ENTRY_NOT_POSTED,
    }
)


def working_time_of(occasion: Occasion) -> datetime:
    """The first moment from now when the delivery's recipient may be messaged: now, in their working
    time, else the start of their next working time (after any pause), in their own zone; a channel (the
    digest's) or a person whose zone is not known yet follows the workspace's zone."""
    delivery, directory = occasion.delivery, occasion.directory
    person = directory.person(delivery.team_id, delivery.recipient)
    if person is not None:
        tz, paused_until = person.tz, person.paused_until
    else:
        workspace = occasion.session.get(Workspace, delivery.team_id)
        tz, paused_until = zone(workspace.default_tz if workspace else None), None
    return next_working_moment(occasion.now, tz, directory.calendar(delivery.team_id), paused_until=paused_until)


def in_working_time(sender: Sender) -> Sender:
    """`sender`, once the recipient is in working time (NotYet until then)."""

    def gated(occasion: Occasion) -> Message | None:
        at = working_time_of(occasion)
        if at > occasion.now:
            raise NotYet(at)
        return sender(occasion)

    gated.__name__ = getattr(sender, "__name__", "sender")
    return gated


_SENDERS: dict[str, Sender] = {
    planners.REMINDER: send_reminder,
    planners.OVERDUE: send_overdue,
    planners.CHECKIN: send_checkin,
    planners.ROOT_CAUSE: send_root_cause_nudge,
    planners.REVIEW: send_quarter_review,
    planners.LEAD_REVIEW: send_lead_review,
    planners.LEAD_REVIEW_REPORT: send_lead_review_report,
    planners.LEAD_NUDGE: send_lead_nudge,
    ASSIGNED: send_assigned,
    HANDED_BACK: send_handed_back,
    planners.MEETING_PROMPT: send_meeting_prompt,
    DIGEST: send_digest,
    planners.ENTRY_POST: send_entry_post,
    planners.ENTRY_NOT_POSTED: send_entry_not_posted,
}
SENDERS: dict[str, Sender] = {
    kind: in_working_time(sender) if kind in IN_WORKING_TIME else sender for kind, sender in _SENDERS.items()
}
