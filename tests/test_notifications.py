"""Being told: the inbox, text messages, quiet hours, preferences, reminders, no-shows.

Jobs run inline here (tests/conftest.py sets Huey's immediate mode), in an app
context of their own, as a worker would run them; tests/test_jobs.py runs a
real worker process.
"""

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.bookings import service as bookings
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Booking, Notification, SmsMessage
from app.notifications import notify, reminders, set_preferences, sms
from app.notifications.kinds import KINDS, sms_text, words

from . import factories as f

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def desk(app, freeze):
    freeze(MONDAY_10AM)
    site = f.site(name="东方中心")
    svc = f.bookable_service(site, name="法律咨询", rule={"max_active": 5})
    resident = f.user("王阿姨", mobile="13912345678")
    staff = f.user("站长", staff_of=(site,))
    db.session.commit()
    return {"site": site, "svc": svc, "resident": resident, "staff": staff}


def messages(user_id=None):
    db.session.rollback()
    query = select(Notification).order_by(Notification.id)
    if user_id:
        query = query.where(Notification.user_id == user_id)
    return db.session.scalars(query).all()


def outbox():
    db.session.rollback()
    return db.session.scalars(select(SmsMessage).order_by(SmsMessage.id)).all()


# Words ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_reads_in_chinese_and_english(app, kind):
    params = {"service": "法律咨询", "site": "东方中心", "when": "2026-11-24 10:00",
              "code": "4821 7730", "reason": "停电", "activity": "敲门行动", "place": "东方中心",
              "team": "四季歌", "decision": "通过", "item": "大米",
              "masked": "139****5678"}  # fmt: skip
    with force_locale("zh"):
        title_zh, text_zh = words(kind, params)
    with force_locale("en"):
        title_en, text_en = words(kind, params)
    assert title_zh and text_zh and title_en and text_en
    assert title_zh != title_en and text_zh != text_en
    assert "%(" not in text_zh and "%(" not in text_en
    assert sms_text(kind, params, "家门口").startswith("【家门口】")


def test_a_missing_value_is_left_empty_not_an_error(app):
    _title, text = words("booking_confirmed", {"service": "法律咨询"})
    assert "法律咨询" in text and "%(" not in text


# The inbox and the outbox --------------------------------------------------------


def test_a_booking_is_told_in_the_inbox_and_by_sms(desk):
    slot = f.slot(desk["svc"], MONDAY_10AM + timedelta(days=1), capacity=3)
    db.session.commit()
    booking = bookings.book_slot(desk["resident"], slot.id).booking
    [message] = messages(desk["resident"].id)
    assert message.kind == "booking_confirmed" and message.url == f"/bookings/{booking.id}"
    [text] = outbox()
    assert text.status == "sent" and text.mobile == "13912345678" and not text.urgent
    assert "预约成功" in text.text and booking.code_display in text.text
    assert "13912345678" not in text.text  # never a full number in the message


def test_nothing_is_told_of_a_refused_booking(desk):
    slot = f.slot(desk["svc"], MONDAY_10AM - timedelta(hours=1))  # in the past
    db.session.commit()
    with pytest.raises(bookings.BookingError):
        bookings.book_slot(desk["resident"], slot.id)
    assert messages() == [] and outbox() == []


def test_a_promotion_from_the_waiting_list_is_told(desk):
    slot = f.slot(desk["svc"], MONDAY_10AM + timedelta(days=1), capacity=1)
    other = f.user("李叔叔")
    db.session.commit()
    first = bookings.book_slot(other, slot.id).booking
    queued = bookings.book_slot(desk["resident"], slot.id, waitlist=True).booking
    assert [m.kind for m in messages(desk["resident"].id)] == []  # waiting: nothing yet
    bookings.cancel_booking(first.id, other)
    [promoted] = messages(desk["resident"].id)
    assert promoted.kind == "booking_promoted" and promoted.url == f"/bookings/{queued.id}"


def test_approval_and_decline_are_told(desk):
    svc = f.bookable_service(desk["site"], name="活动室", rule={"needs_approval": True})
    slot = f.slot(svc, MONDAY_10AM + timedelta(days=2), capacity=2)
    db.session.commit()
    booking = bookings.book_slot(desk["resident"], slot.id).booking
    bookings.decide(booking.id, False, desk["staff"])
    assert [m.kind for m in messages(desk["resident"].id)] == [
        "booking_pending",
        "booking_declined",
    ]


