"""Benchmark 6's engine: `mindset-bot scheduler` itself, its clock set to a moment of the generated workspace.

    python -m bench.storm_engine --at 2026-11-23T08:00:00+00:00 [--alone]

The generated workspace's week is 2026-W47 and its digests are due on Monday 23 November at 09:00 in
Berlin; the engine's clock (the one `Deps` carries, which the engine's ticks, plans and sends read) starts at
`--at` and runs at the speed of the real one. Everything else is `bot.cli.main(["scheduler"])` as deployed.
`--alone` composes each digest on its own (the engine before the common part was shared), for the baseline.
`--only-digests` plans digests alone: the generated workspace also has hundreds of other nudges due at that
moment (overdue items, check-ins), which are benchmarks 3 and 5's matter and would bury the digests' timing.
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import UTC, datetime
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--at", required=True, type=datetime.fromisoformat)
    parser.add_argument("--alone", action="store_true")
    parser.add_argument("--only-digests", action="store_true")
    args = parser.parse_args()

    from bot import cli

    offset = args.at - datetime.now(UTC)

    def clock() -> datetime:
        return datetime.now(UTC) + offset

    make_engine = cli._nudge_engine

    def shifted_engine(wiring: Any) -> Any:
        engine = make_engine(dataclasses.replace(wiring, deps=dataclasses.replace(wiring.deps, clock=clock)))
        if args.alone:
            engine.digests = None
        if args.only_digests:
            engine.planners = [planner for planner in engine.planners if planner.name == "digests"]
        return engine

    cli._nudge_engine = shifted_engine  # type: ignore[assignment]
    return cli.main(["scheduler"])


if __name__ == "__main__":
    raise SystemExit(main())
