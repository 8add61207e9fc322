"""A closure that meets bookings and activities asks first: cancel them and tell
each person, or keep them. Rules first, then the staff pages (one-tap close on
the staff home, the site page, a closure or holiday over days)."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.bookings import service as bookings
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Booking, Notification, Signup, Site, SmsMessage, SpecialDay
from app.sites import closures

from . import factories as f

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)
TUESDAY = date(2026, 11, 24)


@pytest.fixture
def day(app, freeze, auth):
    """A site with, on Tuesday: two bookings, one on the waiting list, an activity
    with a volunteer; and a booking on Wednesday. Staff logged in."""
    freeze(MONDAY_10AM)
    site = f.site(name="东方中心")
    svc = f.bookable_service(site, name="法律咨询", rule={"max_active": 5})
    staff = f.user("站长", staff_of=(site,))
    residents = [f.user(f"居民{i}", mobile=f"1391234000{i}") for i in range(4)]
    tuesday = f.slot(svc, datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ), capacity=2)
    wednesday = f.slot(svc, datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ), capacity=2)
    volunteer = f.volunteer("志愿者", mobile="13600000001")
    team = f.team(site, "四季歌志愿服务队")
    activity = f.activity(site, datetime(2026, 11, 24, 14, 0, tzinfo=LOCAL_TZ), places=5,
                          title="敬老院探访", team_obj=team)  # fmt: skip
    db.session.commit()
    made = [bookings.book_slot(r, tuesday.id, waitlist=True).booking for r in residents[:3]]
    later = bookings.book_slot(residents[3], wednesday.id).booking
    from app.volunteers.signups import sign_up

    sign_up(volunteer, activity.id)
    auth.login(staff)
    return {"site": site, "staff": staff, "residents": residents, "made": made,
            "later": later, "activity": activity, "volunteer": volunteer,
            "tuesday": tuesday}  # fmt: skip


def statuses(ids):
    db.session.rollback()
    return [db.session.get(Booking, i).status for i in ids]


def kinds_for(user):
    db.session.rollback()
    return db.session.scalars(
        select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()


# Rules -----------------------------------------------------------------------------


def test_affected_counts_what_the_days_hold(day):
    hit = closures.affected(day["site"].id, *closures.days(TUESDAY, TUESDAY))
    assert sorted(hit.booking_ids) == sorted(b.id for b in day["made"])
    assert hit.activity_ids == [day["activity"].id] and hit.signups == 1
    # Waiting first, so a cancelled seat never promotes anyone into the closed day.
    assert hit.booking_ids[0] == day["made"][2].id
    both = closures.affected(day["site"].id, *closures.days(TUESDAY, TUESDAY + timedelta(1)))
    assert day["later"].id in both.booking_ids
    none = closures.affected(day["site"].id, *closures.days(date(2026, 11, 26), date(2026, 11, 30)))
    assert not none


def test_what_has_begun_is_not_the_closures(day, freeze):
    freeze(datetime(2026, 11, 24, 10, 30, tzinfo=LOCAL_TZ))  # the 10:00 slot is under way
    hit = closures.affected(day["site"].id, *closures.rest_of_today())
    assert hit.booking_ids == [] and hit.activity_ids == [day["activity"].id]


def test_cancel_affected_cancels_each_through_the_rules_and_tells_each_person(day):
    start, end = closures.days(TUESDAY, TUESDAY)
    done = closures.cancel_affected(day["site"].id, start, end, "停电检修", day["staff"])
    assert done == closures.Cancelled(bookings=3, activities=1)
    assert statuses(b.id for b in day["made"]) == ["cancelled"] * 3
    assert statuses([day["later"].id]) == ["booked"]
    db.session.rollback()
    assert db.session.get(type(day["tuesday"]), day["tuesday"].id).taken == 0
    for resident in day["residents"][:3]:
        kinds = kinds_for(resident)
        assert kinds[-1] == "booking_cancelled" and "booking_promoted" not in kinds
    told = db.session.scalars(select(SmsMessage).where(SmsMessage.kind == "booking_cancelled"))
    assert all("停电检修" in text.text for text in told)
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "booking.cancelled_by_staff"
            )
        )
        == 3
    )
    assert "activity_cancelled" in kinds_for(day["volunteer"])
    # Twice: nothing more happens.
    again = closures.cancel_affected(day["site"].id, start, end, "停电检修", day["staff"])
    assert again == closures.Cancelled(0, 0)


# Pages -------------------------------------------------------------------------------


def special(kind="closed", first="2026-11-24", last="2026-11-24", **extra):
    return {"special-version": "1", "special-kind": kind, "special-starts_on": first,
            "special-ends_on": last, "special-note": "停电检修", **extra}  # fmt: skip


def version_of(site):
    db.session.rollback()
    return str(db.session.get(Site, site.id).version)


def test_a_closure_over_booked_days_asks_first_and_saves_nothing(day, client):
    site = day["site"]
    data = special(**{"special-version": version_of(site)})
    page = client.post(f"/staff/sites/{site.id}/special-days", data=data)
    assert page.status_code == 200 and "关闭之前" in page.text
    assert "3 个预约" in page.text and "1 个志愿活动" in page.text and "敬老院探访" in page.text
    assert 'name="affected-then"' in page.text and 'value="停电检修"' in page.text
    for name, value in data.items():  # what was typed travels with the answer
        assert f'name="{name}" value="{value}"' in page.text
    db.session.rollback()
    assert db.session.scalar(select(func.count(SpecialDay.id))) == 0
    assert statuses(b.id for b in day["made"]) == ["booked", "booked", "waitlisted"]


def test_cancel_and_tell(day, client):
    site = day["site"]
    data = special(**{"special-version": version_of(site), "affected-then": "cancel",
                      "affected-message": "停电检修，改日再约"})  # fmt: skip
    response = client.post(f"/staff/sites/{site.id}/special-days", data=data)
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(func.count(SpecialDay.id))) == 1
    assert statuses(b.id for b in day["made"]) == ["cancelled"] * 3
    assert statuses([day["later"].id]) == ["booked"]
    page = client.get(response.headers["Location"])
    assert "3 个预约、1 个活动已取消" in page.text
    texts = db.session.scalars(
        select(SmsMessage.text).where(SmsMessage.kind == "booking_cancelled")
    )
    assert all("停电检修，改日再约" in text for text in texts)
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count(Signup.id)).where(Signup.activity_id == day["activity"].id)
        )
        == 1
    )


def test_keep_them(day, client):
    site = day["site"]
    data = special(**{"special-version": version_of(site), "affected-then": "keep",
                      "affected-message": ""})  # fmt: skip
    response = client.post(f"/staff/sites/{site.id}/special-days", data=data)
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(func.count(SpecialDay.id))) == 1
    assert statuses(b.id for b in day["made"]) == ["booked", "booked", "waitlisted"]
    page = client.get(response.headers["Location"])
    assert "记得联系" in page.text
    assert "booking_cancelled" not in kinds_for(day["residents"][0])


@pytest.mark.parametrize(
    ("answer", "message"),
    [({"affected-then": "maybe"}, "请选择取消还是保留"),
     ({"affected-then": "cancel", "affected-message": "   "}, "请简单说明原因"),
     ({"affected-then": "cancel", "affected-message": "长" * 201}, "不要超过 200 个字"),
     ({"affected-then": "\x00"}, None)],
)  # fmt: skip
def test_a_bad_answer_changes_nothing(day, client, answer, message):
    site = day["site"]
    data = special(**{"special-version": version_of(site), **answer})
    response = client.post(f"/staff/sites/{site.id}/special-days", data=data)
    assert response.status_code in ((422,) if message else (400, 422))
    if message:
        assert message in response.text and 'class="error-summary"' in response.text
    db.session.rollback()
    assert db.session.scalar(select(func.count(SpecialDay.id))) == 0
    assert statuses(b.id for b in day["made"]) == ["booked", "booked", "waitlisted"]


def test_extended_hours_and_empty_days_ask_nothing(day, client):
    site = day["site"]
    data = special("extended", **{"special-version": version_of(site),
                                  "special-opens": "18:00", "special-closes": "21:00"})  # fmt: skip
    assert client.post(f"/staff/sites/{site.id}/special-days", data=data).status_code == 303
    data = special(first="2026-11-27", last="2026-11-28",
                   **{"special-version": version_of(site)})  # fmt: skip
    assert client.post(f"/staff/sites/{site.id}/special-days", data=data).status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(func.count(SpecialDay.id))) == 2


def test_the_one_tap_close_asks_about_today(day, client, freeze, auth):
    freeze(datetime(2026, 11, 24, 8, 0, tzinfo=LOCAL_TZ))
    auth.login(day["staff"])  # a new day, a new login
    site = day["site"]
    prefix = f"site{site.id}-close"
    page = client.post(f"/staff/sites/{site.id}/close", data={f"{prefix}-reason": "水管爆裂"})
    assert page.status_code == 200 and "关闭之前" in page.text and "3 个预约" in page.text
    db.session.rollback()
    assert db.session.get(Site, site.id).status == "open"
    response = client.post(f"/staff/sites/{site.id}/close", data={
        f"{prefix}-reason": "水管爆裂", "affected-then": "cancel",
        "affected-message": "水管爆裂，今天暂停服务"})  # fmt: skip
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Site, site.id).status == "closed"
    assert statuses(b.id for b in day["made"]) == ["cancelled"] * 3
    urgent = db.session.scalars(
        select(SmsMessage.urgent).where(SmsMessage.kind == "booking_cancelled")
    ).all()
    assert urgent and all(urgent)  # a cancellation for today is urgent


def test_the_site_page_close_asks_too(day, client, freeze, auth):
    freeze(datetime(2026, 11, 24, 8, 0, tzinfo=LOCAL_TZ))
    auth.login(day["staff"])
    site = day["site"]
    page = client.post(f"/staff/sites/{site.id}", data={"status": "closed", "reason": "装修"})
    assert page.status_code == 200 and "关闭之前" in page.text
    response = client.post(f"/staff/sites/{site.id}", data={
        "status": "closed", "reason": "装修", "affected-then": "keep"})  # fmt: skip
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Site, site.id).status == "closed"
    assert statuses(b.id for b in day["made"]) == ["booked", "booked", "waitlisted"]
