"""The investigators' web app in a real browser against a real server, models and footage.

Chromium (Debian's, headless) logs in, ingests a piece of PETS 2009 through the upload form,
opens a case, has a supervisor approve it, enrols a pedestrian by clicking them in a frame of
the footage picker, reviews the candidates (keys, undo), confirms the matches, reads the
trajectory and the contacts in the camera's local time, plays the redacted clips and downloads
the report; an administrator calibrates the camera and manages users. The same case is then
walked in Korean (the browser's language), where a face is picked in a two-person photo and
the case is closed; an auditor finally reads the audit log. Every page is saved as a
screenshot in the artefact folder (en_* and ko_* for the two languages).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .flows import (
    CAMERA,
    admin_users,
    api_docs,
    calibrate_camera,
    login,
    play_and_save,
    switch_user,
    wait_until,
    zone_shown,
)
from .server import CAMERA_ZONE, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.models, pytest.mark.timeout(900)]
# Footage stamped yesterday, as `epitrace demo` does: the server's retention purge (30 days of
# footage time) would otherwise delete the 2009 recording as soon as it is ingested.
START = (datetime.now(UTC) - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
SEOUL = timedelta(hours=9)  # the camera's and the browser's clock: Asia/Seoul, no daylight saving


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
                                                         artifacts: Path, shared_data: Path) -> None:
    photo = shared_data / "faces" / "stills" / "examples" / "knn_examples" / "test" / "obama_and_biden.jpg"
    case_id, labels = run_in(browser, "en-US", artifacts,
                             lambda page: investigator_flow(page, live_server, pets_clip, artifacts))
    run_in(browser, "en-US", artifacts,
           lambda page: admin_flow(page, live_server, case_id, artifacts, "en", save=False))
    run_in(browser, "ko-KR", artifacts, lambda page: korean_flow(page, live_server, case_id, labels, artifacts, photo))
    auditor_flow(browser, live_server, artifacts)


def run_in(browser: Any, locale: str, artifacts: Path, flow: Any) -> Any:
    """Run `flow(page)` in a fresh browser context whose language is `locale`; on failure keep
    a screenshot and the page's text; fail on any script error of the page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale=locale,
                                  timezone_id=CAMERA_ZONE)  # a tracer in Seoul
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None)
    page.set_default_timeout(30_000)
    try:
        out = flow(page)
        assert errors == [], errors
        return out
    except BaseException:
        page.screenshot(path=artifacts / f"failure_{locale}.png", full_page=True)
        (artifacts / f"failure_{locale}.txt").write_text(page.inner_text("body"), encoding="utf-8")
        raise
    finally:
        context.close()


def contact_labels(page: Any) -> dict[str, str]:
    """Contact sighting -> the person label the contacts table shows for it."""
    return dict(page.eval_on_selector_all("#contacts-table tbody tr",
                                          "rows => rows.map(r => [r.dataset.track, r.dataset.person])"))


