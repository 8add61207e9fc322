"""The staff home: a worker's sites with today's counts and one-tap actions,
and changing an existing service."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Booking, Service, Site, SpecialDay
from app.staff.queries import day_counts

from . import factories as f

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def unit(app, auth, freeze):
    """A center with one station; the center's manager is logged in."""
    freeze(MONDAY_10AM)
    center = f.site(name="东方中心", hours=[(0, 540, 1020)])
    station = f.site(kind="station", center=center, name="东方驿站", hours=[(0, 540, 720)])
    other = f.site(name="西郊中心")
    manager = f.user("中心站长", staff_of=(center,))
    db.session.commit()
    auth.login(manager)
    db.session.rollback()
    return {"center": center, "station": station, "other": other, "manager": manager}


def fresh(model, obj_id):
    db.session.rollback()
    return db.session.get(model, obj_id)


def test_home_lists_the_unit_with_todays_counts(client, unit):
    service = f.bookable_service(unit["station"])
    slot = f.slot(service, MONDAY_10AM + timedelta(hours=1), capacity=5, taken=2)
    later = f.slot(service, MONDAY_10AM + timedelta(days=1), capacity=5, taken=1)
    for n, (slot_obj, status) in enumerate(
        [(slot, "booked"), (slot, "checked_in"), (slot, "cancelled"), (later, "booked")]
    ):
        resident = f.user(f"居民{n}")
        db.session.add(
            Booking(slot_id=slot_obj.id, user_id=resident.id, status=status,
                    code=f"1000000{n}", checked_in_at=MONDAY_10AM if status == "checked_in"
                    else None)
        )  # fmt: skip
    team = f.team(unit["center"])
    f.activity(unit["station"], MONDAY_10AM + timedelta(hours=4), team_obj=team)
    f.activity(unit["station"], MONDAY_10AM + timedelta(days=2), team_obj=team)
    db.session.commit()

    page = client.get("/staff/")
    assert page.status_code == 200
    assert "东方中心" in page.text and "东方驿站" in page.text
    assert "西郊中心" not in page.text  # outside the manager's unit
    counts = day_counts([unit["station"].id, unit["center"].id], MONDAY_10AM.date())
    assert counts[unit["station"].id].bookings == 2  # cancelled and tomorrow don't count
    assert counts[unit["station"].id].checked_in == 1
    assert counts[unit["station"].id].activities == 1
    assert counts[unit["center"].id].bookings == 0
    card = page.text.split(f'id="site-{unit["station"].id}"')[1].split('class="card"')[0]
    assert '<span class="stat">2</span>' in card and '<span class="stat">1</span>' in card


def test_home_query_count_does_not_grow_with_sites(client, unit, count_queries):
    with count_queries() as few:
        assert client.get("/staff/").status_code == 200
    db.session.rollback()
    for n in range(8):
        f.site(kind="station", center=unit["center"], name=f"新驿站{n}")
    db.session.commit()
    with count_queries() as many:
        assert client.get("/staff/").status_code == 200
    assert len(many) == len(few)


def test_close_with_reason_then_open_again(client, unit):
    station_id = unit["station"].id
    response = client.post(
        f"/staff/sites/{station_id}/close",
        data={f"site{station_id}-close-reason": "水管维修，明天恢复"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/#site-{station_id}")
    station = fresh(Site, station_id)
    assert station.status == "closed" and station.status_reason == "水管维修，明天恢复"
    assert "水管维修，明天恢复" in client.get(f"/sites/{station_id}").text

    assert client.post(f"/staff/sites/{station_id}/open").status_code == 303
    station = fresh(Site, station_id)
    assert station.status == "open" and station.status_reason == ""
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.site_id == station_id)
    ).all()
    assert actions.count("site.status") == 2


@pytest.mark.parametrize(
    ("reason", "message"), [("", "请告诉居民暂停服务的原因"), ("长" * 201, "200 个字")]
)
def test_close_needs_a_short_reason(client, unit, reason, message):
    station_id = unit["station"].id
    response = client.post(
        f"/staff/sites/{station_id}/close", data={f"site{station_id}-close-reason": reason}
    )
    assert response.status_code == 422
    assert message in response.text
    assert f'href="#site{station_id}-close-reason"' in response.text  # the summary links the field
    assert fresh(Site, station_id).status == "open"


def test_extend_tonight_after_closing_time(client, unit):
    center_id = unit["center"].id
    response = client.post(
        f"/staff/sites/{center_id}/extend-tonight", data={f"site{center_id}-extend-until": "1260"}
    )
    assert response.status_code == 303
    db.session.rollback()
    special = db.session.scalar(select(SpecialDay).where(SpecialDay.site_id == center_id))
    assert special.kind == "extended" and special.starts_on == special.ends_on
    assert special.starts_on == MONDAY_10AM.date()
    assert (special.opens_min, special.closes_min) == (1020, 1260)  # 17:00–21:00
    page = client.get(f"/sites/{center_id}").text
    assert "21:00" in page
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "site.extended_tonight")
        )
        == 1
    )


