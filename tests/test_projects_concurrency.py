"""A project's steps under real parallel requests: two app workers, one database.

Eight staff of the center tap the same step of the same project at the same
moment (a double submit, a team of workers on one phone each). Each step is
one decision under the project's row lock: it is taken once, audited once,
and every tap with the same values is answered as done. A different value
for a step already taken is refused.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import AuditEntry, Project, ProjectComment, ProjectSpending

from . import factories as f
from .conftest import make_app
from .http_client import fire_together, log_in_all
from .live import live_server

PEOPLE = 8
LIVE_ENV = {"LOGIN_LIMITS_PER_ADDRESS": "10000/minute"}


@pytest.fixture(scope="module")
def desk(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    today = clock.today()  # the live server's clock is the real one
    with app.app_context():
        center = f.site(name="并发中心")
        staff = [f.user(f"社工{i}", staff_of=(center,)).mobile for i in range(PEOPLE)]
        resident = f.user("居民")
        drafts = [f.project(center, "draft", title=f"并发草稿{i}") for i in range(2)]
        ended = f.project(center, "publicity", title="公示已结束", filing_number="并发-1",
                          filed_on=today - timedelta(days=20),
                          publicity_starts_on=today - timedelta(days=10),
                          publicity_ends_on=today - timedelta(days=1))  # fmt: skip
        running = f.project(
            center,
            "running",
            title="实施中",
            budget_yuan=1000,
            filing_number="并发-2",
            filed_on=today - timedelta(days=30),
        )
        db.session.flush()
        comment = ProjectComment(project_id=ended.id, user_id=resident.id, body="含有电话")
        db.session.add(comment)
        db.session.commit()
        ids = {"site": center.id, "drafts": [d.id for d in drafts], "ended": ended.id,
               "running": running.id, "comment": comment.id, "today": today}  # fmt: skip
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, "staff": staff, **ids}
    with app.app_context():
        db.engine.dispose()


def _path(desk, project_id, *parts) -> str:
    return "/".join([f"/staff/sites/{desk['site']}/volunteering/projects/{project_id}", *parts])


def _all_at_once(desk, project_id, path, data_for):
    visitors = log_in_all(desk["base_url"], desk["staff"], f.PASSWORD, _path(desk, project_id))
    calls = [
        (lambda v=v, t=t, i=i: v.post(path, data_for(i), t)) for i, (v, t) in enumerate(visitors)
    ]
    return fire_together(calls)


def _audits(desk, action: str, project_id: int | None = None) -> int:
    """Audit entries of ``action`` (of one project, when given: each test's own, so the
    count does not depend on which tests ran before on this worker)."""
    where = [AuditEntry.action == action]
    if project_id is not None:
        where.append(AuditEntry.target_id == project_id)
    with desk["app"].app_context():
        found = db.session.scalar(select(func.count(AuditEntry.id)).where(*where))
        db.session.remove()
    return found


def _project(desk, project_id) -> Project:
    with desk["app"].app_context():
        project = db.session.get(Project, project_id)
        db.session.expunge(project)
        db.session.remove()
    return project


def test_the_same_filing_tapped_at_once_files_once(desk):
    project_id = desk["drafts"][0]
    data = f.prefixed("filing", {"filing_number": "并发备案-1",
                                 "filed_on": desk["today"].isoformat()})  # fmt: skip
    responses = _all_at_once(desk, project_id, _path(desk, project_id, "file"), lambda i: data)
    assert sorted(r.status_code for r in responses) == [303] * PEOPLE
    project = _project(desk, project_id)
    assert (project.status, project.filing_number) == ("filed", "并发备案-1")
    assert _audits(desk, "project.filed", project_id) == 1


def test_different_filings_at_once_file_one_and_refuse_the_rest(desk):
    project_id = desk["drafts"][1]
    responses = _all_at_once(
        desk, project_id, _path(desk, project_id, "file"),
        lambda i: f.prefixed("filing", {"filing_number": f"并发备案-二-{i}",
                                        "filed_on": desk["today"].isoformat()}),
    )  # fmt: skip
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [422] * (PEOPLE - 1), statuses
    assert _project(desk, project_id).status == "filed"
    assert _audits(desk, "project.filed", project_id) == 1


def test_starting_tapped_at_once_starts_once(desk):
    project_id = desk["ended"]
    responses = _all_at_once(desk, project_id, _path(desk, project_id, "start"), lambda i: {})
    assert sorted(r.status_code for r in responses) == [303] * PEOPLE
    assert _project(desk, project_id).status == "running"
    assert _audits(desk, "project.started") == 1


def test_hiding_an_opinion_at_once_hides_it_once(desk):
    project_id, comment_id = desk["ended"], desk["comment"]
    path = _path(desk, project_id, "comments", str(comment_id), "hide")
    responses = _all_at_once(
        desk, project_id, path, lambda i: {f"comment{comment_id}-hide-reason": f"含有电话{i}"}
    )
    assert sorted(r.status_code for r in responses) == [303] * PEOPLE
    assert _audits(desk, "project.comment_hidden") == 1
    with desk["app"].app_context():
        reason = db.session.get(ProjectComment, comment_id).hidden_reason
        db.session.remove()
    assert reason.startswith("含有电话")


def test_the_same_spending_sent_at_once_is_recorded_once(desk):
    project_id = desk["running"]
    data = f.prefixed("spending", {"spent_on": desk["today"].isoformat(), "amount": "128.50",
                                   "purpose": "理发工具", "payee": "五金店"})  # fmt: skip
    responses = _all_at_once(desk, project_id, _path(desk, project_id, "spending"), lambda i: data)
    assert sorted(r.status_code for r in responses) == [303] * PEOPLE
    with desk["app"].app_context():
        entries = db.session.scalar(
            select(func.count(ProjectSpending.id)).where(ProjectSpending.project_id == project_id)
        )
        db.session.remove()
    assert entries == 1 and _audits(desk, "project.spending_added") == 1
