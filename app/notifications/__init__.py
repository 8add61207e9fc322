"""Telling people: one function every area calls, an inbox, text messages.

``notify(user, kind, params, ...)`` adds a message to the person's inbox (it
is always kept there) and, when they have a mobile number and have not turned
that kind off, a text message to the outbox, in the caller's transaction: the
message exists exactly when the change it reports does. Text messages leave
through the job runner after the commit (app/notifications/sms.py), never
between 21:00 and 08:00 unless urgent, and never with a full mobile number or
a password in them.

A ``dedupe_key`` makes a message unique: a job that runs twice, or on two
hosts, finds it already there and sends nothing more.
"""

from datetime import timedelta

from flask import Blueprint
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..models import Notification, NotificationPreference, User
from .kinds import KINDS

bp = Blueprint("notifications", __name__)

KEEP_READ_DAYS = 366


def wants_sms(user_id: int, kind: str) -> bool:
    if not KINDS[kind].optional_sms:
        return True
    choice = db.session.scalar(
        select(NotificationPreference.sms).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    return True if choice is None else choice


def notify(
    user: User | int,
    kind: str,
    params: dict,
    *,
    url: str = "",
    urgent: bool = False,
    dedupe_key: str | None = None,
    sms: bool = True,
) -> Notification | None:
    """Tell ``user`` (in the caller's transaction; the caller commits).

    Returns the new message, or None when ``dedupe_key`` was used before (the
    person was told already) or the account has gone.
    """
    from . import sms as outbox

    assert kind in KINDS, kind
    user_id = user if isinstance(user, int) else user.id
    person = db.session.get(User, user_id)
    if person is None or person.deleted_at is not None:
        return None
    message = Notification(
        user_id=user_id, kind=kind, params=_plain(params), url=url, urgent=urgent,
        dedupe_key=dedupe_key,
    )  # fmt: skip
    if dedupe_key is not None:
        try:
            with db.session.begin_nested():
                db.session.add(message)
        except IntegrityError:
            return None
    else:
        db.session.add(message)
        db.session.flush()
    if sms and person.mobile and wants_sms(user_id, kind):
        outbox.queue(person.mobile, kind, params, user_id=user_id, notification=message,
                     urgent=urgent)  # fmt: skip
    return message


def _plain(params: dict) -> dict:
    """Values as JSON keeps them: text (a moment or a number is formatted by the caller)."""
    return {key: str(value) for key, value in (params or {}).items()}


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )


def inbox(user_id: int, limit: int = 100) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(user_id: int) -> int:
    """Every unread message of the person is read now (one conditional UPDATE)."""
    from ..database import begin_write

    begin_write()
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    db.session.commit()
    return result.rowcount


def set_preferences(user_id: int, sms_on: dict[str, bool]) -> None:
    """The person's text-message choice for each optional kind."""
    from ..database import begin_write

    begin_write()
    db.session.execute(
        delete(NotificationPreference).where(NotificationPreference.user_id == user_id)
    )
    db.session.add_all(
        NotificationPreference(user_id=user_id, kind=kind, sms=on)
        for kind, on in sms_on.items()
        if kind in KINDS and KINDS[kind].optional_sms and not on
    )
    db.session.commit()


def sms_choices(user_id: int) -> dict[str, bool]:
    off = set(
        db.session.scalars(
            select(NotificationPreference.kind).where(
                NotificationPreference.user_id == user_id, NotificationPreference.sms.is_(False)
            )
        )
    )
    return {code: code not in off for code, kind in KINDS.items() if kind.optional_sms}


def expire_old() -> int:
    """Read messages older than a year leave the inbox (the job; run twice, nothing more goes)."""
    from ..database import begin_write
    from ..models import SmsMessage

    cutoff = clock.now() - timedelta(days=KEEP_READ_DAYS)
    begin_write()
    old = select(Notification.id).where(
        Notification.read_at.is_not(None), Notification.read_at < cutoff
    )
    db.session.execute(
        update(SmsMessage).where(SmsMessage.notification_id.in_(old)).values(notification_id=None)
    )
    result = db.session.execute(delete(Notification).where(Notification.id.in_(old)))
    db.session.commit()
    return result.rowcount


from . import routes  # noqa: E402,F401
