"""Persistence: onboarding records, the webhook inbox, encrypted credentials (sqlmodel)."""
