"""The web app's languages: every message the pages and scripts show has a Korean translation,
and a page picks the user's choice, then the browser's language, then English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from epitrace.web import i18n

WEB = Path(i18n.__file__).parent
TEMPLATE_MSG = re.compile(r"""_\(\s*(["'])((?:(?!\1).)*)\1\s*\)""")
SCRIPT_MSG = re.compile(r"""\bt\(\s*"([^"]+)"\s*\)""")


def template_messages() -> set[str]:
    return {m.group(2) for f in (WEB / "templates").glob("*.j2") for m in TEMPLATE_MSG.finditer(f.read_text("utf-8"))}


def test_every_script_message_is_handed_to_the_scripts() -> None:
    used = {m for f in (WEB / "static").glob("*.js") for m in SCRIPT_MSG.findall(f.read_text("utf-8"))}
    assert used, "no t(...) call found: the pattern is wrong"
    assert used - set(i18n.SCRIPT_MESSAGES) == set()


@pytest.mark.parametrize("message", sorted(template_messages() | set(i18n.SCRIPT_MESSAGES)))
def test_korean_has_every_message(message: str) -> None:
    translated = i18n.translations("ko").gettext(message)
    assert translated and translated != message or message in {"API", "RMSE"}, message


def test_english_is_the_source_text() -> None:
    assert i18n.script_strings("en")["Confirm"] == "Confirm"
    assert i18n.script_strings("ko")["Confirm"] == "확인"


@pytest.mark.parametrize(("cookie", "header", "expected"), [
    (None, "ko-KR,ko;q=0.9,en-US;q=0.8", "ko"),
    (None, "en-US,en;q=0.9,ko;q=0.5", "en"),
    (None, "fr-FR,ko;q=0.3", "ko"),
    (None, "fr-FR,de;q=0.5", "en"),
    (None, "ko;q=0, en;q=0.1", "en"),
    (None, None, "en"),
    ("ko", "en-US", "ko"),
    ("en", "ko-KR", "en"),
    ("xx", "ko-KR", "ko"),
])
def test_language_choice(cookie: str | None, header: str | None, expected: str) -> None:
    assert i18n.pick_locale(cookie, header) == expected


def test_the_refusal_words_of_app_js_are_the_listed_ones() -> None:
    """app.js says what an HTTP refusal means before the server's English detail: each phrase
    must be in SCRIPT_MESSAGES (via STATUS_WORDS) to reach a Korean page."""
    script = (WEB / "static" / "app.js").read_text("utf-8")
    said = set(re.findall(r'\b\d{3}: "([^"]+)"', script)) | set(re.findall(r'"(Server error[^"]*)"', script))
    assert len(said) >= 9 and said == set(i18n.STATUS_WORDS)


def test_every_audit_action_the_code_records_is_named_on_the_audit_page() -> None:
    """An action added to the code without a name showed as its bare code on the Korean audit page."""
    src = Path(__file__).resolve().parents[2] / "src" / "epitrace"
    recorded = {m.group(2) for p in src.rglob("*.py")
                for m in re.finditer(r'(action=|\.audit\()"([a-z_]+)"', p.read_text())}
    assert recorded and recorded <= set(i18n.AUDIT_ACTIONS), sorted(recorded - set(i18n.AUDIT_ACTIONS))
