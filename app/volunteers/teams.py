"""Volunteer teams (志愿服务队): created and run by staff, joined by volunteers.

Who may do what:

- **Staff of the team's home site** (center staff also for its stations) and
  admins: everything. They create a team, edit it, retire it and bring it
  back, name or replace its leader and deputies, decide requests and remove
  members with a reason.
- **The leader and deputies** (``Membership.RUNS_THE_TEAM``) run its members:
  they decide requests to join and remove a plain member, with a reason.
  Whom the staff named (the leader, the deputies) only the staff change.
- **Volunteers** ask to join, and leave.

Every change locks the team's row first (then the membership's): two staff
naming a leader at once, or a retirement racing a request to join, are
decided one after the other.
"""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit, clock
from ..accounts.mobile import normalize_mobile
from ..database import begin_write
from ..extensions import db
from ..models import Membership, Site, Team, User
from ..permissions import can_manage_site
from .common import locked, refuse, require_volunteer

# What staff write about a team, in the order the forms and the audit log show it.
TEAM_FIELDS = ("name", "brand", "slogan", "description", "skills", "home_site_id")


def staff_of_team(user: User, team: Team) -> bool:
    """Staff of the team's home site (a center's staff also for its stations), or an admin."""
    return user.is_authenticated and can_manage_site(user, team.home_site)


def runs_team(user: User, team: Team) -> bool:
    """The team's leader or one of its deputies."""
    if not user.is_authenticated:
        return False
    status = db.session.scalar(
        select(Membership.status).where(
            Membership.team_id == team.id, Membership.user_id == user.id
        )
    )
    return status in Membership.RUNS_THE_TEAM


def can_manage_team(user: User, team: Team) -> bool:
    """May ``user`` decide requests to join and remove plain members?

    Staff of the home site, admins, and the team's leader and deputies.
    """
    return staff_of_team(user, team) or runs_team(user, team)


def _forbidden():
    refuse("forbidden", _("Only the staff of the team's site can do this."))


def _name(value: str) -> str:
    return " ".join((value or "").split())


def _clean(values: dict) -> dict:
    cleaned = {key: (values.get(key) or "").strip() for key in TEAM_FIELDS if key != "home_site_id"}
    cleaned["name"] = _name(cleaned["name"])
    cleaned["home_site_id"] = values.get("home_site_id")
    return cleaned


def _home_site(site_id, by: User) -> Site:
    """The home site staff chose; it must be one they manage."""
    site = db.session.get(Site, site_id) if site_id else None
    if site is None or not can_manage_site(by, site):
        refuse("site", _("Choose one of the sites you manage."), field="home_site_id")
    return site


def _name_is_free(name: str, team_id: int | None = None) -> None:
    taken = select(Team.id).where(Team.name == name, Team.id != (team_id or 0))
    if db.session.scalar(taken) is not None:
        _name_taken()


def _name_taken():
    refuse("name_taken", _("A team with this name already exists."), field="name")


def _commit_unique_name() -> None:
    """Commit; the name's unique index decides a race two creators ran at once."""
    try:
        db.session.commit()
    except IntegrityError:
        _name_taken()


def create_team(values: dict, by: User) -> Team:
    """A new team at one of the sites ``by`` manages, with no members yet."""
    begin_write()
    values = _clean(values)
    site = _home_site(values["home_site_id"], by)
    _name_is_free(values["name"])
    team = Team(**{**values, "home_site_id": site.id}, created_at=clock.now())
    db.session.add(team)
    try:
        db.session.flush()
    except IntegrityError:
        _name_taken()
    audit.record(
        "team.created", "team", team.id, site_id=site.id, actor=by, summary=team.name,
        after={key: values[key] for key in TEAM_FIELDS},
    )  # fmt: skip
    _commit_unique_name()
    return team


def _locked_team(team_id: int) -> Team:
    team = locked(Team, Team.id == team_id, options=(joinedload(Team.home_site),))
    if team is None:
        refuse("no_team", _("This team no longer exists."))
    return team


def update_team(team_id: int, values: dict, by: User) -> Team:
    """Change what residents read about a team, or move it to another site staff manage."""
    begin_write()
    team = _locked_team(team_id)
    if not staff_of_team(by, team):
        _forbidden()
    values = _clean(values)
    site = _home_site(values["home_site_id"], by)
    values["home_site_id"] = site.id
    _name_is_free(values["name"], team.id)
    changed = [key for key in TEAM_FIELDS if getattr(team, key) != values[key]]
    if not changed:
        db.session.rollback()
        return team
    before = {key: getattr(team, key) for key in changed}
    for key in changed:
        setattr(team, key, values[key])
    audit.record(
        "team.edited", "team", team.id, site_id=site.id, actor=by, summary=team.name,
        before=before, after={key: values[key] for key in changed},
    )  # fmt: skip
    _commit_unique_name()
    return team


