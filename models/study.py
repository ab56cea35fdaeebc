"""Study tasks (学习任务), their quiz questions, members' progress and quiz attempts, uploaded files."""
from datetime import date, datetime
from enum import Enum
from typing import Optional

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from models.base import OrgScoped, UTCDateTime, utcnow


class StudyKind(str, Enum):
    """What the member does: read an article, watch a video, attend a lecture (党课), write a report (心得体会)."""

    article = "article"
    video = "video"
    lecture = "lecture"
    report = "report"


class Completion(str, Enum):
    """How a task counts as done."""

    reading = "reading"  # at least min_seconds of visible reading or watching
    quiz = "quiz"  # a quiz passed
    report = "report"  # a written report approved by the secretary
    attendance = "attendance"  # present at the lecture (recorded by the secretary or meeting check-in)


class Audience(str, Enum):
    """Who the task is for: everybody under the owning unit, or chosen members."""

    unit = "unit"
    members = "members"


class ProgressStatus(str, Enum):
    """A member's state on one task (no row at all means not started)."""

    not_started = "not_started"
    in_progress = "in_progress"
    submitted = "submitted"
    completed = "completed"
    returned = "returned"


class QuestionKind(str, Enum):
    """Single choice (one right option) or multiple choice (all right options, nothing else)."""

    single = "single"
    multiple = "multiple"


class StudyFile(OrgScoped, table=True):
    """An uploaded PDF, video or image, stored under instance/uploads/study/ by its random token."""

    __tablename__ = "study_file"

    id: Optional[int] = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    original_name: str = Field(default="", max_length=200)
    mime: str = Field(max_length=60)
    size: int
    uploaded_by: Optional[int] = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StudyTask(OrgScoped, table=True):
    """A study task owned by an org unit (`org_unit_id`), for its whole subtree or for chosen members."""

    __tablename__ = "study_task"

    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    kind: StudyKind = Field(sa_type=String(20))
    completion: Completion = Field(sa_type=String(20))
    audience: Audience = Field(default=Audience.unit, sa_type=String(20))
    body_md: str = Field(default="", sa_type=Text)
    body_html: str = Field(default="", sa_type=Text)  # rendered and sanitised when saved
    link_url: Optional[str] = Field(default=None, max_length=500)
    file_id: Optional[int] = Field(default=None, foreign_key="study_file.id")
    hours_half: int = Field(default=2)  # credited 学时 in half hours: 2 = 1 学时
    required: bool = Field(default=True)
    opens_on: date
    due_on: date
    min_seconds: int = Field(default=0)  # reading: visible time needed
    pass_mark: int = Field(default=80)  # quiz: percent needed
    quiz_size: int = Field(default=0)  # quiz: questions drawn per attempt (0 = the whole bank)
    report_min_chars: int = Field(default=0)  # report: minimum length
    lecture_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    lecture_place: str = Field(default="", max_length=120)
    created_by: Optional[int] = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class StudyAssignee(OrgScoped, table=True):
    """A chosen member of a task whose audience is `members` (`org_unit_id` = the task's owner)."""

    __tablename__ = "study_assignee"
    __table_args__ = (UniqueConstraint("task_id", "member_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="study_task.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)


class StudyQuestion(OrgScoped, table=True):
    """One question of a task's bank; never changed in place once written (an edit retires it and adds a new one)."""

    __tablename__ = "study_question"

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="study_task.id", index=True)
    kind: QuestionKind = Field(default=QuestionKind.single, sa_type=String(20))
    text: str = Field(sa_type=Text)
    options: list[str] = Field(default_factory=list, sa_type=JSON)
    correct: list[int] = Field(default_factory=list, sa_type=JSON)  # indexes into options
    position: int = Field(default=0)
    replaces_id: Optional[int] = Field(default=None, foreign_key="study_question.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    retired_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class StudyProgress(OrgScoped, table=True):
    """A member's progress on one task; never deleted. `org_unit_id` is the member's branch when they started.

    Credit is fixed when the task is completed: `credited_half` half hours in `credit_year`
    (the calendar year in Asia/Shanghai), whatever the task says later.
    """

    __tablename__ = "study_progress"
    __table_args__ = (
        UniqueConstraint("task_id", "member_id"),
        Index("ix_study_progress_member_year", "member_id", "credit_year"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="study_task.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    status: ProgressStatus = Field(default=ProgressStatus.in_progress, sa_type=String(20))
    seconds_read: int = Field(default=0)
    last_beat_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    best_score: Optional[int] = None
    report_text: str = Field(default="", sa_type=Text)
    review_comment: str = Field(default="", max_length=500)
    reviewed_by: Optional[int] = Field(default=None, foreign_key="member.id")
    reviewed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    completed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    credited_half: int = Field(default=0)
    credit_year: Optional[int] = None
    source: str = Field(default="", max_length=60)  # what completed it: reading, quiz, report, attendance:<who>
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StudyAttempt(OrgScoped, table=True):
    """One quiz attempt: the questions and option order drawn for it, then the answers; immutable once submitted."""

    __tablename__ = "study_attempt"
    __table_args__ = (Index("ix_study_attempt_task_member", "task_id", "member_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="study_task.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    layout: list[dict] = Field(default_factory=list, sa_type=JSON)  # [{"q": question id, "o": [option indexes shown]}]
    answers: Optional[dict] = Field(default=None, sa_type=JSON)  # {"<question id>": [option indexes]}
    score: Optional[int] = None
    passed: Optional[bool] = None
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
