"""Request dependencies: the services, the logged-in user, roles, CSRF and the case session.

Authentication takes a bearer token (API clients) or the `epitrace_session` cookie (the web
app); both are sessions checked by `epitrace.app.acting_user`, as the CLI's are. A cookie is
sent by the browser on its own, so every state-changing request made with the cookie must also
carry the CSRF token in the `X-CSRF-Token` header: the token is an HMAC of the session token,
which only pages served to that session know (the cookie itself is HttpOnly and
SameSite=Strict). Bearer requests need no CSRF token: a browser never adds an Authorization
header by itself.

Example:
    >>> @router.get("/cases/{case_id}")  # doctest: +SKIP
    ... def read(case: CaseDep) -> CaseOut: ...
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from epitrace.api.config import ServerSettings
from epitrace.app import ADMIN, AUDIT_READERS, STAFF, CaseSession, Services, acting_user, open_case, require
from epitrace.config import Settings
from epitrace.privacy.users import AccessDenied, AuthError, User

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


def get_services(request: Request) -> Services:
    """The server's services (opened once in `create_app`)."""
    services: Services = request.app.state.services
    return services


def get_store(request: Request) -> Any:
    """The server's store (for routes not yet moved onto use cases: users, cameras, audit, ingest)."""
    return get_services(request).store


def get_settings(request: Request) -> Settings:
    """The server's pipeline settings."""
    return get_services(request).settings


def get_server_settings(request: Request) -> ServerSettings:
    """The server's HTTP settings."""
    server: ServerSettings = request.app.state.server
    return server


ServicesDep = Annotated[Services, Depends(get_services)]
StoreDep = Annotated[Any, Depends(get_store)]
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


def current_user(request: Request, services: ServicesDep,
                 bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
                 cookie: Annotated[str | None, Depends(_cookie)] = None) -> User:
    """The user of this request's session (checked on every request: disabling a user is immediate)."""
    token, from_cookie = session_token(request, bearer, cookie)
    user = acting_user(services, token=token)
    if from_cookie:
        check_csrf(request, token)
    request.state.user = user
    request.state.token = token
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def roles(*allowed: str) -> Any:
    """A dependency returning the current user if their role is one of `allowed`."""

    def dependency(user: CurrentUser) -> User:
        require(user, allowed)
        return user

    dependency.__name__ = f"role_{'_'.join(allowed)}"
    return Depends(dependency)


AdminUser = Annotated[User, roles(*ADMIN)]
StaffUser = Annotated[User, roles(*STAFF)]
AuditReader = Annotated[User, roles(*AUDIT_READERS)]


def case_session(case_id: Annotated[str, Path(pattern=CASE_ID_PATTERN, description="Case id.")],
                 user: CurrentUser, services: ServicesDep) -> CaseSession:
    """The user's session on the case: the same `open_case` the CLI calls (access first, then load)."""
    return open_case(services, user, case_id)


CaseDep = Annotated[CaseSession, Depends(case_session)]
