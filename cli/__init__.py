"""The ``onboard`` command."""
