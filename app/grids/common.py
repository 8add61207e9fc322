"""What the grid rules share: the refusal, names and published phone numbers."""

import re
import unicodedata

from flask_babel import gettext as _

from ..extensions import db
from ..refusals import Refused

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# A landline with its area code: 0371-12345678, 010-1234567 (a space or a dash
# between them, or none for a 3-digit area code beginning 01/02: 01012345678).
LANDLINE_RE = re.compile(r"(0[0-9]{2,3})[\s-]+([0-9][0-9\s-]*)")
LANDLINE_SHORT_AREA_RE = re.compile(r"(0[12][0-9])([0-9]{8})")


class GridError(Refused):
    """A grid rule refused; ``reason`` for code and tests, ``message`` for people."""

    def __init__(self, reason: str, message: str, field: str | None = None):
        super().__init__(message, field=field, reason=reason)


def refuse(reason: str, message: str, field: str | None = None):
    """Roll back whatever the refused request did, and refuse."""
    db.session.rollback()
    raise GridError(reason, message, field)


def clean_text(value: str | None) -> str:
    """NFKC (full-width letters and digits read as ASCII), runs of white space as one."""
    text = unicodedata.normalize("NFKC", value or "")
    text = "".join(c for c in text if unicodedata.category(c) != "Cc" or c.isspace())
    return " ".join(text.split())


def normalize_phone(value: str | None) -> str | None:
    """A published phone number in one shape, '' for none, None when it is not one.

    A mobile: 11 digits ('138 1234 5678', '+86 13812345678', full-width too)
    → '13812345678'. A landline with its area code ('0371-12345678',
    '0371 12345678', '(0371)12345678') → '0371-12345678'.
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    if len(text) > 30:
        return None
    text = text.replace("(", "").replace(")", "-").replace("—", "-").replace("－", "-")
    if text.startswith("+86"):
        text = text[3:].strip()
    digits = re.sub(r"[\s-]", "", text)
    if MOBILE_RE.fullmatch(digits):
        return digits
    match = LANDLINE_RE.fullmatch(text)
    if match:
        number = re.sub(r"[\s-]", "", match.group(2))
        if 7 <= len(number) <= 8:
            return f"{match.group(1)}-{number}"
        return None
    match = LANDLINE_SHORT_AREA_RE.fullmatch(digits)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    return None


def phone_message() -> str:
    return _("Enter a mobile number of 11 digits or a landline with its area code, "
             "such as 0371-12345678.")  # fmt: skip
