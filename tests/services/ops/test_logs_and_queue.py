"""JSON log lines scrub personal data; the worker logs each task; enqueueing survives a dead queue;
static files are compressed once, atomically."""
import json
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from huey import MemoryHuey, RedisHuey

from ops.logs import JsonFormatter, log_tasks, scrub
from ops.queue import enqueue
from ops.static import compress_static, stale_files


@pytest.mark.parametrize("text, leaked", [
    ("Key (phone)=(13912345678) already exists.", "13912345678"),
    ("member 张三丰 signed in", "张三丰"),
    ("position 22.54321, 114.05678 inside", "22.54321"),
    ("position 22.54321, 114.05678 inside", "114.05678"),
    ("code r.12.118234567.Ab3dEfGh1jKlMnOp scanned", "r.12.118234567.Ab3dEfGh1jKlMnOp"),
    ("token Xy7_kq9Lm2Np4Rs6Tv8Wz1 used", "Xy7_kq9Lm2Np4Rs6Tv8Wz1"),
    ("one-time password 483920 sent", "483920"),
])
def test_scrub_masks_personal_data(text, leaked):
    """Are phone numbers, names, coordinates, codes, tokens and one-time codes masked in log text?"""
    assert leaked not in scrub(text)


def test_scrub_keeps_what_helps_debugging():
    """Are module paths, function names, line numbers and plain words left alone?"""
    text = 'File "services/checkin/scans.py", line 240, in resolve_station_code: close_forgotten_checkouts'
    assert scrub(text) == text


def test_formatter_writes_one_json_object():
    """Is a record one JSON line with ts, level, logger, msg and its fields, exceptions scrubbed?"""
    try:
        raise ValueError("bad phone 13900001111")
    except ValueError:
        import sys

        record = logging.getLogger("t").makeRecord("t", logging.ERROR, __file__, 1, "failed for %s", ("李四",),
                                                   sys.exc_info(), extra={"fields": {"task": "x"}})
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "error" and data["logger"] == "t" and data["task"] == "x"
    assert data["msg"] == "failed for <zh>" and data["error"] == "ValueError"
    assert "13900001111" not in line and "李四" not in line


def test_worker_logs_each_task_with_duration_and_outcome(caplog):
    """Does the worker write one line per task run: its name, duration and outcome (complete or error)?"""
    huey = MemoryHuey("t", immediate=True)
    log_tasks(huey)

    @huey.task()
    def fine(x):
        return x * 2

    @huey.task()
    def broken():
        raise RuntimeError("member 13900002222 missing")

    with caplog.at_level(logging.INFO, logger="sc.task"):
        assert fine(21)() == 42
        broken()
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "sc.task"]
    assert [(line["task"].rsplit(".", 1)[-1], line["outcome"]) for line in lines] == [("fine", "complete"),
                                                                                     ("broken", "error")]
    assert all(line["duration_ms"] is not None and line["duration_ms"] >= 0 for line in lines)
    assert lines[1]["level"] == "error" and "13900002222" not in json.dumps(lines[1])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_enqueue_runs_in_place_or_skips_when_redis_is_down(caplog):
    """With Redis unreachable, does enqueue run the task here (or skip it, when asked) and log a warning?"""
    import redis

    pool = redis.ConnectionPool.from_url(f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=0.5)
    huey = RedisHuey("t", connection_pool=pool)
    ran = []

    @huey.task()
    def note(x):
        ran.append(x)
        return x

    with caplog.at_level(logging.WARNING, logger="ops.queue"):
        assert enqueue(note, 1) == 1
        assert enqueue(note, 2, fallback="skip") is None
    assert ran == [1]
    warnings = [r for r in caplog.records if r.name == "ops.queue"]
    assert len(warnings) == 2 and all(r.levelno == logging.WARNING for r in warnings)
    assert warnings[0].fields["fallback"] == "inline" and warnings[1].fields["fallback"] == "skip"


def test_static_files_compressed_once_and_atomically(tmp_path):
    """Are .br and .gz copies written for text files of 1 KB or more, not for small or binary ones, redone
    only when the file changes, and written by one of several processes starting at once?"""
    root = tmp_path / "static"
    (root / "css").mkdir(parents=True)
    (root / "css" / "a.css").write_text("body { color: red; }\n" * 200)
    (root / "tiny.js").write_text("1;")
    (root / "logo.png").write_bytes(os.urandom(4000))
    assert [p.name for p in stale_files(root)] == ["a.css"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: compress_static(root, lock_dir=tmp_path), range(4)))
    assert sum(len(r) for r in results) == 1  # one of the four did the work
    assert (root / "css" / "a.css.br").exists() and (root / "css" / "a.css.gz").exists()
    assert not list(root.rglob("*.tmp")) and not (root / "tiny.js.gz").exists()
    assert stale_files(root) == []
    source = root / "css" / "a.css"
    source.write_text("body { color: blue; }\n" * 200)
    os.utime(source, (source.stat().st_atime, source.stat().st_mtime + 5))
    assert compress_static(root, lock_dir=tmp_path) == [source]
    import brotli

    assert brotli.decompress(Path(str(source) + ".br").read_bytes()) == source.read_bytes()
