"""login sessions: one row per login, revoked on log out

Revision ID: e5b1c2d3a4f6
Revises: d7a3c9e5f1b2
Create Date: 2026-12-01 20:00:00

Replaces user.session_token (one token per user, shared by every device) with
one row per login, so logging out revokes exactly that device's cookies.
Everyone is logged out once by the upgrade.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5b1c2d3a4f6'
down_revision = 'd7a3c9e5f1b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_login_session_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_login_session_token_hash')),
    )
    op.create_index('ix_login_session_user', 'login_session', ['user_id', 'revoked_at'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_token')


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_token', sa.String(length=32), nullable=False, server_default='')
        )
    op.drop_index('ix_login_session_user', table_name='login_session')
    op.drop_table('login_session')
