"""A deterministic simulation of the nudge engine through months of simulated time (issue 16).

It drives the real engine (planners, senders, claims) on a real database against the fake Slack over HTTP,
with a simulated clock, and checks every message that reached Slack against the timing rules:

- never outside the recipient's working days and hours, never on a holiday or in a pause (the digest
  channel's in the workspace's zone); a nudge due outside them goes out at the first engine tick of the
  next working time, a catch-up after downtime too;
- never twice (each post is one recorded delivery, each delivery one post);
- never missed: what the simulation expects (weekly check-ins, digests, meeting prompts, quarterly
  reviews, new-commitment notices, lost entry posts, overdue notices) is delivered by the end of the next
  working period, or skipped with a recorded reason;
- the right local wall-clock time across DST changes: a meeting prompt its lead before the meeting's local
  start, a digest at its reader's local schedule, reminders, overdue notices and check-ins at the start of
  work, the quarterly review on the first working day of the quarter in the owner's zone;
- a digest covers the week its heading names (the week before on Monday, the week so far otherwise);
- one horizon per item on its card, in the export and in the Success Index, from the owner's local date.

One seed is one run: people, zones, moves between zones, leads, working calendars, items, meetings, pauses, engine
restarts, kills and days without an engine all come from `random.Random(seed)`, and the clock only moves by
the simulation. Each message kind is counted; a broken rule is a `Violation` naming the seed.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import export
from bot.deps import Deps
from bot.engine import planners
from bot.engine.digest_planner import DIGEST
from bot.engine.engine import NudgeEngine
from bot.meetings.schedule import Repeat
from bot.services import actions, ambassadors, entries, leads, meetings, people, pulse, success_index
from bot.slack_client import make_web_client
from bot.worktime import quarter_of
from storage.models import ActionItem, ActionStatus, Delivery, DeliveryStatus, Entry, EntryKind, PromptTarget
from tests.engine_harness import SimClock
from tests.fake_slack import FakeSlack, dm_channel

PULSE_WEEK = 2  # the first workspace asks the quarterly pulse in week 2 of each quarter

# the zones the full run uses, the first ten in CI: offsets of +14 and -10, quarter and half hours,
# half-hour DST (Lord Howe), DST suspended in Ramadan (Casablanca), southern DST (Santiago, Asuncion),
# negative DST in tzdata (Dublin), and zones whose rules changed lately (Mexico City, Cairo, Amman, Nuuk)
ZONES = (
    "Pacific/Kiritimati",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Asia/Tehran",
    "Africa/Casablanca",
    "America/Santiago",
    "America/St_Johns",
    "America/Adak",
    "Europe/Dublin",
    "Asia/Kolkata",
    "America/Asuncion",
    "Pacific/Honolulu",
    "Etc/UTC",
    "Pacific/Auckland",
    "Australia/Adelaide",
    "Australia/Eucla",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Dhaka",
    "Asia/Yangon",
    "Asia/Dubai",
    "Europe/Moscow",
    "Africa/Cairo",
    "Asia/Amman",
    "Europe/Berlin",
    "Europe/London",
    "Atlantic/Azores",
    "America/Noronha",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Nuuk",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Pago_Pago",
    "Pacific/Marquesas",
    "Asia/Pyongyang",
)

TEAMS = ("TSIMA", "TSIMB")
DIGEST_CHANNEL = "CSIMDIGEST"
ENTRY_CHANNEL = "CSIMPUB"
REFUSING_CHANNEL = "CSIMARCHIVED"  # archived: Slack refuses posts there, and the author is told by DM
LEASE = timedelta(minutes=5)
SNAPSHOT_EVERY = timedelta(days=20)  # well within the 90 days after which finished deliveries are pruned


@dataclass(frozen=True)
class Calendar:
    days: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date]

    def working_day(self, day: date) -> bool:
        return day.isoweekday() in self.days and day not in self.holidays


@dataclass(frozen=True)
class Config:
    seed: int
    start: datetime
    days: int
    zones: tuple[str, ...]
    engines: int = 2
    people_per_zone: int = 2
    outages: int = 2  # whole days (24-30 hours) with no engine
    kill_rate: float = 0.03  # a tick's engine killed after claiming


@dataclass
class Person:
    user: str
    team: str
    tz: str
    ambassador: bool = False
    # (set at, paused through this local date)
    pauses: list[tuple[datetime, date]] = field(default_factory=list)
    # (from, the zone they moved to): Slack told the bot at that moment (user_change)
    moves: list[tuple[datetime, str]] = field(default_factory=list)

    def tz_at(self, moment: datetime) -> str:
        moved = [tz for at, tz in self.moves if at <= moment]
        return moved[-1] if moved else self.tz

    @property
    def unsteady(self) -> bool:
        """Paused or moved in the run: their messages are checked for working time and once, not for their
        exact moment or for being expected."""
        return bool(self.pauses or self.moves)

    def paused_on(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.tz_at(moment))).date()
        paused = [until for at, until in self.pauses if at <= moment]
        return bool(paused) and local <= paused[-1]


@dataclass(frozen=True)
class Violation:
    seed: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"seed {self.seed}: {self.rule}: {self.detail}"


@dataclass
class Result:
    seed: int
    checked: Counter[str] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)
    violations: list[Violation] = field(default_factory=list)
    ticks: int = 0
    kills: int = 0
    outage_hours: float = 0.0

    def violate(self, rule: str, detail: str) -> None:
        self.violations.append(Violation(self.seed, rule, detail))


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def at_local(day: date, clock: time, tz: str) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def monthly_day(first: date, year: int, month: int) -> date:
    """The day in `month` a monthly meeting first held on `first` meets: the same weekday, the same
    week of the month (1st to 4th), or the last such weekday when `first` was a fifth one (day 29 to 31)."""
    week = (first.day - 1) // 7 + 1
    if week == 5:
        following = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
        last = following - timedelta(days=1)
        return last - timedelta(days=(last.isoweekday() - first.isoweekday()) % 7)
    start = date(year, month, 1)
    return start + timedelta(days=(first.isoweekday() - start.isoweekday()) % 7 + 7 * (week - 1))


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class World:
    """The simulated organisation, its engines and its clock."""

    def __init__(self, config: Config, deps: Deps, fake: FakeSlack) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.fake = fake
        self.clock = SimClock(config.start)
        self.deps = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=self.clock)
        self.end = config.start + timedelta(days=config.days)
        self.result = Result(config.seed)
        self.people: dict[str, Person] = {}
        self.calendars: dict[str, Calendar] = {}
        self.events: list[tuple[datetime, int, str, object]] = []
        self.moments: set[datetime] = set()
        self.ticks: list[datetime] = []  # the moments an engine ticked to the end (not killed)
        self.disturbed: set[int] = set()  # deliveries claimed by a killed engine
        self.kills: list[datetime] = []  # the moments an engine was killed (before planning or sending)
        self.meetings: list[tuple[int, str, str, time, frozenset[int], Repeat, date, int, PromptTarget]] = []
        self.items: dict[int, tuple[str, datetime]] = {}  # id -> (owner, created)
        self.lost_entries: dict[int, tuple[datetime, str, str]] = {}  # id -> (made, channel, author)
        self.moved: set[int] = set()  # items whose due date was moved
        # sorries: id -> (made, author, when its root cause was written or None)
        self.sorries: dict[int, tuple[datetime, str, datetime | None]] = {}
        self.outages: list[tuple[datetime, datetime]] = []
        self.moving_to: dict[str, list[str]] = {}  # the zones each person moves to in the run
        # every delivery row seen, read every few simulated weeks: the engine prunes finished ones after 90 days
        self.seen: dict[int, Delivery] = {}
        self._starts_by_meeting: dict[int, list[tuple[int, datetime, date, int, str, PromptTarget]]] = {}
        # what Slack took: each post's ts, what it carried and when (simulated) it arrived
        self.posted: dict[str, tuple[dict[str, object], datetime]] = {}
        answer = fake._default

        def recording(method: str, params: dict[str, object]) -> dict[str, object]:
            if method == "chat.postMessage" and params.get("channel") == REFUSING_CHANNEL:
                return {"ok": False, "error": "is_archived"}
            reply = answer(method, params)
            if method == "chat.postMessage" and reply.get("ok"):
                self.posted[str(reply["ts"])] = (params, self.clock.now)
            return reply

        fake._default = recording  # type: ignore[method-assign]
        client = make_web_client(self.deps.settings)
        self._client = client
        self.engines = [self._engine(n) for n in range(config.engines)]
        self._restarts = 0

    # -- set-up --------------------------------------------------------------------------------

    def _engine(self, number: int) -> NudgeEngine:
        return NudgeEngine(
            session_factory=self.deps.session_factory,
            client_for=lambda _team: self._client,
            clock=self.clock,
            worker_id=f"sim-engine-{number}-{self.rng.randrange(10**6)}",
            lease=LEASE,
        )

    def set_up(self) -> None:
        rng, start = self.rng, self.config.start
        first_day = start.date()
        span = [first_day + timedelta(days=n) for n in range(self.config.days + 2)]
        # two workspaces: Monday to Friday 09:00-17:00 with a digest on Monday, and Sunday to Thursday
        # 08:30-16:30 with a digest on another day; each with a few holidays
        shapes = {
            TEAMS[0]: (frozenset({1, 2, 3, 4, 5}), time(9, 0), time(17, 0), 1, time(9, 0)),
            TEAMS[1]: (
                frozenset({7, 1, 2, 3, 4}),
                time(8, 30),
                time(16, 30),
                rng.choice([2, 3, 4, 5, 7]),
                rng.choice([time(10, 0), time(14, 15), time(16, 0)]),
            ),
        }
        for team, (days, work_start, work_end, weekday, digest_at) in shapes.items():
            holidays = frozenset(rng.sample(span, k=max(1, len(span) // 45)))
            self.calendars[team] = Calendar(days, work_start, work_end, holidays)
            people.set_work_time(self.deps, team_id=team, by="UADMIN", days=days, start=work_start, end=work_end)
            for day in sorted(holidays):
                people.add_holiday(
                    self.deps, team_id=team, by="UADMIN", day=day, name="Simulated holiday", today=first_day
                )
            ambassadors.set_digest_schedule(self.deps, team_id=team, by="UADMIN", weekday=weekday, at=digest_at)
        ambassadors.set_workspace_zone(
            self.deps, team_id=TEAMS[0], by="UADMIN", zone_name=rng.choice(self.config.zones)
        )
        ambassadors.set_digest_channel(self.deps, team_id=TEAMS[0], by="UADMIN", channel=DIGEST_CHANNEL)
        # the quarterly pulse in the first workspace, in week 2 (drawing nothing: each seed's run stays as it was)
        pulse.set_week(self.deps, team_id=TEAMS[0], by="UADMIN", week=PULSE_WEEK)
        self.channel_tz = self._workspace_zone(TEAMS[0])

        for index, tz in enumerate(self.config.zones):
            for n in range(self.config.people_per_zone):
                user = f"U{index:02d}{n}SIM"
                team = TEAMS[(index + n) % 2]
                person = Person(user, team, tz, ambassador=(n == 0 and index % 3 != 2))
                self.people[user] = person
                self.fake.users[user] = {"id": user, "name": user.lower(), "tz": tz, "deleted": False}
                if person.ambassador:
                    ambassadors.join(self.deps, team_id=team, user_id=user, group_words=[])
        users = sorted(self.people)

        # pauses: a few people pause for one to two weeks, set at a random moment
        for user in rng.sample(users, k=max(1, len(users) // 8)):
            at = start + timedelta(days=rng.uniform(3, self.config.days - 20), minutes=rng.randrange(60 * 24))
            self._event(at, "pause", (user, rng.randint(5, 14)))

        # a third of the people review their quarter with a lead of their workspace, who accepted
        self.leads: dict[str, str] = {}  # report -> lead
        for user in rng.sample(users, k=max(1, len(users) // 3)):
            team = self.people[user].team
            colleagues = [other for other in users if other != user and self.people[other].team == team]
            if colleagues:
                lead = rng.choice(colleagues)
                named = leads.name_lead(self.deps, team_id=team, report_id=user, lead_id=lead)
                leads.answer(self.deps, team_id=team, link_id=named.link_id, user_id=lead, accept=True, key=None)
                self.leads[user] = lead

        # a few people move to another zone once or twice (Slack tells the bot with user_change)
        for user in rng.sample(users, k=max(1, len(users) // 10)):
            for _ in range(rng.choice([1, 1, 2])):
                to = rng.choice([tz for tz in self.config.zones if tz != self.people[user].tz])
                at = start + timedelta(days=rng.uniform(3, self.config.days - 3), minutes=rng.randrange(60 * 24))
                self.moving_to.setdefault(user, []).append(to)
                self._event(at, "zone", (user, to))

        # action items, made by the owner or by someone else (told by "New commitment"), at any hour
        for user in users:
            for _ in range(rng.randint(2, 4)):
                at = start + timedelta(days=rng.uniform(0, self.config.days - 5))
                creator = user if rng.random() < 0.5 else rng.choice(users)
                due_in = rng.choice([rng.randint(1, 20), rng.randint(20, 100), rng.randint(170, 200), 400])
                self._event(at, "item", (user, creator, due_in))

        # sorries, some without a root cause for long; entries whose post was lost
        for user in rng.sample(users, k=max(2, len(users) // 3)):
            at = start + timedelta(days=rng.uniform(0, self.config.days - 5))
            self._event(at, "sorry", (user, rng.random() < 0.5))
        for user in rng.sample(users, k=max(2, len(users) // 4)):
            at = start + timedelta(days=rng.uniform(0, self.config.days - 5))
            self._event(at, "lost_post", user)

        # meetings weekly, fortnightly and monthly (the Nth or the last weekday of the first meeting's) at local
        # times near DST changes (01:30, 02:30 are refused on the days a change skips them; the form is the
        # judge) and in the working day
        for user in rng.sample(users, k=max(3, len(users) // 3)):
            tz = self.people[user].tz
            repeat = rng.choice([Repeat.WEEKLY, Repeat.WEEKLY, Repeat.FORTNIGHTLY, Repeat.MONTHLY])
            first = first_day + timedelta(days=rng.randrange(31)) if repeat is Repeat.MONTHLY else first_day
            weekdays = frozenset(rng.sample(range(1, 8), k=rng.choice([1, 1, 2])))
            if repeat is Repeat.MONTHLY:
                weekdays = frozenset({first.isoweekday()})
            clock = rng.choice([time(0, 30), time(1, 30), time(3, 0), time(9, 5), time(10, 0), time(23, 30)])
            to = rng.choice([PromptTarget.OWNER, PromptTarget.CHANNEL])
            lead = rng.choice([5, 10, 15, 30, 60])
            self._register_meeting(user, tz, repeat, weekdays, clock, to, lead, first)

        # days without an engine (a catch-up follows each)
        for _ in range(self.config.outages):
            begin = start + timedelta(days=rng.uniform(2, self.config.days - 3))
            self.outages.append((begin, begin + timedelta(hours=rng.uniform(24, 30))))
        self.result.outage_hours = sum((b - a).total_seconds() / 3600 for a, b in self.outages)

        self._plan_moments()

    def _workspace_zone(self, team: str) -> str:
        settings = ambassadors.digest_settings(self.deps, team_id=team)
        return str(settings.tz)

    def _event(self, at: datetime, kind: str, payload: object) -> None:
        at = at.replace(second=0, microsecond=0)
        self.events.append((at, len(self.events), kind, payload))
        self.moments |= {at + timedelta(minutes=1), at + timedelta(minutes=11)}

    def _register_meeting(
        self,
        user: str,
        tz: str,
        repeat: Repeat,
        weekdays: frozenset[int],
        clock: time,
        to: PromptTarget,
        lead: int,
        day: date,
    ) -> None:
        form = meetings.MeetingForm(
            title=f"Meeting of {user}",
            channel_id="CSIMMEET" if to is PromptTarget.CHANNEL else None,
            owner_id=user,
            repeat=repeat,
            start=day,
            weekdays=weekdays,
            at=clock,
            tz=tz,
            lead_minutes=lead,
            prompt_to=to,
        )
        try:
            card = meetings.register(
                self.deps, team_id=self.people[user].team, user_id=user, form=form, key=f"sim:{user}"
            )
        except meetings.MeetingProblem:
            return  # a time a DST change skips or repeats on a meeting day: refused, as in the form
        self.meetings.append((card.id, user, tz, clock, weekdays, repeat, day, lead, to))

    def _meeting_starts_of(self, wanted: int) -> list[tuple[int, datetime, date, int, str, PromptTarget]]:
        if wanted not in self._starts_by_meeting:
            for found in self._meeting_starts():
                self._starts_by_meeting.setdefault(found[0], []).append(found)
        return self._starts_by_meeting.get(wanted, [])

    def _meeting_starts(self) -> Iterable[tuple[int, datetime, date, int, str, PromptTarget]]:
        for meeting_id, user, tz, clock, weekdays, repeat, first, lead, to in self.meetings:
            day = first
            first_monday = first - timedelta(days=first.isoweekday() - 1)
            while day <= self.end.date() + timedelta(days=1):
                weeks = (day - first_monday).days // 7
                if repeat is Repeat.MONTHLY:
                    meets = day == monthly_day(first, day.year, day.month)
                else:
                    meets = day.isoweekday() in weekdays and (repeat is Repeat.WEEKLY or weeks % 2 == 0)
                if meets:
                    yield meeting_id, at_local(day, clock, tz), day, lead, user, to
                day += timedelta(days=1)

    def _plan_moments(self) -> None:
        """The moments the engines tick: each zone's start of work and digest time, meeting prompts, after
        each event, and a few at random (nights, weekends) where nothing may go out."""
        first = self.config.start.date()
        zones = {(tz, p.team) for p in self.people.values() for tz in (p.tz, *self.moving_to.get(p.user, ()))}
        zones |= {(self.channel_tz, TEAMS[0])}
        digests = {team: ambassadors.digest_settings(self.deps, team_id=team) for team in TEAMS}
        for n in range(-1, self.config.days + 2):
            day = first + timedelta(days=n)
            for tz, team in zones:
                calendar = self.calendars[team]
                if calendar.working_day(day):
                    self.moments.add(at_local(day, calendar.start, tz))
                digest = digests[team]
                if 0 <= (day.isoweekday() - digest.weekday) % 7 <= 3:
                    self.moments.add(at_local(day, digest.at, tz))
            for _ in range(1):
                self.moments.add(datetime.combine(day, time(0), UTC) + timedelta(minutes=self.rng.randrange(24 * 60)))
        for _, starts, _, lead, _, _ in self._meeting_starts():
            self.moments.add(starts - timedelta(minutes=lead))
        for _begin, end in self.outages:
            self.moments.add(end)

    # -- running -------------------------------------------------------------------------------

    def down(self, moment: datetime) -> bool:
        return any(begin <= moment < end for begin, end in self.outages)

    def run(self) -> None:
        events = sorted(self.events)
        moments = sorted(m for m in self.moments if self.config.start <= m < self.end)
        pending = list(events)
        index = 0
        read_at = self.config.start
        while index < len(moments):
            moment = moments[index]
            index += 1
            if moment - read_at >= SNAPSHOT_EVERY:
                self.read_deliveries()
                read_at = moment
            while pending and pending[0][0] <= moment:
                at, _, kind, payload = pending.pop(0)
                self.clock.now = at
                self._happen(kind, payload)
            if self.down(moment):
                continue
            self.clock.now = moment
            self._tick(moment, moments, index)

    def read_deliveries(self) -> list[Delivery]:
        """Every delivery now in the database, added to those seen before (pruned ones stay seen)."""
        with self.deps.session_factory() as session:
            self.seen.update((row.id, row) for row in session.scalars(select(Delivery)))
        return [self.seen[key] for key in sorted(self.seen)]

    def _tick(self, moment: datetime, moments: list[datetime], index: int) -> None:
        rng = self.rng
        self.result.ticks += 1
        which = rng.random()
        chosen = self.engines if which < 0.15 else [self.engines[rng.randrange(len(self.engines))]]
        for engine in chosen:
            if rng.random() < self.config.kill_rate:
                # killed after claiming its batch: nothing is sent; the claims wait out their lease and
                # another engine takes them over; the killed one is restarted as a new process
                self.result.kills += 1
                self.kills.append(moment)
                batch = engine._claim(moment)
                self.disturbed |= {delivery.id for delivery in batch.deliveries}
                self.engines[self.engines.index(engine)] = self._engine(len(self.engines) + self._restarts)
                self._restarts += 1
                takeover = moment + LEASE + timedelta(minutes=1)
                moments.insert(
                    next((i for i in range(index, len(moments)) if moments[i] > takeover), len(moments)), takeover
                )
                continue
            engine.tick(moment)
            if not self.ticks or self.ticks[-1] != moment:
                self.ticks.append(moment)  # an engine planned and sent at this moment (a killed one did not)

    def _happen(self, kind: str, payload: object) -> None:
        rng, now = self.rng, self.clock.now
        if kind == "pause":
            user, length = payload  # type: ignore[misc]
            person = self.people[user]
            until = local(now, person.tz_at(now)).date() + timedelta(days=length)
            people.pause_until(self.deps, team_id=person.team, user_id=user, day=until)
            person.pauses.append((now, until))
        elif kind == "zone":
            user, to = payload  # type: ignore[misc]
            person = self.people[user]
            self.fake.users[user] = {**self.fake.users[user], "tz": to}
            people.user_changed(self.deps, team_id=person.team, user=self.fake.users[user])
            person.moves.append((now, to))
        elif kind == "item":
            owner, creator, due_in = payload  # type: ignore[misc]
            person = self.people[owner]
            today = local(now, self.people[creator].tz_at(now)).date()
            due = today + timedelta(days=due_in)
            card, _ = actions.create_action(
                self.deps,
                actions.NewAction(
                    team_id=person.team,
                    title=f"Commitment {len(self.items)} of {owner}",
                    owner_id=owner,
                    created_by=creator if self.people[creator].team == person.team else owner,
                    due_date=due,
                    today=today,
                    idempotency_key=f"sim:{len(self.items)}",
                ),
            )
            self.items[card.id] = (owner, now)
            fate = rng.random()
            if fate < 0.3:  # closed later, or moved
                later = now + timedelta(days=rng.uniform(0.5, due_in + 10))
                self._event(later, "close" if fate < 0.2 else "move", (card.id, owner))
        elif kind == "close":
            item_id, owner = payload  # type: ignore[misc]
            status = self.rng.choice([ActionStatus.DONE, ActionStatus.DROPPED])
            with contextlib.suppress(actions.ActionProblem):
                actions.set_status(
                    self.deps,
                    team_id=self.people[owner].team,
                    action_id=item_id,
                    user_id=owner,
                    status=status,
                    reason="Simulated" if status is ActionStatus.DROPPED else None,
                )
        elif kind == "move":
            item_id, owner = payload  # type: ignore[misc]
            today = local(now, self.people[owner].tz_at(now)).date()
            self.moved.add(item_id)
            with contextlib.suppress(actions.ActionProblem, LookupError):
                actions.reschedule(
                    self.deps,
                    team_id=self.people[owner].team,
                    action_id=item_id,
                    user_id=owner,
                    due=today + timedelta(days=rng.randint(3, 60)),
                    today=today,
                )
        elif kind in ("sorry", "lost_post"):
            user = payload if kind == "lost_post" else payload[0]  # type: ignore[index]
            person = self.people[str(user)]
            channel = REFUSING_CHANNEL if kind == "lost_post" and rng.random() < 0.5 else ENTRY_CHANNEL
            logged = entries.log_entry(
                self.deps,
                entries.NewEntry(
                    team_id=person.team,
                    kind=EntryKind.SORRY if kind == "sorry" else EntryKind.PROUD,
                    author_id=str(user),
                    channel_id=channel,
                    text=f"Simulated {kind} of {user} at {now:%Y-%m-%d %H:%M}",
                    idempotency_key=f"sim:{kind}:{user}:{now.isoformat()}",
                ),
            )
            if kind == "lost_post":
                self.lost_entries[logged.card.id] = (now, channel, str(user))  # the process died before posting it
            else:
                entries.record_post(
                    self.deps, team_id=person.team, entry_id=logged.card.id, message_ts=f"{now.timestamp():.6f}"
                )
                self.sorries[logged.card.id] = (now, str(user), None)
                if payload[1]:  # type: ignore[index]
                    self._event(
                        now + timedelta(days=rng.uniform(0.1, 5)), "root_cause", (person.team, logged.card.id, user)
                    )
        elif kind == "root_cause":
            team, entry_id, user = payload  # type: ignore[misc]
            entries.add_root_cause(self.deps, team_id=team, entry_id=entry_id, root_cause="Simulated cause", by=user)
            made, author, _ = self.sorries[entry_id]
            self.sorries[entry_id] = (made, author, now)


# -- the checks ----------------------------------------------------------------------------------


WORKING_TIME_KINDS = frozenset(
    {
        planners.REMINDER,
        planners.OVERDUE,
        planners.CHECKIN,
        planners.ROOT_CAUSE,
        planners.REVIEW,
        planners.LEAD_REVIEW,
        planners.LEAD_REVIEW_REPORT,
        planners.LEAD_NUDGE,
        planners.PULSE,
        actions.ASSIGNED,
        DIGEST,
        planners.ENTRY_NOT_POSTED,
    }
)


class Checker:
    def __init__(self, world: World) -> None:
        self.world = world
        self.result = world.result
        self.rows = world.read_deliveries()
        with world.deps.session_factory() as session:
            self.items = {item.id: item for item in session.scalars(select(ActionItem))}
            self.logged = [
                (author, as_utc(at)) for author, at in session.execute(select(Entry.author_id, Entry.created_at))
            ]
            for item in self.items.values():
                _ = item.involved_ids
        self.ticks = sorted(set(world.ticks))

    # who, where, when

    def disturbed(self, row: Delivery, due_at: datetime, sent_at: datetime) -> bool:
        """Claimed by an engine that was killed, or due while an engine was killed before it planned."""
        return row.id in self.world.disturbed or any(due_at <= kill <= sent_at for kill in self.world.kills)

    def zone_of(self, row: Delivery, moment: datetime) -> str | None:
        if row.recipient == DIGEST_CHANNEL:
            return self.world.channel_tz
        person = self.world.people.get(row.recipient)
        return person.tz_at(moment) if person else None

    def working(self, team: str, tz: str, moment: datetime, person: Person | None) -> bool:
        """Working time in `tz`, or for `person` in the zone they were in at that moment."""
        calendar = self.world.calendars[team]
        here = local(moment, person.tz_at(moment) if person is not None else tz)
        if not calendar.working_day(here.date()) or not calendar.start <= here.time() < calendar.end:
            return False
        return person is None or not person.paused_on(moment)

    def first_tick_at_or_after(self, moment: datetime, ok: object = None) -> datetime | None:
        for tick in self.ticks:
            if tick >= moment and (ok is None or ok(tick)):  # type: ignore[operator]
                return tick
        return None

    def start_of_work_on_or_after(
        self, team: str, tz: str, day: date, person: Person | None, after: datetime | None = None
    ) -> datetime:
        calendar = self.world.calendars[team]
        for _ in range(400):
            if calendar.working_day(day):
                moment = at_local(day, calendar.start, tz)
                if person is None or not person.paused_on(max(moment, after or moment)):
                    return moment
            day += timedelta(days=1)
        raise AssertionError("no working day within a year")

    # the checks

    def check(self) -> Result:
        self.check_posts_are_deliveries()
        for row in self.rows:
            if row.status == DeliveryStatus.SENT.value:
                self.result.checked[row.kind if row.recipient != DIGEST_CHANNEL else "weekly_digest (channel)"] += 1
                self.check_sent(row)
        self.check_nothing_missed()
        self.check_horizons()
        return self.result

    def check_posts_are_deliveries(self) -> None:
        sent = Counter(str(row.message_ts) for row in self.rows if row.status == DeliveryStatus.SENT.value)
        for ts, count in sent.items():
            if count > 1:
                self.result.violate("never twice", f"{count} deliveries recorded one post {ts}")
            elif ts not in self.world.posted:
                self.result.violate("never twice", f"a delivery recorded as sent in post {ts}, which Slack never got")
        for ts, (params, at) in self.world.posted.items():
            if ts not in sent:
                self.result.violate(
                    "never twice",
                    f"a post to {params.get('channel')} at {at:%Y-%m-%d %H:%M} UTC that no delivery records "
                    f"({str(params.get('text'))[:80]!r})",
                )

    def check_sent(self, row: Delivery) -> None:
        world = self.world
        sent_at, due_at = as_utc(row.sent_at), as_utc(row.due_at)  # type: ignore[arg-type]
        what = f"{row.kind} {row.occasion} to {row.recipient}, due {due_at:%Y-%m-%d %H:%M} UTC"
        what += f", sent {sent_at:%Y-%m-%d %H:%M} UTC"
        tz = self.zone_of(row, sent_at)
        person = world.people.get(row.recipient)
        if sent_at < due_at:
            self.result.violate("not early", what)
        if row.kind in WORKING_TIME_KINDS and tz is not None:
            if not self.working(row.team_id, tz, sent_at, person):
                self.result.violate("working time", f"{what}: {local(sent_at, tz):%a %Y-%m-%d %H:%M} in {tz}")
            # at the first tick of working time from its moment, unless a killed engine held it
            # a refused post's notice is planned while its tick sends, so its first chance is the next tick
            since = due_at + timedelta(seconds=1) if row.kind == planners.ENTRY_NOT_POSTED else due_at
            # someone who moved: a moment of the new zone may have passed before the bot heard of the move
            # (09:00 in Tokyo, heard of at 03:26 UTC); its first chance is then the first tick after
            heard = [at for at, _ in person.moves if due_at < at <= sent_at] if person is not None else []
            since = max([since, *heard])
            first = self.first_tick_at_or_after(since, lambda t: self.working(row.team_id, tz, t, person))
            if row.kind == planners.PULSE and first is not None and sent_at != first:
                # whom a pulse is for is read again hourly: someone who took part within the hour before their
                # morning (or after it) is asked at a working tick up to an hour after they took part
                took = self.took_part_at(row.recipient, row.occasion)
                if took is not None and took > due_at - planners.REVIEWS_READ_EVERY:
                    latest = self.first_tick_at_or_after(
                        max(since, took + planners.REVIEWS_READ_EVERY),
                        lambda t: self.working(row.team_id, tz, t, person),
                    )
                    if first <= sent_at <= (latest or sent_at):
                        first = sent_at
            # (or the same moment, when a second engine ticked then after the first had planned it)
            same_tick = row.kind == planners.ENTRY_NOT_POSTED and sent_at == due_at
            if not self.disturbed(row, due_at, sent_at) and first is not None and sent_at != first and not same_tick:
                self.result.violate("first working tick", f"{what}: expected {first:%Y-%m-%d %H:%M} UTC")
        self.check_not_after_done(row, sent_at, what)
        if row.kind == planners.MEETING_PROMPT:
            self.check_meeting_prompt(row, sent_at, what)
        elif row.kind == DIGEST and (person is None or not person.moves):
            self.check_digest(row, due_at, sent_at, what)
        elif row.kind == planners.REVIEW and person is not None:
            year, quarter = (int(part) for part in row.occasion.split("-Q"))
            nxt = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
            expected = self.start_of_work_on_or_after(row.team_id, person.tz, nxt, person, after=None)
            if due_at != expected and not person.unsteady:
                self.result.violate(
                    "quarterly review day",
                    f"{what}: expected {local(expected, person.tz):%a %Y-%m-%d %H:%M} {person.tz}",
                )
        elif row.kind == planners.PULSE and person is not None and not person.unsteady:
            year, quarter = (int(part) for part in row.occasion.split("-Q"))
            window = pulse.window(year, quarter, PULSE_WEEK)
            expected = self.start_of_work_on_or_after(row.team_id, person.tz, window.first_day, person)
            if due_at != expected or sent_at >= window.closes_at:
                self.result.violate(
                    "pulse moment", f"{what}: expected {local(expected, person.tz):%a %Y-%m-%d %H:%M} {person.tz}"
                )
        elif row.kind == planners.CHECKIN and person is not None:
            year, week = (int(part) for part in row.occasion.split("-W"))
            monday = date.fromisocalendar(year, week, 1)
            expected = self.start_of_work_on_or_after(row.team_id, person.tz, monday, None)
            if due_at != expected and not person.unsteady:
                self.result.violate(
                    "check-in moment", f"{what}: expected {local(expected, person.tz):%a %Y-%m-%d %H:%M}"
                )
        elif row.kind in (planners.REMINDER, planners.OVERDUE) and person is not None and not person.unsteady:
            label, _, due_text = row.occasion.partition(":")
            due = date.fromisoformat(due_text)
            if label.startswith("due-"):
                day = due - timedelta(days=int(label.removeprefix("due-")))
            else:
                day = due + timedelta(days=1 + 7 * (int(label.removeprefix("overdue-")) - 1))
            expected = self.start_of_work_on_or_after(row.team_id, person.tz, day, None)
            if due_at != expected:
                self.result.violate(
                    "reminder moment", f"{what}: expected {local(expected, person.tz):%a %Y-%m-%d %H:%M}"
                )

    def took_part_at(self, user: str, occasion: str) -> datetime | None:
        """When `user` first took part in the practices since the start of the quarter before the pulse's
        (logged an entry, or owns an item made or first due since then), as the pulse counts it."""
        year, quarter = (int(part) for part in occasion.split("-Q"))
        since = pulse.took_part_since(year, quarter)
        moments = [at for author, at in self.logged if author == user and at >= since]
        moments += [
            as_utc(item.created_at)
            for item in self.items.values()
            if item.owner_id == user and (as_utc(item.created_at) >= since or item.original_due_date >= since.date())
        ]
        return min(moments) if moments else None

    def check_not_after_done(self, row: Delivery, sent_at: datetime, what: str) -> None:
        """No nudge about a commitment once it is closed, none about a sorry once its root cause is written."""
        if row.kind in (planners.REMINDER, planners.OVERDUE):
            item = self.items.get(int(row.subject))
            if item is not None and item.closed_at is not None and as_utc(item.closed_at) < sent_at:
                self.result.violate("not after it was done", f"{what}: the item was closed {item.closed_at}")
        elif row.kind == planners.ROOT_CAUSE:
            found = self.world.sorries.get(int(row.subject))
            if found is not None and found[2] is not None and found[2] < sent_at:
                self.result.violate("not after it was done", f"{what}: its root cause was written {found[2]}")

    def check_meeting_prompt(self, row: Delivery, sent_at: datetime, what: str) -> None:
        found = [m for m in self.world.meetings if str(m[0]) == row.subject]
        if not found:
            self.result.violate("meeting prompt", f"{what}: no such meeting")
            return
        _, _, tz, clock, weekdays, _, _, lead, _ = found[0]
        day_text, _, clock_text = row.occasion.partition("T")
        day = date.fromisoformat(day_text)
        starts = at_local(day, clock, tz)
        starts_on = [d for m, _, d, *_ in self.world._meeting_starts_of(int(row.subject)) if d == day]
        if clock_text != f"{clock:%H:%M}" or day.isoweekday() not in weekdays or not starts_on:
            self.result.violate("meeting prompt", f"{what}: not an occurrence")
        asked = starts - timedelta(minutes=lead)
        # (a prompt asked before the run began is sent at its first tick)
        disturbed = self.disturbed(row, asked, sent_at) or self.world.down(asked) or asked < self.world.config.start
        if not disturbed and sent_at != asked:
            self.result.violate("meeting prompt lead", f"{what}: expected {local(asked, tz):%a %Y-%m-%d %H:%M} {tz}")
        if not asked <= sent_at < starts:
            self.result.violate("meeting prompt lead", f"{what}: outside [{asked}, {starts})")

    def check_digest(self, row: Delivery, due_at: datetime, sent_at: datetime, what: str) -> None:
        tz = self.zone_of(row, due_at)
        assert tz is not None
        settings = ambassadors.digest_settings(self.world.deps, team_id=row.team_id)
        calendar = self.world.calendars[row.team_id]
        year, week = (int(part) for part in row.occasion.split("-W"))
        reported = date.fromisocalendar(year, week, 1)
        weekday = settings.weekday
        scheduled_week = reported + timedelta(days=7) if weekday == 1 else reported
        scheduled = scheduled_week + timedelta(days=weekday - 1)
        day = scheduled
        while not calendar.working_day(day):
            day += timedelta(days=1)
        expected = at_local(day, settings.at, tz)
        if due_at != expected:
            self.result.violate("digest schedule", f"{what}: expected {local(expected, tz):%a %Y-%m-%d %H:%M} {tz}")
        # the heading names the week, "so far" while it is not over
        post = self.post_of(row)
        if post is None:
            return
        blocks = post.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        heading = str(blocks[0]["text"]["text"]) if blocks else ""  # type: ignore[index]
        over = sent_at >= at_local(reported + timedelta(days=7), time(0), tz)
        wanted = f"Customer focus, week {week}" + ("" if over else " so far")
        if heading != wanted:
            self.result.violate("digest week", f"{what}: heading {heading!r}, expected {wanted!r}")

    def post_of(self, row: Delivery) -> dict[str, object] | None:
        found = self.world.posted.get(str(row.message_ts))
        return found[0] if found else None

    # never missed

    def check_nothing_missed(self) -> None:
        world = self.world
        rows = {(row.kind, row.subject, row.recipient, row.occasion): row for row in self.rows}
        horizon_end = world.end - timedelta(days=2)

        def expect(
            kind: str, key: tuple[str, str, str, str], due: datetime, team: str, tz: str, person: Person | None
        ) -> None:
            if due < world.config.start or due > horizon_end:
                return
            self.result.expected[kind] += 1
            row = rows.get(key)
            if row is None:
                self.result.violate(
                    "never missed", f"{kind} {key[3]} to {key[2]} due {due:%Y-%m-%d %H:%M} UTC never planned"
                )
                return
            if row.status in (DeliveryStatus.SKIPPED.value, DeliveryStatus.FAILED.value) and row.last_error:
                return  # dropped with a recorded reason
            if row.status != DeliveryStatus.SENT.value:
                self.result.violate("never missed", f"{kind} {key[3]} to {key[2]}: {row.status}")

        # weekly check-ins: each week an owner had an item open from before its first working morning
        for user, person in world.people.items():
            owned = [item for item in self.items.values() if item.owner_id == user]
            monday = world.config.start.date() - timedelta(days=world.config.start.date().isoweekday() - 1)
            while monday < world.end.date():
                at = self.start_of_work_on_or_after(person.team, person.tz, monday, None)
                monday_next = monday + timedelta(days=7)
                if person.unsteady or self.world.down(at):
                    monday = monday_next
                    continue
                open_then = [
                    item
                    for item in owned
                    if as_utc(item.created_at) < at - timedelta(minutes=1)
                    and (item.closed_at is None or as_utc(item.closed_at) > at + timedelta(days=3))
                ]
                if open_then and local(at, person.tz).date() < monday_next:
                    year, week, _ = monday.isocalendar()
                    occasion = f"{year}-W{week:02d}"
                    expect(
                        planners.CHECKIN, (planners.CHECKIN, user, user, occasion), at, person.team, person.tz, person
                    )
                monday = monday_next

        # digests to each ambassador and to the channel
        for user, person in world.people.items():
            if person.ambassador and not person.unsteady:
                self.expect_digests(expect, person.team, person.tz, user, person)
        self.expect_digests(expect, TEAMS[0], world.channel_tz, DIGEST_CHANNEL, None)

        # meeting prompts whose lead time saw an engine tick (one without any is skipped: the meeting started)
        for meeting_id, starts, day, lead, owner, to in world._meeting_starts():
            asked = starts - timedelta(minutes=lead)
            if not any(asked <= tick < starts for tick in self.ticks):
                continue
            person = world.people[owner]
            if to is PromptTarget.OWNER and person.paused_on(starts):
                continue
            recipient = "CSIMMEET" if to is PromptTarget.CHANNEL else owner
            clock = local(starts, [m for m in world.meetings if m[0] == meeting_id][0][2]).strftime("%H:%M")
            key = (planners.MEETING_PROMPT, str(meeting_id), recipient, f"{day.isoformat()}T{clock}")
            expect(planners.MEETING_PROMPT, key, asked, person.team, person.tz, None)

        # new commitments, told to an owner who did not make the item
        for row in self.rows:
            if row.kind == actions.ASSIGNED:
                self.result.expected[actions.ASSIGNED] += 1
                if row.status == DeliveryStatus.PENDING.value and as_utc(row.due_at) < horizon_end - timedelta(days=4):
                    self.result.violate(
                        "never missed", f"new commitment {row.subject} to {row.recipient} still pending"
                    )
        for item in self.items.values():
            if item.created_by != item.owner_id:
                key = (actions.ASSIGNED, str(item.id), item.owner_id, "created")
                if key not in rows:
                    self.result.violate("never missed", f"new commitment {item.id} to {item.owner_id} never planned")

        # lost entry posts: posted by the engine 10 minutes after; one its channel refuses is recorded as
        # refused, and its author told by DM (in their working time)
        for entry_id, (created, channel, author) in world.lost_entries.items():
            due = created + planners.ENTRY_POST_AFTER
            if world.down(due):
                continue
            matches = [row for row in self.rows if row.kind == planners.ENTRY_POST and row.subject == str(entry_id)]
            self.result.expected[planners.ENTRY_POST] += 1
            wanted = DeliveryStatus.FAILED.value if channel == REFUSING_CHANNEL else DeliveryStatus.SENT.value
            if not matches or matches[0].status != wanted:
                self.result.violate(
                    "never missed", f"lost post of entry {entry_id} made {created:%Y-%m-%d %H:%M} not {wanted}"
                )
            if channel == REFUSING_CHANNEL:
                person = world.people[author]
                key = (planners.ENTRY_NOT_POSTED, str(entry_id), author, "is_archived")
                expect(planners.ENTRY_NOT_POSTED, key, due, person.team, person.tz, person)

        # reminders 7 and 1 days before the due date, at the start of work (not on a day before the date was set,
        # not after the due date), and overdue notices the day after it and weekly, while the item is open; an
        # outage may merge a reminder into the next one (only the latest is sent), so a moment in one is not
        # expected; moved items and paused owners are checked for their moments above, not here
        for item in self.items.values():
            person = world.people[item.owner_id]
            if item.id in world.moved or person.unsteady:
                continue
            created = as_utc(item.created_at)
            set_on = local(created, person.tz).date()
            closed = as_utc(item.closed_at) if item.closed_at is not None else None
            due = item.due_date

            def still_open(at: datetime, closed: datetime | None = closed) -> bool:
                return closed is None or closed > at

            for days in planners.REMINDER_DAYS_AHEAD:
                day = due - timedelta(days=days)
                if day <= set_on:
                    continue
                at = self.start_of_work_on_or_after(person.team, person.tz, day, None)
                if local(at, person.tz).date() <= due and still_open(at) and not world.down(at):
                    key = (planners.REMINDER, str(item.id), item.owner_id, f"due-{days}:{due.isoformat()}")
                    expect(planners.REMINDER, key, at, person.team, person.tz, person)
            number = 1
            while True:
                day = due + timedelta(days=1 + 7 * (number - 1))
                at = self.start_of_work_on_or_after(person.team, person.tz, day, None)
                if at > horizon_end or not still_open(at):
                    break
                if not world.down(at):
                    key = (planners.OVERDUE, str(item.id), item.owner_id, f"overdue-{number}:{due.isoformat()}")
                    expect(planners.OVERDUE, key, at, person.team, person.tz, person)
                number += 1

        # a sorry whose root cause never came: its author is asked for one (two working days later)
        for entry_id, (made, author, caused) in world.sorries.items():
            person = world.people[author]
            if caused is not None or person.unsteady or made + timedelta(days=7) > horizon_end:
                continue
            key = (planners.ROOT_CAUSE, str(entry_id), author, "root-cause")
            expect(planners.ROOT_CAUSE, key, made, person.team, person.tz, person)

        # quarterly reviews: everyone with a commitment due in a quarter that ended in the run
        for user, person in world.people.items():
            if person.unsteady:
                continue
            day = world.config.start.date()
            while day < world.end.date():
                if day.day == 1 and day.month in (1, 4, 7, 10):
                    at = self.start_of_work_on_or_after(person.team, person.tz, day, None)
                    prev = (day.year - 1, 4) if day.month == 1 else (day.year, (day.month - 1) // 3)
                    first = date(prev[0], 3 * (prev[1] - 1) + 1, 1)
                    due_in = [
                        item
                        for item in self.items.values()
                        if item.owner_id == user
                        and (first <= item.original_due_date < day or first <= item.due_date < day)
                        and as_utc(item.created_at) < at
                    ]
                    if due_in and not world.down(at):
                        key = (planners.REVIEW, user, user, f"{prev[0]}-Q{prev[1]}")
                        expect(planners.REVIEW, key, at, person.team, person.tz, person)
                    lead = world.people.get(world.leads.get(user, ""))
                    if due_in and lead is not None and not lead.unsteady:
                        # and to their lead, at the start of the lead's first working day of the quarter
                        lead_at = self.start_of_work_on_or_after(lead.team, lead.tz, day, None)
                        if not world.down(lead_at) and all(as_utc(item.created_at) < lead_at for item in due_in):
                            key = (planners.LEAD_REVIEW, user, lead.user, f"{prev[0]}-Q{prev[1]}")
                            expect(planners.LEAD_REVIEW, key, lead_at, lead.team, lead.tz, lead)
                day += timedelta(days=1)

        # the quarterly pulse: everyone of the first workspace who took part before their morning of its week
        for user, person in world.people.items():
            if person.unsteady or person.team != TEAMS[0]:
                continue
            span = (world.end.date() - world.config.start.date()).days
            quarters = {quarter_of(world.config.start.date() + timedelta(days=n)) for n in range(0, span + 1, 28)}
            for year, quarter in sorted(quarters | {quarter_of(world.end.date())}):
                window = pulse.window(year, quarter, PULSE_WEEK)
                at = self.start_of_work_on_or_after(person.team, person.tz, window.first_day, person)
                took = self.took_part_at(user, window.occasion)
                if took is None or took >= at or world.down(at) or at + planners.PULSE_LAST_CHANCE > window.closes_at:
                    continue
                key = (planners.PULSE, user, user, window.occasion)
                expect(planners.PULSE, key, at, person.team, person.tz, person)  # type: ignore[operator]

    def expect_digests(self, expect: object, team: str, tz: str, recipient: str, person: Person | None) -> None:
        world = self.world
        settings = ambassadors.digest_settings(world.deps, team_id=team)
        calendar = world.calendars[team]
        monday = world.config.start.date() - timedelta(days=world.config.start.date().isoweekday() - 1)
        while monday < world.end.date():
            day = monday + timedelta(days=settings.weekday - 1)
            while not calendar.working_day(day):
                day += timedelta(days=1)
            at = at_local(day, settings.at, tz)
            reported = monday - timedelta(days=7) if settings.weekday == 1 else monday
            year, week, _ = reported.isocalendar()
            working = self.working(team, tz, at, None)
            if working and not world.down(at):
                expect(DIGEST, (DIGEST, "digest", recipient, f"{year}-W{week:02d}"), at, team, tz, person)  # type: ignore[operator]
            monday += timedelta(days=7)

    # one horizon per item

    def check_horizons(self) -> None:
        world = self.world
        exported = {row["id"]: row["horizon"] for row in export.action_rows(world.deps.session_factory)}
        with world.deps.session_factory() as session:
            for item in self.items.values():
                owner = world.people[item.owner_id]
                created = local(as_utc(item.created_at), owner.tz_at(as_utc(item.created_at))).date()
                expected = actions.horizon(created, item.due_date)
                card = actions.get_card(world.deps, team_id=item.team_id, action_id=item.id)
                if card is None or card.horizon is not expected or exported.get(item.id) != expected.value:
                    self.result.violate(
                        "one horizon",
                        f"item {item.id}: owner's date {created}, due {item.due_date}: expected {expected.value}, "
                        f"card {card.horizon.value if card else None}, export {exported.get(item.id)}",
                    )
                year, quarter = item.due_date.year, (item.due_date.month - 1) // 3 + 1
                found = [
                    c
                    for c in success_index.commitments(
                        session,
                        team_id=item.team_id,
                        year=year,
                        quarter=quarter,
                        user_ids=[item.owner_id],
                        zones=success_index.owner_zones(session, team_id=item.team_id),
                    )
                    if c.item_id == item.id
                ]
                if found and found[0].horizon is not expected:
                    self.result.violate(
                        "one horizon", f"item {item.id}: index says {found[0].horizon.value}, expected {expected.value}"
                    )
                self.result.checked["horizon (card, export, index)"] += 1


def simulate(config: Config, deps: Deps, fake: FakeSlack) -> Result:
    world = World(config, deps, fake)
    world.set_up()
    world.run()
    return Checker(world).check()


def dm_of(user: str) -> str:
    return dm_channel(user)
