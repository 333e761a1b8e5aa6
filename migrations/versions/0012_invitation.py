"""Administration of people: one-time password links (invitations and forced resets), a contact name per
department, and nonprofits as a kind of partner

Revision ID: 0012_invitation
Revises: 0011_measure_change
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_invitation"
down_revision = "0011_measure_change"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('city-parish', 'state', 'federal', 'partner')"
NEW_KINDS = "kind IN ('city-parish', 'state', 'federal', 'partner', 'nonprofit')"


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("department") as batch:
        batch.add_column(sa.Column("contact_name", sa.String(200), nullable=True))
        batch.drop_constraint(op.f("ck_department_kind"), type_="check")
        batch.create_check_constraint("kind", NEW_KINDS)
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('invite', 'reset')", name="purpose"),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_invitation_user_id_app_user"),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"], name="fk_invitation_created_by_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_invitation"),
        sa.UniqueConstraint("token_hash", name="uq_invitation_token_hash"),
    )
    op.create_index("ix_invitation_user_id", "invitation", ["user_id"])


def downgrade() -> None:
    """Revert this migration (nonprofits become partner agencies again)."""
    op.drop_index("ix_invitation_user_id", table_name="invitation")
    op.drop_table("invitation")
    op.execute("UPDATE department SET kind = 'partner' WHERE kind = 'nonprofit'")
    with op.batch_alter_table("department") as batch:
        batch.drop_constraint(op.f("ck_department_kind"), type_="check")
        batch.create_check_constraint("kind", OLD_KINDS)
        batch.drop_column("contact_name")
