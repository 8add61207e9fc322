"""The team pages through the real request path: the staff console's teams of a
site and one team's page, the public list with its filters, and what the
leader and deputies do from the team's page.

Each route: status, content, the database afterwards, the audit entries, each
bad input (422 or 400 and nothing changed), and 403 for staff of another site,
a leader of another team and a plain member. Messages new in this feature are
compared with the catalogue's zh text (``zh``): English until the translations
are merged, Chinese after.
"""

import re
from datetime import datetime

import pytest
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Membership, Team

from . import factories as f
from .html_check import assert_clean_page, problems

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # Monday 08:00
NEW_TEAM = {
    "name": "阳光“四季歌”志愿服务队",
    "brand": "四季歌",
    "slogan": "四季歌，在您身边",
    "description": "陪伴独居老人，上门理发。",
    "skills": "陪伴聊天、理发",
}


def zh(text: str, **values) -> str:
    """A message as a zh page shows it."""
    with force_locale("zh"):
        return gettext(text, **values)


def zh_n(singular: str, plural: str, num: int) -> str:
    with force_locale("zh"):
        return ngettext(singular, plural, num)


@pytest.fixture
def unit(app, freeze):
    freeze(NOW)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    other = f.site(name="梅园中心")
    people = dict(
        center_staff=f.user("站长", staff_of=(center,)),
        station_staff=f.user("社工", staff_of=(station,)),
        other_staff=f.user("别处社工", staff_of=(other,)),
        leader=f.volunteer("王队长"),
        deputy=f.volunteer("李副队长"),
        member=f.volunteer("赵队员"),
        joiner=f.volunteer("钱申请"),
        other_leader=f.volunteer("孙外队长"),
        resident=f.user("周居民"),
    )
    team = f.team(station, "阳光驿站志愿服务队")
    team.skills = "急救、陪伴聊天"
    center_team = f.team(center, "东方夕阳红服务队")
    other_team = f.team(other, "梅园志愿服务队", leader=people["other_leader"])
    rows = {}
    for who, status in (("leader", "leader"), ("deputy", "deputy"), ("member", "member"),
                        ("joiner", "pending")):  # fmt: skip
        rows[who] = Membership(team_id=team.id, user_id=people[who].id, status=status)
        db.session.add(rows[who])
    db.session.commit()
    ids = {f"{who}_row": row.id for who, row in rows.items()}
    return dict(center=center, station=station, other=other, team=team, center_team=center_team,
                other_team=other_team, **people, **ids)  # fmt: skip


def sound(response) -> None:
    """The page is sound HTML. CSRF is off for these posts, so the tokens' presence
    is checked apart, with CSRF on (``test_pages_with_csrf_on_are_sound``)."""
    html = response.get_data(as_text=True)
    found = [p for p in problems(html, whole_page="<html" in html[:200]) if "CSRF" not in p]
    assert not found, f"{response.request.path}: " + "; ".join(found)


def staff_url(site, team=None, tail=""):
    base = f"/staff/sites/{site.id}/volunteering/teams"
    return base + (f"/{team.id}" if team is not None else "") + tail


def count(model, *where):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def status_of(team, user):
    db.session.rollback()
    return db.session.scalar(
        select(Membership.status).where(
            Membership.team_id == team.id, Membership.user_id == user.id
        )
    )


def actions():
    db.session.rollback()
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def team_row(team_id):
    db.session.rollback()
    return db.session.get(Team, team_id)


# The unit's teams -----------------------------------------------------------------------


