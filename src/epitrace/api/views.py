"""ORM rows and service results -> response models (one place, so routes stay thin)."""

from __future__ import annotations

from datetime import UTC, datetime

from epitrace.api import schemas as S
from epitrace.api.queries import query_counts, scope_cameras
from epitrace.privacy.audit import AuditEntry
from epitrace.privacy.users import User
from epitrace.store import Store
from epitrace.store.cases import confirmed_by_subject
from epitrace.store.orm import Camera, Case, Track


def thumb_url(case_id: str, track_id: int) -> str:
    return f"/api/cases/{case_id}/sightings/{track_id}/thumbnail"


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored datetime is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def user_out(user: User) -> S.UserOut:
    return S.UserOut(name=user.name, role=user.role, disabled=user.disabled,  # type: ignore[arg-type]
                     created_at=aware(user.created_at))


def camera_out(c: Camera) -> S.CameraOut:
    return S.CameraOut(id=c.id, name=c.name, place=c.place, latitude=c.latitude, longitude=c.longitude,
                       timezone=c.timezone, fps=c.fps_override,
                       calibration=(c.calibration or {}).get("type", "none"))


def case_summary(c: Case) -> S.CaseSummary:
    return S.CaseSummary(id=c.id, title=c.title, status=c.status, legal_basis=c.legal_basis,
                         window_start=S.utc(c.window_start_ts), window_end=S.utc(c.window_end_ts),
                         created_by=c.created_by)


def case_out(store: Store, c: Case) -> S.CaseOut:
    subjects = []
    confirmed_of = confirmed_by_subject(store, case_id=c.id)
    for sub in c.subjects:
        confirmed = len(confirmed_of.get(sub.id, []))
        subjects.append(S.SubjectOut(id=sub.id, label=sub.label, face_consent=sub.face_consent,
                                     enrolled=bool(query_counts(store, subject_id=sub.id)), confirmed=confirmed))
    return S.CaseOut(**case_summary(c).model_dump(), camera_scope=c.camera_scope, subjects=subjects,
                     cameras=[camera_out(cam) for cam in scope_cameras(store, case=c)])


def sighting_out(case_id: str, t: Track) -> S.SightingOut:
    return S.SightingOut(id=t.id, camera_id=t.camera_id, start=S.utc(t.start_ts), end=S.utc(t.end_ts),
                         start_frame=t.start_frame, end_frame=t.end_frame, has_face=t.has_face,
                         mask_state=t.mask_state, thumbnail_url=thumb_url(case_id, t.id))


def audit_out(e: AuditEntry) -> S.AuditEntryOut:
    return S.AuditEntryOut(id=e.id, time=S.utc(e.ts), user=e.user, action=e.action, case_id=e.case_id,
                           legal_basis=e.legal_basis, detail=e.detail_dict(), hash=e.hash)
