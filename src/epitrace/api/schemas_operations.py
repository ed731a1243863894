"""API models of what a case produces and how the system runs: contacts, exports, jobs, audit.

The rest of `api.schemas`, split for size; `api.schemas` re-exports every name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, StrictBool

from epitrace.api.schemas_base import ID_PATTERN, MAX_ID, In


# ----- contacts -----------------------------------------------------------------------------------
class PolicyOut(BaseModel):
    """The contact policy applied (distance, cumulative minutes, window)."""

    name: str
    distance_m: float
    min_cumulative_s: float
    window_h: float


class ContactOut(BaseModel):
    """One contact of a subject: when, where, how close, how long, masks and risk (with why)."""

    subject_id: int
    subject_label: str
    order: int = Field(description="1: contact of the subject; 2: contact of a contact.")
    camera_id: str
    camera_name: str
    place: str
    time_zone: str = Field(description="IANA zone of the camera's clock; first/last seen are in it.")
    first_seen: datetime = Field(description="First contact frame, ISO 8601 with the camera's offset.")
    last_seen: datetime = Field(description="Last contact frame, ISO 8601 with the camera's offset.")
    subject_track_id: int
    contact_track_id: int
    person_id: int = Field(description="The person's smallest track id: stable within a case.")
    person_label: str = Field(description="P<person_id>: the same person keeps it across queries and policies.")
    via: str | None = Field(description="For a contact of a contact: the person_label of the contact linking them.")
    exposure_s: float = Field(description="This sighting's time within the policy's distance, seconds.")
    person_exposure_s: float = Field(description="The person's exposure in the policy's best window, seconds.")
    min_distance_m: float | None = Field(description="Closest ground distance, metres (None: uncalibrated).")
    distance_uncertainty_m: float | None = Field(
        description="One-sigma error of min_distance_m: the calibration's reprojection RMSE (None: not measured).")
    calibrated: bool
    subject_mask: str
    contact_mask: str
    risk: Literal["high", "medium", "low"]
    risk_reason: str = Field(description="The rule that set the risk: exposure against the policy, distance, masks.")
    risk_reason_template: str = Field("", description="`risk_reason` as an English template with {placeholders}, "
                                      "to show it in another language.")
    risk_reason_params: dict[str, str] = Field(default_factory=dict, description="The template's values.")
    unmasked: bool = Field(description="You unmasked this contact (its thumbnail is then clear).")
    thumbnail_url: str


class ContactList(BaseModel):
    """The contacts of a case under one policy."""

    policy: PolicyOut
    data: list[ContactOut]
    count: int


class UnmaskIn(In):
    """Why a person must be seen unmasked (recorded in the audit log)."""

    reason: str = Field(min_length=1, max_length=2000, description="Why this contact must be identified.")


# ----- exports ----------------------------------------------------------------------------------
class ClipExportIn(In):
    """A redacted clip to cut around a sighting."""

    track_id: int = Field(ge=1, le=MAX_ID)
    margin_s: float = Field(2.0, ge=0, le=30)
    safety_net: StrictBool = Field(True, description="Also run the person detector on every frame "
                                   "(admins may turn it off).")


# ----- ingest jobs ------------------------------------------------------------------------------
class IngestSourceIn(In):
    """Footage to ingest from a path or stream already reachable by the server."""

    source: str = Field(min_length=1, max_length=2000, description="A server path, or an rtsp:// / http(s):// URL.")
    camera_id: str = Field(pattern=ID_PATTERN)
    start: AwareDatetime = Field(description="Time of the first frame, with a zone.")
    fps: float | None = Field(None, gt=0, le=240, description="True frame rate if the file's is wrong.")
    max_frames: int | None = Field(None, ge=1, le=10**9, description="Stop after this many frames (resumable).")
    max_seconds: float | None = Field(None, gt=0, le=30 * 86400,
                                      description="A live stream stops after this long (default: until cancelled).")


class JobOut(BaseModel):
    """An ingest job and its progress."""

    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    camera_id: str
    source: str
    created_by: str
    created: datetime
    frames_done: int
    frames_total: int
    progress: float = Field(ge=0, le=1)
    error: str | None = None
    result: dict[str, Any] | None = None


class JobList(BaseModel):
    """Every ingest job."""

    data: list[JobOut]
    count: int


# ----- audit --------------------------------------------------------------------------------------
class AuditEntryOut(BaseModel):
    """One audit log entry."""

    id: int
    time: datetime
    user: str
    action: str
    case_id: str | None
    legal_basis: str | None
    detail: dict[str, Any]
    hash: str


class AuditList(BaseModel):
    """A page of audit entries."""

    data: list[AuditEntryOut]
    count: int


class VerifyOut(BaseModel):
    """The audit chain's verification: where it breaks, if it does."""

    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str
    head_hash: str
    legacy: int = Field(0, description="Unkeyed entries at the start, written before the audit key existed.")
    anchored_id: int | None = Field(None, description="Newest entry id the append-only anchor file records.")
