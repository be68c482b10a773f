"""Files that go with sent messages (a digest's chart), uploaded after the tick's messages.

`files.getUploadURLExternal` and `files.completeUploadExternal` are Tier 4 (about 100 a minute per
workspace), `chat.postMessage` about one a second per channel: on a Monday when 200 ambassadors read
their digest at 09:00, uploading each chart right after its message made the messages wait for the
uploads, and the uploads the client gave up on after two 429s were lost (bench 6: 39 of 200). So the
messages of a tick go first, then the uploads, and an upload that is rate-limited waits out every
`Retry-After` Slack asks for, up to `UPLOAD_PATIENCE` in all, before it is given up (and logged: the
message it belongs to says the same in text).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.engine.messages import Upload

log = logging.getLogger("mindset.engine")

# how long, in all, one tick's uploads wait out Slack's rate limits before giving the rest up
UPLOAD_PATIENCE = 300.0


@dataclass(frozen=True)
class PendingUpload:
    client: WebClient
    kind: str  # the delivery's kind, for the log
    channel: str
    thread_ts: str
    upload: Upload


class UploadQueue:
    """The uploads of one tick, in the order their messages were sent; safe to add to from the send threads."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep, patience: float = UPLOAD_PATIENCE) -> None:
        self._pending: list[PendingUpload] = []
        self._lock = threading.Lock()
        self._sleep = sleep
        self._patience = patience

    def add(self, client: WebClient, kind: str, uploads: Sequence[Upload], *, channel: str, ts: str) -> None:
        with self._lock:
            self._pending.extend(PendingUpload(client, kind, channel, ts, upload) for upload in uploads)

    def __len__(self) -> int:
        return len(self._pending)

    def run(self) -> tuple[int, int]:
        """Upload everything queued; (uploaded, given up)."""
        with self._lock:
            pending, self._pending = self._pending, []
        waited = 0.0
        uploaded = lost = 0
        for item in pending:
            while True:
                try:
                    item.client.files_upload_v2(
                        channel=item.channel,
                        thread_ts=item.thread_ts,
                        file=item.upload.content,
                        filename=item.upload.filename,
                        title=item.upload.title,
                    )
                    uploaded += 1
                    break
                except SlackApiError as error:
                    wait = _retry_after(error)
                    if wait is not None and waited + wait <= self._patience:
                        waited += wait
                        self._sleep(wait)
                        continue
                    lost += 1
                    log.warning(
                        "Could not upload %s with %s to %s: %s",
                        item.upload.filename,
                        item.kind,
                        item.channel,
                        error.response.get("error") if error.response is not None else error,
                    )
                    break
                except Exception:
                    lost += 1
                    log.warning(
                        "Could not upload %s with %s to %s",
                        item.upload.filename,
                        item.kind,
                        item.channel,
                        exc_info=True,
                    )
                    break
        return uploaded, lost


def _retry_after(error: SlackApiError) -> float | None:
    """Seconds Slack asked to wait, for a 429; None for any other failure (not worth repeating)."""
    response = error.response
    if response is None or response.status_code != 429:
        return None
    headers = response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after") or "1"
    if isinstance(value, list):
        value = value[0] if value else "1"
    try:
        return max(float(value), 1.0)
    except ValueError:
        return 30.0
