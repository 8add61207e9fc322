"""The rules of residents' requests (诉求): report, route, move, rate, support.

A request goes to its grid's workers, or to its community's staff where no
grid is set. Its states run received → accepted → in progress → resolved →
closed, or rejected with a reason; every move is a ``RequestStep`` with its
note, tells the resident, and happens under the request's row lock, so two
workers tapping "accept" at once leave one acceptance. After resolution the
resident rates it: 满意 and 基本满意 close it, 不满意 reopens it; so does the
resident asking again within 7 days.
"""

import re
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, clock
from ..database import begin_write, locked
from ..extensions import db
from ..models import (
    Grid,
    Home,
    RequestPhoto,
    RequestStep,
    RequestSupport,
    ResidentRequest,
    Site,
    User,
)
from ..refusals import Refused
from ..urls import path_for
from . import deadlines

MAX_TEXT = 1000
MAX_NOTE = 500
MAX_PLACE = 100
MAX_COMMENT = 300
MAX_PHOTOS = 3
REOPEN_DAYS = 7

# Which moves staff may make, from which state.
MOVES = {
    "accept": (("received",), "accepted"),
    "start": (("received", "accepted"), "in_progress"),
    "resolve": (("accepted", "in_progress"), "resolved"),
    "reject": (("received", "accepted"), "rejected"),
}


class RequestRefused(Refused):
    def __init__(self, reason: str, message: str, field: str | None = None):
        super().__init__(message, field=field, reason=reason)


def refuse(reason: str, message: str, field: str | None = None):
    db.session.rollback()
    raise RequestRefused(reason, message, field)


def _locked(request_id: int) -> ResidentRequest | None:
    """The request, held until the transaction ends (``database.locked``)."""
    return locked(ResidentRequest, ResidentRequest.id == request_id)


def can_handle(user: User | None, req: ResidentRequest) -> bool:
    """Staff who handle ``req``: its grid's workers (or a grid above), the
    community's staff, admins."""
    from ..permissions import can_manage_community, can_manage_grid

    if req.grid_id is not None:
        return can_manage_grid(user, req.grid)
    return can_manage_community(user, req.community_id)


def may_see(user: User | None, req: ResidentRequest) -> bool:
    """Everything of a request (photos, place, steps): its resident and its staff."""
    if user is None or not user.is_authenticated:
        return False
    return user.id == req.resident_id or can_handle(user, req)


# Reporting ---------------------------------------------------------------------------


def clean_text(text: str | None, limit: int, field: str, *, required: bool = True) -> str:
    value = " ".join((text or "").replace("\r\n", "\n").split(" ")).strip()
    if "\x00" in value:
        refuse("bad_text", _("Remove the invisible characters from the text."), field)
    if required and not value:
        refuse("empty", _("Please write what the problem is."), field)
    if len(value) > limit:
        refuse("too_long", _("At most %(n)s characters, please.", n=limit), field)
    return value


def _place(resident: User, place_kind: str, site_id: int | None, community_id: int | None):
    """(community id, grid id, site) of a report: from the home, or the site."""
    if place_kind == "site":
        site = db.session.get(Site, site_id) if site_id else None
        if site is None:
            refuse("no_site", _("Choose the site the problem is at."), "site")
        return site.community_id, None, site
    home = db.session.get(Home, resident.id)
    if home is not None and (community_id is None or community_id == home.community_id):
        return home.community_id, home.grid_id, None
    if community_id is not None and place_kind == "location":
        return community_id, None, None
    refuse(
        "no_home",
        _("Set your home in “Me” first, or report from the page of a site."),
        "place",
    )


