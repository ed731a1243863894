"""Camera registry through the CLI: calibration kinds, bad calibrations, unknown cameras."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epitrace.cli.main import app
from epitrace.config import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def test_add_with_shared_homography_then_list(shared_data: Path) -> None:
    h = shared_data / "pets2009_s2l1" / "H_image768_to_world_m.txt"
    result = runner.invoke(app, ["cameras", "add", "cam-a", "--homography", str(h), "--fps", "7",
                                 "--timezone", "Europe/London"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["cameras", "list"])
    assert "cam-a" in listed.output and "homography" in listed.output


def test_tsai_xml_camera_checks(shared_data: Path) -> None:
    xml = shared_data / "pets2009_s2l1" / "calibration" / "View_001.xml"
    assert runner.invoke(app, ["cameras", "add", "v1", "--tsai-xml", str(xml)]).exit_code == 0
    result = runner.invoke(app, ["cameras", "check", "v1"])
    assert result.exit_code == 0 and "builds" in result.output


def test_point_pairs_report_reprojection_error() -> None:
    cal = ('{"type":"points","image":[[0,0],[100,0],[100,100],[0,100],[50,60]],'
           '"ground":[[0,0],[1,0],[1,1],[0,1],[0.5,0.6]]}')
    assert runner.invoke(app, ["cameras", "add", "p1", "--calibration", cal]).exit_code == 0
    result = runner.invoke(app, ["cameras", "check", "p1"])
    assert result.exit_code == 0 and "reprojection error mean 0.000" in result.output


@pytest.mark.parametrize(
    ("calibration", "message"),
    [
        ('{"type":"points","image":[[0,0],[1,0],[2,0]],"ground":[[0,0],[1,0],[2,0]]}', "4"),  # too few
        ('{"type":"points","image":[[0,0],[1,1],[2,2],[3,3]],"ground":[[0,0],[1,1],[2,2],[3,3]]}',
         "ollinear"),  # all on one line
        ('{"type":"homography","matrix":[[0,0,0],[0,0,0],[0,0,0]]}', ""),  # singular
        ('{"type":"fisheye"}', "type"),  # unknown kind
    ],
)
def test_bad_calibration_is_refused_and_nothing_stored(calibration: str, message: str) -> None:
    result = runner.invoke(app, ["cameras", "add", "bad", "--calibration", calibration])
    assert result.exit_code == 2
    assert "error" in result.output.lower() and message in result.output
    assert "bad" not in runner.invoke(app, ["cameras", "list"]).output


def test_unknown_camera_is_a_clear_error(tmp_path: Path) -> None:
    video = tmp_path / "v.avi"
    video.write_bytes(b"x")
    result = runner.invoke(app, ["ingest", str(video), "--camera", "ghost", "--start",
                                 "2026-01-01T00:00:00Z"])
    assert result.exit_code == 2
    assert "unknown camera 'ghost'" in result.output and "cameras add" in result.output


def test_start_time_needs_a_zone() -> None:
    runner.invoke(app, ["cameras", "add", "c1"])
    result = runner.invoke(app, ["ingest", "x.avi", "--camera", "c1", "--start", "2026-01-01T00:00:00"])
    assert result.exit_code == 2 and "time zone" in result.output


def test_cameras_yaml_import(tmp_path: Path) -> None:
    yaml_file = tmp_path / "cameras.yaml"
    yaml_file.write_text(
        "cameras:\n"
        "  - {id: c1, name: Gate, latitude: 37.5, longitude: 126.8, timezone: Asia/Seoul}\n"
        "  - {id: c2, timezone: Mars/Olympus}\n"
    )
    result = runner.invoke(app, ["cameras", "import", str(yaml_file)])
    assert result.exit_code == 2 and "Mars/Olympus" in result.output
    assert "c1" not in runner.invoke(app, ["cameras", "list"]).output  # all or nothing


def test_folder_plan_orders_files_and_chains_start_times(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from epitrace.cli.ingest_cmd import folder_plan, parse_start

    folder = tmp_path / "rec"
    folder.mkdir()
    for name, frames in (("b.avi", 14), ("a.avi", 21), ("gate_20260301-101500.avi", 7)):
        writer = cv2.VideoWriter(str(folder / name), cv2.VideoWriter_fourcc(*"MJPG"), 7, (64, 48))
        for _ in range(frames):
            writer.write(np.zeros((48, 64, 3), np.uint8))
        writer.release()
    (folder / "notes.txt").write_text("not a video")
    plan = folder_plan(folder, parse_start("2026-03-01T10:00:00+09:00"), None)
    assert [p.name for p, _ in plan] == ["a.avi", "b.avi", "gate_20260301-101500.avi"]
    assert [t.isoformat() for _, t in plan] == [
        "2026-03-01T10:00:00+09:00",  # --start
        "2026-03-01T10:00:03+09:00",  # after a.avi's 21 frames at 7 fps
        "2026-03-01T10:15:00+09:00",  # from its name
    ]


def test_case_actions_are_audited_and_the_chain_verifies() -> None:
    for args in (["users", "add", "root", "--role", "admin", "--password-stdin"],
                 ["login", "root", "--password-stdin"]):
        assert runner.invoke(app, args, input="correct horse battery\n").exit_code == 0
    opened = runner.invoke(app, ["case", "new", "--legal-basis", "IDCPA art. 76-2", "--onset",
                                 "2026-03-01T00:00:00+09:00", "--isolation", "2026-03-02T00:00:00+09:00",
                                 "--cameras", "all"])
    assert opened.exit_code == 0, opened.output
    case_id = opened.output.split("case ")[1].split()[0]
    assert runner.invoke(app, ["case", "contacts", case_id]).exit_code == 2  # pending: nothing is shown yet
    assert runner.invoke(app, ["users", "add", "sue", "--role", "supervisor", "--password-stdin"],
                         input="correct horse battery\n").exit_code == 0
    assert runner.invoke(app, ["login", "sue", "--password-stdin"], input="correct horse battery\n").exit_code == 0
    assert runner.invoke(app, ["case", "approve", case_id]).exit_code == 0
    assert runner.invoke(app, ["login", "root", "--password-stdin"], input="correct horse battery\n").exit_code == 0
    assert runner.invoke(app, ["case", "contacts", case_id]).exit_code == 0
    shown = runner.invoke(app, ["audit", "show", "--case", case_id, "--json"])
    assert "case_new" in shown.output and "case_approve" in shown.output and "view" in shown.output
    assert "IDCPA" in shown.output
    assert "root" in shown.output  # actions are audited as the logged-in user
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def _store():  # type: ignore[no-untyped-def]
    from epitrace.store import open_store

    return open_store(get_settings())


def test_f4_calibration_files_inside_the_home_are_refused(home: Path, tmp_path: Path) -> None:
    """F4: `cameras add --tsai-xml <the database>` (or --homography, cameras.yaml) made the server lock it."""
    assert runner.invoke(app, ["cameras", "add", "seed"]).exit_code == 0  # creates the database
    db = home / "epitrace.db"
    link = tmp_path / "view.xml"
    link.symlink_to(db)
    for args in (["--tsai-xml", str(db)], ["--homography", str(home / "epitrace.db-wal")], ["--tsai-xml", str(link)]):
        result = runner.invoke(app, ["cameras", "add", "evil", *args])
        assert result.exit_code != 0 and "EpiTrace's home" in result.output, result.output
    (home / "cameras.yaml").write_text("- id: y1\n")
    result = runner.invoke(app, ["cameras", "import", str(home / "cameras.yaml")])
    assert result.exit_code != 0 and "EpiTrace's home" in result.output
    assert [c.id for c in _store().list_cameras()] == ["seed"]


def test_f6_camera_changes_are_audited_and_investigators_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """F6: camera registration was never audited and any logged-in user could do it."""
    from cli_login import cheap_argon2, login_as
    from epitrace.privacy.audit import entries

    assert runner.invoke(app, ["cameras", "add", "c1"]).exit_code == 0
    with cheap_argon2():
        login_as(_store(), monkeypatch, "ivy", "investigator")
        result = runner.invoke(app, ["cameras", "add", "c2"])
        assert result.exit_code != 0
        login_as(_store(), monkeypatch, "opal", "operator")
        assert runner.invoke(app, ["cameras", "add", "c3"]).exit_code == 0
    audited = [(e.user, e.action) for e in entries(_store()) if e.action == "camera_put"]
    assert audited[0][0].startswith("os:") and audited[1:] == [("opal", "camera_put")]
    assert [c.id for c in _store().list_cameras()] == ["c1", "c3"]


def test_once_accounts_exist_cli_ingest_and_camera_changes_need_a_login(
        home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 12 gap: with staff accounts in place, the bare OS user could still ingest and change cameras."""
    from cli_login import cheap_argon2, login_as
    from epitrace.privacy.audit import entries

    assert runner.invoke(app, ["cameras", "add", "c1"]).exit_code == 0  # first set-up: no accounts yet
    with cheap_argon2():
        login_as(_store(), monkeypatch, "opal", "operator")
    monkeypatch.delenv("EPITRACE_TOKEN")
    (tmp_path / "clip.avi").write_bytes(b"not even a video")
    for args in (["cameras", "add", "c2"], ["ingest", str(tmp_path / "clip.avi"), "--camera", "c1",
                                             "--start", "2026-03-01T09:00:00+09:00"]):
        result = runner.invoke(app, args)
        assert result.exit_code != 0 and "epitrace login" in result.output, result.output
    assert [c.id for c in _store().list_cameras()] == ["c1"]
    changes = [(e.action, e.user.startswith("os:")) for e in entries(_store()) if e.action in ("camera_put", "ingest")]
    assert changes == [("camera_put", True)]  # only the first set-up's entry
