"""Words shown to people, kept as templates and values so each front end can translate them.

A reason such as "face 0.880, below match 0.935, small face 24 px" is built in the core, but
the web page may be in Korean. Sending finished English text would leave the page half
translated, so the core hands out `Words`: English templates with `{placeholders}` and their
values. The English text is one `str()` away (the CLI, logs, the API's plain field); the web
page translates each template and each value that is itself a word (a colour name), then fills
in the values. The templates a front end may receive are listed where they are made (e.g.
`tracing.face_bands.FACE_PHRASES`), so the translation catalogs can be checked for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Phrase:
    """One template ("{colour} upper") and the values of its placeholders ({"colour": "red"})."""

    template: str
    params: tuple[tuple[str, str], ...] = ()  # (name, value) pairs: hashable, unlike a dict

    def __str__(self) -> str:
        return self.template.format(**dict(self.params))


@dataclass(frozen=True)
class Words:
    """Phrases read together, separated by commas: a reason or a description in words."""

    phrases: tuple[Phrase, ...]

    def __str__(self) -> str:
        return ", ".join(str(p) for p in self.phrases)


def words(*phrases: Phrase | Iterable[Phrase]) -> Words:
    """`Words` from phrases and iterables of phrases, in order."""
    out: list[Phrase] = []
    for p in phrases:
        if isinstance(p, Phrase):
            out.append(p)
        else:
            out.extend(p)
    return Words(tuple(out))


def phrase(template: str, **params: str) -> Phrase:
    """A phrase whose values are already formatted strings (numbers formatted by the caller)."""
    return Phrase(template, tuple(params.items()))
