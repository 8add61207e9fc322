"""The rules of deliberation (议事): propose, support, schedule, record,
publish, implement, rate.

Residents of a community (their home is there) support its topics (附议),
once each; when the supports reach the community's threshold the topic goes
to the agenda by a conditional UPDATE, so it happens once however many
supports arrive together. Staff schedule a meeting for topics on the agenda:
the meeting holds a booking of one of the site's bookable rooms, made through
the booking engine in the same transaction, so the room's capacity and
calendar hold, and two staff scheduling one topic at once make one meeting.
Every other move happens under the topic's row lock from the state it leaves.
"""

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, clock
from ..database import begin_write, is_sqlite
from ..extensions import db
from ..models import Home, Meeting, Slot, Topic, TopicRating, TopicRule, TopicSupport, TopicUpdate
from ..models.topics import DEFAULT_THRESHOLD, MAX_THRESHOLD, OUTCOME_RATINGS
from ..refusals import Refused
from ..urls import MAX_ID, path_for

MAX_TITLE = 80
MAX_TEXT = 2000
MAX_NOTE = 500
MAX_MINUTES = 5000
MAX_NAMES = 300
MAX_REASON = 300
MAX_COUNT = 10000
MAX_TOPICS_PER_MEETING = 10


class TopicRefused(Refused):
    def __init__(self, reason: str, message: str, field: str | None = None):
        super().__init__(message, field=field, reason=reason)


def refuse(reason: str, message: str, field: str | None = None):
    db.session.rollback()
    raise TopicRefused(reason, message, field)


def clean_text(text: str | None, limit: int, field: str, *, required: bool = True) -> str:
    value = (text or "").replace("\r\n", "\n").strip()
    if "\x00" in value:
        refuse("bad_text", _("Remove the invisible characters from the text."), field)
    if required and not value:
        refuse("empty", _("Please fill this in."), field)
    if len(value) > limit:
        refuse("too_long", _("At most %(n)s characters, please.", n=limit), field)
    return value


