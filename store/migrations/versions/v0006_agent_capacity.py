"""Agent-platform capacity: ``agent_accounts`` and the ``agent_slots`` onboardings hold in them.

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``agent_accounts`` and ``agent_slots``."""
    op.create_table(
        "agent_accounts",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("slot_limit", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("full_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "agent_slots",
        sa.Column("onboarding_id", sa.String(length=200), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("onboarding_id"),
        sa.UniqueConstraint("account", "slot", name="uq_agent_slot_account_slot"),
    )
    op.create_index("ix_agent_slots_account", "agent_slots", ["account"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_agent_slots_account", table_name="agent_slots")
    op.drop_table("agent_slots")
    op.drop_table("agent_accounts")
