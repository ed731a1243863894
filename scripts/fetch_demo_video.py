"""Fetch the demo footage (PETS 2009 S2L1 View_001, `vtest.avi`) without root.

First from Debian's `opencv-doc` package (apt-get download + dpkg-deb, no install), else from
OpenCV's repository by URL. Either way the file must match the pinned sha256.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

SHA256 = "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf"
MEMBER = "./usr/share/doc/opencv-doc/examples/data/vtest.avi"
URL = "https://raw.githubusercontent.com/opencv/opencv/4.x/samples/data/vtest.avi"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def from_debian(dest: Path) -> bool:
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run(["apt-get", "download", "opencv-doc"], cwd=tmp, capture_output=True, text=True)
        debs = list(Path(tmp).glob("opencv-doc_*.deb"))
        if got.returncode != 0 or not debs:
            sys.stderr.write(f"apt-get download opencv-doc failed: {got.stderr.strip()[-300:]}\n")
            return False
        out = Path(tmp) / "x"
        out.mkdir()
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(out)], check=True)
        found = out / MEMBER
        if not found.exists():
            return False
        shutil.copyfile(found, dest)
    return True


def from_url(dest: Path) -> bool:
    try:
        with urllib.request.urlopen(URL, timeout=60) as response, dest.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(response, out)
    except OSError as exc:
        sys.stderr.write(f"download from {URL} failed: {exc}\n")
        return False
    return True


def main() -> int:
    dest = Path(sys.argv[1]).expanduser()
    if dest.exists() and sha256(dest) == SHA256:
        return 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    for fetch in (from_debian, from_url):
        if fetch(dest) and sha256(dest) == SHA256:
            sys.stderr.write(f"demo footage ready: {dest}\n")
            return 0
        dest.unlink(missing_ok=True)
    sys.stderr.write("could not fetch vtest.avi (Debian opencv-doc or URL); see README\n")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
