"""Request and response models of the REST API (pydantic; kept apart from the ORM classes).

Each resource has its family: `...Create` / `...In` for input, `...Out` for one item and
`...List` (data, count) for collections, as in the FastAPI template.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StrictBool

from epitrace.api.schemas_base import ID_PATTERN, MAX_ID, USER_PATTERN, In, RowId, utc
from epitrace.api.schemas_operations import (
    AuditEntryOut,
    AuditList,
    ClipExportIn,
    ContactList,
    ContactOut,
    IngestSourceIn,
    JobList,
    JobOut,
    PolicyOut,
    UnmaskIn,
    VerifyOut,
)
from epitrace.phrases import Words

__all__ = [  # every model, including those kept in schemas_base and schemas_operations
    "AssignIn", "AuditEntryOut", "AuditList", "BoxOut", "CameraList", "CameraOut", "CandidateOut",
    "CaseCloseIn", "CaseCreate", "CaseList", "CaseOut", "CaseSummary", "ClipExportIn", "ContactList",
    "ContactOut", "DecisionIn", "DecisionOut", "DescribeIn", "DescribeOut", "DescribedOut", "EnrolOut",
    "EnrolTrackIn", "FrameOut", "ID_PATTERN", "In", "IngestSourceIn", "JobList", "JobOut", "LoginIn",
    "LoginOut", "MAX_ID", "OkOut", "PhraseOut", "PolicyOut", "RowId", "SearchIn", "SearchOut", "SightingList",
    "SightingOut", "SubjectCandidates", "SubjectCreate", "SubjectOut", "TrajectoryOut", "USER_PATTERN",
    "UnmaskIn", "UserCreate", "UserList", "UserOut", "VerifyOut", "VisitOut", "phrases_out", "utc",
]


# ----- auth and users -----------------------------------------------------------------------
class LoginIn(In):
    """A login: name and password."""

    name: str = Field(min_length=1, max_length=64, description="Login name.")
    password: str = Field(min_length=1, max_length=1024, description="Password.")


class UserOut(BaseModel):
    """A user as shown to administrators (never the password hash)."""

    name: str
    role: Literal["admin", "investigator", "auditor", "supervisor", "operator"]
    disabled: bool
    created_at: datetime | None = None


class LoginOut(BaseModel):
    """A new session: its bearer token, the web app's CSRF token and the user."""

    token: str = Field(description="Bearer token for the Authorization header.")
    token_type: Literal["bearer"] = "bearer"
    csrf_token: str = Field(description="X-CSRF-Token value for cookie-authenticated state changes.")
    expires_in_s: float
    user: UserOut


class UserCreate(In):
    """A new account (administrators only)."""

    name: str = Field(pattern=USER_PATTERN, description="Login name.")
    password: str = Field(min_length=10, max_length=1024, description="At least 10 characters.")
    role: Literal["admin", "investigator", "auditor", "supervisor", "operator"]


class UserList(BaseModel):
    """Every account."""

    data: list[UserOut]
    count: int


class AssignIn(In):
    """Assign an investigator to a case."""

    user: str = Field(pattern=USER_PATTERN, description="An investigator's login name.")


class OkOut(BaseModel):
    """A done action, in words."""

    ok: bool = True
    detail: str = ""


# ----- cameras ------------------------------------------------------------------------------
class CameraOut(BaseModel):
    """A registered camera (its calibration only by kind)."""

    id: str
    name: str
    place: str
    latitude: float | None
    longitude: float | None
    timezone: str
    fps: float | None
    retention_days: int | None = Field(None, description="The camera's own retention, days (None: the default).")
    calibration: str = Field(description="Calibration type, or 'none' (contacts are then co-presence only).")


class CameraList(BaseModel):
    """Every registered camera."""

    data: list[CameraOut]
    count: int


