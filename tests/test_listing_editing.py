"""Staff keep a listing true: basic information, facilities, weekly hours,
with versions so that no edit is silently lost."""

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, OpeningInterval, Site
from app.sites.editing import overlapping
from app.sites.hours import parse_hhmm, parse_typed_time

from . import factories as f

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)
BASIC = {
    "name": "东方社区党群服务中心",
    "address": "浦东南路200号",
    "phone": "021-5888 1234",
    "description": "新的介绍",
    "latitude": "31.23",
    "longitude": "121.50",
}


@pytest.fixture
def desk(app, auth, freeze):
    freeze(MONDAY_10AM)
    site = f.site(name="东方中心", hours=[(0, 540, 720)])
    staff = f.user("站长", staff_of=(site,))
    db.session.commit()
    auth.login(staff)
    return {"site": site, "staff": staff, "v": site.version}


def current(site_id: int) -> Site:
    db.session.rollback()
    return db.session.get(Site, site_id)


def test_overlap_rule():
    assert overlapping([(540, 720)], 600, 780)
    assert overlapping([(540, 720)], 480, 560)
    assert not overlapping([(540, 720)], 720, 780)  # touching is fine
    assert not overlapping([], 0, 1440)


def test_edit_page(client, desk):
    page = client.get(f"/staff/sites/{desk['site'].id}/edit")
    assert page.status_code == 200
    assert f'name="version" value="{desk["v"]}"' in page.text
    assert "东方中心" in page.text and "星期一 09:00–12:00" in page.text


def test_save_basic_information(client, desk):
    site_id = desk["site"].id
    old_address = desk["site"].address
    response = client.post(
        f"/staff/sites/{site_id}/edit/basic",
        data=f.prefixed("basic", {**BASIC, "version": desk["v"]}),
    )
    assert response.status_code == 303
    site = current(site_id)
    assert site.address == "浦东南路200号" and site.version == desk["v"] + 1
    assert "浦东南路200号" in site.search_text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "site.edited"))
    assert entry.before["address"] == old_address
    assert entry.after["address"] == "浦东南路200号"
    assert "浦东南路200号" in client.get(f"/sites/{site_id}").text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "请填写站点名称"),
        ({"phone": "call me"}, "请按 021-5888 1234"),
        ({"latitude": "51.5", "longitude": "-0.12"}, "坐标不在中国境内"),
        ({"latitude": "abc"}, "请填写数字，例如 31.2304"),
        ({"name": "长" * 81}, "名称请不要超过 80 个字"),
    ],
)
def test_bad_basic_information_changes_nothing(client, desk, change, message):
    site_id = desk["site"].id
    response = client.post(
        f"/staff/sites/{site_id}/edit/basic",
        data=f.prefixed("basic", {**BASIC, **change, "version": desk["v"]}),
    )
    assert response.status_code == 422 and message in response.text
    assert 'class="error-summary"' in response.text and 'href="#' in response.text
    site = current(site_id)
    assert site.name == "东方中心" and site.version == desk["v"]


def test_second_editor_gets_a_conflict_not_an_overwrite(client, desk):
    site_id = desk["site"].id
    first = client.post(
        f"/staff/sites/{site_id}/edit/basic",
        data=f.prefixed("basic", {**BASIC, "version": desk["v"]}),
    )
    assert first.status_code == 303
    stale = client.post(
        f"/staff/sites/{site_id}/edit/basic",
        data=f.prefixed("basic", {**BASIC, "address": "另一个地址1号", "version": desk["v"]}),
    )
    assert stale.status_code == 409
    assert "其他人保存了这个站点的信息" in stale.text
    assert "浦东南路200号" in stale.text and "另一个地址1号" in stale.text
    assert f'name="version" value="{desk["v"] + 1}"' in stale.text  # the current version
    assert current(site_id).address == "浦东南路200号"
    again = client.post(
        f"/staff/sites/{site_id}/edit/basic",
        data=f.prefixed("basic", {**BASIC, "address": "另一个地址1号", "version": desk["v"] + 1}),
    )
    assert again.status_code == 303 and current(site_id).address == "另一个地址1号"


