"""Can the bot post in a channel? Asked while a form waits for its answer, so quickly and once."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("mindset.channel_check")

CHECK_TIMEOUT = 2  # seconds: Slack waits 3 for the form's answer


def channel_problem(client: WebClient, channel: str) -> str | None:
    """What keeps the bot from posting in `channel`, or None (also when Slack cannot tell us in time:
    the form is not refused for Slack's slowness, and a failed post is reported when it happens)."""
    quick = WebClient(token=client.token, base_url=client.base_url, timeout=CHECK_TIMEOUT, retry_handlers=[])
    try:
        info = quick.conversations_info(channel=channel).get("channel") or {}
    except SlackApiError as error:
        code = str(error.response.get("error") or "") if error.response is not None else ""
        if code == "channel_not_found":
            return (
                f"I can't see <#{channel}>: it is private and I'm not in it. Add me there with "
                "`/invite @Customer Mindset`, or have the question sent to the owner instead."
            )
        log.warning("Could not check channel %s (%s); accepting it", channel, code)
        return None
    except Exception:
        log.warning("Could not check channel %s in time; accepting it", channel, exc_info=True)
        return None
    if info.get("is_archived"):
        return f"<#{channel}> is archived: choose another channel."
    if info.get("is_private") and not info.get("is_member"):
        return f"I'm not in <#{channel}>. Add me with `/invite @Customer Mindset`, or send the question to the owner."
    return None