def test_the_index_lists_the_units_teams_with_counts(client, auth, unit):
    auth.login(unit["center_staff"])
    response = client.get(staff_url(unit["center"]))
    assert response.status_code == 200
    sound(response)
    text = response.text
    assert "阳光驿站志愿服务队" in text and "东方夕阳红服务队" in text
    assert "梅园志愿服务队" not in text
    assert "3 名队员" in text  # leader, deputy, member (not the one asking)
    assert zh_n("%(num)s request to join", "%(num)s requests to join", 1) in text
    assert f'action="/staff/sites/{unit["center"].id}/volunteering/teams"' in text
    # The new-team form offers the center and its station as home sites.
    assert f'<option selected value="{unit["center"].id}">东方中心' in text
    assert f'value="{unit["station"].id}">阳光站' in text
    # A station's page lists that station's teams only, and only it as home.
    response = client.get(staff_url(unit["station"]))
    assert "阳光驿站志愿服务队" in response.text and "东方夕阳红服务队" not in response.text
    assert f'value="{unit["center"].id}"' not in response.text.split('id="new-team"')[1]


def test_the_index_and_team_pages_answer_403_outside_the_scope(client, auth, unit):
    auth.login(unit["station_staff"])
    assert client.get(staff_url(unit["center"])).status_code == 403
    assert client.get(staff_url(unit["center"], unit["center_team"])).status_code == 403
    # The station's own page does not reach the center's team either.
    assert client.get(staff_url(unit["station"], unit["center_team"])).status_code == 404
    assert client.get(staff_url(unit["station"], unit["team"])).status_code == 200
    auth.logout()
    for who in ("other_staff", "leader", "resident"):
        auth.login(unit[who])
        assert client.get(staff_url(unit["station"])).status_code == 403, who
        assert client.get(staff_url(unit["station"], unit["team"])).status_code == 403, who
        auth.logout()
    response = client.get(staff_url(unit["station"]))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Creating a team ------------------------------------------------------------------------


def _new(site, **changes):
    return f.prefixed("team", {**NEW_TEAM, "home_site_id": str(site.id), **changes})


def test_a_station_worker_creates_a_team(client, auth, unit):
    auth.login(unit["station_staff"])
    response = client.post(staff_url(unit["station"]), data=_new(unit["station"]))
    assert response.status_code == 303
    db.session.rollback()
    team = db.session.scalar(select(Team).where(Team.name == NEW_TEAM["name"]))
    assert response.headers["Location"] == staff_url(unit["station"], team, "#main")
    assert (team.brand, team.slogan, team.skills, team.home_site_id) == (
        "四季歌", NEW_TEAM["slogan"], "陪伴聊天、理发", unit["station"].id
    )  # fmt: skip
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.created"))
    assert entry.actor_id == unit["station_staff"].id and entry.target_id == team.id
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and NEW_TEAM["name"] in page.text
    assert zh("Team %(name)s created. Now name its leader.", name=NEW_TEAM["name"]) in page.text
    sound(page)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the team's name."),
        ({"name": "   "}, "Enter the team's name."),
        ({"name": "队" * 61}, "Keep this to %(max)s characters or fewer."),
        ({"brand": "牌" * 41}, "Keep this to %(max)s characters or fewer."),
        ({"slogan": "口" * 101}, "Keep this to %(max)s characters or fewer."),
        ({"description": "说" * 2001}, "Keep this to %(max)s characters or fewer."),
        ({"skills": "技" * 201}, "Keep this to %(max)s characters or fewer."),
        ({"home_site_id": "OTHER"}, "Choose one of the sites you manage."),
        ({"home_site_id": "CENTER"}, "Choose one of the sites you manage."),
        ({"home_site_id": "99999999999999999999"}, "Choose one of the sites you manage."),
        ({"home_site_id": str(2**31)}, "Choose one of the sites you manage."),
        ({"home_site_id": "-1"}, "Choose one of the sites you manage."),
        ({"home_site_id": "abc"}, "Choose one of the sites you manage."),
        ({"home_site_id": ""}, "Choose one of the sites you manage."),
    ],
    ids=[
        "empty-name",
        "blank-name",
        "long-name",
        "long-brand",
        "long-slogan",
        "long-description",
        "long-skills",
        "other-unit",
        "center-for-station-staff",
        "huge-id",
        "beyond-int",
        "negative",
        "letters",
        "no-site",
    ],  # fmt: skip
)
def test_bad_new_teams_are_refused_and_keep_the_typing(client, auth, unit, changes, message):
    auth.login(unit["station_staff"])
    named = {"OTHER": str(unit["other"].id), "CENTER": str(unit["center"].id)}
    changes = {k: named.get(v, v) for k, v in changes.items()}
    before = count(Team)
    response = client.post(staff_url(unit["station"]), data=_new(unit["station"], **changes))
    assert response.status_code == 422
    field = next(iter(changes))
    limits = {"name": 60, "brand": 40, "slogan": 100, "description": 2000, "skills": 200}
    assert zh(message, max=limits.get(field, 0)) in response.text
    assert f'id="team-{field}-error"' in response.text
    assert count(Team) == before and "team.created" not in actions()
    # What was typed is still there (one field wrong, the others kept).
    kept = "slogan" if field != "slogan" else "skills"
    assert NEW_TEAM[kept] in response.text
    sound(response)


