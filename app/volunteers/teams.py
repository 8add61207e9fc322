"""Volunteer teams (志愿服务队): joining, deciding requests, leaving."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import Membership, Team, User
from ..permissions import can_manage_site
from .common import locked, refuse, require_volunteer


def can_manage_team(user: User, team: Team) -> bool:
    """The team's leader, staff of its home site, or an admin."""
    if not user.is_authenticated:
        return False
    if can_manage_site(user, team.home_site):
        return True
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.team_id == team.id,
                Membership.user_id == user.id,
                Membership.status == "leader",
            )
        )
        is not None
    )


def request_to_join(user: User, team_id: int) -> Membership:
    begin_write()
    user = db.session.get(User, user.id)
    require_volunteer(user)
    membership = Membership(team_id=team_id, user_id=user.id, status="pending")
    db.session.add(membership)
    try:
        db.session.commit()
    except IntegrityError:
        refuse("already", _("You have already asked to join this team."))
    return membership


def decide_membership(membership_id: int, approve: bool, by: User) -> None:
    """The leader or staff accept or decline a request to join."""
    begin_write()
    # Approve and decline at once: the second waits here, then finds the
    # request answered (a member now, or gone).
    membership = locked(
        Membership, Membership.id == membership_id, options=(joinedload(Membership.team),)
    )
    if membership is None or membership.status != "pending":
        refuse("not_pending", _("This request has already been answered."))
    team = membership.team
    if approve:
        membership.status = "member"
    else:
        db.session.delete(membership)
    audit.record(
        "team.member_approved" if approve else "team.member_declined", "team", team.id,
        site_id=team.home_site_id, actor=by, summary=team.name,
        after={"user_id": membership.user_id},
    )  # fmt: skip
    db.session.commit()


def leave_team(user: User, team_id: int) -> None:
    begin_write()
    membership = locked(Membership, Membership.team_id == team_id, Membership.user_id == user.id)
    if membership is None:
        refuse("not_member", _("You are not in this team."))
    if membership.status == "leader":
        refuse("leader", _("A leader cannot leave; ask the staff to name a new leader first."))
    db.session.delete(membership)
    db.session.commit()
