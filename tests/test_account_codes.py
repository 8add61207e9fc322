"""Proving a number with a text-message code: a forgotten password, taking over
an account staff made at the desk (代预约), a change of number, the privacy
notice. Through the pages, as a resident uses them; the codes are read from the
outbox, as the resident reads them from the phone."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.bookings import service as bookings
from app.extensions import db
from app.models import AuditEntry, LoginSession, SmsMessage, User

from . import factories as f
from .conftest import last_code


def texts_to(mobile):
    db.session.rollback()
    return db.session.scalars(
        select(SmsMessage).where(SmsMessage.mobile == mobile).order_by(SmsMessage.id)
    ).all()


# Forgotten password -------------------------------------------------------------


def test_forgotten_password_end_to_end(client, auth, app):
    user = f.user("王阿姨", mobile="13912345678")
    db.session.commit()
    other_device = app.test_client()
    assert auth.__class__(other_device).login(user).status_code == 303

    page = client.get("/password/forgot")
    assert page.status_code == 200 and 'name="mobile"' in page.text
    response = client.post("/password/forgot", data={"mobile": "139 1234 5678"})
    assert response.status_code == 303 and response.headers["Location"] == "/password/reset"
    [text] = texts_to("13912345678")
    assert text.kind == "verification_code" and text.status == "sent" and text.urgent
    code = text.params[0]
    assert f"验证码是{code}" in text.text.replace(" ", "") or code in text.text

    page = client.get("/password/reset")
    assert page.status_code == 200 and "139****5678" in page.text
    response = client.post("/password/reset", data={
        "code": code, "password": "a-new-secret", "confirm": "a-new-secret"})  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"] == "/me"
    assert client.get("/me").status_code == 200  # logged in
    assert other_device.get("/me").status_code == 302  # every other device is out
    auth.logout()
    assert auth.login(user, "a-new-secret").status_code == 303
    # The code is used up.
    auth.logout()
    client.post("/password/forgot", data={"mobile": "13912345678"})
    response = client.post("/password/reset", data={
        "code": code if code != last_code() else "000000", "password": "third-secret",
        "confirm": "third-secret"})  # fmt: skip
    assert response.status_code == 422


def test_an_unknown_number_gets_the_same_answer_and_no_text(client):
    response = client.post("/password/forgot", data={"mobile": "13800000009"})
    assert response.status_code == 303 and response.headers["Location"] == "/password/reset"
    assert texts_to("13800000009") == []
    response = client.post("/password/reset", data={
        "code": "123456", "password": "a-new-secret", "confirm": "a-new-secret"})  # fmt: skip
    assert response.status_code == 422 and "验证码已过期" in response.text
    assert db.session.scalar(select(func.count(User.id))) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": ""}, "请输入短信里的 6 位验证码"),
        ({"code": "12 34 5"}, "请输入短信里的 6 位验证码"),
        ({"code": "1" * 10_000}, "请输入短信里的 6 位验证码"),
        ({"password": "short", "confirm": "short"}, "密码请设 8 到 128 个字符"),
        ({"confirm": "not-the-same"}, "两次输入的新密码不一样"),
        ({"password": "13912345678", "confirm": "13912345678"}, "密码不能和手机号相同"),
    ],
)
def test_reset_refuses_bad_input_and_changes_nothing(client, data, message):
    user = f.user(mobile="13912345678")
    db.session.commit()
    before = user.password_hash
    client.post("/password/forgot", data={"mobile": "13912345678"})
    form = {"code": last_code(), "password": "a-new-secret", "confirm": "a-new-secret", **data}
    response = client.post("/password/reset", data=form)
    assert response.status_code == 422 and message in response.text
    db.session.rollback()
    assert db.session.get(User, user.id).password_hash == before


def test_reset_without_asking_first_goes_back_to_step_one(client):
    response = client.get("/password/reset")
    assert response.status_code == 303 and response.headers["Location"] == "/password/forgot"
    response = client.post("/password/reset", data={"code": "123456"})
    assert response.status_code == 303


def test_a_deleted_account_gets_no_code(client, auth):
    user = f.user(mobile="13912345678")
    db.session.commit()
    auth.login(user)
    client.post("/me/delete", data={"password": f.PASSWORD})
    client.post("/password/forgot", data={"mobile": "13912345678"})
    assert texts_to("13912345678") == []


# Taking over the account made at the desk ---------------------------------------------


def test_a_resident_booked_at_the_desk_takes_over_the_account(client, auth):
    site = f.site(name="东方中心")
    desk = f.user("站长", staff_of=(site,))
    service = f.bookable_service(site)
    slot = f.slot(service, clock.now() + timedelta(days=2))
    db.session.commit()
    outcome = bookings.proxy_book(desk, site, "13712345678", "李大爷", slot.id)
    assert outcome.booking.status == "booked"
    resident = db.session.scalar(select(User).where(User.mobile == "13712345678"))
    assert resident.created_by_staff and resident.password_hash == ""

    # He cannot log in, and registering points him to the claim.
    assert auth.login("13712345678", "anything-at-all").status_code == 422
    response = client.post("/register", data={"mobile": "13712345678"})
    assert response.status_code == 422 and 'href="/password/forgot"' in response.text
    page = client.get("/login")
    assert 'href="/password/forgot"' in page.text and "服务台" in page.text
    page = client.get("/password/forgot")
    assert "工作人员在服务台" in page.text

    client.post("/password/forgot", data={"mobile": "13712345678"})
    response = client.post("/password/reset", data={
        "code": last_code("13712345678"), "password": "my-own-secret",
        "confirm": "my-own-secret"})  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"] == "/me/bookings"
    mine = client.get("/me/bookings")
    assert mine.status_code == 200 and "法律咨询" in mine.text and "东方中心" in mine.text
    assert "账号现在归您了" in mine.text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.claimed"))
    assert entry.target_id == resident.id and entry.actor_id == resident.id
    auth.logout()
    assert auth.login("13712345678", "my-own-secret").status_code == 303


# A change of number ---------------------------------------------------------------


def test_change_of_number_end_to_end(client, auth):
    user = f.user("王阿姨", mobile="13912345678")
    db.session.commit()
    auth.login(user)
    page = client.get("/me")
    assert 'href="/me/mobile"' in page.text
    page = client.get("/me/mobile")
    assert page.status_code == 200 and "139****5678" in page.text

    response = client.post("/me/mobile", data={"mobile": "13687654321"})
    assert response.status_code == 303 and response.headers["Location"] == "/me/mobile/confirm"
    [code_text] = texts_to("13687654321")
    page = client.get("/me/mobile/confirm")
    assert page.status_code == 200 and "136****4321" in page.text

    wrong = client.post("/me/mobile/confirm", data={"code": code_text.params[0],
                                                    "password": "not-my-password"})  # fmt: skip
    assert wrong.status_code == 422 and "密码不对" in wrong.text
    db.session.rollback()
    assert db.session.get(User, user.id).mobile == "13912345678"

    response = client.post("/me/mobile/confirm", data={"code": code_text.params[0],
                                                       "password": f.PASSWORD})  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"] == "/me"
    db.session.rollback()
    assert db.session.get(User, user.id).mobile == "13687654321"
    # The old number is told, with the new one masked; no full number anywhere in it.
    [told] = texts_to("13912345678")
    assert told.kind == "mobile_changed" and "136****4321" in told.text
    assert "13687654321" not in told.text and "13687654321" not in " ".join(told.params)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "account.mobile_changed")
    )
    assert entry.before == {"mobile": "139****5678"} and entry.after == {"mobile": "136****4321"}
    auth.logout()
    assert auth.login("13912345678").status_code == 422
    assert auth.login("13687654321").status_code == 303


@pytest.mark.parametrize(
    ("mobile", "message"),
    [("13912345678", "这已经是您现在的号码了"), ("13800000001", "这个手机号已经注册过了"),
     ("12345", "请输入11位的大陆手机号"), ("１３６ ８７６５ ４３２２", None)],
)  # fmt: skip
def test_change_of_number_refuses_bad_numbers(client, auth, mobile, message):
    user = f.user(mobile="13912345678")
    f.user(mobile="13800000001")
    db.session.commit()
    auth.login(user)
    response = client.post("/me/mobile", data={"mobile": mobile})
    if message is None:  # full-width digits are a number like any other
        assert response.status_code == 303
        assert [t.kind for t in texts_to("13687654322")] == ["verification_code"]
        return
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(func.count(SmsMessage.id))) == 0


def test_a_number_taken_in_between_is_refused_at_the_end(client, auth):
    user = f.user(mobile="13912345678")
    db.session.commit()
    auth.login(user)
    client.post("/me/mobile", data={"mobile": "13687654321"})
    code = last_code("13687654321")
    f.user(mobile="13687654321")  # someone registered it meanwhile
    db.session.commit()
    response = client.post("/me/mobile/confirm", data={"code": code, "password": f.PASSWORD})
    assert response.status_code == 422 and "这个手机号已经注册过了" in response.text
    db.session.rollback()
    assert db.session.get(User, user.id).mobile == "13912345678"


def test_the_change_pages_need_a_login_and_step_one(client, auth):
    assert client.get("/me/mobile").status_code == 302
    assert client.get("/me/mobile/confirm").status_code == 302
    user = f.user()
    db.session.commit()
    auth.login(user)
    response = client.get("/me/mobile/confirm")
    assert response.status_code == 303 and response.headers["Location"] == "/me/mobile"


def test_no_message_carries_a_full_number_or_a_password(client, auth):
    """Whatever happened above, no text message or inbox message holds a full
    number (but its own recipient's, in the ``mobile`` column) or a password."""
    user = f.user(mobile="13912345678")
    db.session.commit()
    auth.login(user)
    client.post("/me/mobile", data={"mobile": "13687654321"})
    client.post("/me/mobile/confirm", data={"code": last_code(), "password": f.PASSWORD})
    auth.logout()
    client.post("/password/forgot", data={"mobile": "13687654321"})
    client.post("/password/reset", data={"code": last_code(), "password": "a-new-secret",
                                         "confirm": "a-new-secret"})  # fmt: skip
    from app.models import Notification

    db.session.rollback()
    for text in db.session.scalars(select(SmsMessage)):
        body = text.text + " ".join(text.params)
        assert "13912345678" not in body and "13687654321" not in body
        assert f.PASSWORD not in body and "a-new-secret" not in body
    for message in db.session.scalars(select(Notification)):
        body = str(message.params)
        assert "13912345678" not in body and "13687654321" not in body


# The privacy notice --------------------------------------------------------------------


def test_the_privacy_notice_in_both_languages(client):
    page = client.get("/privacy")
    assert page.status_code == 200
    for words in ("个人信息保护法", "我们保存什么", "保存多久", "下载我的数据", "注销账号"):
        assert words in page.text
    client.post("/prefs/language", data={"language": "en"}, headers={"Origin": "http://localhost"})
    page = client.get("/privacy")
    for words in ("Personal Information Protection Law", "What we keep", "How long we keep it",
                  "Download my data", "Delete your account"):  # fmt: skip
        assert words in page.text


def test_sessions_of_a_reset_are_revoked_in_the_table(client, auth):
    user = f.user(mobile="13912345678")
    db.session.commit()
    auth.login(user)
    auth.logout()
    client.post("/password/forgot", data={"mobile": "13912345678"})
    client.post("/password/reset", data={"code": last_code(), "password": "a-new-secret",
                                         "confirm": "a-new-secret"})  # fmt: skip
    db.session.rollback()
    live = db.session.scalar(
        select(func.count(LoginSession.id)).where(
            LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
        )
    )
    assert live == 1  # the one the reset started
