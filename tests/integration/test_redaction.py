"""Export redaction on real PETS frames: bystanders' heads hidden, the subject's left visible.

Measured (`epitrace eval redaction`, CenterNet 640 px at score 0.1, subject GT 9, depth from the
PETS calibration): frames 1-400, defaults 0.9915 hidden / subject's head clear in 0.6925 of
frames (carried boxes moved with their owner and dropped once found again, issue 15; before:
0.9915 / 0.6025); "subject wins": 0.951 / 0.945; nobody kept: 0.9996. GT 15 walks at the
subject's shoulder for most of frames 1-100, so there the subject is clear in only 0.30 of
frames (0.19 before). Per-cause counts: `privacy.export_redaction`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from epitrace.config import Settings
from epitrace.evaluation.mot import load_mot
from epitrace.evaluation.redaction import (
    RedactionScores,
    detect_all,
    mosaic_mask,
    redacted_mask,
    redaction_coverage,
    score_regions,
)
from epitrace.evaluation.redaction_export import subject_tracks
from epitrace.ingest import CameraConfig, register_camera
from epitrace.ingest.service import ingest_file, open_pipeline
from epitrace.ingest.source import iter_frames, to_bgr
from epitrace.privacy.clips import ClipSourceMissingError, export_clip
from epitrace.privacy.export_redaction import (
    DEFAULT_CONFIG,
    ExportRedactionConfig,
    ExportRedactor,
    Regions,
)
from epitrace.privacy.face_regions import detect_faces
from epitrace.store.orm import Video
from epitrace.vision.faces import FaceDetector
from epitrace.vision.persons import PersonDetector

pytestmark = [pytest.mark.slow, pytest.mark.models]

START = datetime(2009, 3, 1, 9, 0, tzinfo=UTC)
SUBJECT_GT = 9  # the longest GT track of frames 1-400
N_FRAMES = 100
# the rules before issue 15's depth work: a box at IoU 0.3 or with the subject's head point was the
# subject's, larger head cores, only the subject's detected face pasted back over people behind
OLD_RULES = replace(DEFAULT_CONFIG, keep_iou=0.3, same_head_x=0.25, core_share=0.25, core_top=0.15,
                    unveil_share=0.0)


def _paths(shared_data: Path) -> tuple[Path, Path]:
    pets = shared_data / "pets2009_s2l1"
    return pets / "video" / "vtest.avi", pets / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt"


@pytest.fixture(scope="module")
def detector() -> PersonDetector:
    from conftest import installed_models_dir

    path = installed_models_dir() / "person_centernet.onnx"
    if not path.exists():
        pytest.fail(f"{path} missing: run `make models` first")
    return PersonDetector(path, input_size=640, score_threshold=0.1)


def test_coverage_on_pets_frames(shared_data: Path, detector: PersonDetector) -> None:
    video, gt = _paths(shared_data)
    dets = detect_all(video, detector, (1, 400))
    homography = np.loadtxt(video.parents[1] / "H_image768_to_world_m.txt")
    calibration = {"type": "homography", "matrix": homography.tolist()}

    def coverage(subject: int, config: ExportRedactionConfig = DEFAULT_CONFIG) -> RedactionScores:
        return redaction_coverage(video, gt, (1, 400), subject, config=config, detections=dets,
                                  calibration=calibration)

    default = coverage(SUBJECT_GT)
    assert default.coverage >= 0.99, default.missed[:20]  # the floor; measured 0.9915
    assert default.subject_visible >= 0.65  # measured 0.6925 (the goal of 0.8 is not reached)
    nobody = coverage(-1)
    assert nobody.coverage >= 0.99, nobody.missed[:20]  # measured 0.9996
    old = coverage(SUBJECT_GT, OLD_RULES)
    assert old.subject_visible <= default.subject_visible - 0.15  # measured 0.5275 (0.99 hidden)
    subject_wins = coverage(SUBJECT_GT, replace(DEFAULT_CONFIG, bystander_priority=False))
    assert subject_wins.subject_visible >= 0.85  # measured 0.945: the subject more often clear ...
    assert subject_wins.coverage < default.coverage - 0.02  # ... at the cost of bystanders (0.951)
    # without pasting the subject's own head back over people behind, they take it (face only)
    face_only = coverage(SUBJECT_GT, replace(DEFAULT_CONFIG, unveil_share=0.0))
    assert face_only.subject_visible < default.subject_visible - 0.1  # measured 0.535 (0.9945 hidden)


def test_faces_found_on_head_crops_shape_the_regions(shared_data: Path, models_dir: Path) -> None:
    video, gt_path = _paths(shared_data)
    faces = FaceDetector(models_dir / "face_centerface.onnx", threads=1)
    gt = load_mot(gt_path, (1, 40))
    found_subject = frames = 0
    for index, av_frame in iter_frames(video):
        if index >= 40:
            break
        if index % 4:
            continue
        rows = gt[gt["frame"] == index + 1]
        boxes = rows[["x", "y", "w", "h"]].to_numpy(np.float32)
        xyxy = np.c_[boxes[:, :2], boxes[:, :2] + boxes[:, 2:]]
        subject = xyxy[(rows["id"] == SUBJECT_GT).to_numpy()]
        image = to_bgr(av_frame)
        found = detect_faces(faces, image, xyxy)
        r = ExportRedactor()
        own = r.subject_faces(found, subject)
        frames += 1
        found_subject += int(own.any())
        regions = r.regions(xyxy, keep_box=subject, faces=found)
        hidden = redacted_mask(image.shape[:2], regions)
        for x1, y1, x2, y2 in found[~own]:  # every other face: mosaicked whole
            assert hidden[int(y1):int(np.ceil(y2)), int(x1):int(np.ceil(x2))].all()
    assert found_subject >= 0.7 * frames  # measured 9 of 10 (head crops; whole frames: 0.4 faces per frame)


def test_gt_box_mode_covers_everyone_but_the_subject(shared_data: Path) -> None:
    video, gt = _paths(shared_data)
    s = redaction_coverage(video, gt, (1, 30), SUBJECT_GT, detector=None)
    # measured 1.0 and 0.767: in 7 of the 30 frames GT 15 walks into the subject's head region and wins
    # it; in 29-30 its box overlaps the subject's at IoU > 0.3, which made it "the subject" (and
    # left it clear) before only near-duplicates (IoU >= 0.7) were
    assert s.coverage == 1.0, s.missed
    assert s.subject_visible >= 0.7


@pytest.fixture(scope="module")
def pets100(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    video, _ = _paths(shared_data)
    out = tmp_path_factory.mktemp("clip") / "pets100.avi"
    cap = cv2.VideoCapture(str(video))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), 7, (768, 576))
    for _ in range(N_FRAMES):
        ok, frame = cap.read()
        assert ok
        writer.write(frame)
    writer.release()
    return out


def test_exported_clip_is_redacted(settings: Settings, shared_data: Path, pets100: Path,
                                   detector: PersonDetector, tmp_path: Path) -> None:
    _, gt_path = _paths(shared_data)
    store, pipeline = open_pipeline(settings)
    xml = shared_data / "pets2009_s2l1" / "calibration" / "View_001.xml"
    register_camera(store, CameraConfig(id="pets", fps=7, calibration={"type": "tsai_xml", "path": str(xml)}))
    result = ingest_file(store, pipeline, pets100, "pets", START)
    points = store.video_points(result.video_id)
    gt = load_mot(gt_path, (1, N_FRAMES))
    tracks = subject_tracks(points, gt, SUBJECT_GT)  # the sightings a case would confirm
    subject = tracks[0]  # the longest
    frames = [f for t, f, *_ in points if t == subject]
    first, last = max(0, min(frames) - 7), min(N_FRAMES - 1, max(frames) + 7)

    regions: dict[int, Regions] = {}

    def hook(index: int, applied: Regions) -> None:
        regions[index + 1] = applied

    out = export_clip(store, track_id=subject, out=tmp_path / "ex" / "clip.mp4", subject_track_ids=set(tracks),
                      margin_s=1.0, detector=detector, on_frame=hook)
    assert out.exists() and not list(out.parent.glob(".*part"))

    decoded = [to_bgr(f) for _, f in iter_frames(out)]
    assert len(decoded) == last - first + 1
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name in ("h264", "mpeg4")

    gt_frames = list(range(first + 1, last + 2))
    s = score_regions(gt_path, regions, (576, 768), SUBJECT_GT, gt_frames)
    # measured 0.991 (frames 31-99). The subject's full-width head region is never < 10%
    # mosaicked here: GT 15 walks at its shoulder all along and wins the overlap (privacy of the
    # bystander first), so the subject is checked by its pasted-back pixels below instead.
    assert s.coverage >= 0.97, s.missed[:20]
    subject_frames = {f for t, f, *_ in points if t in tracks and first <= f <= last}
    assert all(len(regions[f + 1].clear) for f in subject_frames)

    # the pixels agree: what was mosaicked lost its detail, what was pasted back kept it
    originals = {i: to_bgr(f) for i, f in iter_frames(pets100) if first <= i <= last}
    diffs: dict[str, list[float]] = {"clear": [], "hidden": []}
    for k, image in enumerate(decoded):
        i = first + k
        applied = regions[i + 1]
        hidden = redacted_mask((576, 768), applied)
        clear = mosaic_mask((576, 768), applied.clear) & ~hidden
        delta = np.abs(image.astype(float) - originals[i]).mean(axis=2)
        if hidden.any():
            diffs["hidden"].append(float(delta[hidden].mean()))
        if clear.sum() >= 50:
            diffs["clear"].append(float(delta[clear].mean()))
    # measured 56 of 59: part of the subject's head stays clear in most frames
    assert len(diffs["clear"]) >= 0.7 * len(subject_frames)
    assert np.median(diffs["hidden"]) > 3 * np.median(diffs["clear"]), diffs  # measured 30 vs 4.6

    # the video purged or moved: a clear error, no file left behind
    with store.db.session() as session:
        session.get_one(Video, result.video_id).path = str(tmp_path / "gone.avi")
    with pytest.raises(ClipSourceMissingError, match="purged by retention or moved"):
        export_clip(store, track_id=subject, out=tmp_path / "x.mp4", subject_track_ids={subject})
    assert not (tmp_path / "x.mp4").exists()
