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
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, get_args

from epitrace.privacy import audit, throttle
from epitrace.privacy.throttle import ThrottlePolicy
from epitrace.store import users_repo
from epitrace.store.orm_access import CaseAssignment, User
from epitrace.store.repo import Store, Unit

if TYPE_CHECKING:
    from argon2 import PasswordHasher

logger = logging.getLogger(__name__)

Role = Literal["admin", "investigator", "auditor", "supervisor", "operator"]
"""admin: everything; investigator: their assigned cases; supervisor: approves cases (no footage);
operator: cameras and ingest (no cases); auditor: the audit log only."""
ROLES: tuple[str, ...] = get_args(Role)
MIN_PASSWORD_LENGTH = 10
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")

__all__ = ["MIN_PASSWORD_LENGTH", "ROLES", "AccessDenied", "AuthError", "CaseAssignment", "LoginThrottled",
           "Role", "UnknownUserError", "User", "add_user", "assign", "assigned_cases", "authenticate",
           "disable_user", "enable_user", "get_user", "is_locked", "list_users", "login_policy",
           "password_hasher", "require_case_access", "require_role"]


class AuthError(PermissionError):
    """Login refused (unknown name, wrong password or disabled account)."""


class LoginThrottled(AuthError):
    """Login refused unchecked: the account is locked, or failures came too fast (back-off)."""


class AccessDenied(PermissionError):
    """The user's role or assignments do not allow this."""


class UnknownUserError(LookupError):
    """No user with that name."""


def _unknown(name: str) -> UnknownUserError:
    return UnknownUserError(f"unknown user {name!r}: list users with `epitrace users list`")


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


def add_user(store: Store, *, name: str, password: str, role: str, by: str = "system",
             session: Unit | None = None) -> User:
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
    with store.unit(session) as s:
        users_repo.insert_user(s, user=user)  # NameTakenError is a ValueError
        audit.record(store, user=by, action="user_add", detail={"name": name, "role": role}, session=s)
    return user


def get_user(store: Store, *, name: str, session: Unit | None = None) -> User:
    """The user called `name` (UnknownUserError when there is none)."""
    with store.unit(session) as s:
        user = users_repo.user_by_name(s, name=name)
    if user is None:
        raise _unknown(name)
    return user


def list_users(store: Store, *, session: Unit | None = None) -> list[User]:
    """Every user, by name."""
    with store.unit(session) as s:
        return users_repo.list_users(s)


def login_policy() -> ThrottlePolicy:
    """The throttling of this process's settings (`login_lockout_failures`)."""
    from epitrace.config import get_settings

    return ThrottlePolicy(lockout_failures=get_settings().login_lockout_failures)


def authenticate(store: Store, *, name: str, password: str, address: str = throttle.LOCAL_ADDRESS,
                 session: Unit | None = None, now: float | None = None,
                 policy: ThrottlePolicy | None = None) -> User:
    """The user if `password` is theirs, the account is enabled and not locked; throttled and audited.

    Attempts are throttled per name and per `address` (`epitrace.privacy.throttle`): back-off
    after a few failures, lockout after `policy.lockout_failures`. A success is audited as
    `login`; failures as aggregated `login_failed` entries, committed on their own (they outlive
    the refusal and any enclosing unit).

    Args:
        store: The store holding the accounts.
        name: The login name given.
        password: The password given.
        address: The client's address (the API's peer address; "local" for the CLI).
        session: An enclosing unit of work, if any.
        now: The time of the attempt, epoch seconds (tests); default the clock.
        policy: Throttling; default `login_policy()`.

    Raises:
        AuthError: Unknown name, wrong password (same message for both), disabled account.
        LoginThrottled: Locked account, or an attempt during the back-off (not checked at all).
    """
    from argon2.exceptions import InvalidHashError, VerifyMismatchError

    now = time.time() if now is None else now
    policy = policy or login_policy()
    refusal = throttle.gate(store, name=name, address=address, now=now, policy=policy)
    if refusal:
        raise LoginThrottled(refusal)
    hasher = password_hasher()
    with store.unit(session) as s:
        user = users_repo.user_by_name(s, name=name)
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
        if not reason and user is not None:
            throttle.succeeded(store, name=name, address=address, policy=policy, session=s)
            audit.record(store, user=name, action="login", detail={"ok": True}, session=s)
            if hasher.check_needs_rehash(user.password_hash):
                users_repo.set_password_hash(s, user_id=user.id, password_hash=hasher.hash(password))
            return user
    if throttle.failed(store, name=name, address=address, now=now, reason=reason, policy=policy):
        raise LoginThrottled(f"account {name!r} is locked after {policy.lockout_failures} failed logins: "
                             f"an administrator must run `epitrace users enable {name}`")
    if reason == "disabled":
        raise AuthError(f"account {name!r} is disabled")
    raise AuthError("invalid user name or password")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return password_hasher().hash("not a password of anyone")


