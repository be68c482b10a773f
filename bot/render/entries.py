"""How an entry looks in a channel, and the short answers its author gets."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.render.actions import STATUS_LABEL
from bot.services.entries import EntryCard
from bot.slack_text import SECTION_TEXT_MAX, clip, escape_mrkdwn
from storage.models import ActionStatus, EntryKind

KIND_LABEL = {EntryKind.PROUD: "Proud", EntryKind.SORRY: "Sorry"}
KIND_EMOJI = {EntryKind.PROUD: ":tada:", EntryKind.SORRY: ":pray:"}

Blocks = list[dict[str, Any]]


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def entry_heading(card: EntryCard) -> str:
    return f"{KIND_EMOJI[card.kind]} *{KIND_LABEL[card.kind]}* from <@{card.author_id}>"


def entry_tags(card: EntryCard) -> str | None:
    parts: list[str] = []
    if card.group_names:
        names = ", ".join(escape_mrkdwn(name) for name in card.group_names)
        parts.append(f"Customer groups: {names}")
    if card.area is not None:
        parts.append(f"Area: {card.area.label}")
    if card.stage:
        parts.append(f"Journey stage: {escape_mrkdwn(card.stage)}")
    if card.source_permalink:
        parts.append(f"<{card.source_permalink}|Original message>")
    return " · ".join(parts) if parts else None


def entry_blocks(card: EntryCard) -> Blocks:
    """The channel message for an entry; a sorry shows its root cause or a button to add one."""
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(entry_heading(card)), "accessory": entry_menu(card)},
        {"type": "section", "text": _mrkdwn(escape_mrkdwn(card.text))},
    ]
    tags = entry_tags(card)
    if tags:
        blocks.append({"type": "context", "elements": [_mrkdwn(clip(tags, SECTION_TEXT_MAX))]})
    if card.kind is EntryKind.SORRY:
        if card.root_cause:
            why = clip(escape_mrkdwn(card.root_cause), SECTION_TEXT_MAX - 40)
            blocks.append({"type": "section", "text": _mrkdwn(f"*Why did this happen?*\n{why}")})
            if card.root_cause_by or card.root_cause_history:
                blocks.append({"type": "context", "elements": [_mrkdwn(root_cause_credit(card))]})
        if card.actions:
            blocks.append({"type": "section", "text": _mrkdwn(linked_actions_text(card))})
        blocks.append({"type": "actions", "block_id": f"sorry_{card.id}", "elements": sorry_buttons(card)})
    return blocks


def entry_menu(card: EntryCard) -> dict[str, Any]:
    """The ⋯ menu of an entry's post: its author can delete it (anyone else is told so)."""
    return {
        "type": "overflow",
        "action_id": ids.ENTRY_MENU,
        "options": [
            {
                "text": {"type": "plain_text", "text": "Delete (author only)"},
                "value": f"{ids.ENTRY_MENU_DELETE}:{card.id}",
            }
        ],
        "confirm": {
            "title": {"type": "plain_text", "text": "Delete this entry?"},
            "text": {"type": "plain_text", "text": "It is removed from the channel and from the digest."},
            "confirm": {"type": "plain_text", "text": "Delete"},
            "deny": {"type": "plain_text", "text": "Keep it"},
            "style": "danger",
        },
    }


def root_cause_credit(card: EntryCard) -> str:
    """Who wrote the root cause shown, and who wrote the ones before it."""
    current = f"Root cause by <@{card.root_cause_by}>" if card.root_cause_by else "Root cause"
    if not card.root_cause_history:
        return current
    earlier = card.root_cause_writers
    versions = len(card.root_cause_history)
    before = f"; {versions} earlier version{'s' if versions > 1 else ''}"
    if earlier:
        before += " by " + ", ".join(f"<@{by}>" for by in earlier[:10])
    return current + before + " (kept in the sorry's history)"


def sorry_buttons(card: EntryCard) -> list[dict[str, Any]]:
    """Add (or revise) the root cause and turn the miss into an action item."""
    buttons = [_entry_button("Revise root cause" if card.root_cause else "Add root cause", ids.ADD_ROOT_CAUSE, card)]
    buttons.append(_entry_button("Create action item", ids.CREATE_ACTION_FROM_SORRY, card))
    return buttons


def _entry_button(text: str, action_id: str, card: EntryCard) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": str(card.id),
    }


LINKED_SHOWN_MAX = 10


def linked_actions_text(card: EntryCard) -> str:
    """The action items a sorry led to: title, owner, date, status."""
    lines = []
    for action in card.actions[:LINKED_SHOWN_MAX]:
        status = STATUS_LABEL[ActionStatus(action.status)]
        title = escape_mrkdwn(clip(action.title, 150))
        lines.append(f"• {title}: <@{action.owner_id}>, due {action.due_date:%-d %b %Y} ({status.lower()})")
    more = len(card.actions) - LINKED_SHOWN_MAX
    if more > 0:
        lines.append(f"…and {more} more")
    return clip("*Action items*\n" + "\n".join(lines), SECTION_TEXT_MAX)


def entry_fallback(card: EntryCard) -> str:
    """Plain text for notifications and clients that cannot show blocks."""
    return clip(f"{KIND_LABEL[card.kind]} from <@{card.author_id}>: {escape_mrkdwn(card.text)}", 3000)


