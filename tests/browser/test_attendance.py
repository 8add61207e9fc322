"""Hours that are true, on a phone (390×844), with JavaScript on and off: a
volunteer checks in and out with the activity's code and sees the hours on "my
volunteering"; the door's QR code opens a page that checks in with one button
(after logging in); staff confirm the roster once the activity has ended. Every
attendance page passes axe-core in normal and elder mode, and the door's QR
prints on one A4 page.

The live server runs on the real clock, so each activity is made relative to
now: one that started a little ago (check-in and check-out open) and ones that
ended half an hour ago (the roster to confirm). The accounts are the module's
own, with numbers from the shared counter. Selectors are ids and classes, not
the words of messages new with these pages (their Chinese comes with the
catalogue's next merge).
"""

import re
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.models import Activity, Signup, StaffScope, Team, User, VolunteerProfile
from tests.browser import SCREENSHOT_DIR, check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"
SITE_ID = 1
CODE = "482913"


@contextmanager
def database(live_db_url):
    app = make_app(live_db_url)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _account(prefix: str, name: str, *, volunteer: bool = True) -> User:
    user = User(mobile=f"{prefix}{next(serial):08d}", display_name=name,
                password_hash=generate_password_hash(PASSWORD))  # fmt: skip
    db.session.add(user)
    db.session.flush()
    if volunteer:
        db.session.add(VolunteerProfile(user_id=user.id, real_name=f"{name}真名"))
    return user


def _activity(team_id: int, title: str, starts, hours="2") -> Activity:
    activity = Activity(
        team_id=team_id, site_id=SITE_ID, title=f"{title}{next(serial)}", starts_at=starts,
        ends_at=starts + timedelta(hours=2), signup_deadline=starts - timedelta(hours=2),
        places=40, taken=0, hours=Decimal(hours), checkin_code=CODE,
    )  # fmt: skip
    db.session.add(activity)
    db.session.flush()
    return activity


def _signed_up(activity: Activity, user: User, status="signed_up") -> Signup:
    activity.taken += 1
    row = Signup(activity_id=activity.id, user_id=user.id, status=status,
                 checked_in_at=activity.starts_at if status == "checked_in" else None)  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture(scope="module")
def scene(live_db_url):
    """Our team, our staff at the first center, and an activity that started 100
    minutes ago (it ends in 20)."""
    with database(live_db_url):
        now = clock.now().replace(microsecond=0)
        staff = _account("133", "考勤社工", volunteer=False)
        db.session.add(StaffScope(user_id=staff.id, site_id=SITE_ID))
        team = Team(name=f"考勤测试队{next(serial)}", brand="四季歌", home_site_id=SITE_ID)
        db.session.add(team)
        db.session.flush()
        running = _activity(team.id, "测试签到活动", now - timedelta(minutes=100))
        db.session.commit()
        return {"staff": staff.mobile, "team": team.id, "running": running.id,
                "running_title": running.title}  # fmt: skip


def volunteer_for(live_db_url, activity_id: int, status="signed_up") -> str:
    """A new volunteer with a place (signed up, or checked in) in the activity."""
    with database(live_db_url):
        user = _account("134", "考勤居民")
        _signed_up(db.session.get(Activity, activity_id), user, status)
        db.session.commit()
        return user.mobile


def ended_activity(live_db_url, scene) -> dict:
    """An activity that ended half an hour ago: two checked in and never checked
    out, one never checked in."""
    with database(live_db_url):
        activity = _activity(
            scene["team"], "测试确认名单", clock.now() - timedelta(hours=2, minutes=30)
        )
        forgot = [
            _signed_up(activity, _account("134", f"忘签退{i}"), "checked_in").id for i in (1, 2)
        ]
        never = _signed_up(activity, _account("134", "没签到")).id
        db.session.commit()
        return {"id": activity.id, "forgot": forgot, "never": never}


def signup_of(live_db_url, mobile: str, activity_id: int) -> Signup:
    with database(live_db_url):
        row = db.session.scalar(
            select(Signup).join(User, Signup.user_id == User.id)
            .where(User.mobile == mobile, Signup.activity_id == activity_id)
        )  # fmt: skip
        db.session.expunge(row)
        return row


def log_in(page, mobile: str, *, lands: str = "**/me") -> None:
    if "/login" not in page.url:
        page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url(lands)


