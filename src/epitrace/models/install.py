"""Install models into the models directory and keep a lock file of what was installed."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from epitrace.models.converters import get_converter
from epitrace.models.fetch import fetch_sources, sha256_of
from epitrace.models.manifest import ModelSpec

logger = logging.getLogger(__name__)
LOCK_NAME = "models.lock.json"


@dataclass(frozen=True)
class ModelStatus:
    """What `models check` reports for one model."""

    name: str
    installed: bool
    ok: bool
    detail: str


def _read_lock(models_dir: Path) -> dict[str, dict[str, str]]:
    lock = models_dir / LOCK_NAME
    return json.loads(lock.read_text()) if lock.exists() else {}


def _write_lock(models_dir: Path, lock: dict[str, dict[str, str]]) -> None:
    tmp = models_dir / (LOCK_NAME + ".tmp")
    tmp.write_text(json.dumps(lock, indent=2, sort_keys=True))
    tmp.replace(models_dir / LOCK_NAME)


def install_model(spec: ModelSpec, models_dir: Path, cache_dir: Path, force: bool = False) -> Path:
    """Fetch, verify and convert one model; returns the installed file.

    A model already installed with a matching lock entry is left alone unless `force`.
    A checksum or conversion failure leaves previously installed files untouched.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    out = models_dir / spec.output
    lock = _read_lock(models_dir)
    entry = lock.get(spec.name)
    if not force and entry and out.exists() and entry.get("sha256") == sha256_of(out):
        return out
    sources = fetch_sources(spec, cache_dir)
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        get_converter(spec.converter)(sources, tmp)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    lock[spec.name] = {
        "file": spec.output,
        "sha256": sha256_of(out),
        "source": f"{spec.registry}:{spec.package}@{spec.version}",
        "sources_sha256": ",".join(f.sha256 for f in spec.files),
    }
    _write_lock(models_dir, lock)
    logger.info("installed %s -> %s", spec.name, out)
    return out


def check_models(specs: list[ModelSpec], models_dir: Path) -> list[ModelStatus]:
    """Compare installed files with the lock file (and the lock with the manifest)."""
    lock = _read_lock(models_dir)
    statuses = []
    for spec in specs:
        out = models_dir / spec.output
        entry = lock.get(spec.name)
        if not out.exists() or entry is None:
            statuses.append(ModelStatus(spec.name, False, False, "not installed"))
            continue
        if entry.get("sources_sha256") != ",".join(f.sha256 for f in spec.files):
            statuses.append(ModelStatus(spec.name, True, False, "installed from other sources"))
            continue
        actual = sha256_of(out)
        ok = actual == entry.get("sha256")
        detail = f"sha256 {actual[:12]}" if ok else f"sha256 {actual[:12]} differs from lock"
        statuses.append(ModelStatus(spec.name, True, ok, detail))
    return statuses