def investigator_flow(page: Any, live_server: LiveServer, pets_clip: Path,
                      artifacts: Path) -> tuple[str, dict[str, str]]:
    url = live_server.url
    login(page, url, "ana")
    assert page.get_attribute("html", "lang") == "en"
    page.screenshot(path=artifacts / "01_cases_empty.png")

    # Ingest (administrators and operators): upload the PETS piece and watch the job to the end.
    switch_user(page, url, "adm")
    page.goto(f"{url}/ingest")
    page.select_option("#ingest-camera", CAMERA)
    page.fill("#ingest-start", f"{START + SEOUL:%Y-%m-%dT%H:%M:%S}")  # the camera's clock
    assert "Asia/Seoul" in page.inner_text("#ingest-zone")
    page.set_input_files("#ingest-file", str(pets_clip))
    page.click("#ingest-submit")
    page.wait_for_selector('#jobs-table tr[data-status="running"]', timeout=60_000)
    wait_until(page, "Number(document.querySelector('#jobs-table progress')?.value) > 0.1", 90)
    page.screenshot(path=artifacts / "02_ingest_running.png")
    page.wait_for_selector('#jobs-table tr[data-status="done"], #jobs-table tr[data-status="failed"]',
                           timeout=240_000)
    page.screenshot(path=artifacts / "03_ingest_done.png")
    assert page.locator('#jobs-table tr[data-status="done"]').count() == 1, page.inner_text("#jobs-table")

    # A case over the PETS camera, opened by the investigator.
    switch_user(page, url, "ana")
    page.goto(f"{url}/")
    page.fill("#case-title", "Browser test")
    page.fill("#case-basis", "Infectious Disease Control and Prevention Act art. 76-2")
    # Onset that evening, isolation just now: the window (2 days before onset to isolation) holds
    # the footage and does not reach into the future.
    # (typed in the browser's local time: Seoul's here).
    page.fill("#case-onset", f"{START + timedelta(hours=12) + SEOUL:%Y-%m-%dT%H:%M:%S}")
    page.fill("#case-isolation", f"{datetime.now(UTC) - timedelta(minutes=1) + SEOUL:%Y-%m-%dT%H:%M:%S}")
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
    wait_until(page, "document.getElementById('case-facts').innerText.includes('Asia/Seoul')")
    assert zone_shown(page.inner_text("#case-facts")), page.inner_text("#case-facts")

    # The footage picker: the recorded spans in Seoul time, a jump to a typed local time.
    page.wait_for_selector("#picker-spans button.span")
    assert "Asia/Seoul" in page.inner_text("#picker-zone")
    local_start = START + SEOUL  # the footage began at 09:00 UTC = 18:00 in Seoul
    assert f"{local_start:%Y-%m-%d} {local_start:%H:%M}" in page.inner_text("#picker-spans")
    page.wait_for_selector("#picker rect.box")
    page.fill("#picker-jump", f"{local_start + timedelta(seconds=10):%Y-%m-%dT%H:%M:%S}")
    page.click("#picker-go")
    wait_until(page, "Math.abs(Date.parse(document.getElementById('picker-when').dataset.time) - "
               f"{(START + timedelta(seconds=10)).timestamp() * 1000}) < 2000")
    page.click("#picker-busiest")

    # A subject, enrolled by clicking the person in the busiest frame.
    page.fill("#subject-label", "patient-1")
    page.click("#subject-add")
    page.wait_for_selector('#subjects .chip:has-text("patient-1")')
    page.wait_for_selector("#picker rect.box")
    wait_until(page, "document.getElementById('picker-image').naturalWidth > 0")
    page.wait_for_selector('#picker .frame[data-state="ready"]')  # its "preparing the frame" note is gone
    boxes = [int(t) for t in page.eval_on_selector_all("#picker rect.box", "els => els.map(e => e.dataset.track)")]
    assert len(boxes) >= 3
    target = most_exposed_track(live_server, boxes)
    page.click(f'#picker rect.box[data-track="{target}"]')
    page.wait_for_selector('#subjects .chip [data-enrolled="yes"]')
    page.screenshot(path=artifacts / "04_case_enrol_by_click.png")

    # Search; review with the keys: reject a card, undo it; the cards keep their place.
    page.click("#search")
    page.wait_for_selector(f'#candidates figure.candidate.confirmed[data-track="{target}"]')  # picked = confirmed
    wait_until(page, "[...document.querySelectorAll('#candidates img')].every(i => i.complete)")
    assert zone_shown(page.inner_text("#candidates figure.candidate >> nth=0"))
    order = page.eval_on_selector_all("#candidates figure.candidate", "els => els.map(e => e.dataset.key)")
    open_key = page.eval_on_selector_all(  # an undecided card, a non-match if there is one
        "#candidates figure.candidate:not(.confirmed)",
        "els => { const m = els.find(e => !e.classList.contains('match')) || els[0];"
        " return m ? m.dataset.key : null; }")
    assert open_key, "no undecided candidate to review"
    page.click(f'#candidates figure[data-key="{open_key}"] figcaption')
    page.keyboard.press("r")
    page.wait_for_selector(f'#candidates figure.rejected[data-key="{open_key}"]')
    assert page.eval_on_selector_all("#candidates figure.candidate", "els => els.map(e => e.dataset.key)") == order
    explained = page.inner_text(f'#candidates figure[data-key="{open_key}"] .explanation')
    assert " upper, " in explained and "+-" not in explained, explained  # a height's spread reads "±"
    page.screenshot(path=artifacts / "05_candidates.png")
    page.keyboard.press("u")
    page.wait_for_selector(f'#candidates figure.candidate:not(.rejected)[data-key="{open_key}"]')
    if page.is_enabled("#confirm-matches"):  # more sightings above the threshold: all confirmed at once
        page.click("#confirm-matches")
    else:  # the picked track was the subject's only match (one unbroken track): confirm the card by its key
        page.click(f'#candidates figure[data-key="{open_key}"] figcaption')
        page.keyboard.press("c")
    wait_until(page, "document.querySelectorAll('#candidates figure.candidate.confirmed').length >= 2")
    assert page.locator("#candidates figure.candidate.match:not(.confirmed)").count() == 0
    assert page.eval_on_selector_all("#candidates figure.candidate", "els => els.map(e => e.dataset.key)") == order
    page.wait_for_selector("#trajectory svg.timeline rect.visit")
    page.wait_for_selector("#trajectory svg.route circle.stop")
    assert page.locator("#visits-table tbody tr").count() >= 1
    assert zone_shown(page.inner_text("#visits-table"))
    page.locator("#trajectory-card").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "06_trajectory.png")

    # Playback of a confirmed sighting: the redacted clip in the page, and its download.
    play_and_save(page, "#visits-table button.play >> nth=0", artifacts, "en_07a_playback_sighting.png")

    # Contacts with local times, exposure, masks, risk and redacted thumbnails; stable labels.
    page.click("#contacts-load")
    page.wait_for_selector("#contacts-table tbody tr")
    rows = page.locator("#contacts-table tbody tr")
    assert rows.count() >= 1
    page.wait_for_selector("#trajectory svg.timeline rect.contact")  # when they met, under the subject's visit
    first = rows.first.inner_text()
    assert any(r in first for r in ("high", "medium", "low")) and "/" in first
    assert f"{local_start:%Y-%m-%d} {local_start:%H}:" in first and zone_shown(first), first
    wait_until(page, "[...document.querySelectorAll('#contacts-table img.thumb')].every(i => i.complete)")
    assert page.eval_on_selector_all("#contacts-table img.thumb", "els => els.every(e => e.naturalWidth > 0)")
    assert page.locator('#contacts-table img[alt="contact (redacted)"]').count() == rows.count()
    labels = contact_labels(page)
    page.locator("#contacts-card").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "en_07_contacts.png")
    page.select_option("#contacts-policy", "who")
    page.check("#contacts-second")
    page.click("#contacts-load")
    page.wait_for_selector("#contacts-status:has-text('WHO')")
    again = contact_labels(page)
    assert all(labels[t] == again[t] for t in labels.keys() & again.keys()), (labels, again)
    play_and_save(page, "#contacts-table button.play >> nth=0", artifacts, "en_07b_playback_contact.png")
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

    legal_hold(page, live_server, case_id, artifacts)

    page.goto(f"{url}/")
    page.wait_for_selector(f'#cases-table a:has-text("{case_id}")')
    page.screenshot(path=artifacts / "09_case_list.png")
    return case_id, labels


