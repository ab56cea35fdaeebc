"""The background worker builds its app and runs its periodic job against the database."""
import importlib
import sys


def test_worker_closes_forgotten_checkouts(tmp_path, monkeypatch):
    """Does `worker.close_forgotten_checkouts` run on a migrated database and report what it closed?"""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HUEY_IMMEDIATE", "1")
    monkeypatch.delenv("REDIS_URL", raising=False)
    sys.modules.pop("worker", None)
    import config
    importlib.reload(config)
    worker = importlib.import_module("worker")
    from cli import upgrade_database

    upgrade_database(worker.app)
    assert worker.close_forgotten_checkouts.call_local() == 0
    assert worker.send_due_notifications.call_local() == 0  # nothing due: the sweep runs and sends nothing
    periodic = {t.__name__ for t in worker.huey._registry._periodic_tasks}
    assert {"send_due_notifications", "close_forgotten_checkouts"} <= periodic
    assert type(worker.huey).__name__ == "SqliteHuey"
    sys.modules.pop("worker", None)
    monkeypatch.undo()
    importlib.reload(config)
