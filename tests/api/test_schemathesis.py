"""Property-based fuzzing of the whole REST API from its own OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests (fixed seed, so CI is repeatable),
sent logged in (the investigator on their own case for case routes, an admin elsewhere) so the
handlers run rather than stopping at 401. Checks: no 5xx, responses match the documented
schema, status code and content type.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from .world import World  # noqa: E402

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
OUR_USERS = {"root", "ana", "ben", "aud"}
MAX_EXAMPLES = 20  # per operation: under a minute for the whole API on 2 cores


@pytest.fixture(scope="module")
def api_schema(app):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def operations(api_schema):  # type: ignore[no-untyped-def]
    """Every operation but logout (it would end the session the other requests use)."""
    for result in api_schema.get_all_operations():
        op = result.ok()
        if op.path != "/api/auth/logout":
            yield op


def call(case, world: World, tokens) -> None:  # type: ignore[no-untyped-def]
    params = case.path_parameters if case.path_parameters is not None else {}
    headers = tokens["root"]
    if "case_id" in params:  # aim at a real case (random ids only ever meet 403/404)
        params["case_id"] = world.case_a
        headers = tokens["ana"]
        if "subject_id" in params:
            params["subject_id"] = world.subject_a
    if params.get("name") in OUR_USERS:  # keep the fixture accounts enabled
        params["name"] = "nobody"
    case.call_and_validate(headers=headers, checks=CHECKS)


@pytest.mark.filterwarnings("ignore:Glyph:UserWarning")  # fuzzed titles in report fonts
def test_api_never_fails_and_keeps_its_schema(api_schema, world: World, tokens) -> None:  # type: ignore[no-untyped-def]
    # schemathesis' own pytest plugin does not load under pytest 9, so each operation's
    # strategy is run here with hypothesis directly; failures are gathered and shown together.
    failures: list[str] = []
    ops = list(operations(api_schema))
    assert len(ops) >= 30
    for op in ops:
        @given(case=op.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            call(case, world, tokens)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
