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
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile

from epitrace.api import schemas as S
from epitrace.api.deps import ServerDep, SettingsDep, StaffUser, StoreDep
from epitrace.api.errors import errors
from epitrace.api.jobs import Job, JobManager
from epitrace.privacy.users import AccessDenied, User

router = APIRouter(prefix="/api/ingest", tags=["ingest"])
URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
JobId = Path(pattern=r"^[0-9a-f]{1,32}$", description="Job id.")


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
    return user.role == "admin" or job.created_by == user.name


@router.post("/jobs", status_code=202, responses=errors(400, 404, 413))
def upload(request: Request, user: StaffUser, store: StoreDep, settings: SettingsDep, server: ServerDep,
           file: Annotated[UploadFile, File(description="The video file.")],
           camera_id: Annotated[str, Form(pattern=S.ID_PATTERN)],
           start: Annotated[datetime, Form(description="Time of the first frame, ISO 8601 with a zone.")],
           fps: Annotated[float | None, Form(gt=0, le=240)] = None,
           max_frames: Annotated[int | None, Form(ge=1, le=10**9)] = None) -> S.JobOut:
    """Upload a video and ingest it in the background (poll the job for progress)."""
    from epitrace.media import VideoError, probe_video

    if start.tzinfo is None:
        raise ValueError("start needs a time zone, e.g. 2026-03-01T09:00:00+09:00")
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
        if isinstance(exc, VideoError):  # say which upload, without the server's folders
            raise VideoError(str(exc).replace(str(path), repr(file.filename or name))) from None
        raise
    job = Job(camera_id=camera_id, source=str(path), start=start, created_by=user.name, fps=fps,
              max_frames=max_frames)
    return job_out(jobs(request).submit(job))


@router.post("/jobs/source", status_code=202, responses=errors(404, 501))
def from_source(request: Request, body: S.IngestSourceIn, user: StaffUser, store: StoreDep,
                server: ServerDep) -> S.JobOut:
    """Ingest a file already on the server (admins) or a camera stream URL (RTSP/HTTP)."""
    store.get_camera(body.camera_id)
    if body.source.startswith(URL_SCHEMES):
        return _stream_job(request, body, user)
    if user.role != "admin" or not server.path_ingest:
        raise AccessDenied("only administrators may ingest a server path: upload the file instead")
    if "\x00" in body.source:
        raise ValueError("the path contains a NUL character")
    from epitrace.media import probe_video

    try:
        path = FsPath(body.source).expanduser()
        probe_video(path)
    except OSError as exc:  # e.g. a name too long for the file system
        raise ValueError(f"cannot open {body.source[:200]!r}: {exc.strerror or exc}") from exc
    job = Job(camera_id=body.camera_id, source=str(path.resolve()), start=body.start, created_by=user.name,
              fps=body.fps, max_frames=body.max_frames)
    return job_out(jobs(request).submit(job))


def _stream_job(request: Request, body: S.IngestSourceIn, user: User) -> S.JobOut:
    """A camera's live stream (RTSP/HTTP), ingested until the job is cancelled (or `max_seconds`).

    The URL's credentials are never shown or stored.
    """
    from epitrace.ingest.stream import safe_url

    _require_reachable(body.source)
    job = Job(camera_id=body.camera_id, source=safe_url(body.source), url=body.source, start=body.start,
              created_by=user.name, fps=body.fps, max_seconds=body.max_seconds)
    return job_out(jobs(request).submit(job))


@router.get("/jobs", responses=errors())
def list_jobs(request: Request, user: StaffUser) -> S.JobList:
    """Jobs since the server started, newest first (investigators see their own)."""
    data = [job_out(j) for j in jobs(request).list() if _visible(j, user)]
    return S.JobList(data=data, count=len(data))


@router.get("/jobs/{job_id}", responses=errors(404))
def get_job(request: Request, user: StaffUser, job_id: str = JobId) -> S.JobOut:
    """One job and its progress (investigators see their own)."""
    job = jobs(request).get(job_id)
    if not _visible(job, user):
        raise LookupError(f"no ingest job {job_id!r}")
    return job_out(job)


@router.post("/jobs/{job_id}/cancel", responses=errors(404))
def cancel_job(request: Request, user: StaffUser, job_id: str = JobId) -> S.JobOut:
    """Stop a job at its next frame; what was committed stays and a new job resumes from it."""
    job = jobs(request).get(job_id)
    if not _visible(job, user):
        raise LookupError(f"no ingest job {job_id!r}")
    return job_out(jobs(request).cancel(job_id))


def _require_reachable(url: str, timeout_s: float = 2.0) -> None:
    """Refuse a stream whose host does not answer now.

    A typo should not become a job that loads models and retries for minutes.
    """
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    default = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}.get(parts.scheme.lower(), 80)
    try:
        port = parts.port or default
        if not parts.hostname:
            raise ValueError("no host")
        with socket.create_connection((parts.hostname, port), timeout=timeout_s):
            pass
    except (OSError, ValueError) as exc:
        from epitrace.ingest.stream import safe_url

        raise ValueError(f"cannot reach the stream at {safe_url(url)[:200]!r} ({exc}): check the address "
                         "and that the camera or its server is up") from exc

