"""The accounts area's parts of "download my data", and what deletion does to them."""

from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import AuditEntry, Consent, LoginSession, StaffScope, Upload, User
from ..personal import iso, part


def _roles(user):
    from .service import roles_of

    return roles_of(user)


@part("account", covers=(), kept="the row stays, emptied, so records of service keep their link")
def account(user: User) -> dict:
    return {
        "id": user.id,
        "mobile": user.mobile,
        "display_name": user.display_name,
        "created_at": iso(user.created_at),
        "last_login_at": iso(user.last_login_at),
        "created_by_staff": user.created_by_staff,
        "roles": _roles(user),
    }


@part("volunteer_profile", covers=("volunteer_profile.user_id",), order=200)
def volunteer_profile(user: User) -> dict | None:
    v = user.volunteer
    if v is None:
        return None
    return {"real_name": v.real_name, "skills": v.skills, "bio": v.bio,
            "created_at": iso(v.created_at)}  # fmt: skip


@volunteer_profile.on_delete
def _drop_profile(user: User) -> None:
    user.volunteer = None


@part("staff_scopes", covers=("staff_scope.user_id",), order=200)
def staff_scopes(user: User) -> list[dict]:
    return [
        {"site_id": s.site_id, "site": s.site.name, "granted_at": iso(s.created_at)}
        for s in user.scopes
    ]


@staff_scopes.on_delete
def _drop_scopes(user: User) -> None:
    db.session.execute(delete(StaffScope).where(StaffScope.user_id == user.id))
    db.session.expire(user, ["scopes"])


@part("logins", covers=("login_session.user_id",), order=200)
def logins(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id).order_by(LoginSession.id)
    )
    return [{"started_at": iso(r.created_at), "kept_logged_in": r.remember,
             "expires_at": iso(r.expires_at), "ended_at": iso(r.revoked_at)}
            for r in rows]  # fmt: skip


@logins.on_delete
def _drop_logins(user: User) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


@part("consents", covers=("consent.user_id",), order=200)
def consents(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Consent).where(Consent.user_id == user.id).order_by(Consent.id)
    )
    return [{"kind": r.kind, "version": r.version, "given_at": iso(r.given_at)} for r in rows]


@consents.on_delete
def _drop_consents(user: User) -> None:
    db.session.execute(delete(Consent).where(Consent.user_id == user.id))


@part("actions_in_audit_log", covers=("audit_entry.actor_id",), order=300)
def actions(user: User) -> list[dict]:
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.at)
    )
    return [{"at": iso(e.at), "action": e.action, "summary": e.summary} for e in entries]


@actions.on_delete
def _unname_in_audit(user: User) -> None:
    """The log keeps what was done; entries about the person no longer carry their name."""
    from .service import DELETED_NAME

    if user.display_name:
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.target_type == "user", AuditEntry.target_id == user.id,
                   AuditEntry.summary == user.display_name)
            .values(summary=DELETED_NAME)
        )  # fmt: skip


@part(
    "staff_work",
    covers=("staff_scope.granted_by_id", "booking.booked_by_id", "upload.owner_id",
            "activity_series.created_by_id", "activity_change.created_by_id",
            "points_entry.created_by_id", "project_spending.created_by_id",
            "project_comment.replied_by_id", "project_comment.hidden_by_id"),
    kept="the site's records of work done; they name the account, which keeps no name",
)  # fmt: skip
def staff_work(user: User) -> dict:
    """How much of the sites' records this person made as staff (the records are the sites')."""
    from ..models import (
        ActivityChange,
        ActivitySeries,
        Booking,
        PointsEntry,
        ProjectComment,
        ProjectSpending,
    )

    def count(column):
        return db.session.scalar(select(func.count()).where(column == user.id))

    return {
        "scopes_granted": count(StaffScope.granted_by_id),
        "bookings_made_for_residents": count(Booking.booked_by_id),
        "photos_uploaded": count(Upload.owner_id),
        "activity_series_created": count(ActivitySeries.created_by_id),
        "activity_changes_made": count(ActivityChange.created_by_id),
        "points_entries_made": count(PointsEntry.created_by_id),
        "project_spending_recorded": count(ProjectSpending.created_by_id),
        "project_comments_replied": count(ProjectComment.replied_by_id),
        "project_comments_hidden": count(ProjectComment.hidden_by_id),
    }