def test_a_nul_byte_is_refused_and_nothing_is_made(client, auth, unit):
    auth.login(unit["station_staff"])
    before = count(Team)
    response = client.post(staff_url(unit["station"]), data=_new(unit["station"], name="队\x00"))
    assert response.status_code == 400 and "NUL" in response.text
    assert count(Team) == before


def test_a_taken_name_is_refused_clearly(client, auth, unit):
    auth.login(unit["center_staff"])
    response = client.post(
        staff_url(unit["center"]), data=_new(unit["center"], name=" 梅园志愿服务队 ")
    )
    assert response.status_code == 422
    assert zh("A team with this name already exists.") in response.text
    assert count(Team, Team.name == "梅园志愿服务队") == 1
    sound(response)


# One team ---------------------------------------------------------------------------------


def test_the_team_page_shows_roles_requests_and_forms(client, auth, unit):
    auth.login(unit["center_staff"])
    response = client.get(staff_url(unit["center"], unit["team"]))
    assert response.status_code == 200
    sound(response)
    text = response.text
    for name in ("王队长", "李副队长", "赵队员", "钱申请"):
        assert name in text
    assert zh("Deputy leader") in text and "队长" in text
    # Numbers are masked on the list.
    assert unit["joiner"].mobile not in text and unit["joiner"].mobile[-4:] in text
    assert f'id="request-{unit["joiner_row"]}"' in text
    assert f'name="role{unit["member_row"]}-role"' in text
    assert f'name="remove{unit["member_row"]}-reason"' in text
    assert 'name="role-mobile"' in text and 'name="edit-name"' in text


def test_a_team_id_of_another_unit_or_none_is_404(client, auth, unit):
    auth.login(unit["station_staff"])
    for team_id in (unit["other_team"].id, 99999):
        assert client.get(f"/staff/sites/{unit['station'].id}/volunteering/teams/{team_id}")\
            .status_code == 404  # fmt: skip
    path = staff_url(unit["station"], unit["other_team"], "/edit")
    response = client.post(path, data=f.prefixed("edit", {**NEW_TEAM, "home_site_id": "1"}))
    assert response.status_code == 404
    assert team_row(unit["other_team"].id).name == "梅园志愿服务队"


