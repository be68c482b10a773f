"""The Dockerfile, .dockerignore and docker-compose.yml, checked against the code they run.

No Docker engine is needed: what can be checked without building an image is checked here. Every
command a service runs is parsed by `mindset-bot`'s own argument parser, every variable a service
sets is a real setting, the health check uses the path the server answers (and the command itself
is run against the real HTTP server), and the image installs this project with its PostgreSQL
driver, as a user without privileges, on a Python the project supports.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.cli import _parser
from bot.deps import Deps
from bot.server import HEALTH_PATH, make_http_server
from bot.settings import DatabaseSettings, Settings
from storage import migrate
from storage.db import make_engine, make_session_factory
from tests.conftest import make_settings
from tests.test_cli import free_port

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
SETTING_NAMES = {name.upper() for name in Settings.model_fields}
DEFAULT_PORT = Settings.model_fields["port"].default
IMAGE_DB_URL = "sqlite:////data/mindset.db"


# -- reading the files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str
    stage: int  # which FROM it belongs to, counting from 0


def dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments and parser directives left out."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        keyword, _, argument = (pending + line).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(Instruction(keyword.upper(), argument.strip(), stage))
    assert not pending, "the Dockerfile ends in a continuation line"
    return instructions


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(instruction.stage for instruction in instructions)
    return [instruction for instruction in instructions if instruction.stage == last]


def only(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [instruction for instruction in instructions if instruction.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword} in the image's stage, found {found}"
    return found[0]


def env_assignments(argument: str) -> dict[str, str]:
    """`ENV A=1 B=2` (the `ENV A 1` form is not used here)."""
    pairs = shlex.split(argument)
    assert all("=" in pair for pair in pairs), f"ENV {argument!r}: write ENV NAME=value"
    return dict(pair.split("=", 1) for pair in pairs)


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


def bot_services(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run this project's image (built from the Dockerfile)."""
    return {name: service for name, service in data["services"].items() if "build" in service}


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {str(key): str(value) for key, value in environment.items()}


def interpolated(value: str) -> str:
    """Compose's `${NAME:-default}` with NAME unset: what a fresh checkout without overrides gets."""
    return re.sub(r"\$\{(\w+):?-([^}]*)\}", lambda found: found.group(2), value)


def database_url_as_read(value: str) -> str:
    """DATABASE_URL as the bot reads it (its validator refuses what it cannot use)."""
    return DatabaseSettings(_env_file=None, database_url=value).database_url  # type: ignore[call-arg]


def parse_command(command: list[str]) -> Any:
    assert command[0] == "mindset-bot", command
    try:
        return _parser().parse_args(command[1:])
    except SystemExit as exited:
        raise AssertionError(f"{command} is not a mindset-bot command (argparse exit {exited.code})") from None


# -- the Dockerfile ------------------------------------------------------------------------------


def test_every_stage_is_python_slim_on_a_version_the_project_supports() -> None:
    instructions = dockerfile()
    froms = [instruction.argument for instruction in instructions if instruction.keyword == "FROM"]
    assert len(froms) >= 2, "a build stage makes the wheels, the final stage only installs them"
    requires = SpecifierSet(PROJECT["requires-python"])
    for argument in froms:
        image = argument.split()[0]
        found = re.fullmatch(r"python:(\d+\.\d+)(?:\.\d+)?-slim(?:-\w+)?", image)
        assert found, f"FROM {argument}: use a python:3.X-slim image"
        assert requires.contains(found.group(1)), f"{image} does not satisfy requires-python {requires}"
    assert re.search(r"\sAS\s+\w+$", froms[0], re.IGNORECASE), f"the build stage is named: FROM {froms[0]}"


