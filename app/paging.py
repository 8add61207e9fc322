"""One page of a query's results, the same way on every list."""

import math

from sqlalchemy import func, select

from .extensions import db


def paged(query, page: int, per_page: int):
    """(items, total, page, pages) for ``query``; ``page`` is clamped to 1..pages."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return items, total, page, pages
