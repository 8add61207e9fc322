"""Service projects (服务项目) in the staff console: draft, file (备案), publish for
comment (公示), answer or hide the opinions, start, complete with a photo, and
record the spending the public page shows.

The rules are in ``volunteers.projects``; these views parse, call and render.
A refused form comes back on the project's page with 422, the typing kept and
the message beside its field; every other form of the page is fresh.
"""

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..extensions import db
from ..htmx import render
from ..i18n import local_date
from ..models import ProjectComment
from ..permissions import site_scope_required
from ..refusals import show_on
from ..volunteers import projects as rules
from ..volunteers import queries
from ..volunteers.common import VolunteerError
from . import bp
from .project_forms import (
    CompleteForm,
    FilingForm,
    HideForm,
    ProjectForm,
    PublicityForm,
    ReplyForm,
    SpendingForm,
    StartForm,
    StepForm,
    hide_prefix,
    remove_prefix,
    reply_prefix,
)

BASE = "/sites/<int:site_id>/volunteering/projects"
STAGES = ("draft", "filed", "publicity", "running", "completed")
# The forms each stage's page shows (spending is shown from filing on).
STAGE_FORMS = {"draft": ("edit", "filing"), "filed": ("publicity",), "publicity": ("start",),
               "running": ("complete",)}  # fmt: skip


def _project_form(project=None, **kwargs) -> ProjectForm:
    """The draft form with the places and teams of this console's unit."""
    site = g.site
    options = dict(
        places=rules.places_for(site),
        teams=rules.unit_teams(site.community_id),
        whole_community=_("The whole community (%(name)s)", name=site.community.name)
        if site.kind == "center"
        else None,
    )
    if project is not None:
        return ProjectForm.of(project, **options)
    return ProjectForm(**options, **kwargs)


def _project_or_404(project_id: int):
    """The project with all its page shows, if this console runs it."""
    project = queries.project_detail(project_id)
    if project is None or not rules.in_unit(project, g.site):
        abort(404)
    return project


def _comment_or_404(project_id: int, comment_id: int) -> ProjectComment:
    comment = db.session.get(ProjectComment, comment_id)
    if comment is None or comment.project_id != project_id:
        abort(404)
    return comment


def _index(form=None, status=200):
    found = queries.unit_projects(g.site)
    return render(
        "staff/projects.html",
        site=g.site,
        by_stage=[(stage, [p for p in found if p.status == stage]) for stage in STAGES],
        form=form or _project_form(formdata=None),
        status=status,
    )


@bp.get(BASE)
@site_scope_required
def projects(site_id: int):
    """The unit's service projects by stage, and a new draft."""
    return _index()


@bp.post(BASE)
@site_scope_required
def create_project(site_id: int):
    form = _project_form()
    if form.validate_on_submit():
        try:
            made = rules.create_project(g.site, form.draft(), current_user)
        except VolunteerError as error:
            show_on(form, error)
        else:
            flash(_("The draft is saved. File it once the filing number is given."))
            return redirect(url_for("staff.project", site_id=site_id, project_id=made.id), 303)
    return _index(form=form, status=422)


def _messages(form) -> list[str]:
    return [message for errors in form.errors.values() for message in errors]


def _page(project_id: int, *, status: int = 200, **failed):
    """The project's page; ``failed`` holds the one refused form (by its name here)."""
    project = _project_or_404(project_id)
    today = clock.today()
    comments = project.comments
    replies = failed.pop("replies", {})
    hides = failed.pop("hides", {})
    shown = set(STAGE_FORMS.get(project.status, ()))
    if project.status in rules.SPENDING_STAGES:
        shown.add("spending")
    open_comments = {c.id for c in comments if c.hidden_at is None}
    # What a refused form said goes at the top when its form is no longer on the
    # page (the step was taken meanwhile, the opinion hidden), and so does a
    # refusal of the step as a whole, which belongs to no field.
    refusals = [
        str(message)
        for name, form in failed.items()
        for message in (_messages(form) if name not in shown else form.form_errors)
    ] + [
        str(message)
        for forms_of in (replies, hides)
        for comment_id, form in forms_of.items()
        for message in (_messages(form) if comment_id not in open_comments else form.form_errors)
    ]
    forms = {
        "edit": _project_form(project) if project.status == "draft" else None,
        "filing": FilingForm(formdata=None, data={"filed_on": today}),
        "publicity": PublicityForm(formdata=None, data={"starts_on": today}),
        "start": StartForm(formdata=None),
        "complete": CompleteForm(formdata=None),
        "spending": SpendingForm(formdata=None, data={"spent_on": today}),
        **failed,
    }
    return render(
        "staff/project.html",
        site=g.site,
        project=project,
        today=today,
        forms=forms,
        replies={
            c.id: replies.get(c.id)
            or ReplyForm(prefix=reply_prefix(c.id), formdata=None, data={"body": c.reply})
            for c in comments
        },
        hides={
            c.id: hides.get(c.id) or HideForm(prefix=hide_prefix(c.id), formdata=None)
            for c in comments
        },
        removes={
            e.id: StepForm(prefix=remove_prefix(e.id), formdata=None) for e in project.spending
        },
        totals=rules.spending_totals(project),
        can_start=project.publicity_ends_on is not None and today > project.publicity_ends_on,
        hours=rules.credited_hours(project.id) if project.status == "running" else None,
        spending_open=project.status in rules.SPENDING_STAGES,
        refusals=refusals,
        status=status,
    )


def _done(site_id: int, project_id: int, message: str, anchor: str = ""):
    flash(message)
    return redirect(url_for("staff.project", site_id=site_id, project_id=project_id) + anchor, 303)


@bp.get(BASE + "/<int:project_id>")
@site_scope_required
def project(site_id: int, project_id: int):
    """One project: what its stage asks for next, its opinions and its spending."""
    return _page(project_id)


