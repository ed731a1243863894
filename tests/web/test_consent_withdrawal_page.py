"""A tracer withdraws a subject's face-matching consent from the case page (Korean), as the API allows.

The button shows only for a subject who consented; after the confirmation the subject's face data
is gone (the API says no consent) and the page says, in Korean, that tracing goes on by silhouette.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from epitrace.web import i18n

from .flows import CAMERA, login
from .server import CAMERA_ZONE, PASSWORD, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
KO = i18n.translations("ko").gettext


def test_withdrawing_consent_from_the_case_page(browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    url = live_server.url
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR", timezone_id=CAMERA_ZONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())
    login(page, url, "ana")
    now = datetime.now(UTC) + timedelta(hours=9)
    page.fill("#case-basis", "감염병의 예방 및 관리에 관한 법률 제76조의2 (동의 철회 확인)")
    page.fill("#case-onset", f"{now - timedelta(days=1):%Y-%m-%dT%H:%M:%S}")
    page.check(f'#case-cameras input[value="{CAMERA}"]')
    page.click("#case-create")
    page.wait_for_url("**/cases/C-*")
    case_id = page.url.rsplit("/", 1)[1]

    page.fill("#subject-label", "patient-consenting")
    page.check("#subject-consent")
    page.click("#subject-add")
    page.wait_for_selector("#subject-withdraw:not([hidden])")
    page.click("#subject-withdraw")
    # the "subject added" toast may still show: wait for the withdrawal's own words
    expected = KO("face consent withdrawn: traced by silhouette and clothing only")
    page.locator("#toast.show", has_text=expected).wait_for()
    page.wait_for_selector("#subject-withdraw[hidden]", state="attached")
    page.screenshot(path=artifacts / "consent_withdrawn_ko.png", full_page=True)

    token = httpx.post(f"{url}/api/auth/login", json={"name": "ana", "password": PASSWORD}).json()["token"]
    case = httpx.get(f"{url}/api/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}).json()
    [subject] = case["subjects"]
    assert subject["label"] == "patient-consenting" and subject["face_consent"] is False
    assert not errors, errors
    context.close()
