"""What the process counts, in Prometheus' text format: Slack requests, nudges, Slack API calls.

One registry per process (plus the process's own CPU, memory and file descriptors): with several
processes, scrape each one. `GET /metrics` serves it on METRICS_PORT (bot/server.py `serve_metrics`),
and on the HTTP port only with METRICS_TOKEN.

Labels take few values only: a command name, an event or interaction type, a Slack API method, a
nudge kind. A request's `kind` comes from the fixed sets of bot/ids.py (`request_label`): anything else
is `other`, and a request whose signature was not checked is `unverified`, so no request can add a series.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from bot import ids

METRICS_PATH = "/metrics"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# A request not signed by Slack: its body is not trusted, not even for a label.
UNVERIFIED = "unverified"
# A signed request of a kind the app has no listener for.
OTHER = "other"

# the `_created` series (when each counter was first touched) only double the output
disable_created_metrics()
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# -- Slack's requests to the bot ------------------------------------------------------------------

SLACK_REQUESTS = Counter(
    "mindset_slack_requests",
    "Requests from Slack, by kind (command, event type, interaction type) and outcome (ok, error, refused).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
SLACK_REQUEST_SECONDS = Histogram(
    "mindset_slack_request_seconds",
    "Time from a request reaching the app to its answer (the ack); Slack gives up after 3 s.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
    registry=REGISTRY,
)
BACKGROUND_FAILURES = Counter(
    "mindset_slack_background_failures",
    "Work after the answer (posting, opening forms) that failed, by request kind.",
    ["kind"],
    registry=REGISTRY,
)

# -- the nudge engine -----------------------------------------------------------------------------

ENGINE_TICKS = Counter("mindset_engine_ticks", "Engine ticks, by outcome (ok, error).", ["outcome"], registry=REGISTRY)
ENGINE_TICK_SECONDS = Histogram(
    "mindset_engine_tick_seconds",
    "How long a tick took (refresh, plan, deliver).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
    registry=REGISTRY,
)
# the planners' names (bot/engine/planners.py); a planner by any other name counts as `other`
PLANNERS = (
    "action_nudges",
    "checkins",
    "root_cause",
    "quarter_reviews",
    "lead_reviews",
    "lead_nudges",
    "pulses",
    "meeting_prompts",
    "entry_posts",
    "digests",
    "waiting_messages",  # people with a pending message the services planned (a new commitment, a refused post)
)
PLANNER_FAILURES = Counter(
    "mindset_engine_planner_failures",
    "Planners that failed in a tick (their work rolled back alone, the others' kept), by planner.",
    ["planner"],
    registry=REGISTRY,
)


def planner_label(name: str) -> str:
    return name if name in PLANNERS else OTHER


NUDGES_CLAIMED = Counter(
    "mindset_nudges_claimed", "Nudges this process claimed to send, by kind.", ["kind"], registry=REGISTRY
)
NUDGES_SENT = Counter("mindset_nudges_sent", "Nudges sent, by kind.", ["kind"], registry=REGISTRY)
NUDGES_RETRIED = Counter(
    "mindset_nudges_retried",
    "Nudges whose send failed and that will be tried again later, by kind.",
    ["kind"],
    registry=REGISTRY,
)
NUDGES_FAILED = Counter(
    "mindset_nudges_failed",
    "Nudges given up on (a permanent Slack error, or too many attempts), by kind.",
    ["kind"],
    registry=REGISTRY,
)
NUDGES_SKIPPED = Counter(
    "mindset_nudges_skipped",
    "Nudges not sent because they no longer apply (done, deleted, uninstalled), by kind.",
    ["kind"],
    registry=REGISTRY,
)
NUDGES_POSTPONED = Counter(
    "mindset_nudges_postponed",
    "Nudges claimed before their moment (outside working hours, a pause) and put back, by kind.",
    ["kind"],
    registry=REGISTRY,
)

# -- the bot's calls to Slack's Web API -----------------------------------------------------------

SLACK_API_CALLS = Counter(
    "mindset_slack_api_calls",
    "Slack Web API calls, by method and outcome (ok, error, ratelimited, unreachable), after retries.",
    ["method", "outcome"],
    registry=REGISTRY,
)
SLACK_RATE_LIMIT_WAITS = Counter(
    "mindset_slack_rate_limit_waits",
    "Times Slack answered 429 and the bot waited Retry-After before trying again, by method.",
    ["method"],
    registry=REGISTRY,
)
SLACK_RATE_LIMIT_WAIT_SECONDS = Counter(
    "mindset_slack_rate_limit_wait_seconds",
    "Seconds spent waiting out Slack's 429s (Retry-After), by method.",
    ["method"],
    registry=REGISTRY,
)


# -- what a request is, as a label -----------------------------------------------------------------

# Slack's interaction types, each with the ids its target is named by (actions, modals, shortcuts)
_TARGETS: dict[str, tuple[str, ...]] = {
    "block_actions": ids.ACTION_IDS,
    "view_submission": ids.MODALS,
    "view_closed": ids.MODALS,
    "message_action": ids.MESSAGE_SHORTCUTS,
}
_EVENT_TYPES = frozenset(ids.BOT_EVENTS)
_COMMANDS = frozenset(ids.COMMANDS)
# every value `request_label` can return
KINDS: frozenset[str] = frozenset(
    {*_COMMANDS, *_EVENT_TYPES, "url_verification", OTHER, UNVERIFIED}
    | {f"{kind}:{target}" for kind, targets in _TARGETS.items() for target in targets}
)


def request_label(body: Mapping[str, Any]) -> str:
    """A verified request's kind, from fixed sets: `/proud`, `app_home_opened`, `block_actions:action_done`,
    `view_submission:entry_modal`, `message_action:log_as_proud`; `other` for anything else."""
    command = body.get("command")
    if command is not None:
        return command if isinstance(command, str) and command in _COMMANDS else OTHER
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        event_type = event.get("type") if isinstance(event, Mapping) else None
        return event_type if isinstance(event_type, str) and event_type in _EVENT_TYPES else OTHER
    if kind == "url_verification":
        return kind
    targets = _TARGETS.get(kind) if isinstance(kind, str) else None
    if targets is None:
        return OTHER
    target = _target(body)
    return f"{kind}:{target}" if isinstance(target, str) and target in targets else OTHER


def _target(body: Mapping[str, Any]) -> object:
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], Mapping):
        return actions[0].get("action_id")
    view = body.get("view")
    if isinstance(view, Mapping):
        return view.get("callback_id")
    return body.get("callback_id")


def exposition() -> bytes:
    """Every metric of this process, in Prometheus' text format."""
    return generate_latest(REGISTRY)
