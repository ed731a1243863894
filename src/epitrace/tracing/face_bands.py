"""Face score bands: `match`, `review` ("possible", with the reason) or `none`.

One fixed cosine cannot serve both studio photos and CCTV faces: a true face of 20-40 px scores
lower than the same face in a photo, while different people's faces of that size do not score
higher. So the match threshold stays where no false accept was seen on any deepface pair, clean
or degraded, and a face below it but above a review floor is shown as "possible", with a floor
that is lower for low-quality faces. Faces too small to carry identity (PETS heads of 3-9 px
score 0.98 against strangers) are not compared at all. Values: `config.TracingConfig`;
calibration: `epitrace eval faces --bands` (evaluation.face_band_eval).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from epitrace.phrases import Phrase, Words, phrase, words

Band = Literal["match", "review", "none"]


class BandConfig(Protocol):
    """The face band settings (`config.TracingConfig` has them)."""

    face_threshold: float
    face_review_threshold: float
    face_review_low_quality: float
    face_low_quality: float
    face_match_min_px: float
    face_review_min_px: float


@dataclass(frozen=True)
class FaceEvidence:
    """What is known of a candidate's face sample: cosine to the subject and the face's quality.

    `size_px` 0 means unknown (a track stored before face quality was kept).
    """

    cosine: float
    size_px: float = 0.0
    quality: float = 0.0
    frontal: float = 1.0


@dataclass(frozen=True)
class FaceVerdict:
    """The band of one face score and the reason an investigator is shown."""

    band: Band
    why: Words  # the reason in phrases a front end can translate
    threshold: float  # the threshold the band was judged against

    @property
    def reason(self) -> str:
        """The reason in English ("face 0.880, below match 0.935, small face 24 px")."""
        return str(self.why)


FACE_PHRASES: tuple[str, ...] = (
    "face {score}", "face size unknown (stored before face quality): check by eye",
    "face {size} px is too small to compare (under {min} px)", "face {score} >= match {threshold}",
    "face {score}, below match {threshold}", "face {score}, below review {floor}",
    "face {score} but a face under {min} px cannot match",
    "small face {size} px", "turned face", "blurred or unsure face (quality {quality})",
)
"""Every template a face reason is made of (the web catalogs translate each one)."""


SMALL_PX = 40.0
"""Faces under this are called "small" in a reason (wording only; the quality value decides)."""
TURNED = 0.6
"""Frontalness under this is called "turned" in a reason (wording only)."""


def _weakness(e: FaceEvidence) -> list[Phrase]:
    """Why a face is low quality ("small face 24 px", "turned face")."""
    why = []
    if e.size_px < SMALL_PX:
        why.append(phrase("small face {size} px", size=f"{e.size_px:.0f}"))
    if e.frontal < TURNED:
        why.append(phrase("turned face"))
    if not why:
        why.append(phrase("blurred or unsure face (quality {quality})", quality=f"{e.quality:.2f}"))
    return why


def usable_face(size_px: float, min_px: float) -> bool:
    """Whether a stored face may serve as a search query: at least `min_px`, or of unknown size.

    A 6-px CCTV face scores high against anyone's small face, so it must not become a query.
    """
    return size_px <= 0 or size_px >= min_px


def face_band(e: FaceEvidence, config: BandConfig) -> FaceVerdict:
    """The band of a face cosine given the face's quality.

    Rules: under `face_review_min_px` a face is not compared; a match needs the cosine at or
    above `face_threshold` and a face of at least `face_match_min_px` with a known size; the
    review floor is `face_review_low_quality` for low-quality faces, `face_review_threshold`
    otherwise.
    """
    c, match_t = e.cosine, config.face_threshold
    score = f"{c:.3f}"
    if e.size_px <= 0:
        floor = config.face_review_low_quality
        if c >= floor:
            return FaceVerdict("review", words(phrase("face {score}", score=score), phrase(
                "face size unknown (stored before face quality): check by eye")), match_t)
        return FaceVerdict("none", words(phrase("face {score}, below review {floor}", score=score,
                                                floor=f"{floor:.3f}")), floor)
    if e.size_px < config.face_review_min_px:
        return FaceVerdict("none", words(phrase("face {size} px is too small to compare (under {min} px)",
                                                size=f"{e.size_px:.0f}", min=f"{config.face_review_min_px:.0f}")),
                           match_t)
    low = e.quality < config.face_low_quality
    weak = _weakness(e) if low else []
    if c >= match_t and e.size_px >= config.face_match_min_px:
        return FaceVerdict("match", words(phrase("face {score} >= match {threshold}", score=score,
                                                 threshold=f"{match_t:.3f}"), weak), match_t)
    floor = config.face_review_low_quality if low else config.face_review_threshold
    if c >= floor:
        if c >= match_t:
            first = phrase("face {score} but a face under {min} px cannot match", score=score,
                           min=f"{config.face_match_min_px:.0f}")
        else:
            first = phrase("face {score}, below match {threshold}", score=score, threshold=f"{match_t:.3f}")
        return FaceVerdict("review", words(first, weak), match_t)
    return FaceVerdict("none", words(phrase("face {score}, below review {floor}", score=score,
                                            floor=f"{floor:.3f}"), weak), floor)
