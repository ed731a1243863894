"""`epitrace bench ingest` refuses bad detector choices before any ingest starts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from epitrace.cli.bench_cmd import _with_detector, run_line
from epitrace.cli.main import app
from epitrace.config import IngestSettings, Settings


def test_unknown_detector_lists_the_known_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "ingest", "--video", str(tmp_path / "v.avi"), "--detector", "yolo"])
    assert result.exit_code != 0
    assert "centernet, nanodet-int8" in result.output


def test_compare_needs_a_detector_other_than_the_baseline(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "ingest", "--video", str(tmp_path / "v.avi"), "--compare",
                                      "--detector", "centernet"])
    assert result.exit_code != 0
    assert "against centernet" in result.output


def test_baseline_runs_at_its_own_defaults(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, ingest=IngestSettings(person_score=0.55, threads=1))
    baseline = _with_detector(settings, "centernet", own_defaults=True).ingest
    assert (baseline.person_detector, baseline.person_score, baseline.threads) == ("centernet", None, 1)
    candidate = _with_detector(settings, "nanodet-int8").ingest
    assert (candidate.person_detector, candidate.person_score) == ("nanodet-int8", 0.55)


def test_each_run_says_the_load_it_ran_under() -> None:
    assert run_line(2, "nanodet-int8", 45.04, 3.456) == "run 2 nanodet-int8: 45.0 analysed frames/s (load average 3.46)"
