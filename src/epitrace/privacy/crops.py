"""Person thumbnails redacted for the one person they are about.

A thumbnail is a crop of one track's box, but people overlap: a bystander at the subject's
shoulder is in the subject's crop, a second contact in the first contact's. Every other stored
track present at the thumbnail's frame has its head mosaicked in the crop, always; the crop's own
person is mosaicked too unless `clear` (the confirmed subject, or a contact this user unmasked).
So showing one person clear never shows anyone else.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.privacy.clips import TrackBoxes
from epitrace.privacy.redact import head_boxes, mosaic, redact_person_crop
from epitrace.store.case_scope import points_near, thumbnail_source
from epitrace.store.repo import Store

JPEG_QUALITY = 85
"""The quality of every image leaving the system (as `reports.data.encode_jpeg`)."""
OTHERS_MARGIN = 0.25
"""Widening of other people's head regions (their boxes are from another frame's interpolation)."""
HOLD_FRAMES = 8
"""How far (frames) a neighbour's nearest stored box is used when no box lies exactly at the frame."""


def others_in_crop(store: Store, *, track_id: int, video_id: int, frame: int,
                   crop_box: tuple[float, float, float, float]) -> npt.NDArray[np.float32]:
    """Head regions, in crop pixels, of every other stored person at `frame` overlapping the crop."""
    boxes = TrackBoxes(points_near(store, video_id=video_id, frame=frame, frames=4 * HOLD_FRAMES),
                       hold=HOLD_FRAMES).at(frame)
    left, top = max(int(crop_box[0]), 0), max(int(crop_box[1]), 0)
    others = [b for tid, b in boxes.items() if tid != track_id]
    if not others:
        return np.zeros((0, 4), np.float32)
    heads = head_boxes(np.array(others, np.float32), margin=OTHERS_MARGIN)
    heads -= np.array([left, top, left, top], np.float32)
    return heads.astype(np.float32)


def person_crop_jpeg(store: Store, *, track_id: int, clear: bool) -> bytes:
    """A sighting's thumbnail as JPEG: everyone else's head mosaicked; its own unless `clear`.

    Raises:
        LookupError: No thumbnail (none kept, or purged by retention), or it is unreadable.
    """
    source = thumbnail_source(store, track_id=track_id)
    if source is None:
        raise LookupError(f"sighting {track_id} has no thumbnail")
    root = store.evidence_dir.resolve()
    if root not in (root / source.path).resolve().parents:
        raise LookupError(f"evidence path {source.path!r} is outside the evidence folder")
    try:
        data = store.read_evidence(source.path)
    except FileNotFoundError as exc:
        raise LookupError("the thumbnail is gone (purged by retention?)") from exc
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise LookupError("the stored thumbnail is unreadable")
    image = np.asarray(decoded, np.uint8)
    others = others_in_crop(store, track_id=track_id, video_id=source.video_id, frame=source.frame,
                            crop_box=source.box)
    if len(others):
        image = mosaic(image, others, block=max(2, min(6, image.shape[0] // 12)))
    if not clear:
        image = redact_person_crop(image)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the thumbnail as JPEG")
    return bytes(jpeg.tobytes())