def legal_hold(page: Any, server: LiveServer, case_id: str, artifacts: Path) -> None:
    """Issue 12 item 2: a purge with a retention shorter than the footage's age (one day, three
    days from now) keeps what the open case holds; its route and contacts still show."""
    from epitrace.privacy.retention import purge
    from epitrace.store import open_store

    store = open_store(server.settings)
    try:
        report = purge(store, now=datetime.now(UTC) + timedelta(days=3), default_days=1, user="retention-test")
    finally:
        store.db.dispose()
    assert not report.dry_run
    page.goto(f"{server.url}/cases/{case_id}")
    page.wait_for_selector("#trajectory svg.timeline rect.visit")
    assert page.locator("#visits-table tbody tr").count() >= 1
    wait_until(page, "[...document.querySelectorAll('#visits-table img')].every(i => i.complete && i.naturalWidth > 0)")
    page.click("#contacts-load")
    page.wait_for_selector("#contacts-table tbody tr")
    page.locator("#trajectory-card").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "08b_after_purge_legal_hold.png")


def admin_flow(page: Any, live_server: LiveServer, case_id: str, artifacts: Path, prefix: str, save: bool) -> None:
    """An administrator calibrates the camera on a frame, manages users, and reads /docs."""
    login(page, live_server.url, "adm")
    rmse = calibrate_camera(page, live_server, artifacts, prefix, save=save)
    assert rmse < 0.25, rmse  # five clicks on the registered plane: centimetres, not metres
    admin_users(page, live_server.url, case_id, artifacts, prefix, new_user=f"{prefix}-tracer")
    api_docs(page, live_server.url, artifacts, prefix)


