"""Browser steps shared by the web tests: logging in, waiting, and the pages a tracer's day
needs besides the case itself (playback, cameras and calibration, users, /docs), in a language."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .server import CAMERA_ZONE, PASSWORD, LiveServer

CAMERA = "pets-view001"
# Floor points of PETS View_001 (pixels) for the calibration page, ground positions from the
# camera's registered homography (the test's oracle): five, so the error is measured.
FLOOR_PIXELS = [(120.0, 520.0), (640.0, 520.0), (600.0, 260.0), (210.0, 260.0), (390.0, 380.0)]


def login(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/")
    page.wait_for_url("**/login")
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(lambda u: not u.endswith("/login"))


def switch_user(page: Any, url: str, name: str) -> None:
    """Log out and log in as `name` (each role sees only its own pages)."""
    page.goto(f"{url}/")
    page.click("#logout")
    page.wait_for_url("**/login")
    login(page, url, name)


def wait_until(page: Any, expression: str, timeout_s: float = 30.0) -> None:
    """Poll a JS expression with `page.evaluate` (the page's CSP forbids the eval behind
    `wait_for_function`, and the test keeps that CSP on)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s} s: {expression}")
        time.sleep(0.2)


def zone_shown(text: str) -> bool:
    """Whether a time on the page names Seoul's zone (Chromium writes it GMT+9 or KST)."""
    return "GMT+9" in text or "KST" in text or "UTC+9" in text


def play_and_save(page: Any, button: str, artifacts: Path, shot: str) -> None:
    """Click a ▶ Play button, wait for the redacted clip to play, save the download, close."""
    page.click(button)
    page.wait_for_selector('#player[data-state="ready"]', timeout=120_000)
    assert page.is_hidden("#player-progress")  # the bar shown while the clip was made is gone
    wait_until(page, "document.getElementById('player-video').readyState >= 2", 60)
    assert page.evaluate("document.getElementById('player-video').duration") > 0.5
    page.screenshot(path=artifacts / shot)
    with page.expect_download() as download:
        page.click("#player-download")
    saved = artifacts / f"{Path(shot).stem}.mp4"
    download.value.save_as(saved)
    assert saved.read_bytes()[4:8] == b"ftyp"  # an MP4
    page.click("#player-close")
    page.wait_for_selector("#player", state="hidden")


def calibrate_camera(page: Any, server: LiveServer, artifacts: Path, prefix: str, save: bool) -> float:
    """On /cameras, click five floor points of the PETS frame, type their ground positions and
    read the reprojection error the page shows; returns it (metres)."""
    from epitrace.ingest import camera_calibration
    from epitrace.store import open_store

    store = open_store(server.settings)
    calibration = camera_calibration(store.get_camera(CAMERA))
    store.db.dispose()
    assert calibration is not None
    ground = calibration.image_to_ground(np.array(FLOOR_PIXELS))

    page.goto(f"{server.url}/cameras")
    row = f'#cameras-table tr[data-camera="{CAMERA}"]'
    page.wait_for_selector(row)
    assert CAMERA_ZONE in page.inner_text(row)
    page.click(f"{row} button.calibrate")
    wait_until(page, "document.getElementById('calibrate-image')?.naturalWidth > 0")
    page.wait_for_selector("#calibrate-frame svg.calibration")
    for u, v in FLOOR_PIXELS:
        box = page.locator("#calibrate-frame svg.calibration").bounding_box()
        scale = box["width"] / page.evaluate("document.getElementById('calibrate-image').naturalWidth")
        page.locator("#calibrate-frame svg.calibration").click(position={"x": u * scale, "y": v * scale})
    assert page.locator("#points-table tbody tr").count() == len(FLOOR_PIXELS)
    for i, (x, y) in enumerate(ground):
        page.fill(f'#points-table input.ground-x[data-point="{i}"]', f"{x:.3f}")
        page.fill(f'#points-table input.ground-y[data-point="{i}"]', f"{y:.3f}")
    page.click("#calibrate-check")
    page.wait_for_selector("#calibrate-error[data-rmse]")
    rmse = float(page.get_attribute("#calibrate-error", "data-rmse"))
    page.locator("#calibrate-card").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / f"{prefix}_camera_calibration.png", full_page=True)
    if save:
        page.click("#calibrate-save")
        page.wait_for_selector(f'{row} td.calibration:has-text("points")')
    return rmse


def admin_users(page: Any, url: str, case_id: str, artifacts: Path, prefix: str, new_user: str) -> None:
    """On /users: add an investigator, assign them to the case, disable and enable them."""
    page.goto(f"{url}/users")
    page.wait_for_selector('#users-table tr[data-user="ana"]')
    page.fill("#user-name", new_user)
    page.select_option("#user-role", "investigator")
    page.fill("#user-password", PASSWORD)
    page.click("#user-add")
    row = f'#users-table tr[data-user="{new_user}"]'
    page.wait_for_selector(row)
    page.wait_for_selector(f'#assign-case option[value="{case_id}"]', state="attached")
    page.select_option("#assign-user", new_user)
    page.select_option("#assign-case", case_id)
    page.click("#assign-submit")
    page.wait_for_selector(f'#toast.show:not(.error):has-text("{case_id}")')
    page.click(f"{row} button.disable")
    page.wait_for_selector(f'{row}[data-disabled="true"]')
    has_enable = any(p.endswith("/enable") for p in page.request.get(f"{url}/openapi.json").json()["paths"])
    if has_enable:  # the users API's enable route (added by the accounts' owner)
        page.click(f"{row} button.enable")
        page.wait_for_selector(f'{row}[data-disabled="false"]')
    page.screenshot(path=artifacts / f"{prefix}_user_admin.png", full_page=True)


def api_docs(page: Any, url: str, artifacts: Path, prefix: str) -> None:
    """/docs renders the API offline (no 'Unable to render')."""
    page.goto(f"{url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    page.wait_for_selector(".opblock", timeout=30_000)
    assert "Unable to render" not in page.inner_text("body")
    page.screenshot(path=artifacts / f"{prefix}_docs.png")
