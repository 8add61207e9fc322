"""Registration, login, sessions, the user's own data, and throttling."""

import json
import re

import pytest
from sqlalchemy import func, select

from app.accounts.mobile import mask_mobile, normalize_mobile
from app.extensions import db
from app.models import AuditEntry, StaffScope, User

from . import factories as f
from .conftest import make_app


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        (" 199-1234-5678 ", "19912345678"),
        ("12812345678", None),  # second digit must be 3–9
        ("1381234567", None),  # ten digits
        ("138123456789", None),
        ("+85213812345678", None),
        ("1381234567a", None),
        ("", None),
        (None, None),
        # NFKC: full-width digits, plus and hyphen (a Chinese input method) are the same number.
        ("１３８１２３４５６７８", "13812345678"),
        ("＋８６ １３８－１２３４－５６７８", "13812345678"),
        ("13８12345678", "13812345678"),
        ("١٣٨١٢٣٤٥٦٧٨", None),  # other digits are refused, not guessed
        ("۱۳۸۱۲۳۴۵۶۷۸", None),
        ("1" * 1000, None),
    ],
)
def test_normalize_mobile(raw, expected):
    assert normalize_mobile(raw) == expected


def test_mask_mobile():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile(None) == ""


def users_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


# Registration -----------------------------------------------------------------


def test_register_logs_in_and_hashes_the_password(client, auth):
    response = auth.register("+86 138 0013 8000", " 王 阿姨 ", "a-long-secret")
    assert response.status_code == 303 and response.headers["Location"] == "/me"
    user = db.session.scalar(select(User).where(User.mobile == "13800138000"))
    assert user.display_name == "王 阿姨"
    assert user.password_hash.startswith("scrypt:") and "a-long-secret" not in user.password_hash
    me = client.get("/me")
    assert me.status_code == 200 and "王 阿姨" in me.text and "13800138000" in me.text
    assert '<span class="badge badge-role">居民</span>' in me.text and "Term(" not in me.text


def test_register_records_consent_to_the_notice_of_the_day(client, auth):
    from app.accounts.routes import PRIVACY_VERSION
    from app.models import Consent

    auth.register("13800138000")
    [consent] = db.session.scalars(select(Consent)).all()
    assert consent.kind == "privacy" and consent.version == PRIVACY_VERSION
    assert db.session.get(User, consent.user_id).mobile == "13800138000"


def test_register_pages(client):
    page = client.get("/register")
    assert page.status_code == 200
    assert 'name="mobile"' in page.text and 'type="tel"' in page.text
    # Step two needs step one first.
    response = client.get("/register/finish")
    assert response.status_code == 303 and response.headers["Location"].startswith("/register")
    client.post("/register", data={"mobile": "13812345678"})
    page = client.get("/register/finish")
    assert page.status_code == 200 and "138****5678" in page.text
    assert (
        'autocomplete="new-password"' in page.text and 'autocomplete="one-time-code"' in page.text
    )
    assert 'href="/privacy"' in page.text and 'name="consent"' in page.text


@pytest.mark.parametrize(
    ("mobile", "message"),
    [("12345", "请输入11位的大陆手机号"), ("", "请输入您的手机号"),
     ("13900000001", "这个手机号已经注册过了"), ("1" * 5000, "请输入11位的大陆手机号")],
)  # fmt: skip
def test_register_refuses_a_bad_number_and_sends_nothing(client, mobile, message):
    from app.models import SmsMessage

    f.user(mobile="13900000001")
    db.session.commit()
    response = client.post("/register", data={"mobile": mobile})
    assert response.status_code == 422
    assert message in response.text and 'class="error-summary"' in response.text
    assert db.session.scalar(select(func.count(SmsMessage.id))) == 0


