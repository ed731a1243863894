"""The CLI and the API are two faces of one application: the same use case with the same input
has the same outcome on both, refusals included.

Each case below runs twice on identical fresh worlds (tests/api/world.py, plus one sighting of
case A's camera before its window): once as `epitrace ...` commands, once as HTTP requests, both
as the investigator "ana". The test compares what the action left behind (decisions, query
vectors, unmask grants, audit entries) and, for refusals, the error message: the same message
comes from the same use case, so a rule enforced by one front end only shows up here.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from cli_login import cheap_argon2
from conftest import installed_models_dir
from epitrace.api import ServerSettings, create_app
from epitrace.cli.main import app as cli_app
from epitrace.config import Settings, get_settings
from epitrace.privacy.audit import entries
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import get_user

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.world import FPS, T0, World, _rec, build_world, write_video  # noqa: E402

pytest.importorskip("argon2")
MODELS = installed_models_dir()  # read before any test changes EPITRACE_HOME
REASON = "to reach this contact for a test today"


@dataclass
class Outcome:
    """What one front end did: ok or the refusal's message, the data ids it returned, its effects."""

    ok: bool
    message: str = ""
    ids: list[int] = field(default_factory=list)
    effects: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ids:
    """Stable ids of the world: the same in every fresh build."""

    case: str
    other_case: str
    subject: int
    inside: int  # case A's camera, inside its window, not yet decided
    other_camera: int  # case B's camera
    before_window: int  # case A's camera, ten days before its window


def _world(home: Path) -> tuple[World, Ids]:
    world = build_world(home)
    world.settings = Settings(home=home, models_path=MODELS)  # clips need the safety-net detector
    from epitrace.store import Video

    clip = write_video(home / "old.avi", frames=20)
    old_start = T0.timestamp() - 10 * 86400
    vid = world.store.create_video(Video(camera_id="a", path=str(clip), sha256="c" * 64, start_ts=old_start,
                                         fps=FPS, analysed_fps=FPS, frames_total=20))
    rec = _rec(7, 0, np.ones(64, np.float32), 0.0)
    rec = dataclasses.replace(rec, ts=old_start + rec.frames / FPS)
    world.store.save_tracks(vid, [rec], 0, 0)
    world.store.finish_video(vid, 20, 20)
    tracks = {(t.camera_id, t.start_ts < T0.timestamp() - 86400, t.local_id): t.id for t in _tracks(world)}
    ids = Ids(world.case_a, world.case_b, world.subject_a, inside=tracks[("a", False, 2)],
              other_camera=tracks[("b", False, 2)], before_window=tracks[("a", True, 7)])
    return world, ids


def _tracks(world: World) -> list[Any]:
    from epitrace.store.cases import get_tracks, ids_in_scope

    every = ids_in_scope(world.store, start_ts=0, end_ts=1e12, cameras=None)
    return list(get_tracks(world.store, track_ids=[int(t) for t in every]).values())


def _effects(world: World, case_id: str) -> dict[str, Any]:
    from epitrace.privacy.unmask import unmasked_tracks
    from epitrace.store.case_scope import query_counts
    from epitrace.store.cases import decisions

    ana = get_user(world.store, name="ana")
    return {
        "decisions": {sid: decisions(world.store, subject_id=sid) for sid in (world.subject_a,)},
        "queries": query_counts(world.store, subject_ids=[world.subject_a]),
        "unmasked": sorted(unmasked_tracks(world.store, user=ana, case_id=case_id)),
        "audit": [(e.action, e.case_id, e.user) for e in entries(world.store) if e.action not in ("login",)],
    }


# --- the two front ends ---------------------------------------------------------------------------

class Cli:
    """Runs `epitrace` commands in-process as ana (EPITRACE_TOKEN)."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("EPITRACE_HOME", str(world.settings.home))
        monkeypatch.setenv("EPITRACE_MODELS_PATH", str(world.settings.models_dir))
        monkeypatch.setenv("EPITRACE_TOKEN", create_session(world.store, user=get_user(world.store, name="ana")))
        get_settings.cache_clear()
        self.runner = CliRunner()

    def __call__(self, *args: str) -> tuple[bool, str]:
        result = self.runner.invoke(cli_app, [str(a) for a in args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        out = result.output
        return result.exit_code == 0, out.split("error:", 1)[1].strip() if "error:" in out else out


class Api:
    """Sends HTTP requests to the API as ana (bearer token)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        r = client.post("/api/auth/login", json={"name": "ana", "password": "correct horse battery"})
        assert r.status_code == 200, r.text
        client.cookies.clear()
        self.headers = {"Authorization": f"Bearer {r.json()['token']}"}

    def __call__(self, method: str, url: str, **kw: Any) -> tuple[bool, Any]:
        r = self.client.request(method, url, headers=self.headers, **kw)
        if r.status_code >= 400:
            return False, r.json()["detail"]
        return True, r.json() if r.headers.get("content-type", "").startswith("application/json") else r.content


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- the use cases, each as a CLI call and an API call with the same input --------------------------

