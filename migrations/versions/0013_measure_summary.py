"""Each measure's evaluated status kept per audience and month, with a change stamp bumped by triggers

Revision ID: 0013_measure_summary
Revises: 0012_invitation
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.summary import drop_stamp_trigger_ddl, stamp_trigger_ddl

revision = "0013_measure_summary"
down_revision = "0012_invitation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "measure_stamp",
        sa.Column("measure_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("measure_id", name="pk_measure_stamp"),
    )
    op.create_table(
        "measure_summary",
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("judged_on", sa.Date(), nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False),
        sa.Column("latest_period", sa.Date(), nullable=True),
        sa.Column("latest_value", sa.Double(), nullable=True),
        sa.Column("latest_state", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("freshness", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Double(), nullable=True),
        sa.Column("expected", sa.Double(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("forecast", sa.Text(), nullable=True),
        sa.Column("on_pace", sa.Boolean(), nullable=True),
        sa.Column("history", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["measure_id"], ["measure.id"], name="fk_measure_summary_measure_id_measure",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("measure_id", "audience", "as_of", name="pk_measure_summary"),
    )
    for statement in stamp_trigger_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    """Revert this migration."""
    for statement in drop_stamp_trigger_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("measure_summary")
    op.drop_table("measure_stamp")
