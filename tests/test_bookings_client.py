"""Client tests for the booking pages, the resident's and the staff's."""

import re
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from app.bookings import service as bookings
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Booking, Slot, User

from . import factories as f

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # Monday 08:00
TOMORROW_10 = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def desk(app, freeze):
    freeze(NOW)
    site = f.site(name="东方中心", address="浦东南路100号")
    svc = f.bookable_service(site, name="法律咨询")
    resident = f.user("王阿姨")
    other = f.user("李叔叔")
    staff = f.user("站长", staff_of=(site,))
    other_staff = f.user("别处站长", staff_of=(f.site(name="梅园中心"),))
    slot = f.slot(svc, TOMORROW_10, capacity=5)
    later = f.slot(svc, TOMORROW_10 + timedelta(hours=2), capacity=1, taken=1)
    db.session.commit()
    return dict(site=site, svc=svc, resident=resident, other=other, staff=staff,
                other_staff=other_staff, slot=slot, full=later)  # fmt: skip


def book(client, desk, slot=None, **data):
    slot = slot or desk["slot"]
    form = {"service_id": desk["svc"].id, "seats": 1, "date": "2026-11-24", **data}
    return client.post(f"/slots/{slot.id}/book", data=form)


def count_bookings() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Booking.id)))


# The service page -------------------------------------------------------------


def test_service_page_shows_days_and_free_times(client, desk):
    response = client.get(f"/services/{desk['svc'].id}")
    assert response.status_code == 200
    text = response.text
    assert "<h1>法律咨询</h1>" in text and "东方中心" in text
    assert "11月24日" in text  # a date chip
    assert "10:00–11:00" in text and "剩 5 个名额" in text
    assert "已约满" in text  # the 12:00 slot
    assert "登录后预约" in text  # anonymous


def test_day_fragment_for_htmx(client, desk):
    response = client.get(
        f"/services/{desk['svc'].id}",
        query_string={"date": "2026-11-24"},
        headers={"HX-Request": "true", "HX-Target": "slots"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text and response.text.lstrip().startswith('<section id="slots"')
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "2020-01-01", ""])
def test_bad_day_falls_back_to_a_day_with_times(client, desk, day):
    response = client.get(f"/services/{desk['svc'].id}", query_string={"date": day})
    assert response.status_code == 200 and "10:00–11:00" in response.text


def test_unknown_or_retired_service_is_404(client, desk):
    assert client.get("/services/999999").status_code == 404
    desk["svc"].active = False
    db.session.commit()
    assert client.get(f"/services/{desk['svc'].id}").status_code == 404


def test_logged_in_resident_sees_book_buttons(client, auth, desk):
    auth.login(desk["resident"])
    text = client.get(f"/services/{desk['svc'].id}").text
    assert f'action="/slots/{desk["slot"].id}/book"' in text
    assert "预约 10:00" in text and "排队候补" in text
    assert '<select id="seats-' in text  # seat limit 2


# Booking ----------------------------------------------------------------------


def test_booking_needs_login(client, desk):
    response = book(client, desk)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert count_bookings() == 0


def test_book_then_see_the_confirmation(client, auth, desk):
    auth.login(desk["resident"])
    response = book(client, desk, seats=2)
    assert response.status_code == 303
    booking_id = int(re.search(r"/bookings/(\d+)$", response.headers["Location"]).group(1))
    page = client.get(f"/bookings/{booking_id}")
    assert page.status_code == 200
    db.session.rollback()
    booking = db.session.get(Booking, booking_id)
    assert booking.seats == 2 and booking.status == "booked"
    assert booking.code_display in page.text
    assert '<svg role="img" aria-label="预约码' in page.text  # the QR code
    assert "浦东南路100号" in page.text and f'href="/sites/{desk["site"].id}"' in page.text
    assert f'href="/bookings/{booking_id}/calendar.ics"' in page.text
    assert db.session.get(Slot, desk["slot"].id).taken == 2


