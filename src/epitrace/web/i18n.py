"""The web app's languages: English (the source strings) and Korean (a gettext catalog).

The catalogs are plain `.po` files, read with Babel at start-up (no compiled `.mo` in the
repository). A page's language is the user's choice (a cookie set by /lang) or else the best
match of the browser's Accept-Language. Scripts never carry their own text: each page embeds
the translations of the messages in `SCRIPT_MESSAGES` as JSON, and `ET.t` reads them there.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from epitrace.contacts.risk import REASONS
from epitrace.reports.i18n import po_translations, report_translations
from epitrace.tracing.describe import EXPLAIN_PHRASES
from epitrace.tracing.face_bands import FACE_PHRASES
from epitrace.vision.attributes import PALETTE

LOCALES = ("en", "ko")
DEFAULT = "en"
COOKIE = "epitrace_lang"
CATALOGS = Path(__file__).parent / "locale"

STATUS_WORDS: tuple[str, ...] = (
    "The request was refused: check what you entered.", "Your session has ended: log in again.",
    "Not allowed for your account: ask an administrator if you need it.", "Not found: it may have been removed.",
    "Not possible under the case's rules.", "No longer kept (removed by the retention period).",
    "Too large for this server.", "Too many attempts: wait a moment and try again.",
    "Server error: try again, or tell the administrator.",
)
"""app.js's STATUS_WORDS (what an HTTP refusal means to a reader), each listed once."""

AUDIT_ACTIONS: tuple[str, ...] = (
    "login", "login_failed", "login_locked", "case_new", "case_approve", "case_close", "assign", "subject_add",
    "enrol", "search", "confirm", "reject", "undo_decision", "view", "export", "unmask", "deny", "camera_put",
    "user_add", "user_disable", "user_enable", "ingest_start", "ingest_end", "ingest_interrupted", "purge",
    "ingest_cancel", "consent_withdraw", "audit_read",
)
"""The audit log's action codes, which the audit page names in the reader's words (English: the code)."""

SCRIPT_MESSAGES: tuple[str, ...] = (
    # app.js / shared
    "Log out", "network error during upload", "not logged in", "Wrong user name or password.",
    # case.js
    "Case", "Legal basis", "Window", "Cameras", "Status", "Opened by", "all", "enrolled", "not enrolled",
    "confirmed", "rejected", "face consent", "subject", "(add a subject first)", "subject added",
    "withdraw face-matching consent? Their face data is deleted; this cannot be undone.",
    "face consent withdrawn: traced by silhouette and clothing only",
    "Choose a camera.", "people", "add a subject first", "sighting enrolled: now search", "choose a photo",
    "photo enrolled: now search", "searching…", "match(es) above threshold", "not enrolled yet",
    "candidate(s)", "Confirm", "Reject", "Play", "Undo", "score", "Confirm all matches", "Confirm selected",
    "Reject selected", "nothing to undo", "decision undone", "matches confirmed", "Subject", "Place", "Entry",
    "Exit", "Sightings", "Timeline", "Route over the cameras", "computing…", "Person", "Camera", "First seen",
    "Last seen", "Exposure", "Closest", "Masks (subject / contact)", "Risk", "Why", "co-presence",
    "2nd order", "via", "unmasked", "Unmask…", "contact sighting(s) under", "min in", "h",
    "Why must this contact be identified? (recorded in the audit log)",
    "Why must you see this subject's face? (recorded in the audit log; only the subject is shown)",
    "contact unmasked", "Preparing the redacted clip…", "Download clip", "Close", "Clip of sighting",
    "person", "Click the face to enrol.", "faces found", "no face found in this photo", "face chosen",
    "Outcome of the case (at least 10 characters)", "case closed", "recorded footage", "no footage in the window",
    "gap", "Jump", "Previous span", "Next span", "selected", "Visit", "Seen", "no camera has a position",
    "camera positions; numbers: visit order", "click to enrol", "possible",
    # cases.js
    "Approve", "approved: it can now be searched", "opened", "ALL cameras",
    # cameras.js / users.js
    "Calibration", "Time zone", "Calibrate", "camera saved", "Click 4 or more floor points on the frame.",
    "Ground x (m)", "Ground y (m)", "Remove", "Reprojection error", "RMSE", "max", "points",
    "With exactly 4 points the fit is exact: add a fifth point to measure the error.",
    "calibration saved", "no frame: ingest footage of this camera first", "user added", "assigned",
    "disabled", "enabled", "Disable", "Enable", "active", "Role", "Name", "Created", "Time",
    # ingest.js
    "Cancel", "uploading…", "job queued", "Resume", "interrupted", "already ingested: nothing added", "sightings",
    "frames", "Choose a video file or give a path on the server.", "Choose a video file.",
    # case.js / review.js: what an empty result means and what to do
    "all sightings", "under each visit: its contacts, coloured by risk", "Preparing the frame (heads mosaicked)…",
    "The frame could not be shown: try another moment.",
    "nobody came that close to a confirmed sighting: confirm more sightings, or try another policy",
    "not enrolled yet: click them in the footage above, upload a face photo or describe them",
    # app.js: an API refusal in the reader's words before the server's English detail (STATUS_WORDS)
    *STATUS_WORDS,
    # audit.js: the chain check and the actions of the log
    "intact", "entries checked", "head", "TAMPERED at entry", *AUDIT_ACTIONS,
    # values the API sends that people read: roles, case and job states, risk, masks
    "admin", "investigator", "supervisor", "operator", "auditor", "pending", "open", "closed",
    "queued", "running", "done", "failed", "cancelled", "high", "medium", "low", "mask", "no mask", "unknown",
    # the risk rule's reasons (templates whose {values} the script fills in)
    *REASONS.values(),
    # search by description and the words that explain a candidate (phrases the core sends)
    "matched", "upper", "lower", "height", "described as", "describe a colour or a height",
    *PALETTE, *EXPLAIN_PHRASES, *FACE_PHRASES,
)


def _catalog_path(locale: str) -> Path:
    return CATALOGS / locale / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> gettext.NullTranslations:
    """The gettext translations of `locale` (English: the source strings themselves).

    Messages the pages share with the case report (the risk rule's reasons) come from the
    report's catalog, so each sentence is translated once.
    """
    if locale == DEFAULT or locale not in LOCALES:
        return gettext.NullTranslations()
    pages = po_translations(_catalog_path(locale), locale)
    pages.add_fallback(report_translations(locale))
    return pages


def script_strings(locale: str) -> dict[str, str]:
    """The scripts' messages in `locale`, keyed by their English text."""
    t = translations(locale)
    return {m: t.gettext(m) for m in SCRIPT_MESSAGES}


def _preferences(accept_language: str) -> list[str]:
    """Accept-Language tags, most wanted first (q=0 ones dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, n, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def pick_locale(cookie: str | None, accept_language: str | None) -> str:
    """The user's choice if it is a language we have, else the browser's best match, else English."""
    from babel import negotiate_locale

    if cookie in LOCALES:
        return str(cookie)
    wanted = [t.replace("_", "-").split("-")[0].lower() for t in _preferences(accept_language or "")]
    return negotiate_locale(wanted, list(LOCALES)) or DEFAULT
