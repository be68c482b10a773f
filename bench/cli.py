"""`python -m bench`: run the benchmarks and write their sections of bench/RESULTS.md.

Each benchmark owns one section of RESULTS.md, between `<!-- bench:KEY:begin -->` and
`<!-- bench:KEY:end -->`; running some benchmarks replaces their sections and keeps the others.
To add a benchmark, write a module with `run(options) -> Section` and add it to BENCHMARKS.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import connections, digest, engine_tick, nudges, slash, startup, storm
from bench.common import DEFAULT_PG_ADMIN_URL, Options, Section

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
FINDINGS = "findings"  # the hand-written section at the end of RESULTS.md, never overwritten


@dataclass(frozen=True)
class Benchmark:
    key: str
    number: int
    title: str
    run: Callable[[Options], Section] | None  # None: not written yet


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("slash", 1, "Slash command latency", slash.run),
    Benchmark("digest", 2, "Digest at scale", digest.run),
    Benchmark("nudges", 3, "Nudge fan-out", nudges.run),
    Benchmark("startup", 4, "Start-up and footprint", startup.run),
    Benchmark("engine", 5, "Engine tick at scale", engine_tick.run),
    Benchmark("storm", 6, "The Monday storm", storm.run),
    Benchmark("connections", 7, "Held connections", connections.run),
)

HEADER = """# Benchmark results

