"""Teams from a phone (390×844), JavaScript on and off: a station worker creates a
team from the site's volunteering pages and names its leader and a deputy; a
volunteer asks to join and the deputy approves; the worker approves another
request in place (htmx) or by a reload, and removes a member with a reason,
which the member reads. Every new page passes axe in normal and elder mode.

The accounts are the module's own (own numbers from ``serial``), at a station
of the demo city's first center. Selectors use ids and form actions for the
strings this feature adds (English until their translations are merged) and
Chinese text for the catalogue's existing ones.
"""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import Membership, Site, StaffScope, Team, User, VolunteerProfile
from tests.browser import check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"
CENTER_ID = 1


@contextmanager
def database(live_db_url):
    app = make_app(live_db_url)
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


def _account(name: str, *, real_name: str | None = None) -> User:
    user = User(mobile=f"139{next(serial):08d}", display_name=name,
                password_hash=generate_password_hash(PASSWORD))  # fmt: skip
    db.session.add(user)
    db.session.flush()
    if real_name:
        db.session.add(VolunteerProfile(user_id=user.id, real_name=real_name))
    return user


def _people(live_db_url) -> dict:
    """A worker of a station of the first center, and four volunteers."""
    n = next(serial)
    with database(live_db_url):
        station = db.session.scalar(
            select(Site).where(Site.center_id == CENTER_ID).order_by(Site.id).limit(1)
        )
        worker = _account(f"驿站社工{n}")
        db.session.add(StaffScope(user_id=worker.id, site_id=station.id))
        people = {
            "n": n, "station": station.id, "station_name": station.name, "worker": worker.mobile,
            **{role: _account(f"{label}{n}", real_name=f"{label}{n}").mobile
               for role, label in (("leader", "陈队长"), ("deputy", "林副队"),
                                   ("joiner", "吴申请"), ("second", "郑申请"))},
        }  # fmt: skip
        db.session.commit()
    return people


def log_in(page, mobile: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


def _fits(page) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), page.url


def status_of(live_db_url, team_id: int, mobile: str):
    with database(live_db_url):
        return db.session.scalar(
            select(Membership.status)
            .join(User, User.id == Membership.user_id)
            .where(Membership.team_id == team_id, User.mobile == mobile)
        )


def _create_team(page, people, tag: str) -> int:
    page.goto(f"/staff/sites/{people['station']}/volunteering/teams")
    expect(page.locator("h1")).to_have_text("志愿服务队")
    form = page.locator("#new-team form")
    name = f"测试“四季歌”服务队{people['n']}{tag}"
    form.locator("#team-name").fill(name)
    form.locator("#team-brand").fill("四季歌")
    form.locator("#team-slogan").fill("邻里守望，四季有歌")
    form.locator("#team-description").fill("陪伴独居老人，节日上门慰问。")
    form.locator("#team-skills").fill("陪伴聊天、文艺演出")
    expect(form.locator("#team-home_site_id")).to_have_value(str(people["station"]))
    form.locator("button").click()
    page.wait_for_url(re.compile(r"/volunteering/teams/\d+(#main)?$"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".flash")).to_contain_text(name)
    return int(re.search(r"/teams/(\d+)", page.url).group(1))


