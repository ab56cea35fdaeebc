"""The worker's privacy jobs run against a migrated database: downloads built, due accounts anonymised, purges."""
import importlib
import sys
from datetime import timedelta

from sqlmodel import Session, select


def test_worker_builds_exports_anonymises_and_purges(tmp_path, monkeypatch):
    """Do `build_data_exports` and `privacy_hourly` run in the worker's app and do their work?"""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PRIVACY_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("HUEY_IMMEDIATE", "1")
    monkeypatch.delenv("REDIS_URL", raising=False)
    sys.modules.pop("worker", None)
    import config
    importlib.reload(config)
    try:
        worker = importlib.import_module("worker")
        from cli import upgrade_database
        from models import Member, Membership, OrgKind, utcnow
        from models.db import ALL_ORGS
        from models.privacy import DataExport, DeletionRequest
        from services.accounts import orgs

        upgrade_database(worker.app)
        engine = worker.app.extensions["sc_engine"]
        with worker.app.app_context(), Session(engine, expire_on_commit=False) as s:
            s.info["org_scope"] = ALL_ORGS
            top = orgs.create_unit(s, name="党委", kind=OrgKind.committee)
            unit = orgs.create_unit(s, name="支部", kind=OrgKind.branch, parent=top)
            member = Member(name="将注销的党员", phone="13911112222", org_unit_id=unit.id)
            s.add(member)
            s.flush()
            s.add(Membership(member_id=member.id, org_unit_id=unit.id))
            s.add(DataExport(member_id=member.id, pending_member_id=member.id))
            s.add(DeletionRequest(member_id=member.id, open_member_id=member.id, due_at=utcnow() - timedelta(minutes=1)))
            s.commit()
            member_id = member.id
        assert worker.build_data_exports.call_local() == 1
        assert list((tmp_path / "exports").glob("*.zip"))
        result = worker.privacy_hourly.call_local()
        assert result["anonymised"] == 1
        with Session(engine) as s:
            s.info["org_scope"] = ALL_ORGS
            assert s.get(Member, member_id).name == "已注销党员"
            assert s.exec(select(DataExport)).all() == []
        assert not list((tmp_path / "exports").glob("*.zip"))
        periodic = {t.__name__ for t in worker.huey._registry._periodic_tasks}
        assert {"build_data_exports", "privacy_hourly"} <= periodic
    finally:
        sys.modules.pop("worker", None)
        monkeypatch.undo()
        importlib.reload(config)