def set_retired(team_id: int, retired: bool, by: User) -> Team:
    """Retire a team (it takes no one new; its history and page stay), or bring it back."""
    begin_write()
    team = _locked_team(team_id)
    if not staff_of_team(by, team):
        _forbidden()
    if (team.retired_at is not None) == retired:
        db.session.rollback()
        return team
    before = {"retired_at": team.retired_at.isoformat() if team.retired_at else None}
    team.retired_at = clock.now() if retired else None
    audit.record(
        "team.retired" if retired else "team.restored", "team", team.id,
        site_id=team.home_site_id, actor=by, summary=team.name, before=before,
        after={"retired_at": team.retired_at.isoformat() if team.retired_at else None},
    )  # fmt: skip
    db.session.commit()
    return team


def _change_status(membership: Membership, status: str, team: Team, by: User, before) -> None:
    """Give ``membership`` a new role, audited (``before`` None: new in the team)."""
    membership.status = status
    audit.record(
        "team.role_changed", "team", team.id, site_id=team.home_site_id, actor=by,
        summary=team.name, before={"user_id": membership.user_id, "status": before},
        after={"user_id": membership.user_id, "status": status},
    )  # fmt: skip


def _one_leader(team: Team, new_leader: Membership, by: User) -> None:
    """A team has one leader: the one named before becomes a member."""
    previous = db.session.scalars(
        select(Membership).where(
            Membership.team_id == team.id,
            Membership.status == "leader",
            Membership.id != (new_leader.id or 0),
        )
    ).all()
    for membership in previous:
        _change_status(membership, "member", team, by, membership.status)


def name_to_role(team_id: int, mobile: str, role: str, by: User) -> Membership:
    """Staff name a volunteer, found by their mobile number, leader or deputy.

    Anyone with a volunteer profile can be named, in the team already or not
    (a new team has no members). A new leader replaces the old one, who stays
    a member.
    """
    begin_write()
    team = _locked_team(team_id)
    if not staff_of_team(by, team):
        _forbidden()
    if role not in Membership.RUNS_THE_TEAM:
        refuse("role", _("Choose leader or deputy."), field="role")
    number = normalize_mobile(mobile)
    person = db.session.scalar(select(User).where(User.mobile == number)) if number else None
    if person is None or not person.is_active:
        refuse(
            "no_person",
            _("No one has an account with this number. Ask them to register first."),
            field="mobile",
        )
    if person.volunteer is None:
        refuse(
            "not_volunteer",
            _("%(name)s has no volunteer profile yet. Ask them to fill it in first.",
              name=person.display_name),
            field="mobile",
        )  # fmt: skip
    membership = locked(Membership, Membership.team_id == team.id, Membership.user_id == person.id)
    if membership is not None and membership.status == role:
        refuse("same_role", _("%(name)s already has this role.", name=person.display_name),
               field="role")  # fmt: skip
    joining = membership is None or membership.status not in Membership.IN_THE_TEAM
    if joining and team.retired_at is not None:
        _retired()
    before = membership.status if membership is not None else None
    if membership is None:
        membership = Membership(team_id=team.id, user_id=person.id, status=role)
        db.session.add(membership)
        db.session.flush()
    if role == "leader":
        _one_leader(team, membership, by)
    _change_status(membership, role, team, by, before)
    db.session.commit()
    return membership


def _locked_membership(membership_id: int, team_id: int | None = None):
    """The membership, held, with its team held first (the lock order)."""
    found = db.session.scalar(select(Membership.team_id).where(Membership.id == membership_id))
    if found is None or (team_id is not None and found != team_id):
        refuse("no_membership", _("This person is no longer in the team's list."))
    team = _locked_team(found)
    membership = locked(
        Membership, Membership.id == membership_id, options=(joinedload(Membership.user),)
    )
    if membership is None:
        refuse("no_membership", _("This person is no longer in the team's list."))
    return team, membership


def set_role(membership_id: int, role: str, by: User, team_id: int | None = None) -> Membership:
    """Staff make someone in the team its leader, a deputy, or a plain member."""
    begin_write()
    team, membership = _locked_membership(membership_id, team_id)
    if not staff_of_team(by, team):
        _forbidden()
    if role not in Membership.IN_THE_TEAM:
        refuse("role", _("Choose leader, deputy or member."), field="role")
    if membership.status not in Membership.IN_THE_TEAM:
        refuse("not_member", _("Only someone in the team can be given a role."))
    if membership.status == role:
        db.session.rollback()
        return membership
    if role == "leader":
        _one_leader(team, membership, by)
    _change_status(membership, role, team, by, membership.status)
    db.session.commit()
    return membership


