"""The pages of residents' requests, through the test client: the board, a
report with photos, one request, rating, "me too", private photos, and the
staff's queue, steps, reassignment, follow-up and 代办; with bad input."""

import io
import re
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import (
    Building,
    Compound,
    Grid,
    GridScope,
    Home,
    RequestPhoto,
    RequestStep,
    RequestSupport,
    ResidentRequest,
    Upload,
    User,
)
from app.requests import service

from . import factories as f
from .test_uploads import GPS_IFD, jpeg_with_gps

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ)


class World:
    pass


@pytest.fixture
def world(app, freeze):
    freeze(MONDAY)
    w = World()
    w.community = f.community(name="东方社区")
    w.center = f.site(w.community, name="东方中心")
    w.other_community = f.community(name="梅园社区")
    w.other_center = f.site(w.other_community, name="梅园中心")
    w.g1 = Grid(community_id=w.community.id, name="第一网格", level=1)
    w.g2 = Grid(community_id=w.community.id, name="第二网格", level=1)
    db.session.add_all([w.g1, w.g2])
    db.session.flush()
    w.compound = Compound(grid_id=w.g1.id, name="幸福小区")
    db.session.add(w.compound)
    db.session.flush()
    w.building = Building(compound_id=w.compound.id, name="3号楼")
    db.session.add(w.building)
    w.worker = f.user("刘网格")
    w.worker2 = f.user("赵网格")
    db.session.add_all([GridScope(user_id=w.worker.id, grid_id=w.g1.id),
                        GridScope(user_id=w.worker2.id, grid_id=w.g2.id)])  # fmt: skip
    w.center_staff = f.user("张站长", staff_of=(w.center,))
    w.other_staff = f.user("梅园站长", staff_of=(w.other_center,))
    w.resident = f.user("王阿姨")
    w.neighbour = f.user("李大爷")
    db.session.add(Home(user_id=w.resident.id, community_id=w.community.id, grid_id=w.g1.id,
                        compound_id=w.compound.id, building_id=w.building.id))  # fmt: skip
    db.session.commit()
    return w


def _report(w, **kwargs):
    values = {"category": "repairs", "text": "3号楼东侧路灯坏了，电话13812345678",
              "place_kind": "home", "public": True}  # fmt: skip
    values.update(kwargs)
    req = service.report(w.resident, **values)
    return req.id


def _form(text="路灯坏了，晚上很黑", **extra):
    data = {"report-category": "repairs", "report-text": text, "report-place": "home",
            "report-place_text": "3号楼东侧", "report-public": "y"}  # fmt: skip
    data.update(extra)
    return data


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(model.id)))


# The board ----------------------------------------------------------------------------------


def test_the_board_shows_public_requests_without_numbers_or_names(client, world):
    _report(world)
    _report(world, text="私下的事", public=False)
    page = client.get("/requests")
    assert page.status_code == 200
    assert "3号楼东侧路灯坏了" in page.text and "13812345678" not in page.text
    assert "私下的事" not in page.text and "王阿姨" not in page.text
    assert "响应率" in page.text and "满意率" in page.text
    assert client.get(f"/requests?community={world.community.id}").status_code == 200
    assert "3号楼东侧" not in client.get(f"/requests?community={world.other_community.id}").text


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=99999999999", "community=99999999999", "street=-1", "district=１",
     "category=<script>", "status=%00", "community=NaN"],
)  # fmt: skip
def test_bad_board_filters_answer_a_page(client, world, query):
    response = client.get(f"/requests?{query}")
    assert response.status_code in (200, 400)
    assert "<script>" not in response.text


# Reporting -------------------------------------------------------------------------------------


