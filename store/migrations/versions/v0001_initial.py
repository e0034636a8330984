"""Initial schema: onboardings, the webhook inbox, KYC session links, credentials, reseller API keys.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_INDEXES = {
    "api_keys": ["reseller"],
    "kyc_sessions": ["onboarding_id"],
    "onboardings": ["created_at", "kyc_session_id", "reseller", "status"],
    "sub_account_credentials": ["onboarding_id"],
}


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("reseller", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        _timestamp("created_at"),
        _timestamp("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "kyc_sessions",
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("onboarding_id", sa.String(length=200), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_table(
        "onboardings",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("reseller", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("kyc_session_id", sa.String(length=100), nullable=True),
        sa.Column("document", sa.String(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reseller", "reference", name="uq_onboarding_reseller_reference"),
    )
    op.create_table(
        "sub_account_credentials",
        sa.Column("sub_auth_id", sa.String(length=100), nullable=False),
        sa.Column("onboarding_id", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("sub_auth_id"),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("onboarding_id", sa.String(length=200), nullable=True),
        _timestamp("received_at"),
        _timestamp("signalled_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for table, columns in _INDEXES.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    """Drop everything :func:`upgrade` created."""
    for table, columns in _INDEXES.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
    for table in ("webhook_events", "sub_account_credentials", "onboardings", "kyc_sessions", "api_keys"):
        op.drop_table(table)
