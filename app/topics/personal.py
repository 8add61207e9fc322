"""Deliberation's part of "download my data", and what deleting an account does.

A topic is a matter of its community: when its proposer's account goes, the
topic stays with no one named (one still gathering support is withdrawn), and
the steps they took name no one. Their supports and ratings are deleted; the
support counter of a topic stays as it was counted. Staff who booked or
recorded a meeting keep that record.
"""

from sqlalchemy import delete, select, update

from .. import clock
from ..extensions import db
from ..models import Meeting, Topic, TopicRating, TopicSupport, TopicUpdate, User
from ..personal import iso, part


@part("topics", covers=("topic.proposed_by_id", "topic_update.by_id"), order=40)
def topics(user: User) -> list[dict]:
    rows = db.session.scalars(select(Topic).where(Topic.proposed_by_id == user.id)
                              .order_by(Topic.id))  # fmt: skip
    return [{"title": t.title, "text": t.text, "status": t.status, "supports": t.supports,
             "proposed_at": iso(t.created_at)} for t in rows]  # fmt: skip


@topics.on_delete
def _unlink_topics(user: User) -> None:
    db.session.execute(
        update(Topic)
        .where(Topic.proposed_by_id == user.id, Topic.status.in_(Topic.OPEN))
        .values(status="withdrawn", ended_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Topic).where(Topic.proposed_by_id == user.id).values(proposed_by_id=None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.execute(
        update(TopicUpdate).where(TopicUpdate.by_id == user.id).values(by_id=None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip


@part("topic_supports", covers=("topic_support.user_id",), order=40)
def topic_supports(user: User) -> list[dict]:
    rows = db.session.execute(
        select(Topic.title, TopicSupport.created_at).join(Topic, Topic.id == TopicSupport.topic_id)
        .where(TopicSupport.user_id == user.id).order_by(TopicSupport.id)
    ).all()  # fmt: skip
    return [{"topic": title, "supported_at": iso(at)} for title, at in rows]


@topic_supports.on_delete
def _drop_supports(user: User) -> None:
    db.session.execute(delete(TopicSupport).where(TopicSupport.user_id == user.id))


@part("topic_ratings", covers=("topic_rating.user_id",), order=40)
def topic_ratings(user: User) -> list[dict]:
    rows = db.session.execute(
        select(Topic.title, TopicRating.rating, TopicRating.created_at)
        .join(Topic, Topic.id == TopicRating.topic_id)
        .where(TopicRating.user_id == user.id).order_by(TopicRating.id)
    ).all()  # fmt: skip
    return [{"topic": title, "rating": rating, "rated_at": iso(at)} for title, rating, at in rows]


@topic_ratings.on_delete
def _drop_ratings(user: User) -> None:
    db.session.execute(delete(TopicRating).where(TopicRating.user_id == user.id))


@part("meetings_handled", covers=("meeting.scheduled_by_id", "meeting.recorded_by_id"),
      kept="a staff record of booking or recording a deliberation meeting")  # fmt: skip
def meetings_handled(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Meeting).where((Meeting.scheduled_by_id == user.id)
                              | (Meeting.recorded_by_id == user.id)).order_by(Meeting.id)
    )  # fmt: skip
    return [{"starts_at": iso(m.starts_at), "booked": m.scheduled_by_id == user.id,
             "recorded": m.recorded_by_id == user.id} for m in rows]  # fmt: skip
