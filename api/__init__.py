"""The reseller HTTP API, the KYC webhook receiver and health (FastAPI); ``create_app`` builds it."""

from api.app import create_app

__all__ = ["create_app"]
