"""Number claims: which onboarding may buy (and must release) a carrier number.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``number_claims``."""
    op.create_table(
        "number_claims",
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("onboarding_id", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("e164"),
    )
    op.create_index("ix_number_claims_onboarding_id", "number_claims", ["onboarding_id"], unique=False)


def downgrade() -> None:
    """Drop ``number_claims``."""
    op.drop_index("ix_number_claims_onboarding_id", table_name="number_claims")
    op.drop_table("number_claims")