def _name(page, mobile: str, who: str, deputy: bool) -> None:
    """Name ``who`` (their number typed with spaces, as people read it out) to a role."""
    form = page.locator("#name-role form")
    form.locator("#role-mobile").fill(f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}")
    form.locator("#role-role-1" if deputy else "#role-role-0").check()
    form.locator("button").click()
    expect(page.locator("main > .flash")).to_contain_text(who)
    page.wait_for_url(re.compile(r"/volunteering/teams/\d+(#members)?$"))


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_station_worker_runs_a_team_from_a_phone(new_page, live_db_url, js):
    people = _people(live_db_url)
    tag = "js" if js else "nojs"
    staff = new_page(java_script_enabled=js)
    log_in(staff, people["worker"])

    # A team, with its leader and a deputy named by their numbers.
    team_id = _create_team(staff, people, tag)
    screenshot(staff, f"teams-console-created-{tag}")
    _name(staff, people["leader"], f"陈队长{people['n']}", deputy=False)
    _name(staff, people["deputy"], f"林副队{people['n']}", deputy=True)
    members = staff.locator("#members")
    expect(members.locator(".member-row", has_text=f"陈队长{people['n']}")).to_contain_text("队长")
    expect(members.locator(".member-row", has_text=f"林副队{people['n']}")).to_be_visible()
    assert status_of(live_db_url, team_id, people["leader"]) == "leader"
    assert status_of(live_db_url, team_id, people["deputy"]) == "deputy"
    _fits(staff)
    screenshot(staff, f"teams-console-named-{tag}")

    # A volunteer asks to join; the team's page shows the leader and the deputy.
    joiner = new_page(java_script_enabled=js)
    log_in(joiner, people["joiner"])
    joiner.goto(f"/teams/{team_id}")
    facts = joiner.locator("dl.facts")
    expect(facts).to_contain_text(f"陈队长{people['n']}")
    expect(facts).to_contain_text(f"林副队{people['n']}")
    joiner.get_by_role("button", name="申请加入").click()
    expect(joiner.locator("main")).to_contain_text("您已申请加入，队长会尽快回复。")
    assert status_of(live_db_url, team_id, people["joiner"]) == "pending"

    # The deputy approves it from the team's page.
    deputy = new_page(java_script_enabled=js)
    log_in(deputy, people["deputy"])
    deputy.goto(f"/teams/{team_id}")
    request = deputy.locator("#pending-title + ul li", has_text=f"吴申请{people['n']}")
    expect(request).to_have_count(1)
    screenshot(deputy, f"teams-deputy-pending-{tag}")
    request.get_by_role("button", name="同意", exact=True).click()
    expect(deputy.locator("#pending-title + ul li", has_text="吴申请")).to_have_count(0)
    assert status_of(live_db_url, team_id, people["joiner"]) == "member"
    # Whom the staff named stays the staff's: no removal offered for the leader.
    expect(deputy.locator("#members")).not_to_contain_text(f"陈队长{people['n']}")

    # Another request, which the worker approves on the console (in place with htmx).
    second = new_page(java_script_enabled=js)
    log_in(second, people["second"])
    second.goto(f"/teams/{team_id}")
    second.get_by_role("button", name="申请加入").click()
    expect(second.locator("main")).to_contain_text("您已申请加入")
    staff.goto(f"/staff/sites/{people['station']}/volunteering/teams/{team_id}")
    row = staff.locator("#requests li", has_text=f"郑申请{people['n']}")
    address = staff.url
    row.get_by_role("button", name="同意", exact=True).click()
    if js:
        # The row answers in place; the page stays; the people's list has them now.
        expect(staff.locator("#requests .flash")).to_contain_text(f"郑申请{people['n']}")
        assert staff.url == address
    else:
        expect(staff.locator("main > .flash")).to_contain_text(f"郑申请{people['n']}")
    expect(staff.locator("#members")).to_contain_text(f"郑申请{people['n']}")
    assert status_of(live_db_url, team_id, people["second"]) == "member"

    # The worker removes a member, with the reason the member reads.
    staff.goto(f"/staff/sites/{people['station']}/volunteering/teams/{team_id}")
    row = staff.locator(".member-row", has_text=f"吴申请{people['n']}")
    row.locator("summary").click()
    row.locator("button.button-danger").click()  # no reason yet: refused, kept open
    row = staff.locator(".member-row", has_text=f"吴申请{people['n']}")
    expect(row.locator(".field-error")).to_be_visible()
    assert status_of(live_db_url, team_id, people["joiner"]) == "member"
    row.locator("input[name$='-reason']").fill("连续半年未参加活动")
    row.locator("button.button-danger").click()
    expect(staff.locator("main > .flash")).to_contain_text(f"吴申请{people['n']}")
    staff.wait_for_url(re.compile(r"/volunteering/teams/\d+(#members)?$"))
    expect(staff.locator("#removed")).to_contain_text("连续半年未参加活动")
    assert status_of(live_db_url, team_id, people["joiner"]) == "removed"
    _fits(staff)
    screenshot(staff, f"teams-console-removed-{tag}")

    joiner.goto(f"/teams/{team_id}")
    expect(joiner.locator("#removed-notice")).to_contain_text("连续半年未参加活动")
    screenshot(joiner, f"teams-removed-member-{tag}")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_every_team_page_passes_axe(new_page, live_db_url, elder):
    """Axe runs with JavaScript on (it hangs without); the markup is the same."""
    people = _people(live_db_url)
    mode = "elder" if elder else "normal"
    with database(live_db_url):
        station = people["station"]
        team = Team(name=f"无障碍服务队{people['n']}", brand="四季歌", slogan="邻里守望",
                    skills="急救、陪伴聊天", description="测试无障碍。",
                    home_site_id=station)  # fmt: skip
        db.session.add(team)
        db.session.flush()
        ids = {m: db.session.scalar(select(User.id).where(User.mobile == people[m]))
               for m in ("leader", "deputy", "joiner", "second")}  # fmt: skip
        for who, status in (("leader", "leader"), ("deputy", "deputy"), ("second", "member"),
                            ("joiner", "pending")):  # fmt: skip
            db.session.add(Membership(team_id=team.id, user_id=ids[who], status=status))
        db.session.commit()
        team_id = team.id

    staff = new_page()
    if elder:
        set_elder_mode(staff)
    log_in(staff, people["worker"])
    for path, shot in (
        (f"/staff/sites/{station}/volunteering/teams", "teams-console-index"),
        (f"/staff/sites/{station}/volunteering/teams/{team_id}", "teams-console-team"),
        ("/teams", "teams-list"),
        ("/teams?skill=急救&q=无障碍", "teams-list-filtered"),
        (f"/teams/{team_id}", None),
    ):
        response = staff.goto(path)
        assert response.status == 200, path
        check_axe(staff)
        _fits(staff)
        if shot:
            screenshot(staff, f"{shot}-{mode}")
    # A refused form, its messages beside the fields.
    staff.goto(f"/staff/sites/{station}/volunteering/teams")
    staff.locator("#new-team button").click()
    expect(staff.locator("#new-team .error-summary")).to_be_visible()
    check_axe(staff)
    screenshot(staff, f"teams-console-refused-{mode}")

    deputy = new_page()
    if elder:
        set_elder_mode(deputy)
    log_in(deputy, people["deputy"])
    deputy.goto(f"/teams/{team_id}")
    expect(deputy.locator("#pending-title")).to_be_visible()
    deputy.locator("#members summary").first.click()
    check_axe(deputy)
    _fits(deputy)
    screenshot(deputy, f"teams-deputy-{mode}")
