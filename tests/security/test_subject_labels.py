"""A subject label must never name another subject: consent is per subject.

As found: `epitrace case enrol CASE --subject TEXT --photo p.jpg` picks the subject whose label is
TEXT or whose id is TEXT, the first in id order. Labels could be bare numbers or repeated, so with
subject 1 labelled "2" (no consent) and subject 2 labelled "1" (consent), `--subject 2` meant for
subject 1 enrolled the photo as subject 2's face: face matching for a person who never consented,
under someone else's consent. Two subjects labelled "patient" did the same. Now labels are unique
in a case and not bare numbers (API and CLI alike), and a text that still names two subjects (a
legacy label) is refused rather than guessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.world import World, login

pytest.importorskip("argon2")




@pytest.mark.parametrize("label", ["7", "12", " 3 "])
def test_a_bare_number_is_not_a_label(client: Any, world: World, label: str) -> None:
    r = client.post(f"/api/cases/{world.case_a}/subjects", json={"label": label, "face_consent": True},
                    headers=login(client, "ana"))
    assert r.status_code == 409 and "subject id" in r.json()["detail"]


def test_a_label_names_one_subject(client: Any, world: World) -> None:
    h = login(client, "ana")
    r = client.post(f"/api/cases/{world.case_a}/subjects", json={"label": "patient-1", "face_consent": True},
                    headers=h)
    assert r.status_code == 409 and "already" in r.json()["detail"]  # the world's subject is patient-1
    assert client.post(f"/api/cases/{world.case_a}/subjects", json={"label": "patient-2", "face_consent": True},
                       headers=h).status_code == 201


def test_a_legacy_ambiguous_label_is_refused_not_guessed(world: World, tmp_path: Path) -> None:
    """Rows written before the rule: subject X labelled with subject Y's id. Neither is picked."""
    from epitrace import app as core
    from epitrace.app import Services
    from epitrace.privacy.users import get_user
    from epitrace.tracing import CaseRuleError
    from epitrace.tracing import add_subject as add_row

    session = core.open_case(Services(world.settings, world.store), get_user(world.store, name="ana"),
                             world.case_a)
    legacy = add_row(world.store, case_id=world.case_a, label=str(world.subject_a), face_consent=False)
    session = core.open_case(session.services, session.user, session.id)
    with pytest.raises(CaseRuleError, match="label of one subject"):
        core.subject_for(session, label=str(world.subject_a), face_consent=None)
    assert session.subject_by_label(str(legacy.id)) is not None  # its own id still names it alone
