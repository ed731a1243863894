"""Which process is ingesting a video: a claim file per running video (host, pid, start tick).

A video row says "running" both while a process works on it and after that process was killed
(issue 12, F12). The claim tells the two apart: on start the server marks a running video whose
claiming process is gone as "interrupted", and it can then be resumed from its safe point.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Claim:
    """The process that last began ingesting a video."""

    host: str
    pid: int
    started: int | None  # the process's start tick (Linux /proc), so a reused pid is not mistaken for it


def _start_tick(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(text.rsplit(")", 1)[1].split()[19])  # field 22: starttime


def claims_dir(home: Path) -> Path:
    """Where the claim files live."""
    return home / "ingest" / "claims"


def write_claim(home: Path, video_id: int) -> Claim:
    """Record that this process now ingests `video_id`."""
    claim = Claim(socket.gethostname(), os.getpid(), _start_tick(os.getpid()))
    folder = claims_dir(home)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = folder / f".{video_id}.{claim.pid}.tmp"
    tmp.write_text(json.dumps(claim.__dict__))
    tmp.replace(folder / f"{video_id}.json")
    return claim


def read_claim(home: Path, video_id: int) -> Claim | None:
    """The claim on `video_id`, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((claims_dir(home) / f"{video_id}.json").read_text())
        return Claim(str(data["host"]), int(data["pid"]), data.get("started"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def claimant_alive(claim: Claim | None) -> bool:
    """True while the claiming process may still run.

    Without a claim, or on this host with the pid gone (or reused by a later process), it is dead;
    a claim of another host is taken as alive (a Ray worker or a second server may own it).
    """
    if claim is None:
        return False
    if claim.host != socket.gethostname():
        return True
    try:
        os.kill(claim.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return claim.started is None or _start_tick(claim.pid) == claim.started
