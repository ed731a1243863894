"""Files and folders under the home are private to the account that runs EpiTrace (issue 12 F13).

The home holds personal data (the database, face vectors, evidence, reports, login tokens, keys).
A default umask of 022 made all of it readable by every local user. Three layers close that:

- `restrict_umask` makes the process create every later file 0600 and folder 0700, whoever
  writes it (SQLite, FAISS, PyAV, report writers), whatever the caller's umask was;
- the store's own writers set those modes explicitly (`private_dir`, `write_private_bytes`);
- `secure_home` tightens an existing home (made under an older version) to 0700, so nothing in
  it can be reached by others even if a file inside is more open, and `tighten` fixes the
  database's own files.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

PRIVATE_UMASK = 0o077

__all__ = ["PRIVATE_UMASK", "private_dir", "restrict_umask", "secure_home", "tighten", "write_private_bytes"]


def restrict_umask() -> None:
    """Add group and other bits to this process's umask (never loosens a stricter one)."""
    current = os.umask(PRIVATE_UMASK)
    os.umask(current | PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create `path` and missing parents with mode 0700 (whatever the umask); returns it."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(d, 0o700)
    return path


def tighten(paths: Iterable[Path]) -> None:
    """Take group and other access away from each existing path this process owns."""
    uid = os.getuid()
    for path in paths:
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        if st.st_uid == uid and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o077)


def secure_home(home: Path) -> Path:
    """Create the home 0700, or tighten an existing one this process owns; set the umask."""
    restrict_umask()
    private_dir(home)
    tighten([home])
    return home


def write_private_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` (replacing it) as a 0600 file in a 0700 folder, atomically."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return path