def stat(page, label: str):
    item = page.locator("ul.stat-grid li").filter(has_text=re.compile(rf"^\s*\S+\s*{label}\s*$"))
    return item.locator(".stat")


# --- Journeys ---------------------------------------------------------------------------


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_volunteer_checks_in_and_out_with_the_code(new_page, scene, live_db_url, js):
    tag = "js" if js else "nojs"
    activity = scene["running"]
    mobile = volunteer_for(live_db_url, activity)
    page = new_page(java_script_enabled=js)
    log_in(page, mobile)
    page.goto(f"/activities/{activity}")
    if js:  # htmx swaps the box alone: a mark outside it stays
        page.locator("main h1").evaluate("h1 => h1.dataset.stayed = 'yes'")
    box = page.locator("#signup-box")
    box.locator("#checkin-code").fill("000000")
    box.locator("form[action$='/check-in'] button").click()
    expect(page.locator("#signup-box [role=alert]")).to_contain_text("签到码不对")
    expect(page.locator("#checkin-code")).to_have_value("000000")  # kept as typed
    page.fill("#checkin-code", "４８２ ９１３")  # full-width digits and a space, as typed
    page.locator("#signup-box form[action$='/check-in'] button").click()
    expect(page.locator("#signup-box .status-checked_in")).to_have_text("已签到")
    expect(page.locator("#checkout-code")).to_be_visible()
    if js:
        expect(page.locator("main h1")).to_have_attribute("data-stayed", "yes")
    screenshot(page, f"attendance-checked-in-{tag}")
    row = signup_of(live_db_url, mobile, activity)
    assert (row.status, row.hours_credited) == ("checked_in", 0)

    # Ninety-five minutes pass at the activity (the check-in is moved back to say so).
    with database(live_db_url):
        db.session.get(Signup, row.id).checked_in_at = clock.now() - timedelta(minutes=95)
        db.session.commit()
    page.goto(f"/activities/{activity}")
    page.fill("#checkout-code", CODE)
    page.locator("#signup-box form[action$='/check-out'] button").click()
    expect(page.locator("#signup-box .status-attended")).to_have_text("已参加")
    expect(page.locator("#signup-box")).to_contain_text("记 1.5 小时")
    screenshot(page, f"attendance-checked-out-{tag}")
    row = signup_of(live_db_url, mobile, activity)
    assert (row.status, row.hours_credited) == ("attended", Decimal("1.5"))

    page.goto("/me/volunteer")
    expect(stat(page, "累计小时")).to_have_text("1.5")
    expect(stat(page, "积分")).to_have_text("2")  # 1.5 hours, 1 point an hour, half up
    expect(page.locator("li.card", has_text=scene["running_title"])).to_contain_text("记 1.5 小时")
    screenshot(page, f"attendance-me-hours-{tag}")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_door_qr_code_checks_in_with_one_button(new_page, scene, live_db_url, js):
    activity = scene["running"]
    mobile = volunteer_for(live_db_url, activity)
    page = new_page(java_script_enabled=js)
    landing = f"/activities/{activity}/check-in?code={CODE}"
    page.goto(landing)  # what the phone's camera opens
    page.wait_for_url(re.compile(r"/login\?next="))
    log_in(page, mobile, lands=f"**{landing}")
    button = page.locator(".checkin-card form button")
    expect(button).to_have_count(1)
    assert signup_of(live_db_url, mobile, activity).status == "signed_up"  # a GET changes nothing
    screenshot(page, f"attendance-qr-landing-{'js' if js else 'nojs'}")
    button.click()
    page.wait_for_url(f"**/activities/{activity}")
    expect(page.locator("#signup-box .status-checked_in")).to_have_text("已签到")
    assert signup_of(live_db_url, mobile, activity).status == "checked_in"
    page.goto(landing)  # scanned again: now the button checks out
    expect(
        page.locator(f".checkin-card form[action='/activities/{activity}/check-out']")
    ).to_have_count(1)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_staff_confirm_the_roster(new_page, scene, live_db_url, js):
    ended = ended_activity(live_db_url, scene)
    page = new_page(java_script_enabled=js)
    log_in(page, scene["staff"])
    page.goto(f"/activities/{ended['id']}/roster")
    for signup_id in ended["forgot"]:
        expect(page.locator(f"#signup-{signup_id} .badge")).to_have_text("已签到")
    screenshot(page, f"attendance-roster-to-confirm-{'js' if js else 'nojs'}")
    page.locator("form.confirm-roster button").click()
    page.wait_for_url(f"**/activities/{ended['id']}/roster")
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("form.confirm-roster")).to_have_count(0)
    for signup_id in ended["forgot"]:
        card = page.locator(f"#signup-{signup_id}")
        expect(card.locator(".badge")).to_have_text("已参加")
        expect(card).to_contain_text("记 2 小时")
    expect(page.locator(f"#signup-{ended['never']} .badge")).to_have_text("已报名")
    screenshot(page, f"attendance-roster-confirmed-{'js' if js else 'nojs'}")
    with database(live_db_url):
        activity = db.session.get(Activity, ended["id"])
        assert activity.roster_confirmed_at is not None
        statuses = [db.session.get(Signup, i).status for i in (*ended["forgot"], ended["never"])]
        assert statuses == ["attended", "attended", "signed_up"]