def test_calendar_file(client, auth, desk):
    auth.login(desk["resident"])
    booking_id = int(book(client, desk).headers["Location"].rsplit("/", 1)[1])
    response = client.get(f"/bookings/{booking_id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert event.decoded("dtstart") == TOMORROW_10
    assert event.decoded("dtend") == TOMORROW_10 + timedelta(hours=1)
    assert "东方中心" in str(event["location"]) and "法律咨询" in str(event["summary"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"seats": 3}, "每次可以预约 1 到 2 位"),
        ({"seats": "abc"}, "每次可以预约 1 到 2 位"),
        ({"seats": 0}, "每次可以预约 1 到 2 位"),
    ],
)
def test_bad_seats_are_refused(client, auth, desk, data, message):
    auth.login(desk["resident"])
    response = book(client, desk, **data)
    assert response.status_code == 422 and message in response.text
    assert count_bookings() == 0


def test_full_slot_says_so_and_offers_the_waitlist(client, auth, desk):
    auth.login(desk["resident"])
    response = book(client, desk, slot=desk["full"])
    assert response.status_code == 422 and "已约满，您可以排队候补" in response.text
    assert count_bookings() == 0
    response = book(client, desk, slot=desk["full"], waitlist="1")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "您已进入候补队列" in page.text


def test_past_slot_is_refused(client, auth, desk):
    past = f.slot(desk["svc"], NOW - timedelta(hours=2))
    db.session.commit()
    auth.login(desk["resident"])
    response = book(client, desk, slot=past)
    assert response.status_code == 422 and "这个时段已经过去了" in response.text


def test_slot_of_another_service_is_refused(client, auth, desk):
    other = f.bookable_service(desk["site"], category="health", name="中医理疗")
    db.session.commit()
    auth.login(desk["resident"])
    response = client.post(
        f"/slots/{desk['slot'].id}/book", data={"service_id": other.id, "seats": 1}
    )
    assert response.status_code == 422 and "这个时段不属于该服务" in response.text
    assert count_bookings() == 0


@pytest.mark.parametrize("form", [{"seats": 1}, {"service_id": "x", "seats": 1}])
def test_tampered_form_without_service_is_404(client, auth, desk, form):
    auth.login(desk["resident"])
    assert client.post("/slots/999999/book", data=form).status_code == 404
    assert count_bookings() == 0


def test_double_submit_makes_one_booking(client, auth, desk):
    auth.login(desk["resident"])
    first = book(client, desk)
    second = book(client, desk)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count_bookings() == 1


def test_someone_elses_booking_is_404(client, auth, desk):
    booking = bookings.book_slot(desk["other"], desk["slot"].id).booking
    auth.login(desk["resident"])
    for path in (
        f"/bookings/{booking.id}",
        f"/bookings/{booking.id}/calendar.ics",
        f"/bookings/{booking.id}/cancel",
    ):
        assert client.get(path).status_code == 404
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 404
    assert client.post(f"/bookings/{booking.id}/rate", data={"stars": "5"}).status_code == 404
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "booked"


# My bookings: cancel and rate -------------------------------------------------


def test_my_bookings_and_cancel_without_javascript(client, auth, desk):
    auth.login(desk["resident"])
    booking_id = int(book(client, desk).headers["Location"].rsplit("/", 1)[1])
    mine = client.get("/me/bookings")
    assert mine.status_code == 200 and "法律咨询" in mine.text and "已预约" in mine.text
    confirm = client.get(f"/bookings/{booking_id}/cancel")
    assert "确定要取消这个预约吗" in confirm.text and 'method="post"' in confirm.text
    response = client.post(f"/bookings/{booking_id}/cancel")
    assert response.status_code == 303 and response.headers["Location"] == "/me/bookings"
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == "cancelled"
    assert db.session.get(Slot, desk["slot"].id).taken == 0


