"""The one place that decides what an htmx request is, and how to answer it.

A fragment is a named block of the page's own template (jinja2-fragments), so
the fragment and the page can never drift apart.
"""

from flask import Flask, Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """True for a request htmx made, except a history restore (which wants a page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def is_boosted() -> bool:
    return request.headers.get("HX-Boosted") == "true"


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page (a boosted one wants the page)."""
    return is_htmx() and not is_boosted()


def render(
    template: str,
    *,
    fragments: tuple[str, ...] = (),
    block: str | None = None,
    status: int = 200,
    **context,
) -> Response:
    """Render the page, or the block htmx targets.

    ``fragments`` names the blocks that may be rendered alone. htmx sends the
    id of the element it will swap in ``HX-Target``; the block of that name
    (dashes read as underscores) is rendered when it is listed. Where the
    target id varies (one per list item), the view names the ``block``.
    """
    if not wants_fragment():
        block = None
    elif block is None:
        target = (request.headers.get("HX-Target") or "").replace("-", "_")
        if target in fragments:
            block = target
    if block:
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    if fragments or block:
        response.vary.add("HX-Request")
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals["is_htmx"] = is_htmx