def test_the_image_installs_this_project_with_its_postgres_extra_and_no_pip_cache() -> None:
    instructions = dockerfile()
    installs = [
        instruction
        for instruction in instructions
        if instruction.keyword == "RUN" and re.search(r"\bpip (install|wheel)\b", instruction.argument)
    ]
    assert installs, "the Dockerfile installs nothing with pip"
    assert "postgres" in PYPROJECT["project"]["optional-dependencies"]
    name = re.escape(PROJECT["name"])
    with_extra = re.compile(rf"(\.|\b{name})\[([\w,]*\b)?postgres\b")
    assert any(with_extra.search(run.argument) for run in installs), [run.argument for run in installs]
    for run in installs:
        assert "--no-cache-dir" in run.argument, f"pip keeps its cache in the image: RUN {run.argument}"
    # the final stage installs the project itself (not only its dependencies)
    final_installs = [run for run in installs if run.stage == instructions[-1].stage]
    assert any(re.search(rf"\b{name}\[", run.argument) for run in final_installs), final_installs


def test_the_build_copies_every_package_the_wheel_needs_and_dockerignore_keeps_none_of_them_out() -> None:
    copied = {
        part.rstrip("/").removeprefix("./")
        for instruction in dockerfile()
        if instruction.keyword == "COPY" and "--from" not in instruction.argument
        for part in instruction.argument.split()[:-1]
        if not part.startswith("--")
    }
    packages = {pattern.rstrip("*") for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    needed = {"pyproject.toml", str(PROJECT["readme"]), *packages}
    assert needed <= copied, f"not copied into the build stage: {sorted(needed - copied)}"

    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in needed:
        assert not any(fnmatch.fnmatch(path, pattern) for pattern in ignored), f".dockerignore leaves out {path}"
    for kept_out in (".venv", ".git", "*.db", ".env", "bench"):
        assert kept_out in ignored, f".dockerignore should leave out {kept_out}"
    assert any("__pycache__" in pattern for pattern in ignored)


def test_the_image_runs_the_console_script_as_a_user_without_privileges() -> None:
    image = final_stage(dockerfile())
    user = only(image, "USER").argument
    assert user not in {"root", "0", "0:0"} and not user.startswith(("root:", "0:")), user
    assert any(
        instruction.keyword == "RUN" and re.search(rf"\buseradd\b.*\b{re.escape(user)}\b", instruction.argument)
        for instruction in image
    ), f"the user {user} is created in the image"
    run_as_user = image.index(only(image, "USER"))
    assert image.index(only(image, "CMD")) > run_as_user, "CMD comes after USER"

    command = json.loads(only(image, "CMD").argument)
    assert command == ["mindset-bot", "run"]
    assert command[0] in PROJECT["scripts"], "CMD runs the project's console script"
    assert parse_command(command).command == "run"


def test_sqlite_by_default_in_a_writable_data_volume_and_the_port_exposed() -> None:
    image = final_stage(dockerfile())
    assert only(image, "WORKDIR").argument == "/app"
    env: dict[str, str] = {}
    for instruction in image:
        if instruction.keyword == "ENV":
            env.update(env_assignments(instruction.argument))
    settings = {name for name in env if not name.startswith(("PYTHON", "PIP_"))}
    assert settings <= SETTING_NAMES, f"not settings of the bot: {sorted(settings - SETTING_NAMES)}"
    assert env["DATABASE_URL"] == IMAGE_DB_URL
    assert make_url(database_url_as_read(env["DATABASE_URL"])).database == "/data/mindset.db"
    volumes = json.loads(only(image, "VOLUME").argument)
    assert "/data" in volumes
    user = only(image, "USER").argument
    assert any(
        instruction.keyword == "RUN"
        and re.search(rf"\bchown\b[^&;]*\b{re.escape(user)}\b[^&;]*/data\b", instruction.argument)
        and image.index(instruction) < image.index(only(image, "VOLUME"))
        for instruction in image
    ), "/data belongs to the bot's user before it becomes a volume (a new volume copies its owner)"
    assert only(image, "EXPOSE").argument == str(DEFAULT_PORT) == env.get("PORT", str(DEFAULT_PORT))


def healthcheck_command() -> list[str]:
    argument = only(final_stage(dockerfile()), "HEALTHCHECK").argument
    _, _, exec_form = argument.partition("CMD ")
    command: list[str] = json.loads(exec_form)
    return command


def test_the_healthcheck_asks_healthz_with_python_not_curl() -> None:
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"], command
    assert HEALTH_PATH in command[2] and "urllib" in command[2]
    assert not any(tool in " ".join(command) for tool in ("curl", "wget"))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    """The real app behind the real HTTP server, on SQLite; yields its port."""
    url = f"sqlite:///{tmp_path / 'health.db'}"
    engine = make_engine(url, pool_size=2)
    migrate.upgrade(engine)
    deps = Deps(settings=make_settings(database_url=url), session_factory=make_session_factory(engine))
    secret = deps.settings.slack_signing_secret.get_secret_value()
    server = make_http_server(build_app(deps), engine, signing_secret=secret, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.serve, name="health-http", daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        server.stop()
        thread.join(timeout=5)
        engine.dispose()


def test_the_healthcheck_command_passes_against_the_server_and_fails_without_one(served: int) -> None:
    command = [sys.executable, *healthcheck_command()[1:]]
    env = {**os.environ, "PORT": str(served)}
    assert subprocess.run(command, env=env, capture_output=True, timeout=30).returncode == 0
    closed = {**os.environ, "PORT": str(free_port())}
    assert subprocess.run(command, env=closed, capture_output=True, timeout=30).returncode != 0


# -- docker-compose.yml --------------------------------------------------------------------------


def test_compose_parses_and_every_command_is_a_mindset_bot_command() -> None:
    services = bot_services(compose())
    commands = {name: parse_command(service["command"]) for name, service in services.items()}
    run = [name for name, args in commands.items() if args.command == "run"]
    assert run, "no service serves Slack"
    # one layout: serving apart from the engine, or both in one process; never serving without an engine
    split = [name for name in run if commands[name].no_scheduler]
    engines = [name for name, args in commands.items() if args.command == "scheduler"]
    assert bool(split) == bool(engines), f"serving without the engine {split}, engines {engines}"
    for name in commands:
        assert services[name]["build"] in (".", {"context": "."}), f"{name} is built from the Dockerfile"


def test_compose_sets_only_real_settings_and_points_the_bot_at_the_db_service() -> None:
    data = compose()
    for name, service in bot_services(data).items():
        assert service.get("env_file") in (".env", [".env"]), f"{name} reads its Slack settings from .env"
        environment = environment_of(service)
        assert set(environment) <= SETTING_NAMES, f"{name} sets {sorted(set(environment) - SETTING_NAMES)}"
        url = make_url(database_url_as_read(interpolated(environment["DATABASE_URL"])))
        assert url.get_backend_name() == "postgresql"
        assert url.host in data["services"], f"{name}'s DATABASE_URL points at {url.host}, not a service"
        db = data["services"][url.host]
        assert (url.username, url.password, url.database) == (
            db["environment"]["POSTGRES_USER"],
            interpolated(db["environment"]["POSTGRES_PASSWORD"]),
            db["environment"]["POSTGRES_DB"],
        )
        assert service["depends_on"][url.host]["condition"] == "service_healthy"


def test_the_database_is_postgresql_16_with_a_healthcheck_and_a_named_volume() -> None:
    data = compose()
    [db] = [service for service in data["services"].values() if str(service.get("image", "")).startswith("postgres")]
    assert db["image"] in ("postgres:16", "postgres:16-alpine")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in (data.get("volumes") or {}), f"{volume} is a named volume"


def test_the_web_service_publishes_port_3000_and_the_migration_runs_once_before_the_rest() -> None:
    services = bot_services(compose())
    serving = {name: service for name, service in services.items() if service["command"][1] == "run"}
    for name, service in serving.items():
        assert f"{DEFAULT_PORT}:{DEFAULT_PORT}" in service["ports"], name
        assert environment_of(service).get("PORT", str(DEFAULT_PORT)) == str(DEFAULT_PORT)
    [migrate_name] = [name for name, service in services.items() if service["command"][1:] == ["db", "upgrade"]]
    assert services[migrate_name]["restart"] == "no"
    for name, service in services.items():
        if name != migrate_name:
            # processes that start together on a new database must not each migrate it (tests/test_deployment.py)
            assert service["depends_on"][migrate_name]["condition"] == "service_completed_successfully", name
    no_http = [name for name, service in services.items() if service["command"][1] != "run"]
    for name in no_http:
        assert services[name]["healthcheck"] == {"disable": True}, f"{name} serves no /healthz"
