"""Admin: districts, streets, communities and sites; and the CSV exports."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Booking, Community, District, Signup, Site, Street

from . import factories as f

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)
NEW_SITE = {
    "site-kind": "center", "site-station_type": "residential", "site-code": "PD-NEW-1",
    "site-name": "新社区党群服务中心", "site-address": "新路1号", "site-phone": "021-5888 1234",
    "site-latitude": "31.2", "site-longitude": "121.5", "site-description": "",
}  # fmt: skip


@pytest.fixture
def admin(app, auth, freeze):
    freeze(MONDAY_10AM)
    user = f.user("管理员", admin=True)
    db.session.commit()
    auth.login(user)
    db.session.rollback()
    return user


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(model.id)))


def test_build_the_tree_down_to_a_site(client, admin):
    assert client.get("/admin/places").status_code == 200
    response = client.post("/admin/districts", data={"name": " 浦东新区 "})
    assert response.status_code == 303
    district = db.session.scalar(select(District))
    assert district.name == "浦东新区"
    assert client.get(f"/admin/districts/{district.id}").status_code == 200

    response = client.post(
        f"/admin/districts/{district.id}/streets", data={"street-name": "花木街道"}
    )
    assert response.status_code == 303
    db.session.rollback()
    street = db.session.scalar(select(Street))
    assert client.get(f"/admin/streets/{street.id}").status_code == 200

    response = client.post(
        f"/admin/streets/{street.id}/communities",
        data={"community-name": "牡丹社区", "community-klass": "B"},
    )
    assert response.status_code == 303
    db.session.rollback()
    community = db.session.scalar(select(Community))
    assert community.klass == "B"
    page = client.get(f"/admin/communities/{community.id}")
    assert page.status_code == 200 and "牡丹社区" in page.text

    response = client.post(f"/admin/communities/{community.id}/sites", data=NEW_SITE)
    assert response.status_code == 303
    db.session.rollback()
    center = db.session.scalar(select(Site))
    assert response.headers["Location"].endswith(f"/staff/sites/{center.id}/edit")
    assert (center.kind, center.code, center.station_type) == ("center", "PD-NEW-1", None)
    assert "新社区党群服务中心" in center.search_text

    station = {**NEW_SITE, "site-kind": "station", "site-code": "PD-NEW-2", "site-name": "一号驿站"}
    assert client.post(f"/admin/communities/{community.id}/sites", data=station).status_code == 303
    db.session.rollback()
    made = db.session.scalar(select(Site).where(Site.code == "PD-NEW-2"))
    assert made.center_id == center.id and made.station_type == "residential"
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"district.saved", "street.saved", "community.saved", "site.created"} <= actions


def test_second_center_is_refused(client, admin):
    center = f.site(name="已有中心")
    db.session.commit()
    response = client.post(f"/admin/communities/{center.community_id}/sites", data=NEW_SITE)
    assert response.status_code == 422
    assert "这个社区已经有服务中心：已有中心" in response.text
    assert count(Site) == 1


def test_station_needs_a_center_first(client, admin):
    community = f.community()
    db.session.commit()
    data = {**NEW_SITE, "site-kind": "station"}
    response = client.post(f"/admin/communities/{community.id}/sites", data=data)
    assert response.status_code == 422 and "请先添加社区的服务中心" in response.text
    assert count(Site) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"site-code": "有 空格"}, "只能用字母、数字"),
        ({"site-code": ""}, "请填写站点编码"),
        ({"site-phone": "123abc"}, "请按 021-5888 1234"),
        ({"site-latitude": "48.85", "site-longitude": "2.35"}, "坐标不在中国境内"),
        ({"site-kind": "palace"}, "请选择服务中心或站点"),
        ({"site-kind": "station", "site-station_type": "castle"}, "请选择站点类型"),
    ],
)
def test_new_site_bad_input(client, admin, change, message):
    community = f.community()
    db.session.commit()
    response = client.post(f"/admin/communities/{community.id}/sites", data={**NEW_SITE, **change})
    assert response.status_code == 422
    assert message in response.text
    assert count(Site) == 0


def test_duplicate_code_is_refused(client, admin):
    f.site(code="PD-NEW-1")
    community = f.community()
    db.session.commit()
    response = client.post(f"/admin/communities/{community.id}/sites", data=NEW_SITE)
    assert response.status_code == 422 and "已有站点使用这个编码" in response.text
    assert count(Site) == 1


def test_duplicate_names_and_bad_class(client, admin):
    street = f.street(name="花木街道")
    f.community(street, name="牡丹社区")
    db.session.commit()
    response = client.post(f"/admin/districts/{street.district_id}/streets",
                           data={"street-name": "花木街道"})  # fmt: skip
    assert response.status_code == 422 and "这个区已有同名街道" in response.text
    response = client.post(f"/admin/streets/{street.id}/communities",
                           data={"community-name": "牡丹社区", "community-klass": "A"})  # fmt: skip
    assert response.status_code == 422 and "这个街道已有同名社区" in response.text
    response = client.post(f"/admin/streets/{street.id}/communities",
                           data={"community-name": "新社区", "community-klass": "Z"})  # fmt: skip
    assert response.status_code == 422 and "请选择社区类别" in response.text
    response = client.post("/admin/districts", data={"name": ""})
    assert response.status_code == 422 and "请填写名称" in response.text
    assert count(Street) == 1 and count(Community) == 1


def test_rename_and_reclassify(client, admin):
    community = f.community(name="旧名")
    db.session.commit()
    street_id, district_id = community.street_id, community.street.district_id
    assert client.post(f"/admin/districts/{district_id}", data={"name": "新区"}).status_code == 303
    assert client.post(f"/admin/streets/{street_id}", data={"name": "新街道"}).status_code == 303
    response = client.post(
        f"/admin/communities/{community.id}", data={"name": "新名", "klass": "D"}
    )
    assert response.status_code == 303
    db.session.rollback()
    community = db.session.get(Community, community.id)
    assert (community.name, community.klass) == ("新名", "D")
    assert community.street.name == "新街道" and community.street.district.name == "新区"
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "community.saved")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.before == {"name": "旧名", "klass": "A"} or entry.before["name"] == "旧名"


def test_delete_only_what_is_empty(client, admin):
    site = f.site(services=(("legal", "法律咨询"),))
    empty = f.site(kind="station", center=site, name="空站点")
    db.session.commit()
    community_id, street_id = site.community_id, site.community.street_id
    district_id = site.community.street.district_id

    response = client.post(f"/admin/sites/{site.id}/delete", follow_redirects=True)
    assert "请改为标记暂停开放" in response.text
    assert client.post(f"/admin/communities/{community_id}/delete").status_code == 303
    assert count(Community) == 1
    assert client.post(f"/admin/sites/{empty.id}/delete").status_code == 303
    assert count(Site) == 1
    for url in (f"/admin/streets/{street_id}/delete", f"/admin/districts/{district_id}/delete"):
        client.post(url)
    assert count(Street) == 1 and count(District) == 1
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "site.deleted")
        )
        == 1
    )


def test_delete_empty_parts_of_the_tree(client, admin):
    street = f.street()
    db.session.commit()
    district_id = street.district_id
    assert client.post(f"/admin/streets/{street.id}/delete").status_code == 303
    assert client.post(f"/admin/districts/{district_id}/delete").status_code == 303
    assert count(Street) == 0 and count(District) == 0


def test_unknown_places_are_404(client, admin):
    for url in ("/admin/districts/999", "/admin/streets/999", "/admin/communities/999"):
        assert client.get(url).status_code == 404


def test_staff_cannot_use_places(client, auth):
    staff = f.user("站长", staff_of=(f.site(),))
    db.session.commit()
    auth.login(staff)
    assert client.get("/admin/places").status_code == 403
    assert client.post("/admin/districts", data={"name": "x"}).status_code == 403
    assert count(District) == 1


# Exports --------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_bookings_export_by_site_and_period(client, admin):
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="东方驿站")
    service = f.bookable_service(station)
    inside = f.slot(service, MONDAY_10AM + timedelta(days=1), taken=1)
    outside = f.slot(service, MONDAY_10AM + timedelta(days=40), taken=1)
    resident = f.user("王阿姨", mobile="13812345678")
    for n, slot in enumerate((inside, outside)):
        db.session.add(
            Booking(slot_id=slot.id, user_id=resident.id, status="booked", code=f"5550000{n}")
        )
    db.session.commit()
    rows = read_csv(
        client.get(f"/admin/export/bookings.csv?site={center.id}&from=2026-11-23&to=2026-11-30")
    )
    assert rows[0][0] == "预约码"
    assert len(rows) == 2
    assert rows[1][:5] == ["55500000", "东方驿站", "法律咨询", "2026-11-24", "10:00-11:00"]
    assert rows[1][7:9] == ["王阿姨", "138****5678"]  # the number stays masked


@pytest.mark.parametrize(
    "query",
    ["site=abc&from=2026-11-01&to=2026-11-30", "site=999&from=2026-11-01&to=2026-11-30",
     "site={site}&from=2026-11-30&to=2026-11-01", "site={site}&from=x&to=2026-11-01",
     "site={site}&from=2025-01-01&to=2026-11-01"],
)  # fmt: skip
def test_bookings_export_bad_input(client, admin, query):
    site = f.site()
    db.session.commit()
    response = client.get("/admin/export/bookings.csv?" + query.format(site=site.id))
    assert response.status_code == 422
    assert 'role="alert"' in response.text and response.mimetype == "text/html"


def test_volunteer_hours_export(client, admin):
    site = f.site()
    team = f.team(site)
    volunteer = f.volunteer("小李")
    activity = f.activity(site, MONDAY_10AM - timedelta(days=3), team_obj=team)
    db.session.add(Signup(activity_id=activity.id, user_id=volunteer.id, status="attended",
                          hours_credited=2.5))  # fmt: skip
    f.points(volunteer, 3)
    db.session.commit()
    rows = read_csv(client.get("/admin/export/volunteer-hours.csv?from=2026-11-01&to=2026-11-30"))
    assert rows[0][0] == "志愿者"
    assert rows[1][0] == "小李" and rows[1][3:] == ["1", "2.5", "3"]
    empty = read_csv(client.get("/admin/export/volunteer-hours.csv?from=2026-10-01&to=2026-10-31"))
    assert len(empty) == 1
    assert (
        client.get("/admin/export/volunteer-hours.csv?from=2026-11-30&to=2026-11-01").status_code
        == 422
    )


def test_data_page(client, admin):
    page = client.get("/admin/data")
    assert page.status_code == 200
    assert (
        'enctype="multipart/form-data"' in page.text and "/admin/import/template.csv" in page.text
    )
