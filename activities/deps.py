"""What the activities need, built once per worker process: provider clients, database, vault."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from providers import Providers
from store.vault import Vault


@dataclass(frozen=True)
class ActivityDeps:
    """Shared by every activity class of a worker."""

    providers: Providers
    engine: Engine
    vault: Vault