UseCase = tuple[Callable[[Cli, Ids], Outcome], Callable[[Api, Ids], Outcome]]


def _cli_result(ok: bool, text: str, ids: list[int] | None = None) -> Outcome:
    return Outcome(ok, "" if ok else _one_line(text), ids or [])


def _api_result(ok: bool, body: Any, ids: list[int] | None = None) -> Outcome:
    return Outcome(ok, "" if ok else _one_line(body), ids or [])


def enrol(which: str) -> UseCase:
    def cli(run: Cli, ids: Ids) -> Outcome:
        return _cli_result(*run("case", "enrol", ids.case, "--subject", str(ids.subject),
                                "--sighting", str(getattr(ids, which))))

    def api(call: Api, ids: Ids) -> Outcome:
        return _api_result(*call("POST", f"/api/cases/{ids.case}/subjects/{ids.subject}/enrol/track",
                                 json={"track_id": getattr(ids, which)}))
    return cli, api


def decide(which: str, decision: str) -> UseCase:
    def cli(run: Cli, ids: Ids) -> Outcome:
        verb = "confirm" if decision == "confirmed" else "reject"
        return _cli_result(*run("case", verb, ids.case, "--subject", str(ids.subject), str(getattr(ids, which))))

    def api(call: Api, ids: Ids) -> Outcome:
        return _api_result(*call("POST", f"/api/cases/{ids.case}/subjects/{ids.subject}/decisions",
                                 json={"decision": decision, "track_ids": [getattr(ids, which)]}))
    return cli, api


def unmask(which: str) -> UseCase:
    def cli(run: Cli, ids: Ids) -> Outcome:
        return _cli_result(*run("case", "unmask", ids.case, str(getattr(ids, which)), "--reason", REASON))

    def api(call: Api, ids: Ids) -> Outcome:
        return _api_result(*call("POST", f"/api/cases/{ids.case}/contacts/{getattr(ids, which)}/unmask",
                                 json={"reason": REASON}))
    return cli, api


def export(which: str) -> UseCase:
    def cli(run: Cli, ids: Ids) -> Outcome:
        return _cli_result(*run("export", "clip", "--case", ids.case, "--sighting", str(getattr(ids, which)),
                                "--out", str(Path(get_settings().home) / "clip.mp4")))

    def api(call: Api, ids: Ids) -> Outcome:
        return _api_result(*call("POST", f"/api/cases/{ids.case}/exports/clip", json={"track_id": getattr(ids, which)}))
    return cli, api


def trace() -> UseCase:
    def cli(run: Cli, ids: Ids) -> Outcome:
        ok, out = run("case", "trace", ids.case, "--json", "--top", "50")
        return _cli_result(ok, out, sorted(c["track_id"] for c in json.loads(out)[str(ids.subject)]) if ok else [])

    def api(call: Api, ids: Ids) -> Outcome:
        ok, body = call("POST", f"/api/cases/{ids.case}/search", json={"top": 50})
        return _api_result(ok, body, sorted(c["track_id"] for s in body["subjects"] for c in s["candidates"])
                           if ok else [])
    return cli, api


def contacts() -> UseCase:
    def cli(run: Cli, ids: Ids) -> Outcome:
        ok, out = run("case", "contacts", ids.case, "--policy", "custom", "--distance", "2", "--minutes", "0",
                      "--json")
        rows = json.loads(out) if ok else []
        return _cli_result(ok, out, sorted(r.get("contact_track_id", r.get("track")) for r in rows))

    def api(call: Api, ids: Ids) -> Outcome:
        ok, body = call("GET", f"/api/cases/{ids.case}/contacts",
                        params={"policy": "custom", "distance": 2, "minutes": 0})
        return _api_result(ok, body, sorted(r["contact_track_id"] for r in body["data"]) if ok else [])
    return cli, api


def contact_file() -> UseCase:
    """The contact list written as a file leaves the system: an export on both front ends, never a view."""
    def cli(run: Cli, ids: Ids) -> Outcome:
        out = Path(get_settings().home) / "contacts.csv"
        ok, text = run("case", "contacts", ids.case, "--policy", "cdc", "--csv", str(out))
        return _cli_result(ok, text, [len(out.read_text(encoding="utf-8").splitlines())] if ok else [])

    def api(call: Api, ids: Ids) -> Outcome:
        ok, body = call("GET", f"/api/cases/{ids.case}/contacts/export", params={"format": "csv", "policy": "cdc"})
        return _api_result(ok, body, [len(body.decode("utf-8").splitlines())] if ok else [])
    return cli, api


