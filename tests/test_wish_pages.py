"""Every wish page, as people use them: status, what the page says, what the
database holds afterwards, and bad input refused with a message (422) while
nothing changes."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, PointsEntry, Wish, WishRule
from app.wishes import service

from . import factories as f
from .test_wishes import NOW, SOON, TODAY, post, town  # noqa: F401 (the town fixture)

NEW = {"what": "一副老花镜", "for_name": "王奶奶", "for_age": "82", "place": "3号楼东门",
       "due_on": SOON}  # fmt: skip


def wishes_count():
    db.session.rollback()
    return db.session.scalar(select(func.count(Wish.id)))


def fresh(wish_id):
    db.session.rollback()
    return db.session.get(Wish, wish_id)


# The wall ----------------------------------------------------------------------------


def test_the_wall_shows_open_claimed_and_granted_but_no_place(client, town):  # noqa: F811
    shown = post(town)
    claimed = post(town, what="陪我下棋")
    service.claim(town["volunteer"], claimed.id)
    gone = post(town, what="撤回的心愿")
    service.withdraw(town["wisher"], gone.id)
    page = client.get("/wishes")
    assert page.status_code == 200
    assert "一副老花镜" in page.text and "陪我下棋" in page.text and "撤回的心愿" not in page.text
    assert "王奶奶" in page.text and "82" in page.text and town["community"].name in page.text
    assert "3号楼东门" not in page.text and "王阿姨" not in page.text
    assert "待认领" in page.text and "已认领" in page.text
    only_open = client.get("/wishes", query_string={"status": "open"}).text
    assert "一副老花镜" in only_open and "陪我下棋" not in only_open
    other = client.get("/wishes", query_string={"community": town["other"].community_id}).text
    assert "一副老花镜" not in other and "还没有心愿" not in other
    assert client.get(f"/wishes/{shown.id}").status_code == 200


def test_the_wall_swaps_its_results_for_htmx(client, town):  # noqa: F811
    post(town)
    response = client.get("/wishes", headers={"HX-Request": "true", "HX-Target": "wish-results"})
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="wish-results"' in response.text and "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("args", [
    {"page": "99999999999999999999"}, {"page": "１"}, {"community": str(2**31)},
    {"community": "NaN"}, {"status": "withdrawn"}, {"status": "x" * 5000}, {"page": "-1"},
])  # fmt: skip
def test_the_wall_takes_bad_filters_as_none(client, town, args):  # noqa: F811
    post(town)
    response = client.get("/wishes", query_string=args)
    assert response.status_code == 200 and "一副老花镜" in response.text


def test_the_wall_pages(client, town):  # noqa: F811
    for n in range(22):
        post(town, what=f"心愿{n:02d}")
    first = client.get("/wishes").text
    assert "心愿21" in first and "心愿01" not in first and 'rel="next"' in first
    second = client.get("/wishes", query_string={"page": "2"}).text
    assert "心愿01" in second and "心愿21" not in second


# Posting -------------------------------------------------------------------------------


def test_posting_asks_to_log_in(client, town):  # noqa: F811
    response = client.get("/wishes/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_resident_posts_a_wish_from_the_page(client, auth, town):  # noqa: F811
    auth.login(town["wisher"])
    page = client.get("/wishes/new")
    assert page.status_code == 200 and town["community"].name in page.text
    response = client.post("/wishes/new", data={**NEW, "community": town["community"].id})
    assert response.status_code == 303
    db.session.rollback()
    wish = db.session.scalar(select(Wish))
    assert response.headers["Location"] == f"/wishes/{wish.id}"
    assert (wish.wisher_id, wish.what, wish.place) == (town["wisher"].id, "一副老花镜", "3号楼东门")
    page = client.get(f"/wishes/{wish.id}").text
    assert "3号楼东门" in page and "撤回心愿" in page  # the wisher sees the place


@pytest.mark.parametrize(("field", "value", "message"), [
    ("what", "", "请填写"),
    ("what", "x" * 5000, "不超过 60 个字"),
    ("what", "打电话13812345678", "请勿填写电话"),
    ("for_name", "王奶奶１２", "不要写数字"),
    ("for_age", "１２１", "0 到 120"),
    ("for_age", "NaN", "0 到 120"),
    ("due_on", "9999-12-31", "2026-11-23"),
    ("due_on", "0001-01-01", "2026-11-23"),
    ("due_on", "2026-13-45", "格式"),
    ("community", "99999999999999999999", "请选择社区"),
    ("community", "", "请选择社区"),
])  # fmt: skip
def test_bad_input_comes_back_with_a_message(client, auth, town, field, value, message):  # noqa: F811
    auth.login(town["wisher"])
    data = {**NEW, "community": town["community"].id, field: value}
    response = client.post("/wishes/new", data=data)
    assert response.status_code == 422 and message in response.text, response.text[-3000:]
    assert wishes_count() == 0


def test_a_nul_byte_is_refused_before_the_form(client, auth, town):  # noqa: F811
    auth.login(town["wisher"])
    data = {**NEW, "community": town["community"].id, "what": "眼镜\x00"}
    assert client.post("/wishes/new", data=data).status_code == 400
    assert wishes_count() == 0


# One wish: claim, release, confirm, withdraw --------------------------------------------


def test_a_visitor_sees_the_wish_and_is_asked_to_log_in(client, town):  # noqa: F811
    wish = post(town)
    page = client.get(f"/wishes/{wish.id}")
    assert page.status_code == 200 and "登录后认领" in page.text and "3号楼东门" not in page.text
    assert "10 积分" in page.text  # what granting it earns
    response = client.post(f"/wishes/{wish.id}/claim")
    assert response.status_code == 302 and fresh(wish.id).status == "open"


def test_claim_then_confirm_then_the_points_show(client, auth, town):  # noqa: F811
    wish = post(town)
    auth.login(town["volunteer"])
    response = client.post(f"/wishes/{wish.id}/claim")
    assert response.status_code == 303 and response.headers["Location"] == f"/wishes/{wish.id}"
    page = client.get(f"/wishes/{wish.id}").text
    assert "3号楼东门" in page and "您已认领" in page and "放弃认领" in page
    assert fresh(wish.id).claimed_by_id == town["volunteer"].id
    auth.logout()
    auth.login(town["wisher"])
    assert client.post(f"/wishes/{wish.id}/fulfilled").status_code == 303
    again = client.post(f"/wishes/{wish.id}/fulfilled")  # a double tap
    assert again.status_code == 303
    assert "已经完成" in client.get(f"/wishes/{wish.id}").text
    db.session.rollback()
    assert db.session.scalar(select(func.count(PointsEntry.id))) == 1
    auth.logout()
    auth.login(town["volunteer"])
    page = client.get(f"/wishes/{wish.id}").text
    assert "感谢您完成这个心愿" in page and "10 积分" in page
    me = client.get("/me/volunteer").text
    assert "微心愿：一副老花镜" in me


def test_a_resident_without_a_profile_is_sent_to_fill_it_in(client, auth, town):  # noqa: F811
    wish = post(town)
    auth.login(town["resident"])
    response = client.post(f"/wishes/{wish.id}/claim")
    assert response.status_code == 303 and response.headers["Location"] == "/me/volunteer-profile"
    assert fresh(wish.id).status == "open"


def test_a_second_volunteer_is_told_it_is_taken(client, auth, town):  # noqa: F811
    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    auth.login(town["second"])
    response = client.post(f"/wishes/{wish.id}/claim", follow_redirects=True)
    assert "已被他人认领" in response.text
    assert fresh(wish.id).claimed_by_id == town["volunteer"].id
    assert client.post(f"/wishes/{wish.id}/release").status_code == 303
    assert fresh(wish.id).claimed_by_id == town["volunteer"].id  # not theirs to let go
    assert client.post(f"/wishes/{wish.id}/fulfilled").status_code == 303
    assert fresh(wish.id).status == "claimed"


def test_the_volunteer_releases_and_the_wisher_withdraws(client, auth, town):  # noqa: F811
    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    auth.login(town["volunteer"])
    assert client.post(f"/wishes/{wish.id}/release").status_code == 303
    assert fresh(wish.id).status == "open"
    auth.logout()
    auth.login(town["wisher"])
    assert client.post(f"/wishes/{wish.id}/withdraw").status_code == 303
    assert fresh(wish.id).status == "withdrawn"
    assert client.get(f"/wishes/{wish.id}").status_code == 200  # still theirs to see
    auth.logout()
    assert client.get(f"/wishes/{wish.id}").status_code == 404


def test_unknown_and_huge_ids_are_404(client, auth, town):  # noqa: F811
    auth.login(town["volunteer"])
    for path in (f"/wishes/{2**31 - 1}", f"/wishes/{2**31}", "/wishes/１", "/wishes/0"):
        assert client.get(path).status_code == 404, path
        assert client.post(path + "/claim").status_code in (404, 405), path


# Staff ---------------------------------------------------------------------------------


def staff_path(world, rest=""):
    return f"/staff/communities/{world['community'].id}/wishes{rest}"


def test_the_staff_page_lists_the_community_wishes_with_the_place(client, auth, town):  # noqa: F811
    wish = post(town)
    auth.login(town["staff"])
    page = client.get(staff_path(town))
    assert page.status_code == 200 and "一副老花镜" in page.text and "3号楼东门" in page.text
    assert "代发心愿" in page.text and "保存规则" in page.text
    assert client.get(staff_path(town), query_string={"status": "fulfilled"}).text.count(
        f'id="wish-{wish.id}"') == 0  # fmt: skip
    home = client.get("/staff/").text
    assert staff_path(town) in home


def test_staff_of_another_community_and_residents_get_403(client, auth, town):  # noqa: F811
    auth.login(town["other_staff"])
    assert client.get(staff_path(town)).status_code == 403
    auth.logout()
    auth.login(town["resident"])
    assert client.get(staff_path(town)).status_code == 403


def test_staff_post_for_an_elder_with_their_account(client, auth, town):  # noqa: F811
    auth.login(town["staff"])
    data = {f"wish-{k}": v for k, v in NEW.items()}
    data.update({"wish-mobile": "＋86 " + town["wisher"].mobile, "wish-credit_points": "２０",
                 "wish-site": str(town["center"].id)})  # fmt: skip
    response = client.post(staff_path(town), data=data)
    assert response.status_code == 303, response.text[-2000:]
    db.session.rollback()
    wish = db.session.scalar(select(Wish))
    assert (wish.wisher_id, wish.logged_by_id, wish.credit_points, wish.site_id) == (
        town["wisher"].id, town["staff"].id, 20, town["center"].id)  # fmt: skip
    assert db.session.scalar(select(AuditEntry.action)) == "wish.posted_for"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("wish-mobile", "13000000000", "没有使用这个手机号的账号"),
    ("wish-credit_points", "101", "0 到 100"),
    ("wish-site", "99999999999999999999", "请选择本社区的站点"),
    ("wish-due_on", (TODAY + timedelta(days=400)).isoformat(), "2026-11-23"),
    ("wish-what", "", "请填写"),
])  # fmt: skip
def test_staff_bad_input_is_422(client, auth, town, field, value, message):  # noqa: F811
    auth.login(town["staff"])
    data = {f"wish-{k}": v for k, v in NEW.items()} | {field: value}
    response = client.post(staff_path(town), data=data)
    assert response.status_code == 422 and message in response.text
    assert wishes_count() == 0


def test_staff_set_the_rule(client, auth, town):  # noqa: F811
    auth.login(town["staff"])
    response = client.post(
        staff_path(town, "/rule"), data={"rule-points": "５", "rule-hours": "1.5"}
    )
    assert response.status_code == 303
    db.session.rollback()
    rule = db.session.get(WishRule, town["community"].id)
    assert (rule.points, float(rule.hours)) == (5, 1.5)
    bad = client.post(staff_path(town, "/rule"), data={"rule-points": "1000", "rule-hours": "1"})
    assert bad.status_code == 422 and "0 到 100" in bad.text
    bad = client.post(staff_path(town, "/rule"), data={"rule-points": "1", "rule-hours": "inf"})
    assert bad.status_code == 422 and "1.5" in bad.text
    assert db.session.get(WishRule, town["community"].id, populate_existing=True).points == 5


def test_staff_record_a_unit_confirm_and_withdraw(client, auth, town):  # noqa: F811
    wish, other = post(town), post(town, what="陪我下棋")
    auth.login(town["staff"])
    bad = client.post(staff_path(town, f"/{wish.id}/unit"), data={f"wish{wish.id}-unit": ""})
    assert bad.status_code == 422 and "请填写" in bad.text
    long = client.post(staff_path(town, f"/{wish.id}/unit"),
                       data={f"wish{wish.id}-unit": "单" * 5000})  # fmt: skip
    assert long.status_code == 422 and fresh(wish.id).status == "open"
    response = client.post(staff_path(town, f"/{wish.id}/unit"),
                           data={f"wish{wish.id}-unit": "区税务局党支部"})  # fmt: skip
    assert response.status_code == 303 and fresh(wish.id).claimed_unit == "区税务局党支部"
    assert "区税务局党支部" in client.get(f"/wishes/{wish.id}").text  # a unit is named publicly
    assert client.post(staff_path(town, f"/{wish.id}/confirm")).status_code == 303
    assert fresh(wish.id).status == "fulfilled"
    assert client.post(staff_path(town, f"/{other.id}/withdraw")).status_code == 303
    assert fresh(other.id).status == "withdrawn"
    refused = client.post(staff_path(town, f"/{other.id}/confirm"), follow_redirects=True)
    assert "已撤回" in refused.text
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"wish.unit_claimed", "wish.fulfilled", "wish.withdrawn"} <= actions


def test_staff_let_a_volunteer_claim_go(client, auth, town):  # noqa: F811
    wish = post(town)
    service.claim(town["volunteer"], wish.id)
    auth.login(town["staff"])
    assert client.post(staff_path(town, f"/{wish.id}/release")).status_code == 303
    assert fresh(wish.id).status == "open"
    assert db.session.scalar(select(AuditEntry.action)) == "wish.released"


def test_a_wish_of_another_community_is_404_on_the_staff_page(client, auth, town):  # noqa: F811
    theirs = service.post_wish(town["admin"], town["other"].community_id, what="别处的心愿",
                               due_on=SOON)  # fmt: skip
    auth.login(town["staff"])
    for action in ("confirm", "withdraw", "release", "unit"):
        assert client.post(staff_path(town, f"/{theirs.id}/{action}")).status_code == 404
    assert fresh(theirs.id).status == "open"


def test_admins_reach_every_community(client, auth, town):  # noqa: F811
    f.site(name="空中心")
    db.session.commit()
    auth.login(town["admin"])
    assert client.get(staff_path(town)).status_code == 200
    assert client.get(f"/staff/communities/{2**31 - 1}/wishes").status_code == 404


def _claimed_wishes(world, n):
    for _ in range(n):
        wish = post(world)
        volunteer = f.volunteer("又一位志愿者")
        db.session.commit()
        service.claim(volunteer, wish.id)


def test_the_pages_run_as_many_queries_for_many_wishes(client, auth, town, count_queries):  # noqa: F811
    auth.login(town["staff"])
    paths = ("/wishes", staff_path(town))
    _claimed_wishes(town, 2)
    small = []
    for path in paths:
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        small.append(len(counter))
    _claimed_wishes(town, 6)
    for path, before in zip(paths, small, strict=True):
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        assert len(counter) == before, path


def test_a_wish_past_its_date_offers_no_claim(client, auth, town, freeze):  # noqa: F811
    wish = post(town, due_on=(TODAY + timedelta(days=1)).isoformat())
    freeze(NOW + timedelta(days=2))
    auth.login(town["volunteer"])
    page = client.get(f"/wishes/{wish.id}").text
    assert "期望日期已过" in page and f"/wishes/{wish.id}/claim" not in page
    refused = client.post(f"/wishes/{wish.id}/claim", follow_redirects=True)
    assert "期望日期已过" in refused.text and fresh(wish.id).status == "open"


def test_a_claim_on_a_withdrawn_wish_goes_back_to_the_wall(client, auth, town):  # noqa: F811
    wish = post(town)
    service.withdraw(town["wisher"], wish.id)
    auth.login(town["volunteer"])
    response = client.post(f"/wishes/{wish.id}/claim")
    assert response.status_code == 303 and response.headers["Location"] == "/wishes"
    assert "心愿已撤回" in client.get("/wishes").text
    assert fresh(wish.id).claimed_by_id is None
