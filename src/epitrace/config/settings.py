"""Settings for every stage, validated once and passed down (never read at import time)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class StrictModel(BaseModel):
    """Base for config sections: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class TrackerConfig(StrictModel):
    """Which tracker to run and how long it remembers. Times are seconds, not frames.

    Raising `lost_buffer_s` re-links people after longer occlusions but risks handing an id to
    a newcomer at the same place; raising `activation` drops more false tracks but starts real
    tracks later.
    """

    name: Literal["bytetrack", "ocsort", "sort"] = Field("bytetrack", description="Tracker.")
    activation: float = Field(0.45, ge=0, le=1, description="Score to start a track.")
    high_score: float = Field(0.5, ge=0, le=1, description="Score of first-stage matches.")
    min_iou: float = Field(0.1, ge=0, le=1, description="Minimum IoU to associate.")
    lost_buffer_s: float = Field(4.0, gt=0, description="Seconds a lost track is kept.")
    min_consecutive: int = Field(2, ge=1, description="Frames before a track gets an id.")
    low_gate_iou: float | None = Field(
        None, ge=0, le=1, description="Boxes scoring under high_score reach the tracker only when they overlap "
        "the last box of a track seen within low_gate_s by this IoU (epitrace.tracking.low_gate); 0 lets all "
        "pass (ByteTrack as published); default the person detector's own (centernet 0, nanodet-int8 0.5).")
    low_gate_s: float = Field(1.0, gt=0, description="Seconds a track's last box can take a low-score box.")
    crossing_repair: bool = Field(
        True, description="Re-link identities by colour where a new track is born beside others, the IoU "
        "tracker's swaps where people cross (epitrace.tracking.crossing).")
    crossing_similarity: float = Field(
        0.85, ge=0, le=1, description="Colour-signature cosine a crossing link must exceed to beat a new identity.")
    crossing_margin: float = Field(
        0.05, ge=0, le=2, description="How much better (summed cosine) a crossing re-link must be than the tracker's.")


