"""Figures for reports and pages: timeline, route over camera positions, contact graph.

All figures are drawn offline with matplotlib (no web tiles) and returned as PNG bytes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from functools import cache, wraps
from typing import Any, ParamSpec

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from epitrace.contacts import duration_words  # noqa: E402
from epitrace.reports.i18n import ENGLISH, Gettext  # noqa: E402
from epitrace.tracing import Visit  # noqa: E402

P = ParamSpec("P")
RISK_COLOURS = {"high": "#c0392b", "medium": "#e67e22", "low": "#7f8c8d"}
HANGUL_FONTS = {"sans-serif": ["DejaVu Sans", "NanumGothic"], "monospace": ["DejaVu Sans Mono", "NanumGothicCoding"]}
"""Glyph fallback (matplotlib >= 3.6): Latin from DejaVu, Hangul from Nanum (Debian fonts-nanum)."""


HANGUL_FONT_FILES = "/usr/share/fonts/truetype/nanum/*.ttf"


@cache
def _register_hangul_fonts() -> None:
    """Tell matplotlib about the Nanum files, even if its font cache was built before they were installed."""
    from glob import glob

    from matplotlib import font_manager

    # a bold label falls back to the nearest Nanum weight; matplotlib's warning about it is noise to a user
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in sorted(glob(HANGUL_FONT_FILES)):
        if path not in known:
            font_manager.fontManager.addfont(path)


def hangul_fonts() -> dict[Any, Any]:
    """Matplotlib settings that draw Korean labels and place names (e.g. 부천역) as text, not boxes."""
    _register_hangul_fonts()
    return {"font.family": HANGUL_FONTS["sans-serif"]}  # a list of families, not a generic name: glyph fallback


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _hangul(draw: Callable[P, bytes]) -> Callable[P, bytes]:
    """Draw with the Hangul fallback fonts (a text's font is fixed when the text is made, not when saved)."""
    @wraps(draw)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> bytes:
        with matplotlib.rc_context(hangul_fonts()):
            return draw(*args, **kwargs)
    return drawn


def _dt(ts: float, zone: tzinfo = UTC) -> datetime:
    return datetime.fromtimestamp(ts, zone)


ContactSpan = tuple[str, float, float, str]
"""(camera name, episode start, episode end, risk): when people came close, for the timeline."""


@_hangul
def timeline_png(visits_by_subject: dict[str, list[Visit]], zone: tzinfo = UTC, _: Gettext = ENGLISH,
                 contacts: Sequence[ContactSpan] = ()) -> bytes:
    """One row per camera, one bar per visit, coloured by subject; the axis in local time of `zone`.

    Contact episodes are drawn just under the visit they happened in, coloured by risk, so the
    reader sees when in the route people came close (each at least a sliver wide: one-second
    contacts stay visible).
    """
    cameras = sorted({v.camera_name for vs in visits_by_subject.values() for v in vs})
    fig, ax = plt.subplots(figsize=(9, 0.6 * max(len(cameras), 2) + 1.2))
    colours = plt.get_cmap("tab10")
    num = [mdates.date2num(_dt(ts, zone).replace(tzinfo=None))
           for vs in visits_by_subject.values() for v in vs for ts in (v.entry_ts, v.exit_ts)]
    sliver = max((max(num) - min(num)) * 0.004, 1 / 86400) if num else 1 / 86400
    for k, (label, visits) in enumerate(visits_by_subject.items()):
        for v in visits:
            row = cameras.index(v.camera_name)
            start = mdates.date2num(_dt(v.entry_ts, zone).replace(tzinfo=None))
            width = max(mdates.date2num(_dt(v.exit_ts, zone).replace(tzinfo=None)) - start, 1 / 86400)
            ax.broken_barh([(start, width)], (row - 0.1, 0.45), color=colours(k % 10),
                           label=label if v is visits[0] else None)
    drawn: set[str] = set()
    for camera, first_ts, last_ts, risk in contacts:
        if camera not in cameras:
            continue
        start = mdates.date2num(_dt(first_ts, zone).replace(tzinfo=None))
        width = max(mdates.date2num(_dt(last_ts, zone).replace(tzinfo=None)) - start, sliver)
        ax.broken_barh([(start, width)], (cameras.index(camera) - 0.35, 0.18), color=RISK_COLOURS.get(risk, "#999"),
                       label=None if risk in drawn else _("contact (%(risk)s risk)") % {"risk": _(risk)})
        drawn.add(risk)
    ax.set_yticks(range(len(cameras)), cameras)
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M:%S"))
    ax.set_xlabel(_("local time (%(zone)s)") % {"zone": zone})
    ax.set_title(_("Where and when the subjects were seen"))
    if visits_by_subject:  # beside the plot: inside, it hid the bars it names
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.autofmt_xdate()
    return _png(fig)


@_hangul
def route_png(visits_by_subject: dict[str, list[Visit]], all_cameras: list[tuple[str, float, float]],
              _: Gettext = ENGLISH) -> bytes:
    """Camera positions (longitude/latitude) with each subject's route drawn in time order."""
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    if all_cameras:
        ax.scatter([c[2] for c in all_cameras], [c[1] for c in all_cameras], marker="s", color="#bbb",
                   label=_("cameras"))
        for name, lat, lon in all_cameras:
            ax.annotate(name, (lon, lat), fontsize=7, color="#666", xytext=(3, 3), textcoords="offset points")
    colours = plt.get_cmap("tab10")
    for k, (label, visits) in enumerate(visits_by_subject.items()):
        pts = [(v.longitude, v.latitude) for v in visits if v.latitude is not None and v.longitude is not None]
        if not pts:
            continue
        xs, ys = zip(*pts, strict=False)
        ax.plot(xs, ys, "-o", color=colours(k % 10), label=label)
        for n, (x, y) in enumerate(pts, 1):
            ax.annotate(str(n), (x, y), fontsize=9, fontweight="bold", xytext=(-10, -10),
                        textcoords="offset points")
    ax.set_xlabel(_("longitude"))
    ax.set_ylabel(_("latitude"))
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(_("Route over camera positions (numbers: visit order)"))
    if ax.get_legend_handles_labels()[0]:  # cameras without positions leave nothing to name
        ax.legend(fontsize=8)
    return _png(fig)


@_hangul
def contact_graph_png(subjects: list[str], contacts: list[tuple[str, str, str, float]], _: Gettext = ENGLISH) -> bytes:
    """Subjects in the centre, contacts around them; edges coloured by risk, labelled with the exposure.

    Args:
        subjects: the subjects' labels, drawn in the centre.
        contacts: (subject label, contact label, risk, exposure seconds); for a contact of a
            contact, the first element is the label of the contact linking them.
    """
    import math

    people = list(dict.fromkeys([c[1] for c in contacts]))
    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    pos = {s: (0.25 * math.cos(2 * math.pi * i / max(len(subjects), 1)),
               0.25 * math.sin(2 * math.pi * i / max(len(subjects), 1))) for i, s in enumerate(subjects)}
    for i, p in enumerate(people):
        angle = 2 * math.pi * i / max(len(people), 1)
        pos[p] = (math.cos(angle), math.sin(angle))
    for subject, person, risk, seconds in contacts:
        if subject not in pos:  # a contact of a contact whose linking contact is not drawn
            continue
        (x1, y1), (x2, y2) = pos[subject], pos[person]
        ax.plot([x1, x2], [y1, y2], color=RISK_COLOURS.get(risk, "#999"), lw=1 + 2 * (risk == "high"))
        # '5.7 s', not '0.1 min': most contacts last seconds, and the label must tell them apart
        ax.annotate(duration_words(seconds), ((x1 + x2) / 2, (y1 + y2) / 2), fontsize=7)
    for s in subjects:
        ax.scatter(*pos[s], s=400, color="#2c3e50", zorder=3)
        ax.annotate(s, pos[s], color="#2c3e50", ha="center", va="top", fontsize=9, fontweight="bold",
                    xytext=(0, -14), textcoords="offset points", zorder=4)
    for p in people:
        ax.scatter(*pos[p], s=250, color="#ecf0f1", edgecolors="#7f8c8d", zorder=3)
        ax.annotate(p, pos[p], ha="center", va="center", fontsize=7, zorder=4)
    ax.set_axis_off()
    ax.set_title(_("Contacts (edge colour: risk high/medium/low)"))
    return _png(fig)