def test_a_cancellation_by_the_site_for_today_is_urgent(desk, freeze):
    freeze(datetime(2026, 11, 23, 21, 30, tzinfo=LOCAL_TZ))  # quiet hours
    slot = f.slot(desk["svc"], datetime(2026, 11, 23, 22, 30, tzinfo=LOCAL_TZ))
    db.session.commit()
    booking = bookings.book_slot(desk["resident"], slot.id).booking
    bookings.cancel_by_staff(booking.id, desk["staff"], "停电")
    confirmation, cancellation = outbox()
    assert confirmation.status == "queued"  # held until 08:00
    assert cancellation.urgent and cancellation.status == "sent" and "停电" in cancellation.text
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "booking.cancelled_by_staff")
    )
    assert entry.actor_id == desk["staff"].id


# Quiet hours, limits, preferences -------------------------------------------------


@pytest.mark.parametrize(
    ("local", "held_until"),
    [
        ((21, 0), (8, 0, 1)),
        ((23, 59), (8, 0, 1)),
        ((0, 30), (8, 0, 0)),
        ((7, 59), (8, 0, 0)),
        ((8, 0), None),
        ((20, 59), None),
    ],
)
def test_quiet_hours(app, local, held_until):
    moment = datetime(2026, 11, 23, *local, tzinfo=LOCAL_TZ)
    result = sms.quiet_until(moment)
    if held_until is None:
        assert result is None
    else:
        hour, minute, days = held_until
        expected = datetime(2026, 11, 23, hour, minute, tzinfo=LOCAL_TZ) + timedelta(days=days)
        assert result == expected


def test_a_held_message_goes_at_eight(desk, freeze):
    freeze(datetime(2026, 11, 23, 22, 0, tzinfo=LOCAL_TZ))
    notify(desk["resident"], "booking_reminder", {"service": "法律咨询"})
    db.session.commit()
    [held] = outbox()
    assert held.status == "queued" and held.send_after.astimezone(LOCAL_TZ).hour == 8
    assert sms.send_due() == 0
    freeze(datetime(2026, 11, 24, 8, 0, tzinfo=LOCAL_TZ))
    assert sms.send_due() == 1
    assert outbox()[0].status == "sent"


def test_a_verification_code_is_never_held(desk, freeze):
    freeze(datetime(2026, 11, 23, 23, 0, tzinfo=LOCAL_TZ))
    notify(desk["resident"], "verification_code", {"code": "123456"})
    db.session.commit()
    assert outbox()[0].status == "sent"


def test_a_number_gets_at_most_five_an_hour(desk):
    for n in range(7):
        notify(desk["resident"], "booking_reminder", {"service": f"服务{n}"})
        db.session.commit()
    statuses = [m.status for m in outbox()]
    assert statuses.count("sent") == 5 and statuses.count("queued") == 2
    assert len(messages(desk["resident"].id)) == 7  # the inbox has them all


def test_preferences_turn_text_messages_off_never_the_inbox(desk):
    set_preferences(desk["resident"].id, {"booking_reminder": False, "booking_confirmed": True})
    notify(desk["resident"], "booking_reminder", {"service": "法律咨询"})
    notify(desk["resident"], "verification_code", {"code": "123456"})  # not optional
    db.session.commit()
    assert [m.kind for m in outbox()] == ["verification_code"]
    assert len(messages(desk["resident"].id)) == 2


def test_a_message_is_sent_once_however_often_asked(desk):
    notify(desk["resident"], "booking_reminder", {"service": "法律咨询"}, dedupe_key="reminder:1")
    db.session.commit()
    again = notify(
        desk["resident"], "booking_reminder", {"service": "法律咨询"}, dedupe_key="reminder:1"
    )
    db.session.commit()
    assert again is None and len(messages()) == 1 and len(outbox()) == 1
    assert sms.deliver(outbox()[0].id) is None  # already sent: not taken again


def test_nobody_without_a_number_gets_a_text(desk):
    staff_made = f.user("没有手机的人")
    staff_made.mobile = None
    db.session.commit()
    notify(staff_made, "booking_reminder", {"service": "法律咨询"})
    db.session.commit()
    assert outbox() == [] and len(messages(staff_made.id)) == 1


