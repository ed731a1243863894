"""The report's languages: English (the source strings) and Korean (a gettext catalog beside it).

A report is written in the language its reader asked for (the web page's language, the CLI's
`--lang`). The catalog also holds the risk rule's reasons (`contacts.risk.REASONS`), which the
web pages reuse, so one sentence has one translation.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "ko")
CATALOG = Path(__file__).parent / "locale"

Gettext = Callable[[str], str]


def po_translations(path: Path, locale: str) -> gettext.GNUTranslations:
    """A `.po` catalog as gettext translations (compiled in memory: no `.mo` in the repository)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@lru_cache(maxsize=len(LANGUAGES))
def report_translations(lang: str) -> gettext.NullTranslations:
    """The report's translations in `lang` (English: the source strings themselves).

    Raises:
        ValueError: A language the report is not written in (the known ones are named).
    """
    if lang not in LANGUAGES:
        raise ValueError(f"no report language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    return po_translations(CATALOG / lang / "LC_MESSAGES" / "report.po", lang)


def gettext_for(lang: str) -> Gettext:
    """`_` for `lang`: English text in, the reader's text out."""
    return report_translations(lang).gettext


ENGLISH: Gettext = gettext.NullTranslations().gettext
"""`_` for English, the source language: every text as it is."""


def risk_reason(_: Gettext, template: str, params: Mapping[str, str], fallback: str) -> str:
    """A contact's risk reason in the reader's language (its English text when it has no template)."""
    return _(template).format(**params) if template else fallback