# --- Accessibility and print ----------------------------------------------------------


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_attendance_pages_are_accessible(new_page, scene, live_db_url, elder):
    """axe-core finds nothing on any attendance page, in each of its states."""
    mode = "elder" if elder else "normal"
    activity = scene["running"]
    page = new_page()
    if elder:
        set_elder_mode(page)
    log_in(page, volunteer_for(live_db_url, activity))
    for path, shot in (
        (f"/activities/{activity}", "activity-check-in"),
        (f"/activities/{activity}/check-in?code={CODE}", "qr-landing-in"),
        (f"/activities/{activity}/check-in?code=000000", "qr-landing-wrong-code"),
    ):
        page.goto(path)
        check_axe(page)
        screenshot(page, f"attendance-axe-{shot}-{mode}")
    page.goto(f"/activities/{activity}")
    page.fill("#checkin-code", "000000")
    page.locator("#signup-box form[action$='/check-in'] button").click()
    expect(page.locator("#signup-box [role=alert]")).to_be_visible()
    check_axe(page)  # the refused code, in the swapped box
    page.fill("#checkin-code", CODE)
    page.locator("#signup-box form[action$='/check-in'] button").click()
    expect(page.locator("#checkout-code")).to_be_visible()
    check_axe(page)
    screenshot(page, f"attendance-axe-activity-check-out-{mode}")
    page.goto(f"/activities/{activity}/check-in?code={CODE}")
    check_axe(page)
    screenshot(page, f"attendance-axe-qr-landing-out-{mode}")

    ended = ended_activity(live_db_url, scene)
    staff = new_page()
    if elder:
        set_elder_mode(staff)
    log_in(staff, scene["staff"])
    for path, shot in (
        (f"/activities/{activity}/roster", "roster-running"),
        (f"/activities/{activity}/check-in/qr", "door-qr"),
        (f"/activities/{ended['id']}/roster", "roster-to-confirm"),
    ):
        response = staff.goto(path)
        assert response.status == 200, path
        check_axe(staff)
        screenshot(staff, f"attendance-axe-{shot}-{mode}")
    row = staff.locator(f"#signup-{ended['never']}")
    row.locator("input[name=hours]").fill("2.3")
    row.locator("input[name=reason]").fill("提前离开")
    row.locator("button[name=attended][value='1']").click()
    expect(staff.locator(f"#signup-{ended['never']} .field-error")).to_be_visible()
    check_axe(staff)  # a refused mark, with the message beside its field
    screenshot(staff, f"attendance-axe-roster-refused-{mode}")
    staff.goto(f"/activities/{ended['id']}/roster")
    staff.locator("form.confirm-roster button").click()
    expect(staff.locator(".flash")).to_be_visible()
    check_axe(staff)
    screenshot(staff, f"attendance-axe-roster-confirmed-{mode}")


def test_the_door_qr_prints_on_one_a4_page(new_page, scene):
    page = new_page()
    log_in(page, scene["staff"])
    page.goto(f"/activities/{scene['running']}/check-in/qr")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi, for the screenshot
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".door-qr .qr svg")).to_be_visible()
    expect(page.locator("main > .hint")).to_be_hidden()
    screenshot(page, "attendance-door-qr-print")
    pdf = page.pdf(prefer_css_page_size=True)
    (SCREENSHOT_DIR / "attendance-door-qr.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "one A4 page"
    width, height = map(float, re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf).groups())
    assert (round(width), round(height)) == (595, 842)  # A4 in points
