"""Demo deliberation (议事): the community of the demo resident's home keeps
the default threshold set by its staff, and has two topics gathering support,
one the demo resident proposed and one its staff proposed, as they could have
through the pages. Meetings are booked by staff on the day, so none is seeded."""

from datetime import timedelta

from .. import clock
from ..models import Home, Topic, TopicRule, TopicUpdate, User
from ..models.topics import DEFAULT_THRESHOLD
from .seed_bookings import DEMO_RESIDENT
from .seed_volunteers import DEMO_CENTER_STAFF

TOPICS = (
    ("3号楼加装电梯", "楼里老人多，上下楼困难，希望商议加装电梯和费用分摊。", "resident"),
    ("东门路灯太暗", "东门到活动室的路晚上很暗，希望增设路灯。", "staff"),
)


def add_topics(ctx) -> None:
    now = clock.now()
    resident = next(r["id"] for r in ctx.rows[User] if r["mobile"] == DEMO_RESIDENT)
    staff = next(r["id"] for r in ctx.rows[User] if r["mobile"] == DEMO_CENTER_STAFF)
    community_id = next(h["community_id"] for h in ctx.rows[Home] if h["user_id"] == resident)
    ctx.add(TopicRule, community_id=community_id, threshold=DEFAULT_THRESHOLD,
            updated_at=now - timedelta(days=20))  # fmt: skip
    for n, (title, text, by) in enumerate(TOPICS):
        at = now - timedelta(days=len(TOPICS) - n)
        who = resident if by == "resident" else staff
        topic = ctx.add(
            Topic, community_id=community_id, title=title, text=text, proposed_by_id=who,
            by_staff=by == "staff", status="proposed", supports=0, created_at=at,
            agenda_at=None, meeting_id=None, decision="", votes_for=0, votes_against=0,
            votes_abstain=0, decided_at=None, published_at=None,
            implementation_started_at=None, implemented_at=None, ended_reason="", ended_at=None,
        )  # fmt: skip
        ctx.add(TopicUpdate, topic_id=topic["id"], at=at, by_id=who, kind="proposed", note="")


STEPS = (add_topics,)