Written by `bench/run` (see [README.md](README.md)). Each benchmark's section is replaced when it runs
again and the others are kept, so every section carries its own date, machine and command. Medians
and ratios only: timings here are never pass/fail tests. The *Findings* at the end are written by
hand and kept as they are.
"""


def _parser() -> argparse.ArgumentParser:
    available = [b.key for b in BENCHMARKS if b.run is not None]
    parser = argparse.ArgumentParser(prog="bench/run", description="Run the benchmarks; write bench/RESULTS.md.")
    parser.add_argument(
        "--only",
        default=",".join(available),
        help=f"comma-separated benchmarks to run (default: all present: {','.join(available)})",
    )
    parser.add_argument("--requests", type=int, default=2000, help="slash: /proud requests per run (default 2000)")
    parser.add_argument("--concurrency", default="1,10,50", help="slash: concurrency levels (default 1,10,50)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="slash, digest, nudges, storm: runs per configuration (default 3)"
    )
    parser.add_argument("--warmup", type=int, default=300, help="slash: warm-up requests per server (default 300)")
    parser.add_argument("--launches", type=int, default=5, help="startup: counted launches (default 5)")
    parser.add_argument(
        "--footprint",
        type=int,
        default=10000,
        help="startup: RSS after this many /proud requests and after twice as many (default 10000; 0 skips)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes for a smoke run (digest: a tenth of the workspaces; nudges: a tenth of the nudges)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="digest: generate the workspaces again instead of reusing the cached ones",
    )
    parser.add_argument("--digest-runs", type=int, default=5, help="digest: warm composes per process (default 5)")
    parser.add_argument(
        "--try-fix",
        action="store_true",
        help="digest: try the proposed indexes even when the targets are met",
    )
    parser.add_argument("--nudges", type=int, default=10000, help="nudges: due nudges per run (default 10000)")
    parser.add_argument(
        "--nudge-rate",
        type=int,
        default=100,
        help="nudges: chat.postMessage per second the rate-limited fake Slack allows (default 100; 0 leaves out the "
        "rate-limited runs)",
    )
    parser.add_argument(
        "--connections", type=int, default=5000, help="connections: TCP connections held (default 5000)"
    )
    parser.add_argument(
        "--hold-seconds", type=float, default=20.0, help="connections: seconds per holding phase (default 20)"
    )
    parser.add_argument(
        "--engine-scale",
        type=float,
        default=1.0,
        help="engine: the deployment's size as a fraction of the issue's 1,000 workspaces (default 1.0)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("MINDSET_BENCH_PG_URL") or os.environ.get("MINDSET_TEST_PG_URL") or DEFAULT_PG_ADMIN_URL,
        help="SQLAlchemy URL of a PostgreSQL database the user may create databases from "
        f"(default $MINDSET_BENCH_PG_URL, $MINDSET_TEST_PG_URL or {DEFAULT_PG_ADMIN_URL})",
    )
    parser.add_argument("--no-postgres", action="store_true", help="slash, digest, nudges: SQLite only")
    parser.add_argument(
        "--no-minimal",
        action="store_true",
        help="slash: leave out the minimal references (bench/minimal.py: store; store and post)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="slash, digest, nudges: also measure this copy of the project (a folder with bot/, handlers/, "
        "storage/) beside the code as installed; may be given more than once",
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="where to write the results (default: %(default)s)"
    )
    parser.add_argument("--keep-workdir", action="store_true", help="keep logs and databases (their folder is printed)")
    return parser


def merge_sections(previous: str, sections: dict[str, str]) -> str:
    """RESULTS.md with `sections` (by key) replaced and every other benchmark's section kept."""
    kept: dict[str, str] = {}
    for match in re.finditer(r"<!-- bench:(\w+):begin -->\n(.*?)\n<!-- bench:\1:end -->", previous, re.S):
        kept[match.group(1)] = match.group(2)
    kept.update(sections)
    parts = [HEADER]
    for bench in BENCHMARKS:
        body = kept.get(bench.key) or f"## {bench.number}. {bench.title}\n\nNot run yet."
        parts.append(f"<!-- bench:{bench.key}:begin -->\n{body.strip()}\n<!-- bench:{bench.key}:end -->\n")
    # written by hand (what the numbers mean, profiles, proposed fixes): kept as it is
    if FINDINGS in kept:
        parts.append(f"<!-- bench:{FINDINGS}:begin -->\n{kept[FINDINGS].strip()}\n<!-- bench:{FINDINGS}:end -->\n")
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    wanted = [key.strip() for key in args.only.split(",") if key.strip()]
    known = {b.key: b for b in BENCHMARKS}
    for key in wanted:
        if key not in known:
            print(f"bench: unknown benchmark {key!r}; known: {', '.join(known)}", file=sys.stderr)
            return 2
        if known[key].run is None:
            print(f"bench: benchmark {key!r} is not written yet", file=sys.stderr)
            return 2
    workdir = Path(tempfile.mkdtemp(prefix="mindset-bench-"))
    command = os.environ.get("BENCH_COMMAND") or "python -m bench"
    options = Options(
        requests=args.requests,
        concurrency=tuple(int(c) for c in args.concurrency.split(",") if c.strip()),
        repeats=args.repeats,
        warmup=args.warmup,
        launches=args.launches,
        footprint=args.footprint,
        pg_admin_url=None if args.no_postgres else args.pg_url,
        workdir=workdir,
        compare=tuple(args.compare),
        quick=args.quick,
        fresh=args.fresh,
        digest_runs=args.digest_runs,
        try_fix=args.try_fix,
        nudges=args.nudges // 10 if args.quick else args.nudges,
        nudge_rate=args.nudge_rate,
        minimal=not args.no_minimal,
        connections=args.connections,
        hold_seconds=args.hold_seconds,
        engine_scale=args.engine_scale,
        command=" ".join([command, *(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))]),
    )
    sections: dict[str, str] = {}
    summary: list[str] = []
    try:
        for bench in BENCHMARKS:
            if bench.key not in wanted or bench.run is None:
                continue
            print(f"== {bench.number}. {bench.title}", flush=True)
            started = time.monotonic()
            section = bench.run(options)
            sections[bench.key] = section.markdown
            for target in section.targets:
                summary.append(f"  [{'met' if target.met else 'MISSED'}] {target.what}: {target.detail}")
            summary += [f"  note: {note}" for note in section.notes]
            print(f"== {bench.title}: {time.monotonic() - started:.0f} s", flush=True)
            previous = args.results.read_text() if args.results.exists() else ""
            args.results.write_text(merge_sections(previous, sections))
    finally:
        if args.keep_workdir:
            print(f"logs and databases kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nwrote {args.results}")
    print("\n".join(summary))
    return 0
