"""small wishes (微心愿)

Revision ID: a7d4e9c2b1f6
Revises: f3c8a1d2e4b5
Create Date: 2026-12-02 15:50:00

Wishes and each community's rule for crediting them. New tables only: the
points a wish earns are a line of the existing ledger, linked from the wish
(``wish.points_entry_id``), so ``points_entry`` and its append-only triggers
stay as they are.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7d4e9c2b1f6"
down_revision = "f3c8a1d2e4b5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wish_rule",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("points BETWEEN 0 AND 100", name=op.f("ck_wish_rule_points")),
        sa.CheckConstraint("hours >= 0 AND hours <= 8", name=op.f("ck_wish_rule_hours")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_wish_rule_community_id_community")
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_wish_rule")),
    )
    op.create_table(
        "wish",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("wisher_id", sa.Integer(), nullable=True),
        sa.Column("logged_by_id", sa.Integer(), nullable=True),
        sa.Column("what", sa.String(length=60), nullable=False),
        sa.Column("for_name", sa.String(length=10), nullable=False),
        sa.Column("for_age", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=60), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_unit", sa.String(length=40), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credit_points", sa.Integer(), nullable=True),
        sa.Column("credited_points", sa.Integer(), nullable=True),
        sa.Column("credited_hours", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("points_entry_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'claimed', 'fulfilled', 'withdrawn')", name=op.f("ck_wish_status")
        ),
        sa.CheckConstraint(
            "for_age IS NULL OR for_age BETWEEN 0 AND 120", name=op.f("ck_wish_for_age")
        ),
        sa.CheckConstraint(
            "credit_points IS NULL OR credit_points BETWEEN 0 AND 100",
            name=op.f("ck_wish_credit_points"),
        ),
        sa.CheckConstraint(
            "claimed_by_id IS NULL OR claimed_unit = ''", name=op.f("ck_wish_one_claimant")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_wish_community_id_community")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_wish_site_id_site")),
        sa.ForeignKeyConstraint(["wisher_id"], ["user.id"], name=op.f("fk_wish_wisher_id_user")),
        sa.ForeignKeyConstraint(
            ["logged_by_id"], ["user.id"], name=op.f("fk_wish_logged_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"], ["user.id"], name=op.f("fk_wish_claimed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["user.id"], name=op.f("fk_wish_confirmed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["points_entry_id"],
            ["points_entry.id"],
            name=op.f("fk_wish_points_entry_id_points_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wish")),
        sa.UniqueConstraint("points_entry_id", name=op.f("uq_wish_points_entry_id")),
    )
    with op.batch_alter_table("wish", schema=None) as batch_op:
        batch_op.create_index("ix_wish_wall", ["status", "id"], unique=False)
        batch_op.create_index("ix_wish_community", ["community_id", "status", "id"], unique=False)
        batch_op.create_index("ix_wish_wisher", ["wisher_id", "id"], unique=False)
        batch_op.create_index("ix_wish_claimant", ["claimed_by_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("wish", schema=None) as batch_op:
        batch_op.drop_index("ix_wish_claimant")
        batch_op.drop_index("ix_wish_wisher")
        batch_op.drop_index("ix_wish_community")
        batch_op.drop_index("ix_wish_wall")
    op.drop_table("wish")
    op.drop_table("wish_rule")
