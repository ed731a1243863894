"""Contacts of a case's subjects (exposure, masks, risk) and unmasking one contact, with a reason."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from epitrace import app as core
from epitrace.api import schemas as S
from epitrace.api.deps import CaseDep
from epitrace.api.errors import errors
from epitrace.api.schemas import MAX_ID
from epitrace.api.views import thumb_url
from epitrace.config import ContactPolicy
from epitrace.contacts.engine import Contact

router = APIRouter(prefix="/api/cases/{case_id}", tags=["contacts"])


def _rows(case: CaseDep, rule: ContactPolicy, second_order: bool) -> list[tuple[Any, int, Contact, bool]]:
    """(subject, order, contact, unmasked for this user) from the contacts use case (audited there)."""
    return [(r.subject, r.order, r.contact, r.unmasked)
            for r in core.contacts(case, policy=rule, second_order=second_order)]


def _contact_out(subject_id: int, subject_label: str, order: int, c: Contact, *, unmasked: bool,
                 thumbnail_url: str) -> S.ContactOut:
    """One contact as the API shows it: times keep the camera's offset."""
    return S.ContactOut(
        subject_id=subject_id, subject_label=subject_label, order=order, camera_id=c.camera_id,
        camera_name=c.camera_name, place=c.place, time_zone=str(c.first_seen.tzinfo), first_seen=c.first_seen,
        last_seen=c.last_seen, subject_track_id=c.subject_track_id, contact_track_id=c.contact_track_id,
        person_id=c.person_id, person_label=c.person_label, via=c.via, exposure_s=c.exposure_s,
        person_exposure_s=c.person_exposure_s, min_distance_m=c.min_distance_m,
        distance_uncertainty_m=c.distance_uncertainty_m, calibrated=c.calibrated,
        subject_mask=c.subject_mask.state, contact_mask=c.contact_mask.state, risk=c.risk,
        risk_reason=c.risk_reason, risk_reason_template=c.risk_template, risk_reason_params=dict(c.risk_params),
        unmasked=unmasked, thumbnail_url=thumbnail_url)


@router.get("/contacts", responses=errors(404))
def contacts(case: CaseDep, policy: Annotated[Literal["cdc", "who", "custom"], Query()] = "cdc",
             distance: Annotated[float | None, Query(gt=0, le=50, description="Custom radius, metres.")] = None,
             minutes: Annotated[float | None, Query(ge=0, le=7 * 24 * 60, description="Custom minutes.")] = None,
             second_order: Annotated[bool, Query(description="Also contacts of contacts.")] = False
             ) -> S.ContactList:
    """Everyone near each subject's confirmed sightings, most exposed first; thumbnails redacted."""
    from epitrace.config import get_policy

    rule = get_policy(policy, distance=distance, minutes=minutes)
    rows = [_contact_out(subject.id, subject.label, order, c, unmasked=unmasked,
                         thumbnail_url=thumb_url(case.id, c.contact_track_id))
            for subject, order, c, unmasked in _rows(case, rule, second_order)]
    rows.sort(key=lambda r: (r.subject_label, r.order, -r.person_exposure_s, r.person_id, r.first_seen))
    return S.ContactList(policy=S.PolicyOut(**rule.model_dump()), data=rows, count=len(rows))


EXPORT_MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@router.get("/contacts/export", response_class=Response, responses={
    200: {"content": {"text/csv": {}, "application/json": {}}, "description": "The contact list file."},
    **errors(404)})
def export_contacts(case: CaseDep, format: Annotated[Literal["csv", "json"], Query()] = "csv",  # noqa: A002
                    policy: Annotated[Literal["cdc", "who"], Query()] = "cdc",
                    second_order: Annotated[bool, Query(description="Also contacts of contacts.")] = False
                    ) -> Response:
    """The contact list for a health authority's systems (CSV or JSON; times with the camera's offset)."""
    import json

    from epitrace.config import get_policy
    from epitrace.reports import contacts_csv, contacts_document

    rule = get_policy(policy)
    items = [(r.subject.label, r.order, r.contact)
             for r in core.export_contacts(case, policy=rule, formats=[format], second_order=second_order)]
    name = f"{case.id}-contacts.{format}"
    body = contacts_csv(items) if format == "csv" else \
        json.dumps(contacts_document(items, case_id=case.id, policy=rule), ensure_ascii=False, indent=1)
    return Response(body.encode("utf-8"), media_type=EXPORT_MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/subjects/{subject_id}/unmask", responses=errors(404))
def unmask_subject(body: S.UnmaskIn, case: CaseDep,
                   subject_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> S.OkOut:
    """See a subject's confirmed sightings with their face clear (yours alone).

    A written reason is required and audited; confirming a sighting never unmasks anyone.
    """
    ids = core.unmask_subject(case, subject_id=subject_id, reason=body.reason)
    return S.OkOut(detail=f"{len(ids)} sighting(s) of subject {subject_id} unmasked for {case.user.name}")


@router.post("/contacts/{track_id}/unmask", responses=errors(404))
def unmask(body: S.UnmaskIn, case: CaseDep, track_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> S.OkOut:
    """See one contact's sighting unredacted: a written reason is required and audited."""
    core.unmask(case, track_id=track_id, reason=body.reason)
    return S.OkOut(detail=f"sighting {track_id} unmasked for {case.user.name}")
