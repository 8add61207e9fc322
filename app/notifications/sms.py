"""Text messages (SMS): the outbox, quiet hours, the per-number limit, the backends.

Every text message is a row of the outbox first (``SmsMessage``), in the same
transaction as the change it tells of; the job runner sends it after the
commit. One backend sends them:

- ``console`` (the default): writes each message to the log and marks it sent;
  the admin's page of sent SMS (/admin/sms) shows them, so demos and tests see
  what residents would receive;
- ``tencent``: Tencent Cloud SMS through its official SDK
  (``tencentcloud-sdk-python-sms``), from the provider's approved templates:
  ``SMS_TEMPLATES`` maps each kind to its template id, and the kind's values
  fill it in order.

Quiet hours: between 21:00 and 08:00 (Asia/Shanghai) a message waits until
08:00, unless it is urgent (a cancellation for today, a verification code).
A number gets at most ``SMS_PER_NUMBER_PER_HOUR`` messages an hour (codes and
urgent ones aside); the rest wait. A failed send is retried
(``SMS_MAX_ATTEMPTS``, with growing delays) and then recorded as failed.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update

from .. import clock, jobs
from ..database import begin_write
from ..extensions import db
from ..models import Notification, SmsMessage
from .kinds import KINDS, shown, sms_text

log = logging.getLogger(__name__)

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))


def quiet_until(moment: datetime) -> datetime | None:
    """The end of the quiet hours ``moment`` falls in (08:00 local), or None if it is day.

    ``SMS_QUIET_HOURS`` sets them ("21:00-08:00" by default; "off" for none).
    """
    hours = current_app.config.get("SMS_QUIET_HOURS", (QUIET_FROM, QUIET_UNTIL))
    if not hours:
        return None
    quiet_from, quiet_until_ = hours
    local = clock.local(moment)
    if quiet_until_ <= local.time() < quiet_from:
        return None
    day = local.date() if local.time() < quiet_until_ else local.date() + timedelta(days=1)
    return datetime.combine(day, quiet_until_, tzinfo=clock.LOCAL_TZ)


def queue(mobile: str, kind: str, params: dict, *, user_id=None, notification=None,
          urgent: bool = False) -> SmsMessage:  # fmt: skip
    """Put a text message in the outbox (the caller's transaction); it is sent after the commit."""
    now = clock.now()
    spec = KINDS[kind]
    held = None if urgent or not spec.optional_sms else quiet_until(now)
    with force_locale("zh"):  # the provider's template is in Chinese
        values = shown(params)
    message = SmsMessage(
        notification=notification, user_id=user_id, mobile=mobile, kind=kind,
        template_id=str(current_app.config.get("SMS_TEMPLATES", {}).get(kind, "")),
        params=[values.get(name, "") for name in spec.sms_params],
        text=sms_text(kind, values, current_app.config.get("SMS_SIGN", "家门口")),
        urgent=urgent or not spec.optional_sms,
        send_after=held or now,
    )  # fmt: skip
    db.session.add(message)
    db.session.flush()
    if held is None:
        jobs.after_commit(send_sms, message.id)
    return message


# Sending ---------------------------------------------------------------------------


class SendFailed(Exception):
    """The provider refused or could not be reached; ``retry`` says whether to try again."""

    def __init__(self, message: str, retry: bool = True):
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Sent:
    provider_id: str


def _claim(sms_id: int, now: datetime) -> SmsMessage | None:
    """Take a due message for sending: one conditional UPDATE, so two workers never both send."""
    begin_write()
    claimed = db.session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == sms_id, SmsMessage.status == "queued", SmsMessage.send_after <= now)
        .values(status="sending", attempts=SmsMessage.attempts + 1)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return None
    message = db.session.get(SmsMessage, sms_id, populate_existing=True)
    if not message.urgent:
        limit = current_app.config.get("SMS_PER_NUMBER_PER_HOUR", 5)
        recent = db.session.scalar(
            select(func.count(SmsMessage.id)).where(
                SmsMessage.mobile == message.mobile,
                SmsMessage.status == "sent",
                SmsMessage.sent_at > now - timedelta(hours=1),
            )
        )
        if recent >= limit:  # this number has had enough for now: try again in a while
            message.status, message.attempts = "queued", message.attempts - 1
            message.send_after = now + timedelta(minutes=15)
            db.session.commit()
            return None
    db.session.commit()
    return message


def deliver(sms_id: int) -> str | None:
    """Send one message if it is due; its status afterwards (None: not taken)."""
    now = clock.now()
    message = _claim(sms_id, now)
    if message is None:
        return None
    try:
        sent = backend().send(message)
    except SendFailed as error:
        return _failed(sms_id, str(error), error.retry, now)
    except Exception as error:  # a bug or a network fault: recorded, retried
        log.exception("sms %s: sending failed", sms_id)
        return _failed(sms_id, repr(error), True, now)
    begin_write()
    values = {"status": "sent", "sent_at": clock.now(), "provider_id": sent.provider_id[:80],
              "last_error": ""}  # fmt: skip
    if message.kind in SECRET_KINDS and not isinstance(backend(), ConsoleBackend):
        # A code that reached a real phone is not kept readable: not even an admin may see it.
        values.update(params=["******"], text=_scrubbed(message))
    db.session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == sms_id, SmsMessage.status == "sending")
        .values(**values)
    )
    db.session.commit()
    return "sent"


