"""Write the case report as one self-contained HTML file and a PDF."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from epitrace.contacts import Contact
from epitrace.reports.data import ReportData
from epitrace.reports.plots import contact_graph_png, route_png, timeline_png


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def figures(data: ReportData) -> dict[str, bytes]:
    """The report's plots as PNG bytes (timeline, route, contact graph)."""
    visits = {s.label: s.visits for s in data.subjects if s.visits}
    out: dict[str, bytes] = {}
    if visits:
        out["timeline"] = timeline_png(visits)
        out["route"] = route_png(visits, data.cameras)
    edges = [(s.label, f"P{c.person_id}", c.risk, c.person_exposure_s) for s in data.subjects for c in s.contacts]
    if edges:
        best: dict[tuple[str, str], tuple[str, str, str, float]] = {}
        for e in edges:
            best.setdefault((e[0], e[1]), e)
        out["graph"] = contact_graph_png([s.label for s in data.subjects], list(best.values()))
    return out


def people(contacts: list[Contact]) -> list[dict[str, object]]:
    """One row per contact person (tracks merged across cameras), most exposed first."""
    rows: dict[int, dict[str, object]] = {}
    for c in contacts:
        row = rows.setdefault(c.person_id, {
            "person_id": c.person_id, "cameras": set(), "episodes": 0, "exposure_s": c.person_exposure_s,
            "min_distance_m": None, "subject_mask": c.subject_mask.state, "contact_mask": c.contact_mask.state,
            "risk": c.risk, "calibrated": c.calibrated, "track": c.contact_track_id})
        row["cameras"].add(c.camera_id)  # type: ignore[attr-defined]
        row["episodes"] = int(row["episodes"]) + len(c.episodes)  # type: ignore[call-overload]
        if c.min_distance_m is not None:
            best = row["min_distance_m"]
            row["min_distance_m"] = c.min_distance_m if best is None else min(best, c.min_distance_m)  # type: ignore[type-var]
    return sorted(rows.values(), key=lambda r: -float(r["exposure_s"]))  # type: ignore[arg-type]


def render_html(data: ReportData, figs: dict[str, bytes]) -> str:
    env = Environment(loader=PackageLoader("epitrace.reports", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    subjects = [{"id": s.id, "label": s.label, "face_consent": s.face_consent, "visits": s.visits,
                 "contacts": people(s.contacts),
                 "thumbs": [_b64(t) for t in s.thumbnails]} for s in data.subjects]
    return env.get_template("case_report.html.j2").render(
        case=data.case, policy=data.policy, subjects=subjects, when=_when,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        contact_thumbs={k: _b64(v) for k, v in data.contact_thumbnails.items()},
        **{k: _b64(v) for k, v in figs.items()},
    )


def render_pdf(data: ReportData, figs: dict[str, bytes], path: Path) -> None:
    """A printable PDF: a summary page, then one page per figure (matplotlib, no browser)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        lines = [f"EpiTrace case {data.case.id} {data.case.title}",
                 f"Legal basis: {data.case.legal_basis}",
                 f"Window: {_when(data.case.window_start_ts)} -> {_when(data.case.window_end_ts)} UTC",
                 f"Policy: {data.policy.name} ({data.policy.distance_m} m, "
                 f"{data.policy.min_cumulative_s / 60:.0f} min / {data.policy.window_h} h)", ""]
        for s in data.subjects:
            lines.append(f"Subject {s.label}: {len(s.visits)} visit(s), {len(s.contacts)} contact track(s)")
            for n, v in enumerate(s.visits, 1):
                lines.append(f"   {n}. {v.camera_name}  {_when(v.entry_ts)} -> {_when(v.exit_ts)[11:]}")
            for c in people(s.contacts)[:30]:
                dist = f"{c['min_distance_m']:.2f} m" if c["min_distance_m"] is not None else "co-presence"
                lines.append(f"   P{c['person_id']} ({', '.join(sorted(c['cameras']))}): "  # type: ignore[call-overload]
                             f"{c['exposure_s']:.0f} s, closest {dist}, masks "
                             f"{c['subject_mask']}/{c['contact_mask']}, risk {c['risk']}")
        lines += ["", "Faces of everyone except confirmed subjects are mosaicked in all evidence."]
        fig.text(0.06, 0.96, "\n".join(lines), va="top", family="monospace", fontsize=7.5)
        pdf.savefig(fig)
        plt.close(fig)
        for name, png in figs.items():
            fig, ax = plt.subplots(figsize=(8.27, 11.69))
            ax.imshow(mpimg.imread(io.BytesIO(png), format="png"))
            ax.set_axis_off()
            ax.set_title(name)
            pdf.savefig(fig)
            plt.close(fig)


def write_report(data: ReportData, out_dir: Path) -> tuple[Path, Path]:
    """Write `<case>.html` and `<case>.pdf` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figs = figures(data)
    html = out_dir / f"{data.case.id}.html"
    html.write_text(render_html(data, figs), encoding="utf-8")
    pdf = out_dir / f"{data.case.id}.pdf"
    render_pdf(data, figs, pdf)
    return html, pdf
