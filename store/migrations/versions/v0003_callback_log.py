"""The callback log: every callback to a reseller and each of its delivery attempts.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``callback_events`` and ``callback_attempts``."""
    op.create_table(
        "callback_events",
        sa.Column("id", sa.String(length=250), nullable=False),
        sa.Column("onboarding_id", sa.String(length=200), nullable=False),
        sa.Column("reseller", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("document", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("onboarding_id", "reseller", "created_at"):
        op.create_index(f"ix_callback_events_{column}", "callback_events", [column], unique=False)
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=250), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("redelivery", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_callback_attempts_event_id", "callback_attempts", ["event_id"], unique=False)


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index("ix_callback_attempts_event_id", table_name="callback_attempts")
    op.drop_table("callback_attempts")
    for column in ("created_at", "reseller", "onboarding_id"):
        op.drop_index(f"ix_callback_events_{column}", table_name="callback_events")
    op.drop_table("callback_events")
