"""Rows of users and case assignments (keyword-only; the first argument is the unit's session).

The rules (password hashing, roles, who may open what) live in `epitrace.privacy.users`;
these functions only read and write rows, inside the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epitrace.store.orm import Case
from epitrace.store.orm_access import CaseAssignment, User


class NameTakenError(ValueError):
    """A user with that name already exists."""


def user_by_name(s: Session, *, name: str) -> User | None:
    """The user called `name`, if any."""
    return s.scalar(select(User).where(User.name == name))


def user_by_id(s: Session, *, user_id: int) -> User | None:
    """The user with id `user_id`, if any."""
    return s.get(User, user_id)


def insert_user(s: Session, *, user: User) -> User:
    """Add `user` (its id is set on return).

    Raises:
        NameTakenError: The name is taken (checked first; a racing insert is caught too, and
            then the unit must be rolled back).
    """
    if user_by_name(s, name=user.name) is not None:
        raise NameTakenError(f"user {user.name!r} already exists")
    s.add(user)
    try:
        s.flush()
    except IntegrityError as exc:
        raise NameTakenError(f"user {user.name!r} already exists") from exc
    return user


def list_users(s: Session) -> list[User]:
    """Every user, by name."""
    return list(s.scalars(select(User).order_by(User.name)))


def set_password_hash(s: Session, *, user_id: int, password_hash: str) -> None:
    """Replace a user's stored hash (e.g. rehashed with newer parameters)."""
    s.get_one(User, user_id).password_hash = password_hash


def set_disabled(s: Session, *, user: User, disabled: bool = True) -> None:
    """Enable or disable an account (its rows and audit trail stay)."""
    s.get_one(User, user.id).disabled = disabled


def case_exists(s: Session, *, case_id: str) -> bool:
    """Whether a case with that id exists."""
    return s.get(Case, case_id) is not None


def is_assigned(s: Session, *, user_id: int, case_id: str) -> bool:
    """Whether the user is assigned the case."""
    return s.get(CaseAssignment, (user_id, case_id)) is not None


def add_assignment(s: Session, *, user_id: int, case_id: str) -> None:
    """Assign the case to the user (idempotent)."""
    if not is_assigned(s, user_id=user_id, case_id=case_id):
        s.add(CaseAssignment(user_id=user_id, case_id=case_id))


def assigned_case_ids(s: Session, *, user_id: int) -> list[str]:
    """Ids of the cases assigned to the user, sorted."""
    return list(s.scalars(select(CaseAssignment.case_id).where(CaseAssignment.user_id == user_id)
                          .order_by(CaseAssignment.case_id)))