def report(
    resident: User | None,
    *,
    category: str,
    text: str,
    place_kind: str,
    public: bool,
    site_id: int | None = None,
    place_text: str = "",
    lat: float | None = None,
    lng: float | None = None,
    photos=(),
    community_id: int | None = None,
    grid_id: int | None = None,
    logged_by: User | None = None,
    resident_mobile: str = "",
    resident_name: str = "",
) -> ResidentRequest:
    """A new request, routed to its grid (or the community's staff), with its
    deadlines and photos. ``logged_by``: staff logging it for the resident
    (代办) named by ``resident_mobile`` and ``resident_name`` (an account is
    made for a new number, as for 代预约); staff name the community and grid,
    and it is audited."""
    from ..accounts.service import resident_for

    if category not in ResidentRequest.CATEGORIES:
        refuse("bad_category", _("Choose what kind of problem it is."), "category")
    if place_kind not in ("home", "site", "location"):
        refuse("bad_place", _("Choose where the problem is."), "place")
    text = clean_text(text, MAX_TEXT, "text")
    place_text = clean_text(place_text, MAX_PLACE, "place_text", required=False)
    if lat is not None and not (-90 <= lat <= 90 and -180 <= (lng or 0) <= 180):
        lat = lng = None
    if len(photos) > MAX_PHOTOS:
        refuse("too_many_photos", _("At most 3 photos, please."), "photos")
    begin_write()
    if logged_by is not None:
        resident = resident_for(resident_mobile, resident_name, logged_by)
        site = db.session.get(Site, site_id) if site_id else None
        if place_kind == "site" and site is None:
            refuse("no_site", _("Choose the site the problem is at."), "site")
        grid = db.session.get(Grid, grid_id) if grid_id else None
        if grid is not None and grid.community_id != community_id:
            refuse("wrong_grid", _("That grid is not in this community."), "grid")
        community = site.community_id if site is not None else community_id
        grid_id = grid.id if grid is not None else None
    else:
        community, grid_id, site = _place(resident, place_kind, site_id, community_id)
    now = clock.now()
    accept_by, resolve_by = deadlines.due(now, category)
    req = ResidentRequest(
        resident_id=resident.id, logged_by_id=logged_by.id if logged_by else None,
        community_id=community, grid_id=grid_id, category=category, text=text,
        place_kind=place_kind, site_id=site.id if site is not None else None,
        place_text=place_text, lat=lat, lng=lng if lat is not None else None, public=public,
        status="received", created_at=now, accept_due_at=accept_by, resolve_due_at=resolve_by,
    )  # fmt: skip
    db.session.add(req)
    db.session.flush()
    step = _add_step(req, logged_by or resident, "report", None, "received", "")
    for file in photos:
        upload = _photo(file, resident)
        db.session.flush()
        db.session.add(RequestPhoto(request_id=req.id, step_id=step.id, upload_id=upload.id,
                                    stage="report"))  # fmt: skip
    if logged_by is not None:
        audit.record(
            "request.logged_for", "request", req.id, actor=logged_by,
            summary=f"{category}: {text[:60]}", after={"resident_id": resident.id},
        )  # fmt: skip
    _tell(req, "request_received")
    db.session.commit()
    return req


def _photo(file, owner: User):
    """A private photo of a request; a refused one refuses the whole step."""
    from ..uploads import save_photo

    try:
        return save_photo(file, purpose="request", public=False, owner=owner, field="photos")
    except Refused as error:
        refuse(error.reason or "photo", error.message, "photos")


# Staff moves ------------------------------------------------------------------------


def _add_step(req, actor, kind, from_status, to_status, note) -> RequestStep:
    step = RequestStep(
        request_id=req.id, at=clock.now(), actor_id=actor.id if actor else None, kind=kind,
        from_status=from_status, to_status=to_status, note=note,
    )  # fmt: skip
    db.session.add(step)
    db.session.flush()
    return step


def _tell(req: ResidentRequest, kind: str, **extra) -> None:
    from ..notifications import notify

    notify(
        req.resident_id, kind, {"number": req.id, "category": req.category, **extra},
        url=path_for("requests.detail", request_id=req.id),
    )  # fmt: skip


