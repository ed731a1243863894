"""Wall-clock time per pipeline stage, for the benchmark's breakdown."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

STAGES = ("decode", "scene", "detect", "track", "faces", "embeddings", "store")


class StageTimer:
    """Accumulates seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        """Time the block it wraps as `stage`."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - start

    def breakdown(self) -> dict[str, float]:
        """Seconds per stage, in pipeline order, every stage present."""
        return {stage: round(self.seconds.get(stage, 0.0), 4) for stage in STAGES}