def saved_confirmation(card: EntryCard) -> str:
    what = "proud" if card.kind is EntryKind.PROUD else "sorry"
    follow = (
        " Thank you for sharing it."
        if card.kind is EntryKind.PROUD
        else " Thank you for owning it. Add the root cause when you know why it happened."
    )
    stage = f" at the *{escape_mrkdwn(card.stage)}* stage" if card.stage else ""
    return f"Saved your {what} (#{card.id}){stage}; posting it in <#{card.channel_id}>.{follow}"


UNKNOWN_TAG_BUTTONS_MAX = 5


def tag_as_name(tag: str) -> str:
    """A name to suggest for a group from an unknown tag: `small-clinics` -> "Small clinics"."""
    words = " ".join(tag.replace("_", "-").split("-")).strip()
    return words[:1].upper() + words[1:]


def unknown_tags_note(tags: tuple[str, ...]) -> str:
    shown = ", ".join(f"`#{escape_mrkdwn(tag[:60])}`" for tag in tags)
    return (
        f"I did not recognise {shown}: no customer group has that tag, so the entry is not tagged with "
        f"{'it' if len(tags) == 1 else 'them'}. `/mindset groups` lists each group's tag."
    )


def saved_blocks(card: EntryCard, unknown_tags: tuple[str, ...], stage_note: str | None = None) -> Blocks:
    """The private answer to `/proud` or `/sorry` with text; unknown `#tags` are named, each with a button
    that creates the group and tags this entry with it; `>words` that named no stage are said (`stage_note`)."""
    blocks: Blocks = [{"type": "section", "text": _mrkdwn(saved_confirmation(card))}]
    if stage_note:
        blocks.append({"type": "section", "text": _mrkdwn(clip(stage_note, SECTION_TEXT_MAX))})
    if unknown_tags:
        blocks.append({"type": "section", "text": _mrkdwn(clip(unknown_tags_note(unknown_tags), SECTION_TEXT_MAX))})
        buttons = [
            {
                "type": "button",
                "action_id": ids.GROUP_ADD,
                "text": {"type": "plain_text", "text": clip(f"Create group “{tag_as_name(tag)}”", 75)},
                "value": f"{ids.GROUP_ADD_FOR_ENTRY}:{card.id}:{tag[:200]}",
            }
            for tag in unknown_tags[:UNKNOWN_TAG_BUTTONS_MAX]
        ]
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def saved_text(card: EntryCard, unknown_tags: tuple[str, ...], stage_note: str | None = None) -> str:
    text = saved_confirmation(card)
    text = f"{text} {stage_note}" if stage_note else text
    return f"{text} {unknown_tags_note(unknown_tags)}" if unknown_tags else text


def entry_usage(kind: EntryKind, word: str) -> str:
    """How `/proud` or `/sorry` is used, for someone who typed a subcommand after it (`/proud help`)."""
    command = "/proud" if kind is EntryKind.PROUD else "/sorry"
    what = "what went well for a customer" if kind is EntryKind.PROUD else "what went wrong for a customer"
    example = (
        "Help desk answered the clinic within a minute"
        if kind is EntryKind.PROUD
        else "Help desk kept the clinic waiting two days"
    )
    shown = escape_mrkdwn(word[:30])
    return (
        f"`{command}` does not take `{shown}`: nothing was saved or posted.\n"
        f"• `{command} &lt;{what}&gt;` logs it and posts it in this channel; write `#group-name` to tag a customer "
        "group, `&gt;stage` for its stage of the customer journey (`&gt;get-help`).\n"
        f"• `{command}` alone opens a form with customer groups, an area and the channel to share in.\n"
        f"To log an entry that starts with “{shown}”, put the whole text in quotes: "
        f'`{command} "{example}"`.\n'
        "Other commands: `/action help`, `/meeting help`, `/mindset help`."
    )


def not_posted_how(channel_id: str, error: str) -> str:
    """Why the bot could not post in a channel, and how to let it."""
    where = f"<#{channel_id}>"
    if channel_id.startswith("D") and error in {"not_in_channel", "channel_not_found"}:
        return (
            "This is a direct message between people, and no app can be added to one, so I could not post there. "
            "To share it, run the command in a channel (I post in any public one; for a private one, add me "
            "first with `/invite @Customer Mindset` there), or pick a channel in the form that `/proud` or "
            "`/sorry` alone opens."
        )
    if error in {"not_in_channel", "channel_not_found"}:
        return (
            f"I'm not a member of {where}, so I could not post there. "
            "Add me with `/invite @Customer Mindset` (or the channel's *Integrations* tab) "
            "and try again, or use a channel I'm in."
        )
    if error == "is_archived":
        return f"{where} is archived, so I could not post there."
    if error == "team_access_not_granted":
        return (
            f"{where} belongs to a workspace I have not been given access to, so I could not post there. "
            "An admin can add me to that workspace, or use a channel of this one."
        )
    if error.startswith("restricted_action"):
        return f"Only some members may post in {where}, and I am not one of them: use another channel."
    return f"Slack would not let me post in {where} (`{error}`)."


def not_posted_message(card: EntryCard, error: str) -> str:
    """Told to the author when the bot could not post the entry: it is saved all the same."""
    return f"Your entry #{card.id} is saved and counts in the digest. {not_posted_how(card.channel_id, error)}"


def post_later_message(card: EntryCard) -> str:
    """Told to the author when Slack would not take the entry's post for now: saved, and posted later."""
    return (
        f"Your entry #{card.id} is saved and counts in the digest, but Slack is not taking my posts right now, "
        f"so it is not in <#{card.channel_id}> yet. I will post it there once Slack answers again "
        "(I try again in about ten minutes): no need to send it again."
    )
