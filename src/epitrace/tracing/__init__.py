"""Case tracing: cases and subjects, enrolment, search with confirm/reject, trajectories."""

from epitrace.tracing.cases import CaseRuleError, add_subject, default_window, new_case, withdraw_face_consent
from epitrace.tracing.decide import confirm, reject, trace_case
from epitrace.tracing.enrol import ConsentError, enrol_photo, enrol_track, require_face_consent
from epitrace.tracing.search import Candidate, search_subject, search_subjects
from epitrace.tracing.spacetime import SpeedBound, feasible, haversine_m
from epitrace.tracing.trajectory import Visit, trajectory

__all__ = [
    "Candidate",
    "CaseRuleError",
    "ConsentError",
    "SpeedBound",
    "Visit",
    "add_subject",
    "confirm",
    "default_window",
    "enrol_photo",
    "enrol_track",
    "feasible",
    "haversine_m",
    "new_case",
    "reject",
    "require_face_consent",
    "search_subject",
    "search_subjects",
    "trace_case",
    "trajectory",
    "withdraw_face_consent",
]