@bp.post(BASE + "/<int:project_id>/edit")
@site_scope_required
def edit_project(site_id: int, project_id: int):
    _project_or_404(project_id)
    form = _project_form()
    if form.validate_on_submit():
        try:
            rules.edit_draft(project_id, g.site, form.draft(), current_user)
        except VolunteerError as error:
            show_on(form, error)
        else:
            return _done(site_id, project_id, _("The draft is saved."))
    return _page(project_id, edit=form, status=422)


@bp.post(BASE + "/<int:project_id>/file")
@site_scope_required
def file_project(site_id: int, project_id: int):
    """备案: the filing number and the day."""
    _project_or_404(project_id)
    form = FilingForm()
    if form.validate_on_submit():
        try:
            rules.file_project(project_id, form.filing_number.data, form.filed_on.data,
                               current_user)  # fmt: skip
        except VolunteerError as error:
            show_on(form, error)
        else:
            return _done(site_id, project_id, _("Filed. Next, publish it for comment."))
    return _page(project_id, filing=form, status=422)


@bp.post(BASE + "/<int:project_id>/publicity")
@site_scope_required
def open_publicity(site_id: int, project_id: int):
    """公示: residents can give their opinions from the first day to the last."""
    _project_or_404(project_id)
    form = PublicityForm()
    if form.validate_on_submit():
        starts, ends = form.starts_on.data, form.ends_on.data
        try:
            rules.open_publicity(project_id, starts, ends, current_user)
        except VolunteerError as error:
            show_on(form, error)
        else:
            return _done(site_id, project_id, _(
                "Published for comment from %(start)s to %(end)s.",
                start=local_date(starts), end=local_date(ends)))  # fmt: skip
    return _page(project_id, publicity=form, status=422)


@bp.post(BASE + "/<int:project_id>/start")
@site_scope_required
def start_project(site_id: int, project_id: int):
    """Running, once the publicity period has ended."""
    _project_or_404(project_id)
    form = StartForm()
    if form.validate_on_submit():
        try:
            rules.start_project(project_id, current_user)
        except VolunteerError as error:
            show_on(form, error)
        else:
            return _done(site_id, project_id, _("The project is running."))
    return _page(project_id, start=form, status=422)


@bp.post(BASE + "/<int:project_id>/complete")
@site_scope_required
def complete_project(site_id: int, project_id: int):
    """Completed, with its outcome and a photo if there is one."""
    _project_or_404(project_id)
    form = CompleteForm()
    if form.validate_on_submit():
        try:
            rules.complete_project(project_id, form.beneficiaries.number, form.summary.data,
                                   form.photo_file, current_user)  # fmt: skip
        except VolunteerError as error:
            show_on(form, error)
        else:
            message = _("The project is completed. Its outcome is on its public page.")
            return _done(site_id, project_id, message)
    return _page(project_id, complete=form, status=422)


@bp.post(BASE + "/<int:project_id>/comments/<int:comment_id>/reply")
@site_scope_required
def reply_to_comment(site_id: int, project_id: int, comment_id: int):
    """Answer an opinion (or change the answer); it shows under the opinion."""
    _project_or_404(project_id)
    _comment_or_404(project_id, comment_id)
    form = ReplyForm(prefix=reply_prefix(comment_id))
    if form.validate_on_submit():
        try:
            rules.reply_to_comment(comment_id, form.body.data, current_user)
        except VolunteerError as error:
            show_on(form, error)
        else:
            return _done(site_id, project_id, _("The answer is published."),
                         f"#comment-{comment_id}")  # fmt: skip
    return _page(project_id, replies={comment_id: form}, status=422)


@bp.post(BASE + "/<int:project_id>/comments/<int:comment_id>/hide")
@site_scope_required
def hide_comment(site_id: int, project_id: int, comment_id: int):
    """Hide an opinion; the public page shows the reason in its place."""
    _project_or_404(project_id)
    _comment_or_404(project_id, comment_id)
    form = HideForm(prefix=hide_prefix(comment_id))
    if form.validate_on_submit():
        try:
            rules.hide_comment(comment_id, form.reason.data, current_user)
        except VolunteerError as error:
            show_on(form, error)
        else:
            message = _("The opinion is hidden; your reason shows in its place.")
            return _done(site_id, project_id, message, f"#comment-{comment_id}")
    return _page(project_id, hides={comment_id: form}, status=422)


@bp.post(BASE + "/<int:project_id>/spending")
@site_scope_required
def add_spending(site_id: int, project_id: int):
    """A spending entry against the budget, shown on the public page."""
    _project_or_404(project_id)
    form = SpendingForm()
    if form.validate_on_submit():
        try:
            _entry, made = rules.add_spending(
                project_id, form.spent_on.data, form.amount.amount, form.purpose.data,
                form.payee.data, current_user,
            )  # fmt: skip
        except VolunteerError as error:
            show_on(form, error)
        else:
            message = (_("The spending is recorded; the public page shows it.") if made
                       else _("This entry was recorded already."))  # fmt: skip
            return _done(site_id, project_id, message, "#spending")
    return _page(project_id, spending=form, status=422)


@bp.post(BASE + "/<int:project_id>/spending/<int:spending_id>/remove")
@site_scope_required
def remove_spending(site_id: int, project_id: int, spending_id: int):
    """Remove a mistaken entry (the audit log keeps what it said)."""
    _project_or_404(project_id)
    if not StepForm(prefix=remove_prefix(spending_id)).validate_on_submit():
        abort(400)
    removed = rules.remove_spending(project_id, spending_id, current_user)
    message = _("The entry is removed.") if removed else _("This entry was removed already.")
    return _done(site_id, project_id, message, "#spending")
