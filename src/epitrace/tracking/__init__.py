"""Per-camera multi-object tracking and tracklet assembly."""

from epitrace.tracking.tracker import Tracker, TrackerConfig, make_tracker
from epitrace.tracking.tracklets import Sample, Tracklet, TrackletBuilder, head_region

__all__ = [
    "Sample",
    "Tracker",
    "TrackerConfig",
    "Tracklet",
    "TrackletBuilder",
    "head_region",
    "make_tracker",
]
