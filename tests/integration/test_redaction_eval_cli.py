"""`epitrace eval redaction`: both modes on real PETS frames, and clear errors for bad requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epitrace.cli.main import app
from epitrace.config import get_settings

pytestmark = [pytest.mark.slow, pytest.mark.models]


@pytest.fixture()
def pets(shared_data: Path, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EPITRACE_MODELS_PATH", str(models_dir))
    get_settings.cache_clear()
    d = shared_data / "pets2009_s2l1"
    gt = d / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt"
    yield ["--video", str(d / "video" / "vtest.avi"), "--gt", str(gt)]
    get_settings.cache_clear()


def run(args: list[str]) -> dict[str, object]:
    result = CliRunner().invoke(app, ["eval", "redaction", *args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output.strip().splitlines()[-1]))


def test_frames_and_export_modes(pets: list[str]) -> None:
    homography = Path(pets[3]).parent / "H_image768_to_world_m.txt"  # beside the GT file
    frames = run([*pets, "--frames", "190:240", "--subject", "9", "--homography", str(homography)])
    # measured 0.9856 and 1.0 (frames 190-240: nobody walks at the subject's shoulder)
    assert frames["mode"] == "frames" and frames["subject_frames"] == 51
    assert frames["depth"] == "ground (calibration)"
    assert float(frames["coverage"]) >= 0.97 and float(frames["subject_visible"]) >= 0.95  # type: ignore[arg-type]

    export = run([*pets, "--frames", "1:60", "--subject", "9", "--fps", "7", "--export"])
    assert export["mode"] == "export" and export["subject_tracks"]
    assert float(export["coverage"]) >= 0.97, export  # type: ignore[arg-type]  # measured 0.991


def test_bad_requests_get_clear_errors(pets: list[str]) -> None:
    runner = CliRunner()
    nobody = runner.invoke(app, ["eval", "redaction", *pets, "--frames", "1:10", "--subject", "-1", "--export"])
    assert nobody.exit_code != 0 and "needs a subject" in nobody.output
    unknown = runner.invoke(app, ["eval", "redaction", *pets, "--frames", "1:20", "--subject", "999", "--export",
                                  "--fps", "7"])
    assert unknown.exit_code == 2 and "no stored track follows GT person 999" in unknown.output, unknown.output
