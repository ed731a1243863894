"""What leaves the system: the case report (HTML/PDF) and redacted evidence clips; audited."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from epitrace.api import schemas as S
from epitrace.api.deps import CaseDep, SettingsDep
from epitrace.api.errors import errors

router = APIRouter(prefix="/api/cases/{case_id}", tags=["exports"])
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@router.get("/report", response_class=Response, responses={
    200: {"content": {"text/html": {}, "application/pdf": {}}, "description": "The report file."}, **errors(404)})
def report(case: CaseDep, format: Annotated[Literal["html", "pdf"], Query()] = "html",  # noqa: A002
           policy: Annotated[Literal["cdc", "who"], Query()] = "cdc") -> Response:
    """The case report as a download; every head but the confirmed subjects' is mosaicked."""
    from epitrace.config import get_policy
    from epitrace.reports import gather, write_report

    with tempfile.TemporaryDirectory(prefix="epitrace-report-") as tmp:
        html, pdf = write_report(gather(case.store, case_id=case.id, policy=get_policy(policy)), Path(tmp))
        data = (html if format == "html" else pdf).read_bytes()
    case.audit("export", what="report", format=format, policy=policy)
    name = f"{case.id}.{format}"
    return Response(data, media_type=MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.post("/exports/clip", response_class=FileResponse, responses={
    200: {"content": {"video/mp4": {}}, "description": "The redacted MP4 clip."}, **errors(404, 410)})
def export_clip(body: S.ClipExportIn, case: CaseDep, settings: SettingsDep) -> FileResponse:
    """Cut a sighting's clip with every head mosaicked except the case's confirmed subjects."""
    from epitrace.api.queries import track_in_scope
    from epitrace.privacy.clips import export_clip as cut
    from epitrace.privacy.clips import export_detector
    from epitrace.privacy.export_redaction import DEFAULT_CONFIG
    from epitrace.store.cases import confirmed_tracks

    track_in_scope(case.store, case=case.case, track_id=body.track_id)
    detector = export_detector(settings.models_dir, DEFAULT_CONFIG.score_threshold) if body.safety_net else None
    tmp = Path(tempfile.mkdtemp(prefix="epitrace-clip-"))
    out = cut(case.store, track_id=body.track_id, out=tmp / f"{case.id}_sighting_{body.track_id}.mp4",
              subject_track_ids=confirmed_tracks(case.store, case_id=case.id), margin_s=body.margin_s,
              detector=detector)
    case.audit("export", what="clip", sighting=body.track_id, safety_net=body.safety_net)

    def cleanup() -> None:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)

    return FileResponse(out, media_type="video/mp4", filename=out.name, background=BackgroundTask(cleanup))
