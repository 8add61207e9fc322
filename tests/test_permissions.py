"""The scope rule, and a sweep proving every staff and admin URL applies it."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Site, User
from app.permissions import can_manage_site

from . import factories as f


@pytest.fixture
def network(app):
    """Two 1+N units and one person per role."""
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    sibling = f.site(kind="station", center=center, name="金杨站")
    other_center = f.site(name="梅园中心")
    other_station = f.site(kind="station", center=other_center, name="梅园站")
    people = {
        "resident": f.user("居民"),
        "center_staff": f.user("站长", staff_of=(center,)),
        "station_staff": f.user("社工", staff_of=(station,)),
        "admin": f.user("管理员", admin=True),
    }
    db.session.commit()
    return {
        "center": center, "station": station, "sibling": sibling,
        "other_center": other_center, "other_station": other_station, **people,
    }  # fmt: skip


def test_center_scope_covers_the_center_and_its_stations(network):
    staff = network["center_staff"]
    for name in ("center", "station", "sibling"):
        assert can_manage_site(staff, network[name]), name
    for name in ("other_center", "other_station"):
        assert not can_manage_site(staff, network[name]), name


def test_station_scope_covers_that_station_only(network):
    staff = network["station_staff"]
    assert can_manage_site(staff, network["station"])
    for name in ("center", "sibling", "other_center", "other_station"):
        assert not can_manage_site(staff, network[name]), name


def test_admin_covers_everything_and_residents_nothing(network):
    sites = [network[n] for n in ("center", "station", "other_station")]
    assert all(can_manage_site(network["admin"], s) for s in sites)
    assert not any(can_manage_site(network["resident"], s) for s in sites)
    assert not can_manage_site(None, network["center"])


def test_disabled_staff_manage_nothing(network):
    staff = network["center_staff"]
    staff.active = False
    assert not can_manage_site(staff, network["center"])


# The route sweep --------------------------------------------------------------

CONSOLE_PREFIXES = ("/staff", "/admin")


def console_rules(app):
    """Every URL under /staff and /admin, whichever blueprint serves it."""
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(CONSOLE_PREFIXES)]
    assert len(rules) >= 9, "the sweep found fewer console routes than exist"
    return rules


def build(rule, values: dict) -> str:
    """Fill every argument of ``rule``; an unknown argument fails the sweep."""
    missing = set(rule.arguments) - set(values)
    assert not missing, f"teach the route sweep the argument(s) {missing} of {rule.rule}"
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", str(values[name])).replace(
            f"<{name}>", str(values[name])
        )
    return path


def methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def sweep(app, client, values):
    for rule in console_rules(app):
        path = build(rule, values)
        for method in methods(rule):
            yield rule, method, path, client.open(path, method=method)


def values_for(network, site_key="other_station"):
    target = network["resident"]
    return {
        "site_id": network[site_key].id,
        "user_id": target.id,
        "scope_id": 1,
        "service_id": 1,
        "booking_id": 1,
        "rule_id": 1,
        "interval_id": 1,
        "special_id": 1,
        "notice_id": 1,
        "redemption_id": 1,
        "project_id": 1,
        "comment_id": 1,
        "spending_id": 1,
        "activity_id": 1,
        "series_id": 1,
        "item_id": 1,
        "team_id": 1,
        "membership_id": 1,
        "district_id": 1,
        "street_id": 1,
        "community_id": 1,
        "grid_id": 1,
        "compound_id": 1,
        "building_id": 1,
        "worker_id": 1,
        "request_id": 1,
        "wish_id": 1,
        "topic_id": 1,
    }


def test_anonymous_visitors_are_sent_to_log_in(app, client, network):
    for _rule, method, path, response in sweep(app, client, values_for(network)):
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/login?next="), (method, path)


def test_anonymous_htmx_requests_get_hx_redirect(app, client, network):
    for rule in console_rules(app):
        path = build(rule, values_for(network))
        for method in methods(rule):
            response = client.open(path, method=method, headers={"HX-Request": "true"})
            assert response.status_code == 204, (method, path)
            assert response.headers["HX-Redirect"].startswith("/login?next="), (method, path)


def test_residents_get_403_everywhere(app, client, auth, network):
    auth.login(network["resident"])
    for _rule, method, path, response in sweep(app, client, values_for(network)):
        assert response.status_code == 403, (method, path)
        assert "您无权打开此页面" in response.text


@pytest.mark.parametrize("who", ["center_staff", "station_staff"])
def test_staff_outside_their_scope_get_403(app, client, auth, network, who):
    auth.login(network[who])
    checked = 0
    for rule, method, path, response in sweep(app, client, values_for(network, "other_station")):
        if rule.rule.startswith("/admin") or "site_id" in rule.arguments:
            assert response.status_code == 403, (method, path)
            checked += 1
    assert checked >= 8


def test_station_staff_cannot_reach_their_center_or_sibling(app, client, auth, network):
    auth.login(network["station_staff"])
    for key in ("center", "sibling"):
        assert client.get(f"/staff/sites/{network[key].id}").status_code == 403
    assert client.get(f"/staff/sites/{network['station'].id}").status_code == 200


def test_center_staff_reach_their_stations(app, client, auth, network):
    auth.login(network["center_staff"])
    for key in ("center", "station", "sibling"):
        assert client.get(f"/staff/sites/{network[key].id}").status_code == 200, key


def test_staff_home_lists_only_managed_sites(client, auth, network):
    auth.login(network["center_staff"])
    text = client.get("/staff/").text
    assert "东方中心" in text and "阳光站" in text and "金杨站" in text
    assert "梅园中心" not in text and "梅园站" not in text
    auth.logout()
    auth.login(network["station_staff"])
    text = client.get("/staff/").text
    assert "阳光站" in text and "东方中心" not in text and "金杨站" not in text


# Staff change a site, and it is audited ---------------------------------------


def test_staff_close_a_site_and_residents_see_why(client, auth, network):
    station = network["station"]
    auth.login(network["center_staff"])
    response = client.post(
        f"/staff/sites/{station.id}", data={"status": "closed", "reason": "内部装修，12月5日恢复"}
    )
    assert response.status_code == 303
    public = client.get(f"/sites/{station.id}").text
    assert "暂停服务" in public and "内部装修，12月5日恢复" in public
    db.session.rollback()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "site.status"))
    assert entry.actor_id == network["center_staff"].id and entry.site_id == station.id
    assert entry.before == {"status": "open", "status_reason": ""}
    assert entry.after == {"status": "closed", "status_reason": "内部装修，12月5日恢复"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "closed", "reason": ""}, "请告诉居民暂停服务的原因"),
        ({"status": "closed", "reason": "长" * 201}, "原因请不要超过 200 个字"),
        ({"status": "exploded", "reason": "x"}, "请选择正常开放或暂停服务"),
    ],
)
def test_bad_status_changes_nothing(client, auth, network, data, message):
    station = network["station"]
    auth.login(network["station_staff"])
    response = client.post(f"/staff/sites/{station.id}", data=data)
    assert response.status_code == 422 and message in response.text
    db.session.rollback()
    assert db.session.get(Site, station.id).status == "open"
    assert db.session.scalar(select(AuditEntry)) is None


# Admin: scopes, accounts, reveals, audit ---------------------------------------


def test_admin_grants_and_revokes_a_scope(client, auth, network, app):
    resident, station = network["resident"], network["other_station"]
    auth.login(network["admin"])
    response = client.post(f"/admin/users/{resident.id}/scopes", data={"site_id": station.id})
    assert response.status_code == 303
    db.session.rollback()
    scope = db.session.get(User, resident.id).scopes[0]
    assert scope.site_id == station.id
    # The new staff member can now reach it.
    staff_client = app.test_client()
    staff_client.post("/login", data={"mobile": resident.mobile, "password": f.PASSWORD})
    assert staff_client.get(f"/staff/sites/{station.id}").status_code == 200
    response = client.post(f"/admin/users/{resident.id}/scopes/{scope.id}/revoke")
    assert response.status_code == 303
    assert staff_client.get(f"/staff/sites/{station.id}").status_code == 403
    db.session.rollback()
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["scope.granted", "scope.revoked"]


@pytest.mark.parametrize(
    ("site_id", "message"),
    [
        ("999999", "没有这个编号的站点"),
        ("abc", "请输入站点编号"),
        ("", "请输入站点编号"),
        ("-3", "请输入站点编号"),
    ],
)
def test_grant_scope_refuses_bad_sites(client, auth, network, site_id, message):
    auth.login(network["admin"])
    response = client.post(
        f"/admin/users/{network['resident'].id}/scopes", data={"site_id": site_id}
    )
    assert response.status_code == 422 and message in response.text
    db.session.rollback()
    assert db.session.get(User, network["resident"].id).scopes == []


def test_granting_twice_is_refused(client, auth, network):
    auth.login(network["admin"])
    staff = network["center_staff"]
    response = client.post(
        f"/admin/users/{staff.id}/scopes", data={"site_id": network["center"].id}
    )
    assert response.status_code == 422 and "已经负责这个站点" in response.text


def test_revoking_someone_elses_scope_is_404(client, auth, network):
    auth.login(network["admin"])
    scope_id = network["center_staff"].scopes[0].id
    response = client.post(f"/admin/users/{network['resident'].id}/scopes/{scope_id}/revoke")
    assert response.status_code == 404


def test_user_list_masks_numbers_and_searches(client, auth, network):
    auth.login(network["admin"])
    resident = network["resident"]
    masked = f"{resident.mobile[:3]}****{resident.mobile[-4:]}"
    page = client.get("/admin/users")
    assert masked in page.text and resident.mobile not in page.text
    for q in (masked, resident.mobile[-4:], "居民", resident.mobile):
        found = client.get("/admin/users", query_string={"q": q})
        assert f'href="/admin/users/{resident.id}"' in found.text, q
    fragment = client.get(
        "/admin/users",
        query_string={"q": "站长"},
        headers={"HX-Request": "true", "HX-Target": "user-results"},
    )
    assert "<html" not in fragment.text and "站长" in fragment.text and "居民" not in fragment.text


def test_revealing_a_number_is_audited(client, auth, network):
    auth.login(network["admin"])
    resident = network["resident"]
    assert resident.mobile not in client.get(f"/admin/users/{resident.id}").text
    response = client.post(
        f"/admin/users/{resident.id}/reveal", headers={"HX-Request": "true", "HX-Target": "mobile"}
    )
    assert response.status_code == 200 and resident.mobile in response.text
    assert "<html" not in response.text
    db.session.rollback()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "personal.revealed"))
    assert entry.actor_id == network["admin"].id and entry.target_id == resident.id


def test_disabling_an_account_logs_it_out(client, auth, network, app):
    resident = network["resident"]
    other = app.test_client()
    other.post("/login", data={"mobile": resident.mobile, "password": f.PASSWORD})
    assert other.get("/me").status_code == 200
    auth.login(network["admin"])
    assert (
        client.post(f"/admin/users/{resident.id}/active", data={"active": "0"}).status_code == 303
    )
    assert other.get("/me").status_code == 302
    assert (
        other.post("/login", data={"mobile": resident.mobile, "password": f.PASSWORD}).status_code
        == 422
    )
    assert (
        client.post(f"/admin/users/{resident.id}/active", data={"active": "1"}).status_code == 303
    )
    assert (
        other.post("/login", data={"mobile": resident.mobile, "password": f.PASSWORD}).status_code
        == 303
    )


@pytest.mark.parametrize("value", ["", "2", "yes"])
def test_bad_active_values_are_refused(client, auth, network, value):
    auth.login(network["admin"])
    response = client.post(f"/admin/users/{network['resident'].id}/active", data={"active": value})
    assert response.status_code == 400


def test_admin_cannot_disable_themselves(client, auth, network):
    auth.login(network["admin"])
    response = client.post(f"/admin/users/{network['admin'].id}/active", data={"active": "0"})
    assert response.status_code == 400


def test_audit_log_filters(client, auth, network):
    auth.login(network["center_staff"])
    client.post(
        f"/staff/sites/{network['station'].id}", data={"status": "closed", "reason": "停电"}
    )
    client.post(f"/staff/sites/{network['center'].id}", data={"status": "closed", "reason": "消杀"})
    auth.logout()
    auth.login(network["admin"])
    everything = client.get("/admin/audit")
    assert everything.status_code == 200 and "共 2 条记录" in everything.text
    assert "停电" in everything.text and "消杀" in everything.text
    assert "<strong>开放或暂停服务</strong>" in everything.text  # the action, in words
    by_site = client.get("/admin/audit", query_string={"site": network["station"].id})
    assert "共 1 条记录" in by_site.text and "停电" in by_site.text
    by_user = client.get("/admin/audit", query_string={"user": network["admin"].id})
    assert "共 0 条记录" in by_user.text
    for bad in ({"date": "2026-13-45"}, {"user": "abc"}, {"page": "-1"}):
        assert client.get("/admin/audit", query_string=bad).status_code == 200
