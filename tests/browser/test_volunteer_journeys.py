"""Volunteering journeys at phone size: become a volunteer, ask to join a team,
sign up for an activity, cancel and sign up again (JavaScript on and off); the
organiser approves and marks attendance; hours become points; the certificate
is verified by a stranger; points buy goods that the staff hand over. Every
volunteering page passes axe-core in normal and elder mode.

The live server runs on the real clock, so the module's own rows (a team, a
project in 公示, activities, a mall item, a leader and a staff member) are made
relative to now. Its accounts are its own, with their own numbers, so these
tests never compete for the per-number login throttle of the demo accounts.
"""

import re
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

import tests.browser as helpers
from app import clock
from app.extensions import db
from app.models import (
    Activity,
    Certificate,
    MallItem,
    Membership,
    PointsEntry,
    Project,
    ProjectComment,
    Redemption,
    Signup,
    Site,
    StaffScope,
    Team,
    User,
    VolunteerProfile,
)
from tests.browser import check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

_numbers = serial
PASSWORD = "a-long-secret"
SITE_ID = 1


# --- The module's own rows ----------------------------------------------------------------


@contextmanager
def database(live_db_url):
    """An app context on the live server's database, its connections closed after."""
    app = make_app(live_db_url)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _account(prefix: str, name: str, *, real_name: str | None = None) -> User:
    user = User(mobile=f"{prefix}{next(_numbers):08d}", display_name=name,
                password_hash=generate_password_hash(PASSWORD))  # fmt: skip
    db.session.add(user)
    db.session.flush()
    if real_name:
        db.session.add(VolunteerProfile(user_id=user.id, real_name=real_name))
    return user


@pytest.fixture(scope="module")
def vol(live_db_url):
    """A team led by our own leader, a project in 公示, a coming activity, one
    that started hours ago, a mall item, and staff of the first center."""
    n = next(_numbers)
    with database(live_db_url):
        site = db.session.get(Site, SITE_ID)
        now = clock.now().replace(second=0, microsecond=0)
        today = clock.today()
        leader = _account("134", "测试队长", real_name="陈队长")
        staff = _account("133", "测试社工")
        # A second staff account for the accessibility runs (two logins each).
        staff_axe = _account("133", "无障碍社工")
        for worker in (staff, staff_axe):
            db.session.add(StaffScope(user_id=worker.id, site_id=SITE_ID))
        team = Team(name=f"测试志愿队{n}", brand="四季歌", slogan="邻里守望",
                    home_site_id=SITE_ID)  # fmt: skip
        db.session.add(team)
        db.session.flush()
        db.session.add(Membership(team_id=team.id, user_id=leader.id, status="leader"))
        project = Project(
            title=f"测试助老项目{n}", category="daily_life", community_id=site.community_id,
            site_id=SITE_ID, description="为独居老人上门送餐。", budget_yuan=2000,
            status="publicity", publicity_starts_on=today - timedelta(days=1),
            publicity_ends_on=today + timedelta(days=6),
        )  # fmt: skip
        project.teams.append(team)
        db.session.add(project)
        db.session.flush()
        db.session.add(ProjectComment(project_id=project.id, user_id=leader.id, body="很好的项目"))
        starts = now + timedelta(days=2)
        future = Activity(
            team_id=team.id, project_id=project.id, site_id=SITE_ID, title=f"测试送餐{n}",
            starts_at=starts, ends_at=starts + timedelta(hours=2),
            signup_deadline=starts - timedelta(hours=2), places=12, taken=0,
            hours=Decimal("2"), checkin_code="246810",
        )  # fmt: skip
        began = now - timedelta(hours=4)
        past = Activity(
            team_id=team.id, site_id=SITE_ID, title=f"测试清扫{n}", starts_at=began,
            ends_at=began + timedelta(hours=2), signup_deadline=began - timedelta(hours=2),
            places=40, taken=0, hours=Decimal("2"), checkin_code="135790",
        )  # fmt: skip
        earlier = now - timedelta(days=2)
        older = Activity(
            team_id=team.id, site_id=SITE_ID, title=f"测试探访{n}", starts_at=earlier,
            ends_at=earlier + timedelta(hours=3), signup_deadline=earlier - timedelta(hours=2),
            places=40, taken=0, hours=Decimal("3"), checkin_code="975310",
        )  # fmt: skip
        item = MallItem(site_id=SITE_ID, name=f"测试爱心大米{n}", description="五斤装",
                        points_cost=1, stock=50)  # fmt: skip
        db.session.add_all([future, past, older, item])
        db.session.commit()
        ids = {
            "team": team.id, "team_name": team.name, "project": project.id,
            "future": future.id, "future_title": future.title, "past": past.id,
            "past_title": past.title, "older": older.id, "older_title": older.title,
            "item": item.id, "item_name": item.name,
            "leader": leader.mobile, "staff": staff.mobile, "staff_axe": staff_axe.mobile,
        }  # fmt: skip
    return ids


