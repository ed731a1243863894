"""The one codec of stored vectors: float32 bytes, sealed for biometric kinds, bound to their row.

A vector is stored as its float32 bytes. Face vectors identify a person on their own, so they
are sealed (AES-GCM, `epitrace.store.sealing`) under a context string naming the row they belong
to; a sealed value copied to another row does not open. Track vectors use `"<kind>:<track id>"`,
subject query vectors `"query-<kind>:<subject id>"`. Clear rows written by older versions of a
sealed kind are still read as they are.

Example:
    >>> codec = VectorCodec(lambda: Sealer(key))  # doctest: +SKIP
    >>> blob = codec.encode(vector, kind="face", context=track_context("face", 7))  # doctest: +SKIP
    >>> codec.decode(blob, kind="face", context=track_context("face", 7))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from epitrace.store.sealing import Sealer, is_sealed
from epitrace.store.vectors import l2_normalise

SEALED_KINDS = frozenset({"face"})
"""Vector kinds sealed in SQL and indexed in memory only (never written to disk in clear)."""

Vector = npt.NDArray[np.float32]


def track_context(kind: str, track_id: int) -> str:
    """The context a track's `kind` vector is sealed under."""
    return f"{kind}:{int(track_id)}"


def query_context(kind: str, subject_id: int) -> str:
    """The context a subject's `kind` query vector is sealed under."""
    return f"query-{kind}:{int(subject_id)}"


def unit(vector: npt.ArrayLike) -> Vector:
    """One vector scaled to unit length (cosine similarity is then an inner product)."""
    return l2_normalise(np.asarray(vector, np.float32)[None])[0]


class VectorCodec:
    """Encode and decode stored vectors; the sealer is asked for only when a sealed kind is used.

    Args:
        sealer: Returns the store's sealer (raising `KeyMissingError` without a key); called
            lazily so that clear kinds never need the key.
    """

    def __init__(self, sealer: Callable[[], Sealer]) -> None:
        self._sealer = sealer

    def seal(self, vector: npt.ArrayLike, context: str) -> bytes:
        """The sealed float32 bytes of `vector`, whatever its kind."""
        return self._sealer().seal(np.asarray(vector, np.float32).tobytes(), context)

    def open(self, blob: bytes, context: str) -> Vector:
        """A vector from sealed bytes; clear bytes (older versions) are read as they are."""
        data = self._sealer().open(blob, context) if is_sealed(blob) else blob
        return np.frombuffer(data, np.float32)

    def encode(self, vector: npt.ArrayLike, *, kind: str, context: str) -> bytes:
        """The bytes to store for a `kind` vector: sealed for `SEALED_KINDS`, clear otherwise."""
        if kind in SEALED_KINDS:
            return self.seal(vector, context)
        return np.asarray(vector, np.float32).tobytes()

    def decode(self, blob: bytes, *, kind: str, context: str, normalise: bool = False) -> Vector:
        """The vector stored as `blob` (at unit length when `normalise`)."""
        vector = self.open(blob, context) if kind in SEALED_KINDS else np.frombuffer(blob, np.float32)
        return unit(vector) if normalise else vector