def _set_password_hash(store: Store, *, user_id: int, password_hash: str) -> None:
    with store.unit() as s:
        users_repo.set_password_hash(s, user_id=user_id, password_hash=password_hash)


def disable_user(store: Store, *, name: str, by: str = "system", session: Unit | None = None) -> None:
    """Stop `name` from logging in (the account and its audit trail stay)."""
    with store.unit(session) as s:
        user = users_repo.user_by_name(s, name=name)
        if user is None:
            raise _unknown(name)
        users_repo.set_disabled(s, user=user)
        audit.record(store, user=by, action="user_disable", detail={"name": name}, session=s)


def enable_user(store: Store, *, name: str, by: str = "system", session: Unit | None = None) -> dict[str, bool]:
    """Let `name` log in again: clears a disabled flag and a lockout after failed logins (audited).

    Returns:
        {"was_disabled": ..., "was_locked": ...}.
    """
    with store.unit(session) as s:
        user = users_repo.user_by_name(s, name=name)
        if user is None:
            raise _unknown(name)
        was_disabled = bool(user.disabled)
        users_repo.set_disabled(s, user=user, disabled=False)
        was_locked = throttle.unlock(store, name=name, policy=login_policy(), session=s)
        audit.record(store, user=by, action="user_enable", session=s,
                     detail={"name": name, "was_disabled": was_disabled, "was_locked": was_locked})
    return {"was_disabled": was_disabled, "was_locked": was_locked}


def is_locked(store: Store, *, name: str, session: Unit | None = None) -> bool:
    """Whether `name` is locked out after failed logins."""
    return throttle.is_locked(store, name=name, session=session)


def assign(store: Store, *, user: str, case_id: str, by: str = "system", session: Unit | None = None) -> None:
    """Let investigator `user` open case `case_id` (idempotent).

    Raises:
        UnknownUserError: No such user.
        LookupError: No such case.
        ValueError: The user is an auditor (auditors never see footage).
    """
    from epitrace.store.cases import UnknownCaseError

    with store.unit(session) as s:
        row = users_repo.user_by_name(s, name=user)
        if row is None:
            raise _unknown(user)
        if not users_repo.case_exists(s, case_id=case_id):
            raise UnknownCaseError(f"unknown case {case_id!r}: list cases with `epitrace case list`")
        if row.role == "auditor":
            raise ValueError(f"{user!r} is an auditor: auditors cannot be assigned cases")
        users_repo.add_assignment(s, user_id=row.id, case_id=case_id)
        audit.record(store, user=by, action="assign", case_id=case_id, detail={"name": user}, session=s)


def assigned_cases(store: Store, *, user: User, session: Unit | None = None) -> list[str]:
    """Ids of the cases assigned to `user`, sorted."""
    with store.unit(session) as s:
        return users_repo.assigned_case_ids(s, user_id=user.id)


def require_role(user: User, *roles: str, session: Unit | None = None) -> None:
    """Raise AccessDenied unless `user` is enabled and has one of `roles`.

    Reads nothing (the user value is enough); `session` is accepted so that every access check
    can be called the same way inside a unit.
    """
    del session
    for role in roles:
        _check_role(role)
    if user.disabled or user.role not in roles:
        raise AccessDenied(f"{user.name!r} ({user.role}) may not do this: needs {' or '.join(roles)}")


def require_case_access(store: Store, *, user: User, case_id: str, session: Unit | None = None) -> None:
    """Raise AccessDenied unless `user` may see case `case_id`'s footage; refusals are audited.

    admin: any case; investigator: assigned cases only; auditor, supervisor, operator: never. A
    refusal's audit entry is kept even when an enclosing unit rolls back.
    """
    reason = ""
    with store.unit(session) as s:
        current = users_repo.user_by_id(s, user_id=user.id)
        if current is None or current.disabled:
            reason = "account disabled or removed"
        elif current.role == "auditor":
            reason = "auditors cannot see case footage"
        elif current.role == "supervisor":
            reason = "supervisors approve cases; they do not see their footage"
        elif current.role == "operator":
            reason = "operators run cameras and ingest; they do not see cases"
        elif current.role == "investigator" and not users_repo.is_assigned(s, user_id=current.id, case_id=case_id):
            reason = "not assigned to this case"
        elif current.role not in ROLES:
            reason = f"unknown role {current.role!r}"
        if reason:
            audit.record(store, user=user.name, action="deny", case_id=case_id, detail={"reason": reason},
                         session=session, keep_on_rollback=True)
    if reason:
        raise AccessDenied(f"{user.name!r} may not open case {case_id!r}: {reason}")
