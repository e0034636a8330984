"""Alembic migration environment and revisions of the store schema (see ``store.migrate``)."""
