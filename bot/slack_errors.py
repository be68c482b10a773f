"""What Slack's error codes mean for a message the bot tried to send: one list for the app and the engine.

- `CHANNEL_REFUSED`: the channel (or conversation) will not take the bot's message as things stand;
  trying again changes nothing until someone acts (invites the bot, unarchives the channel, grants the app
  access to the channel's workspace). The person who asked is told how to fix it.
- `RECIPIENT_GONE`: the person the message was for cannot get it (left, deactivated, DMs closed).
- `MESSAGE_REFUSED`: the message itself is not acceptable; sending it again would fail again.
- `PERMANENT`: any of these: recorded once, never retried.
- `UNREACHABLE`: no answer from Slack at all (no connection, a dropped one, none in time), as urllib and
  http.client raise it; a call given up for a timeout may still have been carried out by Slack.
- `TOKEN_REFUSED`: the token itself was refused: a newer token may be in the database (a reinstall), so the
  client is forgotten and the message tried again later.
"""

from __future__ import annotations

import http.client

CHANNEL_REFUSED = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "cannot_reply_to_message",
        "ekm_access_denied",
        # an org-wide install not granted the workspace the channel belongs to (Enterprise Grid, Slack Connect)
        "team_access_not_granted",
    }
)
RECIPIENT_GONE = frozenset(
    {"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot", "messages_tab_disabled"}
)
MESSAGE_REFUSED = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text"})
PERMANENT = CHANNEL_REFUSED | RECIPIENT_GONE | MESSAGE_REFUSED
TOKEN_REFUSED = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired"})
# auth.test at start (and `mindset-bot doctor`): the token will not do; `account_inactive` there means the
# workspace or the bot user is gone (when sending it is the recipient's account)
TOKEN_REJECTED = TOKEN_REFUSED | {"account_inactive"}
UNREACHABLE: tuple[type[Exception], ...] = (OSError, http.client.HTTPException)
