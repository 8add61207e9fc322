"""activity index for coming-up lists

Revision ID: c4e1a7d2b9f3
Revises: 363f9a7629ca
Create Date: 2026-11-22 04:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e1a7d2b9f3'
down_revision = '363f9a7629ca'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(
            'ix_activity_status_ends', ['status', 'ends_at', 'starts_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_status_ends')
