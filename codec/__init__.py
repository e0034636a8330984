"""Encryption of Temporal payloads (AES-GCM with a key ring), shared by the worker, the API and the CLI."""
