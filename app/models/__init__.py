"""All models, importable from one place (``from app.models import Site``)."""

from .geo import Community, District, Street
from .sites import Notice, OpeningInterval, Service, Site, SiteFacility, SpecialDay

__all__ = [
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