def user_id(mobile: str) -> int:
    return db.session.scalar(select(User.id).where(User.mobile == mobile))


def give_attended(live_db_url, mobile: str, activity_id: int, hours: str = "2") -> None:
    """The volunteer came to the activity that started hours ago, credited already."""
    with database(live_db_url):
        uid = user_id(mobile)
        activity = db.session.get(Activity, activity_id)
        activity.taken += 1
        signup = Signup(
            activity_id=activity_id, user_id=uid, status="attended",
            checked_in_at=activity.starts_at, hours_credited=Decimal(hours),
        )  # fmt: skip
        db.session.add(signup)
        db.session.flush()
        db.session.add(PointsEntry(user_id=uid, kind="earned", points=int(Decimal(hours)),
                                   reason=activity.title, signup_id=signup.id))  # fmt: skip
        db.session.commit()


# --- Steps ------------------------------------------------------------------------------


def register(page, name: str) -> str:
    mobile = f"134{next(_numbers):08d}"
    helpers.register(page, mobile, name, PASSWORD)
    return mobile


def become_volunteer(page, real_name: str) -> None:
    page.goto("/me/volunteer-profile")
    page.fill("#real_name", real_name)
    page.locator("main form").get_by_role("button", name="保存").click()
    page.wait_for_url("**/me")
    expect(page.locator("body")).to_contain_text("志愿者资料已保存")


