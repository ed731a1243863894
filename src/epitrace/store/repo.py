"""The store: SQL rows, vector indices and evidence files, kept consistent with each other."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from epitrace.store.audit_files import AuditFiles
from epitrace.store.codec import SEALED_KINDS, VectorCodec, track_context
from epitrace.store.db import Database
from epitrace.store.index_backends import VectorConfig, make_index
from epitrace.store.orm import Camera, Thumbnail, Track, TrackPoint, TrackVector, Video, utcnow
from epitrace.store.orm_attributes import attribute_row
from epitrace.store.private_files import write_private_bytes
from epitrace.store.records import TrackRecord
from epitrace.store.sealing import KeyMissingError, Sealer, is_sealed
from epitrace.store.vectors import FaissIndex, VectorIndex

logger = logging.getLogger(__name__)

VECTOR_DIMS = {"face": 128}
__all__ = ["SEALED_KINDS", "Store", "Unit", "UnknownCameraError", "VideoState"]

AFTER_ROLLBACK = "epitrace.after_rollback"
"""Key in a unit's `Session.info`: callables run, each in its own transaction, after the unit
rolled back (writes that must survive it, such as the audit entry of a refused access)."""

Unit = Session
"""What `Store.unit()` yields: callers outside the store pass it on as `session=` and never
use it themselves (only `epitrace.store` speaks SQL)."""


class UnknownCameraError(LookupError):
    """No camera with that id is registered."""

    def __init__(self, camera_id: str, known: list[str]) -> None:
        hint = f" Known cameras: {', '.join(known)}." if known else " No camera is registered yet."
        super().__init__(
            f"unknown camera {camera_id!r}.{hint} Register it with `epitrace cameras add`."
        )


@dataclass(frozen=True)
class VideoState:
    """What ingest needs to know about a video already seen."""

    id: int
    status: str
    resume_frame: int
    frames_analysed: int


class Store:
    """Everything EpiTrace keeps about footage, under one home directory.

    Args:
        vector_config: Where the vector indices live (FAISS files in `vectors_dir` when None).
        audit_files: The audit log's key and anchor (default: under `evidence_dir`'s parent, the home).
    """

    def __init__(self, db: Database, vectors_dir: Path, evidence_dir: Path,
                 key_loader: Callable[[], bytes] | None = None,
                 vector_config: VectorConfig | None = None, audit_files: AuditFiles | None = None) -> None:
        self.db = db
        self.audit_files = audit_files or AuditFiles.under(evidence_dir.parent)
        self.vectors_dir = vectors_dir
        self.evidence_dir = evidence_dir
        self.vector_config = vector_config or VectorConfig(vectors_dir=vectors_dir)
        self._indices: dict[str, VectorIndex] = {}
        self._key_loader = key_loader
        self._sealer: Sealer | None = None
        self.codec = VectorCodec(lambda: self.sealer)

    # ----- unit of work --------------------------------------------------------------------
    @contextmanager
    def unit(self, session: Session | None = None) -> Iterator[Session]:
        """One SQL session in one transaction, committed at the end, rolled back on any error.

        A rollback undoes everything written in the unit, audit entries included. Pass the
        session of an enclosing unit to join it instead: nothing is committed here then, the
        outer unit decides. Repository functions take that session as `session=`. Writes
        registered under `AFTER_ROLLBACK` run after a rollback, each on its own.
        """
        if session is not None:
            yield session
            return
        after_rollback: list[Callable[[], object]] = []
        try:
            with self.db.session() as s:
                s.info[AFTER_ROLLBACK] = after_rollback
                yield s
        except BaseException:
            for hook in after_rollback:  # e.g. the audit entry of a refusal: it must outlive the unit
                try:
                    hook()
                except Exception:  # noqa: BLE001 - the unit's own error is the one to raise
                    logger.exception("a write kept over a rolled-back unit failed")
            raise

    # ----- encryption at rest --------------------------------------------------------------
    @property
    def sealer(self) -> Sealer:
        """The AES-GCM sealer of biometric data, loading the key on first use.

        Raises:
            KeyMissingError: No key is configured (the message says how to create one).
        """
        if self._sealer is None:
            if self._key_loader is None:
                raise KeyMissingError("this store was opened without an encryption key: open it with "
                                      "`open_store(settings)` or set EPITRACE_ENCRYPTION_KEY")
            self._sealer = Sealer(self._key_loader())
        return self._sealer

    def seal_vector(self, vector: np.ndarray, context: str) -> bytes:
        """Sealed float32 bytes of `vector` (see `epitrace.store.codec`)."""
        return self.codec.seal(vector, context)

    def open_vector(self, blob: bytes, context: str) -> np.ndarray:
        """A vector from its stored bytes; clear rows of older versions are read as they are."""
        return self.codec.open(blob, context)

    def write_evidence(self, rel_path: Path, data: bytes) -> Path:
        """Seal `data` into `evidence_dir/rel_path` (bound to that path)."""
        path = self.evidence_dir / rel_path
        return write_private_bytes(path, self.sealer.seal(data, f"evidence:{Path(rel_path).as_posix()}"))

    def read_evidence(self, rel_path: str | Path) -> bytes:
        """The clear bytes of an evidence file (thumbnails).

        Files written in clear by older versions are returned as they are.

        Raises:
            FileNotFoundError: No such file.
            SealError: The file does not open with this key.
        """
        blob = (self.evidence_dir / rel_path).read_bytes()
        if not is_sealed(blob):
            return blob
        return self.sealer.open(blob, f"evidence:{Path(rel_path).as_posix()}")

    # ----- cameras -------------------------------------------------------------------------
    def upsert_camera(self, camera: Camera, *, session: Session | None = None) -> None:
        """Add the camera, or replace the one with its id (in `session`'s unit when given)."""
        with self.unit(session) as s:
            s.merge(camera)

    def get_camera(self, camera_id: str, *, session: Session | None = None) -> Camera:
        """The camera `camera_id` (UnknownCameraError names the known ones)."""
        with self.unit(session) as s:
            camera = s.get(Camera, camera_id)
            if camera is None:
                raise UnknownCameraError(camera_id, list(s.scalars(select(Camera.id))))
            return camera

    def list_cameras(self, *, session: Session | None = None) -> list[Camera]:
        """Every registered camera, by id."""
        with self.unit(session) as s:
            return list(s.scalars(select(Camera).order_by(Camera.id)))

    # ----- videos --------------------------------------------------------------------------
    def find_video(self, camera_id: str, sha256: str) -> VideoState | None:
        """The state of the camera's video with this content hash, if already seen."""
        with self.db.session() as s:
            v = s.scalar(select(Video).where(Video.camera_id == camera_id, Video.sha256 == sha256))
            return None if v is None else VideoState(v.id, v.status, v.resume_frame, v.frames_analysed)

    def video_state(self, video_id: int) -> VideoState:
        """The state of a stored video."""
        with self.db.session() as s:
            v = s.get_one(Video, video_id)
            return VideoState(v.id, v.status, v.resume_frame, v.frames_analysed)

    def max_local_id(self, video_id: int) -> int:
        """Highest per-video track number so far (-1 if none): resumed runs continue after it."""
        with self.db.session() as s:
            value = s.scalar(select(func.max(Track.local_id)).where(Track.video_id == video_id))
            return -1 if value is None else int(value)

    def create_video(self, video: Video) -> int:
        """Store a new video row; returns its id."""
        with self.db.session() as s:
            s.add(video)
            s.flush()
            return video.id

    def finish_video(self, video_id: int, frames_total: int, frames_analysed: int) -> None:
        """Mark a video fully analysed."""
        with self.db.session() as s:
            v = s.get_one(Video, video_id)
            v.status, v.frames_total, v.frames_analysed = "done", frames_total, frames_analysed
            v.resume_frame, v.finished_at = frames_total, utcnow()

    def fail_video(self, video_id: int) -> None:
        """Mark a video's ingest as failed (it can be resumed)."""
        with self.db.session() as s:
            s.get_one(Video, video_id).status = "failed"

    # ----- tracks --------------------------------------------------------------------------
    def save_tracks(
        self, video_id: int, tracks: list[TrackRecord], resume_frame: int, frames_analysed: int
    ) -> list[int]:
        """Store finished tracks and move the video's resume point, in one transaction.

        Vectors go to SQL in the same transaction, then to the index; a crash between the two
        is repaired by `sync_indices` on the next open.
        """
        if any(rec.face_vector is not None or rec.thumbnails for rec in tracks):
            _ = self.sealer  # no key: fail before anything is written
        for rec in tracks:  # open (and repair) indices before the new rows exist in SQL
            for kind, vec in (("body", rec.body_vector), ("face", rec.face_vector)):
                if vec is not None and self.updates_index(kind):
                    self.index(kind, len(vec))
        new_vectors: dict[str, list[tuple[int, np.ndarray]]] = {}
        written: list[Path] = []
        try:
            with self.db.session() as s:
                video = s.get_one(Video, video_id)
                ids = [self._add_track(s, video, rec, new_vectors, written) for rec in tracks]
                video.resume_frame = resume_frame
                video.frames_analysed = frames_analysed
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        for kind, items in new_vectors.items():
            if not self.updates_index(kind):
                continue  # built from SQL (with these rows) when first searched
            index = self.index(kind, items[0][1].shape[0])
            index.add(np.array([i for i, _ in items]), np.stack([v for _, v in items]))
            index.save()
        return ids

    def _add_track(self, s: Session, video: Video, rec: TrackRecord,
                   new_vectors: dict[str, list[tuple[int, np.ndarray]]], written: list[Path]) -> int:
        track = Track(
            video_id=video.id, camera_id=video.camera_id, local_id=rec.local_id,
            start_frame=int(rec.frames[0]), end_frame=int(rec.frames[-1]),
            start_ts=float(rec.ts[0]), end_ts=float(rec.ts[-1]), n_points=len(rec.frames),
            mean_confidence=float(np.mean(rec.confidence)), mask_state=rec.mask_state,
            mask_confidence=rec.mask_confidence,
            has_face=rec.face_vector is not None or any(t.kind == "face" for t in rec.thumbnails),
            face_score=rec.face_score, face_px=rec.face_px, face_quality=rec.face_quality,
            face_frontal=rec.face_frontal,
        )
        s.add(track)
        s.flush()
        ground = rec.ground
        s.add_all(
            TrackPoint(
                track_id=track.id, frame=int(f), ts=float(t), x1=float(b[0]), y1=float(b[1]),
                x2=float(b[2]), y2=float(b[3]), confidence=float(c),
                ground_x=None if ground is None else float(ground[i, 0]),
                ground_y=None if ground is None else float(ground[i, 1]),
            )
            for i, (f, t, b, c) in enumerate(zip(rec.frames, rec.ts, rec.boxes, rec.confidence, strict=False))
        )
        if rec.attributes is not None:
            s.add(attribute_row(track.id, rec.attributes))
        for kind, vec in (("body", rec.body_vector), ("face", rec.face_vector)):
            if vec is not None:
                vec = np.asarray(vec, np.float32)
                blob = self.codec.encode(vec, kind=kind, context=track_context(kind, track.id))
                s.add(TrackVector(track_id=track.id, kind=kind, dim=vec.shape[0], vector=blob))
                new_vectors.setdefault(kind, []).append((track.id, vec))
        for n, thumb in enumerate(rec.thumbnails):
            rel = Path("thumbs") / str(video.id) / f"{track.id}_{thumb.kind}_{n}.jpg.sealed"
            written.append(self.write_evidence(rel, thumb.jpeg))
            s.add(Thumbnail(track_id=track.id, frame=thumb.frame, kind=thumb.kind, path=str(rel)))
        return track.id

    def delete_tracks_from(self, video_id: int, start_frame: int) -> int:
        """Remove tracks of a video starting at or after `start_frame` (resume clean-up)."""
        with self.db.session() as s:
            ids = list(s.scalars(select(Track.id).where(
                Track.video_id == video_id, Track.start_frame >= start_frame)))
            self._delete_track_ids(s, ids)
        return len(ids)

    def _delete_track_ids(self, s: Session, ids: list[int]) -> None:
        if not ids:
            return
        for path in s.scalars(select(Thumbnail.path).where(Thumbnail.track_id.in_(ids))):
            (self.evidence_dir / path).unlink(missing_ok=True)
        for model in (TrackPoint, TrackVector, Thumbnail):
            s.execute(delete(model).where(model.track_id.in_(ids)))
        s.execute(delete(Track).where(Track.id.in_(ids)))
        for index in self._all_indices():
            index.remove(np.array(ids, np.int64))
            index.save()

    def video_points(self, video_id: int) -> list[tuple[int, int, float, float, float, float, float]]:
        """(track id, frame, x1, y1, x2, y2, confidence) of every point of a video's tracks."""
        with self.db.session() as s:
            rows = s.execute(
                select(TrackPoint.track_id, TrackPoint.frame, TrackPoint.x1, TrackPoint.y1,
                       TrackPoint.x2, TrackPoint.y2, TrackPoint.confidence)
                .join(Track, Track.id == TrackPoint.track_id)
                .where(Track.video_id == video_id)
                .order_by(TrackPoint.frame, TrackPoint.track_id))
            return [tuple(r) for r in rows]  # type: ignore[misc]

    def summary(self, camera_id: str | None = None) -> dict[str, object]:
        """Counts for a camera (or all): tracks, faces, masks, ground positions, time span."""
        from datetime import UTC, datetime

        with self.db.session() as s:
            q = select(Track)
            if camera_id is not None:
                q = q.where(Track.camera_id == camera_id)
            tracks = list(s.scalars(q))
            ids = select(Track.id) if camera_id is None else select(Track.id).where(Track.camera_id == camera_id)
            # a subquery, not a list of ids: PostgreSQL takes at most 65,535 parameters
            grounded = s.scalar(select(func.count(func.distinct(TrackPoint.track_id))).where(
                TrackPoint.ground_x.is_not(None), TrackPoint.track_id.in_(ids.scalar_subquery())))
        masks = {k: sum(t.mask_state == k for t in tracks) for k in ("mask", "no_mask", "unknown")}
        span = [datetime.fromtimestamp(f(t.start_ts if f is min else t.end_ts for t in tracks), UTC)
                .strftime("%Y-%m-%d %H:%M:%S") for f in (min, max)] if tracks else ["", ""]
        return {"tracks": len(tracks), "faces": sum(t.has_face for t in tracks),
                "small_faces": sum(not t.has_face and t.face_px > 0 for t in tracks),  # seen, too small to compare
                "with_ground": int(grounded or 0), "start": span[0], "end": span[1], **masks}

    def count_tracks(self, video_id: int | None = None, *, session: Session | None = None) -> int:
        """Stored tracks (of one video, if given)."""
        with self.unit(session) as s:
            q = select(func.count(Track.id))
            if video_id is not None:
                q = q.where(Track.video_id == video_id)
            return int(s.scalar(q) or 0)

    # ----- vector indices ------------------------------------------------------------------
    def reload_indices(self) -> None:
        """Forget the opened indices: the next use re-reads (and re-checks) them.

        For a process whose store another writer (an ingest job, a Ray worker) has added vectors to.
        """
        self._indices.clear()

    def index(self, kind: str, dim: int | None = None) -> VectorIndex:
        """The vector index of `kind` ('body' or 'face'), opened (and repaired) on first use."""
        if kind not in self._indices:
            dim = dim or VECTOR_DIMS.get(kind) or self._stored_dim(kind)
            if dim is None:
                raise LookupError(f"no {kind} vectors are stored yet")
            if kind in SEALED_KINDS:  # held in memory only; drop a clear cache of older versions
                (self.vectors_dir / f"{kind}.faiss").unlink(missing_ok=True)
                index: VectorIndex = FaissIndex(None, dim)
            else:
                index = make_index(self.vector_config, kind, dim)  # FAISS file or Milvus
            self._sync(kind, index)
            self._indices[kind] = index
        return self._indices[kind]

    def updates_index(self, kind: str) -> bool:
        """Whether writes must update the `kind` index now.

        A sealed kind's index lives only in memory and is rebuilt from SQL when first used, so
        while unopened it needs no update (and opening it would decrypt every stored vector of
        that kind for nothing).
        """
        return kind not in SEALED_KINDS or kind in self._indices

    def _all_indices(self) -> list[VectorIndex]:
        """The indices a deletion must reach: opened ones, and stored ones not sealed."""
        for kind in ("body", "face"):
            if kind in self._indices or not self.updates_index(kind):
                continue
            if (self.vectors_dir / f"{kind}.faiss").exists() or self._stored_dim(kind) is not None:
                self.index(kind)  # a FAISS file or a Milvus collection
        return list(self._indices.values())

    def _stored_dim(self, kind: str) -> int | None:
        with self.db.session() as s:
            return s.scalar(select(TrackVector.dim).where(TrackVector.kind == kind).limit(1))

    def _sync(self, kind: str, index: VectorIndex) -> None:
        """Make the index hold exactly the SQL vectors of `kind` (rebuild on any mismatch)."""
        with self.db.session() as s:
            sql_ids = np.array(sorted(s.scalars(
                select(TrackVector.track_id).where(TrackVector.kind == kind))), np.int64)
            if np.array_equal(np.sort(index.ids()), sql_ids):
                return
            if kind in SEALED_KINDS:  # in memory only: always built from SQL when first opened
                logger.debug("building the %s index from the database", kind)
            else:
                logger.warning("%s index out of step with the database: rebuilding", kind)
            index.remove(index.ids())
            rows = s.execute(select(TrackVector.track_id, TrackVector.vector).where(
                TrackVector.kind == kind)).all()
        if rows:
            vectors = [self.codec.decode(r[1], kind=kind, context=track_context(kind, r[0]))
                       for r in rows]
            index.add(np.array([r[0] for r in rows], np.int64), np.stack(vectors))
        index.save()
