"""A generated workspace for benchmark 2: people, customer groups, channels, prouds and sorries, action items
with their history, meetings with prompts and answers, ambassadors.

The schema is built by `storage.migrate.upgrade`; the bulk tables are loaded with PostgreSQL's COPY (psycopg)
or, on SQLite, `executemany` in one transaction. Everything is derived from a seed, so the same spec gives the
same rows.

Volumes follow the calendar: each day gets `rate × weight(day)` entries, action items and meetings, where
the weight depends only on the date (weekdays, a quiet Christmas and summer, a little noise per week), so a
workspace with a shorter history has exactly the same recent weeks as a long one at the same weekly volume.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import random
import time as clock
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

GENERATOR_VERSION = 5  # bump when the rows generated change
TEAM = "TBENCHDIGEST"
BERLIN = ZoneInfo("Europe/Berlin")
# the moment the digest is composed: Monday 23 November 2026, 09:00 in Berlin, as the engine would send
# the digest of 2026-W47 (16 to 22 November)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN).astimezone(UTC)
WEEK_MONDAY = date(2026, 11, 16)
READER = "U0000003"  # the ambassador whose digest is measured
READER_TZ = "Europe/Berlin"
AMBASSADORS = 12
REFERENCE_WEEKS = 156  # the day weights are normalised over three years before NOW, whatever the history
REPO = Path(__file__).resolve().parent.parent
MIGRATIONS = REPO / "storage" / "migrations" / "versions"


@dataclass(frozen=True)
class Spec:
    """How big a generated workspace is. `weeks` of history at `entries / weeks` entries a week."""

    label: str
    people: int
    groups: int
    entries: int
    actions: int
    prompts: int  # meeting occurrences (prompts sent)
    weeks: float
    seed: int = 20261123

    @property
    def channels(self) -> int:
        return max(20, self.people // 12)

    def fingerprint(self) -> str:
        """What the cached database was made from: the spec, this generator and the migrations."""
        digest = hashlib.sha256()
        digest.update(json.dumps([GENERATOR_VERSION, asdict(self)], sort_keys=True).encode())
        for path in sorted(MIGRATIONS.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]


@dataclass
class Generated:
    """What a generation made: row counts, seconds, and the numbers the measured digest must show."""

    fingerprint: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    build_seconds: dict[str, float] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    generated_at: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Generated:
        data = json.loads(raw)
        return cls(**data)


# -- vocabulary ---------------------------------------------------------------------------------

GROUP_WORDS = (
    "Small clinics", "Hospital groups", "Pharmacies", "Dentists", "Care homes", "Physiotherapists", "Labs",
    "Insurers", "Home care", "Veterinary practices", "Opticians", "Student clinics", "Public health offices",
    "Rehabilitation centres", "Private practices", "Paediatricians", "Psychologists", "Radiology", "Dermatology",
    "Telehealth", "Occupational health", "Sports medicine", "Midwives", "Hearing care", "Nursing services",
    "Research hospitals", "Blood banks", "Day surgery", "Emergency services", "Mobile clinics", "Elderly care",
    "Diagnostics partners", "Resellers", "Integrators", "Start-up clinics", "Franchise chains", "Government",
    "Universities", "Charities", "Enterprise accounts", "Pilot customers", "Trial users",
)  # fmt: skip
OBJECTS = (
    "refund", "invoice export", "onboarding call", "password reset", "delivery slot", "support ticket",
    "data import", "contract renewal", "billing address", "mobile app login", "appointment reminder",
    "prescription upload", "report download", "calendar sync", "price change", "SMS notification",
    "training session", "API key", "backup restore", "user permissions", "audit log", "patient portal",
    "lab results screen", "payment terminal", "printer setup", "migration weekend", "release notes",
    "waiting list", "video consultation", "holiday schedule", "phone queue", "chat widget", "welcome email",
)  # fmt: skip
CUSTOMERS = (
    "the clinic in Utrecht", "a pharmacy chain", "three dentists", "the hospital group", "a care home",
    "the new pilot customer", "two physiotherapists", "an insurer", "our largest reseller", "a lab partner",
    "the university hospital", "a family practice", "the rehabilitation centre", "a veterinary practice",
)  # fmt: skip
PROUD_VERBS = (
    "Fixed", "Called back about", "Walked them through", "Sped up", "Rebuilt", "Explained", "Cleaned up",
    "Automated", "Shipped the fix for", "Stayed late to finish", "Simplified", "Tested with them",
)  # fmt: skip
PROUD_ENDINGS = (
    "the same day", "before the deadline", "and they thanked the whole team", "within an hour",
    "after two weeks of waiting", "on their first try", "so nobody has to phone us again",
    "and wrote it up for support", "together with operations", "without a single ticket",
)  # fmt: skip
SORRY_TEMPLATES = (
    "{customer} waited {n} days for the {obj}",
    "The {obj} failed for {customer} during the busy hour",
    "{customer} got the wrong {obj} twice",
    "We forgot to tell {customer} about the {obj}",
    "{customer} could not reach anyone about the {obj}",
    "The {obj} was broken for {customer} after the release",
    "{customer} had to ask three times for the {obj}",
)  # fmt: skip
CAUSES = (
    "Nobody owned the {obj} after the reorganisation",
    "The checklist for the {obj} was out of date",
    "Two teams each thought the other would handle it",
    "We had no alert when the {obj} stopped working",
    "The handover between sales and support lost the request",
    "The release was rushed to meet a date nobody asked for",
)  # fmt: skip
ACTION_TEMPLATES = (
    "Write a checklist for the {obj}",
    "Call {customer} about the {obj}",
    "Add an alert when the {obj} fails",
    "Agree who owns the {obj}",
    "Train support on the {obj}",
    "Fix the {obj} for {customer}",
    "Review the {obj} process with operations",
)  # fmt: skip
MEETING_TITLES = (
    "Sprint review", "Support stand-up", "Sales weekly", "Operations sync", "Product council", "Team retro",
    "Customer board", "Release planning", "Onboarding huddle", "Quality review", "Account review",
)  # fmt: skip
ANSWER_TEXTS = (
    "We will show {customer} the new {obj} and ask what is still missing",
    "Look at the tickets about the {obj} before we plan anything",
    "Check whether the {obj} change helps {customer}",
    "Invite {customer} to the demo of the {obj}",
    "Nothing planned for them this time; we will ask support",
)  # fmt: skip
QUESTIONS = (
    "Which customer did we last hear from, and what did they say?",
    "What would our customers notice if this meeting went well?",
    "Who is waiting for us right now?",
    "What did we learn from last week's sorries?",
    "Which promise to a customer is at risk?",
    "What is one thing we could make simpler for them?",
    "Whose day did we make easier last week?",
    "Which customer group have we not talked about for a while?",
)  # fmt: skip
TIME_ZONES = (("Europe/Berlin", 60), ("Europe/London", 20), ("America/New_York", 10), ("Asia/Kolkata", 10))
AREAS = ("products", "operations", "organisation", "people")


# -- the calendar -------------------------------------------------------------------------------


def _unit(*parts: object) -> float:
    """A number in [0, 1) that depends only on `parts` (noise that is the same in every workspace)."""
    raw = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big") / 2**64


def day_weight(day: date) -> float:
    """How busy a day is: weekdays, weekends, the Christmas and summer lull, noise per ISO week."""
    weekday = day.isoweekday()
    weight = (1.0, 1.05, 1.0, 0.95, 0.75, 0.04, 0.02)[weekday - 1]
    month_day = (day.month, day.day)
    if month_day >= (12, 22) or month_day <= (1, 3):
        weight *= 0.2
    elif (7, 15) <= month_day <= (8, 20):
        weight *= 0.7
    year, week, _ = day.isocalendar()
    return weight * (0.85 + 0.3 * _unit("week", year, week))


def _days(weeks: float) -> list[date]:
    last = NOW.astimezone(BERLIN).date()
    count = round(weeks * 7)
    return [last - timedelta(days=count - 1 - index) for index in range(count)]


def per_day_counts(weekly: float, weeks: float, what: str) -> list[tuple[date, int]]:
    """How many rows each day gets: `weekly` a week on average, spread by `day_weight`.

    Rounded with noise that depends only on the date, so the last weeks are the same in a long history
    and a short one at the same weekly volume.
    """
    reference = _days(REFERENCE_WEEKS)
    mean = sum(day_weight(day) for day in reference) / len(reference)
    per_day = weekly / 7 / mean
    counts = []
    for day in _days(weeks):
        expected = per_day * day_weight(day)
        counts.append((day, int(expected + _unit(what, day.toordinal()))))
    return counts


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BERLIN).astimezone(UTC)


def _working_moment(rng: random.Random, day: date, *, start_hour: float = 8.0, end_hour: float = 18.5) -> datetime:
    """A moment of the day, local working hours in Berlin, in UTC; never after NOW."""
    seconds = rng.uniform(start_hour, end_hour) * 3600
    moment = _local_midnight_utc(day) + timedelta(seconds=seconds)
    if moment >= NOW:
        moment = NOW - timedelta(seconds=rng.uniform(60, 3600))
    return moment


def _zipf_weights(count: int, exponent: float, offset: float) -> list[float]:
    return [1.0 / (rank + offset) ** exponent for rank in range(1, count + 1)]


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def person_id(index: int) -> str:
    return f"U{index:07d}"


def channel_id(index: int) -> str:
    return f"C{index:06d}"


# -- the rows -----------------------------------------------------------------------------------

Row = tuple[Any, ...]


@dataclass
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)


@dataclass
class World:
    """Every generated row, by table, in load order."""

    tables: dict[str, Table]
    group_ids: list[int]
    expected: dict[str, int]

    def table(self, name: str) -> Table:
        return self.tables[name]


def _table(name: str, columns: str) -> Table:
    return Table(name, tuple(column.strip() for column in columns.split(",")))


def generate(spec: Spec, group_ids: Sequence[int]) -> World:
    """Every bulk row of the workspace (groups exist already: their ids are given)."""
    rng = random.Random(spec.seed)
    tables = {
        t.name: t
        for t in (
            _table("people", "id, team_id, user_id, tz, tz_checked_at, paused_until, deactivated"),
            _table("channels", "id, team_id, channel_id, is_private, members, checked_at"),
            _table(
                "entries",
                "id, team_id, kind, author_id, channel_id, text, area, created_at, idempotency_key, root_cause, "
                "root_cause_by, root_cause_at, message_ts, post_error, source_channel_id, source_ts, source_permalink",
            ),
            # a tag carries its entry's workspace, author, kind and moment (migration 0024: the triggers write them, but
            # COPY here runs without triggers)
            _table("entry_customer_groups", "entry_id, group_id, team_id, author_id, kind, created_at"),
            _table(
                "action_items",
                "id, team_id, title, desired_outcome, owner_id, created_by, created_at, due_date, original_due_date, "
                "status, closed_at, drop_reason, area, source, source_entry_id, source_answer_id, idempotency_key",
            ),
            _table("action_events", "id, action_id, team_id, at, by, kind, old_value, new_value, note"),
            _table("action_people", "action_id, user_id"),
            _table("action_customer_groups", "action_id, group_id"),
            _table(
                "meetings",
                "id, team_id, title, channel_id, owner_id, repeat, start_date, weekdays, at_time, tz, lead_minutes, "
                "prompt_to, paused, created_by, created_at, deleted_at, idempotency_key",
            ),
            _table(
                "meeting_prompts",
                "id, team_id, meeting_id, occurrence_date, starts_at, title, question_id, question_text, created_by, "
                "created_at, channel, message_ts, sent_at, idempotency_key",
            ),
            _table("meeting_answers", "id, team_id, prompt_id, subject, group_id, text, answered_by, answered_at"),
        )
    }
    expected: dict[str, int] = {}
    people = [person_id(index) for index in range(1, spec.people + 1)]
    person_cum = _cumulative(_zipf_weights(spec.people, 0.9, 20))
    group_cum = _cumulative(_zipf_weights(len(group_ids), 0.8, 2))
    zones = [name for name, _ in TIME_ZONES]
    zone_cum = _cumulative([share for _, share in TIME_ZONES])

    def someone() -> str:
        return people[bisect.bisect(person_cum, rng.random() * person_cum[-1])]

    def some_group() -> int:
        return group_ids[bisect.bisect(group_cum, rng.random() * group_cum[-1])]

    # people: every one with a known time zone (the reader in Berlin)
    for index, user in enumerate(people, start=1):
        tz = READER_TZ if user == READER else zones[bisect.bisect(zone_cum, rng.random() * zone_cum[-1])]
        tables["people"].rows.append((index, TEAM, user, tz, NOW - timedelta(days=1), None, False))

    # channels: most public; some private with members (the reader in half of them); a few never seen
    channel_count = spec.channels
    channels = [channel_id(index) for index in range(1, channel_count + 1)]
    channel_cum = _cumulative(_zipf_weights(channel_count, 1.0, 3))
    private_every, unknown_every = 12, 40
    for index, channel in enumerate(channels, start=1):
        if index % unknown_every == 0:
            continue  # never checked: its entries are counted, not quoted
        private = index % private_every == 0
        members = None
        if private:
            chosen = {someone() for _ in range(rng.randint(15, 80))}
            if (index // private_every) % 2 == 0:
                chosen.add(READER)
            members = " ".join(sorted(chosen))
        tables["channels"].rows.append((index, TEAM, channel, private, members, NOW - timedelta(hours=2)))

    def some_channel() -> str:
        return channels[bisect.bisect(channel_cum, rng.random() * channel_cum[-1])]

    def fill(template: str) -> str:
        return template.format(obj=rng.choice(OBJECTS), customer=rng.choice(CUSTOMERS), n=rng.randint(2, 9))

    # entries, oldest first; ~30 % sorries, half tagged with one or two groups, most with an area
    week_start = datetime.combine(WEEK_MONDAY, time.min, tzinfo=BERLIN).astimezone(UTC)
    week_end = week_start + timedelta(days=7)
    expected.update(week_prouds=0, week_sorries=0)
    entries = tables["entries"].rows
    links = tables["entry_customer_groups"].rows
    sorries: list[tuple[datetime, int]] = []
    moments: list[datetime] = []
    for day, count in per_day_counts(spec.entries / spec.weeks, spec.weeks, "entries"):
        moments += sorted(_working_moment(rng, day) for _ in range(count))
    for entry_id, created in enumerate(moments, start=1):
        sorry = rng.random() < 0.3
        obj, customer = rng.choice(OBJECTS), rng.choice(CUSTOMERS)
        if sorry:
            body = rng.choice(SORRY_TEMPLATES).format(obj=obj, customer=customer, n=rng.randint(2, 9))
            body = body[0].upper() + body[1:]
        else:
            body = f"{rng.choice(PROUD_VERBS)} the {obj} for {customer} {rng.choice(PROUD_ENDINGS)}"
        author = someone()
        cause = cause_by = cause_at = None
        if sorry and rng.random() < 0.6:
            cause_at = created + timedelta(hours=rng.expovariate(1 / 40))
            if cause_at < NOW:
                cause = rng.choice(CAUSES).format(obj=obj)
                cause_by = author if rng.random() < 0.8 else someone()
            else:
                cause_at = None
        entries.append(
            (
                entry_id,
                TEAM,
                "sorry" if sorry else "proud",
                author,
                some_channel(),
                body,
                rng.choice(AREAS) if rng.random() < 0.7 else None,
                created,
                f"gen:{entry_id}",
                cause,
                cause_by,
                cause_at,
                f"{int(created.timestamp())}.{entry_id % 1000000:06d}",
                None,
                None,
                None,
                None,
            )
        )
        if rng.random() < 0.5:
            kind = "sorry" if sorry else "proud"
            first = some_group()
            links.append((entry_id, first, TEAM, author, kind, created))
            if rng.random() < 0.3:
                second = some_group()
                if second != first:
                    links.append((entry_id, second, TEAM, author, kind, created))
        if sorry:
            sorries.append((created, entry_id))
        if week_start <= created < week_end:
            expected["week_sorries" if sorry else "week_prouds"] += 1
    sorry_times = [moment for moment, _ in sorries]

    # action items with their history
    today = NOW.astimezone(BERLIN).date()
    items, events = tables["action_items"].rows, tables["action_events"].rows
    event_id = 0

    def event(
        action_id: int, at: datetime, by: str, kind: str, old: str | None, new: str | None, note: str | None
    ) -> None:
        nonlocal event_id
        event_id += 1
        events.append((event_id, action_id, TEAM, at, by, kind, old, new, note))

    action_moments: list[datetime] = []
    for day, count in per_day_counts(spec.actions / spec.weeks, spec.weeks, "actions"):
        action_moments += sorted(_working_moment(rng, day) for _ in range(count))
    for action_id, created in enumerate(action_moments, start=1):
        owner = someone()
        creator = owner if rng.random() < 0.6 else someone()
        created_day = created.astimezone(BERLIN).date()
        original_due = created_day + timedelta(
            days=rng.randint(3, 120) if rng.random() < 0.85 else rng.randint(190, 1000)
        )
        due = original_due
        event(action_id, created, creator, "created", None, original_due.isoformat(), None)
        # a share is moved once, a few twice; a move happens before the date it moves and before NOW
        moves = 0 if rng.random() >= 0.15 else (2 if rng.random() < 0.25 else 1)
        for _ in range(moves):
            latest = min(datetime.combine(due, time(12), tzinfo=UTC), NOW)
            if latest <= created:
                break
            at = created + (latest - created) * rng.random()
            new_due = due + timedelta(days=rng.randint(7, 60))
            event(action_id, at, owner, "rescheduled", due.isoformat(), new_due.isoformat(), "more time needed")
            due = new_due
        status, closed_at, drop_reason = "open", None, None
        if due < today:
            age = (today - due).days
            if rng.random() >= 0.3 * math.exp(-age / 60):
                status = "done" if rng.random() < 0.85 else "dropped"
        elif rng.random() < 0.18:
            status = "done" if rng.random() < 0.85 else "dropped"
        if status in ("done", "dropped"):
            due_moment = datetime.combine(due, time(15), tzinfo=UTC)
            closed_at = due_moment + timedelta(days=rng.gauss(-4, 8))
            closed_at = min(max(closed_at, created + timedelta(hours=1)), NOW - timedelta(minutes=5))
            if status == "dropped":
                drop_reason = "No longer needed after the customer moved on"
            event(action_id, closed_at, owner, "status", "open", status, None)
        elif rng.random() < 0.5:
            status = "on_track" if rng.random() < 0.7 else "at_risk"
            at = created + (NOW - created) * rng.random()
            event(action_id, at, owner, "status", "open", status, None)
        if rng.random() < 0.05:
            at = created + (NOW - created) * rng.random()
            event(action_id, at, owner, "note", None, None, "Spoke with them; waiting for their answer")
        source, source_entry = "manual", None
        if rng.random() < 0.25 and sorries:
            upto = bisect.bisect(sorry_times, created)
            if upto:
                source_entry = sorries[rng.randrange(max(0, upto - 500), upto)][1]
                source = "sorry"
        items.append(
            (
                action_id,
                TEAM,
                fill(rng.choice(ACTION_TEMPLATES)),
                fill("So that {customer} no longer has to chase us") if rng.random() < 0.5 else None,
                owner,
                creator,
                created,
                due,
                original_due,
                status,
                closed_at,
                drop_reason,
                rng.choice(AREAS) if rng.random() < 0.5 else None,
                source,
                source_entry,
                None,
                f"gen:{action_id}",
            )
        )
        if rng.random() < 0.3:
            for user in {someone() for _ in range(rng.randint(1, 3))} - {owner}:
                tables["action_people"].rows.append((action_id, user))
        if rng.random() < 0.4:
            tables["action_customer_groups"].rows.append((action_id, some_group()))

    # meetings: weekly ones started when the history starts; a few prompts of `/meeting now`
    # 1 % of prompts come from `/meeting now`; a weekly meeting happens in about 94 % of weeks (holidays)
    weekly_meetings = max(1, round(spec.prompts / spec.weeks * 0.99 / 0.94))
    now_per_weekday = 0.01 * spec.prompts / spec.weeks / 5
    history_start = _days(spec.weeks)[0]
    meetings = tables["meetings"].rows
    schedule: list[tuple[int, int, time, str | None, str, tuple[int, ...]]] = []
    for meeting_id in range(1, weekly_meetings + 1):
        owner = someone()
        weekday = rng.randint(1, 5)
        at_time = time(rng.randint(9, 16), rng.choice((0, 30)))
        in_channel = rng.random() < 0.7
        channel = some_channel() if in_channel else None
        usual = tuple(sorted({some_group() for _ in range(rng.randint(1, 4))}))
        start = history_start - timedelta(days=rng.randint(0, 6))
        created = _local_midnight_utc(start) - timedelta(days=1)
        meetings.append(
            (
                meeting_id,
                TEAM,
                f"{rng.choice(MEETING_TITLES)} {meeting_id}",
                channel,
                owner,
                "weekly",
                start,
                str(weekday),
                at_time,
                "Europe/Berlin",
                10,
                "channel" if in_channel else "owner",
                False,
                owner,
                created,
                None,
                f"gen:{meeting_id}",
            )
        )
        schedule.append((meeting_id, weekday, at_time, channel, owner, usual))
    prompts, answers = tables["meeting_prompts"].rows, tables["meeting_answers"].rows
    prompt_id = answer_id = 0
    occurrences: list[tuple[datetime, int | None, date | None, str, str | None, str, tuple[int, ...]]] = []
    for day in _days(spec.weeks):
        for meeting_id, weekday, at_time, channel, owner, usual in schedule:
            if day.isoweekday() != weekday or day_weight(day) < 0.3 or _unit("skip", meeting_id, day) < 0.03:
                continue
            starts = datetime.combine(day, at_time, tzinfo=BERLIN).astimezone(UTC)
            if starts - timedelta(minutes=10) < NOW:
                title = meetings[meeting_id - 1][2]
                occurrences.append((starts, meeting_id, day, title, channel or f"D{owner[1:]}", owner, usual))
        if day.isoweekday() <= 5 and _unit("now", day) < now_per_weekday:  # now and then a `/meeting now`
            starts = _working_moment(rng, day)
            occurrences.append((starts, None, None, "Quick huddle", some_channel(), someone(), (some_group(),)))
    occurrences.sort(key=lambda item: item[0])
    for starts, meeting_id, day, title, channel, owner, usual in occurrences:
        prompt_id += 1
        sent = starts - timedelta(minutes=10)
        question = (prompt_id % len(QUESTIONS)) + 1
        key = f"meeting:{meeting_id}:{day.isoformat()}" if meeting_id is not None else f"command:gen{prompt_id}"
        prompts.append(
            (
                prompt_id,
                TEAM,
                meeting_id,
                day,
                starts if meeting_id is not None else None,
                title,
                question,
                QUESTIONS[question - 1],
                None if meeting_id is not None else owner,
                sent,
                channel,
                f"{int(sent.timestamp())}.{prompt_id % 1000000:06d}",
                sent,
                key,
            )
        )
        if rng.random() >= 0.55:
            continue
        subjects: list[tuple[str, int | None]] = [(f"group:{group}", group) for group in usual if rng.random() < 0.8]
        if rng.random() < 0.2:
            subjects.append(("outside", None))
        if rng.random() < 0.2 or not subjects:
            subjects.append(("team", None))
        for subject, group in subjects:
            answer_id += 1
            answered = min(starts + timedelta(minutes=rng.uniform(0, 50)), NOW - timedelta(minutes=1))
            answers.append(
                (answer_id, TEAM, prompt_id, subject, group, fill(rng.choice(ANSWER_TEXTS)), owner, answered)
            )
    expected["entries"] = len(entries)
    return World(tables=tables, group_ids=list(group_ids), expected=expected)


# -- loading -------------------------------------------------------------------------------------


def _small_rows(session: Session, spec: Spec) -> list[int]:
    """The workspace, customer groups, questions, ambassadors: through the models. Returns the group ids."""
    from storage.models import Ambassador, CustomerGroup, Holiday, MeetingQuestion, Workspace

    session.add(
        Workspace(
            team_id=TEAM,
            default_tz="Europe/Berlin",
            digest_channel=channel_id(1),
            work_days="1,2,3,4,5",
            work_start=time(9),
            work_end=time(17),
            digest_weekday=1,
            digest_time=time(9),
        )
    )
    start = NOW - timedelta(weeks=spec.weeks) - timedelta(days=7)
    groups = []
    for index in range(spec.groups):
        base = GROUP_WORDS[index % len(GROUP_WORDS)]
        name = base if index < len(GROUP_WORDS) else f"{base} {index // len(GROUP_WORDS) + 1}"
        group = CustomerGroup(team_id=TEAM, name=name, name_key=name.casefold(), created_by=READER, created_at=start)
        groups.append(group)
        session.add(group)
    for number, question in enumerate(QUESTIONS, start=1):
        session.add(
            MeetingQuestion(id=number, team_id=TEAM, text=question, text_key=question.casefold(), created_at=start)
        )
    for year in range(NOW.year - 4, NOW.year + 1):
        session.add(Holiday(team_id=TEAM, day=date(year, 12, 25), name="Christmas"))
        session.add(Holiday(team_id=TEAM, day=date(year, 12, 26), name="Boxing Day"))
    session.flush()
    by_popularity = [group.id for group in groups]
    for number in range(1, AMBASSADORS + 1):
        user = READER if number == 1 else person_id(number * 37)
        ambassador = Ambassador(team_id=TEAM, user_id=user, joined_at=start)
        ambassador.groups = [groups[(number * 3 + offset) % len(groups)] for offset in range(3)]
        session.add(ambassador)
    session.flush()
    return by_popularity


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def _load_postgres(engine: Engine, world: World, timings: dict[str, float]) -> None:
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        with connection.cursor() as cursor:
            # the rows are consistent by construction: skip the per-row foreign key triggers while loading
            cursor.execute("SET session_replication_role = replica")
            for table in world.tables.values():
                started = clock.perf_counter()
                columns = ", ".join(f'"{column}"' for column in table.columns)
                with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                    for row in table.rows:
                        copy.write_row(row)
                timings[f"COPY {table.name}"] = clock.perf_counter() - started
            cursor.execute("SET session_replication_role = DEFAULT")
            for table in world.tables.values():
                if "id" in table.columns:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                    )
        raw.commit()
    finally:
        raw.close()
    started = clock.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    timings["VACUUM ANALYZE"] = clock.perf_counter() - started


def _load_sqlite(engine: Engine, world: World, timings: dict[str, float]) -> None:
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        connection.execute("PRAGMA synchronous=OFF")
        for table in world.tables.values():
            started = clock.perf_counter()
            marks = ", ".join("?" for _ in table.columns)
            columns = ", ".join(f'"{column}"' for column in table.columns)
            connection.executemany(
                f"INSERT INTO {table.name} ({columns}) VALUES ({marks})",
                ([_sqlite_value(value) for value in row] for row in table.rows),
            )
            timings[f"INSERT {table.name}"] = clock.perf_counter() - started
        connection.commit()
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def build(engine: Engine, spec: Spec, *, log: Callable[[str], None] = print) -> Generated:
    """Create the schema (migrations) and fill it; the database must be empty."""
    from storage import migrate
    from storage.db import make_session_factory

    started = clock.perf_counter()
    timings: dict[str, float] = {}
    migrate.upgrade(engine)
    timings["migrations"] = clock.perf_counter() - started
    with make_session_factory(engine)() as session:
        group_ids = _small_rows(session, spec)
        session.commit()
    step = clock.perf_counter()
    world = generate(spec, group_ids)
    timings["generating rows (Python)"] = clock.perf_counter() - step
    log(f"[digest] {spec.label}: {sum(len(t.rows) for t in world.tables.values()):,} rows generated, loading")
    if engine.dialect.name == "postgresql":
        _load_postgres(engine, world, timings)
    else:
        _load_sqlite(engine, world, timings)
    return Generated(
        fingerprint=spec.fingerprint(),
        rows={name: len(table.rows) for name, table in world.tables.items()},
        seconds=clock.perf_counter() - started,
        build_seconds=timings,
        expected=world.expected,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