def test_facilities(client, desk):
    site_id = desk["site"].id
    response = client.post(
        f"/staff/sites/{site_id}/edit/facilities",
        data=f.prefixed("facilities", {"facilities": ["water", "wifi"], "version": desk["v"]}),
    )
    assert response.status_code == 303
    assert current(site_id).facility_codes == ["water", "wifi"]
    bad = client.post(
        f"/staff/sites/{site_id}/edit/facilities",
        data=f.prefixed("facilities", {"facilities": ["spa"], "version": desk["v"] + 1}),
    )
    assert bad.status_code == 422
    assert current(site_id).facility_codes == ["water", "wifi"]


def test_hours_change_what_open_now_says(client, desk):
    site_id = desk["site"].id
    assert "正在开放" in client.get(f"/sites/{site_id}").text  # Monday 10:00, open 9–12
    interval_id = current(site_id).opening_intervals[0].id
    response = client.post(
        f"/staff/sites/{site_id}/hours/{interval_id}/delete", data={"version": desk["v"]}
    )
    assert response.status_code == 303
    assert "已休息" in client.get(f"/sites/{site_id}").text
    added = client.post(
        f"/staff/sites/{site_id}/hours",
        data=f.prefixed(
            "hours", {"weekday": "0", "opens": "08:30", "closes": "12:00", "version": desk["v"] + 1}
        ),
    )
    assert added.status_code == 303
    assert "正在开放" in client.get(f"/sites/{site_id}").text


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("17:30", 1050), ("1730", 1050), ("17.30", 1050), ("１７３０", 1050), ("１７：３０", 1050),
     ("930", 570), ("9:30", 570), ("8", 480), ("24:00", 1440), ("2400", 1440)],
)  # fmt: skip
def test_times_are_understood_as_typed_on_a_phone(typed, minutes):
    assert parse_typed_time(typed) == minutes


@pytest.mark.parametrize(
    "typed", ["24:01", "25", "17:60", "1:5", "9点", "١٧٣٠", "-9:00", "", "12345"]
)
def test_what_is_not_a_time_is_refused(typed):
    assert parse_typed_time(typed) is None
    assert parse_hhmm(typed) is None


@pytest.mark.parametrize("typed", ["1730", "17.30", "8", "１７：３０"])
def test_files_keep_the_strict_form(typed):
    """The CSV import documents HH:MM: a file's typo is refused, not guessed."""
    assert parse_hhmm(typed) is None


def test_staff_enter_hours_as_they_type_them(client, desk):
    site_id = desk["site"].id
    response = client.post(
        f"/staff/sites/{site_id}/hours",
        data=f.prefixed(
            "hours", {"weekday": "1", "opens": "０８３０", "closes": "17.30", "version": desk["v"]}
        ),
    )
    assert response.status_code == 303
    tuesday = [i for i in current(site_id).opening_intervals if i.weekday == 1]
    assert [(i.opens_min, i.closes_min) for i in tuesday] == [(510, 1050)]


def test_time_fields_offer_the_keyboard_with_a_colon(client, desk):
    page = client.get(f"/staff/sites/{desk['site'].id}/edit").text
    for name in ("hours-opens", "hours-closes", "special-opens", "special-closes"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'inputmode="text"' in tag and "numeric" not in tag, tag
    assert "服务与设施" not in page  # the special day's "What" once read so


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"opens": "12:00", "closes": "09:00"}, "关门时间必须晚于开门时间"),
        ({"opens": "10:00", "closes": "13:00"}, "和这一天已有的开放时间重叠"),
        ({"opens": "9点", "closes": "12:00"}, "请按 09:00 这样的格式填写时间"),
    ],
)
def test_bad_hours_change_nothing(client, desk, form, message):
    site_id = desk["site"].id
    response = client.post(
        f"/staff/sites/{site_id}/hours",
        data=f.prefixed("hours", {"weekday": "0", "version": desk["v"], **form}),
    )
    assert response.status_code == 422 and message in response.text
    assert len(current(site_id).opening_intervals) == 1


