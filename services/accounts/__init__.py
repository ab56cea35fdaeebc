"""Accounts: sign-in, server-side sessions and passwords, the org tree and who may see which part
of it, members within the tree (add, reset, transfer, roles), and the branch roster (CSV in and out).

Other domains and the views use the names below; `orgs`, `members`, `passwords`, `roster` and
`throttle` (failed sign-ins, per account and address) are public modules of this package.
"""
from services.accounts import members, orgs, passwords, roster, throttle
from services.accounts.principal import Principal, load_principal, token_hash
from services.accounts.signin import (authenticate, change_password, check_new_password, end_all_sessions, end_session,
                                      normalize_phone, set_locale, sign_in, start_session)

__all__ = [
    "members", "orgs", "passwords", "roster", "throttle",
    "Principal", "load_principal", "token_hash",
    "authenticate", "change_password", "check_new_password", "end_all_sessions", "end_session",
    "normalize_phone", "set_locale", "sign_in", "start_session",
]
