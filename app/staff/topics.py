"""A community's deliberation for its staff: the threshold of supports, a topic
proposed by staff, a meeting booked for topics on the agenda (a room of one of
the community's sites, through the booking engine), the record, publishing the
decision, the implementation, and declining a topic. The rules are
``topics.service``."""

import re

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..htmx import render
from ..inputs import DayRefused, parse_day
from ..models import Topic
from ..permissions import community_scope_required
from ..refusals import show_on
from ..topics import service as rules
from ..topics.forms import (
    DeclineForm,
    ImplementationForm,
    MeetingForm,
    RecordForm,
    StaffTopicForm,
    ThresholdForm,
)
from ..topics.service import TopicRefused
from ..urls import positive_int
from . import bp

_SMALL = re.compile(r"[0-9]{1,6}")


def _number(text: str | None) -> int:
    """A typed count (ASCII digits only); -1, refused by the rule, otherwise."""
    value = (text or "").strip()
    return int(value) if _SMALL.fullmatch(value) else -1


def _finder() -> dict:
    """The room and the first day whose free times the meeting form lists: the
    query string's (or the form's, when it comes back with a message), else
    the community's first room from today. A day that is not a date in range
    shows the message and lists from today."""
    rooms = rules.bookable_rooms(g.community.id)
    wanted = positive_int(request.values.get("room"))
    room = next((r for r in rooms if r[0] == wanted), rooms[0] if rooms else None)
    error = None
    try:
        day = parse_day(request.values.get("day"))
    except DayRefused as refused:
        day, error = None, refused.message
    return {"rooms": rooms, "room": room, "day": day or clock.today(), "error": error,
            "chosen": "room" in request.values or "day" in request.values}  # fmt: skip


def _meeting_form(formdata=None) -> tuple[MeetingForm, dict]:
    form = MeetingForm(formdata=formdata)
    finder = _finder()
    form.topics.choices = [(str(t.id), t.title) for t in _topics("agenda")]
    slots = (
        rules.bookable_slots(g.community.id, finder["room"][0], finder["day"])
        if finder["room"] else []
    )  # fmt: skip
    form.slot.choices = [("", _("Choose…"))] + [
        (str(s.id), clock.stamp(s.starts_at)) for s in slots
    ]
    return form, finder


def _topics(status: str | None = None) -> list[Topic]:
    query = select(Topic).where(Topic.community_id == g.community.id)
    if status:
        query = query.where(Topic.status == status)
    return list(db.session.scalars(query.order_by(Topic.id.desc()).limit(200)))


def _page(*, threshold_form=None, topic_form=None, meeting=None, status: int = 200):
    threshold = rules.threshold_for(g.community.id)
    meeting_form, finder = meeting or _meeting_form()
    return render(
        "staff/topics.html", community=g.community, topics=_topics(), threshold=threshold,
        threshold_form=threshold_form or ThresholdForm(formdata=None,
                                                       data={"threshold": str(threshold)}),
        topic_form=topic_form or StaffTopicForm(formdata=None),
        meeting_form=meeting_form, finder=finder, status=status,
    )  # fmt: skip


def _back(community_id: int):
    return redirect(url_for("staff.topics", community_id=community_id), 303)


@bp.get("/communities/<int:community_id>/topics", endpoint="topics")
@community_scope_required
def topics(community_id: int):
    """The community's topics, and what staff do with them."""
    return _page()


@bp.post("/communities/<int:community_id>/topics/threshold", endpoint="topic_threshold")
@community_scope_required
def topic_threshold(community_id: int):
    form = ThresholdForm()
    try:
        rules.set_threshold(g.community.id, _number(form.threshold.data), current_user)
    except TopicRefused as error:
        show_on(form, error)
        return _page(threshold_form=form, status=422)
    flash(_("The threshold is saved."))
    return _back(community_id)


@bp.post("/communities/<int:community_id>/topics/new", endpoint="topic_new")
@community_scope_required
def topic_new(community_id: int):
    form = StaffTopicForm()
    try:
        topic = rules.propose(current_user, form.title.data, form.text.data,
                              community_id=g.community.id)  # fmt: skip
    except TopicRefused as error:
        show_on(form, error)
        return _page(topic_form=form, status=422)
    flash(_("The topic is up: %(title)s", title=topic.title))
    return _back(community_id)


