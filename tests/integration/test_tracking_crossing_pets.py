"""The crossing repair on real PETS S2L1 frames 1-400 with NanoDet, the default person detector.

Measured at commit time (faces off, which does not change tracks): repair on MOTA 0.859 / IDF1
0.870, 6 ID switches; off 0.859 / 0.808, 7. Its two re-links there: frame 38 (persons 9 and 15
part after one box held both; the merged id had followed 9) and frame 172 (person 9's id was
lost on person 17 and a new id took 9). The issue's bar is MOTA >= 0.83 and IDF1 >= 0.84 at
the defaults; losing either re-link fails the IDF1 check here.
"""

from __future__ import annotations

import pytest

from epitrace.config import Settings
from epitrace.evaluation.tracking_run import run_tracking_eval
from tests_paths import PETS_GT, PETS_VIDEO

pytestmark = [pytest.mark.slow, pytest.mark.models]


def _scores(settings: Settings, repair: bool) -> tuple[float, float]:
    tracker = settings.ingest.tracker.model_copy(update={"crossing_repair": repair})
    ingest = settings.ingest.model_copy(update={"faces": False, "tracker": tracker})
    scores, result = run_tracking_eval(PETS_VIDEO, PETS_GT, settings.model_copy(update={"ingest": ingest}),
                                       (1, 400), 7.0)
    assert result.frames_analysed == 400
    return scores.mota, scores.idf1


def test_default_tracking_meets_the_bar_and_the_repair_is_what_lifts_it(settings: Settings) -> None:
    if not PETS_VIDEO.exists():
        pytest.skip("shared PETS video missing")
    assert settings.ingest.person_detector == "nanodet-int8"
    mota, idf1 = _scores(settings, repair=True)
    assert mota >= 0.83 and idf1 >= 0.86, (mota, idf1)
    mota_off, idf1_off = _scores(settings, repair=False)
    assert idf1 - idf1_off >= 0.04, (idf1, idf1_off)
    assert mota >= mota_off - 0.005