def test_staff_edit_a_team(client, auth, unit):
    auth.login(unit["center_staff"])
    data = f.prefixed("edit", {**NEW_TEAM, "home_site_id": str(unit["center"].id)})
    response = client.post(staff_url(unit["center"], unit["team"], "/edit"), data=data)
    assert response.status_code == 303
    team = team_row(unit["team"].id)
    assert (team.name, team.brand, team.home_site_id) == (
        NEW_TEAM["name"],
        "四季歌",
        unit["center"].id,
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.edited"))
    assert entry.before["name"] == "阳光驿站志愿服务队" and entry.after["name"] == NEW_TEAM["name"]
    assert client.get(f"/teams/{team.id}").text.count(NEW_TEAM["description"]) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the team's name."),
        ({"name": "东方夕阳红服务队"}, "A team with this name already exists."),
        ({"slogan": "口" * 101}, "Keep this to %(max)s characters or fewer."),
        ({"home_site_id": "OTHER"}, "Choose one of the sites you manage."),
    ],
    ids=["empty-name", "taken-name", "long-slogan", "other-unit"],
)
def test_bad_edits_change_nothing(client, auth, unit, changes, message):
    auth.login(unit["station_staff"])
    changes = {k: str(unit["other"].id) if v == "OTHER" else v for k, v in changes.items()}
    data = f.prefixed("edit", {**NEW_TEAM, "home_site_id": str(unit["station"].id), **changes})
    response = client.post(staff_url(unit["station"], unit["team"], "/edit"), data=data)
    assert response.status_code == 422
    assert zh(message, max=100) in response.text
    assert NEW_TEAM["description"] in response.text  # the typing is kept
    assert team_row(unit["team"].id).name == "阳光驿站志愿服务队"
    assert "team.edited" not in actions()
    sound(response)


def test_retire_and_bring_back(client, auth, unit):
    team = unit["team"]
    auth.login(unit["station_staff"])
    response = client.post(staff_url(unit["station"], team, "/retire"))
    assert response.status_code == 303
    assert team_row(team.id).retired_at == NOW
    page = client.get(staff_url(unit["station"], team))
    assert zh("Bring the team back") in page.text and 'value="approve"' not in page.text
    # The public list leaves it out unless asked; its page stays, marked.
    assert "阳光驿站志愿服务队" not in client.get("/teams").text
    assert "阳光驿站志愿服务队" in client.get("/teams?retired=1").text
    public = client.get(f"/teams/{team.id}")
    assert public.status_code == 200 and zh("Retired") in public.text
    auth.logout()
    auth.login(unit["other_leader"])
    response = client.post(f"/teams/{team.id}/join")
    assert response.status_code == 303
    assert (
        zh("This team is retired: it takes no new members.") in client.get(f"/teams/{team.id}").text
    )
    assert status_of(team, unit["other_leader"]) is None
    auth.logout()
    auth.login(unit["station_staff"])
    assert client.post(staff_url(unit["station"], team, "/restore")).status_code == 303
    assert team_row(team.id).retired_at is None
    assert actions()[-2:] == ["team.retired", "team.restored"]


def test_staff_name_a_leader_and_a_deputy(client, auth, unit):
    team = unit["team"]
    auth.login(unit["station_staff"])
    path = staff_url(unit["station"], team, "/roles")
    response = client.post(path, data=f.prefixed("role", {"mobile": unit["joiner"].mobile,
                                                          "role": "leader"}))  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"].endswith("#members")
    assert status_of(team, unit["joiner"]) == "leader"
    assert status_of(team, unit["leader"]) == "member"
    response = client.post(path, data=f.prefixed("role", {"mobile": unit["resident"].mobile,
                                                          "role": "deputy"}))  # fmt: skip
    assert response.status_code == 422
    assert zh("%(name)s has no volunteer profile yet. Ask them to fill it in first.",
              name="周居民") in response.text  # fmt: skip
    assert "team.role_changed" in actions()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mobile": "", "role": "leader"}, "请输入您的手机号"),
        ({"mobile": "1380000", "role": "leader"}, "请输入11位的大陆手机号"),
        ({"mobile": "13311112222", "role": "leader"},
         "No one has an account with this number. Ask them to register first."),
        ({"mobile": "JOINER", "role": "member"}, "Choose leader or deputy."),
        ({"mobile": "JOINER", "role": ""}, "Choose leader or deputy."),
    ],
    ids=["empty", "short", "unknown", "member-role", "no-role"],
)  # fmt: skip
def test_bad_namings_change_nothing(client, auth, unit, data, message):
    team = unit["team"]
    auth.login(unit["station_staff"])
    data = {k: unit["joiner"].mobile if v == "JOINER" else v for k, v in data.items()}
    response = client.post(
        staff_url(unit["station"], team, "/roles"), data=f.prefixed("role", data)
    )
    assert response.status_code == 422
    assert zh(message) in response.text
    assert data["mobile"] in response.text  # kept
    assert status_of(team, unit["joiner"]) == "pending"
    assert "team.role_changed" not in actions()
    sound(response)


