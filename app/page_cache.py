"""A short-lived cache of public pages for visitors who are not logged in.

Most requests are residents reading the directory, the site pages and the
activity list without an account. Rendering those pages costs milliseconds of
templates and ORM work; serving a copy costs a small fraction of that.

Rules, so that the cache never shows a wrong page:

- Only GET requests without a session or remember cookie are served from it
  (a logged-in user, or anyone with flashed messages, sees a fresh page), and
  only views marked ``@cached_page``.
- The key is the full URL, the htmx headers that choose a fragment, and the
  language and elder-mode cookies: everything such a page depends on.
- Every copy also carries the *content generation*, a number in the database
  that every commit touching public content moves on (see ``PUBLIC_MODELS``).
  A change made on any app host therefore retires every copy on every host;
  each worker reads the number at most once a second
  (``PAGE_CACHE_GENERATION_SECONDS``), so residents see a change within a second.
- A copy lives ``PAGE_CACHE_SECONDS`` (default 30), which bounds how late
  "open now" can be when the clock, not an edit, changes the answer.
- Pages rendered for the cache carry no CSRF token and set no cookie
  (``g.cacheable``); only the preference switches post from them, and those
  check the request's origin instead (app/prefs).

Each worker process keeps its own copies (``PAGE_CACHE_SIZE`` pages at most).
"""

import threading
import time
from functools import cache, wraps

from cachetools import TTLCache
from flask import current_app, g, request
from sqlalchemy import event, select, update

from .extensions import db
from .i18n import ELDER_COOKIE, LANGUAGE_COOKIE

HEADER = "X-Page-Cache"
_FRAGMENT_HEADERS = ("HX-Request", "HX-Target", "HX-Boosted", "HX-History-Restore-Request")


def _public_models() -> tuple[type, ...]:
    """What public pages show; a commit that touches one of these moves the generation on.

    Slots are among them (a booking changes the places left that the service page
    shows), so every booking retires the cached pages: correct at once, at the price
    of re-rendering them after each booking. Activities (places left) and mall
    items (stock) likewise.
    """
    from . import models as m

    return (m.Activity, m.Community, m.District, m.MallItem, m.Notice, m.OpeningInterval,
            m.Project, m.Service, m.Site, m.SiteFacility, m.SpecialDay, m.Slot, m.Street,
            m.Team)  # fmt: skip


@cache
def _public_tables() -> frozenset:
    return frozenset(model.__table__ for model in _public_models())


class PageCache:
    def __init__(self, seconds: int, size: int, generation_seconds: float = 0.0):
        self.pages = TTLCache(maxsize=size, ttl=seconds)
        self.lock = threading.Lock()
        # The generation read from the database, reused for ``generation_seconds``
        # so that a cached page costs no query at all (0: read it every time).
        self.generation_seconds = generation_seconds
        self.known: tuple[float, int | None] | None = None

    def generation(self) -> int | None:
        if self.generation_seconds:
            known = self.known
            if known is not None and time.monotonic() - known[0] < self.generation_seconds:
                return known[1]
        number = generation()
        self.known = (time.monotonic(), number)
        return number

    def get(self, key):
        with self.lock:
            return self.pages.get(key)

    def put(self, key, value) -> None:
        with self.lock:
            self.pages[key] = value


def init_app(app) -> None:
    seconds = app.config.get("PAGE_CACHE_SECONDS", 30)
    if seconds:
        app.extensions["page_cache"] = PageCache(
            seconds,
            app.config.get("PAGE_CACHE_SIZE", 512),
            app.config.get("PAGE_CACHE_GENERATION_SECONDS", 1.0),
        )


def generation() -> int | None:
    """The current content generation (None if its row is missing: then nothing is cached)."""
    from .models import ContentGeneration

    return db.session.scalar(select(ContentGeneration.value).where(ContentGeneration.id == 1))


def _anonymous() -> bool:
    config = current_app.config
    cookies = request.cookies
    return (
        config["SESSION_COOKIE_NAME"] not in cookies
        and config.get("REMEMBER_COOKIE_NAME", "remember_token") not in cookies
    )


def _key(cache: PageCache):
    number = cache.generation()
    if number is None:
        return None
    return (
        request.full_path,
        tuple(request.headers.get(h, "") for h in _FRAGMENT_HEADERS),
        request.cookies.get(LANGUAGE_COOKIE, ""),
        request.cookies.get(ELDER_COOKIE, ""),
        number,
    )


def cached_page(view):
    """Serve the view's page from the cache to visitors who are not logged in."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        cache = current_app.extensions.get("page_cache")
        if cache is None or request.method != "GET" or not _anonymous():
            return view(*args, **kwargs)
        key = _key(cache)
        if key is None:
            return view(*args, **kwargs)
        hit = cache.get(key)
        if hit is not None:
            body, status, headers = hit
            response = current_app.response_class(body, status=status, headers=headers)
            response.headers[HEADER] = "hit"
            return response
        g.cacheable = True
        response = current_app.make_response(view(*args, **kwargs))
        storable = (
            response.status_code == 200
            and not response.direct_passthrough
            and "Set-Cookie" not in response.headers
        )
        if storable:
            cache.put(key, (response.get_data(), response.status_code, list(response.headers)))
        response.headers[HEADER] = "miss"
        return response

    return wrapped


# Moving the generation on ------------------------------------------------------------


def _note_public_changes(session, flush_context) -> None:
    """ORM changes: an object of a public model added, changed or deleted."""
    models = _public_models()
    if any(isinstance(obj, models) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["public_changed"] = True


def _note_public_statements(orm_execute_state) -> None:
    """Statements: an UPDATE, DELETE or INSERT on a public table run through the session.

    Seats, places and stock move by conditional UPDATEs that never load an
    object, so the flush above cannot see them; every such statement passes here.
    """
    state = orm_execute_state
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table in _public_tables():
        state.session.info["public_changed"] = True


def _bump_after_commit(session) -> None:
    # A savepoint's release fires this too, inside the still-open transaction
    # (whose write lock the bump would wait for): only the outermost commit counts.
    if session.get_nested_transaction() is not None:
        return
    if session.info.pop("public_changed", False):
        from .models import ContentGeneration

        # Its own short transaction, after the change is visible to readers:
        # a page rendered before this moment is keyed by the old number.
        with db.engine.begin() as connection:
            connection.execute(
                update(ContentGeneration)
                .where(ContentGeneration.id == 1)
                .values(value=ContentGeneration.value + 1)
            )


def _forget(session, previous_transaction) -> None:
    # A savepoint rolled back (a retried insert) leaves the outer transaction's
    # changes standing; only the end of the whole transaction forgets them.
    if not session.in_transaction():
        session.info.pop("public_changed", None)


def listen() -> None:
    """Hook the session once for the whole process (every app shares ``db.session``)."""
    if not event.contains(db.session, "after_flush", _note_public_changes):
        event.listen(db.session, "after_flush", _note_public_changes)
        event.listen(db.session, "do_orm_execute", _note_public_statements)
        event.listen(db.session, "after_commit", _bump_after_commit)
        event.listen(db.session, "after_soft_rollback", _forget)