def test_a_registered_number_is_pointed_to_the_claim(client):
    from app.accounts import service

    service.register("13900000001", "王阿姨", "", by_staff=True)
    response = client.post("/register", data={"mobile": "13900000001"})
    assert response.status_code == 422 and 'href="/password/forgot"' in response.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": "short"}, "密码请设 8 到 128 个字符"),
        ({"password": "13812345678"}, "密码不能和手机号相同"),
        ({"display_name": "   "}, "请填写希望大家怎么称呼您"),
        ({"display_name": "名" * 41}, "名字请不要超过 40 个字"),
        ({"consent": ""}, "请阅读隐私说明"),
        ({"code": "12345"}, "请输入短信里的 6 位验证码"),
        ({"code": "000000"}, "验证码不对"),
    ],
)
def test_register_refuses_bad_input(client, data, message):
    from tests.conftest import last_code

    client.post("/register", data={"mobile": "13812345678"})
    before = users_count()
    form = {"code": last_code(), "display_name": "王阿姨", "password": "a-long-secret",
            "consent": "y"}  # fmt: skip
    if data.get("code") == "000000" and form["code"] == "000000":
        data = {"code": "000001"}
    response = client.post("/register/finish", data={**form, **data})
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert users_count() == before


def test_a_code_has_five_tries_and_ten_minutes(client, freeze):
    from datetime import timedelta

    from app import clock
    from tests.conftest import last_code

    start = freeze(clock.now())
    client.post("/register", data={"mobile": "13812345678"})
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    form = {"display_name": "王阿姨", "password": "a-long-secret", "consent": "y"}
    for _ in range(5):
        response = client.post("/register/finish", data={**form, "code": wrong})
        assert response.status_code == 422 and "验证码不对" in response.text
    response = client.post("/register/finish", data={**form, "code": code})
    assert response.status_code == 422 and "错误次数太多" in response.text
    assert users_count() == 0
    # A new code, but too late.
    freeze(start + timedelta(minutes=2))
    client.post("/register", data={"mobile": "13812345678"})
    code = last_code()
    freeze(start + timedelta(minutes=12, seconds=1))
    response = client.post("/register/finish", data={**form, "code": code})
    assert response.status_code == 422 and "验证码已过期" in response.text
    assert users_count() == 0


def test_a_new_code_replaces_the_old_one(client, freeze):
    from datetime import timedelta

    from app import clock
    from tests.conftest import last_code

    start = freeze(clock.now())
    client.post("/register", data={"mobile": "13812345678"})
    first = last_code()
    freeze(start + timedelta(minutes=1, seconds=1))
    client.post("/register", data={"mobile": "13812345678"})
    second = last_code()
    form = {"display_name": "王阿姨", "password": "a-long-secret", "consent": "y"}
    if first != second:
        response = client.post("/register/finish", data={**form, "code": first})
        assert response.status_code == 422
    response = client.post("/register/finish", data={**form, "code": second})
    assert response.status_code == 303 and users_count() == 1


def test_a_code_typed_with_full_width_digits_and_spaces_works(client, auth):
    from tests.conftest import last_code

    client.post("/register", data={"mobile": "13812345678"})
    code = last_code()
    wide = " ".join(chr(ord(ch) + 0xFEE0) for ch in code)
    form = {"code": wide, "display_name": "王阿姨", "password": "a-long-secret", "consent": "y"}
    response = client.post("/register/finish", data=form)
    assert response.status_code == 303 and users_count() == 1


def test_a_full_width_digit_does_not_make_a_second_account(client):
    """'13８00000002' (one full-width ８) is 13800000002, already registered."""
    f.user(mobile="13800000002")
    db.session.commit()
    before = users_count()
    response = client.post("/register", data={"mobile": "13８00000002"})
    assert response.status_code == 422 and "这个手机号已经注册过了" in response.text
    assert users_count() == before
    assert db.session.scalar(select(User.mobile).where(User.mobile.like("%８%"))) is None


def test_display_name_with_html_is_kept_as_text_and_escaped(client, auth):
    auth.register("13812345678", "<b>Bob</b>")
    assert db.session.scalar(select(User.display_name)) == "<b>Bob</b>"
    page = client.get("/me")
    assert "<b>Bob</b>" not in page.text and "&lt;b&gt;Bob&lt;/b&gt;" in page.text


