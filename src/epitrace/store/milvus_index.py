"""Milvus vector index: the scale-out twin of `FaissIndex`, behind the same `VectorIndex`.

Why Milvus: a FAISS file lives in one process's memory; a Milvus server is shared by every
ingest worker and API process and grows past one machine's RAM. A local path ending in `.db`
runs milvus-lite in this process (tests, single machine); `http://host:19530` (optionally
`https://user:password@host:19530/database`) talks to a Milvus server or cluster.

One collection per vector kind (`epitrace_body`, `epitrace_face`): an int64 primary key (the
track id) and a FLOAT_VECTOR, with an exact FLAT index on inner product. Vectors are
L2-normalised on the way in, so scores are cosine similarities, as with FAISS. Like the FAISS
file, the collection is a cache of the SQL `track_vectors` rows, rebuilt from them on mismatch.

milvus-lite 3 is pure Python: fine for tests and small sites, not for volume (20,000 512-d rows
on 2 cores: ~15 s to insert, ~0.4-1 s for 10 searches, ~2 s to list ids; FAISS: 0.2 s, 0.1 s, 0 s).

Example:
    >>> index = MilvusIndex("/tmp/vectors/milvus.db", collection="epitrace_body", dim=64)  # doctest: +SKIP
    >>> index.add(np.array([7]), vectors)  # doctest: +SKIP
    >>> scores, ids = index.search(vectors[:1], k=5, allowed_ids=np.array([7, 9]))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from epitrace.store.private_files import private_dir
from epitrace.store.vectors import VectorIndex, l2_normalise

logger = logging.getLogger(__name__)

MAX_TOPK = 16384
"""Milvus refuses larger `limit`s; deeper results are padded with -1 as FAISS pads."""
BATCH = 2000
"""Rows per insert/delete request (2000 x 512 floats is 4 MB, well under gRPC's limit)."""
FILL_SCORE = np.finfo(np.float32).min
"""Score of a missing result (what FAISS returns for inner product)."""
URI_HELP = ("set EPITRACE_MILVUS_URI to http://host:19530 (a Milvus server) or to a local file path "
            "ending in .db (milvus-lite in this process)")


class MilvusUnavailableError(RuntimeError):
    """The Milvus URI is malformed, unreachable, or its local file is locked by another process."""


def lite_path(uri: str) -> Path | None:
    """The local milvus-lite file of `uri`, or None for a server URI.

    Raises:
        MilvusUnavailableError: Neither a server URI nor a path ending in `.db`.
    """
    if uri.startswith(("http://", "https://", "tcp://", "unix:")):
        return None
    if not uri.endswith(".db"):
        raise MilvusUnavailableError(f"Milvus URI {uri!r} is neither a server URI nor a .db file: {URI_HELP}")
    return Path(uri).expanduser()


def connect(uri: str, timeout_s: float = 10.0) -> Any:
    """A `MilvusClient` for `uri`; milvus-lite's folder is created first.

    Raises:
        MilvusUnavailableError: With what to check, instead of pymilvus' bare exceptions.
    """
    try:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the milvus vector backend needs pymilvus: "
                          "pip install 'pymilvus==3.0.2' 'milvus-lite==3.2.2'") from exc
    path = lite_path(uri)
    if path is not None:
        private_dir(path.parent)
        uri = str(path)
    try:
        return MilvusClient(uri=uri, timeout=timeout_s)
    except MilvusException as exc:
        what = "open the milvus-lite file (is another process using it?)" if path else "reach the Milvus server"
        raise MilvusUnavailableError(f"cannot {what} at {uri}: {exc.message or exc}; {URI_HELP}") from exc


