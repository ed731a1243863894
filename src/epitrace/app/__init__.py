"""The application layer: the use cases the CLI, the API and the web pages all call.

A front end parses its input, opens `Services` once, gets the acting user (`acting_user`),
opens a case (`open_case`) and calls a use case with the `CaseSession`; it formats the value it
gets back and maps errors through `kind_of`. Every rule (role, case scope, consent, audit) is
applied here or below, never in a front end.
"""

from epitrace.app.actors import ADMIN, AUDIT_READERS, STAFF, acting_user, log_in, log_out, require, save_private
from epitrace.app.case_session import CaseSession, SubjectView, open_case, reload
from epitrace.app.case_setup import (
    ALL_CAMERAS,
    APPROVERS,
    CaseRequest,
    add_subject,
    approve_case,
    case_cameras,
    close_case,
    create_case,
    subject_for,
    view_case,
    visible_cases,
    withdraw_face_consent,
)
from epitrace.app.errors import AppError, ErrorKind, NotAvailable, OutOfScope, TooLarge, kind_of
from epitrace.app.evidence import (
    ContactRow,
    contacts,
    export_clip,
    export_contacts,
    frame_image,
    picker_frame,
    sightings,
    thumbnail,
    unmask,
    unmask_subject,
    write_report,
)
from epitrace.app.photos import decode_photo
from epitrace.app.services import Services
from epitrace.app.subject_search import SubjectCandidates, decide, enrol_by_photo, enrol_by_sighting, route, search
from epitrace.app.text_rules import check_text

__all__ = [
    "ALL_CAMERAS",
    "APPROVERS",
    "approve_case",
    "check_text",
    "close_case",
    "ADMIN",
    "AUDIT_READERS",
    "STAFF",
    "AppError",
    "CaseRequest",
    "CaseSession",
    "ContactRow",
    "ErrorKind",
    "NotAvailable",
    "OutOfScope",
    "Services",
    "SubjectCandidates",
    "SubjectView",
    "TooLarge",
    "acting_user",
    "add_subject",
    "case_cameras",
    "contacts",
    "export_contacts",
    "create_case",
    "decide",
    "decode_photo",
    "enrol_by_photo",
    "enrol_by_sighting",
    "export_clip",
    "frame_image",
    "kind_of",
    "log_in",
    "log_out",
    "open_case",
    "picker_frame",
    "reload",
    "require",
    "route",
    "save_private",
    "search",
    "sightings",
    "subject_for",
    "thumbnail",
    "unmask",
    "unmask_subject",
    "view_case",
    "visible_cases",
    "write_report",
    "withdraw_face_consent",
]