class IngestSettings(StrictModel):
    """How video becomes sightings. Defaults are tuned on PETS 2009 S2L1."""

    analysed_fps: float = Field(7.0, gt=0, description="Frames analysed per second of video.")
    motion_threshold: float = Field(
        0.002, ge=0, le=1, description="Share of pixels that must change for a frame to be analysed."
    )
    person_detector: Literal["centernet", "nanodet-int8"] = Field(
        "nanodet-int8", description="Person detector backend (epitrace.vision.registry): 'nanodet-int8' "
        "(288x384 int8, about 2.5x less CPU than CenterNet; on PETS frames 1-400 with the tracker's crossing "
        "repair MOTA 0.859 / IDF1 0.870, contacts 1.000 / 0.952: see docs/scaling.md) or 'centernet' "
        "(MobileNetV3-CenterNet, any input size; 0.828 / 0.838, 1.000 / 0.905).")
    person_score: float | None = Field(
        None, ge=0, le=1, description="Minimum person detection score; default the detector's own "
        "(centernet 0.3, nanodet-int8 0.5).")
    detector_input: int | None = Field(
        None, description="CenterNet only: long side of its input, pixels (multiple of 32); default 640, which "
        "finds small and side-by-side people that 512 misses (IDF1 0.84 vs 0.79 on PETS) at ~1.5x the cost. "
        "nanodet-int8 runs at its built 288x384.")
    face_detector: Literal["centerface"] = Field("centerface", description="Face detector backend.")
    face_embedder: Literal["dlib-resnet"] = Field("dlib-resnet", description="Face embedder backend.")
    body_embedder: Literal["mobilenetv2-colour"] = Field(
        "mobilenetv2-colour", description="Body appearance embedder backend.")
    mask_classifier: Literal["vision.masks"] = Field(
        "vision.masks", description="Mask classifier backend (what epitrace.vision.masks exports).")
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    cleave_threshold: float = Field(
        0.6, ge=0, le=1, description="Split a track where its colour similarity across a frame drops below "
        "this (an identity swap); 0 never splits.")
    ground_smoothing_s: float = Field(
        0.7, ge=0, description="Moving-average window over a track's ground positions, seconds: box "
        "jitter moves feet by ~0.2 m, which splits contacts at the distance limit; 0 disables.")
    min_track_frames: int = Field(3, ge=1, description="Tracks shorter than this are dropped as noise.")
    faces: bool = Field(True, description="Detect and embed faces at ingest (privacy may forbid).")
    face_samples: int = Field(8, ge=0, description="Head crops per track searched for a face (best person crops).")
    face_keep: int = Field(3, ge=1, description="Face samples per track kept and averaged into its face vector "
                           "(best by vision.face_quality: size, sharpness, frontalness, detector score).")
    face_embed_min_px: float = Field(
        16.0, ge=0, description="A track whose best face is smaller than this (pixels) keeps its face size, "
        "quality and mask state but no face vector or chip: search never compares faces under "
        "tracing.face_review_min_px (keep this at or under it). 0 embeds every face.")
    face_embeddings: Literal["ingest", "case"] = Field(
        "ingest", description="When face embeddings are computed: 'ingest' (every face, sealed at rest; "
        "searches are instant) or 'case' (ingest keeps only a sealed face chip; embeddings are computed "
        "in memory during a search, for tracks in a consenting case's window and scope only).")
    body_samples: int = Field(4, ge=1, description="Person crops per track averaged into the body vector.")
    thumbnails: int = Field(3, ge=0, description="Thumbnails kept per track.")
    threads: int = Field(2, ge=1, description="CPU threads per model session.")
    checkpoint_frames: int = Field(50, ge=1, description="Analysed frames between commits (resume points).")
    cut_s: float = Field(
        300.0, gt=0, description="Seconds of video after which open tracks are closed and committed, so "
        "a busy camera still commits; the segments of one person keep the same per-video local id.")
    scene_cut_threshold: float = Field(
        27.0, ge=0, le=255, description="Mean HSV change (0-255) between analysed frames that counts as a "
        "shot cut, PTZ move or feed switch: every open track ends there. PETS S2L1 frames 1-400 peak at 8, "
        "a cut to another scene scores 50-69; 0 disables.")


class TracingConfig(StrictModel):
    """Search thresholds (cosine similarity of unit vectors) and the space-time bound.

    Raising a threshold lowers false matches but misses more true sightings; the defaults are
    calibrated on the shared labelled data (docs/accuracy.md).
    """

    face_threshold: float = Field(
        0.935, ge=-1, le=1, description="Face cosine for a match: no false accept on the deepface pairs (master.csv, "
        "all_pairs.csv) clean or degraded to 20-60 px faces, 1 in 1,690 on every cross-identity pair of its 61 "
        "labelled photos (tracing.face_bands; `epitrace eval faces --bands`).")
    face_review_threshold: float = Field(
        0.90, ge=-1, le=1, description="Face cosine shown as 'possible' (review band) for a good-quality face "
        "(3.4% of different-person deepface pairs reach it).")
    face_review_low_quality: float = Field(
        0.87, ge=-1, le=1, description="Review floor for a low-quality face (small, turned or blurred): true "
        "faces of 20-30 px score 0.83-0.92 against a clean photo; 91% of them reach it at 20 px.")
    face_low_quality: float = Field(
        0.25, ge=0, le=1, description="Face quality value (vision.face_quality) under which a face is low quality.")
    face_match_min_px: float = Field(20.0, ge=0, description="Faces smaller than this (pixels) never match.")
    face_review_min_px: float = Field(
        16.0, ge=0, description="Faces smaller than this (pixels) are not compared: PETS faces of 3-9 px score "
        "up to 0.98 against other people.")
    body_threshold: float = Field(
        0.86, ge=-1, le=1, description="Body cosine for a match: <= 1% of stranger track pairs on PETS 1-400 "
        "(0.99% in one camera, 0.62% with simulated cameras; 42.5% / 30.7% of same-person pairs; "
        "scripts/calibrate_body.py, each crop balanced by its own colour as ingest does).")
    max_candidates: int = Field(200, ge=1, description="Candidates returned per subject.")
    max_speed_mps: float = Field(20.0, gt=0, description="Fastest travel between cameras, m/s.")
    slack_m: float = Field(60.0, ge=0, description="Distance allowed at zero time gap, metres.")


