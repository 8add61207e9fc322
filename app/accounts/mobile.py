"""Mainland mobile numbers: normalize and mask."""

import re

MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-]")


def normalize_mobile(raw: str | None) -> str | None:
    """'+86 138 1234 5678' → '13812345678'; None when it is not a mobile number."""
    if raw is None:
        return None
    number = _SEPARATORS.sub("", raw.strip())
    if number.startswith("+86"):
        number = number[3:]
    return number if MOBILE_RE.fullmatch(number) else None


def mask_mobile(mobile: str | None) -> str:
    """'13812345678' → '138****5678', for everyone but the number's owner."""
    if not mobile:
        return ""
    return f"{mobile[:3]}****{mobile[-4:]}"
