"""All models, importable from one place (``from app.models import Site``)."""

from .accounts import AuditEntry, LoginSession, StaffScope, User, VolunteerProfile
from .bookings import Booking, BookingRule, Slot, SlotRule
from .cache import ContentGeneration
from .geo import Community, District, Street
from .grids import Building, Compound, Grid, GridScope, Home
from .notifications import (
    Consent,
    Notification,
    NotificationPreference,
    SmsMessage,
    VerificationCode,
)
from .requests import (
    RequestDeadline,
    RequestPhoto,
    RequestStep,
    RequestSupport,
    ResidentRequest,
)
from .sites import Notice, OpeningInterval, Service, Site, SiteFacility, SpecialDay
from .topics import Meeting, Topic, TopicRating, TopicRule, TopicSupport, TopicUpdate
from .uploads import Upload
from .volunteers import (
    Activity,
    ActivityChange,
    ActivitySeries,
    Certificate,
    CertificateLine,
    MallItem,
    Membership,
    PointsEntry,
    Project,
    ProjectComment,
    ProjectSpending,
    Redemption,
    Signup,
    Team,
)
from .wishes import Wish, WishRule

__all__ = [
    "Meeting",
    "Topic",
    "TopicRating",
    "TopicRule",
    "TopicSupport",
    "TopicUpdate",
    "Wish",
    "WishRule",
    "Building",
    "Compound",
    "Grid",
    "GridScope",
    "Home",
    "RequestDeadline",
    "RequestPhoto",
    "RequestStep",
    "RequestSupport",
    "ResidentRequest",
    "Activity",
    "ActivityChange",
    "ActivitySeries",
    "Certificate",
    "CertificateLine",
    "ProjectSpending",
    "Upload",
    "Consent",
    "Notification",
    "NotificationPreference",
    "SmsMessage",
    "VerificationCode",
    "MallItem",
    "Membership",
    "PointsEntry",
    "Project",
    "ProjectComment",
    "Redemption",
    "Signup",
    "Team",
    "Booking",
    "BookingRule",
    "ContentGeneration",
    "Slot",
    "SlotRule",
    "AuditEntry",
    "LoginSession",
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
