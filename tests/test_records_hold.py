"""Records that prove something cannot be rewritten, on SQLite and PostgreSQL.

The points ledger is append-only and an issued certificate never changes: the
database itself refuses, whatever code (or a person at the SQL prompt) tries.
"""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from app.extensions import db
from app.models import Certificate, CertificateLine, Membership, PointsEntry, Signup

from . import factories as f


@pytest.fixture
def ledger(app):
    volunteer = f.volunteer("小李")
    f.points(volunteer, 10, "earned")
    db.session.commit()
    entry_id = db.session.scalar(select(PointsEntry.id))
    return {"volunteer": volunteer, "entry_id": entry_id}


def _refused(statement):
    with pytest.raises(DatabaseError, match="append-only|never changes"):
        db.session.execute(statement)
        db.session.commit()
    db.session.rollback()


def test_a_ledger_entry_cannot_be_changed(ledger):
    _refused(update(PointsEntry).where(PointsEntry.id == ledger["entry_id"]).values(points=1000))
    assert db.session.scalar(select(PointsEntry.points)) == 10


def test_a_ledger_entry_cannot_be_deleted(ledger):
    _refused(delete(PointsEntry).where(PointsEntry.id == ledger["entry_id"]))
    assert db.session.scalar(select(PointsEntry.points)) == 10


def test_not_even_by_hand(ledger):
    _refused(text("UPDATE points_entry SET points = points * 2"))
    _refused(text("DELETE FROM points_entry"))


def test_new_entries_still_go_in(ledger):
    f.points(ledger["volunteer"], -3, "adjusted", "纠正")
    db.session.commit()
    assert sorted(db.session.scalars(select(PointsEntry.points))) == [-3, 10]


@pytest.fixture
def certificate(app):
    volunteer = f.volunteer("小王")
    site = f.site(name="东方中心")
    issued = Certificate(
        code="K7M2QX9P", user_id=volunteer.id, holder_name="王小明", issuer_site_id=site.id,
        issuer_name=site.name, period_from=date(2026, 1, 1), period_to=date(2026, 11, 30),
        total_hours=Decimal("12.5"), activity_count=3,
    )  # fmt: skip
    db.session.add(issued)
    db.session.flush()
    db.session.add(
        CertificateLine(certificate_id=issued.id, position=1, held_on=date(2026, 3, 1),
                        activity_title="敲门行动", site_name=site.name, hours=Decimal("2"))
    )  # fmt: skip
    db.session.commit()
    return issued.id


@pytest.mark.parametrize(
    "change",
    [{"total_hours": Decimal("99")}, {"code": "AAAAAAAA"}, {"period_to": date(2027, 1, 1)},
     {"activity_count": 9}, {"user_id": "someone else"}],
)  # fmt: skip
def test_an_issued_certificate_never_changes(certificate, change):
    if change.get("user_id"):
        change = {"user_id": f.user("别人").id}
        db.session.commit()
    _refused(update(Certificate).where(Certificate.id == certificate).values(**change))
    _refused(delete(Certificate).where(Certificate.id == certificate))
    _refused(update(CertificateLine).values(hours=Decimal("9")))
    _refused(delete(CertificateLine))
    issued = db.session.get(Certificate, certificate)
    assert issued.total_hours == Decimal("12.5") and issued.code == "K7M2QX9P"


def test_only_the_name_may_go_when_the_account_is_deleted(certificate):
    db.session.execute(
        update(Certificate).where(Certificate.id == certificate).values(holder_name="已注销用户")
    )
    db.session.commit()
    assert db.session.get(Certificate, certificate).holder_name == "已注销用户"


def test_the_new_statuses_are_allowed_and_others_refused(app):
    """The migration rebuilt the status checks (on SQLite by copying the tables)."""
    from sqlalchemy.exc import IntegrityError

    site = f.site()
    team = f.team(site)
    deputy = f.volunteer("副队长")
    db.session.add(Membership(team_id=team.id, user_id=deputy.id, status="deputy"))
    activity = f.activity(site, _soon(), team_obj=team)
    db.session.add(Signup(activity_id=activity.id, user_id=deputy.id, status="checked_in"))
    db.session.commit()
    db.session.add(Membership(team_id=team.id, user_id=f.volunteer().id, status="boss"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def _soon():
    from datetime import timedelta

    from app import clock

    return clock.now() + timedelta(days=1)
