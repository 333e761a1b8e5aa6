"""Index measurements by period for the overview's window of recent months

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

The read path (models/queries.py) asks for every measure's values of the last months. With (period, measure_id,
state, value) that is one range of one index, read in order without touching the table, on SQLite and PostgreSQL
alike; without it both scan all history (10 years x 1,000 measures = 120,000 rows) on every page view.
"""
from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEX = "ix_measurement_period_measure_state_value"


def upgrade() -> None:
    """Apply this migration."""
    op.create_index(INDEX, "measurement", ["period", "measure_id", "state", "value"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index(INDEX, table_name="measurement")