def korean_flow(page: Any, live_server: LiveServer, case_id: str, labels: dict[str, str], artifacts: Path,
                photo: Path) -> None:
    """The same case in Korean: the browser asks for it; labels and times agree with English."""
    url = live_server.url
    login(page, url, "ana")
    page.goto(f"{url}/cases/{case_id}")
    assert page.get_attribute("html", "lang") == "ko"
    page.wait_for_selector("#visits-table")
    assert "접촉자" in page.inner_text("#contacts-card h2") and "대상자" in page.inner_text("#subjects-card h2")
    page.click("#contacts-load")
    page.wait_for_selector("#contacts-table tbody tr")
    first = page.locator("#contacts-table tbody tr").first.inner_text()
    assert any(r in first for r in ("높음", "중간", "낮음")) and zone_shown(first), first
    reason = page.locator("#contacts-table tbody tr .reason").first.inner_text()
    assert "정책(" in reason and "{" not in reason and "within" not in reason, reason  # the rule's why, in Korean
    assert contact_labels(page) == labels
    page.locator("#contacts-card").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "ko_07_contacts.png")
    play_and_save(page, "#contacts-table button.play >> nth=0", artifacts, "ko_07b_playback_contact.png")

    # Search by description (no photo): the form's colours and the candidates' words in Korean.
    page.select_option("#describe-upper", "white")
    assert page.locator("#describe-upper option:checked").inner_text() == "흰색"
    page.fill("#describe-height", "1.75")
    page.fill("#describe-tolerance", "0.30")
    page.select_option("#describe-camera", CAMERA)  # times typed in the camera's zone (Seoul)
    assert "Asia/Seoul" in page.inner_text("#describe-zone")
    page.fill("#describe-from", f"{START + SEOUL - timedelta(minutes=1):%Y-%m-%dT%H:%M:%S}")
    page.fill("#describe-to", f"{START + SEOUL + timedelta(minutes=5):%Y-%m-%dT%H:%M:%S}")
    page.click("#describe-submit")
    page.wait_for_selector("#candidates figure.candidate .explanation")
    said = page.inner_text("#candidates figure.candidate >> nth=0")
    assert "상의" in said and "하의" in said and "키" in said and "upper" not in said and "{" not in said, said
    assert "인상착의" in page.inner_text("#candidates h3")
    page.locator("#candidates-card").scroll_into_view_if_needed()
    wait_until(page, "[...document.querySelectorAll('#candidates img')].every(i => i.complete)")
    page.screenshot(path=artifacts / "ko_05b_describe.png")

    # A second subject enrolled from a two-person photo by clicking the leftmost face.
    page.fill("#subject-label", "patient-2")
    page.check("#subject-consent")
    page.click("#subject-add")
    page.wait_for_selector('#subjects .chip:has-text("patient-2") input:checked')
    page.set_input_files("#photo-file", str(photo))
    page.wait_for_selector("#photo-faces rect.face >> nth=1")
    assert page.locator("#photo-faces rect.face").count() >= 2  # Obama and Biden (and what else the detector sees)
    page.click('#photo-faces rect.face[data-face="0"]')
    page.locator("#enrol-card").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "ko_04c_photo_face_pick.png")
    page.click("#photo-submit")
    page.wait_for_selector('#subjects .chip:has-text("patient-2") [data-enrolled="yes"]')

    # The user's own choice of language (a cookie) wins over the browser's.
    page.click('#lang-switch a[data-lang="en"]')
    page.wait_for_selector('html[lang="en"]')
    page.click('#lang-switch a[data-lang="ko"]')
    page.wait_for_selector('html[lang="ko"]')

    # The administrator's pages in Korean; the calibration is saved this time.
    switch_user(page, url, "adm")
    rmse = calibrate_camera(page, live_server, artifacts, "ko", save=True)
    assert rmse < 0.25, rmse
    admin_users(page, url, case_id, artifacts, "ko", new_user="ko-tracer")
    api_docs(page, url, artifacts, "ko")

    # Close the case with its outcome (last: a closed case takes no new assignment or search).
    switch_user(page, url, "ana")
    page.goto(f"{url}/cases/{case_id}")
    page.wait_for_selector("#close-case:not([hidden])")
    page.wait_for_selector("#picker-image")  # the open case's frame, fetched before closing (else a 409 race)
    page.fill("#close-outcome", "접촉자 3명 통보, 검사 의뢰")
    page.click("#close-submit")
    page.wait_for_selector("#close-case[hidden]", state="attached")
    wait_until(page, "document.getElementById('case-facts').innerText.includes('종결')")
    assert page.is_hidden("#enrol-card") and page.is_hidden("#close-case")  # no more footage, no second close
    page.screenshot(path=artifacts / "ko_08_case_closed.png", full_page=True)


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
    page.select_option("#audit-limit", "1000")
    page.click("#audit-filter button[type=submit]")
    page.wait_for_selector('#audit-table[data-query="limit=1000"] tbody tr')  # not the first 100 rows
    log = page.inner_text("#audit-table")
    for action in ("login", "case_new", "case_approve", "enrol", "search", "confirm", "reject", "undo_decision",
                   "view", "export", "case_close", "camera_put"):
        assert action in log, action
    page.screenshot(path=artifacts / "10_audit.png")
    page.goto(f"{url}/cases/{case_id}")
    assert "may not" in page.inner_text("#error-message")  # auditors: no footage
    context.close()