def test_copy_monday_to_weekdays(client, desk):
    site_id = desk["site"].id
    response = client.post(f"/staff/sites/{site_id}/hours/copy-monday", data={"version": desk["v"]})
    assert response.status_code == 303
    db.session.rollback()
    days = db.session.scalars(
        select(OpeningInterval.weekday)
        .where(OpeningInterval.site_id == site_id)
        .order_by(OpeningInterval.weekday)
    ).all()
    assert days == [0, 1, 2, 3, 4]


def test_stale_hours_edit_is_a_conflict(client, desk):
    site_id = desk["site"].id
    client.post(f"/staff/sites/{site_id}/hours/copy-monday", data={"version": desk["v"]})
    response = client.post(f"/staff/sites/{site_id}/hours/copy-monday", data={"version": desk["v"]})
    assert response.status_code == 409
    assert (
        client.post(f"/staff/sites/{site_id}/hours/copy-monday", data={"version": "x"}).status_code
        == 400
    )


def test_other_staff_get_403(client, auth, desk):
    db.session.rollback()  # the login wrote since this session's snapshot
    other = f.user("别处站长", staff_of=(f.site(name="梅园中心"),))
    db.session.commit()
    auth.logout()
    auth.login(other)
    site_id = desk["site"].id
    assert client.get(f"/staff/sites/{site_id}/edit").status_code == 403
    assert (
        client.post(
            f"/staff/sites/{site_id}/edit/basic",
            data=f.prefixed("basic", {**BASIC, "version": desk["v"]}),
        ).status_code
        == 403
    )
    assert current(site_id).name == "东方中心"


def test_special_days_and_notices(client, desk):
    site_id = desk["site"].id
    v = desk["v"]
    closed = client.post(
        f"/staff/sites/{site_id}/special-days",
        data=f.prefixed(
            "special",
            {
                "kind": "closed",
                "starts_on": "2026-11-23",
                "ends_on": "2026-11-23",
                "note": "停电检修",
                "version": v,
            },
        ),
    )
    assert closed.status_code == 303
    public = client.get(f"/sites/{site_id}").text
    assert "已休息" in public and "停电检修" in public
    extended = {"kind": "extended", "starts_on": "2026-11-24", "ends_on": "2026-11-24"}
    evening = client.post(
        f"/staff/sites/{site_id}/special-days",
        data=f.prefixed(
            "special", {**extended, "opens": "18:00", "closes": "21:00", "version": v + 1}
        ),
    )
    assert evening.status_code == 303
    assert "18:00–21:00" in client.get(f"/sites/{site_id}").text
    notice = client.post(
        f"/staff/sites/{site_id}/notices",
        data=f.prefixed(
            "notice",
            {"title": "周六义诊", "body": "欢迎参加", "publish_on": "2026-11-23", "version": v + 2},
        ),
    )
    assert notice.status_code == 303
    assert "周六义诊" in client.get(f"/sites/{site_id}").text
    site = current(site_id)
    notice_id, special_id = site.notices[0].id, site.special_days[0].id
    assert (
        client.post(
            f"/staff/sites/{site_id}/notices/{notice_id}/delete", data={"version": v + 3}
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"/staff/sites/{site_id}/special-days/{special_id}/delete", data={"version": v + 4}
        ).status_code
        == 303
    )
    public = client.get(f"/sites/{site_id}").text
    assert "周六义诊" not in public and "正在开放" in public
    db.session.rollback()
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["site.special_day_added", "site.special_day_added", "site.notice_added",
                       "site.notice_removed", "site.special_day_removed"]  # fmt: skip


CLOSED = {"kind": "closed", "starts_on": "2026-11-24", "ends_on": "2026-11-24"}
EXTENDED = {"kind": "extended", "starts_on": "2026-11-24", "ends_on": "2026-11-24"}


