"""Follow-ups: action items on a measure from the monthly Stat meeting, open until an admin marks them done

Revision ID: 0007_follow_up
Revises: 0006_user_session_token
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_follow_up"
down_revision = "0006_user_session_token"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), sa.ForeignKey("measure.id", name="fk_follow_up_measure_id_measure"),
                  nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(),
                  sa.ForeignKey("department.id", name="fk_follow_up_department_id_department"), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(),
                  sa.ForeignKey("app_user.id", name="fk_follow_up_created_by_id_app_user"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(),
                  nullable=False),
        sa.Column("done_by_id", sa.Integer(),
                  sa.ForeignKey("app_user.id", name="fk_follow_up_done_by_id_app_user"), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_follow_up"),
        sa.CheckConstraint("length(action) > 0", name="action_not_empty"),
        sa.CheckConstraint("(done_at IS NULL) = (done_by_id IS NULL)", name="done_pair"),
    )
    op.create_index("ix_follow_up_measure_done", "follow_up", ["measure_id", "done_at"])


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_follow_up_measure_done", table_name="follow_up")
    op.drop_table("follow_up")
