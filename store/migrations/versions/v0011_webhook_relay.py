"""The KYC relay's bookkeeping on the webhook inbox: tries so far, and when a row is next due.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_webhook_events_due_at"


def upgrade() -> None:
    """Add them; a row received before (answered once signalled, or left for a redelivery) is due now."""
    with op.batch_alter_table("webhook_events") as table:
        table.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(INDEX, "webhook_events", ["due_at"], unique=False)


def downgrade() -> None:
    """Drop them."""
    op.drop_index(INDEX, table_name="webhook_events")
    with op.batch_alter_table("webhook_events") as table:
        table.drop_column("due_at")
        table.drop_column("attempts")
