"""Gather what a case report shows, with every non-subject image redacted on the way out.

Also the redacted thumbnails as JPEG that the API serves the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.config import ContactPolicy
from epitrace.contacts import CameraPlace, Contact, camera_places
from epitrace.contacts.cases import case_contacts
from epitrace.reports.people import stamp
from epitrace.store import Store
from epitrace.store.cases import confirmed_tracks, get_case
from epitrace.store.orm import Case
from epitrace.store.sealing import SealError
from epitrace.tracing import Visit, trajectory

if TYPE_CHECKING:
    from epitrace.privacy.face_regions import FaceFinder

JPEG_QUALITY = 85


@dataclass
class SubjectSection:
    """One subject's part of the report: route, contacts, photos."""

    id: int
    label: str
    face_consent: bool
    visits: list[Visit]
    contacts: list[Contact]
    thumbnails: list[bytes] = field(default_factory=list)  # the subject's own: not redacted
    second_order: list[Contact] = field(default_factory=list)  # contacts of contacts (`via` set)


@dataclass
class ReportData:
    """Everything a report shows.

    Times are read in each camera's zone (`places`); times that belong to no camera (the case window,
    the timeline axis) in `zone`: the cameras' common zone, or UTC when they differ.
    """

    case: Case
    policy: ContactPolicy
    subjects: list[SubjectSection]
    contact_thumbnails: dict[int, bytes]  # contact track id -> redacted JPEG
    cameras: list[tuple[str, float, float]]
    places: dict[str, CameraPlace] = field(default_factory=dict)
    zone: tzinfo = UTC

    def local_time(self, ts: float, camera_id: str | None = None) -> str:
        """`ts` in the camera's zone (else the report's zone), with the zone shown."""
        place = self.places.get(camera_id or "")
        return stamp(datetime.fromtimestamp(ts, place.zone if place else self.zone))


def encode_jpeg(image: npt.NDArray[np.uint8]) -> bytes:
    """`image` as JPEG at the quality every image leaving the system has; ValueError if it cannot be."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the image as JPEG")
    return buf.tobytes()


def _crop_or_none(store: Store, track_id: int, *, clear: bool, faces: FaceFinder | None = None) -> bytes | None:
    """A sighting's redacted photo, or None where there is none (a tampered file still raises)."""
    from epitrace.privacy.crops import person_crop_jpeg

    try:
        return person_crop_jpeg(store, track_id=track_id, clear=clear, faces=faces)
    except SealError:
        raise
    except (LookupError, ValueError):
        return None


def gather(store: Store, *, case_id: str, policy: ContactPolicy, second_order: bool = True,
           clear: frozenset[int] = frozenset(), faces: FaceFinder | None = None) -> ReportData:
    """Case, subjects with routes, contacts (and their contacts), and redacted evidence photos.

    With `second_order`, contacts of contacts too. Each photo is redacted for the one person it
    is about: that person's head is clear only
    for the sightings in `clear` (those the report's author unmasked with a reason); every other
    head in a photo is always mosaicked (`privacy.crops`).
    """
    case = get_case(store, case_id=case_id)
    subject_tracks = confirmed_tracks(store, case_id=case_id)
    contacts = case_contacts(store, case=case, policy=policy, second_order=second_order)
    sections = []
    for subject in case.subjects:
        visits = trajectory(store, subject_id=subject.id)
        found = [c for s, order, c in contacts if s.id == subject.id and order == 1]
        sections.append(SubjectSection(subject.id, subject.label, subject.face_consent, visits, found,
                                       second_order=[c for s, order, c in contacts
                                                     if s.id == subject.id and order == 2]))
    for section in sections:
        shown_tracks = [t for v in section.visits for t in v.track_ids][:6]
        section.thumbnails = [j for j in (_crop_or_none(store, t, clear=t in clear, faces=faces) for t in shown_tracks)
                              if j]
    everyone = [c for s in sections for c in s.contacts + s.second_order]
    contact_ids = sorted({c.contact_track_id for c in everyone} - subject_tracks)
    thumbs = {}
    for track_id in contact_ids:
        jpeg = _crop_or_none(store, track_id, clear=track_id in clear, faces=faces)
        if jpeg:
            thumbs[track_id] = jpeg
    registered = store.list_cameras()
    cameras = [(c.name, c.latitude, c.longitude) for c in registered
               if c.latitude is not None and c.longitude is not None]
    shown = {v.camera_id for s in sections for v in s.visits} | {c.camera_id for c in everyone}
    in_scope = set(case.camera_scope) if case.camera_scope else {c.id for c in registered}
    places = camera_places(store, camera_ids=sorted(shown | in_scope))
    return ReportData(case, policy, sections, thumbs, cameras, places,
                      common_zone([places[c] for c in sorted(shown or in_scope)]))


def common_zone(places: list[CameraPlace]) -> tzinfo:
    """The one zone all these cameras share, else UTC (a mixed report must not pick one camera's)."""
    zones = {str(p.zone) for p in places}
    return places[0].zone if len(zones) == 1 else UTC