# ----- cases and subjects ---------------------------------------------------------------------
class CaseCreate(In):
    """A case to open: legal basis, onset and isolation, explicit camera scope."""

    title: str = Field("", max_length=200)
    legal_basis: str = Field(min_length=1, max_length=1000, description="Legal basis of the investigation.")
    onset: AwareDatetime = Field(description="Symptom onset or test time, with a zone.")
    isolation: AwareDatetime | None = Field(None, description="Isolation time (default: now).")
    cameras: list[Annotated[str, Field(pattern=ID_PATTERN)]] | Literal["all"] = Field(
        max_length=1000, description='Camera scope: a list of camera ids, or "all" (said explicitly; the '
        "approver sees it as such).")


class CaseCloseIn(In):
    """Closing a case: its outcome."""

    outcome: str = Field(min_length=3, max_length=500, description="Why the case is closed, e.g. 'traced'.")


class SubjectCreate(In):
    """A subject to add to a case, with or without face-matching consent."""

    label: str = Field(min_length=1, max_length=100, description="e.g. 'patient-1'.")
    face_consent: StrictBool = Field(False, description="The subject consented to face matching (true or false "
                                     "only: \"yes\" is not consent).")


class SubjectOut(BaseModel):
    """A subject of a case: enrolment and confirmed sightings."""

    id: int
    label: str
    face_consent: bool
    enrolled: bool = Field(description="Has at least one query (photo or picked sighting).")
    confirmed: int = Field(description="Confirmed sightings.")


class CaseSummary(BaseModel):
    """A case's metadata: state, window, scope and who opened, approved and closed it."""

    id: str
    title: str
    status: Literal["pending", "open", "closed"] = Field(
        description="pending: waiting for a supervisor's approval (nothing can be searched); open; closed.")
    legal_basis: str
    window_start: datetime
    window_end: datetime
    camera_scope: list[str] | None = Field(description="Cameras the case may search; null: all cameras.")
    created_by: str
    approved_by: str | None = None
    approved_at: datetime | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    outcome: str | None = None


class CaseOut(CaseSummary):
    """A case with its subjects and the cameras of its scope."""

    subjects: list[SubjectOut]
    cameras: list[CameraOut] = Field(description="Cameras in scope (positions for the route).")


class CaseList(BaseModel):
    """The cases the user may see."""

    data: list[CaseSummary]
    count: int


# ----- sightings, frames, enrolment -----------------------------------------------------------
class SightingOut(BaseModel):
    """A sighting (stored track) of a case's scope."""

    id: int
    camera_id: str
    start: datetime
    end: datetime
    start_frame: int
    end_frame: int
    has_face: bool
    mask_state: str
    thumbnail_url: str


class SightingList(BaseModel):
    """A page of sightings and their total count."""

    data: list[SightingOut]
    count: int


class BoxOut(BaseModel):
    """A person box on a picker frame, with its sighting id."""

    track_id: int
    x1: float
    y1: float
    x2: float
    y2: float


class FrameOut(BaseModel):
    """An analysed frame to pick a person from (its image is served mosaicked)."""

    camera_id: str
    video_id: int
    frame: int
    time: datetime
    width: int
    height: int
    image_url: str = Field(description="The frame as JPEG, every head mosaicked.")
    boxes: list[BoxOut]
    span_start: datetime = Field(description="First time of this camera's footage in the case window.")
    span_end: datetime


class EnrolTrackIn(In):
    """Enrol a subject by a picked sighting."""

    track_id: int = Field(ge=1, le=MAX_ID, description="The picked sighting (track) id.")


class EnrolOut(BaseModel):
    """A subject's enrolled query vectors, counted by kind."""

    subject_id: int
    queries: dict[str, int] = Field(description="Query vectors now held, per kind (body, face).")


# ----- search and decisions ---------------------------------------------------------------------
class SearchIn(In):
    """A search for every (or some) subjects of a case."""

    subject_ids: list[RowId] | None = Field(None, max_length=10, description="Default: every subject.")
    top: int = Field(50, ge=1, le=200, description="Candidates returned per subject.")