# Reminders and no-shows (the periodic jobs' work) ---------------------------------


def test_reminders_the_evening_before_and_two_hours_before_once_each(desk, freeze):
    slot = f.slot(desk["svc"], datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ))
    db.session.commit()
    bookings.book_slot(desk["resident"], slot.id)
    freeze(datetime(2026, 11, 23, 17, 55, tzinfo=LOCAL_TZ))
    assert reminders.send_due() == 0  # not evening yet
    freeze(datetime(2026, 11, 23, 18, 5, tzinfo=LOCAL_TZ))
    assert reminders.send_due() == 1
    assert reminders.send_due() == 0  # run twice: sent once
    freeze(datetime(2026, 11, 24, 8, 5, tzinfo=LOCAL_TZ))
    assert reminders.send_due() == 1
    assert reminders.send_due() == 0
    kinds = [m.kind for m in messages(desk["resident"].id)]
    assert kinds == ["booking_confirmed", "booking_reminder", "booking_reminder"]


def test_no_reminder_for_a_booking_made_within_two_hours(desk, freeze):
    slot = f.slot(desk["svc"], MONDAY_10AM + timedelta(hours=1, minutes=30))
    db.session.commit()
    desk["svc"].booking_rule.min_notice_minutes = 0
    db.session.commit()
    bookings.book_slot(desk["resident"], slot.id)
    assert reminders.send_due() == 0


def test_overdue_bookings_become_no_shows_once(desk, freeze):
    slot = f.slot(desk["svc"], MONDAY_10AM + timedelta(hours=2), minutes=60)
    db.session.commit()
    booking = bookings.book_slot(desk["resident"], slot.id).booking
    freeze(MONDAY_10AM + timedelta(hours=3, minutes=29))
    assert bookings.mark_overdue_no_shows() == 0  # 29 minutes after the end
    freeze(MONDAY_10AM + timedelta(hours=3, minutes=31))
    assert bookings.mark_overdue_no_shows() == 1
    assert bookings.mark_overdue_no_shows() == 0
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "no_show"
    marks = db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "booking.no_show")
    )
    assert marks == 1


def test_a_service_can_turn_automatic_no_shows_off(desk, freeze):
    desk["svc"].booking_rule.auto_no_show = False
    slot = f.slot(desk["svc"], MONDAY_10AM + timedelta(hours=2))
    db.session.commit()
    booking = bookings.book_slot(desk["resident"], slot.id).booking
    freeze(MONDAY_10AM + timedelta(hours=4))
    assert bookings.mark_overdue_no_shows() == 0
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "booked"


# Pages ------------------------------------------------------------------------------


def test_the_inbox_the_unread_count_and_read_all(desk, client, auth):
    notify(desk["resident"], "booking_reminder", {"service": "法律咨询", "site": "东方中心"},
           url="/me/bookings")  # fmt: skip
    db.session.commit()
    auth.login(desk["resident"])
    home = client.get("/").text
    assert 'class="unread-count" aria-hidden="true">1<' in home and "1 条未读消息" in home
    page = client.get("/me/messages").text
    assert "提醒" in page and "法律咨询" in page and 'href="/me/bookings"' in page
    assert client.post("/me/messages/read").status_code == 303
    assert "unread-count" not in client.get("/").text
    client.set_cookie("lang", "en")
    assert "Reminder" in client.get("/me/messages").text


def test_the_settings_page_saves_choices(desk, client, auth):
    auth.login(desk["resident"])
    page = client.get("/me/messages/settings").text
    assert 'name="sms" value="booking_reminder" checked' in page
    assert 'value="verification_code"' not in page  # always on: not offered
    response = client.post("/me/messages/settings", data={"sms": ["booking_confirmed"]})
    assert response.status_code == 303
    page = client.get("/me/messages/settings").text
    assert 'value="booking_reminder" checked' not in page
    assert 'value="booking_confirmed" checked' in page


def test_the_admin_outbox_shows_masked_numbers(desk, client, auth):
    notify(desk["resident"], "booking_reminder", {"service": "法律咨询"})
    admin = f.user("管理员", admin=True)
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/sms").text
    assert "139****5678" in page and "13912345678" not in page and "已发送" in page
    auth.logout()
    auth.login(desk["resident"])
    assert client.get("/admin/sms").status_code == 403
