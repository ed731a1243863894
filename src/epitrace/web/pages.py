"""Pages: login, cases, case, ingest, cameras, users, audit. Each is a thin shell; its script calls the API.

Pages authenticate with the session cookie only. They embed the session's CSRF token in a
<meta> tag for the scripts, which send it as X-CSRF-Token. A page a user may not open answers
403 with a plain page (never the case's data), and a missing login redirects to /login.
Every page is rendered in the user's language (`epitrace.web.i18n`) and hands its script the
script's messages in that language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from epitrace.api.deps import CASE_ID_PATTERN, SESSION_COOKIE, csrf_token_for, get_services
from epitrace.app import STAFF, acting_user, open_case, require
from epitrace.app.ingest_rules import INGEST_ROLES
from epitrace.privacy.users import AccessDenied, AuthError, User
from epitrace.vision.attributes import PALETTE
from epitrace.web.i18n import COOKIE, LOCALES, pick_locale, script_strings, translations

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
_env = Environment(loader=PackageLoader("epitrace.web", "templates"), autoescape=select_autoescape(["html", "j2"]))


def _render(name: str, request: Request, user: User | None, status: int = 200, **context: Any) -> HTMLResponse:
    token = request.cookies.get(SESSION_COOKIE, "")
    lang = pick_locale(request.cookies.get(COOKIE), request.headers.get("accept-language"))
    t = translations(lang)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = _env.get_template(name).render(user=user, csrf=csrf_token_for(token) if user else "", lang=lang,
                                          _=t.gettext, gettext=t.gettext, ngettext=t.ngettext, here=here,
                                          script_strings=script_strings(lang), ingest_roles=INGEST_ROLES, status=status,
                                          **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _user(request: Request) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return acting_user(get_services(request), token=token)
    except AuthError:
        return None


def _page(request: Request, name: str, *roles: str, case_id: str | None = None, **context: Any) -> Response:
    """Render `name` for the logged-in user if their role and case access allow it.

    Case access is the same `open_case` the API and CLI use.
    """
    user = _user(request)
    if user is None:  # back to this page after logging in (a case link from a colleague, an expired session)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': here})}" if here != "/" else "/login", status_code=303)
    try:
        if roles:
            require(user, roles)
        if case_id is not None:
            open_case(get_services(request), user, case_id)
    except AccessDenied as exc:
        return _render("error.html.j2", request, user, status=403, message=str(exc))
    except LookupError as exc:
        return _render("error.html.j2", request, user, status=404, message=str(exc))
    return _render(name, request, user, **context)


@router.get("/login")
def login_page(request: Request) -> Response:
    """The login form."""
    return _render("login.html.j2", request, None)


@router.get("/")
def cases_page(request: Request) -> Response:
    """The case list (auditors go to the audit log instead)."""
    user = _user(request)
    if user is not None and user.role == "auditor":
        return RedirectResponse("/audit", status_code=303)
    return _page(request, "cases.html.j2", "admin", "investigator", "supervisor")


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: Annotated[str, PathParam(pattern=CASE_ID_PATTERN)]) -> Response:
    """One case: subjects, enrolment, review, trajectory, contacts, report."""
    return _page(request, "case.html.j2", *STAFF, case_id=case_id, case_id_=case_id, palette=PALETTE)


@router.get("/ingest")
def ingest_page(request: Request) -> Response:
    """Uploading footage and watching ingest jobs."""
    return _page(request, "ingest.html.j2", *INGEST_ROLES)


@router.get("/cameras")
def cameras_page(request: Request) -> Response:
    """The camera registry and calibration (administrators)."""
    return _page(request, "cameras.html.j2", "admin")


@router.get("/users")
def users_page(request: Request) -> Response:
    """Accounts and case assignments (administrators)."""
    return _page(request, "users.html.j2", "admin")


@router.get("/lang")
def choose_language(to: Annotated[str, Query(pattern="^[a-z]{2}$")],
                    next: Annotated[str, Query(max_length=2000)] = "/") -> Response:  # noqa: A002
    """Remember the user's language in a cookie (a year) and go back to the page they were on."""
    target = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    response = RedirectResponse(target, status_code=303)
    if to in LOCALES:
        response.set_cookie(COOKIE, to, max_age=365 * 24 * 3600, samesite="strict", httponly=True)
    return response


@router.get("/audit")
def audit_page(request: Request) -> Response:
    """The audit log and its chain check."""
    return _page(request, "audit.html.j2", "admin", "auditor")


def mount_web(app: FastAPI) -> None:
    """Add the pages and the package's static files (scripts, styles) to `app`."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
