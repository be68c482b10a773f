"""The digest's "Where the journey breaks": the week's sorries by stage of the customer journey, the few with
the most, and the open action items against each (counts only: no text, so every reader may see it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.tags import tag_key
from storage.repositories import journey as journey_repo


@dataclass(frozen=True)
class StageCount:
    stage: str
    sorries: int
    open_actions: int
    in_journey: bool = True  # False: a stage no longer in this journey (entries keep the name they had)


@dataclass(frozen=True)
class JourneyWeek:
    """The digest's "where the journey breaks": the week's sorries by stage (most first, the few shown) and the
    open action items against each."""

    stages: tuple[StageCount, ...] = ()
    staged: int = 0  # the week's sorries that carry a stage


DIGEST_STAGES = 3


def journey_week(session: Session, *, team_id: str, start: datetime, end: datetime) -> JourneyWeek:
    """Two aggregate queries: the week's sorries by stage, and the open items by stage (counts only)."""
    by_stage = journey_repo.sorries_by_stage(session, team_id=team_id, start=start, end=end)
    if not by_stage:
        return JourneyWeek()
    actions = journey_repo.open_actions_by_stage(session, team_id=team_id)
    sorries: Counter[str] = Counter()
    names: dict[str, str] = {}
    for stage, count in by_stage.items():
        sorries[tag_key(stage)] += count
        names.setdefault(tag_key(stage), stage)
    open_items: Counter[str] = Counter()
    for stage, count in actions.items():
        open_items[tag_key(stage)] += count
    ranked = sorted(sorries, key=lambda key: (-sorries[key], key))[:DIGEST_STAGES]
    return JourneyWeek(
        tuple(StageCount(names[key], sorries[key], open_items.get(key, 0)) for key in ranked), sum(sorries.values())
    )
