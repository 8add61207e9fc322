"""The requests area's parts of "download my data", and what deletion does to them."""

from sqlalchemy import delete, func, select, update

from .. import clock
from ..extensions import db
from ..models import RequestPhoto, RequestStep, RequestSupport, ResidentRequest, Upload, User
from ..personal import iso, part


@part("requests", covers=("resident_request.resident_id",), order=250)
def requests(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(ResidentRequest)
        .where(ResidentRequest.resident_id == user.id)
        .order_by(ResidentRequest.id)
    )
    return [
        {"number": r.id, "category": r.category, "text": r.text, "place": r.place_text,
         "public": r.public, "status": r.status, "reported_at": iso(r.created_at),
         "resolved_at": iso(r.resolved_at), "rating": r.rating, "rating_comment": r.rating_comment,
         "steps": [{"kind": s.kind, "at": iso(s.at), "note": s.note} for s in r.steps]}
        for r in rows
    ]  # fmt: skip


@requests.on_delete
def _forget_requests(user: User) -> None:
    """The requests stay in the community's figures, emptied of the resident's
    words, place and photos; the open ones are closed (no one to answer)."""
    mine = select(ResidentRequest.id).where(ResidentRequest.resident_id == user.id)
    photos = select(RequestPhoto.upload_id).where(RequestPhoto.request_id.in_(mine))
    uploads = list(db.session.scalars(photos))
    db.session.execute(delete(RequestPhoto).where(RequestPhoto.request_id.in_(mine)))
    if uploads:
        db.session.execute(delete(Upload).where(Upload.id.in_(uploads)))
    db.session.execute(
        update(ResidentRequest)
        .where(ResidentRequest.resident_id == user.id)
        .values(text="", place_text="", lat=None, lng=None, public=False, rating_comment="")
    )
    db.session.execute(
        update(RequestStep)
        .where(RequestStep.request_id.in_(mine), RequestStep.actor_id == user.id)
        .values(note="")
    )
    db.session.execute(
        update(ResidentRequest)
        .where(ResidentRequest.resident_id == user.id,
               ResidentRequest.status.in_(ResidentRequest.OPEN))
        .values(status="closed", closed_at=clock.now())
    )  # fmt: skip


@part("request_support", covers=("request_support.user_id",), order=250)
def request_support(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(RequestSupport).where(RequestSupport.user_id == user.id).order_by(RequestSupport.id)
    )
    return [{"request": s.request_id, "at": iso(s.created_at)} for s in rows]


@request_support.on_delete
def _drop_support(user: User) -> None:
    # The "me too" count stays: it counted a resident who had the problem then.
    db.session.execute(delete(RequestSupport).where(RequestSupport.user_id == user.id))


@part(
    "request_work",
    covers=("resident_request.logged_by_id", "request_step.actor_id"),
    kept="the community's record of how each request was handled",
)
def request_work(user: User) -> dict:
    def count(column):
        return db.session.scalar(select(func.count()).where(column == user.id))

    return {
        "requests_logged_for_residents": count(ResidentRequest.logged_by_id),
        "request_steps_taken": count(RequestStep.actor_id),
    }
