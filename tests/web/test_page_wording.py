"""What the pages say when there is nothing to show or something is refused, in Korean and English.

A real `epitrace serve` (no footage needed): a Korean tracer's refused request is explained in
Korean before the server's English detail; a pending case shows no footage cards whose buttons
would only be refused; the error page says what to do; the audit page names its actions, its
details and its chain check in the reader's words; the ingest page explains an empty form and an
empty job list. Screenshots go to the artefact folder (wording_*).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from epitrace.web import i18n

from .flows import CAMERA, login, switch_user, wait_until
from .server import CAMERA_ZONE, PASSWORD, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
SEOUL = timedelta(hours=9)
KO = i18n.translations("ko").gettext


def new_page(browser: Any, locale: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale, timezone_id=CAMERA_ZONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def toast_text(page: Any) -> str:
    page.wait_for_selector("#toast.show.error")
    return str(page.inner_text("#toast"))


def test_korean_pages_explain_refusals_and_empty_states(browser: Any, live_server: LiveServer,
                                                        artifacts: Path) -> None:
    url = live_server.url
    context, page, errors = new_page(browser, "ko-KR")
    page.goto(f"{url}/login")  # a mistyped password: said as such (not "your session has ended")
    page.fill("#login-name", "nobody")
    page.fill("#login-password", "not-the-password")
    page.click("#login-submit")
    page.wait_for_selector("#login-error:not(:empty)")
    said = page.inner_text("#login-error")
    assert said.startswith(KO("Wrong user name or password.")), said
    login(page, url, "ana")

    # A window that ends before it starts: the refusal is said in Korean, the server's detail kept.
    now = datetime.now(UTC) + SEOUL
    page.fill("#case-basis", "감염병의 예방 및 관리에 관한 법률 제76조의2 제1항 및 제2항에 따른 "
              "역학조사와 정보 제공 요청 (확진자 동선 확인, 접촉자 파악)")  # long: the list's columns get narrow
    page.fill("#case-onset", f"{now - timedelta(days=1):%Y-%m-%dT%H:%M:%S}")
    page.fill("#case-isolation", f"{now - timedelta(days=5):%Y-%m-%dT%H:%M:%S}")
    page.check(f'#case-cameras input[value="{CAMERA}"]')
    page.click("#case-create")
    said = toast_text(page)
    assert any(KO(w) in said for w in i18n.STATUS_WORDS), said
    assert "(" in said and said.rstrip().endswith(")"), said  # the English detail follows, for support
    page.screenshot(path=artifacts / "wording_ko_refused_case.png")

    # A pending case: no footage cards (their buttons would only be refused), no face to show.
    page.fill("#case-isolation", "")
    page.click("#case-create")
    page.wait_for_url("**/cases/C-*")
    page.wait_for_selector("#case-pending:not([hidden])")
    for card in ("#enrol-card", "#candidates-card", "#trajectory-card", "#contacts-card", "#report-card"):
        assert page.is_hidden(card), card
    assert page.is_hidden("#subject-unmask")
    page.screenshot(path=artifacts / "wording_ko_case_pending.png", full_page=True)

    # The supervisor's list in Korean: words break at spaces, never 승/인 down a narrow cell.
    case_id = page.url.rsplit("/", 1)[1]
    switch_user(page, url, "sue")
    button = page.locator(f'#cases-table tr[data-case="{case_id}"] button.approve')
    button.wait_for()
    assert button.bounding_box()["height"] < 40, button.bounding_box()  # one line (~31 px), not two (~55)
    assert page.evaluate("getComputedStyle(document.body).wordBreak") == "keep-all"
    page.screenshot(path=artifacts / "wording_ko_supervisor.png")
    switch_user(page, url, "ana")

    # A case that is not theirs: the page says what to do, in Korean.
    page.goto(f"{url}/cases/C-20990101-000000")
    hint = page.inner_text("#error-hint")
    assert "관리자" in hint and "배정" in hint, hint
    page.screenshot(path=artifacts / "wording_ko_not_assigned.png")

    # The ingest page (administrators): an empty form and an empty job list say what to do.
    switch_user(page, url, "adm")
    page.goto(f"{url}/ingest")
    page.wait_for_selector("#jobs-empty:not([hidden])")
    assert "카메라" in page.inner_text("#jobs-empty")
    page.fill("#ingest-start", f"{now:%Y-%m-%dT%H:%M:%S}")
    page.click("#ingest-submit")
    assert toast_text(page) == KO("Choose a video file or give a path on the server.")
    page.screenshot(path=artifacts / "wording_ko_ingest_empty.png")

    # The audit log in Korean: actions named, details readable, the chain check in words.
    switch_user(page, url, "aud")
    page.wait_for_selector("#audit-table tbody tr")
    page.click("#audit-verify")
    page.wait_for_selector("#audit-verdict.ok")
    assert page.inner_text("#audit-verdict").startswith(f"{KO('intact')}: ")
    assert KO("case_new") in page.inner_text('#audit-table tr[data-action="case_new"] .tag')
    assert "{" not in page.inner_text('#audit-table tr[data-action="case_new"] td.detail')
    page.fill("#audit-case", "C-20000101-000000")  # no entry: nobody asked for it
    page.click("#audit-filter button[type=submit]")
    wait_until(page, "document.querySelectorAll('#audit-table tbody tr').length === 0")
    assert page.is_visible("#audit-empty")
    page.fill("#audit-case", "")
    page.click("#audit-filter button[type=submit]")
    page.wait_for_selector("#audit-table tbody tr")
    page.screenshot(path=artifacts / "wording_ko_audit.png")
    assert errors == [], errors
    context.close()

    # A page opened before logging in (a colleague's link, an expired session) is where login returns.
    context, page, errors = new_page(browser, "en-US")
    page.goto(f"{url}/ingest")
    page.wait_for_url("**/login?next=%2Fingest")
    page.fill("#login-name", "adm")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{url}/ingest")
    for evil in ("//example.org/", "/\t/example.org/", "/\\example.org/", "https://example.org/"):  # never elsewhere
        page.context.clear_cookies()
        page.goto(f"{url}/login?{urlencode({'next': evil})}")
        page.fill("#login-name", "adm")
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(f"{url}/")
    context.close()

    # In English the audit page keeps the action codes `epitrace audit show` prints.
    context, page, errors = new_page(browser, "en-US")
    login(page, url, "aud")
    page.wait_for_selector('#audit-table tr[data-action="case_new"]')
    assert page.inner_text('#audit-table tr[data-action="case_new"] .tag') == "case_new"
    page.click("#audit-verify")
    page.wait_for_selector("#audit-verdict.ok")
    assert "entries checked" in page.inner_text("#audit-verdict")
    assert errors == [], errors
    context.close()