@pytest.mark.parametrize(
    ("path", "form", "message"),
    [
        ("special-days", {**CLOSED, "starts_on": "2026-11-25"}, "结束日期不能早于开始日期"),
        ("special-days", EXTENDED, "延时服务要填写开始和结束时间"),
        ("special-days", {**EXTENDED, "opens": "21:00", "closes": "18:00"},
         "关门时间必须晚于开门时间"),
        ("special-days", {**CLOSED, "starts_on": ""}, "请选择开始日期"),
        ("notices", {"title": "通知", "publish_on": "2026-11-25", "expires_on": "2026-11-20"},
         "结束日期不能早于开始日期"),
        ("notices", {"title": "", "publish_on": "2026-11-25"}, "请填写标题"),
        ("notices", {"title": "长" * 81, "publish_on": "2026-11-25"}, "标题请不要超过 80 个字"),
    ],
)  # fmt: skip
def test_bad_special_days_and_notices_change_nothing(client, desk, path, form, message):
    site_id = desk["site"].id
    prefix = "special" if path == "special-days" else "notice"
    response = client.post(
        f"/staff/sites/{site_id}/{path}", data=f.prefixed(prefix, {**form, "version": desk["v"]})
    )
    assert response.status_code == 422 and message in response.text
    site = current(site_id)
    assert site.special_days == [] and site.notices == [] and site.version == desk["v"]


def test_add_and_retire_a_service(client, desk):
    site_id = desk["site"].id
    v = desk["v"]
    response = client.post(
        f"/staff/sites/{site_id}/services",
        data=f.prefixed("service", {"category": "legal", "name": "法律援助咨询",
                                    "description": "每周三", "bookable": "y", "version": v}),
    )  # fmt: skip
    assert response.status_code == 303
    site = current(site_id)
    service = next(s for s in site.services if s.name == "法律援助咨询")
    assert service.bookable and "法律援助咨询" in site.search_text
    found = client.get("/sites", query_string={"q": "法律援助"}).text
    assert "东方中心" in found
    retired = client.post(
        f"/staff/sites/{site_id}/services/{service.id}/active",
        data={"active": "0", "version": v + 1},
    )
    assert retired.status_code == 303
    site = current(site_id)
    assert not site.services[0].active and "法律援助咨询" not in site.search_text
    assert "法律援助咨询" not in client.get(f"/sites/{site_id}").text
    assert (
        client.post(
            f"/staff/sites/{site_id}/services/{service.id}/active",
            data={"active": "x", "version": v + 2},
        ).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"category": "legal", "name": ""}, "请填写服务名称"),
        ({"category": "spa", "name": "按摩"}, "Not a valid choice"),
        ({"category": "legal", "name": "长" * 81}, "名称请不要超过 80 个字"),
    ],
)
def test_bad_services_change_nothing(client, desk, form, message):
    site_id = desk["site"].id
    response = client.post(
        f"/staff/sites/{site_id}/services",
        data=f.prefixed("service", {**form, "version": desk["v"]}),
    )
    assert response.status_code == 422
    assert current(site_id).services == []
    if message != "Not a valid choice":
        assert message in response.text


def test_a_phone_typed_with_full_width_digits_is_kept_in_ascii(client, desk):
    site_id = desk["site"].id
    response = client.post(
        f"/staff/sites/{site_id}/edit/basic",
        data=f.prefixed(
            "basic", {**BASIC, "phone": "０２１－５８８８ １２３４", "version": desk["v"]}
        ),
    )
    assert response.status_code == 303
    assert current(site_id).phone == "021-5888 1234"


def test_arabic_indic_digits_are_not_a_phone(client, desk):
    response = client.post(
        f"/staff/sites/{desk['site'].id}/edit/basic",
        data=f.prefixed("basic", {**BASIC, "phone": "٠٢١-٥٨٨٨-١٢٣٤", "version": desk["v"]}),
    )
    assert response.status_code == 422
