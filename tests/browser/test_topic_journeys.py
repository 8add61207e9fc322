"""Deliberation (议事) on a phone (390×844), JavaScript on and off: a resident
proposes a topic, neighbours support it to the community's threshold, staff book
a meeting in a room of the first center through the booking engine, write the
record and publish the decision, and a resident rates the outcome. Every
deliberation page passes axe-core in normal and elder mode.

The accounts are the module's own (numbers from ``tests.browser.serial``), in
the live database of the demo city; the first center's community is the one.
"""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.models import Home, Meeting, Service, Site, Slot, StaffScope, Topic, TopicRule, User
from tests.browser import check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"
SITE_ID = 1
HANZI = str.maketrans("0123456789", "〇一二三四五六七八九")


def people(db_url: str) -> dict:
    """A proposer and two neighbours at home in the first center's community, its
    staff, a threshold of 2, and a free hour of a bookable room there."""
    app = make_app(db_url)
    with app.app_context():
        n = next(serial)
        hashed = generate_password_hash(PASSWORD)
        users = [User(mobile=f"{p}{n:08d}", display_name=f"{name}{n}", password_hash=hashed)
                 for p, name in (("135", "提议人"), ("136", "邻居甲"), ("137", "邻居乙"),
                                 ("138", "议事社工"))]  # fmt: skip
        db.session.add_all(users)
        db.session.flush()
        community_id = db.session.get(Site, SITE_ID).community_id
        for u in users[:3]:
            db.session.add(Home(user_id=u.id, community_id=community_id))
        db.session.add(StaffScope(user_id=users[3].id, site_id=SITE_ID))
        rule = db.session.get(TopicRule, community_id)
        if rule is None:
            db.session.add(TopicRule(community_id=community_id, threshold=2))
        else:
            rule.threshold = 2
        service = db.session.scalar(
            select(Service).where(Service.site_id == SITE_ID, Service.bookable.is_(True),
                                  Service.category == "venue")
            .order_by(Service.id)
        )  # fmt: skip
        # Tomorrow, inside the booking window; the odd seconds keep it off the demo's hours.
        start = clock.now().replace(minute=0, second=7, microsecond=0) + timedelta(
            days=1, minutes=n % 600
        )
        slot = Slot(service_id=service.id, starts_at=start, ends_at=start + timedelta(hours=1),
                    capacity=1, taken=0)  # fmt: skip
        db.session.add(slot)
        db.session.commit()
        found = {"tag": str(n).translate(HANZI), "mobiles": [u.mobile for u in users],
                 "community": community_id, "slot": slot.id, "room": service.id,
                 "day": clock.local(start).date().isoformat()}  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    return found


def run(db_url: str, action):
    app = make_app(db_url)
    with app.app_context():
        try:
            result = action(db.session)
            db.session.commit()
            return result
        finally:
            db.session.remove()
            db.engine.dispose()