class PhraseOut(BaseModel):
    """A phrase of a reason or description: an English template and its values.

    Pages translate the template (and values that are words, like colour names), then fill in
    the values; `explanation` / `face_reason` carry the same words in English.
    """

    template: str = Field(examples=["{colour} upper"])
    params: dict[str, str] = Field(examples=[{"colour": "red"}])


def phrases_out(words: Words | None) -> list[PhraseOut]:
    """`Words` as API phrases (none for None)."""
    return [] if words is None else [PhraseOut(template=p.template, params=dict(p.params)) for p in words.phrases]


class CandidateOut(BaseModel):
    """A candidate sighting of a subject, with its scores."""

    track_id: int
    camera_id: str
    start: datetime
    end: datetime
    body_score: float | None
    face_score: float | None
    score: float = Field(description="0-1; above 0.5 is a match.")
    match: bool
    decision: Literal["confirmed", "rejected"] | None
    thumbnail_url: str
    explanation: str | None = Field(None, description="The sighting's attributes in words, when measured.")
    explanation_phrases: list[PhraseOut] = Field(default_factory=list, description="`explanation`, translatable.")
    face_band: Literal["match", "review", "none"] | None = Field(
        None, description="The face evidence's band: 'match', 'review' (show as a possible match, with the "
        "reason) or 'none'; null without a face comparison.")
    face_reason: str | None = Field(None, description="Why the face is in its band, in words.")
    face_reason_phrases: list[PhraseOut] = Field(default_factory=list, description="`face_reason`, translatable.")


class SubjectCandidates(BaseModel):
    """The ranked candidates of one subject."""

    subject_id: int
    label: str
    enrolled: bool
    candidates: list[CandidateOut]


class SearchOut(BaseModel):
    """The candidates of every searched subject."""

    subjects: list[SubjectCandidates]


Colour = Literal["black", "white", "grey", "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown"]


class DescribeIn(In):
    """A description of a person with no photo: colours, height, and optionally a narrower window or cameras."""

    upper: Colour | None = None
    lower: Colour | None = None
    height_m: float | None = Field(None, ge=0.5, le=2.5, description="Height in metres.")
    tolerance_m: float = Field(0.10, gt=0.0, le=1.0, description="Height tolerance in metres.")
    cameras: list[Annotated[str, Field(pattern=ID_PATTERN)]] | None = Field(None, max_length=100,
                                                                             description="Default: the case's.")
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    top: int = Field(50, ge=1, le=200, description="Candidates returned.")


class DescribedOut(BaseModel):
    """A sighting ranked for a description, with the attributes that matched."""

    track_id: int
    camera_id: str
    start: datetime
    end: datetime
    score: float = Field(description="0-1: mean over the described attributes.")
    matched: list[str]
    explanation: str
    explanation_phrases: list[PhraseOut] = Field(default_factory=list, description="`explanation`, translatable.")
    thumbnail_url: str


class DescribeOut(BaseModel):
    """Candidates for a description, best first."""

    candidates: list[DescribedOut]


class DecisionIn(In):
    """Confirm or reject sightings as a subject's."""

    decision: Literal["confirmed", "rejected"]
    track_ids: list[RowId] = Field(min_length=1, max_length=500)


class DecisionOut(BaseModel):
    """The sightings decided."""

    subject_id: int
    decision: Literal["confirmed", "rejected"]
    track_ids: list[int]


class VisitOut(BaseModel):
    """One stay of a subject in front of one camera."""

    camera_id: str
    camera_name: str
    place: str
    latitude: float | None
    longitude: float | None
    entry: datetime
    exit: datetime
    track_ids: list[int]
    thumbnail_urls: list[str]


class TrajectoryOut(BaseModel):
    """A subject's route: their visits, earliest first."""

    subject_id: int
    label: str
    visits: list[VisitOut]
