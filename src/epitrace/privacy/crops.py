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
from epitrace.privacy.face_regions import FaceFinder
from epitrace.privacy.redact import HEAD_SHARE, head_boxes, mosaic, redact_person_crop
from epitrace.store.case_scope import points_near, thumbnail_source
from epitrace.store.repo import Store
from epitrace.vision.boxes import grow_boxes

JPEG_QUALITY = 85
"""The quality of every image leaving the system (as `reports.data.encode_jpeg`)."""
OTHERS_MARGIN = 0.25
"""Widening of other people's head regions (their boxes are from another frame's interpolation)."""
HOLD_FRAMES = 8
"""How far (frames) a neighbour's nearest stored box is used when no box lies exactly at the frame."""
FACE_NET_THRESHOLD = 0.3
"""Face score from which a face in a crop is mosaicked (the clips' safety net uses the same)."""
FACE_MARGIN = 0.15
"""Widening of a found face box before it is mosaicked (detector boxes are tight)."""
OWN_FACE_OFFSET = 0.3
"""How far (share of the crop's width) from the centre the crop's own face may lie."""


def stray_faces(image: npt.NDArray[np.uint8], finder: FaceFinder, *, clear: bool) -> npt.NDArray[np.float32]:
    """Face boxes in a person crop that are not its own person's (every face when not `clear`).

    The safety net for people no stored track covers (a child held in front, someone merged into
    the box): picker frames and clips have one, thumbnails must too. The crop's own face is the one
    found in its head band (the top of the person box, around its middle) nearest the band's centre;
    any other is not, and when its own face is not found every face is mosaicked.
    """
    h, w = image.shape[:2]
    boxes = np.asarray(finder.detect(image, threshold=FACE_NET_THRESHOLD).xyxy, np.float32).reshape(-1, 4)
    if not len(boxes):
        return boxes
    if clear:
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        in_band = (cy <= HEAD_SHARE * h) & (np.abs(cx - w / 2) <= OWN_FACE_OFFSET * w)  # a neighbour's is aside
        if in_band.any():
            distance = np.hypot(cx - w / 2, cy - HEAD_SHARE * h / 2)
            own = int(np.argmin(np.where(in_band, distance, np.inf)))
            boxes = np.delete(boxes, own, axis=0)
    return grow_boxes(boxes, FACE_MARGIN)


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


def person_crop_jpeg(store: Store, *, track_id: int, clear: bool, faces: FaceFinder | None = None) -> bytes:
    """A sighting's thumbnail as JPEG: everyone else's head mosaicked; its own unless `clear`.

    With `faces` (a face detector), every face found in the crop that is not its own person's is
    mosaicked too, stored track or not (`stray_faces`); the application layer always passes one.

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
    strays = stray_faces(image, faces, clear=clear) if faces is not None else np.zeros((0, 4), np.float32)
    if len(others):
        image = mosaic(image, others, block=max(2, min(6, image.shape[0] // 12)))
    if not clear:
        image = redact_person_crop(image)
    if len(strays):  # found on the stored crop, before any mosaic could hide a face from the detector
        image = mosaic(image, strays, block=max(2, min(6, image.shape[0] // 12)))
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the thumbnail as JPEG")
    return bytes(jpeg.tobytes())
