"""Changes staff make to a site's listing. Every change is audited."""

from flask_babel import gettext as _

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import Site


class ListingError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def set_site_status(site_id: int, status: str, reason: str, *, by=None) -> Site:
    """Open a site, or mark it temporarily closed with a reason residents see."""
    reason = " ".join((reason or "").split())
    if status not in ("open", "closed"):
        raise ListingError("status", _("Choose open or temporarily closed."))
    if status == "closed" and not reason:
        raise ListingError("reason", _("Tell residents why the site is closed."))
    if len(reason) > 200:
        raise ListingError("reason", _("Keep the reason to 200 characters or fewer."))
    begin_write()
    site = db.session.get(Site, site_id)
    before = {"status": site.status, "status_reason": site.status_reason}
    site.status = status
    site.status_reason = reason if status == "closed" else ""
    after = {"status": site.status, "status_reason": site.status_reason}
    if before != after:
        audit.record(
            "site.status", "site", site.id, site_id=site.id, actor=by,
            summary=site.name, before=before, after=after,
        )  # fmt: skip
    db.session.commit()
    return site
