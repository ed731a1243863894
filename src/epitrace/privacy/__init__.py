"""Privacy: redaction (mosaic all but the subject), audit log, users and roles.

Consent is enforced in `epitrace.tracing.enrol.require_face_consent`.
"""

from epitrace.privacy.audit import ACTIONS, AuditEntry, VerifyResult, entries, record, verify
from epitrace.privacy.redact import head_boxes, mosaic, redact_frame, redact_person_crop
from epitrace.privacy.retention import PurgeReport, PurgeStat, purge
from epitrace.privacy.users import (
    ROLES,
    AccessDenied,
    AuthError,
    CaseAssignment,
    UnknownUserError,
    User,
    add_user,
    assign,
    authenticate,
    disable_user,
    list_users,
    require_case_access,
    require_role,
)

__all__ = [
    "ACTIONS",
    "ROLES",
    "PurgeReport",
    "PurgeStat",
    "AccessDenied",
    "AuditEntry",
    "AuthError",
    "CaseAssignment",
    "UnknownUserError",
    "User",
    "VerifyResult",
    "add_user",
    "assign",
    "authenticate",
    "disable_user",
    "entries",
    "head_boxes",
    "list_users",
    "mosaic",
    "purge",
    "record",
    "redact_frame",
    "redact_person_crop",
    "require_case_access",
    "require_role",
    "verify",
]
