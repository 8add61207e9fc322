"""Photos people upload, made safe to keep and to show.

Every photo is read from its bytes (never its name or the browser's word for
it), re-encoded by Pillow as a plain JPEG of at most 2048 px on the long side,
which drops EXIF and with it the phone's GPS position, and kept in the
database (never in ``static/``, never on one host's disk) under a random key.
A file that is not a JPEG, PNG or WebP photo, that is
larger than 5 MB, or that would unpack into more pixels than any phone takes
(a "zip bomb") is refused with a message and nothing is kept.

``public`` photos (a mall item's, a completed project's) are served to
anyone by ``public.photo``; an area with private photos serves them through
its own route, after its own permission check, with ``send``.
"""

import secrets
import warnings
from io import BytesIO

from flask import Response
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .extensions import db
from .models import Upload
from .refusals import Refused

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2048
# 50 megapixels: more than any phone's camera, far less than a bomb unpacks to.
MAX_PIXELS = 50_000_000
# What a photo's first bytes say it is (the name and Content-Type are not asked).
SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"RIFF", "WEBP"),  # and "WEBP" at offset 8, checked below
)


class UploadRefused(Refused):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field, reason="photo")


def _kind(data: bytes) -> str | None:
    for signature, kind in SIGNATURES:
        if data.startswith(signature):
            if kind == "WEBP" and data[8:12] != b"WEBP":
                return None
            return kind
    return None


def _decode(data: bytes, field: str | None) -> Image.Image:
    """The photo, decoded in full; anything unsafe or unreadable is refused."""
    kind = _kind(data)
    if kind is None:
        raise UploadRefused(_("Choose a photo: a JPEG, PNG or WebP picture."), field)
    unreadable = _("This photo cannot be read. Take it again, or choose another one.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data), formats=[kind])
            if image.width * image.height > MAX_PIXELS:
                raise UploadRefused(_("This picture is far too large to be a photo."), field)
            image.load()
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(_("This picture is far too large to be a photo."), field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UploadRefused(unreadable, field) from None
    return image


def clean_jpeg(data: bytes, field: str | None = None) -> tuple[bytes, int, int]:
    """A photo's bytes made safe: (JPEG bytes without metadata, width, height)."""
    if not data:
        raise UploadRefused(_("Choose a photo to upload."), field)
    if len(data) > MAX_BYTES:
        raise UploadRefused(_("A photo may be at most 5 MB. Choose a smaller one."), field)
    image = _decode(data, field)
    image = ImageOps.exif_transpose(image)  # upright as taken, before EXIF goes
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        backing = Image.new("RGB", image.size, "white")
        backing.paste(image, mask=image.getchannel("A"))
        image = backing
    else:
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = BytesIO()
    # No exif=, no icc_profile=: nothing of the original's metadata is written.
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue(), image.width, image.height


def save_photo(file, *, purpose: str, public: bool, owner=None, field: str | None = None):
    """Keep an uploaded photo (a werkzeug FileStorage): its row goes into the session,
    and the caller commits it with the change the photo belongs to."""
    data = file.stream.read(MAX_BYTES + 1) if file else b""
    jpeg, width, height = clean_jpeg(data, field)
    upload = Upload(key=secrets.token_hex(16), purpose=purpose, content_type="image/jpeg",
                    width=width, height=height, size_bytes=len(jpeg), data=jpeg, public=public,
                    owner_id=owner.id if owner is not None else None)  # fmt: skip
    db.session.add(upload)
    return upload


def send(upload: Upload, *, cache_seconds: int = 0) -> Response:
    """The photo as a response. A public one may be cached (its key changes with it);
    a private one is never stored by a browser or a proxy."""
    response = Response(upload.data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = (
        f"public, max-age={cache_seconds}, immutable" if upload.public else "private, no-store"
    )
    response.headers["Content-Disposition"] = f'inline; filename="{upload.key}.jpg"'
    return response
