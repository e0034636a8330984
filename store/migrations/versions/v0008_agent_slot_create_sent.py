"""``agent_slots.create_sent_at``: when a create of the slot's agent-platform sub-account was first sent.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the column. A slot taken before whose sub-account id is not known may have sent a create: it
    counts as sent when it was taken, so its sub-account is still looked up by name."""
    op.add_column("agent_slots", sa.Column("create_sent_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE agent_slots SET create_sent_at = taken_at WHERE sub_account_id IS NULL")


def downgrade() -> None:
    """Drop it."""
    op.drop_column("agent_slots", "create_sent_at")
