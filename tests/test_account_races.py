"""Accounts, deletion and closures under real parallel requests: a live gunicorn
server with two workers on one database (SQLite, or PostgreSQL with
TEST_DATABASE_URL).

- "Create my account" sent 20 times at once with one code makes one account.
- A new password sent 20 times at once with one code is set once.
- 20 wrong codes at once use up the code's tries, never more.
- A closure's "cancel them and tell each person" sent twice cancels each booking
  once and tells each person once.
- Deleting an account while its owner's booking requests arrive leaves no seat
  held by the deleted account, and the counts of seats right.

Never a 500. The server runs on the real clock, so what is booked is tomorrow.
"""

from datetime import datetime, time, timedelta

import pytest
import requests
from sqlalchemy import func, select

from app import clock
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import (
    AuditEntry,
    Booking,
    Consent,
    Notification,
    Site,
    Slot,
    SmsMessage,
    User,
    VerificationCode,
)

from . import factories as f
from .conftest import make_app
from .http_client import Visitor, fire_together
from .live import live_server

TOGETHER = 20
LIVE_ENV = {
    "LOGIN_LIMITS_PER_ADDRESS": "10000/minute",
    "LOGIN_LIMITS_PER_MOBILE": "10000/minute",
    "CODE_LIMITS_PER_MOBILE": "10000/minute",
    "CODE_LIMITS_PER_ADDRESS": "10000/minute",
}


@pytest.fixture(scope="module")
def rink(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    tomorrow = clock.today() + timedelta(days=1)
    with app.app_context():
        site = f.site(name="东方中心")
        staff = f.user("站长", staff_of=(site,))
        svc = f.bookable_service(site, name="法律咨询", rule={"max_active": 5, "seat_limit": 1})
        residents = [f.user(f"居民{i}") for i in range(3)]
        closing = f.slot(svc, datetime.combine(tomorrow, time(10), tzinfo=LOCAL_TZ), capacity=5)
        # The day after: the closure test closes tomorrow, whichever test runs first.
        later = tomorrow + timedelta(days=1)
        leaving = f.slot(svc, datetime.combine(later, time(15), tzinfo=LOCAL_TZ), capacity=3)
        reset = f.user("忘记密码")
        leaver = f.user("注销居民")
        db.session.commit()
        from app.bookings.service import book_slot

        for resident in residents:
            book_slot(resident, closing.id)
        ids = {"site": site.id, "staff": staff.mobile, "closing": closing.id,
               "leaving": leaving.id, "service": svc.id, "tomorrow": tomorrow,
               "reset": reset.mobile, "leaver": leaver.mobile,
               "residents": [r.id for r in residents]}  # fmt: skip
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, **ids}
    with app.app_context():
        db.engine.dispose()


def _read(rink, func_):
    with rink["app"].app_context():
        try:
            return func_()
        finally:
            db.session.remove()


def _code(rink, mobile: str) -> str:
    def newest():
        return db.session.scalar(
            select(SmsMessage.params)
            .where(SmsMessage.kind == "verification_code", SmsMessage.mobile == mobile)
            .order_by(SmsMessage.id.desc())
            .limit(1)
        )[0]

    return _read(rink, newest)


def _copies(visitor: Visitor, n: int) -> list[requests.Session]:
    """``n`` sessions carrying one browser's cookies: one person tapping again and again."""
    sessions = []
    for _ in range(n):
        session = requests.Session()
        session.cookies.update(visitor.session.cookies)
        sessions.append(session)
    return sessions


def _post_all(rink, sessions, path: str, data: dict) -> list[int]:
    def call(session):
        return lambda: session.post(rink["base_url"] + path, data=data,
                                    allow_redirects=False, timeout=60).status_code  # fmt: skip

    return fire_together([call(s) for s in sessions])


def _ask(visitor: Visitor, path: str, mobile: str) -> int:
    """Step one: the number, on ``path``; the code goes out by text message."""
    data = {"mobile": mobile, "csrf_token": _token(visitor, path)}
    url = visitor.base_url + path
    return visitor.session.post(url, data=data, allow_redirects=False, timeout=30).status_code


def _token(visitor: Visitor, path: str) -> str:
    return visitor.token(path)


def test_one_code_sent_twenty_times_makes_one_account(rink):
    mobile = "13912300001"
    visitor = Visitor(rink["base_url"])
    assert _ask(visitor, "/register", mobile) == 303
    token = _token(visitor, "/register/finish")
    data = {"code": _code(rink, mobile), "display_name": "抢注居民", "password": "a-long-secret",
            "consent": "y", "csrf_token": token}  # fmt: skip
    statuses = _post_all(rink, _copies(visitor, TOGETHER), "/register/finish", data)
    assert sorted(set(statuses)) in ([303, 422], [303]), statuses
    assert statuses.count(303) == 1, statuses

    def made():
        users = db.session.scalars(select(User.id).where(User.mobile == mobile)).all()
        consents = db.session.scalar(
            select(func.count(Consent.id)).where(Consent.user_id.in_(users))
        )
        return len(users), consents

    assert _read(rink, made) == (1, 1)