def test_staff_change_a_members_role(client, auth, unit):
    team = unit["team"]
    auth.login(unit["station_staff"])
    path = staff_url(unit["station"], team, f"/members/{unit['deputy_row']}/role")
    response = client.post(path, data={f"role{unit['deputy_row']}-role": "member"})
    assert response.status_code == 303
    assert status_of(team, unit["deputy"]) == "member"
    response = client.post(path, data={f"role{unit['deputy_row']}-role": "boss"})
    assert response.status_code == 422 and zh("Choose leader, deputy or member.") in response.text
    # A pending request is answered, not given a role.
    path = staff_url(unit["station"], team, f"/members/{unit['joiner_row']}/role")
    response = client.post(path, data={f"role{unit['joiner_row']}-role": "deputy"})
    assert response.status_code == 422
    assert status_of(team, unit["joiner"]) == "pending"
    # Another team's membership is not this team's.
    other_row = db.session.scalar(select(Membership.id).where(
        Membership.team_id == unit["other_team"].id))  # fmt: skip
    path = staff_url(unit["station"], team, f"/members/{other_row}/role")
    assert client.post(path, data={f"role{other_row}-role": "member"}).status_code == 404
    assert status_of(unit["other_team"], unit["other_leader"]) == "leader"


def test_staff_remove_a_member_with_a_reason(client, auth, unit):
    team, row = unit["team"], unit["member_row"]
    auth.login(unit["station_staff"])
    path = staff_url(unit["station"], team, f"/members/{row}/remove")
    for reason, message in (("", "Say why, for the person removed."),
                            ("因" * 201, "Keep this to %(max)s characters or fewer.")):  # fmt: skip
        response = client.post(path, data={f"remove{row}-reason": reason})
        assert response.status_code == 422
        assert zh(message, max=200) in response.text
        assert '<details class="remove-member" open>' in response.text
        assert status_of(team, unit["member"]) == "member"
        sound(response)
    response = client.post(path, data={f"remove{row}-reason": "半年未参加活动"})
    assert response.status_code == 303
    assert status_of(team, unit["member"]) == "removed"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.member_removed"))
    assert entry.after["reason"] == "半年未参加活动" and entry.actor_id == unit["station_staff"].id
    page = client.get(staff_url(unit["station"], team))
    assert "半年未参加活动" in page.text.split('id="removed"')[1]
    # The member reads why on the team's page, and may ask again.
    auth.logout()
    auth.login(unit["member"])
    public = client.get(f"/teams/{team.id}").text
    assert "半年未参加活动" in public and zh("Ask to join again") in public
    assert client.post(f"/teams/{team.id}/join").status_code == 303
    assert status_of(team, unit["member"]) == "pending"


def test_requests_are_decided_in_place_with_htmx(client, auth, unit):
    team, row = unit["team"], unit["joiner_row"]
    auth.login(unit["station_staff"])
    path = staff_url(unit["station"], team, f"/requests/{row}")
    htmx = {"HX-Request": "true", "HX-Target": f"request-{row}"}
    response = client.post(path, data={"decision": "approve"}, headers=htmx)
    assert response.status_code == 200 and "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]
    assert zh("%(name)s is now a member.", name="钱申请") in response.text
    assert f'id="request-{row}"' in response.text
    # The list of people follows, out of band, with the new member in it.
    members = response.text.split('id="members"')[1]
    assert 'hx-swap-oob="true"' in members and "钱申请" in members
    assert status_of(team, unit["joiner"]) == "member"
    assert actions()[-1] == "team.member_approved"
    # Answered already: the row says so, 422, nothing more happens.
    response = client.post(path, data={"decision": "decline"}, headers=htmx)
    assert response.status_code == 422 and "<html" not in response.text
    assert zh("This request has already been answered.") in response.text
    assert status_of(team, unit["joiner"]) == "member"
    assert client.post(path, data={"decision": "maybe"}).status_code == 400