class MilvusIndex(VectorIndex):
    """Exact inner-product search in one Milvus collection, keyed by int64 track ids.

    Args:
        uri: Server URI or local `.db` path (see module doc).
        collection: Collection name; created on first use.
        dim: Vector dimension; an existing collection of another dimension is an error.
        client: An open `MilvusClient` to share (else one is made from `uri`).
    """

    def __init__(self, uri: str, *, collection: str, dim: int, client: Any = None) -> None:
        self.uri = uri
        self.collection = collection
        self.dim = dim
        self._client = client if client is not None else connect(uri)
        self._lite = lite_path(uri) is not None
        if self._client.has_collection(collection):
            stored = self._stored_dim()
            if stored != dim:
                raise ValueError(f"Milvus collection {collection!r} at {uri} holds {stored}-d vectors, "
                                 f"expected {dim}: drop it or point EPITRACE_MILVUS_URI elsewhere")
        else:
            self._create()
        self._client.load_collection(collection)

    def _create(self) -> None:
        from pymilvus import DataType

        schema = self._client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        params = self._client.prepare_index_params()
        params.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        # Strong: a search right after an insert or delete sees it, as with FAISS.
        self._client.create_collection(self.collection, schema=schema, index_params=params,
                                       consistency_level="Strong")
        logger.info("created Milvus collection %s (%d-d, FLAT/IP) at %s", self.collection, self.dim, self.uri)

    def _stored_dim(self) -> int:
        fields = self._client.describe_collection(self.collection)["fields"]
        return int(next(f["params"]["dim"] for f in fields if f["name"] == "vector"))

    def add(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Insert (or replace: ids are primary keys) unit-length copies of `vectors`."""
        if len(ids) == 0:
            return
        vectors = self._unit_rows(ids, vectors)
        ids = np.asarray(ids, np.int64)
        for start in range(0, len(ids), BATCH):
            rows = [{"id": int(i), "vector": v}  # ndarray rows: ~1.5x faster than lists to encode
                    for i, v in zip(ids[start:start + BATCH], vectors[start:start + BATCH], strict=True)]
            self._client.upsert(self.collection, rows)

    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        """Delete the rows of `ids` (unknown ids are ignored)."""
        ids = np.asarray(ids, np.int64)
        for start in range(0, len(ids), BATCH):
            self._client.delete(self.collection, ids=[int(i) for i in ids[start:start + BATCH]])

    def search(
        self,
        queries: npt.NDArray[np.float32],
        k: int,
        allowed_ids: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-k (scores, ids) per query row; ids are -1 (score float32 min) where fewer exist.

        `allowed_ids` becomes a primary-key filter (`id in [...]`) evaluated inside Milvus.
        """
        queries = l2_normalise(np.atleast_2d(queries))
        scores = np.full((len(queries), k), FILL_SCORE, np.float32)
        found = np.full((len(queries), k), -1, np.int64)
        if k <= 0 or len(queries) == 0 or (allowed_ids is not None and len(allowed_ids) == 0):
            if allowed_ids is not None:
                scores[:] = 0.0  # as FaissIndex answers an empty scope
            return scores, found
        expr = "" if allowed_ids is None else f"id in [{','.join(map(str, np.asarray(allowed_ids, np.int64)))}]"
        hits = self._client.search(self.collection, data=[q.tolist() for q in queries],
                                   limit=min(k, MAX_TOPK), filter=expr, output_fields=["id"],
                                   search_params={"metric_type": "IP"}, anns_field="vector")
        for row, row_hits in enumerate(hits):
            for col, hit in enumerate(row_hits):
                found[row, col], scores[row, col] = int(hit["id"]), float(hit["distance"])
        return scores, found

    def ids(self) -> npt.NDArray[np.int64]:
        """Every stored id (a full scan of the primary keys, in batches)."""
        iterator = self._client.query_iterator(self.collection, batch_size=MAX_TOPK, filter="",
                                               output_fields=["id"])
        out: list[int] = []
        try:
            while batch := iterator.next():
                out.extend(int(r["id"]) for r in batch)
        finally:
            iterator.close()
        return np.array(out, np.int64)

    def __len__(self) -> int:
        rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def save(self) -> None:
        """Make writes searchable fast: flush on milvus-lite, nothing on a server.

        milvus-lite: a flush moves new rows into indexed segments (searches of 20,000 512-d rows:
        4.5 s before, 0.3-0.6 s after). A server: every acknowledged write is durable there and it
        seals segments itself (frequent flushes are rate-limited).
        """
        if self._lite:
            self._client.flush(self.collection)

    def close(self) -> None:
        """Release the connection (milvus-lite's in-process server stays until exit)."""
        self._client.close()
