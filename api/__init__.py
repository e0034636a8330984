"""The reseller HTTP API, the KYC webhook receiver and health (FastAPI); ``api.app.create_app`` builds it.

Nothing is imported here, so a command that needs one helper of the API does not load the whole app."""
