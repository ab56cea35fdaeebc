"""The audit trail: append-only, hash-chained, verified; never a secret in it."""
import threading

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models.audit import AuditEntry, AuditHead, guard_drop_ddl
from models.db import ALL_ORGS
from services import audit
from services.errors import DomainError


def _add(session, n=1, **kw):
    out = []
    for i in range(n):
        out.append(audit.record(session, actor=kw.get("actor"), action=kw.get("action", "hours.approve"),
                                member=kw.get("member"), unit=kw.get("unit"), target=f"checkin:{i}",
                                before={"status": "pending"}, after={"status": "approved"}))
    session.commit()
    return out


def _untamper_guard(session):
    for statement in guard_drop_ddl(session.bind.dialect.name):
        session.execute(text(statement))
    session.commit()


def test_entries_chain_and_verify(session):
    """Does each entry hold the hash of the one before, and does verify pass an intact chain?"""
    first, second, third = _add(session, 3)
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    verdict = audit.verify(session)
    assert verdict.ok and verdict.checked == 3
    assert session.get(AuditHead, 1).last_id == third.id


def test_empty_trail_verifies(session):
    """Is an empty trail intact?"""
    assert audit.verify(session).ok


def test_database_refuses_update_and_delete(session):
    """Do the triggers keep entries append-only?"""
    entry = _add(session)[0]
    with pytest.raises(Exception):
        session.execute(text("UPDATE audit_entry SET action = 'x.y' WHERE id = :id"), {"id": entry.id})
        session.commit()
    session.rollback()
    with pytest.raises(Exception):
        session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entry.id})
        session.commit()
    session.rollback()
    assert audit.verify(session).ok


@pytest.mark.parametrize("column,value", [("after", '{"status":"declined"}'), ("actor_id", 99),
                                          ("created_at", None), ("prev_hash", "f" * 64)])
def test_tampered_row_fails_at_that_row(session, column, value):
    """Does editing one column of one entry make verify name that entry?"""
    _add(session, 5)
    _untamper_guard(session)
    if column == "created_at":
        session.execute(text("UPDATE audit_entry SET created_at = created_at - interval '1 day' WHERE id = 3")
                        if session.bind.dialect.name == "postgresql" else
                        text("UPDATE audit_entry SET created_at = '2020-01-01 00:00:00.000000' WHERE id = 3"))
    else:
        session.execute(text(f"UPDATE audit_entry SET {column} = :v WHERE id = 3"), {"v": value})
    session.commit()
    verdict = audit.verify(session)
    assert not verdict.ok and verdict.broken_id == 3
    assert "3" in verdict.reason


def test_rehashed_row_breaks_the_next(session):
    """Does a forger who recomputes the edited entry's hash still break the chain at the next entry?"""
    _add(session, 4)
    _untamper_guard(session)
    entry = session.get(AuditEntry, 2)
    session.expunge(entry)
    entry.after = '{"status":"declined"}'
    new_hash = audit.hash_of(entry)
    session.execute(text("UPDATE audit_entry SET after = :a, hash = :h WHERE id = 2"), {"a": entry.after, "h": new_hash})
    session.commit()
    verdict = audit.verify(session)
    assert not verdict.ok and verdict.broken_id == 3


def test_deleted_row_and_cut_tail_show(session):
    """Does a deleted entry, or a tail cut off, fail verify?"""
    _add(session, 4)
    _untamper_guard(session)
    session.execute(text("DELETE FROM audit_entry WHERE id = 2"))
    session.commit()
    assert audit.verify(session).broken_id == 2
    session.execute(text("DELETE FROM audit_entry WHERE id >= 2"))
    session.commit()
    verdict = audit.verify(session)
    assert not verdict.ok and verdict.broken_id == 2


def test_cli_verify_names_the_broken_entry(app, session):
    """Does `flask audit verify` exit 0 on an intact chain and 1 naming the entry after tampering?"""
    _add(session, 3)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "3 entries" in result.output
    _untamper_guard(session)
    session.execute(text("UPDATE audit_entry SET target = 'checkin:99' WHERE id = 2"))
    session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 2" in result.output


def test_secrets_never_enter_an_entry(session):
    """Are passwords, tokens, phone numbers and positions kept out of before/after and target?"""
    entry = audit.record(session, actor=None, action="member.create", target="phone 13912345678",
                         before={"password_hash": "$argon2id$v=19$xyz", "phone": "13912345678"},
                         after={"name_note": "call 13912345678", "lat": 22.54321, "lon": 114.05432,
                                "token": "abc", "note": "at 22.543210,114.054321", "session_token": "s",
                                "nested": {"endpoint": "https://push.example/x", "ok": 1},
                                "qr": "Zm9vYmFyYmF6cXV4cXV1eGZvb2Jhcg_-xyzXYZ"})
    session.commit()
    stored = entry.before + entry.after + entry.target
    for secret in ("13912345678", "argon2", "22.54", "114.05", "abc", "push.example", "Zm9vYmFy"):
        assert secret not in stored
    assert '"ok":1' in entry.after


@pytest.mark.parametrize("action", ["", "approve", "Hours.Approve", "hours.approve; drop", None, 5])
def test_bad_action_code_is_refused(session, action):
    """Is an action that is not a code refused before anything is written?"""
    with pytest.raises(DomainError):
        audit.record(session, actor=None, action=action)
    session.rollback()
    assert session.exec(select(AuditEntry)).first() is None


def test_concurrent_writers_keep_one_chain(app, session):
    """Do eight threads appending at once leave one unbroken chain with no id taken twice?"""
    engine = app.extensions["sc_engine"]
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        pytest.skip("the in-memory SQLite database is one connection; the PostgreSQL run covers this")
    errors = []

    def work():
        try:
            with Session(engine) as s:
                s.info["org_scope"] = ALL_ORGS
                for _ in range(10):
                    audit.record(s, actor=None, action="hours.approve", after={"n": 1})
                    s.commit()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    verdict = audit.verify(session)
    assert verdict.ok and verdict.checked == 80


def test_concurrent_writers_on_a_sqlite_file(tmp_path):
    """On an SQLite file with several connections, do concurrent appends keep one chain?"""
    from app import create_app
    from config import TestConfig
    from sqlmodel import SQLModel

    app = create_app(TestConfig(f"sqlite:///{tmp_path / 'chain.db'}"))
    engine = app.extensions["sc_engine"]
    SQLModel.metadata.create_all(engine)
    errors = []

    def work():
        try:
            with Session(engine) as s:
                s.info["org_scope"] = ALL_ORGS
                for _ in range(10):
                    audit.record(s, actor=None, action="hours.approve", after={"n": 1})
                    s.commit()
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as s:
        verdict = audit.verify(s)
    assert verdict.ok and verdict.checked == 60
    engine.dispose()
