"""The printable PDF (matplotlib, no browser): summary and contact table, evidence photos, figures.

Pages: the summary (case, legal basis, window, policy, each subject's visits and contact people
with local times, distances with their uncertainty, masks, risk and its reason), as many pages as
the table needs; then the evidence photos (subject sightings in clear, contacts mosaicked); then
one page per figure.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import matplotlib
import numpy as np
from rich.cells import cell_len

from epitrace.reports.data import ReportData
from epitrace.reports.i18n import ENGLISH, Gettext, gettext_for, risk_reason
from epitrace.reports.people import PersonRow, count_words, distance_words, mask_words, people, policy_text, stamp
from epitrace.reports.plots import HANGUL_FONTS, hangul_fonts

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.figure import Figure

A4 = (8.27, 11.69)
LINES_PER_PAGE = 88  # monospace 7.5 pt on A4 with margins
WIDTH = 118  # monospace cells per line at that size (a Hangul syllable takes two)
PHOTO_COLS, PHOTO_ROWS = 5, 4
PDF_NOTE = ("Every face is mosaicked except those the report's author unmasked with a reason (audited); "
            "each photo shows at most its own person.")


def _person_lines(r: PersonRow, _: Gettext) -> list[str]:
    """One contact person: label (and via), risk, places; times, exposure, distance, masks; why."""
    via = f" {_('via')} {r.via}" if r.via else ""
    why = risk_reason(_, r.reason_template, dict(r.reason_params), r.risk_reason)
    return [f" - {r.label}{via}  {_('risk')} {_(r.risk).upper()}  {', '.join(r.places)}",
            f"     {stamp(r.first_seen)} -> {stamp(r.last_seen)}; {_('exposure')} {r.exposure_s:.0f} s; "
            f"{_('closest')} {distance_words(r, _)}; {_('masks (subject / contact)')}: "
            f"{mask_words(r.subject_masks, _)} / {mask_words(r.contact_masks, _)}; {_('sightings')} {r.sightings}",
            *wrap_cells(f"{_('why')}: {why}", WIDTH, initial_indent="     ", subsequent_indent="       ")]


def summary_lines(data: ReportData, _: Gettext = ENGLISH) -> list[str]:
    """The summary and contact table as monospace lines (wrapped to the page width), in the reader's words."""
    case, policy = data.case, data.policy
    generated = _("Generated %(when)s by EpiTrace.") % {"when": stamp(datetime.now(UTC), data.zone)}
    lines = [f"{_('EpiTrace case %(id)s') % {'id': case.id}} {case.title}", generated,
             f"{_('Legal basis')}: {case.legal_basis}",
             f"{_('Window')}: {data.local_time(case.window_start_ts)} -> {data.local_time(case.window_end_ts)}",
             f"{_('Policy')}: {policy_text(policy, _)}", ""]
    for s in data.subjects:
        rows = people(s.contacts)
        lines.append(f"{_('Subject %(label)s') % {'label': s.label}}: "
                     f"{_('%(n)d visit(s)') % {'n': len(s.visits)}}, {count_words(s.contacts, _)}")
        for n, v in enumerate(s.visits, 1):
            lines.append(f"   {n}. {v.camera_name} ({v.place})  {data.local_time(v.entry_ts, v.camera_id)} -> "
                         f"{data.local_time(v.exit_ts, v.camera_id)[11:]}")
        lines += [line for r in rows for line in _person_lines(r, _)]
        if s.second_order:
            lines.append(f"  {_('Contacts of contacts')}: {count_words(s.second_order, _)}")
            lines += [line for r in people(s.second_order) for line in _person_lines(r, _)]
        lines.append("")
    lines.append(_(PDF_NOTE))
    return [part for line in lines for part in (wrap_cells(line, WIDTH, subsequent_indent="       ") or [""])]


cells = cell_len
"""Monospace cells a text takes (Rich's table: Hangul and CJK take two, zero-width characters none)."""


