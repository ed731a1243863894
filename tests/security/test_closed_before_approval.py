"""A case closed before anyone approved it shows nothing: closing is not a way round approval.

As found: `require_not_pending` let a closed case's results be read, and a pending case could be
closed by its own investigator at once. So an investigator opened a case on any cameras (or
"all") and window, closed it, and then, with no supervisor ever involved, fetched thumbnails of
every sighting in that scope (ids are sequential) and exported their clips. Nothing of a case that
was never approved may be shown, before or after closing.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.world import LEGAL_BASIS, World, login

pytest.importorskip("argon2")
CASE = {"legal_basis": LEGAL_BASIS, "onset": "2026-03-03T00:00:00Z", "isolation": "2026-03-04T00:00:00Z",
        "cameras": "all", "title": "never approved"}




def test_closing_a_pending_case_opens_nothing(client: Any, world: World) -> None:
    ana = login(client, "ana")
    case = client.post("/api/cases", json=CASE, headers=ana).json()["id"]
    base = f"/api/cases/{case}"
    assert client.get(f"{base}/sightings/{world.track_b}/thumbnail", headers=ana).status_code == 409  # pending
    assert client.post(f"{base}/close", json={"outcome": "withdrawn"}, headers=ana).status_code == 200
    attempts = {
        "thumbnail": client.get(f"{base}/sightings/{world.track_b}/thumbnail", headers=ana),
        "clip": client.post(f"{base}/exports/clip", json={"track_id": world.track_b}, headers=ana),
        "contacts": client.get(f"{base}/contacts", headers=ana),
        "contact file": client.get(f"{base}/contacts/export", headers=ana),
        "report": client.get(f"{base}/report", headers=ana),
    }
    leaks = {k: r.status_code for k, r in attempts.items() if r.status_code != 409}
    assert leaks == {}
    assert "without ever being approved" in attempts["clip"].json()["detail"]
    assert client.get(base, headers=ana).status_code == 200  # the case itself (no footage) is still readable


def test_an_approved_then_closed_case_keeps_its_results(client: Any, world: World) -> None:
    ana = login(client, "ana")
    base = f"/api/cases/{world.case_a}"  # approved in the world
    assert client.post(f"{base}/close", json={"outcome": "traced, contacts told"}, headers=ana).status_code == 200
    assert client.get(f"{base}/sightings/{world.track_a}/thumbnail", headers=ana).status_code == 200
    assert client.get(f"{base}/contacts", headers=ana).status_code == 200
