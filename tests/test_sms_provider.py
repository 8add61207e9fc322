"""The Tencent Cloud SMS adapter against a local fake of its HTTP API.

The official SDK signs and sends a real HTTP request; the fake answers as the
provider does (SendSms, API version 2021-01-11). The tests check the request
is well formed, and that a failure is retried and then recorded as failed.
"""

import json
import re
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import SmsMessage
from app.notifications import notify, sms

from . import factories as f

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)


class FakeTencentSms:
    """A local stand-in for sms.tencentcloudapi.com: records requests, answers as told."""

    def __init__(self):
        self.requests: list[dict] = []
        self.failures_left = 0
        self.error_code = "InternalError"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
                if fake.failures_left:
                    fake.failures_left -= 1
                    answer = {"Response": {"Error": {"Code": fake.error_code,
                                                     "Message": "the fake says no"},
                                           "RequestId": "req-error"}}  # fmt: skip
                else:
                    phone = json.loads(body)["PhoneNumberSet"][0]
                    answer = {"Response": {"SendStatusSet": [{
                        "SerialNo": f"serial-{len(fake.requests)}", "PhoneNumber": phone,
                        "Fee": 1, "SessionContext": "", "Code": "Ok",
                        "Message": "send success", "IsoCode": "CN",
                    }], "RequestId": f"req-{len(fake.requests)}"}}  # fmt: skip
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(app, freeze):
    freeze(MONDAY_10AM)
    fake = FakeTencentSms()
    app.config.update(
        SMS_BACKEND="tencent", TENCENT_SMS_SECRET_ID="AKIDtest", TENCENT_SMS_SECRET_KEY="secret",
        TENCENT_SMS_APP_ID="1400000001", TENCENT_SMS_SIGN="家门口", TENCENT_SMS_SCHEME="http",
        TENCENT_SMS_ENDPOINT=fake.endpoint, TENCENT_SMS_REGION="ap-guangzhou",
        SMS_TEMPLATES={"booking_confirmed": "2000001", "verification_code": "2000002"},
    )  # fmt: skip
    resident = f.user("王阿姨", mobile="13912345678")
    db.session.commit()
    yield {"fake": fake, "resident": resident}
    fake.close()


def the_message():
    db.session.rollback()
    return db.session.scalar(select(SmsMessage))


def test_the_request_is_well_formed(provider):
    notify(provider["resident"], "booking_confirmed",
           {"service": "法律咨询", "site": "东方中心", "when": "2026-11-24 10:00",
            "code": "4821 7730"})  # fmt: skip
    db.session.commit()
    message = the_message()
    assert message.status == "sent" and message.provider_id == "serial-1"
    [request] = provider["fake"].requests
    headers, body = request["headers"], request["body"]
    assert headers["X-TC-Action"] == "SendSms" and headers["X-TC-Version"] == "2021-01-11"
    assert headers["X-TC-Region"] == "ap-guangzhou"
    assert re.match(
        r"TC3-HMAC-SHA256 Credential=AKIDtest/\d{4}-\d{2}-\d{2}/sms/tc3_request, "
        r"SignedHeaders=[a-z;-]+, Signature=[0-9a-f]{64}$",
        headers["Authorization"],
    )
    assert body["PhoneNumberSet"] == ["+8613912345678"]
    assert body["SmsSdkAppId"] == "1400000001" and body["SignName"] == "家门口"
    assert body["TemplateId"] == "2000001"
    assert body["TemplateParamSet"] == ["法律咨询", "2026-11-24 10:00", "4821 7730"]
    assert "secret" not in json.dumps(request)  # the key signs; it is never sent


def test_a_failure_is_retried_then_recorded_as_failed(provider, freeze):
    provider["fake"].failures_left = 10
    notify(provider["resident"], "verification_code", {"code": "246810"})
    db.session.commit()
    message = the_message()
    assert message.status == "queued" and message.attempts == 1
    assert "InternalError" in message.last_error
    for minutes in (1, 6, 40):  # the retry delays, and a little more
        freeze(MONDAY_10AM + timedelta(minutes=minutes))
        sms.send_due()
    message = the_message()
    assert message.status == "failed" and message.attempts == 3
    assert len(provider["fake"].requests) == 3
    assert sms.send_due() == 0 and len(provider["fake"].requests) == 3  # no more tries


def test_a_failure_then_success(provider, freeze):
    provider["fake"].failures_left = 1
    notify(provider["resident"], "verification_code", {"code": "246810"})
    db.session.commit()
    freeze(MONDAY_10AM + timedelta(minutes=2))
    assert sms.send_due() == 1
    message = the_message()
    assert message.status == "sent" and message.attempts == 2 and message.last_error == ""


def test_a_wrong_number_is_not_retried(provider):
    provider["fake"].failures_left = 10
    provider["fake"].error_code = "InvalidParameterValue.IncorrectPhoneNumber"
    notify(provider["resident"], "verification_code", {"code": "246810"})
    db.session.commit()
    message = the_message()
    assert message.status == "failed" and message.attempts == 1


def test_a_kind_without_a_template_fails_clearly(provider):
    notify(provider["resident"], "booking_reminder", {"service": "法律咨询"})
    db.session.commit()
    message = the_message()
    assert message.status == "failed" and "no template" in message.last_error
    assert provider["fake"].requests == []


def test_the_provider_needs_its_settings(monkeypatch):
    from app import create_app
    from app.config import ConfigError

    monkeypatch.setenv("SMS_BACKEND", "tencent")
    with pytest.raises(ConfigError, match="TENCENT_SMS_SECRET_ID"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})


def test_a_code_sent_by_the_provider_is_not_kept_readable(provider):
    from app.accounts import codes

    codes.send_code("13912345678", "reset", provider["resident"].id)
    message = the_message()
    [request] = provider["fake"].requests
    [code] = request["body"]["TemplateParamSet"]
    assert re.fullmatch(r"\d{6}", code)
    assert message.status == "sent" and message.params == ["******"]
    assert code not in message.text and "******" in message.text
