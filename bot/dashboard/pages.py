"""The dashboard's HTML, built by pure functions from the service's data. Every value is escaped; the one
stylesheet is served from the package (no CDN, no script, no font from the internet)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from bot.dashboard.access import Viewer
from bot.dashboard.charts import Series, bar_chart, line_chart
from bot.dashboard.service import (
    AREA_NAMES,
    OPEN_SHOWN,
    PEOPLE_SHOWN,
    Commitments,
    EntryChoice,
    EntryPage,
    GroupCard,
    HabitHealth,
    Split,
    entry_link,
)
from storage.models import AREA_LABELS, EntryKind
from storage.repositories.dashboard import EntryRow

BASE = "/dashboard"
CSS_PATH = f"{BASE}/static/dashboard.css"
PAGES = (
    ("health", "Habit health"),
    ("groups", "Customer groups"),
    ("commitments", "Commitments"),
    ("entries", "Entries"),
)


def h(value: object) -> str:
    return escape(str(value), quote=True)


CURRENT = ' aria-current="page"'


def _layout(
    title: str, body: str, *, viewer: Viewer | None = None, name: str = "", csrf: str = "", page: str = ""
) -> str:
    nav = ""
    if viewer is not None:
        links = "".join(
            f'<li><a href="{BASE}/{key}"{CURRENT if key == page else ""}>{h(label)}</a></li>' for key, label in PAGES
        )
        nav = (
            f'<nav aria-label="Dashboard pages"><ul>{links}</ul></nav>'
            f'<div class="who"><span>{h(name)} · {h(viewer.role)}</span>'
            f'<form method="post" action="{BASE}/logout"><input type="hidden" name="csrf" value="{h(csrf)}">'
            '<button type="submit">Sign out</button></form></div>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{h(title)} · Customer Mindset</title>"
        f'<link rel="stylesheet" href="{CSS_PATH}"></head><body>'
        '<a class="skip" href="#main">Skip to the content</a>'
        f'<header><p class="brand">Customer Mindset</p>{nav}</header>'
        f'<main id="main" tabindex="-1"><h1>{h(title)}</h1>{body}</main></body></html>'
    )


def message_page(title: str, message: str, *, link: tuple[str, str] | None = None) -> str:
    more = f'<p><a class="button" href="{h(link[0])}">{h(link[1])}</a></p>' if link else ""
    return _layout(title, f"<p>{h(message)}</p>{more}")


def not_configured_page() -> str:
    return _layout(
        "The dashboard is not set up",
        "<p>Signing in with Slack needs the app's credentials. Set these two settings (in <code>.env</code> or "
        "the environment) and restart <code>mindset-bot run</code>:</p><ul>"
        "<li><code>SLACK_CLIENT_ID</code>: the Client ID from your app's <em>Basic Information</em> page</li>"
        "<li><code>SLACK_CLIENT_SECRET</code>: the Client Secret from the same page</li></ul>"
        "<p>Then add <code>https://YOUR-HOST/dashboard/oidc</code> to the app's redirect URLs (<em>OAuth &amp; "
        "Permissions</em>), as the manifests do. See the README's <em>Web dashboard</em> section.</p>",
    )


def sign_in_page(error: str | None = None) -> str:
    problem = f'<p class="error" role="alert">{h(error)}</p>' if error else ""
    return _layout(
        "Sign in",
        f"{problem}<p>The dashboard shows your workspace's prouds, sorries and commitments over quarters. "
        "Sign in with the Slack account of that workspace.</p>"
        f'<p><a class="button" href="{BASE}/login">Sign in with Slack</a></p>',
    )


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{round(100 * value)}%"


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} days"


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]], *, raw: bool = False) -> str:
    if not rows:
        return f"<p>{h(caption)}: nothing yet.</p>"
    header = "".join(f'<th scope="col">{h(cell)}</th>' for cell in head)
    body = "".join(
        "<tr>"
        + "".join(
            (
                f'<th scope="row">{cell if raw else h(cell)}</th>'
                if index == 0
                else f"<td>{cell if raw else h(cell)}</td>"
            )
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll"><table><caption>{h(caption)}</caption>'
        f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>"
    )


BY_GROUP = "Entries and people taking part, by customer group"
BY_AREA = "Entries and people taking part, by area"


def health_page(data: HabitHealth, viewer: Viewer, *, name: str, csrf: str) -> str:
    scope = "the workspace" if viewer.sees_workspace else "you"
    warning = (
        '<p class="warning" role="status"><strong>The habit is fading:</strong> participation has been 30% or more '
        "below its four-week average for two weeks running.</p>"
        if data.fading
        else ""
    )
    participation = line_chart(
        f"People taking part each week ({scope})",
        data.week_labels,
        [Series("People taking part", data.participation), Series("Average of the 4 weeks before", data.average)],
    )
    kinds = bar_chart(
        "Prouds and sorries by quarter",
        data.quarters,
        [Series("Prouds", data.prouds), Series("Sorries", data.sorries)],
    )
    causes = _table(
        "Root causes by quarter",
        ["Quarter", "Sorries", "With a root cause", "Median time to root cause"],
        [
            [quarter, str(sorries), _percent(rate), _days(days)]
            for quarter, sorries, rate, days in zip(
                data.quarters, data.sorries, data.root_cause_rate, data.days_to_root_cause, strict=True
            )
        ],
    )

    def split_rows(splits: Sequence[Split]) -> list[list[str]]:
        return [
            [s.name, *(f"{e} entries, {p} people" for e, p in zip(s.entries, s.people, strict=True))] for s in splits
        ]

    body = (
        f"<p>The last four quarters, for {h(scope)}, in your time zone ({h(viewer.zone.key)}).</p>{warning}"
        f'<section aria-labelledby="p"><h2 id="p">Participation</h2><figure>{participation}</figure></section>'
        f'<section aria-labelledby="k"><h2 id="k">Prouds and sorries</h2><figure>{kinds}</figure>{causes}</section>'
        f'<section aria-labelledby="g"><h2 id="g">By customer group</h2>'
        f"{_table(BY_GROUP, ['Customer group', *data.quarters], split_rows(data.by_group))}</section>"
        f'<section aria-labelledby="a"><h2 id="a">By area</h2>'
        f"{_table(BY_AREA, ['Area', *data.quarters], split_rows(data.by_area))}</section>"
    )
    return _layout("Habit health", body, viewer=viewer, name=name, csrf=csrf, page="health")


def groups_page(period: str, cards: Sequence[GroupCard], viewer: Viewer, *, name: str, csrf: str) -> str:
    if not cards:
        body = "<p>No customer groups yet: add them in Slack with <code>/mindset groups</code>.</p>"
    else:
        items = []
        for card in cards:
            themes = ", ".join(f"{h(term)} ({count})" for term, count in card.themes) or "none yet"
            link = f"{BASE}/entries?{urlencode({'group': card.id})}"
            future = (
                f'<p class="future"><strong>Common future:</strong> {h(card.common_future)}</p>'
                if card.common_future
                else ""
            )
            items.append(
                f'<li class="card"><h2>{h(card.name)}</h2>{future}<dl>'
                f"<dt>Prouds</dt><dd>{card.prouds}</dd><dt>Sorries</dt><dd>{card.sorries}</dd>"
                f"<dt>Open commitments</dt><dd>{card.open_commitments}</dd>"
                f"<dt>Kept commitments</dt><dd>{card.kept_commitments}</dd>"
                f"<dt>Meeting answers</dt><dd>{card.meeting_answers}</dd></dl>"
                f'<p class="themes"><strong>Themes:</strong> {themes}</p>'
                f'<p><a href="{h(link)}">Entries of {h(card.name)}</a></p></li>'
            )
        scope = "the workspace" if viewer.sees_workspace else "your own entries, commitments and answers"
        body = f'<p>{h(period)}, counting {h(scope)}.</p><ul class="cards">{"".join(items)}</ul>'
    return _layout("Customer groups", body, viewer=viewer, name=name, csrf=csrf, page="groups")


def _first(caption: str, total: int, shown: int, what: str) -> str:
    return caption if total <= shown else f"{caption} (the first {shown} of {total} {what})"


HORIZONS = {"short": "Short term (up to 6 months)", "long": "Long term"}


def _index_cell(kept: int, due: int) -> str:
    return "–" if due == 0 else f"{round(100 * kept / due)}% ({kept} of {due})"


def commitments_page(data: Commitments, viewer: Viewer, *, name: str, csrf: str) -> str:
    whose = "everyone's" if data.everyone else "yours" + (" and your reports'" if viewer.reports else "")
    summary = (
        f"<p>Open commitments ({h(whose)}): <strong>{data.open_count}</strong>, "
        f"at risk: <strong>{data.at_risk}</strong>, "
        f"overdue: <strong>{data.overdue}</strong>.</p>"
    )
    open_rows = [
        [
            line.title,
            line.owner_id,
            line.status.replace("_", " "),
            line.due.isoformat(),
            line.horizon,
            "overdue" if line.overdue else "",
        ]
        for line in data.open[:OPEN_SHOWN]
    ]
    index_rows = [
        [person.user_id, *(_index_cell(k, d) for k, d in person.by_quarter)] for person in data.index[:PEOPLE_SHOWN]
    ]
    if data.everyone:
        index_rows.insert(0, ["Whole workspace", *(_index_cell(k, d) for k, d in data.workspace_index)])
    chart = bar_chart(
        "Success Index by quarter (kept of due, %; no bar: nothing was due)",
        data.quarters,
        [
            Series(
                "Whole workspace" if data.everyone else "Yours",
                [(100 * k / d if d else None) for k, d in (data.workspace_index if data.everyone else data.own)],
            )
        ],
        top=100,
        unit="%",
    )
    body = (
        summary
        + _table(
            _first("By owner", data.owner_count, PEOPLE_SHOWN, "owners"),
            ["Owner", "Open", "At risk", "Overdue"],
            [[o, str(a), str(b), str(c)] for o, a, b, c in data.by_owner[:PEOPLE_SHOWN]],
        )
        + _table("By horizon", ["Horizon", "Open"], [[HORIZONS.get(h_, h_), str(n)] for h_, n in data.by_horizon])
        + f'<section aria-labelledby="si"><h2 id="si">Success Index</h2><figure>{chart}</figure>'
        + _table(
            _first("Success Index by quarter and person", data.people_count, PEOPLE_SHOWN, "people"),
            ["Person", *data.quarters],
            index_rows,
        )
        + "</section>"
        + '<section aria-labelledby="oc"><h2 id="oc">Open commitments</h2>'
        + _table(
            _first("Open commitments, soonest due first", data.open_count, OPEN_SHOWN, "commitments"),
            ["Title", "Owner", "Status", "Due", "Horizon", ""],
            open_rows,
        )
        + "</section>"
    )
    return _layout("Commitments", body, viewer=viewer, name=name, csrf=csrf, page="commitments")


def _select(name: str, label: str, options: Sequence[tuple[str, str]], chosen: str) -> str:
    rendered = "".join(
        f'<option value="{h(value)}"{" selected" if value == chosen else ""}>{h(text)}</option>'
        for value, text in [("", "Any"), *options]
    )
    return f'<p><label for="{name}">{h(label)}</label><select id="{name}" name="{name}">{rendered}</select></p>'


def _date_input(name: str, label: str, value: str) -> str:
    return (
        f'<p><label for="{name}">{h(label)}</label><input type="date" id="{name}" name="{name}" value="{h(value)}"></p>'
    )


def message_link(row: EntryRow, *, team_id: str, team_domain: str) -> str:
    return entry_link(row.channel_id, row.message_ts, row.source_permalink, team_id=team_id, team_domain=team_domain)


def filter_query(choice: EntryChoice) -> dict[str, str]:
    values = {
        "kind": choice.kind or "",
        "group": str(choice.group_id or ""),
        "area": choice.area or "",
        "channel": choice.channel_id or "",
        "stage": choice.stage or "",
        "since": choice.since.isoformat() if choice.since else "",
        "until": choice.until.isoformat() if choice.until else "",
    }
    return {key: value for key, value in values.items() if value}


def entries_page(
    data: EntryPage, choice: EntryChoice, viewer: Viewer, *, name: str, csrf: str, team_domain: str, problem: str | None
) -> str:
    query = filter_query(choice)
    form = (
        f'<form class="filters" method="get" action="{BASE}/entries" aria-label="Filter entries">'
        + _select("kind", "Kind", [(k.value, k.value.capitalize()) for k in EntryKind], choice.kind or "")
        + _select("group", "Customer group", [(str(i), n) for i, n in data.groups], str(choice.group_id or ""))
        + _select("area", "Area", [(a.value, label) for a, label in AREA_LABELS.items()], choice.area or "")
        + _select("stage", "Journey stage", [(s, s) for s in data.stages], choice.stage or "")
        + _select("channel", "Channel", [(c, c) for c in data.channels], choice.channel_id or "")
        + _date_input("since", "From", query.get("since", ""))
        + _date_input("until", "Until", query.get("until", ""))
        + '<p><button type="submit">Filter</button></p></form>'
    )
    error = f'<p class="error" role="alert">{h(problem)}</p>' if problem else ""
    csv_link = f"{BASE}/entries.csv" + (f"?{urlencode(query)}" if query else "")
    rows = []
    for shown in data.entries:
        row = shown.row
        link = message_link(row, team_id=viewer.team_id, team_domain=team_domain)
        when = shown.local_time.strftime("%Y-%m-%d %H:%M")
        opened = f'<a href="{h(link)}">Open in Slack</a>' if link else "not posted"
        cause = f'<p class="cause">Root cause: {h(shown.root_cause)}</p>' if shown.root_cause else ""
        rows.append(
            [
                f'<time datetime="{h(shown.local_time.isoformat())}">{h(when)}</time>',
                h(row.kind),
                h(row.author_id),
                h(row.channel_id),
                f"{h(shown.text)}{cause}",
                h(", ".join(shown.groups)),
                h(AREA_NAMES.get(row.area or "", "")),
                h(row.stage or ""),
                opened,
            ]
        )
    whose = "the workspace's" if viewer.sees_workspace else "your own"
    count = (
        f"<p>{data.total} entries match ({h(whose)} entries; times in {h(viewer.zone.key)})"
        + (f", the newest {len(data.entries)} shown" if data.total > len(data.entries) else "")
        + f'. <a href="{h(csv_link)}" download>Download them as CSV</a></p>'
    )
    table = _table(
        "Entries, newest first",
        ["When", "Kind", "Author", "Channel", "Text", "Customer groups", "Area", "Stage", "Message"],
        rows,
        raw=True,
    )
    return _layout("Entries", error + form + count + table, viewer=viewer, name=name, csrf=csrf, page="entries")
