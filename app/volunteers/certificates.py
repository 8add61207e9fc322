"""Certificates of volunteer service (志愿服务记录证明): issued records that prove hours.

A volunteer asks for a certificate for a period (or all time); it is written
once, as it stands that moment: the real name, the issuing center, each
activity with its date and hours, the totals. The database refuses to change
it afterwards (see the migration's triggers), so /verify/<code> shows exactly
what was issued, however many hours the volunteer earns later. Only hours of
activities that have ended appear: none for what has not happened.
"""

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock
from ..clock import LOCAL_TZ
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import Activity, Certificate, CertificateLine, Signup, Site, User
from .common import refuse

# No 0/O, 1/I/L: a code read aloud or copied by hand cannot be mistaken.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
EARLIEST = date(2000, 1, 1)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text: str | None) -> str:
    """What a person typed, as a code: upper case, without spaces or dashes."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t")[: CODE_LENGTH + 4]


@dataclass(frozen=True)
class Credited:
    """One attended activity as the certificate records it."""

    held_on: date
    title: str
    site_id: int
    site_name: str
    center_id: int
    hours: Decimal


def credited_hours(user_id: int, first: date | None, last: date | None, now: datetime):
    """The volunteer's credited activities that have ended, in the period, oldest first."""
    query = (
        select(Signup, Activity, Site)
        .join(Activity, Signup.activity_id == Activity.id)
        .join(Site, Activity.site_id == Site.id)
        .where(
            Signup.user_id == user_id,
            Signup.status == "attended",
            Signup.hours_credited > 0,
            Activity.ends_at <= now,
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    if first is not None:
        query = query.where(Activity.starts_at >= datetime.combine(first, time(), LOCAL_TZ))
    if last is not None:
        end = datetime.combine(last + timedelta(days=1), time(), LOCAL_TZ)
        query = query.where(Activity.starts_at < end)
    return [
        Credited(
            held_on=clock.local(activity.starts_at).date(), title=activity.title,
            site_id=site.id, site_name=site.name, center_id=site.center_id or site.id,
            hours=Decimal(signup.hours_credited),
        )
        for signup, activity, site in db.session.execute(query)
    ]  # fmt: skip


def check_period(first: date | None, last: date | None, today: date) -> None:
    if first is not None and not EARLIEST <= first <= today:
        refuse("period", _("The first day must be between 2000-01-01 and today."), "period_from")
    if last is not None and not EARLIEST <= last <= today:
        refuse("period", _("The last day must be between 2000-01-01 and today."), "period_to")
    if first is not None and last is not None and last < first:
        refuse("period", _("The last day must not be before the first day."), "period_to")


def issue(user: User, first: date | None = None, last: date | None = None) -> Certificate:
    """Issue a certificate of the volunteer's hours from ``first`` to ``last`` (None: open).

    The issuing organisation is the center where most of the hours were
    served (a station's hours count for its center).
    """
    now = clock.now()
    check_period(first, last, clock.local(now).date())
    begin_write()
    lock_row(User, user.id)  # two taps issue two certificates, one after the other
    profile = db.session.get(User, user.id).volunteer
    if profile is None:
        refuse("not_volunteer", _("Please fill in your volunteer profile first."))
    lines = credited_hours(user.id, first, last, now)
    if not lines:
        refuse("empty", _("There are no credited hours in this period yet."), "period_from")
    hours_by_center = Counter()
    for line in lines:
        hours_by_center[line.center_id] += line.hours
    issuer = db.session.get(Site, hours_by_center.most_common(1)[0][0])
    certificate = _insert(
        user_id=user.id, holder_name=profile.real_name, issuer_site_id=issuer.id,
        issuer_name=issuer.name, period_from=first, period_to=last,
        total_hours=sum((line.hours for line in lines), Decimal(0)),
        activity_count=len(lines), issued_at=now,
    )  # fmt: skip
    db.session.add_all(
        CertificateLine(
            certificate_id=certificate.id, position=n, held_on=line.held_on,
            activity_title=line.title, site_name=line.site_name, hours=line.hours,
        )
        for n, line in enumerate(lines, 1)
    )  # fmt: skip
    db.session.commit()
    return certificate


def _insert(**values) -> Certificate:
    """The certificate with a fresh code; a rare collision retries in a savepoint."""
    for _attempt in range(5):
        certificate = Certificate(code=new_code(), **values)
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            continue
        return certificate
    raise RuntimeError("could not find a free certificate code")


def by_code(code: str | None) -> Certificate | None:
    """The certificate with this code, with its lines (None for anything else)."""
    code = normal_code(code)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return db.session.scalar(
        select(Certificate).where(Certificate.code == code).options(joinedload(Certificate.lines))
    )


def issued_to(user_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
            .limit(50)
        )
    )


def own(user_id: int, certificate_id: int) -> Certificate | None:
    certificate = db.session.scalar(
        select(Certificate)
        .where(Certificate.id == certificate_id)
        .options(joinedload(Certificate.lines))
    )
    return certificate if certificate is not None and certificate.user_id == user_id else None
