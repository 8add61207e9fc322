"""Verification codes: six digits by SMS that prove a number belongs to the person.

A code is valid for 10 minutes and for 5 tries; asking again replaces it. Only
an HMAC of the code (keyed with the app's secret) is kept, so the table alone
cannot be turned back into codes. Each wrong try is counted in its own
transaction, so a refusal still uses the try up.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from .. import clock
from ..database import begin_write
from ..extensions import db
from ..models import VerificationCode
from ..refusals import Refused

VALID_FOR = timedelta(minutes=10)
TRIES = 5


def expired_message() -> str:
    return _("This code has expired, or none was sent. Ask for a new code.")


class CodeRefused(Refused):
    def __init__(self, reason: str, message: str):
        super().__init__(message, field="code", reason=reason)


def _digest(mobile: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(mobile: str, purpose: str, user_id: int | None = None) -> None:
    """Make a new code for ``mobile`` and send it (the earlier ones stop working)."""
    from ..notifications import sms

    code = f"{secrets.randbelow(10**6):06d}"
    now = clock.now()
    begin_write()
    db.session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.mobile == mobile,
            VerificationCode.purpose == purpose,
            VerificationCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    db.session.add(
        VerificationCode(
            mobile=mobile, purpose=purpose, user_id=user_id,
            code_hash=_digest(mobile, purpose, code), tries_left=TRIES,
            created_at=now, expires_at=now + VALID_FOR,
        )
    )  # fmt: skip
    sms.queue(mobile, "verification_code", {"code": code}, user_id=user_id, urgent=True)
    db.session.commit()


def use_code(mobile: str, purpose: str, code: str) -> VerificationCode:
    """The live code for ``mobile``, used up now if ``code`` is it; CodeRefused if not.

    The caller's change should follow in the same request; the code cannot be
    used a second time either way.
    """
    typed = "".join(ch for ch in (code or "") if ch in "0123456789")
    now = clock.now()
    begin_write()
    live = db.session.scalar(
        select(VerificationCode)
        .where(
            VerificationCode.mobile == mobile,
            VerificationCode.purpose == purpose,
            VerificationCode.used_at.is_(None),
        )
        .order_by(VerificationCode.id.desc())
        .limit(1)
    )
    if live is None or live.expires_at <= now:
        db.session.rollback()
        raise CodeRefused("expired", expired_message())
    if live.tries_left <= 0:
        db.session.rollback()
        raise CodeRefused("tries", _("Too many wrong tries. Ask for a new code."))
    right = len(typed) == 6 and hmac.compare_digest(live.code_hash, _digest(mobile, purpose, typed))
    if not right:
        # One try less, whatever the others are doing at the same moment.
        db.session.execute(
            update(VerificationCode)
            .where(VerificationCode.id == live.id, VerificationCode.tries_left > 0)
            .values(tries_left=VerificationCode.tries_left - 1)
        )
        db.session.commit()
        message = _("That code is not right. Check the 6 digits in the text message.")
        raise CodeRefused("wrong", message)
    used = db.session.execute(
        update(VerificationCode)
        .where(VerificationCode.id == live.id, VerificationCode.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    db.session.commit()
    if not used:  # another request used it a moment ago
        raise CodeRefused("expired", expired_message())
    return live
