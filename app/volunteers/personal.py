"""The volunteering area's parts of "download my data", and what deletion does to them.

Deleting an account lets go of what it holds: places in activities still to
come (the next on the waiting list moves up and is told), team memberships and
requests, redemptions not yet picked up (stock comes back). Records of service
stay: hours, the points ledger (it is append-only) and issued certificates,
which remain verifiable with the holder's name removed.
"""

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..models import (
    Activity,
    Certificate,
    MallItem,
    Membership,
    PointsEntry,
    ProjectComment,
    Redemption,
    Signup,
    User,
)
from ..personal import iso, part

GONE = "账号已注销"  # what staff read where a person left because the account is deleted


@part("signups", covers=("signup.user_id",), order=20)
def signups(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Signup)
        .where(Signup.user_id == user.id)
        .options(joinedload(Signup.activity))
        .order_by(Signup.created_at, Signup.id)
    )
    return [{"activity": s.activity.title, "starts_at": iso(s.activity.starts_at),
             "status": s.status, "signed_up_at": iso(s.created_at),
             "checked_in_at": iso(s.checked_in_at), "checked_out_at": iso(s.checked_out_at),
             "hours_credited": float(s.hours_credited or 0),
             "credit_reason": s.credit_reason or None}
            for s in rows]  # fmt: skip


@signups.on_delete
def _leave_activities(user: User) -> None:
    """Places in activities still to come end; each freed place goes to the waiting list."""
    from .signups import let_go

    now = clock.now()
    activity_ids = db.session.scalars(
        select(Signup.activity_id)
        .join(Activity, Signup.activity_id == Activity.id)
        .where(Signup.user_id == user.id, Signup.status.in_(("signed_up", "waitlisted")),
               Activity.starts_at > now)
        .order_by(Signup.activity_id)
    ).all()  # fmt: skip
    for activity_id in activity_ids:
        let_go(user.id, activity_id)


@part("points", covers=("points_entry.user_id",),
      kept="the ledger is append-only: entries stay, on an account with no name")  # fmt: skip
def points(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(PointsEntry).where(PointsEntry.user_id == user.id).order_by(PointsEntry.id)
    )
    return [{"kind": p.kind, "points": p.points, "reason": p.reason, "at": iso(p.created_at)}
            for p in rows]  # fmt: skip


@part("redemptions", covers=("redemption.user_id",), order=30)
def redemptions(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Redemption)
        .where(Redemption.user_id == user.id)
        .options(joinedload(Redemption.item))
        .order_by(Redemption.id)
    )
    return [{"item": r.item.name, "points": r.points, "code": r.code, "status": r.status,
             "reserved_at": iso(r.created_at), "decided_at": iso(r.decided_at)}
            for r in rows]  # fmt: skip


@redemptions.on_delete
def _cancel_redemptions(user: User) -> None:
    """Items not yet picked up go back on the shelf (the points back to the ledger)."""
    now = clock.now()
    waiting = db.session.scalars(
        select(Redemption)
        .where(Redemption.user_id == user.id, Redemption.status == "reserved")
        .options(joinedload(Redemption.item))
        .order_by(Redemption.id)
    ).all()
    for redemption in waiting:
        taken = db.session.execute(
            update(Redemption)
            .where(Redemption.id == redemption.id, Redemption.status == "reserved")
            .values(status="cancelled", decided_at=now)
        ).rowcount
        if not taken:
            continue
        db.session.execute(
            update(MallItem).where(MallItem.id == redemption.item_id)
            .values(stock=MallItem.stock + 1)
        )  # fmt: skip
        db.session.add(PointsEntry(
            user_id=user.id, kind="refund", points=redemption.points,
            reason=redemption.item.name, redemption_id=redemption.id, created_at=now,
        ))  # fmt: skip


@part("certificates", covers=("certificate.user_id",), order=300)
def certificates(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
    )
    return [{"number": c.number, "code": c.code, "holder_name": c.holder_name,
             "issuer": c.issuer_name, "total_hours": float(c.total_hours),
             "activities": c.activity_count, "issued_at": iso(c.issued_at)}
            for c in rows]  # fmt: skip


@certificates.on_delete
def _unname_certificates(user: User) -> None:
    """Issued certificates stay verifiable; the holder's name is removed."""
    from ..accounts.service import DELETED_NAME

    db.session.execute(
        update(Certificate).where(Certificate.user_id == user.id).values(holder_name=DELETED_NAME)
    )


@part("team_memberships", covers=("membership.user_id",), order=40)
def team_memberships(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.user_id == user.id)
        .options(joinedload(Membership.team))
        .order_by(Membership.id)
    )
    return [{"team": m.team.name, "status": m.status, "since": iso(m.created_at),
             "removed_at": iso(m.removed_at)} for m in rows]  # fmt: skip


@team_memberships.on_delete
def _leave_teams(user: User) -> None:
    """Requests to join end; a member leaves (the team's history keeps the row)."""
    now = clock.now()
    db.session.execute(
        update(Membership)
        .where(Membership.user_id == user.id, Membership.status != "removed")
        .values(status="removed", removed_at=now, removed_reason=GONE)
    )


@part("project_comments", covers=("project_comment.user_id",),
      kept="opinions on a public project stay on it, signed 已注销用户")  # fmt: skip
def project_comments(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(ProjectComment)
        .where(ProjectComment.user_id == user.id)
        .options(joinedload(ProjectComment.project))
        .order_by(ProjectComment.id)
    )
    return [{"project": c.project.title, "text": c.body, "at": iso(c.created_at)} for c in rows]
