"""User accounts, roles and case assignments; argon2 password hashes; access checks.

Roles:
    admin: manages users and may open any case.
    investigator: may open only the cases assigned to them.
    auditor: reads the audit log; never sees case footage.

Every login attempt (success or failure) and every refused case access is written to the
audit log (`epitrace.privacy.audit`).

Example:
    >>> add_user(store, name="ana", password="correct horse", role="investigator")  # doctest: +SKIP
    >>> ana = authenticate(store, name="ana", password="correct horse")  # doctest: +SKIP
    >>> require_case_access(store, user=ana, case_id="C1")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, get_args

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.privacy import audit
from epitrace.store.orm import Base, Case, utcnow
from epitrace.store.repo import Store

if TYPE_CHECKING:
    from argon2 import PasswordHasher

logger = logging.getLogger(__name__)

Role = Literal["admin", "investigator", "auditor"]
ROLES: tuple[str, ...] = get_args(Role)
MIN_PASSWORD_LENGTH = 10
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


class AuthError(PermissionError):
    """Login refused (unknown name, wrong password or disabled account)."""


class AccessDenied(PermissionError):
    """The user's role or assignments do not allow this."""


class UnknownUserError(LookupError):
    """No user with that name."""


class User(Base):
    """A person who may log in; `password_hash` is an argon2id PHC string, never the password."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'investigator', 'auditor')", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseAssignment(Base):
    """An investigator may open this case."""

    __tablename__ = "case_assignments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)


@lru_cache(maxsize=1)
def password_hasher() -> PasswordHasher:
    """The argon2id hasher (argon2-cffi's RFC 9106 low-memory defaults: 64 MiB, 3 passes)."""
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("user accounts need argon2-cffi: pip install 'argon2-cffi==25.1.0'") from exc
    return PasswordHasher()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


def add_user(store: Store, *, name: str, password: str, role: str, by: str = "system") -> User:
    """Create a user with an argon2 hash of `password`.

    Raises:
        ValueError: Bad name, short password, unknown role, or the name is taken.
    """
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"bad user name {name!r}: letters, digits and _.@- (at most 64, starting alphanumeric)")
    _check_role(role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    user = User(name=name, password_hash=password_hasher().hash(password), role=role, disabled=False)
    try:
        with store.db.session() as s:
            s.add(user)
    except IntegrityError as exc:
        raise ValueError(f"user {name!r} already exists") from exc
    audit.record(store, user=by, action="user_add", detail={"name": name, "role": role})
    return user


def get_user(store: Store, *, name: str) -> User:
    with store.db.session() as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            raise UnknownUserError(f"unknown user {name!r}: list users with `epitrace users list`")
        return user


def list_users(store: Store) -> list[User]:
    with store.db.session() as s:
        return list(s.scalars(select(User).order_by(User.name)))


def authenticate(store: Store, *, name: str, password: str) -> User:
    """The user if `password` is theirs and the account is enabled; audits the attempt.

    Raises:
        AuthError: Unknown name, wrong password (same message for both) or disabled account.
    """
    from argon2.exceptions import InvalidHashError, VerifyMismatchError

    hasher = password_hasher()
    with store.db.session() as s:
        user = s.scalar(select(User).where(User.name == name))
    reason = ""
    try:
        # An unknown name still costs one hash, so timing does not tell which names exist.
        hasher.verify(user.password_hash if user else _dummy_hash(), password)
        if user is None:
            reason = "unknown user"
    except (VerifyMismatchError, InvalidHashError):
        reason = "unknown user" if user is None else "wrong password"
    if not reason and user is not None and user.disabled:
        reason = "disabled"
    audit.record(store, user=name[:64] or "?", action="login",
                 detail={"ok": not reason, **({"reason": reason} if reason else {})})
    if reason == "disabled":
        raise AuthError(f"account {name!r} is disabled")
    if reason or user is None:
        raise AuthError("invalid user name or password")
    if hasher.check_needs_rehash(user.password_hash):
        _set_password_hash(store, user_id=user.id, password_hash=hasher.hash(password))
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return password_hasher().hash("not a password of anyone")


def _set_password_hash(store: Store, *, user_id: int, password_hash: str) -> None:
    with store.db.session() as s:
        s.get_one(User, user_id).password_hash = password_hash


def disable_user(store: Store, *, name: str, by: str = "system") -> None:
    """Stop `name` from logging in (the account and its audit trail stay)."""
    with store.db.session() as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            raise UnknownUserError(f"unknown user {name!r}: list users with `epitrace users list`")
        user.disabled = True
    audit.record(store, user=by, action="user_disable", detail={"name": name})


def assign(store: Store, *, user: str, case_id: str, by: str = "system") -> None:
    """Let investigator `user` open case `case_id` (idempotent).

    Raises:
        UnknownUserError: No such user.
        LookupError: No such case.
        ValueError: The user is an auditor (auditors never see footage).
    """
    from epitrace.store.cases import UnknownCaseError

    with store.db.session() as s:
        row = s.scalar(select(User).where(User.name == user))
        if row is None:
            raise UnknownUserError(f"unknown user {user!r}: list users with `epitrace users list`")
        if s.get(Case, case_id) is None:
            raise UnknownCaseError(f"unknown case {case_id!r}: list cases with `epitrace case list`")
        if row.role == "auditor":
            raise ValueError(f"{user!r} is an auditor: auditors cannot be assigned cases")
        if s.get(CaseAssignment, (row.id, case_id)) is None:
            s.add(CaseAssignment(user_id=row.id, case_id=case_id))
    audit.record(store, user=by, action="assign", case_id=case_id, detail={"name": user})


def assigned_cases(store: Store, *, user: User) -> list[str]:
    with store.db.session() as s:
        return list(s.scalars(select(CaseAssignment.case_id).where(CaseAssignment.user_id == user.id)
                              .order_by(CaseAssignment.case_id)))


def require_role(user: User, *roles: str) -> None:
    """Raise AccessDenied unless `user` is enabled and has one of `roles`."""
    for role in roles:
        _check_role(role)
    if user.disabled or user.role not in roles:
        raise AccessDenied(f"{user.name!r} ({user.role}) may not do this: needs {' or '.join(roles)}")


def require_case_access(store: Store, *, user: User, case_id: str) -> None:
    """Raise AccessDenied unless `user` may see case `case_id`'s footage; refusals are audited.

    admin: any case; investigator: assigned cases only; auditor: never.
    """
    reason = ""
    with store.db.session() as s:
        current = s.get(User, user.id)
        if current is None or current.disabled:
            reason = "account disabled or removed"
        elif current.role == "auditor":
            reason = "auditors cannot see case footage"
        elif current.role == "investigator" and s.get(CaseAssignment, (current.id, case_id)) is None:
            reason = "not assigned to this case"
        elif current.role not in ROLES:
            reason = f"unknown role {current.role!r}"
    if reason:
        audit.record(store, user=user.name, action="deny", case_id=case_id, detail={"reason": reason})
        raise AccessDenied(f"{user.name!r} may not open case {case_id!r}: {reason}")
