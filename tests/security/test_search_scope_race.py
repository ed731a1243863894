"""Every candidate a search returns lies in the case's scope, whatever the index holds.

A case whose scope holds every stored track is searched "whole": the index is asked with no id
filter (store.cases.whole_store_in_scope decides it from SQL). The index is refreshed by ingest
jobs in the same server (JobManager reloads it after each job), so a job that commits footage
outside the case's window between that SQL check and the index search put ids in the answer that
no filter removed: on PostgreSQL (read committed) they came back as candidates of the case, on
SQLite the ranking failed with a KeyError (500). Here the race is forced by making the check
answer "everything" while camera b's tracks (outside case A's scope) are in the index.
"""

from __future__ import annotations

import pytest

from api.world import World
from epitrace import app as core
from epitrace.app import Services
from epitrace.privacy.users import get_user

pytest.importorskip("argon2")



def test_ids_the_scope_check_did_not_see_are_never_candidates(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import epitrace.tracing.search as search_module

    session = core.open_case(Services(world.settings, world.store), get_user(world.store, name="ana"), world.case_a)
    honest = {c.camera_id for r in core.search(session) for c in r.candidates}
    assert honest <= {"a"}
    monkeypatch.setattr(search_module, "whole_store_in_scope", lambda *a, **k: True)
    raced = [c for r in core.search(session) for c in r.candidates]
    assert raced, "the subject still has its own in-scope candidates"
    assert {c.camera_id for c in raced} == {"a"}
    assert world.track_b not in {c.track_id for c in raced}
