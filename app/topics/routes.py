"""The public pages of deliberation: a community's topics, proposing one, and
one topic with every step (support, meeting, record, decision, implementation,
ratings). Residents of the community support, and rate the outcome; the
proposer may withdraw it while it gathers support."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..htmx import render
from ..models import Community, Topic
from ..paging import paged
from ..refusals import show_on
from ..urls import positive_int, query_args
from . import bp
from . import service as rules
from .forms import RateForm, TopicForm, WithdrawForm
from .service import TopicRefused

SHOWN = ("proposed", "agenda", "scheduled", "decided", "published", "implementing",
         "implemented", "declined")  # fmt: skip


def _communities():
    return list(db.session.scalars(
        select(Community).where(Community.id.in_(select(Topic.community_id).distinct()))
        .order_by(Community.name)
    ))  # fmt: skip


@bp.get("/topics")
def topics():
    """议事: the topics of a community (the resident's own, or the one chosen)."""
    community = positive_int(request.args.get("community"))
    if community is None and current_user.is_authenticated:
        community = rules.home_community(current_user)
    status = request.args.get("status")
    status = status if status in SHOWN else None
    query = select(Topic).where(Topic.status.in_(SHOWN))
    if community:
        query = query.where(Topic.community_id == community)
    if status:
        query = query.where(Topic.status == status)
    items, total, page, pages = paged(
        query.order_by(Topic.id.desc()), positive_int(request.args.get("page")) or 1, 20
    )
    return render(
        "topics/list.html", topics=items, total=total, page=page, pages=pages,
        communities=_communities(), filters={"community": community, "status": status},
        pager_args=query_args(community=community, status=status),
        threshold=rules.threshold_for(community) if community else None,
    )  # fmt: skip


@bp.route("/topics/new", methods=["GET", "POST"])
@login_required
def new_topic():
    """A resident proposes a topic for their home's community."""
    form = TopicForm(formdata=request.form if request.method == "POST" else None)
    community_id = rules.home_community(current_user)
    if request.method == "POST" and form.validate():
        try:
            topic = rules.propose(current_user, form.title.data, form.text.data)
        except TopicRefused as error:
            show_on(form, error)
        else:
            flash(_("Your topic is up. Neighbours of your community can now support it."))
            return redirect(url_for("topics.detail", topic_id=topic.id), 303)
    status = 422 if request.method == "POST" else 200
    return render("topics/new.html", form=form, community_id=community_id,
                  threshold=rules.threshold_for(community_id) if community_id else None,
                  status=status)  # fmt: skip


def _topic_or_404(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        abort(404)
    if topic.status == "withdrawn" and not (
        current_user.is_authenticated
        and (topic.proposed_by_id == current_user.id or rules.can_manage(current_user,
                                                                         topic.community_id))
    ):  # fmt: skip
        abort(404)
    return topic


def _detail(topic: Topic, *, rate_form=None, withdraw_form=None, status=200):
    user = current_user if current_user.is_authenticated else None
    resident = user is not None and rules.is_resident_of(user, topic.community_id)
    return render(
        "topics/topic.html", topic=topic, threshold=rules.threshold_for(topic.community_id),
        resident=resident, mine=user is not None and topic.proposed_by_id == user.id,
        supported=rules.has_supported(topic.id, user), my_rating=rules.my_rating(topic.id, user),
        ratings=rules.ratings(topic.id), staff=user is not None and rules.can_manage(
            user, topic.community_id),
        rate_form=rate_form or RateForm(formdata=None),
        withdraw_form=withdraw_form or WithdrawForm(formdata=None), status=status,
    )  # fmt: skip


@bp.get("/topics/<int:topic_id>")
def detail(topic_id: int):
    """One topic and every step of it, for the community."""
    return _detail(_topic_or_404(topic_id))


@bp.post("/topics/<int:topic_id>/support")
@login_required
def support(topic_id: int):
    """附议: a resident of the community supports the topic, once."""
    _topic_or_404(topic_id)
    try:
        counted = rules.support(topic_id, current_user)
    except TopicRefused as error:
        flash(error.message, "error")
    else:
        flash(_("Thank you: your support is counted.") if counted
              else _("You have already supported this topic."))  # fmt: skip
    return redirect(url_for("topics.detail", topic_id=topic_id), 303)


@bp.post("/topics/<int:topic_id>/rate")
@login_required
def rate(topic_id: int):
    """A resident of the community rates the outcome, once."""
    topic = _topic_or_404(topic_id)
    form = RateForm()
    try:
        counted = rules.rate(topic_id, current_user, form.rating.data or "")
    except TopicRefused as error:
        if error.field == "rating":
            show_on(form, error)
            return _detail(topic, rate_form=form, status=422)
        flash(error.message, "error")
    else:
        flash(_("Thank you for your rating.") if counted
              else _("You have already rated this outcome."))  # fmt: skip
    return redirect(url_for("topics.detail", topic_id=topic_id), 303)


@bp.post("/topics/<int:topic_id>/withdraw")
@login_required
def withdraw(topic_id: int):
    """The proposer withdraws the topic while it gathers support."""
    topic = _topic_or_404(topic_id)
    form = WithdrawForm()
    try:
        rules.withdraw(topic_id, current_user, form.reason.data)
    except TopicRefused as error:
        if error.field == "reason":
            show_on(form, error)
            return _detail(topic, withdraw_form=form, status=422)
        flash(error.message, "error")
    else:
        flash(_("The topic is withdrawn."))
    return redirect(url_for("topics.detail", topic_id=topic_id), 303)
