"""What the report and the CLI say to a tracer: exposures readable in the contact graph, times in
the camera's zone (never a bare UTC)."""

from __future__ import annotations

from typing import Any

import pytest


def test_contact_graph_labels_short_exposures_in_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Contacts of a few seconds were all labelled '0.0 min' / '0.1 min': the graph told them apart from nothing."""
    from matplotlib.axes import Axes

    from epitrace.reports.plots import contact_graph_png

    said: list[str] = []
    annotate = Axes.annotate

    def spy(self: Axes, text: str, *args: Any, **kwargs: Any) -> Any:
        said.append(text)
        return annotate(self, text, *args, **kwargs)

    monkeypatch.setattr(Axes, "annotate", spy)
    png = contact_graph_png(["patient-1"], [("patient-1", "P3", "low", 5.7), ("patient-1", "P4", "low", 42.0),
                                            ("patient-1", "P5", "high", 1200.0)])
    assert png.startswith(b"\x89PNG")
    assert {"5.7 s", "42 s", "20.0 min"} <= set(said), said
    assert not any(s.endswith(" min") and s.startswith("0.") for s in said), said


def test_demo_prints_the_footage_span_in_the_cameras_clock() -> None:
    """`epitrace demo` printed '... 09:01:53 UTC': the tracer reads the camera's clock, zone named."""
    from epitrace.cli.demo_cmd import span_words

    assert span_words("2026-12-05 09:00:00", "2026-12-05 09:01:53", "Asia/Seoul") == \
        "2026-12-05 18:00:00 KST -> 18:01:53 KST"
    assert span_words("2026-12-05 14:59:00", "2026-12-05 15:01:00", "Asia/Seoul") == \
        "2026-12-05 23:59:00 KST -> 2026-12-06 00:01:00 KST"  # past midnight there: the date is said again
    assert span_words("2026-07-05 09:00:00", "2026-07-05 09:01:53", "Europe/London") == \
        "2026-07-05 10:00:00 BST -> 10:01:53 BST"


def test_report_timeline_marks_when_contacts_happened(monkeypatch: pytest.MonkeyPatch) -> None:
    """A picture of the route that showed no contact: each episode is now a bar under its visit."""
    from datetime import UTC

    from matplotlib.axes import Axes

    from epitrace.reports.i18n import gettext_for
    from epitrace.reports.plots import timeline_png
    from epitrace.tracing import Visit

    bars: list[tuple[float, str | None]] = []
    broken_barh = Axes.broken_barh

    def spy(self: Axes, xranges: Any, yrange: Any, **kwargs: Any) -> Any:
        bars.append((yrange[0], kwargs.get("label")))
        return broken_barh(self, xranges, yrange, **kwargs)

    monkeypatch.setattr(Axes, "broken_barh", spy)
    visit = Visit(camera_id="gate", camera_name="Gate 3", place="", entry_ts=1000.0, exit_ts=1100.0,
                  track_ids=[1], latitude=None, longitude=None)
    contacts = [("Gate 3", 1010.0, 1011.0, "low"), ("Gate 3", 1050.0, 1080.0, "high"), ("Elsewhere", 1.0, 2.0, "high")]
    assert timeline_png({"patient-1": [visit]}, UTC, contacts=contacts).startswith(b"\x89PNG")
    assert [label for _, label in bars] == ["patient-1", "contact (low risk)", "contact (high risk)"]
    assert bars[1][0] < bars[0][0]  # under the visit's bar, in its camera's row
    bars.clear()
    timeline_png({"patient-1": [visit]}, UTC, gettext_for("ko"), contacts=contacts[:1])
    assert bars[1][1] == "접촉 (위험도 낮음)"


def test_cli_contact_row_reads_as_words() -> None:
    """`case contacts` printed 'no_mask/unknown' and '7 s (person 7 s)': codes and a repeated number."""
    from epitrace.cli.case_output_cmd import _contact_cells

    record = {"subject": "patient-1", "order": 1, "person_label": "P8", "via": None, "camera_name": "Gate 3",
              "place": "", "time_zone": "Asia/Seoul", "first_seen": "2026-12-05T09:00:21+00:00",
              "last_seen": "2026-12-05T09:00:29+00:00", "min_distance_m": 0.83, "distance_uncertainty_m": 0.12,
              "exposure_s": 7.0, "person_exposure_s": 7.2, "subject_mask": "no_mask", "contact_mask": "unknown",
              "risk": "low", "risk_reason": "low: 7.0 s within 1.83 m"}
    cells = _contact_cells(record)
    assert cells[5:9] == ["2026-12-05 18:00:21 KST", "18:00:29 KST", "7.0 s", "0.83 ± 0.12 m"]
    assert cells[9] == "no mask / unknown"
    assert _contact_cells({**record, "person_exposure_s": 95.0})[7] == "7.0 s (all sightings 95 s)"


def test_report_draws_a_route_only_where_it_shows_a_route() -> None:
    """One camera gave a page-high map of one dot on axes of degrees; two places make a route."""
    from epitrace.reports.render import route_says_something
    from epitrace.tracing import Visit

    def visit(lat: float | None, lon: float | None) -> Visit:
        return Visit(camera_id="c", camera_name="C", place="", entry_ts=0.0, exit_ts=1.0, latitude=lat, longitude=lon)

    assert not route_says_something({"p": [visit(51.44, -0.94)]}, [("C", 51.44, -0.94)])
    assert not route_says_something({"p": [visit(None, None)]}, [])
    assert route_says_something({"p": [visit(51.44, -0.94)]}, [("C", 51.44, -0.94), ("D", 51.45, -0.95)])
    assert route_says_something({"p": [visit(37.5, 126.9), visit(37.6, 127.0)]}, [])


def test_pdf_lines_fit_the_page_in_korean_too() -> None:
    """Lines were wrapped by characters: a Korean line (each syllable two cells wide) ran off the page."""
    from epitrace.reports.render_pdf import WIDTH, cells, wrap_cells

    reason = ("이유: 낮음: 1.83 m 이내 7.0 s(마스크 미착용 7.0 s) — "
              "정책(cdc: 24 h 안에 1.83 m 이내 15.0 min) 기준 미만 ") * 3
    lines = wrap_cells(reason, WIDTH, initial_indent="     ", subsequent_indent="       ")
    assert len(lines) > 1 and all(cells(line) <= WIDTH for line in lines), [cells(line) for line in lines]
    assert " ".join(line.strip() for line in lines) == reason.strip()  # nothing lost or reordered
    assert lines[0].startswith("     이유") and lines[1].startswith("       ")
    assert all(cells(x) <= 20 for x in wrap_cells("가" * 30 + " end", 20))  # a word wider than a line is cut
    english = "why: low: 7.0 s within 1.83 m stays under the policy " * 4
    assert wrap_cells(english, WIDTH) == __import__("textwrap").wrap(english, WIDTH)  # English wraps as before


def test_report_and_pages_name_masks_alike_in_korean() -> None:
    """The report said 마스크 없음 / 미확인 where the contacts page said 마스크 미착용 / 알 수 없음."""
    from epitrace.reports.i18n import gettext_for
    from epitrace.web.i18n import translations

    report, page = gettext_for("ko"), translations("ko").gettext
    for state in ("mask", "no mask", "unknown"):
        assert report(state) == page(state) != state, state
