"""Customer lifecycle: the ``lifecycle_audit`` log, and each onboarding's callback URL (the lifecycle
workflow's callbacks go where the onboarding's went).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``lifecycle_audit``; add ``onboardings.callback_url``."""
    op.create_table(
        "lifecycle_audit",
        sa.Column("id", sa.String(length=220), nullable=False),
        sa.Column("onboarding_id", sa.String(length=200), nullable=False),
        sa.Column("reseller", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("request", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lifecycle_audit_onboarding_id", "lifecycle_audit", ["onboarding_id"], unique=False)
    with op.batch_alter_table("onboardings") as batch:
        batch.add_column(sa.Column("callback_url", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    with op.batch_alter_table("onboardings") as batch:
        batch.drop_column("callback_url")
    op.drop_index("ix_lifecycle_audit_onboarding_id", table_name="lifecycle_audit")
    op.drop_table("lifecycle_audit")
