"""The weekly digest's renderers, pure: a Digest in, Block Kit (for Slack) and plain text (for a terminal) out.

No Slack, no database: digests are built by hand, so every expectation below is computed from the
input, not from the code under test. Slack refuses a whole message when one part is over a limit,
so every digest is checked against Slack's limits by hand and through slack_sdk's own models.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from bot.digest.chart import WeekPoint
from bot.digest.compose import AreaCount, Digest, GroupCount, Metric, Quote, Reader, ReaderKind
from bot.digest.period import Week
from bot.digest.themes import Theme
from bot.render.digest import digest_blocks, digest_fallback, digest_text
from bot.services.meeting_numbers import MeetingsWeek, MeetingWeek
from bot.services.success_index import IndexLine
from storage.repositories.digest import ActionLine

WEEK = Week(date(2027, 2, 8), ZoneInfo("UTC"))  # 2027-W06: Monday 8 to Sunday 14 February
TODAY = date(2027, 2, 15)  # the Monday the digest of that week goes out
LABELS = (
    "Prouds",
    "Sorries",
    "People taking part",
    "Meeting prompts answered",
    "Action items created",
    "Action items done",
    "Action items overdue",
)
AREAS = ("Products and services", "Operations", "Organisation and culture", "People")
WEEK_LABELS = ("W48", "W49", "W50", "W51", "W52", "W53", "W01", "W02", "W03", "W04", "W05", "W06")
EVIL = "Ping <!channel> & <https://evil.example|x> now"
MORE = "in `/mindset digest`"
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def points(*values: int, warn: Sequence[int] = ()) -> tuple[WeekPoint, ...]:
    """Twelve weeks W48..W06, the last `len(values)` of them with these values (the rest 0)."""
    padded = [0] * (12 - len(values)) + list(values)
    return tuple(
        WeekPoint(label, value, n in warn) for n, (label, value) in enumerate(zip(WEEK_LABELS, padded, strict=True))
    )


def make(**changes: Any) -> Digest:
    """A quiet week's digest (everything zero), with `changes`."""
    quiet = Digest(
        team_id="T111",
        week=WEEK,
        so_far=False,
        reader=Reader(ReaderKind.PERSON, "UAMB"),
        metrics=tuple(Metric(label, 0, 0, 0.0) for label in LABELS),
        prouds=(),
        prouds_total=0,
        open_sorries=(),
        open_sorries_total=0,
        due_next_week=(),
        due_next_week_total=0,
        overdue=(),
        overdue_total=0,
        stuck=(),
        stuck_total=0,
        groups=(),
        silent_groups=(),
        areas=tuple(AreaCount(label, 0, 0) for label in AREAS),
        themes=(),
        success=(IndexLine("Short term", 0, 0), IndexLine("Long term", 0, 0), IndexLine("All", 0, 0)),
        quarter="2027 Q1",
        participation=points(),
        fading=False,
        meetings=MeetingsWeek((), ()),
        contributors=(),
    )
    return replace(quiet, **changes)


# -- helpers ------------------------------------------------------------------------------------


def texts_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text") and isinstance(value.get("text"), str):
            yield value["text"]
        for item in value.values():
            yield from texts_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts_in(item)


def check_limits(blocks: list[dict[str, Any]]) -> None:
    """Slack's limits for a message, by hand and through slack_sdk's models."""
    assert 0 < len(blocks) <= 50, f"{len(blocks)} blocks"
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
            if "fields" in block:
                assert len(block["fields"]) <= 10
                assert all(len(field["text"]) <= 2000 for field in block["fields"])
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(element["text"]) <= 3000 for element in block["elements"])
        parsed = Block.parse(block)
        assert parsed is not None, block
        assert parsed.to_dict() == block  # slack_sdk validates what it knows, and drops nothing
    for text in texts_in(blocks):
        assert not ENTITY.search(text), f"a bare & or an escape cut in half: {text[-80:]!r}"


def sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section" and "text" in block]


def section(blocks: list[dict[str, Any]], heading: str) -> str:
    [found] = [text for text in sections(blocks) if text.startswith(f"*{heading}")]
    return found


def contexts(blocks: list[dict[str, Any]]) -> list[str]:
    return [element["text"] for block in blocks if block["type"] == "context" for element in block["elements"]]


def fields(blocks: list[dict[str, Any]]) -> list[str]:
    return [field["text"] for block in blocks if block["type"] == "section" for field in block.get("fields", [])]


def everything(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(texts_in(blocks))


def shown_lines(text: str) -> tuple[list[str], int]:
    """The lines under a section's heading, and how many more it says there are (0 when it says none)."""
    lines = text.split("\n")[1:]
    if lines and lines[-1].startswith("…and "):
        match = re.fullmatch(r"…and (\d+) more in `/mindset digest`", lines[-1])
        assert match, lines[-1]
        return lines[:-1], int(match[1])
    return lines, 0


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- a quiet week, a first week --------------------------------------------------------------------


def test_a_quiet_week_renders_and_says_it_is_quiet() -> None:
    quiet = make()

    blocks = digest_blocks(quiet, today=TODAY)

    check_limits(blocks)
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Customer focus, week 6"}}
    assert contexts(blocks)[0] == "8 February to 14 February 2027"
    assert "A quiet week" in sections(blocks)[0]
    assert "Thank you" not in everything(blocks)
    assert fields(blocks) == [f"*{label}*\n0 (last week 0, 4-week average 0)" for label in LABELS]
    assert "`▁▁▁▁▁▁▁▁▁▁▁▁` (0 this week)" in everything(blocks)
    assert "fading" not in everything(blocks)
    # nothing to list: no list headings, no "more"
    for heading in ("Prouds", "Sorries still", "Action items due", "Overdue", "Stuck", "By customer group", "By area"):
        assert not [text for text in sections(blocks) if text.startswith(f"*{heading}")], heading
    assert "more in" not in everything(blocks)
    assert contexts(blocks)[-1] == (
        "*Success Index 2027 Q1 so far*: Short term 0 of 0 (n/a) · Long term 0 of 0 (n/a) · All 0 of 0 (n/a)"
    )
    assert digest_fallback(quiet) == "Customer focus, week 6: 0 prouds, 0 sorries, 0 people taking part"
    text = digest_text(quiet, today=TODAY)
    assert text.splitlines()[:2] == ["Customer focus, week 6", "8 February to 14 February 2027"]
    assert text.splitlines()[-1] == "A quiet week."


def test_a_first_week_with_no_history_shows_zero_averages_and_no_warning() -> None:
    first = make(
        metrics=(
            Metric("Prouds", 3, 0, 0.0),
            Metric("Sorries", 1, 0, 0.0),
            Metric("People taking part", 4, 0, 0.0),
            *(Metric(label, 0, 0, 0.0) for label in LABELS[3:]),
        ),
        participation=points(4),
        contributors=(("UANA", ("proud",)), ("UBEN", ("sorry",))),
    )

    blocks = digest_blocks(first, today=TODAY)

    check_limits(blocks)
    assert fields(blocks)[:3] == [
        "*Prouds*\n3 (last week 0, 4-week average 0)",
        "*Sorries*\n1 (last week 0, 4-week average 0)",
        "*People taking part*\n4 (last week 0, 4-week average 0)",
    ]
    assert "`▁▁▁▁▁▁▁▁▁▁▁█` (4 this week)" in everything(blocks)
    assert ":warning:" not in everything(blocks)
    assert "WARNING" not in digest_text(first, today=TODAY)


def test_averages_and_changes_are_shown_as_computed() -> None:
    digest = make(metrics=(Metric("Prouds", 7, 4, 2.5), Metric("Sorries", 2, 3, 1.5), Metric("Done", 5, 5, 10.0)))

    assert fields(digest_blocks(digest, today=TODAY)) == [
        "*Prouds*\n7 (last week 4, 4-week average 2.5)",
        "*Sorries*\n2 (last week 3, 4-week average 1.5)",
        "*Done*\n5 (last week 5, 4-week average 10)",
    ]


# -- the fade warning ------------------------------------------------------------------------------


def test_the_fade_warning_names_the_two_weeks_in_blocks_and_text() -> None:
    faded = make(fading=True, participation=points(10, 10, 10, 10, 6, 6, warn=(10, 11)))

    blocks = digest_blocks(faded, today=TODAY)

    check_limits(blocks)
    [warning] = [text for text in sections(blocks) if text.startswith(":warning:")]
    assert "*The habit is fading.*" in warning
    assert "two weeks running (6 and 6 people)" in warning
    assert blocks.index(next(b for b in blocks if b.get("text", {}).get("text") == warning)) == 3  # right after thanks
    text = digest_text(faded, today=TODAY)
    assert "WARNING: The habit is fading." in text
    assert "*" not in next(line for line in text.splitlines() if line.startswith("WARNING"))


# -- user text is escaped everywhere ---------------------------------------------------------------


def test_user_text_never_appears_unescaped() -> None:
    line = ActionLine(1, EVIL, "UOWN", date(2027, 2, 1))
    digest = make(
        prouds=(Quote(1, "UANA", "CPUB", EVIL),),
        prouds_total=1,
        open_sorries=(Quote(2, "UBEN", "CPUB", "Sorry <!here> <@U999> &amp; <https://evil.example|x>"),),
        open_sorries_total=1,
        due_next_week=(replace(line, id=3, due_date=date(2027, 2, 17)),),
        due_next_week_total=1,
        overdue=(line,),
        overdue_total=1,
        stuck=(line,),
        stuck_total=1,
        groups=(GroupCount(EVIL, 1, 0, True, True), GroupCount("Clinics <!channel>", 0, 1, False, False)),
        silent_groups=("<https://evil.example|Labs>",),
        themes=(Theme("refund delay", 2, 0.0),),
        meetings=MeetingsWeek(
            (MeetingWeek(None, "Review <!channel>", 1, 1, (), ("<!everyone> group",)),), ("<!everyone> group",)
        ),
        contributors=(("UANA", ("proud",)),),
    )

    blocks = digest_blocks(digest, today=TODAY)

    check_limits(blocks)
    shown = json.dumps(blocks)
    for raw in ("<!channel>", "<!here>", "<!everyone>", "<https://evil", "<@U999>"):
        assert raw not in shown, raw
    assert escaped(EVIL) in section(blocks, "Prouds")
    assert "&amp;amp;" in section(blocks, "Sorries still")  # an escape the person typed stays visible as typed
    assert escaped(EVIL) in section(blocks, "Action items due next week")
    assert escaped(EVIL) in section(blocks, "Overdue")
    assert escaped(EVIL) in section(blocks, "By customer group")
    assert "Nobody mentioned: &lt;https://evil.example|Labs&gt;" in contexts(blocks)
    assert "&lt;!everyone&gt; group" in everything(blocks)
    # the mentions the bot means stay real mentions
    assert "<@UANA>" in shown and "<#CPUB>" in shown and "<@UOWN>" in shown


# -- a big workspace: lists that do not fit --------------------------------------------------------


def long_name(n: int) -> str:
    """A customer group name as long as a group name may be (75 characters), with characters to escape."""
    return (f"{n:02d} Clinics & <labs> of the far north and the islands beyond the sea " * 2)[:74] + "!"


def big_digest() -> Digest:
    groups = tuple(GroupCount(long_name(n), 20 + n, 41 - n, n % 2 == 0, n < 2) for n in range(40))
    quote = "A long story about calling every clinic back & <fixing> the export " * 10
    lines = tuple(ActionLine(n, f"Commitment {n:03d} " + "x" * 140, f"U{n:04d}", date(2027, 2, 1)) for n in range(5))
    return make(
        metrics=tuple(Metric(label, 999, 888, 777.25) for label in LABELS),
        prouds=tuple(Quote(n, f"U{n:04d}", "CPUB", quote) for n in range(3)),
        prouds_total=250,
        open_sorries=tuple(Quote(n, f"U{n:04d}", "CPUB", quote) for n in range(5)),
        open_sorries_total=120,
        due_next_week=tuple(replace(line, due_date=date(2027, 2, 17)) for line in lines),
        due_next_week_total=60,
        overdue=lines,
        overdue_total=45,
        stuck=lines,
        stuck_total=20,
        groups=groups,
        areas=tuple(AreaCount(label, 300, 200) for label in AREAS),
        themes=tuple(Theme(f"theme{n} phrase{n}", 30, n / 2) for n in range(8)),
        participation=points(*range(300, 312), warn=(10, 11)),
        fading=True,
        meetings=MeetingsWeek((MeetingWeek(1, "Planning", 40, 30, (), ()),), ()),
        contributors=tuple((f"U{n:04d}", ("proud", "sorry")) for n in range(400)),
    )


def test_a_big_workspace_fits_and_every_list_counts_what_it_hides() -> None:
    digest = big_digest()

    blocks = digest_blocks(digest, today=TODAY)

    check_limits(blocks)
    # prouds: three quoted out of 250, each whole (clipped to 280 characters at a word), 247 more
    prouds, more = shown_lines(section(blocks, "Prouds (250)"))
    assert (len(prouds), more) == (3, 247)
    assert all(line.startswith(f"• <@U{n:04d}> in <#CPUB>: A long story") for n, line in enumerate(prouds))
    assert all(len(line) < 400 and line.endswith("…") for line in prouds)
    # the other lists: what is shown is whole, the rest is counted
    for heading, total in (
        ("Sorries still without a root cause (120)", 120),
        ("Action items due next week (60)", 60),
        ("Overdue (45), of which stuck (20)", 45),
        ("Stuck: overdue through three nudges", 20),
    ):
        lines, more = shown_lines(section(blocks, heading))
        assert len(lines) == 5 and more == total - 5, heading
    overdue, _ = shown_lines(section(blocks, "Overdue"))
    assert overdue[0] == f"• Commitment 000 {'x' * 134}…: <@U0000>, due 1 Feb, 14 days late"
    # 40 long group names do not fit in one section: the first ones whole, then how many more
    groups, more = shown_lines(section(blocks, "By customer group"))
    expected = [
        f"• {'★ ' if n < 2 else ''}{escaped(long_name(n))}: {20 + n} prouds, {41 - n} sorries"
        f"{', discussed in meetings' if n % 2 == 0 else ''}"
        for n in range(40)
    ]
    assert 2 <= len(groups) < 40
    assert groups == expected[: len(groups)], "a line was cut or reordered"
    assert more == 40 - len(groups)
    assert groups[0].startswith("• ★ 00 Clinics &amp; &lt;labs&gt;")  # the reader's groups first, starred
    assert not any("★" in line for line in groups[2:])
    # thanks: one sentence; a mention is never cut in half
    thanks = sections(blocks)[0]
    # as many as "People taking part" counts (999): the 400 named as far as they fit, the rest counted
    assert thanks.startswith(":clap: Thank you to the 999 people who kept the customer in view: <@U0000>, <@U0001>")
    named = thanks.count("<@")
    assert thanks.endswith(f", {400 - named} more, and 599 more in private channels."), thanks[-80:]
    assert thanks.count("<@") == thanks.count(">")
    # the text version, for a terminal, has it all
    text = digest_text(digest, today=TODAY)
    assert all(long_name(n) in text for n in range(40))
    assert "Prouds (250):" in text and "Overdue: 45, stuck: 20" in text


@pytest.mark.parametrize(
    "which",
    [
        pytest.param("silent"),
        pytest.param("meetings"),
    ],
)
def test_a_long_list_of_group_names_is_never_cut_mid_name(which: str) -> None:
    names = tuple(long_name(n) for n in range(40))
    if which == "silent":
        digest = make(silent_groups=names)
    else:
        digest = make(meetings=MeetingsWeek((MeetingWeek(1, "Planning", 3, 2, (), names),), names))

    blocks = digest_blocks(digest, today=TODAY)

    check_limits(blocks)
    [text] = [
        t for t in everything(blocks).split("\n") if ("Nobody mentioned" if which == "silent" else "no meeting") in t
    ]
    listed = text.split(": ", 1)[1].rstrip(".")
    shown = [name for name in listed.split(", ") if name]
    whole = [escaped(name) for name in names]
    if len(shown) < 40:
        assert re.search(r"and (\d+) more", text) and "/mindset digest" in text, text[-120:]
        shown = [name for name in shown if not name.startswith("and ")]
    assert shown == whole[: len(shown)], f"a name was cut: {shown[-1][-60:]!r}"


# -- congratulatory, not a leaderboard -------------------------------------------------------------


def test_contributors_are_thanked_by_name_in_the_order_given_with_no_ranking() -> None:
    digest = make(
        contributors=(("UANA", ("proud",)), ("UBEN", ("done", "proud", "root cause", "sorry")), ("UCAT", ("sorry",))),
        metrics=(Metric("Prouds", 9, 1, 1.0),),
    )

    blocks = digest_blocks(digest, today=TODAY)

    thanks = sections(blocks)[0]
    assert thanks == ":clap: Thank you to the 3 people who kept the customer in view: <@UANA>, <@UBEN>, <@UCAT>."
    # however much each did, nobody is ranked, counted or singled out
    for word in ("top", "most", "leader", "rank", "#1", "1st", "winner"):
        assert word not in thanks.lower(), word
    one = replace(digest, contributors=(("UANA", ("proud",)),))
    assert sections(digest_blocks(one, today=TODAY))[0] == (
        ":clap: Thank you to the 1 person who kept the customer in view: <@UANA>."
    )
    assert digest_text(digest, today=TODAY).splitlines()[-1] == "Thank you: UANA, UBEN, UCAT"


# -- groups, areas, themes, the week so far ------------------------------------------------------


def test_groups_areas_and_themes() -> None:
    digest = make(
        groups=(
            GroupCount("Labs", 0, 0, False, True),  # followed by the reader, quiet: still shown, starred
            GroupCount("Hospitals", 1, 1, False, False),
            GroupCount("Small clinics", 2, 0, False, False),
            GroupCount("Pharmacies", 0, 0, True, False),  # only discussed in a meeting
            GroupCount("Dentists", 0, 0, False, False),  # nothing at all: only under "Nobody mentioned"
        ),
        silent_groups=("Dentists", "Labs"),
        areas=(
            AreaCount(AREAS[0], 1, 0),
            AreaCount(AREAS[1], 0, 2),
            AreaCount(AREAS[2], 0, 0),
            AreaCount(AREAS[3], 0, 0),
        ),
        themes=(Theme("invoice portal", 2, 0.0), Theme("refund delay", 2, 1.0), Theme("hold music", 1, 1.5)),
    )

    blocks = digest_blocks(digest, today=TODAY)

    check_limits(blocks)
    assert section(blocks, "By customer group") == (
        "*By customer group*\n"
        "• ★ Labs: 0 prouds, 0 sorries\n"
        "• Hospitals: 1 proud, 1 sorry\n"
        "• Small clinics: 2 prouds, 0 sorries\n"
        "• Pharmacies: 0 prouds, 0 sorries, discussed in meetings"
    )
    assert "Nobody mentioned: Dentists, Labs" in contexts(blocks)
    assert (
        section(blocks, "By area")
        == "*By area*\n• Products and services: 1 proud, 0 sorries\n• Operations: 0 prouds, 2 sorries"
    )
    assert section(blocks, "Recurring themes") == (
        "*Recurring themes*\n*invoice portal* (2, new) · *refund delay* (2, ↑ from 1 a week) · "
        "*hold music* (1, ↓ from 1.5 a week)"
    )
    text = digest_text(digest, today=TODAY)
    assert "Recurring themes: invoice portal (2, new), refund delay (2, ↑ from 1 a week)" in text
    assert "  Nobody mentioned: Dentists, Labs" in text


def test_the_week_so_far_is_titled_so() -> None:
    digest = make(so_far=True, participation=points(3, 5))

    blocks = digest_blocks(digest, today=date(2027, 2, 10))

    check_limits(blocks)
    assert blocks[0]["text"]["text"] == "Customer focus, week 6 so far"
    assert contexts(blocks)[0] == "8 February to 10 February 2027 (so far)"
    assert "`▁▁▁▁▁▁▁▁▁▁▅█` (5 this week)" in everything(blocks)


def test_a_week_across_new_year_names_both_years() -> None:
    digest = make(week=Week(date(2026, 12, 28), ZoneInfo("Europe/Berlin")))

    blocks = digest_blocks(digest, today=date(2027, 1, 4))

    assert blocks[0]["text"]["text"] == "Customer focus, week 53"
    assert contexts(blocks)[0] == "28 December 2026 to 3 January 2027"


def test_the_terminal_text_lists_the_numbers_and_the_lists() -> None:
    digest = make(
        metrics=(Metric("Prouds", 2, 1, 0.5), Metric("Sorries", 1, 0, 1.5)),
        prouds=(Quote(1, "UANA", "CPUB", "Called  the clinic\nback"),),
        prouds_total=2,
        open_sorries=(Quote(2, "UBEN", "CPUB", "Refund delay"),),
        open_sorries_total=1,
        due_next_week=(ActionLine(5, "Call the lab", "UCAT", date(2027, 2, 17)),),
        due_next_week_total=1,
        overdue=(ActionLine(6, "Fix the export", "UDAN", date(2027, 2, 5)),),
        overdue_total=1,
        stuck_total=0,
        success=(IndexLine("Short term", 1, 4), IndexLine("Long term", 0, 0), IndexLine("All", 1, 4)),
        participation=points(2, 2, 2, 4, 7),
        contributors=(("UANA", ("proud",)), ("UBEN", ("sorry",))),
    )

    text = digest_text(digest, today=TODAY)

    lines = text.splitlines()
    assert "Prouds: 2 (last week 1, 4-week average 0.5)" in lines
    assert "Sorries: 1 (last week 0, 4-week average 1.5)" in lines
    assert "Habit health (people taking part, 12 weeks): ▁▁▁▁▁▁▁▃▃▃▅█ [0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 4, 7]" in lines
    assert "  UANA: Called the clinic back" in lines
    assert "  UBEN: Refund delay" in lines
    assert "  Call the lab (UCAT, 2027-02-17)" in lines
    assert "  Fix the export (UDAN, due 2027-02-05)" in lines
    assert "Success Index 2027 Q1 so far: Short term 1/4, Long term 0/0, All 1/4" in lines
    assert lines[-1] == "Thank you: UANA, UBEN"


def test_the_notification_text_speaks_of_one_proud_and_one_person() -> None:
    digest = make(
        metrics=(Metric("Prouds", 1, 0, 0.0), Metric("Sorries", 1, 0, 0.0), Metric("People taking part", 1, 0, 0.0))
    )

    assert digest_fallback(digest) == "Customer focus, week 6: 1 proud, 1 sorry, 1 person taking part"
