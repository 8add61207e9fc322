"""Small wishes (微心愿): the rules with a frozen clock, then every page.

Posting checks what people type (no numbers on the public wall, a first name
only, an age, a date in the window); a wish moves open → claimed → fulfilled,
or back to open, or withdrawn, and nothing else; the claimant is credited once,
through the points ledger, by the community's rule or the wish's own points.
"""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Notification, PointsEntry, Wish, WishRule
from app.volunteers.points import balance
from app.wishes import service
from app.wishes.service import WishError

from . import factories as f

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ)  # a Monday morning
TODAY = NOW.date()
SOON = (TODAY + timedelta(days=10)).isoformat()


@pytest.fixture
def town(app, freeze):
    freeze(NOW)
    center = f.site(name="东方中心")
    other = f.site(name="梅园中心")
    people = {
        "wisher": f.user("王阿姨"),
        "volunteer": f.volunteer("小李"),
        "second": f.volunteer("小赵"),
        "resident": f.user("路人"),
        "staff": f.user("社工", staff_of=(center,)),
        "other_staff": f.user("别的社工", staff_of=(other,)),
        "admin": f.user("管理员", admin=True),
    }
    db.session.commit()
    return {"center": center, "community": center.community, "other": other, **people}


def post(town, who="wisher", **fields):
    values = {"what": "一副老花镜", "for_name": "王奶奶", "for_age": "82",
              "place": "3号楼东门", "due_on": SOON, **fields}  # fmt: skip
    return service.post_wish(town[who], town["community"].id, **values)


def refused(reason, call, *args, **kwargs):
    with pytest.raises(WishError) as caught:
        call(*args, **kwargs)
    assert caught.value.reason == reason, caught.value.message
    return caught.value


def ledger(user_id):
    db.session.rollback()
    return db.session.scalars(
        select(PointsEntry).where(PointsEntry.user_id == user_id).order_by(PointsEntry.id)
    ).all()


# Posting ------------------------------------------------------------------------------


def test_a_resident_posts_a_wish(town):
    wish = post(town)
    assert (wish.status, wish.wisher_id, wish.logged_by_id) == ("open", town["wisher"].id, None)
    assert (wish.what, wish.for_name, wish.for_age, wish.place) == (
        "一副老花镜", "王奶奶", 82, "3号楼东门")  # fmt: skip
    assert wish.due_on.isoformat() == SOON


