"""A clip shows one person's face at most: the one it is about.

As found: an exported clip kept clear every sighting this user had unmasked in the case, so after
unmasking a contact (to phone them) and the patient (to compare a photo), the patient's clip showed
the contact's face and the contact's clip the patient's. The brief: clips in which every face but
the subject's is mosaicked; thumbnails already showed only their own person clear (F3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.world import World
from epitrace import app as core
from epitrace.app import Services
from epitrace.privacy.audit import entries
from epitrace.privacy.users import get_user

pytest.importorskip("argon2")
REASON = "to identify this person for a test today"



def _track(world: World, local_id: int) -> int:
    from sqlalchemy import select

    from epitrace.store.orm import Track

    with world.store.db.session() as s:
        return int(s.scalar(select(Track.id).where(Track.camera_id == "a", Track.local_id == local_id)))


def _kept_clear(world: World, monkeypatch: pytest.MonkeyPatch, track_id: int, out: Path) -> set[int]:
    """The sightings the clip keeps clear, as handed to the cutter (and as audited)."""
    import epitrace.privacy.clips as clips

    seen: list[set[int]] = []
    original = clips.export_clip

    def spy(*args: Any, **kwargs: Any) -> Path:
        seen.append(set(kwargs["subject_track_ids"]))
        return original(*args, **kwargs)

    monkeypatch.setattr(clips, "export_clip", spy)
    session = core.open_case(Services(world.settings, world.store), get_user(world.store, name="root"),
                             world.case_a)
    core.export_clip(session, track_id=track_id, out=out, safety_net=False)
    audited = [e.detail_dict() for e in entries(world.store, case_id=world.case_a, user="root")
               if e.action == "export" and e.detail_dict().get("what") == "clip"][-1]
    assert set(audited["clear"]) == seen[-1]
    return seen[-1]


def test_a_clip_keeps_clear_only_the_person_it_is_about(world: World, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    session = core.open_case(Services(world.settings, world.store), get_user(world.store, name="root"),
                             world.case_a)
    contact = _track(world, 2)
    core.unmask(session, track_id=contact, reason=REASON)
    core.unmask_subject(session, subject_id=world.subject_a, reason=REASON)
    assert _kept_clear(world, monkeypatch, world.track_a, tmp_path / "subject.mp4") == {world.track_a}
    assert _kept_clear(world, monkeypatch, contact, tmp_path / "contact.mp4") == {contact}


def test_a_masked_person_stays_masked_in_their_own_clip(world: World, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    """Track 4 was never unmasked: its clip keeps nobody clear, whatever else root unmasked."""
    assert _kept_clear(world, monkeypatch, _track(world, 4), tmp_path / "other.mp4") == set()
