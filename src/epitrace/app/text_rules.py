"""Free text that goes into the record (legal bases, reasons, labels) must be readable as written.

Control, zero-width and bidirectional-override characters let a one-character or invisible
"reason" pass a length check, or make a line display differently from what it stores; they are
refused, and the visible length is what counts.
"""

from __future__ import annotations

import unicodedata

_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn"}  # control, format (zero-width, bidi), private, unassigned


def check_text(value: str, *, what: str, min_visible: int = 0, max_len: int = 1000) -> str:
    """`value` stripped, if it is printable text with at least `min_visible` non-space characters.

    Raises:
        ValueError: Says which rule the text breaks and what to write instead.
    """
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text")
    text = value.strip()
    bad = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in _REFUSED_CATEGORIES
                  and c not in "\t"})
    if bad:
        raise ValueError(f"{what} contains invisible or control characters ({', '.join(bad[:5])}): "
                         "type it as plain text")
    visible = sum(1 for c in text if not c.isspace())
    if visible < min_visible:
        raise ValueError(f"{what} is too short: write at least {min_visible} characters that say it plainly")
    if len(text) > max_len:
        raise ValueError(f"{what} is too long: at most {max_len} characters")
    return text