def move(request_id: int, action: str, by: User, note: str = "", photos=()) -> ResidentRequest:
    """Staff move a request on (accept, start, resolve, reject), with a note.

    Refused when the request is not theirs or not in a state the move starts
    from (another worker got there first): a double tap makes one step.
    """
    if action not in MOVES:
        refuse("bad_action", _("That is not something staff can do with a request."))
    note = clean_text(note, MAX_NOTE, "note", required=action == "reject")
    if len(photos) > MAX_PHOTOS:
        refuse("too_many_photos", _("At most 3 photos, please."), "photos")
    begin_write()
    req = _locked(request_id)
    if req is None:
        refuse("not_found", _("That request no longer exists."))
    if not can_handle(by, req):
        refuse("not_yours", _("This request is not in your grids."))
    sources, target = MOVES[action]
    if req.status not in sources:
        refuse(
            "state",
            _("This request is already “%(state)s”; someone may have just updated it.",
              state=state_label(req.status)),
        )  # fmt: skip
    now = clock.now()
    before = req.status
    req.status = target
    if target == "accepted" or (target == "in_progress" and req.accepted_at is None):
        req.accepted_at = now
    if target == "resolved":
        req.resolved_at = now
    if target == "rejected":
        req.closed_at = now
    step = _add_step(req, by, action, before, target, note)
    stage = "after" if action == "resolve" else "before"
    for file in photos:
        upload = _photo(file, by)
        db.session.flush()
        db.session.add(RequestPhoto(request_id=req.id, step_id=step.id, upload_id=upload.id,
                                    stage=stage))  # fmt: skip
    _tell(req, f"request_{target}", note=note)
    db.session.commit()
    return req


def reassign(request_id: int, grid_id: int | None, by: User, note: str = "") -> ResidentRequest:
    """Send a request to another grid of its community (or to the community's
    staff), within the worker's own scope: both the grid it leaves and the one
    it goes to must be theirs."""
    from ..permissions import can_manage_community, can_manage_grid

    note = clean_text(note, MAX_NOTE, "note", required=False)
    begin_write()
    req = _locked(request_id)
    if req is None:
        refuse("not_found", _("That request no longer exists."))
    if not can_handle(by, req):
        refuse("not_yours", _("This request is not in your grids."))
    if req.status not in ResidentRequest.OPEN:
        refuse("state", _("Only an open request can be passed on."))
    if grid_id is None:
        if not can_manage_community(by, req.community_id):
            refuse("out_of_scope", _("Only the community's staff take requests without a grid."),
                   "grid")  # fmt: skip
        target = None
    else:
        target = db.session.get(Grid, grid_id)
        if target is None or target.community_id != req.community_id:
            refuse("wrong_grid", _("Choose a grid of this request's community."), "grid")
        if not can_manage_grid(by, target):
            refuse("out_of_scope", _("You can pass it only to grids you look after."), "grid")
    if (target.id if target else None) == req.grid_id:
        refuse("same_grid", _("The request is already with that grid."), "grid")
    before = {"grid_id": req.grid_id}
    req.grid_id = target.id if target else None
    req.escalation = 0
    label = target.name if target else _("the community's staff")
    note = note or _("Passed to %(grid)s", grid=label)
    _add_step(req, by, "reassign", req.status, req.status, note)
    audit.record("request.reassigned", "request", req.id, actor=by, before=before,
                 after={"grid_id": req.grid_id}, summary=label)  # fmt: skip
    db.session.commit()
    return req


def follow_up(request_id: int, by: User, note: str) -> ResidentRequest:
    """Staff record the follow-up call (回访) on a resolved or closed request."""
    note = clean_text(note, MAX_NOTE, "note")
    begin_write()
    req = _locked(request_id)
    if req is None:
        refuse("not_found", _("That request no longer exists."))
    if not can_handle(by, req):
        refuse("not_yours", _("This request is not in your grids."))
    if req.status not in ResidentRequest.DONE:
        refuse("state", _("A follow-up call comes after the request is resolved."))
    req.followed_up_at = clock.now()
    _add_step(req, by, "follow_up", req.status, req.status, note)
    db.session.commit()
    return req


# The resident's word ----------------------------------------------------------------


