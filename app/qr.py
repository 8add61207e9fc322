"""QR codes as inline SVG (segno): no script, no inline style, no image to fetch."""

import segno
from markupsafe import Markup


def qr_svg(data: str, label: str, *, scale: int = 6, fit: bool = False) -> Markup:
    """``data`` (a booking code, a URL) as an SVG QR code that names itself to screen readers.

    ``fit``: a viewBox instead of a fixed size, so the stylesheet sizes it (a
    door's QR code is small on a phone and large on A4).
    """
    svg = segno.make(data, error="m", micro=False).svg_inline(scale=scale, border=2, omitsize=fit)
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1))
