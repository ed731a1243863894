"""Per-camera multi-object tracking and tracklet assembly."""

from epitrace.tracking.cleave import cleave
from epitrace.tracking.crossing import CrossingRepair, make_crossing_repair
from epitrace.tracking.signature import colour_signature
from epitrace.tracking.tracker import Tracker, TrackerConfig, make_tracker
from epitrace.tracking.tracklets import Sample, Tracklet, TrackletBuilder, head_region

__all__ = [
    "cleave",
    "CrossingRepair",
    "make_crossing_repair",
    "colour_signature",
    "Sample",
    "Tracker",
    "TrackerConfig",
    "Tracklet",
    "TrackletBuilder",
    "head_region",
    "make_tracker",
]
