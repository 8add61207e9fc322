"""The figures of requests for a community, a street, a district or the city.

- received: requests reported in the period;
- 响应率 (response rate): accepted by the accept deadline, among those whose
  deadline has passed or that were accepted;
- 办结率 (resolution rate): resolved or closed, among those not rejected;
- 按时办结率 (on-time resolution rate): resolved by the resolve deadline, among
  those not rejected;
- 满意率 (satisfaction rate): 满意 + 基本满意 among the rated.

One aggregate query, whatever the number of requests.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select

from .. import clock
from ..extensions import db
from ..models import Community, ResidentRequest, Street


@dataclass(frozen=True)
class Figures:
    received: int = 0
    due_or_accepted: int = 0
    accepted_on_time: int = 0
    not_rejected: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    rated: int = 0
    satisfied: int = 0

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return None if whole == 0 else part / whole

    @property
    def response_rate(self) -> float | None:
        return self._share(self.accepted_on_time, self.due_or_accepted)

    @property
    def resolution_rate(self) -> float | None:
        return self._share(self.resolved, self.not_rejected)

    @property
    def on_time_rate(self) -> float | None:
        return self._share(self.resolved_on_time, self.not_rejected)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._share(self.satisfied, self.rated)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def figures(
    *,
    district_id: int | None = None,
    street_id: int | None = None,
    community_id: int | None = None,
    since: datetime | None = None,
    moment: datetime | None = None,
) -> Figures:
    """The figures of the requests of one place (or the whole city), in one query."""
    moment = moment or clock.now()
    R = ResidentRequest
    accepted = R.accepted_at.is_not(None)
    query = select(
        func.count(R.id),
        _count(accepted | (R.accept_due_at < moment)),
        _count(accepted & (R.accepted_at <= R.accept_due_at)),
        _count(R.status != "rejected"),
        _count(R.status.in_(R.DONE)),
        _count(and_(R.status.in_(R.DONE), R.resolved_at <= R.resolve_due_at)),
        _count(R.rating.is_not(None)),
        _count(R.rating.in_(("satisfied", "basic"))),
    )
    if community_id is not None:
        query = query.where(R.community_id == community_id)
    elif street_id is not None or district_id is not None:
        query = query.join(Community, Community.id == R.community_id)
        if street_id is not None:
            query = query.where(Community.street_id == street_id)
        else:
            query = query.join(Street, Street.id == Community.street_id).where(
                Street.district_id == district_id
            )
    if since is not None:
        query = query.where(R.created_at >= since)
    row = db.session.execute(query).one()
    return Figures(*(int(v or 0) for v in row))


def status_counts(where=()) -> dict[str, int]:
    """How many requests are in each state, among those ``where`` selects."""
    rows = db.session.execute(
        select(ResidentRequest.status, func.count(ResidentRequest.id))
        .where(*where)
        .group_by(ResidentRequest.status)
    ).all()
    return dict(rows)
