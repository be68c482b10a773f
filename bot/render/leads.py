"""What reviews with one's lead look like: `/mindset lead`, the request to the lead, the quarterly review
(to the lead and to the report), its weekly nudge and the note form. Pure functions of their cards."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.engine.messages import Message
from bot.render.actions import day_label
from bot.render.blocks import Block, button, context, input_block, metadata_json, plain, section
from bot.render.meetings import slack_time
from bot.render.modals import View
from bot.services.leads import NOTE_MAX, LeadOverview, Named, ReviewCard, Role
from bot.slack_text import clip, escape_mrkdwn

LEAD_USAGE = (
    "`/mindset lead @person` names your lead (they are asked to accept), `/mindset lead` shows who your lead is "
    "and who named you theirs, `/mindset lead none` removes your lead."
)


def overview_text(found: LeadOverview) -> str:
    if found.lead_id is None:
        mine = (
            "You have not named a lead. `/mindset lead @person` names one: each quarter they review your "
            "commitments with you."
        )
    elif found.lead_active:
        mine = f"Your lead is <@{found.lead_id}>: each quarter they review your commitments with you."
    else:
        mine = f"You named <@{found.lead_id}> your lead; they have not accepted yet."
    if found.report_ids:
        names = ", ".join(
            f"<@{user}>" + ("" if active else " (waiting for your answer)") for user, active in found.report_ids
        )
        theirs = f"You are the lead of: {names}."
    else:
        theirs = "Nobody has named you their lead."
    return f"{mine}\n{theirs}\n{LEAD_USAGE}"


def named_text(named: Named) -> str:
    if not named.new:
        state = "has accepted" if named.active else "has not answered yet"
        return f"<@{named.lead_id}> is already your lead: they {state}."
    replaced = f" (instead of <@{named.replaced_id}>)" if named.replaced_id else ""
    return (
        f"I asked <@{named.lead_id}> to be your lead{replaced}. Once they accept, each quarter they get your "
        "commitments of the quarter just ended and your Success Index, to review with you."
    )


def removed_text(lead_id: str | None) -> str:
    if lead_id is None:
        return "You had no lead named."
    return f"<@{lead_id}> is no longer your lead: they will not get your quarterly reviews."


def request_message(report_id: str, link_id: int) -> tuple[str, list[Block]]:
    """To the person named lead: what it means, Accept or Decline."""
    text = (
        f":handshake: <@{report_id}> named you their lead in Customer Mindset. If you accept, at the start of "
        "each quarter you get their commitments of the quarter just ended, what was kept and their Success "
        "Index, to review with them. You see nothing else of theirs."
    )
    actions = {
        "type": "actions",
        "elements": [
            button("Accept", ids.LEAD_ACCEPT, str(link_id), style="primary"),
            button("Decline", ids.LEAD_DECLINE, str(link_id)),
        ],
    }
    return f"{report_id} named you their lead", [section(text), actions]


def answered_text(report_id: str, *, accepted: bool) -> str:
    if accepted:
        return f":white_check_mark: You are now <@{report_id}>'s lead: their quarterly reviews will come to you."
    return f"You declined to be <@{report_id}>'s lead. They were told."


def told_report_text(lead_id: str, *, accepted: bool) -> str:
    if accepted:
        return (
            f":white_check_mark: <@{lead_id}> accepted to be your lead: each quarter they will review your "
            "commitments with you."
        )
    return f"<@{lead_id}> declined to be your lead. `/mindset lead @person` names someone else."


def _mark(line_kept: bool, line_open: bool) -> str:
    return ":white_check_mark: kept" if line_kept else (":hourglass: still open" if line_open else ":x: not kept")


def review_blocks(card: ReviewCard, *, role: Role, intro: str | None = None) -> list[Block]:
    """The review as either of them sees it: index, commitments, both notes, and the two buttons."""
    if intro is None:
        intro = (
            f":bar_chart: *Quarterly review of <@{card.report_id}> for {card.label}*"
            if role is Role.LEAD
            else f":bar_chart: *Your quarterly review with <@{card.lead_id}> for {card.label}*"
        )
    summary = "\n".join(f"• {line.label}: *{line.percent}* ({line.kept} of {line.due} kept)" for line in card.lines)
    blocks: list[Block] = [section(f"{intro}\n*Success Index*\n{summary}")]
    if card.commitments:
        rows = "\n".join(
            f"• {escape_mrkdwn(clip(' '.join(c.title.split()), 150))}, due {day_label(c.due)}: {_mark(c.kept, c.open)}"
            for c in card.commitments
        )
        more = f"\n…and {card.more} more." if card.more else ""
        blocks.append(section(f"*Commitments due in {card.label}*\n{rows}{more}"))
    for who, note in ((card.lead_id, card.lead_note), (card.report_id, card.report_note)):
        if note:
            blocks.append(section(f"*Note from <@{who}>*\n{escape_mrkdwn(clip(note, 2800))}"))
    if card.reviewed_at is not None:
        blocks.append(
            context(
                f":white_check_mark: Marked reviewed by <@{card.reviewed_by}> on "
                f"{slack_time(card.reviewed_at, '{date_long_pretty}')}."
            )
        )
    note_label = "Change my note" if (card.lead_note if role is Role.LEAD else card.report_note) else "Add a note"
    elements = [button(note_label, ids.LEAD_REVIEW_NOTE, str(card.id))]
    if card.reviewed_at is None:
        elements.append(button("Mark reviewed", ids.LEAD_REVIEW_DONE, str(card.id), style="primary"))
    blocks.append({"type": "actions", "elements": elements})
    return blocks


def review_text(card: ReviewCard, *, role: Role) -> str:
    who = f"<@{card.report_id}>" if role is Role.LEAD else "your"
    return f"Quarterly review of {who} commitments for {card.label}"


def lead_review(card: ReviewCard) -> Message:
    """To the lead, at the start of the quarter."""
    return Message(text=review_text(card, role=Role.LEAD), blocks=review_blocks(card, role=Role.LEAD))


def report_review(card: ReviewCard) -> Message:
    """To the report: their lead has the review; the same buttons."""
    intro = (
        f":bar_chart: *<@{card.lead_id}> has your quarterly review for {card.label}*: your commitments of the "
        "quarter and your Success Index, as below. Add a note for them, or mark it reviewed once you have talked."
    )
    return Message(text=review_text(card, role=Role.REPORT), blocks=review_blocks(card, role=Role.REPORT, intro=intro))


def review_nudge(card: ReviewCard, number: int) -> Message:
    """To the lead, weekly while the review is not marked (three times at most)."""
    intro = (
        f":bell: The quarterly review of <@{card.report_id}> for {card.label} is not marked reviewed yet "
        f"(reminder {number} of 3). Talk it through with them, then mark it."
    )
    return Message(
        text=f"Reminder: quarterly review of <@{card.report_id}> for {card.label}",
        blocks=review_blocks(card, role=Role.LEAD, intro=intro),
    )


def note_told(card: ReviewCard, *, by_role: Role) -> tuple[str, list[Block]]:
    """To the other one, when a note is added."""
    if by_role is Role.LEAD:
        intro = f":memo: <@{card.lead_id}> added a note to your quarterly review for {card.label}."
        role = Role.REPORT
    else:
        intro = f":memo: <@{card.report_id}> added a note to their quarterly review for {card.label}."
        role = Role.LEAD
    return review_text(card, role=role), review_blocks(card, role=role, intro=intro)


def reviewed_told(card: ReviewCard, *, by_role: Role) -> str:
    other = card.report_id if by_role is Role.LEAD else card.lead_id
    by = card.lead_id if by_role is Role.LEAD else card.report_id
    return f":white_check_mark: <@{by}> marked the quarterly review for {card.label} reviewed (with <@{other}>)."


def note_modal(card: ReviewCard, *, role: Role, metadata: dict[str, Any]) -> View:
    mine = card.lead_note if role is Role.LEAD else card.report_note
    other_id, other = (card.report_id, card.report_note) if role is Role.LEAD else (card.lead_id, card.lead_note)
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.LEAD_NOTE_INPUT,
        "max_length": NOTE_MAX,
        "multiline": True,
    }
    if mine:
        element["initial_value"] = clip(mine, NOTE_MAX)
    blocks: list[Block] = [section(f"Quarterly review of <@{card.report_id}> for {card.label}")]
    if other:
        blocks.append(context(f"<@{other_id}> wrote: {escape_mrkdwn(clip(other, 1500))}"))
    blocks.append(
        input_block(
            ids.LEAD_NOTE_BLOCK,
            "Your note",
            element,
            hint=f"Up to {NOTE_MAX:,} characters. The two of you see it; nobody else does.",
        )
    )
    return {
        "type": "modal",
        "callback_id": ids.LEAD_NOTE_MODAL,
        "title": plain("Review note"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": metadata_json({"review_id": card.id, **metadata}),
        "blocks": blocks,
    }
