"""Starting, watching and stopping the processes a benchmark needs: the fake Slack, the bot, the floors."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, text

REPO = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HTTP_THREADS = 16  # the bot's default (README: HTTP_THREADS); the floors get the same


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def console_script(name: str) -> Path:
    """A console script of the interpreter running the benchmark (its venv's bin/)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"{path} is missing: install the project into this venv first (bench/run does)")
    return path


# -- /proc ------------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    """Resident memory (VmRSS) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def hwm_kib(pid: int) -> int:
    """Peak resident memory (VmHWM) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


# -- HTTP helpers -----------------------------------------------------------------------------


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def wait_healthy(url: str, proc: Proc, *, timeout: float = 60.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            tail = "\n".join(proc.log_lines()[-15:])
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode} before answering {url}:\n{tail}")
        with contextlib.suppress(OSError):
            if http_get(url, timeout=2.0)[0] == 200:
                return
        time.sleep(interval)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


# -- processes --------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        return int(self.popen.pid)

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()

    def log_lines(self) -> list[str]:
        if self.log_path is None or not self.log_path.exists():
            return []
        return self.log_path.read_text(errors="replace").splitlines()

    def queue_warnings(self) -> int:
        """Waitress warns "Task queue depth is N" when every worker thread is busy and requests wait. The bot
        lets one through a minute and adds "(K more like it …)"; those held back are counted too, except the
        ones after the last line let through (a lower bound, then)."""
        count = 0
        for line in self.log_lines():
            if "waitress.queue" in line or "Task queue depth" in line:
                held = re.search(r"\((\d+) more like it", line)
                count += 1 + (int(held.group(1)) if held else 0)
        return count

    def log_problems(self) -> list[str]:
        """Lines of the process's log that say something went wrong (waitress's queue notices aside)."""
        words = (" ERROR ", " CRITICAL ", "Traceback", " WARNING ")
        lines = [line for line in self.log_lines() if "waitress.queue" not in line and "Task queue depth" not in line]
        return [line for line in lines if any(w in line for w in words)]


def _spawn(
    name: str, argv: list[str], *, env: dict[str, str], cwd: Path, log_path: Path, stdout: int | IO[bytes] | None = None
) -> Proc:
    log = log_path.open("ab")
    popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=stdout if stdout is not None else log, stderr=log)
    log.close()
    return Proc(name=name, popen=popen, log_path=log_path)


class FakeSlackProc:
    """The fake Slack Web API in its own process (bench/fake_slack.py)."""

    def __init__(
        self,
        workdir: Path,
        *,
        rate: float = 0.0,
        burst: float = 0.0,
        per_channel: float = 0.0,
        tier4: float = 0.0,
        watch: str = "",
    ) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        limits = ["--rate", str(rate), "--burst", str(burst or rate)] if rate > 0 else []
        limits += ["--per-channel", str(per_channel)] if per_channel > 0 else []
        limits += ["--tier4", str(tier4)] if tier4 > 0 else []
        limits += ["--watch", watch] if watch else []
        self.proc = _spawn(
            "fake-slack",
            [sys.executable, "-m", "bench.fake_slack", *limits],
            env=env,
            cwd=REPO,
            log_path=workdir / "fake-slack.log",
            stdout=subprocess.PIPE,
        )
        assert self.proc.popen.stdout is not None
        line = self.proc.popen.stdout.readline().decode().strip()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the fake Slack did not start: {line!r}; see {workdir / 'fake-slack.log'}")
        self.port = int(line.split()[1])

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def stats(self) -> dict[str, Any]:
        status, body = http_get(self.api_url + "bench.stats")
        if status != 200:
            raise RuntimeError(f"bench.stats answered {status}")
        data: dict[str, Any] = json.loads(body)
        return data

    def totals(self) -> dict[str, Any]:
        """Calls per method, 429s, first and latest post (without the per-channel counts)."""
        status, body = http_get(self.api_url + "bench.totals")
        if status != 200:
            raise RuntimeError(f"bench.totals answered {status}")
        data: dict[str, Any] = json.loads(body)
        return data

    def posts_in(self, channel: str) -> tuple[int, float | None]:
        data = self.stats()
        return int(data["posts_by_channel"].get(channel, 0)), data["last_post_at"].get(channel)

    def stop(self) -> None:
        self.proc.stop()


@dataclass
class Server:
    """A server under test: the bot, a floor or a minimal reference, listening on `port`."""

    label: str
    proc: Proc
    port: int
    database_url: str | None = None  # where it stores entries; None for the floors
    posts: bool = True  # whether it posts each entry it stores (the bot and `store-post` do)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stores(self) -> bool:
        """It stores each `/proud` and answers "Saved your proud" (the bot and the minimal references)."""
        return self.database_url is not None

    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"


def server_env(
    fake: FakeSlackProc, *, signing_secret: str, port: int, database_url: str | None = None
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "DATABASE_URL", "PORT", "HTTP_THREADS", "LOG_LEVEL"))
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-bench-" + secrets.token_hex(4),
        SLACK_SIGNING_SECRET=signing_secret,
        SLACK_API_URL=fake.api_url,
        PORT=str(port),
        HTTP_THREADS=str(HTTP_THREADS),
        METRICS_PORT="off",  # several bots at once would all want the default port
        PYTHONUNBUFFERED="1",
    )
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def launch_bot(
    label: str,
    fake: FakeSlackProc,
    *,
    signing_secret: str,
    database_url: str,
    workdir: Path,
    port: int | None = None,
    code: Path | None = None,
) -> Server:
    """`mindset-bot run --no-scheduler` as a subprocess, in HTTP mode; does not wait for it.

    `code`: a copy of the project (a folder holding bot/, handlers/, storage/) whose packages are
    imported instead of the installed ones, to compare a change with the code as it is.
    """
    port = port or free_port()
    env = server_env(fake, signing_secret=signing_secret, port=port, database_url=database_url)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code.resolve()), *filter(None, [env.get("PYTHONPATH")])])
    rundir = workdir / label
    rundir.mkdir(parents=True, exist_ok=True)
    proc = _spawn(
        label,
        [str(console_script("mindset-bot")), "run", "--no-scheduler"],
        env=env,
        cwd=rundir,
        log_path=workdir / f"{label}.log",
    )
    return Server(label=label, proc=proc, port=port, database_url=database_url)


def launch_scheduler(
    label: str,
    fake: FakeSlackProc,
    *,
    database_url: str,
    workdir: Path,
    code: Path | None = None,
) -> Proc:
    """`mindset-bot scheduler` (the nudge engine alone: a tick at once, then every minute) as a subprocess.

    `code`: as for `launch_bot`, a copy of the project to import instead of the installed one.
    """
    env = server_env(fake, signing_secret=secrets.token_hex(16), port=free_port(), database_url=database_url)
    env["LOG_LEVEL"] = "INFO"
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code.resolve()), *filter(None, [env.get("PYTHONPATH")])])
    rundir = workdir / label
    rundir.mkdir(parents=True, exist_ok=True)
    return _spawn(
        label,
        [str(console_script("mindset-bot")), "scheduler"],
        env=env,
        cwd=rundir,
        log_path=workdir / f"{label}.log",
    )


def launch_minimal(
    label: str, mode: str, fake: FakeSlackProc, *, signing_secret: str, database_url: str, workdir: Path
) -> Server:
    """bench/minimal.py: a bare Bolt app that only stores (`store`) or stores and posts (`store-post`)."""
    port = free_port()
    env = server_env(fake, signing_secret=signing_secret, port=port)
    proc = _spawn(
        label,
        [sys.executable, "-m", "bench.minimal", "--mode", mode, "--database", database_url],
        env=env,
        cwd=REPO,
        log_path=workdir / f"{label}.log",
    )
    return Server(label=label, proc=proc, port=port, database_url=database_url, posts=mode == "store-post")


def launch_floor(label: str, mode: str, fake: FakeSlackProc, *, signing_secret: str, workdir: Path) -> Server:
    port = free_port()
    env = server_env(fake, signing_secret=signing_secret, port=port)
    proc = _spawn(
        label,
        [sys.executable, "-m", "bench.floor", "--mode", mode],
        env=env,
        cwd=REPO,
        log_path=workdir / f"{label}.log",
    )
    return Server(label=label, proc=proc, port=port)


# -- databases ---------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class PostgresDatabase:
    """A database of its own on the PostgreSQL server, dropped afterwards."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"mindset_bench_{os.getpid()}_{secrets.token_hex(3)}"
        self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))

    @property
    def url(self) -> str:
        """As the bot takes it (postgresql://...)."""
        base = self._admin.url.set(database=self.name, drivername="postgresql")
        return base.render_as_string(hide_password=False)

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()


def reader_engine(database_url: str) -> Engine:
    """An engine to count what the bot stored."""
    url = database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=1, max_overflow=0)


def count_entries(engine: Engine, team_id: str) -> tuple[int, int]:
    """(entries stored, entries posted) for a team."""
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT count(*), count(message_ts) FROM entries WHERE team_id = :team"), {"team": team_id}
        ).one()
    return int(row[0]), int(row[1])
