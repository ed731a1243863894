"""The investigators' web app in a real browser against a real server, models and footage.

Chromium (Debian's, headless) logs in, ingests a piece of PETS 2009 through the upload form,
opens a case, enrols a pedestrian by clicking them in a frame, confirms the sightings the
search finds, reads the trajectory and the contacts and downloads the report; an auditor then
reads the audit log. Every page is saved as a screenshot in the artefact folder.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .server import PASSWORD, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.models, pytest.mark.timeout(420)]
CAMERA = "pets-view001"
# Footage stamped yesterday, as `epitrace demo` does: the server's retention purge (30 days of
# footage time) would otherwise delete the 2009 recording as soon as it is ingested.
START = (datetime.now(UTC) - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)


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


def most_exposed_track(server: LiveServer, track_ids: list[int]) -> int:
    """Among the people in the frame, the one with the most close contacts (the test's oracle,
    computed with the contacts service on the server's own store)."""
    from epitrace.config import get_policy
    from epitrace.contacts import find_contacts
    from epitrace.store import open_store
    from epitrace.store.cases import get_tracks

    store = open_store(server.settings)
    tracks = get_tracks(store, track_ids=track_ids)
    scored = {t: (len({c.person_id for c in find_contacts(store, [t], get_policy("cdc"))}),
                  tracks[t].end_ts - tracks[t].start_ts) for t in track_ids}
    store.db.dispose()
    return max(scored, key=lambda t: scored[t])


def test_investigator_traces_a_pedestrian_in_the_browser(browser: Any, live_server: LiveServer, pets_clip: Path,
                                                         artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        investigator_flow(page, live_server, pets_clip, artifacts)
    except BaseException:
        page.screenshot(path=artifacts / "failure.png", full_page=True)
        (artifacts / "failure.txt").write_text(page.inner_text("body"), encoding="utf-8")
        raise
    finally:
        context.close()
    auditor_flow(browser, live_server, artifacts)


def investigator_flow(page: Any, live_server: LiveServer, pets_clip: Path, artifacts: Path) -> None:
    url = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(30_000)

    login(page, url, "ana")
    page.screenshot(path=artifacts / "01_cases_empty.png")

    # Ingest: upload the PETS piece and watch the job to the end.
    page.goto(f"{url}/ingest")
    page.select_option("#ingest-camera", CAMERA)
    page.fill("#ingest-start", f"{START:%Y-%m-%dT%H:%M:%S}")
    page.set_input_files("#ingest-file", str(pets_clip))
    page.click("#ingest-submit")
    page.wait_for_selector('#jobs-table tr[data-status="running"]', timeout=60_000)
    wait_until(page, "Number(document.querySelector('#jobs-table progress')?.value) > 0.1", 90)
    page.screenshot(path=artifacts / "02_ingest_running.png")
    page.wait_for_selector('#jobs-table tr[data-status="done"], #jobs-table tr[data-status="failed"]',
                           timeout=240_000)
    page.screenshot(path=artifacts / "03_ingest_done.png")
    assert page.locator('#jobs-table tr[data-status="done"]').count() == 1, page.inner_text("#jobs-table")

    # A case over the PETS camera.
    page.goto(f"{url}/")
    page.fill("#case-title", "Browser test")
    page.fill("#case-basis", "Infectious Disease Control and Prevention Act art. 76-2")
    page.fill("#case-onset", f"{START + timedelta(days=1):%Y-%m-%dT00:00:00}")
    page.fill("#case-isolation", f"{START + timedelta(days=2):%Y-%m-%dT00:00:00}")
    page.check(f'#case-cameras input[value="{CAMERA}"]')
    page.click("#case-create")
    page.wait_for_url("**/cases/C-*")
    case_id = page.url.rsplit("/", 1)[1]

    # Pending until a supervisor (not its creator) approves it: nothing is searched before.
    page.wait_for_selector("#case-pending:not([hidden])")
    assert page.is_disabled("#search")
    page.screenshot(path=artifacts / "03b_case_pending.png")
    switch_user(page, url, "sue")
    row = f'#cases-table tr[data-case="{case_id}"]'
    page.wait_for_selector(f"{row} button.approve")
    assert "ALL cameras" not in page.inner_text(row) and CAMERA in page.inner_text(row)  # the scope, as asked
    page.screenshot(path=artifacts / "03c_supervisor_approves.png")
    page.click(f"{row} button.approve")
    page.wait_for_selector(f'{row}[data-status="open"]')
    switch_user(page, url, "ana")
    page.goto(f"{url}/cases/{case_id}")
    page.wait_for_selector("#case-pending[hidden]", state="attached")

    # A subject, enrolled by clicking the person in the busiest frame.
    page.fill("#subject-label", "patient-1")
    page.click("#subject-add")
    page.wait_for_selector('#subjects .chip:has-text("patient-1")')
    page.wait_for_selector("#picker rect.box")
    wait_until(page, "document.getElementById('picker-image').naturalWidth > 0")
    boxes = [int(t) for t in page.eval_on_selector_all("#picker rect.box", "els => els.map(e => e.dataset.track)")]
    assert len(boxes) >= 3
    target = most_exposed_track(live_server, boxes)
    page.click(f'#picker rect.box[data-track="{target}"]')
    page.wait_for_selector('#subjects .chip:has-text("enrolled ·")')
    page.screenshot(path=artifacts / "04_case_enrol_by_click.png")

    # Search, confirm the matches, see the trajectory.
    page.click("#search")
    page.wait_for_selector(f'#candidates figure.candidate.confirmed[data-track="{target}"]')  # picked = confirmed
    wait_until(page, "[...document.querySelectorAll('#candidates img')].every(i => i.complete)")
    page.screenshot(path=artifacts / "05_candidates.png")
    assert page.is_enabled("#confirm-matches"), page.inner_text("#candidates")  # the search found more of them
    page.click("#confirm-matches")
    wait_until(page, "document.querySelectorAll('#candidates figure.candidate.confirmed').length >= 2")
    assert page.locator("#candidates figure.candidate.match:not(.confirmed)").count() == 0
    page.wait_for_selector("#trajectory svg.timeline rect.visit")
    page.wait_for_selector("#trajectory svg.route circle.stop")
    assert page.locator("#visits-table tbody tr").count() >= 1
    page.locator("#trajectory-card").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "06_trajectory.png")

    # Contacts with exposure, masks, risk and redacted thumbnails.
    page.click("#contacts-load")
    page.wait_for_selector("#contacts-table tbody tr")
    rows = page.locator("#contacts-table tbody tr")
    assert rows.count() >= 1
    first = rows.first.inner_text()
    assert any(r in first for r in ("high", "medium", "low")) and "/" in first
    wait_until(page, "[...document.querySelectorAll('#contacts-table img.thumb')].every(i => i.complete)")
    assert page.eval_on_selector_all("#contacts-table img.thumb", "els => els.every(e => e.naturalWidth > 0)")
    assert page.locator('#contacts-table img[alt="contact (redacted)"]').count() == rows.count()
    page.locator("#contacts-card").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "07_contacts.png")
    page.screenshot(path=artifacts / "08_case_page_full.png", full_page=True)

    # The report, as a download.
    with page.expect_download() as download:
        page.click("#report-html")
    saved = artifacts / f"report_{case_id}.html"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert case_id in text and "patient-1" in text
    with page.expect_download() as download:
        page.click("#report-pdf")
    pdf = artifacts / f"report_{case_id}.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    page.goto(f"{url}/")
    page.wait_for_selector(f'#cases-table a:has-text("{case_id}")')
    page.screenshot(path=artifacts / "09_case_list.png")
    assert errors == [], errors


def auditor_flow(browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    """The auditor sees every step of it in the audit log, and no footage."""
    url = live_server.url
    case_id = next(p.stem.removeprefix("report_") for p in artifacts.glob("report_C-*.html"))
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    login(page, url, "aud")
    page.wait_for_url("**/audit")
    page.wait_for_selector("#audit-table tbody tr")
    page.click("#audit-verify")
    page.wait_for_selector("#audit-verdict.ok")
    log = page.inner_text("#audit-table")
    for action in ("login", "case_new", "case_approve", "enrol", "search", "confirm", "view", "export"):
        assert action in log, action
    page.screenshot(path=artifacts / "10_audit.png")
    page.goto(f"{url}/cases/{case_id}")
    assert "may not" in page.inner_text("#error-message")  # auditors: no footage
    context.close()
