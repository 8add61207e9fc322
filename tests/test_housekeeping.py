"""Small promises of "Sharp edges" that no other test holds: the login's number
field suits a password manager, the README says what a fresh machine needs, and
the booking status groups are named once while the dead names stay gone."""

import re
from pathlib import Path

from app.models import Booking

ROOT = Path(__file__).resolve().parents[1]


def test_the_login_number_is_a_text_field_a_password_manager_fills(client):
    html = client.get("/login").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="mobile"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'autocomplete="username"' in field
    assert 'inputmode="tel"' in field  # a digit keyboard all the same


def test_the_readme_names_the_port_and_the_fonts_the_browser_tests_need():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run PORT=" in readme
    assert "fonts-noto-cjk" in readme and "fonts-noto-color-emoji" in readme


def test_booking_status_groups_are_named_once_beside_the_model():
    assert set(Booking.SEAT_HOLDING) >= set(Booking.HOLDING_UPCOMING)
    assert not set(Booking.SEAT_HOLDING) & set(Booking.ENDED)
    assert not hasattr(Booking, "holds_seats")
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "app").rglob("*.py"))
    for dead in ("ACTIVE_STATUSES", "holds_seats", "SITE_STATUSES", "new_checkin_code"):
        assert not re.search(rf"\b{dead}\b", sources), dead
