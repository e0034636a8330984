"""Deterministic workflow code and the models it exchanges."""
