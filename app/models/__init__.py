"""All models, importable from one place (``from app.models import Site``)."""

from .accounts import AuditEntry, StaffScope, User, VolunteerProfile
from .bookings import Booking, BookingRule, Slot, SlotRule
from .geo import Community, District, Street
from .sites import Notice, OpeningInterval, Service, Site, SiteFacility, SpecialDay

__all__ = [
    "Booking",
    "BookingRule",
    "Slot",
    "SlotRule",
    "AuditEntry",
    "StaffScope",
    "User",
    "VolunteerProfile",
    "Community",
    "District",
    "Notice",
    "OpeningInterval",
    "Service",
    "Site",
    "SiteFacility",
    "SpecialDay",
    "Street",
]
