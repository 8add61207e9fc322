"""Fixed vocabularies of the domain: codes stored in the database, labels shown.

Codes are short ASCII words that never change; labels go through Babel so the
same row reads in Chinese or English.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Term:
    code: str
    label: str
    icon: str = ""


def _index(*terms: Term) -> dict[str, Term]:
    return {t.code: t for t in terms}


SITE_KINDS = _index(
    Term("center", _l("Service center"), "🏛"),
    Term("station", _l("Station"), "🏠"),
)

# 站点类型: what kind of station a 1+N station is.
STATION_TYPES = _index(
    Term("residential", _l("Residential compound station"), "🏘"),
    Term("business", _l("Business district or office building station"), "🏢"),
    Term("convenience", _l("Convenience post"), "🚰"),
    Term("volunteer", _l("Volunteer post"), "🙋"),
    Term("social", _l("Social-resource point"), "🤝"),
)

FACILITIES = _index(
    Term("water", _l("Drinking water"), "🚰"),
    Term("seats", _l("Rest seats"), "🪑"),
    Term("toilet", _l("Toilet"), "🚻"),
    Term("charging", _l("Phone charging"), "🔌"),
    Term("luggage", _l("Luggage storage"), "🧳"),
    Term("microwave", _l("Microwave"), "♨"),
    Term("umbrella", _l("Umbrella"), "☂"),
    Term("first_aid", _l("First-aid kit"), "⛑"),
    Term("reading", _l("Reading corner"), "📚"),
    Term("wifi", _l("Wi-Fi"), "📶"),
    Term("barrier_free", _l("Barrier-free access"), "♿"),
)

SERVICE_CATEGORIES = _index(
    Term("venue", _l("Rooms and halls"), "🏫"),
    Term("legal", _l("Legal advice"), "⚖"),
    Term("health", _l("TCM and physiotherapy"), "🩺"),
    Term("haircut", _l("Haircuts for elders"), "💈"),
    Term("canteen", _l("Community canteen"), "🍱"),
    Term("office", _l("Mobile office desk"), "🗂"),
    Term("care", _l("Elderly and child care"), "🧓"),
    Term("culture", _l("Culture and learning"), "🎨"),
)

COMMUNITY_CLASSES = _index(
    Term("A", _l("Class A · new estate")),
    Term("B", _l("Class B · old compound")),
    Term("C", _l("Class C · suburban")),
    Term("D", _l("Class D · rural")),
)

SPECIAL_DAY_KINDS = _index(
    Term("closed", _l("Temporarily closed"), "⛔"),
    Term("holiday", _l("Holiday closure"), "🏮"),
    Term("extended", _l("Extended hours"), "🌙"),
)

WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)

ROLES = _index(
    Term("resident", _l("Resident")),
    Term("volunteer", _l("Volunteer")),
    Term("staff", _l("Staff")),
    Term("admin", _l("Administrator")),
)

BOOKING_STATUSES = _index(
    Term("pending", _l("awaiting approval"), "⏳"),
    Term("booked", _l("booked"), "✅"),
    Term("waitlisted", _l("on the waiting list"), "🕒"),
    Term("cancelled", _l("cancelled"), "✖"),
    Term("declined", _l("declined"), "✖"),
    Term("checked_in", _l("checked in"), "🎫"),
    Term("no_show", _l("missed"), "⚠"),
)

# 服务项目 categories.
PROJECT_CATEGORIES = _index(
    Term("daily_life", _l("Daily-life services"), "🧺"),
    Term("assistance", _l("Assistance and relief"), "🤲"),
    Term("shared_venues", _l("Shared venues"), "🏫"),
    Term("culture_sports", _l("Culture and sports"), "🎵"),
    Term("health_elderly", _l("Health and elderly care"), "🩺"),
    Term("legal", _l("Legal aid and mediation"), "⚖"),
    Term("education", _l("Education and care"), "📚"),
    Term("safety", _l("Safety and environment"), "🛡"),
)

PROJECT_STATUSES = _index(
    Term("draft", _l("Draft")),
    Term("filed", _l("Filed (备案)")),
    Term("publicity", _l("In publicity (公示)")),
    Term("running", _l("Running")),
    Term("completed", _l("Completed")),
)

SIGNUP_STATUSES = _index(
    Term("signed_up", _l("signed up")),
    Term("waitlisted", _l("on the waiting list")),
    Term("cancelled", _l("cancelled")),
    Term("checked_in", _l("checked in")),
    Term("attended", _l("attended")),
    Term("absent", _l("absent")),
)

# A volunteer's place in a team (Membership.status).
MEMBERSHIP_STATUSES = _index(
    Term("leader", _l("Leader")),
    Term("deputy", _l("Deputy leader")),
    Term("member", _l("Member")),
    Term("pending", _l("Asked to join")),
    Term("removed", _l("Removed")),
)

POINTS_KINDS = _index(
    Term("earned", _l("earned")),
    Term("spent", _l("exchanged")),
    Term("refund", _l("refunded")),
    Term("adjusted", _l("adjusted")),
)

REDEMPTION_STATUSES = _index(
    Term("reserved", _l("to pick up")),
    Term("picked_up", _l("picked up")),
    Term("cancelled", _l("cancelled")),
)

# What the audit log calls each kind of change (the code stays beside it).
# 诉求: what residents report, and where a request stands.
REQUEST_CATEGORIES = _index(
    Term("repairs", _l("Repairs"), "🔧"),
    Term("environment", _l("Environment and cleanliness"), "🌿"),
    Term("safety", _l("Safety"), "🦺"),
    Term("neighbours", _l("Neighbours"), "🤝"),
    Term("property", _l("Property management"), "🏢"),
    Term("facilities", _l("Public facilities"), "💡"),
    Term("services", _l("Services"), "🛎"),
    Term("other", _l("Other"), "📝"),
)

REQUEST_STATES = _index(
    Term("received", _l("Received")),
    Term("accepted", _l("Accepted")),
    Term("in_progress", _l("In progress")),
    Term("resolved", _l("Resolved")),
    Term("closed", _l("Finished")),
    Term("rejected", _l("Not taken up")),
)

REQUEST_RATINGS = _index(
    Term("satisfied", _l("Satisfied"), "😊"),
    Term("basic", _l("Mostly satisfied"), "🙂"),
    Term("unsatisfied", _l("Not satisfied"), "🙁"),
)

REQUEST_STEPS = _index(
    Term("report", _l("Reported")),
    Term("accept", _l("Accepted")),
    Term("start", _l("Work started")),
    Term("resolve", _l("Resolved")),
    Term("reject", _l("Not taken up")),
    Term("reassign", _l("Passed on")),
    Term("follow_up", _l("Follow-up call")),
    Term("rate", _l("Rated")),
    Term("reopen", _l("Reopened")),
    Term("escalate", _l("Overdue: passed up")),
    Term("auto_close", _l("Closed after 7 days without a rating")),
)

REQUEST_PLACES = _index(
    Term("home", _l("Near my home")),
    Term("site", _l("At a center or station")),
    Term("location", _l("Where I am now")),
)

TOPIC_STATES = _index(
    Term("proposed", _l("Gathering support")),
    Term("agenda", _l("On the agenda")),
    Term("scheduled", _l("Meeting booked")),
    Term("decided", _l("Decided")),
    Term("published", _l("Decision published")),
    Term("implementing", _l("Being implemented")),
    Term("implemented", _l("Implemented")),
    Term("withdrawn", _l("Withdrawn")),
    Term("declined", _l("Not taken up")),
)

TOPIC_STEPS = _index(
    Term("proposed", _l("Proposed")),
    Term("agenda", _l("Reached the support needed")),
    Term("scheduled", _l("Meeting booked")),
    Term("decided", _l("Decided at the meeting")),
    Term("published", _l("Decision published")),
    Term("implementing", _l("Implementation started")),
    Term("implemented", _l("Implemented")),
    Term("note", _l("Implementation update")),
    Term("withdrawn", _l("Withdrawn")),
    Term("declined", _l("Not taken up")),
)

ATTENDEE_ROLES = _index(
    Term("residents", _l("Residents' representatives")),
    Term("owners_committee", _l("Owners' committee")),
    Term("property_company", _l("Property company")),
    Term("party_committee", _l("Community party committee")),
)

AUDIT_ACTIONS = _index(
    Term("account.claimed", _l("account made at the desk taken over by the resident")),
    Term("account.deleted", _l("account deleted")),
    Term("account.password_reset", _l("password set again with a code")),
    Term("account.mobile_changed", _l("mobile number changed")),
    Term("activity.cancelled", _l("activity cancelled")),
    Term("activity.created", _l("activity published")),
    Term("activity.edited", _l("activity changed")),
    Term("activity.places", _l("activity places changed")),
    Term("activity.roster_confirmed", _l("roster confirmed")),
    Term("booking.booked", _l("booking approved")),
    Term("booking.cancelled_by_staff", _l("booking cancelled by the site")),
    Term("booking.checked_in", _l("resident checked in")),
    Term("booking.declined", _l("booking declined")),
    Term("booking.no_show", _l("marked as not come")),
    Term("booking.proxy", _l("booked for a resident")),
    Term("building.created", _l("building added")),
    Term("building.deleted", _l("building deleted")),
    Term("building.saved", _l("building or building head changed")),
    Term("community.deleted", _l("community deleted")),
    Term("community.saved", _l("community saved")),
    Term("compound.created", _l("compound added")),
    Term("compound.deleted", _l("compound deleted")),
    Term("compound.saved", _l("compound renamed")),
    Term("district.deleted", _l("district deleted")),
    Term("district.saved", _l("district saved")),
    Term("grid.created", _l("grid created")),
    Term("grid.deleted", _l("grid deleted")),
    Term("grid.saved", _l("grid renamed, moved or its head changed")),
    Term("grid.worker_granted", _l("grid worker named")),
    Term("grid.worker_revoked", _l("grid worker removed")),
    Term("grids.import", _l("grid tree imported")),
    Term("mall.item_active", _l("love mall item retired or offered again")),
    Term("mall.item_added", _l("love mall item added")),
    Term("mall.item_edited", _l("love mall item changed")),
    Term("mall.price_changed", _l("love mall price changed")),
    Term("mall.restocked", _l("love mall item restocked")),
    Term("personal.revealed", _l("whole number shown")),
    Term("points.adjusted", _l("points adjusted")),
    Term("project.comment_hidden", _l("project opinion hidden")),
    Term("project.completed", _l("project completed")),
    Term("project.created", _l("project drafted")),
    Term("project.edited", _l("project draft changed")),
    Term("project.filed", _l("project filed")),
    Term("project.publicity_opened", _l("project published for comment")),
    Term("project.reply", _l("project comment answered")),
    Term("project.spending_added", _l("project spending recorded")),
    Term("project.spending_removed", _l("project spending removed")),
    Term("project.started", _l("project started")),
    Term("redemption.cancelled", _l("exchange cancelled, points returned")),
    Term("redemption.picked_up", _l("exchanged goods handed over")),
    Term("scope.granted", _l("staff scope granted")),
    Term("scope.revoked", _l("staff scope revoked")),
    Term("series.cancelled", _l("weekly series cancelled")),
    Term("series.created", _l("weekly series published")),
    Term("service.rules", _l("booking rules changed")),
    Term("service.slot_rule_added", _l("booking times added")),
    Term("service.slot_rule_removed", _l("booking times removed")),
    Term("signup.marked", _l("attendance marked")),
    Term("signup.over_hours", _l("hours above the activity's length credited")),
    Term("site.created", _l("site created")),
    Term("site.deleted", _l("site deleted")),
    Term("site.edited", _l("basic information changed")),
    Term("site.extended_tonight", _l("extended hours tonight")),
    Term("site.facilities", _l("facilities changed")),
    Term("site.hours_added", _l("opening hours added")),
    Term("site.hours_copied", _l("Monday's hours copied")),
    Term("site.hours_removed", _l("opening hours removed")),
    Term("site.imported", _l("site imported")),
    Term("site.notice_added", _l("notice posted")),
    Term("site.notice_removed", _l("notice removed")),
    Term("site.service_active", _l("service retired or offered again")),
    Term("site.service_added", _l("service added")),
    Term("site.service_edited", _l("service changed")),
    Term("site.special_day_added", _l("special day added")),
    Term("site.special_day_removed", _l("special day removed")),
    Term("site.status", _l("opened or temporarily closed")),
    Term("sites.import", _l("CSV import")),
    Term("street.deleted", _l("street deleted")),
    Term("street.saved", _l("street saved")),
    Term("team.created", _l("team created")),
    Term("team.edited", _l("team details changed")),
    Term("team.member_approved", _l("team member approved")),
    Term("team.member_declined", _l("team member declined")),
    Term("team.member_removed", _l("team member removed")),
    Term("team.restored", _l("team brought back")),
    Term("team.retired", _l("team retired")),
    Term("team.role_changed", _l("team leader or deputy named")),
    Term("request.deadlines_set", _l("deadlines of requests changed")),
    Term("request.logged_for", _l("request logged for a resident (代办)")),
    Term("request.reassigned", _l("request passed to another grid")),
    Term("topic.declined", _l("topic not taken up")),
    Term("topic.implementation", _l("implementation of a decision updated")),
    Term("topic.meeting_scheduled", _l("deliberation meeting booked")),
    Term("topic.proposed", _l("topic proposed by staff")),
    Term("topic.published", _l("decision of a topic published")),
    Term("topic.recorded", _l("record of a deliberation meeting written")),
    Term("topic.threshold_set", _l("support needed for the agenda set")),
    Term("user.created_by_staff", _l("account made by staff")),
    Term("user.disabled", _l("account disabled")),
    Term("user.enabled", _l("account enabled")),
    Term("wish.fulfilled", _l("small wish confirmed as granted")),
    Term("wish.posted_for", _l("small wish posted for someone")),
    Term("wish.released", _l("claim of a small wish let go")),
    Term("wish.rule_set", _l("credit rule of small wishes set")),
    Term("wish.unit_claimed", _l("small wish taken on by a co-building unit")),
    Term("wish.withdrawn", _l("small wish withdrawn")),
)
