"""Privacy: redaction (mosaic all but the subject), audit log, users and roles.

Consent is enforced in `epitrace.tracing.enrol.require_face_consent`.
"""

from epitrace.privacy.audit import ACTIONS, AuditEntry, VerifyResult, entries, record, verify
from epitrace.privacy.redact import head_boxes, mosaic, redact_frame, redact_person_crop
from epitrace.privacy.retention import PurgeReport, PurgeStat, purge
from epitrace.privacy.sessions import create_session, revoke_session, user_for_token
from epitrace.privacy.unmask import is_unmasked, unmask_contact, unmasked_tracks
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
    "create_session",
    "disable_user",
    "entries",
    "head_boxes",
    "is_unmasked",
    "list_users",
    "mosaic",
    "purge",
    "record",
    "redact_frame",
    "redact_person_crop",
    "require_case_access",
    "require_role",
    "revoke_session",
    "unmask_contact",
    "unmasked_tracks",
    "user_for_token",
    "verify",
]
