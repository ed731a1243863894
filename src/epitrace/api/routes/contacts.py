"""Contacts of a case's subjects (exposure, masks, risk) and unmasking one contact, with a reason."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from epitrace.api import schemas as S
from epitrace.api.deps import CaseDep
from epitrace.api.errors import errors
from epitrace.api.schemas import MAX_ID
from epitrace.api.views import thumb_url

router = APIRouter(prefix="/api/cases/{case_id}", tags=["contacts"])


@router.get("/contacts", responses=errors(404))
def contacts(case: CaseDep, policy: Annotated[Literal["cdc", "who", "custom"], Query()] = "cdc",
             distance: Annotated[float | None, Query(gt=0, le=50, description="Custom radius, metres.")] = None,
             minutes: Annotated[float | None, Query(ge=0, le=7 * 24 * 60, description="Custom minutes.")] = None,
             second_order: Annotated[bool, Query(description="Also contacts of contacts.")] = False
             ) -> S.ContactList:
    """Everyone near each subject's confirmed sightings, most exposed first; thumbnails redacted."""
    from epitrace.config import get_policy
    from epitrace.contacts.cases import case_contacts
    from epitrace.privacy.unmask import unmasked_tracks

    rule = get_policy(policy, distance=distance, minutes=minutes)
    opened = unmasked_tracks(case.store, user=case.user, case_id=case.id)
    rows = [S.ContactOut(
        subject_id=subject.id, subject_label=subject.label, order=order, camera_id=c.camera_id,
        subject_track_id=c.subject_track_id, contact_track_id=c.contact_track_id, person_id=c.person_id,
        exposure_s=c.exposure_s, person_exposure_s=c.person_exposure_s, min_distance_m=c.min_distance_m,
        calibrated=c.calibrated, subject_mask=c.subject_mask.state, contact_mask=c.contact_mask.state,
        risk=c.risk, unmasked=c.contact_track_id in opened, thumbnail_url=thumb_url(case.id, c.contact_track_id))
        for subject, order, c in case_contacts(case.store, case=case.case, policy=rule, second_order=second_order)]
    rows.sort(key=lambda r: (r.subject_label, r.order, -r.person_exposure_s, r.contact_track_id))
    case.audit("view", what="contacts", policy=rule.name, second_order=second_order)
    return S.ContactList(policy=S.PolicyOut(**rule.model_dump()), data=rows, count=len(rows))


@router.post("/contacts/{track_id}/unmask", responses=errors(404))
def unmask(body: S.UnmaskIn, case: CaseDep, track_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> S.OkOut:
    """See one contact's sighting unredacted: a written reason is required and audited."""
    from epitrace.api.queries import track_in_scope
    from epitrace.privacy.unmask import unmask_contact

    track_in_scope(case.store, case=case.case, track_id=track_id)
    unmask_contact(case.store, user=case.user, case_id=case.id, track_id=track_id, reason=body.reason)
    return S.OkOut(detail=f"sighting {track_id} unmasked for {case.user.name}")
