"""deliberation (议事): topics, supports, meetings, updates, ratings

Revision ID: c9b2e6f4a8d1
Revises: a7d4e9c2b1f6
Create Date: 2026-12-02 16:51:57

Topics residents raise and support (附议), each community's threshold, the
meetings that decide them (each holding a booking of a room made through the
booking engine), the implementation's public updates and residents' ratings
of the outcome. New tables only.

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c9b2e6f4a8d1"
down_revision = "a7d4e9c2b1f6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "topic_rule",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("threshold BETWEEN 1 AND 1000", name=op.f("ck_topic_rule_threshold")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_topic_rule_community_id_community")
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_topic_rule")),
    )
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("scheduled_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("residents_count", sa.Integer(), nullable=False),
        sa.Column("owners_committee_count", sa.Integer(), nullable=False),
        sa.Column("property_company_count", sa.Integer(), nullable=False),
        sa.Column("party_committee_count", sa.Integer(), nullable=False),
        sa.Column("attendee_names", sa.String(length=300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('scheduled', 'held', 'cancelled')", name=op.f("ck_meeting_status")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_meeting_booking_id_booking")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_meeting_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_meeting_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["scheduled_by_id"], ["user.id"], name=op.f("fk_meeting_scheduled_by_id_user")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_meeting_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_meeting_booking_id")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_community", ["community_id", "id"], unique=False)

    op.create_table(
        "topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("by_staff", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("supports", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agenda_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("votes_for", sa.Integer(), nullable=False),
        sa.Column("votes_against", sa.Integer(), nullable=False),
        sa.Column("votes_abstain", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("implementation_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("implemented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=300), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'agenda', 'scheduled', 'decided', 'published',"
            " 'implementing', 'implemented', 'withdrawn', 'declined')",
            name=op.f("ck_topic_status"),
        ),
        sa.CheckConstraint("supports >= 0", name=op.f("ck_topic_supports")),
        sa.CheckConstraint(
            "votes_for >= 0 AND votes_against >= 0 AND votes_abstain >= 0",
            name=op.f("ck_topic_votes"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_topic_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_topic_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["user.id"], name=op.f("fk_topic_proposed_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic")),
    )
    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.create_index("ix_topic_community", ["community_id", "status", "id"], unique=False)
        batch_op.create_index("ix_topic_proposer", ["proposed_by_id", "id"], unique=False)

    op.create_table(
        "topic_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rating IN ('satisfied', 'basic', 'unsatisfied')", name=op.f("ck_topic_rating_rating")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topic.id"], name=op.f("fk_topic_rating_topic_id_topic")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_topic_rating_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_rating")),
        sa.UniqueConstraint("topic_id", "user_id", name="uq_topic_rating_once"),
    )
    with op.batch_alter_table("topic_rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topic_rating_user_id"), ["user_id"], unique=False)

    op.create_table(
        "topic_support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topic.id"], name=op.f("fk_topic_support_topic_id_topic")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_topic_support_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_support")),
        sa.UniqueConstraint("topic_id", "user_id", name="uq_topic_support_once"),
    )
    with op.batch_alter_table("topic_support", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topic_support_user_id"), ["user_id"], unique=False)

    op.create_table(
        "topic_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["user.id"], name=op.f("fk_topic_update_by_id_user")),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topic.id"], name=op.f("fk_topic_update_topic_id_topic")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_update")),
    )
    with op.batch_alter_table("topic_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topic_update_topic_id"), ["topic_id"], unique=False)


def downgrade():
    with op.batch_alter_table("topic_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_update_topic_id"))

    op.drop_table("topic_update")
    with op.batch_alter_table("topic_support", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_support_user_id"))

    op.drop_table("topic_support")
    with op.batch_alter_table("topic_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_rating_user_id"))

    op.drop_table("topic_rating")
    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.drop_index("ix_topic_proposer")
        batch_op.drop_index("ix_topic_community")

    op.drop_table("topic")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_community")

    op.drop_table("meeting")
    op.drop_table("topic_rule")