@bp.post("/communities/<int:community_id>/topics/meetings", endpoint="topic_meeting")
@community_scope_required
def topic_meeting(community_id: int):
    """Book a meeting for topics on the agenda; those who follow them are invited."""
    form, finder = _meeting_form(request.form)
    ids = [positive_int(v) or 0 for v in (form.topics.data or [])][:50]
    try:
        rules.schedule(ids, positive_int(form.slot.data) or 0, current_user, g.community.id)
    except TopicRefused as error:
        show_on(form, error)
        return _page(meeting=(form, finder), status=422)
    flash(_("The meeting is booked and the participants are invited."))
    return _back(community_id)


def _topic_here(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.community_id != g.community.id:
        abort(404)
    return topic


def _detail(topic: Topic, *, record_form=None, impl_form=None, decline_form=None, status=200):
    return render(
        "staff/topic.html", community=g.community, topic=topic,
        threshold=rules.threshold_for(g.community.id), ratings=rules.ratings(topic.id),
        record_form=record_form or RecordForm(formdata=None),
        impl_form=impl_form or ImplementationForm(formdata=None),
        decline_form=decline_form or DeclineForm(formdata=None), status=status,
        now=clock.now(), show_all=True,
    )  # fmt: skip


@bp.get("/communities/<int:community_id>/topics/<int:topic_id>", endpoint="topic")
@community_scope_required
def topic(community_id: int, topic_id: int):
    return _detail(_topic_here(topic_id))


@bp.post("/communities/<int:community_id>/topics/<int:topic_id>/record",
         endpoint="topic_record")  # fmt: skip
@community_scope_required
def topic_record(community_id: int, topic_id: int):
    """The meeting's record: minutes, attendees by role, decision, votes."""
    found = _topic_here(topic_id)
    form = RecordForm()
    numbers = {name: _number(getattr(form, name).data) for name in (
        "votes_for", "votes_against", "votes_abstain", "residents", "owners_committee",
        "property_company", "party_committee")}  # fmt: skip
    try:
        rules.write_record(topic_id, current_user, g.community.id, decision=form.decision.data,
                     minutes=form.minutes.data, names=form.names.data, **numbers)  # fmt: skip
    except TopicRefused as error:
        show_on(form, error)
        return _detail(found, record_form=form, status=422)
    flash(_("The record is saved. Publish the decision when it is ready."))
    return redirect(url_for("staff.topic", community_id=community_id, topic_id=topic_id), 303)


@bp.post("/communities/<int:community_id>/topics/<int:topic_id>/publish",
         endpoint="topic_publish")  # fmt: skip
@community_scope_required
def topic_publish(community_id: int, topic_id: int):
    _topic_here(topic_id)
    try:
        rules.publish(topic_id, current_user, g.community.id)
    except TopicRefused as error:
        flash(error.message, "error")
    else:
        flash(_("The decision is published."))
    return redirect(url_for("staff.topic", community_id=community_id, topic_id=topic_id), 303)


@bp.post("/communities/<int:community_id>/topics/<int:topic_id>/implementation",
         endpoint="topic_implementation")  # fmt: skip
@community_scope_required
def topic_implementation(community_id: int, topic_id: int):
    found = _topic_here(topic_id)
    form = ImplementationForm()
    try:
        rules.implementation(topic_id, current_user, g.community.id, form.state.data or "",
                             form.note.data)  # fmt: skip
    except TopicRefused as error:
        if error.field is None:
            flash(error.message, "error")
        else:
            show_on(form, error)
            return _detail(found, impl_form=form, status=422)
    else:
        flash(_("The implementation is updated."))
    return redirect(url_for("staff.topic", community_id=community_id, topic_id=topic_id), 303)


@bp.post("/communities/<int:community_id>/topics/<int:topic_id>/decline",
         endpoint="topic_decline")  # fmt: skip
@community_scope_required
def topic_decline(community_id: int, topic_id: int):
    found = _topic_here(topic_id)
    form = DeclineForm()
    try:
        rules.decline(topic_id, current_user, g.community.id, form.reason.data)
    except TopicRefused as error:
        if error.field is None:
            flash(error.message, "error")
        else:
            show_on(form, error)
            return _detail(found, decline_form=form, status=422)
    else:
        flash(_("The topic is not taken up."))
    return redirect(url_for("staff.topic", community_id=community_id, topic_id=topic_id), 303)
