"""Gather what a case report shows, with every non-subject image redacted on the way out."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from sqlalchemy import select

from epitrace.config import ContactPolicy
from epitrace.contacts import Contact, find_contacts
from epitrace.privacy import redact_person_crop
from epitrace.store import Store
from epitrace.store.cases import decisions, get_case
from epitrace.store.orm import Case, Thumbnail
from epitrace.tracing import Visit, trajectory


@dataclass
class SubjectSection:
    id: int
    label: str
    face_consent: bool
    visits: list[Visit]
    contacts: list[Contact]
    thumbnails: list[bytes] = field(default_factory=list)  # the subject's own: not redacted


@dataclass
class ReportData:
    case: Case
    policy: ContactPolicy
    subjects: list[SubjectSection]
    contact_thumbnails: dict[int, bytes]  # contact track id -> redacted JPEG
    cameras: list[tuple[str, float, float]]


def _jpeg(store: Store, rel_path: str, redact: bool) -> bytes | None:
    try:
        data = store.read_evidence(rel_path)
    except FileNotFoundError:
        return None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    if redact:
        image = redact_person_crop(image)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes() if ok else None


def _first_thumb(store: Store, track_ids: list[int]) -> dict[int, str]:
    with store.db.session() as s:
        rows = s.execute(select(Thumbnail.track_id, Thumbnail.path).where(
            Thumbnail.track_id.in_(track_ids), Thumbnail.kind == "body").order_by(Thumbnail.id))
        out: dict[int, str] = {}
        for track_id, path in rows:
            out.setdefault(int(track_id), str(path))
        return out


def gather(store: Store, *, case_id: str, policy: ContactPolicy) -> ReportData:
    """Case, subjects with routes and contacts, and redacted evidence thumbnails."""
    case = get_case(store, case_id=case_id)
    sections = []
    subject_tracks: set[int] = set()
    for subject in case.subjects:
        confirmed = [t for t, d in decisions(store, subject_id=subject.id).items() if d == "confirmed"]
        subject_tracks.update(confirmed)
        visits = trajectory(store, subject_id=subject.id)
        contacts = find_contacts(store, confirmed, policy) if confirmed else []
        sections.append(SubjectSection(subject.id, subject.label, subject.face_consent, visits, contacts))
    for section in sections:
        paths = [p for v in section.visits for p in v.thumbnails][:6]
        section.thumbnails = [j for j in (_jpeg(store, p, redact=False) for p in paths) if j]
    contact_ids = sorted({c.contact_track_id for s in sections for c in s.contacts} - subject_tracks)
    thumbs = {}
    for track_id, path in _first_thumb(store, contact_ids).items():
        jpeg = _jpeg(store, path, redact=True)
        if jpeg:
            thumbs[track_id] = jpeg
    cameras = [(c.name, c.latitude, c.longitude) for c in store.list_cameras()
               if c.latitude is not None and c.longitude is not None]
    return ReportData(case, policy, sections, thumbs, cameras)  # type: ignore[arg-type]
