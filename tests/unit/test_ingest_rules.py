"""Issue 12 attacks on ingest through the CLI and the stream reader: F4, F5, F6, F13 (no models needed)."""

from __future__ import annotations

import http.server
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epitrace.app.ingest_rules import StreamUnreachable, require_reachable
from epitrace.cli.main import app
from epitrace.config import get_settings

runner = CliRunner()
START = "2026-03-01T09:00:00+00:00"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EPITRACE_TOKEN", raising=False)
    get_settings.cache_clear()
    assert runner.invoke(app, ["cameras", "add", "cam"]).exit_code == 0
    yield tmp_path / "home"
    get_settings.cache_clear()


def _ingest(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["ingest", *args, "--camera", "cam", "--start", START])
    return result.exit_code, result.output


def test_f4_ingest_paths_naming_the_store_are_refused(home: Path, tmp_path: Path) -> None:
    """F4: `epitrace ingest <home>/epitrace.db` (or its WAL, the keys, a symlink or a folder of links to it)."""
    db = home / "epitrace.db"
    link = tmp_path / "clip.avi"
    link.symlink_to(db)
    folder = tmp_path / "footage"
    folder.mkdir()
    (folder / "a.avi").symlink_to(home / "epitrace.db-wal")
    for path in (db, home / "epitrace.db-wal", home / "epitrace.db-shm", home, link, folder,
                 get_settings().key_file):
        code, out = _ingest(str(path))
        assert code != 0 and "EpiTrace's home" in out.replace("\n", " "), (path, out)


def test_f5_only_rtsp_and_http_sources(home: Path) -> None:
    """F5: file:// and other schemes would make the reader open anything ffmpeg knows."""
    for url in ("file:///etc/passwd", "ftp://10.0.0.1/x", "gopher://x/"):
        code, out = _ingest(url)
        assert code != 0 and "are not read" in out, out


def test_f13_fps_out_of_range_is_refused(home: Path, tmp_path: Path) -> None:
    """F13: `--fps 5e-324` stored 0 tracks and blocked a correct re-ingest."""
    for fps in ("5e-324", "0", "-7", "1e9", "nan"):
        code, out = _ingest(str(tmp_path / "none.avi"), "--fps", fps)
        assert code != 0 and "between 0.1 and 240" in out.replace("\n", " "), (fps, out)


def test_f6_a_logged_in_investigator_cannot_ingest(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """F6: any investigator could ingest footage into any camera."""
    from cli_login import cheap_argon2, login_as
    from epitrace.store import open_store

    with cheap_argon2():
        login_as(open_store(get_settings()), monkeypatch, "ivy", "investigator")
        code, out = _ingest("rtsp://127.0.0.1:1/x")
    assert code != 0 and "operator" in out, out


def test_f5_unreachable_hosts_answer_alike_after_a_fixed_time() -> None:
    """F5: the stream check told open ports from closed ones (message and timing)."""
    messages = []
    for url in ("rtsp://127.0.0.1:1/x", "rtsp://no-such-host.invalid/x"):
        began = time.monotonic()
        with pytest.raises(StreamUnreachable) as info:
            require_reachable(url, timeout_s=0.6)
        assert time.monotonic() - began >= 0.6
        messages.append(str(info.value).split("'")[2])  # the text around the URL
    assert messages[0] == messages[1]


def test_f5_http_redirects_are_not_followed() -> None:
    """F5: ffmpeg followed a camera URL's redirect to another host."""
    from epitrace.ingest import StreamOptions
    from epitrace.ingest.stream_reader import _open

    hits: list[str] = []

    class Target(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    target = socketserver.TCPServer(("127.0.0.1", 0), Target)

    class Redirect(Target):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{target.server_address[1]}/elsewhere")
            self.end_headers()

    redirect = socketserver.TCPServer(("127.0.0.1", 0), Redirect)
    for server in (target, redirect):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(OSError):
            _open(f"http://127.0.0.1:{redirect.server_address[1]}/live", StreamOptions())
    finally:
        for server in (target, redirect):
            server.shutdown()
            server.server_close()
    assert hits == []
