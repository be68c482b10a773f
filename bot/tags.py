"""`#tags` for customer groups: the tag to type for a group, and which group a typed tag names.

A group's tag is its name in lower case with every run of other characters than letters and digits
made one `-`: "Small clinics" is `#small-clinics`, "#hash" is `#hash`, "Zürich & Bern" is
`#zürich-bern`. A typed tag names a group when both come to the same key, accents aside (`#zurich-bern`
names it too). A name with no letter or digit at all ("🚀") is tagged by its number: `#group-12`."""

from __future__ import annotations

import re
import unicodedata

# a `#` not inside a word, an HTML entity (`&#35;`) or a link (`/page#part`), then letters, digits, `-`, `_`
HASHTAG = re.compile(r"(?<![\w&#/])#+([\w][\w-]*)")
_WORD = re.compile(r"[^\W_]+")


def tag_key(text: str) -> str:
    """What a tag or a name comes to for comparing: lower case, no accents, words joined by `-`."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in folded if not unicodedata.combining(char))
    return "-".join(_WORD.findall(bare))


def group_tag(name: str, group_id: int) -> str:
    """The tag to type for a group, with its `#`."""
    words = "-".join(_WORD.findall(unicodedata.normalize("NFC", name.casefold())))
    return f"#{words}" if words else f"#group-{group_id}"


def group_keys(name: str, group_id: int) -> set[str]:
    """The keys a typed tag may come to to name this group."""
    key = tag_key(name)
    return {key, f"group-{group_id}"} if key else {f"group-{group_id}"}


def tags_in(text: str) -> list[str]:
    """The tags written in a text, as typed (without `#`), once each, in order."""
    seen: dict[str, str] = {}
    for tag in HASHTAG.findall(text):
        tag = tag.strip("-_")
        if tag and tag_key(tag) not in seen:
            seen[tag_key(tag)] = tag
    return list(seen.values())
