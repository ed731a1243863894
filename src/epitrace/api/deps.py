"""Request dependencies: the store, the logged-in user, roles, CSRF and case scope.

Authentication takes a bearer token (API clients) or the `epitrace_session` cookie (the web
app); both are sessions of `privacy.sessions`. A cookie is sent by the browser on its own, so
every state-changing request made with the cookie must also carry the CSRF token in the
`X-CSRF-Token` header: the token is an HMAC of the session token, which only pages served to
that session know (the cookie itself is HttpOnly and SameSite=Strict). Bearer requests need no
CSRF token: a browser never adds an Authorization header by itself.

Example:
    >>> @router.get("/cases/{case_id}")  # doctest: +SKIP
    ... def read(case: CaseDep) -> CaseOut: ...
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from epitrace.api.config import ServerSettings
from epitrace.config import Settings
from epitrace.privacy.users import AccessDenied, AuthError, User, require_case_access, require_role
from epitrace.store import Store
from epitrace.store.orm import Case

SESSION_COOKIE = "epitrace_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CASE_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/auth/login.")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                       description="The web app's session cookie (state changes also need X-CSRF-Token).")


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a session: an HMAC of its (secret, HttpOnly) token, so nothing is stored."""
    return hmac.new(session_token.encode(), b"epitrace-csrf-v1", hashlib.sha256).hexdigest()


def get_store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_server_settings(request: Request) -> ServerSettings:
    return request.app.state.server  # type: ignore[no-any-return]


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ServerDep = Annotated[ServerSettings, Depends(get_server_settings)]


def session_token(request: Request, bearer: HTTPAuthorizationCredentials | None,
                  cookie: str | None) -> tuple[str, bool]:
    """(token, came from the cookie); raises AuthError when there is none."""
    if bearer is not None and bearer.scheme.lower() == "bearer" and bearer.credentials:
        return bearer.credentials, False
    if cookie:
        return cookie, True
    raise AuthError("not logged in: POST /api/auth/login, then send 'Authorization: Bearer <token>'")


def check_csrf(request: Request, token: str) -> None:
    """Refuse a cookie-authenticated state change without the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, csrf_token_for(token)):
        raise AccessDenied(f"missing or wrong {CSRF_HEADER} header: reload the page and try again")


def current_user(request: Request, store: StoreDep,
                 bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
                 cookie: Annotated[str | None, Depends(_cookie)] = None) -> User:
    """The user of this request's session (checked on every request: disabling a user is immediate)."""
    from epitrace.privacy.sessions import user_for_token

    token, from_cookie = session_token(request, bearer, cookie)
    user = user_for_token(store, token)
    if from_cookie:
        check_csrf(request, token)
    request.state.user = user
    request.state.token = token
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def roles(*allowed: str) -> Any:
    """A dependency returning the current user if their role is one of `allowed`."""

    def dependency(user: CurrentUser) -> User:
        require_role(user, *allowed)
        return user

    dependency.__name__ = f"role_{'_'.join(allowed)}"
    return Depends(dependency)


AdminUser = Annotated[User, roles("admin")]
StaffUser = Annotated[User, roles("admin", "investigator")]
AuditReader = Annotated[User, roles("admin", "auditor")]


@dataclass(frozen=True)
class CaseContext:
    """A case the current user may open, with the store and an audit helper bound to it."""

    case: Case
    user: User
    store: Store

    @property
    def id(self) -> str:
        return self.case.id

    def audit(self, action: str, **detail: object) -> None:
        """One audit entry for this case, with its legal basis and the acting user."""
        from epitrace.privacy.audit import record

        record(self.store, user=self.user.name, action=action, case_id=self.case.id,
               legal_basis=self.case.legal_basis, detail=detail or None)


def case_access(case_id: Annotated[str, Path(pattern=CASE_ID_PATTERN, description="Case id.")],
                user: CurrentUser, store: StoreDep) -> CaseContext:
    """Case scope: the access check runs before the case is even looked up, so an investigator
    learns nothing about cases that are not theirs (not even whether they exist)."""
    from epitrace.store.cases import get_case

    require_case_access(store, user=user, case_id=case_id)
    return CaseContext(get_case(store, case_id=case_id), user, store)


CaseDep = Annotated[CaseContext, Depends(case_access)]