@pytest.mark.parametrize(
    ("fields", "reason", "field"),
    [
        ({"what": ""}, "required", "what"),
        ({"what": "  \t "}, "required", "what"),
        ({"what": "书" * 61}, "too_long", "what"),
        ({"what": "请打13812345678"}, "number", "what"),
        ({"what": "请打１３８１２３４５６７８"}, "number", "what"),  # full-width digits
        ({"place": "电话 138-1234-5678"}, "number", "place"),
        ({"for_name": "王建国王建国王建国王建国"}, "too_long", "for_name"),
        ({"for_name": "王奶奶2"}, "name_digits", "for_name"),
        ({"for_age": "121"}, "age", "for_age"),
        ({"for_age": "-1"}, "age", "for_age"),
        ({"for_age": "NaN"}, "age", "for_age"),
        ({"for_age": "99999999999999999999"}, "age", "for_age"),
        ({"due_on": ""}, "due_missing", "due_on"),
        ({"due_on": "9999-12-31"}, "due_window", "due_on"),
        ({"due_on": "0001-01-01"}, "due_window", "due_on"),
        ({"due_on": (TODAY - timedelta(days=1)).isoformat()}, "due_window", "due_on"),
        ({"due_on": (TODAY + timedelta(days=91)).isoformat()}, "due_window", "due_on"),
        ({"due_on": "2026-13-45"}, "due_format", "due_on"),
        ({"due_on": "x" * 5000}, "due_format", "due_on"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(town, fields, reason, field):
    error = refused(reason, post, town, **fields)
    assert error.field == field
    assert db.session.scalar(select(func.count(Wish.id))) == 0


def test_full_width_age_and_date_are_read(town):
    wish = post(town, for_age="８２", due_on="２０２６-１２-０３")
    assert wish.for_age == 82 and wish.due_on.isoformat() == "2026-12-03"


def test_the_last_day_of_the_window_is_taken(town):
    wish = post(town, due_on=(TODAY + timedelta(days=90)).isoformat(), for_age="")
    assert wish.for_age is None


def test_staff_post_for_an_elder_and_it_is_audited(town):
    wish = post(town, "staff", for_someone=True, credit_points="20")
    assert (wish.wisher_id, wish.logged_by_id, wish.credit_points) == (None, town["staff"].id, 20)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "wish.posted_for"))
    assert entry.actor_id == town["staff"].id and entry.target_id == wish.id
    assert entry.site_id == town["center"].id


def test_staff_of_another_community_cannot_post_for_it(town):
    refused("scope", post, town, "other_staff", for_someone=True)


def test_staff_credit_points_are_bounded(town):
    refused("points", post, town, "staff", for_someone=True, credit_points="101")
    refused("points", post, town, "staff", for_someone=True, credit_points="１e2")


def test_a_site_of_another_community_is_refused(town):
    refused("site", post, town, "staff", for_someone=True, site_id=town["other"].id)


# Claiming, releasing, confirming, withdrawing --------------------------------------------


def test_claim_and_confirm_credit_the_volunteer_once_by_the_default_rule(town):
    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    told = db.session.scalars(select(Notification).where(
        Notification.user_id == town["wisher"].id)).all()  # fmt: skip
    assert [n.kind for n in told] == ["wish_claimed"]
    done = service.confirm(town["wisher"], wish.id)
    assert done.status == "fulfilled" and done.confirmed_by_id == town["wisher"].id
    [entry] = ledger(town["volunteer"].id)
    assert (entry.kind, entry.points, entry.reason) == ("earned", 10, "微心愿：一副老花镜")
    assert done.points_entry_id == entry.id and done.credited_points == 10
    assert balance(town["volunteer"].id) == 10
    kinds = db.session.scalars(select(Notification.kind).where(
        Notification.user_id == town["volunteer"].id)).all()  # fmt: skip
    assert kinds == ["wish_fulfilled"]
    # A second confirmation is refused and credits nothing more.
    refused("state", service.confirm, town["wisher"], wish.id)
    assert len(ledger(town["volunteer"].id)) == 1


def test_the_community_rule_and_the_wish_points_decide_the_credit(town):
    service.set_rule(town["staff"], town["community"].id, "5", "1.5")
    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    done = service.confirm(town["staff"], wish.id)
    assert (done.credited_points, done.credited_hours) == (5, Decimal("1.5"))
    own = post(town, "staff", for_someone=True, credit_points="30")
    service.claim(town["second"], own.id)
    assert service.confirm(town["staff"], own.id).credited_points == 30
    assert balance(town["second"].id) == 30
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["wish.rule_set", "wish.fulfilled", "wish.posted_for", "wish.fulfilled"]


def test_a_rule_of_zero_points_writes_no_ledger_line(town):
    service.set_rule(town["staff"], town["community"].id, "0", "2")
    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    done = service.confirm(town["wisher"], wish.id)
    assert done.points_entry_id is None and done.credited_hours == Decimal(2)
    assert ledger(town["volunteer"].id) == []


@pytest.mark.parametrize(("points", "hours", "reason"), [
    ("101", "1", "points"), ("-1", "1", "points"), ("1", "8.5", "hours"), ("1", "NaN", "hours"),
    ("1", "inf", "hours"), ("x" * 5000, "1", "points"), ("1", "1.234", "hours"),
])  # fmt: skip
def test_a_bad_rule_is_refused(town, points, hours, reason):
    refused(reason, service.set_rule, town["staff"], town["community"].id, points, hours)
    assert db.session.get(WishRule, town["community"].id) is None


def test_staff_of_another_community_cannot_set_its_rule(town):
    refused("scope", service.set_rule, town["other_staff"], town["community"].id, "5", "1")


def test_a_second_claim_is_refused(town):
    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    error = refused("state", service.claim, town["second"], wish.id)
    assert "已" in error.message or "already" in error.message
    assert db.session.get(Wish, wish.id).claimed_by_id == town["volunteer"].id


def test_a_resident_without_a_volunteer_profile_cannot_claim(town):
    wish = post(town)
    refused("not_volunteer", service.claim, town["resident"], wish.id)


def test_the_wisher_cannot_claim_their_own_wish(town):
    from app.models import VolunteerProfile

    db.session.add(VolunteerProfile(user_id=town["wisher"].id, real_name="王芳", skills=""))
    db.session.commit()
    wish = post(town)
    refused("own", service.claim, town["wisher"], wish.id)


def test_a_wish_past_its_date_cannot_be_claimed(town, freeze):
    wish = post(town, due_on=(TODAY + timedelta(days=1)).isoformat())
    freeze(NOW + timedelta(days=2))
    refused("past", service.claim, town["volunteer"], wish.id)


def test_release_opens_the_wish_again_for_another(town):
    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    refused("not_claimant", service.release, town["second"], wish.id)
    again = service.release(town["volunteer"], wish.id)
    assert (again.status, again.claimed_by_id, again.claimed_at) == ("open", None, None)
    assert service.claim(town["second"], wish.id).claimed_by_id == town["second"].id


def test_refused_transitions(town):
    wish = post(town)
    refused("state", service.confirm, town["wisher"], wish.id)  # open: nothing to confirm
    refused("state", service.release, town["staff"], wish.id)
    service.claim(town["volunteer"], wish.id)
    refused("not_wisher", service.confirm, town["volunteer"], wish.id)
    refused("not_wisher", service.confirm, town["other_staff"], wish.id)
    refused("not_wisher", service.withdraw, town["second"], wish.id)
    service.confirm(town["wisher"], wish.id)
    refused("state", service.withdraw, town["wisher"], wish.id)
    refused("state", service.release, town["volunteer"], wish.id)
    refused("state", service.claim, town["second"], wish.id)
    refused("missing", service.claim, town["second"], 2**31 - 1)


def test_withdrawing_a_claimed_wish_tells_the_volunteer(town):
    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    assert service.withdraw(town["wisher"], wish.id).status == "withdrawn"
    kinds = db.session.scalars(select(Notification.kind).where(
        Notification.user_id == town["volunteer"].id)).all()  # fmt: skip
    assert kinds == ["wish_withdrawn"]
    refused("state", service.claim, town["second"], wish.id)
    refused("state", service.confirm, town["wisher"], wish.id)


def test_a_co_building_unit_claims_and_is_not_credited(town):
    wish = post(town)
    refused("required", service.claim_for_unit, town["staff"], wish.id, "  ")
    refused("too_long", service.claim_for_unit, town["staff"], wish.id, "单" * 41)
    refused("scope", service.claim_for_unit, town["other_staff"], wish.id, "区税务局")
    claimed = service.claim_for_unit(town["staff"], wish.id, "区税务局党支部")
    assert (claimed.status, claimed.claimed_unit, claimed.claimed_by_id) == (
        "claimed", "区税务局党支部", None)  # fmt: skip
    done = service.confirm(town["staff"], wish.id)
    assert done.credited_points == 0 and done.points_entry_id is None
    assert db.session.scalar(select(func.count(PointsEntry.id))) == 0


def test_the_place_is_for_the_wisher_the_claimant_and_the_staff(town):
    wish = post(town)
    assert service.can_see_place(town["wisher"], wish)
    assert service.can_see_place(town["staff"], wish)
    assert not service.can_see_place(town["volunteer"], wish)
    assert not service.can_see_place(town["other_staff"], wish)
    assert not service.can_see_place(None, wish)
    service.claim(town["volunteer"], wish.id)
    assert service.can_see_place(town["volunteer"], db.session.get(Wish, wish.id))


# Deleting an account -----------------------------------------------------------------


def test_deleting_the_wisher_withdraws_and_blanks_their_wishes(town):
    from app import personal

    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    granted = post(town, what="陪我下棋")
    service.claim(town["second"], granted.id)
    service.confirm(town["wisher"], granted.id)
    exported = personal.export(town["wisher"])["wishes"]
    assert [w["what"] for w in exported] == ["一副老花镜", "陪我下棋"]
    personal.erase(town["wisher"])
    db.session.commit()
    db.session.expire_all()
    first, second = db.session.get(Wish, wish.id), db.session.get(Wish, granted.id)
    assert (first.status, first.for_name, first.place) == ("withdrawn", "", "")
    assert (second.status, second.for_name) == ("fulfilled", "")
    assert balance(town["second"].id) == 10  # the ledger stays


def test_deleting_a_claimant_puts_the_wish_back_on_the_wall(town):
    from app import personal

    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    assert personal.export(town["volunteer"])["wishes_claimed"][0]["status"] == "claimed"
    personal.erase(town["volunteer"])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).status == "open"
