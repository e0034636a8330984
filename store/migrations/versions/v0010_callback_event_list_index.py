"""An index in the order the callback list reads: a reseller's, newest first; it supersedes the index on
``reseller`` alone.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

NAME = "ix_callback_events_reseller_created"
SUPERSEDED = "ix_callback_events_reseller"


def upgrade() -> None:
    """Create it: without it, each page of ``GET /v1/events`` sorted all of the reseller's callbacks."""
    op.create_index(NAME, "callback_events", ["reseller", "created_at", "id"], unique=False)
    op.drop_index(SUPERSEDED, table_name="callback_events")


def downgrade() -> None:
    """Bring the superseded one back, then drop it."""
    op.create_index(SUPERSEDED, "callback_events", ["reseller"], unique=False)
    op.drop_index(NAME, table_name="callback_events")
