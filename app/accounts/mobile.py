"""Mainland mobile numbers: normalize and mask."""

import re
import unicodedata

# ASCII digits only: Python's \d matches every Unicode digit, and '１３８…' must
# not become an account apart from '138…'.
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-]")
_LONGEST = 40  # more than any spacing of '+86 138 1234 5678' needs


def normalize_mobile(raw: str | None) -> str | None:
    """'+86 138 1234 5678' → '13812345678'; None when it is not a mobile number.

    NFKC first, so full-width digits, plus and hyphen (as a Chinese input
    method types them) read as their ASCII forms: one number, one account.
    """
    if raw is None or len(raw) > _LONGEST:
        return None
    number = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw).strip())
    if number.startswith("+86"):
        number = number[3:]
    return number if MOBILE_RE.fullmatch(number) else None


def mask_mobile(mobile: str | None) -> str:
    """'13812345678' → '138****5678', for everyone but the number's owner."""
    if not mobile:
        return ""
    return f"{mobile[:3]}****{mobile[-4:]}"
