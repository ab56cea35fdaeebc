"""The branch rating (党建质量评定): an indicator score from the data (meetings held, attendance, study
completion, service hours; weights in config) counting 60 %, the members' yearly evaluation counting 40 %
(shown only once enough members answered), and the grade 好 / 较好 / 一般 / 差 from config thresholds.

The evaluation is one short form per member and year, anonymous to the secretary: the ballot (who answered)
and the answer (what, under a random key, with no member and no time) are separate rows.
"""
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from config import RATING_GRADES, RATING_MIN_ANSWERS, RATING_SERVICE_HOURS, RATING_SPLIT, RATING_WEIGHTS
from models import EvaluationAnswer, EvaluationBallot, OrgUnit
from models.db import begin_write, unscoped
from services import meetings
from services.accounts import Principal
from services.errors import DomainError
from services.workspace.common import branches_under, cfg, get_unit, local_now, quarter_of, tz
from services.workspace.figures import member_figures

# The form: each question answered 好 (4) / 较好 (3) / 一般 (2) / 差 (1); points per answer below.
QUESTIONS = (
    ("life", _l("How well does the branch hold its meetings and organisational life (三会一课)?")),
    ("study", _l("How well does the branch organise study?")),
    ("service", _l("How well do the branch and its members serve the community?")),
    ("lead", _l("How well does the branch committee lead and listen to members?")),
)
CHOICES = ((4, _l("Good")), (3, _l("Fairly good")), (2, _l("Average")), (1, _l("Poor")))
POINTS = {4: 100, 3: 80, 2: 60, 1: 40}
GRADE_LABELS = {"good": _l("Good"), "fairly_good": _l("Fairly good"), "average": _l("Average"), "poor": _l("Poor")}
INDICATOR_LABELS = {"meetings": _l("Meetings held"), "attendance": _l("Attendance"),
                    "study": _l("Study completion"), "service": _l("Service hours")}


@dataclass
class Rating:
    """A branch's rating for a year, with its breakdown."""

    unit: OrgUnit
    year: int
    indicators: dict[str, float] = field(default_factory=dict)  # 0-100 each
    weights: dict[str, float] = field(default_factory=dict)
    answers: int = 0
    evaluation: float | None = None  # 0-100, None below the minimum number of answers
    min_answers: int = RATING_MIN_ANSWERS
    split: dict[str, float] = field(default_factory=dict)

    @property
    def indicator_score(self) -> float:
        total = sum(self.weights.values()) or 1
        return round(sum(self.indicators.get(k, 0) * w for k, w in self.weights.items()) / total, 1)

    @property
    def final(self) -> bool:
        """Whether the evaluation counts (enough answers); before that, the grade is provisional."""
        return self.evaluation is not None

    @property
    def score(self) -> float:
        if self.evaluation is None:
            return self.indicator_score
        a, b = self.split.get("indicators", 60), self.split.get("evaluation", 40)
        return round((self.indicator_score * a + self.evaluation * b) / ((a + b) or 1), 1)

    @property
    def grade(self) -> str:
        for bound, name in cfg("RATING_GRADES", RATING_GRADES):
            if self.score >= bound:
                return name
        return "poor"

    @property
    def grade_label(self) -> str:
        return str(GRADE_LABELS.get(self.grade, self.grade))

    @property
    def flagged(self) -> bool:
        """Graded 差: the committee's attention is needed."""
        return self.grade == "poor"

    def rows(self) -> list[tuple[str, float, float]]:
        """(label, value, weight) per indicator, for the breakdown."""
        return [(str(INDICATOR_LABELS.get(k, k)), round(self.indicators.get(k, 0), 1), w)
                for k, w in self.weights.items()]


