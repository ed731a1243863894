"""FAR and TAR per face band (match / review) on photo pairs, clean and CCTV-degraded, and on video.

Photo pairs: the first photo of a pair plays the enrolment photo (clean, as a patient's family
would give it), the second the face a camera saw: clean, or degraded to each level of
`evaluation.face_degrade` and passed through ingest's own face sampling (head crop upscaled,
detected, quality scored). Both orders of a pair are used for degraded levels. With identities,
tracks of several degraded photos are scored by their template, as ingest stores them. Video: faces of
PETS S2.L1 frames 1-400 by ground-truth id (`evaluation.face_video`), judged by the worse face.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.evaluation.face_degrade import LEVELS, Degradation, degrade, head_crop
from epitrace.evaluation.face_video import VideoFace
from epitrace.tracing.face_bands import BandConfig, FaceEvidence, face_band
from epitrace.vision.face_embed import FaceEmbedder
from epitrace.vision.face_quality import FaceQuality, face_quality, observe_face, template
from epitrace.vision.faces import FaceDetector

logger = logging.getLogger(__name__)

Sample = tuple[npt.NDArray[np.float32], FaceQuality]
"""A face vector and the quality of the face it came from."""


@dataclass(frozen=True)
class BandRow:
    """Rates of one condition. FAR/TAR count a pair in a band when its face lands there.

    `tar_any` is match or review (the share an investigator gets to see); `no_face` counts
    probes where no face was found (counted as not accepted in the TARs, left out of the FARs).
    """

    condition: str
    same_pairs: int
    different_pairs: int
    no_face: int
    far_match: float
    tar_match: float
    far_review: float
    tar_review: float
    tar_any: float
    false_matches: int

    def as_dict(self) -> dict[str, float | int | str]:
        """Plain values for JSON output."""
        return asdict(self)


def photo_samples(paths: list[Path], detector: FaceDetector, embedder: FaceEmbedder,
                  levels: tuple[Degradation, ...] = LEVELS) -> dict[tuple[str, str], Sample | None]:
    """(level name or "clean", photo name) -> vector and quality of its largest face (None: none found).

    Raises:
        ValueError: a photo cannot be read.
    """
    out: dict[tuple[str, str], Sample | None] = {}
    for path in paths:
        read = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if read is None:
            raise ValueError(f"cannot read image {path}")
        image = np.asarray(read, np.uint8)
        faces = detector.detect(image, 0.5)
        if len(faces) == 0:
            logger.warning("no face in %s", path)
            for name in ("clean", *(lv.name for lv in levels)):
                out[(name, path.name)] = None
            continue
        areas = (faces.xyxy[:, 2] - faces.xyxy[:, 0]) * (faces.xyxy[:, 3] - faces.xyxy[:, 1])
        k = int(np.argmax(areas))
        box = faces.xyxy[k]
        q = face_quality(image, box, faces.data["landmarks"][k], float(faces.confidence[k]))
        out[("clean", path.name)] = (embedder.embed(image, box), q)
        for lv in levels:
            small, small_box = degrade(image, box, lv)
            obs = observe_face(head_crop(small, small_box), detector)
            out[(lv.name, path.name)] = None if obs is None else (embedder.embed(obs.image, obs.box), obs.quality)
    return out


def _row(condition: str, judged: list[tuple[str, bool]], no_face: int, n_same: int) -> BandRow:
    """Rates from (band, same) of every judged pair; `n_same` includes probes without a face."""
    same = np.array([s for _, s in judged], bool)
    bands = np.array([b for b, _ in judged])
    diff = max(int((~same).sum()), 1)
    pos = max(n_same, 1)

    def rate(band: str, on_same: bool) -> float:
        return float(np.sum((bands == band) & (same == on_same)) / (pos if on_same else diff))

    return BandRow(condition, n_same, int((~same).sum()), no_face, rate("match", False), rate("match", True),
                   rate("review", False), rate("review", True),
                   rate("match", True) + rate("review", True), int(np.sum((bands == "match") & ~same)))


def photo_band_rows(pairs: list[tuple[str, str, bool]], samples: dict[tuple[str, str], Sample | None],
                    config: BandConfig, levels: tuple[str, ...]) -> list[BandRow]:
    """One row per condition ("clean" and each level) of band rates on labelled photo pairs."""
    rows = []
    for name in levels:
        orders = ((0, 1),) if name == "clean" else ((0, 1), (1, 0))
        judged: list[tuple[str, bool]] = []
        no_face = n_same = 0
        for a, b, same in pairs:
            for i, j in orders:
                enrol, probe = samples.get(("clean", (a, b)[i])), samples.get((name, (a, b)[j]))
                if enrol is None:
                    continue
                n_same += same
                if probe is None:
                    no_face += 1
                    continue
                q = probe[1]
                verdict = face_band(FaceEvidence(float(enrol[0] @ probe[0]), q.size_px, q.value, q.frontal), config)
                judged.append((verdict.band, same))
        rows.append(_row(name, judged, no_face, n_same))
    return rows


def track_band_rows(identity: dict[str, str], samples: dict[tuple[str, str], Sample | None], config: BandConfig,
                    levels: tuple[str, ...], k: int = 3) -> list[BandRow]:
    """Band rates of tracks made of `k` degraded photos of one identity, as ingest builds them.

    Each identity's photos (sorted by name) are cut into tracks of `k`; a track's vector is the
    quality-weighted template of its faces and its quality that of its best face. Every clean
    photo outside a track is an enrolment photo: same identity or not.
    """
    people: dict[str, list[str]] = {}
    for name, who in sorted(identity.items()):
        people.setdefault(who, []).append(name)
    tracks = [(who, names[i:i + k]) for who, names in people.items() for i in range(0, len(names) - k + 1, k)]
    rows = []
    for lv in levels:
        judged: list[tuple[str, bool]] = []
        no_face = n_same = 0
        for who, members in tracks:
            faces = [s for s in (samples.get((lv, m)) for m in members) if s is not None]
            vector = template([v for v, _ in faces], [q.value for _, q in faces]) if faces else None
            q = max((q for _, q in faces), key=lambda x: x.value) if faces else None
            for name, other in identity.items():
                enrol = samples.get(("clean", name))
                if name in members or enrol is None:
                    continue
                same = other == who
                n_same += same
                if vector is None or q is None:
                    no_face += 1
                    continue
                evidence = FaceEvidence(float(enrol[0] @ vector), q.size_px, q.value, q.frontal)
                judged.append((face_band(evidence, config).band, same))
        rows.append(_row(f"track of {k} {lv}", judged, no_face, n_same))
    return rows


def video_band_row(faces: list[VideoFace], config: BandConfig, min_gap: int = 20,
                   condition: str = "video") -> BandRow:
    """Band rates of face pairs from video, each judged by the worse of its two faces.

    Same-person pairs closer than `min_gap` frames are left out (near-identical frames).
    """
    judged: list[tuple[str, bool]] = []
    for i, a in enumerate(faces):
        for b in faces[i + 1:]:
            same = a.person == b.person
            if same and abs(a.frame - b.frame) < min_gap:
                continue
            qa, qb = a.quality, b.quality
            evidence = FaceEvidence(float(a.vector @ b.vector), min(qa.size_px, qb.size_px),
                                    min(qa.value, qb.value), min(qa.frontal, qb.frontal))
            judged.append((face_band(evidence, config).band, same))
    return _row(condition, judged, 0, sum(s for _, s in judged))


def format_rows(rows: list[BandRow]) -> str:
    """A plain-text table of band rates (percentages)."""
    head = (f"{'condition':<22}{'same':>6}{'diff':>7}{'noface':>7}{'FAR match':>10}{'TAR match':>10}"
            f"{'FAR review':>11}{'TAR review':>11}{'TAR m+r':>9}")
    lines = [head]
    for r in rows:
        lines.append(f"{r.condition:<22}{r.same_pairs:>6}{r.different_pairs:>7}{r.no_face:>7}"
                     f"{100 * r.far_match:>9.2f}%{100 * r.tar_match:>9.1f}%{100 * r.far_review:>10.2f}%"
                     f"{100 * r.tar_review:>10.1f}%{100 * r.tar_any:>8.1f}%")
    return "\n".join(lines)
