"""The audit trail (留痕): who did what to whom and when, with the values before and after.

Owns the append-only, hash-chained entries (`record` joins the caller's transaction; `verify`
walks the chain and names the first broken entry), the action codes and their names, and the
trail screen's reads (a secretary sees the units they run, an administrator everything).

Other domains call `audit.record(session, actor=..., action="hours.approve", member=..., unit=...,
target="checkin:42", before={...}, after={...})` just before they commit. Passwords, tokens,
keys, phone numbers and positions never enter an entry.
"""
from services.audit.actions import ACTIONS, label
from services.audit.chain import GENESIS, Verdict, canonical, clean, hash_of, record, record_many, verify
from services.audit.trail import PAGE, Filters, Row, entries, for_member, members_for_filter, parse_filters

__all__ = [
    "ACTIONS", "label",
    "GENESIS", "Verdict", "canonical", "clean", "hash_of", "record", "record_many", "verify",
    "PAGE", "Filters", "Row", "entries", "for_member", "members_for_filter", "parse_filters",
]