def test_requests_without_javascript_come_back_to_the_page(client, auth, unit):
    team, row = unit["team"], unit["joiner_row"]
    auth.login(unit["center_staff"])
    response = client.post(staff_url(unit["center"], team, f"/requests/{row}"),
                           data={"decision": "decline"})  # fmt: skip
    assert response.status_code == 303
    assert response.headers["Location"] == staff_url(unit["center"], team, "#requests")
    assert status_of(team, unit["joiner"]) is None
    page = client.get(staff_url(unit["center"], team))
    assert zh("Declined the request of %(name)s.", name="钱申请") in page.text
    # Declined already (the row is gone): the same tap says so, with and without htmx.
    again = client.post(staff_url(unit["center"], team, f"/requests/{row}"),
                        data={"decision": "approve"})  # fmt: skip
    assert again.status_code == 303
    assert zh("This request has already been answered.") in client.get(again.location).text
    htmx = {"HX-Request": "true", "HX-Target": f"request-{row}"}
    again = client.post(staff_url(unit["center"], team, f"/requests/{row}"),
                        data={"decision": "approve"}, headers=htmx)  # fmt: skip
    assert again.status_code == 422 and f'id="request-{row}"' in again.text
    assert zh("This request has already been answered.") in again.text
    assert status_of(team, unit["joiner"]) is None


STAFF_POSTS = [
    ("", lambda u: _new(u["station"])),
    ("/edit", lambda u: f.prefixed("edit", {**NEW_TEAM, "home_site_id": str(u["station"].id)})),
    ("/retire", lambda u: {}),
    ("/restore", lambda u: {}),
    ("/roles", lambda u: f.prefixed("role", {"mobile": u["joiner"].mobile, "role": "deputy"})),
    ("/members/{member_row}/role", lambda u: {f"role{u['member_row']}-role": "deputy"}),
    ("/members/{member_row}/remove", lambda u: {f"remove{u['member_row']}-reason": "不合适"}),
    ("/requests/{joiner_row}", lambda u: {"decision": "approve"}),
]


@pytest.mark.parametrize("who", ["other_staff", "leader", "deputy", "other_leader", "member"])
def test_staff_routes_are_403_for_everyone_else(client, auth, unit, who):
    auth.login(unit[who])
    before = actions()
    for tail, data in STAFF_POSTS:
        team = None if tail == "" else unit["team"]
        path = staff_url(unit["station"], team, tail.format(**unit))
        response = client.post(path, data=data(unit))
        assert response.status_code == 403, (who, path, response.status_code)
    assert actions() == before and count(Team) == 3
    assert status_of(unit["team"], unit["joiner"]) == "pending"
    assert status_of(unit["team"], unit["member"]) == "member"


# The leader and deputies on the team's page -----------------------------------------------


def test_the_public_team_page_shows_the_leader_and_deputies(client, unit):
    text = client.get(f"/teams/{unit['team'].id}").text
    facts = text.split('class="facts"')[1].split("</dl>")[0]
    assert "王队长" in facts and "李副队长" in facts and zh("Deputy leaders") in facts
    assert "3" in facts and "钱申请" not in text  # the people asking are not public


@pytest.mark.parametrize("who", ["leader", "deputy"])
def test_the_leader_and_deputies_decide_requests(client, auth, unit, who):
    team = unit["team"]
    auth.login(unit[who])
    page = client.get(f"/teams/{team.id}")
    assert "钱申请" in page.text and 'id="pending-title"' in page.text
    sound(page)
    response = client.post(f"/teams/{team.id}/members/{unit['joiner_row']}",
                           data={"decision": "approve"})  # fmt: skip
    assert response.status_code == 303
    assert status_of(team, unit["joiner"]) == "member"


