"""Changes to a published measure's plan kept as history with a reason; goals and measures can be retired

Revision ID: 0011_measure_change
Revises: 0009_reminder
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.history_guard import append_only_ddl, drop_append_only_ddl

revision = "0011_measure_change"
down_revision = "0009_reminder"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("goal") as batch:
        batch.add_column(sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("measure") as batch:
        batch.add_column(sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "measure_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(),
                  sa.ForeignKey("measure.id", name="fk_measure_change_measure_id_measure"), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(),
                  nullable=False),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("app_user.id", name="fk_measure_change_user_id_app_user"), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_measure_change"),
        sa.CheckConstraint("kind IN ('target', 'baseline', 'milestones', 'definition')",
                           name=op.f("ck_measure_change_kind")),
        sa.CheckConstraint("length(reason) > 0", name=op.f("ck_measure_change_reason_not_empty")),
    )
    op.create_index("ix_measure_change_measure_id", "measure_change", ["measure_id", "id"])
    dialect = op.get_bind().dialect.name
    for statement in append_only_ddl("measure_change", dialect):
        op.execute(statement)


def downgrade() -> None:
    """Revert this migration."""
    dialect = op.get_bind().dialect.name
    for statement in drop_append_only_ddl("measure_change", dialect):
        op.execute(statement)
    op.drop_index("ix_measure_change_measure_id", table_name="measure_change")
    op.drop_table("measure_change")
    with op.batch_alter_table("measure") as batch:
        batch.drop_column("retired")
    with op.batch_alter_table("goal") as batch:
        batch.drop_column("retired")
