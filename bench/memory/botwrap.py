"""Memory probe (bench/RESULTS.md, Findings, Benchmark 4): `mindset-bot run` with a SIGUSR1 hook that
writes memory stats (RSS, glibc's mallinfo2, SQLite's own allocations, Python objects; with MH_TRACE a
tracemalloc snapshot; with MH_TRIM after malloc_trim) to $MH_DIR. Started by drive.py."""

import ctypes
import gc
import json
import os
import signal
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

MH_DIR = os.environ["MH_DIR"]
TRACE = int(os.environ.get("MH_TRACE", "0"))

libc = ctypes.CDLL("libc.so.6")


class Mallinfo2(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_size_t)
        for n in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


libc.mallinfo2.restype = Mallinfo2
sqlite = ctypes.CDLL("libsqlite3.so.0")
sqlite.sqlite3_memory_used.restype = ctypes.c_int64
sqlite.sqlite3_memory_highwater.restype = ctypes.c_int64
sqlite.sqlite3_memory_highwater.argtypes = [ctypes.c_int]


def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def on_usr1(_signum, _frame):
    label, _, want = Path(MH_DIR, "label").read_text().strip().partition(" ")
    rss = status_kib("VmRSS")
    mi = libc.mallinfo2()
    stats = {
        "label": label,
        "rss_kib": rss,
        "anon_kib": status_kib("RssAnon"),
        "malloc_arena": mi.arena,
        "malloc_inuse": mi.uordblks,
        "malloc_free": mi.fordblks,
        "malloc_mmap": mi.hblkhd,
        "malloc_keepcost": mi.keepcost,
        "sqlite_mem": sqlite.sqlite3_memory_used(),
        "sqlite_high": sqlite.sqlite3_memory_highwater(0),
        "threads": threading.active_count(),
        "gc_counts": gc.get_count(),
    }
    if TRACE and not tracemalloc.is_tracing():
        tracemalloc.start(TRACE)  # after start-up and the first request: only what comes later is traced
    gc.collect()
    stats["objects"] = len(gc.get_objects())
    stats["top_types"] = Counter(type(o).__name__ for o in gc.get_objects()).most_common(40)
    if TRACE:
        cur, peak = tracemalloc.get_traced_memory()
        stats["traced"] = cur
        stats["traced_peak"] = peak
        t0 = time.time()
        if want:
            tracemalloc.take_snapshot().dump(os.path.join(MH_DIR, f"snap-{label}.pickle"))
        stats["snap_seconds"] = time.time() - t0
    if os.environ.get("MH_TRIM"):
        # after the readings above: give free malloc memory back, then read RSS and malloc again
        libc.malloc_trim(0)
        mi = libc.mallinfo2()
        stats.update(rss_trim_kib=status_kib("VmRSS"), malloc_arena_trim=mi.arena, malloc_inuse_trim=mi.uordblks)
    with open(os.path.join(MH_DIR, "stats.jsonl"), "a") as out:
        out.write(json.dumps(stats) + "\n")
    Path(MH_DIR, f"done-{label}").touch()


if __name__ == "__main__":
    from bot.cli import main  # imported after the hook is set, as `mindset-bot` would be started

    signal.signal(signal.SIGUSR1, on_usr1)
    sys.exit(main())
