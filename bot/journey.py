"""The customer journey as words: the default stages, an edited list checked, and `>stage` in an entry's text.

A stage is named in `/proud` and `/sorry` text as `>` and the start of its name (`>onboard`, `>get-help`,
`>renew`): case and accents aside, words joined by `-` (as `#tags` are, bot/tags.py); the start of one stage's
name is enough when no other stage starts the same way (`>on` is Onboard). A `>` inside a word, a number or
`> ` with a space after it is only text. Pure: no database, no Slack."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.tags import tag_key
from storage.models import STAGE_NAME_MAX

DEFAULT_STAGES: tuple[str, ...] = ("Discover", "Buy", "Onboard", "Use", "Get help", "Renew")
STAGES_MIN = 2
STAGES_MAX = 12
EDIT_TEXT_MAX = STAGES_MAX * (STAGE_NAME_MAX + 1) + 200  # the form's field: a few blank lines to spare

# `>` not inside a word nor after another `>`, or Slack's escaped `&gt;`; then a letter or digit, and letters,
# digits, `-`, `_`
STAGE_MARK = re.compile(r"(?:(?<![\w>])>|(?<![\w&])&gt;)([^\W_][\w-]*)")

# what a pasted list puts before each line: "- ", "• ", "→ ", "1. ", "2) "
LIST_MARK = re.compile(r"^\s*(?:[-•*→>]+|\d{1,2}[.)])\s+")


def has_stage_mark(text: str) -> bool:
    """Cheap first look: could the text name a stage at all? (No `>`: no statement is spent on stages.)"""
    return ">" in text or "&gt;" in text


def stage_words(text: str) -> list[str]:
    """The `>words` written in a text, as typed (without `>`), once each, in order; those with a letter only."""
    seen: dict[str, str] = {}
    for word in STAGE_MARK.findall(text):
        word = word.strip("-_")
        if word and any(char.isalpha() for char in word) and tag_key(word) not in seen:
            seen[tag_key(word)] = word
    return list(seen.values())


@dataclass(frozen=True)
class StageMatch:
    stage: str | None  # the stage named by the first `>word` that names one
    unknown: tuple[str, ...] = ()  # `>words` that name no stage (as typed)
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...] = ()  # `>words` that start several stages' names
    ignored: tuple[str, ...] = ()  # further stages named after the first (an entry has one)


def match_stage(word: str, stages: Sequence[str]) -> tuple[str, ...]:
    """The stages `word` names: the one whose key it is, else every one whose key starts with it."""
    key = tag_key(word)
    if not key:
        return ()
    keys = [(stage, tag_key(stage)) for stage in stages]
    exact = tuple(dict.fromkeys(stage for stage, stage_key in keys if stage_key == key))
    if exact:
        return exact[:1]
    squeezed = key.replace("-", "")
    return tuple(
        dict.fromkeys(
            stage
            for stage, stage_key in keys
            if stage_key.startswith(key) or stage_key.replace("-", "").startswith(squeezed)
        )
    )


def stage_in(text: str, stages: Sequence[str]) -> StageMatch:
    """The stage a text names with `>word` (the first that names exactly one), and the words that name none or
    several."""
    chosen: str | None = None
    unknown: list[str] = []
    ambiguous: list[tuple[str, tuple[str, ...]]] = []
    ignored: list[str] = []
    for word in stage_words(text):
        found = match_stage(word, stages)
        if not found:
            unknown.append(word)
        elif len(found) > 1:
            ambiguous.append((word, found))
        elif chosen is None:
            chosen = found[0]
        elif found[0] != chosen:
            ignored.append(found[0])
    return StageMatch(chosen, tuple(unknown), tuple(ambiguous), tuple(ignored))


class JourneyProblem(ValueError):
    """An edited journey that cannot be saved: the sentence says what to change."""


def parse_stages(text: str, *, allow_empty: bool) -> tuple[str, ...]:
    """The stages of an edited journey, one a line, in order (blank lines, list marks and arrows aside);
    `JourneyProblem` when there are too few or too many, one is too long, or two are the same."""
    stages: list[str] = []
    for line in text.splitlines():
        clean = " ".join(LIST_MARK.sub("", line).split())
        if not clean:
            continue
        if len(clean) > STAGE_NAME_MAX:
            raise JourneyProblem(
                f"“{clean[:STAGE_NAME_MAX]}…” has {len(clean)} characters: keep each stage to {STAGE_NAME_MAX}."
            )
        if not any(char.isalnum() for char in clean):
            raise JourneyProblem(f"“{clean}” has no letter or digit: name each stage in words.")
        stages.append(clean)
    if not stages and allow_empty:
        return ()
    if len(stages) < STAGES_MIN:
        raise JourneyProblem(f"A journey has at least {STAGES_MIN} stages, one a line (for example Buy, then Use).")
    if len(stages) > STAGES_MAX:
        raise JourneyProblem(
            f"That is {len(stages)} stages: keep it to {STAGES_MAX}, so that each one stays worth looking at."
        )
    seen: dict[str, str] = {}
    for stage in stages:
        key = tag_key(stage)
        if key in seen:
            raise JourneyProblem(f"“{seen[key]}” and “{stage}” are the same stage: name each stage once.")
        seen[key] = stage
    return tuple(stages)
