"""The investigators' web app: server-rendered pages over the REST API, no external assets."""

from epitrace.web.pages import mount_web

__all__ = ["mount_web"]
