"""Reading a time zone someone typed: a place's IANA name (any case), or UTC; never an abbreviation.

`EST` is in the tz database, but as a clock fixed at −5:00 all year: a team in New York would be an
hour off all summer. Abbreviations and other names that are not places are refused with the place to
use instead; a city's name alone (`berlin`, `new york`) is answered with its zone (`Europe/Berlin`)."""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo

UTC_NAMES = {"utc", "etc/utc", "z", "zulu", "universal", "etc/universal", "uct", "etc/uct"}

# the places people most likely mean by an abbreviation (a suggestion: an abbreviation names no place)
ABBREVIATIONS = {
    "est": "America/New_York",
    "edt": "America/New_York",
    "et": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "ct": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "hst": "Pacific/Honolulu",
    "akst": "America/Anchorage",
    "gmt": "Europe/London",
    "bst": "Europe/London",
    "wet": "Europe/Lisbon",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "met": "Europe/Berlin",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "msk": "Europe/Moscow",
    "ist": "Asia/Kolkata",
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "nzst": "Pacific/Auckland",
}
_ABBREVIATION = re.compile(r"^[A-Za-z]{1,5}([+-]?\d{1,2})?([A-Za-z]{3})?$")


class ZoneProblem(ValueError):
    """A time zone that cannot be used, with the sentence that says what to type instead."""


@functools.cache
def _places() -> dict[str, str]:
    """The tz database's places, by their name in lower case."""
    try:
        names = zoneinfo.available_timezones()
    except Exception:  # no tz database to list: only exact names work, through ZoneInfo
        names = set()
    return {
        name.casefold(): name
        for name in names
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    }


@functools.cache
def _cities() -> dict[str, list[str]]:
    """Zones by their city (the last part of the name, `_` as a space), in lower case."""
    cities: dict[str, list[str]] = {}
    for name in _places().values():
        cities.setdefault(name.rsplit("/", 1)[-1].replace("_", " ").casefold(), []).append(name)
    return cities


def _shown(text: str) -> str:
    clean = " ".join(text.split()).replace("`", "'")
    clean = clean if len(clean) <= 40 else clean[:39] + "…"
    return clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _suggestion(typed: str) -> str | None:
    key = " ".join(typed.replace("_", " ").split()).casefold()
    if key in ABBREVIATIONS:
        return ABBREVIATIONS[key]
    city = _cities().get(key.rsplit("/", 1)[-1])
    if city:
        return sorted(city, key=lambda name: (not name.startswith(("Europe/", "America/", "Asia/")), name))[0]
    close = difflib.get_close_matches(typed.casefold(), list(_places()), n=1, cutoff=0.8)
    return _places()[close[0]] if close else None


def resolve_zone(typed: str, *, example: str = "Europe/Berlin") -> str:
    """The IANA name of the zone `typed` names (its case corrected), or ZoneProblem saying what to use."""
    text = (typed or "").strip()
    key = text.casefold()
    if not text:
        raise ZoneProblem(f"Give a time zone: the name of a place, such as {example}, or UTC.")
    if key in UTC_NAMES:
        return "UTC"
    if key in _places():
        return _places()[key]
    if not _places() and "/" in text and not key.startswith("etc/"):
        try:  # no list of zones here: an exact name still works
            zoneinfo.ZoneInfo(text)
            return text
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    shown = _shown(text)
    suggestion = _suggestion(text)
    if key in ABBREVIATIONS or key.startswith("etc/") or (_ABBREVIATION.match(text) and text.isupper()):
        suggestion = suggestion or ABBREVIATIONS.get(key[:4]) or ABBREVIATIONS.get(key[:3]) or example
        raise ZoneProblem(
            f"`{shown}` is an abbreviation or an offset, not a place, so its clock does not follow the place's "
            f"daylight saving (`EST` stays at −5:00 all summer). Use the name of a place, such as `{suggestion}`, "
            "or `UTC`."
        )
    if suggestion:
        raise ZoneProblem(f"`{shown}` is not a time zone name. Did you mean `{suggestion}`?")
    raise ZoneProblem(
        f"`{shown}` is not a time zone I know: use the name of a place, such as `{example}` or "
        "`America/New_York`, or `UTC`."
    )
