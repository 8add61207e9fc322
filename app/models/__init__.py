"""All models, importable from one place (``from app.models import Site``)."""

from .accounts import AuditEntry, StaffScope, User, VolunteerProfile
from .geo import Community, District, Street
from .sites import Notice, OpeningInterval, Service, Site, SiteFacility, SpecialDay

__all__ = [
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
