"""A session token per account, so signing out ends a session on the server too

Revision ID: 0006_user_session_token
Revises: 0005_resident_feedback
Create Date: 2026-11-28

Sessions are signed cookies; a copy saved before sign-out stayed valid until it expired. Each session now carries
the account's token, and sign-out, a password change or deactivation replaces it.
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006_user_session_token"
down_revision = "0005_resident_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("session_token", sa.String(64), nullable=True))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.text("SELECT id FROM app_user")).all():
        connection.execute(sa.text("UPDATE app_user SET session_token = :token WHERE id = :id"),
                           {"token": secrets.token_hex(16), "id": user_id})
    with op.batch_alter_table("app_user") as batch:
        batch.alter_column("session_token", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("session_token")