# Kinds whose values are secrets: once a real provider has them, the outbox forgets them.
SECRET_KINDS = frozenset({"verification_code"})


def _scrubbed(message: SmsMessage) -> str:
    text = message.text
    for value in message.params:
        if value:
            text = text.replace(str(value), "******")
    return text


def _failed(sms_id: int, error: str, retry: bool, now: datetime) -> str:
    begin_write()
    message = db.session.get(SmsMessage, sms_id, populate_existing=True)
    attempts = message.attempts
    last = not retry or attempts >= current_app.config.get("SMS_MAX_ATTEMPTS", 3)
    message.status = "failed" if last else "queued"
    message.last_error = error[:300]
    if not last:
        message.send_after = now + RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
    db.session.commit()
    log.warning("sms %s: %s (attempt %s): %s", sms_id, message.status, attempts, error)
    return message.status


def send_due(limit: int = 200) -> int:
    """Send what is due now (the outbox job, every minute): quiet hours over, retries."""
    due = db.session.scalars(
        select(SmsMessage.id)
        .where(SmsMessage.status == "queued", SmsMessage.send_after <= clock.now())
        .order_by(SmsMessage.send_after, SmsMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    return sum(deliver(sms_id) == "sent" for sms_id in due)


@jobs.job()
def send_sms(sms_id: int):
    """The job that sends one message (enqueued after the commit that queued it)."""
    deliver(sms_id)


# Backends ---------------------------------------------------------------------------


def backend():
    name = current_app.config.get("SMS_BACKEND", "console")
    if name == "tencent":
        return TencentBackend(current_app.config)
    return ConsoleBackend()


class ConsoleBackend:
    """Writes the message to the log; the outbox page shows it. Never fails."""

    def send(self, message: SmsMessage) -> Sent:
        log.info("SMS to %s***%s (%s): %s", message.mobile[:3], message.mobile[-2:],
                 message.kind, message.text)  # fmt: skip
        return Sent(provider_id=f"console-{message.id}")


class TencentBackend:
    """Tencent Cloud SMS (SendSms, API 2021-01-11) through the official SDK.

    Settings: ``TENCENT_SMS_SECRET_ID``, ``TENCENT_SMS_SECRET_KEY``,
    ``TENCENT_SMS_APP_ID`` (SmsSdkAppId), ``TENCENT_SMS_SIGN`` (the approved
    sign name), ``TENCENT_SMS_REGION`` (ap-guangzhou) and, for tests against a
    local fake, ``TENCENT_SMS_ENDPOINT`` with ``TENCENT_SMS_SCHEME=http``.
    """

    def __init__(self, config):
        self.config = config

    def _client(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        http = HttpProfile(
            protocol=self.config.get("TENCENT_SMS_SCHEME", "https"),
            endpoint=self.config.get("TENCENT_SMS_ENDPOINT", "sms.tencentcloudapi.com"),
            reqTimeout=self.config.get("TENCENT_SMS_TIMEOUT", 10),
        )
        secret = credential.Credential(
            self.config["TENCENT_SMS_SECRET_ID"], self.config["TENCENT_SMS_SECRET_KEY"]
        )
        return sms_client.SmsClient(
            secret,
            self.config.get("TENCENT_SMS_REGION", "ap-guangzhou"),
            ClientProfile(httpProfile=http),
        )

    def send(self, message: SmsMessage) -> Sent:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        if not message.template_id:
            raise SendFailed(f"no template configured for {message.kind}", retry=False)
        request = models.SendSmsRequest()
        request.from_json_string(json.dumps({
            "PhoneNumberSet": [f"+86{message.mobile}"],
            "SmsSdkAppId": self.config["TENCENT_SMS_APP_ID"],
            "SignName": self.config["TENCENT_SMS_SIGN"],
            "TemplateId": message.template_id,
            "TemplateParamSet": [str(value) for value in message.params],
            "SessionContext": str(message.id),
        }))  # fmt: skip
        try:
            response = self._client().SendSms(request)
        except TencentCloudSDKException as error:
            code = error.get_code() or "NoCode"
            retry = _worth_retrying(code)
            raise SendFailed(f"{code}: {error.get_message()}", retry=retry) from None
        status = response.SendStatusSet[0] if response.SendStatusSet else None
        if status is None or status.Code != "Ok":
            code = status.Code if status else "NoStatus"
            message = status.Message if status else ""
            raise SendFailed(f"{code}: {message}", retry=_worth_retrying(code))
        return Sent(provider_id=status.SerialNo or response.RequestId)


def _worth_retrying(code: str) -> bool:
    """A wrong number, template or sign does not improve by trying again."""
    return not code.startswith(
        ("InvalidParameterValue", "FailedOperation.Template", "FailedOperation.Sign",
         "UnauthorizedOperation", "AuthFailure")
    )  # fmt: skip


def status_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        "queued": _("waiting to be sent"), "sending": _("being sent"), "sent": _("sent"),
        "failed": _("failed"), "skipped": _("not sent"),
    }  # fmt: skip


def outbox_page(page: int, per_page: int = 50):
    """The admin's page of text messages, newest first."""
    from ..paging import paged

    return paged(
        select(SmsMessage).order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc()),
        page,
        per_page,
    )


def outbox_for(notification: Notification) -> list[SmsMessage]:
    return list(notification.sms)
