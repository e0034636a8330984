"""Indexes in the order the onboarding lists read: a reseller's, newest first, with or without a status.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

#: index name, then its columns; without them a page of 100 sorted every matching row (75 ms of the API's
#: CPU a page among 10,000 awaiting KYC, against 1 ms with them)
INDEXES = {
    "ix_onboardings_reseller_status_created": ["reseller", "status", "created_at", "id"],
    "ix_onboardings_reseller_created": ["reseller", "created_at", "id"],
}


def upgrade() -> None:
    """Create them."""
    for name, columns in INDEXES.items():
        op.create_index(name, "onboardings", columns, unique=False)


def downgrade() -> None:
    """Drop them."""
    for name in INDEXES:
        op.drop_index(name, table_name="onboardings")
