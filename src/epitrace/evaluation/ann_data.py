"""Synthetic sighting vectors shaped like real ones, generated chunk by chunk from a seed.

Approximate search is only meaningfully tested on data with structure: on random unit vectors
every point is about equally far from every other, so "recall" measures noise. Real embeddings
share a large common component (strangers are already similar), vary along few directions (a
power-law eigenvalue spectrum) and form one small cluster per person. This generator draws
vectors with those three properties, with parameters measured on real vectors by
`scripts/embedding_structure.py` (`structure_of`; docs/scaling.md):

- body: the body embedder (v2, 576-d) on 797 PETS S2L1 ground-truth crops of 10 people:
  strangers' mean cosine 0.457 (|mean|^2 0.483), same person 0.674, 62.5% of the variance within
  a person, spectrum slope -1.19.
- face: dlib on 60 photos of 13 people (faces/deepface_pairs): |mean|^2 0.85, 17% within a
  person. Its slope (-1.35) is resolved over 14 components only; the body's flatter -1.14 is
  used instead, which is harder for an approximate index.

A chunk holds whole persons (1 + Poisson sightings each), so a chunk can be regenerated alone:
exact search streams chunks instead of keeping every vector (10M body vectors are 74 GB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Structure:
    """How a kind of vector is distributed (see the module docstring for where numbers come from)."""

    dim: int
    mean_share: float  # |mean|^2 of the unit vectors: about the cosine of two strangers
    within_share: float  # share of the variance about the mean that is within one person
    slope: float  # eigenvalue k of the covariance is proportional to k ** -slope
    explicit: int  # leading components drawn on a random orthonormal basis; the rest is isotropic
    sightings_per_person: float = 5.0  # mean of 1 + Poisson (an assumption: ~5 cameras passed)


STRUCTURES: dict[str, Structure] = {
    # v2 body vector (576-d normalised colour), measured by scripts/embedding_structure.py; the v1
    # 1,856-d vector measured mean_share 0.54, within_share 0.64, slope 1.14.
    "body": Structure(dim=576, mean_share=0.483, within_share=0.625, slope=1.19, explicit=512),
    "face": Structure(dim=128, mean_share=0.85, within_share=0.17, slope=1.14, explicit=128),
}


@dataclass(frozen=True)
class Chunk:
    """Sightings `first .. first+len-1` (unit rows) and the global person id of each row."""

    first: int
    vectors: npt.NDArray[np.float32]
    persons: npt.NDArray[np.int64]


class SightingStream:
    """`n` sightings in chunks of `chunk_size`; any chunk is reproducible from (seed, index)."""

    def __init__(self, structure: Structure, n: int, seed: int = 11, chunk_size: int = 50_000) -> None:
        self.structure, self.n, self.seed, self.chunk_size = structure, n, seed, chunk_size
        s = structure
        rng = np.random.default_rng([seed, 0])
        mean = rng.standard_normal(s.dim)
        self.mean = (mean / np.linalg.norm(mean) * math.sqrt(s.mean_share)).astype(np.float32)
        q, _ = np.linalg.qr(rng.standard_normal((s.dim, s.explicit)))
        self.basis = np.ascontiguousarray(q.T, dtype=np.float32)  # (explicit, dim), orthonormal rows
        eig = np.arange(1, s.dim + 1, dtype=np.float64) ** -s.slope
        eig *= (1.0 - s.mean_share) / eig.sum()
        self.scale = np.sqrt(eig[: s.explicit]).astype(np.float32)
        self.tail_sigma = float(math.sqrt(eig[s.explicit:].sum() / s.dim))

    @property
    def n_chunks(self) -> int:
        """How many chunks the stream has."""
        return math.ceil(self.n / self.chunk_size)

    def _size(self, c: int) -> int:
        return min(self.chunk_size, self.n - c * self.chunk_size)

    def _persons(self, c: int) -> tuple[np.random.Generator, npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The chunk's generator (positioned after the persons), owner of each row, person latents."""
        s, m = self.structure, self._size(c)
        rng = np.random.default_rng([self.seed, c + 1])
        counts = 1 + rng.poisson(s.sightings_per_person - 1, size=m)  # enough persons for m rows
        owner = np.repeat(np.arange(m), counts)[:m]
        latent = rng.standard_normal((int(owner[-1]) + 1, s.explicit), dtype=np.float32)
        latent *= math.sqrt(1.0 - s.within_share)
        return rng, owner.astype(np.int64), latent

    def _draw(self, rng: np.random.Generator, latent: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """One sighting per row of person latents: person + within-person noise, unit length.

        The isotropic tail (components past `explicit`, ~9% of the body variance) is drawn per
        sighting only: a per-person tail would double the cost of the largest random draw.
        """
        z = rng.standard_normal(latent.shape, dtype=np.float32)
        z *= math.sqrt(self.structure.within_share)
        z += latent
        z *= self.scale
        x = z @ self.basis
        x += self.mean
        if self.tail_sigma > 0:
            noise = rng.standard_normal(x.shape, dtype=np.float32)
            noise *= self.tail_sigma
            x += noise
            del noise
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        return x

    def chunk(self, c: int) -> Chunk:
        """Chunk `c` (the same vectors on every call)."""
        rng, owner, latent = self._persons(c)
        vectors = self._draw(rng, latent[owner])
        first = c * self.chunk_size
        return Chunk(first, vectors, owner + first)  # person id = chunk start + local person number

    def fresh(self, c: int, rows: npt.NDArray[np.int64], seed: int) -> tuple[npt.NDArray[np.float32],
                                                                                npt.NDArray[np.int64]]:
        """New sightings (not in the index) of the persons owning `rows` of chunk `c`: queries."""
        _, owner, latent = self._persons(c)
        local = owner[rows]
        vectors = self._draw(np.random.default_rng([seed, c]), latent[local])
        return vectors, local + c * self.chunk_size


def sample_queries(stream: SightingStream, n: int, seed: int) -> tuple[npt.NDArray[np.float32],
                                                                       npt.NDArray[np.int64]]:
    """`n` query vectors: fresh sightings of persons already indexed, from up to 10 spread chunks.

    Chunks are exchangeable, so a few spread ones stand for all, and only they are regenerated.
    """
    rng = np.random.default_rng([seed, 1])
    picks = np.unique(np.linspace(0, stream.n_chunks - 1, min(10, stream.n_chunks)).round().astype(int))
    per = np.diff(np.linspace(0, n, len(picks) + 1).round().astype(int))
    vectors, persons = [], []
    for c, k in zip(picks, per, strict=True):
        rows = rng.choice(stream._size(int(c)), size=int(k), replace=False)
        v, p = stream.fresh(int(c), rows, seed)
        vectors.append(v)
        persons.append(p)
    return np.concatenate(vectors), np.concatenate(persons)


def structure_of(vectors: npt.NDArray[np.float32], persons: npt.NDArray[Any]) -> dict[str, float]:
    """The statistics `Structure` is set from, measured on labelled unit vectors (real or synthetic).

    Slope: a line fitted to log eigenvalue against log rank over components 2-100 (fewer for
    small samples), where the sample still resolves the spectrum.
    """
    x = np.asarray(vectors, np.float64)
    sims = x @ x.T
    same = persons[:, None] == persons[None, :]
    pairs = np.triu(np.ones_like(same), 1).astype(bool)
    mean = x.mean(axis=0)
    centred = x - mean
    eig = np.linalg.svd(centred, compute_uv=False) ** 2 / len(x)
    top = min(100, len(x) // 4)
    rank = np.arange(1, len(eig) + 1)
    slope = -np.polyfit(np.log(rank[1:top]), np.log(eig[1:top]), 1)[0]
    within = sum(((x[persons == p] - x[persons == p].mean(axis=0)) ** 2).sum() for p in np.unique(persons))
    strangers, mates = sims[pairs & ~same], sims[pairs & same]
    return {"vectors": len(x), "persons": len(np.unique(persons)), "mean_share": float(mean @ mean),
            "within_share": float(within / len(x) / eig.sum()), "slope": float(slope),
            "cosine_same_person": float(mates.mean()), "cosine_strangers": float(strangers.mean()),
            "cosine_strangers_p99": float(np.percentile(strangers, 99))}
