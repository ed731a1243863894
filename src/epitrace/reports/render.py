"""Write the case report as one self-contained HTML file and a PDF.

Both show the same things in the same local times: the redacted evidence photos (the subject's
own sightings in clear, each contact's best thumbnail with the head mosaicked), the timeline and
route, one row per contact person (`reports.people`), the policy and the legal basis.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from epitrace.reports.data import ReportData
from epitrace.reports.i18n import ENGLISH, Gettext, gettext_for, report_translations, risk_reason
from epitrace.reports.people import count_words, distance_words, mask_words, people, policy_text, stamp
from epitrace.reports.plots import contact_graph_png, route_png, timeline_png
from epitrace.reports.render_pdf import render_pdf
from epitrace.tracing import Visit

__all__ = ["figures", "people", "render_html", "render_pdf", "write_report"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def figures(data: ReportData, _: Gettext = ENGLISH) -> dict[str, bytes]:
    """The report's plots as PNG bytes (timeline, route, contact graph), titled in the reader's words."""
    visits = {s.label: s.visits for s in data.subjects if s.visits}
    out: dict[str, bytes] = {}
    if visits:
        spans = [(c.camera_name or c.camera_id, e.start_ts, e.end_ts, c.risk)
                 for s in data.subjects for c in s.contacts for e in c.episodes]
        out["timeline"] = timeline_png(visits, data.zone, _, contacts=spans)
        if route_says_something(visits, data.cameras):
            out["route"] = route_png(visits, data.cameras, _)
    edges = [(s.label, r.label, r.risk, r.exposure_s) for s in data.subjects for r in people(s.contacts)]
    edges += [(via, r.label, r.risk, r.exposure_s) for s in data.subjects for r in people(s.second_order)
              for via in (r.via or "").split(", ") if via]  # a contact of a contact hangs off its contact
    if edges:
        out["graph"] = contact_graph_png([s.label for s in data.subjects], edges, _)
    return out


def route_says_something(visits: dict[str, list[Visit]], cameras: list[tuple[str, float, float]]) -> bool:
    """Whether a route map shows more than the visits table: at least two places on it.

    An empty map, or one dot on axes of degrees (a single camera), says nothing.
    """
    places = {(round(lat, 6), round(lon, 6)) for _, lat, lon in cameras}
    places |= {(round(v.latitude, 6), round(v.longitude, 6)) for vs in visits.values() for v in vs
               if v.latitude is not None and v.longitude is not None}
    return len(places) >= 2


def photo_track(tracks: list[int], thumbs: dict[int, bytes]) -> int | None:
    """The first of a person's tracks (most exposed first) that has a redacted photo."""
    return next((t for t in tracks if t in thumbs), None)


def render_html(data: ReportData, figs: dict[str, bytes], lang: str = "en") -> str:
    """The report as one self-contained HTML page (figures and photos inlined), in `lang`."""
    trans = report_translations(lang)
    _ = trans.gettext
    env = Environment(loader=PackageLoader("epitrace.reports", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(trans, newstyle=True)  # type: ignore[attr-defined]
    subjects = [{"id": s.id, "label": s.label, "face_consent": s.face_consent, "visits": s.visits,
                 "contacts": people(s.contacts), "count": count_words(s.contacts, _),
                 "second": people(s.second_order), "second_count": count_words(s.second_order, _),
                 "thumbs": [_b64(t) for t in s.thumbnails]} for s in data.subjects]
    return env.get_template("case_report.html.j2").render(
        case=data.case, policy=data.policy, policy_text=policy_text(data.policy, _), subjects=subjects,
        when=data.local_time, stamp=stamp, lang=lang,
        distance=lambda row: distance_words(row, _), masks=lambda states: mask_words(states, _),
        reason=lambda row: risk_reason(_, row.reason_template, dict(row.reason_params), row.risk_reason),
        photo=lambda tracks: photo_track(tracks, data.contact_thumbnails),
        zone=str(data.zone), generated=stamp(datetime.now(UTC), data.zone),
        contact_thumbs={k: _b64(v) for k, v in data.contact_thumbnails.items()},
        **{k: _b64(v) for k, v in figs.items()},
    )


def write_report(data: ReportData, out_dir: Path, lang: str = "en") -> tuple[Path, Path]:
    """Write `<case>.html` and `<case>.pdf` into `out_dir`, in `lang` ('en' or 'ko')."""
    _ = gettext_for(lang)  # an unknown language fails before any file is written
    out_dir.mkdir(parents=True, exist_ok=True)
    figs = figures(data, _)
    html = out_dir / f"{data.case.id}.html"
    html.write_text(render_html(data, figs, lang), encoding="utf-8")
    pdf = out_dir / f"{data.case.id}.pdf"
    render_pdf(data, figs, pdf, lang)
    return html, pdf