# Login and logout -------------------------------------------------------------


def test_login_and_logout(client, auth):
    f.user(mobile="13912345678")
    db.session.commit()
    assert client.get("/login").status_code == 200
    response = auth.login("139 1234 5678")
    assert response.status_code == 303 and response.headers["Location"] == "/me"
    assert client.get("/me").status_code == 200
    response = auth.logout()
    assert response.status_code == 303
    assert client.get("/me").status_code == 302


@pytest.mark.parametrize(
    "typed", ["13８00000002", "１３８ ００００ ０００２", "＋８６１３８０００００００２"]
)
def test_login_with_the_full_width_form_of_the_number(client, auth, typed):
    f.user(mobile="13800000002")
    db.session.commit()
    response = auth.login(typed)
    assert response.status_code == 303 and response.headers["Location"] == "/me"
    assert client.get("/me").status_code == 200


@pytest.mark.parametrize("mobile", ["13912345678", "13700000000"])
def test_wrong_password_and_unknown_number_say_the_same(client, auth, mobile):
    f.user(mobile="13912345678")
    db.session.commit()
    response = auth.login(mobile, "not-the-password")
    assert response.status_code == 422
    assert "手机号或密码不对" in response.text
    assert client.get("/me").status_code == 302


def test_disabled_account_cannot_log_in(client, auth):
    user = f.user()
    user.active = False
    db.session.commit()
    assert auth.login(user).status_code == 422


def test_remember_me_sets_a_bounded_cookie(client, auth, app):
    user = f.user()
    db.session.commit()
    auth.login(user, remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only
    assert app.config["REMEMBER_COOKIE_DURATION"].days == 30
    session_cookie = client.get_cookie("session")
    assert session_cookie.http_only and session_cookie.same_site == "Lax"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/sites?q=a", "/sites?q=a"),
        ("//evil.example", "/me"),
        ("https://evil.example", "/me"),
        ("javascript:alert(1)", "/me"),
        ("/\\evil.example", "/me"),
    ],
)
def test_login_follows_only_local_next(client, auth, target, expected):
    user = f.user()
    db.session.commit()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"mobile": user.mobile, "password": f.PASSWORD},
    )
    assert response.headers["Location"] == expected


def test_logout_is_post_only(client, auth):
    user = f.user()
    db.session.commit()
    auth.login(user)
    assert client.get("/logout").status_code == 405
    assert client.get("/me").status_code == 200


def test_pages_needing_login_redirect_there(client):
    response = client.get("/me")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/me"


def test_htmx_request_needing_login_gets_hx_redirect(client):
    response = client.get("/me", headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/login?next=/me"
    assert response.data == b""


# Password, profile, export, deletion ------------------------------------------


def test_change_password_logs_out_other_devices(app, client, auth):
    user = f.user()
    db.session.commit()
    auth.login(user)
    other = app.test_client()
    other.post("/login", data={"mobile": user.mobile, "password": f.PASSWORD})
    assert other.get("/me").status_code == 200
    response = client.post(
        "/me/password",
        data={
            "current_password": f.PASSWORD,
            "password": "new-long-secret",
            "confirm": "new-long-secret",
        },
    )
    assert response.status_code == 303
    assert client.get("/me").status_code == 200  # this device stays in
    assert other.get("/me").status_code == 302  # the other is out
    auth.logout()
    assert auth.login(user, "new-long-secret").status_code == 303


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"current_password": "wrong-password"}, "当前密码不对"),
        ({"password": "short", "confirm": "short"}, "密码请设 8 到 128 个字符"),
        ({"confirm": "something-else"}, "两次输入的新密码不一样"),
    ],
)
def test_change_password_refuses_bad_input(client, auth, data, message):
    user = f.user()
    db.session.commit()
    old_hash = user.password_hash
    auth.login(user)
    form = {
        "current_password": f.PASSWORD,
        "password": "new-long-secret",
        "confirm": "new-long-secret",
    }
    response = client.post("/me/password", data={**form, **data})
    assert response.status_code == 422 and message in response.text
    db.session.rollback()  # end the test's read snapshot: see what the request wrote
    assert db.session.get(User, user.id).password_hash == old_hash


