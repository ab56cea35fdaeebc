"""Deleting an account (PIPL art. 47): a request, seven days to change one's mind, then anonymisation by the worker.

The records a branch must keep (service hours, attendance, study hours, minutes) stay, without the
person's identity: the member row keeps only its id, branch and status. Everything else about
them is deleted: contact details, sign-ins, consents, push devices, messages, preferences, calendar
feeds, requests' texts, downloads and the files of uploads nothing else needs.
"""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import (ActivitySignup, CalendarFeed, CheckIn, CommunityRegistration, Delivery, LocationConsent, Member,
                    MeetingFile, MeetingInvite, Membership, Notification, NotifyPreference, PushSubscription, Role,
                    SmsQuota, StudyFile, StudyProgress, StudyTask, UserSession, utcnow)
from models.db import begin_write, unscoped
from models.privacy import DataExport, DataRequest, DeletionRequest
from services import audit
from services.errors import DomainError, Forbidden
from services.privacy.common import get_member, period, upload_root
from services.privacy.consents import forget_devices
from services.privacy.exports import remove_file

ANONYMOUS_NAME = "已注销党员"


def pending(session: Session, *, member_id: int) -> DeletionRequest | None:
    """The member's standing deletion request, if any."""
    return session.execute(select(DeletionRequest).where(DeletionRequest.open_member_id == member_id)
                           ).scalars().first()


def request_deletion(session: Session, principal, *, member_id: int, now: datetime | None = None) -> DeletionRequest:
    """Ask for one's own account to be deleted after the cooling-off period; only for oneself."""
    now = now or utcnow()
    if getattr(principal, "id", None) != member_id:
        raise Forbidden(_l("You can only ask for your own account to be deleted."))
    begin_write(session)
    member = get_member(session, member_id)
    if pending(session, member_id=member.id) is not None:
        session.rollback()
        raise DomainError("already_requested", _l("You have already asked for your account to be deleted."),
                          status=409)
    row = DeletionRequest(member_id=member.id, open_member_id=member.id, requested_at=now,
                          due_at=now + timedelta(days=period("deletion_cooling_days")))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # a second tap at the same moment: the first stands
        session.rollback()
        raise DomainError("already_requested", _l("You have already asked for your account to be deleted."),
                          status=409)
    audit.record(session, actor=member.id, action="privacy.delete_request", member=member.id,
                 unit=member.org_unit_id, target=f"deletion_request:{row.id}", after={"due_at": row.due_at}, now=now)
    session.commit()
    return row


def cancel_deletion(session: Session, principal, *, member_id: int, now: datetime | None = None) -> DeletionRequest:
    """Take the request back during the cooling-off period."""
    now = now or utcnow()
    if getattr(principal, "id", None) != member_id:
        raise Forbidden(_l("You can only cancel your own request."))
    begin_write(session)
    row = pending(session, member_id=member_id)
    if row is None:
        session.rollback()
        raise DomainError("no_request", _l("There is no deletion request to cancel."), status=409)
    row.cancelled_at, row.open_member_id = now, None
    session.add(row)
    audit.record(session, actor=member_id, action="privacy.delete_cancel", member=member_id,
                 unit=get_member(session, member_id).org_unit_id, target=f"deletion_request:{row.id}",
                 before={"due_at": row.due_at}, after={"cancelled": True}, now=now)
    session.commit()
    return row


def _drop_files(session: Session, member_id: int) -> None:
    """Uploads: a study file no task uses is deleted with its bytes; files the branch keeps lose their uploader."""
    with unscoped(session):
        used = set(session.execute(select(StudyTask.file_id).where(StudyTask.file_id.is_not(None))).scalars())
        for f in session.execute(select(StudyFile).where(StudyFile.uploaded_by == member_id)).scalars().all():
            if f.id in used:
                f.uploaded_by, f.original_name = None, ""
                session.add(f)
            else:
                try:
                    (upload_root() / "study" / f.token).unlink()
                except (FileNotFoundError, RuntimeError, ValueError):
                    pass
                session.delete(f)
        session.execute(update(MeetingFile).where(MeetingFile.uploaded_by == member_id)
                        .values(uploaded_by=None, original_name=""))


def anonymise(session: Session, *, member_id: int, now: datetime | None = None) -> None:
    """Remove the member's identity from every record kept and delete everything else of theirs (the caller commits)."""
    now = now or utcnow()
    begin_write(session)
    member = get_member(session, member_id)
    with unscoped(session):
        for row in session.execute(select(DataExport).where(DataExport.member_id == member.id)).scalars().all():
            remove_file(row.file_name)
        session.execute(delete(DataExport).where(DataExport.member_id == member.id))
        forget_devices(session, member_id=member.id)
        for model in (UserSession, LocationConsent, NotifyPreference, PushSubscription, SmsQuota, CalendarFeed,
                      CommunityRegistration, Role):
            session.execute(delete(model).where(model.member_id == member.id))
        session.execute(delete(Delivery).where(Delivery.member_id == member.id))
        session.execute(delete(Notification).where(Notification.member_id == member.id))
        session.execute(update(DataRequest).where(DataRequest.member_id == member.id)
                        .values(text="", answer=""))
        session.execute(update(CheckIn).where(CheckIn.member_id == member.id).values(
            note="", nonce=None, checkout_nonce=None, geo_inside=None, geo_distance_m=None, geo_accuracy_m=None))
        session.execute(update(StudyProgress).where(StudyProgress.member_id == member.id)
                        .values(report_text="", review_comment=""))
        session.execute(update(MeetingInvite).where(MeetingInvite.member_id == member.id)
                        .values(leave_reason="", leave_note=""))
        session.execute(update(Membership).where(Membership.member_id == member.id).values(note=""))
        session.execute(update(ActivitySignup).where(ActivitySignup.member_id == member.id,
                                                     ActivitySignup.active.is_(True))
                        .values(active=False, cancelled_at=now))
        _drop_files(session, member.id)
        member.name = ANONYMOUS_NAME
        member.phone = f"d{member.id:010d}"[-11:]  # unique, and never a mobile number
        member.password_hash = None
        member.must_change_password = True
        member.joined_on = None
        member.locale = None
        member.group_id = None
        member.is_active = False
        session.add(member)
        session.flush()
        audit.record(session, actor=None, action="privacy.anonymise", member=member.id, unit=member.org_unit_id,
                     target=f"member:{member.id}", after={"anonymised": True}, now=now)


def run_due(session: Session, *, now: datetime | None = None, limit: int = 100) -> int:
    """The worker's job: anonymise the accounts whose cooling-off period is over; returns how many."""
    now = now or utcnow()
    ids = session.execute(select(DeletionRequest.id).where(
        DeletionRequest.open_member_id.is_not(None), DeletionRequest.due_at <= now)
        .order_by(DeletionRequest.id).limit(limit)).scalars().all()
    session.rollback()
    done = 0
    for request_id in ids:
        begin_write(session)
        row = session.execute(select(DeletionRequest).where(DeletionRequest.id == request_id,
                                                            DeletionRequest.open_member_id.is_not(None))
                              .with_for_update()).scalars().first()
        if row is None or row.due_at > now:  # cancelled meanwhile
            session.rollback()
            continue
        anonymise(session, member_id=row.member_id, now=now)
        row.open_member_id, row.done_at = None, now
        session.add(row)
        session.commit()
        done += 1
    return done
