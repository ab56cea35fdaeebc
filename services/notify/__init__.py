"""Notifications to members. Today: the in-app inbox of notices (send one to many, idempotent
by key; list; mark read)."""
from services.notify.inbox import for_member, mark_all_read, mark_read, send, unread_count

__all__ = ["for_member", "mark_all_read", "mark_read", "send", "unread_count"]