def wrap_cells(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """`textwrap.wrap` by display width: a Korean line counted by characters ran off the page.

    Leading and inner runs of spaces are kept, as textwrap keeps them (the summary aligns with them).
    """
    lead = text[: len(text) - len(text.lstrip())]
    chunks: list[str] = []
    for chunk in re.findall(r"\S+\s*", text.strip()):  # a word with the spaces after it
        while cells(subsequent_indent + chunk.rstrip()) > width:  # wider than a line: cut by cells
            n = len(chunk) - 1
            while n > 1 and cells(subsequent_indent + chunk[:n]) > width:
                n -= 1
            chunks.append(chunk[:n])
            chunk = chunk[n:]
        chunks.append(chunk)
    lines: list[str] = []
    line, indent = "", initial_indent + lead
    for chunk in chunks:
        if not line or cells(indent + line + chunk.rstrip()) <= width:
            line += chunk
        else:
            lines.append(indent + line.rstrip())
            indent, line = subsequent_indent, chunk
    if line:
        lines.append(indent + line.rstrip())
    return lines


def _text_pages(pdf: PdfPages, lines: list[str]) -> None:
    for start in range(0, max(len(lines), 1), LINES_PER_PAGE):
        fig = plt.figure(figsize=A4)
        fig.text(0.05, 0.97, "\n".join(lines[start:start + LINES_PER_PAGE]), va="top", family=HANGUL_FONTS["monospace"],
                 fontsize=7.5)
        pdf.savefig(fig)
        plt.close(fig)


def evidence_photos(data: ReportData, _: Gettext = ENGLISH) -> list[tuple[str, bytes]]:
    """(caption, JPEG) of each subject sighting photo, then each contact person's redacted photo."""
    photos = [(f"{_('subject %(label)s') % {'label': s.label}} #{n}", jpeg)
              for s in data.subjects for n, jpeg in enumerate(s.thumbnails, 1)]
    for s in data.subjects:
        found = [(r, _("contact of %(who)s") % {"who": s.label}) for r in people(s.contacts)]
        found += [(r, _("contact of %(who)s") % {"who": r.via}) for r in people(s.second_order)]
        for r, link in found:
            track = next((t for t in r.tracks if t in data.contact_thumbnails), None)
            if track is not None:
                photos.append((f"{r.label} ({_(r.risk)})\n{link}", data.contact_thumbnails[track]))
    return photos


def _photo_pages(pdf: PdfPages, photos: list[tuple[str, bytes]], _: Gettext) -> None:
    per_page = PHOTO_COLS * PHOTO_ROWS
    for start in range(0, len(photos), per_page):
        fig, axes = plt.subplots(PHOTO_ROWS, PHOTO_COLS, figsize=A4)
        fig.suptitle(_("Evidence photos (every face mosaicked unless unmasked with a reason)"), fontsize=10)
        for ax, item in zip(axes.flat, photos[start:start + per_page] + [None] * per_page, strict=False):
            ax.set_axis_off()
            if item is None:
                continue
            image = cv2.imdecode(np.frombuffer(item[1], np.uint8), cv2.IMREAD_COLOR)
            if image is not None:
                ax.imshow(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            ax.set_title(item[0], fontsize=7)
        pdf.savefig(fig)
        plt.close(fig)


def _figure_page(name: str, png: bytes) -> Figure:
    fig, ax = plt.subplots(figsize=A4)
    ax.imshow(mpimg.imread(io.BytesIO(png), format="png"))
    ax.set_axis_off()
    ax.set_title(name)
    return fig


FIGURE_TITLES = {"timeline": "Timeline", "route": "Route", "graph": "Contact graph"}


def render_pdf(data: ReportData, figs: dict[str, bytes], path: Path, lang: str = "en") -> None:
    """Write the PDF to `path`, in `lang` (Hangul drawn from the Nanum fonts)."""
    _ = gettext_for(lang)
    with matplotlib.rc_context(hangul_fonts()), PdfPages(path) as pdf:
        _text_pages(pdf, summary_lines(data, _))
        _photo_pages(pdf, evidence_photos(data, _), _)
        for name, png in figs.items():
            fig = _figure_page(_(FIGURE_TITLES.get(name, name)), png)
            pdf.savefig(fig)
            plt.close(fig)
