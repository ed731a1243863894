"""Server settings (env `EPITRACE_SERVER_*`): upload limits, session lifetime, cookie flags.

Kept apart from `epitrace.config.Settings` so that the web layer's knobs do not leak into the
pipeline's settings; the server reads both.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseSettings):
    """What the HTTP server accepts and how it keeps logins.

    Raising `max_upload_mb` lets investigators upload longer recordings through the browser at
    the cost of disk in `upload_dir`; recordings of hours are better named by path or URL.
    """

    model_config = SettingsConfigDict(env_prefix="EPITRACE_SERVER_", extra="forbid")

    max_upload_mb: float = Field(2048.0, gt=0, description="Largest video upload, MiB.")
    max_image_mb: float = Field(10.0, gt=0, description="Largest enrolment photo, MiB.")
    max_body_kb: float = Field(1024.0, gt=0, description="Largest JSON or form body of other requests, KiB.")
    session_ttl_h: float = Field(8.0, gt=0, le=24 * 7, description="Login lifetime, hours.")
    cookie_secure: bool = Field(
        False, description="Send the session cookie only over HTTPS (set it when serving behind TLS).")
    upload_dir: Path | None = Field(None, description="Where uploaded videos are kept; default home/uploads.")
    ray_address: str | None = Field(
        None, description="Run ingest jobs on Ray: 'local' starts a local Ray, else a cluster address "
        "(ray://host:10001 or host:6379).")
    path_ingest: bool = Field(
        True, description="Let admins ingest a server-side path (no upload); investigators never can.")

    def max_upload_bytes(self) -> int:
        """The video upload limit in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    def max_image_bytes(self) -> int:
        """The photo upload limit in bytes."""
        return int(self.max_image_mb * 1024 * 1024)

    def max_body_bytes(self) -> int:
        """The limit of any other request body in bytes."""
        return int(self.max_body_kb * 1024)
