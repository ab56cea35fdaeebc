"""Command-line tools: `flask db ...` (Alembic) and `flask demo seed`."""
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    """Alembic's config pointed at our migrations and the app's database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["engine"] = current_app.extensions["sc_engine"] if current_app else None
    return cfg


def upgrade_database(app: Flask, revision: str = "head") -> None:
    """Bring the app's database to the given revision."""
    with app.app_context():
        command.upgrade(alembic_config(app.config["DATABASE_URL"]), revision)


db_cli = AppGroup("db", help="Database migrations (Alembic).")
demo_cli = AppGroup("demo", help="The demo city.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to the newest schema."""
    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database back to a revision."""
    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--rev-id", default=None)
def db_revision(message: str, rev_id: str | None) -> None:
    """Autogenerate a migration from the models."""
    command.revision(alembic_config(current_app.config["DATABASE_URL"]), message=message,
                     autogenerate=True, rev_id=rev_id)


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no members yet.")
def demo_seed(if_empty: bool) -> None:
    """Load the demo city (idempotent)."""
    from models.db import get_session
    from demo import seed_demo

    summary = seed_demo(get_session(), only_if_empty=if_empty)
    click.echo(summary)


notify_cli = AppGroup("notify", help="Notifications.")


@notify_cli.command("sweep")
@click.option("--budget", default=50.0, help="Seconds to keep claiming batches.")
@click.option("--batch", default=100, help="Deliveries claimed at a time.")
def notify_sweep(budget: float, batch: int) -> None:
    """Send the deliveries that are due (what the worker does each minute); prints one JSON line."""
    import json

    from models.db import get_session
    from services import notify

    result = notify.sweep(get_session(), budget_seconds=budget, batch=batch)
    click.echo(json.dumps({k: v for k, v in vars(result).items() if k != "errors"}))


def register_cli(app: Flask) -> None:
    """Attach the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(notify_cli)
    from blueprints.privacy.cli import audit_cli  # flask audit verify

    app.cli.add_command(audit_cli)
