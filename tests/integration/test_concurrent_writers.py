"""Issue 12 F4: a live server and CLI processes writing at once lose nothing, and the store's own paths are refused.

The finding: an admin named the database as an ingest path and as a calibration file; the server
lost its SQLite locks, the next CLI command deleted the WAL, and after a restart committed rows and
audit entries were gone while `audit verify` said ok.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from cli_login import PASSWORD
from conftest import installed_models_dir
from web.server import start_server

pytestmark = [pytest.mark.slow]
ROUNDS = 6


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "epitrace", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_f4_server_and_cli_write_at_once_and_store_paths_are_refused(tmp_path: Path) -> None:
    """F4: the attack (database as ingest path and calibration file) during concurrent server + CLI writes."""
    home = tmp_path / "home"
    server = start_server(home, installed_models_dir(), tmp_path / "server.log")
    env = {**os.environ, "EPITRACE_HOME": str(home), "EPITRACE_MODELS_PATH": str(installed_models_dir())}
    env.pop("EPITRACE_DATABASE_URL", None)
    db = home / "epitrace.db"
    try:
        token = httpx.post(f"{server.url}/api/auth/login", json={"name": "adm", "password": PASSWORD}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        env["EPITRACE_TOKEN"] = token
        camera = httpx.get(f"{server.url}/api/cameras", headers=auth).json()["data"][0]["id"]
        attack = httpx.post(f"{server.url}/api/ingest/jobs/source", headers=auth, timeout=30,
                            json={"source": str(db), "camera_id": camera,
                                  "start": "2026-03-02T09:00:00Z"})
        assert attack.status_code == 403 and "EpiTrace's home" in attack.json()["detail"]
        refused = _cli(env, "cameras", "add", "evil", "--tsai-xml", str(db))
        assert refused.returncode != 0 and "EpiTrace's home" in refused.stdout + refused.stderr

        api_codes: list[int] = []

        def api_writes() -> None:
            with httpx.Client(base_url=server.url, headers=auth, timeout=60) as client:
                for i in range(ROUNDS):
                    api_codes.append(client.put("/api/cameras", json={"id": f"api-{i}"}).status_code)

        thread = threading.Thread(target=api_writes)
        thread.start()
        cli = [subprocess.Popen([sys.executable, "-m", "epitrace", "cameras", "add", f"cli-{i}"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for i in range(ROUNDS)]
        outputs = [p.communicate(timeout=180)[0] for p in cli]
        thread.join(180)
        assert [p.returncode for p in cli] == [0] * ROUNDS, outputs
        assert api_codes == [200] * ROUNDS
    finally:
        server.stop()
    with sqlite3.connect(db) as con:  # after the server stopped: every committed row is still there
        cameras = {r[0] for r in con.execute("SELECT id FROM cameras")}
        puts = con.execute("SELECT count(*) FROM audit_log WHERE action = 'camera_put'").fetchone()[0]
    assert {f"api-{i}" for i in range(ROUNDS)} | {f"cli-{i}" for i in range(ROUNDS)} <= cameras
    assert "evil" not in cameras and puts == 2 * ROUNDS
    verify = _cli(env, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
