"""`epitrace cameras add | import | list | check`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from epitrace.app.cameras import require_camera_reader
from epitrace.app.ingest_cameras import add_camera, calibration_file
from epitrace.cli.auth import acting, services
from epitrace.cli.common import PlainTable, console, friendly_errors
from epitrace.cli.ingest_cmd import cli_actor
from epitrace.ingest import CameraConfig, check_calibration, load_cameras_yaml

app = typer.Typer(help="Register cameras and check their calibration.", no_args_is_help=True)


@app.command("add")
def add(
    camera_id: str = typer.Argument(..., help="Stable camera id."),
    name: str = typer.Option("", help="Human name."),
    place: str = typer.Option("", help="Where it is."),
    lat: float = typer.Option(None, help="Latitude, degrees."),
    lon: float = typer.Option(None, help="Longitude, degrees."),
    timezone: str = typer.Option("UTC", help="IANA time zone."),
    fps: float = typer.Option(None, help="True frame rate, overriding the file's."),
    calibration: str = typer.Option(
        None, help='Calibration as JSON, e.g. \'{"type":"points","image":[[..]],"ground":[[..]]}\'.'),
    homography: Path = typer.Option(None, help="Text file with a 3x3 image-to-ground homography."),
    tsai_xml: Path = typer.Option(None, help="PETS/Tsai camera XML file."),
) -> None:
    """Add (or replace) one camera."""
    with friendly_errors():
        svc = services()
        actor = cli_actor(svc, acting)
        spec = json.loads(calibration) if calibration else None
        if homography is not None:
            text = calibration_file(svc.settings, homography, "--homography").read_text()
            rows = [[float(v) for v in line.split()] for line in text.splitlines() if line.strip()]
            spec = {"type": "homography", "matrix": rows}
        if tsai_xml is not None:
            spec = {"type": "tsai_xml", "path": str(calibration_file(svc.settings, tsai_xml, "--tsai-xml"))}
        cfg = CameraConfig.model_validate({"id": camera_id, "name": name, "place": place, "latitude": lat,
                                           "longitude": lon, "timezone": timezone, "fps": fps,
                                           "calibration": spec})  # the spec's own type is validated
        add_camera(svc.settings, svc.store, cfg, actor=actor)
    console.print(f"[green]camera {camera_id} registered[/]" + ("" if spec else " (uncalibrated: co-presence only)"))


@app.command("import")
def import_yaml(path: Path = typer.Argument(..., help="cameras.yaml")) -> None:
    """Register every camera of a cameras.yaml (all are validated before any is stored)."""
    with friendly_errors():
        svc = services()
        actor = cli_actor(svc, acting)
        configs = load_cameras_yaml(calibration_file(svc.settings, path, "cameras.yaml"))
        for cfg in configs:
            add_camera(svc.settings, svc.store, cfg, actor=actor, base_dir=path.parent)
    console.print(f"[green]{len(configs)} camera(s) registered[/]")


@app.command("list")
def list_cameras() -> None:
    """Registered cameras."""
    with friendly_errors():
        svc = services()
        require_camera_reader(svc, lambda: acting(svc))
        cameras = svc.store.list_cameras()
    table = PlainTable("id", "name", "place", "lat", "lon", "tz", "fps", "calibration")
    for c in cameras:
        table.add_row(c.id, c.name, c.place, str(c.latitude or ""), str(c.longitude or ""), c.timezone,
                      str(c.fps_override or ""), (c.calibration or {}).get("type", "none"))
    console.print(table)


@app.command("check")
def check(camera_id: str = typer.Argument(..., help="Camera id.")) -> None:
    """Build the camera's calibration and report its reprojection error."""
    with friendly_errors():
        svc = services()
        require_camera_reader(svc, lambda: acting(svc))
        camera = svc.store.get_camera(camera_id)
        stats = check_calibration(camera)
    if camera.calibration is None:
        console.print(f"{camera_id}: uncalibrated (contacts will be co-presence only)")
    elif stats is None:
        console.print(f"{camera_id}: {camera.calibration['type']} calibration builds; "
                      "no point pairs to measure reprojection error against")
    else:
        console.print(f"{camera_id}: reprojection error mean {stats.mean_m:.3f} m, max {stats.max_m:.3f} m")
