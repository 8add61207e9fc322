"""The booking rules, called directly, with the clock frozen."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.bookings import service as bookings
from app.bookings.slots import WeeklyRule, generate_slots, slot_times
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Booking, Slot, User

from . import factories as f

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # Monday 08:00
TOMORROW_10 = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def desk(app, freeze):
    """A legal clinic with a few slots, and residents to book them."""
    freeze(NOW)
    site = f.site(name="东方中心")
    svc = f.bookable_service(site)
    people = [f.user(f"居民{i}") for i in range(4)]
    staff = f.user("站长", staff_of=(site,))
    open_slot = f.slot(svc, TOMORROW_10, capacity=5)
    db.session.commit()
    return {"site": site, "svc": svc, "slot": open_slot, "people": people, "staff": staff}


def taken(slot_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(Slot.taken).where(Slot.id == slot_id))


def bookings_count() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def test_booking_takes_seats_and_gives_a_code(desk):
    outcome = bookings.book_slot(
        desk["people"][0], desk["slot"].id, service_id=desk["svc"].id, seats=2
    )
    assert not outcome.waitlisted
    booking = outcome.booking
    assert booking.status == "booked" and booking.seats == 2
    assert len(booking.code) == 8 and booking.code.isdigit()
    assert booking.code_display == f"{booking.code[:4]} {booking.code[4:]}"
    assert taken(desk["slot"].id) == 2


@pytest.mark.parametrize(
    ("make_slot", "reason"),
    [
        (lambda svc: f.slot(svc, NOW - timedelta(hours=1)), "past"),
        (lambda svc: f.slot(svc, NOW + timedelta(minutes=30)), "notice"),
        (lambda svc: f.slot(svc, NOW + timedelta(days=20)), "window"),
    ],
)
def test_refused_times(desk, make_slot, reason):
    slot = make_slot(desk["svc"])
    db.session.commit()
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(desk["people"][0], slot.id, service_id=desk["svc"].id)
    assert refused.value.reason == reason
    assert taken(slot.id) == 0 and bookings_count() == 0


def test_closed_day_is_refused(desk):
    f.special_day(desk["site"], "closed", date(2026, 11, 24), note="停电")
    db.session.commit()
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(desk["people"][0], desk["slot"].id)
    assert refused.value.reason == "closed"


def test_temporarily_closed_site_is_refused(desk):
    desk["site"].status, desk["site"].status_reason = "closed", "装修"
    db.session.commit()
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(desk["people"][0], desk["slot"].id)
    assert refused.value.reason == "closed"


@pytest.mark.parametrize("seats", [0, 3, -1])
def test_seats_outside_the_limit(desk, seats):
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(desk["people"][0], desk["slot"].id, seats=seats)
    assert refused.value.reason == "seats"
    assert taken(desk["slot"].id) == 0


def test_seats_over_what_is_left(desk):
    desk["slot"].taken = 4
    db.session.commit()
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(desk["people"][0], desk["slot"].id, seats=2)
    assert refused.value.reason == "seats" and "1" in refused.value.message
    assert taken(desk["slot"].id) == 4


def test_slot_of_another_service_is_refused(desk):
    other = f.bookable_service(desk["site"], category="health", name="中医理疗")
    db.session.commit()
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(desk["people"][0], desk["slot"].id, service_id=other.id)
    assert refused.value.reason == "wrong_service"


def test_full_slot_refuses_or_waitlists(desk):
    desk["slot"].taken = 5
    db.session.commit()
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(desk["people"][0], desk["slot"].id)
    assert refused.value.reason == "full"
    outcome = bookings.book_slot(desk["people"][0], desk["slot"].id, waitlist=True)
    assert outcome.waitlisted and outcome.booking.status == "waitlisted"
    assert taken(desk["slot"].id) == 5


def test_one_active_booking_per_resident_per_slot(desk):
    first = bookings.book_slot(desk["people"][0], desk["slot"].id).booking
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(desk["people"][0], desk["slot"].id)
    assert refused.value.reason == "duplicate" and refused.value.booking.id == first.id
    assert bookings_count() == 1 and taken(desk["slot"].id) == 1


def test_unique_index_holds_even_without_the_check(desk):
    """The database itself refuses a second active booking for the same slot."""
    from sqlalchemy.exc import IntegrityError

    user = desk["people"][0]
    db.session.add(
        Booking(slot_id=desk["slot"].id, user_id=user.id, seats=1, status="booked", code="11111111")
    )
    db.session.commit()
    db.session.add(
        Booking(
            slot_id=desk["slot"].id, user_id=user.id, seats=1, status="waitlisted", code="22222222"
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_capacity_check_constraint_holds_in_the_database(desk):
    from sqlalchemy.exc import IntegrityError

    desk["slot"].taken = 6
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_limit_of_active_bookings(desk):
    user = desk["people"][0]
    for day in (24, 25):
        slot = f.slot(desk["svc"], datetime(2026, 11, day, 14, 0, tzinfo=LOCAL_TZ))
        db.session.commit()
        bookings.book_slot(user, slot.id)
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(user, desk["slot"].id)
    assert refused.value.reason == "limit_active"


def test_a_waiting_list_place_does_not_block_a_free_seat(desk):
    """max_active is 2: one seat and one waiting-list place still leave room for a seat."""
    user = desk["people"][0]
    monday = f.slot(desk["svc"], datetime(2026, 11, 24, 14, 0, tzinfo=LOCAL_TZ), capacity=1)
    full = f.slot(desk["svc"], datetime(2026, 11, 25, 14, 0, tzinfo=LOCAL_TZ), capacity=1, taken=1)
    db.session.commit()
    bookings.book_slot(user, monday.id)
    assert bookings.book_slot(user, full.id, waitlist=True).waitlisted
    outcome = bookings.book_slot(user, desk["slot"].id)  # a free seat of the same service
    assert outcome.booking.status == "booked" and not outcome.waitlisted


def test_waiting_list_places_have_their_own_limit(desk):
    user = desk["people"][0]
    full = [
        f.slot(desk["svc"], datetime(2026, 11, d, 14, 0, tzinfo=LOCAL_TZ), capacity=1, taken=1)
        for d in (24, 25, 26)
    ]
    db.session.commit()
    bookings.book_slot(user, full[0].id, waitlist=True)
    bookings.book_slot(user, full[1].id, waitlist=True)
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(user, full[2].id, waitlist=True)
    assert refused.value.reason == "limit_waiting"
    assert "候补" in refused.value.message
    # Seats are still there to take.
    assert bookings.book_slot(user, desk["slot"].id).booking.status == "booked"


def test_waiting_list_places_do_not_count_towards_the_month(desk):
    user = desk["people"][0]
    desk["svc"].booking_rule.max_per_month = 1
    full = f.slot(desk["svc"], datetime(2026, 11, 25, 14, 0, tzinfo=LOCAL_TZ), capacity=1, taken=1)
    db.session.commit()
    bookings.book_slot(user, full.id, waitlist=True)
    assert bookings.book_slot(user, desk["slot"].id).booking.status == "booked"


def test_a_refused_seat_gives_its_seats_back(desk):
    user = desk["people"][0]
    for day in (24, 25):
        slot = f.slot(desk["svc"], datetime(2026, 11, day, 14, 0, tzinfo=LOCAL_TZ))
        db.session.commit()
        bookings.book_slot(user, slot.id)
    with pytest.raises(bookings.BookingError):
        bookings.book_slot(user, desk["slot"].id)
    assert taken(desk["slot"].id) == 0


def test_limit_per_month(desk):
    user = desk["people"][0]
    desk["svc"].booking_rule.max_active = 10
    desk["svc"].booking_rule.max_per_month = 2
    slots = [
        f.slot(desk["svc"], datetime(2026, 11, d, 14, 0, tzinfo=LOCAL_TZ)) for d in (25, 26, 27)
    ]
    december = f.slot(desk["svc"], datetime(2026, 12, 1, 14, 0, tzinfo=LOCAL_TZ))
    db.session.commit()
    bookings.book_slot(user, slots[0].id)
    bookings.book_slot(user, slots[1].id)
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(user, slots[2].id)
    assert refused.value.reason == "limit_month"
    assert bookings.book_slot(user, december.id).booking.status == "booked"


def _no_shows(user, svc, count, freeze):
    for i in range(count):
        slot = f.slot(svc, NOW - timedelta(days=i + 1), capacity=1, taken=1)
        db.session.add(
            Booking(slot_id=slot.id, user_id=user.id, seats=1, status="no_show",
                    code=f"9000000{i}", no_show_at=NOW - timedelta(days=i + 1))
        )  # fmt: skip
    db.session.commit()


def test_three_no_shows_suspend_self_booking_for_seven_days(desk, freeze):
    user = desk["people"][0]
    _no_shows(user, desk["svc"], 3, freeze)
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book_slot(user, desk["slot"].id)
    assert refused.value.reason == "suspended"
    assert "2026-11-29" in refused.value.message  # last no-show (22nd) + 7 days
    # Staff can still book on the resident's behalf.
    outcome = bookings.book_slot(user, desk["slot"].id, by_staff=desk["staff"])
    assert outcome.booking.status == "booked" and outcome.booking.booked_by_id == desk["staff"].id
    # After the week, self-booking works again.
    freeze(NOW + timedelta(days=7))
    assert bookings.suspended_until(user.id, NOW + timedelta(days=7)) is None


def test_two_no_shows_do_not_suspend(desk, freeze):
    _no_shows(desk["people"][0], desk["svc"], 2, freeze)
    assert bookings.book_slot(desk["people"][0], desk["slot"].id).booking.status == "booked"


def test_cancel_frees_the_seat_and_promotes_the_waitlist(desk):
    slot = f.slot(desk["svc"], datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ), capacity=1)
    db.session.commit()
    first = bookings.book_slot(desk["people"][0], slot.id).booking
    second = bookings.book_slot(desk["people"][1], slot.id, waitlist=True).booking
    third = bookings.book_slot(desk["people"][2], slot.id, waitlist=True).booking
    bookings.cancel_booking(first.id, desk["people"][0])
    db.session.rollback()
    statuses = {b.id: b.status for b in db.session.scalars(select(Booking))}
    assert statuses == {first.id: "cancelled", second.id: "booked", third.id: "waitlisted"}
    assert taken(slot.id) == 1


def test_waitlist_skips_a_party_too_big_for_the_freed_seat(desk):
    slot = f.slot(desk["svc"], datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ), capacity=2)
    db.session.commit()
    a = bookings.book_slot(desk["people"][0], slot.id, seats=1).booking
    bookings.book_slot(desk["people"][1], slot.id, seats=1)
    big = bookings.book_slot(desk["people"][2], slot.id, seats=2, waitlist=True).booking
    small = bookings.book_slot(desk["people"][3], slot.id, seats=1, waitlist=True).booking
    bookings.cancel_booking(a.id, desk["people"][0])
    db.session.rollback()
    assert db.session.get(Booking, big.id).status == "waitlisted"
    assert db.session.get(Booking, small.id).status == "booked"
    assert taken(slot.id) == 2


def test_cancel_after_the_cutoff_is_refused(desk, freeze):
    booking = bookings.book_slot(desk["people"][0], desk["slot"].id).booking
    freeze(TOMORROW_10 - timedelta(minutes=90))  # cut-off is 120 minutes
    with pytest.raises(bookings.BookingError) as refused:
        bookings.cancel_booking(booking.id, desk["people"][0])
    assert refused.value.reason == "cutoff" and "120" in refused.value.message
    assert taken(desk["slot"].id) == 1


def test_only_the_owner_cancels(desk):
    booking = bookings.book_slot(desk["people"][0], desk["slot"].id).booking
    with pytest.raises(LookupError):
        bookings.cancel_booking(booking.id, desk["people"][1])


def test_approval_holds_seats_and_decline_releases_them(desk):
    desk["svc"].booking_rule.needs_approval = True
    slot = f.slot(desk["svc"], datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ), capacity=1)
    db.session.commit()
    pending = bookings.book_slot(desk["people"][0], slot.id).booking
    queued = bookings.book_slot(desk["people"][1], slot.id, waitlist=True).booking
    assert pending.status == "pending" and taken(slot.id) == 1
    bookings.decide(pending.id, approve=False, staff=desk["staff"])
    db.session.rollback()
    assert db.session.get(Booking, pending.id).status == "declined"
    assert db.session.get(Booking, queued.id).status == "pending"  # moved up, still to approve
    bookings.decide(queued.id, approve=True, staff=desk["staff"])
    db.session.rollback()
    assert db.session.get(Booking, queued.id).status == "booked"
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["booking.declined", "booking.booked"]


def test_check_in_only_on_the_day_and_by_code_at_the_site(desk, freeze):
    booking = bookings.book_slot(desk["people"][0], desk["slot"].id).booking
    with pytest.raises(bookings.BookingError) as refused:
        bookings.check_in(booking.id, desk["staff"])
    assert refused.value.reason == "not_today"
    freeze(TOMORROW_10 - timedelta(minutes=10))
    found = bookings.find_by_code(desk["site"], booking.code_display)
    assert found.id == booking.id
    other_site = f.site(name="别的中心")
    db.session.commit()
    assert bookings.find_by_code(other_site, booking.code) is None
    assert bookings.find_by_code(desk["site"], "123") is None
    assert bookings.check_in(booking.id, desk["staff"]).status == "checked_in"
    with pytest.raises(bookings.BookingError):
        bookings.check_in(booking.id, desk["staff"])


def test_center_staff_find_codes_at_their_stations(desk):
    station = f.site(kind="station", center=desk["site"], name="阳光站")
    svc = f.bookable_service(station, category="haircut", name="理发")
    slot = f.slot(svc, TOMORROW_10)
    db.session.commit()
    booking = bookings.book_slot(desk["people"][0], slot.id).booking
    assert bookings.find_by_code(desk["site"], booking.code).id == booking.id
    assert bookings.find_by_code(station, booking.code).id == booking.id


def test_no_show_only_after_the_start(desk, freeze):
    booking = bookings.book_slot(desk["people"][0], desk["slot"].id).booking
    with pytest.raises(bookings.BookingError) as refused:
        bookings.mark_no_show(booking.id, desk["staff"])
    assert refused.value.reason == "too_early"
    freeze(TOMORROW_10 + timedelta(minutes=15))
    marked = bookings.mark_no_show(booking.id, desk["staff"])
    assert marked.status == "no_show" and marked.no_show_at is not None


def test_rating_once_after_check_in(desk, freeze):
    user = desk["people"][0]
    booking = bookings.book_slot(user, desk["slot"].id).booking
    with pytest.raises(bookings.BookingError) as refused:
        bookings.rate(booking.id, user, 5, "")
    assert refused.value.reason == "not_visited"
    freeze(TOMORROW_10)
    bookings.check_in(booking.id, desk["staff"])
    with pytest.raises(bookings.BookingError):
        bookings.rate(booking.id, user, 6, "")
    assert bookings.rate(booking.id, user, 4, "很好").rating == 4
    with pytest.raises(bookings.BookingError) as refused:
        bookings.rate(booking.id, user, 5, "")
    assert refused.value.reason == "rated"
    assert bookings.satisfaction(desk["site"].id) == (1, 100)


def test_satisfaction_is_the_share_of_four_and_five_stars(desk):
    slot = desk["slot"]
    for i, stars in enumerate((5, 4, 2, 1)):
        db.session.add(Booking(slot_id=slot.id, user_id=desk["people"][i].id, seats=1,
                               status="checked_in", code=f"5000000{i}", rating=stars))  # fmt: skip
    db.session.commit()
    assert bookings.satisfaction(desk["site"].id) == (4, 50)
    assert bookings.satisfaction(f.site().id) == (0, None)


def test_proxy_booking_creates_a_minimal_account(desk):
    outcome = bookings.proxy_book(
        desk["staff"], desk["site"], "13912340000", "李奶奶", desk["slot"].id
    )
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.mobile == "13912340000"))
    assert user.created_by_staff and user.password_hash == "" and user.display_name == "李奶奶"
    assert outcome.booking.user_id == user.id and outcome.booking.booked_by_id == desk["staff"].id
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert actions == {"user.created_by_staff", "booking.proxy"}


def test_refused_proxy_booking_leaves_no_account(desk):
    desk["slot"].taken = 5
    db.session.commit()
    with pytest.raises(bookings.BookingError):
        bookings.proxy_book(desk["staff"], desk["site"], "13912340000", "李奶奶", desk["slot"].id)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.mobile == "13912340000")) is None


def test_proxy_booking_for_another_sites_slot_is_refused(desk):
    other = f.site(name="别的中心")
    db.session.commit()
    with pytest.raises(bookings.BookingError) as refused:
        bookings.proxy_book(desk["staff"], other, "13912340000", "李奶奶", desk["slot"].id)
    assert refused.value.reason == "wrong_service"


# Slot generation --------------------------------------------------------------


def test_slot_times_are_whole_slots_in_local_time():
    rules = [WeeklyRule(0, 540, 700, 60, 3)]  # Monday 09:00–11:40, hour slots
    times = slot_times(rules, date(2026, 11, 23))
    assert [(s.strftime("%H:%M"), e.strftime("%H:%M"), c) for s, e, c in times] == [
        ("09:00", "10:00", 3),
        ("10:00", "11:00", 3),
    ]
    assert slot_times(rules, date(2026, 11, 24)) == []


def test_generate_slots_follows_rules_and_skips_closures(desk):
    svc = desk["svc"]  # Mondays 09:00–12:00, 60 minutes, 2 places; window 14 days
    f.special_day(desk["site"], "holiday", date(2026, 11, 30))
    db.session.commit()
    added = generate_slots(svc, date(2026, 11, 23))
    db.session.commit()
    starts = sorted(db.session.scalars(select(Slot.starts_at).where(Slot.capacity == 2)))
    days = sorted({s.astimezone(LOCAL_TZ).date() for s in starts})
    assert days == [date(2026, 11, 23), date(2026, 12, 7)]  # the 30th is a holiday
    assert added == 6
    assert generate_slots(svc, date(2026, 11, 23)) == 0  # idempotent


def test_changing_rules_keeps_booked_slots(desk):
    svc = desk["svc"]
    generate_slots(svc, date(2026, 11, 23))
    db.session.commit()
    booked_slot = db.session.scalar(
        select(Slot).where(Slot.capacity == 2).order_by(Slot.starts_at.desc())
    )
    bookings.book_slot(desk["people"][0], booked_slot.id)
    # Now the clinic moves to Tuesdays with 1 place.
    db.session.rollback()
    svc = db.session.get(type(svc), svc.id)
    svc.slot_rules[0].weekday = 1
    svc.slot_rules[0].capacity = 1
    db.session.flush()
    generate_slots(svc, date(2026, 11, 23))
    db.session.commit()
    remaining = db.session.scalars(select(Slot).where(Slot.service_id == svc.id)).all()
    mondays = [
        s
        for s in remaining
        if s.starts_at.astimezone(LOCAL_TZ).weekday() == 0 and s.id != desk["slot"].id
    ]
    assert [s.id for s in mondays] == [booked_slot.id]  # only the booked Monday survives
    tuesdays = [
        s for s in remaining if s.starts_at.astimezone(LOCAL_TZ).weekday() == 1 and s.capacity == 1
    ]
    assert len(tuesdays) == 6
