"""The REST API (FastAPI) and the server that also serves the web app."""

from epitrace.api.app import create_app
from epitrace.api.config import ServerSettings

__all__ = ["ServerSettings", "create_app"]
