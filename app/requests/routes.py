"""The pages residents use: the public board, reporting a problem, one request."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from .. import uploads
from ..extensions import db
from ..htmx import render
from ..models import Community, District, Home, RequestPhoto, RequestSupport, Site, Street, Upload
from ..refusals import Refused, show_on
from ..urls import positive_int
from . import bp, figures, queries, service
from .forms import EmptyForm, RateForm, ReopenForm, ReportForm


def _page() -> int:
    return positive_int(request.args.get("page")) or 1


def _place_args():
    """The board's place filter: a community, a street or a district (the narrowest wins)."""
    names = ("community", "street", "district")
    values = {name: positive_int(request.args.get(name)) for name in names}
    return values["community"], values["street"], values["district"]


@bp.get("")
def board():
    """The public board: requests residents let others see, without names or
    numbers, with the figures of the place chosen."""
    community_id, street_id, district_id = _place_args()
    category = request.args.get("category", "")
    status = request.args.get("status", "")
    items, total, page, pages = queries.board(
        community_id=community_id, street_id=street_id, district_id=district_id,
        category=category, status=status, page=_page(),
    )  # fmt: skip
    place, place_field = None, None
    if community_id:
        place, place_field = db.session.get(Community, community_id), "community"
    elif street_id:
        place, place_field = db.session.get(Street, street_id), "street"
    elif district_id:
        place, place_field = db.session.get(District, district_id), "district"
    supported = set()
    if current_user.is_authenticated and items:
        supported = set(db.session.scalars(
            select(RequestSupport.request_id).where(
                RequestSupport.user_id == current_user.id,
                RequestSupport.request_id.in_([r.id for r in items]),
            )
        ))  # fmt: skip
    numbers = figures.figures(community_id=community_id, street_id=street_id,
                              district_id=district_id)  # fmt: skip
    return render(
        "requests/board.html", items=items, total=total, page=page, pages=pages,
        place=place, place_field=place_field, numbers=numbers, category=category, state=status,
        supported=supported, form=EmptyForm(),
        pager_args={k: v for k, v in {"community": community_id, "street": street_id,
                    "district": district_id, "category": category or None,
                    "status": status or None}.items() if v},
        anonymised=service.anonymised,
    )  # fmt: skip


def _report_form() -> tuple[ReportForm, Home | None, list[Site]]:
    form = ReportForm()
    home = db.session.get(Home, current_user.id)
    preset = positive_int(request.args.get("site"))
    sites = []
    if home is not None:
        in_community = select(Site).where(Site.community_id == home.community_id)
        sites = list(db.session.scalars(in_community.order_by(Site.kind, Site.name)))
    chosen = db.session.get(Site, preset) if preset else None
    if chosen is not None and chosen not in sites:
        sites.insert(0, chosen)
    form.site.choices = [SelectChoice("", _("Choose a site"))] + [
        SelectChoice(str(s.id), s.name) for s in sites
    ]
    if request.method == "GET" and chosen is not None:
        form.site.data = str(chosen.id)
        form.place.data = "site"
    return form, home, sites


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """随手拍: report a problem from the phone, with photos and the place."""
    form, home, sites = _report_form()
    if form.validate_on_submit():
        try:
            req = service.report(
                current_user, category=form.category.data, text=form.text.data,
                place_kind=form.place.data, public=form.public.data,
                site_id=form.site_id() if form.place.data == "site" else None,
                place_text=form.place_text.data or "", lat=form.lat.data, lng=form.lng.data,
                photos=form.photo_files(),
            )  # fmt: skip
        except Refused as error:
            show_on(form, error, {"site": "site", "place": "place"}.get(error.field, error.field))
        else:
            flash(_("Thank you. Your request number is %(number)s; you will be told of every step.",
                    number=req.id))  # fmt: skip
            return redirect(url_for("requests.detail", request_id=req.id), 303)
    return render("requests/new.html", form=form, home=home, sites=sites,
                  status=422 if form.errors or form.form_errors else 200)  # fmt: skip


@bp.get("/mine")
@login_required
def mine():
    """The resident's own requests, newest first."""
    items, total, page, pages = queries.mine(current_user, _page())
    return render("requests/mine.html", items=items, total=total, page=page, pages=pages)


