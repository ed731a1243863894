"""What a case produces and shows: sightings, frames, thumbnails, contacts, reports, clips, unmask.

Every image goes out redacted unless it shows the case's confirmed subject or a contact the
user unmasked with a reason; every view and export is audited inside the use case, so no front
end can forget it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from epitrace.app.case_session import CaseSession
from epitrace.app.errors import OutOfScope
from epitrace.app.text_rules import check_text
from epitrace.config import ContactPolicy
from epitrace.contacts.engine import Contact
from epitrace.store.case_scope import PickerFrame
from epitrace.store.orm import Subject, Track

WIDEST_CONTACT_RADIUS_M = 50.0
"""The largest contact radius a policy may have (`ContactPolicy.distance_m`): who may be unmasked."""
MAX_CLIP_MARGIN_S = 30.0
"""Longest margin around a sighting in an exported clip, seconds (every front end: the CLI had none)."""


@dataclass(frozen=True)
class ContactRow:
    """One contact of one subject, and whether this user unmasked it."""

    subject: Subject
    order: int
    contact: Contact
    unmasked: bool


def sightings(session: CaseSession, *, camera_id: str | None = None, start_ts: float | None = None,
              end_ts: float | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Track], int]:
    """In-scope sightings to pick a subject from (optionally one camera and a time range). Audited."""
    from epitrace.store.case_scope import sightings as query

    session.require_open("looking at footage")
    if camera_id is not None and not session.scope.covers_camera(camera_id):
        raise OutOfScope(f"camera {camera_id!r} is not in case {session.id}'s scope")
    with session.services.store.unit() as tx:
        rows, total = query(session.services.store, scope=session.scope, camera_id=camera_id, start_ts=start_ts,
                            end_ts=end_ts, limit=limit, offset=offset, session=tx)
        session.audit("view", tx=tx, what="sightings", camera=camera_id, count=len(rows))
    return rows, total


def picker_frame(session: CaseSession, *, camera_id: str, ts: float | None) -> tuple[PickerFrame, tuple[int, int]]:
    """The analysed frame nearest `ts` (default: the busiest) with its person boxes, and its size. Audited.

    Who stood where on a camera at a moment is a view of footage like the frame itself.
    """
    from pathlib import Path as FsPath

    from epitrace.app.frames import frame_size
    from epitrace.store.case_scope import picker_frame as pick

    session.require_open("looking at footage")
    if not session.scope.covers_camera(camera_id):
        raise OutOfScope(f"camera {camera_id!r} is not in case {session.id}'s scope")
    found = pick(session.services.store, scope=session.scope, camera_id=camera_id, ts=ts)
    if found is None:
        raise OutOfScope(f"camera {camera_id!r} has no sightings in case {session.id}'s scope")
    size = frame_size(FsPath(found.video.path))
    session.audit("view", what="picker_frame", camera=camera_id, video=found.video.id, frame=found.frame,
                  people=len(found.boxes))
    return found, size


def frame_image(session: CaseSession, *, video_id: int, frame: int) -> bytes:
    """One frame of in-scope footage as JPEG, every head mosaicked. Audited."""
    from epitrace.app.frames import redacted_frame_jpeg
    from epitrace.store.case_scope import video_of

    session.require_open("looking at footage")
    video = video_of(session.services.store, video_id=video_id)
    if (video is None or not session.scope.covers_camera(video.camera_id)
            or not session.scope.covers_time(video.start_ts + frame / (video.fps or 25.0))):
        # one answer for all three: whether a camera of the case has footage outside its window is not said
        raise OutOfScope(f"no frame {frame} of video {video_id} in case {session.id}'s cameras and window")
    data = redacted_frame_jpeg(session.services.store, video, frame, session.services.settings.models_dir)
    session.audit("view", what="frame", video=video_id, frame=frame)
    return data


def thumbnail(session: CaseSession, *, track_id: int) -> bytes:
    """A sighting's thumbnail, redacted for the one person it is about. Audited, mosaicked or not.

    Their head is clear only when this user unmasked that sighting with a reason (a contact, or the
    subject's sightings); confirming a sighting unmasks nobody. Everyone else's head in the crop is
    always mosaicked. A mosaicked thumbnail still shows a person's body and clothes, so every one
    served is a view in the audit log (`what` "thumbnail", or "unmasked_thumbnail" when clear).
    """
    from epitrace.app.footage import face_detector
    from epitrace.privacy.crops import person_crop_jpeg
    from epitrace.privacy.unmask import is_unmasked

    session.require_not_pending("seeing thumbnails")
    session.require_sighting(track_id)
    clear = is_unmasked(session.services.store, user=session.user, case_id=session.id, track_id=track_id)
    data = person_crop_jpeg(session.services.store, track_id=track_id, clear=clear,
                            faces=face_detector(session.services.settings.models_dir))
    session.audit("view", what="unmasked_thumbnail" if clear else "thumbnail", track_id=track_id, clear=clear)
    return data


def unmask_subject(session: CaseSession, *, subject_id: int, reason: str) -> list[int]:
    """Let this user see a subject's confirmed sightings with the subject's face clear (and only the subject's).

    The same reasoned, audited act as unmasking a contact, never a side effect of confirming. Returns
    the sightings unmasked; sightings confirmed later need it again.
    """
    from epitrace.privacy.unmask import MIN_REASON_CHARS, unmask_contact

    session.require_open("unmasking a subject")
    subject = session.subject(subject_id)
    if not subject.confirmed:
        raise LookupError(f"subject {subject_id} has no confirmed sighting to unmask yet")
    text = check_text(reason, what="the reason", min_visible=MIN_REASON_CHARS)
    with session.services.store.unit() as tx:  # every sighting of the subject, or none
        for track_id in subject.confirmed:
            unmask_contact(session.services.store, user=session.user, case_id=session.id, track_id=track_id,
                           reason=text, session=tx)
    return list(subject.confirmed)


def _contact_rows(session: CaseSession, *, policy: ContactPolicy, second_order: bool) -> list[ContactRow]:
    """The case's contacts with this user's unmask state; the callers audit what they did with them."""
    from epitrace.contacts.cases import case_contacts
    from epitrace.privacy.unmask import unmasked_tracks

    session.require_not_pending("listing contacts")
    store = session.services.store
    opened = unmasked_tracks(store, user=session.user, case_id=session.id)
    return [ContactRow(subject, order, c, c.contact_track_id in opened)
            for subject, order, c in case_contacts(store, case=session.case, policy=policy, second_order=second_order)]


def contacts(session: CaseSession, *, policy: ContactPolicy, second_order: bool = False) -> list[ContactRow]:
    """Everyone near each subject's confirmed sightings (and their contacts, with `second_order`). Audited."""
    rows = _contact_rows(session, policy=policy, second_order=second_order)
    session.audit("view", what="contacts", policy=policy.name, second_order=second_order)
    return rows


def export_contacts(session: CaseSession, *, policy: ContactPolicy, formats: list[str],
                    second_order: bool = False) -> list[ContactRow]:
    """The contact list leaving the system as files (CSV/JSON for a health authority), audited as an export.

    A list that leaves the system is an export, not a view, whichever front end writes the file.
    """
    rows = _contact_rows(session, policy=policy, second_order=second_order)
    session.audit("export", what="contact_list", formats=sorted(formats), policy=policy.name,
                  second_order=second_order, rows=len(rows))
    return rows


def unmaskable(session: CaseSession, track_id: int) -> bool:
    """Whether a sighting is one the case may unmask: a subject's confirmed sighting or a contact.

    A contact under any policy a front end may ask for (radius up to 50 m, no minimum time) of the
    subjects' confirmed sightings, first or second order, inside the case's scope. Anyone else on
    the case's cameras is a bystander, and stays mosaicked whatever reason is typed.
    """
    from epitrace.config import get_policy
    from epitrace.contacts.cases import case_contacts

    if track_id in session.confirmed_tracks:
        return True
    widest = get_policy("custom", distance=WIDEST_CONTACT_RADIUS_M, minutes=0)
    rows = case_contacts(session.services.store, case=session.case, policy=widest, second_order=True)
    return any(c.contact_track_id == track_id for _, _, c in rows)


def unmask(session: CaseSession, *, track_id: int, reason: str) -> None:
    """Let this user see one in-scope contact sighting unmasked; the reason is audited.

    Only a contact of the case's subjects (or a subject's confirmed sighting) may be unmasked, never
    any other person on the case's cameras (`unmaskable`).
    """
    from epitrace.privacy.unmask import MIN_REASON_CHARS, unmask_contact
    from epitrace.tracing import CaseRuleError

    session.require_open("unmasking a contact")
    session.require_sighting(track_id)
    text = check_text(reason, what="the reason", min_visible=MIN_REASON_CHARS)
    if not unmaskable(session, track_id):
        raise CaseRuleError(f"sighting {track_id} is neither a contact of case {session.id}'s subjects nor one of "
                            "their confirmed sightings: only those may be unmasked")
    with session.services.store.unit() as tx:
        unmask_contact(session.services.store, user=session.user, case_id=session.id, track_id=track_id,
                       reason=text, session=tx)


def write_report(session: CaseSession, *, policy: ContactPolicy, out_dir: Path, lang: str = "en") -> tuple[Path, Path]:
    """The case report (HTML and PDF) in `out_dir`, in `lang` ('en', 'ko'); heads mosaicked as always. Audited."""
    from epitrace.app.footage import face_detector
    from epitrace.privacy.unmask import unmasked_tracks
    from epitrace.reports import gather
    from epitrace.reports import write_report as write

    session.require_not_pending("a report")
    store = session.services.store
    clear = frozenset(unmasked_tracks(store, user=session.user, case_id=session.id))
    faces = face_detector(session.services.settings.models_dir)  # the thumbnails' safety net
    html, pdf = write(gather(store, case_id=session.id, policy=policy, clear=clear, faces=faces), out_dir, lang=lang)
    session.audit("export", what="report", policy=policy.name, files=[html.name, pdf.name], lang=lang)
    return html, pdf


def export_clip(session: CaseSession, *, track_id: int, out: Path | None = None, margin_s: float = 2.0,
                safety_net: bool = True) -> Path:
    """Cut an in-scope sighting's clip, every head mosaicked but the one person it is about. Audited.

    That person's head is clear only where this user unmasked them with a reason: the sighting
    itself (a contact), or, for a subject's confirmed sighting, that subject's confirmed sightings
    (the same person on a neighbouring track). Other people this user unmasked stay mosaicked in
    this clip: a clip of the patient never shows a contact's face, nor a contact's clip the patient's.

    The detector safety net (people no stored track covers) may be turned off by admins only.
    The margin is at most `MAX_CLIP_MARGIN_S` and never reaches past the case's window.
    """
    import math

    from epitrace.privacy.clips import export_clip as cut
    from epitrace.privacy.clips import export_detector
    from epitrace.privacy.export_redaction import DEFAULT_CONFIG
    from epitrace.privacy.unmask import unmasked_tracks

    session.require_not_pending("exporting a clip")
    if not (math.isfinite(margin_s) and 0.0 <= margin_s <= MAX_CLIP_MARGIN_S):
        raise ValueError(f"the clip margin must be 0 to {MAX_CLIP_MARGIN_S:g} seconds, not {margin_s:g}")
    session.require_sighting(track_id)
    settings = session.services.settings
    net = safety_net or session.user.role != "admin"
    if out is None:
        out = settings.evidence_dir / "exports" / session.id / f"sighting_{track_id}.mp4"
    detector = export_detector(settings.models_dir, DEFAULT_CONFIG.score_threshold) if net else None
    about = {track_id}.union(*(s.confirmed for s in session.subjects if track_id in s.confirmed))
    clear = unmasked_tracks(session.services.store, user=session.user, case_id=session.id) & about
    path = cut(session.services.store, track_id=track_id, out=out, subject_track_ids=clear,
               margin_s=margin_s, detector=detector, window=(session.scope.start_ts, session.scope.end_ts))
    session.audit("export", what="clip", sighting=track_id, safety_net=net, clear=sorted(clear))
    return path
