"""The rules of volunteer teams, called directly, with the clock frozen.

Staff of a team's home site create, edit, retire and bring back a team, name
its leader and deputies and remove members with a reason; the leader and
deputies decide requests and remove plain members, nothing more; a retired
team takes no one new; every change is audited.
"""

from datetime import datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Membership, Team
from app.volunteers import common, teams

from . import factories as f

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # Monday 08:00
VALUES = {
    "name": "阳光“四季歌”志愿服务队",
    "brand": "四季歌",
    "slogan": "四季歌，在您身边",
    "description": "陪伴独居老人。",
    "skills": "陪伴聊天、急救",
}


@pytest.fixture
def unit(app, freeze):
    """A center with a station, another center, their staff, and volunteers."""
    freeze(NOW)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    other = f.site(name="梅园中心")
    people = dict(
        center_staff=f.user("站长", staff_of=(center,)),
        station_staff=f.user("社工", staff_of=(station,)),
        other_staff=f.user("别处社工", staff_of=(other,)),
        admin=f.user("管理员", admin=True),
        leader=f.volunteer("队长"),
        deputy=f.volunteer("副队长"),
        member=f.volunteer("队员"),
        joiner=f.volunteer("申请人"),
        stranger=f.volunteer("路人"),
        resident=f.user("居民"),
    )
    team = f.team(station, "阳光驿站志愿服务队")
    other_team = f.team(other, "梅园志愿服务队", leader=people["stranger"])
    for who, status in (("leader", "leader"), ("deputy", "deputy"), ("member", "member")):
        db.session.add(Membership(team_id=team.id, user_id=people[who].id, status=status))
    db.session.commit()
    return dict(center=center, station=station, other=other, team=team, other_team=other_team,
                **people)  # fmt: skip


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident)


def status_of(team, user):
    db.session.rollback()
    return db.session.scalar(
        select(Membership.status).where(
            Membership.team_id == team.id, Membership.user_id == user.id
        )
    )


def audits(action):
    db.session.rollback()
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def refused(call, reason):
    with pytest.raises(common.VolunteerError) as caught, force_locale("en"):
        call()
    assert caught.value.reason == reason, caught.value.reason
    return caught.value


# Who may run a team -------------------------------------------------------------------


def test_who_may_manage_a_team(unit):
    team = unit["team"]
    for who in ("station_staff", "center_staff", "admin", "leader", "deputy"):
        assert teams.can_manage_team(unit[who], team), who
    for who in ("other_staff", "member", "joiner", "stranger", "resident"):
        assert not teams.can_manage_team(unit[who], team), who
    # Only staff do what is the staff's: the leader and deputy run members only.
    assert teams.staff_of_team(unit["station_staff"], team)
    assert not teams.staff_of_team(unit["leader"], team)
    assert not teams.staff_of_team(unit["deputy"], team)


def test_a_removed_leader_runs_nothing(unit):
    team, leader = unit["team"], unit["leader"]
    membership = db.session.scalar(select(Membership).where(Membership.user_id == leader.id))
    teams.remove_member(membership.id, "调离本社区", unit["station_staff"])
    assert not teams.can_manage_team(fresh(type(leader), leader.id), fresh(Team, team.id))


# Create, edit, retire -------------------------------------------------------------------


def test_staff_create_a_team_at_a_site_they_manage(unit):
    team = teams.create_team({**VALUES, "home_site_id": unit["station"].id}, unit["station_staff"])
    row = fresh(Team, team.id)
    assert (row.name, row.brand, row.skills, row.home_site_id) == (
        VALUES["name"], "四季歌", "陪伴聊天、急救", unit["station"].id
    )  # fmt: skip
    assert row.created_at == NOW and row.retired_at is None
    [entry] = audits("team.created")
    assert entry.actor_id == unit["station_staff"].id and entry.site_id == unit["station"].id
    assert entry.target_type == "team" and entry.target_id == team.id
    assert entry.after == {**VALUES, "home_site_id": unit["station"].id}


def test_center_staff_create_a_team_at_one_of_its_stations(unit):
    team = teams.create_team({**VALUES, "home_site_id": unit["station"].id}, unit["center_staff"])
    assert fresh(Team, team.id).home_site_id == unit["station"].id


