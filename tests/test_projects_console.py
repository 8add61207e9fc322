"""Service projects through their pages: the staff console (draft, filing,
publicity, opinions, start, completion with a photo, spending) and the public
project page. Each route: status, content, database state, audit entries, each
bad input (422, nothing changed) and 403 outside the staff's scope.

New messages are checked in English (the ``lang`` cookie), so the tests hold
before and after their Chinese translations are merged; Chinese is checked
where the words are the catalog's already.
"""

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Project, ProjectComment, ProjectSpending, Signup, Upload

from . import factories as f
from .html_check import assert_clean_page

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # Monday 08:00
TODAY = NOW.date()


@pytest.fixture
def unit(app, client, freeze):
    freeze(NOW)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    other = f.site(name="梅园中心")
    people = dict(
        staff=f.user("站长", staff_of=(center,)),
        station_staff=f.user("社工", staff_of=(station,)),
        outsider=f.user("外站社工", staff_of=(other,)),
        resident=f.user("居民"),
    )
    team = f.team(center, "四季歌志愿服务队")
    db.session.commit()
    client.set_cookie("lang", "en")
    return dict(center=center, station=station, other=other, team=team, **people)


def console(site, *parts) -> str:
    path = f"/staff/sites/{site.id}/volunteering/projects"
    return "/".join([path, *(str(p) for p in parts)])


def project_at(unit, stage, site=None, **fields) -> Project:
    # A read of this session may be older than a request's write: a write from
    # that old snapshot is refused by SQLite, so start from a new one.
    db.session.rollback()
    values = {}
    if stage != "draft":
        values = {"filing_number": f"东备-{stage}", "filed_on": TODAY - timedelta(days=20)}
    if stage in ("publicity", "running", "completed"):
        values |= {"publicity_starts_on": TODAY - timedelta(days=15),
                   "publicity_ends_on": TODAY - timedelta(days=8)}  # fmt: skip
    project = f.project(
        site or unit["center"],
        stage,
        teams=(unit["team"],),
        budget_yuan=2000,
        title=fields.pop("title", f"测试项目-{stage}"),
        **{**values, **fields},
    )
    db.session.commit()
    return project


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(model.id)))


