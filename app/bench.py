"""A bare endpoint for load tests: the ceiling of what the workers can serve.

Registered only when the benchmark asks for it (``DOORSTEP_BENCH=1`` or the
``BENCH_CEILING`` setting), so no production server exposes it. It runs the
same request machinery as every page (sessions, security headers) and no
query or template, so a page's requests per second divided by this one's
says how much the page itself costs.
"""

from flask import Blueprint

bp = Blueprint("bench", __name__, url_prefix="/bench")


@bp.get("/ceiling")
def ceiling():
    """A short constant answer."""
    return "ok"
