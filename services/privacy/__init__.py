"""Members' data rights under PIPL (arts. 44-47) and retention.

Owns: downloads of everything held about a member (a ZIP with data.json and CSVs, built in the
request when small, by the worker when large; the link in the inbox works for its owner until it
expires), corrections (the member's own mobile number; requests the secretary answers), consents
(location, Web Push, SMS; each withdrawn on its own), account deletion (7 days to change one's
mind, then anonymisation by the worker) and retention (what is past its time, purged daily; the
periods are RETENTION in config.py).

`registry` lists, one line per table, which columns point at a member: the export reads it, and a
test fails when a table with a member column is missing from it.
"""
from services.privacy import consents, corrections, deletion, exports, registry, retention
from services.privacy.consents import KINDS as CONSENT_KINDS
from services.privacy.consents import Consent, allow, forget_devices, withdraw
from services.privacy.corrections import SUBJECTS, answer, ask, change_phone, for_leader, mine
from services.privacy.deletion import ANONYMOUS_NAME, anonymise, cancel_deletion, pending, request_deletion, run_due
from services.privacy.exports import build, build_now_if_small, build_pending, collect, file_for, latest, request_export
from services.privacy.retention import RULES, purge

__all__ = [
    "consents", "corrections", "deletion", "exports", "registry", "retention",
    "CONSENT_KINDS", "Consent", "allow", "forget_devices", "withdraw",
    "SUBJECTS", "answer", "ask", "change_phone", "for_leader", "mine",
    "ANONYMOUS_NAME", "anonymise", "cancel_deletion", "pending", "request_deletion", "run_due",
    "build", "build_now_if_small", "build_pending", "collect", "file_for", "latest", "request_export",
    "RULES", "purge",
]