@pytest.mark.parametrize("who", ["station_staff", "other_staff", "leader"])
def test_no_team_at_a_site_outside_the_scope(unit, who):
    count = db.session.scalar(select(func.count(Team.id)))
    error = refused(
        lambda: teams.create_team({**VALUES, "home_site_id": unit["center"].id}, unit[who]), "site"
    )
    assert error.field == "home_site_id" and error.message == "Choose one of the sites you manage."
    assert db.session.scalar(select(func.count(Team.id))) == count
    assert audits("team.created") == []


def test_names_are_unique_and_spaces_do_not_make_a_new_one(unit):
    staff = unit["center_staff"]
    teams.create_team({**VALUES, "home_site_id": unit["center"].id}, staff)
    spaced = "  " + VALUES["name"] + "\t "
    error = refused(
        lambda: teams.create_team(
            {**VALUES, "name": spaced, "home_site_id": unit["station"].id}, staff
        ),  # fmt: skip
        "name_taken",
    )
    assert error.field == "name" and error.message == "A team with this name already exists."
    names = db.session.scalars(select(Team.name).where(Team.name.like("%四季歌%"))).all()
    assert names == [VALUES["name"]]


def test_staff_edit_a_team_and_the_change_is_audited(unit):
    team = unit["team"]
    values = {**VALUES, "name": team.name, "brand": "夕阳红", "home_site_id": unit["center"].id}
    teams.update_team(team.id, values, unit["center_staff"])
    row = fresh(Team, team.id)
    assert (row.brand, row.description, row.skills, row.home_site_id) == (
        "夕阳红",
        VALUES["description"],
        VALUES["skills"],
        unit["center"].id,
    )
    [entry] = audits("team.edited")
    assert entry.actor_id == unit["center_staff"].id and entry.target_id == team.id
    assert entry.before["home_site_id"] == unit["station"].id and "name" not in entry.before
    assert entry.before["brand"] == "四季歌" and entry.after["brand"] == "夕阳红"
    assert entry.after["home_site_id"] == unit["center"].id
    # Saving the same values again changes nothing and records nothing.
    teams.update_team(team.id, values, unit["center_staff"])
    assert len(audits("team.edited")) == 1


def test_edits_keep_to_the_scope_and_to_free_names(unit):
    team = unit["team"]
    values = {**VALUES, "name": team.name, "home_site_id": unit["station"].id}
    refused(lambda: teams.update_team(team.id, values, unit["leader"]), "forbidden")
    refused(lambda: teams.update_team(team.id, values, unit["other_staff"]), "forbidden")
    # Station staff cannot move the team to the center, which they do not manage.
    moved = {**values, "home_site_id": unit["center"].id}
    assert refused(lambda: teams.update_team(team.id, moved, unit["station_staff"]), "site").field
    taken = {**values, "name": unit["other_team"].name}
    refused(lambda: teams.update_team(team.id, taken, unit["station_staff"]), "name_taken")
    row = fresh(Team, team.id)
    assert (row.name, row.brand, row.home_site_id) == (team.name, "四季歌", unit["station"].id)
    assert row.description == "" and audits("team.edited") == []


def test_a_retired_team_takes_no_one_new_and_can_come_back(unit):
    team, staff, joiner = unit["team"], unit["station_staff"], unit["joiner"]
    pending = teams.request_to_join(unit["stranger"], team.id)
    teams.set_retired(team.id, True, staff)
    assert fresh(Team, team.id).retired_at == NOW
    refused(lambda: teams.request_to_join(joiner, team.id), "retired")
    refused(lambda: teams.decide_membership(pending.id, True, staff), "retired")
    refused(lambda: teams.name_to_role(team.id, joiner.mobile, "deputy", staff), "retired")
    assert status_of(team, joiner) is None and status_of(team, unit["stranger"]) == "pending"
    # Its people and their roles stay; a retired team keeps its history.
    assert status_of(team, unit["leader"]) == "leader"
    teams.set_retired(team.id, True, staff)  # again: nothing more happens
    assert len(audits("team.retired")) == 1
    refused(lambda: teams.set_retired(team.id, False, unit["leader"]), "forbidden")
    teams.set_retired(team.id, False, staff)
    assert fresh(Team, team.id).retired_at is None
    assert [e.action for e in audits("team.restored")] == ["team.restored"]
    teams.request_to_join(joiner, team.id)
    assert status_of(team, joiner) == "pending"


# Leaders and deputies ----------------------------------------------------------------