def test_cancel_with_htmx_swaps_the_item(client, auth, desk):
    auth.login(desk["resident"])
    booking_id = int(book(client, desk).headers["Location"].rsplit("/", 1)[1])
    response = client.post(
        f"/bookings/{booking_id}/cancel",
        headers={"HX-Request": "true", "HX-Target": f"booking-{booking_id}"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith(f'<li class="card booking" id="booking-{booking_id}"')
    assert "已取消" in response.text and "名额已让给其他居民" in response.text


def test_cancel_after_cutoff_shows_the_reason(client, auth, desk, freeze):
    auth.login(desk["resident"])
    booking_id = int(book(client, desk).headers["Location"].rsplit("/", 1)[1])
    freeze(TOMORROW_10 - timedelta(minutes=30))
    auth.login(desk["resident"])  # a day later: yesterday's login has expired
    response = client.post(
        f"/bookings/{booking_id}/cancel",
        headers={"HX-Request": "true", "HX-Target": f"booking-{booking_id}"},
    )
    assert response.status_code == 422 and "开始前 120 分钟之内不能在网上取消" in response.text
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == "booked"


def test_rate_a_visit(client, auth, desk, freeze):
    booking = bookings.book_slot(desk["resident"], desk["slot"].id).booking
    freeze(TOMORROW_10)
    bookings.check_in(booking.id, desk["staff"])
    auth.login(desk["resident"])
    assert 'name="stars"' in client.get("/me/bookings").text
    response = client.post(f"/bookings/{booking.id}/rate", data={"stars": "9"})
    assert response.status_code == 422
    response = client.post(f"/bookings/{booking.id}/rate", data={"stars": "5", "comment": "很耐心"})
    assert response.status_code == 303
    response = client.post(f"/bookings/{booking.id}/rate", data={"stars": "4"})
    assert response.status_code == 422 and "您已经评价过这次服务了" in response.text
    db.session.rollback()
    assert db.session.get(Booking, booking.id).rating == 5
    site_page = client.get(f"/sites/{desk['site'].id}")
    assert "满意度 100%（共 1 条评价" in site_page.text


def test_suspended_resident_sees_the_end_date(client, auth, desk):
    for i in range(3):
        slot = f.slot(desk["svc"], NOW - timedelta(days=i + 1), capacity=1, taken=1)
        missed = NOW - timedelta(days=i + 1)
        db.session.add(
            Booking(
                slot_id=slot.id, user_id=desk["resident"].id, seats=1, status="no_show",
                code=f"7000000{i}", no_show_at=missed,
            )
        )  # fmt: skip
    db.session.commit()
    auth.login(desk["resident"])
    response = book(client, desk)
    assert response.status_code == 422 and "网上预约暂停到 2026-11-29" in response.text
    assert "网上预约暂停到" in client.get("/me/bookings").text


# Staff ------------------------------------------------------------------------


def test_staff_day_list_and_check_in_by_code(client, auth, desk, freeze):
    booking = bookings.book_slot(desk["resident"], desk["slot"].id, seats=2).booking
    freeze(TOMORROW_10 - timedelta(minutes=5))
    auth.login(desk["staff"])
    page = client.get(f"/staff/sites/{desk['site'].id}/bookings")
    assert page.status_code == 200 and "王阿姨" in page.text
    assert desk["resident"].mobile not in page.text  # masked
    assert desk["resident"].mobile[:3] + "****" in page.text
    wrong = client.post(
        f"/staff/sites/{desk['site'].id}/check-in", data={"code": "12345678"},
        headers={"HX-Request": "true", "HX-Target": "checkin"},
    )  # fmt: skip
    assert wrong.status_code == 422 and "这里没有这个预约码的预约" in wrong.text
    right = client.post(
        f"/staff/sites/{desk['site'].id}/check-in", data={"code": booking.code_display},
        headers={"HX-Request": "true", "HX-Target": "checkin"},
    )  # fmt: skip
    assert right.status_code == 200 and "<html" not in right.text
    assert "已签到：王阿姨，法律咨询，2 位" in right.text
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "checked_in"


def test_check_in_without_javascript_redirects(client, auth, desk, freeze):
    booking = bookings.book_slot(desk["resident"], desk["slot"].id).booking
    freeze(TOMORROW_10)
    auth.login(desk["staff"])
    response = client.post(f"/staff/sites/{desk['site'].id}/check-in", data={"code": booking.code})
    assert response.status_code == 303
    assert "已签到" in client.get(response.headers["Location"]).text


def test_staff_mark_no_show_and_reveal_number(client, auth, desk, freeze):
    booking = bookings.book_slot(desk["resident"], desk["slot"].id).booking
    freeze(TOMORROW_10 + timedelta(minutes=20))
    auth.login(desk["staff"])
    site_id = desk["site"].id
    response = client.post(f"/staff/sites/{site_id}/bookings/{booking.id}/no-show")
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "no_show"
    reveal = client.post(
        f"/staff/sites/{site_id}/bookings/{booking.id}/reveal",
        headers={"HX-Request": "true", "HX-Target": f"mobile-{booking.id}"},
    )
    assert reveal.status_code == 200 and desk["resident"].mobile in reveal.text
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "personal.revealed"))


