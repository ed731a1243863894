"""Person re-identification: rank-1 accuracy and mean average precision on query/gallery crops.

The crops folder holds `query/` and `gallery/` JPEGs whose file-name prefix before the first
'_' is the identity (Market-1501 style, e.g. `0011_c1_f000069.jpg`). Every query is ranked
against the whole gallery by cosine similarity of L2-normalised embeddings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.evaluation.camera_shift import apply_shift

logger = logging.getLogger(__name__)

EmbedCrops = Callable[..., npt.NDArray[np.float32]]
"""Maps a list of BGR crops (and, with `by_camera`, a `camera=` name) to (n, D) unit vectors."""


@dataclass(frozen=True)
class ReidResult:
    """Ranking quality of one embedding on one query/gallery split."""

    queries: int
    gallery: int
    rank1: float
    mean_ap: float
    track_rank1: float = float("nan")
    """Rank-1 against one mean vector per gallery identity (a track's aggregated vector)."""
    shift: str = "none"


def load_crops(folder: Path) -> tuple[list[npt.NDArray[np.uint8]], npt.NDArray[np.str_]]:
    """BGR crops of a folder, sorted by name, and their identities (file-name prefix)."""
    paths = sorted(folder.glob("*.jpg")) + sorted(folder.glob("*.png"))
    crops = []
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"cannot read {path}")
        crops.append(np.asarray(image, np.uint8))
    return crops, np.array([p.name.split("_")[0] for p in paths])


def rank_metrics(
    query: npt.NDArray[np.float32],
    query_ids: npt.NDArray[np.str_],
    gallery: npt.NDArray[np.float32],
    gallery_ids: npt.NDArray[np.str_],
) -> tuple[float, float]:
    """(rank-1, mAP) of queries (q, D) against a gallery (g, D), both L2-normalised.

    Queries whose identity is absent from the gallery are skipped (no AP is defined).
    """
    similarity = query @ gallery.T
    hits, aps = [], []
    for i in range(len(query)):
        order = np.argsort(-similarity[i], kind="stable")
        relevant = gallery_ids[order] == query_ids[i]
        if not relevant.any():
            continue
        hits.append(bool(relevant[0]))
        ranks = np.flatnonzero(relevant) + 1
        aps.append(float(np.mean(np.arange(1, len(ranks) + 1) / ranks)))
    return float(np.mean(hits)), float(np.mean(aps))


def track_rank1(
    query: npt.NDArray[np.float32],
    query_ids: npt.NDArray[np.str_],
    gallery: npt.NDArray[np.float32],
    gallery_ids: npt.NDArray[np.str_],
) -> float:
    """Rank-1 of queries against each gallery identity's mean vector (track-level aggregation)."""
    ids = np.unique(gallery_ids)
    means = np.stack([gallery[gallery_ids == i].mean(axis=0) for i in ids])
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)
    return rank_metrics(query, query_ids, means.astype(np.float32), ids)[0]


def embed_as_camera(embed_crops: EmbedCrops, crops: list[npt.NDArray[np.uint8]], camera: str,
                    seed: int = 0) -> npt.NDArray[np.float32]:
    """Vectors of crops embedded one at a time, in a shuffled order, as one camera's ingest sees them.

    A camera-referenced embedder learns the camera's colour as crops arrive, so the order
    matters; a fixed shuffle stands in for people arriving in no particular order.
    """
    order = np.random.default_rng(seed).permutation(len(crops))
    out: list[npt.NDArray[np.float32]] = [np.empty(0, np.float32)] * len(crops)
    for i in order:
        out[int(i)] = np.asarray(embed_crops([crops[int(i)]], camera=camera), np.float32)[0]
    return np.stack(out) if out else np.empty((0, 0), np.float32)


def evaluate_reid(crops_dir: Path | None, embed_crops: EmbedCrops, query_dir: Path | None = None,
                  gallery_dir: Path | None = None, shift: str = "none", by_camera: bool = False) -> ReidResult:
    """Rank-1 and mAP of `embed_crops` on `crops_dir/query` against `crops_dir/gallery`.

    Args:
        crops_dir: folder with `query/` and `gallery/`.
        embed_crops: maps a list of BGR crops to (n, D) L2-normalised vectors, e.g.
            `BodyEmbedder(...).embed_crops`.
        query_dir: the query crops, instead of `crops_dir/query`.
        gallery_dir: the gallery crops, instead of `crops_dir/gallery`.
        shift: a simulated camera difference applied to the gallery (a key of
            `epitrace.evaluation.camera_shift.SHIFTS`), as if a second camera saw it.
        by_camera: embed the query and the gallery as two cameras (`embed_as_camera`), as
            ingest does; otherwise each list in one call with no camera.

    Example:
        >>> evaluate_reid(data / "reid/pets09_s2l1_crops", embedder.embed_crops)  # doctest: +SKIP
        ReidResult(queries=45, gallery=41, rank1=..., mean_ap=...)
    """
    query_dir = query_dir or Path(str(crops_dir)) / "query"
    gallery_dir = gallery_dir or Path(str(crops_dir)) / "gallery"
    q_crops, q_ids = load_crops(query_dir)
    g_crops, g_ids = load_crops(gallery_dir)
    g_crops = apply_shift(shift, g_crops)
    if by_camera:
        q, g = embed_as_camera(embed_crops, q_crops, "query"), embed_as_camera(embed_crops, g_crops, "gallery")
    else:
        q = np.asarray(embed_crops(q_crops), np.float32)
        g = np.asarray(embed_crops(g_crops), np.float32)
    rank1, mean_ap = rank_metrics(q, q_ids, g, g_ids)
    logger.info("re-ID on %s (gallery shift %s): rank-1 %.3f, mAP %.3f", query_dir, shift, rank1, mean_ap)
    return ReidResult(queries=len(q), gallery=len(g), rank1=rank1, mean_ap=mean_ap,
                      track_rank1=track_rank1(q, q_ids, g, g_ids), shift=shift)