def log_in(page, mobile: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


def ask_to_join(page, team_id: int) -> None:
    page.goto(f"/teams/{team_id}")
    page.get_by_role("button", name="申请加入").click()
    expect(page.locator("main")).to_contain_text("您已申请加入，队长会尽快回复。")
    expect(page.locator("body")).to_contain_text("申请已发出，队长会尽快回复。")


def sign_up(page, activity_id: int) -> None:
    """Press 报名 in the sign-up box (htmx swaps the box; without JS the page reloads)."""
    if f"/activities/{activity_id}" not in page.url:
        page.goto(f"/activities/{activity_id}")
    box = page.locator("#signup-box")
    box.get_by_role("button", name="报名", exact=True).click()
    expect(page.locator("body")).to_contain_text("报名成功，谢谢您！")
    box = page.locator("#signup-box")
    expect(box.locator(".badge")).to_have_text("已报名")
    expect(box.get_by_role("button", name="取消报名")).to_be_visible()
    # Days ahead of the activity there is no check-in form to tap by mistake.
    expect(box.locator("#checkin-code")).to_have_count(0)


def stat(page, label: str):
    """The number of one figure on /me/volunteer (e.g. 累计小时, 积分)."""
    item = page.locator("ul.stat-grid li").filter(has_text=re.compile(rf"^\s*\S+\s*{label}\s*$"))
    return item.locator(".stat")


def signups_of(live_db_url, mobile: str, activity_id: int) -> list[str]:
    with database(live_db_url):
        return list(
            db.session.scalars(
                select(Signup.status)
                .where(Signup.user_id == user_id(mobile), Signup.activity_id == activity_id)
                .order_by(Signup.id)
            )
        )


# --- Journeys ---------------------------------------------------------------------------


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_volunteer_joins_signs_up_cancels_and_signs_up_again(request, vol, live_db_url, js):
    page = request.getfixturevalue("page" if js else "page_nojs")
    tag = "js" if js else "nojs"
    mobile = register(page, "报名居民")
    become_volunteer(page, "王报名")
    ask_to_join(page, vol["team"])
    screenshot(page, f"volunteer-team-asked-{tag}")

    page.goto(f"/activities/{vol['future']}")
    # htmx swaps the box alone: a mark on the heading outside it survives
    # (a reload, or a boosted page swap, would bring a new heading).
    if js:
        page.locator("main h1").evaluate("h1 => h1.dataset.stayed = 'yes'")
    sign_up(page, vol["future"])
    screenshot(page, f"volunteer-signed-up-{tag}")
    assert signups_of(live_db_url, mobile, vol["future"]) == ["signed_up"]

    box = page.locator("#signup-box")
    if js:
        dialogs = []

        def accept(dialog):
            dialogs.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        with page.expect_response(lambda r: r.url.endswith("/cancel")) as cancelled:
            box.get_by_role("button", name="取消报名").click()
        assert cancelled.value.request.headers.get("hx-target") == "signup-box"
        expect(page.locator("#signup-box .flash")).to_have_text("已取消报名。")
        assert dialogs == ["确定取消报名吗？"]
        expect(page.locator("main h1")).to_have_attribute("data-stayed", "yes")
    else:
        box.get_by_role("button", name="取消报名").click()
        expect(page.locator("body")).to_contain_text("已取消报名。")
    box = page.locator("#signup-box")
    expect(box.get_by_role("button", name="报名", exact=True)).to_be_visible()
    screenshot(page, f"volunteer-cancelled-{tag}")
    assert signups_of(live_db_url, mobile, vol["future"]) == ["cancelled"]

    sign_up(page, vol["future"])
    if js:
        expect(page.locator("main h1")).to_have_attribute("data-stayed", "yes")
    assert signups_of(live_db_url, mobile, vol["future"]) == ["cancelled", "signed_up"]
    with database(live_db_url):
        activity = db.session.get(Activity, vol["future"])
        active = db.session.scalar(
            select(func.count(Signup.id)).where(
                Signup.activity_id == activity.id, Signup.status == "signed_up"
            )
        )
        assert activity.taken == active, "places taken match the sign-ups holding one"

    # The sign-up shows in the volunteer's own record.
    page.goto("/me/volunteer")
    item = page.locator("li.card", has_text=vol["future_title"])
    expect(item).to_contain_text("已报名")


def test_organiser_approves_marks_attended_and_hours_become_points(
    page, new_page, vol, live_db_url
):
    mobile = register(page, "到场居民")
    become_volunteer(page, "李到场")
    ask_to_join(page, vol["team"])
    with database(live_db_url):
        uid = user_id(mobile)
        activity = db.session.get(Activity, vol["past"])
        activity.taken += 1
        db.session.add(Signup(activity_id=activity.id, user_id=uid, status="signed_up"))
        db.session.commit()

    leader = new_page()
    log_in(leader, vol["leader"])
    leader.goto(f"/teams/{vol['team']}")
    pending = leader.locator("#pending-title + ul li", has_text="到场居民")
    expect(pending).to_have_count(1)
    screenshot(leader, "volunteer-leader-pending")
    pending.get_by_role("button", name="同意", exact=True).click()
    expect(leader.locator("#pending-title + ul li", has_text="到场居民")).to_have_count(0)
    with database(live_db_url):
        membership = db.session.scalar(
            select(Membership).where(
                Membership.team_id == vol["team"], Membership.user_id == user_id(mobile)
            )
        )
        assert membership.status == "member"
    page.goto(f"/teams/{vol['team']}")
    expect(page.locator("main")).to_contain_text("您是队员")

    # The leader organises the team's activity: the roster link is on its page.
    leader.goto(f"/activities/{vol['past']}")
    leader.get_by_role("link", name=re.compile("名单和考勤")).click()
    leader.wait_for_url(f"**/activities/{vol['past']}/roster")
    row = leader.locator("li.card", has_text="到场居民")
    expect(row).to_contain_text("已报名")
    row.get_by_role("button", name="已到", exact=True).click()
    row = leader.locator("li.card", has_text="到场居民")
    expect(row).to_contain_text("已参加")
    expect(row).to_contain_text("记 2 小时")
    screenshot(leader, "volunteer-roster-marked")
    with database(live_db_url):
        signup = db.session.scalar(
            select(Signup).where(Signup.activity_id == vol["past"], Signup.user_id == uid)
        )
        assert (signup.status, signup.hours_credited) == ("attended", Decimal("2"))
        points = db.session.scalars(select(PointsEntry).where(PointsEntry.user_id == uid)).all()
        assert [(e.kind, e.points) for e in points] == [("earned", 2)]

    page.goto("/me/volunteer")
    expect(stat(page, "累计小时")).to_have_text("2")
    expect(stat(page, "积分")).to_have_text("2")  # 1 point per hour: 2 hours, 2 points
    ledger = page.locator("table.ledger")
    expect(ledger.locator("tbody tr", has_text=vol["past_title"])).to_contain_text("+2")
    expect(ledger.locator("tfoot td")).to_have_text("2")
    expect(page.locator("li.card", has_text=vol["past_title"])).to_contain_text("已参加")
    screenshot(page, "volunteer-me-hours")


def test_certificate_is_verified_by_a_stranger(page, new_page, vol, live_db_url):
    """A volunteer gets a certificate; /verify shows what was issued, also after more hours."""
    mobile = register(page, "证明居民")
    become_volunteer(page, "赵证明")
    give_attended(live_db_url, mobile, vol["past"], hours="2")
    page.goto("/me/volunteer")
    page.get_by_role("link", name=re.compile("证明")).first.click()
    page.wait_for_url("**/me/volunteer/certificate")
    page.get_by_role("button", name="开具证明").click()
    page.wait_for_url(re.compile(r"/me/volunteer/certificates/\d+$"))
    certificate = page.locator("article.certificate")
    expect(certificate.get_by_role("heading", level=1)).to_have_text("志愿服务记录证明")
    expect(certificate).to_contain_text("赵证明")
    expect(certificate.locator("tbody tr", has_text=vol["past_title"])).to_contain_text("2")
    text = certificate.inner_text()
    code = re.search(r"核验码：([2-9A-HJKMNP-Z]{10})", text).group(1)
    with database(live_db_url):
        issued = db.session.scalar(select(Certificate).where(Certificate.code == code))
        assert issued.user_id == user_id(mobile) and issued.total_hours == Decimal("2")
    assert re.search(rf"https?://\S+/verify/{code}", text), "the verify URL is shown"
    expect(certificate.locator(".qr svg")).to_be_visible()
    screenshot(page, "volunteer-certificate")

    # More hours later: the issued certificate still shows what it said.
    give_attended(live_db_url, mobile, vol["older"], hours="3")
    stranger = new_page()
    response = stranger.goto(f"/verify/{code}")
    assert response.status == 200
    main = stranger.locator("main")
    expect(main).to_contain_text("这份证明真实有效")
    expect(main.locator(".facts")).to_contain_text("赵证明")
    expect(main.locator(".facts dd", has_text=re.compile(r"^2$"))).to_have_count(1)
    assert vol["older_title"] not in stranger.content()
    assert mobile not in stranger.content() and "证明居民" not in stranger.content()
    screenshot(stranger, "volunteer-verify-valid")

    response = stranger.goto(f"/verify/{code[:-1]}X")
    assert response.status == 404
    expect(stranger.locator("main [role=alert]")).to_contain_text("没有这个核验码的证明")
    assert "赵证明" not in stranger.content()


def test_volunteer_redeems_and_staff_hand_it_over(page, new_page, vol, live_db_url):
    mobile = register(page, "兑换居民")
    become_volunteer(page, "孙兑换")
    with database(live_db_url):
        uid = user_id(mobile)
        db.session.add(PointsEntry(user_id=uid, kind="adjusted", points=10, reason="测试补录"))
        db.session.commit()
        stock_before = db.session.get(MallItem, vol["item"]).stock

    page.goto(f"/mall?site={SITE_ID}")
    expect(page.locator("main")).to_contain_text("您有 10 积分")
    card = page.locator("article.card", has_text=vol["item_name"])
    expect(card).to_have_count(1)
    # With JavaScript the exchange asks to confirm first (points are spent at once).
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="兑换").click()
    page.wait_for_url(re.compile(r"/me/volunteer(#redemptions)?$"))
    expect(page.locator("body")).to_contain_text("兑换成功！")
    exchange = page.locator("#redemptions li.card", has_text=vol["item_name"])
    expect(exchange).to_contain_text("待领取")
    # Shown large and grouped in fours, like a booking code: "6025 9235".
    pick_up = "".join(re.search(r"领取码\s*(\d{4}) (\d{4})", exchange.inner_text()).groups())
    expect(stat(page, "积分")).to_have_text("9")
    expect(page.locator("table.ledger tbody tr", has_text=vol["item_name"])).to_contain_text("-1")
    screenshot(page, "volunteer-exchanged")
    with database(live_db_url):
        redemption = db.session.scalar(select(Redemption).where(Redemption.user_id == uid))
        assert (redemption.code, redemption.status) == (pick_up, "reserved")
        assert db.session.get(MallItem, vol["item"]).stock == stock_before - 1

    staff = new_page()
    log_in(staff, vol["staff"])
    staff.goto(f"/staff/sites/{SITE_ID}/redemptions")
    row = staff.locator("li.card", has_text=pick_up)
    expect(row).to_contain_text(vol["item_name"])
    expect(row).to_contain_text("兑换居民")
    screenshot(staff, "volunteer-staff-redemptions")
    row.get_by_role("button", name="已领取").click()
    row = staff.locator("li.card", has_text=pick_up)
    expect(row.get_by_role("button")).to_have_count(0)
    expect(row.locator(".badge")).to_have_text("已领取")
    with database(live_db_url):
        redemption = db.session.scalar(select(Redemption).where(Redemption.user_id == uid))
        assert redemption.status == "picked_up"

    page.goto("/me/volunteer")
    exchange = page.locator("#redemptions li.card", has_text=vol["item_name"])
    expect(exchange.locator(".badge")).to_have_text("已领取")
    expect(exchange).not_to_contain_text(pick_up)


