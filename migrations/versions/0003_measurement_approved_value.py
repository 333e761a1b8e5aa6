"""Keep each month's last approved figure beside a pending correction

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

A correction of a published month goes back to review; until it is approved the public must keep seeing the figure
that was approved, not lose the month. `approved_value` holds that figure. The read path's covering index gains the
column so the public overview still reads one index range and no table rows.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_INDEX = "ix_measurement_period_measure_state_value"
NEW_INDEX = "ix_measurement_period_measure_state_values"


def upgrade() -> None:
    """Apply this migration."""
    op.drop_index(OLD_INDEX, table_name="measurement")
    with op.batch_alter_table("measurement") as batch:
        batch.add_column(sa.Column("approved_value", sa.Double(), nullable=True))
    # Approved rows: the figure itself. Rows corrected or returned after an approval: the last approved figure, as the
    # revision history recorded it.
    op.execute("UPDATE measurement SET approved_value = value WHERE state = 'approved'")
    op.execute(
        "UPDATE measurement SET approved_value = (SELECT r.new_value FROM revision r WHERE r.measurement_id = "
        "measurement.id AND r.new_state = 'approved' ORDER BY r.id DESC LIMIT 1) WHERE state <> 'approved'"
    )
    op.create_index(NEW_INDEX, "measurement", ["period", "measure_id", "state", "value", "approved_value"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index(NEW_INDEX, table_name="measurement")
    with op.batch_alter_table("measurement") as batch:
        batch.drop_column("approved_value")
    op.create_index(OLD_INDEX, "measurement", ["period", "measure_id", "state", "value"], unique=False)