@pytest.mark.parametrize("who", ["member", "other_leader", "other_staff", "resident"])
def test_others_cannot_decide_or_remove(client, auth, unit, who):
    team = unit["team"]
    auth.login(unit[who])
    assert 'id="pending-title"' not in client.get(f"/teams/{team.id}").text
    response = client.post(f"/teams/{team.id}/members/{unit['joiner_row']}",
                           data={"decision": "approve"})  # fmt: skip
    assert response.status_code == 403
    response = client.post(f"/teams/{team.id}/members/{unit['member_row']}/remove",
                           data={f"remove{unit['member_row']}-reason": "不合适"})  # fmt: skip
    assert response.status_code == 403
    assert status_of(team, unit["joiner"]) == "pending"
    assert status_of(team, unit["member"]) == "member"


def test_the_leader_removes_a_member_but_not_whom_the_staff_named(client, auth, unit):
    team = unit["team"]
    auth.login(unit["leader"])
    row = unit["member_row"]
    path = f"/teams/{team.id}/members/{row}/remove"
    response = client.post(path, data={f"remove{row}-reason": ""})
    assert response.status_code == 422 and zh("Say why, for the person removed.") in response.text
    sound(response)
    for target in ("deputy_row", "leader_row"):
        response = client.post(f"/teams/{team.id}/members/{unit[target]}/remove",
                               data={f"remove{unit[target]}-reason": "不合适"})  # fmt: skip
        assert response.status_code == 403, target
    assert status_of(team, unit["deputy"]) == "deputy"
    assert status_of(team, unit["leader"]) == "leader"
    # The page offers removal of plain members only.
    page = client.get(f"/teams/{team.id}").text
    assert f"remove{row}-reason" in page and f"remove{unit['deputy_row']}-reason" not in page
    response = client.post(path, data={f"remove{row}-reason": "多次无故缺席"})
    assert response.status_code == 303
    assert status_of(team, unit["member"]) == "removed"
    assert actions()[-1] == "team.member_removed"


def test_a_leader_does_not_reach_the_staff_console(client, auth, unit):
    auth.login(unit["leader"])
    page = client.get(f"/teams/{unit['team'].id}").text
    assert "/staff/" not in page.split("<main")[1]
    auth.logout()
    auth.login(unit["center_staff"])
    page = client.get(f"/teams/{unit['team'].id}").text
    assert staff_url(unit["station"], unit["team"]) in page


# The public list ----------------------------------------------------------------------------


def test_teams_filter_by_community_skill_and_search(client, unit):
    center_team = unit["center_team"]
    other_community = unit["other"].community_id
    assert "梅园志愿服务队" in client.get("/teams").text
    text = client.get(f"/teams?community={other_community}").text
    assert "梅园志愿服务队" in text and "阳光驿站志愿服务队" not in text
    text = client.get("/teams?skill=急救").text
    assert "阳光驿站志愿服务队" in text and "梅园志愿服务队" not in text
    assert '<option value="急救" selected>' in text and '<option value="陪伴聊天"' in text
    for q in ("夕阳", "四季歌", "陪伴"):  # name, brand (every factory team's), skill
        text = client.get("/teams", query_string={"q": q}).text
        assert ("东方夕阳红服务队" in text) == (q != "陪伴"), q
    text = client.get("/teams", query_string={"q": "陪伴"}).text
    assert "阳光驿站志愿服务队" in text and center_team.name not in text
    assert zh("No team matches.") in client.get("/teams?q=没有这样的队").text
    # Bad filter values are ignored or cleaned, never a 500.
    for query in ("community=x", "community=99999999999999999999", "q=%00%01", "page=-1",
                  "skill=" + "x" * 500, "retired=yes"):  # fmt: skip
        assert client.get(f"/teams?{query}").status_code == 200, query
    assert client.get("/teams?skill=%00").status_code == 400


