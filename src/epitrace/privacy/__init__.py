"""Privacy: redaction (mosaic all but the subject), consent, retention, audit."""

from epitrace.privacy.redact import head_boxes, mosaic, redact_frame, redact_person_crop

__all__ = ["head_boxes", "mosaic", "redact_frame", "redact_person_crop"]