def test_reporting_needs_a_login(client, world):
    response = client.get("/requests/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_resident_reports_with_a_photo_and_the_gps_is_gone(client, auth, world):
    auth.login(world.resident)
    page = client.get("/requests/new")
    assert page.status_code == 200 and "第一网格" in page.text
    data = _form()
    data["report-photos"] = [(io.BytesIO(jpeg_with_gps()), "lamp.jpg", "image/jpeg")]
    response = client.post("/requests/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.text
    db.session.rollback()
    req = db.session.scalar(select(ResidentRequest))
    assert response.headers["Location"] == f"/requests/{req.id}"
    assert (req.grid_id, req.place_text, req.public) == (world.g1.id, "3号楼东侧", True)
    photo = db.session.scalar(select(Upload))
    assert photo.public is False
    image = Image.open(io.BytesIO(photo.data))
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(GPS_IFD) == {}
    detail = client.get(response.headers["Location"])
    assert detail.status_code == 200 and "路灯坏了" in detail.text
    assert f"/requests/photos/{photo.key}.jpg" in detail.text


@pytest.mark.parametrize(
    "change, status, message",
    [
        ({"report-category": "weather"}, 422, "请选择问题的类型"),
        ({"report-text": ""}, 422, "请写下是什么问题"),
        ({"report-text": "坏" * 1001}, 422, "1000"),
        ({"report-place": "moon"}, 422, "请选择问题在哪里"),
        ({"report-place": "site", "report-site": "99999999999"}, 422, "请选择问题所在的站点"),
        ({"report-text": "路灯\x00坏了"}, 400, "NUL"),
        ({"report-lat": "NaN", "report-lng": "1e400"}, 303, ""),
    ],
)
def test_bad_reports_get_a_message_and_keep_nothing(client, auth, world, change, status, message):
    auth.login(world.resident)
    response = client.post("/requests/new", data=_form(**change))
    assert response.status_code == status, response.text
    assert message in response.text
    kept = _count(ResidentRequest)
    assert kept == (1 if status == 303 else 0)
    if status == 303:
        assert db.session.scalar(select(ResidentRequest.lat)) is None


@pytest.mark.parametrize(
    "files, message",
    [
        ([(b"<?php system($_GET['c']); ?>", "shell.jpg")], "请选择照片"),
        ([(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.jpg")],
         "请选择照片"),
        ([(b"\xff\xd8\xff" + b"\x00" * (6 * 1024 * 1024), "big.jpg")], "5 MB"),
        ([(jpeg_with_gps((40, 30)), f"{i}.jpg") for i in range(4)], "最多 3 张"),
    ],
    ids=["php", "svg-script", "six-mb", "four-photos"],
)  # fmt: skip
def test_unsafe_photos_are_refused_and_nothing_is_kept(client, auth, world, files, message):
    auth.login(world.resident)
    data = _form()
    data["report-photos"] = [(io.BytesIO(body), name, "image/jpeg") for body, name in files]
    response = client.post("/requests/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.text
    assert _count(ResidentRequest) == 0 and _count(Upload) == 0


def test_without_a_home_the_form_says_where_to_set_it(client, auth, world):
    auth.login(world.neighbour)
    page = client.get("/requests/new")
    assert "设置你的家" in page.text or "设置住址" in page.text or "/me#home" in page.text
    response = client.post("/requests/new", data=_form())
    assert response.status_code == 422 and _count(ResidentRequest) == 0
    from_site = client.get(f"/requests/new?site={world.center.id}")
    assert f'<option selected value="{world.center.id}">' in from_site.text
    response = client.post(f"/requests/new?site={world.center.id}",
                           data=_form(**{"report-place": "site",
                                         "report-site": str(world.center.id)}))  # fmt: skip
    assert response.status_code == 303
    db.session.rollback()
    req = db.session.scalar(select(ResidentRequest))
    assert (req.site_id, req.grid_id, req.community_id) == (world.center.id, None,
                                                            world.community.id)  # fmt: skip


# One request, rating, reopening, me too ------------------------------------------------------


def test_who_sees_what_of_a_request(client, auth, world):
    public_id = _report(world)
    private_id = _report(world, text="家门口积水", public=False)
    assert "13812345678" not in client.get(f"/requests/{public_id}").text
    assert client.get(f"/requests/{private_id}").status_code == 404
    assert client.get(f"/requests/{2**31}").status_code == 404
    assert client.get("/requests/0").status_code == 404
    auth.login(world.resident)
    own = client.get(f"/requests/{public_id}")
    assert "13812345678" in own.text  # the resident's own words, in full
    assert client.get(f"/requests/{private_id}").status_code == 200
    auth.logout()
    auth.login(world.other_staff)
    assert client.get(f"/requests/{private_id}").status_code == 404
    auth.logout()
    auth.login(world.worker)
    page = client.get(f"/requests/{private_id}")
    assert page.status_code == 200 and f"/staff/requests/{private_id}" in page.text


def test_a_private_photo_is_for_the_resident_and_the_grid_only(client, auth, world):
    from werkzeug.datastructures import FileStorage

    photo = FileStorage(io.BytesIO(jpeg_with_gps((80, 60))), filename="a.jpg")
    request_id = service.report(world.resident, category="repairs", text="井盖松了",
                                place_kind="home", public=True, photos=[photo]).id  # fmt: skip
    key = db.session.scalar(select(Upload.key))
    url = f"/requests/photos/{key}.jpg"
    assert client.get(url).status_code == 403
    for who, status in (
        (world.neighbour, 403),
        (world.other_staff, 403),
        (world.worker2, 403),
        (world.worker, 200),
        (world.center_staff, 200),
        (world.resident, 200),
    ):
        auth.login(who)
        response = client.get(url)
        assert response.status_code == status, who.display_name
        if status == 200:
            assert response.mimetype == "image/jpeg"
            assert "no-store" in response.headers["Cache-Control"]
        auth.logout()
    assert client.get("/requests/photos/nothing.jpg").status_code == 404
    assert request_id


def test_the_resident_rates_and_an_unsatisfied_rating_reopens(client, auth, world):
    request_id = _report(world)
    auth.login(world.resident)
    early = client.post(f"/requests/{request_id}/rate", data={"rate-rating": "satisfied"})
    assert early.status_code == 303
    assert "解决后才能评价" in client.get(early.headers["Location"]).text
    service.move(request_id, "start", world.worker)
    service.move(request_id, "resolve", world.worker, "已修好")
    page = client.get(f"/requests/{request_id}")
    assert "rate-rating" in page.text
    bad = client.post(f"/requests/{request_id}/rate", data={"rate-rating": "unsatisfied"})
    assert bad.status_code == 422 and "还有什么问题" in bad.text
    assert client.post(f"/requests/{request_id}/rate",
                       data={"rate-rating": "excellent"}).status_code == 422  # fmt: skip
    unhappy = {"rate-rating": "unsatisfied", "rate-comment": "还是不亮"}
    response = client.post(f"/requests/{request_id}/rate", data=unhappy)
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(ResidentRequest, request_id).status == "in_progress"
    service.move(request_id, "resolve", world.worker, "换了新灯")
    response = client.post(f"/requests/{request_id}/rate", data={"rate-rating": "satisfied"})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(ResidentRequest, request_id).status == "closed"
    reopened = client.post(f"/requests/{request_id}/reopen", data={"reopen-note": "又坏了"})
    assert reopened.status_code == 303
    db.session.rollback()
    assert db.session.get(ResidentRequest, request_id).reopened == 2


def test_others_cannot_rate_or_reopen(client, auth, world):
    request_id = _report(world)
    auth.login(world.neighbour)
    rated = client.post(f"/requests/{request_id}/rate", data={"rate-rating": "satisfied"})
    assert rated.status_code == 303
    assert "只有上报的居民可以评价" in client.get(rated.headers["Location"]).text
    reopened = client.post(f"/requests/{request_id}/reopen", data={"reopen-note": "x"})
    assert reopened.status_code == 303
    db.session.rollback()
    assert db.session.get(ResidentRequest, request_id).status == "received"


def test_me_too_is_counted_once(client, auth, world):
    request_id = _report(world)
    private_id = _report(world, public=False)
    auth.login(world.neighbour)
    for _ in range(3):
        response = client.post(f"/requests/{request_id}/me-too", data={"back": "board"})
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/requests#request-")
    assert _count(RequestSupport) == 1
    assert db.session.get(ResidentRequest, request_id).me_too == 1
    assert client.post(f"/requests/{private_id}/me-too").status_code == 303
    assert db.session.get(ResidentRequest, private_id).me_too == 0
    assert client.post(f"/requests/{2**31 - 1}/me-too").status_code == 404


# The staff's side -------------------------------------------------------------------------------


def test_the_queue_shows_the_grid_requests_overdue_first(client, auth, world, freeze):
    first = _report(world)
    freeze(datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ))  # the first is now overdue
    second = _report(world, text="楼道灯不亮")
    auth.login(world.worker)
    page = client.get("/staff/requests")
    assert page.status_code == 200
    assert page.text.index(f"request-{first}") < page.text.index(f"request-{second}")
    assert "已超时" in page.text
    home = client.get("/staff/")
    assert home.status_code == 200 and f"request-{first}" in home.text
    assert 'name="action" value="accept"' in home.text
    auth.logout()
    auth.login(world.worker2)
    assert f"request-{first}" not in client.get("/staff/requests").text
    assert client.get(f"/staff/requests/{first}").status_code == 403
    auth.logout()
    auth.login(world.neighbour)
    assert client.get("/staff/requests").status_code == 403


def test_one_tap_accept_from_the_staff_home(client, auth, world):
    request_id = _report(world)
    auth.login(world.worker)
    response = client.post(f"/staff/requests/{request_id}/move",
                           data={"action": "accept", "back": "home", "note": ""})  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"] == "/staff/#requests"
    again = client.post(f"/staff/requests/{request_id}/move",
                        data={"action": "accept", "back": "home"})  # fmt: skip
    assert again.status_code == 303  # the refusal is flashed on the home page
    assert "已经是" in client.get("/staff/").text
    db.session.rollback()
    steps = db.session.scalar(select(func.count(RequestStep.id)).where(
        RequestStep.request_id == request_id, RequestStep.kind == "accept"))  # fmt: skip
    assert steps == 1


def test_steps_from_the_request_page_with_bad_input(client, auth, world):
    request_id = _report(world)
    auth.login(world.worker)
    assert client.get(f"/staff/requests/{request_id}").status_code == 200
    assert client.post(f"/staff/requests/{request_id}/move",
                       data={"action": "explode"}).status_code == 400  # fmt: skip
    empty = client.post(f"/staff/requests/{request_id}/move", data={"action": "reject"})
    assert empty.status_code == 422 and "居民会看到" in empty.text
    long = client.post(f"/staff/requests/{request_id}/move",
                       data={"action": "accept", "note": "好" * 501})  # fmt: skip
    assert long.status_code == 422
    data = {
        "action": "resolve",
        "note": "已修好",
        "photos": [(io.BytesIO(jpeg_with_gps((90, 60))), "after.jpg", "image/jpeg")],
    }
    refused = client.post(f"/staff/requests/{request_id}/move", data=data,
                          content_type="multipart/form-data")  # fmt: skip
    assert refused.status_code == 422  # resolve needs it accepted first
    assert _count(Upload) == 0
    client.post(f"/staff/requests/{request_id}/move", data={"action": "accept"})
    data["photos"] = [(io.BytesIO(jpeg_with_gps((90, 60))), "after.jpg", "image/jpeg")]
    done = client.post(f"/staff/requests/{request_id}/move", data=data,
                       content_type="multipart/form-data")  # fmt: skip
    assert done.status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(RequestPhoto.stage)) == "after"
    assert db.session.get(ResidentRequest, request_id).status == "resolved"
    follow = client.post(f"/staff/requests/{request_id}/follow-up",
                         data={"follow-note": "居民说修好了"})  # fmt: skip
    assert follow.status_code == 303
    assert client.post(f"/staff/requests/{request_id}/follow-up",
                       data={"follow-note": ""}).status_code == 422  # fmt: skip
    auth.logout()
    auth.login(world.other_staff)
    assert client.post(f"/staff/requests/{request_id}/move",
                       data={"action": "accept"}).status_code == 403  # fmt: skip
    assert (
        client.post(f"/staff/requests/{2**31}/move", data={"action": "accept"}).status_code == 404
    )


def test_reassigning_within_the_scope(client, auth, world):
    request_id = _report(world)
    auth.login(world.worker)
    # Only the grid it is in is his: nowhere to pass it, so no form.
    assert 'id="reassign-grid"' not in client.get(f"/staff/requests/{request_id}").text
    out = client.post(f"/staff/requests/{request_id}/reassign",
                      data={"reassign-grid": str(world.g2.id)})  # fmt: skip
    assert out.status_code == 422
    auth.logout()
    auth.login(world.center_staff)
    page = client.get(f"/staff/requests/{request_id}")
    choices = re.search(r'<select[^>]*id="reassign-grid".*?</select>', page.text, flags=re.S)
    assert "第二网格" in choices.group(0) and "第一网格" not in choices.group(0)
    to_g2 = {"reassign-grid": str(world.g2.id), "reassign-note": "属第二网格"}
    moved = client.post(f"/staff/requests/{request_id}/reassign", data=to_g2)
    assert moved.status_code == 303
    db.session.rollback()
    assert db.session.get(ResidentRequest, request_id).grid_id == world.g2.id
    assert client.post(f"/staff/requests/{request_id}/reassign",
                       data={"reassign-grid": "99999999999"}).status_code == 422  # fmt: skip


def test_staff_log_a_request_for_a_resident(client, auth, world):
    auth.login(world.center_staff)
    page = client.get("/staff/requests/new")
    assert page.status_code == 200 and "东方社区" in page.text and "梅园社区" not in page.text
    data = {"log-mobile": "139 1234 5678", "log-name": "孙奶奶",
            "log-community": str(world.community.id), "log-grid": str(world.g2.id),
            "log-category": "environment", "log-text": "楼下垃圾没人清"}  # fmt: skip
    response = client.post("/staff/requests/new", data=data)
    assert response.status_code == 303, response.text
    db.session.rollback()
    req = db.session.scalar(select(ResidentRequest))
    resident = db.session.scalar(select(User).where(User.mobile == "13912345678"))
    assert (req.resident_id, req.grid_id) == (resident.id, world.g2.id)
    assert req.logged_by_id == world.center_staff.id
    bad = dict(data, **{"log-mobile": "12345"})
    assert client.post("/staff/requests/new", data=bad).status_code == 422
    foreign = dict(data, **{"log-community": str(world.other_community.id), "log-grid": ""})
    assert client.post("/staff/requests/new", data=foreign).status_code == 422
    assert _count(ResidentRequest) == 1


def test_my_requests_lists_only_mine(client, auth, world):
    _report(world)
    auth.login(world.resident)
    assert "路灯坏了" in client.get("/requests/mine").text
    auth.logout()
    auth.login(world.neighbour)
    assert "路灯坏了" not in client.get("/requests/mine").text


# Deadlines per category (admins) --------------------------------------------------------


def _deadline_form(**changes) -> dict:
    from app.models import ResidentRequest as R

    data = {f"{c}_accept": "1" for c in R.CATEGORIES}
    data.update({f"{c}_resolve": "7" for c in R.CATEGORIES})
    data.update(changes)
    return data


def test_admins_set_the_deadlines_of_each_kind(client, auth, world):
    from app.models import AuditEntry, RequestDeadline

    admin = f.user("管理员", admin=True)
    db.session.commit()
    auth.login(world.center_staff)
    assert client.get("/admin/request-deadlines").status_code == 403
    auth.logout()
    auth.login(admin)
    page = client.get("/admin/request-deadlines")
    assert page.status_code == 200 and "安全隐患" in page.text
    unchanged = client.post("/admin/request-deadlines", data=_deadline_form())
    assert unchanged.status_code == 303 and _count(AuditEntry) == 0
    wide = _deadline_form(safety_accept="２", safety_resolve=" 3 ")  # full-width, spaces
    response = client.post("/admin/request-deadlines", data=wide)
    assert response.status_code == 303
    db.session.rollback()
    row = db.session.get(RequestDeadline, "safety")
    assert (row.accept_days, row.resolve_days) == (2, 3)
    assert db.session.scalar(select(AuditEntry.action)) == "request.deadlines_set"
    for bad in ({"safety_accept": "0"}, {"safety_resolve": "91"}, {"repairs_accept": "NaN"},
                {"repairs_resolve": "99999999999999999999"}, {"other_accept": ""}):  # fmt: skip
        refused = client.post("/admin/request-deadlines", data=_deadline_form(**bad))
        assert refused.status_code == 422, bad
        assert "之间的整数" in refused.text
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RequestDeadline)) == 1
    # A request reported now gets the new deadlines.
    freeze_day = service.report(world.resident, category="safety", text="井盖丢了",
                                place_kind="home", public=False)  # fmt: skip
    assert freeze_day.resolve_due_at == datetime(2026, 11, 26, 9, 0, tzinfo=LOCAL_TZ)