def audits(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def sound_page(app, client, path: str):
    """GET ``path`` with CSRF on (as in production, so forms carry their token) and
    check its HTML; CSRF is off again for the test's own posts."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.get(path)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 200, path
    assert_clean_page(response)
    return response


def jpeg(size=(120, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(out, "JPEG")
    return out.getvalue()


DRAFT = {"title": "爱心理发进小区", "category": "daily_life", "site_id": "community",
         "beneficiaries": "独居老人", "budget_yuan": "2000", "fund_source": "社区公益金",
         "description": "每月上门理发"}  # fmt: skip


def draft_form(unit, **changes) -> dict:
    data = {**DRAFT, "team_ids": str(unit["team"].id), **changes}
    return f.prefixed("project", data)


# The list and a new draft ------------------------------------------------------------


def test_the_list_shows_the_units_projects_by_stage(app, client, auth, unit):
    mine = project_at(unit, "publicity", title="中心的项目")
    at_station = project_at(unit, "running", site=unit["station"], title="站点的项目")
    wide = project_at(unit, "draft", title="全社区的草稿")
    wide.site_id = None
    project_at(unit, "filed", site=unit["other"], title="别的中心的项目")
    db.session.commit()
    auth.login(unit["staff"])
    text = sound_page(app, client, console(unit["center"])).text
    for title in ("中心的项目", "站点的项目", "全社区的草稿"):
        assert title in text
    assert "别的中心的项目" not in text
    assert text.index("全社区的草稿") < text.index("中心的项目") < text.index("站点的项目")
    assert f'href="{console(unit["center"], mine.id)}"' in text
    assert 'action="' + console(unit["center"]) + '"' in text  # the new draft's form
    # A station's console: the station's projects only.
    auth.logout()
    auth.login(unit["station_staff"])
    text = client.get(console(unit["station"])).text
    assert "站点的项目" in text and "中心的项目" not in text and "全社区的草稿" not in text
    assert f'href="{console(unit["station"], at_station.id)}"' in text


def test_staff_draft_a_project(client, auth, unit):
    auth.login(unit["staff"])
    # A budget typed on a Chinese keyboard: full-width digits and comma.
    response = client.post(console(unit["center"]), data=draft_form(unit, budget_yuan="２，０００"))
    assert response.status_code == 303
    db.session.rollback()
    project = db.session.scalar(select(Project))
    assert response.headers["Location"] == console(unit["center"], project.id)
    assert (project.status, project.site_id, project.budget_yuan) == ("draft", None, 2000)
    assert [t.id for t in project.teams] == [unit["team"].id]
    [entry] = audits("project.created")
    assert entry.actor_id == unit["staff"].id and entry.site_id == unit["center"].id
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "爱心理发进小区" in page.text
    assert "The draft is saved" in page.text
    # Drafts are private: the public list and page do not show it to others.
    auth.logout()
    assert "爱心理发进小区" not in client.get("/projects").text
    assert client.get(f"/projects/{project.id}").status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Give the project a title."),
        ({"title": "长" * 81}, "Keep this to 80 characters or fewer."),
        ({"category": "fishing"}, "Choose a category from the list."),
        ({"site_id": "999999"}, "Choose where the project takes place."),
        ({"team_ids": "999999"}, "Choose teams from the list."),
        ({"budget_yuan": "-1"}, "Enter the budget in whole yuan"),
        ({"budget_yuan": "1.5"}, "Enter the budget in whole yuan"),
        ({"budget_yuan": "NaN"}, "Enter the budget in whole yuan"),
        ({"budget_yuan": "100000001"}, "Enter the budget in whole yuan"),
        ({"budget_yuan": ""}, "Enter the budget in whole yuan"),
        ({"fund_source": "长" * 81}, "Keep this to 80 characters or fewer."),
        ({"beneficiaries": "长" * 201}, "Keep this to 200 characters or fewer."),
        ({"description": "长" * 2001}, "Keep this to 2000 characters or fewer."),
    ],
)
def test_a_bad_draft_changes_nothing_and_keeps_the_typing(client, auth, unit, changes, message):
    auth.login(unit["staff"])
    response = client.post(console(unit["center"]), data=draft_form(unit, **changes))
    assert response.status_code == 422
    assert message in response.text
    for name, typed in (("title", "爱心理发进小区"), ("beneficiaries", "独居老人")):
        if name not in changes:
            assert f'value="{typed}"' in response.text  # what was typed stays
    assert "open" in re.search(r'<details id="new-project"[^>]*>', response.text).group(0)
    assert count(Project) == 0 and audits("project.created") == []


def test_a_station_cannot_draft_for_the_whole_community(client, auth, unit):
    auth.login(unit["station_staff"])
    response = client.post(console(unit["station"]), data=draft_form(unit))
    assert response.status_code == 422 and count(Project) == 0
    data = draft_form(unit, site_id=str(unit["station"].id))
    assert client.post(console(unit["station"]), data=data).status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(Project.site_id)) == unit["station"].id


# One project's page: each stage's step ----------------------------------------------


def test_edit_a_draft_then_it_is_filed_and_stays(app, client, auth, unit):
    project = project_at(unit, "draft")
    auth.login(unit["staff"])
    page = sound_page(app, client, console(unit["center"], project.id))
    assert "Edit the draft" in page.text
    path = console(unit["center"], project.id, "edit")
    response = client.post(path, data=draft_form(unit, title="上门理发", budget_yuan="3000"))
    assert response.status_code == 303
    assert (fresh(Project, project.id).title, fresh(Project, project.id).budget_yuan) == (
        "上门理发", 3000)  # fmt: skip
    [entry] = audits("project.edited")
    assert entry.after["title"] == "上门理发" and entry.before["budget_yuan"] == 2000
    bad = client.post(path, data=draft_form(unit, title=""))
    assert bad.status_code == 422 and fresh(Project, project.id).title == "上门理发"
    # Filed, the draft's form is gone and a stale one is refused.
    filed = client.post(console(unit["center"], project.id, "file"),
                        data=f.prefixed("filing", {"filing_number": "东备２０２６－００７",
                                                   "filed_on": TODAY.isoformat()}))  # fmt: skip
    assert filed.status_code == 303
    project = fresh(Project, project.id)
    assert (project.status, project.filing_number) == ("filed", "东备2026-007")
    assert len(audits("project.filed")) == 1
    page = client.get(console(unit["center"], project.id)).text
    assert "Edit the draft" not in page and "Publish for comment" in page
    stale = client.post(path, data=draft_form(unit, title="改名"))
    assert stale.status_code == 422 and "Only a draft can be edited" in stale.text
    assert fresh(Project, project.id).title == "上门理发"
    # The public page now shows it, with its filing.
    auth.logout()
    public = client.get(f"/projects/{project.id}")
    assert public.status_code == 200 and "东备2026-007" in public.text


@pytest.mark.parametrize(
    ("number", "day", "message"),
    [
        ("", TODAY.isoformat(), "Enter the filing number."),
        ("长" * 41, TODAY.isoformat(), "Keep this to 40 characters or fewer."),
        ("东备-1", (TODAY + timedelta(days=1)).isoformat(), "cannot be in the future"),
        ("东备-1", "2026-13-45", "Enter a date such as 2026-11-23."),
        ("东备-1", "9999-12-31", "Choose a date from 2000-01-01"),
        ("东备-1", "", "Enter the day it was filed."),
        ("东备-taken", TODAY.isoformat(), "Another project already has this filing number."),
    ],
)
def test_bad_filing_changes_nothing(client, auth, unit, number, day, message):
    project_at(unit, "filed", filing_number="东备-taken", title="已备案")
    project = project_at(unit, "draft")
    auth.login(unit["staff"])
    response = client.post(
        console(unit["center"], project.id, "file"),
        data=f.prefixed("filing", {"filing_number": number, "filed_on": day}),
    )
    assert response.status_code == 422 and message in response.text
    assert fresh(Project, project.id).status == "draft" and audits("project.filed") == []


def test_publicity_then_a_resident_gives_an_opinion(client, auth, unit):
    project = project_at(unit, "filed")
    auth.login(unit["staff"])
    response = client.post(console(unit["center"], project.id, "publicity"),
                           data=f.prefixed("publicity", {"starts_on": TODAY.isoformat(),
                                                         "ends_on": "2026-11-30"}))  # fmt: skip
    assert response.status_code == 303
    opened = fresh(Project, project.id)
    assert (opened.status, opened.publicity_ends_on) == ("publicity", date(2026, 11, 30))
    assert len(audits("project.publicity_opened")) == 1
    page = client.get(console(unit["center"], project.id)).text
    assert "The project can start the day after" in page
    assert console(unit["center"], project.id, "start") not in page  # not before it ends
    auth.logout()
    auth.login(unit["resident"])
    assert "Publish my opinion" in client.get(f"/projects/{project.id}").text
    client.set_cookie("lang", "zh")  # the words are in the catalog already
    assert "发表意见" in client.get(f"/projects/{project.id}").text
    client.set_cookie("lang", "en")
    sent = client.post(f"/projects/{project.id}/comments", data={"body": "建议周末也开放"})
    assert sent.status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(ProjectComment.body)) == "建议周末也开放"
    assert "建议周末也开放" in client.get(f"/projects/{project.id}").text


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        ((TODAY - timedelta(days=1)).isoformat(), "2026-11-30", "Choose a first day of publicity"),
        ("2026-11-30", "2026-11-29", "on or after the first day"),
        (TODAY.isoformat(), "2027-03-01", "at most 90 days"),
        (TODAY.isoformat(), "9999-12-31", "Choose a date from 2000-01-01"),
        ("0001-01-01", "2026-11-30", "Choose a date from 2000-01-01"),
        ("", "2026-11-30", "Choose the first day."),
        (TODAY.isoformat(), "soon", "Enter a date such as 2026-11-23."),
    ],
)
def test_bad_publicity_dates_change_nothing(client, auth, unit, starts, ends, message):
    project = project_at(unit, "filed")
    auth.login(unit["staff"])
    response = client.post(
        console(unit["center"], project.id, "publicity"),
        data=f.prefixed("publicity", {"starts_on": starts, "ends_on": ends}),
    )
    assert response.status_code == 422 and message in response.text
    assert fresh(Project, project.id).status == "filed"


def test_starting_waits_for_the_end_of_publicity(client, auth, unit, freeze):
    project = project_at(unit, "publicity", publicity_starts_on=TODAY - timedelta(days=2),
                         publicity_ends_on=TODAY)  # fmt: skip
    auth.login(unit["staff"])
    path = console(unit["center"], project.id, "start")
    early = client.post(path)
    assert early.status_code == 422 and "once its publicity period has ended" in early.text
    assert fresh(Project, project.id).status == "publicity"
    freeze(NOW + timedelta(days=1))
    auth.login(unit["staff"])  # a day later: a new login
    assert path in client.get(console(unit["center"], project.id)).text
    assert client.post(path).status_code == 303
    assert fresh(Project, project.id).status == "running"
    assert len(audits("project.started")) == 1


def test_complete_with_a_photo_shown_on_the_public_page(client, auth, unit):
    project = project_at(unit, "running")
    activity = f.activity(unit["center"], NOW - timedelta(days=2), project_obj=project)
    volunteer = f.volunteer("小李")
    db.session.add(Signup(activity_id=activity.id, user_id=volunteer.id, status="attended",
                          hours_credited=Decimal("2.5")))  # fmt: skip
    db.session.commit()
    auth.login(unit["staff"])
    page = client.get(console(unit["center"], project.id))
    assert 'enctype="multipart/form-data"' in page.text and "2.5" in page.text
    data = {
        **f.prefixed("complete", {"beneficiaries": "１２０", "summary": "服务了一百二十位老人"}),
        "complete-photo": (io.BytesIO(jpeg()), "合影.jpg"),
    }
    response = client.post(console(unit["center"], project.id, "complete"), data=data,
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303
    done = fresh(Project, project.id)
    assert (done.status, done.outcome_beneficiaries) == ("completed", 120)
    assert done.outcome_hours == Decimal("2.5")
    upload = db.session.get(Upload, done.outcome_photo_id)
    assert upload.public and (upload.width, upload.height) == (120, 90)
    [entry] = audits("project.completed")
    assert entry.after["hours"] == "2.50" and entry.after["photo"] is True
    auth.logout()
    public = client.get(f"/projects/{project.id}").text
    assert f'src="/photos/{upload.key}.jpg"' in public and "服务了一百二十位老人" in public
    assert ">120<" in public and ">2.5<" in public
    photo = client.get(f"/photos/{upload.key}.jpg")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(photo.data)).size == (120, 90)


def test_a_file_that_is_not_a_photo_is_refused_with_the_message(client, auth, unit):
    project = project_at(unit, "running")
    client.set_cookie("lang", "zh")
    auth.login(unit["staff"])
    data = {**f.prefixed("complete", {"beneficiaries": "10", "summary": "完成"}),
            "complete-photo": (io.BytesIO(b"%PDF-1.4 not a photo"), "合影.jpg")}  # fmt: skip
    response = client.post(console(unit["center"], project.id, "complete"), data=data,
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 422
    assert "请选择照片：JPEG、PNG 或 WebP 格式的图片。" in response.text
    assert 'value="10"' in response.text and "完成</textarea>" in response.text
    assert fresh(Project, project.id).status == "running" and count(Upload) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"beneficiaries": "", "summary": "完成"}, "Enter how many people the project served"),
        ({"beneficiaries": "-3", "summary": "完成"}, "Enter how many people the project served"),
        ({"beneficiaries": "1e3", "summary": "完成"}, "Enter how many people the project served"),
        ({"beneficiaries": "10", "summary": ""}, "Write a short summary."),
        ({"beneficiaries": "10", "summary": "长" * 501}, "Keep this to 500 characters or fewer."),
    ],
)
def test_a_bad_outcome_completes_nothing(client, auth, unit, data, message):
    project = project_at(unit, "running")
    auth.login(unit["staff"])
    response = client.post(console(unit["center"], project.id, "complete"),
                           data=f.prefixed("complete", data))  # fmt: skip
    assert response.status_code == 422 and message in response.text
    assert fresh(Project, project.id).status == "running" and audits("project.completed") == []


# Opinions: answered, hidden ----------------------------------------------------------


def _opinions(unit):
    project = project_at(unit, "publicity", publicity_starts_on=TODAY - timedelta(days=1),
                         publicity_ends_on=TODAY + timedelta(days=5))  # fmt: skip
    first = ProjectComment(project_id=project.id, user_id=unit["resident"].id, body="建议周末开放")
    second = ProjectComment(project_id=project.id, user_id=unit["resident"].id,
                            body="隔壁王阿姨电话13812345678")  # fmt: skip
    db.session.add_all([first, second])
    db.session.commit()
    return project, first, second


def test_staff_answer_one_opinion_and_hide_another(app, client, auth, unit):
    project, first, second = _opinions(unit)
    auth.login(unit["staff"])
    sound_page(app, client, console(unit["center"], project.id))
    answer = client.post(console(unit["center"], project.id, "comments", first.id, "reply"),
                         data={f"comment{first.id}-reply-body": "好的，周六也开放"})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"#comment-{first.id}")
    path = console(unit["center"], project.id, "comments", second.id, "hide")
    missing = client.post(path, data={f"comment{second.id}-hide-reason": "  "})
    assert missing.status_code == 422 and "residents see the reason" in missing.text
    assert fresh(ProjectComment, second.id).hidden_at is None and not audits(
        "project.comment_hidden")  # fmt: skip
    hidden = client.post(path, data={f"comment{second.id}-hide-reason": "含有他人电话号码"})
    assert hidden.status_code == 303
    row = fresh(ProjectComment, second.id)
    assert row.hidden_reason == "含有他人电话号码" and row.hidden_by_id == unit["staff"].id
    [entry] = audits("project.comment_hidden")
    assert entry.after == {"comment_id": second.id, "reason": "含有他人电话号码"}
    assert len(audits("project.reply")) == 1
    # A hidden opinion takes no answer.
    late = client.post(console(unit["center"], project.id, "comments", second.id, "reply"),
                       data={f"comment{second.id}-reply-body": "好"})  # fmt: skip
    assert late.status_code == 422 and fresh(ProjectComment, second.id).reply == ""
    auth.logout()
    public = client.get(f"/projects/{project.id}").text
    assert "好的，周六也开放" in public
    assert "13812345678" not in public
    assert "Hidden by staff: 含有他人电话号码" in public


def test_an_opinion_of_another_project_is_404(client, auth, unit):
    project, first, _second = _opinions(unit)
    other = project_at(unit, "publicity", title="另一个")
    auth.login(unit["staff"])
    for step, field in (("reply", "body"), ("hide", "reason")):
        path = console(unit["center"], other.id, "comments", first.id, step)
        response = client.post(path, data={f"comment{first.id}-{step}-{field}": "x"})
        assert response.status_code == 404
    assert client.post(console(unit["center"], project.id, "comments", 999999, "hide"),
                       data={}).status_code == 404  # fmt: skip


def test_a_residents_opinion_refused_comes_back_as_typed(client, auth, unit):
    project, _first, _second = _opinions(unit)
    auth.login(unit["resident"])
    empty = client.post(f"/projects/{project.id}/comments", data={"body": "  "})
    assert empty.status_code == 422 and "Write your opinion in 1 to 500 characters." in empty.text
    long = client.post(f"/projects/{project.id}/comments", data={"body": "长" * 501})
    assert long.status_code == 422 and "长" * 501 + "</textarea>" in long.text
    running = project_at(unit, "running")
    closed = client.post(f"/projects/{running.id}/comments", data={"body": "晚了"})
    assert closed.status_code == 422
    assert "Opinions are taken only during the publicity period." in closed.text
    assert count(ProjectComment) == 2
    assert client.post(f"/projects/{project.id}/comments", data={"body": "x"},
                       headers={"HX-Request": "true"}).status_code == 303  # fmt: skip


# Spending ---------------------------------------------------------------------------------


def _add(client, unit, project, **values):
    data = {"spent_on": TODAY.isoformat(), "amount": "100", "purpose": "理发工具",
            "payee": "五金店", **values}  # fmt: skip
    return client.post(console(unit["center"], project.id, "spending"),
                       data=f.prefixed("spending", data))  # fmt: skip


def test_spending_is_public_with_the_total_left(client, auth, unit):
    project = project_at(unit, "running")  # 2000 yuan
    auth.login(unit["staff"])
    assert _add(client, unit, project, amount="１２８０．５０").status_code == 303
    assert _add(client, unit, project, amount="0.10", purpose="塑料袋").status_code == 303
    again = _add(client, unit, project, amount="0.1", purpose="塑料袋")  # a double tap
    assert again.status_code == 303 and count(ProjectSpending) == 2
    assert "This entry was recorded already." in client.get(again.headers["Location"]).text
    [first, _second] = audits("project.spending_added")
    assert first.after["amount_yuan"] == "1280.50"
    auth.logout()
    public = client.get(f"/projects/{project.id}").text
    assert "1,280.50" in public and "理发工具" in public and "五金店" in public
    assert "1,280.60" in public and "719.40" in public  # spent, and left
    assert "Over budget" not in public


def test_spending_over_the_budget_is_said_not_hidden(client, auth, unit):
    project = project_at(unit, "running")
    auth.login(unit["staff"])
    assert _add(client, unit, project, amount="2000.01").status_code == 303
    public = client.get(f"/projects/{project.id}").text
    assert "Over budget by 0.01 yuan." in public
    assert "-0.01" not in public and "<dd>0.00 yuan</dd>" in public


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"amount": "NaN"}, "at most two decimals"),
        ({"amount": "inf"}, "at most two decimals"),
        ({"amount": "-5"}, "at most two decimals"),
        ({"amount": "1e3"}, "at most two decimals"),
        ({"amount": "0"}, "The amount must be more than 0."),
        ({"amount": "0.00"}, "The amount must be more than 0."),
        ({"amount": "12.345"}, "at most two decimals"),
        ({"amount": "100000000"}, "An entry is at most 99,999,999.99 yuan."),
        ({"amount": "9" * 30}, "at most two decimals"),
        ({"amount": "١٢"}, "at most two decimals"),
        ({"amount": ""}, "Enter the amount, such as 1280.50."),
        ({"spent_on": (TODAY + timedelta(days=1)).isoformat()}, "cannot be in the future"),
        ({"spent_on": "2024-01-01"}, "within the past year"),
        ({"spent_on": "9999-12-31"}, "Choose a date from 2000-01-01"),
        ({"purpose": ""}, "Say what it was for."),
        ({"payee": ""}, "Say who was paid."),
        ({"payee": "长" * 101}, "Keep this to 100 characters or fewer."),
    ],
)
def test_bad_spending_changes_nothing(client, auth, unit, values, message):
    project = project_at(unit, "running")
    auth.login(unit["staff"])
    response = _add(client, unit, project, **values)
    assert response.status_code == 422 and message in response.text
    assert count(ProjectSpending) == 0 and audits("project.spending_added") == []
    assert 'value="理发工具"' in response.text or values.get("purpose") == ""


def test_a_draft_takes_no_spending(client, auth, unit):
    project = project_at(unit, "draft")
    auth.login(unit["staff"])
    assert "Record spending" not in client.get(console(unit["center"], project.id)).text
    response = _add(client, unit, project)
    assert response.status_code == 422 and "once the project is filed" in response.text
    assert count(ProjectSpending) == 0


def test_a_mistaken_entry_is_removed(client, auth, unit):
    project = project_at(unit, "running")
    auth.login(unit["staff"])
    _add(client, unit, project, amount="99.90")
    db.session.rollback()
    entry = db.session.scalar(select(ProjectSpending))
    path = console(unit["center"], project.id, "spending", entry.id, "remove")
    response = client.post(path)
    assert response.status_code == 303 and response.headers["Location"].endswith("#spending")
    assert count(ProjectSpending) == 0
    [removed] = audits("project.spending_removed")
    assert removed.before["amount_yuan"] == "99.90" and removed.before["purpose"] == "理发工具"
    twice = client.post(path)
    assert twice.status_code == 303
    assert "This entry was removed already." in client.get(twice.headers["Location"]).text
    assert len(audits("project.spending_removed")) == 1


# Who may ------------------------------------------------------------------------------------


def _every_route(unit, project, comment_id, spending_id):
    """(method, path, data) for each route of a project's console, at the center."""
    site = unit["center"]
    return [
        ("GET", console(site), None),
        ("POST", console(site), draft_form(unit)),
        ("GET", console(site, project.id), None),
        ("POST", console(site, project.id, "edit"), draft_form(unit)),
        ("POST", console(site, project.id, "file"), f.prefixed("filing", {
            "filing_number": "X", "filed_on": TODAY.isoformat()})),
        ("POST", console(site, project.id, "publicity"), f.prefixed("publicity", {
            "starts_on": TODAY.isoformat(), "ends_on": TODAY.isoformat()})),
        ("POST", console(site, project.id, "start"), {}),
        ("POST", console(site, project.id, "complete"), f.prefixed("complete", {
            "beneficiaries": "1", "summary": "x"})),
        ("POST", console(site, project.id, "comments", comment_id, "reply"),
         {f"comment{comment_id}-reply-body": "x"}),
        ("POST", console(site, project.id, "comments", comment_id, "hide"),
         {f"comment{comment_id}-hide-reason": "x"}),
        ("POST", console(site, project.id, "spending"), f.prefixed("spending", {
            "spent_on": TODAY.isoformat(), "amount": "1", "purpose": "x", "payee": "y"})),
        ("POST", console(site, project.id, "spending", spending_id, "remove"), {}),
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["outsider", "station_staff", "resident"])
def test_staff_of_another_site_and_residents_get_403(client, auth, unit, who):
    project, first, _second = _opinions(unit)
    entry = ProjectSpending(project_id=project.id, spent_on=TODAY, amount_yuan=Decimal(5),
                            purpose="x", payee="y")  # fmt: skip
    db.session.add(entry)
    db.session.commit()
    before = (count(Project), count(ProjectSpending), count(AuditEntry))
    auth.login(unit[who])
    for method, path, data in _every_route(unit, project, first.id, entry.id):
        response = client.open(path, method=method, data=data)
        assert response.status_code == 403, (who, method, path)
    assert (count(Project), count(ProjectSpending), count(AuditEntry)) == before
    assert fresh(Project, project.id).status == "publicity"
    assert fresh(ProjectComment, first.id).reply == ""


def test_a_station_console_does_not_reach_the_centers_projects(client, auth, unit):
    project = project_at(unit, "draft")
    auth.login(unit["station_staff"])
    assert client.get(console(unit["station"], project.id)).status_code == 404
    response = client.post(console(unit["station"], project.id, "file"),
                           data=f.prefixed("filing", {"filing_number": "X",
                                                      "filed_on": TODAY.isoformat()}))  # fmt: skip
    assert response.status_code == 404 and fresh(Project, project.id).status == "draft"
    # Its manager sees the draft's public page, with the way to the console.
    auth.logout()
    auth.login(unit["staff"])
    public = client.get(f"/projects/{project.id}")
    assert public.status_code == 200 and console(unit["center"], project.id) in public.text


def test_visitors_are_sent_to_log_in(client, unit):
    project = project_at(unit, "draft")
    for path in (console(unit["center"]), console(unit["center"], project.id)):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_public_page_has_no_staff_forms_any_more(client, auth, unit):
    project, first, _second = _opinions(unit)
    auth.login(unit["staff"])
    text = client.get(f"/projects/{project.id}").text
    assert "/advance" not in text and "/reply" not in text
    assert console(unit["center"], project.id) in text
    assert client.post(f"/projects/{project.id}/advance").status_code == 404
    reply = client.post(f"/projects/{project.id}/comments/{first.id}/reply", data={"body": "x"})
    assert reply.status_code == 404
