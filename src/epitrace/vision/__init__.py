"""Pure functions and model wrappers on frames: persons, faces, embeddings, masks."""

from epitrace.vision.types import Detections

__all__ = ["Detections"]
