"""Use-case results -> response models (one place, so routes stay thin)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from epitrace.api import schemas as S
from epitrace.app import CaseSession
from epitrace.privacy.users import User


def thumb_url(case_id: str, track_id: int) -> str:
    """Where a sighting's (redacted) thumbnail is served."""
    return f"/api/cases/{case_id}/sightings/{track_id}/thumbnail"


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored datetime is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def user_out(user: User) -> S.UserOut:
    """A user as the API shows it (never the password hash)."""
    return S.UserOut(name=user.name, role=user.role, disabled=user.disabled,  # type: ignore[arg-type]
                     created_at=aware(user.created_at))


def camera_out(c: Any) -> S.CameraOut:
    """A camera row as the API shows it."""
    return S.CameraOut(id=c.id, name=c.name, place=c.place, latitude=c.latitude, longitude=c.longitude,
                       timezone=c.timezone, fps=c.fps_override, retention_days=c.retention_days,
                       calibration=(c.calibration or {}).get("type", "none"))


def case_summary(c: Any) -> S.CaseSummary:
    """A case row's metadata (what the case list shows)."""
    return S.CaseSummary(id=c.id, title=c.title, status=c.status, legal_basis=c.legal_basis,
                         window_start=S.utc(c.window_start_ts), window_end=S.utc(c.window_end_ts),
                         camera_scope=c.camera_scope, created_by=c.created_by, approved_by=c.approved_by,
                         approved_at=aware(c.approved_at), closed_by=c.closed_by, closed_at=aware(c.closed_at),
                         outcome=c.outcome)


def case_out(session: CaseSession, cameras: list[Any]) -> S.CaseOut:
    """A case with its subjects (from the session) and its cameras."""
    subjects = [S.SubjectOut(id=s.id, label=s.label, face_consent=s.face_consent, enrolled=s.enrolled,
                             confirmed=len(s.confirmed)) for s in session.subjects]
    return S.CaseOut(**case_summary(session.case).model_dump(), subjects=subjects,
                     cameras=[camera_out(cam) for cam in cameras])


def sighting_out(case_id: str, t: Any) -> S.SightingOut:
    """A stored track as a sighting of a case."""
    return S.SightingOut(id=t.id, camera_id=t.camera_id, start=S.utc(t.start_ts), end=S.utc(t.end_ts),
                         start_frame=t.start_frame, end_frame=t.end_frame, has_face=t.has_face,
                         mask_state=t.mask_state, thumbnail_url=thumb_url(case_id, t.id))


def audit_out(e: Any) -> S.AuditEntryOut:
    """An audit entry as the API shows it."""
    return S.AuditEntryOut(id=e.id, time=S.utc(e.ts), user=e.user, action=e.action, case_id=e.case_id,
                           legal_basis=e.legal_basis, detail=e.detail_dict(), hash=e.hash)