def test_staff_of_another_site_get_403(client, auth, desk):
    booking = bookings.book_slot(desk["resident"], desk["slot"].id).booking
    auth.login(desk["other_staff"])
    site_id = desk["site"].id
    for path in (
        f"/staff/sites/{site_id}/check-in",
        f"/staff/sites/{site_id}/bookings/{booking.id}/no-show",
        f"/staff/sites/{site_id}/proxy-book",
    ):
        assert client.post(path, data={"code": booking.code}).status_code == 403, path
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "booked"


def test_booking_of_another_site_is_404_through_my_site(client, auth, desk):
    booking = bookings.book_slot(desk["resident"], desk["slot"].id).booking
    other_site = desk["other_staff"].scopes[0].site_id
    auth.login(desk["other_staff"])
    response = client.post(f"/staff/sites/{other_site}/bookings/{booking.id}/no-show")
    assert response.status_code == 404


def test_approve_and_decline(client, auth, desk):
    desk["svc"].booking_rule.needs_approval = True
    db.session.commit()
    booking = bookings.book_slot(desk["resident"], desk["slot"].id).booking
    auth.login(desk["staff"])
    url = f"/staff/sites/{desk['site'].id}/bookings/{booking.id}/decide"
    assert client.post(url, data={"decision": "maybe"}).status_code == 400
    assert client.post(url, data={"decision": "approve"}).status_code == 303
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "booked"


def test_proxy_booking_page(client, auth, desk):
    auth.login(desk["staff"])
    url = f"/staff/sites/{desk['site'].id}/proxy-book"
    page = client.get(url)
    assert page.status_code == 200 and f'value="{desk["slot"].id}"' in page.text
    bad = client.post(url, data={"mobile": "123", "slot_id": desk["slot"].id, "seats": 1})
    assert bad.status_code == 422 and "11位" in bad.text
    response = client.post(
        url,
        data={
            "mobile": "139 1234 0000",
            "display_name": "李奶奶",
            "slot_id": desk["slot"].id,
            "seats": 2,
        },
    )
    assert response.status_code == 303
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.mobile == "13912340000"))
    assert user.created_by_staff
    booking = db.session.scalar(select(Booking).where(Booking.user_id == user.id))
    assert booking.seats == 2 and booking.booked_by_id == desk["staff"].id
    full = client.post(url, data={"mobile": "13912340001", "slot_id": desk["full"].id, "seats": 1})
    assert full.status_code == 422 and "约满" in full.text


