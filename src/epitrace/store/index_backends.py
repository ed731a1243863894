"""Which vector index a store uses: a small name -> factory registry ("faiss", "milvus").

Why a registry: the store asks for "the body index" and must not care whether that is a FAISS
file in `vectors_dir` (one machine, the default) or a Milvus collection shared by many workers.
`Settings.vector_backend` names the backend; an unknown name fails with the known ones listed.

Example:
    >>> config = VectorConfig(backend="milvus", vectors_dir=Path("/tmp/v"))
    >>> index = make_index(config, "body", 64)  # doctest: +SKIP  (milvus-lite at /tmp/v/milvus.db)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from epitrace.store.vectors import FaissIndex, VectorIndex

if TYPE_CHECKING:
    from epitrace.config import Settings

logger = logging.getLogger(__name__)

COLLECTION_PREFIX = "epitrace_"
"""Milvus collections are named `epitrace_<kind>`; use a Milvus database per deployment."""


@dataclass(frozen=True)
class VectorConfig:
    """Where a store's vector indices live.

    Attributes:
        backend: A registered backend name ("faiss" or "milvus").
        vectors_dir: Folder of FAISS files (and of the default milvus-lite file).
        milvus_uri: Milvus server URI or a local `.db` path; default `vectors_dir/milvus.db`.
    """

    backend: str = "faiss"
    vectors_dir: Path = Path("vectors")
    milvus_uri: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> VectorConfig:
        """The vector settings of `settings`."""
        return cls(backend=settings.vector_backend, vectors_dir=settings.vectors_dir,
                   milvus_uri=settings.milvus_uri)


IndexFactory = Callable[[VectorConfig, str, int], VectorIndex]
_BACKENDS: dict[str, IndexFactory] = {}


def register(name: str) -> Callable[[IndexFactory], IndexFactory]:
    """Register a factory `(config, kind, dim) -> VectorIndex` under `name`."""
    def wrap(factory: IndexFactory) -> IndexFactory:
        _BACKENDS[name] = factory
        return factory
    return wrap


def backends() -> list[str]:
    """Registered backend names."""
    return sorted(_BACKENDS)


@register("faiss")
def _faiss(config: VectorConfig, kind: str, dim: int) -> VectorIndex:
    return FaissIndex(config.vectors_dir / f"{kind}.faiss", dim)


@register("milvus")
def _milvus(config: VectorConfig, kind: str, dim: int) -> VectorIndex:
    from epitrace.store.milvus_index import MilvusIndex  # pymilvus is slow to import: only when used

    uri = config.milvus_uri or str(config.vectors_dir / "milvus.db")
    return MilvusIndex(uri, collection=f"{COLLECTION_PREFIX}{kind}", dim=dim)


def make_index(config: VectorConfig, kind: str, dim: int) -> VectorIndex:
    """The `kind` index ('body' or 'face') of `dim`-d vectors on the configured backend.

    Raises:
        ValueError: Unknown backend name.
    """
    try:
        factory = _BACKENDS[config.backend]
    except KeyError:
        raise ValueError(f"unknown vector backend {config.backend!r}: set EPITRACE_VECTOR_BACKEND to one of "
                         f"{', '.join(backends())}") from None
    return factory(config, kind, dim)


def index_for(store: object, kind: str, dim: int) -> VectorIndex:
    """The index of `store`'s `vector_config` (else FAISS files); kept for older callers."""
    config = getattr(store, "vector_config", None)
    if config is None:
        config = VectorConfig(vectors_dir=store.vectors_dir)  # type: ignore[attr-defined]
    return make_index(config, kind, dim)