def _visible(request_id: int):
    """The request and how much of it the viewer may see ("all" or "public"); else 404."""
    req = queries.detail(request_id)
    if req is None:
        abort(404)
    if service.may_see(current_user, req):
        return req, "all"
    if req.public and req.status != "rejected":
        return req, "public"
    abort(404)


def _detail(request_id: int, *, rate=None, reopen=None, status=200):
    req, view = _visible(request_id)
    own = current_user.is_authenticated and current_user.id == req.resident_id
    supported = bool(current_user.is_authenticated and db.session.scalar(
        select(RequestSupport.id).where(RequestSupport.request_id == req.id,
                                        RequestSupport.user_id == current_user.id)
    ))  # fmt: skip
    return render(
        "requests/detail.html", req=req, view=view, own=own, supported=supported,
        rate=rate or RateForm(formdata=None), reopen=reopen or ReopenForm(formdata=None),
        form=EmptyForm(), overdue=service.is_overdue(req), anonymised=service.anonymised,
        handles=current_user.is_authenticated and service.can_handle(current_user, req),
        can_reopen=own and service.reopen_open(req), status=status,
    )  # fmt: skip


@bp.get("/<int:request_id>")
def detail(request_id: int):
    """One request: its steps, and for its resident the rating once it is resolved."""
    return _detail(request_id)


@bp.post("/<int:request_id>/rate")
@login_required
def rate(request_id: int):
    """The resident rates the result; 不满意 reopens the request."""
    form = RateForm()
    if form.validate_on_submit():
        try:
            req = service.rate(request_id, current_user, form.rating.data, form.comment.data or "")
        except Refused as error:
            if error.field is None:  # not theirs, or not resolved (any more): say so above
                flash(error.message, "error")
                return redirect(url_for("requests.detail", request_id=request_id), 303)
            show_on(form, error)
        else:
            if req.status == "closed":
                flash(_("Thank you for rating it. The request is closed."))
            else:
                flash(_("Thank you. The request is open again and back with the staff."))
            return redirect(url_for("requests.detail", request_id=request_id), 303)
    return _detail(request_id, rate=form, status=422)


@bp.post("/<int:request_id>/reopen")
@login_required
def reopen(request_id: int):
    """The resident says it is not solved (within 7 days of its resolution)."""
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            service.reopen(request_id, current_user, form.note.data)
        except Refused as error:
            if error.field is None:
                flash(error.message, "error")
                return redirect(url_for("requests.detail", request_id=request_id), 303)
            show_on(form, error)
        else:
            flash(_("The request is open again and back with the staff."))
            return redirect(url_for("requests.detail", request_id=request_id), 303)
    return _detail(request_id, reopen=form, status=422)


@bp.post("/<int:request_id>/me-too")
@login_required
def me_too(request_id: int):
    """ "Me too" (+1) on a public request: counted once per resident."""
    form = EmptyForm()
    back = request.form.get("back") == "board"
    target = (
        url_for("requests.board", _anchor=f"request-{request_id}")
        if back
        else url_for("requests.detail", request_id=request_id)
    )
    if not form.validate_on_submit():
        abort(400)
    try:
        added = service.support(request_id, current_user)
    except Refused as error:
        if error.reason == "not_public" and queries.detail(request_id) is None:
            abort(404)
        flash(error.message, "error")
    else:
        flash(_("Counted: you have this problem too.") if added
              else _("You have already said you have this problem too."))  # fmt: skip
    return redirect(target, 303)


@bp.get("/photos/<key>.jpg")
def photo(key: str):
    """A request's photo: only to its resident and to the staff who handle it."""
    if len(key) != 32 or not key.isascii() or not key.isalnum():
        abort(404)
    row = db.session.execute(
        select(Upload, RequestPhoto.request_id)
        .join(RequestPhoto, RequestPhoto.upload_id == Upload.id)
        .where(Upload.key == key)
    ).first()
    if row is None:
        abort(404)
    upload, request_id = row
    req = queries.detail(request_id)
    if not current_user.is_authenticated:
        abort(403)
    if not service.may_see(current_user, req):
        abort(403)
    return uploads.send(upload)
