"""One station can never stop the city's slots.

A closure entered until 9999-12-31 once made ``flask generate-slots`` crash for
every site (one transaction for all, and an OverflowError a day past the last
date), and a closure until 9999-12-30 made each regeneration walk millions of
days. Now staff cannot enter such dates, generation walks only the booking
window, and each site is generated in its own transaction.
"""

import logging
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.bookings import slots as slot_module
from app.bookings.slots import closed_days, generate_all
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Notice, Site, Slot, SpecialDay

from . import factories as f

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)
TODAY = MONDAY_10AM.date()


@pytest.fixture
def city(app, freeze):
    freeze(MONDAY_10AM)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    other = f.site(name="梅园中心")
    services = {
        name: f.bookable_service(site, name=name, weekly=((0, 540, 720, 60, 2),))
        for name, site in (("东方法律", center), ("阳光理发", station), ("梅园食堂", other))
    }
    staff = f.user("社工", staff_of=(station,))
    db.session.commit()
    return {"center": center, "station": station, "other": other, "services": services,
            "staff": staff}  # fmt: skip


def slots_of(service_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Slot.id)).where(Slot.service_id == service_id))


def test_closed_days_walk_only_the_window():
    far = [("closed", date(2026, 11, 20), date(9999, 12, 30))]
    days = closed_days(far, date(2026, 11, 23), date(2026, 12, 7))
    assert len(days) == 15 and min(days) == date(2026, 11, 23) and max(days) == date(2026, 12, 7)
    assert closed_days([("closed", date(9999, 12, 31), date.max)]) == {date.max}
    assert closed_days(far, date(2026, 11, 23), date(2026, 11, 22)) == set()


@pytest.mark.parametrize("last_day", [date(9999, 12, 31), date(9999, 12, 30)])
def test_a_closure_to_the_end_of_time_stops_no_one(city, runner, last_day):
    """Rows from before the form checks existed: the daily job still serves every site."""
    f.special_day(city["station"], "closed", TODAY, last_day)
    db.session.commit()
    result = runner.invoke(args=["generate-slots"])
    assert result.exit_code == 0, result.output
    assert "open for booking" in result.output and "slots added" not in result.output
    services = city["services"]
    assert slots_of(services["东方法律"].id) == 9  # 3 Mondays in the window × 3 slots
    assert slots_of(services["梅园食堂"].id) == 9
    assert slots_of(services["阳光理发"].id) == 0  # closed for good


def test_saving_rules_of_a_site_with_such_a_closure_works(city, client, auth):
    f.special_day(city["station"], "closed", TODAY, date(9999, 12, 31))
    db.session.commit()
    auth.login(city["staff"])
    service = city["services"]["阳光理发"]
    response = client.post(
        f"/staff/sites/{city['station'].id}/services/{service.id}/rules",
        data=f.prefixed("rules", {"seat_limit": 1, "window_days": 60, "min_notice_minutes": 60,
                                  "cancel_cutoff_minutes": 120, "max_active": 2,
                                  "max_per_month": 4}),
    )  # fmt: skip
    assert response.status_code == 303


def test_one_sites_failure_is_logged_and_the_others_get_their_slots(
    city, runner, monkeypatch, caplog
):
    """A fault injected into one site's generation (whatever it may be one day)."""
    real = slot_module.generate_slots
    broken = city["services"]["阳光理发"].id

    def generate(service, today):
        if service.id == broken:
            raise RuntimeError("a fault in this site's data")
        return real(service, today)

    monkeypatch.setattr(slot_module, "generate_slots", generate)
    caplog.set_level(logging.ERROR, logger="app.bookings.slots")
    result = runner.invoke(args=["generate-slots"])
    assert result.exit_code == 0
    assert "阳光站" in result.output  # named, on standard error
    assert any(
        "阳光站" in r.getMessage() and str(city["station"].id) in r.getMessage()
        for r in caplog.records
    )
    assert slots_of(city["services"]["东方法律"].id) == 9
    assert slots_of(city["services"]["梅园食堂"].id) == 9


def test_generate_all_reports_what_it_did(city):
    report = generate_all(TODAY)
    assert report.added == 27 and report.sites == 3 and report.failed == []
    assert generate_all(TODAY).added == 0  # idempotent


# Staff cannot enter such dates -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("special-days", {"kind": "closed", "starts_on": "2026-11-24", "ends_on": "9999-12-31"}),
        ("special-days", {"kind": "closed", "starts_on": "2026-11-24", "ends_on": "2029-01-01"}),
        ("special-days", {"kind": "holiday", "starts_on": "0001-01-01", "ends_on": "2026-11-24"}),
        ("special-days", {"kind": "closed", "starts_on": "2025-11-01", "ends_on": "2026-11-24"}),
        ("notices", {"title": "通知", "publish_on": "2026-11-24", "expires_on": "9999-12-31"}),
        ("notices", {"title": "通知", "publish_on": "0001-01-01"}),
    ],
)
def test_dates_outside_the_window_are_refused(city, client, auth, path, form):
    station = city["station"]
    auth.login(city["staff"])
    prefix = "special" if path == "special-days" else "notice"
    response = client.post(
        f"/staff/sites/{station.id}/{path}",
        data=f.prefixed(prefix, {**form, "version": station.version}),
    )
    assert response.status_code == 422
    assert "请选择 2025-11-22 到 2028-11-23 之间的日期" in response.text
    db.session.rollback()
    assert db.session.scalar(select(func.count(SpecialDay.id))) == 0
    assert db.session.scalar(select(func.count(Notice.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
    assert db.session.get(Site, station.id).version == station.version


def test_dates_inside_the_window_are_kept(city, client, auth):
    station = city["station"]
    auth.login(city["staff"])
    response = client.post(
        f"/staff/sites/{station.id}/special-days",
        data=f.prefixed("special", {"kind": "closed", "starts_on": "2025-11-22",
                                    "ends_on": "2028-11-23", "note": "长期装修",
                                    "version": station.version}),
    )  # fmt: skip
    assert response.status_code == 303
    db.session.rollback()
    special = db.session.scalar(select(SpecialDay))
    assert (special.starts_on, special.ends_on) == (date(2025, 11, 22), date(2028, 11, 23))
    assert special.ends_on - TODAY == timedelta(days=731)
