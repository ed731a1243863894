"""What leaves the system: the case report (HTML/PDF) and redacted evidence clips; audited.

Each route parses, calls one use case of `epitrace.app` (the CLI calls the same) and formats.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from epitrace import app as core
from epitrace.api import schemas as S
from epitrace.api.deps import CaseDep
from epitrace.api.errors import errors

router = APIRouter(prefix="/api/cases/{case_id}", tags=["exports"])
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@router.get("/report", response_class=Response, responses={
    200: {"content": {"text/html": {}, "application/pdf": {}}, "description": "The report file."}, **errors(404)})
def report(case: CaseDep, format: Annotated[Literal["html", "pdf"], Query()] = "html",  # noqa: A002
           policy: Annotated[Literal["cdc", "who"], Query()] = "cdc",
           lang: Annotated[Literal["en", "ko"], Query(description="Language of the report.")] = "en") -> Response:
    """The case report as a download; every head but the confirmed subjects' is mosaicked."""
    from epitrace.config import get_policy

    with tempfile.TemporaryDirectory(prefix="epitrace-report-") as tmp:
        html, pdf = core.write_report(case, policy=get_policy(policy), out_dir=Path(tmp), lang=lang)
        data = (html if format == "html" else pdf).read_bytes()
    name = f"{case.id}.{format}"
    return Response(data, media_type=MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.post("/exports/clip", response_class=FileResponse, responses={
    200: {"content": {"video/mp4": {}}, "description": "The redacted MP4 clip."}, **errors(404, 410)})
def export_clip(body: S.ClipExportIn, case: CaseDep) -> FileResponse:
    """Cut a sighting's clip, every head mosaicked except those you unmasked with a reason.

    The detector safety net can be turned off by admins only.
    """
    tmp = Path(tempfile.mkdtemp(prefix="epitrace-clip-"))
    try:
        out = core.export_clip(case, track_id=body.track_id, out=tmp / f"{case.id}_sighting_{body.track_id}.mp4",
                               margin_s=body.margin_s, safety_net=body.safety_net)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return FileResponse(out, media_type="video/mp4", filename=out.name,
                        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))
