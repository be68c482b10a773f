"""Benchmark 2: digest at scale.

A generated workspace (bench/digest_data.py: 5,000 people, 40 customer groups, 1,000,000 entries over three
years, 100,000 action items, 20,000 meeting occurrences) on PostgreSQL, and the same workspace with only
100,000 entries of history (the same weekly volume, 15.6 weeks); on SQLite both at a tenth of the size. One
ambassador's weekly digest (`bot.digest.compose.compose`) of a recent complete week is composed in a process
of its own (bench/digest_worker.py), cold and warm, with its statements counted; then rendered and charted.

The generated databases are kept between runs (PostgreSQL: databases named `mindset_bench_digest_*`, their
generation facts in the database's comment; SQLite: bench/.cache/) and made again when the generator, the
spec or the migrations change, or with `--fresh`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bench.common import Options, Section, Target, facts_block, fmt_ms, fmt_num, machine_facts, median, table
from bench.digest_data import NOW, READER, WEEK_MONDAY, Generated, Spec, build
from bench.procs import REPO

CACHE = Path(__file__).resolve().parent / ".cache"
PG_PREFIX = "mindset_bench_digest_"
TARGET_SECONDS = 1.0
TARGET_RATIO = 1.3
WORKER_TIMEOUT = 1800.0
# the indexes proposed when a target is missed (in the code since migration 0006),
# tried in the benchmark databases and dropped again: (name, table, columns)
PROPOSED_INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("bench_proposed_entries_root_cause", "entries", ("team_id", "root_cause_at")),
    ("bench_proposed_action_events_moves", "action_events", ("team_id", "kind", "new_value")),
)
AS_IS = "as is"
WITH_INDEXES = "as is + indexes"


def specs(quick: bool) -> list[tuple[str, str, Spec]]:
    """(backend, role, spec): the long history and the short one on each database."""
    scale = 10 if quick else 1
    full = Spec("full", people=5000, groups=40, entries=1_000_000, actions=100_000, prompts=20_000, weeks=156)
    found = []
    for backend, factor in (("postgresql", scale), ("sqlite", 10 * scale)):
        people = max(50, full.people // factor)
        long = Spec(
            f"{'q' if quick else ''}{backend[:2]}-long",
            people=people,
            groups=full.groups,
            entries=full.entries // factor,
            actions=full.actions // factor,
            prompts=full.prompts // factor,
            weeks=full.weeks,
        )
        short = Spec(
            f"{'q' if quick else ''}{backend[:2]}-short",
            people=people,
            groups=full.groups,
            entries=long.entries // 10,
            actions=long.actions // 10,
            prompts=long.prompts // 10,
            weeks=full.weeks / 10,
        )
        found += [(backend, "long", long), (backend, "short", short)]
    return found


@dataclass
class Dataset:
    backend: str  # postgresql | sqlite
    role: str  # long | short
    spec: Spec
    url: str  # for the bot's make_engine (postgresql+psycopg://… or sqlite:///…)
    generated: Generated
    cached: bool
    size_bytes: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)
    # the proposed fix: runs per variant (AS_IS with the indexes, or a --compare copy with them)
    fix_runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        name = "PostgreSQL" if self.backend == "postgresql" else "SQLite"
        history = "3 years" if self.role == "long" else f"{self.spec.weeks:g} weeks"
        return f"{name}, {self.spec.entries:,} entries ({history})"

    def all_runs(self) -> list[dict[str, Any]]:
        return self.runs + [run for runs in self.fix_runs.values() for run in runs]


# -- the databases --------------------------------------------------------------------------------


def _pg_dataset(admin_url: str, role: str, spec: Spec, *, fresh: bool) -> Dataset:
    name = PG_PREFIX + spec.label.replace("-", "_")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            comment = connection.execute(
                text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
        generated = _cached(comment, spec) if exists and not fresh else None
        if generated is not None:
            print(f"[digest] {spec.label}: cached PostgreSQL database {name}", flush=True)
            return Dataset("postgresql", role, spec, url, generated, True, _pg_size(admin, name))
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        print(f"[digest] {spec.label}: generating PostgreSQL database {name}", flush=True)
        engine = create_engine(url)
        try:
            generated = build(engine, spec)
        except BaseException:
            engine.dispose()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            raise
        engine.dispose()
        with admin.connect() as connection:
            quoted = generated.to_json().replace("'", "''")
            connection.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{quoted}'"))
        return Dataset("postgresql", role, spec, url, generated, False, _pg_size(admin, name))
    finally:
        admin.dispose()


def _pg_size(admin: Any, name: str) -> int:
    with admin.connect() as connection:
        return int(connection.execute(text("SELECT pg_database_size(:n)"), {"n": name}).scalar() or 0)


def _cached(comment: str | None, spec: Spec) -> Generated | None:
    if not comment:
        return None
    try:
        generated = Generated.from_json(comment)
    except (ValueError, TypeError):
        return None
    return generated if generated.fingerprint == spec.fingerprint() else None


def _sqlite_dataset(role: str, spec: Spec, *, fresh: bool) -> Dataset:
    from storage.db import make_engine

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"digest-{spec.label}.db"
    meta = path.with_suffix(".json")
    url = f"sqlite:///{path}"
    generated = _cached(meta.read_text(), spec) if meta.exists() and path.exists() and not fresh else None
    if generated is not None:
        print(f"[digest] {spec.label}: cached SQLite database {path.name}", flush=True)
        return Dataset("sqlite", role, spec, url, generated, True, path.stat().st_size)
    for stale in (path, meta, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    print(f"[digest] {spec.label}: generating SQLite database {path.name}", flush=True)
    engine = make_engine(url)
    try:
        generated = build(engine, spec)
    except BaseException:
        engine.dispose()
        path.unlink(missing_ok=True)
        raise
    engine.dispose()
    meta.write_text(generated.to_json())
    return Dataset("sqlite", role, spec, url, generated, False, path.stat().st_size)


def datasets(options: Options, notes: list[str]) -> list[Dataset]:
    found = []
    for backend, role, spec in specs(options.quick):
        if backend == "postgresql":
            if not options.pg_admin_url:
                continue
            try:
                found.append(_pg_dataset(options.pg_admin_url, role, spec, fresh=options.fresh))
            except Exception as error:
                notes.append(f"PostgreSQL skipped: {str(error).splitlines()[0]}")
                options.pg_admin_url = None
        else:
            found.append(_sqlite_dataset(role, spec, fresh=options.fresh))
    return found


# -- measuring ------------------------------------------------------------------------------------


def _worker(
    dataset: Dataset,
    workdir: Path,
    *,
    runs: int,
    code: Path | None = None,
    explain: int = 0,
    breakdown: bool = False,
    profile: Path | None = None,
) -> dict[str, Any]:
    """One measuring process. `code`: a copy of the project whose bot/, handlers/, storage/ are imported instead."""
    argv = [sys.executable, "-m", "bench.digest_worker", "--url", dataset.url, "--runs", str(runs)]
    if explain:
        argv += ["--explain", str(explain)]
    if breakdown:
        argv.append("--breakdown")
    if profile is not None:
        argv += ["--profile", str(profile)]
    # run from the work folder, not the checkout: the current folder comes first on sys.path
    paths = [str(code.resolve())] if code is not None else []
    paths += [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, env=env, timeout=WORKER_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"digest worker failed on {dataset.label}:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _warm(runs: list[dict[str, Any]]) -> list[float]:
    return [seconds for run in runs for seconds in run["warm"]]


def _med(runs: list[dict[str, Any]], key: str) -> float:
    return median([value for run in runs for value in run[key]])


def _check(dataset: Dataset, run: dict[str, Any]) -> list[str]:
    """What the digest says must match what was generated."""
    says, expected = run["says"], dataset.generated.expected
    problems = []
    for what, key in (("prouds", "week_prouds"), ("sorries", "week_sorries")):
        if says[what] != expected.get(key):
            problems.append(
                f"{dataset.label}: the digest counts {says[what]} {what}, {expected.get(key)} were generated"
            )
    if says["prouds_quoted"] == 0 or says["themes"] == 0 or says["groups"] == 0:
        problems.append(f"{dataset.label}: an empty digest ({says})")
    return problems


def _missing_indexes(dataset: Dataset) -> list[tuple[str, str, tuple[str, ...]]]:
    """The proposed indexes whose columns no index of the database has yet (the patch may be applied)."""
    engine = create_engine(dataset.url)
    try:
        found = inspect(engine)
        return [
            index
            for index in PROPOSED_INDEXES
            if not any(tuple(i["column_names"]) == index[2] for i in found.get_indexes(index[1]))
        ]
    finally:
        engine.dispose()


@contextlib.contextmanager
def proposed_indexes(dataset: Dataset, indexes: list[tuple[str, str, tuple[str, ...]]]) -> Iterator[float]:
    """The proposed indexes, in the benchmark database for as long as the block runs; yields the seconds
    they took to build."""
    engine = create_engine(dataset.url)
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            for name, table_name, columns in indexes:
                connection.execute(text(f"CREATE INDEX {name} ON {table_name} ({', '.join(columns)})"))
            connection.execute(text("ANALYZE"))
            connection.commit()
        yield time.perf_counter() - started
    finally:
        with engine.connect() as connection:
            for name, _table, _columns in indexes:
                connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
            if dataset.backend == "postgresql":
                connection.execute(text("ANALYZE"))
            else:
                connection.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))  # as generated: never analysed
            connection.commit()
        engine.dispose()


def run(options: Options) -> Section:
    workdir = options.workdir / "digest"
    workdir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    facts = machine_facts(options.pg_admin_url)
    started = time.monotonic()
    found = datasets(options, notes)
    problems: list[str] = []
    rounds = options.repeats
    for number in range(rounds):
        order = found[number % len(found) :] + found[: number % len(found)]
        for dataset in order:
            result = _worker(dataset, workdir, runs=options.digest_runs)
            dataset.runs.append(result)
            problems += _check(dataset, result)
            print(
                f"[digest] round {number + 1}/{rounds} {dataset.label:<42} cold {result['cold']:.3f} s, "
                f"warm median {median(result['warm']):.3f} s, {result['statements'][0]} statements",
                flush=True,
            )
    # where the time goes: one more process per long history with the breakdown, plans and a profile
    details: dict[str, dict[str, Any]] = {}
    for dataset in found:
        if dataset.role == "long":
            profile = workdir / f"pyinstrument-{dataset.spec.label}.txt"
            details[dataset.backend] = _worker(dataset, workdir, runs=1, explain=3, breakdown=True, profile=profile)
            if profile.exists():
                details[dataset.backend]["profile_text"] = profile.read_text()
    missed = any(
        median(_warm(d.runs)) >= TARGET_SECONDS or _ratio(found, d.backend, AS_IS) > TARGET_RATIO
        for d in found
        if d.role == "long"
    )
    # the proposed fix, tried in the benchmark databases (and dropped again) when a target is missed
    variants: list[tuple[str, Path | None]] = [(WITH_INDEXES, None)]
    variants += [(f"{code.name} + indexes", code) for code in options.compare]
    if missed or options.try_fix or options.compare:
        for dataset in found:
            missing = _missing_indexes(dataset)
            if not missing:
                notes.append(f"{dataset.label}: the proposed indexes exist already; the fix was not tried")
                continue
            with proposed_indexes(dataset, missing) as seconds:
                print(f"[digest] {dataset.label}: proposed indexes built in {seconds:.1f} s", flush=True)
                for number in range(max(1, rounds - 1)):
                    for name, code in variants[number % len(variants) :] + variants[: number % len(variants)]:
                        result = _worker(dataset, workdir, runs=options.digest_runs, code=code)
                        dataset.fix_runs.setdefault(name, []).append(result)
                        problems += _check(dataset, result)
                        print(
                            f"[digest] fix {number + 1} {dataset.label:<42} {name:<28} warm median "
                            f"{median(result['warm']):.3f} s, {result['statements'][0]} statements",
                            flush=True,
                        )
    elapsed = time.monotonic() - started
    return _section(options, facts, found, details, [name for name, _ in variants], problems, notes, elapsed)


def _runs(dataset: Dataset, variant: str) -> list[dict[str, Any]]:
    return dataset.runs if variant == AS_IS else dataset.fix_runs.get(variant, [])


def _ratio(found: list[Dataset], backend: str, variant: str) -> float:
    def warm_of(role: str) -> float:
        for dataset in found:
            if dataset.backend == backend and dataset.role == role:
                return median(_warm(_runs(dataset, variant)))
        return math.nan

    return warm_of("long") / warm_of("short")


# -- the section ------------------------------------------------------------------------------------


def _section(
    options: Options,
    facts: list[tuple[str, str]],
    found: list[Dataset],
    details: dict[str, dict[str, Any]],
    variants: list[str],
    problems: list[str],
    notes: list[str],
    elapsed: float,
) -> Section:
    week = f"{WEEK_MONDAY.isocalendar()[0]}-W{WEEK_MONDAY.isocalendar()[1]:02d}"
    parts = [
        "## 2. Digest at scale",
        facts_block(facts, options.command),
        f"One ambassador's weekly digest (`bot.digest.compose.compose`) of {week} (Monday {WEEK_MONDAY:%d %B %Y} to "
        f"Sunday, Europe/Berlin), composed as the engine would at {NOW:%Y-%m-%d %H:%M} UTC, for `{READER}` (3 "
        "customer groups, member of some private channels), from generated workspaces (bench/digest_data.py). "
        f"Each database is measured by {options.repeats} fresh processes (bench/digest_worker.py, with the bot's "
        "own `make_engine`), interleaved; each process composes once *cold* (its first compose: empty SQLAlchemy "
        "caches, a new connection; the database's own cache as it is), once to warm up, then "
        f"{options.digest_runs} times *warm*. Medians over all processes. Took {elapsed / 60:.1f} min.",
    ]
    parts += _workspaces(found, week)
    parts += _results(found)
    targets = _targets(found, problems)
    parts += ["### Targets", table(["target", "result", "measured"], [[t.what, t.mark, t.detail] for t in targets])]
    for backend, detail in details.items():
        parts += _where("PostgreSQL" if backend == "postgresql" else "SQLite", detail)
    parts += _fix(options, found, variants)
    if problems:
        parts += ["### Problems", "\n".join(f"- {problem}" for problem in sorted(set(problems))[:20])]
    if notes:
        parts.append("\n".join(f"- {note}" for note in notes))
    return Section(markdown="\n\n".join(parts), targets=targets, notes=notes)


def _workspaces(found: list[Dataset], week: str) -> list[str]:
    rows = []
    for dataset in found:
        generated = dataset.generated
        r = generated.rows
        rows.append(
            [
                dataset.label,
                f"{dataset.spec.people:,}",
                f"{r.get('entries', 0):,}",
                f"{r.get('entry_customer_groups', 0):,}",
                f"{r.get('action_items', 0):,} / {r.get('action_events', 0):,}",
                f"{r.get('meeting_prompts', 0):,} / {r.get('meeting_answers', 0):,}",
                f"{generated.expected.get('week_prouds', 0) + generated.expected.get('week_sorries', 0):,}",
                f"{dataset.size_bytes / 2**20:,.0f}",
                f"{generated.seconds:.0f}" + (f" (cached, made {generated.generated_at})" if dataset.cached else ""),
            ]
        )
    return [
        "### The workspaces",
        table(
            [
                "database",
                "people",
                "entries",
                "entry–group tags",
                "action items / events",
                "prompts / answers",
                f"entries in {week}",
                "size MiB",
                "generation s",
            ],
            rows,
        ),
        "Each has 40 customer groups, a channel per 12 people (1 in 12 private with members, 1 in 40 never "
        "checked) and 12 ambassadors. Entries: about 30 % sorries (60 % of them with a root cause), half tagged with "
        "one or two groups, 70 % with an area, in working hours with quiet weekends, Christmas and summer; the "
        "recent weeks are the same in the long and the short history. Action items: due 3–120 days after creation "
        "(15 % long term), 15 % rescheduled (events with the new date), most past-due ones closed, a few notes. "
        "Meetings: weekly ones, prompts answered for about half, a few `/meeting now`. PostgreSQL is loaded with "
        "COPY and VACUUM ANALYZEd; SQLite with executemany and never analysed (as the bot leaves it). *Generation "
        "s*: migrations, generating and loading.",
    ]


def _results(found: list[Dataset]) -> list[str]:
    rows = []
    says_rows = []
    for dataset in found:
        runs = dataset.runs
        warm = _warm(runs)
        rows.append(
            [
                dataset.label,
                fmt_ms(median([run["cold"] for run in runs])),
                f"**{fmt_ms(median(warm))}**",
                f"{fmt_ms(min(warm))}–{fmt_ms(max(warm))}" if warm else "n/a",
                fmt_ms(_med(runs, "db_seconds")),
                fmt_num(median([float(run["statements"][0]) for run in runs])),
                fmt_ms(_med(runs, "render")),
                fmt_ms(_med(runs, "chart")),
            ]
        )
        says = runs[-1]["says"] if runs else {}
        says_rows.append(
            [dataset.label]
            + [
                f"{says.get(key, 0):,}"
                for key in (
                    "prouds",
                    "sorries",
                    "people_taking_part",
                    "open_sorries",
                    "overdue",
                    "success_due",
                    "meeting_prompts",
                    "contributors",
                )
            ]
        )
    return [
        "### Results (medians)",
        table(
            [
                "database",
                "compose, cold ms",
                "compose, warm ms",
                "warm min–max ms",
                "of which in the database ms",
                "statements per digest",
                "`digest_blocks` ms",
                "`participation_png` ms",
            ],
            rows,
        ),
        "*In the database*: from cursor execute to its return, summed (SQLAlchemy's `before_cursor_execute` and "
        "`after_cursor_execute` events on the engine, which also count the statements); the rest is Python: "
        "building rows and objects, themes, the digest itself.",
        "What each digest says (the long and the short history differ where the history itself does: items "
        "promised before the short history began are missing from its quarter and its overdue list):",
        table(
            [
                "database",
                "prouds",
                "sorries",
                "people taking part",
                "sorries without cause",
                "items overdue",
                "Success Index: due this quarter",
                "meeting prompts",
                "people thanked",
            ],
            says_rows,
        ),
    ]


def _targets(found: list[Dataset], problems: list[str]) -> list[Target]:
    targets: list[Target] = []
    for backend, name, size in (("postgresql", "PostgreSQL", ""), ("sqlite", "SQLite", ", a tenth of the size")):
        long = next((d for d in found if d.backend == backend and d.role == "long"), None)
        short = next((d for d in found if d.backend == backend and d.role == "short"), None)
        if long is None or short is None:
            continue
        warm = median(_warm(long.runs))
        targets.append(
            Target(
                f"{name}{size}: one ambassador's weekly digest from {long.spec.entries:,} entries in under "
                f"{TARGET_SECONDS:g} s (warm median)",
                warm < TARGET_SECONDS,
                f"{warm:.3f} s (cold {median([run['cold'] for run in long.runs]):.3f} s)",
            )
        )
        ratio = _ratio(found, backend, AS_IS)
        targets.append(
            Target(
                f"{name}{size}: the same digest from {short.spec.entries:,} entries of history within "
                f"{TARGET_RATIO:g} × (long ÷ short)",
                ratio <= TARGET_RATIO,
                f"{ratio:.2f} × ({median(_warm(long.runs)):.3f} s ÷ {median(_warm(short.runs)):.3f} s)",
            )
        )
    checked = sum(len(d.all_runs()) for d in found)
    bad = len({problem.split(":")[0] for problem in problems})
    targets.append(
        Target(
            "the digest is right: its proud and sorry counts for the week are those generated; it quotes, finds "
            "themes and lists groups",
            not problems,
            f"{checked} processes checked, "
            + ("no problem" if not problems else f"problems on {bad} database(s), see below"),
        )
    )
    return targets


def _where(name: str, detail: dict[str, Any]) -> list[str]:
    parts = [f"### Where the time goes: {name}, long history (one more process, code as it is)"]
    breakdown = detail.get("breakdown")
    if breakdown:
        total = breakdown["total"]
        ranked = sorted(breakdown["parts"].items(), key=lambda item: -item[1][1])
        rows = [
            [label, str(calls), fmt_ms(seconds), f"{100 * seconds / total:.0f} %"] for label, (calls, seconds) in ranked
        ]
        rest = total - sum(seconds for _, (_, seconds) in ranked)
        rows.append(["the rest of `compose` (Python)", "", fmt_ms(rest), f"{100 * rest / total:.0f} %"])
        parts += [
            f"One compose with the digest's data functions wrapped in timers ({fmt_ms(total)} ms in all; outermost "
            "calls only, so a function's own statements and Python are both in its row):",
            table(["step", "calls", "ms", "share"], rows),
        ]
    top = detail.get("top") or []
    if top:
        parts += [
            "The statements of a warm compose that took longest, by text:",
            table(
                ["statement", "calls", "ms in all"],
                [[f"`{row['sql']}`", str(row["calls"]), fmt_ms(row["seconds"])] for row in top[:6]],
            ),
        ]
    for plan in detail.get("explain") or []:
        lines = "\n".join(plan["plan"][:45])
        parts.append(
            f"<details><summary>Plan of a statement run {plan['calls']}× ({fmt_ms(plan['seconds'])} ms in all): "
            f"<code>{plan['sql'][:100]}…</code></summary>\n\n```\n{plan['sql']}\n\n{lines}\n```\n\n</details>"
        )
    profile = str(detail.get("profile_text") or "")
    if profile:
        body = "\n".join(line.rstrip() for line in profile.strip().splitlines()[:60])
        parts.append(
            "<details><summary>pyinstrument, three warm composes (frames under 1 % hidden)</summary>\n\n"
            f"```\n{body}\n```\n\n</details>"
        )
    return parts


def _fix(options: Options, found: list[Dataset], variants: list[str]) -> list[str]:
    tried = [d for d in found if d.fix_runs]
    if not tried:
        return []
    names = [name for name in variants if any(name in d.fix_runs for d in tried)]
    rows = []
    for dataset in tried:
        base = median(_warm(dataset.runs))
        row = [dataset.label, fmt_ms(base)]
        for name in names:
            warm = median(_warm(dataset.fix_runs.get(name, [])))
            statements = median([float(run["statements"][0]) for run in dataset.fix_runs.get(name, [])])
            row.append(f"**{fmt_ms(warm)}** ({warm / base:.2f} × the time, {fmt_num(statements)} statements)")
        rows.append(row)
    ratio_rows = []
    for backend, name in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        if not any(d.backend == backend for d in tried):
            continue
        ratio_rows.append([name] + [f"{_ratio(found, backend, v):.2f} ×" for v in [AS_IS, *names]])
    index_list = "; ".join(f"`{table_name} ({', '.join(columns)})`" for _, table_name, columns in PROPOSED_INDEXES)
    return [
        "### The proposed fix, tried in the benchmark databases",
        f"Indexes {index_list} were created in each benchmark database (then ANALYZE), measured by "
        f"{max(1, options.repeats - 1)} more process(es) per variant, and dropped again: the cached databases keep "
        "the schema the migrations make. "
        + (
            "Variants named after a folder ran that copy of the project (`--compare`) with the same indexes."
            if len(names) > 1
            else "Pass `--compare DIR` (a copy of the project with a patch applied) to measure code changes too."
        ),
        table(["database", "warm ms as it is", *[f"warm ms, {name}" for name in names]], rows),
        "Long ÷ short history:",
        table(["database", AS_IS, *names], ratio_rows),
    ]
