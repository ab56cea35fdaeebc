"""The notify migration moves the study notices into the outbox, and back on a downgrade."""
from alembic import command
from sqlalchemy import text

from app import create_app
from cli import alembic_config, upgrade_database
from config import TestConfig
from tests.conftest import TEST_DATABASE_URL


def test_notices_become_notifications_and_back(tmp_path):
    """Are existing notices (read state, link, key) in the inbox after the upgrade, and notices again after a downgrade?"""
    if not TEST_DATABASE_URL.startswith("sqlite"):
        return  # the PostgreSQL run builds its schema once for the whole session
    app = create_app(TestConfig(f"sqlite:///{tmp_path / 'move.db'}"))
    upgrade_database(app, "0005_role_scope")
    engine = app.extensions["sc_engine"]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO org_unit (id, name, kind, path, created_at) "
                          "VALUES (1, '支部', 'branch', '/1/', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO member (id, org_unit_id, name, phone, must_change_password, status, is_active, "
                          "created_at) VALUES (1, 1, '甲', '13900000001', 0, 'full', 1, '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO notice (member_id, title, body, link, key, created_at, read_at) VALUES "
                          "(1, '学习提醒', '请完成', '/study/tasks/3', 'study-remind:3:2026-03-01', "
                          "'2026-03-01 02:00:00', NULL), "
                          "(1, '报告已通过', '', '/study/tasks/4', NULL, '2026-03-02 02:00:00', '2026-03-02 03:00:00')"))
    upgrade_database(app)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT purpose, key, url, read_at IS NOT NULL, due_at FROM notification "
                                 "ORDER BY id")).all()
    assert [r[:4] for r in rows] == [("study_due", "study-remind:3:2026-03-01", "/study/tasks/3", 0),
                                     ("study_review", "notice:2", "/study/tasks/4", 1)]
    with app.app_context():
        command.downgrade(alembic_config(app.config["DATABASE_URL"]), "0005_role_scope")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT title, link, key, read_at IS NOT NULL FROM notice ORDER BY id")).all()
    assert back == [("学习提醒", "/study/tasks/3", "study-remind:3:2026-03-01", 0), ("报告已通过", "/study/tasks/4", None, 1)]