def test_staff_name_a_leader_who_replaces_the_old_one(unit):
    team, staff, joiner = unit["team"], unit["station_staff"], unit["joiner"]
    teams.name_to_role(team.id, joiner.mobile, "leader", staff)
    assert status_of(team, joiner) == "leader"
    assert status_of(team, unit["leader"]) == "member"  # stays in the team
    changes = [(e.before, e.after) for e in audits("team.role_changed")]
    assert changes == [
        ({"user_id": unit["leader"].id, "status": "leader"},
         {"user_id": unit["leader"].id, "status": "member"}),
        ({"user_id": joiner.id, "status": None}, {"user_id": joiner.id, "status": "leader"}),
    ]  # fmt: skip
    leaders = select(func.count()).where(
        Membership.team_id == team.id, Membership.status == "leader"
    )
    assert db.session.scalar(leaders) == 1


def test_staff_name_deputies_by_their_number_as_typed(unit):
    team, staff = unit["team"], unit["center_staff"]
    typed = " ".join(
        [unit["joiner"].mobile[:3], unit["joiner"].mobile[3:7], unit["joiner"].mobile[7:]]
    )
    teams.name_to_role(team.id, typed.replace("1", "１", 1), "deputy", staff)
    assert status_of(team, unit["joiner"]) == "deputy"
    assert status_of(team, unit["deputy"]) == "deputy"  # teams have several deputies
    refused(lambda: teams.name_to_role(team.id, unit["joiner"].mobile, "deputy", staff),
            "same_role")  # fmt: skip


def test_naming_needs_a_volunteer_the_staff_and_a_role(unit):
    team, staff = unit["team"], unit["station_staff"]
    assert refused(lambda: teams.name_to_role(team.id, "13311112222", "leader", staff),
                   "no_person").field == "mobile"  # fmt: skip
    assert refused(lambda: teams.name_to_role(team.id, unit["resident"].mobile, "leader", staff),
                   "not_volunteer").field == "mobile"  # fmt: skip
    refused(lambda: teams.name_to_role(team.id, unit["joiner"].mobile, "member", staff), "role")
    for who in ("leader", "deputy", "other_staff"):
        refused(
            lambda who=who: teams.name_to_role(team.id, unit["joiner"].mobile, "deputy", unit[who]),
            "forbidden",
        )
    assert status_of(team, unit["joiner"]) is None
    assert audits("team.role_changed") == []


def test_staff_change_roles_and_the_leader_cannot(unit):
    team, staff = unit["team"], unit["station_staff"]
    deputy = db.session.scalar(select(Membership).where(Membership.user_id == unit["deputy"].id))
    member = db.session.scalar(select(Membership).where(Membership.user_id == unit["member"].id))
    for who in ("leader", "deputy", "member", "other_staff"):
        refused(lambda who=who: teams.set_role(member.id, "deputy", unit[who]), "forbidden")
        refused(lambda who=who: teams.set_role(deputy.id, "member", unit[who]), "forbidden")
    assert (
        status_of(team, unit["deputy"]) == "deputy" and status_of(team, unit["member"]) == "member"
    )
    teams.set_role(deputy.id, "member", staff)
    teams.set_role(member.id, "leader", staff)
    assert status_of(team, unit["deputy"]) == "member"
    assert status_of(team, unit["member"]) == "leader"
    assert status_of(team, unit["leader"]) == "member"
    refused(lambda: teams.set_role(member.id, "removed", staff), "role")
    pending = teams.request_to_join(unit["joiner"], team.id)
    refused(lambda: teams.set_role(pending.id, "deputy", staff), "not_member")
    # A membership is changed only through its own team's page.
    refused(lambda: teams.set_role(member.id, "deputy", staff, team_id=unit["other_team"].id),
            "no_membership")  # fmt: skip


# Removal with a reason ----------------------------------------------------------------


def _membership(unit, who):
    return db.session.scalar(
        select(Membership).where(
            Membership.team_id == unit["team"].id, Membership.user_id == unit[who].id
        )
    )


