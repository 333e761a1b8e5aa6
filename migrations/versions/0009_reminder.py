"""Reminders: one email a day at most to each department with figures missing for the month now due

Revision ID: 0009_reminder
Revises: 0008_api_token
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_reminder"
down_revision = "0008_api_token"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(),
                  sa.ForeignKey("department.id", name="fk_reminder_department_id_department"), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminder"),
        sa.UniqueConstraint("department_id", "sent_on", name="uq_reminder_department_id"),
        sa.CheckConstraint(sa.extract("day", sa.column("period")) == 1, name=op.f("ck_reminder_period_first_of_month")),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("reminder")
