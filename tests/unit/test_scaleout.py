"""Scale-out pieces without models: chunk plans, stitching across cuts, the live-stream clock,
URL handling, the CLI's `--ray [ADDRESS]` parsing and set-up errors, and how an ingest request
picks its runner or is refused."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from epitrace.cli.main import app
from epitrace.config import Settings, get_settings
from epitrace.ingest.segments import SEGMENT_IDS, SPLIT_OFFSET, Chunk, id_bases, plan_chunks, stitch
from epitrace.ingest.stream import StreamOptions, backoff_delays, is_live_url, safe_url
from epitrace.ingest.stream_reader import _Clock
from epitrace.store import Camera, Store, TrackRecord, Video, open_store
from epitrace.store.ingest_repo import track_spans

runner = CliRunner()


@pytest.mark.parametrize(
    ("total", "cut", "expected"),
    [
        (200, 50, [Chunk(0, 0, 50), Chunk(1, 50, 100), Chunk(2, 100, 150), Chunk(3, 150, None)]),  # exact
        (120, 50, [Chunk(0, 0, 50), Chunk(1, 50, 100), Chunk(2, 100, None)]),  # short last chunk
        (30, 50, [Chunk(0, 0, None)]),  # shorter than one cut
        (0, 50, [Chunk(0, 0, None)]),  # unknown length: one chunk to the end
    ],
)
def test_plan_chunks(total: int, cut: int, expected: list[Chunk]) -> None:
    assert plan_chunks(total, cut) == expected


@pytest.fixture()
def store(settings: Settings) -> Store:
    s = open_store(settings)
    s.upsert_camera(Camera(id="cam1", name="Cam 1"))
    return s


def _track(local_id: int, frames: range, x: float) -> TrackRecord:
    n = len(frames)
    boxes = np.array([[x + i, 100, x + i + 40, 200] for i in range(n)], np.float32)
    return TrackRecord(local_id=local_id, frames=np.array(frames, np.int64), ts=np.array(frames, np.float64) / 7,
                       boxes=boxes, confidence=np.full(n, 0.9, np.float32), ground=None,
                       body_vector=np.ones(8, np.float32) / np.sqrt(8))


def test_stitch_links_the_pieces_of_one_person_across_cuts(store: Store) -> None:
    video = store.create_video(Video(camera_id="cam1", path="x", sha256="a" * 64, start_ts=0.0, fps=7,
                                     analysed_fps=7, frames_total=150))
    store.save_tracks(video, [
        _track(0, range(10, 50), 100),  # walks through both cuts ...
        _track(SEGMENT_IDS + 0, range(51, 100), 140),
        _track(2 * SEGMENT_IDS + 3, range(101, 140), 189),
        _track(1, range(20, 45), 500),  # ... this one leaves before the first cut
        _track(SEGMENT_IDS + 1, range(52, 60), 600),  # a newcomer elsewhere after it
    ], resume_frame=150, frames_analysed=150)
    assert stitch(store, video, cut=50, max_gap=7) == 2
    with store.db.session() as s:
        from sqlalchemy import select

        from epitrace.store import Track
        ids = dict(s.execute(select(Track.start_frame, Track.local_id)).all())
    assert ids == {10: 0, 51: 0, 101: 0, 20: 1, 52: SEGMENT_IDS + 1}
    assert stitch(store, video, cut=50, max_gap=7) == 2  # idempotent: same links, nothing changes
    assert id_bases(store, video, 1, resumed=False) == (SEGMENT_IDS, SEGMENT_IDS + SPLIT_OFFSET)
    assert id_bases(store, video, 1, resumed=True) == (SEGMENT_IDS + 2, SEGMENT_IDS + SPLIT_OFFSET)


@pytest.mark.parametrize(
    ("scene_cuts", "links", "ids"),
    [
        ([], 2, {10: 0, 51: 0, 101: 0}),  # one person through both segment cuts
        ([51], 1, {10: 0, 51: SEGMENT_IDS, 101: SEGMENT_IDS}),  # a new scene at 51: never the same person
        ([120], 2, {10: 0, 51: 0, 101: 0}),  # a scene cut away from the segment cuts changes nothing
    ],
)
def test_stitch_never_links_across_a_scene_cut(store: Store, scene_cuts: list[int], links: int,
                                               ids: dict[int, int]) -> None:
    video = store.create_video(Video(camera_id="cam1", path="x", sha256="b" * 64, start_ts=0.0, fps=7,
                                     analysed_fps=7, frames_total=150))
    store.save_tracks(video, [_track(0, range(10, 50), 100), _track(SEGMENT_IDS, range(51, 100), 140),
                              _track(2 * SEGMENT_IDS, range(101, 140), 189)], resume_frame=150, frames_analysed=150)
    assert stitch(store, video, cut=50, max_gap=7, scene_cuts=scene_cuts) == links
    assert {s.start_frame: s.local_id for s in track_spans(store, video_id=video)} == ids


def test_live_clock_anchors_on_the_first_second_and_never_stamps_the_future() -> None:
    clock = _Clock(fps=10, base=Fraction(1, 90_000), opened_at=100.0, max_jump_s=10)
    # Probing held frames 0-19 back until t=102.2; frames 20-29 then arrived in real time.
    first = [(102.2 + 0.001 * i, i / 10) for i in range(20)] + [(100.05 + i / 10, i / 10) for i in range(20, 30)]
    assert clock.settle(first) == pytest.approx(100.05)  # not 102.2 (receipt), not 100.0 (open)
    assert clock.index(102.5, 2.0) == (False, 20)
    assert clock.index(102.6, 2.0) == (False, None)  # same slot again: skipped
    assert clock.index(102.7, 5.0) == (False, 27)  # stream clock ahead of receipt: clamped to receipt
    assert clock.index(140.0, 6.0) == (True, None)  # 34 s apart: a new segment


def test_urls_and_back_off() -> None:
    assert is_live_url("rtsp://cam/1") and is_live_url("HTTP://x/live.ts") and not is_live_url("/data/a.mp4")
    assert safe_url("rtsp://admin:pw@10.0.0.5:554/h264?ch=1") == "rtsp://10.0.0.5:554/h264?ch=1"
    delays = backoff_delays(StreamOptions(backoff_initial_s=0.5, backoff_max_s=4))
    assert [next(delays) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    assert runner.invoke(app, ["cameras", "add", "cam1"]).exit_code == 0
    yield tmp_path / "home"
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("args", "video", "ray"),
    [
        (["a.avi", "--ray"], "a.avi", "local"),  # alone at the end: a local Ray
        (["--ray", "a.avi"], "a.avi", "local"),  # alone before the video
        (["a.avi", "--ray", "head:6379"], "a.avi", "head:6379"),  # with a cluster address
        (["a.avi", "--ray", "ray://head:10001"], "a.avi", "ray://head:10001"),  # Ray client address
        (["a.avi"], "a.avi", None),  # no Ray
    ],
)
def test_ray_option_takes_an_optional_address(args: list[str], video: str, ray: str | None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import epitrace.cli.ingest_cmd as cmd

    seen: dict[str, object] = {}
    monkeypatch.setattr(cmd, "get_settings", lambda: (_ for _ in ()).throw(SystemExit(0)))
    monkeypatch.setattr(cmd.IngestCommand, "invoke", lambda self, ctx: seen.update(ctx.params))
    runner.invoke(app, ["ingest", *args, "--camera", "c"])
    assert seen["video"] == video and seen["ray"] == ray


def test_unreachable_ray_address_is_a_clear_cli_error(home: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    clip = tmp_path / "a.avi"
    clip.write_bytes(b"x")
    result = runner.invoke(app, ["ingest", str(clip), "--camera", "cam1", "--start", "2026-01-01T00:00:00Z",
                                 "--ray", "127.0.0.1:1"])
    assert result.exit_code == 2 and "ray start --head" in result.output.replace("\n", " ")


def test_unknown_camera_fails_before_anything_starts(home: Path) -> None:
    result = runner.invoke(app, ["ingest", "rtsp://127.0.0.1:1/x", "--camera", "nope"])
    assert result.exit_code == 2 and "unknown camera 'nope'" in result.output
    result = runner.invoke(app, ["ingest", "rtsp://127.0.0.1:1/x", "--camera", "cam1", "--ray"])
    assert result.exit_code == 2 and "drop --ray" in result.output.replace("\n", " ")


@pytest.mark.parametrize(
    ("source", "ray", "stop", "runner"),
    [
        ("a.avi", None, None, "file"),  # a file in-process
        ("a.avi", "local", None, "ray"),  # a file on a local Ray
        ("a.avi", "head:6379", 120, "file"),  # stopping early runs in-process, as the API's previews do
        ("rtsp://cam/1", None, None, "stream"),  # a live URL
    ],
)
def test_ingest_request_picks_the_runner(source: str, ray: str | None, stop: int | None, runner: str) -> None:
    from datetime import UTC, datetime

    from epitrace.app.ingest import IngestRequest

    request = IngestRequest(source, "cam1", datetime(2026, 1, 1, tzinfo=UTC), ray=ray, stop_after_frames=stop)
    assert request.runner == runner


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"source": "a.avi"}, "start time"),  # a file without a start time
        ({"source": "a.avi", "start": "naive"}, "time zone"),  # a start time without a zone
        ({"source": "rtsp://cam/1", "ray": "local"}, "drop --ray"),  # Ray cannot read a live stream
        ({"source": ""}, "give a video file"),  # nothing to ingest
    ],
)
def test_bad_ingest_requests_are_refused_before_anything_loads(settings: Settings, request_args: dict[str, str],
                                                               message: str) -> None:
    from datetime import datetime

    from epitrace.app import kind_of
    from epitrace.app.ingest import BadIngestRequest, Ingestor, IngestRequest

    args: dict[str, object] = dict(request_args)
    if args.get("start") == "naive":
        args["start"] = datetime(2026, 1, 1)
    ingestor = Ingestor(settings)
    with pytest.raises(BadIngestRequest, match=message) as caught:
        ingestor.run(IngestRequest(camera_id="cam1", **args))  # type: ignore[arg-type]
    assert kind_of(caught.value) == "invalid" and ingestor._models is None  # no model was loaded
