"""Memory probe (bench/RESULTS.md, Findings, Benchmark 4): benchmark 4's footprint loop (bench/startup.py)
against botwrap.py, memory stats after each batch."""

import argparse
import contextlib
import json
import secrets
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.common import ProudLoad
from bench.loadgen import run_load
from bench.procs import (
    FakeSlackProc,
    PostgresDatabase,
    _spawn,
    count_entries,
    free_port,
    reader_engine,
    server_env,
    sqlite_url,
    wait_healthy,
)

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--requests", type=int, default=20000)
p.add_argument("--batch", type=int, default=2000)
p.add_argument("--trace", type=int, default=0)
p.add_argument("--snap-at", default="")  # comma list of request counts to snapshot (trace mode)
p.add_argument("--postgres", action="store_true")
p.add_argument("--same-team", action="store_true", help="one team/channel for all batches")
p.add_argument("--env", action="append", default=[])
a = p.parse_args()
out = Path(a.out)
out.mkdir(parents=True, exist_ok=True)
fake = FakeSlackProc(out)
secret = secrets.token_hex(16)
pg = None
if a.postgres:
    pg = PostgresDatabase("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    url = pg.url
else:
    url = sqlite_url(out / "bot.db")
port = free_port()
env = server_env(fake, signing_secret=secret, port=port, database_url=url)
env["MH_DIR"] = str(out)
env["MH_TRACE"] = str(a.trace)
for kv in a.env:
    k, v = kv.split("=", 1)
    env[k] = v
(out / "rundir").mkdir(exist_ok=True)
proc = _spawn(
    "bot",
    [sys.executable, str(Path(__file__).with_name("botwrap.py")), "run", "--no-scheduler"],
    env=env,
    cwd=out / "rundir",
    log_path=out / "bot.log",
)
snap_at = {int(x) for x in a.snap_at.split(",") if x}


def stats(label):
    (out / "label").write_text(f"{label} snap" if label in snap_at else str(label))
    proc.popen.send_signal(signal.SIGUSR1)
    deadline = time.time() + 300
    while not (out / f"done-{label}").exists():
        if time.time() > deadline:
            raise SystemExit("no stats")
        time.sleep(0.1)


try:
    wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
    engine = reader_engine(url)
    first = ProudLoad("F0", total=1, signing_secret=secret, port=port, response_url=fake.response_url("F"))
    run_load("127.0.0.1", port, total=1, concurrency=1, build=first.build, check=first.check_bot)
    time.sleep(0.5)
    stats(1)
    sent, n = 0, 0
    while sent < a.requests:
        n += 1
        run_id = "SAME" + str(n) if False else f"F{n}x{secrets.token_hex(2)}"
        load = ProudLoad(run_id, total=a.batch, signing_secret=secret, port=port, response_url=fake.response_url("F"))
        if a.same_team:
            # same team and channel every batch (trigger ids and texts stay distinct)
            load.team = "TBSAME"
            load.channel = "CBSAME"
            load._bodies = [
                b.replace(f"TB{run_id}".encode(), b"TBSAME").replace(f"CB{run_id}".encode(), b"CBSAME")
                for b in load._bodies
            ]
        t0 = time.time()
        res = run_load("127.0.0.1", port, total=a.batch, concurrency=10, build=load.build, check=load.check_bot)
        if res.errors:
            print("errors", len(res.errors), res.errors[0], flush=True)
        target_posts = (sent + a.batch) if a.same_team else a.batch
        while True:
            posted, _ = fake.posts_in(load.channel)
            stored, posted_db = count_entries(engine, load.team)
            if posted >= target_posts and posted_db >= target_posts:
                break
            time.sleep(0.05)
        sent += a.batch
        time.sleep(0.5)
        stats(sent)
        line = json.loads((out / "stats.jsonl").read_text().splitlines()[-1])
        mib = 2**20
        print(
            f"{sent:>6} rss {line['rss_kib'] / 1024:6.1f} MiB  malloc inuse {line['malloc_inuse'] / mib:6.1f}"
            f" free {line['malloc_free'] / mib:5.1f} arena {line['malloc_arena'] / mib:6.1f}"
            f" mmap {line['malloc_mmap'] / mib:5.1f}  sqlite {line['sqlite_mem'] / mib:5.2f}"
            f"  objs {line['objects']}  traced {line.get('traced', 0) / mib:6.2f}  {res.rps:5.0f} req/s"
            f"  thr {line['threads']}  after trim rss {line.get('rss_trim_kib', 0) / 1024:6.1f}"
            f" inuse {line.get('malloc_inuse_trim', 0) / mib:6.2f}",
            flush=True,
        )
        if sent in snap_at:
            pass
finally:
    with contextlib.suppress(Exception):
        engine.dispose()
    proc.stop()
    fake.stop()
    if pg:
        pg.drop()
