"""Residents' reports of a number that looks wrong

Revision ID: 0005_resident_feedback
Revises: 0004
Create Date: 2026-11-28

One table: which published measure (and month) a report is about, what the resident wrote (plain text, length
limited here too), an optional email, and how the performance team resolved it, with an optional public reply.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_resident_feedback"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("public_reply", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'resolved')", name=op.f("ck_feedback_state")),
        sa.CheckConstraint("length(message) BETWEEN 1 AND 1000", name=op.f("ck_feedback_message_length")),
        sa.CheckConstraint("public_reply IS NULL OR length(public_reply) <= 1000", name=op.f("ck_feedback_reply_length")),
        sa.CheckConstraint(sa.extract("day", sa.column("period")) == 1, name=op.f("ck_feedback_period_first_of_month")),
        sa.ForeignKeyConstraint(["measure_id"], ["measure.id"], name=op.f("fk_feedback_measure_id_measure")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["app_user.id"], name=op.f("fk_feedback_resolved_by_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index("ix_feedback_state_created_at", "feedback", ["state", "created_at"], unique=False)
    op.create_index("ix_feedback_measure_id", "feedback", ["measure_id"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_feedback_measure_id", table_name="feedback")
    op.drop_index("ix_feedback_state_created_at", table_name="feedback")
    op.drop_table("feedback")
