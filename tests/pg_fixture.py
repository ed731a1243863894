"""A throw-away PostgreSQL server for the tests: initdb into a temporary folder, loopback only.

Why the tests start their own: developers' machines and CI have Debian's `postgresql` package
but no cluster we may use, so one server is started per test session (TCP on 127.0.0.1 at a free
port, its unix socket in the same temporary folder) and each test gets a fresh database in it.
PostgreSQL refuses to run as root, so under root the server runs as the `postgres` user (made by
the Debian package) or else `nobody`; the folder is chowned to that user.

Binaries are looked up in `EPITRACE_PG_BIN`, then `/usr/lib/postgresql/<newest>/bin`, then PATH.
Without them the PostgreSQL tests skip, or fail when `CI` or `EPITRACE_REQUIRE_PG=1` is set
(so CI cannot go green without having run them).
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PG_USER = "epitrace"
"""Superuser created by initdb (trust authentication, loopback and socket only)."""

SERVER_OPTIONS = {
    # A test server: durability is worthless here, speed is not.
    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
    "max_connections": "300", "shared_buffers": "64MB", "listen_addresses": "127.0.0.1",
}


def pg_required() -> bool:
    """True when a missing PostgreSQL must fail the tests instead of skipping them."""
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return ci or os.environ.get("EPITRACE_REQUIRE_PG", "") == "1"


def find_pg_bin() -> Path | None:
    """The folder holding `initdb` and `postgres`, or None."""
    candidates: list[Path] = []
    if os.environ.get("EPITRACE_PG_BIN"):
        candidates.append(Path(os.environ["EPITRACE_PG_BIN"]))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    candidates += versions
    on_path = shutil.which("postgres")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as (None: the current, non-root user)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, but neither a 'postgres' nor a 'nobody' user exists to run "
                       "PostgreSQL as: create one (useradd --system postgres) or run the tests as a normal user")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """One running postgres process in its own temporary folder."""

    bin_dir: Path
    base: Path
    port: int = 0
    user: pwd.struct_passwd | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.base / "postgres.log"

    def url(self, database: str) -> str:
        """SQLAlchemy URL of `database` on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _as_user(self) -> dict[str, object]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def _env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C",
                "TZ": "UTC", "HOME": str(self.base)}

    def init(self) -> None:
        """initdb into `base/data` (owned by the server's user)."""
        if self.user is not None:
            os.chown(self.base, self.user.pw_uid, self.user.pw_gid)
        done = subprocess.run(
            [str(self.bin_dir / "initdb"), "-D", str(self.base / "data"), "-U", PG_USER, "-A", "trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            capture_output=True, env=self._env(), cwd=self.base, timeout=180, **self._as_user())  # type: ignore[call-overload]
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")

    def start(self, timeout_s: float = 60.0) -> None:
        """Start postgres on a free loopback port; retried on another port if that one was taken."""
        last = ""
        for _attempt in range(3):
            self.port = _free_port()
            options = [f"-c{k}={v}" for k, v in SERVER_OPTIONS.items()]
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(  # type: ignore[call-overload]
                    [str(self.bin_dir / "postgres"), "-D", str(self.base / "data"), "-p", str(self.port),
                     "-k", str(self.base), *options],
                    stdout=log, stderr=subprocess.STDOUT, env=self._env(), cwd=self.base,
                    start_new_session=True, **self._as_user())
            self._watch()
            if self._wait_ready(timeout_s):
                return
            last = self.log_tail()
            self.stop(remove=False)
        raise RuntimeError(f"PostgreSQL did not start; log:\n{last}")

    def _watch(self) -> None:
        """Shut the server down if this process dies without its teardown (SIGKILL, or SIGTERM
        from a `timeout`), so no orphan server outlives the test session."""
        assert self.process is not None
        pid = self.process.pid
        script = (f"while [ -d /proc/{os.getpid()} ]; do sleep 1; done; kill -INT {pid}; "
                  f"while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; rm -rf '{self.base}'")
        self.watchdog = subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_ready(self, timeout_s: float) -> bool:
        import psycopg

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                psycopg.connect(host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres",
                                connect_timeout=2).close()
                return True
            except psycopg.OperationalError:
                time.sleep(0.1)
        return False

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, closing any connection a test left open."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self, *, remove: bool = True) -> None:
        """Fast shutdown (SIGINT), then kill if it hangs; remove the folder."""
        watchdog, self.watchdog = self.watchdog, None
        if watchdog is not None:  # first, so it can never signal a reused pid
            watchdog.kill()
            watchdog.wait(timeout=10)
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if remove:
            shutil.rmtree(self.base, ignore_errors=True)


def start_server() -> PgServer:
    """A running server, or a RuntimeError that says what is missing and how to get it."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries not found (looked in EPITRACE_PG_BIN, "
                           "/usr/lib/postgresql/*/bin and PATH): apt-get install postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise RuntimeError("psycopg is not installed: pip install 'psycopg[binary]==3.3.9'") from exc
    # Not under pytest's tmp_path: its folders are 0700 root, which the server's user cannot enter.
    server = PgServer(bin_dir, Path(tempfile.mkdtemp(prefix="epitrace-pg-")), user=_run_as())
    atexit.register(server.stop)  # also on an interrupted session
    try:
        server.init()
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session (skipped, or failed under CI, if unavailable)."""
    try:
        server = start_server()
    except RuntimeError as exc:
        if pg_required():
            pytest.fail(f"PostgreSQL is required here (CI or EPITRACE_REQUIRE_PG=1): {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield server
    server.stop()


@pytest.fixture()
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """URL of a fresh, empty database, dropped after the test."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


def export_settings(monkeypatch: pytest.MonkeyPatch, settings: object) -> None:
    """Make `get_settings()` (as the CLI uses it) see `settings`' home and database."""
    monkeypatch.setenv("EPITRACE_HOME", str(settings.home))  # type: ignore[attr-defined]
    url = settings.database_url  # type: ignore[attr-defined]
    if url:
        monkeypatch.setenv("EPITRACE_DATABASE_URL", url)
    else:
        monkeypatch.delenv("EPITRACE_DATABASE_URL", raising=False)
