"""What the portal holds about a person: every column that names a user is in
"download my data" and in the deletion (app/personal.py), the export holds each
part, and deleting the account lets go of what it held through each area's own
rules, leaving no name or number behind."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import JSON, String, Text, select

from app import personal
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import (
    Booking,
    Certificate,
    Consent,
    MallItem,
    Membership,
    Notification,
    PointsEntry,
    Redemption,
    Signup,
    User,
)
from app.volunteers import certificates, points, signups

from . import factories as f

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ)  # Monday
MOBILE = "13912345678"
NAME = "独一无二的称呼"
REAL_NAME = "欧阳真名"


def test_every_column_that_names_a_user_is_covered():
    covered = personal.covered_columns()
    naming = sorted(
        f"{table.name}.{column.name}"
        for table in db.metadata.tables.values()
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == "user"
    )
    assert naming, "no column names a user: the check looks at nothing"
    assert [column for column in naming if column not in covered] == []
    assert sorted(set(covered) - set(naming)) == []  # a part names no column that is gone


def test_every_part_says_what_deletion_does():
    for p in personal.parts():
        assert p.erase is not None or p.kept, p.name


@pytest.fixture
def person(app, freeze):
    """A resident and volunteer who holds something in every area."""
    freeze(NOW)
    site = f.site(name="东方中心")
    staff = f.user("站长", staff_of=(site,))
    me = f.user(NAME, mobile=MOBILE, volunteer=True)
    me.volunteer.real_name = REAL_NAME
    waiting = f.volunteer("候补志愿者")
    behind = f.user("候补居民")
    service = f.bookable_service(site)
    slot = f.slot(service, NOW + timedelta(days=2), capacity=1)
    team = f.team(site, "东方服务队", leader=staff)
    db.session.add(Membership(team_id=team.id, user_id=me.id, status="member"))
    past = f.activity(site, NOW - timedelta(days=3), team_obj=team, places=5)
    coming = f.activity(site, NOW + timedelta(days=3), team_obj=team, places=1)
    rice = f.mall_item(site, cost=5, stock=3)
    db.session.add(Consent(user_id=me.id, kind="privacy", version="test"))
    db.session.commit()
    me_id, past_id, coming_id = me.id, past.id, coming.id
    # Through the rules, as the pages do: a booking with a resident queued behind it,
    # a place in an activity with a volunteer waiting, hours served, an exchange.
    from app.bookings.service import book_slot

    mine = book_slot(db.session.get(User, me_id), slot.id).booking.id
    queued = book_slot(behind, slot.id, waitlist=True).booking.id
    signups.sign_up(db.session.get(User, me_id), coming_id)
    signups.sign_up(waiting, coming_id)
    db.session.add(Signup(activity_id=past_id, user_id=me_id, status="attended",
                          hours_credited=2, checked_in_at=past.starts_at))  # fmt: skip
    f.points(db.session.get(User, me_id), 20)
    db.session.commit()
    redemption = points.redeem(db.session.get(User, me_id), rice.id)
    certificate = certificates.issue(db.session.get(User, me_id))
    db.session.commit()
    return dict(me=me_id, mobile=MOBILE, booking=mine, queued=queued, coming=coming_id,
                waiting=waiting.id, item=rice.id, redemption=redemption.id,
                certificate=certificate.code, team=team.id)  # fmt: skip


def test_download_my_data_holds_every_part(client, auth, person):
    auth.login(MOBILE)
    response = client.get("/me/export")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert {p.name for p in personal.parts()} <= set(data)
    assert data["account"]["mobile"] == MOBILE
    assert data["volunteer_profile"]["real_name"] == REAL_NAME
    assert [b["status"] for b in data["bookings"]] == ["booked"]
    assert {s["status"] for s in data["signups"]} == {"signed_up", "attended"}
    assert [r["status"] for r in data["redemptions"]] == ["reserved"]
    assert [c["code"] for c in data["certificates"]] == [person["certificate"]]
    assert [m["team"] for m in data["team_memberships"]] == ["东方服务队"]
    assert data["consents"] and data["messages"]


def test_deleting_lets_go_of_everything_and_leaves_no_name(client, auth, person):
    auth.login(MOBILE)
    stock_before = db.session.get(MallItem, person["item"]).stock
    response = client.post("/me/delete", data={"password": f.PASSWORD})
    assert response.status_code == 303
    db.session.rollback()
    me = db.session.get(User, person["me"])
    assert me.deleted_at is not None and me.mobile is None and me.volunteer is None
    # The booking's seat went to the resident queued behind, who is told.
    assert db.session.get(Booking, person["booking"]).status == "cancelled"
    queued = db.session.get(Booking, person["queued"])
    assert queued.status == "booked"
    assert db.session.scalar(
        select(Notification.kind).where(Notification.user_id == queued.user_id)
        .order_by(Notification.id.desc()).limit(1)
    ) == "booking_promoted"  # fmt: skip
    # The place in the activity went to the waiting volunteer, who is told.
    assert db.session.scalar(
        select(Signup.status).where(Signup.user_id == person["waiting"],
                                    Signup.activity_id == person["coming"])
    ) == "signed_up"  # fmt: skip
    assert (
        "activity_promoted"
        in db.session.scalars(
            select(Notification.kind).where(Notification.user_id == person["waiting"])
        ).all()
    )
    # The exchange went back on the shelf with its points; the team let the member go.
    assert db.session.get(Redemption, person["redemption"]).status == "cancelled"
    assert db.session.get(MallItem, person["item"]).stock == stock_before + 1
    assert db.session.scalar(select(Membership.status).where(
        Membership.user_id == person["me"])) == "removed"  # fmt: skip
    ledger = db.session.scalars(select(PointsEntry.points).where(
        PointsEntry.user_id == person["me"])).all()  # fmt: skip
    assert sum(ledger) == 20  # the refund is a new entry: the ledger only grows
    # The certificate stays verifiable, with the name gone.
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.code == person["certificate"])
    )
    assert certificate.holder_name == "已注销用户"
    assert client.get(f"/verify/{person['certificate']}").status_code == 200
    # No table keeps the number, the name or the real name anywhere in its text.
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)).all():
            text = json.dumps([str(v) for v in row], ensure_ascii=False)
            for secret in (MOBILE, NAME, REAL_NAME):
                if secret in text:
                    found.append(f"{table.name}: {secret}")
    assert found == []
    # And the account cannot log in again.
    auth.logout()
    assert auth.login(MOBILE).status_code == 422


def test_a_wrong_password_deletes_nothing(client, auth, person):
    auth.login(MOBILE)
    response = client.post("/me/delete", data={"password": "not-the-password"})
    assert response.status_code == 422
    db.session.rollback()
    assert db.session.get(User, person["me"]).mobile == MOBILE
    assert db.session.get(Booking, person["booking"]).status == "booked"