def route() -> UseCase:
    def cli(run: Cli, ids: Ids) -> Outcome:
        return _cli_result(*run("case", "route", ids.case, "--subject", str(ids.subject)))

    def api(call: Api, ids: Ids) -> Outcome:
        return _api_result(*call("GET", f"/api/cases/{ids.case}/subjects/{ids.subject}/trajectory"))
    return cli, api


def withdraw_consent(case: str) -> UseCase:
    def cli(run: Cli, ids: Ids) -> Outcome:
        return _cli_result(*run("case", "withdraw-consent", getattr(ids, case), "--subject", str(ids.subject)))

    def api(call: Api, ids: Ids) -> Outcome:
        return _api_result(*call("POST", f"/api/cases/{getattr(ids, case)}/subjects/{ids.subject}/consent-withdrawal"))
    return cli, api


def other_case() -> UseCase:
    def cli(run: Cli, ids: Ids) -> Outcome:
        return _cli_result(*run("case", "route", ids.other_case, "--subject", str(ids.subject)))

    def api(call: Api, ids: Ids) -> Outcome:
        return _api_result(*call("GET", f"/api/cases/{ids.other_case}/subjects/{ids.subject}/trajectory"))
    return cli, api


CASES: dict[str, tuple[UseCase, bool]] = {  # name -> (use case, expected to succeed)
    "enrol inside scope": (enrol("inside"), True),
    "enrol another camera": (enrol("other_camera"), False),
    "enrol before the window": (enrol("before_window"), False),
    "confirm inside scope": (decide("inside", "confirmed"), True),
    "confirm another camera": (decide("other_camera", "confirmed"), False),
    "confirm before the window": (decide("before_window", "confirmed"), False),
    "reject inside scope": (decide("inside", "rejected"), True),
    "reject another camera": (decide("other_camera", "rejected"), False),
    "reject before the window": (decide("before_window", "rejected"), False),
    "unmask inside scope": (unmask("inside"), True),
    "unmask another camera": (unmask("other_camera"), False),
    "unmask before the window": (unmask("before_window"), False),
    "export inside scope": (export("inside"), True),
    "export another camera": (export("other_camera"), False),
    "export before the window": (export("before_window"), False),
    "trace": (trace(), True),
    "contacts": (contacts(), True),
    "contact list file": (contact_file(), True),
    "route": (route(), True),
    "withdraw consent": (withdraw_consent("case"), True),
    "withdraw consent in another case": (withdraw_consent("other_case"), False),
    "another investigator's case": (other_case(), False),
}


def _named(outcome: Outcome, ids: Ids) -> Outcome:
    """The outcome with this world's random case ids replaced by their role."""
    def name(text: str) -> str:
        return text.replace(ids.case, "<case>").replace(ids.other_case, "<other case>")

    effects = json.loads(name(json.dumps(outcome.effects, sort_keys=True, default=str)))
    return Outcome(outcome.ok, name(outcome.message), outcome.ids, effects)


@pytest.fixture
def hasher() -> Iterator[None]:
    with cheap_argon2():
        yield


@pytest.mark.parametrize("name", list(CASES))
def test_cli_and_api_agree(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hasher: None) -> None:
    (cli_case, api_case), should_succeed = CASES[name]

    cli_world, ids = _world(tmp_path / "cli")
    by_cli = cli_case(Cli(cli_world, monkeypatch), ids)
    by_cli.effects = _effects(cli_world, ids.case)

    api_world, api_ids = _world(tmp_path / "api")
    # identical worlds: the same row ids (case ids are random: they are named by role below)
    assert dataclasses.replace(api_ids, case=ids.case, other_case=ids.other_case) == ids
    server = ServerSettings(upload_dir=tmp_path / "uploads")
    with TestClient(create_app(api_world.settings, server, retention=False)) as client:
        by_api = api_case(Api(client), api_ids)
    by_api.effects = _effects(api_world, api_ids.case)
    by_cli, by_api = _named(by_cli, ids), _named(by_api, api_ids)

    assert by_cli.ok is should_succeed, by_cli.message
    assert by_api == by_cli
    if not should_succeed:
        assert by_cli.message, "a refusal says why"
    if name == "contact list file":  # a file that leaves the system is an export on both, with no "view"
        actions = [entry[0] for entry in by_cli.effects["audit"] if entry[1] == "<case>"]
        assert "export" in actions and "view" not in actions, actions


def test_every_case_use_case_of_the_cli_is_driven_here() -> None:
    """The parity table covers the CLI's case commands that act on a sighting, so one added later
    without a row here fails this test."""
    import typer

    group = typer.main.get_command(cli_app)
    case_cmds = set(group.commands["case"].commands)  # type: ignore[attr-defined]
    driven = {"enrol", "confirm", "reject", "unmask", "trace", "contacts", "route", "withdraw-consent"}
    assert driven <= case_cmds
    assert {"clip"} <= set(group.commands["export"].commands)  # type: ignore[attr-defined]
