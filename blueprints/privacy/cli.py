"""`flask audit verify`: check the audit trail's hash chain."""
import sys

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The audit trail (留痕).")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 and name the first broken entry when it does not hold."""
    from flask import current_app

    from models.db import get_session, unscoped
    from services import audit

    with current_app.test_request_context():  # the reasons are texts in the catalogue's language
        session = get_session()
        with unscoped(session):
            verdict = audit.verify(session)
    if verdict.ok:
        click.echo(f"ok: {verdict.checked} entries, chain intact")
        return
    click.echo(f"broken at entry {verdict.broken_id}: {verdict.reason} ({verdict.checked} entries checked before it)",
               err=True)
    sys.exit(1)
