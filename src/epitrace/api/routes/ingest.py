"""Ingest jobs: upload a video or name a path / stream URL; progress and cancel.

Uploads are streamed to `upload_dir` under the size limit (a larger body is refused with 413
while it is still arriving), then probed: a file that is not a readable video is deleted and
refused with 422 before any job exists. The saved file stays as the video's source (evidence
clips are cut from it) until retention purges it.
"""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import datetime
from pathlib import Path as FsPath
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from pydantic import BaseModel

from epitrace.api import schemas as S
from epitrace.api.deps import ServerDep, SettingsDep, StoreDep, roles
from epitrace.api.errors import errors
from epitrace.api.jobs import Job, JobManager
from epitrace.app.ingest_rules import INGEST_ROLES, check_fps, refuse_store_path, require_reachable, stream_scheme
from epitrace.privacy.users import AccessDenied, User

router = APIRouter(prefix="/api/ingest", tags=["ingest"])
URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
JobId = Path(pattern=r"^[0-9a-f]{1,32}$", description="Job id.")
IngestUser = Annotated[User, roles(*INGEST_ROLES)]


class InterruptedOut(BaseModel):
    """A video whose ingest stopped before its end (the ingest page offers to resume it)."""

    video_id: int
    camera_id: str
    name: str
    status: Literal["interrupted", "failed"]


class InterruptedList(BaseModel):
    """Resumable videos, by id."""

    data: list[InterruptedOut]
    count: int


def jobs(request: Request) -> JobManager:
    """The server's job manager."""
    return request.app.state.jobs


def job_out(job: Job) -> S.JobOut:
    """A job as the API shows it (a stream by its URL without credentials, a file by its name)."""
    return S.JobOut(id=job.id, status=job.status, camera_id=job.camera_id,  # type: ignore[arg-type]
                    source=FsPath(job.source).name if not job.source.startswith(URL_SCHEMES) else job.source,
                    created_by=job.created_by, created=S.utc(job.created_ts), frames_done=job.frames_done,
                    frames_total=job.frames_total, progress=job.progress, error=job.error, result=job.result)


def _visible(job: Job, user: User) -> bool:
    return user.role in INGEST_ROLES or job.created_by == user.name


@router.post("/jobs", status_code=202, responses=errors(400, 404, 413))
def upload(request: Request, user: IngestUser, store: StoreDep, settings: SettingsDep, server: ServerDep,
           file: Annotated[UploadFile, File(description="The video file.")],
           camera_id: Annotated[str, Form(pattern=S.ID_PATTERN)],
           start: Annotated[datetime, Form(description="Time of the first frame, ISO 8601 with a zone.")],
           fps: Annotated[float | None, Form(gt=0, le=240)] = None,
           max_frames: Annotated[int | None, Form(ge=1, le=10**9)] = None) -> S.JobOut:
    """Upload a video and ingest it in the background (poll the job for progress)."""
    from epitrace.media import VideoError, probe_video

    if start.tzinfo is None:
        raise ValueError("start needs a time zone, e.g. 2026-03-01T09:00:00+09:00")
    check_fps(fps)
    store.get_camera(camera_id)
    folder = (server.upload_dir or settings.home / "uploads") / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    name = _SAFE_NAME.sub("_", FsPath(file.filename or "upload").name)[-100:] or "upload"
    path = folder / name
    try:
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, length=1 << 20)
        probe_video(path)
    except BaseException as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, VideoError | OSError):  # say which upload, never the server's folders (F13)
            shown = repr(file.filename or name)
            text = str(exc).replace(str(path), shown).replace(str(path.resolve()), shown)
            for where in (folder, folder.resolve(), folder.parent, folder.parent.resolve()):
                text = text.replace(str(where), "<uploads>")
            raise VideoError(text if isinstance(exc, VideoError) else f"cannot save {shown}") from None
        raise
    job = Job(camera_id=camera_id, source=str(path), start=start, created_by=user.name, fps=fps,
              max_frames=max_frames)
    return job_out(jobs(request).submit(job))


