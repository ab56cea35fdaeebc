"""The migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from app import create_app
from cli import upgrade_database
from config import TestConfig
from tests.conftest import TEST_DATABASE_URL


def test_migrations_match_models(tmp_path, _pg_schema):
    """After `db upgrade` on an empty database, does autogenerate find nothing left to change?"""
    if _pg_schema is not None:
        engine = _pg_schema  # on PostgreSQL the fixture built the schema through the migrations
    else:
        app = create_app(TestConfig(f"sqlite:///{tmp_path / 'fresh.db'}"))
        upgrade_database(app)
        engine = app.extensions["sc_engine"]
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(tmp_path):
    """Can every migration be undone and redone?"""
    if not TEST_DATABASE_URL.startswith("sqlite"):
        return
    app = create_app(TestConfig(f"sqlite:///{tmp_path / 'round.db'}"))
    upgrade_database(app)
    from alembic import command

    from cli import alembic_config
    with app.app_context():
        command.downgrade(alembic_config(app.config["DATABASE_URL"]), "base")
    upgrade_database(app)
