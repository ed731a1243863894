"""Login sessions (hashed tokens, expiry, revocation) and reasoned, audited unmasking."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("argon2", reason="argon2-cffi is not installed")

from cli_login import PASSWORD, cheap_argon2  # noqa: E402
from epitrace.config import Settings  # noqa: E402
from epitrace.privacy.audit import entries, verify  # noqa: E402
from epitrace.privacy.sessions import create_session, revoke_session, user_for_token  # noqa: E402
from epitrace.privacy.unmask import is_unmasked, unmask_contact, unmasked_tracks  # noqa: E402
from epitrace.privacy.users import AccessDenied, AuthError, add_user, assign, disable_user  # noqa: E402
from epitrace.store import Store, open_store  # noqa: E402
from epitrace.store.orm import Camera, Case, Track, Video  # noqa: E402


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[None]:
    with cheap_argon2():
        yield


@pytest.fixture()
def store(settings: Settings) -> Store:
    store = open_store(settings)
    with store.db.session() as s:
        for case_id in ("C1", "C2"):
            s.add(Case(id=case_id, legal_basis="IDCPA art. 76-2", window_start_ts=0.0, window_end_ts=1.0))
        s.add(Camera(id="cam", name="cam"))
        s.flush()
        video = Video(camera_id="cam", path="v.avi", sha256="0" * 64, start_ts=0.0, fps=7.0, analysed_fps=7.0)
        s.add(video)
        s.flush()
        s.add(Track(id=7, video_id=video.id, camera_id="cam", local_id=1, start_frame=0, end_frame=1,
                    start_ts=0.0, end_ts=1.0, n_points=2, mean_confidence=0.9))
    return store


def test_token_is_stored_hashed_and_resolves_to_its_user(store: Store) -> None:
    ana = add_user(store, name="ana", password=PASSWORD, role="investigator")
    token = create_session(store, user=ana)
    with store.db.engine.connect() as c:
        stored = [r[0] for r in c.exec_driver_sql("SELECT token_hash FROM login_sessions")]
    assert token not in stored and len(stored) == 1
    assert user_for_token(store, token).name == "ana"
    with pytest.raises(AuthError):
        user_for_token(store, token + "x")


def test_expired_revoked_and_disabled_sessions_are_refused(store: Store) -> None:
    ana = add_user(store, name="ana", password=PASSWORD, role="investigator")
    expired = create_session(store, user=ana, ttl_s=1e-6)
    with pytest.raises(AuthError, match="expired"):
        user_for_token(store, expired)
    token = create_session(store, user=ana)
    revoke_session(store, token)
    with pytest.raises(AuthError):
        user_for_token(store, token)
    token = create_session(store, user=ana)
    disable_user(store, name="ana")
    with pytest.raises(AuthError, match="disabled"):
        user_for_token(store, token)
    with pytest.raises(AuthError, match="log in"):
        user_for_token(store, "")


def test_unmask_needs_reason_role_and_case_and_is_audited(store: Store) -> None:
    inv = add_user(store, name="inv", password=PASSWORD, role="investigator")
    other = add_user(store, name="other", password=PASSWORD, role="investigator")
    aud = add_user(store, name="aud", password=PASSWORD, role="auditor")
    assign(store, user="inv", case_id="C1")
    assign(store, user="other", case_id="C2")
    with pytest.raises(ValueError, match="why"):
        unmask_contact(store, user=inv, case_id="C1", track_id=7, reason="because")
    with pytest.raises(AccessDenied):
        unmask_contact(store, user=other, case_id="C1", track_id=7, reason="to call them for a PCR test")
    with pytest.raises(AccessDenied):
        unmask_contact(store, user=aud, case_id="C1", track_id=7, reason="to call them for a PCR test")
    with pytest.raises(LookupError):
        unmask_contact(store, user=inv, case_id="C1", track_id=999, reason="to call them for a PCR test")
    assert not is_unmasked(store, user=inv, case_id="C1", track_id=7)

    unmask_contact(store, user=inv, case_id="C1", track_id=7, reason="to call them for a PCR test")
    assert is_unmasked(store, user=inv, case_id="C1", track_id=7)
    assert unmasked_tracks(store, user=inv, case_id="C1") == {7}
    # the grant is the user's own, in that case only
    assert not is_unmasked(store, user=other, case_id="C1", track_id=7)
    assert not is_unmasked(store, user=inv, case_id="C2", track_id=7)
    logged = [e for e in entries(store, case_id="C1") if e.action == "unmask"]
    assert len(logged) == 1 and logged[0].user == "inv"
    assert logged[0].detail_dict()["reason"] == "to call them for a PCR test"
    assert logged[0].legal_basis == "IDCPA art. 76-2"
    assert verify(store).ok