# --- Accessibility ------------------------------------------------------------------------


def _shot(page, name: str | None, mode: str) -> None:
    """A screenshot under a stable name (no ids or codes), when the page has one."""
    if name:
        screenshot(page, f"volunteer-axe-{name}-{mode}")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_volunteering_pages_are_accessible(page, new_page, vol, live_db_url, elder):
    """axe-core finds nothing on any volunteering page, in normal and elder mode.

    Screenshots only of the pages a resident reads most (full-page shots of
    long lists cost seconds each).
    """
    mode = "elder" if elder else "normal"
    visitor = new_page()
    if elder:
        set_elder_mode(page)
        set_elder_mode(visitor)

    # A volunteer with hours, a pending request, a sign-up and an exchange.
    mobile = register(page, "无障碍居民")
    become_volunteer(page, "周无障碍")
    ask_to_join(page, vol["team"])
    give_attended(live_db_url, mobile, vol["past"])
    page.goto("/me/volunteer/certificate")
    page.get_by_role("button", name="开具证明").click()
    page.wait_for_url(re.compile(r"/me/volunteer/certificates/\d+$"))
    code = re.search(r"核验码：([2-9A-HJKMNP-Z]{10})", page.inner_text("article")).group(1)
    certificate_page = page.url

    # Logged out.
    for path, shot in (
        ("/teams", None),
        (f"/teams/{vol['team']}", None),
        ("/projects", None),
        (f"/projects/{vol['project']}", "project-publicity"),
        ("/activities", None),
        (f"/activities/{vol['future']}", "activity-logged-out"),
        (f"/verify/{code}", "verify-valid"),
        ("/mall", None),
    ):
        response = visitor.goto(path)
        assert response.status == 200, path
        check_axe(visitor)
        _shot(visitor, shot, mode)
    response = visitor.goto("/verify/no-such-code")
    assert response.status == 404
    expect(visitor.locator("main [role=alert]")).to_be_visible()
    check_axe(visitor)
    _shot(visitor, "verify-invalid", mode)

    # Logged in as the volunteer: signed up, asked to join, the record.
    sign_up(page, vol["future"])
    check_axe(page)
    _shot(page, "activity-signed-up", mode)
    page.goto(f"/mall?site={SITE_ID}")
    card = page.locator("article.card", has_text=vol["item_name"])
    # With JavaScript the exchange asks to confirm first (points are spent at once).
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="兑换").click()
    page.wait_for_url(re.compile(r"/me/volunteer(#redemptions)?$"))
    expect(page.locator("#redemptions li.card", has_text=vol["item_name"])).to_contain_text(
        "领取码"
    )
    for path, shot in (
        ("/me/volunteer", "me-volunteer"),
        ("/me/volunteer/certificate", "certificates"),
        (certificate_page, "certificate"),
        (f"/teams/{vol['team']}", None),
        (f"/mall?site={SITE_ID}", "mall"),
    ):
        page.goto(path)
        check_axe(page)
        _shot(page, shot, mode)
    expect(page.locator("main")).to_contain_text("您有")

    # The staff of the site: the team with requests, the activity as its
    # organiser, the roster, the project with opinions to answer, the exchanges.
    staff = new_page()
    if elder:
        set_elder_mode(staff)
    log_in(staff, vol["staff_axe"])
    for path, shot in (
        (f"/teams/{vol['team']}", "team-manager"),
        (f"/activities/{vol['future']}", None),
        (f"/activities/{vol['past']}/roster", "roster"),
        (f"/projects/{vol['project']}", None),
        (f"/staff/sites/{SITE_ID}/redemptions", "staff-redemptions"),
    ):
        response = staff.goto(path)
        assert response.status == 200, path
        check_axe(staff)
        _shot(staff, shot, mode)
    expect(staff.locator("li.card", has_text="无障碍居民").first).to_contain_text("领取码")
