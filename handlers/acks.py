"""The acknowledgement shared by listeners whose work all happens after the answer."""

from __future__ import annotations

from slack_bolt import Ack

from bot.deps import Deps


def ack_only(ack: Ack, deps: Deps) -> None:
    ack()