def test_staff_remove_a_member_with_a_reason_and_they_may_ask_again(unit):
    team, staff, member = unit["team"], unit["station_staff"], unit["member"]
    membership = _membership(unit, "member")
    refused(lambda: teams.remove_member(membership.id, "   ", staff), "reason")
    refused(lambda: teams.remove_member(membership.id, "长" * 201, staff), "reason")
    assert status_of(team, member) == "member"
    teams.remove_member(membership.id, "  半年未参加活动  ", staff)
    row = fresh(Membership, membership.id)
    assert (row.status, row.removed_at, row.removed_reason) == ("removed", NOW, "半年未参加活动")
    [entry] = audits("team.member_removed")
    assert entry.before == {"user_id": member.id, "status": "member"}
    assert entry.after == {"user_id": member.id, "status": "removed", "reason": "半年未参加活动"}
    assert entry.actor_id == staff.id and entry.site_id == unit["station"].id
    # Removed is out: not counted, cannot leave or be removed again.
    refused(lambda: teams.leave_team(member, team.id), "not_member")
    refused(lambda: teams.remove_member(membership.id, "再次", staff), "not_member")
    # They ask again; a decline puts them back as removed, with their reason.
    teams.request_to_join(member, team.id)
    assert status_of(team, member) == "pending"
    teams.decide_membership(membership.id, False, unit["leader"])
    row = fresh(Membership, membership.id)
    assert (row.status, row.removed_reason) == ("removed", "半年未参加活动")
    teams.request_to_join(member, team.id)
    teams.decide_membership(membership.id, True, unit["deputy"])
    assert status_of(team, member) == "member"


def test_the_leader_and_deputy_remove_plain_members_only(unit):
    team = unit["team"]
    member, deputy, leader = (_membership(unit, w) for w in ("member", "deputy", "leader"))
    # Whom the staff named, only the staff remove.
    refused(lambda: teams.remove_member(deputy.id, "不合适", unit["leader"]), "staff_only")
    refused(lambda: teams.remove_member(leader.id, "不合适", unit["deputy"]), "staff_only")
    refused(lambda: teams.remove_member(leader.id, "我不干了", unit["leader"]), "staff_only")
    # Outsiders and plain members remove no one.
    for who in ("member", "stranger", "other_staff", "resident"):
        refused(lambda who=who: teams.remove_member(member.id, "不合适", unit[who]), "forbidden")
    assert audits("team.member_removed") == []
    teams.remove_member(member.id, "多次无故缺席", unit["deputy"])
    assert status_of(team, unit["member"]) == "removed"
    assert (
        status_of(team, unit["deputy"]) == "deputy" and status_of(team, unit["leader"]) == "leader"
    )


def test_requests_are_decided_by_those_who_run_the_team(unit):
    team = unit["team"]
    request = teams.request_to_join(unit["joiner"], team.id)
    for who in ("member", "stranger", "other_staff"):
        refused(lambda who=who: teams.decide_membership(request.id, True, unit[who]), "forbidden")
    assert status_of(team, unit["joiner"]) == "pending"
    teams.decide_membership(request.id, True, unit["deputy"])
    assert status_of(team, unit["joiner"]) == "member"
    [entry] = audits("team.member_approved")
    assert entry.actor_id == unit["deputy"].id and entry.after == {"user_id": unit["joiner"].id}


def test_member_counts_count_the_team_only(unit):
    from app.volunteers import queries

    team = unit["team"]
    teams.request_to_join(unit["joiner"], team.id)
    teams.remove_member(_membership(unit, "member").id, "搬家了", unit["station_staff"])
    assert queries.member_counts([team.id]) == {team.id: 2}  # leader and deputy
    counts = queries.membership_counts([team.id])[team.id]
    assert counts == {"leader": 1, "deputy": 1, "pending": 1, "removed": 1}


# The demo data ----------------------------------------------------------------------------


def test_the_demo_teams_could_have_been_entered_through_the_pages(app, freeze):
    """Every team field seed-demo sets is one the staff's form takes as it is, and
    every membership is one the pages make (a leader, deputies, members, requests)."""
    from app.demo.seed import seed
    from app.staff.team_forms import TeamEditForm
    from app.volunteers.teams import TEAM_FIELDS

    freeze(NOW)
    seed()
    demo = db.session.scalars(select(Team)).all()
    assert demo
    for team in demo:
        sent = {f"edit-{key}": str(getattr(team, key)) for key in TEAM_FIELDS}
        with app.test_request_context(method="POST", data=sent):
            form = TeamEditForm(meta={"csrf": False})
            form.home_site_id.choices = [(team.home_site_id, "")]
            assert form.validate(), (team.name, form.errors)
            assert form.values() == {key: getattr(team, key) for key in TEAM_FIELDS}
        assert team.retired_at is None or team.retired_at <= NOW
    statuses = set(db.session.scalars(select(Membership.status).distinct()))
    assert statuses == {"leader", "deputy", "member", "pending"}
    leaders = (
        select(Membership.team_id)
        .where(Membership.status == "leader")
        .group_by(Membership.team_id)
        .having(func.count() > 1)
    )
    assert db.session.scalars(leaders).all() == []  # one leader a team, as the pages keep it
    assert all(team.skills for team in demo)
