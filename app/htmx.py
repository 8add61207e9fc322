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


def keep_the_address(response: Response) -> Response:
    """Keep the page's own URL in the address bar when a boosted form is
    answered with a page instead of a redirect (a refusal, 422; an error).

    htmx pushes the URL a boosted request went to, so a refused POST would put
    ``/slots/5/book`` in the address bar and in the history, and a reload or a
    Back would ask for it with GET (405). ``HX-Push-Url: false`` leaves the URL
    of the page the form was sent from, which a reload shows again. A redirect
    needs nothing: htmx follows it and pushes where it led. A view that chose
    a URL itself (``HX-Push-Url`` or ``HX-Replace-Url``) keeps its choice.
    """
    if (
        is_boosted()
        and request.method not in ("GET", "HEAD")
        and not 300 <= response.status_code < 400
        and "HX-Push-Url" not in response.headers
        and "HX-Replace-Url" not in response.headers
    ):
        response.headers["HX-Push-Url"] = "false"
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals["is_htmx"] = is_htmx
    app.after_request(keep_the_address)
