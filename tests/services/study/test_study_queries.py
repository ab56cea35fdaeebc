"""The secretary's members × tasks matrix runs a fixed number of SQL queries, whatever the branch's size."""
from contextlib import contextmanager

from sqlalchemy import event

from models import StudyProgress
from services import study
from tests.services.study.helpers import principal, task_data

STATUSES = ["completed", "in_progress", "submitted", "returned"]


@contextmanager
def count_queries(engine):
    """Count every statement sent to the database inside the block."""
    seen: list[str] = []

    def before(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _branch(factory, session, members: int, tasks: int):
    """A branch with a secretary, `members` members, a group task, a chosen-members task and reading tasks."""
    unit = factory.branch()
    group = factory.group(unit)
    sec = factory.secretary(unit)
    people = [factory.member(unit, name=f"党员{i:03d}", password=None, group=group if i % 2 else None)
              for i in range(members)]
    p = principal(session, sec)
    made = []
    for i in range(tasks):
        if i == 0:
            t = study.create_task(session, p, unit_id=group.id, data=task_data(title="小组学习"))
        elif i == 1:
            t = study.create_task(session, p, unit_id=unit.id, data=task_data(
                title="指定学习", audience="members", member_ids=[m.id for m in people[:3]]))
        else:
            t = study.create_task(session, p, unit_id=unit.id, data=task_data(title=f"任务{i}"))
        made.append(t)
    for j, m in enumerate(people):
        for k, t in enumerate(made):
            if (j + k) % 3:
                status = STATUSES[(j + k) % len(STATUSES)]
                session.add(StudyProgress(task_id=t.id, member_id=m.id, org_unit_id=unit.id, status=status,
                                          credited_half=2 if status == "completed" else 0,
                                          credit_year=study.local_today().year if status == "completed" else None))
    session.commit()
    return unit, sec, p


def _service_queries(app, factory, session, members, tasks):
    unit, _sec, p = _branch(factory, session, members, tasks)
    with count_queries(app.extensions["sc_engine"]) as seen:
        mx = study.matrix(session, p, unit_id=unit.id)
    assert len(mx.rows) == members + 1 and len(mx.tasks) == tasks
    return len(seen)


def test_matrix_service_query_count_is_fixed(app, ctx, factory, session):
    """Does the matrix service run the same number of queries for 5 members × 3 tasks as for 20 × 10?"""
    small = _service_queries(app, factory, session, 5, 3)
    large = _service_queries(app, factory, session, 20, 10)
    assert small == large
    assert small <= 12


def _page_queries(app, client, auth, factory, session, members, tasks):
    unit, sec, _p = _branch(factory, session, members, tasks)
    session.commit()
    auth.login(sec.phone)
    client.get(f"/study/manage/units/{unit.id}/matrix")  # warm up: session refresh, template compilation
    with count_queries(app.extensions["sc_engine"]) as seen:
        response = client.get(f"/study/manage/units/{unit.id}/matrix")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<th scope="row" class="m-name">') == members + 2  # members, the secretary, the footer
    auth.logout()
    return len(seen)


def test_matrix_page_query_count_is_fixed(app, client, auth, factory, session):
    """Through the whole request (sign-in check, scope, matrix, rendering): same count for 5×3 and 20×10?"""
    small = _page_queries(app, client, auth, factory, session, 5, 3)
    large = _page_queries(app, client, auth, factory, session, 20, 10)
    assert small == large
