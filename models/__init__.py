"""Every table, imported so that SQLModel.metadata knows them all."""
from models.base import OrgScoped, UTCDateTime, utcnow  # noqa: F401
from models.member import Member, MemberStatus, Membership, Role, RoleName, UserSession  # noqa: F401
from models.org import OrgKind, OrgUnit  # noqa: F401
from models.station import District, Station, StationKind  # noqa: F401
from models.study import (  # noqa: F401
    Audience, Completion, ProgressStatus, QuestionKind, StudyAssignee, StudyAttempt, StudyFile, StudyKind,
    StudyProgress, StudyQuestion, StudyTask,
)
from models.checkin import (  # noqa: F401
    Activity, ActivitySignup, CheckIn, CheckinMethod, CheckinSource, CheckinStatus, CheckoutMethod,
    CommunityRegistration,
)
from models.geo import LocationConsent  # noqa: F401
from models.notify import Delivery, Notification, NotifyPreference, PushSubscription, SmsQuota  # noqa: F401
from models.meeting import (  # noqa: F401
    Attendance, CalendarFeed, InviteRole, LeaveStatus, Meeting, MeetingAddendum, MeetingAudience, MeetingDecision,
    MeetingFile, MeetingInvite, MeetingKind, MeetingMinutes, MeetingSettings, PlaceKind, Rsvp,
)
from models.ops import TableVersion  # noqa: F401
from models.workspace import BranchTerm, EvaluationAnswer, EvaluationBallot  # noqa: F401
from models.audit import AuditEntry, AuditHead  # noqa: F401
from models.privacy import DataExport, DataRequest, DeletionRequest  # noqa: F401
from models.signin import LoginAttempt  # noqa: F401
