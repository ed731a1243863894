"""Login (audited by `privacy.users.authenticate`), logout and who-am-I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from epitrace.api import schemas as S
from epitrace.api.deps import SESSION_COOKIE, CurrentUser, ServerDep, StoreDep, csrf_token_for
from epitrace.api.errors import errors
from epitrace.api.views import user_out

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", responses=errors(429))
def login(body: S.LoginIn, request: Request, response: Response, store: StoreDep,
          server: ServerDep) -> S.LoginOut:
    """Check name and password; return a bearer token and also set the web session cookie.

    Throttled per name and per client address (back-off, then lockout until an administrator
    enables the account); repeated failures are audited aggregated, not one entry each.

    The cookie is HttpOnly and SameSite=Strict; pages and scripts using it must send the returned
    `csrf_token` as `X-CSRF-Token` on every state-changing request.
    """
    from epitrace.privacy.sessions import create_session
    from epitrace.privacy.users import authenticate

    address = request.client.host if request.client is not None else "unknown"
    user = authenticate(store, name=body.name, password=body.password, address=address)
    ttl = server.session_ttl_h * 3600
    token = create_session(store, user=user, ttl_s=ttl)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(ttl), httponly=True, samesite="strict",
                        secure=server.cookie_secure, path="/")
    return S.LoginOut(token=token, csrf_token=csrf_token_for(token), expires_in_s=ttl, user=user_out(user))


@router.post("/logout", responses=errors())
def logout(request: Request, response: Response, user: CurrentUser, store: StoreDep) -> S.OkOut:
    """End this session (the token stops working everywhere) and clear the cookie."""
    from epitrace.privacy.sessions import revoke_session

    revoke_session(store, request.state.token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return S.OkOut(detail=f"{user.name} logged out")


@router.get("/me", responses=errors())
def me(user: CurrentUser) -> S.UserOut:
    """The logged-in user."""
    return user_out(user)