def test_extend_tonight_starts_after_earlier_extensions(client, unit):
    center_id = unit["center"].id
    field = f"site{center_id}-extend-until"
    assert (
        client.post(f"/staff/sites/{center_id}/extend-tonight", data={field: "1200"}).status_code
        == 303
    )
    response = client.post(f"/staff/sites/{center_id}/extend-tonight", data={field: "1140"})
    assert response.status_code == 422
    assert "20:00" in response.text
    assert (
        client.post(f"/staff/sites/{center_id}/extend-tonight", data={field: "1320"}).status_code
        == 303
    )
    db.session.rollback()
    spans = db.session.execute(
        select(SpecialDay.opens_min, SpecialDay.closes_min).order_by(SpecialDay.id)
    ).all()
    assert [tuple(s) for s in spans] == [(1020, 1200), (1200, 1320)]


@pytest.mark.parametrize("until", ["999", "x", ""])
def test_extend_tonight_refuses_times_not_offered(client, unit, until):
    center_id = unit["center"].id
    message = "请从列表中选择"
    response = client.post(
        f"/staff/sites/{center_id}/extend-tonight", data={f"site{center_id}-extend-until": until}
    )
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(select(func.count(SpecialDay.id))) == 0


def test_extend_tonight_refused_while_closed(client, unit):
    center_id = unit["center"].id
    client.post(f"/staff/sites/{center_id}/close", data={f"site{center_id}-close-reason": "装修"})
    response = client.post(
        f"/staff/sites/{center_id}/extend-tonight", data={f"site{center_id}-extend-until": "1260"}
    )
    assert response.status_code == 422
    assert "先恢复开放" in response.text
    assert db.session.scalar(select(func.count(SpecialDay.id))) == 0


def test_one_tap_actions_check_scope(client, unit):
    other_id = unit["other"].id
    for action, data in [
        ("close", {f"site{other_id}-close-reason": "x"}),
        ("open", {}),
        ("extend-tonight", {f"site{other_id}-extend-until": "1260"}),
    ]:
        assert client.post(f"/staff/sites/{other_id}/{action}", data=data).status_code == 403
    assert fresh(Site, other_id).status == "open"


# Changing an existing service --------------------------------------------------


@pytest.fixture
def service(unit):
    svc = Service(site=unit["station"], category="legal", name="法律咨询", description="每周一")
    db.session.add(svc)
    db.session.commit()
    return svc


def test_edit_service(client, unit, service):
    station = unit["station"]
    url = f"/staff/sites/{station.id}/services/{service.id}/edit"
    page = client.get(url)
    assert page.status_code == 200 and "法律咨询" in page.text
    response = client.post(
        url,
        data=f.prefixed("service", {"version": station.version, "category": "health",
                                    "name": "健康咨询", "description": "测血压"}),
    )  # fmt: skip
    assert response.status_code == 303
    svc = fresh(Service, service.id)
    assert (svc.name, svc.category, svc.description) == ("健康咨询", "health", "测血压")
    assert "健康咨询" in db.session.get(Site, station.id).search_text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "site.service_edited"))
    assert entry.before["name"] == "法律咨询" and entry.after["name"] == "健康咨询"
    assert "健康咨询" in client.get(f"/sites/{station.id}").text


def test_edit_service_bad_input_changes_nothing(client, unit, service):
    url = f"/staff/sites/{unit['station'].id}/services/{service.id}/edit"
    response = client.post(
        url,
        data=f.prefixed(
            "service", {"version": unit["station"].version, "category": "legal", "name": ""}
        ),
    )
    assert response.status_code == 422
    assert "请填写服务名称" in response.text and 'href="#service-name"' in response.text
    assert fresh(Service, service.id).name == "法律咨询"


def test_edit_service_from_a_stale_page_is_a_conflict(client, unit, service):
    station_id, stale = unit["station"].id, unit["station"].version
    url = f"/staff/sites/{station_id}/services/{service.id}/edit"
    first = f.prefixed("service", {"version": stale, "category": "legal", "name": "法律援助"})
    assert client.post(url, data=first).status_code == 303
    second = f.prefixed("service", {"version": stale, "category": "legal", "name": "律师咨询"})
    response = client.post(url, data=second)
    assert response.status_code == 409
    assert "法律援助" in response.text and "律师咨询" in response.text
    assert fresh(Service, service.id).name == "法律援助"


def test_edit_service_of_another_site(client, unit, service):
    other = unit["other"]
    assert client.get(f"/staff/sites/{other.id}/services/{service.id}/edit").status_code == 403
    center = unit["center"]
    assert client.get(f"/staff/sites/{center.id}/services/{service.id}/edit").status_code == 404
