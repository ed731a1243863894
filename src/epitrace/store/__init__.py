"""Storage: SQL rows (SQLAlchemy + Alembic), vector indices and evidence files."""

from epitrace.store.db import Database, DatabaseUnavailableError
from epitrace.store.milvus_index import MilvusUnavailableError
from epitrace.store.orm import Camera, Thumbnail, Track, TrackPoint, TrackVector, Video
from epitrace.store.records import ThumbnailRecord, TrackRecord
from epitrace.store.repo import Store, UnknownCameraError, VideoState
from epitrace.store.vectors import FaissIndex, VectorIndex, l2_normalise

__all__ = [
    "Camera",
    "Database",
    "DatabaseUnavailableError",
    "FaissIndex",
    "MilvusUnavailableError",
    "Store",
    "Thumbnail",
    "ThumbnailRecord",
    "Track",
    "TrackPoint",
    "TrackRecord",
    "TrackVector",
    "UnknownCameraError",
    "VectorIndex",
    "Video",
    "VideoState",
    "l2_normalise",
    "open_store",
]


def open_store(settings: "Settings | None" = None) -> Store:  # noqa: F821
    """The store of `settings` (default: this process's settings)."""
    from epitrace.config import get_settings
    from epitrace.store.index_backends import VectorConfig
    from epitrace.store.sealing import configured_key

    settings = settings or get_settings()
    store = Store(Database(settings.db_url), settings.vectors_dir, settings.evidence_dir,
                  key_loader=lambda: configured_key(settings))
    store.vector_config = VectorConfig.from_settings(settings)  # read by Store.index (index_for)
    return store
