"""The pulse on what works: once a quarter, everyone who took part rates how well each customer practice works
for them (1-5) and says what would make it work better; only aggregates of at least `MIN_ANSWERS` answers are
ever shown.

- When: in the week of the quarter a workspace admin chose (`/mindset pulse schedule <1-11|off>`; off until
  turned on, week 2 suggested), each person's first working morning of that week in their zone (the engine,
  bot/engine/planners.py). The pulse stays open `OPEN_DAYS` from the first day of that week, and closes at the
  start of the 15th day where that day begins first on Earth (UTC+14): an answer after it is refused, results of
  a closed pulse only are shown, so no answer can change results once anyone has seen them.
- Whom: everyone who took part since the start of the quarter before (logged a proud or a sorry, owns an action
  item made or first due since then, answered a meeting's opening question).
- Anonymous: who answered (`pulse_responses`: person and quarter, to count each one once) and what was answered
  (`pulse_answers`: no person, no time, a random id) are kept apart. An answer is final: it is linked to no one,
  so no one, the person included, can find it again to change it; a second submission is refused kindly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.services import admins
from bot.worktime import previous_quarter, quarter_bounds, quarter_of
from storage.repositories import pulse as pulse_repo
from storage.repositories import workspaces as workspaces_repo
from storage.repositories.pulse import PRACTICES, Scores

SUGGESTED_WEEK = 2
LAST_WEEK = 11  # a pulse of week 11 still closes within its quarter (its results reach that quarter's digest)
OPEN_DAYS = 14
MIN_ANSWERS = 5
BETTER_MAX = 1000
EARLIEST_OFFSET = timedelta(hours=14)  # a day begins first at UTC+14
PRACTICE_LABELS = {
    "prouds_sorries": "Prouds and sorries",
    "root_causes": "Root causes (“why did this happen?”)",
    "meeting_question": "The meeting opening question",
    "commitments": "Commitments and their nudges",
    "digest": "The weekly digest",
}
# a mention Slack formatted (<@U…>, <@U…|name>, <!subteam^S…|@team>, <!here>), or typed as it is in a form's plain
# text (@dana, @dana.lee; not an email address, whose @ follows a letter)
MENTION = re.compile(
    r"<[@!](?:subteam\^)?[A-Z0-9]+(?:\|[^>]*)?>|<!(?:here|channel|everyone)(?:\|[^>]*)?>|(?<![\w.])@\w[\w.\-]*\w|(?<![\w.])@\w"
)
ANSWERED = "You have answered this quarter's pulse already: thank you. Answers are anonymous, so it cannot be changed."
CLOSED = "This pulse has closed: the next one comes next quarter."
NOT_ASKED = "This pulse was not sent to you, so I cannot take an answer from you for it."
EMPTY = "Rate at least one practice, or say what would make it work better."
TOO_LONG = f"Please keep it to {BETTER_MAX:,} characters."
NOT_A_PULSE = "I could not find that pulse any more."


class PulseProblem(Exception):
    """A request that cannot be done as asked: the message says why."""


@dataclass(frozen=True)
class Window:
    """A quarter's pulse: asked from the first day of `week` of the quarter, open `OPEN_DAYS` days."""

    year: int
    quarter: int
    week: int
    first_day: date  # the first day of its week
    close_day: date  # the day it closes (the 15th)

    @property
    def opens_at(self) -> datetime:
        """No one's first day of it begins earlier than this."""
        return datetime.combine(self.first_day, time.min, UTC) - EARLIEST_OFFSET

    @property
    def closes_at(self) -> datetime:
        """The start of `close_day` where it begins first."""
        return datetime.combine(self.close_day, time.min, UTC) - EARLIEST_OFFSET

    @property
    def occasion(self) -> str:
        return occasion_of(self.year, self.quarter)

    def open_at(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


def occasion_of(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def parse_occasion(text: str | None) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{4})-Q([1-4])", text or "")
    return (int(match[1]), int(match[2])) if match else None


def window(year: int, quarter: int, week: int) -> Window:
    first, _ = quarter_bounds(year, quarter)
    start = first + timedelta(days=7 * (week - 1))
    return Window(year, quarter, week, start, start + timedelta(days=OPEN_DAYS))


def quarters_near(now: datetime) -> list[tuple[int, int]]:
    """The quarter of every today on Earth now (UTC-12 to UTC+14)."""
    return sorted({quarter_of((now + timedelta(hours=hours)).date()) for hours in (-12, 14)})


def took_part_since(year: int, quarter: int) -> datetime:
    """Who took part since the start of the quarter before a pulse's is asked it."""
    first, _ = quarter_bounds(*previous_quarter(year, quarter))
    return datetime.combine(first, time.min, UTC)


# -- the schedule ------------------------------------------------------------------------------------


def get_week(deps: Deps, *, team_id: str) -> int | None:
    with deps.session_factory() as session:
        workspace = workspaces_repo.get_workspace(session, team_id=team_id)
        return workspace.pulse_week if workspace is not None else None


def week_of(session: Session, *, team_id: str) -> int | None:
    workspace = workspaces_repo.get_workspace(session, team_id=team_id)
    return workspace.pulse_week if workspace is not None else None


def parse_week(word: str) -> int | None:
    """`off` -> None, `on` -> the suggested week, `1` to `11` -> that week; PulseProblem otherwise."""
    lowered = word.strip().lower()
    if lowered in ("off", "none"):
        return None
    if lowered == "on":
        return SUGGESTED_WEEK
    if lowered.isdigit() and len(lowered) <= 2 and 1 <= int(lowered) <= LAST_WEEK:
        return int(lowered)
    shown = word[:20].replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    raise PulseProblem(
        f"`{shown}` is not a week of the quarter: use a number from 1 to {LAST_WEEK} (week 1 begins on the "
        f"quarter's first day), `on` for week {SUGGESTED_WEEK}, or `off`. For example `/mindset pulse schedule 2`."
    )


def set_week(deps: Deps, *, team_id: str, by: str, week: int | None) -> int | None:
    with deps.session_factory() as session:
        workspace = workspaces_repo.get_or_add_workspace(session, team_id=team_id)
        was = workspace.pulse_week
        workspace.pulse_week = week
        if was != week:
            admins.record(
                session, team_id=team_id, by=by, setting=admins.PULSE_SCHEDULE,
                old=None if was is None else str(was), new=None if week is None else str(week), now=deps.clock(),
            )  # fmt: skip
        session.commit()
        return week


# -- answering -----------------------------------------------------------------------------------------


def clean_better(text: str | None) -> str | None:
    """The free text as kept: mentions of people, groups and channels-wide pings taken out, white space trimmed."""
    if text is None:
        return None
    cleaned = MENTION.sub("someone", text).strip()
    return cleaned or None


def check_open(session: Session, *, team_id: str, user_id: str, year: int, quarter: int, now: datetime) -> Window:
    """The pulse this person may answer now; PulseProblem (why not) otherwise."""
    week = week_of(session, team_id=team_id)
    if week is None:
        raise PulseProblem(CLOSED)
    found = window(year, quarter, week)
    if not found.open_at(now):
        raise PulseProblem(CLOSED)
    if pulse_repo.answered(session, team_id=team_id, user_id=user_id, year=year, quarter=quarter):
        raise PulseProblem(ANSWERED)
    if not pulse_repo.was_asked(session, team_id=team_id, user_id=user_id, occasion=found.occasion):
        raise PulseProblem(NOT_ASKED)
    return found


def may_answer(deps: Deps, *, team_id: str, user_id: str, year: int, quarter: int) -> Window:
    with deps.session_factory() as session:
        return check_open(session, team_id=team_id, user_id=user_id, year=year, quarter=quarter, now=deps.clock())


def submit(
    deps: Deps,
    *,
    team_id: str,
    user_id: str,
    year: int,
    quarter: int,
    scores: tuple[int | None, ...],
    better: str | None,
) -> None:
    """Keep the answer once per person and quarter (PulseProblem ANSWERED the second time, the first kept)."""
    if len(scores) != len(PRACTICES) or any(score is not None and not 1 <= score <= 5 for score in scores):
        raise PulseProblem("Each practice is rated from 1 to 5.")
    if better is not None and len(better) > BETTER_MAX:
        raise PulseProblem(TOO_LONG)
    kept = clean_better(better)
    if kept is not None and len(kept) > BETTER_MAX:
        kept = kept[:BETTER_MAX]
    if kept is None and all(score is None for score in scores):
        raise PulseProblem(EMPTY)
    with deps.session_factory() as session:
        check_open(session, team_id=team_id, user_id=user_id, year=year, quarter=quarter, now=deps.clock())
        added = pulse_repo.add_answer(
            session, team_id=team_id, user_id=user_id, year=year, quarter=quarter, answer=Scores(scores, kept)
        )
        if not added:
            raise PulseProblem(ANSWERED)
        session.commit()


# -- results -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeResult:
    key: str
    label: str
    mean: float | None  # None: fewer than MIN_ANSWERS rated it
    count: int
    change: float | None  # against the quarter before, when both are shown


@dataclass(frozen=True)
class Results:
    year: int
    quarter: int
    answers: int
    practices: tuple[PracticeResult, ...]  # empty when fewer than MIN_ANSWERS answered
    better: tuple[str, ...]  # the free texts (sorted: not in the order they came), only when shown
    previous_answers: int  # of the quarter before

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"

    @property
    def shown(self) -> bool:
        return self.answers >= MIN_ANSWERS


def _means(answers: list[Scores]) -> list[tuple[float | None, int]]:
    found: list[tuple[float | None, int]] = []
    for index in range(len(PRACTICES)):
        rated = [answer.scores[index] for answer in answers if answer.scores[index] is not None]
        count = len(rated)
        enough = count >= MIN_ANSWERS and len(answers) >= MIN_ANSWERS
        found.append((sum(score for score in rated if score is not None) / count if enough else None, count))
    return found


def results(session: Session, *, team_id: str, year: int, quarter: int) -> Results:
    answers = list(pulse_repo.answers_of(session, team_id=team_id, year=year, quarter=quarter))
    before = list(pulse_repo.answers_of(session, team_id=team_id, **_before(year, quarter)))
    if len(answers) < MIN_ANSWERS:
        return Results(year, quarter, len(answers), (), (), len(before))
    now_means, then_means = _means(answers), _means(before)
    practices = []
    for index, key in enumerate(PRACTICES):
        mean, count = now_means[index]
        then = then_means[index][0]
        change = mean - then if mean is not None and then is not None else None
        practices.append(PracticeResult(key, PRACTICE_LABELS[key], mean, count, change))
    texts = tuple(sorted(answer.better for answer in answers if answer.better))
    return Results(year, quarter, len(answers), tuple(practices), texts, len(before))


def _before(year: int, quarter: int) -> dict[str, int]:
    year, quarter = previous_quarter(year, quarter)
    return {"year": year, "quarter": quarter}


def last_closed(session: Session, *, team_id: str, now: datetime) -> Window | None:
    """The latest pulse of this workspace that has closed by `now`: this quarter's or the one before's."""
    week = week_of(session, team_id=team_id)
    if week is None:
        return None
    year, quarter = quarter_of(now.date())
    this = window(year, quarter, week)
    return this if this.closes_at <= now else window(*previous_quarter(year, quarter), week)


def closed_between(session: Session, *, team_id: str, start: datetime, end: datetime) -> Window | None:
    """The pulse of this workspace that closed in [start, end) (the digest of a week shows it once)."""
    week = week_of(session, team_id=team_id)
    if week is None:
        return None
    for year, quarter in sorted({quarter_of(start.date()), quarter_of(end.date())}):
        found = window(year, quarter, week)
        if start <= found.closes_at < end:
            return found
    return None


@dataclass(frozen=True)
class Overview:
    """What `/mindset pulse` shows: the last closed pulse's results, the open one (answers so far), the week."""

    week: int | None
    results: Results | None
    open_now: Window | None
    open_answers: int
    answered_open: bool  # the reader answered the open one


def overview(deps: Deps, *, team_id: str, user_id: str) -> Overview:
    now = deps.clock()
    with deps.session_factory() as session:
        week = week_of(session, team_id=team_id)
        closed = last_closed(session, team_id=team_id, now=now)
        found = None if closed is None else results(session, team_id=team_id, year=closed.year, quarter=closed.quarter)
        open_now = None
        open_answers = 0
        answered_open = False
        if week is not None:
            for year, quarter in quarters_near(now):
                candidate = window(year, quarter, week)
                if candidate.open_at(now):
                    open_now = candidate
                    open_answers = len(pulse_repo.answers_of(session, team_id=team_id, year=year, quarter=quarter))
                    answered_open = pulse_repo.answered(
                        session, team_id=team_id, user_id=user_id, year=year, quarter=quarter
                    )
        return Overview(week, found, open_now, open_answers, answered_open)