def test_one_reset_code_sets_the_password_once(rink):
    mobile = rink["reset"]
    visitor = Visitor(rink["base_url"])
    assert _ask(visitor, "/password/forgot", mobile) == 303
    token = _token(visitor, "/password/reset")
    data = {"code": _code(rink, mobile), "password": "a-brand-new-secret",
            "confirm": "a-brand-new-secret", "csrf_token": token}  # fmt: skip
    statuses = _post_all(rink, _copies(visitor, TOGETHER), "/password/reset", data)
    assert statuses.count(303) == 1 and set(statuses) <= {303, 422}, statuses
    Visitor(rink["base_url"]).login(mobile, "a-brand-new-secret")

    def resets():
        return db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "account.password_reset")
        )

    assert _read(rink, resets) == 1


def test_twenty_wrong_codes_at_once_use_up_the_tries_and_no_more(rink):
    mobile = "13912300002"
    visitor = Visitor(rink["base_url"])
    assert _ask(visitor, "/register", mobile) == 303
    right = _code(rink, mobile)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    token = _token(visitor, "/register/finish")
    data = {"code": wrong, "display_name": "猜码", "password": "a-long-secret", "consent": "y",
            "csrf_token": token}  # fmt: skip
    statuses = _post_all(rink, _copies(visitor, TOGETHER), "/register/finish", data)
    assert set(statuses) == {422}, statuses

    def tries():
        return db.session.scalar(
            select(VerificationCode.tries_left)
            .where(VerificationCode.mobile == mobile)
            .order_by(VerificationCode.id.desc())
            .limit(1)
        )

    assert _read(rink, tries) == 0
    # The right code is refused now too: the tries are gone.
    late = visitor.session.post(rink["base_url"] + "/register/finish", allow_redirects=False,
                                data={**data, "code": right}, timeout=30)  # fmt: skip
    assert late.status_code == 422
    assert _read(rink, lambda: db.session.scalar(
        select(func.count(User.id)).where(User.mobile == mobile))) == 0  # fmt: skip


def test_a_closure_sent_twice_cancels_each_booking_once(rink):
    staff = Visitor(rink["base_url"])
    staff.login(rink["staff"], f.PASSWORD)
    path = f"/staff/sites/{rink['site']}/special-days"
    version = _read(rink, lambda: str(db.session.get(Site, rink["site"]).version))
    token = _token(staff, f"/staff/sites/{rink['site']}/edit")
    day = rink["tomorrow"].isoformat()
    data = {"special-version": version, "special-kind": "closed", "special-starts_on": day,
            "special-ends_on": day, "special-note": "停电检修", "affected-then": "cancel",
            "affected-message": "停电检修，改日再约", "csrf_token": token}  # fmt: skip
    statuses = _post_all(rink, _copies(staff, 2), path, data)
    assert 500 not in statuses and 303 in statuses, statuses

    def outcome():
        booked = db.session.scalars(
            select(Booking.status).where(Booking.slot_id == rink["closing"])
        ).all()
        told = db.session.execute(
            select(Notification.user_id, func.count(Notification.id))
            .where(Notification.kind == "booking_cancelled")
            .group_by(Notification.user_id)
        ).all()
        audits = db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "booking.cancelled_by_staff"
            )
        )
        taken = db.session.get(Slot, rink["closing"]).taken
        return booked, dict(told), audits, taken

    booked, told, audits, taken = _read(rink, outcome)
    assert booked == ["cancelled"] * 3
    assert told == {user_id: 1 for user_id in rink["residents"]}
    assert audits == 3 and taken == 0


def test_deleting_an_account_while_it_books_leaves_no_seat_behind(rink):
    mobile = rink["leaver"]
    booker = Visitor(rink["base_url"])
    booker.login(mobile, f.PASSWORD)
    book_token = _token(booker, f"/services/{rink['service']}")
    book = f"/slots/{rink['leaving']}/book"
    deleter = requests.Session()
    deleter.cookies.update(booker.session.cookies)
    delete_token = booker.token("/me/delete")

    def book_call(session):
        return lambda: session.post(rink["base_url"] + book, allow_redirects=False, timeout=60,
                                    data={"csrf_token": book_token, "service_id": rink["service"],
                                          "seats": "1"}).status_code  # fmt: skip

    def delete_call():
        data = {"password": f.PASSWORD, "csrf_token": delete_token}
        return deleter.post(
            rink["base_url"] + "/me/delete", allow_redirects=False, timeout=60, data=data
        ).status_code

    calls = [book_call(s) for s in _copies(booker, 5)] + [delete_call]
    statuses = fire_together(calls)
    assert 500 not in statuses, statuses
    assert statuses[-1] == 303

    def left():
        user = db.session.scalar(select(User).where(User.display_name == "已注销用户",
                                                    User.mobile.is_(None)))  # fmt: skip
        holding = db.session.scalar(
            select(func.count(Booking.id)).where(
                Booking.user_id == user.id, Booking.status.in_(Booking.SEAT_HOLDING)
            )
        )
        seats = db.session.scalar(
            select(func.coalesce(func.sum(Booking.seats), 0)).where(
                Booking.slot_id == rink["leaving"], Booking.status.in_(Booking.SEAT_HOLDING)
            )
        )
        return holding, seats, db.session.get(Slot, rink["leaving"]).taken

    holding, seats, taken = _read(rink, left)
    assert holding == 0
    assert taken == seats
