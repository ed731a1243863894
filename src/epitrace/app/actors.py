"""Who is acting: logging in, the user behind a session token, and the roles each act needs.

The roles of every act are named here once, so the CLI, the API and the web pages cannot drift.
"""

from __future__ import annotations

from pathlib import Path

from epitrace.app.services import Services
from epitrace.privacy.users import User, require_role

STAFF = ("admin", "investigator")
"""Roles that work on cases (open them, see footage-derived data)."""
ADMIN = ("admin",)
AUDIT_READERS = ("admin", "auditor")


def log_in(services: Services, *, name: str, password: str) -> tuple[User, str]:
    """Check a password and open a session: (the user, their new session token)."""
    from epitrace.privacy.sessions import create_session
    from epitrace.privacy.users import authenticate

    user = authenticate(services.store, name=name, password=password)
    return user, create_session(services.store, user=user)


def log_out(services: Services, *, token: str) -> None:
    """End a session everywhere (the token stops working at once)."""
    from epitrace.privacy.sessions import revoke_session

    if token:
        revoke_session(services.store, token)


def acting_user(services: Services, *, token: str, roles: tuple[str, ...] = ()) -> User:
    """The user of a session token, with one of `roles` if given.

    Raises:
        AuthError: No token, or the session expired or was revoked.
        AccessDenied: The user is disabled or their role is not among `roles`.
    """
    from epitrace.privacy.sessions import user_for_token

    user = user_for_token(services.store, token)
    if roles:
        require_role(user, *roles)
    return user


def save_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (a session token, a key): created 0600, folder 0700."""
    from epitrace.store.sealing import write_private

    write_private(path, text)


def require(user: User, roles: tuple[str, ...]) -> None:
    """Refuse `user` unless enabled and with one of `roles` (AccessDenied)."""
    require_role(user, *roles)