def rate(request_id: int, resident: User, rating: str, comment: str = "") -> ResidentRequest:
    """The resident rates a resolved request: 满意/基本满意 close it, 不满意 reopens it."""
    from ..models.requests import RATINGS

    if rating not in RATINGS:
        refuse("bad_rating", _("Choose how satisfied you are."), "rating")
    comment = clean_text(comment, MAX_COMMENT, "comment", required=rating == "unsatisfied")
    begin_write()
    req = _locked(request_id)
    if req is None or req.resident_id != resident.id:
        refuse("not_yours", _("Only the resident who reported it can rate it."))
    if req.status != "resolved":
        refuse("state", _("You can rate a request once it is resolved."))
    now = clock.now()
    req.rating, req.rating_comment, req.rated_at = rating, comment, now
    if rating == "unsatisfied":
        _reopen(req, resident, comment, now)
    else:
        req.status, req.closed_at = "closed", now
        _add_step(req, resident, "rate", "resolved", "closed", comment)
    db.session.commit()
    return req


def reopen(request_id: int, resident: User, note: str) -> ResidentRequest:
    """The resident says it is not solved, within 7 days of its resolution."""
    note = clean_text(note, MAX_NOTE, "note")
    begin_write()
    req = _locked(request_id)
    if req is None or req.resident_id != resident.id:
        refuse("not_yours", _("Only the resident who reported it can reopen it."))
    now = clock.now()
    if req.status not in ResidentRequest.DONE or req.resolved_at is None:
        refuse("state", _("Only a resolved request can be reopened."))
    if now > req.resolved_at + timedelta(days=REOPEN_DAYS):
        refuse("too_late", _("It was resolved more than 7 days ago: please report it again."))
    _reopen(req, resident, note, now)
    db.session.commit()
    return req


def reopen_open(req: ResidentRequest, moment=None) -> bool:
    """May its resident still reopen ``req`` (resolved within the last 7 days)?"""
    moment = moment or clock.now()
    return (
        req.status in ResidentRequest.DONE
        and req.resolved_at is not None
        and moment <= req.resolved_at + timedelta(days=REOPEN_DAYS)
    )


def _reopen(req, resident, note, now) -> None:
    before = req.status
    req.status, req.reopened, req.closed_at = "in_progress", req.reopened + 1, None
    req.resolved_at = None
    req.rating = None if req.rating != "unsatisfied" else req.rating
    # A fresh resolve deadline from now; the acceptance already happened.
    req.resolve_due_at = deadlines.due(now, req.category)[1]
    req.escalation = 0
    _add_step(req, resident, "reopen", before, "in_progress", note)
    for user_id in handler_ids(req):
        from ..notifications import notify

        notify(user_id, "request_reopened", {"number": req.id, "category": req.category},
               url=path_for("staff.request_detail", request_id=req.id))  # fmt: skip


def support(request_id: int, user: User) -> bool:
    """A resident's "me too" on a public request: counted once per resident.

    The unique (request, user) row decides; the counter moves by one only for
    the insert that made it, so 20 taps at once count once.
    """
    begin_write()
    req = db.session.get(ResidentRequest, request_id)
    if req is None or not req.public or req.status == "rejected":
        refuse("not_public", _("That request is not on the public board."))
    if req.resident_id == user.id:
        refuse("own", _("This is your own request."))
    try:
        with db.session.begin_nested():
            db.session.add(RequestSupport(request_id=req.id, user_id=user.id))
    except IntegrityError:
        db.session.rollback()
        return False
    db.session.execute(
        update(ResidentRequest)
        .where(ResidentRequest.id == req.id)
        .values(me_too=ResidentRequest.me_too + 1)
    )
    db.session.commit()
    return True


# Who handles a request, and the deadlines job -------------------------------------------


def handler_ids(req: ResidentRequest) -> list[int]:
    """The users a request is with: its grid's workers and those of the grids
    above it, or, without a grid, the community center's staff."""
    from ..models import GridScope
    from ..permissions import grid_line

    if req.grid_id is not None:
        line = grid_line(req.grid)
        return list(db.session.scalars(
            select(GridScope.user_id).where(GridScope.grid_id.in_(line)).distinct()
        ))  # fmt: skip
    return community_staff_ids(req.community_id)