def _share(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


def ratings(session: Session, *, branches: list[OrgUnit], year: int, now: datetime | None = None) -> list[Rating]:
    """The ratings of these branches for `year` (the caller checked they may be seen)."""
    if not branches:
        return []
    today = local_now(now).date()
    until = min(today, date(year, 12, 31))
    ids = [b.id for b in branches]
    weights = dict(cfg("RATING_WEIGHTS", RATING_WEIGHTS))
    split = dict(cfg("RATING_SPLIT", RATING_SPLIT))
    minimum = int(cfg("RATING_MIN_ANSWERS", RATING_MIN_ANSWERS))
    out = {b.id: Rating(unit=b, year=year, weights=weights, split=split, min_answers=minimum) for b in branches}
    # meetings held: over the periods that are over (the whole year once it is over)
    last_q = quarter_of(until) if year == today.year else 4
    held = {i: 0 for i in ids}
    required = {i: 0 for i in ids}
    for q in range(1, last_q + 1):
        for item in meetings.compliance(session, unit_ids=ids, year=year, quarter=q, now=now):
            for rule in item.rules:
                if rule.period == "year" and q != last_q:
                    continue
                for p in rule.periods:
                    if p.state in ("ok", "missing"):
                        required[item.unit.id] += p.required
                        held[item.unit.id] += min(p.held, p.required)
    since = datetime(year, 1, 1, tzinfo=tz())
    present = {i: 0 for i in ids}
    invited = {i: 0 for i in ids}
    for rate in meetings.attendance_rates(session, unit_ids=ids, since=since, now=now):
        if rate.meeting.starts_at.astimezone(tz()).year == year:
            present[rate.meeting.org_unit_id] += rate.present
            invited[rate.meeting.org_unit_id] += rate.invited
    expected_minutes = 60 * float(cfg("RATING_SERVICE_HOURS", RATING_SERVICE_HOURS)) * (
        (until - date(year, 1, 1)).days + 1) / ((date(year + 1, 1, 1) - date(year, 1, 1)).days)
    counts = {i: [0, 0, 0] for i in ids}  # members, on track with study, enough service
    for fig in member_figures(session, branch_ids=ids, year=year, now=now).values():
        c = counts[fig.branch_id]
        c[0] += 1
        c[1] += not fig.study_behind(until)
        c[2] += fig.service_minutes >= expected_minutes
    for i in ids:
        members, study_ok, service_ok = counts[i]
        out[i].indicators = {"meetings": _share(held[i], required[i]), "attendance": _share(present[i], invited[i]),
                             "study": _share(study_ok, members), "service": _share(service_ok, members)}
    with unscoped(session):
        answers = session.exec(select(EvaluationAnswer.org_unit_id, EvaluationAnswer.scores)
                               .where(EvaluationAnswer.org_unit_id.in_(ids), EvaluationAnswer.year == year)).all()
    points: dict[int, list[float]] = {i: [] for i in ids}
    for unit_id, scores in answers:
        values = [POINTS.get(int(s), 0) for s in (scores or [])]
        if values:
            points[unit_id].append(sum(values) / len(values))
    for i in ids:
        out[i].answers = len(points[i])
        if len(points[i]) >= minimum:
            out[i].evaluation = round(sum(points[i]) / len(points[i]), 1)
    return list(out.values())


@dataclass
class RatingPage:
    """The rating of a unit: one branch, or every branch under a committee (差 first)."""

    unit: OrgUnit
    year: int
    ratings: list[Rating]


def rating_page(session: Session, principal: Principal, *, unit_id: int, year: int | None = None,
                now: datetime | None = None) -> RatingPage:
    """The ratings of the branches under a unit in the person's workspace (NotFound for any other)."""
    unit = get_unit(session, principal, unit_id)
    year = year or local_now(now).year
    result = ratings(session, branches=branches_under(session, unit), year=year, now=now)
    result.sort(key=lambda r: (not r.flagged, r.score, r.unit.name))
    return RatingPage(unit=unit, year=year, ratings=result)


# -- the members' evaluation ------------------------------------------------------------------------

def has_answered(session: Session, principal: Principal, *, year: int | None = None) -> bool:
    """Whether the member already answered this year's evaluation."""
    year = year or local_now().year
    with unscoped(session):
        return session.exec(select(EvaluationBallot.id).where(EvaluationBallot.member_id == principal.id,
                                                              EvaluationBallot.year == year)).first() is not None


def submit_evaluation(session: Session, principal: Principal, *, scores: dict, now: datetime | None = None) -> None:
    """Record a member's evaluation of their branch for this year: one per member and year, anonymous."""
    year = local_now(now).year
    values = []
    for key, _label in QUESTIONS:
        try:
            value = int(str(scores.get(key, "")).strip())
        except ValueError:
            value = 0
        if value not in POINTS:
            raise DomainError("incomplete", _l("Answer every question."))
        values.append(value)
    if not principal.branch_id:
        raise DomainError("no_branch", _l("You are not in a branch."))
    begin_write(session)
    if has_answered(session, principal, year=year):
        raise DomainError("already_answered", _l("You have already answered this year's evaluation."), status=409)
    session.add(EvaluationBallot(member_id=principal.id, year=year, org_unit_id=principal.branch_id))
    session.add(EvaluationAnswer(id=secrets.token_hex(16), year=year, scores=values, org_unit_id=principal.branch_id))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DomainError("already_answered", _l("You have already answered this year's evaluation."),
                          status=409) from None
