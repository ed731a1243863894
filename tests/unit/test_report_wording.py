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
