"""SQLAlchemy 2 ORM classes: cameras, ingested videos, tracks (sightings) and their points.

Times are stored as UTC seconds since the epoch (float): exact, sortable and identical on
SQLite and PostgreSQL. Vectors are kept here too (as float32 bytes) so that the vector index is
a rebuildable cache, never the only copy.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (column defaults)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Camera(Base):
    """A registered camera: where it is, its clock zone, calibration and retention."""
    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    fps_override: Mapped[float | None] = mapped_column(Float, nullable=True)
    calibration: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Video(Base):
    """One ingested file (or stream segment). Unique per camera and content hash."""

    __tablename__ = "videos"
    __table_args__ = (UniqueConstraint("camera_id", "sha256", name="uq_video_camera_sha"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    start_ts: Mapped[float] = mapped_column(Float)
    fps: Mapped[float] = mapped_column(Float)
    analysed_fps: Mapped[float] = mapped_column(Float)
    frames_total: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")
    resume_frame: Mapped[int] = mapped_column(Integer, default=0)
    frames_analysed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    tracks: Mapped[list[Track]] = relationship(back_populates="video", cascade="all, delete-orphan")


class Track(Base):
    """A person seen continuously by one camera: the unit investigators search and confirm."""

    __tablename__ = "tracks"
    __table_args__ = (Index("ix_tracks_camera_time", "camera_id", "start_ts", "end_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    local_id: Mapped[int] = mapped_column(Integer)
    start_frame: Mapped[int] = mapped_column(Integer)
    end_frame: Mapped[int] = mapped_column(Integer)
    start_ts: Mapped[float] = mapped_column(Float)
    end_ts: Mapped[float] = mapped_column(Float)
    n_points: Mapped[int] = mapped_column(Integer)
    mean_confidence: Mapped[float] = mapped_column(Float)
    mask_state: Mapped[str] = mapped_column(String(16), default="unknown")
    mask_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    has_face: Mapped[bool] = mapped_column(Boolean, default=False)
    face_score: Mapped[float] = mapped_column(Float, default=0.0)
    face_px: Mapped[float] = mapped_column(Float, default=0.0)  # 0: unknown (stored before migration 0010)
    face_quality: Mapped[float] = mapped_column(Float, default=0.0)
    face_frontal: Mapped[float] = mapped_column(Float, default=0.0)

    video: Mapped[Video] = relationship(back_populates="tracks")
    points: Mapped[list[TrackPoint]] = relationship(
        back_populates="track", cascade="all, delete-orphan", order_by="TrackPoint.frame"
    )
    vectors: Mapped[list[TrackVector]] = relationship(cascade="all, delete-orphan")
    thumbnails: Mapped[list[Thumbnail]] = relationship(cascade="all, delete-orphan")


class TrackPoint(Base):
    """Where a track's box was in one analysed frame, in pixels and (if calibrated) metres."""

    __tablename__ = "track_points"

    track_id: Mapped[int] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True
    )
    frame: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[float] = mapped_column(Float)
    x1: Mapped[float] = mapped_column(Float)
    y1: Mapped[float] = mapped_column(Float)
    x2: Mapped[float] = mapped_column(Float)
    y2: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    ground_x: Mapped[float | None] = mapped_column(Float, nullable=True)
    ground_y: Mapped[float | None] = mapped_column(Float, nullable=True)

    track: Mapped[Track] = relationship(back_populates="points")


class TrackVector(Base):
    """The master copy of a track's embedding ('body' or 'face')."""

    __tablename__ = "track_vectors"

    track_id: Mapped[int] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class Thumbnail(Base):
    """An evidence image of a track; `path` is relative to the evidence directory."""

    __tablename__ = "thumbnails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    frame: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(500))


class Case(Base):
    """An investigation: one patient cluster, its legal basis, time window and camera scope."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    legal_basis: Mapped[str] = mapped_column(String(1000))
    window_start_ts: Mapped[float] = mapped_column(Float)
    window_end_ts: Mapped[float] = mapped_column(Float)
    camera_scope: Mapped[list | None] = mapped_column(JSON, nullable=True)  # None: every camera
    # pending (opened, waiting for a supervisor) -> open (approved: searchable) -> closed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(500), nullable=True)

    subjects: Mapped[list[Subject]] = relationship(cascade="all, delete-orphan", order_by="Subject.id")


class Subject(Base):
    """A person traced in a case. Without face consent no face data is ever used for them."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    face_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    queries: Mapped[list[SubjectQuery]] = relationship(cascade="all, delete-orphan")
    decisions: Mapped[list[SightingDecision]] = relationship(cascade="all, delete-orphan")


class SubjectQuery(Base):
    """A query vector of a subject: from an enrolment photo ('photo') or a picked track ('track')."""

    __tablename__ = "subject_queries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "face" or "body"
    source: Mapped[str] = mapped_column(String(16))  # "photo" or "track"
    track_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class SightingDecision(Base):
    """An investigator's confirm/reject of a track as a sighting of a subject."""

    __tablename__ = "sighting_decisions"

    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))  # "confirmed" or "rejected"
    score: Mapped[float] = mapped_column(Float, default=0.0)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StreamGap(Base):
    """A time a live stream of a camera was down: nothing was seen from `start_ts` to `end_ts`.

    `end_ts` is NULL while the stream is still down (or when ingest stopped before it came
    back), so an investigator can tell "nobody there" from "camera not watching".
    """

    __tablename__ = "stream_gaps"
    __table_args__ = (Index("ix_stream_gaps_camera_time", "camera_id", "start_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(1000))  # without credentials
    start_ts: Mapped[float] = mapped_column(Float)  # UTC epoch s: just after the last frame received
    end_ts: Mapped[float | None] = mapped_column(Float, nullable=True)  # first frame after reconnecting
    reason: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # reconnection attempts it took