def community_staff_ids(community_id: int) -> list[int]:
    from ..models import StaffScope

    return list(db.session.scalars(
        select(StaffScope.user_id).join(Site, Site.id == StaffScope.site_id)
        .where(Site.community_id == community_id, Site.kind == "center").distinct()
    ))  # fmt: skip


def is_overdue(req: ResidentRequest, moment=None) -> bool:
    moment = moment or clock.now()
    if req.status == "received" and moment > req.accept_due_at:
        return True
    return req.status in ResidentRequest.OPEN and moment > req.resolve_due_at


def escalate_overdue(moment=None) -> int:
    """Mark and escalate overdue requests: at their deadline to the center's
    staff, one working day later to the admins. Each step happens once (a
    conditional UPDATE on ``escalation``), however often the job runs."""
    from ..notifications import notify

    moment = moment or clock.now()
    told = 0
    late = ((ResidentRequest.status == "received") & (ResidentRequest.accept_due_at < moment)) | (
        ResidentRequest.status.in_(ResidentRequest.OPEN) & (ResidentRequest.resolve_due_at < moment)
    )
    candidates = db.session.execute(
        select(ResidentRequest.id, ResidentRequest.escalation, ResidentRequest.accept_due_at,
               ResidentRequest.resolve_due_at, ResidentRequest.status)
        .where(late, ResidentRequest.escalation < 2)
        .order_by(ResidentRequest.id).limit(500)
    ).all()  # fmt: skip
    db.session.rollback()
    for request_id, level, accept_by, resolve_by, status in candidates:
        deadline = accept_by if status == "received" and accept_by < moment else resolve_by
        target = 2 if moment > deadlines.add_working_days(deadline, 1) else 1
        if target <= level:
            continue
        begin_write()
        changed = db.session.execute(
            update(ResidentRequest)
            .where(ResidentRequest.id == request_id, ResidentRequest.escalation == level)
            .values(escalation=target)
        ).rowcount
        if not changed:
            db.session.rollback()
            continue
        req = db.session.get(ResidentRequest, request_id)
        who = (
            community_staff_ids(req.community_id)
            if target == 1
            else list(db.session.scalars(select(User.id).where(User.is_admin.is_(True))))
        )
        _add_step(req, None, "escalate", req.status, req.status, "")
        for user_id in who:
            notify(user_id, "request_overdue", {"number": req.id, "category": req.category},
                   url=path_for("staff.request_detail", request_id=req.id),
                   dedupe_key=f"request-overdue:{req.id}:{target}:{user_id}")  # fmt: skip
        db.session.commit()
        told += 1
    return told


def close_unrated(moment=None) -> int:
    """Close requests resolved more than 7 days ago that the resident did not rate."""
    moment = moment or clock.now()
    begin_write()
    ids = list(db.session.scalars(
        select(ResidentRequest.id).where(
            ResidentRequest.status == "resolved",
            ResidentRequest.resolved_at < moment - timedelta(days=REOPEN_DAYS),
        ).limit(1000)
    ))  # fmt: skip
    for request_id in ids:
        changed = db.session.execute(
            update(ResidentRequest)
            .where(ResidentRequest.id == request_id, ResidentRequest.status == "resolved")
            .values(status="closed", closed_at=moment)
        ).rowcount
        if changed:
            db.session.add(RequestStep(
                request_id=request_id, at=moment, kind="auto_close", from_status="resolved",
                to_status="closed", note="",
            ))  # fmt: skip
    db.session.commit()
    return len(ids)


# Words -------------------------------------------------------------------------------


def state_label(status: str) -> str:
    from ..vocab import REQUEST_STATES

    return str(REQUEST_STATES[status].label) if status in REQUEST_STATES else status


_DIGIT_RUN = re.compile(r"[0-9０-９][0-9０-９ \-]{5,}[0-9０-９]")


def anonymised(text: str) -> str:
    """What the public board shows of a resident's words: runs of digits
    (phone numbers, door numbers, ID numbers) hidden."""
    return _DIGIT_RUN.sub("***", text)
