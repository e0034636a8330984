"""The wire models stay importable without the HTTP stack (the workflow sandbox imports them)."""

from __future__ import annotations

import subprocess
import sys


def test_wire_models_do_not_pull_in_the_http_clients() -> None:
    code = (
        "import sys, providers, providers.carrier_models, providers.agent_models\n"
        "heavy = {'httpx', 'config', 'providers.http', 'providers.carrier', 'providers.agents'}\n"
        "loaded = heavy & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
