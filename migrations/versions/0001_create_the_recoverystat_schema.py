"""Create the RecoveryStat schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28

Every table, key and CHECK of the domain model, written to run unchanged on SQLite and PostgreSQL,
plus the triggers that keep revisions and audit events append-only.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.history_guard import (
    APPEND_ONLY_TABLES,
    append_only_ddl,
    drop_append_only_ddl,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def first_of_month(column_name: str) -> sa.ColumnElement[bool]:
    """A CHECK expression that a date column holds the first of a month, compiled for each dialect."""
    return sa.extract("day", sa.column(column_name)) == 1


def upgrade() -> None:
    """Apply this migration."""
    op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_data_version_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.CheckConstraint("kind IN ('city-parish', 'state', 'federal', 'partner')", name=op.f('ck_department_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('slug', name=op.f('uq_department_slug'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
    sa.CheckConstraint("role <> 'editor' OR department_id IS NOT NULL", name=op.f('ck_app_user_editor_has_department')),
    sa.CheckConstraint("role IN ('admin', 'viewer', 'editor')", name=op.f('ck_app_user_role')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_app_user_email_lowercase')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_app_user_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('email', name=op.f('uq_app_user_email'))
    )
    op.create_table('goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=False),
    sa.Column('display_order', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['owner_department_id'], ['department.id'], name=op.f('fk_goal_owner_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal')),
    sa.UniqueConstraint('slug', name=op.f('uq_goal_slug'))
    )
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_audit_event_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)

    op.create_table('measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('decimals', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('trajectory', sa.String(length=12), nullable=False),
    sa.Column('baseline_value', sa.Double(), nullable=False),
    sa.Column('baseline_period', sa.Date(), nullable=False),
    sa.Column('target_value', sa.Double(), nullable=False),
    sa.Column('target_period', sa.Date(), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=False),
    sa.Column('data_source', sa.String(length=300), nullable=False),
    sa.Column('citation', sa.String(length=300), nullable=False),
    sa.Column('valid_min', sa.Double(), nullable=True),
    sa.Column('valid_max', sa.Double(), nullable=True),
    sa.Column('on_track_tolerance', sa.Double(), nullable=False),
    sa.Column('at_risk_tolerance', sa.Double(), nullable=False),
    sa.Column('due_day', sa.Integer(), nullable=False),
    sa.Column('display_order', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.CheckConstraint(first_of_month('baseline_period'), name=op.f('ck_measure_baseline_period_first_of_month')),
    sa.CheckConstraint(first_of_month('target_period'), name=op.f('ck_measure_target_period_first_of_month')),
    sa.CheckConstraint("direction IN ('increase', 'decrease')", name=op.f('ck_measure_direction')),
    sa.CheckConstraint("trajectory IN ('linear', 'milestones', 'constant')", name=op.f('ck_measure_trajectory')),
    sa.CheckConstraint("unit IN ('count', 'percent', 'usd', 'days', 'households')", name=op.f('ck_measure_unit')),
    sa.CheckConstraint('baseline_period <= target_period', name=op.f('ck_measure_period_order')),
    sa.CheckConstraint('decimals BETWEEN 0 AND 6', name=op.f('ck_measure_decimals')),
    sa.CheckConstraint('due_day BETWEEN 1 AND 28', name=op.f('ck_measure_due_day')),
    sa.CheckConstraint('on_track_tolerance >= 0 AND on_track_tolerance <= at_risk_tolerance AND at_risk_tolerance <= 1', name=op.f('ck_measure_tolerances')),
    sa.CheckConstraint('valid_min IS NULL OR valid_max IS NULL OR valid_min <= valid_max', name=op.f('ck_measure_valid_range')),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_measure_goal_id_goal')),
    sa.ForeignKeyConstraint(['owner_department_id'], ['department.id'], name=op.f('fk_measure_owner_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure')),
    sa.UniqueConstraint('slug', name=op.f('uq_measure_slug'))
    )
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_goal_id'), ['goal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measure_owner_department_id'), ['owner_department_id'], unique=False)

    op.create_table('annotation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=True),
    sa.Column('measure_id', sa.Integer(), nullable=True),
    sa.Column('citation', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_annotation_goal_id_goal')),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_annotation_measure_id_measure')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotation'))
    )
    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotation_event_date'), ['event_date'], unique=False)

    op.create_table('measurement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('source_ref', sa.String(length=300), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.CheckConstraint(first_of_month('period'), name=op.f('ck_measurement_period_first_of_month')),
    sa.CheckConstraint("state IN ('submitted', 'approved', 'returned')", name=op.f('ck_measurement_state')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_measurement_version')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['app_user.id'], name=op.f('fk_measurement_entered_by_id_app_user')),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_measurement_measure_id_measure')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['app_user.id'], name=op.f('fk_measurement_reviewed_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement')),
    sa.UniqueConstraint('measure_id', 'period', name=op.f('uq_measurement_measure_id'))
    )
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.create_index('ix_measurement_state_measure_period', ['state', 'measure_id', 'period'], unique=False)

    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('target_value', sa.Double(), nullable=False),
    sa.Column('citation', sa.String(length=300), nullable=False),
    sa.CheckConstraint(first_of_month('period'), name=op.f('ck_milestone_period_first_of_month')),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_milestone_measure_id_measure')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone')),
    sa.UniqueConstraint('measure_id', 'period', name=op.f('uq_milestone_measure_id'))
    )
    op.create_table('revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measurement_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('old_value', sa.Double(), nullable=True),
    sa.Column('new_value', sa.Double(), nullable=True),
    sa.Column('old_state', sa.String(length=10), nullable=True),
    sa.Column('new_state', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
    sa.CheckConstraint("action IN ('enter', 'correct', 'approve', 'return', 'import')", name=op.f('ck_revision_action')),
    sa.ForeignKeyConstraint(['measurement_id'], ['measurement.id'], name=op.f('fk_revision_measurement_id_measurement')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_revision_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision'))
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_measurement_id'), ['measurement_id'], unique=False)

    data_version = sa.table("data_version", sa.column("id", sa.Integer), sa.column("version", sa.Integer))
    op.bulk_insert(data_version, [{"id": 1, "version": 1}])
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for statement in append_only_ddl(table, dialect):
            op.execute(statement)


def downgrade() -> None:
    """Revert this migration."""
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for statement in drop_append_only_ddl(table, dialect):
            op.execute(statement)
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_measurement_id'))

    op.drop_table('revision')
    op.drop_table('milestone')
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.drop_index('ix_measurement_state_measure_period')

    op.drop_table('measurement')
    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotation_event_date'))

    op.drop_table('annotation')
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_owner_department_id'))
        batch_op.drop_index(batch_op.f('ix_measure_goal_id'))

    op.drop_table('measure')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))

    op.drop_table('audit_event')
    op.drop_table('goal')
    op.drop_table('app_user')
    op.drop_table('department')
    op.drop_table('data_version')
