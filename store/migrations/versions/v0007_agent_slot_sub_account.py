"""``agent_slots.sub_account_id``: the agent-platform sub-account made in the slot.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the column (empty for slots taken before: their sub-account is found by name)."""
    op.add_column("agent_slots", sa.Column("sub_account_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop it."""
    op.drop_column("agent_slots", "sub_account_id")