def log_in(page, mobile: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


def fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def submit(page, action_suffix: str) -> None:
    page.locator(f'main form[action$="{action_suffix}"] button').first.click()


def journey(new_page, db_url, js, elder=False, axe=False):
    who = people(db_url)
    mode = ("js" if js else "nojs") + ("-elder" if elder else "")
    title = f"加装电梯{who['tag']}"

    def page_for(mobile):
        page = new_page(java_script_enabled=js)
        if elder:
            set_elder_mode(page)
        log_in(page, mobile)
        return page

    def look(page, name):
        fits(page)
        if axe:
            check_axe(page)
        screenshot(page, f"topics-{name}-{mode}")

    # 1. A resident proposes a topic; an empty one is refused first.
    proposer = page_for(who["mobiles"][0])
    proposer.goto("/topics/new")
    submit(proposer, "/topics/new")
    expect(proposer.locator(".error-summary")).to_be_visible()
    look(proposer, "new-refused")
    proposer.fill("#title", title)
    proposer.fill("#text", "楼里老人多，上下楼困难。")
    submit(proposer, "/topics/new")
    proposer.wait_for_url(re.compile(r"/topics/\d+$"))
    topic_id = int(proposer.url.rsplit("/", 1)[1])
    expect(proposer.locator("#topic-status")).to_contain_text("征集附议中")
    look(proposer, "proposed")

    # 2. Two neighbours support it: the second brings it to the agenda.
    for mobile in who["mobiles"][1:3]:
        neighbour = page_for(mobile)
        neighbour.goto(f"/topics/{topic_id}")
        submit(neighbour, f"/topics/{topic_id}/support")
        neighbour.wait_for_url(f"**/topics/{topic_id}")
        expect(neighbour.locator(".flash")).to_be_visible()
    expect(neighbour.locator("#topic-status")).to_contain_text("已列入议程")
    look(neighbour, "agenda")

    # 3. Staff book a meeting in a free hour of the center's room.
    staff = page_for(who["mobiles"][3])
    base = f"/staff/communities/{who['community']}/topics"
    staff.goto(base)
    look(staff, "staff")
    staff.locator("#topic-schedule summary").click()
    # Choose the room and the day first; the form then lists that room's free times.
    staff.select_option("#finder-room", str(who["room"]))
    staff.fill("#finder-day", who["day"])
    staff.locator("#finder-show").click()
    staff.wait_for_url("**day=*")
    expect(staff.locator("#topic-schedule")).to_have_attribute("open", "")
    look(staff, "finder")
    staff.select_option("#meeting-topics", str(topic_id))
    staff.select_option("#meeting-slot", str(who["slot"]))
    submit(staff, "/topics/meetings")
    expect(staff.locator(".flash")).to_be_visible()
    staff.goto(f"{base}/{topic_id}")
    expect(staff.locator("#topic-status")).to_contain_text("已安排议事会")
    look(staff, "scheduled")

    # 4. The day of the meeting comes (the test moves the meeting's start into the past).
    def started(session):
        meeting = session.scalar(select(Meeting).join(Topic).where(Topic.id == topic_id))
        meeting.starts_at = clock.now() - timedelta(minutes=5)

    run(db_url, started)
    staff.reload()
    staff.locator("#topic-record-form summary").click()
    staff.fill("#record-minutes", "讨论了费用分摊。")
    for field, value in (
        ("residents", "10"),
        ("owners_committee", "３"),
        ("property_company", "1"),
        ("party_committee", "1"),
        ("votes_for", "12"),
        ("votes_against", "2"),
        ("votes_abstain", "1"),
    ):
        staff.fill(f"#record-{field}", value)  # fmt: skip
    staff.fill("#record-decision", "同意加装，业主按楼层分摊。")
    submit(staff, "/record")
    expect(staff.locator("#record-owners_committee-error")).to_be_visible()  # full-width 3
    look(staff, "record-refused")
    staff.fill("#record-owners_committee", "3")
    submit(staff, "/record")
    expect(staff.locator(".flash")).to_be_visible()
    submit(staff, "/publish")
    expect(staff.locator("#topic-status")).to_contain_text("决议已公开")

    # 5. The decision shows on the public page, and a neighbour rates the outcome.
    neighbour.goto(f"/topics/{topic_id}")
    expect(neighbour.locator("#topic-decision")).to_contain_text("同意加装")
    expect(neighbour.locator("#topic-decision")).to_contain_text("赞成 12")
    neighbour.locator('label[for="rate-rating-0"]').click()
    submit(neighbour, f"/topics/{topic_id}/rate")
    expect(neighbour.locator("#topic-ratings")).to_contain_text("您的评价")
    look(neighbour, "published")
    neighbour.goto(f"/topics?community={who['community']}")
    expect(neighbour.locator("main")).to_contain_text(title)
    look(neighbour, "list")

    def outcome(session):
        topic = session.get(Topic, topic_id)
        return topic.status, topic.supports, topic.meeting.booking.status

    assert run(db_url, outcome) == ("published", 2, "booked")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_topic_gathers_support_a_meeting_is_booked_and_the_decision_is_published(
    new_page, live_db_url, js
):
    journey(new_page, live_db_url, js)


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_every_topic_page_passes_axe(new_page, live_db_url, elder):
    journey(new_page, live_db_url, True, elder=elder, axe=True)