def test_staff_edit_booking_rules_and_weekly_times(client, auth, desk):
    auth.login(desk["staff"])
    base = f"/staff/sites/{desk['site'].id}/services/{desk['svc'].id}"
    assert client.get(base + "/rules").status_code == 200
    rules = {"seat_limit": "99", "window_days": "7", "min_notice_minutes": "0",
             "cancel_cutoff_minutes": "60", "max_active": "2", "max_per_month": "4"}  # fmt: skip
    bad = client.post(base + "/rules", data=f.prefixed("rules", rules))
    assert bad.status_code == 422 and "请填写 1 到 20 之间的整数" in bad.text
    good = client.post(base + "/rules", data=f.prefixed("rules", {**rules, "seat_limit": "3"}))
    assert good.status_code == 303
    db.session.rollback()
    assert desk["svc"].booking_rule.seat_limit == 3
    times = {
        "weekday": "2",
        "starts": "09:00",
        "ends": "10:00",
        "slot_minutes": "30",
        "capacity": "2",
    }
    backwards = client.post(
        base + "/slot-rules",
        data=f.prefixed("times", {**times, "starts": "12:00", "ends": "09:00"}),
    )
    assert backwards.status_code == 422 and "结束时间必须晚于开始时间" in backwards.text
    bad_time = client.post(
        base + "/slot-rules",
        data=f.prefixed("times", {**times, "starts": "25:00", "ends": "26:00"}),
    )
    assert bad_time.status_code == 422 and "请按 09:00 这样的格式填写时间" in bad_time.text
    added = client.post(base + "/slot-rules", data=f.prefixed("times", times))
    assert added.status_code == 303
    db.session.rollback()
    wednesday_slots = [
        s
        for s in db.session.scalars(select(Slot))
        if s.starts_at.astimezone(LOCAL_TZ).weekday() == 2
    ]
    assert len(wednesday_slots) == 2  # one Wednesday in the 7-day window, two half-hours
    rule_id = max(r.id for r in desk["svc"].slot_rules)
    removed = client.post(base + f"/slot-rules/{rule_id}/delete")
    assert removed.status_code == 303
    db.session.rollback()
    assert not [
        s
        for s in db.session.scalars(select(Slot))
        if s.starts_at.astimezone(LOCAL_TZ).weekday() == 2
    ]
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"service.rules", "service.slot_rule_added", "service.slot_rule_removed"} <= actions


def test_service_of_another_site_is_404_in_rules(client, auth, desk):
    other_svc = f.bookable_service(f.site(name="别的"), name="理发")
    db.session.commit()
    auth.login(desk["staff"])
    assert (
        client.get(f"/staff/sites/{desk['site'].id}/services/{other_svc.id}/rules").status_code
        == 404
    )


# A seat taken while on a waiting list of the same service ---------------------


def test_a_free_seat_is_offered_while_queued_and_the_queue_can_be_left(client, auth, desk):
    auth.login(desk["resident"])
    queued = book(client, desk, slot=desk["full"], waitlist="1")
    assert queued.status_code == 303
    response = book(client, desk)  # a free seat of the same service
    assert response.status_code == 303
    db.session.rollback()
    seat = db.session.scalar(select(Booking).where(Booking.status == "booked"))
    waiting = db.session.scalar(select(Booking).where(Booking.status == "waitlisted"))
    assert response.headers["Location"] == f"/bookings/{seat.id}"
    page = client.get(f"/bookings/{seat.id}").text
    assert "您还在候补名单上" in page and "退出这个候补" in page
    assert f'action="/bookings/{waiting.id}/cancel"' in page
    left = client.post(f"/bookings/{waiting.id}/cancel", data={"next": f"/bookings/{seat.id}"})
    assert left.status_code == 303 and left.headers["Location"] == f"/bookings/{seat.id}"
    db.session.rollback()
    assert db.session.get(Booking, waiting.id).status == "cancelled"
    assert db.session.get(Booking, seat.id).status == "booked"
    assert "您还在候补名单上" not in client.get(f"/bookings/{seat.id}").text


def test_leaving_goes_only_to_local_pages(client, auth, desk):
    auth.login(desk["resident"])
    book(client, desk, slot=desk["full"], waitlist="1")
    db.session.rollback()
    waiting = db.session.scalar(select(Booking))
    left = client.post(f"/bookings/{waiting.id}/cancel", data={"next": "https://evil.example/"})
    assert left.status_code == 303 and left.headers["Location"] == "/me/bookings"


def test_check_in_by_a_code_typed_in_full_width_digits(client, auth, desk, freeze):
    auth.login(desk["resident"])
    booking_id = int(book(client, desk).headers["Location"].rsplit("/", 1)[1])
    db.session.rollback()
    code = db.session.get(Booking, booking_id).code
    freeze(TOMORROW_10 - timedelta(minutes=10))
    auth.login(desk["staff"])
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)  # ０１２… as a Chinese keyboard types
    response = client.post(f"/staff/sites/{desk['site'].id}/check-in", data={"code": wide})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == "checked_in"