def remove_member(membership_id: int, reason: str, by: User, team_id: int | None = None):
    """Take someone out of the team, with the reason they will read.

    The row stays (status ``removed``), so their history with the team does;
    they may ask to join again later. The leader and deputies may remove a
    plain member; whom the staff named, only the staff remove.
    """
    begin_write()
    team, membership = _locked_membership(membership_id, team_id)
    reason = " ".join((reason or "").split())
    staff = staff_of_team(by, team)
    if not staff and not runs_team(by, team):
        _forbidden()
    if not staff and membership.status in Membership.RUNS_THE_TEAM:
        refuse("staff_only", _("Only the staff can remove the leader or a deputy."))
    if membership.status not in Membership.IN_THE_TEAM:
        refuse("not_member", _("This person is not in the team."))
    if not reason:
        refuse("reason", _("Say why, for the person removed."), field="reason")
    if len(reason) > Membership.removed_reason.type.length:
        refuse(
            "reason",
            _("Keep this to %(max)s characters or fewer.",
              max=Membership.removed_reason.type.length),
            field="reason",
        )  # fmt: skip
    before = membership.status
    membership.status = "removed"
    membership.removed_at = clock.now()
    membership.removed_reason = reason
    audit.record(
        "team.member_removed", "team", team.id, site_id=team.home_site_id, actor=by,
        summary=team.name, before={"user_id": membership.user_id, "status": before},
        after={"user_id": membership.user_id, "status": "removed", "reason": reason},
    )  # fmt: skip
    db.session.commit()
    return membership


def _retired():
    refuse("retired", _("This team is retired: it takes no new members."))


def request_to_join(user: User, team_id: int) -> Membership:
    """Ask to join a team; someone removed earlier may ask again."""
    begin_write()
    user = db.session.get(User, user.id)
    require_volunteer(user)
    team = _locked_team(team_id)
    if team.retired_at is not None:
        _retired()
    membership = locked(Membership, Membership.team_id == team.id, Membership.user_id == user.id)
    if membership is not None and membership.status != "removed":
        refuse("already", _("You have already asked to join this team."))
    if membership is None:
        membership = Membership(team_id=team.id, user_id=user.id, status="pending")
        db.session.add(membership)
    else:
        membership.status = "pending"
    try:
        db.session.commit()
    except IntegrityError:
        refuse("already", _("You have already asked to join this team."))
    return membership


def decide_membership(membership_id: int, approve: bool, by: User) -> None:
    """The leader, a deputy or staff accept or decline a request to join.

    A declined first request is gone; someone removed earlier who asked again
    and is declined is back as removed, with the reason they were given.
    """
    begin_write()
    team_id = db.session.scalar(select(Membership.team_id).where(Membership.id == membership_id))
    # Approve and decline at once: the second waits here (on the team, then
    # the request), then finds the request answered (a member now, or gone).
    team = _locked_team(team_id) if team_id is not None else None
    membership = locked(Membership, Membership.id == membership_id) if team else None
    if membership is None or membership.status != "pending":
        refuse("not_pending", _("This request has already been answered."))
    if not can_manage_team(by, team):
        _forbidden()
    if approve:
        if team.retired_at is not None:
            _retired()
        membership.status = "member"
    elif membership.removed_at is not None:
        membership.status = "removed"
    else:
        db.session.delete(membership)
    audit.record(
        "team.member_approved" if approve else "team.member_declined", "team", team.id,
        site_id=team.home_site_id, actor=by, summary=team.name,
        after={"user_id": membership.user_id},
    )  # fmt: skip
    _tell_decision(team, membership.user_id, approve)
    db.session.commit()


def _tell_decision(team: Team, user_id: int, approve: bool) -> None:
    from ..notifications import notify
    from ..urls import path_for

    notify(user_id, "team_request_decided",
           {"team": team.name, "decision": "approved" if approve else "declined"},
           url=path_for("volunteers.team", team_id=team.id))  # fmt: skip


def leave_team(user: User, team_id: int) -> None:
    """Leave a team, or take back a request to join. A leader stays until replaced."""
    begin_write()
    membership = locked(Membership, Membership.team_id == team_id, Membership.user_id == user.id)
    if membership is None or membership.status == "removed":
        refuse("not_member", _("You are not in this team."))
    if membership.status == "leader":
        refuse("leader", _("A leader cannot leave; ask the staff to name a new leader first."))
    db.session.delete(membership)
    db.session.commit()
