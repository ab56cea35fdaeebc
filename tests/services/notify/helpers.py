"""Shared pieces of the notify tests: local times, a device row, delivery queries."""
import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from models import Delivery, Notification, PushSubscription

SH = ZoneInfo("Asia/Shanghai")


def local(y, mo, d, h=0, mi=0) -> datetime:
    """A Shanghai wall-clock time as an aware datetime."""
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def device(session, member, endpoint=None, p256dh="BNc", auth="au"):
    """A push subscription row for the member (keys are placeholders unless given)."""
    endpoint = endpoint or f"https://push.example.test/{member.id}/{hashlib.md5(str(member.id).encode()).hexdigest()}"
    row = PushSubscription(member_id=member.id, endpoint=endpoint,
                           endpoint_hash=hashlib.sha256(endpoint.encode()).hexdigest(), p256dh=p256dh, auth=auth)
    session.add(row)
    session.commit()
    return row


def deliveries(session, **where):
    """Delivery rows, filtered by column values."""
    query = select(Delivery)
    for name, value in where.items():
        query = query.where(getattr(Delivery, name) == value)
    session.expire_all()
    return list(session.exec(query.order_by(Delivery.id)).all())


def notifications(session, **where):
    """Notification rows, filtered by column values."""
    query = select(Notification)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    session.expire_all()
    return list(session.exec(query.order_by(Notification.id)).all())
