"""Recurring themes: the words and phrases that came up most in a week's texts, against the month before.

A theme's weight is the number of texts that mention it (not how often one text repeats it), so one
long rant does not make a theme. Two-word phrases are preferred over their words when they are as
frequent. Pure functions: no database, no Slack.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]", re.UNICODE)
MIN_LENGTH = 3
THEMES_MAX = 8
MIN_TEXTS = 2  # a theme is something at least two texts share

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further get got had hadn't has hasn't have haven't having he her here hers
    herself him himself his how i if in into is isn't it it's its itself just let's like made make many me
    more most much must mustn't my myself need new no nor not now of off on once one only or other ought our
    ours ourselves out over own same shan't she should shouldn't so some still such than that that's the
    their theirs them themselves then there there's these they they're this those through to too two under
    until up us very via was wasn't way we we're were weren't what what's when where which while who whom
    why will with won't would wouldn't yes yet you you're your yours yourself yourselves today tomorrow
    yesterday week weeks day days time really thanks thank please customer customers
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Theme:
    term: str
    texts: int  # texts of the week that mention it
    month_average: float  # texts per week that mentioned it in the four weeks before

    @property
    def is_new(self) -> bool:
        return self.month_average == 0


def words(text: str) -> list[str]:
    """The text's meaningful words, lower-cased, without mentions, links and stopwords."""
    clean = re.sub(r"<[^>]*>|https?://\S+|[@#]\S+", " ", text.lower())
    found = [word.replace("’", "'").strip("'-") for word in WORD.findall(clean)]
    return [word for word in found if len(word) >= MIN_LENGTH and word not in STOPWORDS]


def terms_of(text: str) -> set[str]:
    """The words and two-word phrases of one text (each counted once per text)."""
    found = words(text)
    return set(found) | {f"{first} {second}" for first, second in zip(found, found[1:], strict=False)}


def document_frequency(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(terms_of(text))
    return counts


def themes(week_texts: Sequence[str], month_texts: Sequence[str], *, limit: int = THEMES_MAX) -> list[Theme]:
    """The week's top themes, each with how many texts of the month before (per week) mentioned it."""
    return themes_of(document_frequency(week_texts), document_frequency(month_texts), limit=limit)


def rank(item: tuple[str, int]) -> tuple[int, bool, str]:
    """The order themes are chosen in: more texts first; a phrase before a word; then alphabetical (stable)."""
    term, count = item
    return (-count, " " not in term, term)


def ranked(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """The terms that may be themes (in at least two texts), in the order they are chosen in."""
    return sorted(((term, count) for term, count in counts.items() if count >= MIN_TEXTS), key=rank)


def choose(candidates: Iterable[tuple[str, int]], *, limit: int = THEMES_MAX) -> list[tuple[str, int]]:
    """The first `limit` of the ranked candidates, leaving out a word that a phrase chosen before says.
    Reads no further than it needs to (the candidates may be a lazy merge of ranked parts)."""
    chosen: list[tuple[str, int]] = []
    for term, count in candidates:
        if " " not in term and any(term in phrase.split() and n >= count for phrase, n in chosen):
            continue  # the phrase already says it
        chosen.append((term, count))
        if len(chosen) == limit:
            break
    return chosen


def themes_of(this_week: Mapping[str, int], before: Mapping[str, int], *, limit: int = THEMES_MAX) -> list[Theme]:
    """`themes` from the texts' document frequencies (which add up: the counts of two sets of texts are the
    counts of both), so that texts shared by many readers are read once."""
    return [Theme(term, count, before.get(term, 0) / 4) for term, count in choose(ranked(this_week), limit=limit)]
