"""Login, bearer tokens, the session cookie with its CSRF token, logout, disabled accounts."""

from __future__ import annotations

from .world import PASSWORD, World, login


def test_login_sets_a_strict_httponly_cookie_and_returns_a_token(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/auth/login", json={"name": "ana", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"] == {**body["user"], "name": "ana", "role": "investigator"}
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    client.cookies.clear()


def test_wrong_password_is_a_json_401_and_audited(client, tokens) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/auth/login", json={"name": "ana", "password": "not the password"})
    assert r.status_code == 401
    assert r.json() == {"detail": "invalid user name or password"}
    log = client.get("/api/audit", params={"user": "ana", "limit": 5}, headers=tokens["aud"]).json()["data"]
    assert log[-1]["action"] == "login_failed" and log[-1]["detail"]["count"] == 1  # aggregated (F9)


def test_cookie_state_changes_need_the_csrf_token(client, world: World) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/auth/login", json={"name": "ana", "password": PASSWORD})
    csrf = r.json()["csrf_token"]
    url = f"/api/cases/{world.case_a}/search"
    assert client.get(f"/api/cases/{world.case_a}").status_code == 200  # reads: the cookie is enough
    refused = client.post(url, json={})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    assert client.post(url, json={}, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert client.post(url, json={}, headers={"X-CSRF-Token": csrf}).status_code == 200
    client.cookies.clear()


def test_bearer_requests_need_no_csrf_token(client, world: World, tokens) -> None:  # type: ignore[no-untyped-def]
    assert client.post(f"/api/cases/{world.case_a}/search", json={}, headers=tokens["ana"]).status_code == 200


def test_logout_ends_the_session_everywhere(client) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "ben")
    assert client.post("/api/auth/logout", headers=headers).status_code == 200
    r = client.get("/api/auth/me", headers=headers)
    assert r.status_code == 401 and "log in again" in r.json()["detail"]


def test_a_disabled_account_is_locked_out_at_once(client, tokens) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/users", headers=tokens["root"],
                    json={"name": "temp", "password": PASSWORD, "role": "investigator"})
    assert r.status_code == 201
    headers = login(client, "temp")
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    assert client.post("/api/users/temp/disable", headers=tokens["root"]).status_code == 200
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert client.post("/api/users/root/disable", headers=tokens["root"]).status_code == 409  # not yourself


def test_only_admins_manage_users(client, tokens) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/users", headers=tokens["ana"]).status_code == 403
    short = client.post("/api/users", headers=tokens["root"], json={"name": "x1", "password": "short", "role": "admin"})
    assert short.status_code == 422 and "password" in short.json()["detail"]


def test_pages_redirect_to_login_and_carry_the_csrf_token(client, world: World) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    token = client.post("/api/auth/login", json={"name": "ana", "password": PASSWORD}).json()
    page = client.get(f"/cases/{world.case_a}")
    assert page.status_code == 200 and token["csrf_token"] in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    client.cookies.clear()


def test_docs_work_offline(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    assert "cdn" not in page.text.lower() and "http://" not in page.text and "https://" not in page.text
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/static/swagger-ui.css").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "EpiTrace"


def test_bundled_swagger_ui_renders_the_declared_openapi_version(client) -> None:  # type: ignore[no-untyped-def]
    """Swagger UI 4 answers an OpenAPI 3.1 document with "Unable to render this definition"."""
    import re

    from swagger_ui_bundle import swagger_ui_path

    declared = client.get("/openapi.json").json()["openapi"]
    found = re.search(r"swagger-ui-(\d+)\.(\d+)", str(swagger_ui_path))
    assert found is not None, swagger_ui_path
    ui = (int(found[1]), int(found[2]))
    assert declared.startswith("3.0") or (declared.startswith("3.1") and ui >= (5, 0)), (declared, ui)
