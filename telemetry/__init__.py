"""Operability: structured JSON logs and metrics shared by the worker, the API and the provider client."""
