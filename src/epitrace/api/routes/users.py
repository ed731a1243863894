"""User accounts and case assignments (admins only); every change is audited by the service."""

from __future__ import annotations

from fastapi import APIRouter, Path

from epitrace.api import schemas as S
from epitrace.api.deps import AdminUser, CaseDep, StoreDep
from epitrace.api.errors import errors
from epitrace.api.views import user_out

router = APIRouter(prefix="/api", tags=["users"])
UserName = Path(pattern=S.USER_PATTERN, description="Login name.")


@router.get("/users", responses=errors())
def list_users(admin: AdminUser, store: StoreDep) -> S.UserList:
    """Every account with its role."""
    from epitrace.privacy.users import list_users as all_users

    users = [user_out(u) for u in all_users(store)]
    return S.UserList(data=users, count=len(users))


@router.post("/users", status_code=201, responses=errors())
def add_user(body: S.UserCreate, admin: AdminUser, store: StoreDep) -> S.UserOut:
    """Create an account (argon2-hashed password, at least 10 characters)."""
    from epitrace.privacy.users import add_user as add

    return user_out(add(store, name=body.name, password=body.password, role=body.role, by=admin.name))


@router.post("/users/{name}/disable", responses=errors(404, 409))
def disable_user(admin: AdminUser, store: StoreDep, name: str = UserName) -> S.OkOut:
    """Stop an account from logging in; its sessions end at once, its audit trail stays."""
    from epitrace.privacy.users import disable_user as disable
    from epitrace.tracing import CaseRuleError

    if name == admin.name:
        raise CaseRuleError("you cannot disable your own account: ask another administrator")
    disable(store, name=name, by=admin.name)
    return S.OkOut(detail=f"{name} disabled")


@router.post("/users/{name}/enable", responses=errors(404))
def enable_user(admin: AdminUser, store: StoreDep, name: str = UserName) -> S.OkOut:
    """Let an account log in again: lifts a disable and a lockout after failed logins (audited)."""
    from epitrace.privacy.users import enable_user as enable

    was = enable(store, name=name, by=admin.name)
    lifted = [w for w, on in (("disabled", was["was_disabled"]), ("locked", was["was_locked"])) if on]
    return S.OkOut(detail=f"{name} enabled" + (f" (was {' and '.join(lifted)})" if lifted else ""))


@router.post("/cases/{case_id}/assignments", responses=errors(404))
def assign_case(body: S.AssignIn, case: CaseDep, admin: AdminUser, store: StoreDep) -> S.OkOut:
    """Let an investigator open this case."""
    from epitrace.privacy.users import assign

    assign(store, user=body.user, case_id=case.id, by=admin.name)
    return S.OkOut(detail=f"{body.user} assigned to {case.id}")