def _count(value, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
        refuse("bad_count", _("Enter a whole number from 0 to %(n)s.", n=MAX_COUNT), field)
    return value


def _id(value) -> int:
    """An id the database can hold (0, found nowhere, otherwise)."""
    return value if isinstance(value, int) and 0 < value <= MAX_ID else 0


def _locked(topic_id: int) -> Topic | None:
    topic_id = _id(topic_id)
    query = select(Topic).where(Topic.id == topic_id).execution_options(populate_existing=True)
    if not is_sqlite():
        query = query.with_for_update(of=Topic)
    return db.session.scalar(query)


def home_community(user) -> int | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(select(Home.community_id).where(Home.user_id == user.id))


def is_resident_of(user, community_id: int) -> bool:
    return home_community(user) == community_id


def can_manage(user, community_id: int) -> bool:
    from ..permissions import can_manage_community

    return user is not None and user.is_authenticated and can_manage_community(user, community_id)


def threshold_for(community_id: int) -> int:
    rule = db.session.get(TopicRule, community_id)
    return rule.threshold if rule is not None else DEFAULT_THRESHOLD


def state_label(status: str) -> str:
    from ..vocab import TOPIC_STATES

    term = TOPIC_STATES.get(status)
    return str(term.label) if term else status


def _refuse_state(topic: Topic):
    refuse(
        "state",
        _("This topic is already “%(state)s”; someone may have just updated it.",
          state=state_label(topic.status)),
    )  # fmt: skip


def _topic_step(topic: Topic, by, kind: str, note: str = "") -> None:
    db.session.add(TopicUpdate(topic_id=topic.id, at=clock.now(),
                               by_id=by.id if by else None, kind=kind, note=note))  # fmt: skip


def _tell(user_ids, kind: str, topic: Topic, **extra) -> None:
    from ..notifications import notify

    for user_id in sorted(set(user_ids)):
        notify(user_id, kind, {"title": topic.title, **extra},
               url=path_for("topics.detail", topic_id=topic.id),
               dedupe_key=f"{kind}:{topic.id}:{user_id}")  # fmt: skip


def _people(topic: Topic) -> list[int]:
    """Who follows a topic: its proposer and its supporters."""
    ids = set(db.session.scalars(select(TopicSupport.user_id).where(
        TopicSupport.topic_id == topic.id)))  # fmt: skip
    if topic.proposed_by_id is not None:
        ids.add(topic.proposed_by_id)
    return sorted(ids)


# Threshold ---------------------------------------------------------------------------


def set_threshold(community_id: int, threshold: int, by) -> TopicRule:
    """Staff set how many supports bring a topic to the agenda; topics that
    already have that many go to the agenda now."""
    if (
        not isinstance(threshold, int)
        or isinstance(threshold, bool)
        or not 1 <= threshold <= MAX_THRESHOLD
    ):
        refuse("bad_threshold", _("Enter a whole number from 1 to %(n)s.", n=MAX_THRESHOLD),
               "threshold")  # fmt: skip
    begin_write()
    rule = db.session.get(TopicRule, community_id)
    before = {"threshold": rule.threshold if rule else DEFAULT_THRESHOLD}
    if rule is None:
        rule = TopicRule(community_id=community_id)
        db.session.add(rule)
    rule.threshold, rule.updated_at = threshold, clock.now()
    db.session.flush()
    audit.record("topic.threshold_set", "community", community_id, actor=by, before=before,
                 after={"threshold": threshold}, summary=str(threshold))  # fmt: skip
    ready = list(db.session.scalars(select(Topic.id).where(
        Topic.community_id == community_id, Topic.status == "proposed",
        Topic.supports >= threshold)))  # fmt: skip
    for topic_id in ready:
        _to_agenda(topic_id, threshold)
    db.session.commit()
    return rule


def _to_agenda(topic_id: int, threshold: int) -> bool:
    moved = db.session.execute(
        update(Topic)
        .where(Topic.id == topic_id, Topic.status == "proposed", Topic.supports >= threshold)
        .values(status="agenda", agenda_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount == 1  # fmt: skip
    if moved:
        topic = db.session.get(Topic, topic_id)
        db.session.refresh(topic)
        _topic_step(topic, None, "agenda")
        from ..requests.service import community_staff_ids

        _tell(_people(topic) + community_staff_ids(topic.community_id), "topic_on_agenda", topic)
    return moved


# Proposing and supporting -------------------------------------------------------------


def propose(user, title: str, text: str, *, community_id: int | None = None) -> Topic:
    """A resident proposes a topic for their home's community; staff for a
    community they look after (``community_id``)."""
    title = clean_text(title, MAX_TITLE, "title")
    text = clean_text(text, MAX_TEXT, "text")
    by_staff = community_id is not None
    if by_staff:
        if not can_manage(user, community_id):
            refuse("not_yours", _("You do not look after this community."))
    else:
        community_id = home_community(user)
        if community_id is None:
            refuse("no_home", _("Set your home in “Me” first: topics belong to a community."))
    begin_write()
    topic = Topic(community_id=community_id, title=title, text=text, proposed_by_id=user.id,
                  by_staff=by_staff, status="proposed", created_at=clock.now())  # fmt: skip
    db.session.add(topic)
    db.session.flush()
    _topic_step(topic, user, "proposed")
    if by_staff:
        audit.record("topic.proposed", "topic", topic.id, actor=user, summary=title[:60])
    db.session.commit()
    return topic


def support(topic_id: int, user) -> bool:
    """A resident's 附议: counted once per resident; the last one needed puts
    the topic on the agenda. False when this resident already supported it."""
    begin_write()
    topic = db.session.get(Topic, _id(topic_id))
    if topic is None:
        refuse("not_found", _("That topic no longer exists."))
    if not is_resident_of(user, topic.community_id):
        refuse("not_resident", _("Only residents of this community can support its topics."))
    if topic.proposed_by_id == user.id:
        refuse("own", _("This is your own topic."))
    if topic.status not in Topic.OPEN:
        refuse("closed", _("This topic no longer gathers support."))
    try:
        with db.session.begin_nested():
            db.session.add(TopicSupport(topic_id=topic.id, user_id=user.id, created_at=clock.now()))
    except IntegrityError:
        db.session.rollback()
        return False
    db.session.execute(
        update(Topic).where(Topic.id == topic.id).values(supports=Topic.supports + 1)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    _to_agenda(topic.id, threshold_for(topic.community_id))
    db.session.commit()
    return True


def has_supported(topic_id: int, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    found = db.session.scalar(select(TopicSupport.id).where(
        TopicSupport.topic_id == topic_id, TopicSupport.user_id == user.id))  # fmt: skip
    return found is not None


def withdraw(topic_id: int, user, reason: str) -> Topic:
    """The proposer withdraws a topic before a meeting is set for it."""
    reason = clean_text(reason, MAX_REASON, "reason")
    begin_write()
    topic = _locked(topic_id)
    if topic is None or topic.proposed_by_id != user.id:
        refuse("not_yours", _("Only the resident who proposed it can withdraw it."))
    if topic.status not in Topic.OPEN:
        _refuse_state(topic)
    topic.status, topic.ended_reason, topic.ended_at = "withdrawn", reason, clock.now()
    _topic_step(topic, user, "withdrawn", reason)
    db.session.commit()
    return topic


# Staff --------------------------------------------------------------------------------


def _staff_topic(topic_id: int, by, community_id: int) -> Topic:
    topic = _locked(topic_id)
    if topic is None or topic.community_id != community_id:
        refuse("not_found", _("That topic is not in this community."))
    if not can_manage(by, topic.community_id):
        refuse("not_yours", _("You do not look after this community."))
    return topic


def decline(topic_id: int, by, community_id: int, reason: str) -> Topic:
    reason = clean_text(reason, MAX_REASON, "reason")
    begin_write()
    topic = _staff_topic(topic_id, by, community_id)
    if topic.status not in (*Topic.OPEN, "scheduled"):
        _refuse_state(topic)
    if topic.status == "scheduled":
        topic.meeting_id = None
    topic.status, topic.ended_reason, topic.ended_at = "declined", reason, clock.now()
    _topic_step(topic, by, "declined", reason)
    audit.record("topic.declined", "topic", topic.id, actor=by, summary=reason[:60])
    db.session.commit()
    return topic


ROOM_CATEGORY = "venue"  # 场地预约: rooms and halls (vocab.SERVICE_CATEGORIES)


def bookable_rooms(community_id: int) -> list[tuple[int, str]]:
    """The rooms (bookable services of the category 'venue', with a booking
    rule) of the community's sites, as (id, "site · room")."""
    from ..models import BookingRule, Service, Site

    rows = db.session.execute(
        select(Service.id, Site.name, Service.name)
        .join(Site, Site.id == Service.site_id)
        .join(BookingRule, BookingRule.service_id == Service.id)
        .where(Site.community_id == community_id, Service.category == ROOM_CATEGORY,
               Service.bookable.is_(True), Service.active.is_(True))
        .order_by(Site.name, Service.name, Service.id).limit(200)
    )  # fmt: skip
    return [(service_id, f"{site} · {name}") for service_id, site, name in rows]


def bookable_slots(community_id: int, service_id: int, day) -> list[Slot]:
    """Free slots of one room of the community's sites from ``day`` (a local
    date) to the end of the room's booking window: the first 50, earliest
    first. The booking engine still checks each one when it is booked."""
    from datetime import datetime, time, timedelta

    from ..models import BookingRule, Service, Site

    window = db.session.scalar(
        select(BookingRule.window_days).join(Service, Service.id == BookingRule.service_id)
        .join(Site, Site.id == Service.site_id)
        .where(Service.id == service_id, Site.community_id == community_id,
               Service.category == ROOM_CATEGORY, Service.bookable.is_(True),
               Service.active.is_(True))
    )  # fmt: skip
    if window is None:
        return []
    after = datetime.combine(clock.today() + timedelta(days=window + 1), time(), clock.LOCAL_TZ)
    return list(db.session.scalars(
        select(Slot).where(
            Slot.service_id == service_id, Slot.taken < Slot.capacity,
            Slot.starts_at > clock.now(), Slot.starts_at < after,
            Slot.starts_at >= datetime.combine(day, time(), clock.LOCAL_TZ))
        .order_by(Slot.starts_at, Slot.id).limit(50)
    ))  # fmt: skip


def schedule(topic_ids, slot_id: int, by, community_id: int) -> Meeting:
    """Staff book a meeting for topics on the agenda in a free slot of one of
    the community's bookable rooms. The booking is staff's own, made by the
    booking engine (its capacity, notice and calendar rules apply), and the
    meeting is written in the same transaction."""
    from ..bookings.service import BookingError, _book
    from ..permissions import can_manage_site

    topic_ids = sorted(set(topic_ids))
    if not topic_ids:
        refuse("no_topics", _("Choose at least one topic on the agenda."), "topics")
    if len(topic_ids) > MAX_TOPICS_PER_MEETING:
        refuse("too_many", _("At most %(n)s topics per meeting.", n=MAX_TOPICS_PER_MEETING),
               "topics")  # fmt: skip
    begin_write()
    topics = []
    for topic_id in topic_ids:
        topic = _staff_topic(topic_id, by, community_id)
        if topic.status != "agenda":
            _refuse_state(topic)
        topics.append(topic)
    slot = db.session.get(Slot, _id(slot_id))
    if (
        slot is None
        or slot.service.site.community_id != community_id
        or slot.service.category != ROOM_CATEGORY
    ):
        refuse("wrong_slot", _("Choose a time of a room in this community."), "slot")
    site = slot.service.site
    meeting_box = {}

    def hold(booking):
        meeting = Meeting(community_id=community_id, site_id=site.id, booking_id=booking.id,
                          starts_at=slot.starts_at, ends_at=slot.ends_at, status="scheduled",
                          scheduled_by_id=by.id, created_at=clock.now())  # fmt: skip
        db.session.add(meeting)
        db.session.flush()
        for topic in topics:
            topic.status, topic.meeting_id = "scheduled", meeting.id
            _topic_step(topic, by, "scheduled", clock.stamp(slot.starts_at))
        audit.record("topic.meeting_scheduled", "meeting", meeting.id, actor=by,
                     site_id=site.id, summary=f"{site.name} {clock.stamp(slot.starts_at)}",
                     after={"topics": topic_ids, "booking_id": booking.id})  # fmt: skip
        for topic in topics:
            _tell(
                _people(topic),
                "meeting_invited",
                topic,
                site=site.name,
                when=clock.stamp(slot.starts_at),
            )
        meeting_box["meeting"] = meeting

    try:
        _book(by, slot.id, None, 1, False, by, before_commit=hold,
              approved=can_manage_site(by, site))  # fmt: skip
    except BookingError as error:
        raise TopicRefused(error.reason or "booking", error.message, "slot") from None
    return meeting_box["meeting"]


def write_record(topic_id: int, by, community_id: int, *, decision: str, votes_for: int,
           votes_against: int, votes_abstain: int, minutes: str, residents: int,
           owners_committee: int, property_company: int, party_committee: int,
           names: str = "") -> Topic:  # fmt: skip
    """The meeting's record for a scheduled topic: minutes and attendees on the
    meeting, the decision and the vote on the topic."""
    decision = clean_text(decision, MAX_TEXT, "decision")
    minutes = clean_text(minutes, MAX_MINUTES, "minutes")
    names = clean_text(names, MAX_NAMES, "names", required=False)
    counts = {f: _count(v, f) for f, v in (
        ("votes_for", votes_for), ("votes_against", votes_against),
        ("votes_abstain", votes_abstain), ("residents", residents),
        ("owners_committee", owners_committee), ("property_company", property_company),
        ("party_committee", party_committee))}  # fmt: skip
    begin_write()
    topic = _staff_topic(topic_id, by, community_id)
    if topic.status != "scheduled" or topic.meeting is None:
        _refuse_state(topic)
    meeting = topic.meeting
    now = clock.now()
    if now < meeting.starts_at:
        refuse("too_early", _("The meeting has not started yet."))
    meeting.minutes, meeting.attendee_names = minutes, names
    meeting.residents_count = counts["residents"]
    meeting.owners_committee_count = counts["owners_committee"]
    meeting.property_company_count = counts["property_company"]
    meeting.party_committee_count = counts["party_committee"]
    meeting.status, meeting.recorded_at, meeting.recorded_by_id = "held", now, by.id
    topic.decision = decision
    topic.votes_for = counts["votes_for"]
    topic.votes_against = counts["votes_against"]
    topic.votes_abstain = counts["votes_abstain"]
    topic.status, topic.decided_at = "decided", now
    _topic_step(topic, by, "decided")
    audit.record("topic.recorded", "topic", topic.id, actor=by, summary=decision[:60],
                 after={k: v for k, v in counts.items()})  # fmt: skip
    db.session.commit()
    return topic


def publish(topic_id: int, by, community_id: int) -> Topic:
    """The decision is published (公开) on the topic's page."""
    begin_write()
    topic = _staff_topic(topic_id, by, community_id)
    if topic.status != "decided":
        _refuse_state(topic)
    topic.status, topic.published_at = "published", clock.now()
    _topic_step(topic, by, "published")
    audit.record("topic.published", "topic", topic.id, actor=by, summary=topic.title[:60])
    _tell(_people(topic), "topic_published", topic)
    db.session.commit()
    return topic


IMPLEMENTATION = {"implementing": ("published",), "implemented": ("published", "implementing")}


def implementation(topic_id: int, by, community_id: int, state: str, note: str) -> Topic:
    """The implementation's state (being implemented, implemented) with a
    public note; a note alone while it is being implemented."""
    note = clean_text(note, MAX_NOTE, "note")
    if state not in (*IMPLEMENTATION, "note"):
        refuse("bad_state", _("Choose how far the implementation is."), "state")
    begin_write()
    topic = _staff_topic(topic_id, by, community_id)
    now = clock.now()
    if state == "note":
        if topic.status not in Topic.PUBLIC_DECISION:
            _refuse_state(topic)
    else:
        if topic.status not in IMPLEMENTATION[state]:
            _refuse_state(topic)
        topic.status = state
        if state == "implementing" or topic.implementation_started_at is None:
            topic.implementation_started_at = now
        if state == "implemented":
            topic.implemented_at = now
    _topic_step(topic, by, state, note)
    audit.record(
        "topic.implementation", "topic", topic.id, actor=by, summary=f"{state}: {note[:50]}"
    )
    db.session.commit()
    return topic


# The residents' word on the outcome ---------------------------------------------------


def rate(topic_id: int, user, rating: str) -> bool:
    """A resident of the community rates a published outcome, once. False when
    they already had."""
    if rating not in OUTCOME_RATINGS:
        refuse("bad_rating", _("Choose how satisfied you are."), "rating")
    begin_write()
    topic = db.session.get(Topic, _id(topic_id))
    if topic is None:
        refuse("not_found", _("That topic no longer exists."))
    if not is_resident_of(user, topic.community_id):
        refuse("not_resident", _("Only residents of this community can rate its decisions."))
    if topic.status not in Topic.PUBLIC_DECISION:
        refuse("state", _("You can rate the outcome once the decision is published."))
    try:
        with db.session.begin_nested():
            db.session.add(TopicRating(topic_id=topic.id, user_id=user.id, rating=rating,
                                       created_at=clock.now()))  # fmt: skip
    except IntegrityError:
        db.session.rollback()
        return False
    db.session.commit()
    return True


def ratings(topic_id: int) -> dict[str, int]:
    from sqlalchemy import func

    counts = dict(db.session.execute(
        select(TopicRating.rating, func.count()).where(TopicRating.topic_id == topic_id)
        .group_by(TopicRating.rating)
    ).all())  # fmt: skip
    return {r: counts.get(r, 0) for r in OUTCOME_RATINGS}


def my_rating(topic_id: int, user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(select(TopicRating.rating).where(
        TopicRating.topic_id == topic_id, TopicRating.user_id == user.id))  # fmt: skip
