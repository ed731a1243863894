"""Storage: SQL rows (SQLAlchemy + Alembic), vector indices and evidence files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from epitrace.store.codec import SEALED_KINDS, VectorCodec
from epitrace.store.db import Database, DatabaseUnavailableError
from epitrace.store.milvus_index import MilvusUnavailableError
from epitrace.store.orm import Camera, Thumbnail, Track, TrackPoint, TrackVector, Video
from epitrace.store.orm_access import (
    AuditEntry,
    CaseAssignment,
    LoginSession,
    PurgeStat,
    UnmaskGrant,
    User,
)
from epitrace.store.records import ThumbnailRecord, TrackRecord
from epitrace.store.repo import Store, Unit, UnknownCameraError, VideoState
from epitrace.store.vectors import FaissIndex, VectorIndex, l2_normalise

if TYPE_CHECKING:
    from epitrace.config import Settings

__all__ = [
    "SEALED_KINDS",
    "AuditEntry",
    "Camera",
    "CaseAssignment",
    "Database",
    "DatabaseUnavailableError",
    "FaissIndex",
    "LoginSession",
    "MilvusUnavailableError",
    "PurgeStat",
    "Store",
    "Thumbnail",
    "ThumbnailRecord",
    "Track",
    "TrackPoint",
    "TrackRecord",
    "TrackVector",
    "Unit",
    "UnknownCameraError",
    "UnmaskGrant",
    "User",
    "VectorCodec",
    "VectorIndex",
    "Video",
    "VideoState",
    "l2_normalise",
    "open_store",
]


def open_store(settings: Settings | None = None) -> Store:
    """The store of `settings` (default: this process's settings)."""
    from epitrace.config import get_settings
    from epitrace.store.audit_files import AuditFiles
    from epitrace.store.index_backends import VectorConfig
    from epitrace.store.private_files import secure_home
    from epitrace.store.sealing import configured_key

    settings = settings or get_settings()
    secure_home(settings.home)  # every file made under it from now on is private (issue 12 F13)
    return Store(Database(settings.db_url), settings.vectors_dir, settings.evidence_dir,
                 key_loader=lambda: configured_key(settings),
                 vector_config=VectorConfig.from_settings(settings),
                 audit_files=AuditFiles.under(settings.home))
