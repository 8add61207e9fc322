"""The volunteer's record: hours so far."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Activity, Signup


def hours_summary(user_id: int, today: date) -> dict:
    """Total hours, this year's hours and activities attended."""
    year_start = datetime(today.year, 1, 1, tzinfo=clock.LOCAL_TZ)
    total, count = db.session.execute(
        select(func.coalesce(func.sum(Signup.hours_credited), 0), func.count(Signup.id)).where(
            Signup.user_id == user_id, Signup.status == "attended"
        )
    ).one()
    this_year = db.session.scalar(
        select(func.coalesce(func.sum(Signup.hours_credited), 0))
        .join(Activity)
        .where(
            Signup.user_id == user_id, Signup.status == "attended", Activity.starts_at >= year_start
        )
    )
    return {"total": Decimal(total), "this_year": Decimal(this_year), "activities": count}
