"""Case scope: an investigator reaches none of another investigator's case, through any route.

Routes are enumerated from the app itself, so a route added later is covered without editing
this test: every path with a {case_id} is called with the other investigator's case and must
answer 403 without a byte of that case's data.
"""

from __future__ import annotations

import html
import re

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from .world import World, login

FILLERS = {"subject_id": "subject", "track_id": "track", "video_id": "video", "frame": "0"}
BODIES = {"enrol/track": {"track_id": 1}, "search": {}, "decisions": {"decision": "confirmed", "track_ids": [1]},
          "subjects": {"label": "x"}, "unmask": {"reason": "to reach them for a test today"},
          "assignments": {"user": "ana"}, "clip": {"track_id": 1}}


def _walk(routes) -> list[tuple[str, set[str]]]:  # type: ignore[no-untyped-def]
    """(path, methods) of every route, descending into included routers (FastAPI keeps them
    lazily as wrappers holding `original_router` in recent versions)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out += _walk(inner.routes)
        elif isinstance(route, APIRoute | Route):
            out.append((route.path, set(route.methods or ())))
    return out


def case_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every (method, path) with a {case_id}: from the routing table and from the OpenAPI schema."""
    found = {(m, p) for p, methods in _walk(app.routes) for m in methods if m != "HEAD"}
    found |= {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    return sorted((m, p) for m, p in found if "{case_id}" in p)


def fill(path: str, case_id: str, world: World) -> str:
    values = {"case_id": case_id, "subject": str(world.subject_b), "track": str(world.track_b),
              "video": str(world.video_id)}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(FILLERS.get(m.group(1), m.group(1)), "1"), path)


def body_for(path: str) -> dict[str, object] | None:
    for suffix, body in BODIES.items():
        if path.endswith(suffix):
            return body
    return None


def test_every_case_route_is_enumerated(app) -> None:  # type: ignore[no-untyped-def]
    routes = case_routes(app)
    assert len(routes) >= 15  # API and pages; a regression in enumeration would make the next test vacuous
    assert ("GET", "/cases/{case_id}") in routes


def test_investigator_cannot_reach_another_investigators_case(client, app, world: World,  # type: ignore[no-untyped-def]
                                                              tokens) -> None:
    leaks = []
    for method, path in case_routes(app):
        url = fill(path, world.case_b, world)
        if path.startswith("/api/"):
            body = body_for(path)
            kwargs = {"json": body} if body is not None else {}
            if path.endswith("enrol/photo"):
                kwargs = {"files": {"file": ("f.jpg", b"\xff\xd8\xff", "image/jpeg")}}
            r = client.request(method, url, headers=tokens["ana"], **kwargs)
        else:  # pages use the session cookie
            client.cookies.set("epitrace_session", tokens["ana"]["Authorization"][7:])
            r = client.request(method, url)
            client.cookies.clear()
        text = html.unescape(r.text)
        if r.status_code != 403 or any(secret in text for secret in ("ben's case", "patient-1", "Camera B")):
            leaks.append((method, path, r.status_code, r.text[:200]))
    assert leaks == []


def test_own_case_is_reachable_and_lists_are_filtered(client, world: World, tokens) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/api/cases/{world.case_a}", headers=tokens["ana"]).status_code == 200
    listed = [c["id"] for c in client.get("/api/cases", headers=tokens["ana"]).json()["data"]]
    assert world.case_a in listed and world.case_b not in listed
    assert client.get(f"/api/cases/{world.case_b}", headers=tokens["root"]).status_code == 200  # admins: any case


def test_denials_are_audited_and_auditors_see_no_footage(client, world: World, tokens) -> None:  # type: ignore[no-untyped-def]
    client.get(f"/api/cases/{world.case_b}/contacts", headers=tokens["ana"])
    log = client.get("/api/audit", params={"case_id": world.case_b, "user": "ana"}, headers=tokens["aud"]).json()
    assert any(e["action"] == "deny" for e in log["data"])
    for url in (f"/api/cases/{world.case_a}", f"/api/cases/{world.case_a}/sightings/{world.track_a}/thumbnail"):
        assert client.get(url, headers=tokens["aud"]).status_code == 403
    assert client.get("/api/audit", headers=tokens["ana"]).status_code == 403  # investigators: no audit log


def test_tracks_outside_the_case_scope_are_not_served(client, world: World, tokens) -> None:  # type: ignore[no-untyped-def]
    # Case A covers camera a only: camera b's sighting is invisible through case A's routes.
    r = client.get(f"/api/cases/{world.case_a}/sightings/{world.track_b}/thumbnail", headers=tokens["ana"])
    assert r.status_code == 404
    r = client.post(f"/api/cases/{world.case_a}/subjects/{world.subject_a}/decisions", headers=tokens["ana"],
                    json={"decision": "confirmed", "track_ids": [world.track_b]})
    assert r.status_code == 404
    r = client.get(f"/api/cases/{world.case_a}/subjects/{world.subject_b}/trajectory", headers=tokens["ana"])
    assert r.status_code == 404  # another case's subject, addressed through my case


@pytest.mark.parametrize("who", ["ben", "aud"])
def test_ingest_jobs_are_private_to_their_creator(client, tokens, who: str) -> None:  # type: ignore[no-untyped-def]
    jobs = client.get("/api/ingest/jobs", headers=tokens[who])
    assert jobs.status_code == 403  # ingest is for admins and operators (issue 12 F6)


def test_a_fresh_login_is_scoped_too(client, world: World) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "ben")
    assert client.get(f"/api/cases/{world.case_a}/contacts", headers=headers).status_code == 403
