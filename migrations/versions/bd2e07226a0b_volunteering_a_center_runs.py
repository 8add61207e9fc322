"""volunteering a center runs: teams' skills and deputies, filed projects and
their spending, activity series and changes, check-out, mall items' limits and
photos, issued certificates, uploads; the points ledger and certificates made
unchangeable by triggers

Revision ID: bd2e07226a0b
Revises: e5b1c2d3a4f6
Create Date: 2026-12-01 20:19:16.995736

The triggers refuse UPDATE and DELETE on points_entry and certificate_line, and
on certificate everything but the holder's name (which deleting an account
removes). On SQLite a later batch migration that copies one of these tables
drops its triggers with it: such a migration must create them again (call
``create_append_only_triggers``).

The live certificate code of volunteer profiles goes: a certificate is now an
issued record of its own, and /verify shows what was issued, never live totals.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'bd2e07226a0b'
down_revision = 'e5b1c2d3a4f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('content_type', sa.String(length=30), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('width > 0 AND height > 0 AND size_bytes > 0', name=op.f('ck_upload_size')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_upload_owner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload')),
    sa.UniqueConstraint('key', name=op.f('uq_upload_key'))
    )
    op.create_table('activity_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts_min', sa.Integer(), nullable=False),
    sa.Column('ends_min', sa.Integer(), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('starts_min >= 0 AND starts_min < ends_min AND ends_min <= 1440', name=op.f('ck_activity_series_times')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_activity_series_weekday')),
    sa.CheckConstraint('weeks BETWEEN 1 AND 52', name=op.f('ck_activity_series_weeks')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_activity_series_created_by_id_user')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_activity_series_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_series'))
    )
    with op.batch_alter_table('activity_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_series_site_id'), ['site_id'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=20), nullable=False),
    sa.Column('issuer_site_id', sa.Integer(), nullable=True),
    sa.Column('issuer_name', sa.String(length=80), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=True),
    sa.Column('period_to', sa.Date(), nullable=True),
    sa.Column('total_hours', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('activity_count', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total_hours >= 0', name=op.f('ck_certificate_hours')),
    sa.ForeignKeyConstraint(['issuer_site_id'], ['site.id'], name=op.f('fk_certificate_issuer_site_id_site')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_certificate_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_code'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_user_id'), ['user_id'], unique=False)

    op.create_table('certificate_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('activity_title', sa.String(length=80), nullable=False),
    sa.Column('site_name', sa.String(length=80), nullable=False),
    sa.Column('hours', sa.Numeric(precision=4, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_certificate_line_certificate_id_certificate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_line'))
    )
    with op.batch_alter_table('certificate_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_line_certificate_id'), ['certificate_id'], unique=False)

    op.create_table('project_spending',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('amount_yuan', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('payee', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_yuan > 0', name=op.f('ck_project_spending_amount')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_project_spending_created_by_id_user')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_spending_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_spending'))
    )
    with op.batch_alter_table('project_spending', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_spending_project_id'), ['project_id'], unique=False)

    op.create_table('activity_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('cancelled', 'time', 'place', 'details')", name=op.f('ck_activity_change_kind')),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_activity_change_activity_id_activity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_activity_change_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_change'))
    )
    with op.batch_alter_table('activity_change', schema=None) as batch_op:
        batch_op.create_index('ix_activity_change_activity', ['activity_id', 'id'], unique=False)

    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('category', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('address', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('skills', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('roster_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('hours',
               existing_type=sa.NUMERIC(precision=4, scale=1),
               type_=sa.Numeric(precision=4, scale=2),
               existing_nullable=False)
        batch_op.create_index(batch_op.f('ix_activity_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_activity_series_id_activity_series'), 'activity_series', ['series_id'], ['id'])

    with op.batch_alter_table('mall_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('per_person_limit', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('photo_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_mall_item_photo_id_upload'), 'upload', ['photo_id'], ['id'])
        batch_op.create_check_constraint('limit', 'per_person_limit IS NULL OR per_person_limit >= 1')

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removed_reason', sa.String(length=200), server_default='', nullable=False))
        batch_op.drop_constraint(op.f('ck_membership_status'), type_='check')
        batch_op.create_check_constraint(
            'status', "status IN ('pending', 'member', 'deputy', 'leader', 'removed')"
        )

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filing_number', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('filed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('outcome_hours', sa.Numeric(precision=8, scale=2), nullable=True))
        batch_op.add_column(sa.Column('outcome_photo_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_project_outcome_photo_id_upload'), 'upload', ['outcome_photo_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_project_status'), type_='check')
        batch_op.create_check_constraint(
            'status', "status IN ('draft', 'filed', 'publicity', 'running', 'completed')"
        )

    with op.batch_alter_table('project_comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_project_comment_hidden_by_id_user'), 'user', ['hidden_by_id'], ['id'])

    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('hours_credited',
               existing_type=sa.NUMERIC(precision=4, scale=1),
               type_=sa.Numeric(precision=4, scale=2),
               existing_nullable=False)
        batch_op.drop_constraint(op.f('ck_signup_status'), type_='check')
        batch_op.create_check_constraint(
            'status',
            "status IN ('signed_up', 'waitlisted', 'cancelled', 'checked_in', 'attended',"
            " 'absent')",
        )

    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skills', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_volunteer_profile_certificate_code'), type_='unique')
        batch_op.drop_column('certificate_code')

    create_append_only_triggers()


def downgrade():
    drop_append_only_triggers()
    # A profile's code was random; downgraded profiles get a fresh one each.
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_code', sa.VARCHAR(length=24), nullable=True))
    bind = op.get_bind()
    import secrets

    for (user_id,) in bind.execute(sa.text('SELECT user_id FROM volunteer_profile')).all():
        bind.execute(
            sa.text('UPDATE volunteer_profile SET certificate_code = :code WHERE user_id = :id'),
            {'code': secrets.token_urlsafe(12), 'id': user_id},
        )
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.alter_column('certificate_code', existing_type=sa.VARCHAR(length=24), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_volunteer_profile_certificate_code'), ['certificate_code'])

    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
        batch_op.drop_column('skills')

    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.alter_column('hours_credited',
               existing_type=sa.Numeric(precision=4, scale=2),
               type_=sa.NUMERIC(precision=4, scale=1),
               existing_nullable=False)
        batch_op.drop_column('checked_out_at')
        batch_op.drop_constraint(op.f('ck_signup_status'), type_='check')
        batch_op.create_check_constraint(
            'status', "status IN ('signed_up', 'waitlisted', 'cancelled', 'attended', 'absent')"
        )

    with op.batch_alter_table('project_comment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_project_comment_hidden_by_id_user'), type_='foreignkey')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_project_outcome_photo_id_upload'), type_='foreignkey')
        batch_op.drop_column('outcome_photo_id')
        batch_op.drop_column('outcome_hours')
        batch_op.drop_column('filed_on')
        batch_op.drop_column('filing_number')
        batch_op.drop_constraint(op.f('ck_project_status'), type_='check')
        batch_op.create_check_constraint(
            'status', "status IN ('draft', 'publicity', 'running', 'completed')"
        )

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('removed_reason')
        batch_op.drop_column('removed_at')
        batch_op.drop_constraint(op.f('ck_membership_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('pending', 'member', 'leader')")

    with op.batch_alter_table('mall_item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mall_item_limit'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_mall_item_photo_id_upload'), type_='foreignkey')
        batch_op.drop_column('created_at')
        batch_op.drop_column('photo_id')
        batch_op.drop_column('per_person_limit')

    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_activity_series_id_activity_series'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_activity_series_id'))
        batch_op.alter_column('hours',
               existing_type=sa.Numeric(precision=4, scale=2),
               type_=sa.NUMERIC(precision=4, scale=1),
               existing_nullable=False)
        batch_op.drop_column('roster_confirmed_at')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('skills')
        batch_op.drop_column('address')
        batch_op.drop_column('category')
        batch_op.drop_column('series_id')

    with op.batch_alter_table('activity_change', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_change_activity')

    op.drop_table('activity_change')
    with op.batch_alter_table('project_spending', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_spending_project_id'))

    op.drop_table('project_spending')
    with op.batch_alter_table('certificate_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_line_certificate_id'))

    op.drop_table('certificate_line')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_user_id'))

    op.drop_table('certificate')
    with op.batch_alter_table('activity_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_series_site_id'))

    op.drop_table('activity_series')
    op.drop_table('upload')


# Records that prove something cannot be rewritten --------------------------------

CERTIFICATE_FACTS = (
    'code', 'user_id', 'issuer_site_id', 'issuer_name', 'period_from', 'period_to',
    'total_hours', 'activity_count', 'issued_at',
)


def create_append_only_triggers():
    if op.get_bind().dialect.name == 'sqlite':
        for table in ('points_entry', 'certificate_line'):
            for verb in ('UPDATE', 'DELETE'):
                op.execute(
                    f'CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} '
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        op.execute(
            f'CREATE TRIGGER certificate_no_update BEFORE UPDATE OF {", ".join(CERTIFICATE_FACTS)} '
            "ON certificate BEGIN SELECT RAISE(ABORT, 'an issued certificate never changes'); END"
        )
        op.execute(
            'CREATE TRIGGER certificate_no_delete BEFORE DELETE ON certificate '
            "BEGIN SELECT RAISE(ABORT, 'an issued certificate never changes'); END"
        )
        return
    op.execute(
        'CREATE FUNCTION doorstep_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ '
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
    )
    changed = ' OR '.join(f'NEW.{c} IS DISTINCT FROM OLD.{c}' for c in CERTIFICATE_FACTS)
    op.execute(
        'CREATE FUNCTION doorstep_certificate_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$ '
        "BEGIN IF TG_OP = 'DELETE' OR " + changed + ' THEN '
        "RAISE EXCEPTION 'an issued certificate never changes'; END IF; RETURN NEW; END $$"
    )
    for table in ('points_entry', 'certificate_line'):
        op.execute(
            f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
            'FOR EACH ROW EXECUTE FUNCTION doorstep_append_only()'
        )
    op.execute(
        'CREATE TRIGGER certificate_unchanged BEFORE UPDATE OR DELETE ON certificate '
        'FOR EACH ROW EXECUTE FUNCTION doorstep_certificate_unchanged()'
    )


def drop_append_only_triggers():
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('points_entry_no_update', 'points_entry_no_delete',
                     'certificate_line_no_update', 'certificate_line_no_delete',
                     'certificate_no_update', 'certificate_no_delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
        return
    op.execute('DROP TRIGGER IF EXISTS points_entry_append_only ON points_entry')
    op.execute('DROP TRIGGER IF EXISTS certificate_line_append_only ON certificate_line')
    op.execute('DROP TRIGGER IF EXISTS certificate_unchanged ON certificate')
    op.execute('DROP FUNCTION IF EXISTS doorstep_append_only()')
    op.execute('DROP FUNCTION IF EXISTS doorstep_certificate_unchanged()')