def test_become_a_volunteer(client, auth):
    user = f.user()
    db.session.commit()
    auth.login(user)
    response = client.post(
        "/me/volunteer-profile", data={"real_name": "王小明", "skills": "急救", "bio": "周末有空"}
    )
    assert response.status_code == 303
    assert "志愿者" in client.get("/me").text
    db.session.rollback()  # end the test's read snapshot: see what the request wrote
    assert db.session.get(User, user.id).volunteer.real_name == "王小明"


def test_volunteer_profile_needs_a_real_name(client, auth):
    user = f.user()
    db.session.commit()
    auth.login(user)
    response = client.post("/me/volunteer-profile", data={"real_name": "", "skills": "x"})
    assert response.status_code == 422 and "请填写您的真实姓名" in response.text
    db.session.rollback()  # end the test's read snapshot: see what the request wrote
    assert db.session.get(User, user.id).volunteer is None


def test_export_holds_everything_about_me(client, auth):
    center = f.site(name="东方中心")
    user = f.user("王阿姨", volunteer=True, staff_of=(center,))
    db.session.commit()
    auth.login(user)
    response = client.get("/me/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["mobile"] == user.mobile
    assert data["account"]["display_name"] == "王阿姨"
    assert data["account"]["roles"] == ["resident", "volunteer", "staff"]
    assert data["volunteer_profile"]["real_name"] == "张三"
    assert data["staff_scopes"][0]["site"] == "东方中心"
    assert "password_hash" not in response.text and "session_token" not in response.text


def test_delete_account_removes_personal_data(client, auth):
    center = f.site()
    user = f.user("王阿姨", mobile="13912345678", volunteer=True, staff_of=(center,))
    db.session.commit()
    auth.login(user)
    response = client.post("/me/delete", data={"password": f.PASSWORD})
    assert response.status_code == 303
    db.session.rollback()  # end the test's read snapshot: see what the request wrote
    row = db.session.get(User, user.id)
    assert row is not None  # kept for history, anonymized
    assert row.mobile is None and row.display_name == "已注销用户" and row.password_hash == ""
    assert row.volunteer is None
    assert db.session.scalar(select(func.count(StaffScope.id))) == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.deleted"))
    assert entry.target_id == user.id and "13912345678" not in json.dumps(entry.after or {})
    assert client.get("/me").status_code == 302
    assert auth.login("13912345678").status_code == 422
    # The number is free again.
    response = auth.register("13912345678", "新人")
    assert response.status_code == 303


def test_delete_account_needs_the_password(client, auth):
    user = f.user()
    db.session.commit()
    auth.login(user)
    response = client.post("/me/delete", data={"password": "not-it"})
    assert response.status_code == 422 and "密码不对" in response.text
    db.session.rollback()  # end the test's read snapshot: see what the request wrote
    assert db.session.get(User, user.id).mobile == user.mobile


# CSRF, cookies, production config ---------------------------------------------


@pytest.fixture
def csrf_app(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.engine.dispose()
    databases.drop(url)


def test_csrf_is_required_for_every_post(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        before = db.session.scalar(select(func.count(User.id)))
    for path, data in [
        ("/register", {"mobile": "13812345678", "display_name": "x", "password": "a-long-secret"}),
        ("/login", {"mobile": "13812345678", "password": "a-long-secret"}),
        ("/logout", {}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "请求有误" in response.text
        response = client.post(path, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, path
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == before


def test_csrf_token_in_htmx_header_is_accepted(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/register")
    token = re.search(r'id="csrf-token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/register",
        data={"mobile": "13812345678", "display_name": "x", "password": "a-long-secret"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 303


def test_secure_cookies_setting_uses_secure_host_cookies(monkeypatch):
    from app import create_app
    from app.config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "production-test-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://doorstep@127.0.0.1:5432/doorstep")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SECURE_COOKIES", "1")
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert app.config["REMEMBER_COOKIE_NAME"].startswith("__Host-")


# Throttling -------------------------------------------------------------------


@pytest.fixture
def throttled_app(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(
        url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", WTF_CSRF_ENABLED=False
    )
    with app.app_context():
        f.user(mobile="13912345678")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    databases.drop(url)


def _try_login(client, mobile="13912345678", address="10.0.0.1"):
    return client.post(
        "/login",
        data={"mobile": mobile, "password": "wrong-password"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_sixth_attempt_in_a_minute_is_throttled(throttled_app):
    client = throttled_app.test_client()
    statuses = [_try_login(client).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
    response = _try_login(client)
    assert response.status_code == 429
    assert "尝试次数太多" in response.text and re.search(r"请在 \d+ 秒后再试", response.text)
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_throttle_counts_per_number_across_addresses(throttled_app):
    client = throttled_app.test_client()
    statuses = [_try_login(client, address=f"10.0.0.{i}").status_code for i in range(6)]
    assert statuses[-1] == 429


def test_throttle_counts_per_address_across_numbers(throttled_app):
    client = throttled_app.test_client()
    statuses = [_try_login(client, mobile=f"1390000000{i}").status_code for i in range(6)]
    assert statuses[-1] == 429
    # Another address and number is still served.
    assert _try_login(client, mobile="13700000000", address="10.9.9.9").status_code == 422


def test_registration_is_throttled_too(throttled_app):
    client = throttled_app.test_client()
    statuses = [
        client.post(
            "/register", data={"mobile": "12345"}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]


def test_throttle_is_shared_through_redis_by_two_app_instances(databases, template_url):
    """Two app instances (two workers or hosts) count attempts in one Redis."""
    import uuid

    import redis

    redis_url = "redis://127.0.0.1:6379/0"
    redis.Redis.from_url(redis_url).ping()  # fail, not skip, when Redis is missing
    prefix = "doorstep-test-" + uuid.uuid4().hex
    url = databases.new_url(template=template_url)
    apps = [
        make_app(
            url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=redis_url,
            RATELIMIT_KEY_PREFIX=prefix,
            WTF_CSRF_ENABLED=False,
        )
        for _ in range(2)
    ]
    try:
        clients = [a.test_client() for a in apps]
        statuses = [_try_login(clients[i % 2]).status_code for i in range(6)]
        assert statuses == [422] * 5 + [429]
    finally:
        r = redis.Redis.from_url(redis_url)
        for key in r.scan_iter(f"*{prefix}*"):
            r.delete(key)
        for a in apps:
            with a.app_context():
                db.engine.dispose()
        databases.drop(url)


def test_codes_are_throttled_per_number_and_per_address(throttled_app):
    from app.models import SmsMessage

    throttled_app.config.update(CODE_LIMITS_PER_MOBILE="1/minute;5/hour",
                                CODE_LIMITS_PER_ADDRESS="3/hour")  # fmt: skip
    client = throttled_app.test_client()

    def ask(path, mobile, address="10.0.0.7"):
        return client.post(path, data={"mobile": mobile}, environ_base={"REMOTE_ADDR": address})

    # A mistyped number sends nothing and counts nothing.
    assert ask("/password/forgot", "12345").status_code == 422
    assert ask("/password/forgot", "13812345678").status_code == 303
    again = ask("/password/forgot", "13812345678")
    assert again.status_code == 429 and "尝试次数太多" in again.text
    # Another number from the same address, until the address has had three.
    assert ask("/password/forgot", "13812345679").status_code == 303
    assert ask("/password/forgot", "13812345670").status_code == 303
    assert ask("/password/forgot", "13812345671").status_code == 429
    assert ask("/password/forgot", "13812345671", address="10.0.0.8").status_code == 303
    with throttled_app.app_context():
        # Nobody is registered: the page says the same, and nothing was sent.
        assert db.session.scalar(select(func.count(SmsMessage.id))) == 0
