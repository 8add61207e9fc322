"""Certificates of volunteer service: issued, numbered, immutable, verifiable as issued."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import Certificate, PointsEntry, Signup
from app.volunteers import certificates
from app.volunteers.common import VolunteerError

from . import factories as f

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)  # Monday


@pytest.fixture
def record(app, freeze):
    """A volunteer with hours at a station: two activities done, and one under way
    (started half an hour ago, already marked by its organiser)."""
    freeze(NOW)
    center = f.site(name="东方社区党群服务中心")
    station = f.site(kind="station", center=center, name="阳光站")
    team = f.team(center)
    volunteer = f.volunteer("小李")
    done = [
        f.activity(station, NOW - timedelta(days=d), team_obj=team, title=f"敲门行动{d}")
        for d in (40, 3)
    ]
    coming = f.activity(station, NOW - timedelta(minutes=30), team_obj=team, title="进行中的活动")
    for activity, hours in ((done[0], "2"), (done[1], "1.5"), (coming, "2")):
        db.session.add(Signup(activity_id=activity.id, user_id=volunteer.id, status="attended",
                              hours_credited=Decimal(hours)))  # fmt: skip
    db.session.commit()
    return {"volunteer": volunteer, "center": center, "station": station, "done": done,
            "coming": coming}  # fmt: skip


def test_a_certificate_records_what_happened(record):
    issued = certificates.issue(record["volunteer"])
    assert issued.holder_name == "张三"  # the real name of the profile
    assert issued.issuer_name == "东方社区党群服务中心"  # a station's hours count for its center
    assert issued.total_hours == Decimal("3.5") and issued.activity_count == 2
    assert [line.activity_title for line in issued.lines] == ["敲门行动40", "敲门行动3"]
    assert "进行中的活动" not in [line.activity_title for line in issued.lines]  # not over yet


def test_a_period_narrows_it(record):
    issued = certificates.issue(record["volunteer"], NOW.date() - timedelta(days=10), NOW.date())
    assert issued.total_hours == Decimal("1.5") and issued.activity_count == 1
    assert (issued.period_from, issued.period_to) == (date(2026, 11, 13), date(2026, 11, 23))


@pytest.mark.parametrize(
    ("first", "last", "reason"),
    [
        (date(2026, 11, 24), None, "period"),  # after today
        (date(1999, 12, 31), None, "period"),
        (date(2026, 11, 20), date(2026, 11, 1), "period"),  # backwards
        (date(2026, 11, 22), date(2026, 11, 23), "empty"),  # nothing done then
    ],
)
def test_refused_periods_issue_nothing(record, first, last, reason):
    with pytest.raises(VolunteerError) as refused:
        certificates.issue(record["volunteer"], first, last)
    assert refused.value.reason == reason
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_codes_cannot_be_mistaken(record):
    codes = {certificates.new_code() for _ in range(500)}
    assert len(codes) == 500
    assert not any(ch in code for code in codes for ch in "01OILl")
    assert all(len(code) == 10 for code in codes)


def test_a_code_is_found_as_people_type_it(record):
    issued = certificates.issue(record["volunteer"])
    spaced = f"{issued.code[:5].lower()} - {issued.code[5:]}"
    assert certificates.by_code(spaced).id == issued.id
    assert certificates.by_code("x" * 500) is None and certificates.by_code("") is None


def test_the_certificate_page_and_verify(record, client, auth):
    auth.login(record["volunteer"])
    asked = client.post("/me/volunteer/certificate", data={"period_from": "", "period_to": ""})
    assert asked.status_code == 303
    db.session.rollback()
    issued = db.session.scalar(select(Certificate))
    assert asked.headers["Location"] == f"/me/volunteer/certificates/{issued.id}"
    page = client.get(asked.headers["Location"]).text
    assert "志愿服务记录证明" in page and issued.code in page and "张三" in page
    assert f"{NOW.year}-{issued.id:06d}" in page and "<svg" in page  # number and QR
    listing = client.get("/me/volunteer/certificate").text
    assert f"/me/volunteer/certificates/{issued.id}" in listing
    auth.logout()
    verified = client.get(f"/verify/{issued.code}")
    assert verified.status_code == 200 and "真实有效" in verified.text and "张三" in verified.text
    assert "3.5" in verified.text and "敲门行动3" in verified.text
    assert record["volunteer"].mobile not in verified.text
    typed = client.get("/verify", query_string={"code": issued.code.lower()})
    assert typed.status_code == 303 and typed.headers["Location"] == f"/verify/{issued.code}"
    assert client.get("/verify/NOTACODE22").status_code == 404


def test_verify_shows_what_was_issued_after_more_hours(record, client, freeze):
    issued = certificates.issue(record["volunteer"])
    # Later: the activity under way has ended, and its hours count.
    freeze(NOW + timedelta(days=5))
    db.session.add(PointsEntry(user_id=record["volunteer"].id, kind="earned", points=2))
    db.session.commit()
    later = certificates.issue(record["volunteer"])
    assert later.total_hours == Decimal("5.5")
    old = client.get(f"/verify/{issued.code}").text
    assert "3.5" in old and "5.5" not in old and "进行中的活动" not in old


def test_someone_elses_certificate_is_404(record, client, auth):
    issued = certificates.issue(record["volunteer"])
    other = f.volunteer("别人")
    db.session.commit()
    auth.login(other)
    assert client.get(f"/me/volunteer/certificates/{issued.id}").status_code == 404


@pytest.mark.parametrize(
    "form",
    [{"period_from": "2026-12-31"}, {"period_from": "0001-01-01"},
     {"period_from": "2026-11-20", "period_to": "2026-11-01"}, {"period_from": "not a day"}],
)  # fmt: skip
def test_bad_periods_are_refused_on_the_page(record, client, auth, form):
    auth.login(record["volunteer"])
    response = client.post("/me/volunteer/certificate", data=form)
    assert response.status_code == 422
    db.session.rollback()
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_a_resident_without_a_profile_is_sent_to_make_one(app, client, auth):
    resident = f.user("居民")
    db.session.commit()
    auth.login(resident)
    assert client.get("/me/volunteer/certificate").headers["Location"] == "/me/volunteer-profile"
