"""End to end: ingest PETS 2009 S2L1 frames 0-399 and score contact episodes at 2 m.

Thresholds are a quality gate, not targets: they sit a margin under what was last measured,
so the test fails when tracking or the contact engine really gets worse (see the report of
the contacts issue and docs for the measured figures).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epitrace.cli.main import app
from epitrace.config import get_settings

pytestmark = [pytest.mark.slow, pytest.mark.models]

# The targets (issue 15 item 6). Measured at commit time: precision 1.0 (20/20), recall
# 0.905 (19/21), median duration error 0.71 s. Before: precision 0.875 (21/24), the three false
# episodes being two one-frame dips under 2 m (now no episode: `min_frames`) and a box stretched
# to an occluder's feet (now `ingest.feet`). One more missed episode would fail recall on purpose.
MIN_PRECISION = 0.90
MIN_RECALL = 0.90
MAX_MEDIAN_ERROR_S = 1.0


@pytest.fixture()
def home(tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EPITRACE_MODELS_PATH", str(models_dir))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


# nanodet-int8 (the default) at its defaults (score 0.4, the tracker's low-box gate; the same with
# and without the crossing repair): measured precision 1.0 (22/22),
# recall 0.952 (20/21), median duration error 0.43 s; without the gate at 0.5 recall was 0.810 (GT person
# 15, half hidden by a sign in frames 45-145, scores 0.2-0.45 there).
@pytest.mark.parametrize("detector", ["centernet", "nanodet-int8"])
def test_pets_contact_episodes(shared_data: Path, home: Path, detector: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPITRACE_INGEST__PERSON_DETECTOR", detector)
    get_settings.cache_clear()
    pets = shared_data / "pets2009_s2l1"
    runner = CliRunner()
    added = runner.invoke(app, ["cameras", "add", "pets-v1", "--fps", "7", "--tsai-xml",
                                str(pets / "calibration" / "View_001.xml")])
    assert added.exit_code == 0, added.output
    result = runner.invoke(app, [
        "eval", "contacts", "--video", str(pets / "video" / "vtest.avi"), "--camera", "pets-v1",
        "--gt-world", str(pets / "PETS2009-S2L1_world_frames0000-0399.csv"),
        "--frames", "0:399", "--distance", "2", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output.strip().splitlines()[-1])
    assert scores["gt_episodes"] == 21
    assert scores["precision"] >= MIN_PRECISION, scores
    assert scores["recall"] >= MIN_RECALL, scores
    assert scores["median_duration_error_s"] <= MAX_MEDIAN_ERROR_S, scores
