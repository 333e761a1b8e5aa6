"""Mark running totals, so a month's figure below the month before needs a confirmed reason

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("measure") as batch:
        batch.add_column(sa.Column("cumulative", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("measure") as batch:
        batch.drop_column("cumulative")