@router.post("/jobs/source", status_code=202, responses=errors(404, 501))
def from_source(request: Request, body: S.IngestSourceIn, user: IngestUser, store: StoreDep,
                server: ServerDep, settings: SettingsDep) -> S.JobOut:
    """Ingest a file already on the server or a camera stream URL (RTSP/HTTP; admins and operators)."""
    check_fps(body.fps)
    store.get_camera(body.camera_id)
    if stream_scheme(body.source) is not None:
        return _stream_job(request, body, user)
    if not server.path_ingest:
        raise AccessDenied("this server does not ingest server paths: upload the file instead")
    from epitrace.media import probe_video

    path = refuse_store_path(body.source, settings)  # never the database, its WAL or the keys (F4)
    try:
        probe_video(path)
    except OSError as exc:  # e.g. a name too long for the file system
        raise ValueError(f"cannot open {body.source[:200]!r}: {exc.strerror or exc}") from exc
    job = Job(camera_id=body.camera_id, source=str(path), start=body.start, created_by=user.name,
              fps=body.fps, max_frames=body.max_frames, server_owned=False)
    return job_out(jobs(request).submit(job))


def _stream_job(request: Request, body: S.IngestSourceIn, user: User) -> S.JobOut:
    """A camera's live stream (RTSP/HTTP), ingested until the job is cancelled (or `max_seconds`).

    The URL's credentials are never shown or stored.
    """
    from epitrace.ingest.stream import safe_url

    require_reachable(body.source)
    job = Job(camera_id=body.camera_id, source=safe_url(body.source), url=body.source, start=body.start,
              created_by=user.name, fps=body.fps, max_seconds=body.max_seconds)
    return job_out(jobs(request).submit(job))


@router.get("/jobs", responses=errors())
def list_jobs(request: Request, user: IngestUser) -> S.JobList:
    """Jobs since the server started, newest first (investigators see their own)."""
    data = [job_out(j) for j in jobs(request).list() if _visible(j, user)]
    return S.JobList(data=data, count=len(data))


@router.get("/jobs/{job_id}", responses=errors(404))
def get_job(request: Request, user: IngestUser, job_id: str = JobId) -> S.JobOut:
    """One job and its progress (investigators see their own)."""
    job = jobs(request).get(job_id)
    if not _visible(job, user):
        raise LookupError(f"no ingest job {job_id!r}")
    return job_out(job)


@router.post("/jobs/{job_id}/cancel", responses=errors(404))
def cancel_job(request: Request, user: IngestUser, job_id: str = JobId) -> S.JobOut:
    """Stop a job at its next frame; what was committed stays and a new job resumes from it."""
    job = jobs(request).get(job_id)
    if not _visible(job, user):
        raise LookupError(f"no ingest job {job_id!r}")
    return job_out(jobs(request).cancel(job_id, by=user.name))


@router.get("/interrupted", responses=errors())
def list_interrupted(user: IngestUser, store: StoreDep) -> InterruptedList:
    """Videos whose ingest stopped before the end (interrupted by a dead process, or failed): resumable."""
    from epitrace.app.ingest_recovery import stalled_videos

    data = [InterruptedOut(video_id=v.video_id, camera_id=v.camera_id, name=v.name, status=v.status)
            for v in stalled_videos(store)]
    return InterruptedList(data=data, count=len(data))


@router.post("/videos/{video_id}/resume", status_code=202, responses=errors(404))
def resume_video(request: Request, user: IngestUser, store: StoreDep,
                 video_id: int = Path(ge=1, le=2**62, description="Video id.")) -> S.JobOut:
    """Resume an interrupted or failed video from its safe point, as a new job."""
    from epitrace.app.ingest_recovery import resume_request

    req = resume_request(store, video_id)
    assert req.start is not None
    job = Job(camera_id=req.camera_id, source=req.source, start=req.start, created_by=user.name, fps=req.fps)
    return job_out(jobs(request).submit(job))
