"""Enrolment: a face photo (with consent) or a picked track (silhouette and clothing only)."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from epitrace.config import TracingConfig
from epitrace.store import Store, Unit
from epitrace.store.cases import add_query, get_subject, get_tracks, track_vector
from epitrace.tracing.face_bands import usable_face


class ConsentError(PermissionError):
    """Face data was about to be used for a subject who did not consent to face matching."""


class FacePhotoEmbedder(Protocol):
    """Embeds the one face of an enrolment photo."""
    def __call__(self, image_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """128-d embedding of the single face in the photo (raises on none / several)."""


def require_face_consent(store: Store, *, case_id: str, subject_id: int, session: Unit | None = None) -> None:
    """The one gate every face operation on a subject passes through."""
    subject = get_subject(store, case_id=case_id, subject_id=subject_id, session=session)
    if not subject.face_consent:
        raise ConsentError(
            f"subject {subject_id} of case {case_id} has not consented to face matching: "
            "enrol them by picking a sighting instead (silhouette and clothing only)"
        )


def enrol_photo(store: Store, *, case_id: str, subject_id: int, image_bgr: npt.NDArray[np.uint8],
                embed_face: FacePhotoEmbedder, session: Unit | None = None) -> None:
    """Add the face in `image_bgr` as a query of the subject (consent checked first)."""
    require_face_consent(store, case_id=case_id, subject_id=subject_id, session=session)
    vector = embed_face(image_bgr)
    add_query(store, subject_id=subject_id, kind="face", source="photo", vector=vector, session=session)


def enrol_track(store: Store, *, case_id: str, subject_id: int, track_id: int,
                session: Unit | None = None, min_face_px: float = TracingConfig().face_review_min_px) -> None:
    """Use a picked track's body vector (and its face only with consent) as queries, in one unit.

    The face is left out when it is smaller than `min_face_px` (too small to compare: it would
    score high against every small face).
    """
    with store.unit(session) as s:
        subject = get_subject(store, case_id=case_id, subject_id=subject_id, session=s)
        track = get_tracks(store, track_ids=[track_id], session=s).get(track_id)
        if track is None:
            raise LookupError(f"no sighting {track_id}: pick one from `epitrace sightings`")
        body = track_vector(store, track_id=track_id, kind="body", session=s)
        if body is None:
            raise LookupError(f"sighting {track_id} has no body vector")
        add_query(store, subject_id=subject_id, kind="body", source="track", vector=body, track_id=track_id,
                  session=s)
        if subject.face_consent and usable_face(track.face_px, min_face_px):
            face = track_vector(store, track_id=track_id, kind="face", session=s)
            if face is not None:
                add_query(store, subject_id=subject_id, kind="face", source="track", vector=face,
                          track_id=track_id, session=s)
