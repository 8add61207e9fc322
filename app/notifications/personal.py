"""The notifications area's parts of "download my data", and what deletion does to them."""

from sqlalchemy import delete, or_, select, update

from ..extensions import db
from ..models import Notification, NotificationPreference, SmsMessage, User, VerificationCode
from ..personal import iso, part


@part("messages", covers=("notification.user_id",), order=300)
def messages(user: User) -> list[dict]:
    from .kinds import words

    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    out = []
    for n in rows:
        title, body = words(n.kind, n.params or {})
        out.append({"kind": n.kind, "title": title, "text": body, "sent_at": iso(n.created_at),
                    "read_at": iso(n.read_at)})  # fmt: skip
    return out


@messages.on_delete
def _drop_messages(user: User) -> None:
    mine = select(Notification.id).where(Notification.user_id == user.id)
    db.session.execute(
        update(SmsMessage).where(SmsMessage.notification_id.in_(mine)).values(notification_id=None)
    )
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))


@part("message_settings", covers=("notification_preference.user_id",), order=300)
def message_settings(user: User) -> dict:
    rows = db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    )
    return {row.kind: {"sms": row.sms} for row in rows}


@message_settings.on_delete
def _drop_settings(user: User) -> None:
    db.session.execute(
        delete(NotificationPreference).where(NotificationPreference.user_id == user.id)
    )


@part("text_messages", covers=("sms_message.user_id",), order=300)
def text_messages(user: User) -> list[dict]:
    from .sms import SECRET_KINDS

    rows = db.session.scalars(
        select(SmsMessage).where(SmsMessage.user_id == user.id).order_by(SmsMessage.id)
    )
    return [{"kind": t.kind, "to": t.mobile,
             "text": "******" if t.kind in SECRET_KINDS else t.text,
             "status": t.status, "queued_at": iso(t.created_at), "sent_at": iso(t.sent_at)}
            for t in rows]  # fmt: skip


@text_messages.on_delete
def _mask_numbers(user: User) -> None:
    """The outbox keeps what was sent (the provider bills it), the number masked;
    what has not gone yet never goes."""
    from ..accounts.mobile import mask_mobile

    numbers = {user.mobile} if user.mobile else set()
    numbers |= set(db.session.scalars(
        select(SmsMessage.mobile).where(SmsMessage.user_id == user.id).distinct()
    ))  # fmt: skip
    mine = or_(SmsMessage.user_id == user.id, SmsMessage.mobile.in_(numbers))
    db.session.execute(
        update(SmsMessage)
        .where(mine, SmsMessage.status.in_(("queued", "sending")))
        .values(status="skipped", last_error="account deleted")
    )
    for number in numbers:
        if "*" in number:
            continue
        db.session.execute(
            update(SmsMessage).where(SmsMessage.mobile == number).values(mobile=mask_mobile(number))
        )


@part("verification_codes", covers=("verification_code.user_id",), order=300)
def verification_codes(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(VerificationCode)
        .where(VerificationCode.user_id == user.id)
        .order_by(VerificationCode.id)
    )
    return [{"purpose": c.purpose, "sent_at": iso(c.created_at), "used_at": iso(c.used_at)}
            for c in rows]  # fmt: skip


@verification_codes.on_delete
def _drop_codes(user: User) -> None:
    condition = VerificationCode.user_id == user.id
    if user.mobile:
        condition = or_(condition, VerificationCode.mobile == user.mobile)
    db.session.execute(delete(VerificationCode).where(condition))
