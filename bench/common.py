"""What the benchmarks share: options, statistics, machine facts, signed `/proud` requests, Markdown."""

from __future__ import annotations

import hashlib
import hmac
import importlib.metadata
import math
import os
import platform
import secrets
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Options:
    requests: int = 2000
    concurrency: tuple[int, ...] = (1, 10, 50)
    repeats: int = 3
    warmup: int = 300
    launches: int = 5
    footprint: int = 10000  # RSS after this many /proud requests and after twice as many
    pg_admin_url: str | None = DEFAULT_PG_ADMIN_URL
    workdir: Path = Path("/tmp")
    command: str = "bench/run"
    compare: tuple[Path, ...] = ()  # copies of the project served beside the bot (slash, nudges)
    quick: bool = False  # smaller sizes, for a smoke run
    fresh: bool = False  # digest: generate the databases again instead of reusing the cached ones
    digest_runs: int = 5  # digest: warm composes per process
    try_fix: bool = False  # digest: try the proposed index even when the targets are met
    nudges: int = 10000  # nudges: due deliveries per run
    nudge_rate: int = 100  # nudges: chat.postMessage per second the rate-limited fake Slack allows
    minimal: bool = True  # slash: also serve the minimal references (bench/minimal.py)
    connections: int = 5000  # connections: TCP connections held against the bot
    hold_seconds: float = 20.0  # connections: seconds each holding phase lasts
    engine_scale: float = 1.0  # engine: the deployment's size as a fraction of the (and a tenth of it)


@dataclass
class Target:
    """One target of the issue and whether this run met it."""

    what: str
    met: bool
    detail: str

    @property
    def mark(self) -> str:
        return "met" if self.met else "**missed**"


@dataclass
class Section:
    markdown: str
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- statistics ---------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def median(values: Sequence[float]) -> float:
    present = [value for value in values if not math.isnan(value)]
    return statistics.median(present) if present else math.nan


# -- signed slash commands --------------------------------------------------------------------


class ProudLoad:
    """`/proud <text>` requests for one run: a team and channel of their own, a distinct trigger and text each.

    Bodies are built up front; each request is signed when it is sent (one HMAC), so its timestamp is
    always fresh, however long the run takes.
    """

    def __init__(self, run_id: str, *, total: int, signing_secret: str, port: int, response_url: str) -> None:
        self.team = f"TB{run_id}"
        self.channel = f"CB{run_id}"
        self.total = total
        self._secret = signing_secret.encode()
        self._head = (
            f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
        ).encode()
        nonce = secrets.token_hex(3)
        self._bodies = [
            urlencode(
                {
                    "token": "verification_token",
                    "command": "/proud",
                    "text": f"Bench {run_id} #{index}: called the clinic back the same day about their export",
                    "user_id": f"UB{index % 97:03d}",
                    "user_name": "bench",
                    "channel_id": self.channel,
                    "channel_name": "bench",
                    "team_id": self.team,
                    "team_domain": "bench",
                    "api_app_id": "ABENCH",
                    "is_enterprise_install": "false",
                    "response_url": response_url,
                    "trigger_id": f"{run_id}.{index}.{nonce}",
                }
            ).encode()
            for index in range(total)
        ]

    def build(self, index: int) -> bytes:
        body = self._bodies[index]
        timestamp = str(int(time.time())).encode()
        signature = hmac.new(self._secret, b"v0:" + timestamp + b":" + body, hashlib.sha256).hexdigest().encode()
        return b"".join(
            (
                self._head,
                b"Content-Length: ",
                str(len(body)).encode(),
                b"\r\nX-Slack-Request-Timestamp: ",
                timestamp,
                b"\r\nX-Slack-Signature: v0=",
                signature,
                b"\r\n\r\n",
                body,
            )
        )

    @staticmethod
    def check_bot(_index: int, status: int, body: bytes) -> str | None:
        """The bot's answer must be a 200 that says the entry was saved."""
        if status != 200:
            return f"status {status}: {body[:200]!r}"
        if b"Saved your proud" not in body:
            return f"200 without 'Saved your proud': {body[:200]!r}"
        return None

    @staticmethod
    def check_floor(_index: int, status: int, body: bytes) -> str | None:
        return None if status == 200 else f"status {status}: {body[:200]!r}"


# -- machine facts -------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def postgres_version(admin_url: str | None) -> str | None:
    if not admin_url:
        return None
    try:
        engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            version = str(connection.execute(text("SHOW server_version")).scalar())
        engine.dispose()
        return version
    except Exception:
        return None


def code_state() -> str:
    """The commit benchmarked, and whether the working tree differed from it."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%h %s"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "bot",
                "handlers",
                "storage",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    dirty = f"; {len(changed)} file(s) of bot/, handlers/, storage/ modified in the working tree" if changed else ""
    return f"`{head[:90]}`{dirty}"


def machine_facts(pg_admin_url: str | None) -> list[tuple[str, str]]:
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    facts = [
        ("Date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", f"{_cpu_model()}, {os.cpu_count()} cores"),
        ("Memory", _memory_gib()),
        ("OS", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        (
            "Packages",
            ", ".join(
                f"{name} {_version(name)}"
                for name in ("slack-bolt", "slack-sdk", "uvicorn", "SQLAlchemy", "psycopg", "alembic")
            ),
        ),
        ("Code", code_state()),
        ("Load average at start", " ".join(load)),
    ]
    pg = postgres_version(pg_admin_url)
    if pg:
        facts.append(("PostgreSQL", pg))
    return facts


def facts_block(facts: list[tuple[str, str]], command: str) -> str:
    lines = [f"- **{name}:** {value}" for name, value in facts]
    lines.append(f"- **Command:** `{command}`")
    return "\n".join(lines)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def fmt_ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def fmt_num(value: float, digits: int = 0) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"
