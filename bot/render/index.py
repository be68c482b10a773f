"""What `/mindset index` answers: a person's Success Index, this quarter so far and the ones before."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.services.success_index import IndexLine, QuarterIndex

Blocks = list[dict[str, Any]]

EXPLAINED = (
    "Kept means done on or before the due date as it stood when the quarter began (for items created "
    "during the quarter: the date first promised). Short term: due within 6 months of creation."
)
NOTHING_DUE = (
    "No commitments of yours were due in these quarters yet. Create action items with `/action`; "
    "each one due in a quarter counts here."
)


def line_value(line: IndexLine) -> str:
    """`2 of 3 (67%)`, or `n/a` when nothing was due."""
    if line.due == 0:
        return "n/a"
    return f"{line.kept} of {line.due} ({line.percent})"


def quarter_heading(quarter: QuarterIndex) -> str:
    if quarter.until is None:
        return quarter.label
    return f"{quarter.label} so far (to {quarter.until:%-d %B})"


def quarter_lines(quarter: QuarterIndex) -> str:
    return "\n".join(f"• {line.label}: *{line_value(line)}*" for line in quarter.lines)


def index_blocks(quarters: Sequence[QuarterIndex]) -> Blocks:
    blocks: Blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": ":bar_chart: *Your Success Index*"}},
    ]
    for quarter in quarters:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{quarter_heading(quarter)}*\n{quarter_lines(quarter)}"},
            }
        )
    nothing = all(line.due == 0 for quarter in quarters for line in quarter.lines)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": NOTHING_DUE if nothing else EXPLAINED}]})
    return blocks


def index_text(quarters: Sequence[QuarterIndex]) -> str:
    parts = ["Your Success Index (kept of due):"]
    for quarter in quarters:
        values = ", ".join(f"{line.label} {line_value(line)}" for line in quarter.lines)
        parts.append(f"{quarter_heading(quarter)}: {values}")
    return "\n".join(parts)
