"""The wish pages residents and volunteers use: the wall, posting a wish, one
wish with its claim, release, confirmation and withdrawal.

The wall is public and says no more than the community: the place is shown
only to the wisher, the one who claimed the wish, and the community's staff.
"""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..extensions import db
from ..htmx import render
from ..models import Home
from ..refusals import show_on
from ..urls import positive_int, query_args
from . import bp, queries
from . import service as rules
from .forms import WishForm
from .service import WishError


def _page_number() -> int:
    return positive_int(request.args.get("page")) or 1


@bp.get("/wishes")
def wall():
    """微心愿: the wishes of elders and children, open, claimed and granted.

    A GET form holds the filters, so a filtered wall can be shared and paged;
    htmx swaps the results alone.
    """
    community = positive_int(request.args.get("community"))
    status = request.args.get("status")
    status = status if status in ("open", "claimed", "fulfilled") else None
    items, total, page, pages = queries.wall_page(_page_number(), community=community,
                                                  status=status)  # fmt: skip
    return render(
        "wishes/wall.html", fragments=("wish_results",), wishes=items, total=total, page=page,
        pages=pages, communities=queries.wall_communities(),
        filters={"community": community, "status": status},
        pager_args=query_args(community=community, status=status),
    )  # fmt: skip


def _new_form(formdata=None) -> WishForm:
    form = WishForm(formdata=formdata)
    form.community.choices = [("", _("Choose…"))] + [
        (str(c.id), c.name) for c in queries.community_choices()
    ]
    if formdata is None:
        home = db.session.get(Home, current_user.id)
        if home is not None:
            form.community.data = str(home.community_id)
    return form


@bp.route("/wishes/new", methods=["GET", "POST"])
@login_required
def new_wish():
    """A resident posts a small wish: what, for whom, where and by when."""
    form = _new_form(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            wish = rules.post_wish(
                current_user, positive_int(form.community.data), what=form.what.data,
                for_name=form.for_name.data, for_age=form.for_age.data, place=form.place.data,
                due_on=form.due_on.data,
            )  # fmt: skip
        except WishError as error:
            show_on(form, error)
        else:
            flash(_("Your wish is on the wall. You will be told when a volunteer claims it."))
            return redirect(url_for("wishes.wish", wish_id=wish.id), 303)
    status = 422 if request.method == "POST" else 200
    return render("wishes/new.html", form=form, latest=rules.latest_due(clock.today()),
                  status=status)  # fmt: skip


def _wish_or_404(wish_id: int):
    wish = queries.wish_detail(wish_id)
    if wish is None:
        abort(404)
    # A withdrawn wish is off the wall: only the wisher and the staff still open it.
    if wish.status == "withdrawn" and not rules.can_withdraw_seen(current_user, wish):
        abort(404)
    return wish


@bp.get("/wishes/<int:wish_id>")
def wish(wish_id: int):
    """One wish: a volunteer claims it, the wisher confirms it was granted."""
    found = _wish_or_404(wish_id)
    user = current_user if current_user.is_authenticated else None
    points, hours = (found.credited_points, found.credited_hours) \
        if found.status == "fulfilled" else rules.credit_of(found)  # fmt: skip
    return render(
        "wishes/wish.html", wish=found, points=points or 0, hours=hours or 0,
        see_place=rules.can_see_place(user, found),
        mine=user is not None and found.wisher_id == user.id,
        claimant=user is not None and found.claimed_by_id == user.id,
        can_confirm=rules.can_confirm(user, found), can_withdraw=rules.can_withdraw(user, found),
        staff=user is not None and rules.is_staff_of(user, found),
        past=found.status == "open" and found.due_on < clock.today(),
    )  # fmt: skip


def _back_to(wish_id: int):
    """The wish's page, or the wall when the wish has gone off it (withdrawn)."""
    wish = queries.wish_detail(wish_id)
    if wish.status == "withdrawn" and not rules.can_withdraw_seen(current_user, wish):
        return redirect(url_for("wishes.wall"), 303)
    return redirect(url_for("wishes.wish", wish_id=wish_id), 303)


def _act(wish_id: int, action, done: str):
    """Run one of the buttons' rules; a refusal goes back to the wish, told why
    (a wish withdrawn meanwhile sends the others back to the wall)."""
    if queries.wish_detail(wish_id) is None:
        abort(404)
    try:
        action(current_user, wish_id)
    except WishError as error:
        flash(error.message, "error")
        if error.reason == "not_volunteer":
            return redirect(url_for("accounts.volunteer_profile"), 303)
        return _back_to(wish_id)
    flash(done)
    return _back_to(wish_id)


@bp.post("/wishes/<int:wish_id>/claim")
@login_required
def claim(wish_id: int):
    """A volunteer takes the wish on; the wisher is told."""
    return _act(wish_id, rules.claim,
                _("You have claimed this wish. Thank you! The place is shown below."))  # fmt: skip


@bp.post("/wishes/<int:wish_id>/release")
@login_required
def release(wish_id: int):
    """The volunteer who claimed it lets it go: it is open again."""
    return _act(wish_id, rules.release, _("You let the wish go: it is open again."))


@bp.post("/wishes/<int:wish_id>/fulfilled")
@login_required
def confirm(wish_id: int):
    """The wisher confirms the wish was granted; the volunteer is credited."""
    return _act(wish_id, rules.confirm, _("Thank you for confirming. The volunteer is credited."))


@bp.post("/wishes/<int:wish_id>/withdraw")
@login_required
def withdraw(wish_id: int):
    """The wisher takes the wish off the wall."""
    return _act(wish_id, rules.withdraw, _("The wish is withdrawn."))
