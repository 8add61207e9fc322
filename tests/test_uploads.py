"""Uploaded photos: re-encoded, without EXIF or GPS, bounded, typed by their bytes."""

import io
import zlib
from struct import pack

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app import uploads
from app.extensions import db
from app.models import Upload
from app.uploads import UploadRefused, clean_jpeg

GPS_IFD = 0x8825


def jpeg_with_gps(size=(800, 600), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 60, 40))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (31.0, 14.0, 12.5)  # latitude
    gps[3], gps[4] = "E", (121.0, 28.0, 30.0)  # longitude
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_the_test_photo_really_carries_gps():
    reopened = Image.open(io.BytesIO(jpeg_with_gps()))
    assert reopened.getexif().get_ifd(GPS_IFD)[2] == (31.0, 14.0, 12.5)


def test_exif_and_gps_are_gone_and_it_is_a_plain_jpeg():
    data, width, height = clean_jpeg(jpeg_with_gps())
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and (width, height) == (800, 600)
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(GPS_IFD) == {}
    assert b"PhoneMaker" not in data and b"Exif" not in data[:200]


def test_the_photo_stays_upright_as_taken():
    """Orientation 6 (phone held upright): the pixels turn, since the tag goes."""
    data, width, height = clean_jpeg(jpeg_with_gps((800, 600), orientation=6))
    assert (width, height) == (600, 800)


def test_a_big_photo_is_brought_to_2048_on_the_long_side():
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), "white").save(out, "JPEG")
    _data, width, height = clean_jpeg(out.getvalue())
    assert (width, height) == (2048, 1536)


def test_png_with_transparency_becomes_a_jpeg_on_white():
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, "PNG")
    data, _w, _h = clean_jpeg(out.getvalue())
    assert Image.open(io.BytesIO(data)).getpixel((5, 5)) == (255, 255, 255)


def _zip_bomb_png(side: int = 30000) -> bytes:
    """A small PNG that claims side × side pixels of one grey."""
    raw = zlib.compress(b"\x00" * (side + 1) * 256, 9)  # only part of the rows: enough to try

    def chunk(kind, body):
        return pack(">I", len(body)) + kind + body + pack(">I", zlib.crc32(kind + body))

    header = pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<?php system($_GET['c']); ?>", "请选择照片"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "请选择照片"),
        (b"PK\x03\x04" + b"\x00" * 100, "请选择照片"),
        (b"\xff\xd8\xff" + b"\x00" * 100, "无法读取"),  # a JPEG's start, then garbage
        (b"", "请选择要上传的照片"),
        (b"\xff\xd8\xff" + b"\x00" * (6 * 1024 * 1024), "不能超过 5 MB"),
        (_zip_bomb_png(), "太大"),
    ],
    ids=["php-named-jpg", "svg-script", "zip", "broken-jpeg", "empty", "six-mb", "zip-bomb"],
)
def test_what_is_not_a_safe_photo_is_refused(app, data, message):
    with pytest.raises(UploadRefused) as refused:
        uploads.save_photo(
            FileStorage(io.BytesIO(data), filename="photo.jpg", content_type="image/jpeg"),
            purpose="mall_item", public=True,
        )  # fmt: skip
    assert message in refused.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Upload.id))) == 0


def test_a_public_photo_is_served_and_a_private_one_is_not(app, client):
    public = uploads.save_photo(
        FileStorage(io.BytesIO(jpeg_with_gps()), filename="x.jpg"), purpose="mall_item",
        public=True,
    )  # fmt: skip
    private = uploads.save_photo(
        FileStorage(io.BytesIO(jpeg_with_gps()), filename="y.jpg"), purpose="request",
        public=False,
    )  # fmt: skip
    db.session.commit()
    response = client.get(f"/photos/{public.key}.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "immutable" in response.headers["Cache-Control"]
    assert Image.open(io.BytesIO(response.data)).getexif().get_ifd(GPS_IFD) == {}
    assert client.get(f"/photos/{private.key}.jpg").status_code == 404
    assert client.get("/photos/not-a-key.jpg").status_code == 404
    assert client.get(f"/photos/{'0' * 32}.jpg").status_code == 404