def test_the_results_swap_alone_and_the_pager_keeps_the_filters(client, unit):
    for n in range(25):
        f.team(unit["center"], f"东方第{n:02d}服务队")
    db.session.commit()
    htmx = {"HX-Request": "true", "HX-Target": "team-results"}
    response = client.get("/teams", query_string={"q": "东方"}, headers=htmx)
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="team-results"' in response.text and "HX-Request" in response.headers["Vary"]
    assert "26 " in response.text  # 25 and 东方夕阳红服务队
    next_link = "/teams?page=2&amp;q=%E4%B8%9C%E6%96%B9"
    assert next_link in response.text
    page2 = client.get("/teams", query_string={"q": "东方", "page": "2"}).text
    assert "东方第24服务队" in page2 and "阳光驿站志愿服务队" not in page2
    sound(client.get("/teams?q=东方&skill=急救&community=1&retired=1"))


def test_pages_with_csrf_on_are_sound(app, client, auth, unit):
    """Every form of the new pages carries its CSRF field (CSRF on, as in production),
    and a refused form comes back sound too."""
    auth.login(unit["station_staff"])
    app.config["WTF_CSRF_ENABLED"] = True
    pages = [staff_url(unit["station"]), staff_url(unit["station"], unit["team"]),
             f"/teams/{unit['team'].id}", "/teams"]  # fmt: skip
    for path in pages:
        assert_clean_page(client.get(path), path)
    token = re.search(r'id="csrf-token" value="([^"]+)"', client.get("/staff/").text).group(1)
    for path, data in (
        (staff_url(unit["station"]), _new(unit["station"], name="")),
        (staff_url(unit["station"], unit["team"], "/roles"), f.prefixed("role", {"mobile": "1"})),
        (staff_url(unit["station"], unit["team"], f"/members/{unit['member_row']}/remove"),
         {f"remove{unit['member_row']}-reason": ""}),
    ):  # fmt: skip
        response = client.post(path, data=data, headers={"X-CSRFToken": token})
        assert response.status_code == 422, path
        assert_clean_page(response, path)
    auth.logout()
    app.config["WTF_CSRF_ENABLED"] = False
    auth.login(unit["leader"])
    app.config["WTF_CSRF_ENABLED"] = True
    assert_clean_page(client.get(f"/teams/{unit['team'].id}"))


def _queries(client, count_queries, path):
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(counter)


def _grow(unit, teams: int, members: int):
    """More teams, at the station and at new sites of new communities, each with
    members, requests and removed people."""
    db.session.rollback()  # a read begun before the last request's commit cannot write
    for n in range(teams):
        home = unit["station"] if n % 2 == 0 else f.site()
        team = f.team(home, f"扩充服务队{teams}-{n}")
        team.skills = f"技能{n}、急救"
        for i in range(members):
            status = ("member", "pending", "removed")[i % 3]
            db.session.add(Membership(team_id=team.id, user_id=f.volunteer().id, status=status))
    for i in range(members):
        status = ("member", "pending", "removed")[i % 3]
        db.session.add(Membership(team_id=unit["team"].id, user_id=f.volunteer().id, status=status))
    db.session.commit()


def test_the_team_pages_run_as_many_queries_at_any_size(client, auth, unit, count_queries):
    """No query per team or per member: the pages cost the same with 3 or 30 of each."""
    auth.login(unit["station_staff"])
    paths = [staff_url(unit["station"]), staff_url(unit["station"], unit["team"]), "/teams",
             "/teams?skill=急救&q=服务队", f"/teams/{unit['team'].id}"]  # fmt: skip
    _grow(unit, 2, 3)
    small = [_queries(client, count_queries, p) for p in paths]
    _grow(unit, 15, 30)
    large = [_queries(client, count_queries, p) for p in paths]
    assert small == large, list(zip(paths, small, large, strict=True))
    assert max(large) <= 12, list(zip(paths, large, strict=True))