class Settings(BaseSettings):
    """Process-wide settings. `EPITRACE_HOME` holds the database, vectors, evidence and models."""

    model_config = SettingsConfigDict(env_prefix="EPITRACE_", env_nested_delimiter="__", extra="forbid")

    home: Path = Field(Path.home() / ".epitrace", description="Root of all stored data.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in home.")
    models_path: Path | None = Field(None, description="Models folder; default home/models.")
    vector_backend: Literal["faiss", "milvus"] = Field(
        "faiss", description="Vector index backend: FAISS files in home/vectors (one machine) or Milvus "
        "(shared by many workers; see milvus_uri).")
    milvus_uri: str | None = Field(
        None, description="Milvus server URI (http://host:19530, optionally https://user:pass@host:19530/db) "
        "or a local file path ending in .db (milvus-lite in this process); default home/vectors/milvus.db.")
    encryption_key: SecretStr | None = Field(
        None, description="Base64 32-byte key sealing face vectors and evidence images "
        "(EPITRACE_ENCRYPTION_KEY); wins over the key file.")
    encryption_key_file: Path | None = Field(
        None, description="File holding the key; default home/secrets/encryption.key (`epitrace keys init`).")
    retention_days: int = Field(30, ge=1, description="Default retention of footage-derived data, days.")
    closed_case_days: int = Field(30, ge=1, description="Days a closed case is kept after closing.")
    case_max_window_days: int = Field(
        30, ge=1, le=366, description="Longest time window a case may search (onset - 2 days to isolation).")
    login_lockout_failures: int = Field(
        10, ge=1, le=1000, description="Consecutive failed logins that lock an account until "
        "`epitrace users enable NAME` (back-off starts after 3).")
    purge_interval_h: float = Field(
        6.0, gt=0, description="Hours between automatic retention purges while `epitrace serve` runs "
        "(one also runs when it starts).")
    ort_spinning: bool = Field(
        True, description="Idle onnxruntime pool threads spin (onnxruntime's default), which pays on a quiet "
        "host (bench ingest --compare: CenterNet 28.3 vs 23.0 frames/s); false (EPITRACE_ORT_SPINNING=0) lets them "
        "sleep, freeing the cores that decoding, tracking and the face models need on an oversubscribed host "
        "(1.3-2.6x faster there). Applies to every model session of the process (models.onnx_session).")
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    tracing: TracingConfig = Field(default_factory=TracingConfig)

    def with_home(self, home: Path) -> Settings:
        """These settings with another home and its own SQLite database, but the same installed models.

        A throw-away home: what evaluations and benchmarks run in.
        """
        return self.model_copy(update={"home": home, "models_path": self.models_dir, "database_url": None,
                                       "encryption_key_file": self.key_file})

    @property
    def key_file(self) -> Path:
        """The encryption key file (sealing biometric data at rest)."""
        return self.encryption_key_file or self.home / "secrets" / "encryption.key"

    @property
    def models_dir(self) -> Path:
        """Where installed models are."""
        return self.models_path or self.home / "models"

    @property
    def cache_dir(self) -> Path:
        """Where downloaded registry packages are cached."""
        return self.home / "cache"

    @property
    def vectors_dir(self) -> Path:
        """Where the FAISS index files are."""
        return self.home / "vectors"

    @property
    def evidence_dir(self) -> Path:
        """Where thumbnails, face chips and exported clips are."""
        return self.home / "evidence"

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL of the database (SQLite in the home by default)."""
        return self.database_url or f"sqlite:///{self.home / 'epitrace.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, built on first use."""
    return Settings()
